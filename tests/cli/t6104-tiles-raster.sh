#!/usr/bin/env bash
# plankit tiles raster end to end on the bundled Kunshan layers: the three
# containers (a z/x/y.png folder with TileJSON, MBTiles format png, PMTiles
# tile type png) hold exactly the tiles of the zooms and bbox, 256 or 512
# pixels a side; a town's fill is drawn where the town is (its point on
# surface, computed by SpatiaLite, mapped to a tile pixel independently of
# plankit, read back with an independent PNG reader); bad input is one error
# line, exit 1 or 2 and no output; --force replaces only once complete; a
# stopped run leaves nothing; no progress bar in a pipe.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
PNG="python3 $here/raster/png.py"

pk init --with "$LAYERS/kunshan.json" -q
check "tiles raster --help" pk tiles raster --help
expect_grep "the help has an example" "Example:" "$WORK/.out"

# a style of the towns only: 张浦镇 red, the others green, no labels over the fills
python3 - "$DATA/style-towns.json" >"$WORK/towns.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["layers"] = [l for l in s["layers"] if l["type"] != "symbol"]
print(json.dumps(s))
PY
BBOX=120.85,31.15,121.05,31.45
check "raster tiles into a folder" pk tiles raster --style "$WORK/towns.json" -o "$WORK/dir" --minzoom 9 --maxzoom 12 --bbox $BBOX
expect_grep "a summary names the output" "PNG tiles" "$WORK/.err"
expect_eq "no progress bar in a pipe" "0" "$(tr -cd '\r' <"$WORK/.err" | wc -c)"

# the tiles each zoom must have, computed here from the bbox
python3 - $BBOX 9 12 >"$WORK/expected.txt" <<'PY'
import math, sys
w, s, e, n = map(float, sys.argv[1].split(","))
def tile(lon, lat, z):
    k = 2 ** z
    r = math.radians(lat)
    return int((lon + 180) / 360 * k), int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k)
