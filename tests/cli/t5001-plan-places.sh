#!/usr/bin/env bash
# Every place of the plan that can be mapped has its feature: the hand-kept list
# layers/kunshan-plan-places.tsv names each place as the plan writes it (checked
# against the plan text) and the layer and codes of its features; after
# `plankit init --with layers/kunshan.json` each of those features must be in
# the store, with an `accuracy`. The places layer holds only places the plan
# names, or features marked as context.
source "$(dirname "$0")/lib.sh"

PLAN=$SHARED_DIR/seed/kunshan-15th-five-year-plan-draft.txt
LIST=$LAYERS/kunshan-plan-places.tsv
pk init --with "$LAYERS/kunshan.json" -q
expect_eq "init --with kunshan.json" 0 $?

# layer|code|accuracy of every feature in the store (through plankit's registry)
for t in $(spatialite_sql "SELECT name || ':' || table_name FROM pk_layers"); do
    spatialite_sql "SELECT '${t%%:*}' || '|' || code || '|' || accuracy || '|' || name FROM ${t#*:}"
done >"$WORK/features"
expect_eq "the store holds features" 1 "$([ -s "$WORK/features" ] && echo 1)"

res=$(python3 - "$LIST" "$PLAN" "$WORK/features" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")
        if l.strip() and not l.startswith("#")]
header, rows = rows[0], rows[1:]
plan = open(sys.argv[2], encoding="utf-8").read()
feats = {}
for l in open(sys.argv[3], encoding="utf-8"):
    layer, code, acc, name = l.rstrip("\n").split("|", 3)
    feats[(layer, code)] = (acc, name)
bad = []
if header != ["name", "layer", "codes", "reading", "note"]:
    bad.append("header %s" % header)
if len(rows) < 35:
    bad.append("only %d places listed" % len(rows))
for r in rows:
    if len(r) != 5:
        bad.append("row %s: %d fields" % (r, len(r)))
        continue
    name, layer, codes, reading = r[:4]
    if name not in plan:
        bad.append("%s: not in the plan text" % name)
    if reading not in ("direct", "interpretation"):
        bad.append("%s: reading %r" % (name, reading))
    for c in codes.split(","):
        if (layer, c) not in feats:
            bad.append("%s: no feature %s:%s" % (name, layer, c))
        elif not feats[(layer, c)][0]:
            bad.append("%s: %s:%s has no accuracy" % (name, layer, c))
# the places layer: a feature not in the list is marked as context
listed = {(r[1], c) for r in rows for c in r[2].split(",")}
for (layer, code), (acc, name) in feats.items():
    if layer == "places" and (layer, code) not in listed and not acc.startswith("CONTEXT"):
        bad.append("places:%s (%s) is neither a place of the plan nor marked as context" % (code, name))
print("; ".join(bad))
PY
)
expect_eq "every place of the plan's list has its features, with an accuracy" "" "$res"

# the list cannot pass without its features: a store without the lakes fails it
pk layer drop water -q
for t in $(spatialite_sql "SELECT name || ':' || table_name FROM pk_layers"); do
    spatialite_sql "SELECT '${t%%:*}' || '|' || code FROM ${t#*:}"
done >"$WORK/features2"
missing=$(python3 - "$LIST" "$WORK/features2" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")
        if l.strip() and not l.startswith("#")][1:]
have = {tuple(l.rstrip("\n").split("|", 1)) for l in open(sys.argv[2], encoding="utf-8")}
print(",".join(sorted({r[0] for r in rows for c in r[2].split(",") if (r[1], c) not in have})))
PY
)
expect_eq "without the water layer, 阳澄湖 and 淀山湖 have no feature" "淀山湖,阳澄湖" "$missing"

# some places the issue named, by code, with the geometry a user expects
expect_eq "青阳港 is a watercourse (line), in English Qingyanggang" "LINESTRING|Qingyanggang" \
    "$(spatialite_sql "SELECT GeometryType(geom) || '|' || name_en FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='rivers'") WHERE code='QYG-R'")"
expect_eq "夏驾河 is a line, not a point" "LINESTRING" \
    "$(spatialite_sql "SELECT GeometryType(geom) FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='rivers'") WHERE code='XJH'")"
expect_eq "no English name says Qingyang Port" "" "$(grep -l 'Qingyang Port' "$LAYERS"/*.geojson "$LAYERS"/kunshan-tasks.json)"
pa=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='plan_areas'")
city=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='city'")
expect_eq "the 北向拓展带 feature is the whole city" 1 \
    "$(spatialite_sql "SELECT ST_Equals(p.geom, c.geom) FROM $pa p, $city c WHERE p.code='HQ-NORTH'")"
expect_near "嘉昆太 is 嘉定 + 昆山 + 太仓 (km², EPSG:4549)" \
    "$(spatialite_sql "SELECT ST_Area(ST_Transform(ST_Union(geom), 4549)) / 1e6 FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='region'") WHERE code IN ('JD','KS','TC')")" \
    "$(spatialite_sql "SELECT ST_Area(ST_Transform(geom, 4549)) / 1e6 FROM $pa WHERE code='JKT'")" 0.001
expect_eq "综保区 is an area" "MULTIPOLYGON" "$(spatialite_sql "SELECT GeometryType(geom) FROM $pa WHERE code='KS-CBZ'")"
# the misplacements of the issue: 花桥博览中心站 in 花桥
towns=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='towns'")
st=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='metro_stations'")
expect_eq "花桥博览中心站 lies in 花桥 (towns HQ), 菉葭站 in 陆家" "HQ LJ" \
    "$(spatialite_sql "SELECT w.code FROM $st s, $towns w WHERE s.name='花桥博览中心站' AND ST_Contains(w.geom, s.geom)") $(spatialite_sql "SELECT w.code FROM $st s, $towns w WHERE s.name='菉葭站' AND ST_Contains(w.geom, s.geom)")"
ka=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='key_areas'")
expect_grep "the 正仪 area says where it falls and why" "旅游度假区" <(spatialite_sql "SELECT accuracy FROM $ka WHERE code='ZY-OPERA'")
finish
