/* webmap_view.c — where the web map opens: the bounds (west, south, east,
 * north in degrees) a tileset states about itself, read from the MBTiles
 * metadata, the PMTiles header or a z/x/y folder's tiles.json, so the page
 * opens on the tiles' own city and not on the styles' default view. */
#include <json-c/json.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webmap_int.h"

static int bounds_ok(const double v[4])
{
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i]) || fabs(v[i]) > (i % 2 ? 90 : 180))
            return 0;
    return v[0] < v[2] && v[1] < v[3];
}

static int mbtiles_view(const char *path, double v[4])
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT value FROM metadata WHERE name = 'bounds'", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        found = text && sscanf(text, "%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3]) == 4;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
}

static int32_t get_i32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static int pmtiles_view(const char *path, double v[4])
{
    unsigned char h[127];
    FILE *f = fopen(path, "rb");
    int found = f && fread(h, 1, sizeof h, f) == sizeof h && !memcmp(h, "PMTiles", 7) && h[7] == 3;
    if (f)
        fclose(f);
    if (!found)
        return 0;
    for (int i = 0; i < 4; i++) /* min lon, min lat, max lon, max lat (1e-7 degrees) */
        v[i] = get_i32(h + 102 + 4 * i) / 1e7;
    return 1;
}

static int dir_view(const char *dir, double v[4])
{
    char path[4200];
    snprintf(path, sizeof path, "%s/tiles.json", dir);
    json_object *doc = json_object_from_file(path), *bounds = NULL;
    int found = doc && json_object_object_get_ex(doc, "bounds", &bounds) &&
                json_object_is_type(bounds, json_type_array) && json_object_array_length(bounds) == 4;
    for (size_t i = 0; found && i < 4; i++)
        v[i] = json_object_get_double(json_object_array_get_idx(bounds, i));
    json_object_put(doc);
    return found;
}

int pk_webmap_tiles_bounds(const char *tiles, enum pk_tiles_kind kind, double view[4])
{
    int found = kind == PK_TILES_MBTILES ? mbtiles_view(tiles, view)
              : kind == PK_TILES_PMTILES ? pmtiles_view(tiles, view)
              : kind == PK_TILES_DIR     ? dir_view(tiles, view)
                                         : 0;
    return found && bounds_ok(view);
}
