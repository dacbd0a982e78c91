#!/usr/bin/env bash
# Messages a new user meets: options named as they are spelled (--format-out,
# --encoding), one line whatever the names hold (long names cut in the
# middle, newlines flattened), and a negative buffer distance that needs no
# "--".
source "$(dirname "$0")/lib.sh"

pk init -q
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns -q

# --format-out is the export's option: its errors say so
expect_fail_unchanged "export to an unknown extension names --format-out" "give --format-out (GPKG" \
    pk layer export towns "$WORK/towns.xyz"
expect_fail_unchanged "an unknown --format-out is named as such" "--format-out 'NoSuch' is not a vector format" \
    pk layer export towns "$WORK/towns.gpkg" --format-out NoSuch
expect_fail_unchanged "a raster driver is no --format-out" "--format-out 'GTiff' is not a vector format" \
    pk layer export towns "$WORK/towns.tif" --format-out GTiff

# an unknown --encoding is an error naming it, not 12 x 5 GDAL warnings and a load
expect_fail_unchanged "layer load --encoding FOO" "unknown --encoding 'FOO' (e.g. GBK" \
    pk layer load "$LAYERS/kunshan-towns.geojson" --name t2 --encoding FOO
expect_eq "... one line on stderr" 1 "$(grep -c '' "$WORK/.err")"
expect_eq "... and no layer t2" 0 "$(spatialite_sql "SELECT count(*) FROM pk_layers WHERE name = 't2'")"
expect_fail_unchanged "task import --encoding FOO" "unknown --encoding 'FOO'" pk task import "$DATA/tasks-small.csv" --encoding FOO
expect_eq "... one line on stderr (no leak report either)" 1 "$(grep -c '' "$WORK/.err")"

# long names are cut in the middle; control characters do not break the line
long=$(python3 -c 'print("a" * 3000)')
pk layer info "$long" 2>"$WORK/err"
expect_eq "a 3000-character name: one error line" 1 "$(grep -c '' "$WORK/err")"
expect_eq "... at most 160 characters wide" 1 "$(awk 'length($0) <= 160' "$WORK/err" | grep -c '')"
expect_grep "... with the name cut in the middle" "^plankit: error: no layer 'a*…a*" "$WORK/err"
cjk=$(python3 -c 'print("昆山" * 100)')
pk task show "$cjk" 2>"$WORK/err"
expect_grep "a long Chinese name is cut on a character boundary, the rest of the message kept" \
    "^plankit: error: no task '昆山[昆山]*…[昆山]*' ('plankit task list' shows the tasks)$" "$WORK/err"
expect_eq "... and is valid UTF-8" 0 "$(iconv -f UTF-8 -t UTF-8 "$WORK/err" >/dev/null 2>&1; echo $?)"
pk layer info "$(printf 'two\nlines')" 2>"$WORK/err"
expect_eq "a newline in a name does not split the message" 1 "$(grep -c '' "$WORK/err")"
pk layer info "$(python3 -c 'print("b" * 100)')" --bogus-$(python3 -c 'print("c" * 200)') 2>"$WORK/err"
expect_eq "a long unknown option: one line, cut" "1 1" "$(grep -c '' "$WORK/err") $(grep -c '…' "$WORK/err")"

# buffer LAYER -100m: a negative distance is an argument, not options
check "buffer towns -100m -o inner (no --)" pk buffer towns -100m -o inner -q
check "buffer -o inner2 towns -0.1km" pk buffer -o inner2 towns -0.1km -q
check "buffer towns -o inner3 -- -100m still works" pk buffer towns -o inner3 -q -- -100m
tarea=$(spatialite_sql "SELECT sum(ST_Area(ST_Transform(geom, 4549))) FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='towns'")")
for l in inner inner2 inner3; do
    t=$(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='$l'")
    expect_eq "$l: 12 shrunk towns, smaller than the towns" "12 1" \
        "$(spatialite_sql "SELECT count(*) || ' ' || (sum(ST_Area(ST_Transform(geom, 4549))) < $tarea) FROM $t")"
done
expect_eq "inner and inner3 are the same" "$(spatialite_sql "SELECT sum(area_m2) FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='inner'")")" \
    "$(spatialite_sql "SELECT sum(area_m2) FROM $(spatialite_sql "SELECT table_name FROM pk_layers WHERE name='inner3'")")"
expect_fail_unchanged "-o without its value is still reported" "missing value for '-o'" pk buffer towns 10 -o
expect_fail_unchanged "an unknown short option is named" "unknown option '-x'" pk buffer towns -x 10 -o y

finish
