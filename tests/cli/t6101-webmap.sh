#!/usr/bin/env bash
# The web map end to end: Kunshan tiles (make_test_tiles, tests/cli/webmap/
# tiles.sh) name every source-layer and attribute the styles read; then
# `plankit serve` serves them and Debian's Chromium, driven by playwright-core
# (tests/js/test_webmap.mjs), checks every style renders, with Chinese labels,
# working switchers and popup, no console error and no failed request.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/webmap/tiles.sh"

pk init --with "$LAYERS/kunshan.json" -q
# a task footprint, so the footprint layers of the tasks style have something to draw
check "a footprint for PZ-01" pk task attach PZ-01 -q \
    --geom 'POLYGON((120.99 31.37, 121.01 31.37, 121.01 31.39, 120.99 31.39, 120.99 31.37))'
check "the Kunshan tiles" make_test_tiles "$PLANKIT_STORE" "$WORK/kunshan.mbtiles"

if python3 "$here/webmap/style_layers.py" "$WORK/kunshan.mbtiles" "$PLANKIT_SOURCE_DIR"/styles/*.json \
    >"$WORK/layers.out" 2>&1; then ok "every source-layer and attribute of the styles is in the tiles"
else not_ok "styles name what the tiles do not have"; sed 's/^/    /' "$WORK/layers.out"; fi
# ... and that check fails on a style naming a tile layer that is not there
sed 's/"source-layer": "key_areas"/"source-layer": "key_area"/' "$PLANKIT_SOURCE_DIR/styles/zones.json" >"$WORK/wrong.json"
python3 "$here/webmap/style_layers.py" "$WORK/kunshan.mbtiles" "$WORK/wrong.json" >"$WORK/wrong.out" 2>&1
expect_eq "a wrong source-layer is found" "1" "$?"
expect_grep "and named" "source-layer 'key_area' is not in the tiles" "$WORK/wrong.out"

if start_server "$WORK/kunshan.mbtiles"; then ok "plankit serve started at $URL"
else not_ok "plankit serve did not start"; cat "$WORK/serve.err"; finish; exit; fi
mkdir -p "$WORK/shots"
if node "$PLANKIT_SOURCE_DIR/tests/js/test_webmap.mjs" "$URL" "$WORK/shots" >"$WORK/browser.out" 2>&1; then
    ok "the web map in Chromium ($(tail -n 1 "$WORK/browser.out"))"
else
    not_ok "the web map in Chromium"; grep -v '^ok' "$WORK/browser.out" | sed 's/^/    /' | head -30
fi
for s in zones coverage tasks; do
    expect_eq "a screenshot of $s" "PNG" "$(head -c 4 "$WORK/shots/webmap-$s.png" 2>/dev/null | tail -c 3)"
done
stop_server
expect_eq "Ctrl-C stops the server cleanly" "0" "$?"
finish
