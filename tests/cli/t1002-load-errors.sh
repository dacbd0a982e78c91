#!/usr/bin/env bash
# Bad input to 'layer load': each gives one clear error line, a non-zero
# exit, and leaves the store byte-for-byte unchanged (database and WAL).
source "$(dirname "$0")/lib.sh"

pk init -q
pk layer load "$LAYERS/kunshan-city.geojson" --name city -q
tables_before=$(sqlite3 "$PLANKIT_STORE" "SELECT group_concat(name) FROM sqlite_master WHERE name GLOB 'lyr_*'")

fc() { printf '{"type":"FeatureCollection","features":[%s]}\n' "$1"; }
feature() { printf '{"type":"Feature","properties":{"name":"%s"},"geometry":%s}' "$1" "$2"; }
square='{"type":"Polygon","coordinates":[[[121,31.3],[121.01,31.3],[121.01,31.31],[121,31.31],[121,31.3]]]}'
fc "$(feature ok "$square")" >"$WORK/ok.geojson"

# missing file
expect_fail_unchanged "missing file" "layer load '.*nosuch.geojson': file not found" \
    pk layer load "$WORK/nosuch.geojson"
expect_fail_unchanged "missing .gz file" "file not found" pk layer load "$WORK/nosuch.geojson.gz"
# truncated file: the first half of a real layer
head -c 150000 "$LAYERS/kunshan-region.geojson" >"$WORK/truncated.geojson"
expect_fail_unchanged "truncated GeoJSON" "layer load '.*truncated.geojson': .*GeoJSON" pk layer load "$WORK/truncated.geojson"
# truncated gzip
gzip -c "$LAYERS/kunshan-region.geojson" | head -c 20000 >"$WORK/truncated.geojson.gz"
expect_fail_unchanged "truncated .gz" "layer load '.*truncated.geojson.gz': ." pk layer load "$WORK/truncated.geojson.gz"
# GeoJSON syntax error (a doubled comma)
printf '{"type":"FeatureCollection","features":[%s,,%s]}\n' "$(feature a "$square")" "$(feature b "$square")" >"$WORK/syntax.geojson"
expect_fail_unchanged "GeoJSON syntax error" "layer load '.*syntax.geojson': .*GeoJSON" pk layer load "$WORK/syntax.geojson"
# not a data file at all
printf 'hello, this is not geodata\n\x01\x02\x03' >"$WORK/junk.bin"
expect_fail_unchanged "a file no driver reads" "layer load '.*junk.bin': not a vector data source GDAL can read" \
    pk layer load "$WORK/junk.bin"
# an empty file
: >"$WORK/empty.geojson"
expect_fail_unchanged "an empty file" "layer load '.*empty.geojson': not a vector data source" pk layer load "$WORK/empty.geojson"

# no CRS: a CSV with a WKT column
printf 'name,WKT\na,"POINT (121 31.3)"\nb,"POINT (121.1 31.4)"\n' >"$WORK/nocrs.csv"
expect_fail_unchanged "a source without CRS" "the source has no CRS: the coordinates look like degrees: give --s_srs EPSG:4490 (CGCS2000) or EPSG:4326 (WGS84)" pk layer load "$WORK/nocrs.csv"
expect_eq "... exits 1" 1 "$(pk layer load "$WORK/nocrs.csv" 2>/dev/null; echo $?)"
# unknown CRS codes
expect_fail_unchanged "--s_srs EPSG:999999" "--s_srs: unknown CRS 'EPSG:999999'" \
    pk layer load "$WORK/nocrs.csv" --s_srs EPSG:999999
expect_fail_unchanged "--s_srs nonsense" "unknown CRS 'not-a-crs'" pk layer load "$WORK/ok.geojson" --s_srs not-a-crs

# an existing layer name without --replace
expect_fail_unchanged "existing layer name" "layer 'city' already exists: use --replace .* or --append" \
    pk layer load "$WORK/ok.geojson" --name city
expect_eq "... exits 1" 1 "$(pk layer load "$WORK/ok.geojson" --name city 2>/dev/null; echo $?)"

# an empty layer; a filter that keeps nothing
fc "" >"$WORK/nofeatures.geojson"
expect_fail_unchanged "a layer without features" "the layer has no features" pk layer load "$WORK/nofeatures.geojson"
expect_fail_unchanged "--where matching nothing" "no feature matches --where" \
    pk layer load "$WORK/ok.geojson" --where "name = 'nobody'"

