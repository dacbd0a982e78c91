/* tile_meta.c — the tileset metadata shared by the tile containers:
 * checks, and its JSON forms (vector_layers, PMTiles metadata, TileJSON
 * 3.0.0), plus the choice of sink from a destination path. */
#include "tile_sink_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int pk_tile_check_zxy(struct pk_ctx *ctx, int z, uint32_t x, uint32_t y)
{
    if (z < 0 || z > 30 || x >= (1u << z) || y >= (1u << z))
        return pk_error(ctx, PK_ERR_ARGS, "%d/%u/%u is not a tile", z, x, y);
    return PK_OK;
}

int pk_tile_check_put(struct pk_ctx *ctx, int z, uint32_t x, uint32_t y, const void *data, size_t len)
{
    int rc = pk_tile_check_zxy(ctx, z, x, y);
    if (rc != PK_OK)
        return rc;
    const unsigned char *p = data;
    if (len < 18 || len > UINT32_MAX || p[0] != 0x1f || p[1] != 0x8b)
        return pk_error(ctx, PK_ERR_ARGS, "tile %d/%u/%u (%zu bytes) is not gzip data", z, x, y, len);
    return PK_OK;
}

int pk_tile_meta_png(const struct pk_tile_meta *m) { return m->format && !strcmp(m->format, "png"); }

int pk_tile_check_put_png(struct pk_ctx *ctx, int z, uint32_t x, uint32_t y, const void *data, size_t len)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int rc = pk_tile_check_zxy(ctx, z, x, y);
    if (rc != PK_OK)
        return rc;
    if (len < 8 || len > UINT32_MAX || memcmp(data, sig, 8) != 0)
        return pk_error(ctx, PK_ERR_ARGS, "tile %d/%u/%u (%zu bytes) is not a PNG image", z, x, y, len);
    return PK_OK;
}

int pk_tile_meta_check(struct pk_ctx *ctx, const struct pk_tile_meta *m)
{
    if (!m->name || !*m->name)
        return pk_error(ctx, PK_ERR_ARGS, "a tileset needs a name");
    if (m->format && strcmp(m->format, "pbf") && strcmp(m->format, "png"))
        return pk_error(ctx, PK_ERR_ARGS, "tile format '%s': expected pbf or png", m->format);
    if (m->minzoom < 0 || m->maxzoom > 30 || m->minzoom > m->maxzoom)
        return pk_error(ctx, PK_ERR_ARGS, "zooms %d..%d are not within 0..30 in order", m->minzoom,
                        m->maxzoom);
    if (!(m->bounds[0] >= -180 && m->bounds[2] <= 180 && m->bounds[0] <= m->bounds[2] &&
          m->bounds[1] >= -90 && m->bounds[3] <= 90 && m->bounds[1] <= m->bounds[3]))
        return pk_error(ctx, PK_ERR_ARGS, "bounds %g,%g,%g,%g are not west,south,east,north degrees",
                        m->bounds[0], m->bounds[1], m->bounds[2], m->bounds[3]);
    for (int i = 0; i < m->nlayers; i++)
        if (!m->layers[i].id || !*m->layers[i].id)
            return pk_error(ctx, PK_ERR_ARGS, "vector layer %d has no id", i + 1);
    return PK_OK;
}

static json_object *layer_json(const struct pk_tile_layer_meta *l)
{
    json_object *o = json_object_new_object(), *fields = json_object_new_object();
    if (!o || !fields) {
        json_object_put(o);
        json_object_put(fields);
        return NULL;
    }
    json_object_object_add(o, "id", json_object_new_string(l->id));
    json_object_object_add(o, "description", json_object_new_string(l->description ? l->description : ""));
    for (int i = 0; i < l->nfields; i++)
        json_object_object_add(fields, l->fields[i].name, json_object_new_string(l->fields[i].type));
    json_object_object_add(o, "fields", fields);
    json_object_object_add(o, "minzoom", json_object_new_int(l->minzoom));
    json_object_object_add(o, "maxzoom", json_object_new_int(l->maxzoom));
    return o;
}

