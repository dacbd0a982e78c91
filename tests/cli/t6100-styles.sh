#!/usr/bin/env bash
# The MapLibre styles of styles/: valid for the style spec (gl-style-validate
# of @maplibre/maplibre-gl-style-spec, installed by scripts/setup.sh), one
# vector source `plankit` with the absolute {BASE} tile URL of the tile
# contract, and only what the Cairo renderer draws too: background, fill,
# line, circle and symbol layers, no glyph server, no sprite.
source "$(dirname "$0")/lib.sh"
validate=$PLANKIT_SOURCE_DIR/tests/js/node_modules/.bin/gl-style-validate
styles=("$PLANKIT_SOURCE_DIR"/styles/*.json)

expect_eq "the three styles are there" "coverage.json tasks.json zones.json" \
    "$(cd "$PLANKIT_SOURCE_DIR/styles" && echo *.json)"
for s in "${styles[@]}"; do
    if out=$(node "$validate" "$s" 2>&1) && [ -z "$out" ]; then ok "valid: $(basename "$s")"
    else not_ok "valid: $(basename "$s")"; echo "$out" | head -5 | sed 's/^/    /'; fi
done

# the validator does fail on a broken style (so the checks above can fail)
python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); s["layers"][1]["paint"]["fill-color"] = ["get"]; s["layers"][2]["type"] = "fil"; json.dump(s, open(sys.argv[2], "w"))' \
    "$PLANKIT_SOURCE_DIR/styles/zones.json" "$WORK/broken.json"
node "$validate" "$WORK/broken.json" >"$WORK/broken.out" 2>&1
expect_eq "a broken style is refused" "1" "$?"
expect_grep "the validator names the bad property" "fill-color" "$WORK/broken.out"

for s in "${styles[@]}"; do
    expect_eq "$(basename "$s"): one source plankit, tiles {BASE}/tiles/{z}/{x}/{y}.pbf, no glyphs nor sprite" \
        'plankit vector ["{BASE}/tiles/{z}/{x}/{y}.pbf"] None None' \
        "$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); (n, v), = s["sources"].items(); print(n, v["type"], json.dumps(v["tiles"]), s.get("glyphs"), s.get("sprite"))' "$s")"
    expect_eq "$(basename "$s"): only background, fill, line, circle and symbol layers, each in a group" "" \
        "$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); [print(l["id"]) for l in s["layers"] if l["type"] not in ("background", "fill", "line", "circle", "symbol") or "plankit:group" not in l.get("metadata", {})]' "$s")"
done
finish
