#!/usr/bin/env bash
# layer load --replace keeps task links on the same features: links follow
# the layer's key field (--key, or a unique code/id field by default), a
# replace that would lose links is refused (store unchanged) unless --force,
# and forced losses are written to each task's history.
source "$(dirname "$0")/lib.sh"

q() { sqlite3 "$PLANKIT_STORE" "$1"; }
# "task:name" of every link to the towns layer, through the current table
links() { q "SELECT group_concat(x, ' ') FROM (SELECT k.task_id || ':' || t.name AS x FROM pk_task_links k
             JOIN $(q "SELECT table_name FROM pk_layers WHERE name='towns'") t ON t.fid = k.fid
             WHERE k.layer_id = (SELECT id FROM pk_layers WHERE name='towns') ORDER BY x)"; }
towns() { # towns(OUT, PYTHON-EXPRESSION-ON-features): a variant of the towns file
    python3 - "$LAYERS/kunshan-towns.geojson" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
features = d["features"]
d["features"] = eval(sys.argv[3])
json.dump(d, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
}

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
expect_grep "the key defaults to the unique 'code' field" '^key,code$' <(pk layer info towns --format csv)
pk task add T1 --title one -q
pk task add T2 --title two -q
pk task attach T1 --to towns:周庄镇 -q
pk task attach T2 --to towns:昆山开发区 -q     # fid 1
pk task attach T2 --to towns:锦溪镇 -q         # fid 12
before=$(links)
expect_eq "the links" "T1:周庄镇 T2:昆山开发区 T2:锦溪镇" "$before"

# the issue's repro: the same towns in another order
towns reversed.geojson 'features[::-1]'
check "replace with the towns in reverse order" pk layer load reversed.geojson --name towns --replace
expect_eq "the fids did change (fid 1 is now 锦溪镇)" "锦溪镇" \
    "$(q "SELECT name FROM $(q "SELECT table_name FROM pk_layers WHERE name='towns'") WHERE fid=1")"
expect_eq "every link still names the same town" "$before" "$(links)"
expect_grep "task show T1 shows 周庄镇" 'towns:[0-9]* 周庄镇' <(pk task show T1)
grep -q "task link(s) kept by key 'code'" "$WORK/.err" && ok "the replace says the links were kept" || not_ok "no 'kept by key' line"
expect_eq "the replace is in the layer's history with the re-matched links" 1 \
    "$(q "SELECT count(*) FROM pk_history WHERE command='layer load' AND object_id='towns' AND new_value LIKE '%key code; 3 task link(s) re-matched, 0 removed'")"
check "the store passes check" pk check

# a town disappears: refused, nothing changes
towns no-zz.geojson '[f for f in features if f["properties"]["code"] != "ZZ"]'
expect_fail_unchanged "replace losing a linked town is refused" \
    "would remove 1 task link(s) whose feature (by key 'code') is gone or repeated: T1 -> towns:ZZ; give --force" \
    pk layer load no-zz.geojson --name towns --replace
expect_eq "... the links are as they were" "$before" "$(links)"
# duplicated key values cannot be matched either
towns dup.geojson 'features + [features[0]]'
expect_fail_unchanged "replace where a linked key repeats is refused" "T2 -> towns:KSKFQ" \
    pk layer load dup.geojson --name towns --replace
# the key field itself is gone
towns nocode.geojson '[dict(f, properties={k: v for k, v in f["properties"].items() if k != "code"}) for f in features]'
expect_fail_unchanged "replace with data lacking the key field is refused" "the new data lacks the layer's key field" \
    pk layer load nocode.geojson --name towns --replace
expect_fail_unchanged "--key must name a field" "--key nosuch: layer 'towns' has no field 'nosuch'" \
    pk layer load reversed.geojson --name towns --replace --key nosuch
expect_fail_unchanged "--key must be unique" "--key category: field 'category' is not a key of layer 'towns': 10 feature(s) repeat another's value or have none (e.g. 'development zone')" \
    pk layer load reversed.geojson --name towns --replace --key category
expect_fail_unchanged "--force only with --replace" "--force goes with --replace" \
    pk layer load no-zz.geojson --name other --force

# forced: the lost link goes to the history, the others stay
pk layer load no-zz.geojson --name towns --replace --force 2>"$WORK/err"
expect_eq "--force replaces" 0 $?
expect_grep "... warns about the removed link" "task 'T1': link to towns:ZZ (located-in) removed" "$WORK/err"
expect_eq "... T1 has no link left, T2 keeps both" "T2:昆山开发区 T2:锦溪镇" "$(links)"
expect_eq "... the removed link is in T1's history" "layer load --replace|link|towns:ZZ (located-in)" \
    "$(q "SELECT command, field, old_value FROM pk_history WHERE object_type='task' AND object_id='T1' AND command LIKE 'layer%'")"
check "the store passes check" pk check

# --key chosen at load, and a Chinese key field
towns zh.geojson '[dict(f, properties=dict(f["properties"], 编号="K" + f["properties"]["code"])) for f in features]'
pk layer load zh.geojson --name towns2 --key 编号 -q
expect_grep "--key 编号 is the key" '^key,编号$' <(pk layer info towns2 --format csv)
pk task attach T1 --to towns2:周庄镇 -q
expect_eq "the link carries the key value" "KZZ" "$(q "SELECT feature_key FROM pk_task_links WHERE task_id='T1' AND layer_id=(SELECT id FROM pk_layers WHERE name='towns2')")"

# an upgraded v1 store gets default keys
cp "$DATA/store-v1.sqlite" "$WORK/v1.sqlite"
expect_grep "a store from plankit 0.1 is upgraded with keys" '^key,code$' <(pk -s "$WORK/v1.sqlite" layer info key_areas --format csv)

finish
