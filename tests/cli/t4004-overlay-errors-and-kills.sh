#!/usr/bin/env bash
# plankit overlay: bad arguments give one clear error and leave the store as
# it was; Ctrl-C and SIGKILL never leave a half-written layer or file.
source "$(dirname "$0")/lib.sh"

pk init --measure-crs EPSG:4549 -q
pk layer load "$SHARED_DIR/data/kunshan-region.geojson" --name counties -q
pk layer load "$LAYERS/kunshan-line11.geojson" --name line -q
python3 - >"$WORK/grid.geojson" <<'PY'
import json
feats = []
step = 0.01
for i in range(210):
    for j in range(130):
        x, y = 119.9 + i * step, 30.57 + j * step
        ring = [[x, y], [x + step, y], [x + step, y + step], [x, y + step], [x, y]]
        feats.append({"type": "Feature", "properties": {"cell": i * 1000 + j},
                      "geometry": {"type": "Polygon", "coordinates": [[[round(a, 6), round(b, 6)] for a, b in ring]]}})
print(json.dumps({"type": "FeatureCollection", "features": feats}))
PY
pk layer load "$WORK/grid.geojson" --name grid -q

expect_fail_unchanged "unknown operation" "unknown operation 'intersect'" pk overlay intersect counties grid -o x
expect_eq "... is a usage error (exit 2)" 2 "$(pk overlay intersect counties grid -o x 2>/dev/null; echo $?)"
expect_fail_unchanged "unknown layer" "no layer 'nope'" pk overlay intersection counties nope -o x
expect_fail_unchanged "lines are not polygons" "non-polygon features" pk overlay intersection counties line -o x
expect_fail_unchanged "no output and no summary" "give -o OUT or --summary" pk overlay intersection counties grid
expect_fail_unchanged "bad output name" "invalid output layer name" pk overlay intersection counties grid -o "x';--"
expect_fail_unchanged "bad --where-a" "invalid condition" pk overlay intersection counties grid -o x --where-a "nope = 1"
expect_fail_unchanged "a --where-a that writes" "invalid condition" pk overlay intersection counties grid -o x --where-a "1); DELETE FROM pk_layers; --"
expect_fail_unchanged "a --where-a that reorders the features" "must not change the order" \
    pk overlay intersection counties grid -o x --where-a "1) ORDER BY fid DESC --"
expect_fail_unchanged "bad --min-area" "min-area" pk overlay intersection counties grid -o x --min-area -3

# a file as input is loaded, repaired and dropped afterwards
check "overlay with a file as B" pk overlay intersection counties "$LAYERS/kunshan-sci-zones.geojson" -o with_file -q
expect_eq "no temporary input layer stays" "" "$(sqlite3 "$PLANKIT_STORE" "SELECT name FROM pk_layers WHERE name LIKE '\\_overlay%' ESCAPE '\\'")"

# SIGKILL halfway: the store is exactly as before, the output file never appears.
# The test hook slows the job down (10 ms per progress step: 850 steps for the grid).
export PLANKIT_TEST_PROGRESS_DELAY_MS=10
running_at_kill() { # running_at_kill PID SIGNAL: send SIGNAL after 2 s if PID still runs
    sleep 2
    if kill -0 "$1" 2>/dev/null; then kill "-$2" "$1"; echo yes; else echo no; fi
}
before=$(store_sum)
"$PLANKIT" overlay intersection grid counties -o killed 2>/dev/null &
pid=$!
expect_eq "the overlay was still running when killed" yes "$(running_at_kill $pid KILL)"
wait $pid 2>/dev/null
expect_eq "SIGKILL leaves the store unchanged" "$before" "$(store_sum)"
check "... and it passes check" pk check
expect_eq "... with no trace of the layer" "" "$(pk layer list --format csv | grep '^killed,')"
"$PLANKIT" overlay intersection grid counties -o "$WORK/killed.gpkg" 2>/dev/null &
pid=$!
expect_eq "the file overlay was still running when killed" yes "$(running_at_kill $pid KILL)"
wait $pid 2>/dev/null
expect_eq "SIGKILL leaves no file under the final name" "no" "$([ -e "$WORK/killed.gpkg" ] && echo yes || echo no)"

# Ctrl-C (SIGINT) cancels cleanly: non-zero exit, store unchanged
before=$(store_sum)
"$PLANKIT" overlay union grid counties -o interrupted 2>"$WORK/err" &
pid=$!
expect_eq "the overlay was still running at Ctrl-C" yes "$(running_at_kill $pid INT)"
wait $pid
code=$?
if [ "$code" -ne 0 ]; then ok "Ctrl-C exits non-zero ($code)"; else not_ok "Ctrl-C exited 0"; fi
expect_grep "Ctrl-C says the overlay was cancelled" "plankit: error: overlay: cancelled" "$WORK/err"
unset PLANKIT_TEST_PROGRESS_DELAY_MS
expect_eq "Ctrl-C leaves the store unchanged" "$before" "$(store_sum)"
check "the store passes check" pk check

# a registry whose table name is not plankit's own never reaches SQL
sqlite3 "$PLANKIT_STORE" "UPDATE pk_layers SET table_name='lyr_1 WHERE 0; --' WHERE name='grid'"
expect_fail_unchanged "a damaged table name is refused" "the store is damaged: layer 'grid' has the table name" \
    pk overlay intersection counties grid -o x
finish
