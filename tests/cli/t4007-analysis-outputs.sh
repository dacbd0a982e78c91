#!/usr/bin/env bash
# Where analysis results go (the sinks): a GeoPackage output is read back by
# ogrinfo whole (feature count, geometry type) with nothing else left beside
# it; Ctrl-C midway leaves no file, no temporary folder and the store as it
# was; an output layer's kind follows its geometry (polygons -> zone, lines
# -> line, points -> point), in the store and in files.
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q || { not_ok "init"; finish; exit 1; }
python3 - >"$WORK/grid.geojson" <<'PY'
import json
feats = []
step = 0.01
for i in range(60):
    for j in range(40):
        x, y = 120.75 + i * step, 31.15 + j * step
        ring = [[x, y], [x + step, y], [x + step, y + step], [x, y + step], [x, y]]
        feats.append({"type": "Feature", "properties": {"cell": i * 1000 + j},
                      "geometry": {"type": "Polygon", "coordinates": [[[round(a, 6), round(b, 6)] for a, b in ring]]}})
print(json.dumps({"type": "FeatureCollection", "features": feats}))
PY
pk layer load "$WORK/grid.geojson" --name grid -q
mkdir "$WORK/out"
count_of() { ogrinfo -so -al "$1" 2>/dev/null | awk -F': ' '/^Feature Count/ {print $2}'; }
geometry_of() { ogrinfo -so -al "$1" 2>/dev/null | awk -F': ' '/^Geometry/ {print $2}'; }
registry() { sqlite3 "$PLANKIT_STORE" "SELECT kind || ' ' || geometry_type FROM pk_layers WHERE name='$1'"; }

# the same overlay into the store and into a GeoPackage
check "overlay into a layer" pk overlay intersection grid towns -o pieces -q
check "overlay into a GeoPackage" pk overlay intersection grid towns -o "$WORK/out/pieces.gpkg" -q
n=$(sqlite3 "$PLANKIT_STORE" "SELECT feature_count FROM pk_layers WHERE name='pieces'")
if [ "${n:-0}" -gt 100 ]; then ok "the overlay has pieces ($n)"; else not_ok "too few pieces: '$n'"; fi
expect_eq "ogrinfo reads every piece from the GeoPackage" "$n" "$(count_of "$WORK/out/pieces.gpkg")"
expect_eq "... as a Multi Polygon layer" "Multi Polygon" "$(geometry_of "$WORK/out/pieces.gpkg")"
store_area=$(sqlite3 "$PLANKIT_STORE" "SELECT printf('%.3f', sum(area_m2)) FROM $(sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='pieces'")")
file_area=$(ogrinfo -q -dialect SQLite -sql "SELECT printf('%.3f', sum(area_m2)) AS s FROM result" "$WORK/out/pieces.gpkg" 2>/dev/null | awk -F'= ' '/s \(String\)/ {print $2}')
if [ -n "$store_area" ] && [ "$store_area" = "$file_area" ]; then ok "... with the same total area_m2 ($file_area)"
else not_ok "total area_m2: store '$store_area', file '$file_area'"; fi
expect_eq "nothing but the GeoPackage in its folder (no journal, no temporary folder)" "pieces.gpkg" "$(ls -A "$WORK/out")"
expect_eq "no temporary layer name left in the registry" "" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT name FROM pk_layers WHERE name LIKE '\\_pk\\_sink%' ESCAPE '\\'")"

# kind follows geometry
expect_eq "polygon pieces are a zone layer" "zone MULTIPOLYGON" "$(registry pieces)"
check "dissolve the metro line" pk dissolve metro_line11 -o line_all -q
expect_eq "dissolved lines are a line layer" "line LINESTRING" "$(registry line_all)"
check "dissolve the stations" pk dissolve metro_stations -o stations_all -q
expect_eq "dissolved points are a point layer" "point POINT" "$(registry stations_all)"
check "buffer the stations" pk buffer metro_stations 500 -o stations_500 -q
expect_eq "buffered points are a zone layer" "zone MULTIPOLYGON" "$(registry stations_500)"
expect_grep "layer list shows the line kind" '^line_all,line,' <(pk layer list --format csv)
check "dissolve the metro line into a GeoPackage" pk dissolve metro_line11 -o "$WORK/line.gpkg" -q
expect_eq "... a Multi Line String layer" "Multi Line String" "$(geometry_of "$WORK/line.gpkg")"

# Ctrl-C midway through a file output: no file, no temporary folder, store unchanged
before=$(store_sum)
PLANKIT_TEST_PROGRESS_DELAY_MS=100 "$PLANKIT" overlay intersection grid towns -o "$WORK/out/int.gpkg" 2>"$WORK/err" &
pid=$!
sleep 2
if kill -0 $pid 2>/dev/null; then kill -INT $pid; ok "the file overlay was running at Ctrl-C"; else not_ok "the file overlay ended before Ctrl-C"; fi
wait $pid
code=$?
if [ "$code" -ne 0 ]; then ok "Ctrl-C exits non-zero ($code)"; else not_ok "Ctrl-C exited 0"; fi
expect_grep "it says the overlay was cancelled" "plankit: error: overlay: cancelled" "$WORK/err"
expect_eq "no int.gpkg and no temporary folder left" "pieces.gpkg" "$(ls -A "$WORK/out")"
expect_eq "the store is unchanged" "$before" "$(store_sum)"

# an output that cannot be written fails at once, leaving nothing
expect_fail_unchanged "a file in a missing folder" "cannot write in the folder" \
    pk overlay intersection grid towns -o "$WORK/nodir/x.gpkg"
expect_eq "... and creates no folder" "no" "$([ -e "$WORK/nodir" ] && echo yes || echo no)"
finish
