/* overlay.c — the overlay engine: intersection, union, difference,
 * symdifference, identity, clip and erase of two layers.
 *
 * Phase 1 runs over A's features across a thread pool (each thread with its
 * own GEOS handle and PROJ transform): B's features are found through an
 * STRtree and each pair is computed by overlay_pair.c (the rectangle
 * clipper, or GEOS with a prepared A and the covered shortcut), in the store
 * CRS, so pieces are those any GEOS-based tool makes of the same data. Piece
 * areas are measured in the metric CRS (measure.c), transforming each piece
 * once. Inputs are read by the pool's threads, each through its own
 * read-only connection (phase -1). A's remainder
 * outside B is A minus the union of its pieces. Phase 2 (union,
 * symdifference) does the same for B's remainders. Pieces are written in A
 * order, then B order, so the output does not depend on the thread count;
 * the pool computes the next chunk of A while this thread writes the last.
 * The store is valid already, so nothing is repaired here. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crs_int.h"
#include "geom_int.h"
#include "overlay_int.h"
#include "pool_int.h"
#include "sink_int.h"
#include "worker_int.h"

#define CHUNK 32

static const char *const op_names[] = {"intersection", "union", "difference", "symdifference",
                                       "identity", "clip", "erase"};

int pk_overlay_parse_op(const char *name, enum pk_overlay_op *op)
{
    for (int i = 0; i < (int)(sizeof op_names / sizeof op_names[0]); i++)
        if (!strcasecmp(name, op_names[i])) {
            *op = (enum pk_overlay_op)i;
            return PK_OK;
        }
    return PK_ERR_ARGS;
}

const char *pk_overlay_op_name(enum pk_overlay_op op)
{
    return (unsigned)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "unknown";
}

struct piece {
    size_t b;            /* index into B, or (size_t)-1 for a remainder */
    GEOSGeometry *g;     /* store CRS; owned unless borrowed */
    int borrowed;        /* g is B's own geometry (covered shortcut) */
    double area;         /* m² in the metric CRS */
    double plain;        /* planar area in the store CRS */
};

/* Results of one input feature (A in phase 1, B in phase 2). */
struct item {
    struct piece *pieces;
    size_t npieces;
    struct piece rest;   /* remainder outside the other layer (g NULL if none) */
    struct piece clip;   /* clip: the union of the pieces */
    long long pairs, covered, by_rect;
    long long slivers;
    double sliver_area;
    int rc;
    char err[256];
};

struct overlay {
    struct pk_store *store;
    const struct pk_overlay_opts *o;
    struct pk_ov_input A, B;
    double *a_area;          /* A's areas in the metric CRS, m² (for the summary) */
    double (*a_box)[4], (*b_box)[4]; /* a feature's rectangle, when it is one */
    char *a_rect, *b_rect;
    int a_disjoint, b_disjoint; /* the layer's features are rectangles that do not overlap */
    GEOSSTRtree *tree;       /* over B.geoms (items: index + 1) */
    struct item *items[2];   /* two chunks: one computed while the other is written */
    GEOSGeometry ***b_pieces;/* phase 2: for each b, the pieces A took from it */
    size_t *b_npieces;
    double *b_plain;         /* and their planar areas summed */
    struct pk_worker_conf crs;
    int need_rest_a, need_rest_b, need_pieces, need_a_area, clip, write, verify;
};

/* g minus the union of pieces (store CRS), with its metric area; NULL when
 * nothing is left. plain: the pieces' planar areas summed, when the pieces
 * cannot overlap (else -1). Planar areas in the store CRS add up exactly, so
 * when disjoint pieces make up all of g's area (to 1e-12) nothing is left
 * and no GEOS difference is needed. */
static GEOSGeometry *outside_pieces(struct pk_worker *t, const GEOSGeometry *g, GEOSGeometry *const *pieces,
                                    size_t n, double plain, double *area, int *ok)
{
    GEOSContextHandle_t h = pk_geos(t->ctx);
    double whole = 0;
    if (n == 0)
        return pk_ov_clean(t, GEOSGeom_clone_r(h, g), area, NULL, ok);
    if (plain >= 0 && GEOSArea_r(h, g, &whole) && whole - plain <= 1e-12 * whole)
        return NULL;
    GEOSGeometry *u;
    if (pk_geom_union_all(t->ctx, (const GEOSGeometry *const *)pieces, n, &u) != PK_OK || !u) {
        *ok = 0;
        return NULL;
    }
    GEOSGeometry *d = GEOSDifference_r(h, g, u);
    GEOSGeom_destroy_r(h, u);
    if (!d) {
        *ok = 0;
        return NULL;
    }
    return pk_ov_clean(t, d, area, NULL, ok);
}