static json_object *vector_layers(const struct pk_tile_meta *m)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; arr && i < m->nlayers; i++) {
        json_object *l = layer_json(&m->layers[i]);
        if (!l) {
            json_object_put(arr);
            return NULL;
        }
        json_object_array_add(arr, l);
    }
    return arr;
}

/* Serialise and free o; NULL when o is NULL or memory runs out. */
static char *to_text(json_object *o)
{
    if (!o)
        return NULL;
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out = s ? strdup(s) : NULL;
    json_object_put(o);
    return out;
}

static void add_optional(json_object *o, const char *key, const char *value)
{
    if (value)
        json_object_object_add(o, key, json_object_new_string(value));
}

char *pk_tile_meta_vector_layers_json(const struct pk_tile_meta *m, int wrap)
{
    json_object *arr = vector_layers(m);
    if (!wrap || !arr)
        return to_text(arr);
    json_object *o = json_object_new_object();
    if (!o) {
        json_object_put(arr);
        return NULL;
    }
    json_object_object_add(o, "vector_layers", arr);
    return to_text(o);
}

char *pk_tile_meta_pmtiles_json(const struct pk_tile_meta *m)
{
    int png = pk_tile_meta_png(m);
    json_object *o = json_object_new_object(), *arr = png ? NULL : vector_layers(m);
    if (!o || (!png && !arr)) {
        json_object_put(o);
        json_object_put(arr);
        return NULL;
    }
    json_object_object_add(o, "name", json_object_new_string(m->name));
    add_optional(o, "description", m->description);
    add_optional(o, "attribution", m->attribution);
    json_object_object_add(o, "type", json_object_new_string(png ? "baselayer" : "overlay"));
    if (png)
        json_object_object_add(o, "format", json_object_new_string("png"));
    else
        json_object_object_add(o, "vector_layers", arr);
    return to_text(o);
}

static json_object *doubles(const double *v, int n)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; arr && i < n; i++)
        json_object_array_add(arr, json_object_new_double(v[i]));
    return arr;
}

char *pk_tile_meta_tilejson(const struct pk_tile_meta *m)
{
    int png = pk_tile_meta_png(m);
    json_object *o = json_object_new_object(), *arr = png ? NULL : vector_layers(m), *tiles = json_object_new_array();
    if (!o || (!png && !arr) || !tiles) {
        json_object_put(o);
        json_object_put(arr);
        json_object_put(tiles);
        return NULL;
    }
    json_object_object_add(o, "tilejson", json_object_new_string("3.0.0"));
    json_object_array_add(tiles, json_object_new_string(png ? "{z}/{x}/{y}.png" : "{z}/{x}/{y}.pbf"));
    json_object_object_add(o, "tiles", tiles);
    json_object_object_add(o, "name", json_object_new_string(m->name));
    add_optional(o, "description", m->description);
    add_optional(o, "attribution", m->attribution);
    json_object_object_add(o, "scheme", json_object_new_string("xyz"));
    json_object_object_add(o, "minzoom", json_object_new_int(m->minzoom));
    json_object_object_add(o, "maxzoom", json_object_new_int(m->maxzoom));
    json_object_object_add(o, "bounds", doubles(m->bounds, 4));
    json_object_object_add(o, "center", doubles(m->center, 3));
    if (png)
        json_object_object_add(o, "format", json_object_new_string("png"));
    else
        json_object_object_add(o, "vector_layers", arr);
    return to_text(o);
}

const struct pk_tile_sink_ops *pk_tile_sink_for_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash)) {
        if (!strcasecmp(dot, ".mbtiles"))
            return &pk_tile_mbtiles_ops;
        if (!strcasecmp(dot, ".pmtiles"))
            return &pk_tile_pmtiles_ops;
    }
    return &pk_tile_dir_ops;
}
