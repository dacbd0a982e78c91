#!/usr/bin/env bash
# t6110-map.sh — printed maps (`plankit map`) of the bundled Kunshan store:
# the zone map, the coverage map, one task and the town atlas in PDF, SVG and
# PNG. Page size and count with pdfinfo, fonts embedded with pdffonts, the
# title, every legend entry and the zone labels with pdftotext (and in the
# SVG's text layer); the coverage
# labels against `plankit coverage`; PNGs against small reference images
# (tests/data/map-ref, SSIM, never bytes); the scale bar against the geodesic
# distance between two Line 11 stations (PROJ's cs2cs and geod, not plankit)
# and its drawn pixels; bad input: one error line and no file left behind.
# Reference images: made with the commands below (ref_png) at 72 dpi; remake
# them the same way when the map's look changes on purpose, and look at them.
. "$(dirname "$0")/lib.sh"
: "${MAP_PNG:?set MAP_PNG to the map_png test tool}"
STYLES=$PLANKIT_SOURCE_DIR/styles
REF=$DATA/map-ref
# cairo 1.16 leaks an array when it finishes a PDF: the suppression
# (tests/lsan.supp) names cairo_surface_finish, which only a full unwind shows
# (slow: about 5x). The atlas PDF runs without leak checks instead: the same
# pages are drawn, leak-checked, into PNG and SVG files below.
pdf_env() { ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0" "$@"; }
pdf_noleak() { ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$@"; }

check "init the Kunshan store" pk -q init --with "$LAYERS/kunshan.json"
DATE=2026-01-01

# --- the zone map: A3 landscape, the store's metric CRS
pdf_env pk -q map --style "$STYLES/zones.json" --extent city --size A3 --landscape --crs EPSG:4549 \
    --title "昆山市 区镇与重点片区" --date $DATE -o zones.pdf --format json >zones.json 2>zones.err
expect_eq "zone map: written" "0" "$?"
expect_grep "zone map: one page" "^Pages: *1$" <(pdfinfo zones.pdf)
expect_grep "zone map: A3 landscape" "^Page size: *1190.55 x 841.89 pts (A3)" <(pdfinfo zones.pdf)
pdffonts zones.pdf | tail -n +3 >fonts.txt
expect_grep "zone map: the CJK font is in the PDF" "NotoSansCJK" fonts.txt
expect_eq "zone map: every font embedded" "0" "$(awk '$(NF-4) != "yes"' fonts.txt | wc -l)"
pdftotext zones.pdf zones.txt
squash() { tr -d ' \n' <"$1"; }
squash zones.txt >zones.sq
for text in 昆山市区镇与重点片区 青阳港中央商务区 阳澄湖临沪科创区 淀山湖镇 环淀山湖科创湖区 巴城镇 \
    "湖泊lakes" "河道rivers" "规划范围planareas" "区镇towns·developmentzone" "区镇towns·town" \
    "“4+2+N”keyareas(重点片区)" "昆山市cityboundary" "苏州轨道交通11号线stationsin昆山市" \
    "标注labels:key_areas,sci_zones" "10km" "EPSG:4549" "$DATE"; do
    expect_grep "zone map text: $text" "$text" zones.sq
done
# every entry the legend reports is on the page
python3 -c 'import json,sys; [print(e.replace(" ", "")) for e in json.load(open(sys.argv[1]))["legend"]]' \
    zones.json >legend.txt
expect_eq "zone map: 15 or more legend entries" "1" "$(awk 'END { print (NR >= 15) }' legend.txt)"
missing=0
while IFS= read -r entry; do grep -qF -- "$entry" zones.sq || { missing=$((missing + 1)); echo "    missing: $entry"; }
done <legend.txt
expect_eq "zone map: every legend entry is printed" "0" "$missing"

# --- the scale bar against two known points: 阳澄湖东站 and 顺帆北路站 (Line 11)
json() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, v))' "$@"; }
scale_check() { # JSON CRS TOLERANCE
    local xy dist
    xy=$(printf '31.379 120.842\n31.378 121.007\n' | cs2cs -f %.4f EPSG:4326 "$2" | awk '{ print $1, $2 }' | tr '\n' ' ')
    dist=$(echo "31.379 120.842 31.378 121.007" | geod +ellps=WGS84 -I +units=m -f %.3f | awk '{ print $3 }')
    local paper_mm bar
    paper_mm=$(json "$1" "((($(echo $xy | awk '{print $3-$1}'))**2 + ($(echo $xy | awk '{print $4-$2}'))**2)**0.5) \
        * frame_mm[2] / (bbox[2] - bbox[0])")
    bar=$(json "$1" "scalebar_m / scalebar_mm")
    expect_near "scale bar in $2: metres per mm against the stations' distance ($dist m)" \
        "$(awk -v d="$dist" -v p="$paper_mm" 'BEGIN { print d / p }')" "$bar" "$3"
    expect_eq "scale bar in $2: a round length" "1" \
        "$(json "$1" "int(round(scalebar_m / 10 ** int(__import__('math').floor(__import__('math').log10(scalebar_m)))) in (1, 2, 5))")"
}
scale_check zones.json EPSG:4549 0.003
# grid north: EPSG:4549's central meridian is 120°E, so true north leans west at 121°E
expect_near "zone map: north arrow turned by the meridian convergence" "-0.52" "$(json zones.json north_deg)" 0.05

