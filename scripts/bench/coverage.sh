#!/usr/bin/env bash
# scripts/bench/coverage.sh — `plankit coverage` against the same answer in
# SpatiaLite SQL, on the ~3,250 county polygons of China and 20,000 synthetic
# task footprints.
#
#   scripts/bench/coverage.sh            build (if needed), prepare, time, compare
#   RUNS=5 scripts/bench/coverage.sh     more timed runs (the median is reported)
#   BENCH_DIR=/tmp/b scripts/bench/coverage.sh   keep the store and outputs there
#                                        (reused by the next run with the same BENCH_DIR)
#
# Steps: a Release binary in build-bench/ (built if missing); a store with
# --measure-crs EPSG:6933 (equal-area, fit for all of China) and $SHARED/data/china-counties.geojson.gz loaded as
# `counties`; 2,000 tasks x 10 footprints generated reproducibly
# (seed 42: 16-gons and rectangles of
# 0.5-15 km within 25 km of random county centroids, so some cross county
# borders and many overlap; the generator is below) and imported with
# `plankit task import`. Then, in
# one run, the median of RUNS runs of each of
#   plankit coverage --by counties --format csv
#   sqlite3 + mod_spatialite: per county, the union of the footprints that the
#     R*Tree (SpatialIndex) and ST_Intersects find, intersected with the county
#     in the store CRS (EPSG:4326) and measured in EPSG:6933 —
#     ST_Area(ST_Transform(ST_Intersection(c.geom, ST_Union(f.geom)), 6933)),
#     the cut plankit, the overlay and the peers make
# and their per-county covered areas are compared: within 1e-6 relative (or
# 1 m², plankit's threshold for an overlap); counties without coverage must
# be 0 in both. For information it also runs once the variant that overlays
# in the metric CRS (ST_Intersection(ST_Transform(..), ST_Union(ST_Transform(..)))),
# which plankit's coverage did before it cut in the store CRS.
# Exit status 1 when the answers disagree.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SHARED=${SHARED:-${PLANKIT_SHARED_DIR:-$ROOT/../shared}}
COUNTIES=$SHARED/data/china-counties.geojson.gz
BUILD=${BUILD:-build-bench}
RUNS=${RUNS:-3}
TASKS=${TASKS:-2000}
PER_TASK=${PER_TASK:-10}
SEED=${SEED:-42}
[ -f "$COUNTIES" ] || { echo "coverage.sh: $COUNTIES not found (set SHARED)" >&2; exit 2; }
for tool in sqlite3 python3 cmake; do
    command -v "$tool" >/dev/null || { echo "coverage.sh: $tool is needed" >&2; exit 2; }
done

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    echo "== configuring a Release build in $BUILD" >&2
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPLANKIT_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j"$(nproc)" --target plankit >/dev/null # never stale
PK=$ROOT/$BUILD/plankit

if [ -n "${BENCH_DIR:-}" ]; then
    WORK=$BENCH_DIR
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/plankit-bench-coverage.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
fi
export PLANKIT_STORE=$WORK/bench.sqlite
METRIC=${METRIC:-6933}
stamp="$TASKS x $PER_TASK seed $SEED metric $METRIC"

