#!/usr/bin/env bash
# Coordinates outside the range of the CRS the source declares (or defaults
# to) are an error naming the feature and guessing the right --s_srs from the
# coordinates, instead of a layer that loads and then fails in layer info and
# coverage. The range comes from PROJ's area of use.
source "$(dirname "$0")/lib.sh"

pt() { echo '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"甲"},"geometry":{"type":"Point","coordinates":[121,31.3]}},{"type":"Feature","properties":{"name":"'"$1"'"},"geometry":{"type":"Point","coordinates":['"$2"']}}]}'; }
pk init -q --measure-crs EPSG:4549

pt 远点 "500,31" >lon500.geojson
expect_fail_unchanged "lon 500" \
    "layer load 'lon500.geojson' feature 2 (远点): coordinates 500,31 are outside the range of WGS 84 (-180..180, -90..90), the CRS the source declares or defaults to: they fit no common CRS" \
    pk layer load lon500.geojson
pt 北极外 "121,95" >lat95.geojson
expect_fail_unchanged "lat 95" "feature 2 (北极外): coordinates 121,95 are outside the range of WGS 84" pk layer load lat95.geojson
pt 很远 "1e308,31" >huge.geojson
expect_fail_unchanged "x 1e308" "feature 2 (很远): coordinates 1e+308,31 are outside the range of WGS 84" pk layer load huge.geojson

# Gauss-Krüger metres in a GeoJSON without "crs" (which means WGS84)
sed 's/"crs".*} },//' "$DATA/marks-4549.geojson" >marks.geojson
expect_fail_unchanged "GK metres read as degrees: the store's metric CRS is suggested" \
    "feature 1 (Near): coordinates 600800,3430250 are outside the range of WGS 84 .*give --s_srs EPSG:4549 (the store's metric CRS" \
    pk layer load marks.geojson
check "... and that --s_srs loads it" pk layer load marks.geojson --s_srs EPSG:4549 --name marks -q
python3 - marks.geojson <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["features"]:
    f["geometry"]["coordinates"][0] += 40e6
json.dump(d, open("zone40.geojson", "w"))
PY
expect_fail_unchanged "3-degree GK metres with the zone prefix 40" \
    "give --s_srs EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40)" pk layer load zone40.geojson
check "... EPSG:4528 loads them" pk layer load zone40.geojson --s_srs EPSG:4528 --name zone40 -q
expect_eq "... onto the same places as EPSG:4549 without prefix" \
    "$(spatialite_sql "SELECT printf('%.6f', X(geom)) FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='marks'") ORDER BY fid LIMIT 1")" \
    "$(spatialite_sql "SELECT printf('%.6f', X(geom)) FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='zone40'") ORDER BY fid LIMIT 1")"
python3 - marks.geojson <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["features"]:
    f["geometry"]["coordinates"][0] += 20e6   # 6-degree zone 20 (CM 117E)
json.dump(d, open("zone20.geojson", "w"))
PY
expect_fail_unchanged "6-degree GK metres with the zone prefix 20" "give --s_srs EPSG:4498 (CGCS2000 / Gauss-Kruger zone 20)" \
    pk layer load zone20.geojson

# degrees declared as metres: the projected CRS's range
expect_fail_unchanged "degrees in a file declared EPSG:4549" \
    "feature 1 (昆山杜克大学): coordinates 120.893322,31.417686 are outside the range of CGCS2000 / 3-degree Gauss-Kruger CM 120E (.*), the CRS given with --s_srs: the coordinates look like degrees: give --s_srs EPSG:4490" \
    pk layer load "$LAYERS/kunshan-places.geojson" --s_srs EPSG:4549 --name wrong

# the hint for a source without CRS guesses too
printf 'name,WKT\n昆山站,"POINT (40595105.514 3475755.928)"\n' >nocrs.csv
expect_fail_unchanged "no CRS, zone-prefixed metres" "the source has no CRS: the coordinates look like 3-degree Gauss-Krüger metres of zone 40: give --s_srs EPSG:4528" \
    pk layer load nocrs.csv
check "the store passes check" pk check

finish
