#!/usr/bin/env bash
# CRSs: an EPSG:4490 (CGCS2000) store takes EPSG:4326 GeoJSON and an
# EPSG:4549 shapefile; --s_srs gives or overrides the source CRS; the metric
# CRS is chosen from the data.
source "$(dirname "$0")/lib.sh"

meta() { sqlite3 "$PLANKIT_STORE" "SELECT value FROM pk_meta WHERE key='$1'"; }
table() { spatialite_sql "SELECT table_name FROM pk_layers WHERE name='$1'"; }
km2() { spatialite_sql "SELECT sum(ST_Area(ST_Transform(geom, 4549))) / 1e6 FROM $(table "$1")"; }

pk init --crs EPSG:4490 -q
expect_eq "storage CRS EPSG:4490" 4490 "$(meta crs)"

# EPSG:4326 GeoJSON into the EPSG:4490 store
pk layer load "$LAYERS/kunshan-city.geojson" --name city >"$WORK/out" 2>"$WORK/err"
expect_eq "an EPSG:4326 GeoJSON loads into an EPSG:4490 store" 0 $?
expect_grep "the metric CRS is chosen from the data" "metric CRS of the store set to EPSG:4549" "$WORK/err"
expect_eq "... EPSG:4549" 4549 "$(meta measure_crs)"
T=$(table city)
expect_eq "the geometry is stored in EPSG:4490" 4490 "$(spatialite_sql "SELECT ST_SRID(geom) FROM $T")"
expect_eq "the geometry column is registered as EPSG:4490" 4490 \
    "$(spatialite_sql "SELECT srid FROM geometry_columns WHERE f_table_name = '$T'")"
expect_near "the area is kept (933.143 km²)" 933.143 "$(km2 city)" 0.001
# WGS84 and CGCS2000 coordinates differ by centimetres
dx=$(spatialite_sql "SELECT abs(MbrMinX(geom) - 120.805664) + abs(MbrMinY(geom) - 31.107422) FROM $T")
if awk -v d="$dx" 'BEGIN { exit !(d < 1e-5) }'; then ok "coordinates move by less than 1e-5 degree ($dx)"; else not_ok "coordinates moved by $dx"; fi
expect_grep "layer info says EPSG:4490" '^crs,EPSG:4490$' <(pk layer info city --format csv)

# the EPSG:4549 shapefile into the EPSG:4490 store
pk layer load "$DATA/towns_gbk.shp" --encoding GBK --name towns -q
expect_eq "an EPSG:4549 shapefile is reprojected to EPSG:4490" 4490 "$(spatialite_sql "SELECT DISTINCT ST_SRID(geom) FROM $(table towns)")"
expect_near "... keeping its area" 933.143 "$(km2 towns)" 0.001
expect_eq "... landing on the city" 0 \
    "$(spatialite_sql "SELECT count(*) FROM $(table towns) t, $T c WHERE NOT ST_Within(ST_Buffer(t.geom, -0.0001), c.geom)")"

# --s_srs for a source without CRS: a CSV in EPSG:4549 metres
printf 'name,WKT\n昆山站,"POINT (595105.514 3475755.928)"\n' >"$WORK/wkt.csv"
check "a WKT CSV with --s_srs EPSG:4549 loads" pk layer load "$WORK/wkt.csv" --name wkt_station --s_srs EPSG:4549 -q
expect_eq "... reprojected to lon/lat" "121.0000 31.4000" \
    "$(spatialite_sql "SELECT printf('%.4f %.4f', X(geom), Y(geom)) FROM $(table wkt_station)")"
# --s_srs overrides a declared CRS: a GeoJSON of EPSG:4549 metres without a
# "crs" member defaults to WGS84 (and is refused: see t1016)
sed 's/"crs".*} },//' "$DATA/marks-4549.geojson" >"$WORK/marks-nocrs.geojson"
check "--s_srs overrides the source's CRS" pk layer load "$WORK/marks-nocrs.geojson" --name shifted --s_srs EPSG:4549 -q
expect_eq "... the coordinates are read as metres: the marks are near Kunshan" 1 \
    "$(spatialite_sql "SELECT MbrMinX(geom) BETWEEN 120 AND 122 FROM $(table shifted) LIMIT 1")"
check "--s_srs as a PROJ string" pk layer load "$LAYERS/kunshan-places.geojson" --name proj4 --s_srs "+proj=longlat +datum=WGS84 +no_defs" -q
expect_eq "... 15 places" 15 "$(spatialite_sql "SELECT feature_count FROM pk_layers WHERE name='proj4'")"

# export back to EPSG:4326
pk layer export city "$WORK/city-4326.geojson" --t_srs EPSG:4326 -q
ogrinfo -so -al "$WORK/city-4326.geojson" >"$WORK/city-4326.info" 2>&1
expect_grep "export --t_srs EPSG:4326 from an EPSG:4490 store: WGS 84 (RFC 7946 GeoJSON has no crs member)" \
    '^GEOGCRS\["WGS 84"' "$WORK/city-4326.info"
check "the store passes check" pk check

# an EPSG:4549 (projected) store
s=$WORK/metric.sqlite
pk -s "$s" init --crs EPSG:4549 -q 2>"$WORK/err"
pk -s "$s" layer load "$LAYERS/kunshan-city.geojson" --name city -q 2>>"$WORK/err"
expect_eq "storage CRS = metric CRS: nothing on stderr with -q" "" "$(cat "$WORK/err")"
s2=$WORK/metric2.sqlite
pk -s "$s2" init --crs EPSG:4549 --measure-crs EPSG:4549 -q 2>"$WORK/err"
expect_eq "init --crs EPSG:4549 --measure-crs EPSG:4549: nothing on stderr with -q" "" "$(cat "$WORK/err")"
expect_eq "a projected storage CRS stores metres" 1 \
    "$(sqlite3 "$s" "SELECT min_x > 500000 AND max_x < 700000 AND min_y > 3400000 FROM pk_layers WHERE name='city'")"
expect_eq "... and chooses its metric CRS from the data's longitude" 4549 \
    "$(sqlite3 "$s" "SELECT value FROM pk_meta WHERE key='measure_crs'")"
expect_near "... area in km²" 933.143 "$(pk -s "$s" layer info city --format csv | awk -F, '$1 == "area_km2" {print $2}')" 0.001

finish
