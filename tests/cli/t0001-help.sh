#!/usr/bin/env bash
# --version, --help for every command and verb, unknown commands and verbs
# (with a suggestion), usage errors: exit codes and one-line errors.
source "$(dirname "$0")/lib.sh"

# run COMMAND...: sets $code; stdout in $WORK/out, stderr in $WORK/err
run() { "$@" >"$WORK/out" 2>"$WORK/err"; code=$?; }
lines() { grep -c '' "$1"; }

# usage_error DESCRIPTION PATTERN COMMAND...: exit 2, stdout empty, stderr
# exactly one line 'plankit: error: ...' matching PATTERN
usage_error() {
    local what=$1 pattern=$2; shift 2
    run "$@"
    if [ "$code" -ne 2 ]; then not_ok "$what: exit $code, expected 2"; sed 's/^/    /' "$WORK/err"; return; fi
    if [ -s "$WORK/out" ]; then not_ok "$what: stdout not empty"; return; fi
    if [ "$(lines "$WORK/err")" -ne 1 ]; then not_ok "$what: stderr is not one line"; sed 's/^/    /' "$WORK/err"; return; fi
    if ! grep -q "^plankit: error: .*$pattern" "$WORK/err"; then
        not_ok "$what: stderr does not match '$pattern'"; sed 's/^/    /' "$WORK/err"; return; fi
    ok "$what"
}

# --version and the version command: one line naming every library
run pk --version
expect_eq "--version exits 0" 0 "$code"
expect_eq "--version prints one line" 1 "$(lines "$WORK/out")"
expect_grep "--version names plankit and its libraries" \
    '^plankit [0-9][0-9.]* (GDAL [0-9.]*, PROJ [0-9.]*, GEOS [0-9.]*.*, SQLite [0-9.]*, SpatiaLite [0-9.]*)$' "$WORK/out"
expect_eq "--version writes nothing on stderr" "" "$(cat "$WORK/err")"
cp "$WORK/out" "$WORK/version"
run pk version
expect_eq "'plankit version' = 'plankit --version'" "$(cat "$WORK/version")" "$(cat "$WORK/out")"

# main help
for h in --help -h help; do
    run pk $h
    expect_eq "plankit $h exits 0" 0 "$code"
    expect_grep "plankit $h prints the usage on stdout" '^usage: plankit ' "$WORK/out"
    expect_eq "plankit $h: stderr empty" "" "$(cat "$WORK/err")"
done
run pk --help
commands=$(sed -n '/^Commands:/,/^$/p' "$WORK/out" | awk 'NF >= 2 && /^  [a-z]/ {print $1}')
for c in init layer check version; do
    if printf '%s\n' $commands | grep -qx "$c"; then ok "--help lists '$c'"; else not_ok "--help lists '$c'"; fi
done
expect_grep "--help documents the exit codes" '0 success, 1 failure, 2 usage error' "$WORK/out"

# every command: 'plankit CMD --help' = 'plankit help CMD', with an example
for c in $commands; do
    run pk "$c" --help
    if [ "$code" -ne 0 ] || ! grep -q "^usage: plankit $c" "$WORK/out" || [ -s "$WORK/err" ]; then
        not_ok "plankit $c --help (exit $code)"; sed 's/^/    /' "$WORK/err" | head -3; continue; fi
    cp "$WORK/out" "$WORK/cmd_help"
    run pk "$c" -h
    expect_eq "plankit $c -h = --help" "$(cat "$WORK/cmd_help")" "$(cat "$WORK/out")"
    run pk help "$c"
    expect_eq "plankit help $c = plankit $c --help" "$(cat "$WORK/cmd_help")" "$(cat "$WORK/out")"
    if grep -q 'Example' "$WORK/cmd_help"; then ok "plankit $c --help has an example"
    else not_ok "plankit $c --help has an example"; fi
    # verbs: lines 'plankit CMD VERB ...' of the command's usage
    verbs=$(grep -o "^plankit $c [a-z][a-z-]*" "$WORK/cmd_help" | awk '{print $3}' | sort -u)
    for v in $verbs; do
        for h in --help -h; do
            run pk "$c" "$v" $h
            if [ "$code" -eq 0 ] && grep -q "plankit $c $v" "$WORK/out" && [ ! -s "$WORK/err" ]; then
                ok "plankit $c $v $h"
            else
                not_ok "plankit $c $v $h (exit $code)"; sed 's/^/    /' "$WORK/err" | head -3
            fi
        done
    done
