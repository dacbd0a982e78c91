#!/usr/bin/env bash
# plankit overlay on china-counties (the Jiangsu ones, repaired on load) ×
# a regular 0.25° grid: pieces valid, counties partitioned exactly, and the
# total agrees with SpatiaLite's own ST_Intersection of the same inputs.
source "$(dirname "$0")/lib.sh"

pk init --measure-crs EPSG:6933 -q
pk layer load "$SHARED_DIR/data/china-counties.geojson.gz" --name counties \
    --where "city_key LIKE 'jiang1_su1%'" -q || { not_ok "load the Jiangsu counties"; finish; exit 1; }
table_of() { sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='$1'"; }
n=$(spatialite_sql "SELECT count(*) FROM $(table_of counties)")
if [ "$n" -gt 50 ]; then ok "Jiangsu counties loaded ($n)"; else not_ok "only $n counties"; fi
ext=$(spatialite_sql "SELECT floor(Min(MbrMinX(geom))*4)/4, floor(Min(MbrMinY(geom))*4)/4, ceil(Max(MbrMaxX(geom))*4)/4, ceil(Max(MbrMaxY(geom))*4)/4 FROM $(table_of counties)")
python3 - "$ext" >"$WORK/grid.geojson" <<'PY'
import json, sys
x0, y0, x1, y1 = map(float, sys.argv[1].split('|'))
feats, step = [], 0.25
nx, ny = round((x1 - x0) / step), round((y1 - y0) / step)
for i in range(nx):
    for j in range(ny):
        x, y = x0 + i * step, y0 + j * step
        feats.append({"type": "Feature", "properties": {"cell": "%d_%d" % (i, j)}, "geometry": {"type": "Polygon",
                      "coordinates": [[[x, y], [x + step, y], [x + step, y + step], [x, y + step], [x, y]]]}})
print(json.dumps({"type": "FeatureCollection", "features": feats}))
PY
pk layer load "$WORK/grid.geojson" --name grid -q
check "overlay intersection counties × grid" pk overlay intersection counties grid -o pieces -q
t=$(table_of pieces)
expect_eq "every piece valid" "$(spatialite_sql "SELECT count(*) FROM $t")" "$(spatialite_sql "SELECT sum(ST_IsValid(geom)) FROM $t")"
counties=$(spatialite_sql "SELECT sum(ST_Area(ST_Transform(geom, 6933))) FROM $(table_of counties)")
expect_near "the pieces add up to the counties (EPSG:6933)" "$counties" "$(spatialite_sql "SELECT sum(area_m2) FROM $t")" 1e-6
# SpatiaLite's own overlay of the same valid inputs, with the R*Tree
spatialite_sql "SELECT count(*), sum(a) FROM (SELECT ST_Area(ST_Transform(ST_Intersection(c.geom, g.geom), 6933)) AS a
    FROM $(table_of counties) c JOIN $(table_of grid) g ON g.ROWID IN (SELECT ROWID FROM SpatialIndex
    WHERE f_table_name='$(table_of grid)' AND search_frame=c.geom) WHERE ST_Intersects(c.geom, g.geom)) WHERE a > 0" | tr '|' ' ' >"$WORK/sl"
read -r sl_n sl_area <"$WORK/sl"
expect_eq "same piece count as SpatiaLite" "$sl_n" "$(spatialite_sql "SELECT count(*) FROM $t")"
expect_near "same total area as SpatiaLite" "$sl_area" "$(spatialite_sql "SELECT sum(area_m2) FROM $t")" 1e-6
check "the store passes check" pk check
finish
