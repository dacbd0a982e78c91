/* overlay.c — the overlay engine: intersection, union, difference,
 * symdifference, identity, clip and erase of two layers.
 *
 * Phase 1 runs over A's features across a thread pool (each thread with its
 * own GEOS handle and PROJ transform): B's features are found through an
 * STRtree; A's feature is prepared once; a B feature that A covers entirely
 * becomes a piece as it is (no intersection computed); the others are
 * intersected. Piece areas are measured in the metric CRS, transforming each
 * piece once (a whole B feature's metric area is computed once and reused).
 * A's remainder outside B is A minus the union of its pieces. Phase 2 (union,
 * symdifference) does the same for B's remainders. Pieces are written in A
 * order, then B order, so the output does not depend on the thread count.
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
/* A piece is numerical debris when its area is below PK_DEBRIS_RATIO times
 * the square of its extent's diagonal (a sliver of nearly collinear points)
 * or below PK_DEBRIS_M2 (a millimetre-sized triangle where an edge passes a
 * corner): such pieces are never written, and their area stays with the
 * remainder, so partitions stay exact. */
#define PK_DEBRIS_RATIO 1e-9
#define PK_DEBRIS_M2 1e-2

static const char *const op_names[] = {"intersection", "union", "difference", "symdifference",
                                       "identity", "clip", "erase"};

int pk_overlay_parse_op(const char *name, enum pk_overlay_op *op)
{
    for (int i = 0; i < (int)(sizeof op_names / sizeof op_names[0]); i++)
        if (!strcasecmp(name, op_names[i])) {
            *op = (enum pk_overlay_op)i;
            return 0;
        }
    return -1;
}

const char *pk_overlay_op_name(enum pk_overlay_op op) { return op_names[op]; }

struct piece {
    size_t b;            /* index into B, or (size_t)-1 for a remainder */
    GEOSGeometry *gm;    /* metric CRS; owned unless borrowed */
    int borrowed;        /* gm is B's own metric geometry (covered shortcut) */
    GEOSGeometry *g;     /* store CRS, for writing; owned */
    double area;         /* m², planar in the metric CRS */
};

/* Results of one input feature (A in phase 1, B in phase 2). */
struct item {
    struct piece *pieces;
    size_t npieces;
    struct piece rest;   /* remainder outside the other layer (gm NULL if none) */
    struct piece clip;   /* clip: the union of the pieces */
    long long pairs, covered;
    long long slivers;
    double sliver_area;
    int rc;
    char err[256];
};

struct overlay {
    struct pk_store *store;
    const struct pk_overlay_opts *o;
    struct pk_ov_input A, B;
    GEOSGeometry **Am, **Bm; /* inputs in the metric CRS, transformed once each */
    double *a_area, *b_area; /* their areas, m² */
    GEOSSTRtree *tree;       /* over Bm (items: index + 1) */
    struct item *items[2];   /* two chunks: one computed while the other is written */
    GEOSGeometry ***b_pieces;/* phase 2: for each b, the metric pieces A took from it */
    size_t *b_npieces;
    struct pk_crs_pair crs;
    int need_rest_a, need_rest_b, need_pieces, clip, write;
};

/* Keep the polygonal part of an overlay result as a MultiPolygon (NULL if
 * empty). Takes ownership of g. */
static GEOSGeometry *polygonal(struct pk_ctx *ctx, GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    if (!g)
        return NULL;
    if (GEOSisEmpty_r(h, g) == 1) {
        GEOSGeom_destroy_r(h, g);
        return NULL;
    }
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON)
        return pk_geom_promote_multi(ctx, g);
    int n = GEOSGetNumGeometries_r(h, g), m = 0;
    GEOSGeometry **parts = calloc((size_t)(n ? n : 1), sizeof *parts);
    for (int i = 0; parts && i < n; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        int pt = GEOSGeomTypeId_r(h, p);
        if (pt == GEOS_POLYGON)
            parts[m++] = GEOSGeom_clone_r(h, p);
        else if (pt == GEOS_MULTIPOLYGON) {
            int k = GEOSGetNumGeometries_r(h, p);
            GEOSGeometry **grown = realloc(parts, sizeof *parts * (size_t)(n + m + k));
            if (!grown)
                break;
            parts = grown;
            for (int j = 0; j < k; j++)
                parts[m++] = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, p, j));
        }
    }
    GEOSGeom_destroy_r(h, g);
    GEOSGeometry *out = m ? GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)m) : NULL;
    free(parts);
    return out;
}

