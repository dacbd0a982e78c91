/* tiler_zoom.c — one zoom of a vector tile export: which tiles each feature
 * meets (its grid box plus the tile buffer), then the tiles made across the
 * pool a batch at a time (each: every feature of the tile on the zoom's
 * grid, clipped with pk_tile_clip, encoded with the MVT encoder, gzipped)
 * and written from the calling thread in a fixed order, so the output does
 * not depend on the thread count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tile_clip_int.h"
#include "tile_sink_int.h"
#include "tiler_zoom_int.h"

#define BATCH 256
#define BIG_TILE (500 * 1024)

struct pair {
    uint32_t x, y;
    size_t feature;
};

struct tile_job {
    uint32_t x, y;
    size_t a, b;                 /* pairs a..b-1 */
    struct pk_tbuf gz;
    long long tiny, dropped;
    int rc;
    char err[512];
};

struct zoom_job {
    const struct tl_run *R;
    int z;
    const struct pair *pairs;
    struct tile_job *tiles;
};

static int cmp_pair(const void *pa, const void *pb)
{
    const struct pair *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return a->feature < b->feature ? -1 : a->feature > b->feature;
}

/* Tile range of grid values lo..hi at zoom z, widened by the buffer and
 * cut to the export's range r. Returns 0 when empty. */
static int tile_range(const struct tl_run *R, int z, int32_t lo, int32_t hi, int axis, uint32_t *t0, uint32_t *t1)
{
    int64_t a = (tl_at_zoom(lo, R->grid, z) - TL_BUFFER) / TL_EXTENT, b = (tl_at_zoom(hi, R->grid, z) + TL_BUFFER) / TL_EXTENT;
    int64_t rlo = R->range[z][axis], rhi = R->range[z][axis + 2];
    if (tl_at_zoom(lo, R->grid, z) - TL_BUFFER < 0)
        a = 0;
    a = a < rlo ? rlo : a;
    b = b > rhi ? rhi : b;
    if (a > b)
        return 0;
    *t0 = (uint32_t)a, *t1 = (uint32_t)b;
    return 1;
}

/* Every (tile, feature) pair of zoom z, sorted by tile then feature. */
static int make_pairs(struct pk_ctx *ctx, const struct tl_run *R, int z, struct pair **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL, *n = 0;
    for (size_t i = 0; i < R->F->n; i++) {
        const struct tl_feature *f = &R->F->f[i];
        uint32_t x0, x1, y0, y1;
        if (f->npts == 0 || !tile_range(R, z, f->box[0], f->box[2], 0, &x0, &x1) ||
            !tile_range(R, z, f->box[1], f->box[3], 1, &y0, &y1))
            continue;
        size_t need = (size_t)(x1 - x0 + 1) * (y1 - y0 + 1);
        if (*n + need > cap) {
            cap = (*n + need) * 2;
            struct pair *g = realloc(*out, cap * sizeof *g);
            if (!g)
                return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
            *out = g;
        }
        for (uint32_t x = x0; x <= x1; x++)
            for (uint32_t y = y0; y <= y1; y++)
                (*out)[(*n)++] = (struct pair){x, y, i};
    }
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_pair);
    return PK_OK;
}

/* g (feature f on zoom z's grid; taken) clipped to tile t and added to
 * layer; *written tells whether anything of it was left to write. */
