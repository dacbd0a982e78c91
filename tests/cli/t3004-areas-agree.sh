#!/usr/bin/env bash
# Every command measures the same area: on 0.5° cells and a zone with long
# edges in an EPSG:4326 store (where a straight lon/lat edge is a curve in the
# metric CRS), `coverage`, `query tasks --in` (share), `query zones`,
# `overlay --summary` and `layer info` (and the area_m2 that buffer and
# dissolve record) agree to 1e-9 relative, with an
# equal-area metric CRS (EPSG:6933) and a Gauss-Kruger zone (EPSG:4549), and
# the pieces of each cell add up to the cell. The areas are also checked
# against SpatiaLite SQL on geometry densified to 0.0005° (an independent
# measure along the curves).
source "$(dirname "$0")/lib.sh"

cat >cells.geojson <<'JSON'
{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"SW"},"geometry":{"type":"Polygon","coordinates":[[[119.5,30.5],[120.0,30.5],[120.0,31.0],[119.5,31.0],[119.5,30.5]]]}},
{"type":"Feature","properties":{"name":"SE"},"geometry":{"type":"Polygon","coordinates":[[[120.0,30.5],[120.5,30.5],[120.5,31.0],[120.0,31.0],[120.0,30.5]]]}},
{"type":"Feature","properties":{"name":"NW"},"geometry":{"type":"Polygon","coordinates":[[[119.5,31.0],[120.0,31.0],[120.0,31.5],[119.5,31.5],[119.5,31.0]]]}},
{"type":"Feature","properties":{"name":"NE"},"geometry":{"type":"Polygon","coordinates":[[[120.0,31.0],[120.5,31.0],[120.5,31.5],[120.0,31.5],[120.0,31.0]]]}}]}
JSON
cat >zones.geojson <<'JSON'
{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"Z"},"geometry":{"type":"Polygon","coordinates":[[[119.62,30.58],[120.41,30.77],[120.33,31.42],[119.71,31.19],[119.62,30.58]]]}}]}
JSON

# rel_eq DESCRIPTION A B: A and B (lists "key|value" per line) agree to 1e-9 relative
rel_eq() {
    local res
    res=$(python3 - "$2" "$3" <<'PY'
import sys
a = dict(l.split("|") for l in sys.argv[1].split())
b = dict(l.split("|") for l in sys.argv[2].split())
bad = [k for k in a if k not in b or abs(float(a[k]) - float(b[k])) > 1e-9 * max(abs(float(a[k])), 1e-9)]
print("ok" if a and set(a) == set(b) and not bad else "differ: %s vs %s" % (a, b))
PY
)
    expect_eq "$1" ok "$res"
}

for metric in 6933 4549; do
    export PLANKIT_STORE=$WORK/plan-$metric.sqlite
    pk init --crs EPSG:4326 --measure-crs "EPSG:$metric" -q
    pk layer load cells.geojson --name cells --kind district -q
    pk layer load zones.geojson --name zones --kind zone -q
    pk task add Z1 --title "zone task" -q
    pk task attach Z1 --to zones:Z -q

    # the overlap of each cell with the zone, in km², five ways
    cov=$(pk coverage --by cells --format csv | python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["fid"]: print(r["name"] + "|" + r["covered_km2"])')
    cells=$(pk coverage --by cells --format csv | python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["fid"]: print(r["name"] + "|" + r["area_km2"])')
    share=$(for c in SW SE NW NE; do
        pk query tasks --in "cells:$c" --format csv | python3 -c 'import csv, sys
cell, areas = sys.argv[1], dict(l.split("|") for l in sys.argv[2].split())
for r in csv.DictReader(sys.stdin):
    if r["id"] == "Z1": print(cell + "|%.17g" % (float(r["share"]) * float(areas[cell])))' "$c" "$cells"; done)
    zones=$(pk query zones --task Z1 --format csv | python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["layer"] == "cells": print(r["name"] + "|" + r["overlap_km2"])')
    ovl=$(pk overlay intersection cells zones --summary --long --format csv | python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin): print(r["a_name"] + "|%.17g" % (float(r["area_m2"]) / 1e6))')
    expect_eq "EPSG:$metric: the zone overlaps all four cells" 4 "$(echo "$cov" | grep -vc '|0$')"
    rel_eq "EPSG:$metric: query tasks --in (share × cell area) = coverage" "$cov" "$share"
    rel_eq "EPSG:$metric: query zones = coverage" "$cov" "$zones"
    rel_eq "EPSG:$metric: overlay --summary = coverage" "$cov" "$ovl"
    total=$(echo "$cells" | awk -F'|' '{s += $2} END {printf "%.12f", s}')
    info=$(pk layer info cells --format csv | awk -F, '$1 == "area_km2" {print $2}')
    rel_eq "EPSG:$metric: layer info = the sum of coverage's cell areas" "all|$total" "all|$info"
    # the pieces of each cell (inside and outside the zone) add up to the cell
    pk overlay erase cells zones -o outside -q
    rest=$(pk overlay intersection outside cells --summary --long --format csv | python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["a_name"] == r["b_name"]: print(r["a_name"] + "|%.17g" % (float(r["area_m2"]) / 1e6))')
    sum=$(python3 -c 'import sys
a = dict(l.split("|") for l in sys.argv[1].split()); b = dict(l.split("|") for l in sys.argv[2].split())
for k in a: print(k + "|%.17g" % (float(a[k]) + float(b.get(k, 0))))' "$cov" "$rest")
    rel_eq "EPSG:$metric: inside + outside = the cell" "$cells" "$sum"
    # buffer and dissolve record the area that layer info measures on their output
    pk buffer zones 1000 -o zone_1km -q
    pk dissolve cells -o all_cells -q
    for out in zone_1km all_cells; do
        t=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='$out'")
        rec=$(spatialite_sql "SELECT printf('%.12f', sum(area_m2) / 1e6) FROM $t")
        info=$(pk layer info "$out" --format csv | awk -F, '$1 == "area_km2" {print $2}')
        rel_eq "EPSG:$metric: $out's area_m2 = layer info" "a|$rec" "a|$info"
    done
    # independent: SpatiaLite, cut in the store CRS, densified, transformed
    sql=$(spatialite_sql "SELECT c.name || '|' || printf('%.12f', ST_Area(ST_Transform(ST_Segmentize(
            ST_Intersection(c.geom, z.geom), 0.0005), $metric)) / 1e6)
        FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='cells'") c,
             $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='zones'") z")
    python3 - "$sql" "$cov" <<'PY' && ok "EPSG:$metric: coverage = SpatiaLite along the curves (1e-7)" || not_ok "EPSG:$metric: SpatiaLite differs: $sql vs $cov"
import sys
a = dict(l.split("|") for l in sys.argv[1].split()); b = dict(l.split("|") for l in sys.argv[2].split())
sys.exit(0 if set(a) == set(b) and all(abs(float(a[k]) - float(b[k])) <= 1e-7 * float(a[k]) for k in a) else 1)
PY
done
finish