/* A result with no real area: floating-point debris of an overlay (a few
 * almost collinear vertices along a shared border): area against the
 * envelope's diagonal. */
static int is_debris(struct pk_ctx *ctx, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    double a = 0, x0, y0, x1, y1;
    GEOSArea_r(h, g, &a);
    if (!GEOSGeom_getExtent_r(h, g, &x0, &y0, &x1, &y1))
        return 1;
    double diag2 = (x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0);
    return a < PK_DEBRIS_M2 || a <= PK_DEBRIS_RATIO * diag2;
}

/* Polygonal, non-debris part of g (takes ownership); NULL if nothing. */
static GEOSGeometry *clean(struct pk_ctx *ctx, GEOSGeometry *g)
{
    g = polygonal(ctx, g);
    if (g && is_debris(ctx, g)) {
        GEOSGeom_destroy_r(pk_geos(ctx), g);
        g = NULL;
    }
    return g;
}

/* g minus the union of pieces; NULL when nothing is left. */
static GEOSGeometry *outside_pieces(struct pk_ctx *ctx, const GEOSGeometry *g, GEOSGeometry *const *pieces,
                                    size_t n, int *ok)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    if (n == 0)
        return pk_geom_promote_multi(ctx, GEOSGeom_clone_r(h, g));
    GEOSGeometry **parts = malloc(n * sizeof *parts);
    for (size_t i = 0; i < n; i++)
        parts[i] = GEOSGeom_clone_r(h, pieces[i]);
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    free(parts);
    GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
    if (coll)
        GEOSGeom_destroy_r(h, coll);
    if (!u) {
        *ok = 0;
        return NULL;
    }
    GEOSGeometry *d = GEOSDifference_r(h, g, u);
    GEOSGeom_destroy_r(h, u);
    if (!d)
        *ok = 0;
    return clean(ctx, d);
}

/* A metric result back in the store CRS, valid (reprojection can, rarely,
 * make a valid polygon invalid: then it is repaired). */
static GEOSGeometry *to_store(struct pk_metric_worker *t, const GEOSGeometry *gm, int *ok)
{
    GEOSGeometry *g = pk_transform_geom(t->ctx, t->from_m, gm);
    if (!g) {
        *ok = 0;
        return NULL;
    }
    if (GEOSisValid_r(pk_geos(t->ctx), g) != 1) {
        enum pk_geom_fix fix;
        char detail[256];
        if (pk_geom_make_valid(t->ctx, &g, PK_REPAIR_LINEWORK, &fix, detail, sizeof detail) != PK_OK)
            *ok = 0;
    }
    return g ? pk_geom_promote_multi(t->ctx, g) : NULL;
}

struct collect {
    size_t *idx;
    size_t n, cap;
};

static void collect_cb(void *item, void *arg)
{
    struct collect *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->idx = realloc(c->idx, c->cap * sizeof *c->idx);
    }
    c->idx[c->n++] = (size_t)(uintptr_t)item - 1;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* 1 if the piece is kept; else counts it as a sliver (when it has area). */
static int keep(struct overlay *O, struct item *it, double area)
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
    GEOSContextHandle_t h = pk_geos(ctx);
    if (p->gm && !p->borrowed)
        GEOSGeom_destroy_r(h, p->gm);
    if (p->g)
        GEOSGeom_destroy_r(h, p->g);
    p->gm = p->g = NULL;
}

/* Phase 0: every input feature in the metric CRS, with its area. */
static void metric_item(void *state, size_t i, void *arg)
{
    struct pk_metric_worker *t = state;
    struct overlay *O = arg;
    int is_b = i >= O->A.n;
    size_t k = is_b ? i - O->A.n : i;
    const GEOSGeometry *g = is_b ? O->B.geoms[k] : O->A.geoms[k];
    if (!t || t->rc != PK_OK || !g)
        return;
    GEOSGeometry *m = pk_transform_geom(t->ctx, t->to_m, g);
    double a = 0, x0, y0, x1, y1;
    if (m) {
        GEOSArea_r(pk_geos(t->ctx), m, &a);
        GEOSGeom_getExtent_r(pk_geos(t->ctx), m, &x0, &y0, &x1, &y1); /* cache the envelope now */
    }
    if (is_b)
        O->Bm[k] = m, O->b_area[k] = a;
    else
        O->Am[k] = m, O->a_area[k] = a;
}

