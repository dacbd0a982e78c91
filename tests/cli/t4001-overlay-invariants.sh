#!/usr/bin/env bash
# plankit overlay on the bundled Kunshan layers: every operation's pieces are
# valid and partition their inputs exactly (area sums in the metric CRS),
# agree with an independent SpatiaLite computation, and carry their parents'
# attributes; the summary matrix matches the intersection. Areas on the
# SpatiaLite side are measured along the curves that lon/lat edges become in
# EPSG:4549, by densifying every edge to 0.0005° before transforming.
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q || { not_ok "init --with kunshan.json"; finish; exit 1; }
table_of() { sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='$1'"; }
q() { spatialite_sql "$1"; }
sum_area() { q "SELECT sum(area_m2) FROM $(table_of "$1")"; }
m2() { echo "ST_Area(ST_Transform(ST_Segmentize($1, 0.0005), 4549))"; }
layer_area() { # area in the metric CRS, computed by SpatiaLite
    q "SELECT sum($(m2 geom)) FROM $(table_of "$1")"; }

for op in intersection union difference symdifference identity clip erase; do
    check "overlay $op towns sci_zones" pk overlay "$op" towns sci_zones -o "t_$op" -q
    t=$(table_of "t_$op")
    expect_eq "$op: every piece is valid" "$(q "SELECT count(*) FROM $t")" "$(q "SELECT sum(ST_IsValid(geom)) FROM $t")"
    expect_eq "$op: no empty piece" 0 "$(q "SELECT count(*) FROM $t WHERE geom IS NULL OR area_m2 <= 0")"
done
towns=$(layer_area towns)
zones=$(layer_area sci_zones)
inter=$(sum_area t_intersection)
expect_near "identity partitions the towns" "$towns" "$(sum_area t_identity)" 1e-6
expect_near "erase + clip = the towns" "$towns" "$(awk -v a="$(sum_area t_erase)" -v b="$(sum_area t_clip)" 'BEGIN{printf "%.6f", a+b}')" 1e-6
expect_near "difference is erase" "$(sum_area t_erase)" "$(sum_area t_difference)" 1e-9
expect_near "union = towns + zones - intersection" \
    "$(awk -v a="$towns" -v b="$zones" -v c="$inter" 'BEGIN{printf "%.6f", a+b-c}')" "$(sum_area t_union)" 1e-6
expect_near "symdifference = union - intersection" \
    "$(awk -v a="$(sum_area t_union)" -v c="$inter" 'BEGIN{printf "%.6f", a-c}')" "$(sum_area t_symdifference)" 1e-6
expect_near "clip = intersection (the zones do not overlap)" "$inter" "$(sum_area t_clip)" 1e-9

# independent computation in SpatiaLite SQL: per town, area(town ∩ union(zones)),
# overlaid in the store CRS as plankit does
tt=$(table_of towns); tz=$(table_of sci_zones); ti=$(table_of t_intersection)
q "SELECT t.fid, $(m2 "ST_Intersection(t.geom, (SELECT ST_Union(geom) FROM $tz))")
   FROM $tt t WHERE ST_Intersects(t.geom, (SELECT ST_Union(geom) FROM $tz)) ORDER BY t.fid" | tr '|' ' ' >"$WORK/sql"
q "SELECT a_fid, sum(area_m2) FROM $ti GROUP BY a_fid ORDER BY a_fid" | tr '|' ' ' >"$WORK/ours"
worst=$(join "$WORK/sql" "$WORK/ours" | awk '$2 > 1 { d = ($3 - $2) / $2; if (d < 0) d = -d; if (d > w) w = d } END { printf "%.3g", w + 0 }')
if awk -v w="$worst" 'BEGIN { exit !(w < 1e-6) }'; then ok "pieces per town match SpatiaLite within 1e-6 (worst $worst)"
else not_ok "pieces per town differ from SpatiaLite: worst relative $worst"; paste "$WORK/sql" "$WORK/ours"; fi
expect_eq "towns touched: same set as SpatiaLite" "$(awk '$2 > 1 {print $1}' "$WORK/sql" | tr '\n' ' ')" \
    "$(awk '{print $1}' "$WORK/ours" | tr '\n' ' ')"

# attributes: parents' fields, prefixed on clashes
cols=$(q "SELECT group_concat(name, ' ') FROM pk_fields WHERE layer_id=(SELECT id FROM pk_layers WHERE name='t_intersection')")
expect_eq "intersection carries both attribute sets" "a_fid b_fid a_name a_name_en a_code a_category a_accuracy b_name b_name_en b_code b_category b_accuracy area_m2" "$cols"
cols=$(q "SELECT group_concat(name, ' ') FROM pk_fields WHERE layer_id=(SELECT id FROM pk_layers WHERE name='t_erase')")
expect_eq "erase carries A's attributes only" "a_fid name name_en code category accuracy area_m2" "$cols"
expect_eq "a piece names its town and zone" "周庄镇|环淀山湖科创湖区" \
    "$(q "SELECT a_name, b_name FROM $ti WHERE a_code='ZZ' AND b_code='DSH-STZ'")"
pk overlay intersection towns sci_zones -o t_fields --fields a.code,b.code -q
expect_eq "--fields keeps the named attributes" "a_fid b_fid a_code b_code area_m2" \
    "$(q "SELECT group_concat(name, ' ') FROM pk_fields WHERE layer_id=(SELECT id FROM pk_layers WHERE name='t_fields')")"
pk overlay intersection towns sci_zones -o t_where --where-a "code IN ('ZZ','JX')" -q
expect_eq "--where-a selects A's features" "JX ZZ" "$(q "SELECT group_concat(DISTINCT a_code) FROM (SELECT a_code FROM $(table_of t_where) ORDER BY a_code)" | tr ',' ' ')"

# the summary matrix agrees with the intersection layer
pk overlay intersection key_areas towns --summary --long --format csv >"$WORK/summary.csv"
expect_grep "summary: CBD in the development zone" "^1,青阳港中央商务区,1,昆山开发区," "$WORK/summary.csv"
expect_eq "summary columns: areas in m², shares as fractions" "a_fid,a_name,b_fid,b_name,area_m2,a_share" \
    "$(head -n 1 "$WORK/summary.csv")"
share=$(awk -F, '$1==2 && $3==2 {print $6}' "$WORK/summary.csv")
expect_near "summary: the Yushan historic area lies wholly in one town (share 1)" 1 "$share" 1e-12
sum_summary=$(awk -F, 'NR>1 {s += $5} END {printf "%.6f", s}' "$WORK/summary.csv")
pk overlay intersection key_areas towns -o t_kt -q
expect_near "summary total = intersection total" "$(sum_area t_kt)" "$sum_summary" 1e-6
pk overlay intersection key_areas towns --summary >"$WORK/matrix"
expect_grep "the matrix shows km² and % of A" "6.93[0-9] (79.[56]%)" "$WORK/matrix"
pk overlay intersection key_areas towns --summary --format json >"$WORK/matrix.json"
expect_eq "the JSON matrix holds numbers: A's area in m², the overlap in m², the share outside as a fraction" \
    "number number number" "$(python3 -c 'import json, sys
r = [x for x in json.load(open(sys.argv[1])) if x["a"] == "青阳港中央商务区"][0]
print(" ".join("number" if isinstance(r[k], (int, float)) and not isinstance(r[k], bool) and r[k] >= 0 else repr(r[k]) for k in ("area_m2", "昆山开发区", "outside_share")))
assert abs(r["昆山开发区"] / r["area_m2"] - 0.795) < 0.001, r' "$WORK/matrix.json")"
check "the store passes check after overlays" pk check
finish
