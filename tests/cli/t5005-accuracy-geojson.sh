#!/usr/bin/env bash
# The GeoJSON of coverage and query zones carries each source feature's
# `accuracy`, as the store has it, so a map made from it can say how exact
# each shape is (the bundled towns are schematic Voronoi cells).
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q
towns=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='towns'")
ka=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='key_areas'")

pk coverage --by towns --format geojson -q >"$WORK/cov.geojson"
spatialite_sql "SELECT name || '|' || accuracy FROM $towns ORDER BY fid" >"$WORK/towns.txt"
expect_eq "coverage GeoJSON: each town's accuracy, as stored" "$(cat "$WORK/towns.txt")" \
    "$(python3 -c 'import json, sys
for f in json.load(open(sys.argv[1]))["features"]:
    if f["geometry"]: print(f["properties"]["name"] + "|" + f["properties"]["accuracy"])' "$WORK/cov.geojson")"
expect_eq "... and there is no totals row (features only; totals on stderr)" "12 0" \
    "$(python3 -c 'import json, sys
fs = json.load(open(sys.argv[1]))["features"]
print(len(fs), sum(1 for f in fs if not f["geometry"]))' "$WORK/cov.geojson")"
expect_eq "coverage CSV keeps its columns" "fid,name,tasks,task_ids,area_km2,covered_km2,share" \
    "$(pk coverage --by towns --format csv -q | head -1)"

pk query zones --task PZ-01 --format geojson -q >"$WORK/zones.geojson"
expect_eq "query zones GeoJSON: the key area's accuracy, as stored" \
    "$(spatialite_sql "SELECT accuracy FROM $ka WHERE code = 'QYG-CBD'")" \
    "$(python3 -c 'import json, sys
print([f["properties"]["accuracy"] for f in json.load(open(sys.argv[1]))["features"]
       if f["properties"]["layer"] == "key_areas"][0])' "$WORK/zones.geojson")"
expect_eq "... every zone feature has one" "0" \
    "$(python3 -c 'import json, sys
print(sum(1 for f in json.load(open(sys.argv[1]))["features"] if not f["properties"].get("accuracy")))' "$WORK/zones.geojson")"
finish
