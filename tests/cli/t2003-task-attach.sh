#!/usr/bin/env bash
# plankit task attach/detach: links to features by name, code or id with a
# role; footprints from WKT, GeoJSON or a file in any CRS; every feature of a
# layer overlapping another; detaching; the history of it all; and the errors
# (unknown task or feature, ambiguous names, invalid or out-of-bounds
# geometry, quotes and SQL in names) with the store left byte-for-byte as it was.
source "$(dirname "$0")/lib.sh"

links() { spatialite_sql "SELECT l.name || ':' || k.fid || ':' || k.role FROM pk_task_links k JOIN pk_layers l ON l.id = k.layer_id
                          WHERE k.task_id = '$1' ORDER BY l.id, k.fid, k.role" | paste -sd' '; }
fp() { spatialite_sql "SELECT $2 FROM pk_task_footprints WHERE task_id = '$1' ORDER BY id" | paste -sd' '; }

pk init --crs EPSG:4549 --measure-crs EPSG:4549 -q 2>/dev/null
pk layer load "$DATA/squares-4549.geojson" --name squares -q
pk layer load "$DATA/city-4549.geojson" --name city --kind district -q
pk layer load "$DATA/marks-4549.geojson" --name marks -q
pk task add T1 --title "one" -q
pk task add T2 --title "two" -q

# --- links by name, code and id, with roles
check "attach by name" pk task attach T1 --to squares:A -q
check "attach by code, role serves" pk task attach T1 --to squares:SQ-B --role serves -q
check "attach by id" pk task attach T1 --to marks:1 -q
check "attach by a name with quotes and CJK" pk task attach T1 --to "marks:O'Brien \"Q\" 桥" --role affects -q
expect_eq "the links" "squares:1:located-in squares:2:serves marks:1:located-in marks:4:affects" "$(links T1)"
pk task attach T1 --to squares:A 2>"$WORK/err"
expect_grep "attaching the same link again adds nothing" "0 link(s) added" "$WORK/err"
expect_eq "... and keeps one link" "squares:1:located-in squares:2:serves marks:1:located-in marks:4:affects" "$(links T1)"
check "the same feature with another role is another link" pk task attach T1 --to squares:A --role affects -q
expect_eq "history of the links" "link:squares:1 (located-in) link:squares:2 (serves) link:marks:1 (located-in) link:marks:4 (affects) link:squares:1 (affects)" \
    "$(pk task history T1 --format csv | python3 -c 'import csv, sys
print(" ".join(r["field"] + ":" + r["new"] for r in csv.DictReader(sys.stdin) if r["command"] == "task attach"))')"

# --- every feature of a layer overlapping another feature
check "attach --where squares --intersecting city:SV" pk task attach T2 --where squares --intersecting city:SV --role located-in -q
expect_eq "both squares overlap the city" "squares:1:located-in squares:2:located-in" "$(links T2)"
pk task add T3 --title three -q
check "attach --where squares --intersecting marks:TW-1 (a point in B)" pk task attach T3 --where squares --intersecting marks:TW-1 -q
expect_eq "only B contains it" "squares:2:located-in" "$(links T3)"
pk task add T4 --title four -q
check "attach --where city --intersecting squares:A" pk task attach T4 --where city --intersecting squares:A -q
expect_eq "the city contains A" "city:1:located-in" "$(links T4)"
pk task add T6 --title six -q
check "attach --where squares --intersecting squares:A" pk task attach T6 --where squares --intersecting squares:A -q
expect_eq "A itself, not B which only shares a border with it" "squares:1:located-in" "$(links T6)"
pk task add T5 --title five -q
pk task attach T5 --where squares --intersecting marks:M-FAR 2>"$WORK/err"
expect_grep "nothing overlaps the far point: 0 links" "0 link(s) added" "$WORK/err"

# --- footprints: WKT in the store CRS or --s_srs, GeoJSON in EPSG:4326, files
check "WKT footprint in the store CRS, with a label" \
    pk task attach T2 --geom "POLYGON((600000 3430000,600500 3430000,600500 3430500,600000 3430500,600000 3430000))" --label 四分之一 -q
expect_eq "stored as given, with its label and the default role" "250000.0|四分之一|site" \
    "$(spatialite_sql "SELECT round(ST_Area(geom), 3) || '|' || label || '|' || role FROM pk_task_footprints WHERE task_id='T2'")"
check "WKT with --s_srs EPSG:4326" pk task attach T3 --geom "POINT(121.05 30.99)" --s_srs EPSG:4326 --role gate -q
expect_eq "reprojected to EPSG:4549 (SQL)" \
    "$(sqlite3 -batch -noheader :memory: ".load mod_spatialite" "SELECT InitSpatialMetadata(1)" "SELECT printf('%.3f %.3f', X(p), Y(p)) FROM (SELECT Transform(MakePoint(121.05, 30.99, 4326), 4549) AS p)" | tail -1)" \
    "$(fp T3 "printf('%.3f %.3f', X(geom), Y(geom))")"
check "a GeoJSON geometry (EPSG:4326)" pk task attach T3 --geom '{"type":"LineString","coordinates":[[121.05,30.99],[121.06,30.99]]}' -q
expect_eq "T3 has a point and a line" "POINT LINESTRING" "$(fp T3 "GeometryType(geom)")"
check "a file in its own CRS (all its features)" pk task attach T4 --geom "$DATA/squares-4549.geojson" -q
expect_eq "two footprints from the file, in place" "1000000.0 1000000.0" "$(fp T4 "round(ST_Area(geom), 3)")"
cat >"$WORK/bowtie.wkt" <<'EOF'
POLYGON((600000 3430000,601000 3431000,601000 3430000,600000 3431000,600000 3430000))
EOF
pk task attach T5 --geom "$(cat "$WORK/bowtie.wkt")" 2>"$WORK/err"
expect_eq "an invalid polygon is repaired (two triangles, same area)" "MULTIPOLYGON 500000.0" "$(fp T5 "GeometryType(geom) || ' ' || round(ST_Area(geom), 3)")"
expect_grep "... with a warning" "repaired" "$WORK/err"
expect_eq "history of the footprints" "footprint:footprint #1" \
    "$(pk task history T2 --format csv | python3 -c 'import csv, sys
print(" ".join(r["field"] + ":" + r["new"] for r in csv.DictReader(sys.stdin) if r["field"] == "footprint"))')"
check "show lists links and footprints" pk task show T2
expect_grep "show: the footprint" "footprint.*#1 MULTIPOLYGON 四分之一 (site)" "$WORK/.out"
expect_grep "show: the link with the feature's name" "link.*squares:1 A (located-in)" "$WORK/.out"

# --- errors: one line, non-zero exit, store unchanged
expect_fail_unchanged "attach to an unknown task" "no task 'NOPE'" pk task attach NOPE --to squares:A
expect_fail_unchanged "attach an unknown feature" "no feature 'Z' in layer 'squares'" pk task attach T1 --to squares:Z
expect_fail_unchanged "attach to an unknown layer" "squaresX" pk task attach T1 --to squaresX:A
expect_fail_unchanged "not LAYER:FEATURE" "is not LAYER:FEATURE" pk task attach T1 --to squares
expect_fail_unchanged "a name two features have: both listed with their ids" \
    "feature 'Twin' matches 2 features of layer 'marks': fid 2 (TW-1), fid 3 (TW-2)" pk task attach T1 --to marks:Twin
expect_fail_unchanged "invalid WKT" "neither a file, WKT nor a GeoJSON geometry" pk task attach T1 --geom "POLYGON((1 2, 3"
expect_fail_unchanged "invalid GeoJSON" "invalid GeoJSON geometry" pk task attach T1 --geom '{"type":"Polygon","coordinates":[[1,2]'
expect_fail_unchanged "a footprint outside the CRS bounds" "outside the CRS's bounds" \
    pk task attach T1 --geom "POINT(500 100)" --s_srs EPSG:4326
expect_fail_unchanged "a footprint far outside the store CRS's area" "outside the area of use of EPSG:4549" \
    pk task attach T1 --geom "POINT(-80 40)" --s_srs EPSG:4326
expect_fail_unchanged "an unknown --s_srs" "EPSG:999999" pk task attach T1 --geom "POINT(1 2)" --s_srs EPSG:999999
expect_fail_unchanged "a file with one bad feature: nothing attached" "bounds" pk task attach T1 --geom "$DATA/marks-4549.geojson" --s_srs EPSG:4326
expect_fail_unchanged "quotes and SQL in a feature" "no feature 'x' OR 1=1--' in layer 'squares'" \
    pk task attach T1 --to "squares:x' OR 1=1--"
expect_fail_unchanged "quotes and SQL in a layer name" "x' OR 1=1--" pk task attach T1 --to "x' OR 1=1--:A"
expect_fail_unchanged "quotes and SQL in a task id" "no task 'x'; DROP TABLE pk_tasks;--'" \
    pk task attach "x'; DROP TABLE pk_tasks;--" --to squares:A
expect_fail_unchanged "--to and --geom together" "exactly one of" pk task attach T1 --to squares:A --geom "POINT(600000 3430000)"
expect_fail_unchanged "--where without --intersecting" "exactly one of\|go together" pk task attach T1 --where squares
expect_fail_unchanged "--intersecting an ambiguous name" "matches 2 features" pk task attach T1 --where squares --intersecting marks:Twin

# --- detach
check "detach one link" pk task detach T1 --from squares:SQ-B -q
expect_eq "the link is gone" "squares:1:affects squares:1:located-in marks:1:located-in marks:4:affects" "$(links T1)"
check "detach both roles of A" pk task detach T1 --from squares:A -q
expect_eq "both gone" "marks:1:located-in marks:4:affects" "$(links T1)"
fid=$(spatialite_sql "SELECT min(id) FROM pk_task_footprints WHERE task_id='T4'")
check "detach one footprint" pk task detach T4 --footprint "$fid" -q
expect_eq "one footprint left" 1 "$(spatialite_sql "SELECT count(*) FROM pk_task_footprints WHERE task_id='T4'")"
check "detach everything" pk task detach T4 --all -q
expect_eq "no link and no footprint left" "0 0" \
    "$(spatialite_sql "SELECT (SELECT count(*) FROM pk_task_links WHERE task_id='T4') || ' ' || (SELECT count(*) FROM pk_task_footprints WHERE task_id='T4')")"
expect_eq "history of the detachments" "link:squares:2: link:squares:1:" \
    "$(pk task history T1 --format csv | python3 -c 'import csv, sys
print(" ".join(r["field"] + ":" + r["old"] + ":" + r["new"] for r in csv.DictReader(sys.stdin) if r["command"] == "task detach"))')"
expect_fail_unchanged "detach a link that is not there" "has no such link" pk task detach T1 --from squares:A
expect_fail_unchanged "detach from an unknown task" "no task 'NOPE'" pk task detach NOPE --all
expect_fail_unchanged "detach with nothing to detach" "exactly one of" pk task detach T1
check "the store passes check" pk check
finish
