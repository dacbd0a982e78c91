#!/usr/bin/env bash
# Overlay benchmark: plankit against SpatiaLite, PostGIS (and GeoPandas when
# installable) on the 3,253 china counties × the 0.25° grid cells that touch
# them (about 16,000 cells, ids stable), on identical inputs.
#
#   scripts/bench/overlay.sh [RUNS]     (default 3: each overlay-alone timing is
#                                        repeated and the fastest wall reported)
#
# Environment:
#   PLANKIT=path          plankit binary (default build-bench/plankit, built Release if missing)
#   BENCH_DIR=dir         work directory (default a new one under $TMPDIR; removed unless KEEP=1)
#   KEEP=1                keep the work directory (stores, databases, logs, results.md)
#   E2E=0                 skip the end-to-end timings (load + repair + overlay)
#   PEERS="spatialite postgis geopandas"   which peers to run (a missing one is skipped)
#   NO_INSTALL=1          never apt-get install PostgreSQL/PostGIS/GeoPandas
#   QUIET_WAIT=300        before each timing, wait up to this many seconds for the
#                         other processes on the machine to go idle (0: don't wait)
#
# What is timed (wall, CPU = user + sys, peak RSS = max resident set):
#  (1) the overlay alone, every tool starting from the same repaired inputs in
#      its own store: plankit's counties are loaded (and repaired) once, exported
#      with `plankit layer export` and that file is what SpatiaLite, PostGIS and
#      GeoPandas load, so all start from identical valid geometry.
#        plankit     plankit overlay intersection counties grid -o pieces
#                    (--threads 1, and the default: one thread per CPU)
#        plankit -o .gpkg  the same into a GeoPackage file (default threads),
#                    with ogr2ogr copying that finished file as a reference
#                    for the cost of writing the pieces alone (not a peer)
#        SpatiaLite  overlay/sl_overlay.sql: CREATE TABLE AS SELECT ST_Intersection
#                    through the R*Tree index (sqlite3 + mod_spatialite)
#        PostGIS     overlay/pg_overlay.sql: CREATE TABLE AS SELECT ST_Intersection
#                    ... JOIN ON ST_Intersects with GiST indexes; a throwaway
#                    cluster on a unix socket only; CPU is the backend's and its
#                    parallel workers' (the postmaster's reaped-children times),
#                    RSS the backend's peak (VmHWM, shared buffers it touched included);
#                    also run with max_parallel_workers_per_gather=0 (one process)
#        GeoPandas   geopandas.overlay(how="intersection"), in-process timing
#  (2) end to end, from the raw gzipped GeoJSON (about 2,000 invalid polygons):
#        plankit     init + layer load counties + layer load grid + overlay
#        SpatiaLite  ogr2ogr -makevalid (GEOS) of both layers + sl_overlay.sql
#                    (SpatiaLite's own ST_MakeValid aborts on this data and its
#                    buffer(0) fallback empties districts, so GEOS it is)
#        PostGIS     ogr2ogr -f PostgreSQL of the raw layers + overlay/pg_repair.sql
#                    (ST_MakeValid, GiST, ANALYZE) + pg_overlay.sql
#        GeoPandas   read + shapely make_valid + overlay
# A piece is a (county, cell) pair whose intersection has polygonal area > 0.
# Every tool's pieces are loaded into one SpatiaLite database and measured the
# same way, ST_Area(ST_Transform(geom, 6933)) (EPSG:6933, equal area; the
# plankit store is made with --measure-crs EPSG:6933 so its own area_m2 is in
# the same CRS). Checks: equal piece counts, total area within 1e-6 relative,
# and per (county, cell) pair the largest relative area difference; the
# plankit output must be identical for --threads 1 and the default.
#
# Needs: cmake and a C toolchain (to build plankit), gdal-bin (ogr2ogr), sqlite3
# and libsqlite3-mod-spatialite, python3, /usr/bin/time; PostgreSQL + PostGIS
# are installed from Debian when missing and the script runs as root
# (apt-get install postgresql postgresql-NN-postgis-3 postgis).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/scripts/bench/overlay
runs=${1:-3}
e2e=${E2E:-1}
peers=${PEERS:-spatialite postgis geopandas}
quiet_wait=${QUIET_WAIT:-300}

