/* tiler_piece.c — one feature at one zoom, cut into the pieces of the
 * tiles it meets: its geometry on the zoom's grid made once (simplified
 * arc by arc, valid; a polygon too small for the zoom is a one-unit square,
 * and the squares of other small polygons are cut out of it), split into
 * halves of its tile range until a few tiles are left (so each vertex is
 * visited a few times, not once per tile), clipped to each tile and its
 * buffer, and encoded as MVT geometry commands at once. The pieces go to a
 * list (struct tl_pieces) from which tiler_zoom.c assembles the tiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tile_clip_int.h"
#include "tiler_zoom_int.h"

/* A range of at most this many tiles is clipped tile by tile. */
#define SPLIT_TILES 4

struct feature_call {
    struct pk_worker *w;
    const struct tl_run *R;
    int z;
    size_t index;             /* the feature in R->F */
    struct tl_pieces *out;
    struct pk_mvt_geom mg;    /* reused */
    struct pk_tbuf cmds;      /* reused */
    long long written;
    int square;               /* the geometry is a one-unit square */
    int exact;                /* the geometry is valid, in whole units: pieces inside a tile need no repair */
};

void tl_pieces_free(struct tl_pieces *P)
{
    pk_tbuf_free(&P->bytes);
    free(P->v);
    memset(P, 0, sizeof *P);
}

/* Append a piece: tile (x, y), feature, commands. */
static int add_piece(struct tl_pieces *P, uint32_t x, uint32_t y, size_t feature, const struct pk_tbuf *cmds)
{
    if (P->n == P->cap) {
        size_t cap = P->cap ? 2 * P->cap : 64;
        struct tl_piece *v = realloc(P->v, cap * sizeof *v);
        if (!v)
            return PK_ERR_NOMEM;
        P->v = v, P->cap = cap;
    }
    P->v[P->n++] = (struct tl_piece){x, y, (uint32_t)feature, (uint32_t)cmds->len, P->bytes.len};
    pk_tbuf_append(&P->bytes, cmds->data, cmds->len);
    return P->bytes.oom ? PK_ERR_NOMEM : PK_OK;
}

static int translate(double *x, double *y, void *arg)
{
    const struct pk_tile_affine *t = arg;
    *x -= t->ox, *y -= t->oy;
    return 1;
}

/* Clip g (zoom grid units) to tile (x, y) plus buffer and keep its piece,
 * encoded. A polygon GEOS cannot clip is made valid and tried once more;
 * when that fails too the piece is left out (counted by the caller: the
 * feature then has no piece). */
static int clip_tile(struct feature_call *c, const GEOSGeometry *g, uint32_t x, uint32_t y)
{
    struct pk_ctx *ctx = c->w->ctx;
    GEOSContextHandle_t h = pk_geos(ctx);
    double ox = (double)x * TL_EXTENT, oy = (double)y * TL_EXTENT;
    double rect[4] = {ox - TL_BUFFER, oy - TL_BUFFER, ox + TL_EXTENT + TL_BUFFER, oy + TL_EXTENT + TL_BUFFER};
    struct pk_tile_affine t = {ox, oy, 1, 1};
    GEOSGeometry *piece = NULL;
    double b[4];
    int inside = GEOSGeom_getXMin_r(h, g, &b[0]) && GEOSGeom_getYMin_r(h, g, &b[1]) && GEOSGeom_getXMax_r(h, g, &b[2]) &&
                 GEOSGeom_getYMax_r(h, g, &b[3]) && b[0] >= rect[0] && b[1] >= rect[1] && b[2] <= rect[2] &&
                 b[3] <= rect[3];
    int rc = PK_OK;
    inside = inside && c->exact;
    if (inside) /* nothing to cut: moved by whole units, it stays as valid as it is */
        piece = GEOSGeom_transformXY_r(h, g, translate, &t);
    else
        rc = pk_tile_clip_box(ctx, g, rect, &t, &piece);
    if (inside && !piece)
        rc = pk_error_geos(ctx, "cannot move a geometry to its tile");
    if (rc == PK_ERR_GEOS && GEOSGeom_getDimensions_r(h, g) == 2) {
        pk_error_clear(ctx);
        GEOSGeometry *v = GEOSMakeValid_r(h, g);
        rc = v ? pk_tile_clip_box(ctx, v, rect, &t, &piece) : PK_ERR_GEOS;
        if (v)
            GEOSGeom_destroy_r(h, v);
        if (rc == PK_ERR_GEOS) {
            pk_error_clear(ctx);
            return PK_OK;
        }
    }
    if (rc != PK_OK || !piece)
        return rc;
    size_t nparts = 0;
    c->cmds.len = 0;
    rc = pk_mvt_geom_from_geos(h, piece, &c->mg);
    GEOSGeom_destroy_r(h, piece);
    if (rc == PK_OK)
        rc = pk_mvt_geom_encode(&c->mg, &c->cmds, &nparts, NULL);
    if (rc == PK_OK && nparts > 0) {
        rc = add_piece(c->out, x, y, c->index, &c->cmds);
        c->written++;
    }
    if (rc == PK_ERR_NOMEM)
        return pk_error(ctx, rc, "out of memory");
    return rc == PK_OK ? PK_OK : pk_error(ctx, rc, "cannot encode feature %lld", c->R->F->f[c->index].fid);
}

