#!/usr/bin/env bash
# Two plankit processes attaching tasks to one store at the same time both
# succeed and nothing is lost: every link, footprint and history row of both
# is there afterwards, and the store is consistent.
source "$(dirname "$0")/lib.sh"

pk init --crs EPSG:4549 --measure-crs EPSG:4549 -q 2>/dev/null
python3 - "$WORK/pts.geojson" <<'EOF'
import json, sys
feats = [{"type": "Feature", "properties": {"name": "P%02d" % i, "code": "C%02d" % i},
          "geometry": {"type": "Point", "coordinates": [600000 + 10 * i, 3430000]}} for i in range(1, 61)]
json.dump({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}},
           "features": feats}, open(sys.argv[1], "w"))
EOF
check "load 60 points" pk layer load "$WORK/pts.geojson" --name pts -q
pk task add A --title "task A" -q
pk task add B --title "task B" -q
pk task add F --title "footprints" -q

# loop TASK FIRST LAST: attach TASK to P<FIRST>..P<LAST>, one process each; failures to a file
loop() {
    local i
    for i in $(seq -f %02g "$2" "$3"); do
        pk task attach "$1" --to "pts:P$i" -q 2>>"$WORK/fail-$1" || echo "attach $1 P$i failed" >>"$WORK/fail-$1"
    done
}
# footprints FIRST LAST: attach a square footprint to F, one process each
footprints() {
    local i
    for i in $(seq "$1" "$2"); do
        pk task attach F --geom "POLYGON(($((600000 + 100 * i)) 3431000,$((600050 + 100 * i)) 3431000,$((600050 + 100 * i)) 3431050,$((600000 + 100 * i)) 3431050,$((600000 + 100 * i)) 3431000))" \
            --label "fp$i" -q 2>>"$WORK/fail-F$1" || echo "footprint $i failed" >>"$WORK/fail-F$1"
    done
}
loop A 1 30 &
p1=$!
loop B 31 60 &
p2=$!
footprints 1 15 &
p3=$!
footprints 16 30 &
p4=$!
wait $p1 $p2 $p3 $p4

expect_eq "no attach failed" "" "$(cat "$WORK"/fail-* 2>/dev/null)"
expect_eq "60 links after 2 x 30 concurrent attaches" 60 "$(spatialite_sql "SELECT count(*) FROM pk_task_links")"
expect_eq "30 for each task, to the right features" "A:30:1:30 B:30:31:60" \
    "$(spatialite_sql "SELECT task_id || ':' || count(*) || ':' || min(fid) || ':' || max(fid) FROM pk_task_links GROUP BY task_id ORDER BY task_id" | paste -sd' ')"
expect_eq "30 footprints after 2 x 15 concurrent attaches, none lost" "30 30" \
    "$(spatialite_sql "SELECT count(*) || ' ' || count(DISTINCT label) FROM pk_task_footprints WHERE task_id='F'")"
expect_eq "every attach is in the history" 90 \
    "$(spatialite_sql "SELECT count(*) FROM pk_history WHERE command='task attach'")"
expect_eq "task list counts them" "A:30 B:30 F:30" \
    "$(pk task list --format csv | python3 -c 'import csv, sys; print(" ".join(r["id"] + ":" + r["links"] for r in csv.DictReader(sys.stdin)))')"
expect_eq "the spatial index of the footprints has them all" 30 \
    "$(spatialite_sql "SELECT count(*) FROM idx_pk_task_footprints_geom")"
check "the store passes check" pk check
expect_eq "SQLite integrity" ok "$(spatialite_sql "PRAGMA integrity_check")"
finish
