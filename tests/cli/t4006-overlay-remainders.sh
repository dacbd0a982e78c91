#!/usr/bin/env bash
# The remainders of identity, erase and union (a feature minus the pieces the
# other layer took from it) and clip's unions: skipped without GEOS only when the
# other layer is made of rectangles that do not overlap and its pieces make up
# the whole feature; a layer of overlapping rectangles still gets its
# remainder computed. Areas are checked against SpatiaLite.
source "$(dirname "$0")/lib.sh"

pk init -q
box() { # name x0 y0 x1 y1 -> a GeoJSON feature
    printf '{"type":"Feature","properties":{"name":"%s"},"geometry":{"type":"Polygon","coordinates":[[[%s,%s],[%s,%s],[%s,%s],[%s,%s],[%s,%s]]]}}' \
        "$1" "$2" "$3" "$4" "$3" "$4" "$5" "$2" "$5" "$2" "$3"; }
collection() { printf '{"type":"FeatureCollection","features":[%s]}' "$(IFS=,; echo "$*")"; }
collection "$(box field 121.00 31.00 121.10 31.10)" >"$WORK/a.geojson"
# a 2 x 2 grid over the field and beyond: disjoint rectangles covering it all
collection "$(box c00 120.95 30.95 121.05 31.05)" "$(box c10 121.05 30.95 121.15 31.05)" \
           "$(box c01 120.95 31.05 121.05 31.15)" "$(box c11 121.05 31.05 121.15 31.15)" >"$WORK/grid.geojson"
# two copies of one rectangle over the left 60 %: together "140 %" of the field by area sums
collection "$(box left1 120.99 30.99 121.06 31.11)" "$(box left2 120.99 30.99 121.06 31.11)" >"$WORK/twice.geojson"
pk layer load "$WORK/a.geojson" --name field -q
pk layer load "$WORK/grid.geojson" --name grid -q
pk layer load "$WORK/twice.geojson" --name twice -q
table_of() { sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='$1'"; }
mcrs=$(sqlite3 "$PLANKIT_STORE" "SELECT value FROM pk_meta WHERE key='measure_crs'")
m2() { echo "ST_Area(ST_Transform(ST_Segmentize($1, 0.0005), $mcrs))"; } # along the curved edges
field=$(spatialite_sql "SELECT $(m2 geom) FROM $(table_of field)")

check "identity field grid" pk overlay identity field grid -o by_grid -q
t=$(table_of by_grid)
expect_eq "the grid covers the field: four pieces, no remainder" "4 0" \
    "$(spatialite_sql "SELECT count(*), sum(b_fid IS NULL) FROM $t" | tr '|' ' ')"
expect_near "the pieces add up to the field" "$field" "$(spatialite_sql "SELECT sum(area_m2) FROM $t")" 1e-9

check "identity field twice" pk overlay identity field twice -o by_twice -q
t=$(table_of by_twice)
expect_eq "overlapping rectangles: two pieces and the remainder" "3 1" \
    "$(spatialite_sql "SELECT count(*), sum(b_fid IS NULL) FROM $t" | tr '|' ' ')"
expect_near "the remainder is the right 40 % of the field" \
    "$(spatialite_sql "SELECT $(m2 "ST_Difference(f.geom, t.geom)") FROM $(table_of field) f, $(table_of twice) t
                      WHERE t.fid = 1")" \
    "$(spatialite_sql "SELECT area_m2 FROM $t WHERE b_fid IS NULL")" 1e-6
check "erase field twice" pk overlay erase field twice -o erased -q
expect_eq "erase keeps the remainder" 1 "$(spatialite_sql "SELECT count(*) FROM $(table_of erased)")"

# clip: the union of the pieces, which is the field itself under the grid
check "clip field grid" pk overlay clip field grid -o clipped -q
expect_eq "clip by a covering grid is the field" 1 \
    "$(spatialite_sql "SELECT ST_Equals(c.geom, f.geom) FROM $(table_of clipped) c, $(table_of field) f")"
check "clip field twice" pk overlay clip field twice -o clipped2 -q
expect_near "clip by overlapping rectangles is their union's share (60 %)" \
    "$(spatialite_sql "SELECT $(m2 "ST_Intersection(f.geom, t.geom)") FROM $(table_of field) f, $(table_of twice) t
                      WHERE t.fid = 1")" \
    "$(spatialite_sql "SELECT area_m2 FROM $(table_of clipped2)")" 1e-6

# union the other way round: B's remainders when A's rectangles overlap
check "union twice field" pk overlay union twice field -o uni -q
t=$(table_of uni)
expect_eq "union: two pieces, two rests of the rectangles, the field's rest" "5" \
    "$(spatialite_sql "SELECT count(*) FROM $t")"
expect_eq "the field keeps its remainder in the union" 1 \
    "$(spatialite_sql "SELECT count(*) FROM $t WHERE a_fid IS NULL AND b_fid = 1")"
check "union grid field" pk overlay union grid field -o uni_grid -q
expect_eq "disjoint grid: the field has no remainder" 0 \
    "$(spatialite_sql "SELECT count(*) FROM $(table_of uni_grid) WHERE a_fid IS NULL")"
finish
