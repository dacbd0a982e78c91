#!/usr/bin/env bash
# layer load options: default names, --name, --title, --kind, --where,
# --select, --layer, --append (new fids after the largest), --replace (same
# layer, new content), .gz sources.
source "$(dirname "$0")/lib.sh"

table() { sqlite3 "$PLANKIT_STORE" "SELECT table_name FROM pk_layers WHERE name='$1'"; }
reg() { sqlite3 "$PLANKIT_STORE" "SELECT $2 FROM pk_layers WHERE name='$1'"; }
columns() { sqlite3 "$PLANKIT_STORE" "SELECT group_concat(name, ',') FROM pragma_table_info('$(table "$1")')"; }

pk init -q --measure-crs EPSG:4549

# default name and kind: from the file stem and the geometry type
pk layer load "$LAYERS/kunshan-towns.geojson" >"$WORK/out" 2>"$WORK/err"
expect_eq "load exits 0" 0 $?
expect_eq "load writes nothing on stdout" "" "$(cat "$WORK/out")"
expect_eq "default name: the file stem" "kunshan-towns" "$(sqlite3 "$PLANKIT_STORE" "SELECT name FROM pk_layers")"
expect_eq "default title: the name" "kunshan-towns" "$(reg kunshan-towns title)"
expect_eq "default kind for polygons: zone" zone "$(reg kunshan-towns kind)"
expect_eq "the source is recorded" "$LAYERS/kunshan-towns.geojson" "$(reg kunshan-towns source)"
pk layer load "$LAYERS/kunshan-line11.geojson" -q
expect_eq "default kind for lines: line" line "$(reg kunshan-line11 kind)"
pk layer load "$LAYERS/kunshan-places.geojson" -q
expect_eq "default kind for points: point" point "$(reg kunshan-places kind)"
expect_eq "all fields kept by default" "fid,name,name_en,code,category,accuracy,geom" "$(columns kunshan-places)"
expect_eq "fields registered in order" "name:TEXT,name_en:TEXT,code:TEXT,category:TEXT,accuracy:TEXT" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT group_concat(f.name || ':' || f.type, ',') FROM pk_fields f JOIN pk_layers l ON l.id = f.layer_id WHERE l.name='kunshan-places' ORDER BY position")"

# --name (CJK), --title, --kind
pk layer load "$LAYERS/kunshan-towns.geojson" --name 区镇 --title "昆山市 区镇" --kind district -q
expect_eq "--name with CJK" 1 "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_layers WHERE name='区镇'")"
expect_eq "--title" "昆山市 区镇" "$(reg 区镇 title)"
expect_eq "--kind district" district "$(reg 区镇 kind)"
expect_grep "layer list shows the kind" "^区镇,district,MULTIPOLYGON" <(pk layer list --format csv)
pk layer info 区镇 --format csv >"$WORK/info.csv"
expect_grep "layer info shows the title" '^title,昆山市 区镇$' "$WORK/info.csv"
expect_grep "layer info shows the fields" '^field,code TEXT$' "$WORK/info.csv"
expect_grep "layer info shows the CRS" '^crs,EPSG:4326$' "$WORK/info.csv"

# --where
pk layer load "$LAYERS/kunshan-towns.geojson" --name zones --where "category = 'development zone'" -q
expect_eq "--where keeps the four zones" 4 "$(reg zones feature_count)"
expect_eq "... and only them" "HQ,KSGXQ,KSKFQ,LYDJQ" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT group_concat(code, ',') FROM (SELECT code FROM $(table zones) ORDER BY code)")"
pk layer load "$LAYERS/kunshan-towns.geojson" --name zs --where "name = '周市镇'" -q
expect_eq "--where on a Chinese name" 1 "$(reg zs feature_count)"

# --select
pk layer load "$LAYERS/kunshan-towns.geojson" --name slim --select "code, name" -q
expect_eq "--select keeps only those fields (source order)" "fid,name,code,geom" "$(columns slim)"
expect_eq "--select registers only those fields" 2 \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_fields WHERE layer_id=(SELECT id FROM pk_layers WHERE name='slim')")"
expect_eq "--select keeps every feature" 12 "$(reg slim feature_count)"

# --layer: one layer of a GeoPackage with two
ogr2ogr -f GPKG "$WORK/two.gpkg" "$LAYERS/kunshan-key-areas.geojson" -nln key_areas 2>/dev/null
ogr2ogr -f GPKG -update "$WORK/two.gpkg" "$LAYERS/kunshan-sci-zones.geojson" -nln sci_zones 2>/dev/null
pk layer load "$WORK/two.gpkg" --layer sci_zones -q
expect_eq "--layer picks the layer; default name: the source layer's" 2 "$(reg sci_zones feature_count)"
pk layer load "$WORK/two.gpkg" --layer key_areas --name 片区 -q
expect_eq "--layer with --name" 4 "$(reg 片区 feature_count)"

