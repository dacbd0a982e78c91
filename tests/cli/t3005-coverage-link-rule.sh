#!/usr/bin/env bash
# The coverage rule for links, documented in coverage --help, is what the
# engine does: a task located in a whole town (located-in on a district
# layer, or serves, affects) counts for the town but covers none of it, and
# query tasks says so with the link's role; a covers link covers the town
# whole; a located-in link to a zone covers what the zone overlaps; a
# footprint covers only itself; a city-wide task's link covers its feature.
source "$(dirname "$0")/lib.sh"

pk coverage --help >"$WORK/help"
expect_grep "coverage --help states what covers area" "What covers area: a task's footprints" "$WORK/help"
expect_grep "... and what a located-in link to a town does" "counts for that town (tasks, task_ids) but covers none of its" "$WORK/help"
expect_grep "... and how to count a town whole" "link the task to it with --role covers" "$WORK/help"
pk task attach --help >"$WORK/help" 2>&1
expect_grep "task attach --help names the covers role" "covers (it covers the whole feature)" "$WORK/help"

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns --kind district -q
pk layer load "$LAYERS/kunshan-demo-zone.geojson" --name demo_zone --kind zone -q
pk task add T1 --title 落在周庄 -q
# cov TOWN: "tasks|share %" of a town in coverage --by towns
cov() { pk coverage --by towns "${@:2}" --format csv | python3 -c 'import csv, sys
print(["%s|%.2f" % (r["task_ids"], 100 * float(r["share"])) for r in csv.DictReader(sys.stdin) if r["name"] == sys.argv[1]][0])' "$1"; }
via() { pk query tasks --in "towns:$1" --format csv | python3 -c 'import csv, sys
print(["%s|%s|%.2f" % (r["id"], r["via"], 100 * float(r["share"])) for r in csv.DictReader(sys.stdin)][0])'; }

pk task attach T1 --to towns:周庄镇 -q
expect_eq "a located-in link to a town: the task counts for it, covering nothing" "T1|0.00" "$(cov 周庄镇)"
expect_eq "... query tasks names the link's role, share 0" "T1|towns:周庄镇 (located-in)|0.00" "$(via 周庄镇)"
pk task detach T1 --all -q
pk task attach T1 --to towns:周庄镇 --role serves -q
expect_eq "a serves link: the same" "T1|0.00" "$(cov 周庄镇)"
expect_eq "... named as such" "T1|towns:周庄镇 (serves)|0.00" "$(via 周庄镇)"
pk task detach T1 --all -q
pk task attach T1 --to towns:周庄镇 --role covers -q
expect_eq "a covers link covers the town whole" "T1|100.00" "$(cov 周庄镇)"
expect_eq "... and query tasks says 100 %" "T1|towns:周庄镇|100.00" "$(via 周庄镇)"
pk task detach T1 --all -q
pk task attach T1 --geom 'POLYGON((120.85 31.10,120.86 31.10,120.86 31.11,120.85 31.11,120.85 31.10))' -q
s=$(cov 周庄镇)
awk -v s="${s#*|}" 'BEGIN { exit !(s > 0 && s < 10) }' && ok "a footprint covers only itself ($s %)" || not_ok "footprint share $s"
pk task detach T1 --all -q

# a located-in link to a zone covers what the zone overlaps: the demo zone
# feature DEMO-ZZ is a copy of 周庄: the zone link covers it whole, as the covers link did
pk task attach T1 --to demo_zone:DEMO-ZZ -q
expect_eq "a located-in link to a zone covers its overlap with the town" "T1|100.00" "$(cov 周庄镇)"
expect_eq "... and nothing of a town it does not reach" "|0.00" "$(cov 张浦镇)"

# a city-wide task's link covers its feature (with --include-citywide)
pk task add CW --title 全市 --citywide -q
pk task attach CW --to towns:张浦镇 -q
expect_eq "a city-wide task's located-in link covers its town with --include-citywide" "CW|100.00" \
    "$(cov 张浦镇 --include-citywide)"

finish
