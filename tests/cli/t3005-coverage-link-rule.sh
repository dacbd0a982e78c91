#!/usr/bin/env bash
# The coverage rule for links is documented and is what coverage does: a
# task linked to a whole town covers 100 % of it, whatever the role; a
# footprint covers only itself. (Docs side of issue 9's role item: counting
# located-in links as presence rather than area is the engine's to do.)
source "$(dirname "$0")/lib.sh"

pk coverage --help >"$WORK/help"
expect_grep "coverage --help states the rule for links" "Linked features count as covered in full, whatever the link's role" "$WORK/help"
expect_grep "... and what to do instead" "give it a footprint (task attach --geom) or link it" "$WORK/help"
pk task attach --help >"$WORK/help" 2>&1
expect_grep "task attach --help names the covers role and points to the rule" "covers (it covers the whole feature)" "$WORK/help"

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
pk task add T1 --title 落在周庄 -q
pk task attach T1 --to towns:周庄镇 -q
share() { pk coverage --by towns --format csv | python3 -c 'import csv, sys
print(["%.2f" % (100 * float(r["share"])) for r in csv.DictReader(sys.stdin) if r["name"] == sys.argv[1]][0])' "$1"; }
expect_eq "a located-in link covers the whole town, as documented" 100.00 "$(share 周庄镇)"
pk task detach T1 --all -q
pk task attach T1 --to towns:周庄镇 --role serves -q
expect_eq "... so does a serves link" 100.00 "$(share 周庄镇)"
pk task detach T1 --all -q
pk task attach T1 --geom 'POLYGON((120.85 31.10,120.86 31.10,120.86 31.11,120.85 31.11,120.85 31.10))' -q
s=$(share 周庄镇)
awk -v s="$s" 'BEGIN { exit !(s > 0 && s < 10) }' && ok "a footprint covers only itself ($s %)" || not_ok "footprint share $s"

finish
