#!/usr/bin/env bash
# The whole of china-counties.geojson.gz (3,253 county polygons, about 2,000
# invalid as they come, one empty) loads: every feature stored, every invalid
# one repaired and reported, the empty one reported by name, 昆山市 about
# 933 km² in EPSG:4549. The only full load of this file in the suite.
source "$(dirname "$0")/lib.sh"

SRC=$SHARED_DIR/data/china-counties.geojson.gz
if [ ! -r "$SRC" ]; then not_ok "shared data $SRC is missing"; finish; exit; fi

csv_value() { awk -F, -v k="$2" '$1 == k {print $2}' "$1"; }

pk init --measure-crs EPSG:4549 -q
# the .gz path as it is: plankit reads it through /vsigzip/
pk layer load "$SRC" >"$WORK/out" 2>"$WORK/err"
expect_eq "loading china-counties.geojson.gz exits 0" 0 $?
expect_eq "load prints nothing on stdout" "" "$(cat "$WORK/out")"
expect_grep "load reports the counts" "layer 'china-counties': 3253 features loaded from '.*china-counties.geojson.gz', [0-9]* repaired, 1 without geometry" "$WORK/err"
if grep -q '^plankit: error' "$WORK/err"; then not_ok "no error printed"; sed 's/^/    /' "$WORK/err" | grep error | head -3; else ok "no error printed"; fi

# the layer takes its name from the file
pk layer info china-counties --format csv >"$WORK/info.csv"
expect_eq "all 3,253 input features stored" 3253 "$(csv_value "$WORK/info.csv" features)"
T=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='china-counties'")
expect_eq "the layer table has 3,253 rows" 3253 "$(spatialite_sql "SELECT count(*) FROM $T")"
expect_eq "3,252 rows have a geometry" 3252 "$(spatialite_sql "SELECT count(*) FROM $T WHERE geom IS NOT NULL")"
expect_eq "feature ids are 1..3253" "1 3253 3253" "$(spatialite_sql "SELECT min(fid) || ' ' || max(fid) || ' ' || count(DISTINCT fid) FROM $T")"
expect_eq "the attributes are kept" 3253 "$(spatialite_sql "SELECT count(*) FROM $T WHERE name <> '' AND city_key <> ''")"
expect_eq "stored in EPSG:4326" 4326 "$(spatialite_sql "SELECT DISTINCT ST_SRID(geom) FROM $T WHERE geom IS NOT NULL")"

# every invalid geometry was repaired, and each repair is reported
repaired=$(csv_value "$WORK/info.csv" repaired_features)
pk layer issues china-counties --format csv >"$WORK/issues.csv"
issues_repaired=$(grep -c ',repaired,' "$WORK/issues.csv")
expect_eq "layer issues lists as many repairs as layer info counts" "$repaired" "$issues_repaired"
expect_near "about 2,028 features repaired" 2028 "$issues_repaired" 0.05
expect_eq "every stored geometry is valid (SpatiaLite ST_IsValid)" 0 \
    "$(spatialite_sql "SELECT count(*) FROM $T WHERE geom IS NOT NULL AND ST_IsValid(geom) <> 1")"
expect_eq "every repaired feature is in the table" "$repaired" \
    "$(spatialite_sql "SELECT count(*) FROM pk_load_issues i JOIN $T t ON t.fid = i.fid
        WHERE i.issue = 'repaired' AND t.geom IS NOT NULL")"
expect_eq "each repair says why" 0 "$(spatialite_sql "SELECT count(*) FROM pk_load_issues WHERE issue='repaired' AND coalesce(detail, '') = ''")"
expect_eq "the issues name their features" 0 "$(spatialite_sql "SELECT count(*) FROM pk_load_issues WHERE coalesce(feature_name, '') = ''")"
expect_eq "polygons stay polygons" "MULTIPOLYGON" \
    "$(spatialite_sql "SELECT group_concat(DISTINCT GeometryType(geom)) FROM $T WHERE geom IS NOT NULL")"

# the empty one, by name
expect_eq "one empty feature" 1 "$(csv_value "$WORK/info.csv" empty_features)"
expect_eq "layer issues shows 蓟州区 as empty" 1 "$(grep -c ',蓟州区,empty,' "$WORK/issues.csv")"
expect_eq "蓟州区 is stored without geometry" 1 \
    "$(spatialite_sql "SELECT count(*) FROM $T WHERE name = '蓟州区' AND geom IS NULL")"
expect_eq "nothing else is reported" 0 "$(grep -v -c -e ',repaired,' -e ',empty,' -e '^fid,' "$WORK/issues.csv")"

# 昆山市 in EPSG:4549, computed by SpatiaLite
ks=$(spatialite_sql "SELECT ST_Area(ST_Transform(geom, 4549)) / 1e6 FROM $T WHERE name = '昆山市'")
expect_near "昆山市 is about 933 km² in EPSG:4549 (SpatiaLite)" 933 "$ks" 0.01
# ... and by plankit, through a filtered load of the same file
pk layer load "$SRC" --where "name = '昆山市'" --name kunshan -q
pk layer info kunshan --format csv >"$WORK/ks.csv"
expect_eq "the filtered load has one feature" 1 "$(csv_value "$WORK/ks.csv" features)"
expect_near "昆山市 is about 933 km² in EPSG:4549 (layer info)" 933 "$(csv_value "$WORK/ks.csv" area_km2)" 0.01
expect_near "layer info and SpatiaLite agree" "$ks" "$(csv_value "$WORK/ks.csv" area_km2)" 0.0001

pk check >"$WORK/out" 2>"$WORK/err"
expect_eq "plankit check passes" 0 $?
expect_eq "plankit check reports nothing" "" "$(cat "$WORK/out")"

finish
