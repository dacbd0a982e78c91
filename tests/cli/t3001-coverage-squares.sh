#!/usr/bin/env bash
# plankit coverage / query on layers small enough to compute by hand: a store
# in EPSG:4549 (storage and metric CRS) with two 1 km x 1 km squares A and B,
# a 4 km x 3 km city around them, points at known distances, and footprints
# whose areas are exact (tests/data/*-4549.geojson, tasks-squares.json):
#   Q1 [600000,600500]x[3430000,3430500]  0.25 km² of A      (pillar 甲, in_progress, 2026-2030)
#   Q2 [600250,600750]x[3430000,3430500]  overlaps Q1 by half (乙, done, 2026-2027)
#   Q3 [600900,601100]x[3430000,3431000]  0.1 km² of A + 0.1 km² of B (乙, planned, 2028-2030)
#   CW city-wide, linked to the city (甲, planned)
# The answers are checked against the hand-computed values and against
# SpatiaLite SQL; filters, city-wide handling, gaps, query tasks/zones and the
# output formats on the same data.
source "$(dirname "$0")/lib.sh"

# CSV carries full precision (km², shares as fractions): the rows below print
# km² to 6 decimals and shares as percentages with 2, for exact comparison
FMT='km = lambda v: "%.6f" % float(v) if v else ""
pct = lambda v: "%.2f" % (100 * float(v)) if v else ""'
# rows NAME|tasks|task_ids|covered_km2|share % of a coverage CSV (stdin), joined by ';'
rows() {
    python3 -c "import csv, sys
$FMT"'
print(";".join("|".join([r["name"], r["tasks"], r["task_ids"], km(r["covered_km2"]), pct(r["share"])])
               for r in csv.DictReader(sys.stdin)))'
}
# ids of a query-tasks CSV (stdin), with the share % when present, joined by ';'
ids() {
    python3 -c "import csv, sys
$FMT"'
print(";".join(r["id"] + (":" + pct(r["share"]) if r.get("share") else "") for r in csv.DictReader(sys.stdin)))'
}
# LON,LAT of an EPSG:4549 point, computed by SpatiaLite (not plankit)
ll() {
    sqlite3 -batch -noheader :memory: ".load mod_spatialite" "SELECT InitSpatialMetadata(1)" \
        "SELECT printf('%.9f,%.9f', X(p), Y(p)) FROM (SELECT Transform(MakePoint($1, $2, 4549), 4326) AS p)" | tail -1
}

pk init --crs EPSG:4549 --measure-crs EPSG:4549 -q 2>/dev/null
check "load the squares" pk layer load "$DATA/squares-4549.geojson" --name squares -q
check "load the city" pk layer load "$DATA/city-4549.geojson" --name city --kind district -q
check "load the marks" pk layer load "$DATA/marks-4549.geojson" --name marks -q
expect_eq "the squares are 1 km² each (SpatiaLite)" "1000000.0;1000000.0" \
    "$(spatialite_sql "SELECT ST_Area(geom) FROM lyr_1 ORDER BY fid" | paste -sd';')"

# --- one footprint on a quarter of A: A 25 %, B 0 %, total 12.5 %
pk task add Q0 --title "quarter" -q
check "attach a WKT footprint (store CRS)" \
    pk task attach Q0 --geom "POLYGON((600000 3430000,600500 3430000,600500 3430500,600000 3430500,600000 3430000))" -q
expect_eq "quarter footprint: A 25 %, B 0 %, total 12.5 %" \
    "A|1|Q0|0.250000|25.00;B|0||0.000000|0.00;(city-wide, not counted)|0|||;(total)|1||0.250000|12.50" \
    "$(pk coverage --by squares --format csv | rows)"
check "remove Q0" pk task remove Q0 -q
expect_eq "no task left: everything 0 %" "A|0||0.000000|0.00;B|0||0.000000|0.00;(city-wide, not counted)|0|||;(total)|0||0.000000|0.00" \
    "$(pk coverage --by squares --format csv | rows)"

# --- the four tasks of tasks-squares.json
check "import tasks-squares.json" pk task import "$DATA/tasks-squares.json" -q
expect_eq "footprints imported" 3 "$(spatialite_sql "SELECT count(*) FROM pk_task_footprints")"

# unions count overlaps once: A = Q1 ∪ Q2 (0.375) + Q3 (0.1); B = Q3 (0.1)
expect_eq "all tasks: A 47.5 %, B 10 %, total 28.75 %, CW apart" \
    "A|3|Q1,Q2,Q3|0.475000|47.50;B|1|Q3|0.100000|10.00;(city-wide, not counted)|1|CW||;(total)|3||0.575000|28.75" \
    "$(pk coverage --by squares --format csv | rows)"
