#!/usr/bin/env bash
# Chinese field names work for names and keys: 名称 is found as the name
# field (or --name-field), 编码/行政区划代码 as the key, so task attach --to
# cn:昆山高新区 resolves and task show names the feature. Shapefile export cuts
# field names on UTF-8 character boundaries and writes a .cpg.
source "$(dirname "$0")/lib.sh"

info() { pk layer info "$1" --format csv | grep "^$2," | cut -d, -f2; }
python3 - "$LAYERS/kunshan-towns.geojson" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
for f in d["features"]:
    p = f["properties"]
    f["properties"] = {"名称": p["name"], "行政区划代码": "3205830" + p["code"], "类别": p["category"],
                       "行政区划名称": p["name"]}
json.dump(d, open("cn.geojson", "w", encoding="utf-8"), ensure_ascii=False)
for f in d["features"]:
    f["properties"] = {"MC": f["properties"]["名称"], "DM": f["properties"]["行政区划代码"]}
json.dump(d, open("mc.geojson", "w", encoding="utf-8"), ensure_ascii=False)
PY
pk init -q --measure-crs EPSG:4549
pk layer load cn.geojson --name cn -q
expect_eq "名称 is the name field by default" 名称 "$(info cn name_field)"
expect_eq "行政区划代码 is the key by default" 行政区划代码 "$(info cn key)"
pk task add T1 --title 高新区任务 -q
check "task attach --to cn:昆山高新区 resolves by 名称" pk task attach T1 --to cn:昆山高新区 -q
expect_grep "task show names the feature" 'cn:[0-9]* 昆山高新区 (located-in)' <(pk task show T1)
check "... and by the key" pk task attach T1 --to cn:3205830ZZ --role serves -q
expect_grep "... 周庄镇" 'cn:[0-9]* 周庄镇 (serves)' <(pk task show T1)
pk layer load mc.geojson --name mc -q
expect_eq "MC (any case) is a name field too" MC "$(info mc name_field)"
check "task attach --to mc:昆山高新区" pk task attach T1 --to mc:昆山高新区 -q
pk layer load cn.geojson --name by_type --name-field 类别 -q
expect_eq "--name-field 类别" 类别 "$(info by_type name_field)"
expect_fail_unchanged "--name-field must be a field of the source" "--name-field: no field 'nosuch' in the source" \
    pk layer load cn.geojson --name x --name-field nosuch
expect_fail_unchanged "an ambiguous name lists the matches" "feature 'development zone' matches 4 features of layer 'by_type': fid 1 (3205830KSKFQ)" \
    pk task attach T1 --to "by_type:development zone"

# shapefile export: names cut on character boundaries, unique, .cpg written
pk layer export cn "$WORK/cn.shp" -q 2>"$WORK/err"
expect_eq "the .cpg says UTF-8" UTF-8 "$(tr -d '\r\n' <"$WORK/cn.cpg")"
fields=$(ogrinfo -so "$WORK/cn.shp" cn 2>/dev/null | grep -E '^[^ ]+: (String|Integer|Real)' | cut -d: -f1 | paste -sd,)
expect_eq "the field names are whole characters, unique" "名称,行政区,类别,行政_1" "$fields"
if printf '%s' "$fields" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then ok "... valid UTF-8"; else not_ok "... broken UTF-8"; fi
expect_eq "no GDAL laundering warning" "" "$(grep -c 'laundered' "$WORK/err" | grep -v '^0$')"
expect_eq "the values come along" "昆山高新区" \
    "$(ogrinfo -q "$WORK/cn.shp" cn -where "\"行政区\" = '3205830KSGXQ'" 2>/dev/null | grep '名称 (String)' | sed 's/.*= //')"
check "the store passes check" pk check

finish
