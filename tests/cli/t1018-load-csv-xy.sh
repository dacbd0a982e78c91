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
    "layer load 'nogeom.csv': the source has no geometry: a CSV needs coordinate columns named X and Y, lon and lat, or 经度 and 纬度, or a WKT column (or give --no-geometry to load its rows as a table)" \
    pk layer load nogeom.csv --s_srs EPSG:4326

# --no-geometry: the rows as a table (kind table), to join in SQL
check "with --no-geometry it loads as a table" pk layer load nogeom.csv --no-geometry -q
expect_eq "... kind table, no geometry type, 2 rows" "table||2" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT kind, geometry_type, feature_count FROM pk_layers WHERE name='nogeom'")"
expect_eq "... no load issue for rows that have no geometry by design" "" "$(pk layer issues nogeom --format csv | tail -n +2)"
expect_eq "... its rows join the other layers in plankit sql" "甲|1,乙|2" \
    "$(pk sql "SELECT n.name || '|' || n.pop AS r FROM nogeom n ORDER BY n.fid" --format csv | tail -n +2 | paste -sd,)"
printf 'name,pop\n丙,3\n' >more.csv
check "rows append to the table with --no-geometry" pk layer load more.csv --name nogeom --append --no-geometry -q
expect_eq "... 3 rows" 3 "$(sqlite3 "$PLANKIT_STORE" "SELECT feature_count FROM pk_layers WHERE name='nogeom'")"
expect_fail_unchanged "... not without it" "the source has no geometry" pk layer load more.csv --name nogeom --append
expect_fail_unchanged "--no-geometry on a source with geometry is refused" \
    "--no-geometry, but the source has geometry: leave --no-geometry out" pk layer load zh.csv --name zh2 --no-geometry
expect_fail_unchanged "rows without geometry do not append to a layer with geometry" \
    "layer 'zh' has geometry: rows without any cannot be appended to it" pk layer load more.csv --name zh --append --no-geometry
expect_fail_unchanged "--kind point with --no-geometry" "a layer loaded with --no-geometry is of kind table" \
    pk layer load more.csv --name t2 --no-geometry --kind point
expect_fail_unchanged "--kind table without --no-geometry" "kind table is for sources without geometry" \
    pk layer load zh.csv --name t3 --kind table
check "the store passes check" pk check

finish
