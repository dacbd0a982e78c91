/* measure.c — areas in the metric CRS of polygons kept in the store CRS,
 * along the curves their edges become (see measure_int.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "measure_int.h"

void pk_measure_init(struct pk_measure *m, struct pk_transform *tr)
{
    memset(m, 0, sizeof *m);
    m->tr = tr;
}

struct pk_measure_point {
    double x, y;     /* store CRS (the key) */
    double tx, ty;   /* metric CRS */
    unsigned gen;    /* the entry is live when it equals the cache's generation */
};

void pk_measure_release(struct pk_measure *m)
{
    free(m->buf);
    free(m->sub);
    free(m->miss);
    free(m->missxy);
    free(m->cache);
    memset(m, 0, sizeof *m);
}

void pk_measure_cache_begin(struct pk_measure *m)
{
    m->caching = m->tr != NULL;
}

/* Emptied in O(1): a new generation makes every entry stale. */
void pk_measure_cache_end(struct pk_measure *m)
{
    m->caching = 0;
    m->cache_used = 0;
    if (++m->cache_gen == 0) { /* wrapped: stale entries could look live again */
        for (size_t i = 0; i < m->cache_slots; i++)
            m->cache[i].gen = 0;
        m->cache_gen = 1;
    }
}

/* How many points ahead transform_points prefetches cache slots. */
enum { PREFETCH_AHEAD = 8 };

static size_t point_hash(double x, double y)
{
    uint64_t a, b;
    memcpy(&a, &x, sizeof a);
    memcpy(&b, &y, sizeof b);
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
    return (size_t)(h ^ (h >> 31));
}

/* The slot of (x, y): its entry, or the empty slot where it goes. */
static struct pk_measure_point *cache_slot(struct pk_measure *m, double x, double y)
{
    size_t mask = m->cache_slots - 1, i = point_hash(x, y) & mask;
    while (m->cache[i].gen == m->cache_gen && !(m->cache[i].x == x && m->cache[i].y == y))
        i = (i + 1) & mask;
    return &m->cache[i];
}

/* Room for want more entries at a load of at most one half; 0 when out of
 * memory (the cache is then just not used). */
static int cache_reserve(struct pk_measure *m, size_t want)
{
    if (2 * (m->cache_used + want) <= m->cache_slots)
        return 1;
    size_t slots = m->cache_slots ? m->cache_slots : 4096;
    while (2 * (m->cache_used + want) > slots)
        slots *= 2;
    struct pk_measure_point *old = m->cache, *grown = malloc(slots * sizeof *grown);
    if (!grown)
        return 0;
    size_t old_slots = m->cache_slots;
    if (!m->cache_gen)
        m->cache_gen = 1;
    for (size_t i = 0; i < slots; i++)
        grown[i].gen = 0;
    m->cache = grown;
    m->cache_slots = slots;
    for (size_t i = 0; i < old_slots; i++)
        if (old[i].gen == m->cache_gen)
            *cache_slot(m, old[i].x, old[i].y) = old[i];
    free(old);
    return 1;
}

/* Transform n points of xy in place, through the cache when it is on: hits
 * are filled in, the misses go to PROJ in one call and into the cache.
 * Returns 1, or 0 when a point cannot be transformed or memory runs out. */
