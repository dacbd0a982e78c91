#!/usr/bin/env bash
# The layer kind follows the geometry when not given, also when the source
# does not declare a geometry type (a CSV with WKT, a GeoJSON read as
# "Unknown"); a --kind that does not fit the geometry is an error.
source "$(dirname "$0")/lib.sh"

kind() { sqlite3 "$PLANKIT_STORE" "SELECT kind FROM pk_layers WHERE name='$1'"; }
pk init -q
printf 'name,WKT\na,"POINT (121 31.3)"\nb,"POINT (121.1 31.4)"\n' >pts.csv
printf 'name,WKT\nr,"LINESTRING (121 31.3, 121.1 31.4)"\n' >lines.csv
printf 'name,WKT\nz,"POLYGON ((121 31.3, 121.1 31.3, 121.1 31.4, 121 31.3))"\n' >zones.csv
pk layer load pts.csv --s_srs EPSG:4326 -q
expect_eq "points in a CSV: kind point" point "$(kind pts)"
pk layer load lines.csv --s_srs EPSG:4326 -q
expect_eq "lines in a CSV: kind line" line "$(kind lines)"
pk layer load zones.csv --s_srs EPSG:4326 -q
expect_eq "polygons in a CSV: kind zone" zone "$(kind zones)"
pk layer load "$LAYERS/kunshan-line11-stations.geojson" --name stations -q
expect_eq "points in a GeoJSON: kind point" point "$(kind stations)"

expect_fail_unchanged "--kind district on points" \
    "--kind district needs polygons, but the features are POINT: use --kind point (or leave --kind out)" \
    pk layer load "$LAYERS/kunshan-line11-stations.geojson" --name st2 --kind district
expect_fail_unchanged "--kind zone on a line" "--kind zone needs polygons, but the features are LINESTRING: use --kind line" \
    pk layer load "$LAYERS/kunshan-line11.geojson" --name l11 --kind zone
expect_fail_unchanged "--kind point on polygons" "--kind point needs points, but the features are MULTIPOLYGON: use --kind zone or district" \
    pk layer load "$LAYERS/kunshan-towns.geojson" --name t --kind point
expect_fail_unchanged "--kind line on a CSV of points" "--kind line needs lines" \
    pk layer load pts.csv --s_srs EPSG:4326 --name p2 --kind line
check "--kind district on polygons" pk layer load "$LAYERS/kunshan-towns.geojson" --name towns --kind district -q
expect_eq "... is kept" district "$(kind towns)"
pk layer load pts.csv --s_srs EPSG:4326 --name pts --replace -q
expect_eq "a replace without --kind: from the geometry again" point "$(kind pts)"
check "the store passes check" pk check

finish
