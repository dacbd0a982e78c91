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
# areas straight from SpatiaLite, in the metric CRS along the curves that
# lon/lat edges become (every edge densified to 0.0005° first)
m2() { echo "ST_Area(ST_Transform(ST_Segmentize($1, 0.0005), 4549))"; }
metric_area() { spatialite_sql "SELECT sum($(m2 geom)) FROM $(table_of "$1")"; }
counties=$(metric_area counties)

pk overlay intersection counties grid -o pieces1 --threads 1 2>"$WORK/err1"
expect_eq "overlay with 1 thread" 0 $?
pk overlay intersection counties grid -o pieces2 --threads 2 2>"$WORK/err2"
expect_grep "some cells lie wholly in a county (no intersection computed)" "[1-9][0-9]* wholly inside" "$WORK/err2"
expect_grep "the rectangle clipper computed most pairs" "[1-9][0-9]* by the rectangle clipper" "$WORK/err2"
t1=$(table_of pieces1); t2=$(table_of pieces2)
expect_near "the pieces add up to the counties" "$counties" "$(spatialite_sql "SELECT sum(area_m2) FROM $t1")" 1e-6
expect_eq "all pieces valid" "$(spatialite_sql "SELECT count(*) FROM $t1")" "$(spatialite_sql "SELECT sum(ST_IsValid(geom)) FROM $t1")"
d1=$(spatialite_sql "SELECT group_concat(a_fid || ':' || b_fid || ':' || printf('%.6f', area_m2) || ':' || AsText(geom), ';') FROM (SELECT * FROM $t1 ORDER BY fid)" | sha256sum)
d2=$(spatialite_sql "SELECT group_concat(a_fid || ':' || b_fid || ':' || printf('%.6f', area_m2) || ':' || AsText(geom), ';') FROM (SELECT * FROM $t2 ORDER BY fid)" | sha256sum)
expect_eq "same pieces in the same order with 1 and 2 threads" "$d1" "$d2"
# every county's pieces add up to the county
spatialite_sql "SELECT c.fid, $(m2 c.geom), (SELECT sum(area_m2) FROM $t1 p WHERE p.a_fid=c.fid)
                FROM $(table_of counties) c" | tr '|' ' ' >"$WORK/per"
bad=$(awk '{ d = ($3 - $2) / $2; if (d < 0) d = -d; if (d > 1e-6) n++ } END { print n + 0 }' "$WORK/per")
expect_eq "each county = the sum of its pieces (1e-6)" 0 "$bad"

# the same pieces as GEOS: every piece the rectangle clipper makes checked
# against GEOSIntersection (area and shape), and against SpatiaLite's
PLANKIT_OVERLAY_VERIFY=1 pk overlay intersection counties grid -o verified -q
expect_eq "every clipper piece agrees with GEOS" 0 $?
tv=$(table_of verified)
spatialite_sql "SELECT c.fid || ':' || g.fid, ST_Area(ST_Intersection(c.geom, g.geom))
                FROM $(table_of counties) c JOIN $(table_of grid) g ON ST_Intersects(c.geom, g.geom)
                WHERE ST_Area(ST_Intersection(c.geom, g.geom)) > 0 ORDER BY 1" | tr '|' ' ' >"$WORK/sl_pairs"
spatialite_sql "SELECT a_fid || ':' || b_fid, ST_Area(geom) FROM $tv ORDER BY 1" | tr '|' ' ' >"$WORK/pk_pairs"
expect_eq "same (county, cell) pairs as SpatiaLite" "$(awk '{print $1}' "$WORK/sl_pairs" | sort | md5sum)" \
    "$(awk '{print $1}' "$WORK/pk_pairs" | sort | md5sum)"
worst=$(join <(sort "$WORK/sl_pairs") <(sort "$WORK/pk_pairs") | awk '{ d = ($3 - $2) / $2; if (d < 0) d = -d; if (d > w) w = d } END { printf "%.3g", w + 0 }')
if awk -v w="$worst" 'BEGIN { exit !(w < 1e-9) }'; then ok "each piece equals SpatiaLite's within 1e-9 (worst $worst)"
else not_ok "pieces differ from SpatiaLite's: worst relative $worst"; fi

# identity partitions too; union adds the grid outside the counties
pk overlay identity counties grid -o ident -q
expect_near "identity partitions the counties" "$counties" "$(spatialite_sql "SELECT sum(area_m2) FROM $(table_of ident)")" 1e-6
grid=$(metric_area grid)
pk overlay union counties grid -o uni -q
# the county polygons overlap each other a little (quantized borders): union
# keeps each county's piece, so the overlaps count twice
dissolved=$(spatialite_sql "SELECT $(m2 "ST_Union(geom)") FROM $(table_of counties)")
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
