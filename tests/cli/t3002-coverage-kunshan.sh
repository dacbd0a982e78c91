#!/usr/bin/env bash
# plankit coverage and queries on the bundled Kunshan data, checked against an
# independent computation in SpatiaLite SQL (sqlite3 + mod_spatialite: cut in
# the store CRS as plankit does, areas of the pieces densified to 0.0005° and
# transformed to EPSG:4549, so that edges are measured along their curves): which tasks touch each town, the area they
# cover, city-wide tasks apart or counted (--include-citywide: every town
# 100 %), the --pillar/--status/--year filters, query zones/tasks, and the
# output formats (GeoJSON with geometries, CSV, CJK-aligned tables).
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q
expect_eq "91 tasks loaded by init --with" 91 "$(spatialite_sql "SELECT count(*) FROM pk_tasks")"

tbl() { spatialite_sql "SELECT table_name FROM pk_layers WHERE name='$1'"; }
lid() { spatialite_sql "SELECT id FROM pk_layers WHERE name='$1'"; }
towns=$(tbl towns) towns_id=$(lid towns)
# every layer's features as one table: layer_id, fid, geom
src=$(spatialite_sql "SELECT group_concat('SELECT ' || id || ' AS layer_id, fid, geom FROM ' || table_name, ' UNION ALL ') FROM pk_layers")
# polygons of the zone layers (key areas, sci zones, demo zone) linked by tasks matching COND
zone_ids=$(spatialite_sql "SELECT group_concat(id) FROM pk_layers WHERE kind='zone'")