static int clip_and_add(struct pk_worker *w, int z, struct tile_job *t, const struct tl_feature *f, GEOSGeometry *g,
                        struct pk_mvt_layer *layer, struct pk_mvt_geom *mg, int *written, int *clipped)
{
    GEOSContextHandle_t h = pk_geos(w->ctx);
    GEOSGeometry *c = NULL;
    int rc = pk_tile_clip(w->ctx, g, z, t->x, t->y, TL_EXTENT, TL_BUFFER, &c);
    if (rc == PK_ERR_GEOS && f->type == PK_MVT_POLYGON) { /* a polygon the grid made too invalid to clip */
        GEOSGeometry *v = GEOSMakeValid_r(h, g);
        rc = v ? pk_tile_clip(w->ctx, v, z, t->x, t->y, TL_EXTENT, TL_BUFFER, &c) : rc;
        if (v)
            GEOSGeom_destroy_r(h, v);
    }
    GEOSGeom_destroy_r(h, g);
    *written = 0;
    *clipped = c != NULL;
    if (rc != PK_OK || !c)
        return rc;
    rc = pk_mvt_geom_from_geos(h, c, mg);
    GEOSGeom_destroy_r(h, c);
    size_t before = pk_mvt_layer_nfeatures(layer);
    if (rc == PK_OK)
        rc = pk_mvt_layer_add_feature(layer, 1, (uint64_t)f->fid, mg, f->attrs, (size_t)f->nattrs, NULL);
    *written = pk_mvt_layer_nfeatures(layer) > before;
    return rc == PK_OK ? PK_OK : pk_error(w->ctx, rc, "cannot encode feature %lld", f->fid);
}

/* Feature f in tile z/x/y of t: on the grid, clipped, encoded. A polygon
 * of which nothing is left in the tile that holds its label point (it
 * collapsed on the grid, or making it valid emptied it) is written there as
 * a one-unit square instead, and counted; other collapsed pieces are
 * counted as dropped. */
static int add_feature(struct pk_worker *w, const struct tl_run *R, int z, struct tile_job *t,
                       const struct tl_feature *f, struct pk_mvt_layer *layer, struct pk_mvt_geom *mg)
{
    GEOSGeometry *g = NULL;
    int tiny = 0, written = 0, clipped = 0, rc = tl_feature_at_zoom(w->ctx, f, R->grid, z, &g, &tiny);
    if (rc == PK_OK && g && f->type == PK_MVT_POLYGON)
        rc = tl_make_valid(w->ctx, &g);
    if (rc == PK_OK && g)
        rc = clip_and_add(w, z, t, f, g, layer, mg, &written, &clipped);
    if (rc != PK_OK || f->type != PK_MVT_POLYGON) {
        t->dropped += clipped && !written;
        return rc;
    }
    uint32_t lx, ly;
    tl_label_tile(f, R->grid, z, &lx, &ly);
    int home = lx == t->x && ly == t->y;
    if (!written && home && !tiny) { /* nothing left where it should show: the square */
        if (!(g = tl_feature_square(w->ctx, f, R->grid, z)))
            return pk_error_geos(w->ctx, "cannot make a square");
        tiny = 1;
        int square_clipped;
        rc = clip_and_add(w, z, t, f, g, layer, mg, &written, &square_clipped);
    }
    t->tiny += tiny && home && written;
    t->dropped += clipped && !written;
    return rc;
}

static void make_tile(void *state, size_t i, void *arg)
{
    struct pk_worker *w = state;
    struct zoom_job *J = arg;
    struct tile_job *t = &J->tiles[i];
    const struct tl_run *R = J->R;
    if (!w || w->rc != PK_OK) {
        t->rc = PK_ERR_NOMEM;
        snprintf(t->err, sizeof t->err, "cannot start a worker thread");
        return;
    }
    struct pk_mvt_tile *tile = pk_mvt_tile_new();
    struct pk_mvt_layer **layers = calloc((size_t)R->L->n, sizeof *layers);
    struct pk_mvt_geom mg = {0};
    int rc = tile && layers ? PK_OK : pk_error(w->ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t p = t->a; rc == PK_OK && p < t->b; p++) {
        const struct tl_feature *f = &R->F->f[J->pairs[p].feature];
        if (!layers[f->layer])
            rc = pk_mvt_tile_add_layer(tile, R->L->l[f->layer].name, TL_EXTENT, &layers[f->layer]);
        if (rc == PK_OK)
            rc = add_feature(w, R, J->z, t, f, layers[f->layer], &mg);
    }
    if (rc == PK_OK && pk_mvt_tile_nfeatures(tile) > 0 && pk_mvt_tile_serialize(tile, 1, &t->gz) != PK_OK)
        rc = pk_error(w->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc != PK_OK) {
        t->rc = rc;
        snprintf(t->err, sizeof t->err, "tile %d/%u/%u: %s", J->z, t->x, t->y, pk_errmsg(w->ctx));
    }
    pk_mvt_geom_free(&mg);
    free(layers);
    pk_mvt_tile_free(tile);
}