struct collect {
    size_t *idx;
    size_t n, cap;
    int oom;
};

static void collect_cb(void *item, void *arg)
{
    struct collect *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        size_t *idx = realloc(c->idx, cap * sizeof *c->idx);
        if (!idx) {
            c->oom = 1;
            return;
        }
        c->idx = idx;
        c->cap = cap;
    }
    c->idx[c->n++] = (size_t)(uintptr_t)item - 1;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* 1 if the piece is kept; else counts it as a sliver (when it has area). */
static int keep(const struct overlay *O, struct item *it, double area)
{
    if (area > 0 && area >= O->o->min_area)
        return 1;
    if (area > 0) {
        it->slivers++;
        it->sliver_area += area;
    }
    return 0;
}

static void free_piece(struct pk_ctx *ctx, struct piece *p)
{
    if (p->g && !p->borrowed)
        GEOSGeom_destroy_r(pk_geos(ctx), p->g);
    p->g = NULL;
    p->borrowed = 0;
}

/* a_area values that are not areas: the feature could not be measured, or
 * the thread that was to measure it could not start */
#define AREA_UNMEASURABLE (-1.0)
#define AREA_NO_WORKER (-2.0)

/* Phase 0, for the summary: the metric area of every A feature. */
static void metric_item(void *state, size_t i, void *arg)
{
    struct pk_worker *t = state;
    struct overlay *O = arg;
    const GEOSGeometry *g = O->A.geoms[i];
    if (!t || t->rc != PK_OK)
        O->a_area[i] = AREA_NO_WORKER;
    else if (g && !pk_ov_metric_area(t, g, &O->a_area[i]))
        O->a_area[i] = AREA_UNMEASURABLE;
}

/* Phase -1: deferred geometries, chunk by chunk, each thread reading
 * through its own connection. Items: A's chunks, then B's. */
struct read_job {
    struct overlay *O;
    size_t a_chunks;
    int *rc;
    char (*err)[256];
};

static void read_item(void *state, size_t k, void *arg)
{
    struct pk_worker *t = state;
    struct read_job *R = arg;
    if (!t || t->rc != PK_OK) {
        R->rc[k] = PK_ERR_NOMEM;
        snprintf(R->err[k], sizeof R->err[k], "cannot start a worker thread");
        return;
    }
    int is_b = k >= R->a_chunks;
    struct pk_ov_input *in = is_b ? &R->O->B : &R->O->A;
    R->rc[k] = pk_ov_input_read_chunk(t, in, is_b ? k - R->a_chunks : k);
    if (R->rc[k] != PK_OK)
        snprintf(R->err[k], sizeof R->err[k], "%s", pk_errmsg(t->ctx));
}

static int read_inputs(struct overlay *O, struct pk_pool *pool, struct pk_worker *main_state)
{
    struct pk_ctx *ctx = pk_store_ctx(O->store);
    size_t ca = pk_ov_input_chunks(&O->A), n = ca + pk_ov_input_chunks(&O->B);
    int rc = PK_OK;
    if (n > 0) {
        struct read_job R = {O, ca, calloc(n, sizeof *R.rc), calloc(n, sizeof *R.err)};
        if (!R.rc || !R.err)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        else
            pk_pool_run(pool, main_state, n, read_item, &R);
        for (size_t k = 0; rc == PK_OK && k < n; k++)
            if (R.rc[k] != PK_OK)
                rc = pk_error(ctx, R.rc[k], "overlay: %s", R.err[k]);
        free(R.rc);
        free(R.err);
    }
    return rc;
}

/* A chunk of items for the pool: features start .. start + n - 1. */
struct ov_job {
    struct overlay *O;
    struct item *items;
    size_t start;
};

/* The union of an item's pieces, for clip. */
static GEOSGeometry *union_pieces(struct pk_worker *t, struct item *it, double *area, int *ok)
{
    const GEOSGeometry **gs = malloc(it->npieces * sizeof *gs);
    GEOSGeometry *u = NULL;
    for (size_t j = 0; gs && j < it->npieces; j++)
        gs[j] = it->pieces[j].g;
    if (!gs || pk_geom_union_all(t->ctx, gs, it->npieces, &u) != PK_OK || !u) {
        free(gs); /* a GEOS error: fail rather than write no clip piece */
        *ok = 0;
        return NULL;
    }
    free(gs);
    return pk_ov_clean(t, u, area, NULL, ok);
}

