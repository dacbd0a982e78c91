#!/usr/bin/env bash
# plankit init: the storage CRS (default EPSG:4326, EPSG:4490), the metric CRS
# (given, or chosen from the first layer's longitude), refusing an existing
# store, bad CRS codes leaving nothing behind, stdout only data.
source "$(dirname "$0")/lib.sh"

meta() { sqlite3 "${2:-$PLANKIT_STORE}" "SELECT value FROM pk_meta WHERE key='$1'"; }
point_geojson() { # point_geojson FILE LON LAT
    printf '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"p"},"geometry":{"type":"Point","coordinates":[%s,%s]}}]}\n' "$2" "$3" >"$1"
}

# default: EPSG:4326, metric CRS not chosen yet
pk init >"$WORK/out" 2>"$WORK/err"
expect_eq "init exits 0" 0 $?
expect_eq "init prints nothing on stdout" "" "$(cat "$WORK/out")"
expect_grep "init says what it created" "created store '.*plan.sqlite' (CRS EPSG:4326)" "$WORK/err"
expect_eq "default storage CRS is EPSG:4326" 4326 "$(meta crs)"
expect_eq "no metric CRS before a layer" "" "$(meta measure_crs)"
expect_eq "the store is in WAL mode" wal "$(sqlite3 "$PLANKIT_STORE" 'PRAGMA journal_mode')"
expect_eq "the store is a SpatiaLite database" 1 \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM spatial_ref_sys WHERE srid=4326")"
expect_eq "init is recorded in the history" 1 \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_history WHERE command='init'")"
check "a new store passes check" pk check
# layer list of an empty store: only the header line
expect_eq "layer list of an empty store: header only" "name,kind,geometry,title,features,extent,loaded_at,accuracy" \
    "$(pk layer list --format csv)"

# an existing store is refused and left as it was
expect_fail_unchanged "init on an existing store" "store '.*plan.sqlite' already exists" pk init
expect_fail_unchanged "init --crs EPSG:4490 on an existing store" "already exists" pk init --crs EPSG:4490
expect_eq "the existing store keeps its CRS" 4326 "$(meta crs)"

# the metric CRS is chosen from the first layer's longitude: Kunshan -> EPSG:4549
pk layer load "$LAYERS/kunshan-city.geojson" --name city 2>"$WORK/err"
expect_eq "Kunshan data chooses EPSG:4549" 4549 "$(meta measure_crs)"
expect_grep "the choice is reported" "metric CRS of the store set to EPSG:4549" "$WORK/err"
pk layer load "$LAYERS/kunshan-places.geojson" --name places 2>"$WORK/err"
if grep -q "metric CRS" "$WORK/err"; then not_ok "the metric CRS is chosen only once"; else ok "the metric CRS is chosen only once"; fi
expect_eq "... and kept" 4549 "$(meta measure_crs)"
expect_eq "the metric CRS is in spatial_ref_sys (for SQL areas)" 1 \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM spatial_ref_sys WHERE srid=4549")"

# elsewhere: 105E -> EPSG:4544 (CM 105E); Urumqi -> EPSG:4538 (CM 87E); Paris -> UTM 31N; Rio -> UTM 23S
for case in "105 30 4544" "87.6 43.8 4538" "2.35 48.85 32631" "-43.2 -22.9 32723"; do
    set -- $case
    s=$WORK/auto-$3.sqlite
    point_geojson "$WORK/p.geojson" "$1" "$2"
    pk -s "$s" init -q && pk -s "$s" layer load "$WORK/p.geojson" -q
    expect_eq "data at $1,$2 chooses EPSG:$3" "$3" "$(meta measure_crs "$s")"
done

# --measure-crs given: kept, whatever the data
s=$WORK/given.sqlite
pk -s "$s" init --measure-crs EPSG:4544 -q
pk -s "$s" layer load "$LAYERS/kunshan-city.geojson" -q
expect_eq "--measure-crs is kept" 4544 "$(meta measure_crs "$s")"

# EPSG:4490 (CGCS2000) as the storage CRS
s=$WORK/cgcs.sqlite
pk -s "$s" init --crs EPSG:4490 --measure-crs EPSG:4549 >"$WORK/out" 2>"$WORK/err"
expect_eq "init --crs EPSG:4490 exits 0" 0 $?
expect_grep "... and says so" "(CRS EPSG:4490, metric CRS EPSG:4549)" "$WORK/err"
expect_eq "storage CRS EPSG:4490" 4490 "$(meta crs "$s")"
expect_eq "metric CRS EPSG:4549" 4549 "$(meta measure_crs "$s")"
s=$WORK/lower.sqlite
pk -s "$s" init --crs epsg:4490 -q
expect_eq "lower-case epsg: accepted" 4490 "$(meta crs "$s")"

# bad CRS codes: exit non-zero, one error line, no store left behind
for args in "--crs EPSG:999999|unknown CRS 'EPSG:999999'" "--crs WGS84|invalid CRS 'WGS84'" \
    "--measure-crs EPSG:4326|not a projected CRS in metres" "--measure-crs EPSG:999999|unknown CRS" \
    "--crs EPSG:5773|neither geographic nor projected"; do
    opts=${args%%|*} pattern=${args#*|}
    s=$WORK/bad.sqlite
    # shellcheck disable=SC2086
    PLANKIT_STORE=$s expect_fail_unchanged "init $opts" "$pattern" pk -s "$s" init $opts
    if ls "$s"* >/dev/null 2>&1; then not_ok "init $opts left a file"; else ok "init $opts left no file"; fi
done
# a folder that does not exist
expect_fail_unchanged "init in a missing folder" "" pk -s "$WORK/no/such/dir/plan.sqlite" init
if [ -e "$WORK/no" ]; then not_ok "init created the missing folder"; else ok "init did not create folders"; fi
# a manifest that does not exist: no store either
s=$WORK/nomanifest.sqlite
PLANKIT_STORE=$s expect_fail_unchanged "init --with a missing manifest" "not found" \
    pk -s "$s" init --with "$WORK/missing.json"
if [ -e "$s" ]; then not_ok "init --with a missing manifest left a store"; else ok "init --with a missing manifest left no store"; fi

finish