# a .gz source, read in place
gzip -c "$LAYERS/kunshan-places.geojson" >"$WORK/places.geojson.gz"
pk layer load "$WORK/places.geojson.gz" -q
expect_eq "a .geojson.gz loads, named after its stem" 15 "$(reg places feature_count)"

# --append: the features get new fids after the largest (the same towns
# under other codes: the layer's key, code, stays unique)
T=$(table 区镇)
python3 -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
for f in d["features"]: f["properties"]["code"] += "-2"
json.dump(d, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)' "$LAYERS/kunshan-towns.geojson" "$WORK/towns2.geojson"
pk layer load "$WORK/towns2.geojson" --name 区镇 --append >"$WORK/out" 2>"$WORK/err"
expect_eq "--append exits 0" 0 $?
expect_eq "--append adds the features" 24 "$(reg 区镇 feature_count)"
expect_eq "the registry count is the table's" 24 "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM $T")"
expect_eq "--append keeps the table" "$T" "$(table 区镇)"
expect_eq "appended fids follow the largest: 1..24, all distinct" "1 24 24" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT min(fid) || ' ' || max(fid) || ' ' || count(DISTINCT fid) FROM $T")"
expect_eq "the first features keep their fids" "昆山开发区 昆山开发区" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT (SELECT name FROM $T WHERE fid = 1) || ' ' || (SELECT name FROM $T WHERE fid = 13)")"
# after deleting the last feature, the next append still continues after the largest
sqlite3 "$PLANKIT_STORE" "DELETE FROM $T WHERE fid > 20; UPDATE pk_layers SET feature_count = 20 WHERE name = '区镇'"
pk layer load "$WORK/towns2.geojson" --name 区镇 --append --where "code = 'JX-2'" -q
expect_eq "an append after deletions takes the next fid" 21 \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT fid FROM $T WHERE code = 'JX-2' ORDER BY fid DESC LIMIT 1")"
# --append from a source with other fields: --select picks the layer's (t1014 has the refusals)
printf '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"新镇","code":"XZ","extra":1},"geometry":{"type":"Polygon","coordinates":[[[121,31.3],[121.01,31.3],[121.01,31.31],[121,31.3]]]}}]}\n' \
    >"$WORK/new.geojson"
pk layer load "$WORK/new.geojson" --name slim --append --select name,code -q
expect_eq "--append from a source with more fields, with --select" 13 "$(reg slim feature_count)"
expect_eq "... stores the selected ones" "13|新镇|XZ" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT fid, name, code FROM $(table slim) WHERE fid = 13")"
expect_eq "... and adds no column" "fid,name,code,geom" "$(columns slim)"
expect_eq "--append records history" 3 \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_history WHERE command = 'layer append' AND object_id IN ('区镇', 'slim')")"
expect_eq "--append to a missing layer creates it" 0 \
    "$(pk layer load "$LAYERS/kunshan-city.geojson" --name newone --append -q; echo $?)"
expect_eq "... with its features" 1 "$(reg newone feature_count)"

# --replace: same layer id, new content, old issues gone
id=$(reg 区镇 id)
pk layer load "$LAYERS/kunshan-city.geojson" --name 区镇 --replace --kind district -q
expect_eq "--replace replaces the features" 1 "$(reg 区镇 feature_count)"
expect_eq "--replace keeps the layer id" "$id" "$(reg 区镇 id)"
expect_eq "--replace: the table has the new rows only" "昆山市" "$(sqlite3 "$PLANKIT_STORE" "SELECT group_concat(name) FROM $(table 区镇)")"
expect_eq "--replace: the extent is the new one" "120.805664 31.107422" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT printf('%.6f %.6f', min_x, min_y) FROM pk_layers WHERE name='区镇'")"
pk layer load "$LAYERS/kunshan-places.geojson" --name zones --replace --select code -q
expect_eq "--replace with other fields and geometry" "fid,code,geom" "$(columns zones)"
expect_eq "... changes the kind to the new geometry's" point "$(reg zones kind)"
expect_eq "... and the geometry type" POINT "$(reg zones geometry_type)"
expect_eq "--replace of a missing layer creates it" 0 \
    "$(pk layer load "$LAYERS/kunshan-city.geojson" --name fresh --replace -q; echo $?)"

pk check >"$WORK/out" 2>"$WORK/err"
expect_eq "the store passes check" 0 $?
expect_eq "check reports nothing" "" "$(cat "$WORK/out")"
finish
