# lib.sh — helpers for plankit's shell end-to-end tests (sourced by tNNNN-*.sh).
# Each test runs in its own temporary folder; $PLANKIT is the binary under test.
set -u
: "${PLANKIT:?set PLANKIT to the plankit binary}"
: "${PLANKIT_SOURCE_DIR:?set PLANKIT_SOURCE_DIR to the source tree}"
SHARED_DIR=${PLANKIT_SHARED_DIR:-$PLANKIT_SOURCE_DIR/../shared}
DATA=$PLANKIT_SOURCE_DIR/tests/data
LAYERS=$PLANKIT_SOURCE_DIR/layers
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/plankit-$TEST_NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export PLANKIT_STORE=$WORK/plan.sqlite
export USER=${USER:-tester}
pass=0
fail=0

pk() { "$PLANKIT" "$@"; }

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when the command exits 0
check() {
    local what=$1; shift
    if "$@" >"$WORK/.out" 2>"$WORK/.err"; then ok "$what"; else
        not_ok "$what (exit $?)"; sed 's/^/    /' "$WORK/.err" | head -5; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi
}

# expect_near DESCRIPTION EXPECTED ACTUAL RELATIVE_TOLERANCE
expect_near() {
    if awk -v e="$2" -v a="$3" -v t="$4" 'BEGIN { d = (a - e) / (e == 0 ? 1 : e); if (d < 0) d = -d; exit !(d <= t) }'; then
        ok "$1 ($3 ~ $2)"; else not_ok "$1: expected $2 within $4, got '$3'"; fi
}

# expect_grep DESCRIPTION PATTERN FILE
expect_grep() {
    if grep -q -- "$2" "$3"; then ok "$1"; else not_ok "$1: no '$2' in $3"; sed 's/^/    /' "$3" | head -5; fi
}

store_sum() { cat "$PLANKIT_STORE" "$PLANKIT_STORE-wal" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# expect_fail_unchanged DESCRIPTION PATTERN COMMAND...: the command exits
# non-zero, prints one 'plankit: error:' line matching PATTERN on stderr and
# leaves the store byte-for-byte unchanged.
expect_fail_unchanged() {
    local what=$1 pattern=$2; shift 2
    local before after code
    before=$(store_sum)
    "$@" >"$WORK/.out" 2>"$WORK/.err"
    code=$?
    after=$(store_sum)
    if [ $code -eq 0 ]; then not_ok "$what: exit 0"; return; fi
    if [ "$before" != "$after" ]; then not_ok "$what: store changed"; return; fi
    if ! grep -q '^plankit: error: ' "$WORK/.err"; then not_ok "$what: no error line"; cat "$WORK/.err"; return; fi
    if [ "$(grep -c '^plankit: error: ' "$WORK/.err")" -ne 1 ]; then not_ok "$what: more than one error line"; return; fi
    if ! grep '^plankit: error: ' "$WORK/.err" | grep -q -- "$pattern"; then
        not_ok "$what: error does not match '$pattern'"; sed 's/^/    /' "$WORK/.err"; return; fi
    ok "$what (exit $code)"
}

# SQL through the SpatiaLite shell, independent of plankit's own code.
spatialite_sql() { sqlite3 -batch -noheader "$PLANKIT_STORE" ".load mod_spatialite" "$1" | grep -v '^$'; }

finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
