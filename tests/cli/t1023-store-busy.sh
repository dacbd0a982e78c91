#!/usr/bin/env bash
# A writer waiting behind another plankit says whom it waits for ("store is
# busy: waiting for another plankit (pid N)…"), once, instead of waiting in
# silence; it then goes on when the other finishes. The first writer is
# stopped (SIGSTOP) while it holds the write lock, so the wait lasts as long
# as the test needs, whatever the machine's speed.
source "$(dirname "$0")/lib.sh"

cells() { # cells FILE N: N small squares
    awk -v n="$2" 'BEGIN {
        printf "{\"type\":\"FeatureCollection\",\"features\":[\n"
        for (i = 0; i < n; i++) {
            x = 120.8 + (i % 100) * 0.0014; y = 31.1 + int(i / 100) * 0.0022
            printf "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"cell %d\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}}\n",
                (i ? "," : ""), i, x, y, x + 0.001, y, x + 0.001, y + 0.001, x, y + 0.001, x, y
        }
        printf "]}\n" }' >"$1"
}
# lock_holder FILE: the pid holding an fcntl write lock on FILE's first byte, 0 if none
lock_holder() {
    python3 - "$1" <<'EOF'
import fcntl, os, struct, sys
try:
    fd = os.open(sys.argv[1], os.O_RDONLY)
except OSError:
    print(0); sys.exit()
req = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 1, 0)
t, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, req))
print(0 if t == fcntl.F_UNLCK else pid)
EOF
}

cells "$WORK/a.geojson" 20000
pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-city.geojson" --name city -q

caught=0
for attempt in 1 2 3; do
    "$PLANKIT" layer load "$WORK/a.geojson" --name "a$attempt" -q 2>"$WORK/a.err" &
    pa=$!
    # wait until A holds the writer lock (it is inside its transaction), then stop it there
    while kill -0 "$pa" 2>/dev/null; do
        if [ "$(lock_holder "$PLANKIT_STORE-writer")" = "$pa" ]; then
            kill -STOP "$pa"
            # still inside? (it may have committed between the look and the stop)
            if [ "$(lock_holder "$PLANKIT_STORE-writer")" = "$pa" ]; then caught=1; fi
            break
        fi
        sleep 0.01
    done
    [ $caught -eq 1 ] && break
    kill -CONT "$pa" 2>/dev/null
    wait "$pa"
done
expect_eq "the first writer holds the <store>-writer lock during its transaction" 1 $caught

"$PLANKIT" task add T1 --title 等待者 2>"$WORK/b.err" &
pb=$!
# wait (up to 5 min) for B to say it waits
for _ in $(seq 1 3000); do
    grep -q "store is busy" "$WORK/b.err" && break
    kill -0 "$pb" 2>/dev/null || break
    sleep 0.1
done
expect_grep "the waiting writer says whom it waits for" \
    "^plankit: warning: store is busy: waiting for another plankit (pid $pa)…$" "$WORK/b.err"
if kill -0 "$pb" 2>/dev/null; then ok "... and is still waiting"; else not_ok "the second writer did not wait"; fi
kill -CONT "$pa"
wait "$pa"
expect_eq "the first writer then finishes" 0 $?
wait "$pb"
expect_eq "... and so does the second" 0 $?
expect_eq "it said so once" 1 "$(grep -c "store is busy" "$WORK/b.err")"
expect_eq "both wrote" "1|1" "$(sqlite3 "$PLANKIT_STORE" "SELECT (SELECT count(*) FROM pk_layers WHERE name='a$attempt'), (SELECT count(*) FROM pk_tasks WHERE id='T1')")"
expect_eq "no lock file is left when the writers are done" "" "$(ls "$PLANKIT_STORE-writer" 2>/dev/null)"
check "the store passes check" pk check

finish
