/* ring_int.h — the one ring representation of plankit's planar kernels
 * (the coverage engine's clipping in planar.c, the overlay's rectangle
 * clipper in rect_clip.c): a ring's coordinates as a closed array of x,y
 * pairs with its envelope and the envelopes of runs of PK_RING_RUN edges,
 * which let a kernel skip the stretches of a long ring that stay far from
 * what it is cutting. */
#ifndef PLANKIT_RING_INT_H
#define PLANKIT_RING_INT_H

#include <stddef.h>
#include "ctx_int.h"

#define PK_RING_RUN 32 /* edges per run envelope */

struct pk_ring {
    double *xy;        /* n points, closed: the last repeats the first */
    int n;
    int hole;          /* an interior ring */
    double env[4];     /* xmin, ymin, xmax, ymax */
    double (*runs)[4]; /* envelope of edges [RUN k, RUN (k + 1)), with their end vertex */
};

/* Edges of a ring (its points but the closing one). */
static inline int pk_ring_edges(const struct pk_ring *r) { return r->n - 1; }

/* Read a GEOS ring into r: orient > 0 makes it counter-clockwise, < 0
 * clockwise, 0 keeps it; hole is recorded. Returns PK_OK, PK_ERR_GEOS
 * (unreadable, or fewer than 4 points) or PK_ERR_NOMEM; free r with
 * pk_ring_free in every case. */
int pk_ring_read(GEOSContextHandle_t h, const GEOSGeometry *ring, int orient, int hole, struct pk_ring *r);
/* Make r from n points (closed or not: it is closed here), copied.
 * Returns PK_OK or PK_ERR_NOMEM; free r with pk_ring_free in every case. */
int pk_ring_from_xy(const double *xy, int n, int hole, struct pk_ring *r);
/* Free what r holds (not r); accepts a zeroed ring. */
void pk_ring_free(struct pk_ring *r);

/* The envelope (xmin, ymin, xmax, ymax) of points from .. to of xy. */
void pk_envelope(const double *xy, int from, int to, double e[4]);

/* Twice the signed area of a closed ring of n points (counter-clockwise >
 * 0), planar in its own coordinates. */
double pk_ring_area2(const double *xy, int n);

/* 1 if the box (xmin, ymin, xmax, ymax) meets the envelope of some run of
 * edges of r: the ring may pass through the box. */
int pk_ring_near(const struct pk_ring *r, const double box[4]);

/* 1 if envelopes a and b (xmin, ymin, xmax, ymax) are disjoint. */
static inline int pk_env_disjoint(const double a[4], const double b[4])
{
    return a[2] < b[0] || a[0] > b[2] || a[3] < b[1] || a[1] > b[3];
}

#endif
