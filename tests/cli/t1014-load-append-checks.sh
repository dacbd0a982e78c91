#!/usr/bin/env bash
# layer load --append takes only features of the layer's geometry type and a
# source whose fields are the layer's; a refused append leaves the store
# byte-for-byte unchanged. A new layer holds one geometry type too.
source "$(dirname "$0")/lib.sh"

q() { sqlite3 "$PLANKIT_STORE" "$1"; }
towns_table() { q "SELECT table_name FROM pk_layers WHERE name='towns'"; }

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q

# the issue's repro: 26 stations appended to the MULTIPOLYGON towns, exit 0
expect_fail_unchanged "appending points to a polygon layer is refused" \
    "feature 1 (阳澄湖东站): a POINT among MULTIPOLYGON features" \
    pk layer load "$LAYERS/kunshan-line11-stations.geojson" --name towns --append
expect_eq "... the towns are still 12 polygons" "12 0" \
    "$(spatialite_sql "SELECT count(*) || ' ' || sum(GeometryType(geom) NOT LIKE '%POLYGON%') FROM $(towns_table)")"
expect_fail_unchanged "appending a line is refused" "a LINESTRING among MULTIPOLYGON features" \
    pk layer load "$LAYERS/kunshan-line11.geojson" --name towns --append

# fields
expect_fail_unchanged "appending a source that lacks fields is refused" \
    "the source's fields do not match layer 'towns'; missing: name_en, category, accuracy" \
    pk layer load "$DATA/squares-4549.geojson" --name towns --append
expect_fail_unchanged "... also when --select leaves them out" "missing: category, accuracy" \
    pk layer load "$LAYERS/kunshan-key-areas.geojson" --name towns --append --select name,name_en,code
python3 - "$LAYERS/kunshan-key-areas.geojson" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
for f in d["features"]:
    f["properties"]["population"] = 1000
json.dump(d, open("extra.geojson", "w", encoding="utf-8"), ensure_ascii=False)
PY
expect_fail_unchanged "a source with more fields is refused" "not in the layer: population" \
    pk layer load extra.geojson --name towns --append
check "... unless --select leaves them out" \
    pk layer load extra.geojson --name towns --append --select name,name_en,code,category,accuracy -q
expect_eq "... 16 towns now" 16 "$(q "SELECT count(*) FROM $(towns_table)")"
pk layer drop towns -q && pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk layer load "$LAYERS/kunshan-places.geojson" --name places -q
expect_fail_unchanged "appending towns (TEXT code) to places is refused on the geometry" "a MULTIPOLYGON among POINT features" \
    pk layer load "$LAYERS/kunshan-towns.geojson" --name places --append
check "appending a matching source works" pk layer load "$LAYERS/kunshan-key-areas.geojson" --name towns --append -q
expect_eq "... 16 features" 16 "$(q "SELECT feature_count FROM pk_layers WHERE name='towns'")"
expect_fail_unchanged "an append that repeats key values is refused" \
    "the appended features break the layer's key: field 'code' is not a key of layer 'towns'" \
    pk layer load "$LAYERS/kunshan-key-areas.geojson" --name towns --append
expect_fail_unchanged "--key does not go with --append" "--key applies to a new or replaced layer" \
    pk layer load "$LAYERS/kunshan-key-areas.geojson" --name towns --append --key name

# field types: numbers go into TEXT and INTEGER into REAL, text into numbers does not
pt() { echo '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"n":'"$1"',"x":'"$2"'},"geometry":{"type":"Point","coordinates":[121,31.3]}}]}'; }
pt 1 1.5 >n1.geojson; pt 2 3 >n2.geojson; pt '"abc"' 1 >n3.geojson; pt 4 '"7"' > n4.geojson
pk layer load n1.geojson --name nums -q
check "INTEGER into a REAL column" pk layer load n2.geojson --name nums --append -q
expect_fail_unchanged "TEXT into an INTEGER column is refused" "other type: n is TEXT, not INTEGER" \
    pk layer load n3.geojson --name nums --append
expect_fail_unchanged "TEXT into a REAL column is refused" "other type: x is TEXT, not REAL" \
    pk layer load n4.geojson --name nums --append

# a new layer of mixed geometry types is registered as GEOMETRY (check accepts any row)
python3 - "$LAYERS/kunshan-places.geojson" "$LAYERS/kunshan-key-areas.geojson" <<'PY'
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
b = json.load(open(sys.argv[2], encoding="utf-8"))
a["features"] += b["features"]
json.dump(a, open("mixed.geojson", "w", encoding="utf-8"), ensure_ascii=False)
PY
check "a source mixing points and polygons loads" pk layer load mixed.geojson --name mixed
expect_eq "... as a GEOMETRY layer" GEOMETRY "$(q "SELECT geometry_type FROM pk_layers WHERE name='mixed'")"
check "... which takes more points appended" pk layer load "$LAYERS/kunshan-line11-stations.geojson" --name mixed --append
check "the store passes check" pk check

finish