/* The rectangle a half of a tile range is cut to (tiles a0..a1, b0..b1 of
 * parent, whose geometry was cut to prect). GEOS 3.11's rectangle clipper
 * can return a ring that touches itself where a vertex of its input lies on
 * the rectangle's edge; the result is still the right area (pk_tile_clip_box
 * repairs it), but clipped once more it can come back as the whole rectangle
 * less the polygon, laid over the neighbours. So no edge of a cut may meet a
 * vertex: the new edge lies half a unit off the grid (the geometry's points
 * are whole units), and the sides shared with the parent half a unit outside
 * the parent's (a quarter unit off the grid at the top: see
 * tl_feature_pieces), where nothing of the parent's piece is. */
static void half_rect(const double prect[4], const uint32_t parent[4], uint32_t a0, uint32_t b0, uint32_t a1,
                      uint32_t b1, double rect[4])
{
    const uint32_t t[4] = {a0, b0, a1, b1};
    for (int i = 0; i < 4; i++) {
        if (t[i] == parent[i]) /* a side of the parent's */
            rect[i] = prect[i] + (i < 2 ? -0.5 : 0.5);
        else if (i < 2) /* the cut, seen from the upper half */
            rect[i] = (double)t[i] * TL_EXTENT - TL_BUFFER - 0.5;
        else /* the cut, seen from the lower half */
            rect[i] = (double)(t[i] + 1) * TL_EXTENT + TL_BUFFER + 0.5;
    }
}

/* The pieces of g in tiles r[0]..r[2] (x), r[1]..r[3] (y): a small range
 * tile by tile, a larger one halved (g cut to each half and its buffer,
 * unrounded, see half_rect; g was cut to prect, or lies within it) and each
 * half done the same way. */
