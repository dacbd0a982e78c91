/* planar.c — planar kernels of the coverage engine: ring reading with run
 * envelopes, half-plane and convex clipping, point in polygon, and
 * inclusion-exclusion over convex covering polygons (see planar_int.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planar_int.h"

void pk_rings_free(struct pk_rings *r)
{
    for (int i = 0; i < r->n; i++)
        pk_ring_free(&r->ring[i]);
    free(r->ring);
    memset(r, 0, sizeof *r);
}

/* A new, zeroed ring at the end of r; NULL when out of memory. */
static struct pk_ring *rings_push(struct pk_rings *r)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 8;
        struct pk_ring *grown = realloc(r->ring, (size_t)cap * sizeof *grown);
        if (!grown)
            return NULL;
        r->ring = grown;
        r->cap = cap;
    }
    struct pk_ring *ring = &r->ring[r->n++];
    memset(ring, 0, sizeof *ring);
    return ring;
}

/* Add one GEOS ring (rings of fewer than 4 points have no area: skipped). */
static int rings_add(GEOSContextHandle_t h, struct pk_rings *r, const GEOSGeometry *ring, int hole)
{
    const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n))
        return PK_ERR_GEOS;
    if (n < 4)
        return PK_OK;
    struct pk_ring *slot = rings_push(r);
    return slot ? pk_ring_read(h, ring, 0, hole, slot) : PK_ERR_NOMEM;
}

int pk_rings_read(GEOSContextHandle_t h, const GEOSGeometry *g, struct pk_rings *r)
{
    int np = GEOSGetNumGeometries_r(h, g), rc = np >= 0 ? PK_OK : PK_ERR_GEOS;
    memset(r, 0, sizeof *r);
    for (int p = 0; rc == PK_OK && p < np; p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, p);
        int nh = GEOSGetNumInteriorRings_r(h, poly);
        rc = nh >= 0 ? rings_add(h, r, GEOSGetExteriorRing_r(h, poly), 0) : PK_ERR_GEOS;
        for (int k = 0; rc == PK_OK && k < nh; k++)
            rc = rings_add(h, r, GEOSGetInteriorRingN_r(h, poly, k), 1);
    }
    if (rc != PK_OK)
        pk_rings_free(r);
    return rc;
}

/* Keep the part of polygon in (n points) where a*x + b*y + c >= 0 into out;
 * returns the count (Sutherland-Hodgman, one half-plane). */
static int clip_half(const double *in, int n, double a, double b, double c, double *out)
{
    int m = 0;
    if (n <= 0)
        return 0;
    /* each vertex's side is computed once, and the wrap to vertex 0 without
     * a division per edge: this loop is the hottest of coverage */
    double d0 = a * in[0] + b * in[1] + c, dp = d0;
    for (int i = 0; i < n; i++) {
        const double *p = in + 2 * i, *q = i + 1 < n ? p + 2 : in;
        double dq = i + 1 < n ? a * q[0] + b * q[1] + c : d0;
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
        dp = dq;
    }
    return m;
}

int pk_rings_near(const struct pk_rings *r, const double box[4])
{
    for (int i = 0; i < r->n; i++)
        if (pk_ring_near(&r->ring[i], box))
            return 1;
    return 0;
}

