/* coverage.c — `plankit coverage`: for every feature of a layer, the tasks
 * that touch it and the share of its area their linked zones and footprints
 * cover (unioned, so overlaps count once), in the metric CRS.
 *
 * Engine: the covering geometries are loaded once (store and metric CRS) into
 * an STRtree; the layer's features are processed across a thread pool, each
 * thread with its own GEOS handle and PROJ transform; per feature see
 * compute_feature. Rows come out in fid order whatever the thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover_int.h"
#include "crs_int.h"
#include "geom_int.h"
#include "pool_int.h"
#include "spatial_int.h"
#include "plankit/query.h"

#define CHUNK 256

struct feature {
    long long fid;
    char *name;
    unsigned char *wkb;
    int wkb_len;
    /* results */
    double area, covered;   /* m² */
    unsigned char *tasks;   /* one byte per task of the set */
    int ntasks;
    char *geojson;
    int rc;
    char err[256];
};

struct coverage {
    struct pk_store *store;
    const struct pk_coverage_opts *opts;
    struct pk_cover_set *cs;
    struct pk_layer_ref layer;
    struct feature *feats;
    size_t nfeats;
    char dst_def[32], src_def[32];
    int geojson_reproject;  /* GeoJSON is WGS84 (RFC 7946): store CRS -> EPSG:4326 */
};

struct cov_thread {
    struct pk_ctx *ctx;
    struct pk_transform *tr;
    struct pk_transform *wgs84; /* for GeoJSON, when the store CRS is not EPSG:4326 */
    GEOSWKBReader *reader;
    int own_ctx;
    int rc;
};

static void *cov_thread_init(void *arg)
{
    struct coverage *C = arg;
    struct cov_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ctx = pk_ctx_new();
    t->own_ctx = 1;
    t->rc = t->ctx ? pk_transform_new_defs(t->ctx, C->src_def, C->dst_def, &t->tr) : PK_ERR_NOMEM;
    if (t->rc == PK_OK && C->geojson_reproject)
        t->rc = pk_transform_new_defs(t->ctx, C->src_def, "EPSG:4326", &t->wgs84);
    if (t->ctx)
        t->reader = GEOSWKBReader_create_r(pk_geos(t->ctx));
    return t;
}

static void cov_thread_fini(void *state)
{
    struct cov_thread *t = state;
    if (!t)
        return;
    if (t->reader)
        GEOSWKBReader_destroy_r(pk_geos(t->ctx), t->reader);
    pk_transform_free(t->tr);
    pk_transform_free(t->wgs84);
    if (t->own_ctx)
        pk_ctx_free(t->ctx);
    free(t);
}

static void mark(struct feature *f, const struct pk_cover_src *s)
{
    for (int i = 0; i < s->ntasks; i++)
        f->tasks[s->tasks[i]] = 1;
}

/* Union of the covering polygons (borrowed, metric CRS); NULL on error. */
static GEOSGeometry *union_of(struct cov_thread *t, const struct pk_cover_src *const *src, size_t n)
{
    GEOSContextHandle_t h = pk_geos(t->ctx);
    GEOSGeometry **parts = malloc(n * sizeof *parts);
    if (!parts)
        return NULL;
    for (size_t i = 0; i < n; i++)
        parts[i] = GEOSGeom_clone_r(h, src[i]->gm);
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    free(parts);
    GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
    if (coll)
        GEOSGeom_destroy_r(h, coll);
    return u;
}

/* The rings of a feature (metric CRS) as coordinate arrays, read once for
 * the clipping below. */
#define RUN 16 /* vertices per run of a ring, with its envelope */

struct rings {
    int n;
    double **xy;      /* x,y pairs, without the closing vertex */
    int *len;
    int *hole;
    double (*env)[4]; /* xmin, ymin, xmax, ymax */
    double (**runs)[4]; /* envelope of vertices [RUN k, RUN k + RUN) of each ring */
};

static void rings_free(struct rings *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->xy[i]);
        if (r->runs)
            free(r->runs[i]);
    }
    free(r->runs);
    free(r->xy);
    free(r->len);
    free(r->hole);
    free(r->env);
    memset(r, 0, sizeof *r);
}

/* Envelope of ring i and of its runs (r->runs NULL: none). xy[len] must be
 * readable (the closing vertex). */
static void ring_envelopes(struct rings *r, int i)
{
    const double *xy = r->xy[i];
    int len = r->len[i], nruns = (len + RUN - 1) / RUN;
    r->runs[i] = malloc((size_t)nruns * sizeof **r->runs);
    for (int k = 0; r->runs[i] && k < nruns; k++) {
        /* the run's vertices and the next one: the envelope of its edges */
        double *e = r->runs[i][k];
        int last = (k + 1) * RUN < len ? (k + 1) * RUN : len;
        e[0] = e[2] = xy[2 * k * RUN];
        e[1] = e[3] = xy[2 * k * RUN + 1];
        for (int v = k * RUN + 1; v <= last; v++) {
            e[0] = xy[2 * v] < e[0] ? xy[2 * v] : e[0];
            e[2] = xy[2 * v] > e[2] ? xy[2 * v] : e[2];
            e[1] = xy[2 * v + 1] < e[1] ? xy[2 * v + 1] : e[1];
            e[3] = xy[2 * v + 1] > e[3] ? xy[2 * v + 1] : e[3];
        }
    }
    double *e = r->env[i];
    e[0] = e[2] = xy[0];
    e[1] = e[3] = xy[1];
    for (int k = 1; k < len; k++) {
        e[0] = xy[2 * k] < e[0] ? xy[2 * k] : e[0];
        e[2] = xy[2 * k] > e[2] ? xy[2 * k] : e[2];
        e[1] = xy[2 * k + 1] < e[1] ? xy[2 * k + 1] : e[1];
        e[3] = xy[2 * k + 1] > e[3] ? xy[2 * k + 1] : e[3];
    }
}