/* A chunk of items for the pool: features start .. start + n - 1. */
struct ov_job {
    struct overlay *O;
    struct item *items;
    size_t start;
};

/* Phase 1: one A feature against B. */
static void a_item(void *state, size_t k, void *arg)
{
    struct pk_metric_worker *t = state;
    struct ov_job *J = arg;
    struct overlay *O = J->O;
    size_t ai = J->start + k;
    struct item *it = &J->items[k];
    if (!t || t->rc != PK_OK) {
        it->rc = PK_ERR_NOMEM;
        snprintf(it->err, sizeof it->err, "cannot start a worker thread");
        return;
    }
    struct pk_ctx *ctx = t->ctx;
    GEOSContextHandle_t h = pk_geos(ctx);
    const GEOSGeometry *a = O->Am[ai];
    int ok = 1;
    it->rest.b = it->clip.b = (size_t)-1;
    if (!a)
        return;
    struct collect c = {0};
    if (O->B.n > 0)
        GEOSSTRtree_query_r(h, O->tree, a, collect_cb, &c);
    if (c.n > 1)
        qsort(c.idx, c.n, sizeof *c.idx, cmp_size);
    it->pieces = calloc(c.n ? c.n : 1, sizeof *it->pieces);
    const GEOSPreparedGeometry *pa = c.n ? GEOSPrepare_r(h, a) : NULL;
    int write_pieces = O->write && O->need_pieces && !O->clip;
    for (size_t j = 0; ok && j < c.n; j++) {
        size_t bi = c.idx[j];
        GEOSGeometry *b = O->Bm[bi];
        if (!b || GEOSPreparedIntersects_r(h, pa, b) != 1)
            continue;
        it->pairs++;
        struct piece p = {bi, NULL, 0, NULL, 0};
        if (GEOSPreparedCovers_r(h, pa, b) == 1) {
            it->covered++;
            p.gm = b;
            p.borrowed = 1;
            p.area = O->b_area[bi];
        } else {
            GEOSGeometry *x = GEOSIntersection_r(h, a, b);
            if (!x) { /* a GEOS error (NULL), not an empty result: fail, never drop the pair */
                ok = 0;
                continue;
            }
            p.gm = clean(ctx, x);
            if (!p.gm)
                continue;
            GEOSArea_r(h, p.gm, &p.area);
        }
        if (!keep(O, it, p.area)) {
            free_piece(ctx, &p);
            continue;
        }
        if (write_pieces)
            p.g = p.borrowed ? pk_geom_promote_multi(ctx, GEOSGeom_clone_r(h, O->B.geoms[bi])) : to_store(t, p.gm, &ok);
        it->pieces[it->npieces++] = p;
    }
    GEOSGeometry **gs = malloc((it->npieces ? it->npieces : 1) * sizeof *gs);
    for (size_t j = 0; gs && j < it->npieces; j++)
        gs[j] = it->pieces[j].gm;
    if (ok && gs && O->need_rest_a) {
        it->rest.gm = outside_pieces(ctx, a, gs, it->npieces, &ok);
        if (it->rest.gm) {
            GEOSArea_r(h, it->rest.gm, &it->rest.area);
            if (!keep(O, it, it->rest.area))
                free_piece(ctx, &it->rest);
            else if (O->write)
                it->rest.g = to_store(t, it->rest.gm, &ok);
        }
    }
    if (ok && gs && O->clip && O->write && it->npieces > 0) {
        GEOSGeometry **parts = malloc(it->npieces * sizeof *parts);
        for (size_t j = 0; j < it->npieces; j++)
            parts[j] = GEOSGeom_clone_r(h, gs[j]);
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)it->npieces);
        free(parts);
        GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        if (!u) /* a GEOS error: fail rather than write no clip piece */
            ok = 0;
        it->clip.gm = clean(ctx, u);
        if (coll)
            GEOSGeom_destroy_r(h, coll);
        if (it->clip.gm) {
            GEOSArea_r(h, it->clip.gm, &it->clip.area);
            it->clip.g = to_store(t, it->clip.gm, &ok);
        }
    }
    free(gs);
    if (pa)
        GEOSPreparedGeom_destroy_r(h, pa);
    free(c.idx);
    if (!ok) {
        it->rc = PK_ERR_GEOS;
        snprintf(it->err, sizeof it->err, "%s", *pk_errmsg(ctx) ? pk_errmsg(ctx) : "GEOS operation failed");
    }
}