static int clip_range(struct feature_call *c, const GEOSGeometry *g, const uint32_t r[4], const double prect[4])
{
    GEOSContextHandle_t h = pk_geos(c->w->ctx);
    int rc = PK_OK;
    uint32_t x0 = r[0], y0 = r[1], x1 = r[2], y1 = r[3];
    if ((uint64_t)(x1 - x0 + 1) * (y1 - y0 + 1) <= SPLIT_TILES) {
        for (uint32_t x = x0; rc == PK_OK && x <= x1; x++)
            for (uint32_t y = y0; rc == PK_OK && y <= y1; y++)
                rc = clip_tile(c, g, x, y);
        return rc;
    }
    int across = x1 - x0 >= y1 - y0;
    uint32_t mid = across ? x0 + (x1 - x0) / 2 : y0 + (y1 - y0) / 2;
    for (int half = 0; rc == PK_OK && half < 2; half++) {
        uint32_t a0 = across ? (half ? mid + 1 : x0) : x0, a1 = across ? (half ? x1 : mid) : x1;
        uint32_t b0 = across ? y0 : (half ? mid + 1 : y0), b1 = across ? y1 : (half ? y1 : mid);
        const uint32_t hr[4] = {a0, b0, a1, b1};
        double rect[4];
        half_rect(prect, r, a0, b0, a1, b1, rect);
        GEOSGeometry *sub = GEOSClipByRect_r(h, g, rect[0], rect[1], rect[2], rect[3]);
        if (!sub || GEOSGeomTypeId_r(h, sub) == GEOS_GEOMETRYCOLLECTION) { /* cut each tile from g itself */
            pk_error_clear(c->w->ctx);
            rc = clip_range(c, g, hr, prect);
        } else if (GEOSisEmpty_r(h, sub) != 1) {
            int exact = c->exact;
            c->exact = 0; /* the cut's new points are not whole units */
            rc = clip_range(c, sub, hr, rect);
            c->exact = exact;
        }
        if (sub)
            GEOSGeom_destroy_r(h, sub);
    }
    return rc;
}

/* Tiles of zoom z that grid values lo..hi (plus the buffer) meet, on one
 * axis, cut to the export's range; 0 when none. */
static int tile_span(const struct tl_run *R, int z, double lo, double hi, int axis, uint32_t *t0, uint32_t *t1)
{
    double a = floor((lo - TL_BUFFER) / TL_EXTENT), b = floor((hi + TL_BUFFER) / TL_EXTENT);
    double rlo = (double)R->range[z][axis], rhi = (double)R->range[z][axis + 2];
    a = a < rlo ? rlo : a;
    b = b > rhi ? rhi : b;
    if (a > b)
        return 0;
    *t0 = (uint32_t)a, *t1 = (uint32_t)b;
    return 1;
}

/* Cut the squares of other small polygons of f's layer out of g (f's
 * polygon at this zoom), so that keeping them visible adds no overlap. A
 * cut that would leave nothing of g is not made. */
static int carve(struct feature_call *c, const struct tl_squares *S, GEOSGeometry **g)
{
    GEOSContextHandle_t h = pk_geos(c->w->ctx);
    const struct tl_feature *f = &c->R->F->f[c->index];
    double b[4];
    if (!GEOSGeom_getXMin_r(h, *g, &b[0]) || !GEOSGeom_getYMin_r(h, *g, &b[1]) || !GEOSGeom_getXMax_r(h, *g, &b[2]) ||
        !GEOSGeom_getYMax_r(h, *g, &b[3]))
        return PK_OK; /* empty */
    for (size_t i = 0; i < S->n; i++) {
        const struct tl_square *s = &S->v[i];
        if (s->real || s->layer != f->layer || s->feature == c->index || (double)s->x > b[2] || (double)s->x + 1 < b[0] ||
            (double)s->y > b[3] || (double)s->y + 1 < b[1])
            continue;
        GEOSGeometry *sq = tl_unit_square(c->w->ctx, s->x, s->y);
        GEOSGeometry *d = sq ? GEOSDifference_r(h, *g, sq) : NULL;
        if (sq)
            GEOSGeom_destroy_r(h, sq);
        double left = 0;
        if (d && GEOSArea_r(h, d, &left) == 1 && left > 0 && GEOSGeom_getDimensions_r(h, d) == 2) {
            GEOSGeom_destroy_r(h, *g);
            *g = d;
            c->exact = 0; /* cut points are not whole units */
        } else if (d)
            GEOSGeom_destroy_r(h, d);
        pk_error_clear(c->w->ctx);
    }
    return PK_OK;
}

/* f's geometry at this zoom: a square when it is small (tiny), else
 * simplified, made valid, with the other squares cut out. */
