#!/usr/bin/env bash
# A task whose source sentence names a place of layers/kunshan-plan-places.tsv
# is linked to it: a city-wide task must have a link to one of that place's
# features (longer names first, so 阳澄湖临沪科创区 is not also 阳澄湖). Read
# from the store after `plankit init --with`, so links resolve as plankit
# resolves them. Also: the statuses and years the plan states, and the plan's
# sections that state actions have tasks quoting them exactly.
source "$(dirname "$0")/lib.sh"

PLAN=$SHARED_DIR/seed/kunshan-15th-five-year-plan-draft.txt
LIST=$LAYERS/kunshan-plan-places.tsv
pk init --with "$LAYERS/kunshan.json" -q
expect_eq "init --with kunshan.json" 0 $?

# task|citywide|source and task|layer|code of every link
spatialite_sql "SELECT id || char(9) || citywide || char(9) || source FROM pk_tasks" >"$WORK/tasks"
for t in $(spatialite_sql "SELECT id || ':' || name || ':' || table_name FROM pk_layers"); do
    IFS=: read -r id name table <<<"$t"
    spatialite_sql "SELECT k.task_id || char(9) || '$name' || char(9) || f.code FROM pk_task_links k
        JOIN $table f ON f.fid = k.fid WHERE k.layer_id = $id"
done >"$WORK/links"

unlinked() { # LIST TASKS LINKS: city-wide tasks naming a listed place without a link to it
    python3 - "$1" "$2" "$3" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")
        if l.strip() and not l.startswith("#")][1:]
links = {}
for l in open(sys.argv[3], encoding="utf-8"):
    t, layer, code = l.rstrip("\n").split("\t")
    links.setdefault(t, set()).add((layer, code))
names = sorted({r[0] for r in rows}, key=len, reverse=True)
bad = []
for l in open(sys.argv[2], encoding="utf-8"):
    tid, citywide, src = l.rstrip("\n").split("\t", 2)
    if citywide != "1":
        continue
    for n in names:
        if n in src:
            src = src.replace(n, "\0")
            want = {(r[1], c) for r in rows if r[0] == n for c in r[2].split(",")}
            if not links.get(tid, set()) & want:
                bad.append("%s names %s" % (tid, n))
print(", ".join(sorted(bad)))
PY
}
expect_eq "every city-wide task is linked to the places its source names" "" \
    "$(unlinked "$LIST" "$WORK/tasks" "$WORK/links")"
# the check is not vacuous: without KF-07's link to 金改区 it fails
grep -v $'^KF-07\tplan_areas\tKS-FRZ$' "$WORK/links" >"$WORK/links2"
expect_eq "... and finds KF-07 when its 金改区 link is missing" "KF-07 names 金改区" \
    "$(unlinked "$LIST" "$WORK/tasks" "$WORK/links2")"

# the links the issue asks for
has() { grep -qx "$1"$'\t'"$2"$'\t'"$3" "$WORK/links"; }
for l in "KF-03 region JD" "KF-03 region KS" "KF-03 region TC" "KF-03 plan_areas JKT" "KF-15 plan_areas KS-ITPZ" \
    "PZ-20 plan_areas KS-CHAIN" "PZ-07 plan_areas MAIN-CITY" "PZ-07 key_areas QYG-CBD" "PZ-07 key_areas ZY-OPERA" \
    "KF-01 region PD" "KF-01 region QP" "KF-07 plan_areas KS-FRZ" "KF-02 plan_areas HQ-NORTH" "KF-11 plan_areas KS-CBZ"; do
    set -- $l
    if has "$1" "$2" "$3"; then ok "$1 is linked to $2:$3"; else not_ok "$1 is not linked to $2:$3"; fi
done
expect_eq "KF-02 covers the whole city (the 北向拓展带), not only 花桥" 1 \
    "$(spatialite_sql "SELECT citywide FROM pk_tasks WHERE id='KF-02'")"
expect_eq "KF-16 links the demo zone only (not the towns as well)" "demo_zone:3" \
    "$(awk -F'\t' '$1 == "KF-16" {n[$2]++} END {for (k in n) print k ":" n[k]}' "$WORK/links")"

# statuses and years as the plan says
expect_eq "PZ-25..27 and KF-16 were done in the previous plan period (2021-2025)" \
    "KF-16|done|2021|2025 PZ-25|done|2021|2025 PZ-26|done|2021|2025 PZ-27|done|2021|2025" \
    "$(spatialite_sql "SELECT id || '|' || status || '|' || start_year || '|' || end_year FROM pk_tasks
        WHERE id IN ('KF-16','PZ-25','PZ-26','PZ-27') ORDER BY id" | paste -sd' ')"
expect_eq "XF-03's English title does not add the child-friendly city" "" \
    "$(spatialite_sql "SELECT title_en FROM pk_tasks WHERE id='XF-03' AND title_en LIKE '%child-friendly%'")"
expect_eq "KF-15's English title does not add 'National'" "" \
    "$(spatialite_sql "SELECT title_en FROM pk_tasks WHERE id='KF-15' AND title_en LIKE '%national%'")"

# sections of the plan with tasks, every source quoted exactly
for sec in 五、1 五、2 五、3 五、5 五、6 八、三 八、四; do
    n=$(spatialite_sql "SELECT count(*) FROM pk_tasks WHERE section='$sec'")
    if [ "$n" -ge 1 ]; then ok "section $sec has $n task(s)"; else not_ok "section $sec has no task"; fi
done
for w in 年度计划 动态监测 中期评估; do
    expect_eq "a task of section 八 quotes $w" 1 \
        "$(spatialite_sql "SELECT count(*) > 0 FROM pk_tasks WHERE section LIKE '八%' AND source LIKE '%$w%'")"
done
notfound=$(python3 - "$PLAN" "$WORK/tasks" <<'PY'
import sys
plan = open(sys.argv[1], encoding="utf-8").read()
print(",".join(l.split("\t")[0] for l in open(sys.argv[2], encoding="utf-8") if l.rstrip("\n").split("\t", 2)[2] not in plan))
PY
)
expect_eq "every task's source is an exact substring of the plan" "" "$notfound"

# layers/TASKS.md lists every task with all its links, each marked direct,
# interpretation or city-wide
docs=$(python3 - "$LAYERS/kunshan-tasks.json" "$LAYERS/TASKS.md" <<'PY'
import json, re, sys
tasks = json.load(open(sys.argv[1], encoding="utf-8"))["tasks"]
rows = {l.split("|")[1].strip(): l for l in open(sys.argv[2], encoding="utf-8") if re.match(r"\| [A-Z]{2}-\d\d \|", l)}
bad = []
for t in tasks:
    row = rows.get(t["id"])
    if row is None:
        bad.append(t["id"] + ": no row")
        continue
    for k in t["links"]:
        one = "%s:%s (%s, " % (k["layer"], k["feature"], k["role"])
        grouped = k["layer"] == "region" and re.search(r"region: the \d+ Shanghai districts [A-Z ]*\b%s\b" % k["feature"], row)
        if one not in row and not grouped:
            bad.append("%s: no %s:%s" % (t["id"], k["layer"], k["feature"]))
    if len(re.findall(r"\((?:located-in|serves|affects), (?:direct|\*\*interpretation\*\*|city-wide)\)", row)) == 0:
        bad.append(t["id"] + ": links not marked")
print("; ".join(bad[:5]))
PY
)
expect_eq "layers/TASKS.md lists every task's links, marked direct or interpretation" "" "$docs"
finish
