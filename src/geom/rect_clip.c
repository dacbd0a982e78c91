/* rect_clip.c — the intersection of a polygonal feature with an
 * axis-aligned rectangle, on coordinate arrays (see rect_clip_int.h).
 *
 * Each ring is walked once, edge by edge, skipping runs of edges whose
 * envelope is clear of the rectangle. Inside stretches become polylines
 * that enter and leave through the boundary (Liang-Barsky gives the
 * crossings). Because shells run counter-clockwise and holes clockwise, the
 * feature's interior is on each polyline's left, so walking the boundary
 * counter-clockwise from an exit reaches the entry that continues the same
 * output ring; the corners passed on the way are added.
 *
 * Vertices on the boundary and edges along it are common (grids and
 * boundaries digitised on the same lattice), so they are resolved exactly
 * by symbolic perturbation: the rectangle is taken as shrunk by an
 * infinitesimal e, which changes no area. Liang-Barsky parameters become
 * pairs v + c e compared lexicographically, a vertex on the boundary is
 * outside, an edge along the boundary misses, and crossings at one boundary
 * point are ordered by their slope. In the limit e -> 0 such crossings meet
 * at the vertex, so repeated points are removed; a ring that would pass
 * twice through one point (the rectangle touching a notch of the feature) is
 * left to GEOS, as is anything else this picture cannot order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rect_clip_int.h"

enum { OUTSIDE = 0, INSIDE = 1 };
enum { BOTTOM = 0, RIGHT = 1, TOP = 2, LEFT = 3 };
enum { DEGENERATE = -1, NOMEM = -2 };

/* A position on the rectangle's boundary: its side, a coordinate that
 * grows counter-clockwise along that side, and the rate at which it moves
 * as the rectangle shrinks by e (orders crossings at one point). */
struct pk_clip_key {
    int side;
    double along, slope;
    int exact;  /* the point is an input vertex or a corner, not a computed crossing */
};

/* v + c e, e infinitesimal and positive. */
struct sym {
    double v, c;
};

static int sym_cmp(struct sym a, struct sym b)
{
    if (a.v != b.v)
        return a.v < b.v ? -1 : 1;
    return a.c < b.c ? -1 : a.c > b.c;
}

/* An inside stretch of a ring: points off .. off + len - 1 of the scratch. */
struct pk_clip_line {
    size_t off;
    int len;
    struct pk_clip_key in, out;
    int has_in, has_out;  /* a stretch cut at the ring's start lacks one */
    int next, used;
};

/* ---- reading ---------------------------------------------------------- */

void pk_clip_src_free(struct pk_clip_src *src)
{
    for (int p = 0; p < src->nparts; p++) {
        for (int k = 0; k < src->parts[p].nrings; k++)
            pk_ring_free(&src->parts[p].rings[k]);
        free(src->parts[p].rings);
    }
    free(src->parts);
    memset(src, 0, sizeof *src);
}

static int part_read(GEOSContextHandle_t h, const GEOSGeometry *poly, struct pk_clip_part *p)
{
    int holes = GEOSGetNumInteriorRings_r(h, poly);
    if (holes < 0)
        return PK_ERR_GEOS;
    p->rings = calloc((size_t)holes + 1, sizeof *p->rings);
    if (!p->rings)
        return PK_ERR_NOMEM;
    /* shells counter-clockwise, holes clockwise */
    int rc = pk_ring_read(h, GEOSGetExteriorRing_r(h, poly), 1, 0, &p->rings[0]);
    p->nrings = 1;
    for (int k = 0; rc == PK_OK && k < holes; k++, p->nrings++)
        rc = pk_ring_read(h, GEOSGetInteriorRingN_r(h, poly, k), -1, 1, &p->rings[k + 1]);
    return rc;
}

int pk_clip_src_read(GEOSContextHandle_t h, const GEOSGeometry *g, struct pk_clip_src *src)
{
    memset(src, 0, sizeof *src);
    int t = GEOSGeomTypeId_r(h, g);
    if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON)
        return PK_ERR_GEOS;
    int n = t == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(h, g);
    src->parts = calloc(n > 0 ? (size_t)n : 1, sizeof *src->parts);
    if (!src->parts)
        return PK_ERR_NOMEM;
    int rc = PK_OK;
    for (int i = 0; rc == PK_OK && i < n; i++) {
        const GEOSGeometry *poly = t == GEOS_POLYGON ? g : GEOSGetGeometryN_r(h, g, i);
        if (GEOSisEmpty_r(h, poly))
            continue;
        struct pk_clip_part *P = &src->parts[src->nparts++];
        rc = part_read(h, poly, P);
        for (int k = 0; rc == PK_OK && k < P->nrings; k++)
            src->area += (k == 0 ? 0.5 : -0.5) * fabs(pk_ring_area2(P->rings[k].xy, P->rings[k].n));
    }
    return rc;
}