expect_eq "--pillar 甲 (Q1 only): 25 %, 0 %, 12.5 %" \
    "A|1|Q1|0.250000|25.00;B|0||0.000000|0.00;(city-wide, not counted)|1|CW||;(total)|1||0.250000|12.50" \
    "$(pk coverage --by squares --pillar 甲 --format csv | rows)"
expect_eq "--pillar 乙 (Q2, Q3)" \
    "A|2|Q2,Q3|0.350000|35.00;B|1|Q3|0.100000|10.00;(city-wide, not counted)|0|||;(total)|2||0.450000|22.50" \
    "$(pk coverage --by squares --pillar 乙 --format csv | rows)"
expect_eq "--status done (Q2)" \
    "A|1|Q2|0.250000|25.00;B|0||0.000000|0.00;(city-wide, not counted)|0|||;(total)|1||0.250000|12.50" \
    "$(pk coverage --by squares --status done --format csv | rows)"
expect_eq "--status planned (Q3; CW is city-wide)" \
    "A|1|Q3|0.100000|10.00;B|1|Q3|0.100000|10.00;(city-wide, not counted)|1|CW||;(total)|1||0.200000|10.00" \
    "$(pk coverage --by squares --status planned --format csv | rows)"
expect_eq "--year 2027 (Q1, Q2)" \
    "A|2|Q1,Q2|0.375000|37.50;B|0||0.000000|0.00;(city-wide, not counted)|1|CW||;(total)|2||0.375000|18.75" \
    "$(pk coverage --by squares --year 2027 --format csv | rows)"
expect_eq "--year 2029 (Q1, Q3)" \
    "A|2|Q1,Q3|0.350000|35.00;B|1|Q3|0.100000|10.00;(city-wide, not counted)|1|CW||;(total)|2||0.450000|22.50" \
    "$(pk coverage --by squares --year 2029 --format csv | rows)"
expect_eq "--pillar 乙 --year 2027 (Q2)" \
    "A|1|Q2|0.250000|25.00;B|0||0.000000|0.00;(city-wide, not counted)|0|||;(total)|1||0.250000|12.50" \
    "$(pk coverage --by squares --pillar 乙 --year 2027 --format csv | rows)"
expect_eq "--include-citywide: every square 100 %" \
    "A|4|CW,Q1,Q2,Q3|1.000000|100.00;B|2|CW,Q3|1.000000|100.00;(total)|4||2.000000|100.00" \
    "$(pk coverage --by squares --include-citywide --format csv | rows)"
expect_eq "coverage of the city: the union of the footprints, 0.575 of 12 km²" \
    "Squareville|3|Q1,Q2,Q3|0.575000|4.79;(city-wide, not counted)|1|CW||;(total)|3||0.575000|4.79" \
    "$(pk coverage --by city --format csv | rows)"

