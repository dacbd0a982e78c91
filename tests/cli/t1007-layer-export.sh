#!/usr/bin/env bash
# layer export: GPKG, GeoJSON, ESRI Shapefile, CSV and FlatGeobuf round-trips
# (feature counts read back with ogrinfo), --t_srs EPSG:4549, --format, and
# failures that leave no partial file.
source "$(dirname "$0")/lib.sh"

count_of() { ogrinfo -so -al "$1" 2>/dev/null | awk -F': ' '/^Feature Count/ {print $2}'; }

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns --kind district -q
pk layer load "$LAYERS/kunshan-line11-stations.geojson" --name stations -q
area=$(pk layer info towns --format csv | awk -F, '$1 == "area_km2" {print $2}')

mkdir "$WORK/out"
for f in towns.gpkg towns.geojson towns.shp towns.csv towns.fgb; do
    pk layer export towns "$WORK/out/$f" >"$WORK/stdout" 2>"$WORK/err"
    code=$?
    expect_eq "export to $f exits 0" 0 $code
    expect_eq "export to $f: nothing on stdout" "" "$(cat "$WORK/stdout")"
    expect_eq "$f has the 12 features (ogrinfo)" 12 "$(count_of "$WORK/out/$f")"
done
expect_eq "the GeoPackage layer is named after the layer" "towns" \
    "$(ogrinfo -so "$WORK/out/towns.gpkg" 2>/dev/null | awk '/^1: / {print $2}')"
expect_grep "the GPKG is a GeoPackage" "GPKG" <(ogrinfo -so "$WORK/out/towns.gpkg" 2>&1 | head -3)
expect_grep "the CSV has the geometry as WKT" '^WKT,' "$WORK/out/towns.csv"
expect_grep "the CSV keeps the Chinese names" '昆山开发区' "$WORK/out/towns.csv"
expect_grep "the shapefile has a .cpg saying UTF-8" 'UTF-8' "$WORK/out/towns.cpg"
expect_grep "the shapefile keeps the Chinese names" '锦溪镇' <(ogrinfo -al "$WORK/out/towns.shp" 2>/dev/null)
expect_grep "the FlatGeobuf is one" "FlatGeobuf" <(ogrinfo -so "$WORK/out/towns.fgb" 2>&1 | head -3)
if ls -a "$WORK/out" | grep -q '^\.plankit-export'; then not_ok "no temporary folder left"; else ok "no temporary folder left"; fi

# round trips: load each export back; same count and area
for f in towns.gpkg towns.geojson towns.shp towns.fgb; do
    n=rt_${f%%.*}_${f##*.}
    pk layer load "$WORK/out/$f" --name "$n" -q
    info=$(pk layer info "$n" --format csv)
    expect_eq "$f loads back with 12 features" 12 "$(echo "$info" | awk -F, '$1 == "features" {print $2}')"
    expect_near "$f loads back with the same area" "$area" "$(echo "$info" | awk -F, '$1 == "area_km2" {print $2}')" 0.00001
done
pk layer load "$WORK/out/towns.csv" --name rt_csv --s_srs EPSG:4326 -q
expect_eq "the CSV loads back (with --s_srs) with 12 features" 12 \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT feature_count FROM pk_layers WHERE name='rt_csv'")"
expect_eq "the round trip keeps the names" "昆山开发区" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT name FROM $(sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='rt_towns_gpkg'") WHERE fid = 1")"

# --t_srs EPSG:4549: coordinates in metres
pk layer export towns "$WORK/out/towns-4549.gpkg" --t_srs EPSG:4549 -q
expect_eq "--t_srs EPSG:4549 keeps the count" 12 "$(count_of "$WORK/out/towns-4549.gpkg")"
expect_grep "--t_srs EPSG:4549 sets the CRS" 'CGCS2000 / 3-degree Gauss-Kruger CM 120E' <(ogrinfo -so -al "$WORK/out/towns-4549.gpkg" 2>/dev/null)
extent=$(ogrinfo -so -al "$WORK/out/towns-4549.gpkg" 2>/dev/null | awk '/^Extent/')
if echo "$extent" | grep -Eq '^Extent: \(5[0-9]{5}\.[0-9]+, 34[0-9]{5}\.[0-9]+\) - \(6[0-9]{5}\.[0-9]+, 34[0-9]{5}\.[0-9]+\)$'; then
    ok "--t_srs EPSG:4549 coordinates are in metres ($extent)"
else not_ok "--t_srs EPSG:4549 coordinates are in metres: $extent"; fi
m2=$(ogrinfo -q -dialect SQLite -sql "SELECT sum(ST_Area(geom)) / 1e6 AS a FROM towns" "$WORK/out/towns-4549.gpkg" 2>/dev/null |
    awk -F'= ' '/ a \(Real\)/ {print $2}')
expect_near "the reprojected area is the layer's area" "$area" "$m2" 0.0001

# --format names the driver (the extension says nothing)
pk layer export stations "$WORK/out/stations.data" --format GeoJSON -q
expect_eq "--format GeoJSON with another extension" 26 "$(count_of "$WORK/out/stations.data")"
expect_grep "... is GeoJSON" '"type": "FeatureCollection"' "$WORK/out/stations.data"
pk layer export stations "$WORK/out/stations.x" --format-out GPKG -q
expect_eq "--format-out GPKG" 26 "$(count_of "$WORK/out/stations.x")"

# failures: one error line, no output file, no temporary folder
fail_export() { # DESCRIPTION PATTERN OUT ARGS...
    local what=$1 pattern=$2 out=$3; shift 3
    expect_fail_unchanged "$what" "$pattern" pk layer export "$@"
    if [ -e "$out" ] && [ ! -e "$out.keep" ]; then not_ok "$what: left $out"; else ok "$what: no output left"; fi
}
fail_export "export of a missing layer" "no layer 'nosuch'" "$WORK/out/n.gpkg" nosuch "$WORK/out/n.gpkg"
fail_export "export without a known extension" "cannot tell the format of '.*n.xyz'" "$WORK/out/n.xyz" towns "$WORK/out/n.xyz"
fail_export "export with an unknown driver" "--format-out 'NoSuchDriver' is not a vector format GDAL writes" "$WORK/out/n.gpkg" towns "$WORK/out/n.gpkg" --format NoSuchDriver
fail_export "export with an unknown --t_srs" "--t_srs: unknown CRS 'EPSG:999999'" "$WORK/out/n.gpkg" towns "$WORK/out/n.gpkg" --t_srs EPSG:999999
fail_export "export into a missing folder" "" "$WORK/nodir/n.gpkg" towns "$WORK/nodir/n.gpkg"
# an existing file is never overwritten
echo precious >"$WORK/out/keep.geojson"
touch "$WORK/out/keep.geojson.keep"
fail_export "export over an existing file" "'.*keep.geojson' already exists" "$WORK/out/keep.geojson" towns "$WORK/out/keep.geojson"
expect_eq "the existing file is untouched" precious "$(cat "$WORK/out/keep.geojson")"
if ls -a "$WORK/out" | grep -q '^\.plankit-export'; then not_ok "no temporary folder left after failures"; else ok "no temporary folder left after failures"; fi
expect_eq "usage: export needs NAME and OUT" 2 "$(pk layer export towns 2>/dev/null; echo $?)"

# export reads the store only
before=$(store_sum)
pk layer export towns "$WORK/out/again.gpkg" -q
expect_eq "export leaves the store unchanged" "$before" "$(store_sum)"
finish
