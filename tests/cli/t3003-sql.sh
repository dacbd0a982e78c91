#!/usr/bin/env bash
# plankit sql: one read-only statement with SpatiaLite's functions, answers as
# the SpatiaLite shell gives them; every statement that would write (DELETE,
# DROP, INSERT, UPDATE, ATTACH, PRAGMA x=y, writing SpatiaLite functions, two
# statements at once) refused with one error line and the store unchanged.
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q
towns=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='towns'")
csv() { pk sql "$1" --format csv | tail -n +2; }

# --- reads: plain SQL, SpatiaLite functions, the R*Tree index, pragmas
expect_eq "count the tasks" 91 "$(csv "SELECT count(*) FROM pk_tasks")"
expect_eq "the same rows as the SpatiaLite shell" \
    "$(spatialite_sql "SELECT id || ',' || status FROM pk_tasks WHERE classification = '品质之城' ORDER BY id")" \
    "$(csv "SELECT id, status FROM pk_tasks WHERE classification = '品质之城' ORDER BY id")"
expect_eq "SpatiaLite functions: town areas in EPSG:4549" \
    "$(spatialite_sql "SELECT printf('%.3f', ST_Area(ST_Transform(geom, 4549)) / 1e6) FROM $towns ORDER BY fid")" \
    "$(csv "SELECT printf('%.3f', ST_Area(ST_Transform(geom, 4549)) / 1e6) FROM $towns ORDER BY fid")"
expect_eq "a query through the SpatialIndex virtual table" \
    "$(spatialite_sql "SELECT group_concat(fid, ' ') FROM (SELECT fid FROM $towns WHERE ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = '$towns' AND search_frame = BuildMbr(120.95, 31.35, 121.0, 31.40, 4326)) ORDER BY fid)")" \
    "$(csv "SELECT group_concat(fid, ' ') FROM (SELECT fid FROM $towns WHERE ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = '$towns' AND search_frame = BuildMbr(120.95, 31.35, 121.0, 31.40, 4326)) ORDER BY fid)")"
expect_eq "a join of tasks, links and layers" 73 \
    "$(csv "SELECT count(*) FROM pk_task_links k JOIN pk_layers l ON l.id = k.layer_id WHERE l.name = 'city'")"
expect_eq "reading a pragma (the schema version)" 4 "$(csv "PRAGMA user_version")"
expect_eq "PRAGMA table_info(t) only reads" "id,title" "$(csv "PRAGMA table_info(pk_tasks)" | cut -d, -f2 | head -2 | paste -sd,)"
expect_eq "pragma_table_info() as a table" "id,title" "$(csv "SELECT name FROM pragma_table_info('pk_tasks') LIMIT 2" | paste -sd,)"
expect_eq "a trailing ';' and comment are fine" 91 "$(csv "SELECT count(*) FROM pk_tasks; -- done")"
expect_eq "quotes in a literal are data" 0 "$(csv "SELECT count(*) FROM pk_tasks WHERE id = 'x'' OR 1=1--'")"
expect_eq "geometries print as WKT" '"MULTIPOLYGON (((' "$(csv "SELECT geom FROM $towns LIMIT 1" | cut -c1-17)"
expect_eq "other blobs are summarised" "<blob 3 bytes>" "$(csv "SELECT x'010203'")"
pk sql "SELECT id, title FROM pk_tasks WHERE id LIKE 'PZ-0%' ORDER BY id" --format json >"$WORK/out.json"
expect_eq "JSON output parses" "9 PZ-01 加快推进青阳港中央商务区建设" \
    "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d), d[0]["id"], d[0]["title"])' "$WORK/out.json")"
expect_eq "no rows: just the header" "id" "$(pk sql "SELECT id FROM pk_tasks WHERE 0" --format csv)"

# --- writes: refused, nothing changed
for stmt in "DELETE FROM pk_tasks" "DROP TABLE pk_tasks" "INSERT INTO pk_tasks(id, title) VALUES('X', 'x')" \
    "UPDATE pk_tasks SET status = 'done'" "ATTACH DATABASE '$WORK/other.sqlite' AS other" \
    "PRAGMA user_version = 7" "PRAGMA journal_mode = DELETE" "PRAGMA writable_schema = 1" "PRAGMA query_only = 0" \
    "SELECT DropGeoTable('$towns')" "SELECT DropTable(NULL, '$towns')" "SELECT DiscardGeometryColumn('$towns', 'geom')" \
    "SELECT DisableSpatialIndex('$towns', 'geom')" "SELECT CreateSpatialIndex('$towns', 'geom')" \
    "SELECT RenameTable('main', '$towns', 'x')" "SELECT UpdateLayerStatistics()" "SELECT InitSpatialMetadata(1)" \
    "SELECT load_extension('mod_spatialite')" "CREATE TABLE t(x)" "CREATE TEMP TABLE t(x)" \
    "CREATE VIRTUAL TABLE v USING SpatialIndex()" "CREATE INDEX i ON pk_tasks(title)" "VACUUM" "REINDEX" "ANALYZE" \
    "WITH x AS (SELECT 1) DELETE FROM pk_tasks" "REPLACE INTO pk_meta(key, value) VALUES('crs', '4490')" \
    "BEGIN" "DETACH DATABASE main"; do
    expect_fail_unchanged "refused: $stmt" "sql: only read-only statements are allowed" pk sql "$stmt"
done
expect_fail_unchanged "refused: UPDATE sqlite_master" "sql: .*sqlite_master" pk sql "UPDATE sqlite_master SET sql = ''"
expect_fail_unchanged "refused: a read followed by a write" "one statement at a time" pk sql "SELECT 1; DELETE FROM pk_tasks"
expect_fail_unchanged "refused: two reads" "one statement at a time" pk sql "SELECT 1; SELECT 2"
expect_fail_unchanged "a syntax error" "sql: .*syntax error" pk sql "SELEC 1"
expect_fail_unchanged "an unknown table" "no such table: nope" pk sql "SELECT * FROM nope"
expect_fail_unchanged "no statement" "no statement" pk sql "  "
expect_eq "the tasks are all there" 91 "$(spatialite_sql "SELECT count(*) FROM pk_tasks")"
expect_eq "no other database was created" "" "$(ls "$WORK/other.sqlite" 2>/dev/null)"
check "the store passes check" pk check
finish
