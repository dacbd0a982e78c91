#!/usr/bin/env bash
# The example program of docs/LIBRARY.md, as printed there, compiled against
# include/ and the built libplankit (nothing from src/) and run: it prints
# the share of square A its task covers (0.250) and of both squares (0.125).
# A change to the public API that breaks the documented example fails here.
source "$(dirname "$0")/lib.sh"

src=$PLANKIT_SOURCE_DIR
build=$(dirname "$PLANKIT")
lib=$build/libplankit.a
sed -n '/^```c$/,/^```$/p' "$src/docs/LIBRARY.md" | sed '1d;$d' >"$WORK/example.c"
check "docs/LIBRARY.md has a C example with main()" grep -q "^int main(void)" "$WORK/example.c"

flags=()
grep -q "^PLANKIT_SANITIZE:BOOL=ON" "$build/CMakeCache.txt" 2>/dev/null && flags=(-fsanitize=address,undefined)
deps="gdal proj geos sqlite3 spatialite json-c cairo pangocairo fontconfig zlib libmicrohttpd"
# shellcheck disable=SC2046
if cc -std=c11 -Wall -Wextra -Werror "${flags[@]}" -I"$src/include" "$WORK/example.c" -o "$WORK/example" \
    "$lib" $(pkg-config --libs $deps) -lpthread -lm 2>"$WORK/cc.err"; then
    ok "the example compiles with include/ alone and links libplankit"
else
    not_ok "the example does not compile: $(head -3 "$WORK/cc.err")"
fi

cat >"$WORK/squares.geojson" <<'JSON'
{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}},"features":[
{"type":"Feature","properties":{"name":"A"},"geometry":{"type":"Polygon","coordinates":[[[600000,3430000],[601000,3430000],[601000,3431000],[600000,3431000],[600000,3430000]]]}},
{"type":"Feature","properties":{"name":"B"},"geometry":{"type":"Polygon","coordinates":[[[601000,3430000],[602000,3430000],[602000,3431000],[601000,3431000],[601000,3430000]]]}}]}
JSON
(cd "$WORK" && ./example >out.txt 2>err.txt)
code=$?
expect_eq "the example exits 0" 0 "$code"
expect_eq "the example prints the two shares" "A: 0.250 covered, both: 0.125" "$(cat "$WORK/out.txt")"

finish