# --- the store: counties and footprints (kept in BENCH_DIR for the next run)
if [ ! -f "$PLANKIT_STORE" ] || [ "$(cat "$WORK/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$PLANKIT_STORE" "$PLANKIT_STORE-wal" "$PLANKIT_STORE-shm" "$WORK/stamp"
    echo "== store: counties and $TASKS x $PER_TASK footprints in $WORK" >&2
    "$PK" init --measure-crs "EPSG:$METRIC" -q
    t0=$(date +%s.%N)
    "$PK" layer load "$COUNTIES" --name counties -q
    t1=$(date +%s.%N)
    echo "   loaded counties in $(python3 -c "print(round($t1 - $t0, 1))") s" >&2
    table=$("$PK" sql "SELECT table_name FROM pk_layers WHERE name='counties'" --format csv | tail -1)
    "$PK" sql "SELECT fid, X(Centroid(geom)), Y(Centroid(geom)) FROM $table WHERE geom IS NOT NULL" \
        --format csv >"$WORK/centroids.csv"
    python3 - "$WORK/centroids.csv" "$WORK/tasks.json" "$TASKS" "$PER_TASK" "$SEED" <<'PYEOF'
"""Synthetic plan tasks with footprints for scripts/bench/coverage.sh.

Reads county centroids (CSV: fid,lon,lat, from `plankit sql`), writes a task
JSON (layers/TASKS.md format with "footprints") of TASKS tasks x FOOTPRINTS
footprints each. Reproducible: random.seed(SEED). Each task picks a county
centroid; its footprints lie within 25 km of it (so some cross county borders
and those of one task overlap each other): 16-gon circles or rectangles of
0.5-15 km, in EPSG:4326.
"""
import csv
import json
import math
import random
import sys


def main():
    centroids, out = sys.argv[1], sys.argv[2]
    tasks = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    per_task = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 42
    random.seed(seed)
    pts = []
    with open(centroids, newline="") as f:
        for row in csv.reader(f):
            try:
                pts.append((float(row[1]), float(row[2])))
            except (ValueError, IndexError):
                continue  # header, empty geometry
    pts.sort()
    statuses = ["planned", "in_progress", "done", "delayed"]
    out_tasks = []
    for t in range(tasks):
        lon0, lat0 = random.choice(pts)
        fps = []
        for _ in range(per_task):
            r = 25000 * math.sqrt(random.random())
            a = random.uniform(0, 2 * math.pi)
            size = random.uniform(500, 15000)
            cx = r * math.cos(a)
            cy = r * math.sin(a)
            m_per_deg_lat = 111320.0
            m_per_deg_lon = 111320.0 * math.cos(math.radians(lat0))

            def ll(x, y):
                return [round(lon0 + x / m_per_deg_lon, 7), round(lat0 + y / m_per_deg_lat, 7)]

            if random.random() < 0.5:
                rad = size / 2
                ring = [ll(cx + rad * math.cos(2 * math.pi * k / 16), cy + rad * math.sin(2 * math.pi * k / 16))
                        for k in range(16)]
            else:
                w, h = size / 2, size * random.uniform(0.3, 1.0) / 2
                ring = [ll(cx - w, cy - h), ll(cx + w, cy - h), ll(cx + w, cy + h), ll(cx - w, cy + h)]
            ring.append(ring[0])
            fps.append({"geometry": {"type": "Polygon", "coordinates": [ring]}, "role": "site"})
        out_tasks.append({"id": "B-%04d" % (t + 1), "title": "bench task %d" % (t + 1),
                          "status": random.choice(statuses), "start_year": 2026, "end_year": 2030,
                          "footprints": fps})
    with open(out, "w") as f:
        json.dump({"tasks": out_tasks}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
PYEOF
    t0=$(date +%s.%N)
    "$PK" task import "$WORK/tasks.json" -q
    t1=$(date +%s.%N)
    echo "   imported the tasks in $(python3 -c "print(round($t1 - $t0, 1))") s" >&2
    echo "$stamp" >"$WORK/stamp"
fi
table=$("$PK" sql "SELECT table_name FROM pk_layers WHERE name='counties'" --format csv | tail -1)
counts=$("$PK" sql "SELECT (SELECT count(*) FROM $table), (SELECT count(*) FROM pk_tasks),
                           (SELECT count(*) FROM pk_task_footprints)" --format csv | tail -1)

SQL_STORE="SELECT c.fid, printf('%.9f', ST_Area(ST_Transform(ST_Intersection(c.geom, ST_Union(f.geom)), $METRIC)) / 1e6)
  FROM $table c JOIN pk_task_footprints f ON f.ROWID IN (SELECT ROWID FROM SpatialIndex
       WHERE f_table_name = 'pk_task_footprints' AND search_frame = c.geom)
  WHERE ST_Intersects(c.geom, f.geom) GROUP BY c.fid;"
# the same cut, each result densified to 0.0005° before it is transformed, so
# that SpatiaLite measures along the curves straight lon/lat edges become, as
# plankit does: the agreement check (run once, not timed)
SQL_CURVES="SELECT c.fid, printf('%.9f', ST_Area(ST_Transform(ST_Segmentize(ST_Intersection(c.geom, ST_Union(f.geom)),
       0.0005), $METRIC)) / 1e6)
  FROM $table c JOIN pk_task_footprints f ON f.ROWID IN (SELECT ROWID FROM SpatialIndex
       WHERE f_table_name = 'pk_task_footprints' AND search_frame = c.geom)
  WHERE ST_Intersects(c.geom, f.geom) GROUP BY c.fid;"
SQL_METRIC="SELECT c.fid, printf('%.9f', ST_Area(ST_Intersection(ST_Transform(c.geom, $METRIC),
       ST_Union(ST_Transform(f.geom, $METRIC)))) / 1e6)
  FROM $table c JOIN pk_task_footprints f ON f.ROWID IN (SELECT ROWID FROM SpatialIndex
       WHERE f_table_name = 'pk_task_footprints' AND search_frame = c.geom)
  WHERE ST_Intersects(c.geom, f.geom) GROUP BY c.fid;"

# time_runs NAME COMMAND...: RUNS runs; stdout of the last in $WORK/NAME.out;
# "wall cpu" of each run in $WORK/NAME.times; prints the medians "wall cpu"
time_runs() {
    local name=$1 i
    shift
    : >"$WORK/$name.times"
    for i in $(seq "$RUNS"); do
        /usr/bin/time -f '%e %U %S' -o "$WORK/$name.time1" "$@" >"$WORK/$name.out"
        awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$WORK/$name.time1" >>"$WORK/$name.times"
    done
    python3 -c 'import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("%.3f %.3f" % (statistics.median(float(r[0]) for r in rows), statistics.median(float(r[1]) for r in rows)))' \
        "$WORK/$name.times"
}