int pk_geom_is_rect(GEOSContextHandle_t h, const GEOSGeometry *g, double box[4])
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_MULTIPOLYGON) {
        if (GEOSGetNumGeometries_r(h, g) != 1)
            return 0;
        g = GEOSGetGeometryN_r(h, g, 0);
    } else if (t != GEOS_POLYGON)
        return 0;
    if (GEOSGetNumInteriorRings_r(h, g) != 0)
        return 0;
    const GEOSGeometry *ring = GEOSGetExteriorRing_r(h, g);
    const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
    unsigned int n = 0;
    double xy[10];
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n) || n != 5 || !GEOSCoordSeq_copyToBuffer_r(h, seq, xy, 0, 0))
        return 0;
    pk_envelope(xy, 0, 3, box);
    if (!(box[0] < box[2] && box[1] < box[3]))
        return 0;
    for (int i = 0; i < 4; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1], nx = xy[2 * i + 2], ny = xy[2 * i + 3];
        if ((x != box[0] && x != box[2]) || (y != box[1] && y != box[3]))
            return 0; /* not a corner */
        if ((x != nx) == (y != ny))
            return 0; /* a diagonal or a repeated point */
    }
    return 1;
}

/* ---- output ----------------------------------------------------------- */

void pk_clip_out_free(struct pk_clip_out *out)
{
    free(out->xy);
    free(out->ring_off);
    free(out->ring_len);
    free(out->poly_first);
    free(out->lines);
    free(out->lxy);
    free(out->keys);
    memset(out, 0, sizeof *out);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 1;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

static int grow_int(void **p, int *cap, int need, size_t size)
{
    size_t c = (size_t)*cap;
    int ok = grow(p, &c, (size_t)need, size);
    *cap = (int)c;
    return ok;
}

static int out_point(struct pk_clip_out *o, double x, double y)
{
    if (!grow((void **)&o->xy, &o->cap_xy, o->nxy + 1, 2 * sizeof *o->xy))
        return 0;
    o->xy[2 * o->nxy] = x;
    o->xy[2 * o->nxy + 1] = y;
    o->nxy++;
    return 1;
}

static int out_points(struct pk_clip_out *o, const double *xy, size_t n)
{
    if (!grow((void **)&o->xy, &o->cap_xy, o->nxy + n, 2 * sizeof *o->xy))
        return 0;
    memcpy(o->xy + 2 * o->nxy, xy, 2 * n * sizeof *xy);
    o->nxy += n;
    return 1;
}

/* Start a ring (of a new polygon when new_poly); its points follow. */
static int out_ring(struct pk_clip_out *o, int new_poly)
{
    if (o->nrings + 1 > o->cap_rings) {
        int cap = o->cap_rings ? 2 * o->cap_rings : 16;
        size_t *off = realloc(o->ring_off, (size_t)cap * sizeof *off);
        if (!off)
            return 0;
        o->ring_off = off;
        int *len = realloc(o->ring_len, (size_t)cap * sizeof *len);
        if (!len)
            return 0;
        o->ring_len = len;
        o->cap_rings = cap;
    }
    if (new_poly) {
        if (!grow_int((void **)&o->poly_first, &o->cap_polys, o->npolys + 2, sizeof *o->poly_first))
            return 0;
        o->poly_first[o->npolys++] = o->nrings;
    }
    o->ring_off[o->nrings] = o->nxy;
    o->ring_len[o->nrings] = 0;
    o->nrings++;
    return 1;
}

static void out_ring_end(struct pk_clip_out *o)
{
    o->ring_len[o->nrings - 1] = (int)(o->nxy - o->ring_off[o->nrings - 1]);
    o->poly_first[o->npolys] = o->nrings;
}

static int out_copy_ring(struct pk_clip_out *o, const struct pk_ring *r, int new_poly)
{
    if (!out_ring(o, new_poly) || !out_points(o, r->xy, (size_t)r->n))
        return 0;
    out_ring_end(o);
    return 1;
}

/* ---- geometry helpers -------------------------------------------------- */

/* INSIDE the shrunk rectangle (strictly inside the rectangle) or OUTSIDE. */
static int classify(const double *b, double x, double y)
{
    return x > b[0] && x < b[2] && y > b[1] && y < b[3] ? INSIDE : OUTSIDE;
}

static int env_disjoint(const double *e, const double *b)
{
    return e[2] < b[0] || e[0] > b[2] || e[3] < b[1] || e[1] > b[3];
}

static int env_strictly_inside(const double *e, const double *b)
{
    return e[0] > b[0] && e[2] < b[2] && e[1] > b[1] && e[3] < b[3];
}

static int env_contains(const double *e, const double *b)
{
    return e[0] <= b[0] && e[2] >= b[2] && e[1] <= b[1] && e[3] >= b[3];
}

static int key_cmp(const struct pk_clip_key *a, const struct pk_clip_key *b)
{
    if (a->side != b->side)
        return a->side < b->side ? -1 : 1;
    if (a->along != b->along)
        return a->along < b->along ? -1 : 1;
    return a->slope < b->slope ? -1 : a->slope > b->slope;
}

static int key_qsort(const void *a, const void *b) { return key_cmp(a, b); }

/* Liang-Barsky against the rectangle shrunk by e: the stretch t0 .. t1 of
 * p-q inside it, entering through side *s0 (-1: p is inside) and leaving
 * through *s1 (-1: q is inside). Returns 1, 0 (misses, or only touches) or
 * DEGENERATE (crosses exactly at a corner of the shrunk rectangle). */
static int seg_clip(const double *b, double px, double py, double qx, double qy, struct sym *t0, int *s0,
                    struct sym *t1, int *s1)
{
    double dx = qx - px, dy = qy - py;
    const double P[4] = {-dy, dx, dy, -dx};
    const double Q[4] = {py - b[1], b[2] - px, b[3] - py, px - b[0]}; /* minus e for the shrunk sides */
    *t0 = (struct sym){0, 0}, *t1 = (struct sym){1, 0}, *s0 = *s1 = -1;
    for (int k = 0; k < 4; k++) {
        if (P[k] == 0) {
            if (Q[k] <= 0) /* parallel, outside the shrunk side (or along the side itself) */
                return 0;
            continue;
        }
        struct sym r = {Q[k] / P[k], -1 / P[k]};
        if (P[k] < 0) {
            int c = sym_cmp(r, *t0);
            if (c > 0)
                *t0 = r, *s0 = k;
            else if (c == 0 && *s0 >= 0)
                return DEGENERATE;
        } else {
            int c = sym_cmp(r, *t1);
            if (c < 0)
                *t1 = r, *s1 = k;
            else if (c == 0 && *s1 >= 0)
                return DEGENERATE;
        }
    }
    return sym_cmp(*t0, *t1) < 0;
}

/* The point (in the limit) where p-q crosses side s at t, and its key; 0 if
 * rounding put it off the side. Sets *touch when the point is a vertex or a
 * corner, where repeated points can arise. */
static int side_point(const double *b, int s, double px, double py, double qx, double qy, struct sym t, double *x,
                      double *y, struct pk_clip_key *key, int *touch)
{
    double dx = qx - px, dy = qy - py;
    key->exact = 0;
    if (t.v == 0 || t.v == 1) { /* at a vertex on the boundary */
        *x = t.v == 0 ? px : qx;
        *y = t.v == 0 ? py : qy;
        *touch = 1;
        key->exact = 1;
    } else if (s == BOTTOM || s == TOP) {
        *y = s == BOTTOM ? b[1] : b[3];
        *x = px + (*y - py) / dy * dx;
    } else {
        *x = s == RIGHT ? b[2] : b[0];
        *y = py + (*x - px) / dx * dy;
    }
    if (*x < b[0] || *x > b[2] || *y < b[1] || *y > b[3])
        return 0;
    if ((*x == b[0] || *x == b[2]) && (*y == b[1] || *y == b[3]))
        *touch = key->exact = 1; /* at a corner */
    key->side = s;
    switch (s) {
    case BOTTOM: key->along = *x, key->slope = t.c * dx; break;
    case RIGHT: key->along = *y, key->slope = t.c * dy; break;
    case TOP: key->along = -*x, key->slope = -t.c * dx; break;
    default: key->along = -*y, key->slope = -t.c * dy;
    }
    return 1;
}

/* ---- walking a ring ---------------------------------------------------- */

static struct pk_clip_line *line_new(struct pk_clip_out *o)
{
    if (!grow_int((void **)&o->lines, &o->cap_lines, o->nlines + 1, sizeof *o->lines))
        return NULL;
    struct pk_clip_line *l = &o->lines[o->nlines++];
    memset(l, 0, sizeof *l);
    l->off = o->nlxy;
    return l;
}

static int line_point(struct pk_clip_out *o, double x, double y)
{
    if (!grow((void **)&o->lxy, &o->cap_lxy, o->nlxy + 1, 2 * sizeof *o->lxy))
        return 0;
    o->lxy[2 * o->nlxy] = x;
    o->lxy[2 * o->nlxy + 1] = y;
    o->nlxy++;
    o->lines[o->nlines - 1].len++;
    return 1;
}

/* A run of edges from edge i (a multiple of PK_RING_RUN) whose envelope
 * tells the answer at once: all outside the box (skipped), or strictly
 * inside (its points appended to the current line). Returns the run's
 * last edge when taken whole, -1 when its edges must be walked one by one,
 * or NOMEM. */
static int whole_run(const struct pk_ring *r, int i, int edges, const double *b, struct pk_clip_out *o)
{
    const double *e = r->runs[i / PK_RING_RUN], *v = r->xy;
    int last = i + PK_RING_RUN < edges ? i + PK_RING_RUN : edges;
    if (env_disjoint(e, b)) /* all outside (the point before it is outside too) */
        return last - 1;
    if (!env_strictly_inside(e, b))
        return -1;
    for (int k = i + 1; k <= last; k++)
        if (!line_point(o, v[2 * k], v[2 * k + 1]))
            return NOMEM;
    return last - 1;
}

/* Edge p-q, p and q classified cp and cq (not both inside): what of it is
 * inside the box. Entering starts a new line on the side it crosses;
 * leaving ends the current one there. Returns 0, DEGENERATE or NOMEM. */
static int cut_edge(const double *b, struct pk_clip_out *o, double px, double py, double qx, double qy, int cp,
                    int cq)
{
    if (cp == OUTSIDE && cq == OUTSIDE &&
        ((px <= b[0] && qx <= b[0]) || (px >= b[2] && qx >= b[2]) || (py <= b[1] && qy <= b[1]) ||
         (py >= b[3] && qy >= b[3])))
        return 0; /* both beyond the same side */
    struct sym t0, t1;
    double x, y;
    int s0, s1;
    int hit = seg_clip(b, px, py, qx, qy, &t0, &s0, &t1, &s1);
    if (hit == DEGENERATE)
        return DEGENERATE;
    if (hit == 0) /* misses the box; rounding may disagree with the classification */
        return cp == INSIDE || cq == INSIDE ? DEGENERATE : 0;
    if (cp == OUTSIDE) { /* enter */
        struct pk_clip_line *l = line_new(o);
        if (!l)
            return NOMEM;
        if (s0 < 0 || !side_point(b, s0, px, py, qx, qy, t0, &x, &y, &l->in, &o->touch))
            return DEGENERATE;
        l->has_in = 1;
        if (!line_point(o, x, y))
            return NOMEM;
    }
    if (cq == OUTSIDE) { /* leave */
        struct pk_clip_line *l = &o->lines[o->nlines - 1];
        if (s1 < 0 || !side_point(b, s1, px, py, qx, qy, t1, &x, &y, &l->out, &o->touch))
            return DEGENERATE;
        l->has_out = 1;
        if (!line_point(o, x, y))
            return NOMEM;
    } else if (!line_point(o, qx, qy))
        return NOMEM;
    return 0;
}

/* A ring that ends inside the box: its last line runs on into its first
 * one (line first_line, which began at the ring's first point); join them
 * into one line, the last's points then the first's. Returns 0, DEGENERATE
 * or NOMEM. */
static int join_tail_to_head(struct pk_clip_out *o, int first_line)
{
    struct pk_clip_line *head = &o->lines[first_line], *tail = &o->lines[o->nlines - 1];
    if (tail == head || !tail->has_in || head->has_in)
        return DEGENERATE; /* a ring all inside is not walked */
    size_t off = o->nlxy;
    int hlen = head->len, tlen = tail->len;
    size_t hoff = head->off, toff = tail->off;
    if (!grow((void **)&o->lxy, &o->cap_lxy, o->nlxy + (size_t)(hlen + tlen), 2 * sizeof *o->lxy))
        return NOMEM;
    memmove(o->lxy + 2 * off, o->lxy + 2 * toff, 2 * (size_t)tlen * sizeof *o->lxy);
    memmove(o->lxy + 2 * (off + (size_t)tlen), o->lxy + 2 * (hoff + 1), 2 * (size_t)(hlen - 1) * sizeof *o->lxy);
    o->nlxy += (size_t)(tlen + hlen - 1);
    head = &o->lines[first_line];
    tail = &o->lines[o->nlines - 1];
    head->off = off;
    head->len = tlen + hlen - 1;
    head->in = tail->in;
    head->has_in = 1;
    o->nlines--;
    return 0;
}

/* Cut ring r into polylines inside the box (appended to o->lines). Returns
 * 0, DEGENERATE or NOMEM. */
static int walk_ring(const struct pk_ring *r, const double *b, struct pk_clip_out *o)
{
    const double *v = r->xy;
    int edges = r->n - 1, first_line = o->nlines;
    int cp = classify(b, v[0], v[1]);
    if (cp == INSIDE && (!line_new(o) || !line_point(o, v[0], v[1]))) /* the head stretch */
        return NOMEM;
    for (int i = 0; i < edges; i++) {
        if (i % PK_RING_RUN == 0) {
            int last = whole_run(r, i, edges, b, o);
            if (last == NOMEM)
                return NOMEM;
            if (last >= 0) { /* (the point after the run is on the run's side, as cp says) */
                i = last;
                continue;
            }
        }
        double px = v[2 * i], py = v[2 * i + 1], qx = v[2 * i + 2], qy = v[2 * i + 3];
        int cq = classify(b, qx, qy), rc = 0;
        if (cp == INSIDE && cq == INSIDE) {
            if (!line_point(o, qx, qy))
                return NOMEM;
        } else if ((rc = cut_edge(b, o, px, py, qx, qy, cp, cq)) != 0)
            return rc;
        cp = cq;
    }
    return cp == INSIDE ? join_tail_to_head(o, first_line) : 0;
}

/* ---- point in ring ----------------------------------------------------- */

/* 1 inside, 0 outside, -1 on (or too close to tell) the ring of n closed
 * points; runs may be NULL. */
static int ring_contains(const double *xy, int n, const double (*runs)[4], double px, double py)
{
    int inside = 0, edges = n - 1;
    for (int i = 0; i < edges; i++) {
        if (runs && i % PK_RING_RUN == 0) {
            const double *e = runs[i / PK_RING_RUN];
            if (py < e[1] || py > e[3] || px > e[2]) {
                i += PK_RING_RUN - 1;
                continue;
            }
        }
        double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * i + 2], by = xy[2 * i + 3];
        if ((ay > py) != (by > py)) {
            double xi = ax + (py - ay) / (by - ay) * (bx - ax);
            if (xi == px)
                return -1;
            if (xi > px)
                inside = !inside;
        } else if (ay == py && by == py && ((ax <= px && px <= bx) || (bx <= px && px <= ax)))
            return -1;
    }
    return inside;
}