static int rings_add(GEOSContextHandle_t h, struct rings *r, const GEOSGeometry *ring, int hole)
{
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n))
        return 0;
    if (n < 4)
        return 1;
    double *xy = malloc(2 * sizeof *xy * n);
    if (!xy || !GEOSCoordSeq_copyToBuffer_r(h, seq, xy, 0, 0)) {
        free(xy);
        return 0;
    }
    int i = r->n++;
    r->xy = realloc(r->xy, (size_t)r->n * sizeof *r->xy);
    r->len = realloc(r->len, (size_t)r->n * sizeof *r->len);
    r->hole = realloc(r->hole, (size_t)r->n * sizeof *r->hole);
    r->env = realloc(r->env, (size_t)r->n * sizeof *r->env);
    r->runs = realloc(r->runs, (size_t)r->n * sizeof *r->runs);
    r->xy[i] = xy;
    r->len[i] = (int)n - 1;
    r->hole[i] = hole;
    ring_envelopes(r, i);
    return 1;
}

static int rings_read(GEOSContextHandle_t h, const GEOSGeometry *g, struct rings *r)
{
    int np = GEOSGetNumGeometries_r(h, g), ok = np >= 0;
    for (int p = 0; ok && p < np; p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, p);
        ok = rings_add(h, r, GEOSGetExteriorRing_r(h, poly), 0);
        int nh = GEOSGetNumInteriorRings_r(h, poly);
        for (int k = 0; ok && k < nh; k++)
            ok = rings_add(h, r, GEOSGetInteriorRingN_r(h, poly, k), 1);
    }
    return ok;
}

/* Keep the part of polygon in (n points) where a*x + b*y + c >= 0 into out;
 * returns the count (Sutherland-Hodgman, one half-plane). */
static int clip_half(const double *in, int n, double a, double b, double c, double *out)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        const double *p = in + 2 * i, *q = in + 2 * ((i + 1) % n);
        double dp = a * p[0] + b * p[1] + c, dq = a * q[0] + b * q[1] + c;
        if (dp >= 0) {
            out[2 * m] = p[0];
            out[2 * m + 1] = p[1];
            m++;
        }
        if ((dp >= 0) != (dq >= 0)) {
            double t = dp / (dp - dq);
            out[2 * m] = p[0] + t * (q[0] - p[0]);
            out[2 * m + 1] = p[1] + t * (q[1] - p[1]);
            m++;
        }
    }
    return m;
}

/* 1 if a box meets the envelope of some run of edges of the rings, that is
 * if the feature's boundary may pass through it. */
static int rings_near(const struct rings *r, const double box[4])
{
    for (int i = 0; i < r->n; i++) {
        const double *e = r->env[i];
        if (e[2] < box[0] || e[0] > box[2] || e[3] < box[1] || e[1] > box[3])
            continue;
        if (!r->runs || !r->runs[i])
            return 1;
        for (int k = 0; k * RUN < r->len[i]; k++) {
            e = r->runs[i][k];
            if (!(e[2] < box[0] || e[0] > box[2] || e[3] < box[1] || e[1] > box[3]))
                return 1;
        }
    }
    return 0;
}

/* 1 if the point is inside the feature (even-odd rule over all rings; the
 * point must not lie on its boundary). Only runs reaching the ray to +x are
 * looked at. */
static int rings_contain(const struct rings *r, double x, double y)
{
    int inside = 0;
    for (int i = 0; i < r->n; i++) {
        const double *e = r->env[i], *xy = r->xy[i];
        if (y < e[1] || y > e[3] || x > e[2])
            continue;
        int len = r->len[i];
        for (int k = 0; k * RUN < len; k++) {
            if (r->runs && r->runs[i]) {
                e = r->runs[i][k];
                if (y < e[1] || y > e[3] || x > e[2])
                    continue;
            }
            int last = (k + 1) * RUN < len ? (k + 1) * RUN : len;
            for (int v = k * RUN; v < last; v++) {
                const double *p = xy + 2 * v, *q = xy + 2 * ((v + 1) % len);
                if ((p[1] > y) != (q[1] > y) && x < p[0] + (y - p[1]) * (q[0] - p[0]) / (q[1] - p[1]))
                    inside = !inside;
            }
        }
    }
    return inside;
}

/* Two growable point buffers for the clipping passes. */
struct bufs {
    double *a, *b;
    size_t cap; /* points each */
};

static int bufs_need(struct bufs *B, size_t points)
{
    if (points <= B->cap)
        return 1;
    size_t cap = points * 2;
    double *a = realloc(B->a, 2 * cap * sizeof *a);
    if (a)
        B->a = a;
    double *b = a ? realloc(B->b, 2 * cap * sizeof *b) : NULL;
    if (b)
        B->b = b;
    if (!a || !b)
        return 0;
    B->cap = cap;
    return 1;
}

