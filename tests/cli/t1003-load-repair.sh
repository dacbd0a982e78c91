#!/usr/bin/env bash
# Invalid geometries are repaired and reported, never an error and never
# silently dropped: a bow-tie becomes two valid triangles of total area 0.5;
# degenerate rings are removed; collapsed, null and NaN-point geometries are
# kept without geometry and reported as 'empty'.
source "$(dirname "$0")/lib.sh"

csv_value() { awk -F, -v k="$2" '$1 == k {print $2}' "$1"; }

pk init -q --measure-crs EPSG:4549
cat >"$WORK/repair.geojson" <<'EOF'
{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"bowtie"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}},
{"type":"Feature","properties":{"name":"hole3"},"geometry":{"type":"Polygon","coordinates":[[[2,0],[3,0],[3,1],[2,1],[2,0]],[[2.2,0.2],[2.4,0.2],[2.2,0.2]]]}},
{"type":"Feature","properties":{"name":"flat"},"geometry":{"type":"Polygon","coordinates":[[[4,0],[5,0],[6,0],[4,0]]]}},
{"type":"Feature","properties":{"name":"nanpoint"},"geometry":{"type":"Point","coordinates":[NaN,NaN]}},
{"type":"Feature","properties":{"name":"nullgeom"},"geometry":null},
{"type":"Feature","properties":{"name":"square"},"geometry":{"type":"Polygon","coordinates":[[[9,0],[10,0],[10,1],[9,1],[9,0]]]}},
{"type":"Feature","properties":{"name":"twice"},"geometry":{"type":"MultiPolygon","coordinates":[[[[11,0],[12,0],[12,1],[11,1],[11,0]]],[[[11,0],[12,0],[12,1],[11,1],[11,0]]]]}}
]}
EOF
pk layer load "$WORK/repair.geojson" --name repair >"$WORK/out" 2>"$WORK/err"
expect_eq "invalid geometries are not an error" 0 $?
expect_eq "load prints nothing on stdout" "" "$(cat "$WORK/out")"
expect_grep "the load summary counts the repairs" "7 features loaded from '.*repair.geojson', 3 repaired, 3 without geometry" "$WORK/err"
expect_grep "each repair is a warning naming the feature" "warning: layer 'repair' feature 1 (bowtie): repaired: Self-intersection" "$WORK/err"
expect_grep "... numbered as the store numbers it (fid 7, as layer issues and repair:7 say)" \
    "warning: layer 'repair' feature 7 (twice): repaired" "$WORK/err"
T=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='repair'")
expect_eq "every feature is stored" 7 "$(spatialite_sql "SELECT count(*) FROM $T")"

pk layer issues repair --format csv >"$WORK/issues.csv"
expect_eq "the header of layer issues" "fid,source_fid,name,issue,detail" "$(head -1 "$WORK/issues.csv")"
expect_grep "the bow-tie is reported as repaired, with where" '^1,0,bowtie,repaired,Self-intersection at (0.500000 0.500000)$' "$WORK/issues.csv"
expect_grep "the 3-point hole is reported as removed" '^2,1,hole3,repaired,1 degenerate ring(s) or line(s) removed$' "$WORK/issues.csv"
expect_grep "the collapsed polygon is reported as empty" '^3,2,flat,empty,' "$WORK/issues.csv"
expect_grep "the NaN point is reported as empty" '^4,3,nanpoint,empty,' "$WORK/issues.csv"
expect_grep "the null geometry is reported as empty" '^5,4,nullgeom,empty,' "$WORK/issues.csv"
expect_grep "the doubled polygon is reported as repaired" '^7,6,twice,repaired,' "$WORK/issues.csv"
if grep -q ',square,' "$WORK/issues.csv"; then not_ok "a valid polygon is not reported"; else ok "a valid polygon is not reported"; fi
pk layer info repair --format csv >"$WORK/info.csv"
expect_eq "info: repaired_features" 3 "$(csv_value "$WORK/info.csv" repaired_features)"
expect_eq "info: empty_features" 3 "$(csv_value "$WORK/info.csv" empty_features)"

# the geometries, checked with SpatiaLite
geom() { spatialite_sql "SELECT $2 FROM $T WHERE name = '$1'"; }
expect_eq "the repaired bow-tie is valid" 1 "$(geom bowtie 'ST_IsValid(geom)')"
expect_eq "the repaired bow-tie is two triangles" "MULTIPOLYGON 2" "$(geom bowtie "GeometryType(geom) || ' ' || ST_NumGeometries(geom)")"
expect_near "the repaired bow-tie has area 0.5 (MakeValid keeps both halves)" 0.5 "$(geom bowtie 'ST_Area(geom)')" 1e-9
expect_eq "the triangles meet at the crossing" 1 "$(geom bowtie 'ST_Intersects(geom, MakePoint(0.5, 0.5, 4326))')"
expect_near "the square without its degenerate hole has area 1" 1 "$(geom hole3 'ST_Area(geom)')" 1e-9
expect_eq "... and no hole" 0 "$(geom hole3 'NumInteriorRings(ST_GeometryN(geom, 1))')"
expect_eq "collapsed: no geometry" 1 "$(geom flat 'geom IS NULL')"
expect_eq "NaN point: no geometry" 1 "$(geom nanpoint 'geom IS NULL')"
expect_near "a polygon given twice is one unit square" 1 "$(geom twice 'ST_Area(geom)')" 1e-9
expect_eq "a valid polygon is unchanged" "MULTIPOLYGON(((9 0, 10 0, 10 1, 9 1, 9 0)))" "$(geom square 'AsText(geom)')"
expect_eq "every stored geometry is valid" 0 "$(spatialite_sql "SELECT count(*) FROM $T WHERE geom IS NOT NULL AND ST_IsValid(geom) <> 1")"
check "the store passes check" pk check

# --repair-method structure: also valid
pk layer load "$WORK/repair.geojson" --name structure --repair-method structure -q
S=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='structure'")
expect_eq "structure: every stored geometry is valid" 0 "$(spatialite_sql "SELECT count(*) FROM $S WHERE geom IS NOT NULL AND ST_IsValid(geom) <> 1")"
expect_eq "structure: 7 features" 7 "$(spatialite_sql "SELECT count(*) FROM $S")"

# the repair does not depend on the number of threads
PLANKIT_THREADS=1 pk layer load "$WORK/repair.geojson" --name one_thread -q
O=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='one_thread'")
expect_eq "one thread stores the same geometries" 7 \
    "$(spatialite_sql "SELECT count(*) FROM $T a JOIN $O b USING(fid) WHERE a.geom IS b.geom AND a.name = b.name")"

finish