static int transform_points(struct pk_measure *m, double *xy, size_t n)
{
    if (!m->caching || !cache_reserve(m, n))
        return pk_transform_xy(m->tr, xy, n);
    if (n > m->misscap) {
        size_t cap = n * 2;
        size_t *idx = realloc(m->miss, cap * sizeof *idx);
        if (idx)
            m->miss = idx;
        double *pts = idx ? realloc(m->missxy, 2 * cap * sizeof *pts) : NULL;
        if (!pts)
            return 0;
        m->missxy = pts;
        m->misscap = cap;
    }
    size_t nmiss = 0, mask = m->cache_slots - 1;
    for (size_t i = 0; i < n; i++) {
        /* the table is larger than the CPU's caches: fetch a slot a few
         * points ahead so that its load overlaps this one's */
        if (i + PREFETCH_AHEAD < n)
            __builtin_prefetch(&m->cache[point_hash(xy[2 * (i + PREFETCH_AHEAD)], xy[2 * (i + PREFETCH_AHEAD) + 1]) & mask]);
        const struct pk_measure_point *e = cache_slot(m, xy[2 * i], xy[2 * i + 1]);
        if (e->gen != m->cache_gen) {
            m->miss[nmiss] = i;
            m->missxy[2 * nmiss] = xy[2 * i], m->missxy[2 * nmiss + 1] = xy[2 * i + 1];
            nmiss++;
        } else {
            xy[2 * i] = e->tx, xy[2 * i + 1] = e->ty;
        }
    }
    if (nmiss && !pk_transform_xy(m->tr, m->missxy, nmiss))
        return 0;
    for (size_t k = 0; k < nmiss; k++) {
        size_t i = m->miss[k];
        struct pk_measure_point *e = cache_slot(m, xy[2 * i], xy[2 * i + 1]);
        if (e->gen != m->cache_gen) { /* (a point twice in one call is cached once) */
            *e = (struct pk_measure_point){xy[2 * i], xy[2 * i + 1], m->missxy[2 * k], m->missxy[2 * k + 1],
                                           m->cache_gen};
            m->cache_used++;
        }
        xy[2 * i] = m->missxy[2 * k], xy[2 * i + 1] = m->missxy[2 * k + 1];
    }
    return 1;
}

