#!/usr/bin/env bash
# The main job on the bundled Kunshan data: install what is missing, build,
# create a project store with the bundled layers and plan tasks, and print a
# layer summary, a coverage report and an overlay of the key areas by town.
# Results go to demo-output/ (or $DEMO_DIR): the store, coverage tables,
# vector tiles with the web map, and raster tiles of the zone map.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh
build=$(BUILD_DIR=${BUILD_DIR:-build} scripts/build.sh | tail -n 1)
plankit=$root/$build/plankit
out=${DEMO_DIR:-$root/demo-output}
mkdir -p "$out"
store=$out/kunshan.sqlite
# a second run starts afresh: what an earlier run wrote here goes first (the
# commands refuse to overwrite an existing output, as they should for a user)
rm -rf "$store" "$store-wal" "$store-shm" "$out/coverage-towns.csv" "$out/coverage-towns.geojson" \
    "$out/key-areas-by-town.gpkg" "$out/towns.geojson" "$out/kunshan.mbtiles" "$out/webmap" \
    "$out/kunshan-zones-raster.mbtiles" "$out/kunshan-zones-raster" "$out/kunshan-zones.pdf" \
    "$out/kunshan-coverage.pdf" "$out/kunshan-towns-atlas.pdf" "$out/map-zones.png" "$out/map-coverage.png"

echo "== plankit: $("$plankit" --version)"
echo "== creating $store from layers/kunshan.json"
"$plankit" -s "$store" init --with layers/kunshan.json
echo
echo "== layers"
"$plankit" -s "$store" layer list
echo
echo "== towns (区镇)"
"$plankit" -s "$store" layer info towns | grep -E '^(features|area_km2|measure_crs)'
echo
echo "== task coverage by town (city-wide tasks reported apart)"
"$plankit" -s "$store" coverage --by towns
"$plankit" -s "$store" coverage --by towns --format csv > "$out/coverage-towns.csv"
"$plankit" -s "$store" coverage --by towns --format geojson -q > "$out/coverage-towns.geojson"
echo
echo "== tasks in the Qingyanggang CBD (青阳港中央商务区)"
"$plankit" -s "$store" query tasks --in key_areas:QYG-CBD
if "$plankit" help overlay >/dev/null 2>&1; then
  echo
  echo "== key areas x towns (km² and share of each key area)"
  "$plankit" -s "$store" overlay intersection key_areas towns --summary
  "$plankit" -s "$store" overlay intersection key_areas towns -o key_areas_by_town -q
  "$plankit" -s "$store" layer export key_areas_by_town "$out/key-areas-by-town.gpkg"
fi
"$plankit" -s "$store" layer export towns "$out/towns.geojson" -q
"$plankit" -s "$store" check

cat <<MSG

Results in $out:
  kunshan.sqlite            the project store (SpatiaLite; open it in QGIS)
  coverage-towns.csv        task coverage per town
  coverage-towns.geojson    the same with town geometries
  towns.geojson             the 区镇 layer
$( [ -f "$out/key-areas-by-town.gpkg" ] && echo "  key-areas-by-town.gpkg    key areas split by town, with areas in m²")
Try: $build/plankit -s $store task show PZ-01
MSG

# The web map: Kunshan vector tiles with the task coverage of the towns, the
# tasks and the labels, and the preview page.
if "$plankit" help tiles >/dev/null 2>&1; then
  echo
  echo "== vector tiles and the web map"
  rm -rf "$out/kunshan.mbtiles" "$out/webmap"
  "$plankit" -s "$store" tiles vector -o "$out/kunshan.mbtiles" --minzoom 8 --maxzoom 14 \
    --coverage towns --tasks --labels
  "$plankit" tiles preview "$out/kunshan.mbtiles" -o "$out/webmap"
  cat <<MSG
  kunshan.mbtiles           vector tiles (zones, coverage of the towns, tasks, labels)
Web map: $build/plankit serve $out/kunshan.mbtiles --port 8080
  then open http://127.0.0.1:8080/ in a browser$( [ -d "$out/webmap" ] && echo " (or $out/webmap/index.html while it serves)")
MSG
fi

# Raster tiles of the zone map (styles/zones.json), drawn straight from the store.
if "$plankit" tiles raster --help >/dev/null 2>&1; then
  echo
  echo "== raster tiles of the zone map"
  rm -rf "$out/kunshan-zones-raster.mbtiles" "$out/kunshan-zones-raster"
  "$plankit" -s "$store" tiles raster --style styles/zones.json -o "$out/kunshan-zones-raster.mbtiles" \
    --minzoom 8 --maxzoom 14
  "$plankit" -s "$store" tiles raster --style styles/zones.json -o "$out/kunshan-zones-raster" \
    --minzoom 11 --maxzoom 11 -q
  cat <<MSG
Raster tiles of the zone map (styles/zones.json, PNG, 256 px):
  $out/kunshan-zones-raster.mbtiles   zooms 8-14 (MBTiles, format png)
  $out/kunshan-zones-raster/          zoom 11 as z/x/y.png files (open one in an image viewer)
MSG
fi

# Printed maps: the zone map (A3, the store's metric CRS), the coverage map and
# the town atlas (one page per 区镇, with the tasks touching it); the two PNGs
# are made as the README's pictures in docs/img/ were.
if "$plankit" help map >/dev/null 2>&1; then
  echo
  echo "== printed maps"
  "$plankit" -s "$store" map --style styles/zones.json --extent city --size A3 --landscape --crs EPSG:4549 \
    --title "昆山市 区镇与重点片区" --subtitle "Kunshan: towns, key areas and sci-tech zones" -o "$out/kunshan-zones.pdf"
  "$plankit" -s "$store" map --style styles/coverage.json --extent city --size A3 --landscape --crs EPSG:4549 \
    --title "昆山市 规划任务覆盖" --subtitle "share of each town's area covered by plan tasks" -o "$out/kunshan-coverage.pdf"
  "$plankit" -s "$store" map --style styles/zones.json --each towns --tasks --size A4 --landscape --crs EPSG:4549 \
    --title "昆山市 区镇图集" -o "$out/kunshan-towns-atlas.pdf"
  "$plankit" -s "$store" -q map --style styles/zones.json --extent city --size A4 --landscape --crs EPSG:4549 \
    --dpi 110 --title "昆山市 区镇与重点片区" -o "$out/map-zones.png"
  "$plankit" -s "$store" -q map --style styles/coverage.json --extent city --size A4 --landscape --crs EPSG:4549 \
    --dpi 110 --title "昆山市 规划任务覆盖" -o "$out/map-coverage.png"
  cat <<MSG
  kunshan-zones.pdf         the zone map, A3 (EPSG:4549)
  kunshan-coverage.pdf      the towns coloured by task coverage, A3
  kunshan-towns-atlas.pdf   one page per town, with the tasks touching it
  map-zones.png, map-coverage.png   the README's pictures (docs/img/), made again
MSG
fi
