/* geom_int.h — geometry conversion between OGR, GEOS and SpatiaLite, and the
 * repair step of the loader. */
#ifndef PLANKIT_GEOM_INT_H
#define PLANKIT_GEOM_INT_H

#include <ogr_api.h>
#include <sqlite3.h>
#include "ctx_int.h"

/* Outcome of converting one source geometry. */
enum pk_geom_fix {
    PK_GEOM_OK = 0,       /* valid as read */
    PK_GEOM_REPAIRED = 1, /* invalid, repaired with MakeValid (detail says why) */
    PK_GEOM_EMPTY = 2     /* empty or collapsed: stored without geometry */
};

enum pk_repair_method { PK_REPAIR_LINEWORK = 0, PK_REPAIR_STRUCTURE = 1 };

/* Convert an OGR geometry (2D, linear) to GEOS. Unclosed rings are closed;
 * rings with fewer than 4 points and lines with fewer than 2 are removed (and
 * counted in *dropped). Non-finite coordinates are an error (PK_ERR_DATA).
 * *out: caller frees with GEOSGeom_destroy_r; NULL when everything was removed. */
int pk_geom_from_ogr(struct pk_ctx *ctx, OGRGeometryH src, GEOSGeometry **out, int *dropped);
/* The same, also counting in *closed (may be NULL) the rings that were not
 * closed (GDAL accepts them; they are closed here). */
int pk_geom_from_ogr_closing(struct pk_ctx *ctx, OGRGeometryH src, GEOSGeometry **out, int *dropped, int *closed);

/* Make g valid in place if it is not: *fix and detail (reason and location,
 * at most detail_size bytes) describe what was done. Polygonal input keeps
 * only polygonal parts and becomes a MultiPolygon. *g may be replaced or set
 * to NULL (collapsed). */
int pk_geom_make_valid(struct pk_ctx *ctx, GEOSGeometry **g, enum pk_repair_method method,
                       enum pk_geom_fix *fix, char *detail, size_t detail_size);

/* The polygonal parts of g (a MakeValid or overlay result) as a
 * MultiPolygon; NULL if g is NULL, empty or has none. Takes ownership of g;
 * caller frees the result with GEOSGeom_destroy_r. */
GEOSGeometry *pk_geom_polygonal(struct pk_ctx *ctx, GEOSGeometry *g);

/* The union of the non-NULL geometries among geoms[0..n) (GEOSUnaryUnion
 * of copies). *out: caller frees with GEOSGeom_destroy_r; NULL when there is
 * none. Returns PK_OK, PK_ERR_GEOS or PK_ERR_NOMEM. */
int pk_geom_union_all(struct pk_ctx *ctx, const GEOSGeometry *const *geoms, size_t n, GEOSGeometry **out);

/* Polygon -> MultiPolygon, takes ownership of g; returns the new geometry. */
GEOSGeometry *pk_geom_promote_multi(struct pk_ctx *ctx, GEOSGeometry *g);

/* 1 if the GEOS type is Polygon or MultiPolygon. */
int pk_geom_is_polygonal(struct pk_ctx *ctx, const GEOSGeometry *g);

/* Bind g (2D, not empty) as the SpatiaLite BLOB the store keeps, in EPSG:srid,
 * encoded by blob.c (no GeomFromWKB round trip in SQL); mbr (NULL: not
 * wanted) receives the MBR its header states. PK_OK, or an error in ctx. */
int pk_geom_bind_blob(struct pk_ctx *ctx, sqlite3_stmt *st, int idx, const GEOSGeometry *g, int srid,
                      double *mbr);


#endif
