/* planar_int.h — planar kernels of the coverage engine, on coordinate
 * arrays in the store CRS (where every command cuts): a feature's rings with
 * run envelopes, clipping to boxes and convex polygons, and
 * inclusion-exclusion over groups of convex covering polygons. What they cut
 * out is measured with measure.c, as every command measures. */
#ifndef PLANKIT_PLANAR_INT_H
#define PLANKIT_PLANAR_INT_H

#include "cover_int.h"
#include "measure_int.h"
#include "ring_int.h"

/* The rings of a feature, read once for the clipping below. */
struct pk_rings {
    struct pk_ring *ring;
    int n, cap;
};

/* Read the rings of a polygonal geometry (rings of fewer than 4 points
 * skipped). Returns PK_OK, PK_ERR_GEOS (an unreadable geometry) or
 * PK_ERR_NOMEM, with no message (the caller reports it); free with
 * pk_rings_free (after a failure nothing is left to free). */
int pk_rings_read(GEOSContextHandle_t h, const GEOSGeometry *g, struct pk_rings *r);
void pk_rings_free(struct pk_rings *r);
/* 1 if the box (x0, y0, x1, y1) meets the envelope of some run of edges:
 * the feature's boundary may pass through it. */
int pk_rings_near(const struct pk_rings *r, const double box[4]);
/* 1 if the point is inside (even-odd rule over all rings; the point must
 * not lie on the boundary). Only runs reaching the ray to +x are read. */
int pk_rings_contain(const struct pk_rings *r, double x, double y);
/* The rings cut to a box: what the overlaps of a group of covering polygons
 * in that box need, small. Returns PK_OK or PK_ERR_NOMEM (no message: the
 * caller reports it); free out with pk_rings_free (after a failure nothing
 * is left to free). */
int pk_rings_clip_box(const struct pk_rings *r, const double box[4], struct pk_rings *out);
/* Measured area (m²) of the rings clipped by a convex counter-clockwise
 * polygon; -1 on error (out of memory, a point the measure cannot transform). */
double pk_convex_overlap(struct pk_measure *m, const struct pk_rings *r, const double *clip, int nclip);
/* Measured area (m²) of F ∩ g with F first cut to a box around g (GEOS
 * overlays the whole F only when the cut one fails); -1 on error, a GEOS
 * exception included. */
double pk_local_overlap(struct pk_measure *m, GEOSContextHandle_t h, const GEOSGeometry *F, const GEOSGeometry *g);
/* area(F ∩ (S1 ∪ ... ∪ Sm)) (m²) for convex sources by inclusion-exclusion
 * (over[k]: area(F ∩ Sk), already measured; inside[k]: Sk lies inside F);
 * 1 and *area on success, 0 when the group is too entangled (over 256
 * non-empty intersections), memory ran out or a piece could not be
 * measured. */
int pk_incl_excl_area(struct pk_measure *measure, const struct pk_cover_src **src, const double *over,
                      const int *inside, int m, const struct pk_rings *rings, double *area);
/* A margin for boxes drawn around coordinates (x0, y0)-(x1, y1) so that
 * what lies on the box's edge is inside: a billionth of the coordinates'
 * magnitude, in whatever unit the store CRS has. */
double pk_box_margin(double x0, double y0, double x1, double y1);

#endif
