#!/usr/bin/env bash
# check --format json prints [] on a healthy store (valid JSON, not nothing);
# SQL errors and refused statements exit 1 (a failed command), not 2 (usage).
source "$(dirname "$0")/lib.sh"

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk check --format json >"$WORK/out" 2>"$WORK/err"
expect_eq "check --format json of a healthy store exits 0" 0 $?
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != [])' "$WORK/out" \
    && ok "... and prints [] (valid JSON)" || not_ok "... prints '$(cat "$WORK/out")'"
expect_eq "check --format csv of a healthy store prints the header" "object,problem" "$(pk check --format csv 2>/dev/null)"
expect_eq "check (table) of a healthy store prints nothing on stdout" "" "$(pk check 2>/dev/null)"

expect_fail_unchanged "a SQL syntax error" "sql: near \"SELEC\": syntax error" pk sql "SELEC 1"
expect_eq "... exits 1" 1 "$(pk sql "SELEC 1" 2>/dev/null; echo $?)"
expect_fail_unchanged "a write refused" "only read-only statements are allowed" pk sql "DELETE FROM pk_layers"
expect_eq "... exits 1" 1 "$(pk sql "DELETE FROM pk_layers" 2>/dev/null; echo $?)"
expect_eq "an unknown table exits 1" 1 "$(pk sql "SELECT * FROM nosuch" 2>/dev/null; echo $?)"
expect_eq "no statement at all is still a usage error (2)" 2 "$(pk sql 2>/dev/null; echo $?)"

finish
