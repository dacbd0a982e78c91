/* planar_int.h — planar kernels of the coverage engine, on coordinate
 * arrays in the store CRS (where every command cuts): a feature's rings with
 * run envelopes, clipping to boxes and convex polygons, and
 * inclusion-exclusion over groups of convex covering polygons. What they cut
 * out is measured with measure.c, as every command measures. */
#ifndef PLANKIT_PLANAR_INT_H
#define PLANKIT_PLANAR_INT_H

#include "cover_int.h"
#include "measure_int.h"

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

/* Read the rings of a polygonal geometry; 0 on success. Free with pk_rings_free. */
int pk_rings_read(GEOSContextHandle_t h, const GEOSGeometry *g, struct rings *r);
void pk_rings_free(struct rings *r);
/* 1 if the box (x0, y0, x1, y1) meets the envelope of some run of edges. */
int pk_rings_near(const struct rings *r, const double box[4]);
/* 1 if the point is inside (even-odd rule over all rings). */
int pk_rings_contain(const struct rings *r, double x, double y);
/* The rings cut to a box; 0 on success, out freed with pk_rings_free. */
int pk_rings_clip_box(const struct rings *r, const double box[4], struct rings *out);
/* Measured area (m²) of the rings clipped by a convex counter-clockwise
 * polygon; -1 on error (out of memory, a point the measure cannot transform). */
double pk_convex_overlap(struct pk_measure *m, const struct rings *r, const double *clip, int nclip);
/* Measured area of F ∩ g with F first cut to a box around g; -1 on error. */
double pk_local_overlap(struct pk_measure *m, GEOSContextHandle_t h, const GEOSGeometry *F, const GEOSGeometry *g);
/* area(F ∩ (S1 ∪ ... ∪ Sm)) for convex sources by inclusion-exclusion; 1 and
 * *area on success, 0 when the group is too entangled or memory ran out. */
int pk_incl_excl_area(struct pk_measure *measure, const struct pk_cover_src **src, const double *over,
                      const int *inside, int m, const struct rings *rings, double *area);
/* A margin for boxes drawn around coordinates (x0, y0)-(x1, y1) so that
 * what lies on the box's edge is inside: a billionth of the coordinates'
 * magnitude, in whatever unit the store CRS has. */
double pk_box_margin(double x0, double y0, double x1, double y1);

#endif