# NaN in a polygon (GDAL turns a NaN point into an empty point, so a polygon)
fc "$(feature good "$square"),$(feature 'bad one' '{"type":"Polygon","coordinates":[[[121,31.3],[121.01,31.3],[NaN,31.31],[121,31.3]]]}')" \
    >"$WORK/nan.geojson"
expect_fail_unchanged "NaN coordinate" "feature 2 (bad one): non-finite coordinate" pk layer load "$WORK/nan.geojson"
fc "$(feature inf '{"type":"Polygon","coordinates":[[[121,31.3],[121.01,31.3],[121,1e999],[121,31.3]]]}')" \
    >"$WORK/inf.geojson"
expect_fail_unchanged "infinite coordinate" "non-finite coordinate" pk layer load "$WORK/inf.geojson"

# an invalid --where
expect_fail_unchanged "--where on a missing field" "invalid --where 'nme = 1'" pk layer load "$WORK/ok.geojson" --where "nme = 1"
expect_fail_unchanged "--where syntax error" "invalid --where" pk layer load "$WORK/ok.geojson" --where "name = = 'x"
# --select, --kind, --layer, --repair-method mistakes
expect_fail_unchanged "--select of a missing field" "--select: no field 'nosuch'" \
    pk layer load "$WORK/ok.geojson" --select name,nosuch
expect_fail_unchanged "invalid --kind" "invalid --kind 'county'" pk layer load "$WORK/ok.geojson" --kind county
expect_eq "... is a usage error (exit 2)" 2 "$(pk layer load "$WORK/ok.geojson" --kind county 2>/dev/null; echo $?)"
expect_fail_unchanged "--layer not in the source" "no layer 'nosuch' in the source" \
    pk layer load "$WORK/ok.geojson" --layer nosuch
# a multi-layer source without --layer
ogr2ogr -f GPKG "$WORK/two.gpkg" "$LAYERS/kunshan-towns.geojson" -nln towns 2>/dev/null
ogr2ogr -f GPKG -update "$WORK/two.gpkg" "$LAYERS/kunshan-places.geojson" -nln places 2>/dev/null
expect_fail_unchanged "a multi-layer source without --layer" "the source has 2 layers (towns, places): choose one with --layer" \
    pk layer load "$WORK/two.gpkg"

# layer names with quotes and SQL
for name in "x'); DROP TABLE pk_layers;--" 'a"b' "lyr_1; DELETE FROM pk_layers" "1abc" "a b" ""; do
    expect_fail_unchanged "layer name [$name]" "invalid layer name" pk layer load "$WORK/ok.geojson" --name "$name"
done
expect_eq "... exits 2" 2 "$(pk layer load "$WORK/ok.geojson" --name "x'); DROP TABLE pk_layers;--" 2>/dev/null; echo $?)"
# a source whose file name is not a valid layer name gets a cleaned default name
cp "$WORK/ok.geojson" "$WORK/x'); DROP TABLE pk_layers;--.geojson"
check "a file name with quotes and SQL loads" pk layer load "$WORK/x'); DROP TABLE pk_layers;--.geojson" -q
expect_eq "... under a cleaned name" "x____DROP_TABLE_pk_layers_--" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT name FROM pk_layers ORDER BY id DESC LIMIT 1")"
expect_eq "pk_layers is still there" 2 "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_layers")"
pk layer drop "x____DROP_TABLE_pk_layers_--"
# names with quotes in other verbs: not found, nothing touched
expect_fail_unchanged "layer info with SQL in the name" "no layer 'x') OR 1=1;--' in the store" \
    pk layer info "x') OR 1=1;--"
expect_fail_unchanged "layer drop with SQL in the name" "no layer" pk layer drop "city' OR '1'='1"
expect_fail_unchanged "layer rename to a name with SQL" "invalid layer name" pk layer rename city "c'; DROP TABLE pk_layers;--"
expect_fail_unchanged "layer export of a name with SQL" "no layer" pk layer export "city' --" "$WORK/x.gpkg"

# nothing of the failed loads is left
expect_eq "only the first layer is registered" "city" "$(sqlite3 "$PLANKIT_STORE" "SELECT group_concat(name) FROM pk_layers")"
expect_eq "no layer tables were left behind" "$tables_before" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT group_concat(name) FROM sqlite_master WHERE name GLOB 'lyr_*'")"
expect_eq "no load issues were left behind" 0 "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_load_issues")"
check "the store passes check" pk check
check "and still takes a layer" pk layer load "$WORK/ok.geojson" -q
expect_eq "named after the file" 1 "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_layers WHERE name='ok'")"

finish