/* ---- joining ----------------------------------------------------------- */

static void corner(const double *b, int side, double *x, double *y)
{
    *x = side == BOTTOM || side == RIGHT ? b[2] : b[0];
    *y = side == BOTTOM || side == LEFT ? b[1] : b[3];
}

static int cmp_point(const void *a, const void *b)
{
    const double *p = a, *q = b;
    if (p[0] != q[0])
        return p[0] < q[0] ? -1 : 1;
    return p[1] < q[1] ? -1 : p[1] > q[1];
}

/* After crossings at vertices or corners: drop repeated points of the last
 * ring (and the ring, with its polygon, if it collapses); DEGENERATE if it
 * still passes twice through a point. Such a point can only lie on the
 * boundary (inside, the ring follows the valid input), so only boundary
 * points are compared. */
static int tidy_last_ring(struct pk_clip_out *o, const double *b)
{
    int k = o->nrings - 1;
    double *xy = o->xy + 2 * o->ring_off[k];
    int n = o->ring_len[k], m = 1;
    for (int i = 1; i < n; i++)
        if (xy[2 * i] != xy[2 * m - 2] || xy[2 * i + 1] != xy[2 * m - 1]) {
            xy[2 * m] = xy[2 * i];
            xy[2 * m + 1] = xy[2 * i + 1];
            m++;
        }
    o->nxy -= (size_t)(n - m);
    o->ring_len[k] = m;
    if (m < 4 || pk_ring_area2(xy, m) == 0) { /* collapsed: a touch without area */
        o->nxy = o->ring_off[k];
        o->nrings--;
        o->npolys--;
        o->poly_first[o->npolys] = o->nrings;
        return 0;
    }
    int nb = 0;
    for (int i = 0; i < m - 1; i++)
        nb += xy[2 * i] == b[0] || xy[2 * i] == b[2] || xy[2 * i + 1] == b[1] || xy[2 * i + 1] == b[3];
    if (nb < 2)
        return 0;
    double *tmp = malloc(2 * sizeof *tmp * (size_t)nb);
    if (!tmp)
        return NOMEM;
    nb = 0;
    for (int i = 0; i < m - 1; i++)
        if (xy[2 * i] == b[0] || xy[2 * i] == b[2] || xy[2 * i + 1] == b[1] || xy[2 * i + 1] == b[3]) {
            tmp[2 * nb] = xy[2 * i];
            tmp[2 * nb + 1] = xy[2 * i + 1];
            nb++;
        }
    qsort(tmp, (size_t)nb, 2 * sizeof *tmp, cmp_point);
    int pinched = 0;
    for (int i = 1; i < nb && !pinched; i++)
        pinched = tmp[2 * i] == tmp[2 * i - 2] && tmp[2 * i + 1] == tmp[2 * i - 1];
    free(tmp);
    return pinched ? DEGENERATE : 0;
}

