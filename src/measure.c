/* measure.c — areas in the metric CRS of polygons kept in the store CRS,
 * along the curves their edges become (see measure_int.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "measure_int.h"

void pk_measure_init(struct pk_measure *m, struct pk_transform *tr)
{
    memset(m, 0, sizeof *m);
    m->tr = tr;
}

void pk_measure_release(struct pk_measure *m)
{
    free(m->buf);
    free(m->sub);
    memset(m, 0, sizeof *m);
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

/* Twice the signed area that edge a -> b (store CRS, transformed ends ta, tb
 * relative to the origin o) adds, following its curve in k stretches. */
static int curved_edge(struct pk_measure *m, const double *a, const double *b, const double *ta, const double *tb,
                       const double *o, int k, double *twice)
{
    size_t inner = (size_t)(2 * k - 1);
    if (!reserve(&m->sub, &m->subcap, inner + 2))
        return 0;
    double *q = m->sub;
    for (size_t j = 1; j <= inner; j++) {
        double t = (double)j / (double)(2 * k);
        q[2 * j] = a[0] + t * (b[0] - a[0]);
        q[2 * j + 1] = a[1] + t * (b[1] - a[1]);
    }
    if (!pk_transform_xy(m->tr, q + 2, inner))
        return 0;
    q[0] = ta[0], q[1] = ta[1];
    q[2 * inner + 2] = tb[0], q[2 * inner + 3] = tb[1];
    for (size_t j = 1; j <= inner; j++)
        q[2 * j] -= o[0], q[2 * j + 1] -= o[1];
    double sum = 0;
    for (int s = 0; s < k; s++) {
        const double *p0 = q + 4 * s, *pm = p0 + 2, *p2 = p0 + 4;
        double chord = p0[0] * p2[1] - p2[0] * p0[1];
        /* the parabola through p0, pm, p2 bulges by 4/3 of triangle (p0, pm, p2) */
        double bulge = (p2[0] - p0[0]) * (pm[1] - p0[1]) - (p2[1] - p0[1]) * (pm[0] - p0[0]);
        sum += chord - 4.0 / 3.0 * bulge;
    }
    *twice = sum;
    return 1;
}

/* Twice the signed area of the ring's n points taken in order (closed when
 * the last equals the first, else the edge back to the first is added). */
static int ring_twice_area(struct pk_measure *m, const double *xy, size_t n, int closed, double *twice)
{
    size_t edges = closed ? n - 1 : n;
    if (!reserve(&m->buf, &m->cap, n))
        return 0;
    double *p = m->buf;
    memcpy(p, xy, 2 * n * sizeof *p);
    if (m->tr && !pk_transform_xy(m->tr, p, n))
        return 0;
    double o[2] = {p[0], p[1]}, a2 = 0; /* relative to the first vertex, for precision */
    for (size_t i = 0; i < edges; i++) {
        size_t j = i + 1 < n ? i + 1 : 0;
        double t0[2] = {p[2 * i] - o[0], p[2 * i + 1] - o[1]};
        double t1[2] = {p[2 * j] - o[0], p[2 * j + 1] - o[1]};
        double dx = t1[0] - t0[0], dy = t1[1] - t0[1], len2 = dx * dx + dy * dy;
        if (m->tr && len2 > PK_MEASURE_CURVE_M * PK_MEASURE_CURVE_M) {
            int k = (int)ceil(sqrt(len2) / PK_MEASURE_STEP_M);
            double twice_edge;
            if (!curved_edge(m, xy + 2 * i, xy + 2 * j, t0, t1, o, k, &twice_edge))
                return 0;
            a2 += twice_edge;
        } else
            a2 += t0[0] * t1[1] - t1[0] * t0[1];
    }
    *twice = a2;
    return 1;
}

int pk_measure_ring(struct pk_measure *m, const double *xy, size_t n, double *area)
{
    double twice = 0;
    *area = 0;
    if (n < 4)
        return 1;
    if (!ring_twice_area(m, xy, n, 1, &twice))
        return 0;
    *area = twice / 2;
    return 1;
}

int pk_measure_open_ring(struct pk_measure *m, const double *xy, size_t n, double *area)
{
    double twice = 0;
    *area = 0;
    if (n < 3)
        return 1;
    if (!ring_twice_area(m, xy, n, 0, &twice))
        return 0;
    *area = twice / 2;
    return 1;
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
