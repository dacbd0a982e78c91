#!/usr/bin/env bash
# plankit overlay of real county polygons (Kunshan and its 25 neighbours) with
# a regular grid: the intersection partitions the counties exactly, cells a
# county covers need no intersection, the output is the same whatever the
# thread count, and files are written whole.
source "$(dirname "$0")/lib.sh"

pk init --measure-crs EPSG:4549 -q
pk layer load "$SHARED_DIR/data/kunshan-region.geojson" --name counties -q || { not_ok "load region"; finish; exit 1; }
python3 - >"$WORK/grid.geojson" <<'PY'
import json, math
feats = []
step = 0.05
x0, y0 = 119.90, 30.55
for i in range(math.ceil((122.05 - x0) / step)):
    for j in range(math.ceil((31.90 - y0) / step)):
        x, y = x0 + i * step, y0 + j * step
        ring = [[round(x, 6), round(y, 6)], [round(x + step, 6), round(y, 6)], [round(x + step, 6), round(y + step, 6)],
                [round(x, 6), round(y + step, 6)], [round(x, 6), round(y, 6)]]
        feats.append({"type": "Feature", "properties": {"cell": "%d_%d" % (i, j)},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
print(json.dumps({"type": "FeatureCollection", "features": feats}))
PY
pk layer load "$WORK/grid.geojson" --name grid -q
table_of() { sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='$1'"; }
# areas straight from SpatiaLite, planar in the metric CRS
metric_area() { spatialite_sql "SELECT sum(ST_Area(ST_Transform(geom, 4549))) FROM $(table_of "$1")"; }
counties=$(metric_area counties)

pk overlay intersection counties grid -o pieces1 --threads 1 2>"$WORK/err1"
expect_eq "overlay with 1 thread" 0 $?
pk overlay intersection counties grid -o pieces2 --threads 2 2>"$WORK/err2"
expect_grep "some cells lie wholly in a county (no intersection computed)" "[1-9][0-9]* without intersection needed" "$WORK/err2"
t1=$(table_of pieces1); t2=$(table_of pieces2)
expect_near "the pieces add up to the counties" "$counties" "$(spatialite_sql "SELECT sum(area_m2) FROM $t1")" 1e-6
expect_eq "all pieces valid" "$(spatialite_sql "SELECT count(*) FROM $t1")" "$(spatialite_sql "SELECT sum(ST_IsValid(geom)) FROM $t1")"
d1=$(spatialite_sql "SELECT group_concat(a_fid || ':' || b_fid || ':' || printf('%.6f', area_m2) || ':' || AsText(geom), ';') FROM (SELECT * FROM $t1 ORDER BY fid)" | sha256sum)
d2=$(spatialite_sql "SELECT group_concat(a_fid || ':' || b_fid || ':' || printf('%.6f', area_m2) || ':' || AsText(geom), ';') FROM (SELECT * FROM $t2 ORDER BY fid)" | sha256sum)
expect_eq "same pieces in the same order with 1 and 2 threads" "$d1" "$d2"
# every county's pieces add up to the county
spatialite_sql "SELECT c.fid, ST_Area(ST_Transform(c.geom, 4549)), (SELECT sum(area_m2) FROM $t1 p WHERE p.a_fid=c.fid)
                FROM $(table_of counties) c" | tr '|' ' ' >"$WORK/per"
bad=$(awk '{ d = ($3 - $2) / $2; if (d < 0) d = -d; if (d > 1e-6) n++ } END { print n + 0 }' "$WORK/per")
expect_eq "each county = the sum of its pieces (1e-6)" 0 "$bad"

# identity partitions too; union adds the grid outside the counties
pk overlay identity counties grid -o ident -q
expect_near "identity partitions the counties" "$counties" "$(spatialite_sql "SELECT sum(area_m2) FROM $(table_of ident)")" 1e-6
grid=$(metric_area grid)
pk overlay union counties grid -o uni -q
# the county polygons overlap each other a little (quantized borders): union
# keeps each county's piece, so the overlaps count twice
dissolved=$(spatialite_sql "SELECT ST_Area(ST_Union(ST_Transform(geom, 4549))) FROM $(table_of counties)")
expect_near "union = grid + county overlaps" "$(awk -v g="$grid" -v c="$counties" -v d="$dissolved" 'BEGIN{printf "%.3f", g + c - d}')" \
    "$(spatialite_sql "SELECT sum(area_m2) FROM $(table_of uni)")" 1e-6

# files: GeoPackage and GeoJSON written whole, nothing left behind
pk overlay intersection counties grid -o "$WORK/pieces.gpkg" -q
expect_eq "GeoPackage written with every piece" "$(spatialite_sql "SELECT count(*) FROM $t1")" \
    "$(ogrinfo -so -al "$WORK/pieces.gpkg" | awk -F': ' '/Feature Count/{print $2}')"
expect_eq "no temporary folder left" "" "$(ls -a "$WORK" | grep plankit-out)"
expect_fail_unchanged "an existing output file is refused" "already exists" pk overlay intersection counties grid -o "$WORK/pieces.gpkg"
expect_fail_unchanged "an existing output layer is refused" "layer 'pieces1' already exists" pk overlay intersection counties grid -o pieces1

# --min-area drops slivers and reports them
pk overlay intersection counties grid -o big --min-area 1e6 2>"$WORK/err"
expect_grep "slivers are reported" "sliver pieces below 1e+06 m² dropped" "$WORK/err"
expect_eq "no piece below the minimum" 0 "$(spatialite_sql "SELECT count(*) FROM $(table_of big) WHERE area_m2 < 1e6")"
finish
