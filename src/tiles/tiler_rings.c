/* tiler_rings.c — the rings of one polygon on a zoom's integer grid made
 * simple before GEOS sees them. Quantising (and snapping) makes a ring
 * pass twice through the same grid point (a pinch); GEOS calls such a ring
 * invalid and repairing it with GEOSMakeValid is the tiler's most costly
 * step. A pinched ring is cut at its repeated points into simple loops
 * instead: for an exterior, loops turning the same way as the whole ring
 * are shells and loops turning the other way are holes (a hole touching
 * its shell, as some formats write it); every loop of a hole is a hole.
 * Loops without area go. The pieces touch only at points, which is valid;
 * whatever is still invalid (rings crossing) is left to GEOS's repair. */
#include <stdlib.h>
#include <string.h>

#include "plankit/ctx.h"
#include "tiler_rings_int.h"

void tl_ringset_reset(struct tl_ringset *rs)
{
    rs->npts = 0;
    rs->nr = 0;
}

void tl_ringset_free(struct tl_ringset *rs)
{
    free(rs->xy);
    free(rs->r);
    free(rs->seen);
    free(rs->path);
    memset(rs, 0, sizeof *rs);
}

static int64_t area2_of(const int64_t *p, size_t n)
{
    int64_t a = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (i + 1) % n;
        a += p[2 * i] * p[2 * j + 1] - p[2 * j] * p[2 * i + 1];
    }
    return a;
}

/* Append loop p[0..n) (open) as a ring; zero-area loops are left out. */
static int add_loop(struct tl_ringset *rs, const int64_t *p, size_t n, int hole)
{
    if (n < 3 || area2_of(p, n) == 0)
        return PK_OK;
    if (rs->npts + n > rs->cap) {
        size_t cap = (rs->npts + n) * 2;
        int64_t *xy = realloc(rs->xy, cap * 2 * sizeof *xy);
        if (!xy)
            return PK_ERR_NOMEM;
        rs->xy = xy, rs->cap = cap;
    }
    if (rs->nr == rs->cap_r) {
        size_t cap = rs->cap_r ? 2 * rs->cap_r : 16;
        struct tl_ring *r = realloc(rs->r, cap * sizeof *r);
        if (!r)
            return PK_ERR_NOMEM;
        rs->r = r, rs->cap_r = cap;
    }
    memcpy(rs->xy + 2 * rs->npts, p, n * 2 * sizeof *p);
    rs->r[rs->nr++] = (struct tl_ring){rs->npts, n, hole};
    rs->npts += n;
    return PK_OK;
}

static uint64_t point_hash(int64_t x, int64_t y)
{
    uint64_t h = (uint64_t)x * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)y + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 31);
}

/* Room for n points in the path and a hash of 2n slots (emptied). */
static int prepare(struct tl_ringset *rs, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    if (cap > rs->cap_seen) {
        free(rs->seen);
        if (!(rs->seen = malloc(cap * sizeof *rs->seen)))
            return PK_ERR_NOMEM;
        rs->cap_seen = cap;
    }
    if (n > rs->cap_path) {
        free(rs->path);
        if (!(rs->path = malloc(n * 2 * sizeof *rs->path)))
            return PK_ERR_NOMEM;
        rs->cap_path = n;
    }
    for (size_t i = 0; i < cap; i++)
        rs->seen[i].pos = SIZE_MAX;
    rs->mask = cap - 1;
    return PK_OK;
}

/* The hash slot of point (x, y): its own, or the empty one it would take. */
static struct tl_pslot *slot_of(struct tl_ringset *rs, int64_t x, int64_t y)
{
    size_t h = point_hash(x, y) & rs->mask;
    while (rs->seen[h].pos != SIZE_MAX && !(rs->seen[h].x == x && rs->seen[h].y == y))
        h = (h + 1) & rs->mask;
    return &rs->seen[h];
}

