# tiles.sh — sourced by the web map tests: make_test_tiles STORE OUT.mbtiles
# writes the store's vector tiles following docs' tile contract (one tile
# layer per store layer, `towns` with the --coverage attributes tasks,
# task_ids and share, a `tasks` layer, a `labels` point layer).
#
# Until `plankit tiles vector` lands this uses GDAL's own MVT writer; then the
# whole body becomes:
#   "$PLANKIT" -s "$1" tiles vector "$2" --coverage towns --tasks --labels -q
make_test_tiles() {
    local store=$1 out=$2 tmp=$2.d name table geomtype sql_tasks="" sql_labels=""
    rm -rf "$tmp" "$out" && mkdir -p "$tmp" || return 1
    "$PLANKIT" -s "$store" coverage --by towns --format geojson >"$tmp/cov.geojson" || return 1
    while IFS=, read -r name table geomtype; do
        ogr2ogr $([ -f "$tmp/mid.gpkg" ] && echo -update) -f GPKG "$tmp/mid.gpkg" "$store" "$table" \
            -nln "${name/#towns/towns_plain}" || return 1
        sql_tasks+="SELECT k.task_id AS id, t.title, t.classification AS pillar, t.status,"
        sql_tasks+=" CAST(t.progress AS INTEGER) AS progress, 'zone' AS kind, '$name' AS layer, g.geom AS geom"
        sql_tasks+=" FROM pk_task_links k JOIN pk_tasks t ON t.id = k.task_id JOIN pk_layers l ON l.id = k.layer_id"
        sql_tasks+=" JOIN $table g ON g.fid = k.fid WHERE l.name = '$name' UNION ALL "
        case $geomtype in *POLYGON*)
            sql_labels+="SELECT '$name' AS layer, fid, name, ST_PointOnSurface(geom) AS geom FROM $table UNION ALL ";;
        esac
    done < <("$PLANKIT" -s "$store" sql "SELECT name, table_name, geometry_type FROM pk_layers ORDER BY id" \
                 --format csv | tail -n +2)
    sql_tasks+="SELECT f.task_id, t.title, t.classification, t.status, CAST(t.progress AS INTEGER), 'footprint',"
    sql_tasks+=" NULL, f.geom FROM pk_task_footprints f JOIN pk_tasks t ON t.id = f.task_id"
    ogr2ogr -update -f GPKG "$tmp/mid.gpkg" "$store" -sql "$sql_tasks" -nln tasks -nlt GEOMETRY || return 1
    ogr2ogr -update -f GPKG "$tmp/mid.gpkg" "$store" -sql "${sql_labels% UNION ALL }" -nln labels -nlt POINT \
        -lco FID=gpkg_fid || return 1
    ogr2ogr -update -f GPKG "$tmp/mid.gpkg" "$tmp/cov.geojson" -nln cov || return 1
    ogr2ogr -update -f GPKG "$tmp/mid.gpkg" "$tmp/mid.gpkg" -dialect SQLite -nln towns -nlt MULTIPOLYGON \
        -sql "SELECT t.name, t.name_en, t.code, t.category, t.accuracy, c.tasks, c.task_ids, c.share, t.geom
              FROM towns_plain t JOIN cov c ON c.fid = t.fid" || return 1
    ogr2ogr -f MBTiles "$out" "$tmp/mid.gpkg" -dsco MINZOOM=0 -dsco MAXZOOM=12 -dsco NAME=plankit-test \
        $(ogrinfo -q "$tmp/mid.gpkg" | sed -n 's/^[0-9]*: \([a-z_0-9]*\).*/\1/p' | grep -v -e '^cov$' -e '^towns_plain$') \
        || return 1
    rm -rf "$tmp"
}

# start_server ARGS...: run `plankit serve ARGS --port 0` in the background;
# sets SERVER_PID and URL (http://127.0.0.1:PORT/). Returns 1 when it did not start.
start_server() {
    "$PLANKIT" serve "$@" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
    SERVER_PID=$!
    URL=""
    for _ in $(seq 1 100); do
        URL=$(head -n 1 "$WORK/serve.out" 2>/dev/null)
        [ -n "$URL" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# stop_server: Ctrl-C the server; returns its exit code.
stop_server() {
    kill -INT "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID"
}
