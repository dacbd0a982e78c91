#!/usr/bin/env bash
# plankit serve over HTTP (curl): tiles from MBTiles (gzip, TMS rows), a
# z/x/y folder and a whole PMTiles file with Range requests; the styles with
# the tile URL of this server; the page; 204 for an absent tile, 400 for bad
# coordinates and paths, 404, 405 for writes; -v logs; errors for a bad
# address, a busy port and missing tiles; Ctrl-C stops it.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/webmap/tiles.sh"

# status URL [curl options]: the HTTP status code
status() { local u=$1; shift; curl -s --path-as-is -o /dev/null -w '%{http_code}' "$@" "$u"; }

# --- an MBTiles file: one tile (z1, x1, TMS row 0 = XYZ y 1), gzip
printf 'tile-bytes' | gzip -c >"$WORK/tile.gz"
sqlite3 "$WORK/t.mbtiles" "CREATE TABLE metadata(name TEXT, value TEXT); CREATE TABLE tiles(zoom_level INTEGER,
    tile_column INTEGER, tile_row INTEGER, tile_data BLOB); INSERT INTO tiles VALUES(1, 1, 0, readfile('$WORK/tile.gz'));
    INSERT INTO metadata VALUES('bounds', '120.5,31,121.5,31.75');"
start_server "$WORK/t.mbtiles" -v || { not_ok "serve did not start"; cat "$WORK/serve.err"; finish; exit; }
expect_grep "the URL on stdout is a loopback one" '^http://127.0.0.1:[0-9]*/$' "$WORK/serve.out"
curl -s -D "$WORK/h" -o "$WORK/body" "${URL}tiles/1/1/1.pbf"
expect_grep "a tile: 200" "^HTTP/1.1 200" "$WORK/h"
expect_grep "gzip Content-Encoding" "^Content-Encoding: gzip" "$WORK/h"
expect_grep "protobuf type" "^Content-Type: application/x-protobuf" "$WORK/h"
expect_eq "the stored bytes (TMS row flipped to XYZ)" "$(sha256sum <"$WORK/tile.gz")" "$(sha256sum <"$WORK/body")"
expect_eq "an absent tile: 204" 204 "$(status "${URL}tiles/1/1/0.pbf")"
for bad in tiles/1/2/0.pbf tiles/1/0/2.pbf tiles/-1/0/0.pbf tiles/31/0/0.pbf tiles/a/0/0.pbf tiles/1/0/0.png \
    tiles/1/0/0.pbf.x tiles/1/0.pbf tiles/../../etc/passwd styles/../../etc/passwd.json; do
    expect_eq "bad tile path or coordinates: /$bad" 400 "$(status "${URL}$bad")"
done
expect_eq "unknown path: 404" 404 "$(status "${URL}etc/passwd")"
expect_eq "unknown style: 404" 404 "$(status "${URL}styles/nope.json")"
expect_eq "a style name with a dot: 404" 404 "$(status "${URL}styles/zones.x.json")"
expect_eq "no PMTiles here: 404" 404 "$(status "${URL}tiles.pmtiles")"
expect_eq "POST: 405" 405 "$(status "${URL}tiles/1/1/1.pbf" -X POST)"
expect_eq "PUT: 405" 405 "$(status "${URL}styles/zones.json" -X PUT -d x)"
expect_eq "HEAD: 200" 200 "$(status "${URL}tiles/1/1/1.pbf" -I)"
curl -s "${URL}styles/zones.json" >"$WORK/zones.json"
expect_eq "the style's tile URL points at this server" "[\"${URL}tiles/{z}/{x}/{y}.pbf\"]" \
    "$(python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["sources"]["plankit"]["tiles"]))' "$WORK/zones.json")"
