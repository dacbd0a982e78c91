#!/usr/bin/env bash
# Numbers are parsed strictly: the whole text, in range, finite. --start
# 4294969323 stored 2027 (an int overflow); --year 1e9 and --distance 1e400m
# were accepted. A year outside the plan period is a warning.
source "$(dirname "$0")/lib.sh"

q() { sqlite3 "$PLANKIT_STORE" "$1"; }
pk init --with "$LAYERS/kunshan.json" -q

expect_fail_unchanged "--start 4294969323 (2027 after int overflow)" "--start '4294969323' is not a year (1900 to 2200)" \
    pk task update ZZ-01 --start 4294969323
expect_eq "... the start year is as it was" 2026 "$(q "SELECT start_year FROM pk_tasks WHERE id='ZZ-01'")"
expect_eq "... a usage error" 2 "$(pk task update ZZ-01 --start 4294969323 2>/dev/null; echo $?)"
expect_fail_unchanged "--end 2027.5" "--end '2027.5' is not a year" pk task update ZZ-01 --end 2027.5
expect_fail_unchanged "--start 99999999999999999999" "is not a year" pk task add N-1 --title x --start 99999999999999999999
expect_fail_unchanged "task list --year 1e9" "--year '1e9' is not a year" pk task list --year 1e9
expect_fail_unchanged "coverage --year 1e9" "--year '1e9' is not a year" pk coverage --by towns --year 1e9
expect_fail_unchanged "query gaps --year 2027x" "--year '2027x' is not a year" pk query gaps --layer towns --year 2027x
expect_fail_unchanged "--distance 1e400m" "--distance '1e400m': expected metres" \
    pk query tasks --near towns:周庄镇 --distance 1e400m
expect_fail_unchanged "--distance nan" "--distance 'nan': expected metres" pk query tasks --near towns:周庄镇 --distance nan
expect_fail_unchanged "--distance 5e7km" "--distance '5e7km': expected metres" pk query tasks --near towns:周庄镇 --distance 5e7km
expect_fail_unchanged "--progress 1e400" "--progress '1e400' is not a number" pk task update ZZ-01 --progress 1e400
expect_fail_unchanged "--progress nan" "--progress 'nan' is not a number" pk task update ZZ-01 --progress nan
expect_fail_unchanged "--at 1e999,31" "--at expects LON,LAT" pk query tasks --at 1e999,31
expect_fail_unchanged "--bbox with inf" "--bbox expects WEST,SOUTH,EAST,NORTH" pk query tasks --bbox 120,31,inf,32
expect_fail_unchanged "--footprint 1x" "--footprint '1x' is not a footprint number" pk task detach ZZ-01 --footprint 1x
expect_fail_unchanged "buffer 1e400m" "DISTANCE '1e400m' is not metres" pk buffer towns 1e400m -o wide
expect_fail_unchanged "--threads 99999999999999999999" "--threads takes a number from 1 to 256" \
    pk overlay intersect towns key_areas -o x --threads 99999999999999999999
printf 'id,title,start_year\nN-2,x,4294969323\n' >big.csv
expect_fail_unchanged "task import start_year 4294969323" "start_year '4294969323' is not a year" pk task import big.csv

# what is right still works
check "--distance 0.8km" pk query tasks --near towns:周庄镇 --distance 0.8km
check "--year 2027" pk task list --year 2027
pk task update ZZ-01 --end 2035 2>"$WORK/err"
expect_eq "--end 2035 is stored" 2035 "$(q "SELECT end_year FROM pk_tasks WHERE id='ZZ-01'")"
expect_grep "... with a warning: outside the plan period" "warning: task 'ZZ-01': end_year 2035 is outside the plan period 2026-2030" "$WORK/err"
pk task update ZZ-01 --end 2030 2>"$WORK/err"
expect_eq "a year inside the period: no warning" "" "$(cat "$WORK/err")"

finish
