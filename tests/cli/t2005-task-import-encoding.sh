#!/usr/bin/env bash
# task import checks that the text is UTF-8 and reads other encodings with
# --encoding (an office's Excel CSV is GBK); '-' reads standard input. A
# refused import leaves the store byte-for-byte unchanged.
source "$(dirname "$0")/lib.sh"

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q
printf 'id,title,lead,links\nG-1,建设现代新型小城镇,市住建局,towns:周庄镇\nG-2,"养老设施, 二期",市民政局,\n' >utf8.csv
iconv -f UTF-8 -t GBK utf8.csv >gbk.csv
cmp -s utf8.csv gbk.csv && not_ok "the GBK file differs from the UTF-8 one" || ok "the GBK file differs from the UTF-8 one"

expect_fail_unchanged "a GBK CSV without --encoding is refused" \
    "task import 'gbk.csv' line 2: the text is not UTF-8: give the file's encoding with --encoding, e.g. --encoding GBK" \
    pk task import gbk.csv
if LC_ALL=C grep -q $'[\x80-\xff]' "$WORK/.err" && ! iconv -f UTF-8 -t UTF-8 "$WORK/.err" >/dev/null 2>&1; then
    not_ok "the message is UTF-8"; else ok "the message is UTF-8 (no raw GBK bytes)"; fi
check "a GBK CSV with --encoding GBK" pk task import gbk.csv --encoding GBK -q
expect_eq "... the title is the Chinese text" "建设现代新型小城镇" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT title FROM pk_tasks WHERE id='G-1'")"
expect_eq "... quoted fields too" "养老设施, 二期|市民政局" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT title, lead FROM pk_tasks WHERE id='G-2'")"
expect_grep "... the link by Chinese name resolved" "towns:[0-9]* 周庄镇" <(pk task show G-1)
pk task show G-1 --format json | python3 -c 'import json, sys; json.load(sys.stdin)' \
    && ok "task show --format json is valid JSON" || not_ok "task show --format json is invalid"
check "re-importing the UTF-8 file changes nothing" pk task import utf8.csv -q
expect_eq "... still two tasks" 2 "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_tasks")"

# JSON in GB18030, and a UTF-8 BOM
printf '{"tasks":[{"id":"J-1","title":"昆山高新区","lead":"市科技局"}]}' | iconv -f UTF-8 -t GB18030 >gb.json
expect_fail_unchanged "GB18030 JSON without --encoding is refused" "line 1: the text is not UTF-8" pk task import gb.json
check "GB18030 JSON with --encoding GB18030" pk task import gb.json --encoding GB18030 -q
expect_eq "... the title" "昆山高新区" "$(sqlite3 "$PLANKIT_STORE" "SELECT title FROM pk_tasks WHERE id='J-1'")"
printf '\xef\xbb\xbfid,title\nB-1,带BOM\n' >bom.csv
check "a UTF-8 CSV with a byte-order mark" pk task import bom.csv -q
expect_eq "... the id column is found" "带BOM" "$(sqlite3 "$PLANKIT_STORE" "SELECT title FROM pk_tasks WHERE id='B-1'")"

# errors
expect_fail_unchanged "an unknown encoding is named as such" "unknown --encoding 'NOSUCH-ENC'" \
    pk task import gbk.csv --encoding NOSUCH-ENC
printf 'id,title\nX-1,ok\nX-2,\xff\xfe\n' >bad-gbk.csv
expect_fail_unchanged "bytes that are not GBK" "task import 'bad-gbk.csv' line 3: the text is not valid GBK" \
    pk task import bad-gbk.csv --encoding GBK
printf 'i\0d,title\n' >nul.csv
expect_fail_unchanged "a NUL byte" "a NUL byte: not a text file" pk task import nul.csv
expect_fail_unchanged "--encoding with another verb" "--encoding goes with task import" pk task list --encoding GBK

# standard input
printf 'id,title\nS-1,从标准输入\n' | pk task import - -q
expect_eq "'-' reads standard input" "从标准输入" "$(sqlite3 "$PLANKIT_STORE" "SELECT title FROM pk_tasks WHERE id='S-1'")"
iconv -f UTF-8 -t GBK utf8.csv | pk task import - --encoding GBK -q
expect_eq "... with --encoding" 0 $?

finish
