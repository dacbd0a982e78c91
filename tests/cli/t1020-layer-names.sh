#!/usr/bin/env bash
# Layer names: names the store uses for its own tables (sqlite_*, pk_*, lyr_N,
# SpatiaLite's), control and invisible characters are refused; names compare
# case-insensitively (Towns is towns).
source "$(dirname "$0")/lib.sh"

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
for bad in sqlite_x pk_layers PK_Tasks lyr_1 LYR_99 geometry_columns spatial_ref_sys idx_towns_geom; do
    expect_fail_unchanged "'$bad' is reserved" "invalid layer name '$bad': it is reserved" \
        pk layer load "$LAYERS/kunshan-city.geojson" --name "$bad"
done
expect_fail_unchanged "a zero-width space" "it holds an invisible or control character" \
    pk layer load "$LAYERS/kunshan-city.geojson" --name $'city\u200b'
expect_fail_unchanged "an ideographic space" "it holds an invisible or control character" \
    pk layer load "$LAYERS/kunshan-city.geojson" --name $'昆山\u3000市'
expect_fail_unchanged "a byte-order mark" "it holds an invisible or control character" \
    pk layer load "$LAYERS/kunshan-city.geojson" --name $'\ufeffcity'
expect_fail_unchanged "a C1 control character" "it holds an invisible or control character" \
    pk layer load "$LAYERS/kunshan-city.geojson" --name $'city\u0085'
expect_fail_unchanged "a tab" "use letters, digits" pk layer load "$LAYERS/kunshan-city.geojson" --name $'ci\tty'
expect_fail_unchanged "rename to a reserved name" "invalid layer name 'pk_meta': it is reserved" pk layer rename towns pk_meta
cp "$LAYERS/kunshan-city.geojson" lyr_7.geojson
expect_fail_unchanged "a default name (from the file) that is reserved" \
    "the layer name 'lyr_7' (from the file name) is not usable: it is reserved.*give one with --name" pk layer load lyr_7.geojson

# case-insensitive
expect_fail_unchanged "Towns is towns" "layer 'Towns' already exists" pk layer load "$LAYERS/kunshan-towns.geojson" --name Towns
expect_grep "layer info TOWNS finds towns" '^name,towns$' <(pk layer info TOWNS --format csv)
check "layer issues Towns" pk layer issues Towns
check "a rename changing only the case" pk layer rename towns Towns -q
expect_eq "... is recorded" "Towns" "$(sqlite3 "$PLANKIT_STORE" "SELECT name FROM pk_layers")"
check "names that are fine: 区镇, key_areas, metro-line11" pk layer load "$LAYERS/kunshan-city.geojson" --name 区镇 -q
check "the store passes check" pk check

finish
