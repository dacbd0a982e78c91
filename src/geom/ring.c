/* ring.c — rings with run envelopes, shared by the planar kernels (see
 * ring_int.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ring_int.h"

void pk_envelope(const double *xy, int from, int to, double e[4])
{
    e[0] = e[2] = xy[2 * from];
    e[1] = e[3] = xy[2 * from + 1];
    for (int v = from + 1; v <= to; v++) {
        double x = xy[2 * v], y = xy[2 * v + 1];
        e[0] = x < e[0] ? x : e[0];
        e[2] = x > e[2] ? x : e[2];
        e[1] = y < e[1] ? y : e[1];
        e[3] = y > e[3] ? y : e[3];
    }
}

double pk_ring_area2(const double *xy, int n)
{
    double a = 0, x0 = xy[0], y0 = xy[1];
    for (int i = 1; i + 1 < n; i++)
        a += (xy[2 * i] - x0) * (xy[2 * i + 3] - y0) - (xy[2 * i + 2] - x0) * (xy[2 * i + 1] - y0);
    return a;
}

/* The envelopes of r, its xy and n set. */
static int ring_envelopes(struct pk_ring *r)
{
    int edges = pk_ring_edges(r), nruns = (edges + PK_RING_RUN - 1) / PK_RING_RUN;
    r->runs = malloc((size_t)(nruns > 0 ? nruns : 1) * sizeof *r->runs);
    if (!r->runs)
        return PK_ERR_NOMEM;
    for (int k = 0; k < nruns; k++) {
        int last = (k + 1) * PK_RING_RUN < edges ? (k + 1) * PK_RING_RUN : edges;
        pk_envelope(r->xy, k * PK_RING_RUN, last, r->runs[k]);
    }
    pk_envelope(r->xy, 0, edges, r->env);
    return PK_OK;
}

int pk_ring_read(GEOSContextHandle_t h, const GEOSGeometry *ring, int orient, int hole, struct pk_ring *r)
{
    memset(r, 0, sizeof *r);
    r->hole = hole;
    const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n) || n < 4)
        return PK_ERR_GEOS;
    if (!(r->xy = malloc(2 * sizeof *r->xy * n)))
        return PK_ERR_NOMEM;
    if (!GEOSCoordSeq_copyToBuffer_r(h, seq, r->xy, 0, 0))
        return PK_ERR_GEOS;
    r->n = (int)n;
    double a2 = pk_ring_area2(r->xy, r->n);
    if ((orient > 0 && a2 < 0) || (orient < 0 && a2 > 0))
        for (int i = 0, j = r->n - 1; i < j; i++, j--) {
            double tx = r->xy[2 * i], ty = r->xy[2 * i + 1];
            r->xy[2 * i] = r->xy[2 * j], r->xy[2 * i + 1] = r->xy[2 * j + 1];
            r->xy[2 * j] = tx, r->xy[2 * j + 1] = ty;
        }
    return ring_envelopes(r);
}

int pk_ring_from_xy(const double *xy, int n, int hole, struct pk_ring *r)
{
    memset(r, 0, sizeof *r);
    r->hole = hole;
    int closed = n > 1 && xy[0] == xy[2 * n - 2] && xy[1] == xy[2 * n - 1];
    r->n = closed ? n : n + 1;
    if (!(r->xy = malloc(2 * sizeof *r->xy * (size_t)r->n)))
        return PK_ERR_NOMEM;
    memcpy(r->xy, xy, 2 * sizeof *xy * (size_t)n);
    if (!closed)
        memcpy(r->xy + 2 * n, xy, 2 * sizeof *xy);
    return ring_envelopes(r);
}

void pk_ring_free(struct pk_ring *r)
{
    free(r->xy);
    free(r->runs);
    memset(r, 0, sizeof *r);
}

int pk_ring_near(const struct pk_ring *r, const double box[4])
{
    if (pk_env_disjoint(r->env, box))
        return 0;
    int edges = pk_ring_edges(r);
    for (int k = 0; k * PK_RING_RUN < edges; k++)
        if (!pk_env_disjoint(r->runs[k], box))
            return 1;
    return 0;
}