/* Join the part's polylines (lines first .. o->nlines - 1) along the boundary
 * into shells, one polygon each. Returns 0, DEGENERATE or NOMEM. */
static int join_lines(const double *b, int first, struct pk_clip_out *o)
{
    int n = o->nlines - first;
    struct pk_clip_line *L = o->lines + first;
    for (int i = 0; i < n; i++) {
        if (!L[i].has_in || !L[i].has_out)
            return DEGENERATE;
        L[i].used = 0;
        L[i].next = -1;
        /* the next entry counter-clockwise from this exit: the smallest key
         * above it, else the smallest of all (n is small: a scan will do) */
        int best = -1, lowest = -1;
        for (int j = 0; j < n; j++) {
            if (lowest < 0 || key_cmp(&L[j].in, &L[lowest].in) < 0)
                lowest = j;
            if (key_cmp(&L[j].in, &L[i].out) > 0 && (best < 0 || key_cmp(&L[j].in, &L[best].in) < 0))
                best = j;
        }
        L[i].next = best >= 0 ? best : lowest;
    }
    for (int i = 0; i < n; i++) {
        if (L[i].used)
            continue;
        if (!out_ring(o, 1))
            return NOMEM;
        int cur = i, steps = 0;
        do {
            if (L[cur].used || ++steps > n)
                return DEGENERATE;
            L[cur].used = 1;
            if (!out_points(o, o->lxy + 2 * L[cur].off, (size_t)L[cur].len))
                return NOMEM;
            int nx = L[cur].next;
            int s = L[cur].out.side, end = L[nx].in.side;
            if (s != end || key_cmp(&L[nx].in, &L[cur].out) < 0)
                for (int k = 0; k < 4; k++) {
                    double x, y;
                    corner(b, s, &x, &y);
                    if (!out_point(o, x, y))
                        return NOMEM;
                    s = (s + 1) % 4;
                    if (s == end)
                        break;
                }
            cur = nx;
        } while (cur != i);
        if (!out_point(o, o->lxy[2 * L[i].off], o->lxy[2 * L[i].off + 1]))
            return NOMEM;
        out_ring_end(o);
        int rc = o->touch ? tidy_last_ring(o, b) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* Put hole h (wholly inside the box) into the shell among polygons first ..
 * o->npolys - 1 that contains it, moving later rings up. */
static int place_hole(const struct pk_ring *h, int first, struct pk_clip_out *o)
{
    int owner = -1;
    if (o->npolys - first == 1)
        owner = first;
    for (int v = 0; owner < 0 && v + 1 < h->n; v++) { /* a vertex not on a shell decides */
        int undecided = 0;
        for (int p = first; p < o->npolys && owner < 0; p++) {
            int k = o->poly_first[p];
            int in = ring_contains(o->xy + 2 * o->ring_off[k], o->ring_len[k], NULL, h->xy[2 * v], h->xy[2 * v + 1]);
            if (in < 0)
                undecided = 1;
            else if (in == 1)
                owner = p;
        }
        if (owner < 0 && !undecided)
            return DEGENERATE; /* in no shell: the input was not valid */
    }
    if (owner < 0)
        return DEGENERATE;
    /* append the ring, then rotate it into place after the owner's rings */
    int at = owner + 1 < o->npolys ? o->poly_first[owner + 1] : o->nrings;
    if (!out_ring(o, 0) || !out_points(o, h->xy, (size_t)h->n))
        return NOMEM;
    out_ring_end(o);
    int last = o->nrings - 1;
    size_t off = o->ring_off[last];
    int len = o->ring_len[last];
    memmove(o->ring_off + at + 1, o->ring_off + at, (size_t)(last - at) * sizeof *o->ring_off);
    memmove(o->ring_len + at + 1, o->ring_len + at, (size_t)(last - at) * sizeof *o->ring_len);
    o->ring_off[at] = off;
    o->ring_len[at] = len;
    for (int p = owner + 1; p < o->npolys; p++)
        o->poly_first[p]++;
    o->poly_first[o->npolys] = o->nrings;
    return 0;
}

/* ---- the clipper ------------------------------------------------------- */

static int add_keys(struct pk_clip_out *o, int first)
{
    int n = o->nlines - first;
    if (!grow_int((void **)&o->keys, &o->cap_keys, o->nkeys + 2 * n, sizeof *o->keys))
        return NOMEM;
    for (int i = first; i < o->nlines; i++) {
        o->keys[o->nkeys++] = o->lines[i].in;
        o->keys[o->nkeys++] = o->lines[i].out;
    }
    return 0;
}

static int clip_part(const struct pk_clip_part *P, const double *b, struct pk_clip_out *o)
{
    const struct pk_ring *S = &P->rings[0];
    if (env_disjoint(S->env, b))
        return 0;
    if (env_strictly_inside(S->env, b)) { /* the whole polygon */
        for (int k = 0; k < P->nrings; k++)
            if (!out_copy_ring(o, &P->rings[k], k == 0))
                return NOMEM;
        return 0;
    }
    int first_line = o->nlines, first_poly = o->npolys;
    int rc = walk_ring(S, b, o);
    if (rc)
        return rc;
    int shell_lines = o->nlines - first_line;
    for (int k = 1; k < P->nrings; k++) {
        const struct pk_ring *H = &P->rings[k];
        if (env_disjoint(H->env, b) || env_strictly_inside(H->env, b))
            continue;
        if ((rc = walk_ring(H, b, o)) != 0)
            return rc;
        if (o->nlines - first_line > shell_lines)
            return DEGENERATE; /* a hole crossing the boundary */
    }
    if (shell_lines == 0) { /* the shell misses the box, or holds it whole */
        if (!env_contains(S->env, b))
            return 0;
        /* the shell does not cross the shrunk rectangle: its centre decides */
        double cx = b[0] + (b[2] - b[0]) / 2, cy = b[1] + (b[3] - b[1]) / 2;
        int in = ring_contains(S->xy, S->n, (const double (*)[4])S->runs, cx, cy);
        if (in <= 0)
            return in < 0 ? DEGENERATE : 0;
        for (int k = 1; k < P->nrings; k++) {
            const struct pk_ring *H = &P->rings[k];
            if (!env_contains(H->env, b))
                continue; /* (holes wholly inside cannot hold it) */
            int in_hole = ring_contains(H->xy, H->n, (const double (*)[4])H->runs, cx, cy);
            if (in_hole)
                return in_hole < 0 ? DEGENERATE : 0;
        }
        const double rect[10] = {b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3], b[0], b[1]};
        if (!out_ring(o, 1) || !out_points(o, rect, 5))
            return NOMEM;
        out_ring_end(o);
        int holes = 0;
        for (int k = 1; k < P->nrings; k++)
            if (env_strictly_inside(P->rings[k].env, b)) {
                if (!out_copy_ring(o, &P->rings[k], 0))
                    return NOMEM;
                holes++;
            }
        if (holes == 0)
            o->whole_rect = 1;
        return 0;
    }
    if ((rc = add_keys(o, first_line)) != 0 || (rc = join_lines(b, first_line, o)) != 0)
        return rc;
    for (int k = 1; k < P->nrings; k++)
        if (env_strictly_inside(P->rings[k].env, b) && (rc = place_hole(&P->rings[k], first_poly, o)) != 0)
            return rc;
    return 0;
}

/* 1 if the crossings' order along the boundary can be trusted: no two at one
 * point (of two parts, or of one ring twice), and no computed crossing
 * within rounding of another one on its side or of a corner, where the
 * rounded coordinates could have swapped their order. Sorts out->keys. */
static int crossings_ordered(struct pk_clip_out *out, const double *b)
{
    double size = (b[2] - b[0]) + (b[3] - b[1]);
    if (out->nkeys > 1)
        qsort(out->keys, (size_t)out->nkeys, sizeof *out->keys, key_qsort);
    for (int i = 0; i < out->nkeys; i++) {
        const struct pk_clip_key *k = &out->keys[i];
        double tol = 1e-12 * (fabs(k->along) + size);
        if (!k->exact) {
            double lo = k->side == BOTTOM ? b[0] : k->side == RIGHT ? b[1] : k->side == TOP ? -b[2] : -b[3];
            double hi = k->side == BOTTOM ? b[2] : k->side == RIGHT ? b[3] : k->side == TOP ? -b[0] : -b[1];
            if (k->along - lo <= tol || hi - k->along <= tol)
                return 0; /* next to a corner */
        }
        if (i == 0)
            continue;
        const struct pk_clip_key *p = &out->keys[i - 1];
        if (!key_cmp(p, k))
            return 0;
        if (p->side == k->side && !(p->exact && k->exact) && k->along - p->along <= tol)
            return 0;
    }
    return 1;
}

int pk_clip_rect(const struct pk_clip_src *src, const double box[4], struct pk_clip_out *out)
{
    out->nxy = 0;
    out->nrings = out->npolys = 0;
    out->nlines = out->nkeys = 0;
    out->nlxy = 0;
    out->whole_rect = out->touch = 0;
    if (!grow_int((void **)&out->poly_first, &out->cap_polys, 1, sizeof *out->poly_first))
        return PK_CLIP_NOMEM;
    out->poly_first[0] = 0;
    for (int p = 0; p < src->nparts; p++) {
        int rc = clip_part(&src->parts[p], box, out);
        if (rc)
            return rc == NOMEM ? PK_CLIP_NOMEM : PK_CLIP_DEGENERATE;
    }
    if (!crossings_ordered(out, box))
        return PK_CLIP_DEGENERATE;
    /* a last guard: a piece can hold no more than the rectangle or the feature */
    double area = 0, limit = (box[2] - box[0]) * (box[3] - box[1]);
    limit = src->area < limit ? src->area : limit;
    pk_clip_out_area(out, NULL, NULL, &area);
    out->area = area;
    if (area > limit * (1 + 1e-9) || area < 0)
        return PK_CLIP_DEGENERATE;
    if (out->whole_rect && out->npolys != 1)
        out->whole_rect = 0;
    return PK_CLIP_OK;
}

/* ---- consumers ---------------------------------------------------------- */

GEOSGeometry *pk_clip_out_geos(GEOSContextHandle_t h, const struct pk_clip_out *o)
{
    if (o->npolys == 0)
        return NULL;
    GEOSGeometry **polys = calloc((size_t)o->npolys, sizeof *polys);
    GEOSGeometry **holes = calloc((size_t)o->nrings, sizeof *holes);
    int ok = polys && holes, made = 0;
    for (int p = 0; ok && p < o->npolys; p++) {
        int r0 = o->poly_first[p], nh = o->poly_first[p + 1] - r0 - 1;
        GEOSGeometry *shell = NULL;
        for (int k = r0; ok && k < o->poly_first[p + 1]; k++) {
            GEOSCoordSequence *seq =
                GEOSCoordSeq_copyFromBuffer_r(h, o->xy + 2 * o->ring_off[k], (unsigned)o->ring_len[k], 0, 0);
            GEOSGeometry *ring = seq ? GEOSGeom_createLinearRing_r(h, seq) : NULL;
            if (!ring)
                ok = 0;
            else if (k == r0)
                shell = ring;
            else
                holes[k - r0 - 1] = ring;
        }
        if (ok) {
            polys[p] = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)nh);
            ok = polys[p] != NULL;
            made = p + 1;
        } else {
            if (shell)
                GEOSGeom_destroy_r(h, shell);
            for (int k = 0; k < nh; k++)
                if (holes[k])
                    GEOSGeom_destroy_r(h, holes[k]);
        }
        for (int k = 0; k < nh; k++)
            holes[k] = NULL;
    }
    /* the collection owns its members even when it fails (GEOS >= 3.8) */
    GEOSGeometry *mp = ok ? GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, (unsigned)o->npolys) : NULL;
    for (int p = 0; !ok && polys && p < made; p++)
        if (polys[p])
            GEOSGeom_destroy_r(h, polys[p]);
    free(polys);
    free(holes);
    return mp;
}

int pk_clip_out_area(const struct pk_clip_out *o, int (*ring_area)(void *arg, const double *xy, size_t n, double *a),
                     void *arg, double *area)
{
    double sum = 0;
    for (int p = 0; p < o->npolys; p++)
        for (int k = o->poly_first[p]; k < o->poly_first[p + 1]; k++) {
            const double *xy = o->xy + 2 * o->ring_off[k];
            size_t n = (size_t)o->ring_len[k];
            double a;
            if (ring_area) {
                if (!ring_area(arg, xy, n, &a))
                    return 0;
            } else
                a = pk_ring_area2(xy, (int)n) / 2;
            a = fabs(a);
            sum += k == o->poly_first[p] ? a : -a;
        }
    *area = sum;
    return 1;
}