shared=${PLANKIT_SHARED_DIR:-$root/../shared}
[ -r "$shared/data/china-counties.geojson.gz" ] || shared=/work/shared
src_file=$shared/data/china-counties.geojson.gz
[ -r "$src_file" ] || { echo "overlay.sh: china-counties.geojson.gz not found (set PLANKIT_SHARED_DIR)" >&2; exit 1; }
src=/vsigzip/$src_file

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "overlay.sh: $*" >&2; exit 1; }
has_peer() { case " $peers " in *" $1 "*) return 0;; esac; return 1; }

bin=${PLANKIT:-$root/build-bench/plankit}
if [ -z "${PLANKIT:-}" ]; then # (re)build, so the binary is never stale
    say "building a Release plankit in build-bench/"
    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPLANKIT_TESTS=OFF >/dev/null
    cmake --build build-bench -j"$(nproc)" --target plankit >/dev/null
fi
[ -x "$bin" ] || die "$bin is not an executable"
for t in ogr2ogr sqlite3 python3; do command -v $t >/dev/null || die "$t not found"; done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
echo "SELECT load_extension('mod_spatialite');" | sqlite3 :memory: >/dev/null 2>&1 ||
    die "sqlite3 cannot load mod_spatialite (apt-get install libsqlite3-mod-spatialite)"

