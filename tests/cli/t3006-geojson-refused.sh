#!/usr/bin/env bash
# --format geojson is refused where the output has no geometry (task list,
# layer list, check, ...) instead of printing a FeatureCollection of nothing.
source "$(dirname "$0")/lib.sh"

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk task add T1 --title one -q
for cmd in "task list" "task show T1" "task history T1" "layer list" "layer info towns" "layer issues towns" "check"; do
    # shellcheck disable=SC2086
    expect_fail_unchanged "$cmd --format geojson" "--format geojson: '$(echo $cmd | cut -d' ' -f1-2 | sed 's/ T1$//')' prints no geometries: use table, csv or json" \
        pk $cmd --format geojson
done
expect_eq "... a usage error" 2 "$(pk task list --format geojson 2>/dev/null; echo $?)"
pk layer load "$LAYERS/kunshan-key-areas.geojson" --name key_areas -q
expect_fail_unchanged "overlay --summary --format geojson (an area matrix)" \
    "--format geojson: the --summary matrix has no geometries" pk overlay intersection towns key_areas --summary --format geojson
expect_eq "... prints nothing on stdout" "" "$(pk overlay intersection towns key_areas --summary --format geojson 2>/dev/null)"
expect_fail_unchanged "sql --format geojson without a geometry column" "--format geojson: the statement returns no geometry column" \
    pk sql "SELECT name FROM pk_layers" --format geojson
check "task list --format json still works" pk task list --format json
check "coverage --format geojson still works (it has geometries)" pk coverage --by towns --format geojson

finish
