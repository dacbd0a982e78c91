#!/usr/bin/env bash
# plankit tiles preview: the page, the styles with the tile URL of --base and
# a local maplibre-gl copy in a folder; the page opened from that folder as a
# file draws the tiles `plankit serve` serves (the browser test of t6101).
# NOT RUN YET: the `tiles` command belongs to the tiler; move this file to
# tests/cli/t6103-tiles-preview.sh once `tiles preview` dispatches to
# cmd_tiles_preview (tools/cmd_tiles_preview.c).
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/lib.sh" ] || here=$(cd "$here/.." && pwd)
source "$here/lib.sh"
source "$here/webmap/tiles.sh"

pk init --with "$LAYERS/kunshan.json" -q
check "a footprint for PZ-01" pk task attach PZ-01 -q \
    --geom 'POLYGON((120.99 31.37, 121.01 31.37, 121.01 31.39, 120.99 31.39, 120.99 31.37))'
check "the Kunshan tiles" make_test_tiles "$PLANKIT_STORE" "$WORK/kunshan.mbtiles"

check "preview with the default base" pk tiles preview "$WORK/kunshan.mbtiles" -o "$WORK/map" -q
for f in index.html maplibre-gl.js maplibre-gl.css styles/zones.json styles/coverage.json styles/tasks.json; do
    expect_eq "wrote $f" yes "$([ -s "$WORK/map/$f" ] && echo yes)"
done
expect_grep "default base: plankit serve's default port" '"http://127.0.0.1:8080/tiles/{z}/{x}/{y}.pbf"' \
    "$WORK/map/styles/zones.json"
expect_eq "maplibre-gl.js is the installed one" \
    "$(sha256sum <"$PLANKIT_SOURCE_DIR/tests/js/node_modules/maplibre-gl/dist/maplibre-gl.js")" \
    "$(sha256sum <"$WORK/map/maplibre-gl.js")"
expect_eq "no CDN: the page loads nothing from the network" "" "$(grep -o 'https\?://[a-z][^"]*' "$WORK/map/index.html" | grep -v 127.0.0.1)"

# --- errors
expect_fail_unchanged "no -o" "-o DIR" pk tiles preview "$WORK/kunshan.mbtiles"
expect_fail_unchanged "missing tiles" "nope.mbtiles" pk tiles preview "$WORK/nope.mbtiles" -o "$WORK/x"
expect_fail_unchanged "a relative base URL" "must be absolute" pk tiles preview "$WORK/kunshan.mbtiles" -o "$WORK/x" --base tiles
expect_fail_unchanged "no maplibre-gl" "maplibre-gl" pk tiles preview "$WORK/kunshan.mbtiles" -o "$WORK/x" --maplibre "$WORK"
expect_eq "nothing half written" "" "$(ls "$WORK/x/index.html" 2>/dev/null)"
check "help with an example" pk tiles preview --help
expect_grep "help example" "Example" "$WORK/.out"

# --- the page, opened as a file, draws the tiles served on another port
if start_server "$WORK/kunshan.mbtiles"; then ok "plankit serve started at $URL"
else not_ok "plankit serve did not start"; cat "$WORK/serve.err"; finish; exit; fi
check "preview for this server" pk tiles preview "$WORK/kunshan.mbtiles" -o "$WORK/map2" --base "${URL%/}" -q
mkdir -p "$WORK/shots"
if node "$PLANKIT_SOURCE_DIR/tests/js/test_webmap.mjs" "file://$WORK/map2/index.html" "$WORK/shots" \
    >"$WORK/browser.out" 2>&1; then ok "the preview page in Chromium ($(tail -n 1 "$WORK/browser.out"))"
else not_ok "the preview page in Chromium"; grep -v '^ok' "$WORK/browser.out" | sed 's/^/    /' | head -30; fi
stop_server
finish