# fid|task ids (sorted) of every town, for the tasks matching COND (SQL on t = pk_tasks)
sql_tasks() {
    spatialite_sql "WITH src AS ($src),
      hit AS (SELECT DISTINCT w.fid, k.task_id FROM $towns w, pk_task_links k
              JOIN pk_tasks t ON t.id = k.task_id AND ($1)
              JOIN src s ON s.layer_id = k.layer_id AND s.fid = k.fid
              WHERE (k.layer_id = $towns_id AND k.fid = w.fid)
                 OR (ST_Intersects(w.geom, s.geom) AND (GeometryType(s.geom) NOT LIKE '%POLYGON%'
                     OR ST_Area(ST_Transform(ST_Intersection(w.geom, s.geom), 4549)) >= 1)))
      SELECT w.fid || '|' || coalesce((SELECT group_concat(task_id) FROM (SELECT task_id FROM hit
             WHERE hit.fid = w.fid ORDER BY task_id)), '') FROM $towns w ORDER BY w.fid"
}
# fid|covered km² of every town: a town linked itself by a link that covers
# area (role covers, located-in a zone layer's feature, or a city-wide task's
# link: 'plankit coverage --help') is covered whole; otherwise its
# intersection with the union of the polygons such links point at, cut in the
# store CRS and measured along curved edges (so that the answer does not
# depend on how the pieces are grouped). A located-in link to a town says
# where a task is, and covers none of it.
area_sql() { echo "ST_Area(ST_Transform(ST_Segmentize($1, 0.0005), 4549))"; }
covering_link="(k.role = 'covers' OR (k.role = 'located-in' AND l.kind = 'zone') OR t.citywide = 1)"
sql_covered() {
    spatialite_sql "WITH src AS ($src),
      u AS (SELECT ST_Union(s.geom) AS g FROM src s WHERE EXISTS (
              SELECT 1 FROM pk_task_links k JOIN pk_tasks t ON t.id = k.task_id AND ($1)
              JOIN pk_layers l ON l.id = k.layer_id
              WHERE k.layer_id = s.layer_id AND k.fid = s.fid AND $covering_link))
      SELECT w.fid || '|' || printf('%.9f', CASE WHEN EXISTS (SELECT 1 FROM pk_task_links k
               JOIN pk_tasks t ON t.id = k.task_id AND ($1) JOIN pk_layers l ON l.id = k.layer_id
               WHERE k.layer_id = $towns_id AND k.fid = w.fid AND $covering_link)
             THEN $(area_sql w.geom)
             ELSE coalesce($(area_sql "ST_Intersection(w.geom, u.g)"), 0) END / 1e6)
      FROM $towns w, u ORDER BY w.fid"
}
# the same two from plankit's CSV (stdin)
pk_tasks() { python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["fid"]: print(r["fid"] + "|" + r["task_ids"])'; }
pk_covered() { python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["fid"]: print(r["fid"] + "|" + r["covered_km2"])'; }
# compare fid|value lines: equal within REL relative (zeros must be zero in both)
compare_near() { # DESCRIPTION EXPECTED ACTUAL REL
    local res
    res=$(python3 - "$2" "$3" "$4" <<'EOF'
import sys
exp = dict(l.split("|") for l in sys.argv[1].splitlines())
got = dict(l.split("|") for l in sys.argv[2].splitlines())
rel = float(sys.argv[3])
bad = []
if sorted(exp) != sorted(got):
    bad.append("features differ: %s vs %s" % (sorted(exp), sorted(got)))
for k in exp:
    e, g = float(exp[k]), float(got.get(k, "nan"))
    if (e == 0) != (g == 0) or (e != 0 and abs(g - e) / e > rel):
        bad.append("fid %s: expected %s, got %s" % (k, exp[k], got.get(k)))
print("; ".join(bad))
EOF
)
    if [ -z "$res" ]; then ok "$1"; else not_ok "$1: $res"; fi
}

# --- which tasks touch each town, and the area covered, against SQL
for case in "all|t.citywide = 0|" "pillar 品质之城|t.citywide = 0 AND t.classification = '品质之城'|--pillar 品质之城" \
    "pillar 开放之城|t.citywide = 0 AND t.classification = '开放之城'|--pillar 开放之城" \
    "status in_progress|t.citywide = 0 AND t.status = 'in_progress'|--status in_progress" \
    "status done|t.citywide = 0 AND t.status = 'done'|--status done" \
    "year 2027|t.citywide = 0 AND t.start_year <= 2027 AND t.end_year >= 2027|--year 2027"; do
    IFS='|' read -r name cond opts <<<"$case"
    pk coverage --by towns $opts --format csv >"$WORK/cov.csv"
    expect_eq "$name: the tasks touching each town match SQL" "$(sql_tasks "$cond")" "$(pk_tasks <"$WORK/cov.csv")"
    compare_near "$name: covered km² per town within 1e-6 of SQL" "$(sql_covered "$cond")" "$(pk_covered <"$WORK/cov.csv")" 1e-6
done

pk coverage --by towns --format csv >"$WORK/all.csv"
# town areas in EPSG:4549
compare_near "town areas match SQL" \
    "$(spatialite_sql "SELECT fid || '|' || printf('%.9f', $(area_sql geom) / 1e6) FROM $towns ORDER BY fid")" \
    "$(python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["fid"]: print(r["fid"] + "|" + r["area_km2"])' "$WORK/all.csv")" 1e-6
# shares: the towns covered only by the key areas, sci zones and demo zone
# that overlap them; 张浦 and 陆家 only have tasks located in them (links that
# cover nothing), 花桥 is only crossed by Line 11; the three towns of the demo
# zone are covered whole by it
expect_eq "each town's share covered by zones, not by the tasks located in it" \
    "1:32.67 2:55.21 3:0.00 4:59.85 5:0.00 6:55.06 7:0.00 8:40.47 9:12.58 10:100.00 11:100.00 12:100.00" \
    "$(python3 -c 'import csv, sys
print(" ".join("%s:%.2f" % (x["fid"], 100 * float(x["share"])) for x in csv.DictReader(open(sys.argv[1])) if x["fid"]))' "$WORK/all.csv")"
expect_eq "... though 张浦 and 陆家 still count the tasks located in them" "5:PZ-22 7:PZ-12,PZ-22" \
    "$(python3 -c 'import csv, sys
print(" ".join("%s:%s" % (x["fid"], x["task_ids"]) for x in csv.DictReader(open(sys.argv[1])) if x["fid"] in ("5", "7")))' "$WORK/all.csv")"
# the city-wide row lists exactly the city-wide tasks
expect_eq "city-wide row: the 73 city-wide tasks" \
    "73|$(spatialite_sql "SELECT group_concat(id) FROM (SELECT id FROM pk_tasks WHERE citywide = 1 ORDER BY id)")" \
    "$(python3 -c 'import csv, sys
r = [x for x in csv.DictReader(open(sys.argv[1])) if x["name"].startswith("(city-wide")][0]; print(r["tasks"] + "|" + r["task_ids"])' "$WORK/all.csv")"
expect_eq "the total counts the 18 tasks tied to places" 18 \
    "$(python3 -c 'import csv, sys; print([x for x in csv.DictReader(open(sys.argv[1])) if x["name"] == "(total)"][0]["tasks"])' "$WORK/all.csv")"
expect_eq "--pillar 开放之城: 13 city-wide tasks apart" 13 \
    "$(pk coverage --by towns --pillar 开放之城 --format csv | python3 -c 'import csv, sys
print([x for x in csv.DictReader(sys.stdin) if x["name"].startswith("(city-wide")][0]["tasks"])')"

# --- --include-citywide: every town 100 %, with the 73 city-wide tasks added
pk coverage --by towns --include-citywide --format csv >"$WORK/cw.csv"
expect_eq "--include-citywide: every town reads 100 %" "100.00" \
    "$(python3 -c 'import csv, sys; print(",".join(sorted({"%.2f" % (100 * float(x["share"])) for x in csv.DictReader(open(sys.argv[1])) if x["share"]})))' "$WORK/cw.csv")"
expect_eq "--include-citywide: each town has its own tasks + 73, no city-wide row" "ok" \
    "$(python3 -c 'import csv, sys
a = {x["name"]: int(x["tasks"]) for x in csv.DictReader(open(sys.argv[1])) if x["fid"]}
b = {x["name"]: int(x["tasks"]) for x in csv.DictReader(open(sys.argv[2])) if x["fid"]}
rows = [x["name"] for x in csv.DictReader(open(sys.argv[2]))]
print("ok" if all(b[k] == a[k] + 73 for k in a) and not any(n.startswith("(city") for n in rows) else (a, b))' "$WORK/all.csv" "$WORK/cw.csv")"

# --- the thread count does not change the answer
expect_eq "PLANKIT_THREADS=1 and 3 give the same table" "$(PLANKIT_THREADS=1 pk coverage --by towns --format csv)" \
    "$(PLANKIT_THREADS=3 pk coverage --by towns --format csv)"

# --- query zones --task PZ-01: the CBD itself (linked) and the towns it lies in
pk query zones --task PZ-01 --format csv >"$WORK/zones.csv"
expect_eq "zones of PZ-01: key_areas QYG-CBD at 100 %, linked" "key_areas|青阳港中央商务区|100.00|linked" \
    "$(python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["layer"] == "key_areas": print("|".join([r["layer"], r["name"], "%.2f" % (100 * float(r["share"])), r["via"]]))' "$WORK/zones.csv")"
ka=$(tbl key_areas)
compare_near "zones of PZ-01: the towns and their overlap match SQL" \
    "$(spatialite_sql "SELECT w.fid || '|' || printf('%.9f', $(area_sql "ST_Intersection(w.geom, k.geom)") / 1e6)
        FROM $towns w, $ka k WHERE k.code = 'QYG-CBD' AND ST_Intersects(w.geom, k.geom)
        AND ST_Area(ST_Transform(ST_Intersection(w.geom, k.geom), 4549)) >= 1 ORDER BY w.fid")" \
    "$(python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["layer"] == "towns": print(r["fid"] + "|" + r["overlap_km2"])' "$WORK/zones.csv")" 1e-6
expect_eq "zones of PZ-01: towns 昆山开发区 and 昆山高新区" "昆山开发区,昆山高新区" \
    "$(python3 -c 'import csv, sys; print(",".join(r["name"] for r in csv.DictReader(open(sys.argv[1])) if r["layer"] == "towns"))' "$WORK/zones.csv")"

# --- query tasks --in a town finds the tasks coverage counts for it (a
# neighbour linked to a town touching it along the border does not count)
for fid in $(spatialite_sql "SELECT fid FROM $towns ORDER BY fid"); do
    expect_eq "query tasks --in towns:$fid = coverage's tasks of town $fid" \
        "$(python3 -c 'import csv, sys; print([r["task_ids"] for r in csv.DictReader(open(sys.argv[1])) if r["fid"] == sys.argv[2]][0])' "$WORK/all.csv" "$fid")" \
        "$(pk query tasks --in "towns:$fid" --format csv | python3 -c 'import csv, sys; print(",".join(sorted(r["id"] for r in csv.DictReader(sys.stdin))))')"
done
expect_eq "zones of PZ-17 (linked to 昆山高新区): not the towns that only border it" "昆山高新区" \
    "$(pk query zones --task PZ-17 --format csv | python3 -c 'import csv, sys; print(",".join(r["name"] for r in csv.DictReader(sys.stdin) if r["layer"] == "towns"))')"
expect_eq "zones of PZ-12 (Line 11): the towns it crosses, with no area" "0.000000" \
    "$(pk query zones --task PZ-12 --format csv | python3 -c 'import csv, sys; print(",".join(sorted({"%.6f" % float(r["overlap_km2"]) for r in csv.DictReader(sys.stdin)})))')"

# --- query tasks
ids() { python3 -c 'import csv, sys; print(",".join(sorted(r["id"] for r in csv.DictReader(sys.stdin))))'; }
cbd_point=$(spatialite_sql "SELECT printf('%.7f,%.7f', X(p), Y(p)) FROM (SELECT PointOnSurface(geom) AS p FROM $ka WHERE code = 'QYG-CBD')")
at=$(pk query tasks --at "$cbd_point" --format csv | ids)
case ",$at," in *,PZ-01,*) ok "--at inside 青阳港CBD finds PZ-01 ($at)" ;; *) not_ok "--at inside 青阳港CBD: no PZ-01 in '$at'" ;; esac
expect_eq "--at inside 青阳港CBD: the tasks of the zones containing the point (SQL)" \
    "$(spatialite_sql "WITH src AS ($src) SELECT group_concat(task_id) FROM (SELECT DISTINCT k.task_id FROM pk_task_links k
        JOIN pk_tasks t ON t.id = k.task_id AND t.citywide = 0 JOIN src s ON s.layer_id = k.layer_id AND s.fid = k.fid
        WHERE ST_Intersects(s.geom, MakePoint(${cbd_point%,*}, ${cbd_point#*,}, 4326)) ORDER BY k.task_id)")" "$at"
expect_eq "--at with --include-citywide adds the 73 city-wide tasks" $(( $(echo "$at" | tr ',' '\n' | grep -c .) + 73 )) \
    "$(pk query tasks --at "$cbd_point" --include-citywide --format csv | tail -n +2 | grep -c .)"
expect_eq "--in key_areas:QYG-CBD: PZ-01 covers it whole" "100.00" \
    "$(pk query tasks --in key_areas:QYG-CBD --format csv | python3 -c 'import csv, sys; print(["%.2f" % (100 * float(r["share"])) for r in csv.DictReader(sys.stdin) if r["id"] == "PZ-01"][0])')"

stations=$(tbl metro_stations)
near_sql() { # STATION_CODE METRES: tasks whose linked features lie within that distance (SQL)
    spatialite_sql "WITH src AS ($src) SELECT group_concat(task_id) FROM (SELECT DISTINCT k.task_id FROM pk_task_links k
        JOIN pk_tasks t ON t.id = k.task_id AND t.citywide = 0 JOIN src s ON s.layer_id = k.layer_id AND s.fid = k.fid,
        $stations p WHERE p.code = '$1' AND ST_Distance(ST_Transform(s.geom, 4549), ST_Transform(p.geom, 4549)) <= $2
        ORDER BY k.task_id)"
}
for c in "L11-10 800" "L11-26 500" "L11-01 1500" "L11-14 300"; do
    set -- $c
    expect_eq "--near metro_stations:$1 --distance ${2}m matches SQL" "$(near_sql "$1" "$2")" \
        "$(pk query tasks --near "metro_stations:$1" --distance "${2}m" --format csv | ids)"
done
expect_eq "--near 花桥站 500m: PZ-12 (Line 11; KF-02 is city-wide now)" "PZ-12" \
    "$(pk query tasks --near metro_stations:花桥站 --distance 500m --format csv | ids)"
bbox_sql() {
    spatialite_sql "WITH src AS ($src) SELECT group_concat(task_id) FROM (SELECT DISTINCT k.task_id FROM pk_task_links k
        JOIN pk_tasks t ON t.id = k.task_id AND t.citywide = 0 JOIN src s ON s.layer_id = k.layer_id AND s.fid = k.fid
        WHERE ST_Intersects(s.geom, BuildMbr($1, 4326)) ORDER BY k.task_id)"
}
for b in "120.98,31.38,121.0,31.40" "120.80,31.10,120.90,31.20" "121.05,31.45,121.06,31.46"; do
    expect_eq "--bbox $b matches SQL" "$(bbox_sql "$b")" "$(pk query tasks --bbox "$b" --format csv | ids)"
done
expect_eq "--bbox with --pillar 开放之城 keeps only that pillar" "$(bbox_sql 120.80,31.10,120.90,31.20 | tr ',' '\n' | grep '^KF' | paste -sd,)" \
    "$(pk query tasks --bbox 120.80,31.10,120.90,31.20 --pillar 开放之城 --format csv | ids)"

# --- formats: GeoJSON carries the towns' geometries, CSV parses, tables align CJK
pk coverage --by towns --format geojson >"$WORK/cov.geojson"
if python3 - "$WORK/cov.geojson" <<'EOF'; then ok "coverage GeoJSON: the 12 towns with polygons and nothing else (totals on stderr)"; else not_ok "coverage GeoJSON"; fi
import json, sys
d = json.load(open(sys.argv[1]))
f = d["features"]
assert d["type"] == "FeatureCollection" and len(f) == 12, len(f)
assert all(x["properties"]["fid"] is not None for x in f)
for x in f:
    g = x["geometry"]
    assert g["type"] in ("Polygon", "MultiPolygon"), g["type"]
    lon, lat = g["coordinates"][0][0][0] if g["type"] == "MultiPolygon" else g["coordinates"][0][0]
    assert 120.7 < lon < 121.2 and 31.0 < lat < 31.6, (lon, lat)
EOF
expect_eq "query zones GeoJSON has geometries (PZ-01: the CBD, 2 towns, city, region county, 7 plan areas)" "12 12" \
    "$(pk query zones --task PZ-01 --format geojson | python3 -c 'import json, sys; f = json.load(sys.stdin)["features"]; print(len(f), sum(1 for x in f if x["geometry"]))')"
expect_eq "query tasks GeoJSON has geometries" "ok" \
    "$(pk query tasks --in key_areas:QYG-CBD --format geojson | python3 -c 'import json, sys
f = json.load(sys.stdin)["features"]; print("ok" if f and all(x["geometry"] and x["geometry"]["coordinates"] for x in f) else f)')"
expect_eq "coverage CSV: 12 towns + 2 summary rows of 7 fields" "14 7" \
    "$(python3 -c 'import csv, sys; r = list(csv.reader(open(sys.argv[1])))[1:]; print(len(r), ",".join(sorted({str(len(x)) for x in r})))' "$WORK/all.csv")"
pk coverage --by towns >"$WORK/table.txt"
expect_eq "the table aligns CJK names: every line has the same display width (but the long city-wide list)" 1 \
    "$(python3 -c 'import sys, unicodedata
w = {sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l.rstrip("\n")) for l in open(sys.argv[1]) if "(city-wide" not in l}
print(len(w))' "$WORK/table.txt")"
expect_eq "... and the share column ends at the same column on every town row" 1 \
    "$(python3 -c 'import sys, unicodedata
def width(s): return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
ends = {width(l[:l.rindex(".") + 3]) for l in open(sys.argv[1]) if "镇" in l or "区" in l}
print(len(ends))' "$WORK/table.txt")"
finish
