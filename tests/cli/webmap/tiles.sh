# tiles.sh — sourced by the web map tests: make_test_tiles STORE OUT.mbtiles
# writes the store's vector tiles with plankit's own tiler, following the tile
# contract (include/plankit/tiles.h): one tile layer per store layer, `towns`
# with the --coverage attributes tasks, task_ids and share, a `tasks` layer
# and a `labels` point layer.
make_test_tiles() {
    rm -rf "$2"
    "$PLANKIT" -s "$1" tiles vector -o "$2" --minzoom 0 --maxzoom 12 --coverage towns --tasks --labels -q
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
