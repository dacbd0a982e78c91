#!/usr/bin/env bash
# Text encodings: a GBK-encoded shapefile without a .cpg (tests/data/towns_gbk.*,
# EPSG:4549) fails without --encoding, with an error that names --encoding,
# and loads with --encoding GBK (names read back as UTF-8); a .cpg is honoured;
# a GBK CSV is recoded too.
source "$(dirname "$0")/lib.sh"

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-city.geojson" --name city -q

# without --encoding: one error line naming --encoding, store unchanged
expect_fail_unchanged "GBK shapefile without --encoding" \
    "layer load '.*towns_gbk.shp' feature 1 field 'name': text is not UTF-8: give the source encoding with --encoding, e.g. --encoding GBK" \
    pk layer load "$DATA/towns_gbk.shp"
expect_eq "... exits 1" 1 "$(pk layer load "$DATA/towns_gbk.shp" 2>/dev/null; echo $?)"
expect_fail_unchanged "GBK shapefile read as UTF-8" "text is not UTF-8" \
    pk layer load "$DATA/towns_gbk.shp" --encoding UTF-8

# with --encoding GBK
pk layer load "$DATA/towns_gbk.shp" --encoding GBK --name towns >"$WORK/out" 2>"$WORK/err"
expect_eq "GBK shapefile with --encoding GBK loads" 0 $?
expect_grep "... all 12 towns" "layer 'towns': 12 features loaded" "$WORK/err"
T=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='towns'")
expect_eq "names read back in UTF-8 (SpatiaLite)" "昆山开发区,昆山高新区,花桥经济开发区,昆山旅游度假区,张浦镇,周市镇,陆家镇,巴城镇,千灯镇,淀山湖镇,周庄镇,锦溪镇" \
    "$(spatialite_sql "SELECT group_concat(name, ',') FROM (SELECT name FROM $T ORDER BY fid)")"
pk layer export towns "$WORK/towns.geojson" -q
expect_grep "names read back in UTF-8 (layer export to GeoJSON)" '"name": "昆山开发区"' "$WORK/towns.geojson"
expect_grep "... 锦溪镇 too" '"name": "锦溪镇"' "$WORK/towns.geojson"
expect_eq "the export has 12 features" "Feature Count: 12" "$(ogrinfo -so -al "$WORK/towns.geojson" | grep 'Feature Count')"
# reprojected from EPSG:4549 to the store's EPSG:4326, area kept
expect_eq "stored in EPSG:4326" 4326 "$(spatialite_sql "SELECT DISTINCT ST_SRID(geom) FROM $T")"
src_km2=$(ogrinfo -q -dialect SQLite -sql "SELECT sum(ST_Area(geometry)) / 1e6 AS a FROM towns_gbk" "$DATA/towns_gbk.shp" |
    awk -F'= ' '/ a \(Real\)/ {print $2}')
km2=$(spatialite_sql "SELECT sum(ST_Area(ST_Transform(geom, 4549))) / 1e6 FROM $T")
expect_near "the towns keep their area through the reprojection" "$src_km2" "$km2" 0.0001
expect_near "... which is the city's" 933.143 "$km2" 0.001

# a .cpg next to the shapefile declares the encoding
cp "$DATA"/towns_gbk.shp "$DATA"/towns_gbk.shx "$DATA"/towns_gbk.dbf "$DATA"/towns_gbk.prj "$WORK/"
printf 'GBK\n' >"$WORK/towns_gbk.cpg"
check "a shapefile with a .cpg loads without --encoding" pk layer load "$WORK/towns_gbk.shp" --name towns_cpg -q
expect_eq "... with its names in UTF-8" "昆山开发区" \
    "$(spatialite_sql "SELECT name FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='towns_cpg'") WHERE fid = 1")"

# a GBK CSV (not a shapefile: plankit recodes the text itself)
printf 'name,WKT\n\300\245\311\275\312\320,"POINT (121 31.38)"\n' >"$WORK/gbk.csv"
expect_fail_unchanged "GBK CSV without --encoding" "text is not UTF-8: give the source encoding with --encoding" \
    pk layer load "$WORK/gbk.csv" --s_srs EPSG:4326
check "GBK CSV with --encoding GBK" pk layer load "$WORK/gbk.csv" --s_srs EPSG:4326 --encoding GBK --name gbk_csv -q
expect_eq "... reads 昆山市" "昆山市" \
    "$(spatialite_sql "SELECT name FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='gbk_csv'")")"

check "the store passes check" pk check
finish
