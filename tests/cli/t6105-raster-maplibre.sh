#!/usr/bin/env bash
# plankit's raster tiles look like the web map: a 4x3 block of zoom-12 tiles
# of Kunshan drawn by `plankit tiles raster` from styles/zones.json is
# compared in Debian's Chromium with MapLibre GL JS drawing the same style
# from plankit's vector tiles at the same view (tests/js/test_raster_maplibre.mjs:
# SSIM and a blurred colour difference within a tolerance, which tiles
# offset by 6 px or drawn with the towns in the wrong colour must fail).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/webmap/tiles.sh"

pk init --with "$LAYERS/kunshan.json" -q
check "the Kunshan vector tiles" make_test_tiles "$PLANKIT_STORE" "$WORK/kunshan.mbtiles"

# labels hidden (drawn by two text engines with their own placement rules);
# and a broken copy: the towns filled in another colour
python3 - "$PLANKIT_SOURCE_DIR/styles/zones.json" "$WORK/nolabels.json" "$WORK/wrong.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for l in s["layers"]:
    if l["type"] == "symbol":
        l.setdefault("layout", {})["visibility"] = "none"
json.dump(s, open(sys.argv[2], "w"), ensure_ascii=False)
for l in s["layers"]:
    if l["id"] == "towns-fill":
        l["paint"]["fill-color"] = "#d04040"
json.dump(s, open(sys.argv[3], "w"), ensure_ascii=False)
PY

# the 4x3 tiles of zoom 12 around the city centre (120.98, 31.38), and their bbox just inside
read -r X0 Y0 BBOX < <(python3 - <<'PY'
import math
z, lon, lat = 12, 120.98, 31.38
k = 2 ** z
r = math.radians(lat)
x, y = int((lon + 180) / 360 * k) - 1, int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k) - 1
def lonlat(tx, ty):
    return tx / k * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * ty / k))))
w, n = lonlat(x + 0.01, y + 0.01)
e, s = lonlat(x + 4 - 0.01, y + 3 - 0.01)
print(x, y, f"{w:.6f},{s:.6f},{e:.6f},{n:.6f}")
PY
)
check "plankit's raster tiles of the block" pk tiles raster --style "$WORK/nolabels.json" -o "$WORK/tiles" --minzoom 12 --maxzoom 12 --bbox "$BBOX" -q
check "the same with the towns in the wrong colour" pk tiles raster --style "$WORK/wrong.json" -o "$WORK/wrong" --minzoom 12 --maxzoom 12 --bbox "$BBOX" -q
expect_eq "12 tiles" "12" "$(find "$WORK/tiles" -name '*.png' | wc -l)"

if start_server "$WORK/kunshan.mbtiles"; then ok "plankit serve started at $URL"
else not_ok "plankit serve did not start"; cat "$WORK/serve.err"; finish; exit; fi
mkdir -p "$WORK/shots"
if node "$PLANKIT_SOURCE_DIR/tests/js/test_raster_maplibre.mjs" "$URL" 12 "$X0" "$Y0" 4 3 "$WORK/tiles" "$WORK/wrong" \
    "$WORK/shots" >"$WORK/browser.out" 2>&1; then
    ok "raster tiles against MapLibre"
else
    not_ok "raster tiles against MapLibre"
fi
sed 's/^/    /' "$WORK/browser.out"
if [ -n "${PLANKIT_KEEP_SHOTS:-}" ]; then cp "$WORK/shots/"*.png "$PLANKIT_KEEP_SHOTS/"; fi
stop_server
finish
