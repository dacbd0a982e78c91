#!/usr/bin/env bash
# Coverage counts a task once per feature, whatever the number of its links to
# that feature's area: a task linked to a town, to its demo-zone copy and to a
# key area inside it is one task of that town, once in the task list and once
# in the total. On the bundled data, KF-09 and KF-16 (both about the
# demonstration-zone towns) are two tasks of each of 锦溪, 周庄 and 淀山湖.
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q
expect_eq "init --with kunshan.json" 0 $?

cov() { # TOWN_CODE FIELD [coverage options...]: a field of that town's coverage row
    local code=$1 field=$2; shift 2
    local fid
    fid=$(spatialite_sql "SELECT fid FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='towns'") WHERE code='$code'")
    pk coverage --by towns --format csv "$@" | python3 -c 'import csv, sys
print([r[sys.argv[2]] for r in csv.DictReader(sys.stdin) if r["fid"] == sys.argv[1]][0])' "$fid" "$field"
}
total() { pk coverage --by towns --format csv "$@" | python3 -c 'import csv, sys
print([r["tasks"] for r in csv.DictReader(sys.stdin) if r["name"] == "(total)"][0])'; }

# the bundled plan: the demo-zone towns have KF-09 and KF-16, each once
for code in JX ZZ DSH; do
    ids=$(cov "$code" task_ids --pillar 开放之城)
    expect_eq "towns:$code: KF-09 and KF-16, once each" "KF-09,KF-16" "$(echo "$ids" | tr ',' '\n' | grep '^KF-\(09\|16\)$' | paste -sd,)"
    expect_eq "towns:$code: the count is the number of distinct tasks" \
        "$(echo "$ids" | tr ',' '\n' | grep -c .)" "$(cov "$code" tasks --pillar 开放之城)"
done

# one task, three links over the same ground (town, its copy, and twice the same town)
before_tasks=$(cov JX tasks) before_total=$(total)
pk task add T-DUP --title "重复链接" --pillar 开放之城 -q
pk task attach T-DUP --to towns:JX -q
pk task attach T-DUP --to demo_zone:DEMO-JX -q
pk task attach T-DUP --to sci_zones:DSH-STZ -q
expect_eq "T-DUP has three links" 3 "$(spatialite_sql "SELECT count(*) FROM pk_task_links WHERE task_id='T-DUP'")"
expect_eq "锦溪: one more task, not three" "$((before_tasks + 1))" "$(cov JX tasks)"
expect_eq "锦溪: T-DUP listed once" 1 "$(cov JX task_ids | tr ',' '\n' | grep -c '^T-DUP$')"
expect_eq "the total: one more task" "$((before_total + 1))" "$(total)"
expect_eq "query tasks --in towns:锦溪镇 lists T-DUP once" 1 \
    "$(pk query tasks --in towns:锦溪镇 --format csv | grep -c '^T-DUP,')"
finish
