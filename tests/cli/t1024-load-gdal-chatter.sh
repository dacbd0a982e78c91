#!/usr/bin/env bash
# GDAL's own warnings do not reach the user as lines of their own: an
# unclosed ring (GDAL's "Non closed ring detected ...") is a repair reported
# on the feature's line, numbered as the store numbers it, whatever the
# format; other GDAL warnings are folded into one line naming the source.
source "$(dirname "$0")/lib.sh"

pk init -q
cat >open.geojson <<'JSON'
{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"ok"},"geometry":{"type":"Polygon","coordinates":[[[120.9,31.3],[121.0,31.3],[121.0,31.4],[120.9,31.3]]]}},
{"type":"Feature","properties":{"name":"bowtie"},"geometry":{"type":"Polygon","coordinates":[[[120.9,31.3],[121.0,31.4],[121.0,31.3],[120.9,31.4],[120.9,31.3]]]}},
{"type":"Feature","properties":{"name":"open"},"geometry":{"type":"Polygon","coordinates":[[[120.9,31.3],[121.0,31.3],[121.0,31.4],[120.9,31.4]]]}}
]}
JSON
ogr2ogr -f "ESRI Shapefile" open.shp open.geojson 2>/dev/null
ogr2ogr -f GPKG open.gpkg open.geojson 2>/dev/null
for f in open.geojson open.shp open.gpkg; do
    name=l_${f#open.}
    pk layer load "$f" --name "$name" >"$WORK/out" 2>"$WORK/err"
    expect_eq "$f: loads" 0 $?
    if grep -qi 'non closed ring' "$WORK/err"; then not_ok "$f: no 'Non closed ring' chatter"; sed 's/^/    /' "$WORK/err"
    else ok "$f: no 'Non closed ring' chatter"; fi
    expect_eq "$f: two warnings, the repairs" 2 "$(grep -c '^plankit: warning:' "$WORK/err")"
    expect_grep "$f: the unclosed ring is a repair of feature 3, on its line" \
        "^plankit: warning: layer '$name' feature 3 (open): repaired: 1 unclosed ring(s) closed$" "$WORK/err"
    expect_grep "$f: the summary counts it" "3 features loaded from '$f', 2 repaired, 0 without geometry" "$WORK/err"
    expect_eq "$f: layer issues says so for fid 3" "3,open,repaired,1 unclosed ring(s) closed" \
        "$(pk layer issues "$name" --format csv | awk -F, '$1 == 3 {print $1 "," $3 "," $4 "," $5}')"
done
expect_eq "the closed ring is the square it was meant to be" 1 \
    "$(spatialite_sql "SELECT ST_IsValid(geom) AND abs(ST_Area(geom) - 0.01) < 1e-12 FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='l_gpkg'") WHERE fid = 3")"

# another GDAL warning (a value a .csvt calls Integer): one line, naming the source
printf 'name,x,y,n\na,120.9,31.3,1\nb,120.91,31.31,2x\nc,120.92,31.32,3y\n' >pts.csv
printf '"String","Real","Real","Integer"\n' >pts.csvt
pk layer load pts.csv --name pts --s_srs EPSG:4326 >"$WORK/out" 2>"$WORK/err"
expect_eq "pts.csv: loads" 0 $?
expect_eq "pts.csv: GDAL's warning and the summary, two lines" 2 "$(grep -c '' "$WORK/err")"
expect_grep "pts.csv: GDAL's warning is folded into a line naming the source" \
    "^plankit: warning: layer load 'pts.csv': GDAL: Invalid value type found in record 2 for field n" "$WORK/err"

finish
