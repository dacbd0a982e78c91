#!/usr/bin/env bash
# Every command `plankit --help` lists, and every verb each command's help
# lists, has its own complete help: `plankit CMD [VERB] --help` exits 0 and
# prints on stdout a usage line for that command or verb and an example of
# it, and no other verb's usage. Option lists with Chinese text align by
# display width (a Chinese character is two columns). `dissolve` shows --by
# as optional, as it is.
source "$(dirname "$0")/lib.sh"

# display width of each line of stdin (East Asian wide/fullwidth = 2 columns)
widths() { python3 -c '
import sys, unicodedata
for line in sys.stdin.read().splitlines():
    print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line))'; }

pk --help >"$WORK/main" 2>&1
commands=$(sed -n '/^Commands:/,/^$/p' "$WORK/main" | awk '/^  [a-z]/ {print $1}')
# (at least: commands and verbs added later are walked too)
n=$(echo "$commands" | grep -c '')
if [ "$n" -ge 13 ]; then ok "plankit --help lists $n commands"; else not_ok "plankit --help lists only $n commands"; fi
nverbs=0
for c in $commands; do
    pk "$c" --help >"$WORK/help" 2>"$WORK/err"
    code=$?
    if [ "$code" -ne 0 ] || [ -s "$WORK/err" ] || ! grep -q "^usage: plankit $c" "$WORK/help" ||
        ! grep -q "^ *Examples\?:\? *\(plankit\|$\)" "$WORK/help" || ! grep -q "^ *\(Example: \)\?plankit .*$c" "$WORK/help"; then
        not_ok "plankit $c --help: exit $code, a usage line and an example of $c"; continue
    fi
    ok "plankit $c --help: a usage line and an example"
    # verbs: lines 'plankit CMD VERB' and the 'Verbs:' list
    verbs=$( (grep -o "^plankit $c [a-z][a-z-]*" "$WORK/help" | awk '{print $3}'
              sed -n '/^Verbs/,/^$/p' "$WORK/help" | python3 -c '
import re, sys
for line in sys.stdin.read().splitlines()[1:]:
    for m in re.finditer(r"(?:^\s+|\s{3,})([a-z]+)\s{2,}\S", line):
        print(m.group(1))') | sort -u)
    for v in $verbs; do
        nverbs=$((nverbs + 1))
        pk "$c" "$v" --help >"$WORK/vhelp" 2>"$WORK/err"
        code=$?
        others=$(grep -o "^\(usage: \)\?plankit $c [a-z][a-z-]*" "$WORK/vhelp" | awk '{print $NF}' | grep -vx "$v" | sort -u | tr '\n' ' ')
        if [ "$code" -eq 0 ] && [ ! -s "$WORK/err" ] && head -1 "$WORK/vhelp" | grep -q "^usage: plankit $c $v" &&
            grep -q "Example.*plankit $c $v\|^  plankit $c $v" "$WORK/vhelp" && [ -z "$others" ]; then
            ok "plankit $c $v --help: its own usage line and example"
        else
            not_ok "plankit $c $v --help (exit $code): first line '$(head -1 "$WORK/vhelp")', other verbs: '$others'"
        fi
    done
done
if [ "$nverbs" -ge 22 ]; then ok "the verbs of layer, task, query and tiles were walked ($nverbs)"
else not_ok "only $nverbs verbs were walked (layer 7, task 10, query 3, tiles 2)"; fi

# dissolve's --by is optional (without it every feature becomes one)
pk dissolve --help >"$WORK/dis"
expect_grep "dissolve's usage shows --by as optional" '^usage: plankit dissolve LAYER \[--by FIELD\] -o OUT' "$WORK/dis"

# the two columns of task fields align on screen: 七、三 is six columns wide
pk task add --help | grep -E '^    --[a-z].*  --[a-z]' >"$WORK/cols"
cols=$(python3 -c '
import sys, unicodedata, re
out = set()
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    m = re.search(r"\S\s{2,}(--[a-z-]+ [A-Z,]+\s)", line)
    out.add(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:m.start(1)]))
print(" ".join(map(str, sorted(out))))' "$WORK/cols")
expect_eq "task fields: the second column starts at one screen column (CJK lines too)" 54 "$cols"
expect_eq "... on six lines, 七、三's among them" "6 1" "$(grep -c '' "$WORK/cols") $(grep -c '七、三' "$WORK/cols")"

# no help line is wider than the terminal's 100 columns, Chinese counted double
for c in $commands; do pk "$c" --help; done | widths | sort -n | tail -1 >"$WORK/widest"
if [ "$(cat "$WORK/widest")" -le 100 ]; then ok "help lines fit 100 columns"; else not_ok "a help line is $(cat "$WORK/widest") columns wide"; fi

finish
