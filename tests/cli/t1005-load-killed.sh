#!/usr/bin/env bash
# A load killed with SIGKILL halfway leaves a store that passes 'plankit
# check' and has no trace of the partial layer; the store takes the same load
# afterwards.
source "$(dirname "$0")/lib.sh"

lyr_tables() { sqlite3 "$PLANKIT_STORE" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE name LIKE '%lyr%' ORDER BY name)"; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# 50,000 small squares around Kunshan: big enough that the load is still
# writing when it is killed
awk 'BEGIN {
    n = 50000
    printf "{\"type\":\"FeatureCollection\",\"features\":[\n"
    for (i = 0; i < n; i++) {
        x = 120.8 + (i % 250) * 0.0014; y = 31.1 + int(i / 250) * 0.0022
        printf "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"cell %d\",\"n\":%d},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}}\n",
            (i ? "," : ""), i, i, x, y, x + 0.001, y, x + 0.001, y + 0.001, x, y + 0.001, x, y
    }
    printf "]}\n"
}' >"$WORK/cells.geojson"

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-city.geojson" --name city -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
layers_before=$(pk layer list --format csv | cut -d, -f1-5)
tables_before=$(lyr_tables)
history_before=$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_history")
wal0=$(size "$PLANKIT_STORE-wal")

"$PLANKIT" layer load "$WORK/cells.geojson" --name cells -q 2>"$WORK/load.err" &
pid=$!
# wait until the load has written 2 MB into the WAL, then kill it
grown=0
for _ in $(seq 1 3000); do
    if [ "$(size "$PLANKIT_STORE-wal")" -gt $((wal0 + 2000000)) ]; then grown=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
done
kill -9 "$pid" 2>/dev/null
{ wait "$pid"; code=$?; } 2>/dev/null
expect_eq "the WAL grew while the load ran" 1 "$grown"
expect_eq "the load was killed by SIGKILL (exit 137), not finished" 137 "$code"

pk check >"$WORK/out" 2>"$WORK/err"
expect_eq "the store passes plankit check after the kill" 0 $?
expect_eq "check reports no problem" "" "$(cat "$WORK/out")"
expect_eq "the partial layer is not in layer list" "$layers_before" "$(pk layer list --format csv | cut -d, -f1-5)"
expect_eq "no layer table of the partial layer in sqlite_master" "$tables_before" "$(lyr_tables)"
expect_eq "no registry row" 0 "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_layers WHERE name='cells'")"
expect_eq "no geometry column registered for it" 2 "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM geometry_columns WHERE f_table_name LIKE 'lyr%'")"
expect_eq "no load issues, fields or history of it" "0 0 $history_before" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT (SELECT count(*) FROM pk_load_issues) || ' ' ||
        (SELECT count(*) FROM pk_fields WHERE layer_id NOT IN (SELECT id FROM pk_layers)) || ' ' ||
        (SELECT count(*) FROM pk_history)")"
expect_eq "SQLite integrity" ok "$(sqlite3 "$PLANKIT_STORE" 'PRAGMA integrity_check')"
expect_eq "the earlier layers are intact" 12 \
    "$(spatialite_sql "SELECT count(*) FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='towns'")")"

# the store is not left locked: the same load now completes
pk layer load "$WORK/cells.geojson" --name cells -q
expect_eq "the same load then completes" 50000 "$(sqlite3 "$PLANKIT_STORE" "SELECT feature_count FROM pk_layers WHERE name='cells'")"
check "and the store passes check" pk check

finish
