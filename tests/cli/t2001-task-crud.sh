#!/usr/bin/env bash
# plankit task add/update/show/list/remove/history: every field kept, every
# change recorded (field, old and new value, when, by whom: $USER or --user),
# the list filters, invalid values refused with the store unchanged, and the
# table output aligned for CJK text.
source "$(dirname "$0")/lib.sh"

# VALUE of PROPERTY in `task show ID --format csv`
prop() { pk task show "$1" --format csv | python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["property"] == sys.argv[1]: print(r["value"])' "$2"; }
# ids of a task list CSV (stdin), joined by ','
ids() { python3 -c 'import csv, sys; print(",".join(r["id"] for r in csv.DictReader(sys.stdin)))'; }

pk init -q
check "load the squares" pk layer load "$DATA/squares-4549.geojson" --name squares -q

# --- add with every field
check "task add with every field" pk task add ZZ-01 --title "固本升级 集群" --title-en "Upgrade the cluster" \
    --description "巩固电子信息产业" --pillar 智造之城 --section "七、一" --source "固本升级新一代信息技术" \
    --lead 市工信局 --partners "昆山开发区管委会,市发改委" --start 2026 --end 2030 --status in_progress \
    --progress 12.5 --indicator "产值=1000 亿元;企业=5 家" --tags "电子信息,AI终端" -q
for pair in "title=固本升级 集群" "title_en=Upgrade the cluster" "description=巩固电子信息产业" \
    "classification=智造之城" "section=七、一" "source=固本升级新一代信息技术" "lead=市工信局" \
    'partners=["昆山开发区管委会","市发改委"]' "start_year=2026" "end_year=2030" "status=in_progress" \
    "progress=12.5" 'tags=["电子信息","AI终端"]' "citywide=0"; do
    expect_eq "show: ${pair%%=*}" "${pair#*=}" "$(prop ZZ-01 "${pair%%=*}")"
done
expect_eq "show: indicators as JSON objects" '[{"name": "产值", "target": 1000, "unit": "亿元"}, {"name": "企业", "target": 5, "unit": "家"}]' \
    "$(prop ZZ-01 indicators | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), ensure_ascii=False))')"
expect_eq "the row in pk_tasks (SQL)" "智造之城|2026|2030|in_progress|12.5" \
    "$(spatialite_sql "SELECT classification, start_year, end_year, status, progress FROM pk_tasks WHERE id='ZZ-01'")"
expect_eq "history: created, by \$USER" "$USER,task add,created,,固本升级 集群" \
    "$(pk task history ZZ-01 --format csv | tail -n +2 | cut -d, -f2-)"
expect_eq "history has a timestamp" 1 "$(pk task history ZZ-01 --format csv | tail -n +2 | grep -c '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T')"

# --- update: changed fields go to the history with old and new values
check "update status and progress as alice" pk task update ZZ-01 --status done --progress 100 --user alice -q
expect_eq "status updated" done "$(prop ZZ-01 status)"
pk task history ZZ-01 --format csv >"$WORK/h.csv"
expect_eq "history: status in_progress -> done by alice" "alice,task update,status,in_progress,done" \
    "$(grep ',status,' "$WORK/h.csv" | cut -d, -f2-)"
expect_eq "history: progress 12.5 -> 100 by alice" "alice,task update,progress,12.5,100.0" \
    "$(grep ',progress,' "$WORK/h.csv" | cut -d, -f2-)"
check "update with --user before the command" pk --user 张三 task update ZZ-01 --lead 市发改委 -q
expect_eq "history: lead changed by 张三" "张三,task update,lead,市工信局,市发改委" \
    "$(pk task history ZZ-01 --format csv | grep ',lead,' | cut -d, -f2-)"
USER=bob pk task update ZZ-01 --status delayed --progress 100 -q
expect_eq "\$USER is the default; an unchanged field is not recorded" "bob,task update,status,done,delayed" \
    "$(pk task history ZZ-01 --format csv | grep '^[^,]*,bob,' | cut -d, -f2-)"
n=$(pk task history ZZ-01 --format csv | tail -n +2 | grep -c .)
check "an update that changes nothing" pk task update ZZ-01 --status delayed -q
expect_eq "... records nothing" "$n" "$(pk task history ZZ-01 --format csv | tail -n +2 | grep -c .)"
expect_eq "history is in pk_history too (SQL)" "$n" \
    "$(spatialite_sql "SELECT count(*) FROM pk_history WHERE object_type='task' AND object_id='ZZ-01'")"
pk task history ZZ-01 --format json >"$WORK/h.json"
expect_eq "history as JSON: field, old, new, user" "status in_progress done alice" \
    "$(python3 -c 'import json, sys
r = [x for x in json.load(open(sys.argv[1])) if x["field"] == "status"][0]; print(r["field"], r["old"], r["new"], r["user"])' "$WORK/h.json")"
check "citywide on and off" pk task update ZZ-01 --citywide -q
expect_eq "citywide set" 1 "$(prop ZZ-01 citywide)"

# --- invalid values: a clear error, nothing changed
expect_fail_unchanged "add an existing id" "task 'ZZ-01' already exists" pk task add ZZ-01 --title again
expect_fail_unchanged "add without a title" "needs a title" pk task add ZZ-02
expect_fail_unchanged "update an unknown task" "no task 'NOPE'" pk task update NOPE --status done
expect_fail_unchanged "show an unknown task" "no task 'NOPE'" pk task show NOPE
expect_fail_unchanged "history of an unknown task" "no task 'NOPE'" pk task history NOPE
expect_fail_unchanged "remove an unknown task" "no task 'NOPE'" pk task remove NOPE
expect_fail_unchanged "invalid status" "invalid status 'finished'" pk task update ZZ-01 --status finished
expect_fail_unchanged "progress over 100" "progress" pk task update ZZ-01 --progress 150
expect_fail_unchanged "progress not a number" "progress 'half'" pk task update ZZ-01 --progress half
expect_fail_unchanged "start after end (both given)" "start year 2030 is after end year 2026" \
    pk task update ZZ-01 --start 2030 --end 2026
expect_fail_unchanged "start after the kept end year" "start year 2031 is after end year 2030" \
    pk task update ZZ-01 --start 2031
expect_fail_unchanged "a year out of range" "is not a year" pk task update ZZ-01 --end 99999
expect_fail_unchanged "empty title" "empty title" pk task update ZZ-01 --title ""
expect_fail_unchanged "malformed indicator" "indicator 'x' is not name=target" pk task update ZZ-01 --indicator x
expect_fail_unchanged "quotes and SQL in an id" "invalid task id" pk task add "x'; DROP TABLE pk_tasks;--" --title t
expect_fail_unchanged "a space in an id" "invalid task id" pk task add "a b" --title t
expect_eq "pk_tasks is still there" 1 "$(spatialite_sql "SELECT count(*) FROM pk_tasks")"
check "quotes in text fields are data" pk task add "Q-1" --title "it's \"quoted\"; DROP TABLE pk_tasks;--" -q
expect_eq "... stored as given" "it's \"quoted\"; DROP TABLE pk_tasks;--" "$(prop Q-1 title)"

# classifications are data: once the store defines some, others are refused
check "load the city" pk layer load "$DATA/city-4549.geojson" --name city --kind district -q
check "import tasks-squares.json (with classifications)" pk task import "$DATA/tasks-squares.json" -q
expect_eq "classifications from the task file" "甲,乙" \
    "$(spatialite_sql "SELECT group_concat(name) FROM (SELECT name FROM pk_classifications ORDER BY rowid)")"

# --- list and its filters
check "add more tasks" pk task add XF-01 --title "养老 设施" --pillar 甲 --status planned --start 2027 --end 2028 -q
pk task add XF-02 --title "教育" --pillar 乙 --status done --start 2026 --end 2026 -q
expect_fail_unchanged "unknown classification" "unknown classification '丙' (known: 甲, 乙)" \
    pk task add XF-03 --title t --pillar 丙
expect_eq "list: every task in order of creation" "ZZ-01,Q-1,Q1,Q2,Q3,CW,XF-01,XF-02" "$(pk task list --format csv | ids)"
expect_eq "list --pillar 甲" "Q1,CW,XF-01" "$(pk task list --pillar 甲 --format csv | ids)"
expect_eq "list --status done" "Q2,XF-02" "$(pk task list --status done --format csv | ids)"
expect_eq "list --pillar 甲 --status planned" "CW,XF-01" "$(pk task list --pillar 甲 --status planned --format csv | ids)"
expect_eq "list --year 2027 (running that year; no years = always)" "ZZ-01,Q-1,Q1,Q2,CW,XF-01" "$(pk task list --year 2027 --format csv | ids)"
pk task attach XF-01 --to squares:A -q && pk task attach XF-02 --to squares:SQ-A -q && pk task attach XF-02 --to squares:2 -q
expect_eq "list --layer squares --feature A (by name)" "XF-01,XF-02" "$(pk task list --layer squares --feature A --format csv | ids)"
expect_eq "list --layer squares --feature 2 (by id)" "XF-02" "$(pk task list --layer squares --feature 2 --format csv | ids)"
expect_eq "list: links counted" "2" \
    "$(pk task list --format csv | python3 -c 'import csv, sys; print([r["links"] for r in csv.DictReader(sys.stdin) if r["id"] == "XF-02"][0])')"
expect_fail_unchanged "list --feature of an unknown feature" "no feature 'Z' in layer 'squares'" \
    pk task list --layer squares --feature Z
expect_fail_unchanged "list --layer of an unknown layer" "squaresX" pk task list --layer squaresX --feature A
expect_eq "list as JSON parses" "8 ZZ-01" \
    "$(pk task list --format json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(len(d), d[0]["id"])')"

# tables align CJK text: the columns after the title start at the same display column
pk task list >"$WORK/list.txt"
expect_eq "task list table: every line has the same display width" 1 \
    "$(python3 -c 'import sys, unicodedata
print(len({sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l.rstrip("\n")) for l in open(sys.argv[1])}))' "$WORK/list.txt")"
expect_eq "... and the status column starts at the same display column" 1 \
    "$(python3 -c 'import sys, unicodedata, re
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
cols = {w(l[:m.start()]) for l in open(sys.argv[1]) for m in [re.search(r"(status|planned|in_progress|done|delayed)", l)] if m}
print(len(cols))' "$WORK/list.txt")"

# --- remove: links and footprints go, the history stays
check "remove XF-02" pk task remove XF-02 -q
expect_eq "removed from the list" "" "$(pk task list --format csv | ids | tr ',' '\n' | grep -x XF-02)"
expect_eq "its links are gone (SQL)" 0 "$(spatialite_sql "SELECT count(*) FROM pk_task_links WHERE task_id='XF-02'")"
expect_eq "its history stays, ending with the removal" "task remove,removed" \
    "$(pk task history XF-02 --format csv | tail -1 | cut -d, -f3,4)"
check "remove Q1 (with a footprint)" pk task remove Q1 -q
expect_eq "its footprints are gone (SQL)" 0 "$(spatialite_sql "SELECT count(*) FROM pk_task_footprints WHERE task_id='Q1'")"
check "the store passes check" pk check
finish
