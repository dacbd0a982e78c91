#!/usr/bin/env bash
# plankit overlay on china-counties (the Jiangsu ones, repaired on load) ×
# a regular 0.25° grid: pieces valid, counties partitioned exactly, every
# piece equal to SpatiaLite's own ST_Intersection of the same inputs, every
# rectangle-clipper piece checked against GEOS, and geometry BLOBs that only
# SpatiaLite reads (compressed by another tool) read through it.
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
# (measured along the curves lon/lat edges become: every edge densified first)
counties=$(spatialite_sql "SELECT sum(ST_Area(ST_Transform(ST_Segmentize(geom, 0.0005), 6933))) FROM $(table_of counties)")
expect_near "the pieces add up to the counties (EPSG:6933)" "$counties" "$(spatialite_sql "SELECT sum(area_m2) FROM $t")" 1e-6
# SpatiaLite's own overlay of the same valid inputs, with the R*Tree
spatialite_sql "SELECT count(*), sum(a) FROM (SELECT ST_Area(ST_Transform(ST_Intersection(c.geom, g.geom), 6933)) AS a
    FROM $(table_of counties) c JOIN $(table_of grid) g ON g.ROWID IN (SELECT ROWID FROM SpatialIndex
    WHERE f_table_name='$(table_of grid)' AND search_frame=c.geom) WHERE ST_Intersects(c.geom, g.geom)) WHERE a > 0" | tr '|' ' ' >"$WORK/sl"
read -r sl_n sl_area <"$WORK/sl"
expect_eq "same piece count as SpatiaLite" "$sl_n" "$(spatialite_sql "SELECT count(*) FROM $t")"
expect_near "same total area as SpatiaLite" "$sl_area" "$(spatialite_sql "SELECT sum(area_m2) FROM $t")" 1e-6
# pair by pair, the same areas as SpatiaLite's (both measured by SpatiaLite)
spatialite_sql "SELECT c.fid || ':' || g.fid, ST_Area(ST_Transform(ST_Intersection(c.geom, g.geom), 6933))
    FROM $(table_of counties) c JOIN $(table_of grid) g ON g.ROWID IN (SELECT ROWID FROM SpatialIndex
    WHERE f_table_name='$(table_of grid)' AND search_frame=c.geom) WHERE ST_Intersects(c.geom, g.geom)" |
    tr '|' ' ' | awk '$2 > 0' | sort >"$WORK/sl_pairs"
spatialite_sql "SELECT a_fid || ':' || b_fid, ST_Area(ST_Transform(geom, 6933)) FROM $t" | tr '|' ' ' | sort >"$WORK/pk_pairs"
expect_eq "same (county, cell) pairs as SpatiaLite" "$(cut -d' ' -f1 "$WORK/sl_pairs" | md5sum)" "$(cut -d' ' -f1 "$WORK/pk_pairs" | md5sum)"
worst=$(join "$WORK/sl_pairs" "$WORK/pk_pairs" | awk '{ d = ($3 - $2) / $2; if (d < 0) d = -d; if (d > w) w = d } END { printf "%.3g", w + 0 }')
if awk -v w="$worst" 'BEGIN { exit !(w < 1e-9) }'; then ok "each piece's area equals SpatiaLite's within 1e-9 (worst $worst)"
else not_ok "pieces differ from SpatiaLite's: worst relative $worst"; fi
PLANKIT_OVERLAY_VERIFY=1 pk overlay intersection counties grid -o verified 2>"$WORK/verify.err"
expect_eq "every rectangle-clipper piece agrees with GEOS (area and shape)" 0 $?
expect_grep "the rectangle clipper did the work" "[1-9][0-9]* by the rectangle clipper" "$WORK/verify.err"

check "the store passes check" pk check

# BLOBs only SpatiaLite reads: the overlay falls back to it, feature by feature
# (compression stores float offsets, so a few polygons may no longer pass
# check: that is the other tool's doing)
sqlite3 "$PLANKIT_STORE" ".load mod_spatialite" "UPDATE $(table_of counties) SET geom = CompressGeometry(geom)"
expect_eq "counties compressed by another tool" 0 \
    "$(spatialite_sql "SELECT count(*) FROM $(table_of counties) WHERE geom IS NOT NULL AND IsValid(geom) IS NULL")"
check "overlay of compressed BLOBs" pk overlay intersection counties grid -o from_compressed -q
expect_eq "same piece count from compressed BLOBs" "$(spatialite_sql "SELECT count(*) FROM $t")" \
    "$(spatialite_sql "SELECT count(*) FROM $(table_of from_compressed)")"
expect_near "same total from compressed BLOBs" "$(spatialite_sql "SELECT sum(area_m2) FROM $t")" \
    "$(spatialite_sql "SELECT sum(area_m2) FROM $(table_of from_compressed)")" 1e-6
finish
