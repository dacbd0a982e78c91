#!/usr/bin/env bash
# plankit buffer and dissolve: buffers in metres in the metric CRS, dissolved
# buffers, dissolve by a field, files and store layers as outputs.
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q || { not_ok "init"; finish; exit 1; }
table_of() { sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='$1'"; }

check "buffer stations by 800 m" pk buffer metro_stations 800m -o st800 -q
t=$(table_of st800)
n=$(spatialite_sql "SELECT count(*) FROM $(table_of metro_stations)")
expect_eq "one buffer per station" "$n" "$(spatialite_sql "SELECT count(*) FROM $t")"
# a 32-gon inscribed in an 800 m circle: 32/2 * sin(2π/32) * r² = 1,996,588 m²
expect_near "each buffer is an 800 m disc (area_m2)" 1996588 "$(spatialite_sql "SELECT min(area_m2) FROM $t")" 1e-3
expect_near "... measured independently by SpatiaLite" 1996588 "$(spatialite_sql "SELECT max(ST_Area(ST_Transform(geom, 4549))) FROM $t")" 2e-3
expect_eq "buffers keep the station attributes" "L11-01" "$(spatialite_sql "SELECT code FROM $t WHERE src_fid=1")"
expect_eq "buffers are valid" "$n" "$(spatialite_sql "SELECT sum(ST_IsValid(geom)) FROM $t")"
check "buffer --dissolve" pk buffer metro_stations 1.5km --dissolve -o st1500 -q
td=$(table_of st1500)
expect_eq "a dissolved buffer is one feature" 1 "$(spatialite_sql "SELECT count(*) FROM $td")"
sum=$(spatialite_sql "SELECT sum(ST_Area(ST_Transform(ST_Buffer(ST_Transform(geom, 4549), 1500), 4549))) FROM $(table_of metro_stations)")
one=$(spatialite_sql "SELECT area_m2 FROM $td")
if awk -v a="$one" -v s="$sum" 'BEGIN{exit !(a < s && a > 0.3 * s)}'; then ok "overlapping buffers merge (area $one < sum $sum)"; else not_ok "dissolved area $one vs sum $sum"; fi
check "negative buffer shrinks polygons" pk buffer key_areas -o shrunk -q -- -100
expect_eq "shrunk areas are smaller" 0 "$(spatialite_sql "SELECT count(*) FROM $(table_of shrunk) s JOIN $(table_of key_areas) k ON k.fid=s.src_fid WHERE s.area_m2 >= ST_Area(ST_Transform(k.geom, 4549))")"
check "buffer to a GeoJSON file" pk buffer places 300 -o "$WORK/places.geojson" -q
expect_eq "the file has every place" "$(spatialite_sql "SELECT count(*) FROM $(table_of places)")" \
    "$(python3 -c "import json,sys; print(len(json.load(open('$WORK/places.geojson'))['features']))")"
expect_fail_unchanged "buffer with a bad distance" "is not metres" pk buffer places 3miles -o x
expect_fail_unchanged "buffer of an unknown layer" "no layer 'nope'" pk buffer nope 100 -o x
expect_fail_unchanged "buffer into an existing layer" "already exists" pk buffer places 100 -o st800

check "dissolve towns by category" pk dissolve towns --by category -o cats -q
tc=$(table_of cats)
expect_eq "two categories: development zones and towns" 2 "$(spatialite_sql "SELECT count(*) FROM $tc")"
expect_eq "feature counts per category" "development zone:4 town:8" \
    "$(spatialite_sql "SELECT group_concat(category || ':' || features, ' ') FROM (SELECT * FROM $tc ORDER BY category)")"
city=$(spatialite_sql "SELECT ST_Area(ST_Transform(geom, 4549)) FROM $(table_of city)")
expect_near "the categories add up to the city" "$city" "$(spatialite_sql "SELECT sum(area_m2) FROM $tc")" 1e-6
check "dissolve everything" pk dissolve towns -o all_towns -q
expect_near "all towns dissolve into the city" "$city" "$(spatialite_sql "SELECT area_m2 FROM $(table_of all_towns)")" 1e-6
expect_eq "... as one valid feature" "1|1" "$(spatialite_sql "SELECT count(*), sum(ST_IsValid(geom)) FROM $(table_of all_towns)")"
expect_fail_unchanged "dissolve by an unknown field" "has no field 'nope'" pk dissolve towns --by nope -o x
check "the store passes check" pk check
finish
