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

/* One feature of a tile: its piece in tile coordinates (owned; NULL when
 * nothing of it is in the tile) and whether that piece is the one-unit
 * square of a polygon too small for the zoom. */
struct piece {
    const struct tl_feature *f;
    GEOSGeometry *g;
    int square;
    int home;                    /* the tile holds the feature's label point */
    int failed;                  /* GEOS could not clip it: dropped, counted */
};

/* g (feature f on zoom z's grid; taken) clipped to tile t: *out in tile
 * coordinates, NULL when nothing is in the tile. When GEOS's rectangle
 * clipper fails on a polygon the grid folded (a ring it cuts to fewer than
 * 4 points), the polygon is made valid and cut to the buffered tile with a
 * full intersection first; *failed is set (and *out NULL) when that fails
 * too, for the caller to count. */
static int clip(struct pk_worker *w, int z, const struct tile_job *t, const struct tl_feature *f, GEOSGeometry *g,
                GEOSGeometry **out, int *failed)
{
    GEOSContextHandle_t h = pk_geos(w->ctx);
    int rc = pk_tile_clip(w->ctx, g, z, t->x, t->y, TL_EXTENT, TL_BUFFER, out);
    if (rc == PK_ERR_GEOS && f->type == PK_MVT_POLYGON) {
        double b[4];
        pk_tile_box_3857(z, t->x, t->y, b);
        double m = (b[2] - b[0]) * TL_BUFFER / TL_EXTENT;
        GEOSGeometry *v = GEOSMakeValid_r(h, g), *box = GEOSGeom_createRectangle_r(h, b[0] - m, b[1] - m, b[2] + m, b[3] + m);
        GEOSGeometry *cut = v && box ? GEOSIntersection_r(h, v, box) : NULL;
        pk_error_clear(w->ctx);
        rc = cut ? pk_tile_clip(w->ctx, cut, z, t->x, t->y, TL_EXTENT, TL_BUFFER, out) : PK_ERR_GEOS;
        if (rc == PK_ERR_GEOS) {
            *failed = 1;
            *out = NULL;
            pk_error_clear(w->ctx);
            rc = PK_OK;
        }
        GEOSGeometry *tmp[3] = {v, box, cut};
        for (int i = 0; i < 3; i++)
            if (tmp[i])
                GEOSGeom_destroy_r(h, tmp[i]);
    }
    GEOSGeom_destroy_r(h, g);
    return rc;
}

/* Feature f's piece of tile t. A polygon of which nothing with an area is
 * left in the tile that holds its label point (it collapsed on the grid, or
 * making it valid emptied it) is a one-unit square there instead. */
static int make_piece(struct pk_worker *w, const struct tl_run *R, int z, const struct tile_job *t, struct piece *p)
{
    const struct tl_feature *f = p->f;
    GEOSContextHandle_t h = pk_geos(w->ctx);
    GEOSGeometry *g = NULL;
    int tiny = 0, rc = tl_feature_at_zoom(w->ctx, f, R->grid, z, &g, &tiny);
    if (rc == PK_OK && g && f->type == PK_MVT_POLYGON)
        rc = tl_make_valid(w->ctx, &g);
    if (rc == PK_OK && g)
        rc = clip(w, z, t, f, g, &p->g, &p->failed);
    if (rc != PK_OK || f->type != PK_MVT_POLYGON)
        return rc;
    uint32_t lx, ly;
    tl_label_tile(f, R->grid, z, &lx, &ly);
    p->home = lx == t->x && ly == t->y;
    p->square = tiny;
    double area = 0;
    if (p->g && GEOSArea_r(h, p->g, &area) != 1)
        return pk_error_geos(w->ctx, "area");
    if (area > 0 || !p->home)
        return PK_OK;
    if (p->g)
        GEOSGeom_destroy_r(h, p->g);
    p->g = NULL;
    if (!(g = tl_feature_square(w->ctx, f, R->grid, z)))
        return pk_error_geos(w->ctx, "cannot make a square");
    p->square = 1;
    return clip(w, z, t, f, g, &p->g, &p->failed);
}

/* The polygons of a collection (taken) as one MultiPolygon; NULL on a GEOS
 * failure. */
static GEOSGeometry *polygonal_parts(GEOSContextHandle_t h, GEOSGeometry *c)
{
    int n = GEOSGetNumGeometries_r(h, c), m = 0;
    GEOSGeometry **parts = calloc((size_t)(n > 0 ? n : 1), sizeof *parts);
    for (int i = 0; parts && i < n; i++) {
        const GEOSGeometry *g = GEOSGetGeometryN_r(h, c, i);
        if (GEOSGeomTypeId_r(h, g) == GEOS_POLYGON && GEOSisEmpty_r(h, g) != 1)
            parts[m++] = GEOSGeom_clone_r(h, g);
    }
    GEOSGeometry *out = parts ? GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)m) : NULL;
    free(parts);
    GEOSGeom_destroy_r(h, c);
    return out;
}