# the same areas from SpatiaLite SQL (union of the footprints, intersected)
for year in 0 2027 2029; do
    sql_covered=$(spatialite_sql "SELECT s.fid, printf('%.6f', coalesce(ST_Area(ST_Intersection(s.geom, u.g)), 0) / 1e6)
        FROM lyr_1 s, (SELECT ST_Union(f.geom) AS g FROM pk_task_footprints f JOIN pk_tasks t ON t.id = f.task_id
                       WHERE $year = 0 OR (t.start_year <= $year AND t.end_year >= $year)) u ORDER BY s.fid" | paste -sd';')
    args=(); [ "$year" != 0 ] && args=(--year "$year")
    pk_covered=$(pk coverage --by squares "${args[@]}" --format csv |
        python3 -c "import csv, sys
$FMT"'
print(";".join(r["fid"] + "|" + km(r["covered_km2"]) for r in csv.DictReader(sys.stdin) if r["fid"]))')
    expect_eq "year $year: covered km² agree with SpatiaLite" "$sql_covered" "$pk_covered"
done

# the result does not depend on the thread count
one=$(PLANKIT_THREADS=1 pk coverage --by squares --format csv)
four=$(PLANKIT_THREADS=4 pk coverage --by squares --format csv)
expect_eq "PLANKIT_THREADS=1 and 4 give the same table" "$one" "$four"

# --- gaps: features no task touches
expect_eq "no gaps with every task" "" "$(pk query gaps --layer squares --format csv | tail -n +2)"
expect_eq "--pillar 甲: B is a gap" "B|0||0.000000|0.00" "$(pk query gaps --layer squares --pillar 甲 --format csv | rows)"
expect_eq "gaps of the marks (points): no task touches any of them" "Near;Twin;Twin;O'Brien \"Q\" 桥;Far" \
    "$(pk query gaps --layer marks --format csv | python3 -c 'import csv, sys; print(";".join(r["name"] for r in csv.DictReader(sys.stdin)))')"
expect_eq "--include-citywide: the far point is the only gap" "Far" \
    "$(pk query gaps --layer marks --include-citywide --format csv | python3 -c 'import csv, sys; print(";".join(r["name"] for r in csv.DictReader(sys.stdin)))')"

# --- query tasks
expect_eq "--in squares:A: the share of A each task covers" "Q1:25.00;Q2:25.00;Q3:10.00" \
    "$(pk query tasks --in squares:A --format csv | ids)"
expect_eq "--in squares:SQ-B (by code)" "Q3:10.00" "$(pk query tasks --in squares:SQ-B --format csv | ids)"
expect_eq "--in squares:2 (by id)" "Q3:10.00" "$(pk query tasks --in squares:2 --format csv | ids)"
expect_eq "--at a point inside Q1 only" "Q1" "$(pk query tasks --at "$(ll 600100 3430100)" --format csv | ids)"
expect_eq "--at a point inside Q1 and Q2" "Q1;Q2" "$(pk query tasks --at "$(ll 600400 3430100)" --format csv | ids)"
expect_eq "--at a point in B outside Q3: nothing" "" "$(pk query tasks --at "$(ll 601500 3430900)" --format csv | ids)"
expect_eq "... the city-wide task with --include-citywide" "CW" \
    "$(pk query tasks --at "$(ll 601500 3430900)" --include-citywide --format csv | ids)"
expect_eq "--bbox inside Q3" "Q3" \
    "$(pk query tasks --bbox "$(ll 600930 3430480),$(ll 600970 3430520)" --format csv | ids)"
expect_eq "--bbox inside B away from Q3: nothing" "" \
    "$(pk query tasks --bbox "$(ll 601300 3430300),$(ll 601900 3430900)" --format csv | ids)"
expect_eq "--bbox across Q1 and Q2, --pillar 乙: Q2" "Q2" \
    "$(pk query tasks --bbox "$(ll 600100 3430100),$(ll 600400 3430200)" --pillar 乙 --format csv | ids)"
# marks:Near is at (600800, 3430250): 300 m from Q1, 50 m from Q2, 100 m from Q3
expect_eq "--near 40m: nothing" "" "$(pk query tasks --near marks:Near --distance 40m --format csv | ids)"
expect_eq "--near 60m: Q2 (50 m)" "Q2" "$(pk query tasks --near marks:Near --distance 60m --format csv | ids)"
expect_eq "--near 150m: Q2, Q3 (100 m)" "Q2;Q3" "$(pk query tasks --near marks:Near --distance 150m --format csv | ids)"
expect_eq "--near 299m: not Q1 (300 m)" "Q2;Q3" "$(pk query tasks --near marks:Near --distance 299m --format csv | ids)"
expect_eq "--near 0.301km: Q1 too" "Q1;Q2;Q3" "$(pk query tasks --near marks:M-NEAR --distance 0.301km --format csv | ids)"
expect_eq "--near 0.301km --status done: Q2" "Q2" \
    "$(pk query tasks --near marks:M-NEAR --distance 0.301km --status done --format csv | ids)"

# --- query zones: every district and zone feature a task concerns
zones() { python3 -c "import csv, sys
$FMT"'
print(";".join("|".join([r["layer"], r["name"], km(r["overlap_km2"]), pct(r["share"])]) for r in csv.DictReader(sys.stdin)))'; }
expect_eq "zones of Q3: 0.1 km² of A and of B, 0.2 of the 12 km² city" \
    "squares|A|0.100000|10.00;squares|B|0.100000|10.00;city|Squareville|0.200000|1.67" \
    "$(pk query zones --task Q3 --format csv | zones)"
expect_eq "zones of Q1 ∪ nothing else" "squares|A|0.250000|25.00;city|Squareville|0.250000|2.08" \
    "$(pk query zones --task Q1 --format csv | zones)"
expect_eq "zones of the city-wide task: the whole city" "squares|A|1.000000|100.00;squares|B|1.000000|100.00;city|Squareville|12.000000|100.00" \
    "$(pk query zones --task CW --format csv | zones)"
expect_fail_unchanged "query zones of an unknown task" "no task 'NOPE'" pk query zones --task NOPE

# --- formats: GeoJSON is WGS84 with geometries, JSON and CSV parse
pk coverage --by squares --format geojson >"$WORK/cov.geojson"
corner=$(ll 600000 3430000)
if python3 - "$WORK/cov.geojson" "$corner" <<'EOF'; then ok "coverage GeoJSON: features with WGS84 geometries"; else not_ok "coverage GeoJSON"; fi
import json, sys
d = json.load(open(sys.argv[1]))
lon, lat = map(float, sys.argv[2].split(","))
f = {x["properties"]["name"]: x for x in d["features"]}
assert d["type"] == "FeatureCollection" and len(d["features"]) == 2, d  # features only: no summary rows
a = f["A"]
assert a["geometry"]["type"] in ("Polygon", "MultiPolygon")
ring = a["geometry"]["coordinates"][0][0] if a["geometry"]["type"] == "MultiPolygon" else a["geometry"]["coordinates"][0]
assert any(abs(x - lon) < 1e-7 and abs(y - lat) < 1e-7 for x, y in ring), (ring, lon, lat)
assert abs(a["properties"]["share"] - 0.475) < 1e-12 and a["properties"]["tasks"] == 3
assert all(x["geometry"] for x in d["features"])
EOF
pk query tasks --in squares:A --format geojson >"$WORK/tasks.geojson"
if python3 - "$WORK/tasks.geojson" <<'EOF'; then ok "query tasks GeoJSON: each task with its geometry, in degrees"; else not_ok "query tasks GeoJSON"; fi
import json, sys
d = json.load(open(sys.argv[1]))
ids = [x["properties"]["id"] for x in d["features"]]
assert ids == ["Q1", "Q2", "Q3"], ids
for x in d["features"]:
    g = x["geometry"]
    assert g and g["type"] in ("Polygon", "MultiPolygon"), g
    flat = json.dumps(g["coordinates"])
    assert "600000" not in flat and "121.0" in flat, flat[:80]
EOF
pk query zones --task Q3 --format geojson >"$WORK/zones.geojson"
expect_eq "query zones GeoJSON: 3 features, all with polygons" "3 True" \
    "$(python3 -c 'import json, sys; f = json.load(open(sys.argv[1]))["features"]
print(len(f), all(x["geometry"]["type"] in ("Polygon", "MultiPolygon") for x in f))' "$WORK/zones.geojson")"
expect_eq "coverage JSON parses, numbers are numbers with all their digits" "0.475 0.475 True" \
    "$(pk coverage --by squares --format json | python3 -c 'import json, sys; r = json.load(sys.stdin)[0]
print(round(r["covered_km2"], 12), round(r["share"], 12), isinstance(r["share"], float))')"

# --- a task linked to the feature itself covers all of it
check "link Q1 to square B" pk task attach Q1 --to squares:B -q
expect_eq "B linked: 100 %, A unchanged" \
    "A|3|Q1,Q2,Q3|0.475000|47.50;B|2|Q1,Q3|1.000000|100.00;(city-wide, not counted)|1|CW||;(total)|3||1.475000|73.75" \
    "$(pk coverage --by squares --format csv | rows)"
expect_eq "query tasks --in B: Q1 covers all of it" "Q1:100.00;Q3:10.00" "$(pk query tasks --in squares:B --format csv | ids)"
check "detach it" pk task detach Q1 --from squares:B -q
expect_eq "back to 10 %" "B|1|Q3|0.100000|10.00" \
    "$(pk coverage --by squares --format csv | rows | tr ';' '\n' | grep '^B|')"

# a footprint touching B only along the border does not count for B
pk task add EDGE --title "edge" -q
pk task attach EDGE --geom "POLYGON((600800 3430600,601000 3430600,601000 3430800,600800 3430800,600800 3430600))" -q
expect_eq "a footprint sharing only B's border: counted for A, not for B" "A:EDGE,Q1,Q2,Q3 B:Q3" \
    "$(pk coverage --by squares --format csv | python3 -c 'import csv, sys
r = {x["name"]: x["task_ids"] for x in csv.DictReader(sys.stdin)}; print("A:" + r["A"], "B:" + r["B"])')"
expect_eq "... nor by query tasks --in B" "Q3:10.00" "$(pk query tasks --in squares:B --format csv | ids)"
expect_eq "... nor by query zones" "squares|A|0.040000|4.00;city|Squareville|0.040000|0.33" \
    "$(pk query zones --task EDGE --format csv | zones)"
finish