/* One half-plane pass from B->a into B->b, then swapped; -1 when out of memory. */
static int bufs_clip(struct bufs *B, int n, double a, double b, double c)
{
    if (!bufs_need(B, 2 * (size_t)n + 4))
        return -1;
    n = clip_half(B->a, n, a, b, c, B->b);
    double *t = B->a;
    B->a = B->b;
    B->b = t;
    return n;
}

/* Ring i cut to a box (x0, y0, x1, y1), left in B->a; returns the point
 * count, -1 when out of memory. A run of vertices lying wholly beyond one side
 * of the box is replaced by its first and last vertex: the shortcut stays
 * beyond that side, so the cut is the same, and a long ring is cut in time
 * proportional to its runs near the box. */
static int ring_cut_box(const struct rings *r, int i, const double box[4], struct bufs *B)
{
    const double *xy = r->xy[i];
    int len = r->len[i], n = 0, skipping = -1, first_skipped = 0, last_skipped = 0;
    if (!bufs_need(B, (size_t)len + 4))
        return -1;
    /* consecutive runs beyond the same side make one stretch, kept as its
     * first and last vertex */
    for (int k = 0; k * RUN < len; k++) {
        int first = k * RUN, last = (k + 1) * RUN < len ? (k + 1) * RUN : len;
        const double *e = r->runs && r->runs[i] ? r->runs[i][k] : NULL;
        int beyond[4] = {e && e[2] < box[0], e && e[0] > box[2], e && e[3] < box[1], e && e[1] > box[3]};
        int side = skipping >= 0 && beyond[skipping] ? skipping : -1;
        for (int c = 0; side < 0 && c < 4; c++)
            if (beyond[c])
                side = c;
        if (side >= 0 && side == skipping) {
            last_skipped = last - 1;
            continue;
        }
        if (skipping >= 0 && last_skipped != first_skipped) {
            memcpy(B->a + 2 * n, xy + 2 * last_skipped, 2 * sizeof *B->a);
            n++;
        }
        skipping = side;
        if (side >= 0) {
            first_skipped = first;
            last_skipped = last - 1;
            memcpy(B->a + 2 * n, xy + 2 * first, 2 * sizeof *B->a);
            n++;
        } else {
            memcpy(B->a + 2 * n, xy + 2 * first, 2 * sizeof *B->a * (size_t)(last - first));
            n += last - first;
        }
    }
    if (skipping >= 0 && last_skipped != first_skipped) {
        memcpy(B->a + 2 * n, xy + 2 * last_skipped, 2 * sizeof *B->a);
        n++;
    }
    if (n >= 0)
        n = bufs_clip(B, n, 1, 0, -box[0]);
    if (n >= 0)
        n = bufs_clip(B, n, -1, 0, box[2]);
    if (n >= 0)
        n = bufs_clip(B, n, 0, 1, -box[1]);
    if (n >= 0)
        n = bufs_clip(B, n, 0, -1, box[3]);
    return n;
}

/* The rings cut to a box (x0, y0, x1, y1): what the overlaps of a group of
 * covering polygons in that box need, small. Returns 0 when out of memory. */
static int rings_clip_box(const struct rings *r, const double box[4], struct rings *out)
{
    struct bufs B = {0};
    int ok = 1;
    memset(out, 0, sizeof *out);
    for (int i = 0; ok && i < r->n; i++) {
        const double *e = r->env[i];
        if (e[2] < box[0] || e[0] > box[2] || e[3] < box[1] || e[1] > box[3])
            continue;
        int n = ring_cut_box(r, i, box, &B);
        if (n < 0)
            ok = 0;
        if (n < 3)
            continue;
        double *xy = malloc(2 * sizeof *xy * (size_t)(n + 1));
        if (!xy) {
            ok = 0;
            break;
        }
        memcpy(xy, B.a, 2 * sizeof *xy * (size_t)n);
        memcpy(xy + 2 * n, B.a, 2 * sizeof *xy); /* closed */
        int k = out->n++;
        out->xy = realloc(out->xy, (size_t)out->n * sizeof *out->xy);
        out->len = realloc(out->len, (size_t)out->n * sizeof *out->len);
        out->hole = realloc(out->hole, (size_t)out->n * sizeof *out->hole);
        out->env = realloc(out->env, (size_t)out->n * sizeof *out->env);
        out->runs = realloc(out->runs, (size_t)out->n * sizeof *out->runs);
        out->xy[k] = xy;
        out->len[k] = n;
        out->hole[k] = r->hole[i];
        ring_envelopes(out, k);
    }
    free(B.a);
    free(B.b);
    return ok;
}

/* Area of the feature's rings clipped by a convex polygon (counter-clockwise,
 * n vertices): shells count, holes are taken off. Clipping an arbitrary ring
 * by a convex region this way leaves at most zero-width bridges along the
 * region's edges, which have no area. -1 when out of memory. */