/* Write the batch's tiles (in order) and count them. */
static int write_batch(struct tl_run *R, int z, struct tile_job *tiles, size_t n)
{
    struct pk_ctx *ctx = R->ctx;
    int rc = PK_OK;
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        struct tile_job *t = &tiles[i];
        if (t->rc != PK_OK)
            return pk_error(ctx, t->rc, "%s", t->err);
        R->res->kept_tiny += t->tiny;
        R->res->dropped += t->dropped;
        if (t->gz.len == 0)
            continue;
        int has = 0;
        if (R->resumed && (rc = pk_mbtiles_has_tile(R->sink, z, t->x, t->y, &has)) != PK_OK)
            return rc;
        if (has) {
            R->res->tiles_resumed++;
            continue;
        }
        if ((rc = R->sink->ops->put(R->sink, z, t->x, t->y, t->gz.data, t->gz.len)) != PK_OK)
            return rc;
        R->res->tiles++;
        R->res->bytes += (long long)t->gz.len;
        R->res->big_tiles += t->gz.len > BIG_TILE;
        if ((long long)t->gz.len > R->res->largest_tile) {
            R->res->largest_tile = (long long)t->gz.len;
            R->res->largest_z = z, R->res->largest_x = t->x, R->res->largest_y = t->y;
        }
    }
    return rc;
}

/* Group sorted pairs into tiles [from, next tile boundary) up to BATCH
 * tiles; returns the number of tiles and advances *p. */
static size_t next_batch(const struct pair *pairs, size_t npairs, size_t *p, struct tile_job *tiles)
{
    size_t n = 0;
    while (*p < npairs && n < BATCH) {
        size_t a = *p, b = a + 1;
        while (b < npairs && pairs[b].x == pairs[a].x && pairs[b].y == pairs[a].y)
            b++;
        memset(&tiles[n], 0, sizeof tiles[n]);
        tiles[n].x = pairs[a].x, tiles[n].y = pairs[a].y, tiles[n].a = a, tiles[n].b = b;
        n++;
        *p = b;
    }
    return n;
}

int tl_tile_zoom(struct tl_run *R, int z)
{
    struct pair *pairs = NULL;
    size_t npairs = 0, p = 0;
    struct tile_job *tiles = calloc(BATCH, sizeof *tiles);
    int rc = tiles ? make_pairs(R->ctx, R, z, &pairs, &npairs) : pk_error(R->ctx, PK_ERR_NOMEM, "out of memory");
    while (rc == PK_OK && p < npairs) {
        size_t n = next_batch(pairs, npairs, &p, tiles);
        struct zoom_job J = {R, z, pairs, tiles};
        pk_pool_run(R->pool, R->main_w, n, make_tile, &J);
        rc = write_batch(R, z, tiles, n);
        if (rc == PK_OK && R->sink->ops == &pk_tile_mbtiles_ops)
            rc = pk_mbtiles_checkpoint(R->sink); /* what a resume after a crash finds */
        for (size_t i = 0; i < n; i++)
            pk_tbuf_free(&tiles[i].gz);
        double frac = ((double)(z - R->opts->minzoom) + (double)p / (double)npairs) /
                      (double)(R->opts->maxzoom - R->opts->minzoom + 1);
        if (rc == PK_OK && R->progress && !R->progress(frac, "tiles", R->progress_arg))
            rc = pk_error(R->ctx, PK_ERR_CANCELLED, "tiles: cancelled");
    }
    free(pairs);
    free(tiles);
    return rc;
}