static int zoom_geometry(struct feature_call *c, const struct tl_squares *S, const struct tl_square *tiny,
                         GEOSGeometry **g)
{
    const struct tl_feature *f = &c->R->F->f[c->index];
    int sq = 0, rc = PK_OK;
    *g = NULL;
    c->square = tiny != NULL;
    c->exact = 1;
    if (tiny) {
        if (!(*g = tl_unit_square(c->w->ctx, tiny->x, tiny->y)))
            return pk_error_geos(c->w->ctx, "cannot make a square");
        return PK_OK;
    }
    rc = tl_feature_at_zoom(c->w->ctx, f, c->R->grid, c->z, TL_SIMPLIFY, g, &sq);
    c->square = sq;
    if (rc == PK_OK && *g && f->type == PK_MVT_POLYGON && !sq)
        rc = tl_make_valid(c->w->ctx, g, &c->exact);
    if (rc == PK_OK && *g && f->type == PK_MVT_POLYGON && !sq && S->n > 0)
        rc = carve(c, S, g);
    return rc;
}

int tl_feature_pieces(struct pk_worker *w, const struct tl_run *R, int z, size_t index, const struct tl_squares *S,
                      const struct tl_square *tiny, struct tl_pieces *out, long long *kept_tiny,
                      long long *dropped)
{
    GEOSContextHandle_t h = pk_geos(w->ctx);
    const struct tl_feature *f = &R->F->f[index];
    struct feature_call c = {.w = w, .R = R, .z = z, .index = index, .out = out};
    GEOSGeometry *g = NULL;
    double b[4];
    uint32_t x0, x1, y0, y1;
    int rc = f->npts ? zoom_geometry(&c, S, tiny, &g) : PK_OK;
    int in_range = g && GEOSGeom_getXMin_r(h, g, &b[0]) && GEOSGeom_getYMin_r(h, g, &b[1]) &&
                   GEOSGeom_getXMax_r(h, g, &b[2]) && GEOSGeom_getYMax_r(h, g, &b[3]) &&
                   tile_span(R, z, b[0], b[2], 0, &x0, &x1) && tile_span(R, z, b[1], b[3], 1, &y0, &y1);
    if (rc == PK_OK && in_range) {
        const uint32_t r[4] = {x0, y0, x1, y1};
        /* g is not cut to it: a quarter unit off the grid, so its halves' sides (half a unit further
         * out, see half_rect) are off the grid too */
        const double rect[4] = {(double)x0 * TL_EXTENT - TL_BUFFER - 0.25, (double)y0 * TL_EXTENT - TL_BUFFER - 0.25,
                                (double)(x1 + 1) * TL_EXTENT + TL_BUFFER + 0.25,
                                (double)(y1 + 1) * TL_EXTENT + TL_BUFFER + 0.25};
        rc = clip_range(&c, g, r, rect);
    }
    if (g)
        GEOSGeom_destroy_r(h, g);
    *kept_tiny += c.square && c.written > 0;
    if (rc == PK_OK && c.written == 0 && !c.square && f->type == PK_MVT_POLYGON && f->npts > 0) {
        /* nothing left at this zoom (collapsed, or lost in clipping): a square, if in range */
        uint32_t tx, ty;
        tl_label_tile(f, R->grid, z, &tx, &ty);
        if (tx >= R->range[z][0] && tx <= R->range[z][2] && ty >= R->range[z][1] && ty <= R->range[z][3]) {
            if (!(g = tl_feature_square(w->ctx, f, R->grid, z)))
                rc = pk_error_geos(w->ctx, "cannot make a square");
            if (rc == PK_OK)
                rc = clip_tile(&c, g, tx, ty);
            if (g)
                GEOSGeom_destroy_r(h, g);
            *kept_tiny += c.written > 0;
            *dropped += c.written == 0;
        }
    } else if (rc == PK_OK && c.written == 0 && in_range)
        *dropped += 1;
    pk_mvt_geom_free(&c.mg);
    pk_tbuf_free(&c.cmds);
    return rc;
}
