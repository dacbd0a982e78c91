#!/usr/bin/env bash
# Every GeoJSON plankit writes is RFC 7946: WGS84 longitude/latitude with at
# most 7 decimals, whatever the store CRS (here the projected EPSG:4549):
# layer export, overlay/buffer/dissolve -o x.geojson, coverage, query zones,
# query tasks and sql --format geojson. GeoPackage exports declare their
# geometry type (ogrinfo: Multi Polygon, Point, Line String; not Unknown).
source "$(dirname "$0")/lib.sh"

pk init --crs EPSG:4549 -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk layer load "$LAYERS/kunshan-key-areas.geojson" --name key_areas -q
pk layer load "$LAYERS/kunshan-line11-stations.geojson" --name stations -q
pk layer load "$LAYERS/kunshan-line11.geojson" --name line11 -q
pk task add T1 --title one -q
pk task attach T1 --to key_areas:1 -q
tbl=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name = 'towns'")

mkdir "$WORK/out"
check "layer export .geojson" pk layer export towns "$WORK/out/export.geojson" -q
check "overlay -o .geojson" pk overlay intersection towns key_areas -o "$WORK/out/overlay.geojson" -q
check "buffer -o .geojson" pk buffer key_areas 100m -o "$WORK/out/buffer.geojson" -q
check "dissolve -o .geojson" pk dissolve key_areas -o "$WORK/out/dissolve.geojson" -q
pk coverage --by towns --format geojson -q >"$WORK/out/coverage.geojson"
pk query zones --task T1 --format geojson -q >"$WORK/out/zones.geojson"
pk query tasks --in towns:1 --format geojson -q >"$WORK/out/tasks.geojson"
pk sql "SELECT name, geom FROM $tbl" --format geojson >"$WORK/out/sql.geojson"

# lon/lat in Kunshan's box, at most 7 decimals, no crs member (RFC 7946)
for f in "$WORK"/out/*.geojson; do
    what=$(basename "$f" .geojson)
    msg=$(python3 - "$f" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
pts = []
def walk(c):
    if isinstance(c[0], (int, float)): pts.append(c)
    else:
        for x in c: walk(x)
for feat in d["features"]:
    if feat["geometry"]: walk(feat["geometry"]["coordinates"])
if not pts: print("no coordinates"); sys.exit()
if "crs" in d: print("has a crs member"); sys.exit()
bad = [p for p in pts if not (120.5 < p[0] < 121.5 and 31.0 < p[1] < 31.7)]
if bad: print("not lon/lat in Kunshan:", bad[0]); sys.exit()
geoms = json.dumps([feat["geometry"] for feat in d["features"]])
decimals = max(len(m) for m in re.findall(r'\d\.(\d+)', geoms))
if decimals > 7: print("%d decimals" % decimals); sys.exit()
print("ok %d" % len(pts))
EOF
)
    case $msg in ok*) ok "$what GeoJSON is WGS84 lon/lat, at most 7 decimals (${msg#ok } points)" ;;
        *) not_ok "$what GeoJSON: $msg" ;; esac
done
expect_eq "ogrinfo reads the exported GeoJSON as WGS 84" 1 \
    "$(ogrinfo -so -al "$WORK/out/export.geojson" 2>/dev/null | grep -c '^GEOGCRS\["WGS 84"')"
# the source is lon/lat with 6 decimals: through EPSG:4549 and back it is the same
first() { python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["features"][0]["geometry"]["coordinates"]
while isinstance(c[0], list): c = c[0]
print("%.7f %.7f" % tuple(c))' "$1"; }
expect_eq "export: the first vertex is the source's" "$(first "$LAYERS/kunshan-towns.geojson")" \
    "$(first "$WORK/out/export.geojson")"
expect_fail_unchanged "GeoJSON in another CRS is refused" "GeoJSON is WGS84 longitude/latitude (RFC 7946)" \
    pk layer export towns "$WORK/out/metres.geojson" --t_srs EPSG:4549
check "GeoJSON with --t_srs EPSG:4326 is fine" pk layer export towns "$WORK/out/deg.geojson" --t_srs EPSG:4326 -q

# GeoPackage exports declare their geometry type
gtype() { ogrinfo -so -al "$1" 2>/dev/null | sed -n 's/^Geometry: //p'; }
check "layer export towns .gpkg" pk layer export towns "$WORK/out/towns.gpkg" -q
expect_eq "towns.gpkg declares Multi Polygon" "Multi Polygon" "$(gtype "$WORK/out/towns.gpkg")"
check "layer export stations .gpkg" pk layer export stations "$WORK/out/stations.gpkg" -q
expect_eq "stations.gpkg declares Point" "Point" "$(gtype "$WORK/out/stations.gpkg")"
check "layer export line11 .gpkg" pk layer export line11 "$WORK/out/line11.gpkg" -q
expect_eq "line11.gpkg declares Line String" "Line String" "$(gtype "$WORK/out/line11.gpkg")"
check "overlay -o .gpkg" pk overlay intersection towns key_areas -o "$WORK/out/overlay.gpkg" -q
expect_eq "overlay.gpkg declares Multi Polygon" "Multi Polygon" "$(gtype "$WORK/out/overlay.gpkg")"
expect_eq "a GeoPackage keeps the store CRS (EPSG:4549)" 1 \
    "$(ogrinfo -so -al "$WORK/out/towns.gpkg" 2>/dev/null | grep -c 'ID\["EPSG",4549\]\]$')"

finish
