#!/usr/bin/env bash
# scripts/bench/render_map.sh — a printed map: `plankit map` against QGIS
# (Debian's qgis 3.22, a PyQGIS print layout, headless) drawing the Kunshan
# zone map of styles/zones.json on an A3 landscape page at 300 dpi, in
# EPSG:4549, fitted to the city: as PDF (vectors, text embedded) and as PNG.
#
#   scripts/bench/render_map.sh                  build (if needed), prepare, time, compare
#   BENCH_DIR=/tmp/b scripts/bench/render_map.sh keep the store and outputs there
#   RUNS=5 scripts/bench/render_map.sh           runs per tool and format (default 3; the best counts)
#
# Steps: a Release binary in $BUILD (build-bench/, built if missing); a store
# made with `plankit init --with layers/kunshan.json`. Then, per format and
# tool, RUNS times under /usr/bin/time (wall, user+sys CPU, peak RSS):
#   plankit map --style styles/zones.json --extent city --size A3 --landscape --dpi 300 \
#       --crs EPSG:4549 --title ... -o plankit.pdf|png
#   QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/bench/render_map_qgis.py layers qgis.pdf|png 300
# QGIS's whole process includes starting QGIS and reading the GeoJSON layers;
# the script also prints the seconds QGIS's export alone took (layout drawn and
# written), for a fair view of both. Prints a Markdown table and the file sizes.
# QGIS is not installed by scripts/setup.sh (the tests do not need it):
#   apt-get install --no-install-recommends qgis python3-qgis qgis-providers
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build-bench}
RUNS=${RUNS:-3}
for tool in /usr/bin/time /usr/bin/python3 pdfinfo; do
    command -v "$tool" >/dev/null || { echo "render_map.sh: $tool is needed" >&2; exit 2; }
done
/usr/bin/python3 -c 'import qgis.core' 2>/dev/null ||
    { echo "render_map.sh: PyQGIS is needed (apt-get install qgis python3-qgis qgis-providers)" >&2; exit 2; }
[ -x "$BUILD/plankit" ] || BUILD_DIR=$BUILD scripts/build.sh >/dev/null
PK=$ROOT/$BUILD/plankit
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/plankit-bench-map.XXXXXX")}
mkdir -p "$DIR"
cd "$DIR"
export PLANKIT_STORE=$DIR/plan.sqlite
[ -f plan.sqlite ] || "$PK" -q init --with "$ROOT/layers/kunshan.json"
export QT_QPA_PLATFORM=offscreen

# best NAME COMMAND...: the run with the least wall time of RUNS; prints "wall cpu peak_kib"
best() {
    local name=$1; shift
    for i in $(seq 1 "$RUNS"); do
        /usr/bin/time -f "%e %U %S %M" -o "$name.$i.time" "$@" >"$name.$i.log" 2>&1 ||
            { cat "$name.$i.log" >&2; exit 1; }
    done
    cat "$name".*.time | awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 }' | sort -n | head -1
}

echo "| format | tool | wall (s) | CPU (s) | peak memory (MiB) | QGIS export alone (s) | file size (KB) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for fmt in pdf png; do
    rm -f "plankit.$fmt" "qgis.$fmt"
    read -r w c m < <(best "plankit-$fmt" "$PK" -q map --style "$ROOT/styles/zones.json" --extent city --size A3 \
        --landscape --dpi 300 --crs EPSG:4549 --title "昆山市 区镇与重点片区" -o "plankit.$fmt")
    printf "| %s | plankit | %s | %s | %d | | %d |\n" "$fmt" "$w" "$c" $((m / 1024)) \
        $(($(stat -c %s "plankit.$fmt") / 1024))
    read -r w c m < <(best "qgis-$fmt" /usr/bin/python3 "$ROOT/scripts/bench/render_map_qgis.py" "$ROOT/layers" \
        "qgis.$fmt" 300)
    export_s=$(cat qgis-"$fmt".*.log | grep -E '^[0-9.]+$' | sort -n | head -1)
    printf "| %s | QGIS 3.22 | %s | %s | %d | %s | %d |\n" "$fmt" "$w" "$c" $((m / 1024)) "$export_s" \
        $(($(stat -c %s "qgis.$fmt") / 1024))
done
echo
pdfinfo plankit.pdf | grep -E '^(Pages|Page size)'
pdfinfo qgis.pdf | grep -E '^(Pages|Page size)'
echo "outputs in $DIR; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