for z in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    (x0, y0), (x1, y1) = tile(w, n, z), tile(e, s, z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            print(f"{z}/{x}/{y}")
PY
(cd "$WORK/dir" && find . -name '*.png' | sed 's|^\./||; s|\.png$||' | sort) >"$WORK/found.txt"
sort -o "$WORK/expected.txt" "$WORK/expected.txt"
expect_eq "the folder holds exactly the tiles of zooms 9-12 over the bbox ($(wc -l <"$WORK/expected.txt"))" \
    "$(cat "$WORK/expected.txt")" "$(cat "$WORK/found.txt")"
expect_eq "tiles.json says png" "png {z}/{x}/{y}.png 9 12" \
    "$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(t["format"], t["tiles"][0], t["minzoom"], t["maxzoom"])' "$WORK/dir/tiles.json")"
first=$(head -n 1 "$WORK/found.txt")
expect_eq "a tile is a 256x256 PNG" "256 256" "$($PNG info "$WORK/dir/$first.png" | cut -d' ' -f1,2)"

# 张浦镇's fill at its point on surface (SpatiaLite), in the tile of zoom 12 there
towns=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name = 'towns'")
pos=$(spatialite_sql "SELECT X(p), Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM $towns WHERE name = '张浦镇')")
read -r tx ty px py < <(python3 - $pos <<'PY'
import math, sys
lon, lat = map(float, sys.argv[1].split("|"))
k = 2 ** 12 * 256
r = math.radians(lat)
X, Y = (lon + 180) / 360 * k, (1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k
print(int(X // 256), int(Y // 256), int(X % 256), int(Y % 256))
PY
)
expect_eq "张浦镇 is red at its point on surface (tile 12/$tx/$ty, pixel $px,$py)" "255 0 0" \
    "$($PNG pixel "$WORK/dir/12/$tx/$ty.png" "$px" "$py" | cut -d' ' -f1-3)"
pos=$(spatialite_sql "SELECT X(p), Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM $towns WHERE name = '千灯镇')")
read -r tx ty px py < <(python3 - $pos <<'PY'
import math, sys
lon, lat = map(float, sys.argv[1].split("|"))
k = 2 ** 12 * 256
r = math.radians(lat)
X, Y = (lon + 180) / 360 * k, (1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k
print(int(X // 256), int(Y // 256), int(X % 256), int(Y % 256))
PY
)
# hsl(120, 100%, 25%) = #008000 at opacity 0.5 over rgb(240, 240, 240)
expect_eq "千灯镇 is half-transparent green over the background" "120 184 120" \
    "$($PNG pixel "$WORK/dir/12/$tx/$ty.png" "$px" "$py" | cut -d' ' -f1-3)"

# MBTiles and PMTiles of the same tiles; 512-pixel tiles at --scale 2
check "raster tiles into MBTiles" pk tiles raster --style "$WORK/towns.json" -o "$WORK/t.mbtiles" --minzoom 9 --maxzoom 12 --bbox $BBOX -q
expect_eq "MBTiles: format png, every tile" "png|$(wc -l <"$WORK/expected.txt")" \
    "$(sqlite3 "$WORK/t.mbtiles" "SELECT (SELECT value FROM metadata WHERE name='format'), (SELECT count(*) FROM tiles)")"
expect_eq "MBTiles: the tiles are PNG images" "0" \
    "$(sqlite3 "$WORK/t.mbtiles" "SELECT count(*) FROM tiles WHERE hex(substr(tile_data, 1, 8)) <> '89504E470D0A1A0A'")"
check "raster tiles into PMTiles at scale 2" pk tiles raster --style "$WORK/towns.json" -o "$WORK/t.pmtiles" --minzoom 12 --maxzoom 12 --bbox $BBOX --scale 2 -q
expect_eq "PMTiles v3: no tile compression, tile type png, zooms 12-12" "3 1 2 12 12" \
    "$(python3 -c 'import sys; h=open(sys.argv[1],"rb").read(127); print(h[7], h[98], h[99], h[100], h[101])' "$WORK/t.pmtiles")"
check "512-pixel tiles into a folder" pk tiles raster --style "$WORK/towns.json" -o "$WORK/dir2" --minzoom 12 --maxzoom 12 --bbox $BBOX --scale 2 -q
expect_eq "--scale 2 tiles are 512x512" "512 512" "$($PNG info "$(find "$WORK/dir2" -name '*.png' | head -n 1)" | cut -d' ' -f1,2)"

# the bundled zones style renders straight from the store, labels included
check "styles/zones.json at zoom 11" pk tiles raster --style "$PLANKIT_SOURCE_DIR/styles/zones.json" -o "$WORK/zones" --minzoom 11 --maxzoom 11
expect_grep "zones: labels were placed" "labels placed" "$WORK/.err"
if grep -Eq ' 0 labels placed' "$WORK/.err"; then not_ok "zones: no label placed"; else ok "zones: some labels placed"; fi

# bad input: one error line, no output
expect_fail_unchanged "a missing style file" "nope.json" pk tiles raster --style "$WORK/nope.json" -o "$WORK/bad1" --minzoom 9 --maxzoom 9
echo '{"version": 8, "layers": [' >"$WORK/broken.json"
expect_fail_unchanged "a style that is not JSON" "broken.json" pk tiles raster --style "$WORK/broken.json" -o "$WORK/bad2" --minzoom 9 --maxzoom 9
sed 's/"source-layer": "towns"/"source-layer": "townz"/' "$WORK/towns.json" >"$WORK/missing.json"
expect_fail_unchanged "a style naming a layer the store lacks" "townz" pk tiles raster --style "$WORK/missing.json" -o "$WORK/bad3" --minzoom 9 --maxzoom 9
expect_fail_unchanged "minzoom above maxzoom" "minzoom" pk tiles raster --style "$WORK/towns.json" -o "$WORK/bad4" --minzoom 12 --maxzoom 9
expect_fail_unchanged "a bbox outside the world" "bbox" pk tiles raster --style "$WORK/towns.json" -o "$WORK/bad5" --minzoom 9 --maxzoom 9 --bbox 120,31,200,32
pk tiles raster --style "$WORK/towns.json" -o "$WORK/bad6" --minzoom 9 --maxzoom 9 --scale 3 2>"$WORK/scale.err"
expect_eq "--scale 3 is a usage error" "2" "$?"
for b in bad1 bad2 bad3 bad4 bad5 bad6; do [ -e "$WORK/$b" ] && not_ok "$b was written"; done
ok "no output after a refusal"

# an existing output: refused, then replaced with --force
before=$(sha256sum "$WORK/t.mbtiles")
expect_fail_unchanged "an existing output" "exists" pk tiles raster --style "$WORK/towns.json" -o "$WORK/t.mbtiles" --minzoom 9 --maxzoom 9
expect_eq "the existing output is untouched" "$before" "$(sha256sum "$WORK/t.mbtiles")"
pk tiles raster --style "$WORK/broken.json" -o "$WORK/t.mbtiles" --minzoom 9 --maxzoom 9 --force -q 2>/dev/null
expect_eq "a failed --force run keeps the old output" "$before" "$(sha256sum "$WORK/t.mbtiles")"
check "--force replaces it" pk tiles raster --style "$WORK/towns.json" -o "$WORK/t.mbtiles" --minzoom 9 --maxzoom 9 --bbox $BBOX --force -q
expect_eq "the replacement has zoom 9 only" "9|9" "$(sqlite3 "$WORK/t.mbtiles" "SELECT min(zoom_level), max(zoom_level) FROM tiles")"

# stopped (SIGTERM, as Ctrl-C; a background job of a script ignores SIGINT): nothing left behind
"$PLANKIT" tiles raster --style "$PLANKIT_SOURCE_DIR/styles/zones.json" -o "$WORK/big.pmtiles" --minzoom 8 --maxzoom 15 --threads 1 -q 2>"$WORK/big.err" &
pid=$!
sleep 2
kill -TERM $pid
wait $pid
code=$?
expect_eq "an interrupted run fails" "1" "$([ $code -ne 0 ] && echo 1 || echo 0)"
expect_grep "with one error line" "^plankit: error: tiles raster: cancelled" "$WORK/big.err"
expect_eq "and leaves no file behind" "" "$(ls "$WORK" | grep '^big.pmtiles' || true)"
finish
