#!/usr/bin/env bash
# Concurrent loads into one store (WAL + busy timeout): a second and third
# 'plankit layer load' started while the first is writing wait for it and all
# succeed; readers meanwhile see the store as it was before the load.
source "$(dirname "$0")/lib.sh"

size() { stat -c %s "$1" 2>/dev/null || echo 0; }
cells() { # cells FILE N X0: N small squares
    awk -v n="$2" -v x0="$3" 'BEGIN {
        printf "{\"type\":\"FeatureCollection\",\"features\":[\n"
        for (i = 0; i < n; i++) {
            x = x0 + (i % 100) * 0.0014; y = 31.1 + int(i / 100) * 0.0022
            printf "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"cell %d\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}}\n",
                (i ? "," : ""), i, x, y, x + 0.001, y, x + 0.001, y + 0.001, x, y + 0.001, x, y
        }
        printf "]}\n" }' >"$1"
}
cells "$WORK/a.geojson" 20000 120.8
cells "$WORK/b.geojson" 3000 120.9
cells "$WORK/c.geojson" 3000 121.0

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-city.geojson" --name city -q
wal0=$(size "$PLANKIT_STORE-wal")

"$PLANKIT" layer load "$WORK/a.geojson" --name a -q 2>"$WORK/a.err" &
pa=$!
# wait until A is writing (it holds the write lock), then start B and C
for _ in $(seq 1 3000); do
    [ "$(size "$PLANKIT_STORE-wal")" -gt $((wal0 + 500000)) ] && break
    kill -0 "$pa" 2>/dev/null || break
    sleep 0.02
done
if kill -0 "$pa" 2>/dev/null; then a_running=1; else a_running=0; fi
"$PLANKIT" layer load "$WORK/b.geojson" --name b -q 2>"$WORK/b.err" &
pb=$!
"$PLANKIT" layer load "$WORK/c.geojson" --name c -q 2>"$WORK/c.err" &
pc=$!
# a reader while A writes: sees only the committed layers
pk layer list --format csv >"$WORK/during.csv" 2>"$WORK/during.err"
reader=$?
if kill -0 "$pa" 2>/dev/null; then a_still=1; else a_still=0; fi
wait "$pa"; ca=$?
wait "$pb"; cb=$?
wait "$pc"; cc=$?

expect_eq "load A was still writing when B and C started" 1 "$a_running"
expect_eq "load A succeeds" 0 "$ca"
expect_eq "load B (started during A) succeeds" 0 "$cb"
expect_eq "load C (started during A) succeeds" 0 "$cc"
expect_eq "no errors from the loads" "" "$(cat "$WORK/a.err" "$WORK/b.err" "$WORK/c.err")"
expect_eq "a reader during the load succeeds" 0 "$reader"
if [ "$a_still" -eq 1 ]; then
    expect_eq "the reader saw only the committed layer" "city" "$(tail -n +2 "$WORK/during.csv" | cut -d, -f1 | paste -sd,)"
else
    ok "the reader ran after load A (nothing to compare)"
fi
expect_eq "all three layers are there with all their features" "a:20000 b:3000 c:3000 city:1" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT group_concat(name || ':' || feature_count, ' ') FROM (SELECT * FROM pk_layers ORDER BY name)")"
for l in a b c; do
    t=$(sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='$l'")
    expect_eq "layer $l: the table holds the registry's count" \
        "$(sqlite3 "$PLANKIT_STORE" "SELECT feature_count FROM pk_layers WHERE name='$l'")" \
        "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM $t")"
done
expect_eq "three load entries in the history" 3 \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_history WHERE command='layer load' AND object_id IN ('a','b','c')")"
check "the store passes check" pk check

# two loads of the same new name at once: exactly one wins, the other is told
"$PLANKIT" layer load "$WORK/b.geojson" --name same -q 2>"$WORK/s1.err" &
p1=$!
"$PLANKIT" layer load "$WORK/c.geojson" --name same -q 2>"$WORK/s2.err" &
p2=$!
wait "$p1"; c1=$?
wait "$p2"; c2=$?
expect_eq "one of two loads of the same name succeeds" 1 "$(( (c1 == 0) + (c2 == 0) ))"
expect_grep "the other says the layer exists" "^plankit: error: .*layer 'same' already exists" <(cat "$WORK/s1.err" "$WORK/s2.err")
expect_eq "one layer 'same' of 3000 features" "1 3000" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) || ' ' || max(feature_count) FROM pk_layers WHERE name='same'")"
check "the store still passes check" pk check

finish
