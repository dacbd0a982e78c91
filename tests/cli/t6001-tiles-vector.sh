#!/usr/bin/env bash
# plankit tiles vector on the bundled Kunshan layers, read back by
# independent decoders: GDAL's MBTiles/MVT drivers (feature counts per layer
# at z0 against the store, fields against the registry, coverage numbers
# against `plankit coverage`, the tasks and labels layers against SQL) and
# node (@mapbox/vector-tile, pmtiles: every tile of the folder and the
# PMTiles archive decoded, ids, keys, ring structure; tests/js/check_tileset.mjs).
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q
layers=$(spatialite_sql "SELECT name FROM pk_layers ORDER BY id")
tbl() { spatialite_sql "SELECT table_name FROM pk_layers WHERE name='$1'"; }
gtype() { spatialite_sql "SELECT upper(geometry_type) FROM pk_layers WHERE name='$1'"; }

for out in k.mbtiles k.pmtiles kdir; do
    check "tiles vector -o $out" pk tiles vector -o $out --minzoom 0 --maxzoom 11 --coverage towns --tasks --labels -q
done
expect_eq "nothing printed with -q" "" "$(cat "$WORK/.err")"

# z0 features per layer, as GDAL's MBTiles driver reads them
z0_count() { ogrinfo -ro -q k.mbtiles -oo ZOOM_LEVEL=0 "$1" 2>/dev/null | grep -c '^OGRFeature'; }
npoly=0
echo '{"minzoom": 0, "maxzoom": 11, "layers": {' >expected.json
for l in $layers; do
    n=$(spatialite_sql "SELECT count(*) FROM $(tbl $l) WHERE geom IS NOT NULL")
    fields=$(spatialite_sql "SELECT group_concat('\"' || name || '\"') FROM (SELECT name FROM pk_fields WHERE layer_id=(SELECT id FROM pk_layers WHERE name='$l') ORDER BY position)")
    [ "$l" = towns ] && fields="$fields,\"tasks\",\"task_ids\",\"share\""
    case $(gtype $l) in
    *POLYGON*) npoly=$((npoly + n))
        expect_eq "z0 tile holds every feature of polygon layer $l" "$n" "$(z0_count $l)"
        echo "\"$l\": {\"z0\": $n, \"fields\": [$fields]}," >>expected.json ;;
    *POINT*)
        expect_eq "z0 tile holds every feature of point layer $l" "$n" "$(z0_count $l)"
        echo "\"$l\": {\"z0\": $n, \"fields\": [$fields]}," >>expected.json ;;
    *) echo "\"$l\": {\"fields\": [$fields]}," >>expected.json ;;
    esac
    # the fields GDAL sees are the registry's
    want=$(spatialite_sql "SELECT name FROM pk_fields WHERE layer_id=(SELECT id FROM pk_layers WHERE name='$l')" | sort | tr '\n' ' ')
    [ "$l" = towns ] && want=$(printf '%s\n' $want share task_ids tasks | sort | tr '\n' ' ')
    got=$(ogrinfo -ro -so k.mbtiles -oo ZOOM_LEVEL=11 "$l" 2>/dev/null | sed -n 's/^\([^ :]*\): \(String\|Integer\|Integer64\|Real\) .*/\1/p' | grep -v '^mvt_id$' | sort | tr '\n' ' ')
    expect_eq "fields of $l" "$want" "$got"
done
echo '"tasks": {"fields": ["id","title","pillar","status","progress","kind","layer"]},' >>expected.json
echo '"labels": {"z0": '$npoly', "fields": ["layer","fid","name"]}}}' >>expected.json
expect_eq "one label per polygon feature" "$npoly" "$(z0_count labels)"

# coverage fields: the numbers plankit coverage gives
pk coverage --by towns --format csv >cov.csv
want=$(awk -F, 'NR > 1 && $1 != "" { s += $3 } END { print s }' cov.csv)
got=$(ogrinfo -ro -q k.mbtiles -oo ZOOM_LEVEL=0 towns 2>/dev/null | awk '/^  tasks \(/ { s += $4 } END { print s }')
expect_eq "towns' tasks counts sum to coverage's" "$want" "$got"
share_sql=$(awk -F, 'NR > 1 && $1 != ""' cov.csv | wc -l)
expect_eq "every town with an area has a share" "$share_sql" \
    "$(ogrinfo -ro -q k.mbtiles -oo ZOOM_LEVEL=0 towns 2>/dev/null | grep -c '^  share (Real)')"

# tasks layer: one feature per (task, linked feature) and per footprint
want=$(spatialite_sql "SELECT (SELECT count(*) FROM pk_task_footprints) + (SELECT count(*) FROM (SELECT DISTINCT task_id, layer_id, fid FROM pk_task_links))")
got=$(ogrinfo -ro -q k.mbtiles -oo ZOOM_LEVEL=0 tasks 2>/dev/null | grep -c '^OGRFeature')
expect_eq "tasks layer at z0: one feature per link and footprint" "$want" "$got"
expect_grep "a task feature has its status" "status (String) = \(planned\|in_progress\|done\|delayed\)" \
    <(ogrinfo -ro -q k.mbtiles -oo ZOOM_LEVEL=0 tasks 2>/dev/null)
expect_grep "Chinese names come through" "name (String) = 昆山市" <(ogrinfo -ro -q k.mbtiles -oo ZOOM_LEVEL=0 labels 2>/dev/null)

check "metadata: vector_layers of every layer" sh -c \
    "sqlite3 k.mbtiles \"SELECT value FROM metadata WHERE name='json'\" | grep -q '\"id\":\"labels\"'"

check "node decodes every tile of the folder and the PMTiles archive" \
    node "$PLANKIT_SOURCE_DIR/tests/js/check_tileset.mjs" kdir k.pmtiles expected.json
sed 's/^/    /' "$WORK/.out"

# --fields keeps only the fields named; --bbox only the tiles meeting it
check "--fields and --bbox" pk tiles vector towns -o f.mbtiles --minzoom 10 --maxzoom 10 --fields towns:name,code \
    --bbox 120.9,31.3,121.0,31.4 -q
expect_eq "only name and code" "code name" "$(ogrinfo -ro -so f.mbtiles towns 2>/dev/null |
    sed -n 's/^\([^ :]*\): \(String\|Integer\|Integer64\|Real\) .*/\1/p' | grep -v '^mvt_id$' | sort | tr '\n' ' ' | sed 's/ $//')"
# z10 tiles meeting 120.9..121.0 E, 31.3..31.4 N: x = (lon + 180) / 360 * 1024 = 855.9..856.2,
# y = (1 - ln(tan φ + sec φ) / π) / 2 * 1024 = 418.2..417.7
expect_eq "only the tiles meeting the bbox" "855|417 855|418 856|417 856|418" \
    "$(sqlite3 f.mbtiles "SELECT tile_column || '|' || ((1 << 10) - 1 - tile_row) FROM tiles ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
finish