int tl_ringset_add(struct tl_ringset *rs, const int64_t *p, size_t n, int hole)
{
    int rc = prepare(rs, n);
    int64_t sign = area2_of(p, n);
    int64_t *path = rs->path;
    size_t m = 0;
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        int64_t x = p[2 * i], y = p[2 * i + 1];
        struct tl_pslot *s = slot_of(rs, x, y);
        if (s->pos != SIZE_MAX && s->pos < m && path[2 * s->pos] == x && path[2 * s->pos + 1] == y) {
            size_t j = s->pos; /* back on the path: the loop path[j .. m) goes out */
            int64_t a = area2_of(path + 2 * j, m - j);
            rc = add_loop(rs, path + 2 * j, m - j, hole || (a > 0) != (sign > 0));
            m = j + 1;
            continue;
        }
        *s = (struct tl_pslot){x, y, m};
        path[2 * m] = x, path[2 * m + 1] = y, m++;
    }
    int64_t a = m >= 3 ? area2_of(path, m) : 0;
    return rc == PK_OK ? add_loop(rs, path, m, hole || (a > 0) != (sign > 0)) : rc;
}

/* Is point (x, y) inside ring r (ray casting; on the boundary: either)? */
static int inside(const struct tl_ringset *rs, const struct tl_ring *r, double x, double y)
{
    const int64_t *p = rs->xy + 2 * r->start;
    int in = 0;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        double xi = (double)p[2 * i], yi = (double)p[2 * i + 1], xj = (double)p[2 * j], yj = (double)p[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

static GEOSGeometry *ring_geos(GEOSContextHandle_t h, const struct tl_ringset *rs, const struct tl_ring *r)
{
    GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, (unsigned)r->n + 1, 2);
    const int64_t *p = rs->xy + 2 * r->start;
    for (size_t i = 0; s && i <= r->n; i++)
        GEOSCoordSeq_setXY_r(h, s, (unsigned)i, (double)p[2 * (i % r->n)], (double)p[2 * (i % r->n) + 1]);
    return s ? GEOSGeom_createLinearRing_r(h, s) : NULL;
}

/* The shell a hole goes into: the one holding the middle of its first
 * edge, else the first shell. */
static size_t shell_of(const struct tl_ringset *rs, const struct tl_ring *hole, size_t first_shell)
{
    const int64_t *p = rs->xy + 2 * hole->start;
    double x = ((double)p[0] + (double)p[2]) / 2, y = ((double)p[1] + (double)p[3]) / 2;
    for (size_t k = 0; k < rs->nr; k++)
        if (!rs->r[k].hole && inside(rs, &rs->r[k], x, y))
            return k;
    return first_shell;
}

int tl_ringset_polygons(GEOSContextHandle_t h, const struct tl_ringset *rs, GEOSGeometry **out, size_t *nout)
{
    size_t first = rs->nr, nshells = 0;
    for (size_t k = 0; k < rs->nr; k++)
        if (!rs->r[k].hole) {
            first = first == rs->nr ? k : first;
            nshells++;
        }
    *nout = 0;
    if (nshells == 0)
        return PK_OK;
    size_t *owner = malloc(rs->nr * sizeof *owner);
    GEOSGeometry **holes = malloc(rs->nr * sizeof *holes);
    int rc = owner && holes ? PK_OK : PK_ERR_NOMEM;
    for (size_t k = 0; rc == PK_OK && k < rs->nr; k++)
        owner[k] = !rs->r[k].hole ? k : nshells == 1 ? first : shell_of(rs, &rs->r[k], first);
    for (size_t s = 0; rc == PK_OK && s < rs->nr; s++) {
        if (rs->r[s].hole)
            continue;
        unsigned nh = 0;
        for (size_t k = 0; rc == PK_OK && k < rs->nr; k++) {
            GEOSGeometry *hr = rs->r[k].hole && owner[k] == s ? ring_geos(h, rs, &rs->r[k]) : NULL;
            if (hr)
                holes[nh++] = hr;
            else if (rs->r[k].hole && owner[k] == s)
                rc = PK_ERR_GEOS;
        }
        GEOSGeometry *shell = rc == PK_OK ? ring_geos(h, rs, &rs->r[s]) : NULL;
        GEOSGeometry *poly = shell ? GEOSGeom_createPolygon_r(h, shell, holes, nh) : NULL;
        if (!poly) {
            rc = PK_ERR_GEOS;
            if (shell)
                GEOSGeom_destroy_r(h, shell);
            while (nh > 0)
                GEOSGeom_destroy_r(h, holes[--nh]);
        } else
            out[(*nout)++] = poly;
    }
    free(owner);
    free(holes);
    return rc;
}
