/* spatial_int.h — reading store geometries into GEOS: one feature, the
 * features overlapping a geometry (through the layer's R*Tree), and areas in
 * the store's metric CRS. One struct pk_spatial per thread. */
#ifndef PLANKIT_SPATIAL_INT_H
#define PLANKIT_SPATIAL_INT_H

#include "layer_int.h"

struct pk_worker;

/* Two polygons "overlap" when their intersection covers at least this many
 * square metres; touching along a shared border does not count. */
#define PK_MIN_OVERLAP_M2 1.0

struct pk_spatial;

/* Caller frees *out with pk_spatial_free. Needs the store's metric CRS. */
int pk_spatial_new(struct pk_store *store, struct pk_spatial **out);
void pk_spatial_free(struct pk_spatial *sp);

/* Geometry of one feature in the store CRS; *out NULL when it has none.
 * Caller frees with GEOSGeom_destroy_r. */
int pk_spatial_feature(struct pk_spatial *sp, const struct pk_layer_ref *ref, long long fid,
                       GEOSGeometry **out);
/* fids of features of ref whose bounding box meets the box (R*Tree). Caller frees *fids. */
int pk_spatial_bbox(struct pk_spatial *sp, const struct pk_layer_ref *ref, const double box[4],
                    long long **fids, size_t *n);
/* fids of features of ref that overlap g (area >= PK_MIN_OVERLAP_M2 between
 * polygons; any intersection when either is a line or point). Caller frees *fids. */
int pk_spatial_overlapping(struct pk_spatial *sp, const struct pk_layer_ref *ref, const GEOSGeometry *g,
                           long long **fids, size_t *n);
/* The worker the queries measure with (borrowed, valid until pk_spatial_free). */
struct pk_worker *pk_spatial_worker(struct pk_spatial *sp);
/* Area (m², measured as every command measures: pk_worker_area) of a
 * polygonal store-CRS geometry or collection, length (m) of a line; -1 on
 * error. */
double pk_spatial_area(struct pk_spatial *sp, const GEOSGeometry *g);
/* The geometry transformed to the metric CRS. Caller frees with GEOSGeom_destroy_r. */
GEOSGeometry *pk_spatial_to_metric(struct pk_spatial *sp, const GEOSGeometry *g);
/* *yes = 1 if a and b overlap in the sense above; PK_OK, or an error (a
 * GEOS exception is never "no"). */
int pk_spatial_overlaps(struct pk_spatial *sp, const GEOSGeometry *a, const GEOSGeometry *b, int *yes);

/* GeoJSON text of a geometry, coordinates rounded to 7 decimals (RFC 7946;
 * the caller transforms to WGS84 first). Caller frees with free(); NULL on
 * error. */
char *pk_geom_to_geojson(struct pk_ctx *ctx, const GEOSGeometry *g);

#endif