echo "== timing ($RUNS runs each; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
t_pk=$(time_runs plankit "$PK" coverage --by counties --format csv -q)
t_pk1=$(PLANKIT_THREADS=1 time_runs plankit1 "$PK" coverage --by counties --format csv -q)
t_sql=$(time_runs sql sqlite3 -batch -noheader -csv "$PLANKIT_STORE" ".load mod_spatialite" "$SQL_STORE")
sqlite3 -batch -noheader -csv "$PLANKIT_STORE" ".load mod_spatialite" "$SQL_METRIC" >"$WORK/sql-metric.out"
sqlite3 -batch -noheader -csv "$PLANKIT_STORE" ".load mod_spatialite" "$SQL_CURVES" >"$WORK/sql-curves.out"
cmp -s "$WORK/plankit.out" "$WORK/plankit1.out" || { echo "coverage.sh: 1 thread and all threads differ" >&2; exit 1; }
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$WORK/plankit.out" "$WORK/sql.out" "$WORK/sql-metric.out" "$t_pk" "$t_pk1" "$t_sql" "$counts" "$RUNS" \
    "$WORK" "$METRIC" "$WORK/sql-curves.out" <<'EOF'
import csv, sys
pk_file, sql_file, metric_file, t_pk, t_pk1, t_sql, counts, runs, work, metric, curves_file = sys.argv[1:]
pk = {}
for r in csv.DictReader(open(pk_file)):
    if r["fid"]:
        pk[r["fid"]] = (float(r["covered_km2"]), r["name"])
def read_sql(path):
    return {fid: float(v) for fid, v in csv.reader(open(path))}
sql, met, cur = read_sql(sql_file), read_sql(metric_file), read_sql(curves_file)

def compare(other):
    """worst relative difference (all counties; those with >= 1 km² covered,
    where plankit's 1 m² print resolution is below 1e-6), the counties off by
    more than 1e-6 relative and 1 m², those covered in one only, unknown fids"""
    worst, worst_fid, big, big_fid, bad, zero_bad = 0.0, None, 0.0, None, [], []
    for fid, (p, name) in pk.items():
        s = other.get(fid, 0.0)
        d = abs(p - s)
        if s == 0.0 or p == 0.0:
            if d > 1e-6:       # more than 1 m²: one covered, the other not
                zero_bad.append((fid, name, p, s))
            continue
        rel = d / s
        if rel > worst:
            worst, worst_fid = rel, fid
        if s >= 1 and rel > big:
            big, big_fid = rel, fid
        if rel > 1e-6 and d > 1e-6:
            bad.append((fid, name, p, s, rel))
    extra = [fid for fid in other if fid not in pk]
    return worst, worst_fid, big, big_fid, bad, zero_bad, extra

ncounties, ntasks, nfootprints = counts.split(",")
covered = sum(1 for p, _ in pk.values() if p > 0)
print("counties %s, tasks %s, footprints %s; counties covered: plankit %d, SQL %d"
      % (ncounties, ntasks, nfootprints, covered, sum(1 for v in sql.values() if v > 0)))
(tp, cp), (tp1, cp1), (ts, cs) = [map(float, x.split()) for x in (t_pk, t_pk1, t_sql)]
print("medians of %s runs, wall / CPU seconds:" % runs)
print("  plankit coverage --by counties --format csv       %7.3f / %7.3f" % (tp, cp))
print("  the same with PLANKIT_THREADS=1                   %7.3f / %7.3f" % (tp1, cp1))
print("  SpatiaLite SQL (R*Tree, cut in the store CRS)     %7.3f / %7.3f" % (ts, cs))
print("ratio SQL/plankit (wall): %.2f; with one thread: %.2f" % (ts / tp, ts / tp1))
for name in ("plankit", "plankit1", "sql"):
    print("  raw %-8s" % name, "; ".join("/".join(l.split()) for l in open("%s/%s.times" % (work, name))))
ok = True
for label, other in (("SQL, cut in EPSG:4326, densified to 0.0005 deg, measured in EPSG:" + metric, cur),
                     ("SQL, cut in EPSG:4326, measured by chords in EPSG:" + metric + " (the timed peer; for information)", sql),
                     ("SQL, cut in the metric CRS EPSG:" + metric + " (for information)", met)):
    worst, fid, big, big_fid, bad, zero_bad, extra = compare(other)
    where = lambda f: " (county fid %s, %s: plankit %.6f km², SQL %.9f km²)" % (f, pk[f][1], pk[f][0], other.get(f, 0)) if f else ""
    print("%s:\n  worst relative difference %.3g%s\n  worst among counties with >= 1 km² covered %.3g%s\n"
          "  %d counties beyond 1e-6 relative and 1 m²; %d covered in one only; %d unknown fids"
          % (label, worst, where(fid), big, where(big_fid), len(bad), len(zero_bad), len(extra)))
    for b in (bad + zero_bad)[:5]:
        print("   ", b)
    if "densified" in label and (bad or zero_bad or extra):
        ok = False
print("agreement (cut in the store CRS, measured along the curves; 1e-6 relative or 1 m²):", "OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
EOF