/* The squares of a tile take their place out of the other polygons of
 * their layer (a difference on the integer grid), so keeping a small
 * polygon visible adds no overlap; a neighbour the cut would empty keeps
 * its piece (then the square overlaps it). */
static int carve_squares(struct pk_worker *w, struct piece *ps, size_t n)
{
    GEOSContextHandle_t h = pk_geos(w->ctx);
    for (size_t i = 0; i < n; i++) {
        if (!ps[i].square || !ps[i].g)
            continue;
        for (size_t k = 0; k < n; k++) {
            if (k == i || ps[k].square || !ps[k].g || ps[k].f->layer != ps[i].f->layer ||
                ps[k].f->type != PK_MVT_POLYGON)
                continue;
            if (GEOSisEmpty_r(h, ps[k].g) == 1 || GEOSGeom_getDimensions_r(h, ps[k].g) != 2)
                continue;
            char meets = GEOSIntersects_r(h, ps[k].g, ps[i].g);
            if (meets == 2)
                return pk_error_geos(w->ctx, "intersects");
            if (!meets)
                continue;
            GEOSGeometry *d = GEOSDifferencePrec_r(h, ps[k].g, ps[i].g, 1.0);
            if (d && GEOSGeomTypeId_r(h, d) == GEOS_GEOMETRYCOLLECTION)
                d = polygonal_parts(h, d);
            if (!d)
                return pk_error_geos(w->ctx, "cannot cut a small polygon's square out of its neighbour");
            double left = 0;
            if (GEOSArea_r(h, d, &left) != 1 || left <= 0) { /* a square never hides a neighbour whole */
                GEOSGeom_destroy_r(h, d);
                continue;
            }
            GEOSGeom_destroy_r(h, ps[k].g);
            ps[k].g = d;
        }
    }
    return PK_OK;
}

/* Encode piece p into layer; counts what was kept as a square or dropped. */
static int encode_piece(struct pk_worker *w, struct tile_job *t, const struct piece *p, struct pk_mvt_layer *layer,
                        struct pk_mvt_geom *mg)
{
    t->dropped += p->failed;
    if (!p->g)
        return PK_OK;
    int rc = pk_mvt_geom_from_geos(pk_geos(w->ctx), p->g, mg);
    size_t before = pk_mvt_layer_nfeatures(layer);
    if (rc == PK_OK)
        rc = pk_mvt_layer_add_feature(layer, 1, (uint64_t)p->f->fid, mg, p->f->attrs, (size_t)p->f->nattrs, NULL);
    int written = pk_mvt_layer_nfeatures(layer) > before;
    t->tiny += p->square && p->home && written;
    t->dropped += !written;
    return rc == PK_OK ? PK_OK : pk_error(w->ctx, rc, "cannot encode feature %lld", p->f->fid);
}

/* Every piece of tile t, squares carved out, encoded into tile. */
static int fill_tile(struct pk_worker *w, const struct zoom_job *J, struct tile_job *t, struct pk_mvt_tile *tile,
                     struct pk_mvt_layer **layers, struct piece *ps)
{
    const struct tl_run *R = J->R;
    size_t n = t->b - t->a;
    struct pk_mvt_geom mg = {0};
    int rc = PK_OK;
    for (size_t k = 0; rc == PK_OK && k < n; k++) {
        ps[k].f = &R->F->f[J->pairs[t->a + k].feature];
        rc = make_piece(w, R, J->z, t, &ps[k]);
    }
    if (rc == PK_OK)
        rc = carve_squares(w, ps, n);
    for (size_t k = 0; rc == PK_OK && k < n; k++) {
        const struct tl_feature *f = ps[k].f;
        if (!layers[f->layer])
            rc = pk_mvt_tile_add_layer(tile, R->L->l[f->layer].name, TL_EXTENT, &layers[f->layer]);
        if (rc == PK_OK)
            rc = encode_piece(w, t, &ps[k], layers[f->layer], &mg);
    }
    pk_mvt_geom_free(&mg);
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
    struct piece *ps = calloc(t->b - t->a, sizeof *ps);
    int rc = tile && layers && ps ? fill_tile(w, J, t, tile, layers, ps) : pk_error(w->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK && pk_mvt_tile_nfeatures(tile) > 0 && pk_mvt_tile_serialize(tile, 1, &t->gz) != PK_OK)
        rc = pk_error(w->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc != PK_OK) {
        t->rc = rc;
        snprintf(t->err, sizeof t->err, "tile %d/%u/%u: %s", J->z, t->x, t->y, pk_errmsg(w->ctx));
    }
    for (size_t k = 0; ps && k < t->b - t->a; k++)
        if (ps[k].g)
            GEOSGeom_destroy_r(pk_geos(w->ctx), ps[k].g);
    free(ps);
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
