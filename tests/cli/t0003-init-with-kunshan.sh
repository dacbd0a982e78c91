#!/usr/bin/env bash
# plankit init --with layers/kunshan.json: every bundled layer is loaded with
# its kind and count, and the geometry holds together, checked independently
# with SpatiaLite SQL in EPSG:4549: the towns (区镇) tile the city, key areas,
# sci zones, stations and places lie inside it.
source "$(dirname "$0")/lib.sh"

table() { spatialite_sql "SELECT table_name FROM pk_layers WHERE name='$1'"; }
# CSV (RFC 4180, one record a line) to tab-separated values
csv2tsv() {
    awk '{ out = ""; f = ""; q = 0
           for (i = 1; i <= length($0); i++) { c = substr($0, i, 1)
               if (q) { if (c == "\"") { if (substr($0, i + 1, 1) == "\"") { f = f "\""; i++ } else q = 0 } else f = f c }
               else if (c == "\"") q = 1
               else if (c == ",") { out = out f "\t"; f = "" }
               else f = f c }
           print out f }'
}

pk init --with "$LAYERS/kunshan.json" >"$WORK/out" 2>"$WORK/err"
expect_eq "init --with kunshan.json exits 0" 0 $?
expect_eq "init --with prints nothing on stdout" "" "$(cat "$WORK/out")"
expect_grep "init --with reports the layers" "with 12 layers from" "$WORK/err"
expect_eq "storage CRS from the manifest" 4326 "$(spatialite_sql "SELECT value FROM pk_meta WHERE key='crs'")"
expect_eq "metric CRS from the manifest" 4549 "$(spatialite_sql "SELECT value FROM pk_meta WHERE key='measure_crs'")"

# every layer, with its kind, geometry type and count (layers/README.md)
pk layer list --format csv | csv2tsv >"$WORK/list.tsv"
for row in "city,district,MULTIPOLYGON,1" "region,district,MULTIPOLYGON,26" "towns,district,MULTIPOLYGON,12" \
    "key_areas,zone,MULTIPOLYGON,4" "sci_zones,zone,MULTIPOLYGON,2" "demo_zone,zone,MULTIPOLYGON,3" \
    "metro_line11,line,LINESTRING,1" "metro_stations,point,POINT,26" "places,point,POINT,15" \
    "plan_areas,zone,MULTIPOLYGON,8" "water,zone,MULTIPOLYGON,2" "rivers,line,LINESTRING,2"; do
    IFS=, read -r name kind geom count <<<"$row"
    got=$(awk -F'\t' -v n="$name" '$1 == n {print $2 "," $3 "," $5}' "$WORK/list.tsv")
    expect_eq "layer $name" "$kind,$geom,$count" "$got"
    t=$(table "$name")
    expect_eq "layer $name: table rows = registry count" "$count" "$(spatialite_sql "SELECT count(*) FROM $t")"
done
expect_eq "exactly 12 layers" 13 "$(grep -c '' "$WORK/list.tsv")"
expect_eq "titles in the list" "昆山市 区镇 (zones and towns), schematic" \
    "$(awk -F'\t' '$1 == "towns" {print $4}' "$WORK/list.tsv")"
expect_eq "titles from the manifest" "昆山市 区镇 (zones and towns), schematic" \
    "$(spatialite_sql "SELECT title FROM pk_layers WHERE name='towns'")"
expect_eq "provenance kept" 12 "$(spatialite_sql "SELECT count(*) FROM pk_layers WHERE provenance <> '' AND accuracy <> ''")"
expect_eq "no load issues in the bundled layers" 0 "$(spatialite_sql "SELECT count(*) FROM pk_load_issues")"

city=$(table city) towns=$(table towns) key=$(table key_areas) sci=$(table sci_zones)
demo=$(table demo_zone) stations=$(table metro_stations) places=$(table places) line=$(table metro_line11)

