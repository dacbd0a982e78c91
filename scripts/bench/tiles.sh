#!/usr/bin/env bash
# scripts/bench/tiles.sh — `plankit tiles vector` against GDAL's MVT writer
# (ogr2ogr -f MBTiles, GDAL 3.6) on the 3,253 county polygons of China,
# z0..z10, in one run.
#
#   scripts/bench/tiles.sh                  build (if needed), prepare, time, compare
#   BENCH_DIR=/tmp/b scripts/bench/tiles.sh keep the store and outputs there (reused)
#   THREADS=2 scripts/bench/tiles.sh        plankit's threads (default: one per CPU)
#
# Steps: a Release binary in $BUILD (build-bench/, built if missing); a store
# with $SHARED/data/china-counties.geojson.gz loaded (and repaired) by plankit
# as `counties`, exported to FlatGeobuf for GDAL. Then, each once,
# under /usr/bin/time (wall, user+sys CPU, peak RSS):
#   plankit tiles vector counties -o plankit.mbtiles --minzoom 0 --maxzoom 10 --snap 150
#   ogr2ogr -f MBTiles gdal.mbtiles counties.fgb -dsco MINZOOM=0 -dsco MAXZOOM=10
# and for both: tile count, total tile bytes, file size, polygons GDAL's MVT
# driver finds invalid, and the shared-border figures per zoom (gaps and
# overlaps relative to the covered area, measured by the test program
# tests/test_tiler_borders on the decoded tiles). Prints the wall-time ratio.
# Timings depend on the machine's load: say how loaded it was.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SHARED=${SHARED:-${PLANKIT_SHARED_DIR:-$ROOT/../shared}}
COUNTIES=$SHARED/data/china-counties.geojson.gz
BUILD=${BUILD:-build-bench}
MAXZOOM=${MAXZOOM:-10}
THREADS=${THREADS:-0}
[ -f "$COUNTIES" ] || { echo "tiles.sh: $COUNTIES not found (set SHARED)" >&2; exit 2; }
for tool in ogr2ogr sqlite3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "tiles.sh: $tool is needed" >&2; exit 2; }
done
# plankit and the border measure (a test program: the build must have the tests
# on), (re)built every time so neither is ever stale
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake -S . -B "$BUILD" -DPLANKIT_TESTS=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target plankit test_tiler_borders >/dev/null
[ -x "$BUILD/tests/test_tiler_borders" ] ||
    { echo "tiles.sh: the border measure $BUILD/tests/test_tiler_borders was not built" >&2; exit 2; }
PK=$ROOT/$BUILD/plankit
MEASURE=$ROOT/$BUILD/tests/test_tiler_borders
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/plankit-bench-tiles.XXXXXX")}
mkdir -p "$DIR"
cd "$DIR"
export PLANKIT_STORE=$DIR/plan.sqlite
if [ ! -f counties.fgb ]; then
    rm -f plan.sqlite
    "$PK" init -q
    "$PK" layer load "/vsigzip/$COUNTIES" --name counties -q
    "$PK" layer export counties counties.fgb
fi

# run NAME COMMAND...: time it; prints "wall cpu peak_kib"
run() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$name.time" "$@" >"$name.log" 2>&1 || { cat "$name.log" >&2; exit 1; }
    awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 }' "$name.time"
}
rm -f plankit.mbtiles gdal.mbtiles
read -r pk_wall pk_cpu pk_mem < <(run plankit "$PK" tiles vector counties -o plankit.mbtiles --minzoom 0 \
    --maxzoom "$MAXZOOM" --snap 150 --threads "$THREADS" -q)
read -r gd_wall gd_cpu gd_mem < <(run gdal ogr2ogr -f MBTiles gdal.mbtiles counties.fgb \
    -dsco MINZOOM=0 -dsco MAXZOOM="$MAXZOOM")

tiles() { sqlite3 "$1" "SELECT count(*), coalesce(sum(length(tile_data)), 0) FROM tiles" | tr '|' ' '; }
read -r pk_tiles pk_bytes < <(tiles plankit.mbtiles)
read -r gd_tiles gd_bytes < <(tiles gdal.mbtiles)
"$MEASURE" plankit.mbtiles counties 0 "$MAXZOOM" > plankit.borders || true  # a zoom GEOS cannot union is reported, not fatal
"$MEASURE" gdal.mbtiles counties 0 "$MAXZOOM" > gdal.borders || true
invalid() { awk '{ for (i = 1; i < NF; i++) if ($i == "invalid") n += $(i + 1) } END { print n + 0 }' "$1"; }
worst() { awk '{ for (i = 1; i < NF; i++) { if ($i == "gaps") g = $(i + 1) > g ? $(i + 1) : g;
                 if ($i == "overlaps") o = $(i + 1) > o ? $(i + 1) : o } } END { printf "%.4f %% / %.4f %%", g, o }' "$1"; }

echo "tiles vector benchmark: $(wc -l < plankit.borders) zooms (0-$MAXZOOM) of the 3,253 counties of China; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %9s %9s %12s %8s %12s %12s %8s %s\n" tool wall_s cpu_s peak_MiB tiles tile_MB file_MB invalid "worst gaps / overlaps"
printf "%-10s %9s %9s %12.1f %8s %12.2f %12.2f %8s %s\n" plankit "$pk_wall" "$pk_cpu" "$(echo "$pk_mem / 1024" | bc -l)" \
    "$pk_tiles" "$(echo "$pk_bytes / 1000000" | bc -l)" "$(echo "$(stat -c %s plankit.mbtiles) / 1000000" | bc -l)" \
    "$(invalid plankit.borders)" "$(worst plankit.borders)"
printf "%-10s %9s %9s %12.1f %8s %12.2f %12.2f %8s %s\n" ogr2ogr "$gd_wall" "$gd_cpu" "$(echo "$gd_mem / 1024" | bc -l)" \
    "$gd_tiles" "$(echo "$gd_bytes / 1000000" | bc -l)" "$(echo "$(stat -c %s gdal.mbtiles) / 1000000" | bc -l)" \
    "$(invalid gdal.borders)" "$(worst gdal.borders)"
echo "wall-time ratio ogr2ogr / plankit: $(echo "scale=2; $gd_wall / $pk_wall" | bc -l)x; CPU ratio: $(echo "scale=2; $gd_cpu / $pk_cpu" | bc -l)x"
echo "shared borders per zoom (plankit, then ogr2ogr):"
sed 's/^/  plankit /' plankit.borders
sed 's/^/  ogr2ogr /' gdal.borders
echo "outputs in $DIR"