static int reserve(double **p, size_t *cap, size_t points)
{
    if (points <= *cap)
        return 1;
    size_t c = *cap ? *cap : 256;
    while (c < points)
        c *= 2;
    double *q = realloc(*p, 2 * c * sizeof *q);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

/* Stretches an edge of squared metric length len2 is followed in (0: a chord). */
static int stretches(const struct pk_measure *m, double len2)
{
    if (!m->tr || len2 <= PK_MEASURE_CURVE_M * PK_MEASURE_CURVE_M)
        return 0;
    return (int)ceil(sqrt(len2) / PK_MEASURE_STEP_M);
}

/* Twice the signed area that an edge adds, from its transformed ends p0, p2
 * (relative to the origin) and its 2k - 1 transformed inner points q (x,y
 * pairs, absolute), following its curve in k parabolic stretches. */
static double curved_edge(const double *t0, const double *t1, const double *q, int k, const double *o)
{
    double sum = 0, prev[2] = {t0[0], t0[1]};
    for (int s = 0; s < k; s++) {
        double pm[2] = {q[4 * s] - o[0], q[4 * s + 1] - o[1]}, p2[2];
        if (s + 1 < k)
            p2[0] = q[4 * s + 2] - o[0], p2[1] = q[4 * s + 3] - o[1];
        else
            p2[0] = t1[0], p2[1] = t1[1];
        double chord = prev[0] * p2[1] - p2[0] * prev[1];
        /* the parabola through prev, pm, p2 bulges by 4/3 of triangle (prev, pm, p2) */
        double bulge = (p2[0] - prev[0]) * (pm[1] - prev[1]) - (p2[1] - prev[1]) * (pm[0] - prev[0]);
        sum += chord - 4.0 / 3.0 * bulge;
        prev[0] = p2[0], prev[1] = p2[1];
    }
    return sum;
}

/* Twice the signed area of the ring's n points taken in order (closed when
 * the last equals the first, else the edge back to the first is added). The
 * vertices are transformed in one PROJ call, then the inner points of every
 * long edge in a second. */
static int ring_twice_area(struct pk_measure *m, const double *xy, size_t n, int closed, double *twice)
{
    size_t edges = closed ? n - 1 : n, inner = 0;
    if (!reserve(&m->buf, &m->cap, n))
        return 0;
    double *p = m->buf;
    memcpy(p, xy, 2 * n * sizeof *p);
    if (m->tr && !transform_points(m, p, n))
        return 0;
    for (size_t i = 0; m->tr && i < edges; i++) {
        size_t j = i + 1 < n ? i + 1 : 0;
        double dx = p[2 * j] - p[2 * i], dy = p[2 * j + 1] - p[2 * i + 1];
        int k = stretches(m, dx * dx + dy * dy);
        inner += k ? (size_t)(2 * k - 1) : 0;
    }
    if (inner) { /* the inner points of the long edges, in the store CRS, then transformed */
        if (!reserve(&m->sub, &m->subcap, inner))
            return 0;
        double *q = m->sub;
        for (size_t i = 0; i < edges; i++) {
            size_t j = i + 1 < n ? i + 1 : 0;
            double dx = p[2 * j] - p[2 * i], dy = p[2 * j + 1] - p[2 * i + 1];
            int k = stretches(m, dx * dx + dy * dy);
            for (int s = 1; s < 2 * k; s++, q += 2) {
                double t = (double)s / (double)(2 * k);
                q[0] = xy[2 * i] + t * (xy[2 * j] - xy[2 * i]);
                q[1] = xy[2 * i + 1] + t * (xy[2 * j + 1] - xy[2 * i + 1]);
            }
        }
        if (!transform_points(m, m->sub, inner))
            return 0;
    }
    double o[2] = {p[0], p[1]}, a2 = 0; /* relative to the first vertex, for precision */
    const double *q = m->sub;
    for (size_t i = 0; i < edges; i++) {
        size_t j = i + 1 < n ? i + 1 : 0;
        double t0[2] = {p[2 * i] - o[0], p[2 * i + 1] - o[1]};
        double t1[2] = {p[2 * j] - o[0], p[2 * j + 1] - o[1]};
        double dx = p[2 * j] - p[2 * i], dy = p[2 * j + 1] - p[2 * i + 1]; /* as in the count above */
        int k = inner ? stretches(m, dx * dx + dy * dy) : 0;
        if (k) {
            a2 += curved_edge(t0, t1, q, k, o);
            q += 2 * (2 * k - 1);
        } else
            a2 += t0[0] * t1[1] - t1[0] * t0[1];
    }
    *twice = a2;
    return 1;
}

/* The area of a ring of n points, closed or not; a ring of fewer than 4
 * points (3 when open) has none. */
static int ring_area(struct pk_measure *m, const double *xy, size_t n, int closed, double *area)
{
    double twice = 0;
    *area = 0;
    if (n < (closed ? 4u : 3u))
        return 1;
    if (!ring_twice_area(m, xy, n, closed, &twice))
        return 0;
    *area = twice / 2;
    return 1;
}

int pk_measure_ring(struct pk_measure *m, const double *xy, size_t n, double *area)
{
    return ring_area(m, xy, n, 1, area);
}

int pk_measure_open_ring(struct pk_measure *m, const double *xy, size_t n, double *area)
{
    return ring_area(m, xy, n, 0, area);
}

static int polygon_area(struct pk_measure *m, GEOSContextHandle_t h, const GEOSGeometry *poly, double *area)
{
    int holes = GEOSGetNumInteriorRings_r(h, poly);
    double sum = 0;
    if (holes < 0)
        return 0;
    double *xy = NULL;
    size_t cap = 0;
    for (int r = -1; r < holes; r++) {
        const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r);
        const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
        unsigned int n = 0;
        double a = 0;
        if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n) || !reserve(&xy, &cap, n) ||
            (n && !GEOSCoordSeq_copyToBuffer_r(h, seq, xy, 0, 0)) || !pk_measure_ring(m, xy, n, &a)) {
            free(xy);
            return 0;
        }
        sum += r < 0 ? fabs(a) : -fabs(a);
    }
    free(xy);
    *area = sum;
    return 1;
}

int pk_measure_geom(struct pk_measure *m, GEOSContextHandle_t h, const GEOSGeometry *g, double *area)
{
    int t = GEOSGeomTypeId_r(h, g);
    *area = 0;
    if (t == GEOS_POLYGON)
        return GEOSisEmpty_r(h, g) == 1 ? 1 : polygon_area(m, h, g, area);
    if (t != GEOS_MULTIPOLYGON && t != GEOS_GEOMETRYCOLLECTION)
        return 1;
    int n = GEOSGetNumGeometries_r(h, g);
    for (int i = 0; i < n; i++) {
        double a;
        const GEOSGeometry *part = GEOSGetGeometryN_r(h, g, i);
        if (!part || !pk_measure_geom(m, h, part, &a))
            return 0;
        *area += a;
    }
    return n >= 0;
}