# areas in EPSG:4549 (SpatiaLite, not plankit's code)
city_km2=$(spatialite_sql "SELECT ST_Area(ST_Transform(geom, 4549)) / 1e6 FROM $city")
expect_near "city area in EPSG:4549 (layers/README.md: 933.143 km²)" 933.143 "$city_km2" 0.001
union_km2=$(spatialite_sql "SELECT ST_Area(ST_Transform(ST_Union(geom), 4549)) / 1e6 FROM $towns")
expect_near "the union of the towns covers the city" "$city_km2" "$union_km2" 0.001
sum_km2=$(spatialite_sql "SELECT sum(ST_Area(ST_Transform(geom, 4549))) / 1e6 FROM $towns")
expect_near "the towns' areas add up to the city's" "$city_km2" "$sum_km2" 0.001
outside_km2=$(spatialite_sql "SELECT ST_Area(ST_Transform(ST_Difference(c.geom, u.g), 4549)) / 1e6
    FROM $city c, (SELECT ST_Union(geom) AS g FROM $towns) u")
if awk -v a="${outside_km2:-0}" 'BEGIN { exit !(a < 0.01) }'; then ok "no part of the city outside the towns ($outside_km2 km²)"
else not_ok "no part of the city outside the towns: $outside_km2 km²"; fi
max_overlap=$(spatialite_sql "SELECT coalesce(max(ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 4549))), 0)
    FROM $towns a, $towns b WHERE a.fid < b.fid AND ST_Intersects(a.geom, b.geom)")
if awk -v a="$max_overlap" 'BEGIN { exit !(a < 10000) }'; then ok "no two towns overlap by 0.01 km² ($max_overlap m²)"
else not_ok "no two towns overlap by 0.01 km²: $max_overlap m²"; fi
neighbours=$(spatialite_sql "SELECT count(*) FROM $towns a, $towns b WHERE a.fid < b.fid AND ST_Intersects(a.geom, b.geom)")
if [ "$neighbours" -ge 11 ]; then ok "the towns touch their neighbours ($neighbours pairs)"; else not_ok "the towns touch: $neighbours pairs"; fi
expect_eq "the towns have the twelve codes" "BC,DSH,HQ,JX,KSGXQ,KSKFQ,LJ,LYDJQ,QD,ZP,ZS,ZZ" \
    "$(spatialite_sql "SELECT group_concat(code, ',') FROM (SELECT code FROM $towns ORDER BY code)")"

# inside the city (in metres, with a 1 m tolerance for the 6-decimal rounding)
inside() { # inside LAYER_TABLE: features not covered by the city buffered by 1 m
    spatialite_sql "SELECT count(*) FROM $1 z, $city c
        WHERE NOT ST_Covers(ST_Buffer(ST_Transform(c.geom, 4549), 1.0), ST_Transform(z.geom, 4549))"
}
expect_eq "every key area lies inside the city" 0 "$(inside "$key")"
expect_eq "every sci zone lies inside the city" 0 "$(inside "$sci")"
expect_eq "every demo-zone town lies inside the city" 0 "$(inside "$demo")"
expect_eq "every metro station lies inside the city" 0 "$(inside "$stations")"
expect_eq "every place lies inside the city" 0 "$(inside "$places")"
expect_eq "stations lie within 300 m of the line" 0 \
    "$(spatialite_sql "SELECT count(*) FROM $stations s, $line l
        WHERE ST_Distance(ST_Transform(s.geom, 4549), ST_Transform(l.geom, 4549)) > 300")"
# the line leaves the city (it starts in Suzhou Industrial Park)
expect_eq "Line 11 runs outside the city too" 0 \
    "$(spatialite_sql "SELECT ST_Within(l.geom, c.geom) FROM $line l, $city c")"
# the demo zone is three towns: same area as JX + ZZ + DSH
demo_km2=$(spatialite_sql "SELECT sum(ST_Area(ST_Transform(geom, 4549))) / 1e6 FROM $demo")
jzd_km2=$(spatialite_sql "SELECT sum(ST_Area(ST_Transform(geom, 4549))) / 1e6 FROM $towns WHERE code IN ('JX','ZZ','DSH')")
expect_near "the demo zone is 锦溪, 周庄 and 淀山湖" "$jzd_km2" "$demo_km2" 0.0001

# plankit's own area agrees with SpatiaLite's
info_km2=$(pk layer info city --format csv | awk -F, '$1 == "area_km2" {print $2}')
expect_near "layer info area_km2 = SpatiaLite's" "$city_km2" "$info_km2" 0.0001
expect_eq "layer info names the metric CRS" "EPSG:4549" "$(pk layer info city --format csv | awk -F, '$1 == "measure_crs" {print $2}')"
info_len=$(pk layer info metro_line11 --format csv | awk -F, '$1 == "length_km" {print $2}')
sql_len=$(spatialite_sql "SELECT ST_Length(ST_Transform(geom, 4549)) / 1000 FROM $line")
expect_near "layer info length_km = SpatiaLite's" "$sql_len" "$info_len" 0.0001

pk check >"$WORK/out" 2>"$WORK/err"
expect_eq "plankit check exits 0" 0 $?
expect_eq "check prints no problems" "" "$(cat "$WORK/out")"
expect_grep "check says ok" "store '.*' ok" "$WORK/err"

# a second init --with over it is refused, store unchanged
expect_fail_unchanged "init --with over an existing store" "already exists" pk init --with "$LAYERS/kunshan.json"

# a manifest with a bad layer: nothing is created
mkdir -p "$WORK/m"
cp "$LAYERS"/kunshan-city.geojson "$WORK/m/"
printf '{"type":"FeatureCollection","features":[ {"type":' >"$WORK/m/broken.geojson"
printf '{"crs":"EPSG:4326","layers":[{"file":"kunshan-city.geojson","name":"city","kind":"district"},{"file":"broken.geojson","name":"broken","kind":"zone"}]}' >"$WORK/m/m.json"
s=$WORK/partial.sqlite
PLANKIT_STORE=$s expect_fail_unchanged "init --with a manifest with a broken layer" "broken.geojson" \
    pk -s "$s" init --with "$WORK/m/m.json"
if ls "$s"* >/dev/null 2>&1; then not_ok "a failed init --with left a store"; else ok "a failed init --with left no store"; fi
printf '{"layers":[{"file":"kunshan-city.geojson","name":"city","kind":"county"}]}' >"$WORK/m/kind.json"
PLANKIT_STORE=$s expect_fail_unchanged "init --with a manifest with a bad kind" "county" \
    pk -s "$s" init --with "$WORK/m/kind.json"
if ls "$s"* >/dev/null 2>&1; then not_ok "a bad kind left a store"; else ok "a bad kind left no store"; fi
printf '{"layers": [' >"$WORK/m/syntax.json"
PLANKIT_STORE=$s expect_fail_unchanged "init --with a manifest with a JSON syntax error" "syntax.json" \
    pk -s "$s" init --with "$WORK/m/syntax.json"
if ls "$s"* >/dev/null 2>&1; then not_ok "a bad manifest left a store"; else ok "a bad manifest left no store"; fi
expect_eq "the JSON syntax error is one line on stderr" 1 "$(grep -c '' "$WORK/.err")"

finish
