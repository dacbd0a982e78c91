#!/usr/bin/env bash
# scripts/bench/render.sh — `plankit tiles raster` against Mapnik (Debian's
# python3-mapnik, Mapnik 3.1) on the bundled Kunshan layers, z8-z14,
# styles/zones.json, the same tile grid, in one run.
#
#   scripts/bench/render.sh                   install Mapnik if missing, build, prepare, time, compare
#   BENCH_DIR=/tmp/b scripts/bench/render.sh  keep the store and outputs there
#   MINZOOM=8 MAXZOOM=14 THREADS=2 ...        the zooms and plankit's threads (default: one per CPU)
#
# Steps: python3-mapnik installed with apt-get when missing; a Release
# binary in $BUILD (build-bench/, built if missing); a store made by
# `plankit init --with layers/kunshan.json`; the tile grid is the extent of
# every layer of the store (the neighbouring counties of `region` included).
# Mapnik's style is generated from styles/zones.json by
# scripts/bench/render_mapnik.py (the same colours, widths, dashes, zoom
# interpolations, match rules and labels; kept as mapnik.xml in the outputs)
# and reads the same SpatiaLite store with its sqlite input plugin and the
# store's R*Tree indexes. Both draw 256-pixel tiles, style zoom z - 1 for
# tiles of zoom z, into a z/x/y.png folder (Mapnik as 32-bit PNG, one
# process: Mapnik's Python binding draws on one thread). Each is run once
# under /usr/bin/time: wall time, user+sys CPU, peak RSS; plankit twice, on
# all CPUs and on one thread. Timings depend on the machine's load: the
# load average is printed with the results.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build-bench}
MINZOOM=${MINZOOM:-8}
MAXZOOM=${MAXZOOM:-14}
THREADS=${THREADS:-0}
PY=/usr/bin/python3
if ! "$PY" -c 'import mapnik' 2>/dev/null; then
    echo "render.sh: installing python3-mapnik (Debian)" >&2
    apt-get install -y -q python3-mapnik >/dev/null
fi
for tool in sqlite3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "render.sh: $tool is needed" >&2; exit 2; }
done
[ -x "$BUILD/plankit" ] || BUILD_DIR=$BUILD scripts/build.sh >/dev/null
PK=$ROOT/$BUILD/plankit
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/plankit-bench-render.XXXXXX")}
mkdir -p "$DIR"
cd "$DIR"
export PLANKIT_STORE=$DIR/kunshan.sqlite
[ -f kunshan.sqlite ] || "$PK" init --with "$ROOT/layers/kunshan.json" -q
BBOX=$(sqlite3 kunshan.sqlite "SELECT printf('%.6f,%.6f,%.6f,%.6f', min(min_x), min(min_y), max(max_x), max(max_y)) FROM pk_layers")
STYLE=$ROOT/styles/zones.json

# run NAME COMMAND...: time it; prints "wall cpu peak_kib"
run() {
    local name=$1; shift
    rm -rf "$name"
    /usr/bin/time -f "%e %U %S %M" -o "$name.time" "$@" >"$name.log" 2>&1 || { cat "$name.log" >&2; exit 1; }
    awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 }' "$name.time"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -r pk_wall pk_cpu pk_mem < <(run plankit "$PK" tiles raster --style "$STYLE" -o plankit --minzoom "$MINZOOM" \
    --maxzoom "$MAXZOOM" --bbox "$BBOX" --threads "$THREADS" -q)
read -r p1_wall p1_cpu p1_mem < <(run plankit-1 "$PK" tiles raster --style "$STYLE" -o plankit-1 --minzoom "$MINZOOM" \
    --maxzoom "$MAXZOOM" --bbox "$BBOX" --threads 1 -q)
read -r mk_wall mk_cpu mk_mem < <(run mapnik "$PY" "$ROOT/scripts/bench/render_mapnik.py" "$STYLE" "$DIR/kunshan.sqlite" \
    mapnik "$MINZOOM" "$MAXZOOM" "$BBOX" mapnik.xml)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

count() { find "$1" -name '*.png' | wc -l; }
bytes() { find "$1" -name '*.png' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
pk_tiles=$(count plankit); p1_tiles=$(count plankit-1); mk_tiles=$(count mapnik)
[ "$pk_tiles" = "$mk_tiles" ] && [ "$p1_tiles" = "$mk_tiles" ] || { echo "render.sh: tile counts differ: $pk_tiles $p1_tiles $mk_tiles" >&2; exit 1; }
threads=$([ "$THREADS" -gt 0 ] && echo "$THREADS" || nproc)

echo "raster tiles benchmark: $pk_tiles tiles, zooms $MINZOOM-$MAXZOOM over $BBOX, styles/zones.json"
echo "$(nproc) CPUs; load average before $load_before, after $load_after"
printf "%-22s %8s %8s %9s %12s %10s %10s\n" tool wall_s cpu_s tiles/s tiles/cpu_s peak_MiB tile_MB
line() {
    printf "%-22s %8s %8s %9.0f %12.0f %10.1f %10.2f\n" "$1" "$2" "$3" "$(echo "$pk_tiles / $2" | bc -l)" \
        "$(echo "$pk_tiles / $3" | bc -l)" "$(echo "$4 / 1024" | bc -l)" "$(echo "$(bytes "$5") / 1000000" | bc -l)"
}
line "plankit ($threads threads)" "$pk_wall" "$pk_cpu" "$pk_mem" plankit
line "plankit (1 thread)" "$p1_wall" "$p1_cpu" "$p1_mem" plankit-1
line "mapnik (1 process)" "$mk_wall" "$mk_cpu" "$mk_mem" mapnik
echo "wall-clock rate plankit ($threads threads) / Mapnik: $(echo "scale=2; $mk_wall / $pk_wall" | bc -l)x;" \
     "tiles per CPU-second plankit / Mapnik: $(echo "scale=2; $mk_cpu / $pk_cpu" | bc -l)x (1 thread: $(echo "scale=2; $mk_cpu / $p1_cpu" | bc -l)x)"
echo "outputs in $DIR (plankit/, plankit-1/, mapnik/, mapnik.xml)"
