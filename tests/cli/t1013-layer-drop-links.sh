#!/usr/bin/env bash
# layer drop with task links: refused (store unchanged) unless --force; with
# --force every removed link is written to its task's history in a form
# `task attach --to` takes back.
source "$(dirname "$0")/lib.sh"

q() { sqlite3 "$PLANKIT_STORE" "$1"; }

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk layer load "$LAYERS/kunshan-key-areas.geojson" --name key_areas -q
pk task add T1 --title one -q
pk task add T2 --title two -q
pk task attach T1 --to towns:周庄镇 -q
pk task attach T1 --to towns:锦溪镇 --role serves -q
pk task attach T2 --to towns:周庄镇 -q
pk task attach T2 --to key_areas:1 -q

expect_fail_unchanged "dropping a linked layer is refused" \
    "layer drop: 3 task link(s) point at layer 'towns' (tasks T1, T2): give --force" pk layer drop towns
expect_eq "... the layer is still there" 1 "$(q "SELECT count(*) FROM pk_layers WHERE name='towns'")"
expect_eq "... and the links" 4 "$(q "SELECT count(*) FROM pk_task_links")"

pk layer drop towns --force 2>"$WORK/err"
expect_eq "drop --force exits 0" 0 $?
expect_grep "... says how many links went" "dropped with 3 task link(s)" "$WORK/err"
expect_grep "... warns about each" "task 'T1': link to towns:ZZ 周庄镇 (located-in) removed" "$WORK/err"
expect_eq "... the layer is gone" 0 "$(q "SELECT count(*) FROM pk_layers WHERE name='towns'")"
expect_eq "... its links are gone, the others stay" "T2" "$(q "SELECT group_concat(task_id) FROM pk_task_links")"
expect_eq "... T1's history has both removed links" "layer drop|towns:JX 锦溪镇 (serves) layer drop|towns:ZZ 周庄镇 (located-in)" \
    "$(q "SELECT command || '|' || old_value FROM pk_history WHERE object_type='task' AND object_id='T1' AND field='link' AND new_value IS NULL ORDER BY old_value" | paste -sd' ')"
expect_eq "... T2's history has its removed link" "towns:ZZ 周庄镇 (located-in)" \
    "$(q "SELECT old_value FROM pk_history WHERE object_id='T2' AND command='layer drop'")"
expect_eq "... the layer's history counts them" "3 task link(s) removed" \
    "$(q "SELECT new_value FROM pk_history WHERE object_type='layer' AND command='layer drop'")"
check "the store passes check" pk check

# the history's text restores the links once the layer is back
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
check "restore from the history" pk task attach T1 --to towns:ZZ --role located-in -q
expect_grep "T1 is on 周庄镇 again" "towns:[0-9]* 周庄镇 (located-in)" <(pk task show T1)

check "key_areas (linked to T2) drops with --force" pk layer drop key_areas --force
pk layer load "$LAYERS/kunshan-city.geojson" --name city -q
check "an unlinked layer drops without --force" pk layer drop city
expect_fail_unchanged "drop takes no unknown option" "unknown option" pk layer drop towns --forse

finish
