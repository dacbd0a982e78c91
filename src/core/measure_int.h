/* measure_int.h — areas in the metric CRS of polygons kept in the store CRS.
 *
 * An edge is straight in the store CRS, so in the metric CRS it is a curve
 * (a parallel of a lon/lat grid is an arc in Gauss-Kruger). The area of the
 * polygon the store holds is the area inside those curves: vertices are
 * transformed, and every edge longer than PK_MEASURE_CURVE_M in the metric
 * CRS is followed through intermediate points, each stretch of at most
 * PK_MEASURE_STEP_M taken as the parabola through its ends and its middle
 * (Simpson's rule for the boundary integral). Areas measured so are
 * additive: the pieces of a polygon cut by an overlay sum to its area, which
 * the chord area (the vertices transformed and joined by straight lines, what
 * ST_Area(ST_Transform(g, srid)) gives) is not when long edges are cut.
 * Edges under PK_MEASURE_CURVE_M differ from their curve by a fraction of a
 * square metre, and are taken as chords. */
#ifndef PLANKIT_MEASURE_INT_H
#define PLANKIT_MEASURE_INT_H

#include <stddef.h>
#include "crs_int.h"

#define PK_MEASURE_CURVE_M 250.0
#define PK_MEASURE_STEP_M 5000.0

/* Per-thread state: the transform (borrowed) and scratch buffers. */
struct pk_measure_point; /* a cached transform (measure.c) */

struct pk_measure {
    struct pk_transform *tr;  /* store CRS -> metric CRS; NULL: the store CRS is metric */
    double *buf, *sub;
    size_t cap, subcap;
    size_t *miss;             /* indices of the points the cache misses */
    double *missxy;           /* and those points */
    size_t misscap;
    /* the point cache (pk_measure_cache_begin): store-CRS points already
     * transformed, an open-addressing table keyed by their exact bits */
    struct pk_measure_point *cache;
    size_t cache_slots, cache_used;
    unsigned cache_gen;
    int caching;
};

void pk_measure_init(struct pk_measure *m, struct pk_transform *tr);
void pk_measure_release(struct pk_measure *m);

/* Keep every point transformed from now on until pk_measure_cache_end, so
 * that measuring pieces cut out of one feature transforms each of its
 * vertices (and the points along its long edges) once: the coverage engine
 * measures a feature, then many pieces of it. PROJ is deterministic, so the
 * areas are the same bytes with or without the cache. */
void pk_measure_cache_begin(struct pk_measure *m);
void pk_measure_cache_end(struct pk_measure *m);

/* Signed area (counter-clockwise > 0) in m² of a closed ring of n points in
 * the store CRS. Returns 1, or 0 when a point cannot be transformed or
 * memory runs out. */
int pk_measure_ring(struct pk_measure *m, const double *xy, size_t n, double *area);

/* The same for a ring given without its closing vertex (n points, the edge
 * from the last back to the first implied), as clipping kernels make them. */
int pk_measure_open_ring(struct pk_measure *m, const double *xy, size_t n, double *area);

/* Area in m² of the polygonal parts of a geometry in the store CRS (shells
 * minus holes; members of collections added); 0 for lines and points.
 * Returns 1, or 0 as pk_measure_ring. */
int pk_measure_geom(struct pk_measure *m, GEOSContextHandle_t h, const GEOSGeometry *g, double *area);

#endif