/* Phase 2: one B feature minus the pieces A took from it. */
static void b_item(void *state, size_t k, void *arg)
{
    struct pk_metric_worker *t = state;
    struct ov_job *J = arg;
    struct overlay *O = J->O;
    size_t bi = J->start + k;
    struct item *it = &J->items[k];
    if (!t || t->rc != PK_OK) {
        it->rc = PK_ERR_NOMEM;
        return;
    }
    const GEOSGeometry *b = O->Bm[bi];
    int ok = 1;
    it->rest.b = bi;
    if (!b)
        return;
    it->rest.gm = outside_pieces(t->ctx, b, O->b_pieces[bi], O->b_npieces[bi], &ok);
    if (it->rest.gm) {
        GEOSArea_r(pk_geos(t->ctx), it->rest.gm, &it->rest.area);
        if (!keep(O, it, it->rest.area))
            free_piece(t->ctx, &it->rest);
        else
            it->rest.g = to_store(t, it->rest.gm, &ok);
    }
    if (!ok) {
        it->rc = PK_ERR_GEOS;
        snprintf(it->err, sizeof it->err, "%s", *pk_errmsg(t->ctx) ? pk_errmsg(t->ctx) : "GEOS operation failed");
    }
}

/* Output columns: a_fid, b_fid, kept attributes of A and B (prefixed on
 * clashes), area_m2. a_map/b_map give each output column's input column. */
struct outcols {
    struct pk_column *cols;
    int n;
    int *src_side;  /* 0 = a_fid, 1 = b_fid, 2 = A attr, 3 = B attr, 4 = area */
    int *src_col;
};

static int wanted(const char *fields, char side, const char *name)
{
    if (!fields)
        return 1;
    char buf[512];
    snprintf(buf, sizeof buf, ",%s,", fields);
    char key[300];
    snprintf(key, sizeof key, ",%c.%s,", side, name);
    if (strstr(buf, key))
        return 1;
    snprintf(key, sizeof key, ",%s,", name);
    return strstr(buf, key) != NULL;
}

static void add_col(struct outcols *oc, const char *name, const char *type, int side, int col)
{
    oc->cols = realloc(oc->cols, sizeof *oc->cols * (size_t)(oc->n + 1));
    oc->src_side = realloc(oc->src_side, sizeof *oc->src_side * (size_t)(oc->n + 1));
    oc->src_col = realloc(oc->src_col, sizeof *oc->src_col * (size_t)(oc->n + 1));
    oc->cols[oc->n].name = strdup(name);
    oc->cols[oc->n].type = type;
    oc->src_side[oc->n] = side;
    oc->src_col[oc->n] = col;
    oc->n++;
}

static int has_col(const struct pk_ov_input *in, const char *name)
{
    for (int i = 0; i < in->ncols; i++)
        if (!strcasecmp(in->colnames[i], name))
            return 1;
    return !strcasecmp(name, "a_fid") || !strcasecmp(name, "b_fid") || !strcasecmp(name, "area_m2");
}

static void plan_columns(struct overlay *O, struct outcols *oc, int with_b)
{
    const char *f = O->o->fields;
    add_col(oc, "a_fid", "INTEGER", 0, 0);
    if (with_b)
        add_col(oc, "b_fid", "INTEGER", 1, 0);
    for (int i = 0; i < O->A.ncols; i++) {
        const char *n = O->A.colnames[i];
        if (!wanted(f, 'a', n))
            continue;
        char name[300];
        snprintf(name, sizeof name, "%s%s", with_b && has_col(&O->B, n) ? "a_" : "", n);
        add_col(oc, name, O->A.coltypes[i], 2, i);
    }
    for (int i = 0; with_b && i < O->B.ncols; i++) {
        const char *n = O->B.colnames[i];
        if (!wanted(f, 'b', n))
            continue;
        char name[300];
        snprintf(name, sizeof name, "%s%s", has_col(&O->A, n) ? "b_" : "", n);
        add_col(oc, name, O->B.coltypes[i], 3, i);
    }
    add_col(oc, "area_m2", "REAL", 4, 0);
}