# --- the same map as SVG and PNG
pk -q map --style "$STYLES/zones.json" --extent city --size A3 --landscape --crs EPSG:4549 \
    --title "昆山市 区镇与重点片区" --date $DATE -o zones.svg
expect_grep "zone map SVG: an A3 page in points" '<svg[^>]*width="1190.55[0-9]*pt" height="841.88[0-9]*pt"' zones.svg
python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' zones.svg
expect_eq "zone map SVG: well-formed XML" "0" "$?"
# Cairo draws glyph outlines; the text layer makes the SVG's text real
for text in 昆山市\ 区镇与重点片区 青阳港中央商务区 阳澄湖临沪科创区 淀山湖镇 "湖泊 lakes" "10 km"; do
    expect_grep "zone map SVG text: $text" "<text [^>]*>$text</text>" zones.svg
done
pk -q map --style "$STYLES/zones.json" --extent city --size A3 --landscape --crs metric --dpi 100 \
    --title "昆山市 区镇与重点片区" --date $DATE -o zones.png --format json >zones-png.json
expect_eq "zone map PNG: --crs metric is the store's EPSG:4549" "4549" "$(json zones-png.json srid)"
expect_eq "zone map PNG: A3 at 100 dpi" "1654 1169" "$("$MAP_PNG" size zones.png)"
# the bar as drawn: its dark ends on the row through its middle
row=$(json zones-png.json "round((frame_mm[1] + frame_mm[3] - 4.8) * 100 / 25.4)")
x0=$(json zones-png.json "round((frame_mm[0] + 3) * 100 / 25.4)")
x1=$(json zones-png.json "round((frame_mm[0] + 7 + scalebar_mm) * 100 / 25.4)")
read -r first last <<<"$("$MAP_PNG" darkrun zones.png "$row" "$x0" "$x1")"
expect_near "zone map PNG: the drawn scale bar is as long as reported" \
    "$(json zones-png.json "scalebar_mm * 100 / 25.4")" "$((last - first + 1))" 0.015
scale_check zones-png.json EPSG:4549 0.003

# --- PNGs against the reference images (small pages, 72 dpi)
ref_png() { # STYLE OUT [options]
    local style=$1 out=$2; shift 2
    pk -q map --style "$STYLES/$style" --extent city --size 160x113mm --dpi 72 --date $DATE \
        --source "plankit test" -o "$out" "$@"
}
ref_png zones.json zones-small.png --crs EPSG:4549 --title "昆山市 区镇与重点片区"
ref_png coverage.json coverage-small.png --title "昆山市 任务覆盖"
for m in zones coverage; do
    s=$("$MAP_PNG" ssim "$m-small.png" "$REF/$m.png")
    expect_eq "$m map PNG looks like the reference (SSIM $s >= 0.97)" "1" "$(awk -v s="$s" 'BEGIN { print (s >= 0.97) }')"
done
s=$("$MAP_PNG" ssim zones-small.png "$REF/coverage.png")
expect_eq "the comparison tells two maps apart (SSIM $s < 0.9)" "1" "$(awk -v s="$s" 'BEGIN { print (s < 0.9) }')"

# --- the coverage map: numbers as `plankit coverage` prints them, a class legend
pdf_env pk -q map --style "$STYLES/coverage.json" --extent city --title "昆山市 任务覆盖" --date $DATE \
    -o coverage.pdf --format json >coverage.json
pdftotext coverage.pdf - | tr -d ' ' >coverage.txt
squash coverage.txt >coverage.sq
scale_check coverage.json EPSG:3857 0.005
expect_near "coverage map: Web Mercator's north is up" "1" "$(json coverage.json "north_deg + 1")" 0.0001
pk coverage --by towns --format csv >cov.csv
python3 - cov.csv >expected-labels.txt <<'EOF'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["fid"]:
        print(r["name"] + r["tasks"] + "项任务")
EOF
expect_eq "coverage: 12 towns reported" "12" "$(wc -l <expected-labels.txt)"
missing=0
while IFS= read -r label; do grep -qF -- "$label" coverage.sq || { missing=$((missing + 1)); echo "    missing: $label"; }
done <expected-labels.txt
expect_eq "coverage map: each town's label has the task count plankit coverage gives" "0" "$missing"
for text in "覆盖coverage·0%–25%" "覆盖coverage·100%" "昆山市任务覆盖"; do
    expect_grep "coverage map text: $text" "$text" coverage.sq
done
for f in svg png; do
    pk -q map --style "$STYLES/coverage.json" --extent city --dpi 100 --date $DATE -o "coverage.$f"
    expect_eq "coverage map $f written" "0" "$?"