/* A's pieces with the B features in c (largest first) into it->pieces.
 * Returns 1, or 0 after a failure (it->err says which pair). */
static int cut_pieces(struct pk_worker *t, const struct overlay *O, size_t ai, const struct collect *c,
                      struct item *it)
{
    struct pk_ov_pairer P;
    int ok = 1;
    pk_ov_pairer_init(&P, t, O->A.geoms[ai], O->a_rect[ai] ? O->a_box[ai] : NULL, O->verify);
    for (size_t j = 0; ok && j < c->n; j++) {
        size_t bi = c->idx[j];
        const GEOSGeometry *b = O->B.geoms[bi];
        struct pk_ov_piece x;
        int how;
        if (!b)
            continue;
        if (pk_ov_pair(&P, b, O->b_rect[bi] ? O->b_box[bi] : NULL, &x, &how) < 0) {
            ok = 0;
            snprintf(it->err, sizeof it->err, "with layer '%s' feature %lld: %s", O->B.ref.name, O->B.fids[bi], P.err);
            break;
        }
        if (!x.meets)
            continue;
        it->pairs++;
        it->covered += how == PK_OV_COVERED;
        it->by_rect += how == PK_OV_BY_RECT;
        struct piece p = {bi, x.g, x.borrowed, x.area, x.plain};
        if (!p.g)
            continue;
        if (!keep(O, it, p.area)) {
            free_piece(t->ctx, &p);
            continue;
        }
        it->pieces[it->npieces++] = p;
    }
    pk_ov_pairer_release(&P);
    return ok;
}

/* The part of A no piece took (it->rest), for the operations that keep it.
 * Returns 1, or 0 on failure. */
static int cut_rest(struct pk_worker *t, const struct overlay *O, const GEOSGeometry *a, struct item *it)
{
    int ok = 1;
    GEOSGeometry **gs = malloc((it->npieces ? it->npieces : 1) * sizeof *gs);
    double plain = 0;
    for (size_t j = 0; gs && j < it->npieces; j++)
        gs[j] = it->pieces[j].g, plain += it->pieces[j].plain;
    it->rest.g = gs ? outside_pieces(t, a, gs, it->npieces, O->b_disjoint ? plain : -1, &it->rest.area, &ok) : NULL;
    ok = ok && gs;
    free(gs);
    if (it->rest.g && !keep(O, it, it->rest.area))
        free_piece(t->ctx, &it->rest);
    return ok;
}

/* clip's piece of A: the union of its pieces (it->clip). Returns 1, or 0
 * on failure. */
static int cut_clip(struct pk_worker *t, const struct overlay *O, const GEOSGeometry *a, struct item *it)
{
    GEOSContextHandle_t h = pk_geos(t->ctx);
    double plain = 0, whole = 0;
    int ok = 1;
    for (size_t j = 0; j < it->npieces; j++)
        plain += it->pieces[j].plain;
    if (O->b_disjoint && GEOSArea_r(h, a, &whole) && whole - plain <= 1e-12 * whole) {
        /* disjoint rectangles cover a: the union of its pieces is a */
        it->clip.g = pk_geom_promote_multi(t->ctx, GEOSGeom_clone_r(h, a));
        if (!it->clip.g || !pk_ov_metric_area(t, it->clip.g, &it->clip.area))
            ok = 0;
    } else
        it->clip.g = union_pieces(t, it, &it->clip.area, &ok);
    return ok;
}

/* Phase 1: one A feature against B: its pieces, then what the operation
 * keeps of the rest (rest, clip). Errors go to it->rc and it->err. */