port=${URL##*:}; port=${port%/}
curl -s -H "Host: localhost:$port" "${URL}styles/tasks.json" >"$WORK/tasks.json"
expect_grep "the tile URL follows the Host asked for" "\"http://localhost:$port/tiles/{z}/{x}/{y}.pbf\"" "$WORK/tasks.json"
curl -s "$URL" >"$WORK/index.html"
expect_grep "the page" "maplibregl.Map" "$WORK/index.html"
expect_grep "the page embeds the styles with absolute tile URLs" "\"${URL}tiles/{z}/{x}/{y}.pbf\"" "$WORK/index.html"
expect_grep "the page opens on the tiles' bounds" "const VIEW = \[120.5000000, 31.0000000, 121.5000000, 31.7500000\]" "$WORK/index.html"
expect_grep "the page uses the local maplibre-gl" '<script src="maplibre-gl.js">' "$WORK/index.html"
expect_eq "the local maplibre-gl.js" 200 "$(status "${URL}maplibre-gl.js")"
expect_eq "the local maplibre-gl.css" 200 "$(status "${URL}maplibre-gl.css")"
stop_server
expect_eq "Ctrl-C: exit 0" 0 "$?"
expect_grep "-v: one line per request" "plankit serve: 204 /tiles/1/1/0.pbf" "$WORK/serve.err"
expect_grep "-v: refused requests too" "plankit serve: 405 /tiles/1/1/1.pbf" "$WORK/serve.err"

# --- a z/x/y folder, quiet without -v
mkdir -p "$WORK/zxy/3/2"
cp "$WORK/tile.gz" "$WORK/zxy/3/2/5.pbf"
start_server "$WORK/zxy" || { not_ok "serve of a folder did not start"; finish; exit; }
curl -s -D "$WORK/h" -o "$WORK/body" "${URL}tiles/3/2/5.pbf"
expect_grep "a folder tile: gzip" "^Content-Encoding: gzip" "$WORK/h"
expect_eq "a folder tile: its bytes" "$(sha256sum <"$WORK/tile.gz")" "$(sha256sum <"$WORK/body")"
expect_eq "a folder: absent tile 204" 204 "$(status "${URL}tiles/3/2/6.pbf")"
expect_eq "a folder without tiles.json: the styles' own view" "const VIEW = null;" "$(curl -s "$URL" | grep -o 'const VIEW = null;')"
stop_server
expect_eq "without -v no request is logged" "" "$(grep 'plankit serve:' "$WORK/serve.err")"

# --- a PMTiles v3 file (written here by Python from the spec): served whole
# with Range requests, and its tiles at /tiles/{z}/{x}/{y}.pbf
python3 - "$WORK/t.pmtiles" "$WORK/tile.gz" <<'PY'
import gzip, struct, sys
def varint(v):
    out = b""
    while True:
        b, v = v & 0x7f, v >> 7
        out += bytes([b | (0x80 if v else 0)])
        if not v: return out
t0, t1 = open(sys.argv[2], "rb").read(), gzip.compress(b"second tile" * 50)
# tile ids: z0/0/0 = 0, z1/0/0 = 1 (the Hilbert curve starts at the origin)
d = varint(2) + varint(0) + varint(1) + varint(1) + varint(1) + varint(len(t0)) + varint(len(t1)) + varint(1) + varint(0)
root = gzip.compress(d)
data = t0 + t1 + b"x" * 100000       # unreferenced bytes, to have something to ask ranges of
h = b"PMTiles" + bytes([3]) + struct.pack("<QQQQQQQQQQQ", 127, len(root), 127 + len(root), 0, 127 + len(root), 0,
                                        127 + len(root), len(data), 2, 2, 2)
h += bytes([1, 2, 2, 1, 0, 1]) + bytes(127 - len(h) - 6)
open(sys.argv[1], "wb").write(h + root + data)
PY
start_server "$WORK/t.pmtiles" || { not_ok "serve of PMTiles did not start"; cat "$WORK/serve.err"; finish; exit; }
size=$(stat -c %s "$WORK/t.pmtiles")
expect_eq "the whole file" "$(sha256sum <"$WORK/t.pmtiles")" "$(curl -s "${URL}tiles.pmtiles" | sha256sum)"
curl -s -D "$WORK/h" -o "$WORK/body" -r 127-16510 "${URL}tiles.pmtiles"
expect_grep "a range: 206" "^HTTP/1.1 206" "$WORK/h"
expect_grep "its Content-Range" "^Content-Range: bytes 127-16510/$size" "$WORK/h"
expect_eq "its bytes" "$(tail -c +128 "$WORK/t.pmtiles" | head -c 16384 | sha256sum)" "$(sha256sum <"$WORK/body")"
expect_eq "an open range" "$(tail -c +99001 "$WORK/t.pmtiles" | sha256sum)" "$(curl -s -r 99000- "${URL}tiles.pmtiles" | sha256sum)"
expect_eq "a suffix range" "$(tail -c 10 "$WORK/t.pmtiles" | sha256sum)" "$(curl -s -r -10 "${URL}tiles.pmtiles" | sha256sum)"
expect_eq "a range past the end: 416" 416 "$(status "${URL}tiles.pmtiles" -r 200000-)"
expect_eq "a bad range: 416" 416 "$(status "${URL}tiles.pmtiles" -H 'Range: bytes=x-')"
curl -s -D "$WORK/h" -o "$WORK/body" "${URL}tiles/0/0/0.pbf"
expect_grep "a PMTiles tile: gzip" "^Content-Encoding: gzip" "$WORK/h"
expect_eq "a PMTiles tile: its bytes" "$(sha256sum <"$WORK/tile.gz")" "$(sha256sum <"$WORK/body")"
expect_eq "the second PMTiles tile" "second tile" "$(curl -s "${URL}tiles/1/0/0.pbf" | gunzip | head -c 11)"
expect_eq "a tile the PMTiles file has not: 204" 204 "$(status "${URL}tiles/1/1/0.pbf")"
stop_server
head -c 300 /dev/urandom >"$WORK/random.pmtiles"
expect_fail_unchanged "not a PMTiles file" "random.pmtiles: not a PMTiles v3 file" pk serve "$WORK/random.pmtiles" --port 0

# --- errors
expect_fail_unchanged "missing tiles" "nope.mbtiles" pk serve "$WORK/nope.mbtiles" --port 0
expect_fail_unchanged "not a tile file" "not an .mbtiles or .pmtiles file" pk serve "$WORK/tile.gz" --port 0
cp "$WORK/tile.gz" "$WORK/bad.mbtiles"
expect_fail_unchanged "not an MBTiles file" "bad.mbtiles: not an MBTiles file" pk serve "$WORK/bad.mbtiles" --port 0
expect_fail_unchanged "a host that is not an address" "host 'example' is not an IPv4 address" \
    pk serve "$WORK/t.mbtiles" --port 0 --host example
expect_fail_unchanged "a bad port" "port '70000'" pk serve "$WORK/t.mbtiles" --port 70000
start_server "$WORK/t.mbtiles"
port=${URL##*:}; port=${port%/}
expect_fail_unchanged "a port in use" "cannot listen on 127.0.0.1:$port" pk serve "$WORK/t.mbtiles" --port "$port"
stop_server
check "help with an example" pk serve --help
expect_grep "help names the URL" "/tiles/{z}/{x}/{y}.pbf" "$WORK/.out"
finish