done
expect_eq "coverage map PNG: A4 portrait at 100 dpi" "827 1169" "$("$MAP_PNG" size coverage.png)"

# --- one task: its zones highlighted and its title printed
title=$(pk task show KF-01 --format csv | awk -F, '$1 == "title" { print substr($0, 7) }')
for f in pdf svg png; do
    run=; [ $f = pdf ] && run=pdf_env
    $run pk -q map --style "$STYLES/tasks.json" --task KF-01 --size A4 --landscape --dpi 100 --date $DATE \
        -o "task.$f" --format json >"task-$f.json"
    expect_eq "task map $f written" "0" "$?"
done
pdftotext task.pdf - | tr -d ' \n' >task.sq
expect_grep "task map: the task's id" "任务TaskKF-01" task.sq
[ -n "$title" ] && expect_grep "task map: the task's title" "$(echo "$title" | tr -d ' ')" task.sq
expect_grep "task map: the highlight in the legend" "任务task:zonesandfootprints" task.sq

# --- the town atlas: one page per town, with the tasks touching it
pdf_noleak pk -q map --style "$STYLES/zones.json" --each towns --tasks --size A4 --landscape --date $DATE \
    -o atlas.pdf --format json >atlas.json
expect_grep "atlas: 12 pages" "^Pages: *12$" <(pdfinfo atlas.pdf)
expect_grep "atlas: A4 landscape" "^Page size: *841.89 x 595.2[0-9]* pts (A4)" <(pdfinfo atlas.pdf)
n=$(pk query tasks --in "towns:张浦镇" --format csv | tail -n +2 | wc -l)
found=0
for p in $(seq 1 12); do
    pdftotext -f "$p" -l "$p" atlas.pdf - | tr -d ' \n' >page.sq
    if head -c 200 page.sq | grep -q "^张浦镇"; then
        found=1
        expect_grep "atlas: 张浦镇's page lists its $n tasks" "相关任务Tasks($n)" page.sq
        expect_grep "atlas: neighbours in the legend" "相邻neighbours" page.sq
    fi
done
expect_eq "atlas: a page titled 张浦镇" "1" "$found"
pk -q map --style "$STYLES/zones.json" --each towns --tasks --size 200x150mm --dpi 60 --date $DATE -o "atlas-{name}.png"
expect_eq "atlas PNG: one file per town" "12" "$(ls atlas-*.png | wc -l)"
expect_eq "atlas PNG: named after the town" "1" "$(ls atlas-周庄镇.png 2>/dev/null | wc -l)"
pk -q map --style "$STYLES/zones.json" --each towns --size 200x150mm --date $DATE -o "atlas-{name}.svg"
expect_eq "atlas SVG: one file per town" "12" "$(ls atlas-*.svg | wc -l)"
expect_grep "atlas SVG: 周庄镇's page is titled with it" ">周庄镇</text>" atlas-周庄镇.svg

# --- bad input: one error line, nothing written
mkdir bad && cd bad || exit 1
z=$STYLES/zones.json
expect_fail_unchanged "unknown style file" "nope.json" pk map --style nope.json --extent city -o m.pdf
printf '{"version": 8, "layers": [' >broken.json
expect_fail_unchanged "a style that is not JSON" "broken.json: not JSON" pk map --style broken.json -o m.pdf
expect_fail_unchanged "an extent that matches no feature" "no feature '不存在镇'" \
    pk map --style "$z" --extent "towns:不存在镇" -o m.pdf
expect_fail_unchanged "an extent naming no layer" "nosuchlayer" pk map --style "$z" --extent nosuchlayer -o m.pdf
expect_fail_unchanged "a box where the style draws nothing" "meets no feature" \
    pk map --style "$z" --bbox 150,-40,151,-39 -o m.pdf
expect_fail_unchanged "an unparseable page size" "page size 'B5x'" pk map --style "$z" --size B5x -o m.pdf
expect_fail_unchanged "an unsupported extension" "unsupported output format '.tiff'" pk map --style "$z" -o m.tiff
expect_fail_unchanged "DPI 0" "--dpi '0'" pk map --style "$z" --dpi 0 -o m.png
expect_fail_unchanged "DPI 100000" "--dpi '100000'" pk map --style "$z" --dpi 100000 -o m.png
expect_fail_unchanged "a PNG too large" "too large" pk map --style "$z" --size A0 --dpi 2400 -o m.png
expect_fail_unchanged "an unknown task" "task 'NO-SUCH'" pk map --style "$z" --task NO-SUCH -o m.pdf
expect_fail_unchanged "an atlas into one PNG" "{name}" pk map --style "$z" --each towns -o m.png
expect_fail_unchanged "an unknown CRS" "EPSG:99999" pk map --style "$z" --crs EPSG:99999 -o m.pdf
expect_eq "no file or temporary file left" "broken.json" "$(ls -A)"
cd ..

# --- help
pk map --help >help.txt
expect_grep "help: the example" "plankit map --style styles/zones.json" help.txt
expect_grep "help: every option" "--no-scalebar" help.txt
finish