static double convex_overlap(const struct rings *r, const double *clip, int nclip)
{
    double box[4] = {clip[0], clip[1], clip[0], clip[1]}, total = 0;
    for (int k = 1; k < nclip; k++) {
        box[0] = clip[2 * k] < box[0] ? clip[2 * k] : box[0];
        box[2] = clip[2 * k] > box[2] ? clip[2 * k] : box[2];
        box[1] = clip[2 * k + 1] < box[1] ? clip[2 * k + 1] : box[1];
        box[3] = clip[2 * k + 1] > box[3] ? clip[2 * k + 1] : box[3];
    }
    struct bufs B = {0};
    int failed = 0;
    for (int i = 0; !failed && i < r->n; i++) {
        const double *e = r->env[i];
        if (e[2] < box[0] || e[0] > box[2] || e[3] < box[1] || e[1] > box[3])
            continue;
        /* the box first: what is left is small */
        int n = ring_cut_box(r, i, box, &B);
        for (int k = 0; n > 2 && k < nclip; k++) {
            const double *p = clip + 2 * k, *q = clip + 2 * ((k + 1) % nclip);
            /* left of p->q: (q - p) x (x - p) >= 0 */
            double a = -(q[1] - p[1]), b = q[0] - p[0], c = -(a * p[0] + b * p[1]);
            n = bufs_clip(&B, n, a, b, c);
        }
        if (n < 0) {
            failed = 1;
            break;
        }
        double a2 = 0;
        for (int k = 0; n > 2 && k < n; k++) {
            int j = (k + 1) % n;
            a2 += B.a[2 * k] * B.a[2 * j + 1] - B.a[2 * j] * B.a[2 * k + 1];
        }
        total += (r->hole[i] ? -1 : 1) * fabs(a2) / 2;
    }
    free(B.a);
    free(B.b);
    return failed ? -1 : total > 0 ? total : 0;
}

/* Area of F ∩ g computed locally: F is first cut to a rectangle around g (a
 * linear pass over its vertices), so that GEOS does not build its indexes of
 * all the feature's boundary for each overlay. -1 on error. */
static double local_overlap(GEOSContextHandle_t h, const GEOSGeometry *Fm, const GEOSGeometry *g)
{
    double x0, y0, x1, y1, a = -1;
    GEOSGeom_getExtent_r(h, g, &x0, &y0, &x1, &y1);
    GEOSGeometry *clip = GEOSClipByRect_r(h, Fm, x0 - 1, y0 - 1, x1 + 1, y1 + 1);
    GEOSGeometry *piece = clip ? GEOSIntersection_r(h, clip, g) : NULL;
    if (!piece) /* a clipped shape GEOS cannot overlay: the whole feature */
        piece = GEOSIntersection_r(h, Fm, g);
    if (piece && !GEOSArea_r(h, piece, &a))
        a = -1;
    if (piece)
        GEOSGeom_destroy_r(h, piece);
    if (clip)
        GEOSGeom_destroy_r(h, clip);
    return a;
}

/* Shoelace area of a polygon of n points. */
static double ring_area(const double *xy, int n)
{
    double a2 = 0;
    for (int k = 0; k < n; k++) {
        int j = (k + 1) % n;
        a2 += xy[2 * k] * xy[2 * j + 1] - xy[2 * j] * xy[2 * k + 1];
    }
    return fabs(a2) / 2;
}

/* Convex polygon in (n points, counter-clockwise) clipped by convex polygon
 * clip (m points, counter-clockwise) into out (room for n + m points): the
 * convex intersection, counter-clockwise; returns its point count. */
static int convex_clip(const double *in, int n, const double *clip, int m, double *out, double *tmp)
{
    const double *src = in;
    double *bufs[2] = {out, tmp};
    int which = 0;
    for (int k = 0; n > 2 && k < m; k++) {
        const double *p = clip + 2 * k, *q = clip + 2 * ((k + 1) % m);
        double a = -(q[1] - p[1]), b = q[0] - p[0], c = -(a * p[0] + b * p[1]);
        n = clip_half(src, n, a, b, c, bufs[which]);
        src = bufs[which];
        which ^= 1;
    }
    if (src != out)
        memcpy(out, src, 2 * sizeof *out * (size_t)(n > 0 ? n : 0));
    return n > 2 ? n : 0;
}

/* Inclusion-exclusion over a group of convex covering polygons: the area of
 * F ∩ (S1 ∪ ... ∪ Sm) as the alternating sum of area(F ∩ Si ∩ Sj ∩ ...),
 * each intersection of convex polygons being convex. Subsets are walked
 * depth first and an empty intersection prunes all its supersets, so the
 * work follows the overlaps actually there. A term whose polygons include
 * one F covers is measured directly, others are clipped by F's rings. */
struct incl_excl {
    const struct pk_cover_src **src;
    const int *inside;
    int m;
    const struct rings *rings;
    long terms, max_terms;
    double sum;
    int ok;
};

static void incl_excl_walk(struct incl_excl *ie, int next, const double *poly, int n, int depth, int any_inside)
{
    for (int k = next; ie->ok && k < ie->m; k++) {
        const struct pk_cover_src *s = ie->src[k];
        size_t cap = (size_t)(n + s->nconvex + 4) * 2;
        double *out = malloc(cap * sizeof *out), *tmp = malloc(cap * sizeof *tmp);
        if (!out || !tmp) {
            ie->ok = 0;
            free(out);
            free(tmp);
            return;
        }
        int cn = convex_clip(poly, n, s->convex, s->nconvex, out, tmp);
        free(tmp);
        if (cn > 0 && ++ie->terms > ie->max_terms)
            ie->ok = 0;
        if (cn > 0 && ie->ok) {
            int in = any_inside || ie->inside[k];
            double a = in ? ring_area(out, cn) : convex_overlap(ie->rings, out, cn);
            if (a < 0)
                ie->ok = 0;
            ie->sum += (depth % 2 ? -1 : 1) * a;
            incl_excl_walk(ie, k + 1, out, cn, depth + 1, in);
        }
        free(out);
    }
}