static void release_cols(struct outcols *oc)
{
    for (int i = 0; i < oc->n; i++)
        free(oc->cols[i].name);
    free(oc->cols);
    free(oc->src_side);
    free(oc->src_col);
}

/* Write one piece with the attributes of A feature ai and B feature bi
 * (either may be (size_t)-1). */
static int write_piece(struct overlay *O, struct pk_sink *sink, const struct outcols *oc, size_t ai, size_t bi,
                       const struct piece *p)
{
    const char **vals = calloc((size_t)oc->n, sizeof *vals);
    char afid[32], bfid[32], area[64];
    if (ai != (size_t)-1)
        snprintf(afid, sizeof afid, "%lld", O->A.fids[ai]);
    if (bi != (size_t)-1)
        snprintf(bfid, sizeof bfid, "%lld", O->B.fids[bi]);
    snprintf(area, sizeof area, "%.6f", p->area);
    for (int c = 0; c < oc->n; c++) {
        int col = oc->src_col[c];
        switch (oc->src_side[c]) {
        case 0: vals[c] = ai != (size_t)-1 ? afid : NULL; break;
        case 1: vals[c] = bi != (size_t)-1 ? bfid : NULL; break;
        case 2: vals[c] = ai != (size_t)-1 ? O->A.attrs[ai * (size_t)O->A.ncols + (size_t)col] : NULL; break;
        case 3: vals[c] = bi != (size_t)-1 ? O->B.attrs[bi * (size_t)O->B.ncols + (size_t)col] : NULL; break;
        default: vals[c] = area;
        }
    }
    int rc = pk_sink_write(sink, p->g, vals);
    free(vals);
    return rc;
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

/* Summary matrix: rows A features, one "km² (% of A)" column per B feature
 * that any A feature meets; or one row per pair (long form). m is nA × nB m². */
static int build_summary(struct overlay *O, const double *m, const double *a_area, struct pk_table **out)
{
    size_t nA = O->A.n, nB = O->B.n;
    if (O->o->summary_long) {
        const char *names[] = {"a_fid", "a_name", "b_fid", "b_name", "km2", "pct_of_a"};
        enum pk_col_type types[] = {PK_COL_INT, PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT, PK_COL_REAL, PK_COL_REAL};
        struct pk_table *t = pk_table_new(6, names, types);
        for (size_t i = 0; i < nA; i++)
            for (size_t j = 0; j < nB; j++) {
                if (m[i * nB + j] <= 0)
                    continue;
                long r = pk_table_add_row(t);
                pk_table_setf(t, (size_t)r, 0, "%lld", O->A.fids[i]);
                pk_table_set(t, (size_t)r, 1, O->A.labels[i]);
                pk_table_setf(t, (size_t)r, 2, "%lld", O->B.fids[j]);
                pk_table_set(t, (size_t)r, 3, O->B.labels[j]);
                pk_table_setf(t, (size_t)r, 4, "%.6f", m[i * nB + j] / 1e6);
                if (a_area[i] > 0)
                    pk_table_setf(t, (size_t)r, 5, "%.2f", 100.0 * m[i * nB + j] / a_area[i]);
            }
        *out = t;
        return PK_OK;
    }
    int *used = calloc(nB ? nB : 1, sizeof *used), nused = 0;
    for (size_t j = 0; j < nB; j++)
        for (size_t i = 0; i < nA && !used[j]; i++)
            if (m[i * nB + j] > 0)
                used[j] = 1, nused++;
    int ncols = 3 + nused;
    const char **names = calloc((size_t)ncols, sizeof *names);
    enum pk_col_type *types = calloc((size_t)ncols, sizeof *types);
    char **owned = calloc((size_t)ncols, sizeof *owned);
    names[0] = "a", names[1] = "area_km2", names[2] = "outside_pct";
    types[1] = types[2] = PK_COL_REAL;
    int c = 3;
    for (size_t j = 0; j < nB; j++)
        if (used[j]) {
            char buf[160];
            if (O->B.labels[j])
                snprintf(buf, sizeof buf, "%s", O->B.labels[j]);
            else
                snprintf(buf, sizeof buf, "fid %lld", O->B.fids[j]);
            names[c] = owned[c] = strdup(buf);
            c++;
        }
    struct pk_table *t = pk_table_new(ncols, names, types);
    for (size_t i = 0; i < nA; i++) {
        long r = pk_table_add_row(t);
        double sum = 0;
        if (O->A.labels[i])
            pk_table_set(t, (size_t)r, 0, O->A.labels[i]);
        else
            pk_table_setf(t, (size_t)r, 0, "fid %lld", O->A.fids[i]);
        pk_table_setf(t, (size_t)r, 1, "%.6f", a_area[i] / 1e6);
        c = 3;
        for (size_t j = 0; j < nB; j++) {
            if (!used[j])
                continue;
            double v = m[i * nB + j];
            sum += v;
            if (v > 0)
                pk_table_setf(t, (size_t)r, c, "%.3f (%.1f%%)", v / 1e6, a_area[i] > 0 ? 100.0 * v / a_area[i] : 0);
            c++;
        }
        if (a_area[i] > 0)
            pk_table_setf(t, (size_t)r, 2, "%.2f", fmax(0, 100.0 * (1 - sum / a_area[i])));
    }
    for (int k = 0; k < ncols; k++)
        free(owned[k]);
    free(owned);
    free(names);
    free(types);
    free(used);
    *out = t;
    return PK_OK;
}

static int check_polygonal(struct pk_ctx *ctx, const struct pk_ov_input *in)
{
    for (size_t i = 0; i < in->n; i++)
        if (in->geoms[i] && !pk_geom_is_polygonal(ctx, in->geoms[i]))
            return pk_error(ctx, PK_ERR_ARGS, "overlay: layer '%s' has non-polygon features (fid %lld): overlays "
                            "need polygons (buffer lines and points first)", in->ref.name, in->fids[i]);
    return PK_OK;
}

static int write_out(struct overlay *O, struct pk_sink *sink, const struct outcols *oc, size_t ai, size_t bi,
                     const struct piece *p, struct pk_overlay_result *res)
{
    if (!p->g)
        return PK_OK;
    res->pieces++;
    res->total_area += p->area;
    return write_piece(O, sink, oc, ai, bi, p);
}

static int run(struct overlay *O, struct pk_overlay_result *res, struct pk_table **summary,
               pk_progress_fn progress, void *arg)
{
    struct pk_store *S = O->store;
    struct pk_ctx *ctx = pk_store_ctx(S);
    GEOSContextHandle_t h = pk_geos(ctx);
    const struct pk_overlay_opts *o = O->o;
    enum pk_overlay_op op = o->op;
    int with_b = op == PK_OV_INTERSECTION || op == PK_OV_UNION || op == PK_OV_IDENTITY || op == PK_OV_SYMDIFFERENCE;
    O->write = o->out != NULL;
    O->clip = op == PK_OV_CLIP;
    O->need_pieces = op == PK_OV_INTERSECTION || op == PK_OV_UNION || op == PK_OV_IDENTITY || op == PK_OV_CLIP;
    O->need_rest_a = O->write && op != PK_OV_INTERSECTION && op != PK_OV_CLIP;
    O->need_rest_b = O->write && (op == PK_OV_UNION || op == PK_OV_SYMDIFFERENCE);
    int rc = check_polygonal(ctx, &O->A);
    if (rc == PK_OK)
        rc = check_polygonal(ctx, &O->B);
    if (rc != PK_OK)
        return rc;

    struct pk_metric_worker main_state;
    pk_metric_worker_init(&main_state, ctx, &O->crs);
    int threads = o->threads > 0 ? o->threads : pk_pool_default_threads();
    struct pk_pool *pool = pk_pool_new(threads, pk_metric_worker_new, pk_metric_worker_free, &O->crs);
    size_t na = O->A.n ? O->A.n : 1, nb = O->B.n ? O->B.n : 1;
    O->Am = calloc(na, sizeof *O->Am);
    O->Bm = calloc(nb, sizeof *O->Bm);
    O->a_area = calloc(na, sizeof *O->a_area);
    O->b_area = calloc(nb, sizeof *O->b_area);
    O->items[0] = calloc(CHUNK, sizeof *O->items[0]);
    O->items[1] = calloc(CHUNK, sizeof *O->items[1]);
    if (main_state.rc != PK_OK)
        rc = main_state.rc;
    else if (!pool || !O->Am || !O->Bm || !O->a_area || !O->b_area || !O->items[0] || !O->items[1])
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK)
        pk_pool_run(pool, &main_state, O->A.n + O->B.n, metric_item, O);
    for (size_t i = 0; rc == PK_OK && i < O->A.n + O->B.n; i++) {
        int is_b = i >= O->A.n;
        size_t k = is_b ? i - O->A.n : i;
        const struct pk_ov_input *in = is_b ? &O->B : &O->A;
        if (in->geoms[k] && !(is_b ? O->Bm[k] : O->Am[k]))
            rc = pk_error(ctx, PK_ERR_DATA, "overlay: layer '%s' feature %lld cannot be transformed to EPSG:%d",
                          in->ref.name, in->fids[k], pk_store_measure_srid(S));
    }
    if (rc == PK_OK) {
        O->tree = GEOSSTRtree_create_r(h, 10);
        for (size_t j = 0; j < O->B.n; j++)
            if (O->Bm[j])
                GEOSSTRtree_insert_r(h, O->tree, O->Bm[j], (void *)(uintptr_t)(j + 1));
        if (O->B.n > 0) { /* build the tree before threads query it */
            struct collect c = {0};
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, 0, 0);
            GEOSSTRtree_query_r(h, O->tree, pt, collect_cb, &c);
            GEOSGeom_destroy_r(h, pt);
            free(c.idx);
        }
    }

    struct outcols oc = {0};
    struct pk_sink *sink = NULL;
    if (rc == PK_OK && o->out) {
        char source[64];
        snprintf(source, sizeof source, "overlay %s", op_names[op]);
        plan_columns(O, &oc, with_b);
        rc = pk_sink_open(S, o->out, NULL, source, oc.cols, oc.n, &sink);
    }
    double *m = rc == PK_OK && o->summary ? calloc(na * nb, sizeof *m) : NULL;
    if (O->need_rest_b) {
        O->b_pieces = calloc(nb, sizeof *O->b_pieces);
        O->b_npieces = calloc(nb, sizeof *O->b_npieces);
    }
    double total = (double)O->A.n + (O->need_rest_b ? (double)O->B.n : 0);
    /* phase 1, pipelined: the pool computes chunk k + 1 while this thread
     * writes chunk k, then helps finish chunk k + 1 */
    struct ov_job jobs[2] = {{O, O->items[0], 0}, {O, O->items[1], 0}};
    int cur = 0;
    if (rc == PK_OK && O->A.n > 0)
        pk_pool_start(pool, O->A.n < CHUNK ? O->A.n : CHUNK, a_item, &jobs[0]);
    for (size_t start = 0; rc == PK_OK && start < O->A.n; start += CHUNK) {
        size_t n = O->A.n - start < CHUNK ? O->A.n - start : CHUNK;
        pk_pool_wait(pool, &main_state);
        if (start + CHUNK < O->A.n) {
            size_t next = start + CHUNK;
            jobs[1 - cur].start = next;
            pk_pool_start(pool, O->A.n - next < CHUNK ? O->A.n - next : CHUNK, a_item, &jobs[1 - cur]);
        }
        for (size_t k = 0; k < n; k++) {
            struct item *it = &jobs[cur].items[k];
            size_t ai = start + k;
            if (rc == PK_OK && it->rc != PK_OK)
                rc = pk_error(ctx, it->rc, "overlay: layer '%s' feature %lld: %s", O->A.ref.name, O->A.fids[ai], it->err);
            res->pairs += it->pairs;
            res->covered_pairs += it->covered;
            res->slivers += it->slivers;
            res->sliver_area += it->sliver_area;
            for (size_t j = 0; rc == PK_OK && j < it->npieces; j++) {
                struct piece *p = &it->pieces[j];
                if (m)
                    m[ai * nb + p->b] += p->area;
                rc = write_out(O, sink, &oc, ai, p->b, p, res);
                if (O->need_rest_b) { /* phase 2 takes the metric piece */
                    size_t bi = p->b;
                    O->b_pieces[bi] = realloc(O->b_pieces[bi], sizeof **O->b_pieces * (O->b_npieces[bi] + 1));
                    O->b_pieces[bi][O->b_npieces[bi]++] = p->borrowed ? GEOSGeom_clone_r(h, p->gm) : p->gm;
                    p->gm = NULL;
                }
            }
            if (rc == PK_OK)
                rc = write_out(O, sink, &oc, ai, (size_t)-1, &it->clip, res);
            if (rc == PK_OK)
                rc = write_out(O, sink, &oc, ai, (size_t)-1, &it->rest, res);
            release_item(ctx, it);
        }
        if (rc == PK_OK && progress && !progress((double)(start + n) / total, NULL, arg))
            rc = pk_error(ctx, PK_ERR_CANCELLED, "overlay: cancelled");
        cur = 1 - cur;
    }
    if (pool)
        pk_pool_wait(pool, &main_state); /* a chunk may still be in flight after an error */
    for (size_t start = 0; rc == PK_OK && O->need_rest_b && start < O->B.n; start += CHUNK) {
        size_t n = O->B.n - start < CHUNK ? O->B.n - start : CHUNK;
        jobs[0].start = start;
        pk_pool_run(pool, &main_state, n, b_item, &jobs[0]);
        for (size_t k = 0; k < n; k++) {
            struct item *it = &jobs[0].items[k];
            if (rc == PK_OK && it->rc != PK_OK)
                rc = pk_error(ctx, it->rc, "overlay: layer '%s' feature %lld: %s", O->B.ref.name,
                              O->B.fids[start + k], it->err);
            res->slivers += it->slivers;
            res->sliver_area += it->sliver_area;
            if (rc == PK_OK)
                rc = write_out(O, sink, &oc, (size_t)-1, start + k, &it->rest, res);
            release_item(ctx, it);
        }
        if (rc == PK_OK && progress && !progress((double)(O->A.n + start + n) / total, NULL, arg))
            rc = pk_error(ctx, PK_ERR_CANCELLED, "overlay: cancelled");
    }
    for (int c = 0; c < 2; c++)
        for (size_t k = 0; O->items[c] && k < CHUNK; k++)
            release_item(ctx, &O->items[c][k]);
    pk_pool_free(pool);
    pk_metric_worker_release(&main_state);
    if (rc == PK_OK && sink) {
        long long count;
        rc = pk_sink_finish(sink, &count);
        sink = NULL;
    }
    pk_sink_abort(sink);
    if (rc == PK_OK && m && summary)
        rc = build_summary(O, m, O->a_area, summary);
    for (size_t j = 0; O->b_pieces && j < O->B.n; j++) {
        for (size_t k = 0; k < O->b_npieces[j]; k++)
            GEOSGeom_destroy_r(h, O->b_pieces[j][k]);
        free(O->b_pieces[j]);
    }
    for (size_t i = 0; O->Am && i < O->A.n; i++)
        if (O->Am[i])
            GEOSGeom_destroy_r(h, O->Am[i]);
    for (size_t j = 0; O->Bm && j < O->B.n; j++)
        if (O->Bm[j])
            GEOSGeom_destroy_r(h, O->Bm[j]);
    free(O->Am);
    free(O->Bm);
    free(O->b_pieces);
    free(O->b_npieces);
    free(m);
    release_cols(&oc);
    free(O->items[0]);
    free(O->items[1]);
    free(O->a_area);
    free(O->b_area);
    if (O->tree)
        GEOSSTRtree_destroy_r(h, O->tree);
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
    pk_crs_pair_init(&O.crs, store);
    int rc = pk_store_begin(store);
    if (rc != PK_OK)
        return rc;
    rc = pk_ov_input_open(store, o->a, o->where_a, "_overlay_input_a", &O.A);
    if (rc == PK_OK)
        rc = pk_ov_input_open(store, o->b, o->where_b, "_overlay_input_b", &O.B);
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
