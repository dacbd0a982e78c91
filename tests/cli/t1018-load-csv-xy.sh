#!/usr/bin/env bash
# A CSV with X/Y, lon/lat or 经度/纬度 columns loads as points (GDAL's CSV
# open options); a CSV without coordinates is an error, not a layer of
# features without geometry.
source "$(dirname "$0")/lib.sh"

xy() { spatialite_sql "SELECT group_concat(printf('%.4f %.4f', X(geom), Y(geom)), ',') FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='$1'")"; }
pk init -q
printf 'name,经度,纬度\n昆山站,121.0,31.4\n花桥站,121.1,31.3\n' >zh.csv
check "a CSV with 经度/纬度 columns" pk layer load zh.csv --s_srs EPSG:4490 -q
expect_eq "... two points at those coordinates" "121.0000 31.4000,121.1000 31.3000" "$(xy zh)"
expect_eq "... kind point, POINT" "point|POINT" "$(sqlite3 "$PLANKIT_STORE" "SELECT kind, geometry_type FROM pk_layers WHERE name='zh'")"
printf 'name,Lon,Lat\na,121.05,31.35\n' >ll.csv
check "a CSV with Lon/Lat columns" pk layer load ll.csv --s_srs EPSG:4326 -q
expect_eq "... the point" "121.0500 31.3500" "$(xy ll)"
printf 'name,X,Y\n昆山站,595105.514,3475755.928\n' >xy.csv
expect_fail_unchanged "X/Y metres without a CRS: the hint guesses the store's metric CRS" \
    "the source has no CRS: the coordinates look like Gauss-Krüger metres without a zone prefix: give --s_srs EPSG:4549" \
    pk layer load xy.csv
check "... with --s_srs EPSG:4549" pk layer load xy.csv --s_srs EPSG:4549 -q
expect_eq "... reprojected to lon/lat" "121.0000 31.4000" "$(xy xy)"
printf 'name,pop\n甲,1\n乙,2\n' >nogeom.csv
expect_fail_unchanged "a CSV without coordinates is refused" \
    "layer load 'nogeom.csv': the source has no geometry: a CSV needs coordinate columns named X and Y, lon and lat, or 经度 and 纬度, or a WKT column" \
    pk layer load nogeom.csv --s_srs EPSG:4326
check "the store passes check" pk check

finish
