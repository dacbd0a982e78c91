#!/usr/bin/env bash
# Each layer is seen by its name outside plankit: a read-only view named
# after it, registered for GDAL and QGIS (views_geometry_columns) with its
# title, so `ogrinfo store` lists towns and key_areas (not only lyr_N),
# ogr2ogr reads a layer by name and `plankit sql` selects from it. The view
# follows rename, replace and drop; `check` reports a missing one.
source "$(dirname "$0")/lib.sh"

ogr_layers() { ogrinfo -ro -q "$PLANKIT_STORE" 2>/dev/null | sed -n 's/^[0-9]*: \([^ ]*\).*/\1/p' | sort | tr '\n' ' '; }

pk init -q --measure-crs EPSG:4549
pk layer load "$LAYERS/kunshan-towns.geojson" --name towns --title 昆山镇域 -q
pk layer load "$LAYERS/kunshan-key-areas.geojson" --name Key_Areas -q
layers=$(ogr_layers)
case " $layers" in *" towns "*) ok "ogrinfo lists towns ($layers)" ;; *) not_ok "ogrinfo lists towns: $layers" ;; esac
case " $layers" in *" key_areas "*) ok "... and key_areas (a name's ASCII letters in lower case)" ;; *) not_ok "ogrinfo lists key_areas: $layers" ;; esac
expect_eq "ogrinfo counts the towns through the view" "Feature Count: 12" \
    "$(ogrinfo -ro -so "$PLANKIT_STORE" towns 2>/dev/null | grep 'Feature Count')"
ogr2ogr -f GeoJSON "$WORK/towns.geojson" "$PLANKIT_STORE" towns 2>"$WORK/ogr.err"
expect_eq "ogr2ogr reads the layer by its name" 12 \
    "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["features"]))' "$WORK/towns.geojson")"
expect_eq "... with the towns' names" "周庄镇" \
    "$(python3 -c 'import json, sys; print([f["properties"]["name"] for f in json.load(open(sys.argv[1]))["features"] if f["properties"]["name"] == "周庄镇"][0])' "$WORK/towns.geojson")"
expect_eq "the title is registered with the view (vector_coverages)" "昆山镇域" \
    "$(spatialite_sql "SELECT title FROM vector_coverages WHERE coverage_name='towns'")"
expect_eq "plankit sql selects from a layer by name" "周庄镇" \
    "$(pk sql "SELECT name FROM towns WHERE name='周庄镇'" --format csv | tail -n +2)"
expect_eq "... in any case" 4 "$(pk sql "SELECT count(*) AS n FROM KEY_AREAS" --format csv | tail -n +2)"
expect_fail_unchanged "the view is read-only: sql refuses to write through it" "cannot modify towns because it is a view" \
    pk sql "DELETE FROM towns"
before=$(store_sum)
sqlite3 "$PLANKIT_STORE" "DELETE FROM towns" 2>"$WORK/sq.err"
expect_eq "... and so does SQLite (a view takes no writes)" "$before" "$(store_sum)"

# rename, replace, drop: the view follows, in the same transaction
pk layer rename towns 镇域 -q
layers=$(ogr_layers)
case " $layers" in *" 镇域 "*) ok "after a rename ogrinfo lists the new name" ;; *) not_ok "renamed: $layers" ;; esac
case " $layers" in *" towns "*) not_ok "the old name is still listed: $layers" ;; *) ok "... and not the old one" ;; esac
expect_eq "plankit sql selects from the new name" 12 "$(pk sql "SELECT count(*) AS n FROM 镇域" --format csv | tail -n +2)"
expect_fail_unchanged "... not from the old" "no such table: towns" pk sql "SELECT count(*) FROM towns"
pk layer export 镇域 "$WORK/first5.geojson" -q
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["features"] = d["features"][:5]; json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)' \
    "$WORK/first5.geojson" "$WORK/five.geojson"
check "replace the layer with 5 towns" pk layer load "$WORK/five.geojson" --name 镇域 --replace -q
expect_eq "the view shows the replaced rows" 5 "$(pk sql "SELECT count(*) AS n FROM 镇域" --format csv | tail -n +2)"
expect_eq "ogrinfo too" "Feature Count: 5" "$(ogrinfo -ro -so "$PLANKIT_STORE" 镇域 2>/dev/null | grep 'Feature Count')"
check "drop key_areas" pk layer drop Key_Areas -q
case " $(ogr_layers)" in *" key_areas "*) not_ok "a dropped layer is still listed" ;; *) ok "a dropped layer is no longer listed" ;; esac
expect_eq "... its view and registrations are gone" "0|0|0" \
    "$(spatialite_sql "SELECT (SELECT count(*) FROM sqlite_master WHERE name='key_areas'),
        (SELECT count(*) FROM views_geometry_columns WHERE view_name='key_areas'),
        (SELECT count(*) FROM vector_coverages WHERE coverage_name='key_areas')")"

# a layer an analysis writes has its view too
check "buffer writes a store layer" pk buffer 镇域 100m -o towns_buffer -q
expect_eq "... with its view" 5 "$(pk sql "SELECT count(*) AS n FROM towns_buffer" --format csv | tail -n +2)"

# a name another object of the store already has (a SpatiaLite view)
expect_fail_unchanged "a name SpatiaLite uses" "layer name 'vector_layers' is taken by a table of the store itself" \
    pk layer load "$LAYERS/kunshan-city.geojson" --name vector_layers
expect_fail_unchanged "... also for a rename" "layer name 'vector_layers' is taken" pk layer rename 镇域 vector_layers
expect_fail_unchanged "... and for an analysis' output layer" "layer name 'spatial_ref_sys_all' is taken" \
    pk buffer 镇域 100m -o spatial_ref_sys_all
check "the store passes check" pk check

sqlite3 "$PLANKIT_STORE" "DROP VIEW 镇域"
pk check --format csv >"$WORK/out" 2>/dev/null
expect_eq "check reports a layer without its view: exit 1" 1 $?
expect_grep "... naming it" '^镇域,"\{0,1\}no view named after the layer' "$WORK/out"
check "a rename to the same name makes it again" pk layer rename 镇域 镇域 -q
check "... and the store passes check" pk check

finish
