#!/usr/bin/env bash
# task export writes the format task import reads (JSON and CSV): exporting,
# importing into another store and exporting again gives the same file, even
# when that store's layers were loaded in another order (links name features
# by key). What cannot round-trip is refused with the reason: footprints in
# CSV, ';' inside CSV lists, and 'task list' output fed to task import.
source "$(dirname "$0")/lib.sh"

s1=$WORK/s1.sqlite
pk -s "$s1" init --with "$LAYERS/kunshan.json" -q
pk -s "$s1" task export "$WORK/a.json" -q
check "export to csv" pk -s "$s1" task export "$WORK/a.csv"
expect_grep "... says where" "tasks written to '.*a.csv' (csv)" "$WORK/.err"
expect_eq "the CSV file starts with a UTF-8 byte-order mark (for Excel)" "efbbbf" "$(head -c 3 "$WORK/a.csv" | od -An -tx1 | tr -d ' \n')"
expect_eq "91 tasks in the JSON" 91 "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["tasks"]))' "$WORK/a.json")"
expect_eq "92 lines in the CSV" 92 "$(grep -c '' "$WORK/a.csv")"
expect_eq "every link is in the JSON" \
    "$(python3 -c 'import json, sys; print(sum(len(t["links"]) for t in json.load(open(sys.argv[1]))["tasks"]))' "$LAYERS/kunshan-tasks.json")" \
    "$(python3 -c 'import json, sys; print(sum(len(t["links"]) for t in json.load(open(sys.argv[1]))["tasks"]))' "$WORK/a.json")"
pk -s "$s1" task export --format csv >"$WORK/stdout.csv"
expect_eq "to standard output: the same rows, no byte-order mark" "$(tail -c +4 "$WORK/a.csv" | sha256sum)" "$(sha256sum <"$WORK/stdout.csv")"

# the same store: nothing changes
pk -s "$s1" task import "$WORK/a.json" 2>"$WORK/err"
expect_grep "re-importing the JSON export changes nothing" "0 created, 0 updated, 91 unchanged" "$WORK/err"
pk -s "$s1" task import "$WORK/a.csv" 2>"$WORK/err"
expect_grep "re-importing the CSV export changes nothing" "0 created, 0 updated, 91 unchanged" "$WORK/err"

# another store, its layers loaded in another order (other fids)
fresh() {
    pk -s "$1" init -q --measure-crs EPSG:4549
    python3 - "$LAYERS/kunshan.json" "$WORK/towns-reversed.geojson" <<'PY' | while read -r name file; do pk -s "$1" layer load "$file" --name "$name" -q; done
import json, os, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
d = os.path.dirname(sys.argv[1])
for l in reversed(m["layers"]):
    f = os.path.join(d, l["file"])
    if l["name"] == "towns":
        g = json.load(open(f, encoding="utf-8"))
        g["features"].reverse()
        json.dump(g, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
        f = sys.argv[2]
    print(l["name"], f)
PY
}
fresh "$WORK/s2.sqlite"
expect_eq "the towns have other fids there" "锦溪镇" \
    "$(sqlite3 "$WORK/s2.sqlite" "SELECT name FROM $(sqlite3 "$WORK/s2.sqlite" "SELECT table_name FROM pk_layers WHERE name='towns'") WHERE fid=1")"
check "import the CSV into it" pk -s "$WORK/s2.sqlite" task import "$WORK/a.csv"
pk -s "$WORK/s2.sqlite" task export "$WORK/b.csv" -q
if cmp -s "$WORK/a.csv" "$WORK/b.csv"; then ok "CSV export -> import -> export is the same file"; else
    not_ok "CSV round trip differs"; diff "$WORK/a.csv" "$WORK/b.csv" | head -5; fi
expect_eq "... PZ-22 is on the same towns" "$(pk -s "$s1" task show PZ-22 --format csv | grep -o '周庄镇\|锦溪镇\|淀山湖镇' | sort | paste -sd,)" \
    "$(pk -s "$WORK/s2.sqlite" task show PZ-22 --format csv | grep -o '周庄镇\|锦溪镇\|淀山湖镇' | sort | paste -sd,)"
fresh "$WORK/s3.sqlite"
check "import the JSON into a third store" pk -s "$WORK/s3.sqlite" task import "$WORK/a.json"
pk -s "$WORK/s3.sqlite" task export "$WORK/c.json" -q
if cmp -s "$WORK/a.json" "$WORK/c.json"; then ok "JSON export -> import -> export is the same file"; else
    not_ok "JSON round trip differs"; diff "$WORK/a.json" "$WORK/c.json" | head -5; fi

# an edit made in the CSV (as in Excel) comes back
python3 - "$WORK/a.csv" "$WORK/edited.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig")))
h = rows[0]
for r in rows[1:]:
    if r[0] == "ZZ-01":
        r[h.index("status")] = "in_progress"
        r[h.index("progress")] = "35"
csv.writer(open(sys.argv[2], "w", encoding="utf-8-sig", newline="")).writerows(rows)
PY
pk -s "$s1" task import "$WORK/edited.csv" 2>"$WORK/err"
expect_grep "an edited CSV updates one task" "0 created, 1 updated, 90 unchanged" "$WORK/err"
expect_eq "... the status and progress" "in_progress|35.0" "$(sqlite3 "$s1" "SELECT status, progress FROM pk_tasks WHERE id='ZZ-01'")"

# what cannot round-trip
export PLANKIT_STORE=$s1
expect_fail_unchanged "task list output is refused by task import, with the reason" \
    "this is 'task list' output, whose links column counts links" sh -c "'$PLANKIT' task list --format csv | '$PLANKIT' task import -"
pk task attach ZZ-02 --geom 'POINT(120.95 31.38)' -q
expect_fail_unchanged "CSV cannot hold footprints" "1 task(s) have footprints, which CSV cannot hold: use --format json" \
    pk task export --format csv
pk task export "$WORK/fp.json" -q
expect_eq "the JSON has the footprint" "Point EPSG:4326" \
    "$(python3 -c 'import json, sys
t = [t for t in json.load(open(sys.argv[1]))["tasks"] if t["id"] == "ZZ-02"][0]
print(t["footprints"][0]["geometry"]["type"], t["footprints"][0]["crs"])' "$WORK/fp.json")"
pk task detach ZZ-02 --footprint 1 -q
pk task update ZZ-03 --tags "a;b,c" -q
expect_fail_unchanged "a ';' inside a tag cannot go to CSV" "task 'ZZ-03': tag 'a;b' holds ';'" pk task export --format csv
expect_fail_unchanged "an existing file is not overwritten" "'.*a.json' already exists" pk task export "$WORK/a.json"
expect_fail_unchanged "--format geojson is refused" "tasks are written as csv or json" pk task export --format geojson

finish
