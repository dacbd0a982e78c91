#!/usr/bin/env bash
# A store that cannot be written serves every read command: a read-only file
# (opened mode=ro), a read-only folder too (not even the -shm can be made:
# opened immutable). plankit says so once on stderr; reads give the answers
# they give on a writable copy; check exits 0 without SQLite's raw "attempt
# to write a readonly database"; a command that writes fails in one line
# and changes nothing. Root ignores file modes, so as root the commands run
# as nobody (setpriv), for whom the modes hold.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$WORK"
    as_reader() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
else
    as_reader() { "$@"; }
fi
OUT=$WORK/out
mkdir "$OUT" && chmod 777 "$OUT"

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk layer load "$LAYERS/kunshan-key-areas.geojson" --name key_areas -q
pk task add T1 --title 周庄古镇保护 -q
pk task attach T1 --to towns:周庄镇 -q
pk task add T2 --title 重点片区 -q
pk task attach T2 --geom 'POLYGON((120.85 31.10,120.86 31.10,120.86 31.11,120.85 31.11,120.85 31.10))' -q

# the commands every read-only store must serve, and their answers on the writable store
reads=("layer list --format csv" "layer info towns --format csv" "coverage --by towns --format csv"
       "query tasks --in towns:周庄镇 --format csv" "sql SELECT_NAMES" "task show T1 --format json"
       "check" "layer export towns $OUT/EXPORT.geojson" "tiles vector towns -o $OUT/TILES.mbtiles --minzoom 8 --maxzoom 9")
run_read() { # run_read N COMMAND: prints its stdout, stderr into $WORK/err.N
    local n=$1; shift
    local cmd=${*//EXPORT/towns$n}
    cmd=${cmd//TILES/tiles$n}
    if [ "$cmd" = "sql SELECT_NAMES" ]; then
        $RUNNER "$PLANKIT" sql "SELECT name FROM towns ORDER BY fid" --format csv 2>"$WORK/err.$n"
    else
        # shellcheck disable=SC2086
        $RUNNER "$PLANKIT" $cmd 2>"$WORK/err.$n"
    fi
}
i=0
RUNNER=
for r in "${reads[@]}"; do run_read "w$i" "$r" >"$WORK/expected.$i"; i=$((i + 1)); done
RUNNER=as_reader
sqlite3 "$PLANKIT_STORE" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
rm -f "$PLANKIT_STORE-wal" "$PLANKIT_STORE-shm"
mkdir "$WORK/shelf" && mv "$PLANKIT_STORE" "$WORK/shelf/plan.sqlite"
export PLANKIT_STORE=$WORK/shelf/plan.sqlite

serves_reads() { # serves_reads LABEL: every read works, says read-only once, same answers
    local label=$1 i=0 r
    for r in "${reads[@]}"; do
        run_read "$label$i" "$r" >"$WORK/got.$i"
        local code=$?
        expect_eq "$label: '$r' exits 0" 0 "$code"
        expect_eq "$label: '$r' says once that the store is read-only" 1 \
            "$(grep -c "^plankit: note: store '.*plan.sqlite' is read-only (.*): opened for reading only$" "$WORK/err.$label$i")"
        if grep -qi "readonly database\|error" "$WORK/err.$label$i"; then
            not_ok "$label: '$r' printed an error"; sed 's/^/    /' "$WORK/err.$label$i"
        fi
        expect_eq "$label: '$r' answers as on a writable store" "$(cat "$WORK/expected.$i")" "$(cat "$WORK/got.$i")"
        i=$((i + 1))
    done
    expect_eq "$label: the export is the towns" 12 \
        "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["features"]))' "$OUT/towns${label}7.geojson")"
    expect_eq "$label: the tiles were written" 1 "$(sqlite3 "$OUT/tiles${label}8.mbtiles" "SELECT count(*) > 0 FROM tiles")"
}
refuses_writes() { # refuses_writes LABEL REASON
    local before after
    before=$(cat "$PLANKIT_STORE" | sha256sum)
    as_reader "$PLANKIT" task add T3 --title 新任务 >"$WORK/out.txt" 2>"$WORK/err.txt"
    local code=$?
    after=$(cat "$PLANKIT_STORE" | sha256sum)
    expect_eq "$1: task add fails" 1 "$code"
    expect_grep "$1: ... in one line naming the store and why" \
        "^plankit: error: store '.*plan.sqlite' is read-only ($2): this command would change it" "$WORK/err.txt"
    expect_eq "$1: ... one error line" 1 "$(grep -c '^plankit: error' "$WORK/err.txt")"
    expect_eq "$1: ... the store is unchanged" "$before" "$after"
}

# 1. the file is read-only, its folder is not: SQLite reads it with mode=ro
chmod 444 "$PLANKIT_STORE"
chmod 777 "$WORK/shelf"
if as_reader sh -c ": >>'$PLANKIT_STORE'" 2>/dev/null; then not_ok "the test cannot make the file read-only"; fi
serves_reads ro
refuses_writes ro "the file is read-only"

# 2. the folder too: not even the -shm can be made, the store is opened immutable
rm -f "$PLANKIT_STORE-shm" "$PLANKIT_STORE-wal"
chmod 555 "$WORK/shelf"
if as_reader sh -c ": >'$WORK/shelf/x'" 2>/dev/null; then not_ok "the test cannot make the folder read-only"; fi
serves_reads imm
refuses_writes imm "the file and its folder are read-only"
expect_eq "nothing was created beside the store" "plan.sqlite" "$(ls "$WORK/shelf")"

# 3. a read-only folder whose store has changes in its -wal: refused, not read stale
chmod 755 "$WORK/shelf"
chmod 644 "$PLANKIT_STORE"
python3 - "$PLANKIT_STORE" <<'EOF'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_autocheckpoint=0")
db.execute("UPDATE pk_tasks SET title='改过' WHERE id='T1'")
db.commit()
os._exit(0)  # leave the -wal (and -shm) as a crash would
EOF
rm -f "$PLANKIT_STORE-shm"
chmod 444 "$PLANKIT_STORE"
chmod 555 "$WORK/shelf"
as_reader "$PLANKIT" task show T1 >"$WORK/out.txt" 2>"$WORK/err.txt"
expect_eq "a -wal that cannot be read: task show fails" 1 $?
expect_grep "... saying why" "^plankit: error: store '.*' is read-only (.*) and its -wal file holds changes that cannot be read without writing" "$WORK/err.txt"
chmod 755 "$WORK/shelf"
chmod 644 "$PLANKIT_STORE"
expect_eq "once writable, the change is there" 改过 "$(pk sql "SELECT title FROM pk_tasks WHERE id='T1'" --format csv | tail -n 1)"

finish