static void a_item(void *state, size_t k, void *arg)
{
    struct pk_worker *t = state;
    struct ov_job *J = arg;
    struct overlay *O = J->O;
    size_t ai = J->start + k;
    struct item *it = &J->items[k];
    if (!t || t->rc != PK_OK) {
        it->rc = PK_ERR_NOMEM;
        snprintf(it->err, sizeof it->err, "cannot start a worker thread");
        return;
    }
    const GEOSGeometry *a = O->A.geoms[ai];
    it->rest.b = it->clip.b = (size_t)-1;
    if (!a)
        return;
    struct collect c = {0};
    if (O->B.n > 0)
        GEOSSTRtree_query_r(pk_geos(t->ctx), O->tree, a, collect_cb, &c);
    if (c.n > 1)
        qsort(c.idx, c.n, sizeof *c.idx, cmp_size);
    it->pieces = calloc(c.n ? c.n : 1, sizeof *it->pieces);
    if (c.oom || !it->pieces) {
        free(c.idx);
        it->rc = PK_ERR_NOMEM;
        snprintf(it->err, sizeof it->err, "out of memory");
        return;
    }
    int ok = cut_pieces(t, O, ai, &c, it);
    free(c.idx);
    if (ok && O->need_rest_a)
        ok = cut_rest(t, O, a, it);
    if (ok && O->clip && O->write && it->npieces > 0)
        ok = cut_clip(t, O, a, it);
    if (!ok) {
        it->rc = PK_ERR_GEOS;
        if (!*it->err)
            snprintf(it->err, sizeof it->err, "%s", *pk_errmsg(t->ctx) ? pk_errmsg(t->ctx) : "GEOS operation failed");
    }
}

/* Phase 2: one B feature minus the pieces A took from it. */
static void b_item(void *state, size_t k, void *arg)
{
    struct pk_worker *t = state;
    struct ov_job *J = arg;
    struct overlay *O = J->O;
    size_t bi = J->start + k;
    struct item *it = &J->items[k];
    if (!t || t->rc != PK_OK) {
        it->rc = PK_ERR_NOMEM;
        return;
    }
    const GEOSGeometry *b = O->B.geoms[bi];
    int ok = 1;
    it->rest.b = bi;
    if (!b)
        return;
    it->rest.g = outside_pieces(t, b, O->b_pieces[bi], O->b_npieces[bi], O->a_disjoint ? O->b_plain[bi] : -1,
                                &it->rest.area, &ok);
    if (it->rest.g && !keep(O, it, it->rest.area))
        free_piece(t->ctx, &it->rest);
    if (!ok) {
        it->rc = PK_ERR_GEOS;
        snprintf(it->err, sizeof it->err, "%s", *pk_errmsg(t->ctx) ? pk_errmsg(t->ctx) : "GEOS operation failed");
    }
}

static void release_item(struct pk_ctx *ctx, struct item *it)
{
    for (size_t j = 0; j < it->npieces; j++)
        free_piece(ctx, &it->pieces[j]);
    free(it->pieces);
    free_piece(ctx, &it->rest);
    free_piece(ctx, &it->clip);
    memset(it, 0, sizeof *it);
}

static int check_polygonal(struct pk_ctx *ctx, const struct pk_ov_input *in)
{
    for (size_t i = 0; i < in->n; i++)
        if (in->geoms[i] && !pk_geom_is_polygonal(ctx, in->geoms[i]))
            return pk_error(ctx, PK_ERR_ARGS, "overlay: layer '%s' has non-polygon features (fid %lld): overlays "
                            "need polygons (buffer lines and points first)", in->ref.name, in->fids[i]);
    return PK_OK;
}

static int write_out(struct overlay *O, struct pk_sink *sink, const struct pk_ov_cols *oc, size_t ai, size_t bi,
                     const struct piece *p, struct pk_overlay_result *res)
{
    if (!p->g)
        return PK_OK;
    res->pieces++;
    res->total_area += p->area;
    return sink ? pk_ov_write(&O->A, &O->B, sink, oc, ai, bi, p->g, p->area) : PK_OK;
}

struct box_key {
    double x0;
    size_t i;
};

static int cmp_box_key(const void *a, const void *b)
{
    const struct box_key *p = a, *q = b;
    return p->x0 < q->x0 ? -1 : p->x0 > q->x0;
}

/* 1 if every feature is a rectangle and no two overlap (they may touch):
 * then the pieces another feature takes from them cannot overlap either. A
 * sweep over the boxes sorted by their left edge. */