done
# each layer verb has its own usage with an example
for v in load list info issues export drop rename; do
    run pk layer "$v" --help
    if [ "$code" -eq 0 ] && grep -q "^usage: plankit layer $v" "$WORK/out" && grep -q 'Example' "$WORK/out" &&
        ! grep -q "^plankit layer" "$WORK/out"; then
        ok "plankit layer $v --help shows that verb's usage"
    else
        not_ok "plankit layer $v --help shows that verb's usage (exit $code)"
    fi
done
layer_verbs=$(pk layer --help | grep -o '^plankit layer [a-z]*' | awk '{print $3}' | sort | tr '\n' ' ')
expect_eq "layer has its seven verbs" "drop export info issues list load rename " "$layer_verbs"
run pk check --help
expect_eq "check --help needs no store" 0 "$code"
if [ -e "$PLANKIT_STORE" ]; then not_ok "help created a store"; else ok "no help created a store"; fi

# unknown commands and verbs: one line, a suggestion, exit 2
usage_error "unknown command suggests init" "'inti' is not a plankit command; did you mean 'init'?" pk inti
usage_error "unknown command suggests layer" "did you mean 'layer'?" pk lyer
usage_error "unknown command suggests check" "did you mean 'check'?" pk chekc
usage_error "a prefix suggests the command" "did you mean 'layer'?" pk lay
usage_error "help of an unknown command" "did you mean 'init'?" pk help int
run pk zzzzzzzz
if [ "$code" -eq 2 ] && ! grep -q 'did you mean' "$WORK/err"; then ok "nothing is suggested for a far-off name"
else not_ok "nothing is suggested for a far-off name (exit $code)"; cat "$WORK/err"; fi
usage_error "unknown verb suggests list" "'lsit' is not a 'layer' verb; did you mean 'list'?" pk layer lsit
usage_error "unknown verb suggests export" "did you mean 'export'?" pk layer expotr
usage_error "unknown verb suggests rename" "did you mean 'rename'?" pk layer renam

# usage errors
# every command and verb: an unknown option is one error line, exit 2
# (getopt's own message must be off: opterr = 0)
for c in $commands; do
    [ "$c" = version ] && continue
    verbs=$(pk help "$c" | grep -o "^plankit $c [a-z][a-z-]*" | awk '{print $3}' | sort -u)
    if [ -z "$verbs" ]; then
        usage_error "plankit $c --bogus-option" "" pk "$c" --bogus-option
    fi
    for v in $verbs; do
        usage_error "plankit $c $v --bogus-option" "" pk "$c" "$v" --bogus-option
    done
done
usage_error "unknown global option" "unknown option '--bogus'" pk --bogus
usage_error "unknown option of a verb" "'--bogus'" pk layer list --bogus
usage_error "unknown option of init" "'--bogus'" pk init --bogus
usage_error "unknown option of check" "'--nope'" pk check --nope
usage_error "option without its value" "'--crs'" pk init --crs
usage_error "load without a source" "expected one SOURCE" pk layer load
usage_error "info without a name" "expected 1 argument" pk layer info
usage_error "rename with one name" "expected 2 arguments" pk layer rename a
usage_error "check with an argument" "unexpected argument 'extra'" pk check extra
usage_error "init with an argument" "unexpected argument 'x'" pk init x
usage_error "--replace with --append" "exclude each other" pk layer load x.geojson --replace --append
usage_error "bad --repair-method" "linework or structure" pk layer load x.geojson --repair-method fast
usage_error "bad --format" "unknown --format 'xml'" pk layer list --format xml
if [ -e "$PLANKIT_STORE" ]; then not_ok "a usage error created a store"; else ok "no usage error created a store"; fi
# no command at all: usage on stderr, exit 2
run pk
expect_eq "plankit without a command exits 2" 2 "$code"
expect_eq "plankit without a command: stdout empty" "" "$(cat "$WORK/out")"
expect_grep "plankit without a command shows the usage" '^usage: plankit' "$WORK/err"
run pk layer
expect_eq "plankit layer without a verb exits 2" 2 "$code"
expect_eq "plankit layer without a verb: stdout empty" "" "$(cat "$WORK/out")"

# a command that needs a store, without one: exit 1, one line naming the fix
run pk layer list
expect_eq "layer list without a store exits 1" 1 "$code"
expect_eq "... with one line on stderr" 1 "$(lines "$WORK/err")"
expect_grep "... that says to run plankit init" "^plankit: error: store '.*plan.sqlite' does not exist (create it with 'plankit init')" "$WORK/err"
expect_eq "... and nothing on stdout" "" "$(cat "$WORK/out")"
if [ -e "$PLANKIT_STORE" ]; then not_ok "layer list created a store"; else ok "layer list did not create a store"; fi

finish
