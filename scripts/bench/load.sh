#!/usr/bin/env bash
# Load benchmark: plankit against ogr2ogr on the whole of china-counties.geojson.gz
# (3,253 county polygons, 6.9 million vertices, about 2,000 invalid).
#
#   scripts/bench/load.sh [RUNS]        (default 3 runs; the median is reported)
#
# Builds a Release plankit into build-bench/ when it is missing, then times, on
# the same input read through /vsigzip/:
#   plankit:  plankit init --measure-crs EPSG:4549 && plankit layer load SRC
#             (read, reproject, repair with GEOS MakeValid, store in SpatiaLite
#             with an R*Tree index; repair runs on a thread pool, PLANKIT_THREADS
#             threads, default one per CPU)
#   plankit with PLANKIT_THREADS=1 (single thread, for a like-for-like comparison)
#   ogr2ogr:  ogr2ogr -f SQLite -dsco SPATIALITE=YES -makevalid OUT SRC
#             (single-threaded; also writes a SpatiaLite file with a spatial index)
# Prints the median wall and CPU (user + system) seconds of each, the ratio
# ogr2ogr / plankit, and the feature counts of both outputs.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs=${1:-3}
shared=${PLANKIT_SHARED_DIR:-$root/../shared}
src_file=$shared/data/china-counties.geojson.gz
[ -r "$src_file" ] || { echo "load.sh: $src_file not found" >&2; exit 1; }
src=/vsigzip/$src_file

bin=$root/build-bench/plankit
if [ ! -f build-bench/CMakeCache.txt ]; then
    echo "load.sh: configuring a Release build in build-bench/" >&2
    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPLANKIT_TESTS=OFF >/dev/null
fi
cmake --build build-bench -j"$(nproc)" --target plankit >/dev/null # up to date with the sources
command -v ogr2ogr >/dev/null || { echo "load.sh: ogr2ogr not found (apt-get install gdal-bin)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "load.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/plankit-bench-load.XXXXXX")
trap 'rm -rf "$work"' EXIT

# one_run NAME COMMAND...: appends "wall cpu" of one run to $work/NAME.times
one_run() {
    local name=$1; shift
    /usr/bin/time -o "$work/$name.t" -f '%e %U %S' "$@" >/dev/null 2>"$work/$name.err" || {
        echo "load.sh: $name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
    awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/$name.t" >>"$work/$name.times"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

plankit_load() { # plankit_load STORE: init + load, as one timed command
    rm -f "$1" "$1-wal" "$1-shm"
    "$bin" -q -s "$1" init --measure-crs EPSG:4549 && "$bin" -q -s "$1" layer load "$src" --name counties
}
export -f plankit_load
export bin src

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq 1 "$runs"); do
    echo "load.sh: run $i of $runs" >&2
    one_run plankit bash -c 'plankit_load "$0"' "$work/plankit.sqlite"
    PLANKIT_THREADS=1 one_run plankit1 bash -c 'plankit_load "$0"' "$work/plankit1.sqlite"
    rm -f "$work/ogr.sqlite"
    one_run ogr2ogr ogr2ogr -f SQLite -dsco SPATIALITE=YES -makevalid "$work/ogr.sqlite" "$src"
done

pk_count=$(sqlite3 "$work/plankit.sqlite" "SELECT feature_count FROM pk_layers WHERE name='counties'")
pk_rows=$(sqlite3 "$work/plankit.sqlite" "SELECT count(*) FROM $(sqlite3 "$work/plankit.sqlite" "SELECT table_name FROM pk_layers WHERE name='counties'")")
pk_repaired=$(sqlite3 "$work/plankit.sqlite" "SELECT count(*) FROM pk_load_issues WHERE issue='repaired'")
pk1_rows=$(sqlite3 "$work/plankit1.sqlite" "SELECT feature_count FROM pk_layers WHERE name='counties'")
ogr_count=$(ogrinfo -so -al "$work/ogr.sqlite" 2>/dev/null | awk -F': ' '/^Feature Count/ {print $2}')

pw=$(cut -d' ' -f1 "$work/plankit.times" | median);   pc=$(cut -d' ' -f2 "$work/plankit.times" | median)
p1w=$(cut -d' ' -f1 "$work/plankit1.times" | median); p1c=$(cut -d' ' -f2 "$work/plankit1.times" | median)
ow=$(cut -d' ' -f1 "$work/ogr2ogr.times" | median);   oc=$(cut -d' ' -f2 "$work/ogr2ogr.times" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "input: $src ($(nproc) CPUs, median of $runs runs;" \
    "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-34s %9s %9s %10s %s\n' "command" "wall (s)" "CPU (s)" "features" "ogr2ogr/plankit (wall)"
printf '%-34s %9s %9s %10s %s\n' "plankit init + layer load" "$pw" "$pc" "$pk_count" "$(ratio "$ow" "$pw")"
printf '%-34s %9s %9s %10s %s\n' "plankit, PLANKIT_THREADS=1" "$p1w" "$p1c" "$pk1_rows" "$(ratio "$ow" "$p1w")"
printf '%-34s %9s %9s %10s %s\n' "ogr2ogr -f SQLite -makevalid" "$ow" "$oc" "$ogr_count" "1.00"
echo "plankit: $pk_rows rows stored, $pk_repaired repaired and reported; raw runs (wall CPU):"
for n in plankit plankit1 ogr2ogr; do echo "  $n: $(tr '\n' ';' <"$work/$n.times")"; done