static int rects_disjoint(const struct pk_ov_input *in, const char *is_rect, double (*box)[4])
{
    size_t n = 0;
    struct box_key *keys = malloc((in->n ? in->n : 1) * sizeof *keys);
    if (!keys)
        return 0;
    for (size_t i = 0; i < in->n; i++) {
        if (in->geoms[i] && !is_rect[i]) {
            free(keys);
            return 0;
        }
        if (in->geoms[i])
            keys[n++] = (struct box_key){box[i][0], i};
    }
    qsort(keys, n, sizeof *keys, cmp_box_key);
    int disjoint = 1;
    for (size_t i = 0; disjoint && i < n; i++) {
        const double *p = box[keys[i].i];
        for (size_t j = i + 1; disjoint && j < n && keys[j].x0 < p[2]; j++) {
            const double *q = box[keys[j].i];
            disjoint = !(q[1] < p[3] && p[1] < q[3]);
        }
    }
    free(keys);
    return disjoint;
}

/* Which features are axis-aligned rectangles (the clipper's fast path). */
static int find_rects(struct pk_ctx *ctx, const struct pk_ov_input *in, char **is_rect, double (**box)[4])
{
    *is_rect = calloc(in->n ? in->n : 1, 1);
    *box = calloc(in->n ? in->n : 1, sizeof **box);
    if (!*is_rect || !*box)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < in->n; i++)
        if (in->geoms[i])
            (*is_rect)[i] = (char)pk_geom_is_rect(pk_geos(ctx), in->geoms[i], (*box)[i]);
    return PK_OK;
}

/* What the operation needs: pieces, the rest of A or B, A's areas. */
static void plan_operation(struct overlay *O)
{
    const struct pk_overlay_opts *o = O->o;
    enum pk_overlay_op op = o->op;
    O->write = o->out != NULL;
    O->clip = op == PK_OV_CLIP;
    O->need_pieces = op == PK_OV_INTERSECTION || op == PK_OV_UNION || op == PK_OV_IDENTITY || op == PK_OV_CLIP;
    O->need_rest_a = O->write && op != PK_OV_INTERSECTION && op != PK_OV_CLIP;
    O->need_rest_b = O->write && (op == PK_OV_UNION || op == PK_OV_SYMDIFFERENCE);
    O->need_a_area = o->summary;
}

/* B's STRtree, built before threads query it. */
static int build_tree(struct overlay *O, GEOSContextHandle_t h)
{
    if (!(O->tree = GEOSSTRtree_create_r(h, 10)))
        return pk_error_geos(pk_store_ctx(O->store), "cannot index layer B");
    for (size_t j = 0; j < O->B.n; j++)
        if (O->B.geoms[j])
            GEOSSTRtree_insert_r(h, O->tree, O->B.geoms[j], (void *)(uintptr_t)(j + 1));
    if (O->B.n > 0) {
        struct collect c = {0};
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, 0, 0);
        if (pt) {
            GEOSSTRtree_query_r(h, O->tree, pt, collect_cb, &c);
            GEOSGeom_destroy_r(h, pt);
        }
        free(c.idx);
    }
    return PK_OK;
}

/* Read the inputs on the pool, check them, find rectangles, measure A when
 * the summary needs it, and index B. */
static int prepare_inputs(struct overlay *O, struct pk_pool *pool, struct pk_worker *main_state)
{
    struct pk_ctx *ctx = pk_store_ctx(O->store);
    int rc = read_inputs(O, pool, main_state);
    if (rc == PK_OK)
        rc = check_polygonal(ctx, &O->A);
    if (rc == PK_OK)
        rc = check_polygonal(ctx, &O->B);
    if (rc == PK_OK)
        rc = find_rects(ctx, &O->A, &O->a_rect, &O->a_box);
    if (rc == PK_OK)
        rc = find_rects(ctx, &O->B, &O->b_rect, &O->b_box);
    if (rc != PK_OK)
        return rc;
    O->a_disjoint = O->need_rest_b && rects_disjoint(&O->A, O->a_rect, O->a_box);
    O->b_disjoint = (O->need_rest_a || O->clip) && rects_disjoint(&O->B, O->b_rect, O->b_box);
    if (O->need_a_area)
        pk_pool_run(pool, main_state, O->A.n, metric_item, O);
    for (size_t i = 0; O->need_a_area && i < O->A.n; i++) {
        if (O->a_area[i] == AREA_NO_WORKER)
            return pk_error(ctx, PK_ERR_NOMEM, "overlay: cannot start a worker thread (out of memory)");
        if (O->A.geoms[i] && O->a_area[i] < 0)
            return pk_error(ctx, PK_ERR_DATA, "overlay: layer '%s' feature %lld cannot be transformed to EPSG:%d",
                            O->A.ref.name, O->A.fids[i], pk_store_measure_srid(O->store));
    }
    return build_tree(O, pk_geos(ctx));
}

