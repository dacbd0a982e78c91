/* crs_int.h — CRS parsing, the metric-CRS choice and PROJ transforms of GEOS
 * geometries. */
#ifndef PLANKIT_CRS_INT_H
#define PLANKIT_CRS_INT_H

#include <ogr_srs_api.h>
#include "ctx_int.h"

struct pk_transform;

/* Parse "EPSG:N", "epsg:N" or "N" into *srid. */
int pk_crs_parse_epsg(struct pk_ctx *ctx, const char *text, int *srid);
/* The CRS exists and is geographic or projected (fit for storage). */
int pk_crs_check_storage(struct pk_ctx *ctx, int srid);
/* The CRS exists and is projected with metre units (fit for areas). */
int pk_crs_check_metric(struct pk_ctx *ctx, int srid);
/* The metric CRS for data around lon/lat (WGS84 degrees): the CGCS2000
 * 3-degree Gauss-Kruger zone (EPSG:4534..4554) inside China's longitudes,
 * else the WGS84 UTM zone. */
int pk_crs_auto_metric(double lon, double lat);
/* A spatial reference from user text (EPSG code, WKT, PROJ string) with GIS
 * axis order (x = longitude). Caller frees with OSRDestroySpatialReference. */
int pk_crs_from_user(struct pk_ctx *ctx, const char *text, OGRSpatialReferenceH *out);
/* Same, from an EPSG code. */
int pk_crs_from_epsg(struct pk_ctx *ctx, int srid, OGRSpatialReferenceH *out);

/* A CRS's range, read once (one PROJ context) and used for many geometries:
 * whether it is geographic, and its area of use in degrees (the whole world
 * when PROJ states none). */
struct pk_crs_area {
    int srid;
    int geographic;
    double west, south, east, north;
};
int pk_crs_area_of_use(struct pk_ctx *ctx, int srid, struct pk_crs_area *out);

/* The geometry (in EPSG:area->srid) lies within the CRS's bounds: longitudes
 * and latitudes in range, and overlapping the area of use. to_deg: the
 * transform from that CRS to EPSG:4326 (NULL when it is geographic). */
int pk_crs_check_area(struct pk_ctx *ctx, const struct pk_crs_area *area, struct pk_transform *to_deg,
                      const GEOSGeometry *g);

/* A PROJ transform between two EPSG CRSs in GIS axis order, with its own PROJ
 * context (use it from one thread). Caller frees with pk_transform_free. */
struct pk_transform;
int pk_transform_new(struct pk_ctx *ctx, int from_srid, int to_srid, struct pk_transform **out);
/* Same from any CRS definitions PROJ reads ("EPSG:N", WKT, PROJ strings). */
int pk_transform_new_defs(struct pk_ctx *ctx, const char *from, const char *to,
                          struct pk_transform **out);
void pk_transform_free(struct pk_transform *tr);
/* Transformed copy of g (a plain copy when tr is NULL: no transform is
 * needed); NULL with the error in ctx when a point fails. Caller frees with
 * GEOSGeom_destroy_r. */
GEOSGeometry *pk_transform_geom(struct pk_ctx *ctx, struct pk_transform *tr, const GEOSGeometry *g);
/* Transform one point in place: 1, or 0 (the point unchanged) when PROJ
 * gives no finite answer. */
int pk_transform_point(struct pk_transform *tr, double *x, double *y);

/* Transform n x,y pairs in place; 0 if a point fails (xy is then partly
 * transformed). */
int pk_transform_xy(struct pk_transform *tr, double *xy, size_t n);

#endif
