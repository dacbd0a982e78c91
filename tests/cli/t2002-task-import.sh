#!/usr/bin/env bash
# plankit task import: CSV and JSON (links, footprints), upsert by id with the
# changes in the history, one transaction (a bad row is reported with its
# line and nothing is imported, the store byte-for-byte unchanged), and the
# 80 Kunshan tasks loaded by `plankit init --with layers/kunshan.json`.
source "$(dirname "$0")/lib.sh"

prop() { pk task show "$1" --format csv | python3 -c 'import csv, sys
print("\n".join(r["value"] for r in csv.DictReader(sys.stdin) if r["property"] == sys.argv[1]))' "$2"; }
ids() { python3 -c 'import csv, sys; print(",".join(r["id"] for r in csv.DictReader(sys.stdin)))'; }

pk init --crs EPSG:4549 --measure-crs EPSG:4549 -q 2>/dev/null
pk layer load "$DATA/squares-4549.geojson" --name squares -q
pk layer load "$DATA/city-4549.geojson" --name city --kind district -q
pk layer load "$DATA/marks-4549.geojson" --name marks -q

# --- CSV: quoted fields with commas, quotes and newlines, lists, links with roles
pk task import "$DATA/tasks-small.csv" 2>"$WORK/err"
expect_eq "CSV import exits 0" 0 $?
expect_grep "CSV import reports what it did" "3 created, 0 updated, 0 unchanged, 4 links" "$WORK/err"
expect_eq "the tasks, in file order" "C-01,C-02,C-03" "$(pk task list --format csv | ids)"
expect_eq "a quoted title with a comma" "青阳港, CBD" "$(prop C-01 title)"
expect_eq "a quoted description with quotes" 'a "quoted" word, and a comma' "$(prop C-01 description)"
expect_eq "a description over two lines" "two
lines" "$(prop C-02 description)"
expect_eq "partners: ';' separated in CSV, a JSON list in the store" '["市住建局","市交通局"]' "$(prop C-01 partners)"
expect_eq "indicators" '[{"name":"产值","target":1000,"unit":"亿元"},{"name":"企业","target":5,"unit":"家"}]' \
    "$(prop C-01 indicators)"
expect_eq "links with roles (by name, code)" "squares:1 A (located-in)
marks:3 Twin (serves)" "$(prop C-01 link)"
expect_eq "a link by code with a role" "squares:2 B (affects)" "$(prop C-02 link)"
expect_eq "links in pk_task_links (SQL)" "C-01|1|1|located-in;C-01|3|3|serves;C-02|1|2|affects;C-03|2|1|located-in" \
    "$(spatialite_sql "SELECT task_id, layer_id, fid, role FROM pk_task_links ORDER BY task_id, layer_id, fid" | paste -sd';')"
nhist=$(spatialite_sql "SELECT count(*) FROM pk_history WHERE object_type='task'")
expect_eq "history: created and links of each task" "C-01:created,links C-02:created,links C-03:created,links" \
    "$(spatialite_sql "SELECT object_id || ':' || group_concat(field) FROM pk_history WHERE object_type='task' GROUP BY object_id ORDER BY object_id" | paste -sd' ')"

# re-import: nothing changes, nothing recorded
pk task import "$DATA/tasks-small.csv" 2>"$WORK/err"
expect_grep "re-import: all unchanged" "0 created, 0 updated, 3 unchanged" "$WORK/err"
expect_eq "re-import records nothing" "$nhist" "$(spatialite_sql "SELECT count(*) FROM pk_history WHERE object_type='task'")"

# upsert: one changed field, one changed link, one new task
sed -e 's/^C-02,养老设施,乙,planned,0/C-02,养老设施,乙,in_progress,30/' -e 's/squares:SQ-B:affects/squares:SQ-A:affects/' \
    "$DATA/tasks-small.csv" >"$WORK/changed.csv"
echo 'C-04,新任务,乙,planned,0,2026,2030,,,,,,' >>"$WORK/changed.csv"
pk task import "$WORK/changed.csv" --user importer 2>"$WORK/err"
expect_grep "upsert: 1 created, 1 updated, 2 unchanged" "1 created, 1 updated, 2 unchanged" "$WORK/err"
expect_eq "C-02 updated" "in_progress 30.0" "$(prop C-02 status) $(prop C-02 progress)"
expect_eq "C-02's link replaced" "squares:1 A (affects)" "$(prop C-02 link)"
expect_eq "the history has the field changes, by the importing user" \
    "importer,task import,status,planned,in_progress;importer,task import,progress,0.0,30.0;importer,task import,links,squares:2 (affects),squares:1 (affects)" \
    "$(pk task history C-02 --format csv | grep ',task import,\(status\|progress\|links\),' | grep -v ',links,,' | cut -d, -f2- | paste -sd';')"

# --- JSON: upsert, links and footprints replaced by the file's
cat >"$WORK/up.json" <<'EOF'
{"tasks": [
  {"id": "C-03", "title": "全市 task", "status": "done", "progress": 100, "citywide": true,
   "links": [{"layer": "city", "feature": "Squareville"}],
   "footprints": [{"geometry": {"type": "Polygon", "coordinates": [[[600000, 3430000], [600500, 3430000],
                   [600500, 3430500], [600000, 3430500], [600000, 3430000]]]}, "label": "quarter", "crs": "EPSG:4549"},
                  {"geometry": {"type": "LineString", "coordinates": [[121.05, 30.99], [121.06, 30.99]]}, "role": "road"}]}
]}
EOF
check "JSON import with footprints" pk task import "$WORK/up.json" -q
expect_eq "citywide set from JSON" 1 "$(prop C-03 citywide)"
expect_eq "two footprints, with label and role" "quarter|site|MULTIPOLYGON;|road|LINESTRING" \
    "$(spatialite_sql "SELECT coalesce(label, ''), role, GeometryType(geom) FROM pk_task_footprints WHERE task_id='C-03' ORDER BY id" | paste -sd';')"
expect_eq "the quarter footprint is 0.25 km² (SQL)" "250000.0" \
    "$(spatialite_sql "SELECT round(ST_Area(geom), 3) FROM pk_task_footprints WHERE label='quarter'")"
expect_eq "the GeoJSON (EPSG:4326) line is reprojected to the store CRS" 1 \
    "$(spatialite_sql "SELECT X(StartPoint(geom)) BETWEEN 600000 AND 610000 FROM pk_task_footprints WHERE role='road'")"
check "import it again" pk task import "$WORK/up.json" -q
expect_eq "footprints replaced, not added" 2 "$(spatialite_sql "SELECT count(*) FROM pk_task_footprints WHERE task_id='C-03'")"

# --- errors: one line, non-zero exit, nothing imported
expect_fail_unchanged "a stray comma: the line is named (after a two-line field)" "tasks-bad-row.csv' line 5: expected 4 fields, found 5" \
    pk task import "$DATA/tasks-bad-row.csv"
expect_fail_unchanged "an unbalanced quote: the line is named" "tasks-bad-quote.csv' line 3" pk task import "$DATA/tasks-bad-quote.csv"
expect_fail_unchanged "an invalid status: the line is named" "line 3: task 'S-02': invalid status 'finished'" \
    pk task import "$DATA/tasks-bad-status.csv"
expect_fail_unchanged "duplicate ids in a CSV file" "duplicate id 'D-01' (line 2 and line 4)" pk task import "$DATA/tasks-dup-ids.csv"
expect_fail_unchanged "duplicate ids in a JSON file" "duplicate id 'J-01' (task 1 (J-01) and task 3 (J-01))" \
    pk task import "$DATA/tasks-dup-ids.json"
expect_fail_unchanged "an unknown column" "unknown column 'colour'" pk task import "$DATA/tasks-unknown-column.csv"
expect_fail_unchanged "quotes and SQL in an id" "line 3: invalid task id 'x'; DROP TABLE pk_tasks;--'" \
    pk task import "$DATA/tasks-bad-id.csv"
expect_fail_unchanged "a link to an unknown feature (quotes and SQL in it)" "task 2 (L-02): no feature 'x' OR 1=1--' in layer 'squares'" \
    pk task import "$DATA/tasks-bad-link.json"
expect_fail_unchanged "a link to an ambiguous name lists both features" "feature 'Twin' matches 2 features of layer 'marks': fid 2 (TW-1), fid 3 (TW-2)" \
    pk task import "$DATA/tasks-ambiguous-link.json"
expect_fail_unchanged "a footprint outside the CRS bounds" "task 2 (F-02) footprint 2: .*outside the CRS's bounds" \
    pk task import "$DATA/tasks-bad-footprint.json"
echo '[{"id": "X-1", "title": "x"' >"$WORK/broken.json"
expect_fail_unchanged "invalid JSON" "invalid JSON" pk task import "$WORK/broken.json"
echo '{"tasks": [{"id": "X-1", "title": "x", "progress": "lots"}]}' >"$WORK/type.json"
expect_fail_unchanged "a JSON field of the wrong type" "task 1 (X-1): \"progress\" must be a double" pk task import "$WORK/type.json"
echo 'id,title' >"$WORK/empty.csv"
expect_fail_unchanged "a file without tasks" "no tasks in the file" pk task import "$WORK/empty.csv"
expect_fail_unchanged "a missing file" "file not found" pk task import "$WORK/missing.csv"
expect_eq "none of the tasks before the bad rows was imported" 0 \
    "$(spatialite_sql "SELECT count(*) FROM pk_tasks WHERE id IN ('B-01','B-02','S-01','D-01','J-01','L-01','F-01','OK-1')")"

# --- the Kunshan plan: 91 tasks with init --with
s=$WORK/kunshan.sqlite
pk -s "$s" init --with "$LAYERS/kunshan.json" -q
ks() { sqlite3 -batch -noheader "$s" "$1"; }
expect_eq "91 tasks" 91 "$(ks "SELECT count(*) FROM pk_tasks")"
expect_eq "per pillar (layers/TASKS.md)" "品质之城:29 实施保障:4 幸福之城:19 开放之城:16 智造之城:23" \
    "$(ks "SELECT classification || ':' || count(*) FROM pk_tasks GROUP BY classification ORDER BY classification" | paste -sd' ')"
expect_eq "73 city-wide, 18 tied to places" "0:18 1:73" "$(ks "SELECT citywide || ':' || count(*) FROM pk_tasks GROUP BY citywide" | paste -sd' ')"
expect_eq "statuses" "done:4 in_progress:20 planned:67" "$(ks "SELECT status || ':' || count(*) FROM pk_tasks GROUP BY status ORDER BY status" | paste -sd' ')"
expect_eq "the 4 pillars and section 八 are classifications" "智造之城,开放之城,品质之城,幸福之城,实施保障" \
    "$(ks "SELECT group_concat(name) FROM (SELECT name FROM pk_classifications ORDER BY rowid)")"
expect_eq "every link of the file is in the store" \
    "$(python3 -c 'import json, sys; print(sum(len(t["links"]) for t in json.load(open(sys.argv[1]))["tasks"]))' "$LAYERS/kunshan-tasks.json")" \
    "$(ks "SELECT count(*) FROM pk_task_links")"
expect_eq "every city-wide task is linked to city:KS" 73 \
    "$(ks "SELECT count(*) FROM pk_tasks t JOIN pk_task_links k ON k.task_id = t.id JOIN pk_layers l ON l.id = k.layer_id
          WHERE t.citywide = 1 AND l.name = 'city' AND k.fid = 1")"
expect_eq "places linked by name: PZ-25 -> 昆山奥体中心" "昆山奥体中心" \
    "$(ks "SELECT p.name FROM pk_task_links k JOIN pk_layers l ON l.id = k.layer_id JOIN $(ks "SELECT table_name FROM pk_layers WHERE name='places'") p ON p.fid = k.fid WHERE k.task_id = 'PZ-25'")"
expect_eq "fields kept: PZ-18's indicator" '[{"name":"绿色低碳产业规模","target":1000,"unit":"亿元"}]' \
    "$(ks "SELECT indicators FROM pk_tasks WHERE id = 'PZ-18'")"
nh=$(ks "SELECT count(*) FROM pk_history WHERE object_type='task'")
pk -s "$s" task import "$LAYERS/kunshan-tasks.json" 2>"$WORK/err"
expect_grep "re-importing the plan: 91 unchanged" "0 created, 0 updated, 91 unchanged" "$WORK/err"
expect_eq "... and no history" "$nh" "$(ks "SELECT count(*) FROM pk_history WHERE object_type='task'")"
finish