/* Returns 1 and the area in *area, or 0 when the group is too entangled
 * (more than max_terms non-empty intersections) or memory ran out. */
static int incl_excl_area(const struct pk_cover_src **src, const double *over, const int *inside, int m,
                          const struct rings *rings, double *area)
{
    struct incl_excl ie = {src, inside, m, rings, 0, 256, 0, 1};
    for (int k = 0; k < m && ie.ok; k++) {
        ie.sum += over[k];
        incl_excl_walk(&ie, k + 1, src[k]->convex, src[k]->nconvex, 1, inside[k]);
    }
    *area = ie.sum;
    return ie.ok;
}

static size_t find_root(size_t *parent, size_t k)
{
    while (parent[k] != k)
        k = parent[k] = parent[parent[k]];
    return k;
}

/* area(F ∩ (S1 ∪ ... ∪ Sn)) for the covering polygons overlapping F, with
 * over[k] = area(F ∩ Sk) known and inside[k] set when F covers Sk. Polygons
 * whose envelopes meet are grouped; a group of one needs no overlay at all;
 * a group is unioned, and the parts of the union that cross F's boundary are
 * intersected with F locally. Groups and parts are disjoint, so the areas
 * add up. Returns 0 on error. */
static int covered_area(struct cov_thread *t, const GEOSGeometry *Fm, const GEOSPreparedGeometry **ppFm,
                        const struct pk_cover_src **cover, const double *over, const int *inside, size_t n,
                        struct rings *rings, double *covered)
{
    GEOSContextHandle_t h = pk_geos(t->ctx);
    const GEOSPreparedGeometry *pFm = *ppFm;
    size_t *parent = malloc(n * sizeof *parent), *members = malloc(n * sizeof *members);
    double (*env)[4] = malloc(n * sizeof *env);
    const struct pk_cover_src **group = malloc(n * sizeof *group);
    int ok = parent && members && env && group;
    for (size_t k = 0; ok && k < n; k++) {
        parent[k] = k;
        GEOSGeom_getExtent_r(h, cover[k]->gm, &env[k][0], &env[k][1], &env[k][2], &env[k][3]);
    }
    for (size_t a = 0; ok && a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (env[a][0] <= env[b][2] && env[b][0] <= env[a][2] && env[a][1] <= env[b][3] &&
                env[b][1] <= env[a][3]) {
                size_t ra = find_root(parent, a), rb = find_root(parent, b);
                if (ra != rb)
                    parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
            }
    *covered = 0;
    for (size_t r = 0; ok && r < n; r++) {
        if (find_root(parent, r) != r)
            continue;
        size_t m = 0;
        int crossing = 0, convex = 1;
        for (size_t k = r; k < n; k++)
            if (find_root(parent, k) == r) {
                members[m++] = k;
                group[m - 1] = cover[k];
                crossing |= !inside[k];
                convex &= cover[k]->convex != NULL;
            }
        if (m == 1) {
            *covered += over[r];
            continue;
        }
        if (convex && crossing && !rings->n && !rings_read(h, Fm, rings))
            rings_free(rings);
        if (convex && (!crossing || rings->n)) {
            double *o = malloc(m * sizeof *o), box[4] = {env[r][0], env[r][1], env[r][2], env[r][3]};
            int *in = malloc(m * sizeof *in), done = 0;
            for (size_t k = 0; o && in && k < m; k++) {
                o[k] = over[members[k]];
                in[k] = inside[members[k]];
                box[0] = env[members[k]][0] < box[0] ? env[members[k]][0] : box[0];
                box[1] = env[members[k]][1] < box[1] ? env[members[k]][1] : box[1];
                box[2] = env[members[k]][2] > box[2] ? env[members[k]][2] : box[2];
                box[3] = env[members[k]][3] > box[3] ? env[members[k]][3] : box[3];
            }
            box[0] -= 1, box[1] -= 1, box[2] += 1, box[3] += 1;
            struct rings local = {0};
            double a = 0;
            if (o && in && (!crossing || rings_clip_box(rings, box, &local)) &&
                incl_excl_area(group, o, in, (int)m, &local, &a)) {
                *covered += a > 0 ? a : 0;
                done = 1;
            }
            rings_free(&local);
            free(o);
            free(in);
            if (done)
                continue;
        }
        GEOSGeometry *u = union_of(t, group, m);
        int nparts = u ? GEOSGetNumGeometries_r(h, u) : -1;
        ok = nparts >= 0;
        for (int k = 0; ok && k < nparts; k++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(h, u, k);
            double a = -1;
            if (crossing && !pFm)
                pFm = GEOSPrepare_r(h, Fm);
            if (!crossing || GEOSPreparedCovers_r(h, pFm, part) == 1)
                GEOSArea_r(h, part, &a);
            else
                a = local_overlap(h, Fm, part);
            if (a < 0)
                ok = 0;
            else
                *covered += a;
        }
        if (u)
            GEOSGeom_destroy_r(h, u);
    }
    *ppFm = pFm;
    free(parent);
    free(members);
    free(env);
    free(group);
    return ok;
}

/* The covered area of a feature F is area(F ∩ (S1 ∪ S2 ∪ ...)) over the
 * covering polygons Si that overlap it by at least 1 m² (a task counts for F
 * when one of its polygons does, or when it is linked to F itself, which
 * covers F whole). Overlays run in the metric CRS (F and the Si transformed
 * vertex by vertex), so the area is that of one planar region whatever the
 * grouping: a footprint inside the area already covered adds nothing, and
 * SpatiaLite's ST_Area(ST_Intersection(ST_Transform(..), ST_Union(ST_Transform(..))))
 * gives the same number.
 *
 * For speed (tens of thousands of footprints over thousands of detailed
 * polygons), GEOS's overlays are mostly avoided:
 * - a convex polygon (circles, rectangles: most footprints) is measured
 *   against F by clipping F's rings by it (Sutherland-Hodgman), after a test
 *   on run envelopes that tells, for most, that F's boundary stays away, and
 *   then one point-in-polygon test says inside or outside;
 * - polygons whose envelopes meet are grouped: a group of one adds its
 *   overlap; a group of convex polygons adds area(F ∩ union) by
 *   inclusion-exclusion over the (convex) intersections of its members;
 * - other groups are unioned with GEOS (small shapes in general position, its
 *   fast path), and the parts of the union that cross F's boundary are
 *   intersected with F cut to a box around them. Unioning pieces cut out of F
 *   instead would overlay nearly coincident copies of F's boundary, which GEOS
 *   handles only through its slow snapping fallbacks.
 * Contact with lines and points is tested in the store CRS with GEOS. The
 * result depends on nothing but the data: not on the thread count. */
static void compute_feature(void *state, size_t i, void *arg)
{
    struct cov_thread *t = state;
    struct coverage *C = arg;
    struct feature *f = &C->feats[i];
    const struct pk_cover_set *cs = C->cs;
    if (!t || t->rc != PK_OK) {
        f->rc = PK_ERR_NOMEM;
        snprintf(f->err, sizeof f->err, "cannot start a worker thread");
        return;
    }
    GEOSContextHandle_t h = pk_geos(t->ctx);
    GEOSGeometry *F = f->wkb ? GEOSWKBReader_read_r(h, t->reader, f->wkb, (size_t)f->wkb_len) : NULL;
    if (!F)
        return;
    int ok = 1, polygonal = pk_geom_is_polygonal(t->ctx, F);
    GEOSGeometry *Fm = NULL; /* F in the metric CRS */
    if (polygonal) {
        Fm = pk_transform_geom(t->ctx, t->tr, F);
        if (!Fm || !GEOSArea_r(h, Fm, &f->area))
            ok = 0;
    }
    struct pk_cover_src **cand = NULL;
    size_t nc = ok ? pk_cover_candidates(h, cs, F, &cand) : 0;
    const struct pk_cover_src **cover = calloc(nc ? nc : 1, sizeof *cover);
    double *over = calloc(nc ? nc : 1, sizeof *over); /* area of F ∩ cover[k] */
    int *inside_of = calloc(nc ? nc : 1, sizeof *inside_of);
    size_t ncover = 0;
    if (!cover || !over || !inside_of)
        ok = 0;
    int full = 0, crossing = 0;
    const GEOSPreparedGeometry *pF = NULL, *pFm = NULL;
    struct rings rings = {0};
    for (size_t c = 0; ok && c < nc; c++) {
        const struct pk_cover_src *s = cand[c];
        if (s->layer_id == C->layer.id && s->fid == f->fid) {
            full = 1;
            mark(f, s);
            continue;
        }
        if (!polygonal || !s->polygonal) {
            if (!pF)
                pF = GEOSPrepare_r(h, F);
            if (GEOSPreparedIntersects_r(h, pF, s->g) == 1)
                mark(f, s);
            continue;
        }
        double overlap = 0;
        int inside;
        if (s->convex && !rings.n && !rings_read(h, Fm, &rings))
            rings_free(&rings);
        if (s->convex && rings.n) {
            double box[4];
            GEOSGeom_getExtent_r(h, s->gm, &box[0], &box[1], &box[2], &box[3]);
            if (!rings_near(&rings, box)) {
                /* the boundary stays away: all inside or all outside */
                if (!rings_contain(&rings, s->convex[0], s->convex[1]))
                    continue;
                inside = 1;
                overlap = s->metric_area;
            } else {
                /* a convex polygon is clipped by the feature's rings directly:
                 * it lies inside when the clipped area is its whole area (to
                 * within rounding: a sliver that small outside would not show) */
                if ((overlap = convex_overlap(&rings, s->convex, s->nconvex)) < 0) {
                    ok = 0;
                    break;
                }
                inside = fabs(overlap - s->metric_area) <= 1e-9 * s->metric_area;
                if (inside)
                    overlap = s->metric_area;
            }
        } else {
            if (!pFm)
                pFm = GEOSPrepare_r(h, Fm);
            if (GEOSPreparedIntersects_r(h, pFm, s->gm) != 1)
                continue;
            inside = GEOSPreparedCovers_r(h, pFm, s->gm) == 1;
            if (inside)
                overlap = s->metric_area;
            else if ((overlap = local_overlap(h, Fm, s->gm)) < 0) {
                ok = 0;
                break;
            }
        }
        if (overlap < PK_MIN_OVERLAP_M2)
            continue;
        mark(f, s);
        crossing |= !inside;
        over[ncover] = overlap;
        inside_of[ncover] = inside;
        cover[ncover++] = s;
    }
    if (ok && polygonal) {
        if (full) {
            f->covered = f->area;
        } else if (ncover > 0) {
            ok = covered_area(t, Fm, &pFm, cover, over, inside_of, ncover, &rings, &f->covered);
        }
        if (f->covered > f->area)
            f->covered = f->area;
    }
    if (!ok) {
        f->rc = PK_ERR_GEOS;
        snprintf(f->err, sizeof f->err, "%s", pk_errmsg(t->ctx)[0] ? pk_errmsg(t->ctx) : "GEOS operation failed");
    }
    for (size_t b = 0; b < cs->ntasks; b++)
        f->ntasks += f->tasks[b];
    if (C->opts->with_geometry && t->wgs84) {
        GEOSGeometry *ll = pk_transform_geom(t->ctx, t->wgs84, F);
        f->geojson = ll ? pk_geom_to_geojson(t->ctx, ll) : NULL;
        if (ll)
            GEOSGeom_destroy_r(h, ll);
    } else if (C->opts->with_geometry) {
        f->geojson = pk_geom_to_geojson(t->ctx, F);
    }
    if (pF)
        GEOSPreparedGeom_destroy_r(h, pF);
    if (pFm)
        GEOSPreparedGeom_destroy_r(h, pFm);
    if (Fm)
        GEOSGeom_destroy_r(h, Fm);
    GEOSGeom_destroy_r(h, F);
    rings_free(&rings);
    free(cover);
    free(over);
    free(inside_of);
    free(cand);
}

/* Read fid, name and geometry of every feature of the layer. */
static int read_features(struct coverage *C)
{
    struct pk_store *S = C->store;
    long long has_name = 0;
    char *sql = sqlite3_mprintf("SELECT count(*) FROM pk_fields WHERE layer_id=%lld AND name='name'", C->layer.id);
    pk_sql_int(S, sql, NULL, &has_name, NULL);
    sqlite3_free(sql);
    sql = sqlite3_mprintf("SELECT fid, %s, AsBinary(geom) FROM %s ORDER BY fid", has_name ? "name" : "NULL",
                          C->layer.table);
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(S, sql, &st);
    sqlite3_free(sql);
    size_t cap = 0;
    while (rc == PK_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (C->nfeats == cap) {
            cap = cap ? cap * 2 : 256;
            struct feature *grown = realloc(C->feats, cap * sizeof *grown);
            if (!grown) {
                rc = pk_error(S->ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            C->feats = grown;
        }
        struct feature *f = &C->feats[C->nfeats++];
        memset(f, 0, sizeof *f);
        f->fid = sqlite3_column_int64(st, 0);
        if (sqlite3_column_text(st, 1))
            f->name = strdup((const char *)sqlite3_column_text(st, 1));
        f->wkb_len = sqlite3_column_bytes(st, 2);
        if (f->wkb_len > 0) {
            f->wkb = malloc((size_t)f->wkb_len);
            memcpy(f->wkb, sqlite3_column_blob(st, 2), (size_t)f->wkb_len);
        }
        f->tasks = calloc(C->cs->ntasks ? C->cs->ntasks : 1, 1);
    }
    sqlite3_finalize(st);
    return rc;
}

static char *task_list(const struct pk_cover_set *cs, const unsigned char *mask, int citywide_only)
{
    size_t len = 1;
    for (size_t i = 0; i < cs->ntasks; i++)
        if (citywide_only ? cs->citywide[i] : mask[i])
            len += strlen(cs->task_ids[i]) + 1;
    char *s = calloc(len, 1);
    for (size_t i = 0; s && i < cs->ntasks; i++)
        if (citywide_only ? cs->citywide[i] : mask[i]) {
            if (*s)
                strcat(s, ",");
            strcat(s, cs->task_ids[i]);
        }
    return s;
}

static int build_table(struct coverage *C, struct pk_table **out)
{
    const struct pk_cover_set *cs = C->cs;
    const char *names[] = {"fid", "name", "tasks", "task_ids", "area_km2", "covered_km2", "share_pct", "geometry"};
    enum pk_col_type types[] = {PK_COL_INT, PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT, PK_COL_REAL, PK_COL_REAL,
                                PK_COL_REAL, PK_COL_GEOJSON};
    int ncols = C->opts->with_geometry ? 8 : 7;
    struct pk_table *t = pk_table_new(ncols, names, types);
    unsigned char *any = calloc(cs->ntasks ? cs->ntasks : 1, 1);
    double area = 0, covered = 0;
    if (!t || !any) {
        pk_table_free(t);
        free(any);
        return pk_error(C->store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < C->nfeats; i++) {
        struct feature *f = &C->feats[i];
        area += f->area;
        covered += f->covered;
        for (size_t b = 0; b < cs->ntasks; b++)
            any[b] |= f->tasks[b];
        if (C->opts->gaps_only && f->ntasks > 0)
            continue;
        long r = pk_table_add_row(t);
        char *ids = task_list(cs, f->tasks, 0);
        pk_table_setf(t, (size_t)r, 0, "%lld", f->fid);
        pk_table_set(t, (size_t)r, 1, f->name);
        pk_table_setf(t, (size_t)r, 2, "%d", f->ntasks);
        pk_table_set(t, (size_t)r, 3, ids);
        pk_table_setf(t, (size_t)r, 4, "%.6f", f->area / 1e6);
        pk_table_setf(t, (size_t)r, 5, "%.6f", f->covered / 1e6);
        if (f->area > 0)
            pk_table_setf(t, (size_t)r, 6, "%.2f", 100.0 * f->covered / f->area);
        if (ncols > 7)
            pk_table_set(t, (size_t)r, 7, f->geojson);
        free(ids);
    }
    if (!C->opts->gaps_only) {
        int ncity = 0, nany = 0;
        for (size_t b = 0; b < cs->ntasks; b++) {
            ncity += cs->citywide[b];
            nany += any[b];
        }
        if (!C->opts->include_citywide) {
            long r = pk_table_add_row(t);
            char *ids = task_list(cs, NULL, 1);
            pk_table_set(t, (size_t)r, 1, "(city-wide, not counted)");
            pk_table_setf(t, (size_t)r, 2, "%d", ncity);
            pk_table_set(t, (size_t)r, 3, ids);
            free(ids);
        }
        long r = pk_table_add_row(t);
        pk_table_set(t, (size_t)r, 1, "(total)");
        pk_table_setf(t, (size_t)r, 2, "%d", nany);
        pk_table_setf(t, (size_t)r, 4, "%.6f", area / 1e6);
        pk_table_setf(t, (size_t)r, 5, "%.6f", covered / 1e6);
        if (area > 0)
            pk_table_setf(t, (size_t)r, 6, "%.2f", 100.0 * covered / area);
    }
    free(any);
    *out = t;
    return PK_OK;
}

int pk_coverage(struct pk_store *store, const struct pk_coverage_opts *opts, struct pk_table **out,
                pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct coverage C = {store, opts, NULL, {0}, NULL, 0, "", "", 0};
    struct pk_cover_filter filter = {opts->classification, opts->status, opts->year, opts->include_citywide};
    int rc;
    *out = NULL;
    if (!opts->by_layer)
        return pk_error(ctx, PK_ERR_ARGS, "coverage: --by LAYER is required");
    if ((rc = pk_layer_find(store, opts->by_layer, &C.layer)) != PK_OK)
        return rc;
    if ((rc = pk_cover_set_load(store, &filter, &C.cs)) != PK_OK)
        return rc;
    snprintf(C.src_def, sizeof C.src_def, "EPSG:%d", pk_store_srid(store));
    snprintf(C.dst_def, sizeof C.dst_def, "EPSG:%d", pk_store_measure_srid(store));
    C.geojson_reproject = opts->with_geometry && pk_store_srid(store) != 4326;
    rc = read_features(&C);
    struct pk_pool *pool = NULL;
    struct cov_thread *main_state = NULL;
    if (rc == PK_OK) {
        main_state = calloc(1, sizeof *main_state);
        if (main_state) {
            main_state->ctx = ctx;
            main_state->rc = pk_transform_new_defs(ctx, C.src_def, C.dst_def, &main_state->tr);
            if (main_state->rc == PK_OK && C.geojson_reproject)
                main_state->rc = pk_transform_new_defs(ctx, C.src_def, "EPSG:4326", &main_state->wgs84);
            main_state->reader = GEOSWKBReader_create_r(pk_geos(ctx));
            rc = main_state->rc;
        }
        pool = pk_pool_new(pk_pool_default_threads(), cov_thread_init, cov_thread_fini, &C);
        if (!pool || !main_state)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    for (size_t done = 0; rc == PK_OK && done < C.nfeats; done += CHUNK) {
        size_t n = C.nfeats - done < CHUNK ? C.nfeats - done : CHUNK;
        struct coverage sub = C;
        sub.feats = C.feats + done;
        pk_pool_run(pool, main_state, n, compute_feature, &sub);
        for (size_t i = done; i < done + n && rc == PK_OK; i++)
            if (C.feats[i].rc != PK_OK)
                rc = pk_error(ctx, C.feats[i].rc, "coverage: layer '%s' feature %lld: %s", C.layer.name,
                              C.feats[i].fid, C.feats[i].err);
        if (rc == PK_OK && progress && !progress((double)(done + n) / (double)C.nfeats, NULL, arg))
            rc = pk_error(ctx, PK_ERR_CANCELLED, "coverage: cancelled");
    }
    pk_pool_free(pool);
    cov_thread_fini(main_state);
    if (rc == PK_OK)
        rc = build_table(&C, out);
    for (size_t i = 0; i < C.nfeats; i++) {
        free(C.feats[i].name);
        free(C.feats[i].wkb);
        free(C.feats[i].tasks);
        free(C.feats[i].geojson);
    }
    free(C.feats);
    pk_cover_set_free(C.cs);
    return rc;
}
