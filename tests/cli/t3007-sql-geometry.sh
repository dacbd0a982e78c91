#!/usr/bin/env bash
# `plankit sql` prints geometries, not "<blob N bytes>": WKT in the store CRS
# in table, csv and json; with --format geojson one feature per row (the
# geometry column as its geometry, WGS84), refused when no column is a
# geometry. Coverage GeoJSON holds only features: the city-wide and totals
# rows go to stderr.
source "$(dirname "$0")/lib.sh"

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
tbl=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name = 'towns'")

# --- WKT in table, csv and json
pk sql "SELECT name, geom FROM $tbl ORDER BY fid" >"$WORK/table" 2>"$WORK/err"
expect_eq "sql with a geometry column exits 0" 0 $?
if grep -q '<blob' "$WORK/table"; then not_ok "table shows no '<blob N bytes>'"; else ok "table shows no '<blob N bytes>'"; fi
expect_eq "table: every town's geometry as WKT" 12 "$(grep -c 'MULTIPOLYGON (((' "$WORK/table")"
pk sql "SELECT fid, geom FROM $tbl ORDER BY fid" --format csv >"$WORK/csv"
python3 - "$WORK/csv" >"$WORK/wkt.sql" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8')))
# one query comparing every WKT with the stored geometry
print("SELECT sum(ST_Equals(GeomFromText(v.column2, 4326), t.geom)) || '/' || count(*) FROM (VALUES " +
      ",".join("(%s, '%s')" % (r['fid'], r['geom']) for r in rows) + ") v JOIN TBL t ON t.fid = v.column1;")
EOF
sed -i "s/TBL/$tbl/" "$WORK/wkt.sql"
expect_eq "csv: each WKT is the stored geometry (ST_Equals in SpatiaLite)" "12/12" "$(spatialite_sql "$(cat "$WORK/wkt.sql")")"
pk sql "SELECT name, geom FROM $tbl WHERE fid = 1" --format json >"$WORK/json"
expect_eq "json: the geometry is a WKT string" "MULTIPOLYGON" \
    "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["geom"].split(" ")[0])' "$WORK/json")"
expect_eq "a BLOB that is no geometry still shows its size" "<blob 4 bytes>" \
    "$(pk sql "SELECT zeroblob(4) AS b" --format csv | tail -n 1)"

# --- GeoJSON: one feature per row, the geometry in WGS84
pk sql "SELECT fid, name, geom FROM $tbl ORDER BY fid" --format geojson >"$WORK/sql.geojson"
expect_eq "sql --format geojson exits 0" 0 $?
spatialite_sql "SELECT fid || '|' || AsGeoJSON(geom, 7) FROM $tbl ORDER BY fid" >"$WORK/ref"
python3 - "$WORK/sql.geojson" "$WORK/ref" <<'EOF' && ok "geojson: 12 features, names as properties, geometries = SpatiaLite's" || not_ok "geojson features"
import json, sys
d = json.load(open(sys.argv[1]))
ref = {int(l.split('|', 1)[0]): json.loads(l.split('|', 1)[1]) for l in open(sys.argv[2])}
assert d["type"] == "FeatureCollection" and len(d["features"]) == 12, len(d["features"])
def flat(c):
    return [c] if isinstance(c[0], (int, float)) else [p for x in c for p in flat(x)]
for f in d["features"]:
    p, g = f["properties"], f["geometry"]
    assert "geom" not in p and p["name"], p
    assert g["type"] == "MultiPolygon", g["type"]
    a, b = flat(g["coordinates"]), flat(ref[p["fid"]]["coordinates"])
    assert len(a) == len(b) and all(abs(x - y) < 1e-7 for u, v in zip(a, b) for x, y in zip(u, v)), p["fid"]
EOF
expect_fail_unchanged "sql --format geojson without a geometry column is refused" \
    "--format geojson: the statement returns no geometry column" pk sql "SELECT name FROM $tbl" --format geojson
expect_eq "... a usage error (2)" 2 "$(pk sql "SELECT name FROM $tbl" --format geojson 2>/dev/null; echo $?)"
expect_eq "no row, but a geometry column: an empty FeatureCollection" "FeatureCollection 0" \
    "$(pk sql "SELECT name, geom FROM $tbl WHERE 0" --format geojson |
        python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["type"], len(d["features"]))')"

# --- coverage GeoJSON: features only; the summary rows on stderr
pk task add T1 --title one -q
pk task attach T1 --to towns:1 -q
pk coverage --by towns --format geojson >"$WORK/cov.geojson" 2>"$WORK/cov.err"
expect_eq "coverage --format geojson exits 0" 0 $?
expect_eq "coverage GeoJSON: 12 features, each with a fid and a geometry" "12 12" \
    "$(python3 -c 'import json, sys
fs = json.load(open(sys.argv[1]))["features"]
print(len(fs), sum(1 for f in fs if f["geometry"] and f["properties"]["fid"] is not None))' "$WORK/cov.geojson")"
expect_grep "... the totals go to stderr" '^plankit: coverage: (total): tasks=1 ' "$WORK/cov.err"
expect_grep "... and the city-wide row" '^plankit: coverage: (city-wide, not counted): tasks=0' "$WORK/cov.err"
expect_eq "coverage csv keeps its totals row" 1 "$(pk coverage --by towns --format csv 2>/dev/null | grep -c '^,(total),')"

finish
