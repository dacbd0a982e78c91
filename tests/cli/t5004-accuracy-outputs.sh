#!/usr/bin/env bash
# Accuracy in every output: `layer list` gives each layer's accuracy class
# (schematic ±km, web-map ~100 m, surveyed, unstated); coverage, query and
# overlay name the schematic layers they use once on stderr (not with -q, not
# when every input is web-map data); overlay and buffer outputs inherit the
# provenance and accuracy of their inputs, and their pieces carry the
# `accuracy` of their source features into GeoJSON/GPKG files.
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q
expect_eq "init --with kunshan.json" 0 $?

# --- layer list: the class of every bundled layer
pk layer list --format csv >"$WORK/list.csv"
classes=$(python3 -c 'import csv, sys
print(" ".join(r["name"] + "=" + r["accuracy"] for r in csv.DictReader(open(sys.argv[1]))))' "$WORK/list.csv")
expect_eq "layer list: the city and region are web-map, every drawn layer schematic" \
    "city=web-map ~100 m region=web-map ~100 m towns=schematic ±km key_areas=schematic ±km sci_zones=schematic ±km demo_zone=schematic ±km metro_line11=schematic ±km metro_stations=schematic ±km places=schematic ±km plan_areas=schematic ±km water=schematic ±km rivers=schematic ±km" \
    "$classes"
pk layer list >"$WORK/list.txt"
expect_grep "the table shows the class too" "schematic ±km" "$WORK/list.txt"
# a layer loaded without an accuracy, and the classes of other texts
pk layer load "$LAYERS/kunshan-city.geojson" --name plain -q
expect_eq "a layer loaded without an accuracy text: unstated" "unstated" \
    "$(pk layer list --format csv | awk -F, '$1 == "plain" {print $NF}')"
lid=$(spatialite_sql "SELECT id FROM pk_layers WHERE name='plain'")
for case in "surveyed 2025, ±1 m|surveyed" "official boundary, ±1 m|unclassified" \
    "web-map data, ~100 m|web-map ~100 m" "placeholder points|schematic ±km" "outline ±2 km|schematic ±km"; do
    IFS='|' read -r text want <<<"$case"
    sqlite3 "$PLANKIT_STORE" "UPDATE pk_layers SET accuracy='$text' WHERE id=$lid"
    expect_eq "accuracy '$text' is $want" "$want" "$(pk layer list --format csv | awk -F, '$1 == "plain" {print $NF}')"
done
pk layer drop plain -q

# --- the note: once, on stderr, naming the schematic layers
note_count() { grep -c '^plankit: note: this result uses schematic layers' "$1"; }
pk coverage --by towns --format csv >"$WORK/out" 2>"$WORK/err"
expect_eq "coverage --by towns: one note" 1 "$(note_count "$WORK/err")"
expect_grep "... naming towns and the linked key areas" "schematic layers .*towns.*key_areas" "$WORK/err"
expect_eq "... and stdout is the CSV alone" "fid,name,tasks,task_ids,area_km2,covered_km2,share" "$(head -1 "$WORK/out")"
pk coverage --by towns -q --format csv >/dev/null 2>"$WORK/err"
expect_eq "-q: no note" 0 "$(note_count "$WORK/err")"
pk query tasks --in key_areas:QYG-CBD --format csv >/dev/null 2>"$WORK/err"
expect_eq "query tasks: one note" 1 "$(note_count "$WORK/err")"
pk query zones --task PZ-01 --format csv >/dev/null 2>"$WORK/err"
expect_eq "query zones: one note" 1 "$(note_count "$WORK/err")"
pk overlay intersection key_areas towns --summary >/dev/null 2>"$WORK/err"
expect_eq "overlay of two schematic layers: one note" 1 "$(note_count "$WORK/err")"
expect_grep "... naming both" "schematic layers .*: towns, key_areas$" "$WORK/err"
pk overlay intersection city region --summary >/dev/null 2>"$WORK/err"
expect_eq "overlay of web-map layers only: no note" 0 "$(note_count "$WORK/err")"

# --- derived layers inherit provenance and accuracy
pk overlay intersection key_areas towns -o key_areas_by_town -q
expect_eq "key_areas_by_town is schematic" "schematic ±km" \
    "$(pk layer list --format csv | awk -F, '$1 == "key_areas_by_town" {print $NF}')"
expect_eq "its accuracy quotes both inputs'" 1 \
    "$(spatialite_sql "SELECT accuracy = 'inherited from key_areas: ' || (SELECT accuracy FROM pk_layers WHERE name='key_areas')
        || '; from towns: ' || (SELECT accuracy FROM pk_layers WHERE name='towns') FROM pk_layers WHERE name='key_areas_by_town'")"
expect_grep "its provenance names the operation and both inputs" "overlay intersection of key_areas (.*) and towns (" \
    <(pk layer info key_areas_by_town | grep '^provenance')
pk overlay intersection city region -o city_by_county -q
expect_eq "an overlay of web-map layers stays web-map" "web-map ~100 m" \
    "$(pk layer list --format csv | awk -F, '$1 == "city_by_county" {print $NF}')"
pk buffer metro_stations 500 -o stations_500m -q
expect_eq "a buffer inherits its input's accuracy" 1 \
    "$(spatialite_sql "SELECT accuracy = 'inherited from metro_stations: ' || (SELECT accuracy FROM pk_layers WHERE name='metro_stations')
        FROM pk_layers WHERE name='stations_500m'")"

# --- the pieces carry their source features' accuracy into files
pk layer export key_areas_by_town "$WORK/k.gpkg" -q
expect_eq "GPKG pieces carry a_accuracy = the key area's, b_accuracy = the town's" "ok" \
    "$(ogrinfo -q -al "$WORK/k.gpkg" | python3 -c '
import sys, re
t = sys.stdin.read()
a = re.findall(r"a_accuracy \(String\) = (.*)", t); b = re.findall(r"b_accuracy \(String\) = (.*)", t)
print("ok" if a and len(a) == len(b) and all("4+2+N" in x for x in a) and all("Voronoi" in x for x in b) else (a, b))')"
pk overlay intersection key_areas towns -o "$WORK/k.geojson" -q
expect_eq "overlay to a GeoJSON file: every piece has both parents' accuracy" "ok" \
    "$(python3 -c 'import json, sys
f = json.load(open(sys.argv[1]))["features"]
print("ok" if f and all(x["properties"]["a_accuracy"] and x["properties"]["b_accuracy"] for x in f) else f[:1])' "$WORK/k.geojson")"
finish
