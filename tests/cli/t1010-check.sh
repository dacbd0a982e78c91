#!/usr/bin/env bash
# plankit check finds a broken store: counts that do not match, tables
# missing or unregistered, invalid geometries, stale spatial indexes; exit 1
# with one row per problem naming the layer; exit 0 and 'ok' when healthy.
source "$(dirname "$0")/lib.sh"

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk layer load "$LAYERS/kunshan-places.geojson" --name places -q
sqlite3 "$PLANKIT_STORE" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$PLANKIT_STORE" "$WORK/good.sqlite"
TOWNS=$(sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='towns'")
PLACES=$(sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='places'")

before=$(store_sum)
pk check >"$WORK/out" 2>"$WORK/err"
expect_eq "a healthy store: exit 0" 0 $?
expect_eq "check leaves the store byte-for-byte unchanged" "$before" "$(store_sum)"
expect_eq "a healthy store: nothing on stdout" "" "$(cat "$WORK/out")"
expect_grep "a healthy store: ok on stderr" "^plankit: store '.*plan.sqlite' ok$" "$WORK/err"
pk check -q >"$WORK/out" 2>"$WORK/err"
expect_eq "check -q of a healthy store prints nothing" "" "$(cat "$WORK/out" "$WORK/err")"

# broken BREAKAGE_SQL: a fresh copy of the good store, broken with sqlite3
broken() {
    cp "$WORK/good.sqlite" "$PLANKIT_STORE"
    rm -f "$PLANKIT_STORE-wal" "$PLANKIT_STORE-shm"
    sqlite3 -batch "$PLANKIT_STORE" ".load mod_spatialite" "$1" >/dev/null
}
# expect_problem DESCRIPTION OBJECT PATTERN: check exits 1, a CSV row 'OBJECT,...PATTERN'
expect_problem() {
    local before after
    before=$(store_sum)
    pk check --format csv >"$WORK/out" 2>"$WORK/err"
    local code=$?
    after=$(store_sum)
    expect_eq "$1: check exits 1" 1 "$code"
    expect_grep "$1: a row names $2" "^$2,\"\\{0,1\\}$3" "$WORK/out"
    expect_eq "$1: one error line on stderr" 1 "$(grep -c '' "$WORK/err")"
    expect_grep "$1: ... that counts the problems" "^plankit: error: store '.*' has [0-9]* problem(s)$" "$WORK/err"
    expect_eq "$1: check changes nothing" "$before" "$after"
}

broken "DELETE FROM $TOWNS WHERE fid > 10"
expect_problem "rows deleted from a layer table" towns "registry says 12 features, table has 10"
expect_eq "... only that layer is named" 1 "$(grep -c -v '^object,' "$WORK/out")"
expect_eq "... the CSV has a header" "object,problem" "$(head -1 "$WORK/out")"
pk check --format json >"$WORK/json" 2>/dev/null
expect_grep "... and JSON output too" '"object": *"towns"' "$WORK/json"

broken "INSERT INTO $PLACES(fid, name, geom) VALUES(99, 'extra', MakePoint(121, 31.3, 4326))"
expect_problem "a row added behind plankit's back" places "registry says 15 features, table has 16"

broken "UPDATE $TOWNS SET geom = GeomFromText('MULTIPOLYGON(((121 31.3, 121.01 31.31, 121.01 31.3, 121 31.31, 121 31.3)))', 4326) WHERE fid = 3"
expect_problem "an invalid geometry" towns "1 invalid geometries"

broken "CREATE TABLE lyr_99(fid INTEGER PRIMARY KEY)"
expect_problem "an unregistered layer table" lyr_99 "layer table not in the registry"

broken "SELECT DisableSpatialIndex('$PLACES', 'geom'); DROP TABLE idx_${PLACES}_geom"
expect_problem "a spatial index removed" places "spatial index missing"

broken "DELETE FROM idx_${TOWNS}_geom WHERE pkid < 5"
expect_problem "a spatial index out of step" towns "spatial index out of date"

broken "DROP TABLE $PLACES"
expect_problem "a layer table dropped" places "table $PLACES is missing"

broken "UPDATE pk_layers SET feature_count = 3 WHERE name = 'towns'; DELETE FROM $PLACES WHERE fid = 1"
expect_problem "two broken layers (towns)" towns "registry says 3 features"
expect_grep "two broken layers (places)" '^places,"registry says 15 features, table has 14"$' "$WORK/out"
expect_grep "... counted" "has 2 problem(s)" "$WORK/err"

# not a store, a damaged file
cp "$WORK/good.sqlite" "$PLANKIT_STORE"
sqlite3 "$WORK/other.sqlite" "CREATE TABLE t(x)"
PLANKIT_STORE=$WORK/other.sqlite expect_fail_unchanged "check of a database that is not a store" \
    "'.*other.sqlite' is not a plankit store" pk -s "$WORK/other.sqlite" check
head -c 8192 "$WORK/good.sqlite" >"$WORK/cut.sqlite"
PLANKIT_STORE=$WORK/cut.sqlite expect_fail_unchanged "check of a truncated store" \
    "cannot read '.*cut.sqlite' as a plankit store: database disk image is malformed" pk -s "$WORK/cut.sqlite" check
printf 'not a database at all, just some text that is long enough\n' >"$WORK/text.sqlite"
PLANKIT_STORE=$WORK/text.sqlite expect_fail_unchanged "check of a text file" \
    "cannot read '.*text.sqlite' as a plankit store: file is not a database" pk -s "$WORK/text.sqlite" check
expect_fail_unchanged "check of a missing store" "does not exist (create it with 'plankit init')" pk -s "$WORK/nosuch.sqlite" check
if [ -e "$WORK/nosuch.sqlite" ]; then not_ok "check created a store"; else ok "check did not create a store"; fi

# the good store is still good
cp "$WORK/good.sqlite" "$PLANKIT_STORE"
rm -f "$PLANKIT_STORE-wal" "$PLANKIT_STORE-shm"
check "the unbroken copy passes check" pk check
finish
