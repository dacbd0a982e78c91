#!/usr/bin/env bash
# plankit check finds what a QGIS or sqlite3 user can do behind plankit's
# back: task links to features that no longer exist (or whose key changed),
# rows of another geometry type than the layer's, coordinates outside the
# store CRS's range, fields and keys the registry gets wrong, links to
# unknown layers. One line per problem, exit 1, the store unchanged.
source "$(dirname "$0")/lib.sh"

q() { sqlite3 "$PLANKIT_STORE" "$1"; }

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk layer load "$LAYERS/kunshan-places.geojson" --name places -q
pk task add T1 --title one -q
pk task add T2 --title two -q
pk task attach T1 --to towns:周庄镇 -q
pk task attach T2 --to towns:锦溪镇 -q
pk task attach T2 --to places:1 -q
TOWNS=$(q "SELECT table_name FROM pk_layers WHERE name='towns'")
PLACES=$(q "SELECT table_name FROM pk_layers WHERE name='places'")
ZZ=$(q "SELECT fid FROM $TOWNS WHERE code='ZZ'")
JX=$(q "SELECT fid FROM $TOWNS WHERE code='JX'")
q "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$PLANKIT_STORE" "$WORK/good.sqlite"
check "the store with links is healthy" pk check

# broken SQL: a fresh copy of the good store changed with sqlite3 + SpatiaLite;
# the registry's count and extent are brought in line, as an expert would
broken() {
    cp "$WORK/good.sqlite" "$PLANKIT_STORE"
    rm -f "$PLANKIT_STORE-wal" "$PLANKIT_STORE-shm"
    local fix="" t
    for t in $TOWNS $PLACES; do
        fix="$fix UPDATE pk_layers SET feature_count=(SELECT count(*) FROM $t), min_x=(SELECT min(MbrMinX(geom)) FROM $t),
              min_y=(SELECT min(MbrMinY(geom)) FROM $t), max_x=(SELECT max(MbrMaxX(geom)) FROM $t),
              max_y=(SELECT max(MbrMaxY(geom)) FROM $t) WHERE table_name='$t';"
    done
    sqlite3 -batch "$PLANKIT_STORE" ".load mod_spatialite" "$1" "$fix" >/dev/null
}
# expect_problem DESCRIPTION OBJECT PATTERN: exit 1, exactly one row, 'OBJECT,...PATTERN'
expect_problem() {
    local before after code
    before=$(store_sum)
    pk check --format csv >"$WORK/out" 2>"$WORK/err"
    code=$?
    after=$(store_sum)
    expect_eq "$1: check exits 1" 1 "$code"
    expect_eq "$1: one problem row" 1 "$(tail -n +2 "$WORK/out" | grep -c '')"
    expect_grep "$1: the row names $2" "^$2,\"\\{0,1\\}$3" "$WORK/out"
    expect_eq "$1: check changes nothing" "$before" "$after"
}

broken "DELETE FROM $TOWNS WHERE fid = $ZZ"
expect_problem "a linked town deleted" "task T1" "link (located-in) to towns:$ZZ (key ZZ) points at a feature that no longer exists"
broken "UPDATE $TOWNS SET code = 'XX' WHERE fid = $JX"
expect_problem "a linked town's key edited" "task T2" "link (located-in) to towns:$JX was made to key 'JX' but the feature's code is now 'XX'"
broken "UPDATE $TOWNS SET code = 'KSKFQ' WHERE fid = $ZZ - 1 AND code NOT IN ('ZZ', 'JX')"
expect_problem "a key made non-unique" towns "key field 'code' has empty or repeated values"
broken "UPDATE $TOWNS SET geom = PointOnSurface(geom) WHERE fid = 3"
expect_problem "a point in a MULTIPOLYGON layer" towns "1 feature(s) are not of the layer's geometry type MULTIPOLYGON (e.g. fid 3 is POINT)"
broken "UPDATE $PLACES SET geom = MakePoint(500, 95, 4326) WHERE fid = 2"
expect_problem "a point at lon 500, lat 95" places "1 feature(s) have coordinates outside the range of EPSG:4326 (-180,-90,180,90), e.g. fid 2 with extent 500,95,500,95"
broken "UPDATE $PLACES SET geom = MakePoint(1e308, 31, 4326) WHERE fid = 2"
expect_problem "a point at x 1e308" places "1 feature(s) have coordinates outside the range of EPSG:4326 (-180,-90,180,90), e.g. fid 2 with extent 1e+308,31"
broken "ALTER TABLE $TOWNS DROP COLUMN category"
expect_problem "a registered field dropped" towns "registered field category is not a column of $TOWNS"
broken "ALTER TABLE $PLACES ADD COLUMN note TEXT"
expect_problem "a column added" places "column note of $PLACES is not a registered field"
broken "INSERT INTO pk_task_links(task_id, layer_id, fid) VALUES('T1', 99, 1)"
expect_problem "a link to a layer id not in the registry" pk_task_links "1 task link(s) to layers not in the registry"

# a projected store: Gauss-Krüger metres expected, degrees found
cp "$WORK/good.sqlite" "$WORK/keep.sqlite"
export PLANKIT_STORE=$WORK/gk.sqlite
pk init -q --crs EPSG:4549 --measure-crs EPSG:4549
pk layer load "$DATA/marks-4549.geojson" --name marks -q
check "a projected store is healthy" pk check
M=$(q "SELECT table_name FROM pk_layers WHERE name='marks'")
sqlite3 -batch "$PLANKIT_STORE" ".load mod_spatialite" "UPDATE $M SET geom = MakePoint(121, 31.3, 4549) WHERE fid = 1;
    UPDATE pk_layers SET min_x=(SELECT min(MbrMinX(geom)) FROM $M), min_y=(SELECT min(MbrMinY(geom)) FROM $M) WHERE name='marks'" >/dev/null
expect_problem "degrees in a Gauss-Krüger store" marks "1 feature(s) have coordinates outside the range of EPSG:4549"

finish
