#!/usr/bin/env bash
# plankit tiles vector on bad input: one 'plankit: error:' line naming the
# problem, a non-zero exit, the store unchanged and no output left behind;
# and a SIGKILL in the middle of an export: no complete-looking output, and
# --resume finishes it with exactly the tiles of an uninterrupted run.
source "$(dirname "$0")/lib.sh"

pk init -q
pk layer load "$SHARED_DIR/data/kunshan-region.geojson" --name region -q
before=$(ls)

tv() { pk tiles vector "$@"; }
expect_fail_unchanged "unknown layer" "no layer 'nope'" tv nope -o a.mbtiles --minzoom 0 --maxzoom 2
expect_fail_unchanged "zoom beyond 24" "zooms go from 0 to 24" tv region -o a.mbtiles --minzoom 0 --maxzoom 25
expect_fail_unchanged "minzoom > maxzoom" "minzoom 5 is greater than maxzoom 3" tv region -o a.mbtiles --minzoom 5 --maxzoom 3
expect_fail_unchanged "bbox outside the world" "bbox 190,0,200,10" tv region -o a.mbtiles --minzoom 0 --maxzoom 2 --bbox 190,0,200,10
expect_fail_unchanged "bbox with W > E" "with W < E" tv region -o a.mbtiles --minzoom 0 --maxzoom 2 --bbox 121,31,120,32
expect_fail_unchanged "unknown field" "layer 'region' has no field 'nme'" tv region -o a.pmtiles --minzoom 0 --maxzoom 2 --fields region:nme
expect_fail_unchanged "--fields of a layer not exported" "'towns' is not a layer of this export" tv region -o a --minzoom 0 --maxzoom 2 --fields towns:name
expect_fail_unchanged "unwritable path" "cannot create" tv region -o "$WORK/no/such/folder/a.mbtiles" --minzoom 0 --maxzoom 2
expect_fail_unchanged "--resume of a PMTiles output" "works with .mbtiles outputs only" tv region -o a.pmtiles --minzoom 0 --maxzoom 2 --resume
expect_eq "no output or temporary file left by the failures" "$before" "$(ls)"

echo "not a tileset" >exists.mbtiles
expect_fail_unchanged "an existing output without --force" "output 'exists.mbtiles' exists" tv region -o exists.mbtiles --minzoom 0 --maxzoom 1
expect_eq "the existing output is untouched" "not a tileset" "$(cat exists.mbtiles)"
check "--force replaces it" tv region -o exists.mbtiles --minzoom 0 --maxzoom 1 --force -q
expect_eq "with a tileset" "2" "$(sqlite3 exists.mbtiles 'SELECT count(*) FROM tiles')"

# the tiles of an MBTiles file as text: z x y and the bytes' hash
dump() { sqlite3 "$1" "SELECT zoom_level, tile_column, tile_row, hex(tile_data) FROM tiles ORDER BY 1, 2, 3" | sha256sum; }
check "an uninterrupted run" tv region -o full.mbtiles --minzoom 0 --maxzoom 12 -q --threads 2

# slowed down (the progress hook sleeps 1 s after each batch of tiles, ~14
# batches), killed as soon as some tiles are committed (polling for up to
# 5 minutes, so a loaded machine only makes it slower)
PLANKIT_TEST_PROGRESS_DELAY_MS=1000 "$PLANKIT" tiles vector region -o k.mbtiles --minzoom 0 --maxzoom 12 -q --threads 2 &
pid=$!
for _ in $(seq 1 3000); do
    n=$(sqlite3 -readonly k.mbtiles.part 'SELECT count(*) FROM tiles' 2>/dev/null || echo 0)
    [ "${n:-0}" -gt 0 ] && break
    sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
expect_eq "no complete-looking output after SIGKILL" "absent" "$([ -e k.mbtiles ] && echo present || echo absent)"
expect_eq "the unfinished export is kept for resume" "present" "$([ -e k.mbtiles.part ] && echo present || echo absent)"
partial=$(sqlite3 k.mbtiles.part 'SELECT count(*) FROM tiles')
total=$(sqlite3 full.mbtiles 'SELECT count(*) FROM tiles')
if [ "$partial" -gt 0 ] && [ "$partial" -lt "$total" ]; then ok "killed mid-way ($partial of $total tiles)"; else
    not_ok "killed mid-way: $partial of $total tiles"; fi
check "--resume finishes it" tv region -o k.mbtiles --minzoom 0 --maxzoom 12 --resume --threads 1
expect_grep "resume reports the tiles it found" "already written (resumed)" "$WORK/.err"
expect_eq "the resumed export has the same tiles as an uninterrupted run" "$(dump full.mbtiles)" "$(dump k.mbtiles)"
expect_eq "no temporary file left" "absent" "$([ -e k.mbtiles.part ] && echo present || echo absent)"
expect_fail_unchanged "--resume of a complete output" "output 'k.mbtiles' exists" tv region -o k.mbtiles --minzoom 0 --maxzoom 12 --resume

# a killed PMTiles export leaves no PMTiles file
PLANKIT_TEST_PROGRESS_DELAY_MS=400 "$PLANKIT" tiles vector region -o k.pmtiles --minzoom 0 --maxzoom 12 -q &
pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
expect_eq "no PMTiles output after SIGKILL" "absent" "$([ -e k.pmtiles ] && echo present || echo absent)"
finish
