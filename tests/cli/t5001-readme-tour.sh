#!/usr/bin/env bash
# The README's tour, run verbatim: every command of its ```sh block, in
# order, on a new store made as the tour says, from a folder laid out like
# the repository's top (layers/ beside the store). Each command must exit 0.
source "$(dirname "$0")/lib.sh"

mkdir -p bin && ln -s "$PLANKIT" bin/plankit && ln -s "$LAYERS" layers
awk '/^## A short tour/ { tour = 1 } tour && /^```sh/ { inside = 1; next } inside && /^```/ { exit } inside' \
    "$PLANKIT_SOURCE_DIR/README.md" >tour.sh
n=$(grep -c '^plankit ' tour.sh)
[ "$n" -ge 30 ] && ok "the tour has $n plankit commands" || not_ok "the tour has only $n plankit commands"
unset PLANKIT_STORE
# one command at a time, so a failure names the line
i=0
while IFS= read -r line; do
    i=$((i + 1))
    case $line in ''|'#'*) continue ;; esac
    if PATH=$WORK/bin:$PATH bash -c "source ./tour.env 2>/dev/null; $line" >"$WORK/.out" 2>"$WORK/.err"; then
        ok "tour line $i: ${line%%  #*}"
    else
        not_ok "tour line $i fails: $line"; sed 's/^/    /' "$WORK/.err" | head -5
    fi
    case $line in export*) echo "$line" >>tour.env ;; esac
done <tour.sh
expect_eq "the tour's store is the one it exported" 1 "$([ -f plan.sqlite ] && echo 1)"
expect_eq "PZ-99 is linked to 周庄镇 and has a footprint" "1|1" \
    "$(sqlite3 plan.sqlite "SELECT (SELECT count(*) FROM pk_task_links WHERE task_id='PZ-99'), (SELECT count(*) FROM pk_task_footprints WHERE task_id='PZ-99')")"
expect_eq "... status in_progress, by alice" "in_progress" "$(sqlite3 plan.sqlite "SELECT status FROM pk_tasks WHERE id='PZ-99'")"
expect_eq "the 91 bundled tasks and PZ-99" 92 "$(sqlite3 plan.sqlite "SELECT count(*) FROM pk_tasks")"

finish