/* The output sink and its columns (with -o), the summary matrix and the
 * per-B piece lists (when B's rest is written). */
static int open_outputs(struct overlay *O, struct pk_ov_cols *oc, struct pk_sink **sink, double **m)
{
    struct pk_ctx *ctx = pk_store_ctx(O->store);
    const struct pk_overlay_opts *o = O->o;
    enum pk_overlay_op op = o->op;
    int with_b = op == PK_OV_INTERSECTION || op == PK_OV_UNION || op == PK_OV_IDENTITY || op == PK_OV_SYMDIFFERENCE;
    size_t na = O->A.n ? O->A.n : 1, nb = O->B.n ? O->B.n : 1;
    int rc = PK_OK;
    if (o->out) {
        char source[64];
        snprintf(source, sizeof source, "overlay %s", op_names[op]);
        pk_ov_plan_columns(&O->A, &O->B, o->fields, with_b, oc);
        rc = oc->oom ? pk_error(ctx, PK_ERR_NOMEM, "out of memory")
                     : pk_sink_open(O->store, o->out, NULL, source, oc->cols, oc->n, sink);
    }
    if (rc == PK_OK && o->summary && !(*m = calloc(na * nb, sizeof **m)))
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory for the %zu x %zu summary", O->A.n, O->B.n);
    if (rc == PK_OK && O->need_rest_b) {
        O->b_pieces = calloc(nb, sizeof *O->b_pieces);
        O->b_npieces = calloc(nb, sizeof *O->b_npieces);
        O->b_plain = calloc(nb, sizeof *O->b_plain);
        if (!O->b_pieces || !O->b_npieces || !O->b_plain)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    return rc;
}

/* Where phase 1 writes: the sink, its columns, the summary matrix. */
struct out {
    struct pk_sink *sink;
    struct pk_ov_cols *oc;
    double *m;
    struct pk_overlay_result *res;
};

/* Hand piece p of A feature ai to B's rest (phase 2 takes it). */
static int keep_for_b(struct overlay *O, struct piece *p)
{
    GEOSContextHandle_t h = pk_geos(pk_store_ctx(O->store));
    size_t bi = p->b;
    GEOSGeometry **grown = realloc(O->b_pieces[bi], sizeof **O->b_pieces * (O->b_npieces[bi] + 1));
    GEOSGeometry *g = grown && p->borrowed ? GEOSGeom_clone_r(h, p->g) : p->g;
    if (!grown || !g) {
        if (grown)
            O->b_pieces[bi] = grown;
        return pk_error(pk_store_ctx(O->store), PK_ERR_NOMEM, "out of memory");
    }
    O->b_pieces[bi] = grown;
    O->b_pieces[bi][O->b_npieces[bi]++] = g;
    O->b_plain[bi] += p->plain;
    p->g = NULL;
    p->borrowed = 0;
    return PK_OK;
}

/* Write what item it (A feature ai) computed: its pieces, its clip and its
 * rest; count it in the result and the summary. */
static int take_a_item(struct overlay *O, struct item *it, size_t ai, struct out *w)
{
    struct pk_ctx *ctx = pk_store_ctx(O->store);
    size_t nb = O->B.n ? O->B.n : 1;
    int rc = PK_OK;
    if (it->rc != PK_OK)
        rc = pk_error(ctx, it->rc, "overlay: layer '%s' feature %lld: %s", O->A.ref.name, O->A.fids[ai], it->err);
    w->res->pairs += it->pairs;
    w->res->covered_pairs += it->covered;
    w->res->rect_pairs += it->by_rect;
    w->res->slivers += it->slivers;
    w->res->sliver_area += it->sliver_area;
    for (size_t j = 0; rc == PK_OK && j < it->npieces; j++) {
        struct piece *p = &it->pieces[j];
        if (w->m)
            w->m[ai * nb + p->b] += p->area;
        if (O->need_pieces && !O->clip) /* (clip writes their union; the others only A's rest) */
            rc = write_out(O, w->sink, w->oc, ai, p->b, p, w->res);
        if (rc == PK_OK && O->need_rest_b)
            rc = keep_for_b(O, p);
    }
    if (rc == PK_OK)
        rc = write_out(O, w->sink, w->oc, ai, (size_t)-1, &it->clip, w->res);
    if (rc == PK_OK)
        rc = write_out(O, w->sink, w->oc, ai, (size_t)-1, &it->rest, w->res);
    release_item(ctx, it);
    return rc;
}

/* Phase 1, pipelined: the pool computes chunk k + 1 while this thread
 * writes chunk k, then helps finish chunk k + 1. */
static int phase_a(struct overlay *O, struct pk_pool *pool, struct pk_worker *main_state, struct ov_job jobs[2],
                   struct out *w, double total, pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(O->store);
    int rc = PK_OK, cur = 0;
    if (O->A.n > 0)
        pk_pool_start(pool, O->A.n < CHUNK ? O->A.n : CHUNK, a_item, &jobs[0]);
    for (size_t start = 0; start < O->A.n; start += CHUNK) {
        size_t n = O->A.n - start < CHUNK ? O->A.n - start : CHUNK;
        pk_pool_wait(pool, main_state);
        if (rc != PK_OK)
            break;
        if (start + CHUNK < O->A.n) {
            size_t next = start + CHUNK;
            jobs[1 - cur].start = next;
            pk_pool_start(pool, O->A.n - next < CHUNK ? O->A.n - next : CHUNK, a_item, &jobs[1 - cur]);
        }
        for (size_t k = 0; k < n; k++) {
            if (rc == PK_OK)
                rc = take_a_item(O, &jobs[cur].items[k], start + k, w);
            else
                release_item(ctx, &jobs[cur].items[k]);
        }
        if (rc == PK_OK && progress && !progress((double)(start + n) / total, NULL, arg))
            rc = pk_error(ctx, PK_ERR_CANCELLED, "overlay: cancelled");
        cur = 1 - cur;
    }
    pk_pool_wait(pool, main_state); /* a chunk may still be in flight after an error */
    return rc;
}

/* Phase 2: each B feature's rest (B minus the pieces phase 1 handed over). */
static int phase_b(struct overlay *O, struct pk_pool *pool, struct pk_worker *main_state, struct ov_job *job,
                   struct out *w, double total, pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(O->store);
    int rc = PK_OK;
    for (size_t start = 0; rc == PK_OK && O->need_rest_b && start < O->B.n; start += CHUNK) {
        size_t n = O->B.n - start < CHUNK ? O->B.n - start : CHUNK;
        job->start = start;
        pk_pool_run(pool, main_state, n, b_item, job);
        for (size_t k = 0; k < n; k++) {
            struct item *it = &job->items[k];
            if (rc == PK_OK && it->rc != PK_OK)
                rc = pk_error(ctx, it->rc, "overlay: layer '%s' feature %lld: %s", O->B.ref.name,
                              O->B.fids[start + k], it->err);
            w->res->slivers += it->slivers;
            w->res->sliver_area += it->sliver_area;
            if (rc == PK_OK)
                rc = write_out(O, w->sink, w->oc, (size_t)-1, start + k, &it->rest, w->res);
            release_item(ctx, it);
        }
        if (rc == PK_OK && progress && !progress((double)(O->A.n + start + n) / total, NULL, arg))
            rc = pk_error(ctx, PK_ERR_CANCELLED, "overlay: cancelled");
    }
    return rc;
}

/* Free what run() made. */
static void release_run(struct overlay *O, struct pk_ov_cols *oc, double *m)
{
    struct pk_ctx *ctx = pk_store_ctx(O->store);
    GEOSContextHandle_t h = pk_geos(ctx);
    for (int c = 0; c < 2; c++)
        for (size_t k = 0; O->items[c] && k < CHUNK; k++)
            release_item(ctx, &O->items[c][k]);
    for (size_t j = 0; O->b_pieces && j < O->B.n; j++) {
        for (size_t k = 0; k < O->b_npieces[j]; k++)
            GEOSGeom_destroy_r(h, O->b_pieces[j][k]);
        free(O->b_pieces[j]);
    }
    free(O->a_rect);
    free(O->b_rect);
    free(O->a_box);
    free(O->b_box);
    free(O->b_pieces);
    free(O->b_npieces);
    free(O->b_plain);
    free(m);
    pk_ov_cols_release(oc);
    free(O->items[0]);
    free(O->items[1]);
    free(O->a_area);
    if (O->tree)
        GEOSSTRtree_destroy_r(h, O->tree);
}

/* The overlay on open inputs: prepare, phase 1 over A, phase 2 over B,
 * finish the output and the summary. */
static int run(struct overlay *O, struct pk_overlay_result *res, struct pk_table **summary,
               pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(O->store);
    const struct pk_overlay_opts *o = O->o;
    plan_operation(O);
    struct pk_worker main_state;
    int rc = pk_worker_init(&main_state, ctx, &O->crs);
    int threads = pk_pool_threads(o->threads);
    struct pk_pool *pool = rc == PK_OK ? pk_pool_new(threads, pk_worker_new, pk_worker_free, &O->crs) : NULL;
    O->a_area = calloc(O->A.n ? O->A.n : 1, sizeof *O->a_area);
    O->items[0] = calloc(CHUNK, sizeof *O->items[0]);
    O->items[1] = calloc(CHUNK, sizeof *O->items[1]);
    if (rc == PK_OK && (!pool || !O->a_area || !O->items[0] || !O->items[1]))
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK)
        rc = prepare_inputs(O, pool, &main_state);
    struct pk_ov_cols oc = {0};
    struct out w = {NULL, &oc, NULL, res};
    if (rc == PK_OK)
        rc = open_outputs(O, &oc, &w.sink, &w.m);
    double total = (double)O->A.n + (O->need_rest_b ? (double)O->B.n : 0);
    struct ov_job jobs[2] = {{O, O->items[0], 0}, {O, O->items[1], 0}};
    if (rc == PK_OK)
        rc = phase_a(O, pool, &main_state, jobs, &w, total, progress, arg);
    if (rc == PK_OK)
        rc = phase_b(O, pool, &main_state, &jobs[0], &w, total, progress, arg);
    pk_pool_free(pool);
    pk_worker_release(&main_state);
    if (rc == PK_OK && w.sink) {
        rc = pk_sink_finish(w.sink, NULL);
        w.sink = NULL;
        char what[64];
        snprintf(what, sizeof what, "overlay %s", op_names[o->op]);
        if (rc == PK_OK)
            rc = pk_ov_inherit_accuracy(O->store, o->out, what, O->A.ref.name, O->B.ref.name);
    }
    pk_sink_abort(w.sink);
    if (rc == PK_OK && w.m && summary)
        rc = pk_ov_summary(ctx, &O->A, &O->B, o->summary_long, w.m, O->a_area, summary);
    release_run(O, &oc, w.m);
    return rc;
}