work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/plankit-bench-overlay.XXXXXX")}
mkdir -p "$work"
work=$(cd "$work" && pwd)
pgdir='' pgbin='' pgdata=''
cleanup() {
    if [ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ]; then
        pg_as "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
    fi
    [ -n "$pgdir" ] && rm -rf "$pgdir"
    if [ "${KEEP:-0}" = 1 ]; then echo "overlay.sh: work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
results=$work/results.tsv
printf 'scenario\ttool\trun\twall_s\tcpu_s\trss_kb\tpieces\tothers_cores\n' >"$results"

# ---------------------------------------------------------------- measuring
# Busy jiffies of the whole machine (user+nice+system+irq+softirq+steal).
busy_ticks() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
tck=$(getconf CLK_TCK)
# Other engineers may be running builds and tests on this machine: wait until
# it is idle (less than 0.2 of a core busy over 3 s), at most $quiet_wait s.
wait_quiet() {
    [ "$quiet_wait" -gt 0 ] || return 0
    local waited=0 b0 b1
    while :; do
        b0=$(busy_ticks); sleep 3; b1=$(busy_ticks)
        if awk -v d=$((b1 - b0)) -v t="$tck" 'BEGIN { exit !(d / t / 3 < 0.2) }'; then return 0; fi
        waited=$((waited + 3))
        if [ "$waited" -ge "$quiet_wait" ]; then say "machine still busy after ${quiet_wait}s: timing anyway"; return 0; fi
    done
}
# record SCENARIO TOOL RUN WALL CPU RSS PIECES BUSY_TICKS_DURING
record() {
    local others
    others=$(awk -v b="$8" -v t="$tck" -v w="$4" -v c="$5" 'BEGIN { o = (b / t - c) / w; printf "%.2f", o < 0 ? 0 : o }')
    printf '%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$others" >>"$results"
    say "$1 $2 run $3: wall $(printf %.2f "$4") s, cpu $(printf %.2f "$5") s, rss $(($6 / 1024)) MB, $7 pieces (others busy: $others cores)"
}
# timed NAME COMMAND...: runs COMMAND under /usr/bin/time (stdout, stderr to
# $work/NAME.out, .err); sets T_WALL T_CPU T_RSS T_BUSY (busy ticks meanwhile).
timed() {
    local name=$1; shift
    local b0 b1
    b0=$(busy_ticks)
    /usr/bin/time -o "$work/$name.time" -f '%e %U %S %M' "$@" >"$work/$name.out" 2>"$work/$name.err" || {
        echo "overlay.sh: $name failed:" >&2; tail -n 20 "$work/$name.err" >&2; exit 1; }
    b1=$(busy_ticks)
    read -r T_WALL u s T_RSS < <(tail -n 1 "$work/$name.time")
    T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
    T_BUSY=$((b1 - b0))
}
plankit_pieces() { sed -n 's/.*overlay intersection: \([0-9]*\) pieces.*/\1/p' "$1" | tail -n 1; }

# ---------------------------------------------------------------- PostgreSQL
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_setup() {
    local major
    major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
    if { [ -z "$major" ] || [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; } &&
        [ "${NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ]; then
        local want=${major:-15}
        if apt-cache policy "postgresql-$want-postgis-3" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            say "installing PostgreSQL $want + PostGIS from Debian"
            DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql "postgresql-$want-postgis-3" postgis \
                >"$work/apt-postgis.log" 2>&1 || say "apt-get install failed (see apt-postgis.log)"
            major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
        fi
    fi
    if [ -z "$major" ] || [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
        say "PostGIS is not installed: skipping it"; return 1
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        say "no postgres user to run the cluster as: skipping PostGIS"; return 1
    fi
    pgbin=/usr/lib/postgresql/$major/bin
    pgdir=$(mktemp -d "${TMPDIR:-/tmp}/plankit-bench-pg.XXXXXX")
    [ "$(id -u)" = 0 ] && chown postgres: "$pgdir"
    pgdata=$pgdir/data
    pg_as "$pgbin/initdb" -D "$pgdata" -A trust -U postgres -E UTF8 --no-locale >"$work/initdb.log" 2>&1 ||
        { say "initdb failed: skipping PostGIS"; return 1; }
    # Unix socket only; a throwaway cluster, so durability is off (as plankit's
    # SpatiaLite store, SpatiaLite and GeoPandas write without such overhead
    # mattering); shared_buffers and work_mem large enough to keep it all in memory.
    pg_as "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdir/server.log" -w -o "-c listen_addresses='' \
        -c unix_socket_directories='$pgdir' -c shared_buffers=1GB -c work_mem=256MB \
        -c maintenance_work_mem=1GB -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c wal_level=minimal -c max_wal_senders=0 -c autovacuum=off -c jit=off" start >/dev/null ||
        { say "the PostgreSQL server did not start: skipping PostGIS"; return 1; }
    psql_ -d postgres -qc "CREATE DATABASE bench" && psql_ -qc "CREATE EXTENSION postgis"
}
psql_() { psql -X -v ON_ERROR_STOP=1 -h "$pgdir" -U postgres -d bench "$@"; }
pg_dsn() { echo "PG:host=$pgdir user=postgres dbname=bench"; }
pm_child_ticks() { awk '{ print $16 + $17 }' "/proc/$(head -n 1 "$pgdata/postmaster.pid")/stat"; }
# pg_timed NAME SQLFILE [PGOPTIONS]: one psql session running SQLFILE; sets T_WALL, T_CPU
# (server: the backend and any parallel workers, counted once they exited),
# T_RSS (the backend's VmHWM), T_BUSY.
pg_timed() {
    local name=$1 sql=$2 c0 c1 b0 b1 t0 t1 bpid
    c0=$(pm_child_ticks); b0=$(busy_ticks); t0=$(date +%s.%N)
    PGOPTIONS=${3:-} psql_ -At -c "SELECT pg_backend_pid()" -f "$sql" \
        -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s*(\d+)'))[1]" \
        >"$work/$name.out" 2>"$work/$name.err" || { echo "overlay.sh: $name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    bpid=$(head -n 1 "$work/$name.out")
    while [ -e "/proc/$bpid" ]; do sleep 0.05; done   # exited and reaped: its times are in the postmaster's
    c1=$(pm_child_ticks); b1=$(busy_ticks)
    T_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    T_CPU=$(awk -v d=$((c1 - c0)) -v t="$tck" 'BEGIN { print d / t }')
    T_RSS=$(tail -n 1 "$work/$name.out")
    T_BUSY=$((b1 - b0))
}

# ---------------------------------------------------------------- inputs
say "work directory $work; plankit $bin"
{
    echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo)"
    echo "plankit: $("$bin" --version 2>&1 | tr '\n' ' ')(source $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/'))"
    echo "GDAL: $(ogr2ogr --version)"
    echo "SpatiaLite/GEOS/PROJ: $(printf "SELECT load_extension('mod_spatialite');\nSELECT spatialite_version()||' '||geos_version()||' '||proj_version();\n" | sqlite3 :memory: | tail -n 1)"
} >"$work/versions.txt"

P() { "$bin" "$@"; }
say "inputs: plankit store with the repaired counties (untimed)"
P -q -s "$work/base.sqlite" init --crs EPSG:4326 --measure-crs EPSG:6933
P -q -s "$work/base.sqlite" layer load "$src" --name counties
P -q -s "$work/base.sqlite" layer export counties "$work/counties_valid.gpkg"

say "inputs: grid cells that intersect a county"
python3 "$here/grid.py" "$work/counties_valid.gpkg" "$work/cand.geojson"
sl_load() { # sl_load DB SRC LAYER_NAME [ogr2ogr options]: into a SpatiaLite db (created when missing)
    local db=$1 from=$2 name=$3; shift 3
    local create=(-f SQLite -dsco SPATIALITE=YES)
    [ -f "$db" ] && create=(-update)
    ogr2ogr "${create[@]}" -lco GEOMETRY_NAME=geom -nln "$name" "$@" "$db" "$from"
}
sl_load "$work/cells.sqlite" "$work/counties_valid.gpkg" counties -lco FID=fid -preserve_fid -nlt MULTIPOLYGON
sl_load "$work/cells.sqlite" "$work/cand.geojson" cand -nlt POLYGON
sqlite3 "$work/cells.sqlite" >"$work/cells.txt" <<'EOF'
SELECT load_extension('mod_spatialite');
SELECT DISTINCT g.cell_id FROM counties c JOIN cand g
  ON g.ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'cand' AND search_frame = c.geom)
WHERE ST_Intersects(c.geom, g.geom) = 1 ORDER BY 1;
EOF
sed -i '/^$/d' "$work/cells.txt"
python3 "$here/grid.py" "$work/counties_valid.gpkg" "$work/grid.geojson" --keep "$work/cells.txt"
rm -f "$work/cells.sqlite" "$work/cand.geojson"
P -q -s "$work/base.sqlite" layer load "$work/grid.geojson" --name grid
ncells=$(wc -l <"$work/cells.txt")

if has_peer spatialite; then
    say "inputs: SpatiaLite database with the same repaired counties and the grid, R*Tree indexes"
    sl_load "$work/sl_base.sqlite" "$work/counties_valid.gpkg" counties -lco FID=fid -preserve_fid -nlt MULTIPOLYGON
    sl_load "$work/sl_base.sqlite" "$work/grid.geojson" grid -nlt POLYGON
fi
if has_peer postgis && pg_setup; then
    say "inputs: PostGIS tables with the same repaired counties and the grid, GiST indexes"
    ogr2ogr -f PostgreSQL "$(pg_dsn)" "$work/counties_valid.gpkg" -nln counties -lco GEOMETRY_NAME=geom \
        -lco FID=fid -preserve_fid -nlt MULTIPOLYGON
    ogr2ogr -f PostgreSQL "$(pg_dsn)" "$work/grid.geojson" -nln grid -lco GEOMETRY_NAME=geom -nlt POLYGON
    psql_ -qc "ANALYZE counties" -c "ANALYZE grid"
    psql_ -At -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE NOT ST_IsValid(geom)) FROM counties" \
        >"$work/pg_valid.txt"
    psql_ -c "EXPLAIN $(cat "$here/pg_overlay.sql" | grep -v '^--')" >"$work/pg_plan.txt"
    psql_ -At -c "SELECT postgis_full_version()" >>"$work/versions.txt"
else
    peers=${peers/postgis/}
fi
gpd_py=/usr/bin/python3
if has_peer geopandas && ! $gpd_py -c 'import geopandas, rtree' 2>/dev/null; then
    if [ "${NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ]; then
        say "installing GeoPandas from Debian (python3-geopandas python3-rtree)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-geopandas python3-rtree \
            >"$work/apt-geopandas.log" 2>&1 || true
    fi
    $gpd_py -c 'import geopandas, rtree' 2>/dev/null || { say "GeoPandas not installable: skipping it"; peers=${peers/geopandas/}; }
fi
has_peer geopandas && echo "GeoPandas: $($gpd_py -c 'import geopandas, shapely; print(geopandas.__version__, "shapely", shapely.__version__)')" >>"$work/versions.txt"

# ---------------------------------------------------------------- (1) overlay alone
for run in $(seq 1 "$runs"); do
    for threads in 1 default; do
        rm -f "$work/run.sqlite"*
        cp "$work/base.sqlite" "$work/run.sqlite"
        opt=(); [ "$threads" = 1 ] && opt=(--threads 1)
        wait_quiet
        timed "pk_t$threads" "$bin" -s "$work/run.sqlite" overlay intersection counties grid -o pieces "${opt[@]}"
        record overlay "plankit-t$threads" "$run" "$T_WALL" "$T_CPU" "$T_RSS" "$(plankit_pieces "$work/pk_t$threads.err")" "$T_BUSY"
        if [ "$run" = 1 ]; then
            grep -o '([0-9]* pairs: [0-9]* wholly inside, [0-9]* by the rectangle clipper)' "$work/pk_t$threads.err" >"$work/pk_pairs.txt" || true
            rm -f "$work/pk_t$threads.gpkg"
            P -q -s "$work/run.sqlite" layer export pieces "$work/pk_t$threads.gpkg"
        fi
    done
    # the same overlay written to a GeoPackage file instead of the store, and,
    # for reference, ogr2ogr copying that finished file (the cost of writing
    # the pieces alone)
    rm -rf "$work/pk_file.gpkg" "$work/ogr_copy.gpkg"
    cp "$work/base.sqlite" "$work/run.sqlite"
    wait_quiet
    timed pk_file "$bin" -s "$work/run.sqlite" overlay intersection counties grid -o "$work/pk_file.gpkg"
    record overlay plankit-gpkg "$run" "$T_WALL" "$T_CPU" "$T_RSS" "$(plankit_pieces "$work/pk_file.err")" "$T_BUSY"
    wait_quiet
    timed ogr_copy ogr2ogr -f GPKG "$work/ogr_copy.gpkg" "$work/pk_file.gpkg"
    record overlay ref-ogr2ogr-gpkg "$run" "$T_WALL" "$T_CPU" "$T_RSS" \
        "$(ogrinfo -so -al "$work/ogr_copy.gpkg" | awk -F': ' '/^Feature Count/ {print $2}')" "$T_BUSY"
    if has_peer spatialite; then
        rm -f "$work/sl_run.sqlite"
        cp "$work/sl_base.sqlite" "$work/sl_run.sqlite"
        wait_quiet
        timed sl sqlite3 -init /dev/null "$work/sl_run.sqlite" ".read $here/sl_overlay.sql"
        record overlay spatialite "$run" "$T_WALL" "$T_CPU" "$T_RSS" \
            "$(printf "SELECT count(*) FROM pieces;\n" | sqlite3 "$work/sl_run.sqlite")" "$T_BUSY"
    fi
    if has_peer postgis; then
        psql_ -qc "DROP TABLE IF EXISTS pieces" 2>/dev/null
        wait_quiet
        pg_timed pg "$here/pg_overlay.sql"
        record overlay postgis "$run" "$T_WALL" "$T_CPU" "$T_RSS" "$(psql_ -At -c "SELECT count(*) FROM pieces")" "$T_BUSY"
        # the same without parallel workers: one process, like plankit --threads 1
        psql_ -qc "DROP TABLE pieces"
        wait_quiet
        pg_timed pg1 "$here/pg_overlay.sql" "-c max_parallel_workers_per_gather=0"
        record overlay postgis-serial "$run" "$T_WALL" "$T_CPU" "$T_RSS" "$(psql_ -At -c "SELECT count(*) FROM pieces")" "$T_BUSY"
    fi
done
if has_peer geopandas; then   # slow: once
    rm -f "$work/gpd.gpkg"
    wait_quiet
    timed gpd $gpd_py "$here/gpd_overlay.py" overlay "$work/counties_valid.gpkg" "$work/grid.geojson" "$work/gpd.gpkg"
    read -r w c n <"$work/gpd.out"
    # wall and CPU of the overlay call itself; RSS of the whole process
    record overlay geopandas 1 "$w" "$c" "$T_RSS" "$n" "$(awk -v b="$T_BUSY" -v W="$T_WALL" -v w="$w" 'BEGIN { printf "%d", b * w / W }')"
fi

# ---------------------------------------------------------------- correctness
say "comparing the pieces (one SpatiaLite database, areas in EPSG:6933)"
cmp=$work/compare.sqlite
rm -f "$cmp"
printf "SELECT load_extension('mod_spatialite');\nSELECT InitSpatialMetaData(1);\n" | sqlite3 "$cmp" >/dev/null
# cmp_import TABLE SRC SQL [ogr2ogr options]: pieces as (county_fid, cell_id, geom[, own_area])
cmp_import() {
    local t=$1 from=$2 sql=$3; shift 3
    ogr2ogr -update -lco GEOMETRY_NAME=geom -nlt MULTIPOLYGON -a_srs EPSG:4326 -nln "$t" -sql "$sql" "$@" "$cmp" "$from"
}
cmp_import pk "$work/pk_tdefault.gpkg" "SELECT a_fid AS county_fid, cell_id, area_m2 AS own_area, geom FROM pieces"
cmp_import pkf "$work/pk_file.gpkg" "SELECT a_fid AS county_fid, cell_id, geom FROM result"
tools="pk pkf"
has_peer spatialite && { cmp_import sl "$work/sl_run.sqlite" "SELECT county_fid, cell_id, geom FROM pieces"; tools="$tools sl"; }
has_peer postgis && { cmp_import pg "$(pg_dsn)" "SELECT county_fid, cell_id, geom FROM pieces"; tools="$tools pg"; }
has_peer geopandas && { cmp_import gp "$work/gpd.gpkg" "SELECT county_fid, cell_id, geom FROM pieces"; tools="$tools gp"; }
# plankit: the same output whatever the thread count
det() { printf "SELECT a_fid, b_fid, cell_id, area_m2, hex(geom) FROM pieces ORDER BY fid;\n" | sqlite3 "$1" | md5sum | cut -d' ' -f1; }
if [ "$(det "$work/pk_t1.gpkg")" = "$(det "$work/pk_tdefault.gpkg")" ]; then det_ok=yes; else det_ok=NO; fi

# compare_all PREFIX TOOLS...: one row per tool: tool, rows, pieces (area > 0),
# total km², total relative to plankit, matched pairs, max relative difference,
# pairs only in the tool, pairs only in plankit (always against PREFIX"pk").
compare_all() {
    local prefix=$1; shift
    {
        echo "SELECT load_extension('mod_spatialite');"
        for t in "$@"; do
            own=NULL; [ "$t" = "${prefix}pk" ] && own='sum(own_area)'
            echo "DROP TABLE IF EXISTS a_$t; CREATE TABLE a_$t AS SELECT county_fid AS c, cell_id AS g, count(*) AS n,
                  sum(ST_Area(ST_Transform(geom, 6933))) AS area, $own AS own FROM $t GROUP BY 1, 2;
                  CREATE UNIQUE INDEX a_${t}_cg ON a_$t (c, g);"
        done
        for t in "$@"; do
            local p=a_${prefix}pk
            echo "SELECT '$t', (SELECT sum(n) FROM a_$t), (SELECT count(*) FROM a_$t WHERE area > 0),
                  printf('%.6f', (SELECT sum(area) FROM a_$t) / 1e6),
                  printf('%.3g', abs((SELECT sum(area) FROM a_$t) / (SELECT sum(area) FROM $p) - 1)),
                  (SELECT count(*) FROM a_$t x JOIN $p y USING (c, g) WHERE x.area > 0 AND y.area > 0),
                  printf('%.3g', (SELECT max(abs(x.area - y.area) / y.area) FROM a_$t x JOIN $p y USING (c, g) WHERE y.area > 0)),
                  printf('%.3g', (SELECT max(abs(x.area - y.area)) FROM a_$t x JOIN $p y USING (c, g))),
                  (SELECT count(*) FROM a_$t x JOIN $p y USING (c, g) WHERE y.area > 0 AND abs(x.area - y.area) / y.area > 1e-6),
                  (SELECT count(*) FROM a_$t x WHERE x.area > 0 AND NOT EXISTS (SELECT 1 FROM $p y WHERE y.c = x.c AND y.g = x.g AND y.area > 0)),
                  (SELECT count(*) FROM $p y WHERE y.area > 0 AND NOT EXISTS (SELECT 1 FROM a_$t x WHERE y.c = x.c AND y.g = x.g AND x.area > 0)),
                  (SELECT CASE WHEN sum(own) IS NULL THEN '' ELSE printf('%.6f', sum(own) / 1e6) END FROM a_$t);"
        done
    } | sqlite3 -separator $'\t' "$cmp"
}
compare_all "" $tools >"$work/compare_overlay.tsv"
# the pairs one tool has and plankit not (or the reverse), with their areas
{
    echo "SELECT load_extension('mod_spatialite');"
    for t in $tools; do
        [ "$t" = pk ] && continue
        echo "SELECT '$t only', c, g, printf('%.3g', area) FROM a_$t x WHERE area > 0 AND NOT EXISTS (SELECT 1 FROM a_pk y WHERE y.c = x.c AND y.g = x.g AND y.area > 0) LIMIT 10;"
        echo "SELECT 'pk only vs $t', c, g, printf('%.3g', area) FROM a_pk y WHERE area > 0 AND NOT EXISTS (SELECT 1 FROM a_$t x WHERE y.c = x.c AND y.g = x.g AND x.area > 0) LIMIT 10;"
        echo "SELECT 'largest difference $t', x.c, x.g, printf('%.1f', y.area), printf('%.1f', x.area) FROM a_$t x JOIN a_pk y USING (c, g) ORDER BY abs(x.area - y.area) DESC LIMIT 3;"
    done
    case " $tools " in *" sl "*) case " $tools " in *" pg "*)
        echo "SELECT 'SpatiaLite vs PostGIS: pairs only in one', (SELECT count(*) FROM a_sl x WHERE NOT EXISTS (SELECT 1 FROM a_pg y WHERE y.c = x.c AND y.g = x.g)) + (SELECT count(*) FROM a_pg x WHERE NOT EXISTS (SELECT 1 FROM a_sl y WHERE y.c = x.c AND y.g = x.g)), 'pairs whose areas differ', (SELECT count(*) FROM a_sl x JOIN a_pg y USING (c, g) WHERE x.area <> y.area);";;
    esac;; esac
    # pieces of plankit whose own area_m2 disagrees with the area of its written geometry
    echo "SELECT 'pk own vs written', printf('%.3g', max(abs(own - area) / area)) FROM a_pk WHERE area > 1;"
} | sqlite3 -separator ' ' "$cmp" >"$work/compare_details.txt"

