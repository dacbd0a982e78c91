#!/usr/bin/env bash
# layer drop and layer rename: what goes, what stays, errors.
source "$(dirname "$0")/lib.sh"

q() { sqlite3 "$PLANKIT_STORE" "$1"; }

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk layer load "$LAYERS/kunshan-city.geojson" --name city -q
cat >"$WORK/bow.geojson" <<'EOF'
{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"bow"},"geometry":{"type":"Polygon","coordinates":[[[121,31.3],[121.01,31.31],[121.01,31.3],[121,31.31],[121,31.3]]]}}]}
EOF
pk layer load "$WORK/bow.geojson" --name scratch -q 2>/dev/null
T=$(q "SELECT table_name FROM pk_layers WHERE name='scratch'")
id=$(q "SELECT id FROM pk_layers WHERE name='scratch'")
expect_eq "the scratch layer has a load issue" 1 "$(q "SELECT count(*) FROM pk_load_issues WHERE layer_id=$id")"

# drop
pk layer drop scratch >"$WORK/out" 2>"$WORK/err"
expect_eq "drop exits 0" 0 $?
expect_eq "drop prints nothing on stdout" "" "$(cat "$WORK/out")"
expect_eq "the layer is gone from layer list" "towns,city" "$(pk layer list --format csv | tail -n +2 | cut -d, -f1 | paste -sd,)"
expect_eq "its table is gone" 0 "$(q "SELECT count(*) FROM sqlite_master WHERE name = '$T'")"
expect_eq "its spatial index is gone" 0 "$(q "SELECT count(*) FROM sqlite_master WHERE name LIKE 'idx_${T}_geom%'")"
expect_eq "its geometry column is unregistered" 0 "$(q "SELECT count(*) FROM geometry_columns WHERE f_table_name = '$T'")"
expect_eq "its fields and issues are gone" "0 0" \
    "$(q "SELECT (SELECT count(*) FROM pk_fields WHERE layer_id=$id) || ' ' || (SELECT count(*) FROM pk_load_issues WHERE layer_id=$id)")"
expect_eq "the drop is in the history" 1 "$(q "SELECT count(*) FROM pk_history WHERE command='layer drop' AND object_id='scratch'")"
expect_eq "the other layers are untouched" 12 "$(q "SELECT count(*) FROM $(q "SELECT table_name FROM pk_layers WHERE name='towns'")")"
check "the store passes check after a drop" pk check
expect_fail_unchanged "dropping it again" "no layer 'scratch' in the store ('plankit layer list' shows the layers)" pk layer drop scratch
expect_eq "... exits 1" 1 "$(pk layer drop scratch 2>/dev/null; echo $?)"
check "the name can be used again" pk layer load "$WORK/bow.geojson" --name scratch -q

# rename
TT=$(q "SELECT table_name FROM pk_layers WHERE name='towns'")
pk layer rename towns 区镇 >"$WORK/out" 2>"$WORK/err"
expect_eq "rename exits 0" 0 $?
expect_eq "rename prints nothing on stdout" "" "$(cat "$WORK/out")"
expect_eq "the new name is listed" 1 "$(pk layer list --format csv | grep -c '^区镇,')"
expect_eq "the old name is not" 0 "$(pk layer list --format csv | grep -c '^towns,')"
expect_eq "the table (and so the fids) are kept" "$TT" "$(q "SELECT table_name FROM pk_layers WHERE name='区镇'")"
expect_eq "the features are kept" "1:昆山开发区 12:锦溪镇" \
    "$(q "SELECT group_concat(fid || ':' || name, ' ') FROM $TT WHERE fid IN (1, 12)")"
expect_eq "the rename is in the history" "towns|区镇" \
    "$(q "SELECT old_value, new_value FROM pk_history WHERE command='layer rename'" | tr -d '\n')"
expect_grep "layer info works under the new name" '^name,区镇$' <(pk layer info 区镇 --format csv)
expect_fail_unchanged "info under the old name" "no layer 'towns'" pk layer info towns
expect_fail_unchanged "rename onto an existing layer" "layer 'city' already exists" pk layer rename 区镇 city
expect_fail_unchanged "rename of a missing layer" "no layer 'nosuch'" pk layer rename nosuch other
expect_fail_unchanged "rename to an invalid name" "invalid layer name '9lives'" pk layer rename 区镇 9lives
expect_eq "... is a usage error" 2 "$(pk layer rename 区镇 9lives 2>/dev/null; echo $?)"
expect_fail_unchanged "rename to a name with SQL" "invalid layer name" pk layer rename 区镇 "x'; DROP TABLE pk_layers;--"
pk layer rename 区镇 towns -q
expect_eq "renaming back" "$TT" "$(q "SELECT table_name FROM pk_layers WHERE name='towns'")"
check "the store passes check after renames" pk check

finish