int pk_overlay(struct pk_store *store, const struct pk_overlay_opts *o, struct pk_overlay_result *res,
               struct pk_table **summary, pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct overlay O;
    struct pk_overlay_result local;
    memset(&O, 0, sizeof O);
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (summary)
        *summary = NULL;
    if (!o->a || !o->b)
        return pk_error(ctx, PK_ERR_ARGS, "overlay: two layers are needed");
    if (!o->out && !o->summary)
        return pk_error(ctx, PK_ERR_ARGS, "overlay: give -o OUT (a new layer name or a file) or --summary");
    if (!pk_store_measure_srid(store))
        return pk_error(ctx, PK_ERR_ARGS, "overlay: the store has no metric CRS yet (load a layer first)");
    O.store = store;
    O.o = o;
    O.verify = o->verify;
    pk_worker_conf_init(&O.crs, store);
    /* worker threads read through their own connections, which see committed
     * data only: not when the caller has a transaction open, nor without a
     * store file to open */
    int defer = O.crs.path && sqlite3_get_autocommit(store->db);
    int rc = pk_store_begin(store);
    if (rc != PK_OK)
        return rc;
    rc = pk_ov_input_open(store, o->a, o->where_a, "_overlay_input_a", defer, &O.A);
    if (rc == PK_OK)
        rc = pk_ov_input_open(store, o->b, o->where_b, "_overlay_input_b", defer, &O.B);
    if (rc == PK_OK)
        rc = run(&O, res, summary, progress, arg);
    pk_ov_input_release(ctx, &O.A);
    pk_ov_input_release(ctx, &O.B);
    if (rc == PK_OK)
        rc = pk_ov_input_drop_temp(store, &O.A);
    if (rc == PK_OK)
        rc = pk_ov_input_drop_temp(store, &O.B);
    if (rc == PK_OK && o->out)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    if (rc != PK_OK && summary && *summary) {
        pk_table_free(*summary);
        *summary = NULL;
    }
    return rc;
}