# ---------------------------------------------------------------- (2) end to end
if [ "$e2e" = 1 ]; then
    say "end to end: plankit"
    rm -f "$work/e2e.sqlite"*
    wait_quiet
    timed e2e_pk bash -c '"$0" -s "$1" init --crs EPSG:4326 --measure-crs EPSG:6933 &&
        "$0" -s "$1" layer load "$2" --name counties && "$0" -s "$1" layer load "$3" --name grid &&
        "$0" -s "$1" overlay intersection counties grid -o pieces' "$bin" "$work/e2e.sqlite" "$src" "$work/grid.geojson"
    record e2e plankit 1 "$T_WALL" "$T_CPU" "$T_RSS" "$(plankit_pieces "$work/e2e_pk.err")" "$T_BUSY"
    rm -f "$work/e2e_pk.gpkg"
    P -q -s "$work/e2e.sqlite" layer export pieces "$work/e2e_pk.gpkg"
    cmp_import epk "$work/e2e_pk.gpkg" "SELECT a_fid AS county_fid, cell_id, area_m2 AS own_area, geom FROM pieces"
    etools=epk
    if has_peer spatialite; then
        say "end to end: SpatiaLite (ogr2ogr -makevalid, then SQL)"
        rm -f "$work/e2e_sl.sqlite"
        wait_quiet
        timed e2e_sl bash -c 'set -e
            ogr2ogr -f SQLite -dsco SPATIALITE=YES -lco GEOMETRY_NAME=geom -lco FID=fid -makevalid -nlt MULTIPOLYGON -nln counties "$0" "$1"
            ogr2ogr -update -lco GEOMETRY_NAME=geom -makevalid -nlt MULTIPOLYGON -nln grid "$0" "$2"
            sqlite3 -init /dev/null "$0" ".read $3"' \
            "$work/e2e_sl.sqlite" "$src" "$work/grid.geojson" "$here/sl_overlay.sql"
        record e2e spatialite 1 "$T_WALL" "$T_CPU" "$T_RSS" \
            "$(printf "SELECT count(*) FROM pieces;\n" | sqlite3 "$work/e2e_sl.sqlite")" "$T_BUSY"
        cmp_import esl "$work/e2e_sl.sqlite" "SELECT county_fid, cell_id, geom FROM pieces"
        etools="$etools esl"
    fi
    if has_peer postgis; then
        say "end to end: PostGIS (ogr2ogr raw, ST_MakeValid, GiST, overlay)"
        psql_ -qc "DROP TABLE IF EXISTS pieces, counties, grid, counties_raw, grid_raw"
        wait_quiet
        c0=$(pm_child_ticks); b0=$(busy_ticks); t0=$(date +%s.%N)
        timed e2e_pg_load bash -c 'set -e
            ogr2ogr -f PostgreSQL "$0" "$1" -nln counties_raw -lco GEOMETRY_NAME=geom -lco FID=fid -nlt MULTIPOLYGON
            ogr2ogr -f PostgreSQL "$0" "$2" -nln grid_raw -lco GEOMETRY_NAME=geom -nlt POLYGON' \
            "$(pg_dsn)" "$src" "$work/grid.geojson"
        load_cpu=$T_CPU load_rss=$T_RSS
        sleep 0.5   # ogr2ogr's backends exit
        cat "$here/pg_repair.sql" "$here/pg_overlay.sql" >"$work/pg_e2e.sql"
        pg_timed e2e_pg "$work/pg_e2e.sql"
        t1=$(date +%s.%N); c1=$(pm_child_ticks); b1=$(busy_ticks)
        # wall of the whole; CPU: the two ogr2ogr clients + every server process
        record e2e postgis 1 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
            "$(awk -v l="$load_cpu" -v d=$((c1 - c0)) -v t="$tck" 'BEGIN { print l + d / t }')" \
            "$(( T_RSS > load_rss ? T_RSS : load_rss ))" "$(psql_ -At -c "SELECT count(*) FROM pieces")" $((b1 - b0))
        cmp_import epg "$(pg_dsn)" "SELECT county_fid, cell_id, geom FROM pieces"
        etools="$etools epg"
    fi
    if has_peer geopandas; then
        say "end to end: GeoPandas"
        rm -f "$work/e2e_gpd.gpkg"
        wait_quiet
        timed e2e_gpd $gpd_py "$here/gpd_overlay.py" e2e "$src" "$work/grid.geojson" "$work/e2e_gpd.gpkg"
        read -r w c n <"$work/e2e_gpd.out"
        record e2e geopandas 1 "$w" "$c" "$T_RSS" "$n" "$(awk -v b="$T_BUSY" -v W="$T_WALL" -v w="$w" 'BEGIN { printf "%d", b * w / W }')"
        cmp_import egp "$work/e2e_gpd.gpkg" "SELECT county_fid, cell_id, geom FROM pieces"
        etools="$etools egp"
    fi
    compare_all e $etools >"$work/compare_e2e.tsv"
fi

# ---------------------------------------------------------------- report
python3 "$here/report.py" "$work" "$runs" "$ncells" "$det_ok" >"$work/results.md"
cat "$work/results.md"