int pk_rings_contain(const struct pk_rings *r, double x, double y)
{
    int inside = 0;
    for (int i = 0; i < r->n; i++) {
        const struct pk_ring *ring = &r->ring[i];
        const double *e = ring->env, *xy = ring->xy;
        if (y < e[1] || y > e[3] || x > e[2])
            continue;
        int edges = pk_ring_edges(ring);
        for (int k = 0; k * PK_RING_RUN < edges; k++) {
            e = ring->runs[k];
            if (y < e[1] || y > e[3] || x > e[2])
                continue;
            int last = (k + 1) * PK_RING_RUN < edges ? (k + 1) * PK_RING_RUN : edges;
            for (int v = k * PK_RING_RUN; v < last; v++) {
                const double *p = xy + 2 * v, *q = p + 2;
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

/* Room for points in both buffers (contents of a kept); 0 when out of
 * memory. */
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
static int ring_cut_box(const struct pk_ring *ring, const double box[4], struct bufs *B)
{
    const double *xy = ring->xy;
    int len = pk_ring_edges(ring), n = 0, skipping = -1, first_skipped = 0, last_skipped = 0;
    if (!bufs_need(B, (size_t)len + 4))
        return -1;
    /* consecutive runs beyond the same side make one stretch, kept as its
     * first and last vertex */
    for (int k = 0; k * PK_RING_RUN < len; k++) {
        int first = k * PK_RING_RUN, last = (k + 1) * PK_RING_RUN < len ? (k + 1) * PK_RING_RUN : len;
        const double *e = ring->runs[k];
        int beyond[4] = {e[2] < box[0], e[0] > box[2], e[3] < box[1], e[1] > box[3]};
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

int pk_rings_clip_box(const struct pk_rings *r, const double box[4], struct pk_rings *out)
{
    struct bufs B = {0};
    int rc = PK_OK;
    memset(out, 0, sizeof *out);
    for (int i = 0; rc == PK_OK && i < r->n; i++) {
        if (pk_env_disjoint(r->ring[i].env, box))
            continue;
        int n = ring_cut_box(&r->ring[i], box, &B);
        if (n < 0)
            rc = PK_ERR_NOMEM;
        if (n < 3)
            continue;
        struct pk_ring *slot = rings_push(out);
        rc = slot ? pk_ring_from_xy(B.a, n, r->ring[i].hole, slot) : PK_ERR_NOMEM;
    }
    free(B.a);
    free(B.b);
    if (rc != PK_OK)
        pk_rings_free(out);
    return rc;
}

/* Area of the feature's rings clipped by a convex polygon (counter-clockwise,
 * n vertices): shells count, holes are taken off. Clipping an arbitrary ring
 * by a convex region this way leaves at most zero-width bridges along the
 * region's edges, which have no area. -1 on error (out of memory, a point
 * the measure cannot transform). */
double pk_convex_overlap(struct pk_measure *m, const struct pk_rings *r, const double *clip, int nclip)
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
        if (pk_env_disjoint(r->ring[i].env, box))
            continue;
        /* the box first: what is left is small */
        int n = ring_cut_box(&r->ring[i], box, &B);
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
        double a = 0;
        if (n > 2 && !pk_measure_open_ring(m, B.a, (size_t)n, &a)) {
            failed = 1;
            break;
        }
        total += (r->ring[i].hole ? -1 : 1) * fabs(a);
    }
    free(B.a);
    free(B.b);
    return failed ? -1 : total > 0 ? total : 0;
}

/* Area of F ∩ g computed locally: F is first cut to a rectangle around g (a
 * linear pass over its vertices), so that GEOS does not build its indexes of
 * all the feature's boundary for each overlay. -1 on error. */
double pk_local_overlap(struct pk_measure *m, GEOSContextHandle_t h, const GEOSGeometry *F, const GEOSGeometry *g)
{
    double x0, y0, x1, y1, a = -1;
    GEOSGeom_getExtent_r(h, g, &x0, &y0, &x1, &y1);
    double margin = pk_box_margin(x0, y0, x1, y1);
    GEOSGeometry *clip = GEOSClipByRect_r(h, F, x0 - margin, y0 - margin, x1 + margin, y1 + margin);
    GEOSGeometry *piece = clip ? GEOSIntersection_r(h, clip, g) : NULL;
    if (!piece) /* a clipped shape GEOS cannot overlay: the whole feature */
        piece = GEOSIntersection_r(h, F, g);
    if (piece && !pk_measure_geom(m, h, piece, &a))
        a = -1;
    if (piece)
        GEOSGeom_destroy_r(h, piece);
    if (clip)
        GEOSGeom_destroy_r(h, clip);
    return a;
}

double pk_box_margin(double x0, double y0, double x1, double y1)
{
    double size = fmax(fmax(fabs(x0), fabs(x1)), fmax(fabs(y0), fabs(y1)));
    return size > 0 ? size * 1e-9 : 1e-9;
}

/* Measured area of a polygon of n points (no closing vertex); -1 on error. */
static double ring_area(struct pk_measure *m, const double *xy, int n)
{
    double a = 0;
    return pk_measure_open_ring(m, xy, (size_t)n, &a) ? fabs(a) : -1;
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
    struct pk_measure *measure;
    const struct pk_cover_src **src;
    const int *inside;
    int m;
    const struct pk_rings *rings;
    long terms, max_terms;
    double sum;
    int ok;
};

/* Add to ie->sum the terms of every subset extending the current one (whose
 * intersection is poly, n points, `depth` sources, any_inside when one of
 * them lies inside F) with sources next..m-1: each new intersection, if not
 * empty, counts with the sign of its size and is extended in turn. Clears
 * ie->ok on failure or past max_terms. */
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
            double a = in ? ring_area(ie->measure, out, cn) : pk_convex_overlap(ie->measure, ie->rings, out, cn);
            if (a < 0)
                ie->ok = 0;
            ie->sum += (depth % 2 ? -1 : 1) * a;
            incl_excl_walk(ie, k + 1, out, cn, depth + 1, in);
        }
        free(out);
    }
}

/* Returns 1 and the area in *area, or 0 when the group is too entangled
 * (more than 256 non-empty intersections), memory ran out or a piece could
 * not be measured (the caller then measures the group another way). */
int pk_incl_excl_area(struct pk_measure *measure, const struct pk_cover_src **src, const double *over,
                      const int *inside, int m, const struct pk_rings *rings, double *area)
{
    struct incl_excl ie = {measure, src, inside, m, rings, 0, 256, 0, 1};
    for (int k = 0; k < m && ie.ok; k++) {
        ie.sum += over[k];
        incl_excl_walk(&ie, k + 1, src[k]->convex, src[k]->nconvex, 1, inside[k]);
    }
    *area = ie.sum;
    return ie.ok;
}

