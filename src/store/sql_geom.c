/* sql_geom.c — geometry BLOBs of `plankit sql` results as text: WKT in the
 * BLOB's own CRS (the store CRS), or a GeoJSON geometry in WGS84 longitude/
 * latitude rounded to 7 decimals (RFC 7946), instead of "<blob N bytes>".
 * A BLOB is a geometry when blob.c decodes it as a SpatiaLite geometry. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob_int.h"
#include "crs_int.h"
#include "spatial_int.h"
#include "sql_int.h"

/* The SRID in a SpatiaLite BLOB's header (bytes 2-5, in the BLOB's byte order). */
static int blob_srid(const unsigned char *blob)
{
    uint32_t v = blob[1] == 1 ? (uint32_t)blob[2] | (uint32_t)blob[3] << 8 | (uint32_t)blob[4] << 16 |
                                    (uint32_t)blob[5] << 24
                              : (uint32_t)blob[5] | (uint32_t)blob[4] << 8 | (uint32_t)blob[3] << 16 |
                                    (uint32_t)blob[2] << 24;
    return (int)v;
}

/* WKT text of g, trimmed (no trailing zeros). Caller frees with free(). */
static char *to_wkt(struct pk_ctx *ctx, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    GEOSWKTWriter *w = GEOSWKTWriter_create_r(h);
    if (!w)
        return NULL;
    GEOSWKTWriter_setTrim_r(h, w, 1);
    GEOSWKTWriter_setOutputDimension_r(h, w, 2);
    char *s = GEOSWKTWriter_write_r(h, w, g);
    GEOSWKTWriter_destroy_r(h, w);
    char *copy = s ? strdup(s) : NULL;
    if (s)
        GEOSFree_r(h, s);
    return copy;
}

/* GeoJSON text of g (EPSG:srid) in WGS84: the transform to EPSG:4326 is
 * kept in sg while the SRID stays the same. Caller frees with free(). */
static int to_geojson(struct pk_sql_geom *sg, const GEOSGeometry *g, int srid, char **out)
{
    struct pk_ctx *ctx = sg->ctx;
    GEOSGeometry *ll = NULL;
    if (srid != 4326 && srid > 0) {
        if (!sg->tr || sg->tr_srid != srid) {
            pk_transform_free(sg->tr);
            sg->tr = NULL;
            if (pk_transform_new(ctx, srid, 4326, &sg->tr) != PK_OK)
                return pk_errcode(ctx);
            sg->tr_srid = srid;
        }
        if (!(ll = pk_transform_geom(ctx, sg->tr, g)))
            return pk_error(ctx, PK_ERR_DATA, "a geometry cannot be transformed from EPSG:%d to WGS84", srid);
    }
    *out = pk_geom_to_geojson(ctx, ll ? ll : g);
    if (ll)
        GEOSGeom_destroy_r(pk_geos(ctx), ll);
    return *out ? PK_OK : pk_error_geos(ctx, "cannot write a geometry as GeoJSON");
}

int pk_sql_geom_text(struct pk_sql_geom *sg, const unsigned char *blob, size_t size, int geojson, char **out)
{
    struct pk_ctx *ctx = sg->ctx;
    GEOSGeometry *g = NULL;
    *out = NULL;
    if (pk_blob_to_geos(pk_geos(ctx), blob, size, &g) != PK_OK)
        return PK_ERR_DATA; /* not a geometry this decoder reads: the caller shows the BLOB's size */
    int rc = PK_OK;
    if (geojson)
        rc = to_geojson(sg, g, blob_srid(blob), out);
    else if (!(*out = to_wkt(ctx, g)))
        rc = pk_error_geos(ctx, "cannot write a geometry as WKT");
    GEOSGeom_destroy_r(pk_geos(ctx), g);
    return rc;
}

void pk_sql_geom_release(struct pk_sql_geom *sg)
{
    pk_transform_free(sg->tr);
    sg->tr = NULL;
}
