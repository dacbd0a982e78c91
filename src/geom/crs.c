/* crs.c — CRS codes, the choice of metric CRS and PROJ transforms.
 *
 * Transforms always use GIS axis order (x = longitude, y = latitude, as the
 * store keeps coordinates), and each has its own PROJ context, so a worker
 * thread makes its transforms once and uses them alone (worker.c). A point
 * PROJ cannot transform is an error, never a silently moved point. */
#include <ctype.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_error.h>
#include <proj.h>

#include "crs_int.h"

int pk_crs_parse_epsg(struct pk_ctx *ctx, const char *text, int *srid)
{
    const char *p = text;
    char *end;
    if (strncasecmp(p, "EPSG:", 5) == 0)
        p += 5;
    long v = strtol(p, &end, 10);
    if (!*p || *end || v <= 0 || v > 999999)
        return pk_error(ctx, PK_ERR_ARGS, "invalid CRS '%s': expected EPSG:<code>, e.g. EPSG:4490",
                        text);
    *srid = (int)v;
    return PK_OK;
}

int pk_crs_from_epsg(struct pk_ctx *ctx, int srid, OGRSpatialReferenceH *out)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    CPLErrorReset();
    if (OSRImportFromEPSG(srs, srid) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        *out = NULL;
        return pk_error(ctx, PK_ERR_ARGS, "unknown CRS 'EPSG:%d'", srid);
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    *out = srs;
    return PK_OK;
}

int pk_crs_from_user(struct pk_ctx *ctx, const char *text, OGRSpatialReferenceH *out)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    CPLErrorReset();
    if (OSRSetFromUserInput(srs, text) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        *out = NULL;
        return pk_error(ctx, PK_ERR_ARGS, "unknown CRS '%s'", text);
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    *out = srs;
    return PK_OK;
}

int pk_crs_check_storage(struct pk_ctx *ctx, int srid)
{
    OGRSpatialReferenceH srs;
    int rc = pk_crs_from_epsg(ctx, srid, &srs);
    if (rc != PK_OK)
        return rc;
    if (!OSRIsGeographic(srs) && !OSRIsProjected(srs))
        rc = pk_error(ctx, PK_ERR_ARGS, "CRS 'EPSG:%d' is neither geographic nor projected", srid);
    OSRDestroySpatialReference(srs);
    return rc;
}

int pk_crs_check_metric(struct pk_ctx *ctx, int srid)
{
    OGRSpatialReferenceH srs;
    int rc = pk_crs_from_epsg(ctx, srid, &srs);
    if (rc != PK_OK)
        return rc;
    if (!OSRIsProjected(srs) || fabs(OSRGetLinearUnits(srs, NULL) - 1.0) > 1e-9)
        rc = pk_error(ctx, PK_ERR_ARGS,
                      "CRS 'EPSG:%d' is not a projected CRS in metres: areas need one, e.g. EPSG:4549",
                      srid);
    OSRDestroySpatialReference(srs);
    return rc;
}

int pk_crs_auto_metric(double lon, double lat)
{
    if (lon >= 73.5 && lon < 136.5 && lat >= 0 && lat <= 56) {
        /* CGCS2000 / 3-degree Gauss-Kruger CM 75E (4534) .. CM 135E (4554) */
        int zone = (int)floor((lon - 73.5) / 3.0);
        return 4534 + zone;
    }
    int utm = (int)floor((lon + 180.0) / 6.0) + 1;
    if (utm < 1)
        utm = 1;
    if (utm > 60)
        utm = 60;
    return (lat >= 0 ? 32600 : 32700) + utm;
}

struct pk_transform {
    PJ_CONTEXT *pj_ctx;
    PJ *pj;
};

int pk_transform_new(struct pk_ctx *ctx, int from_srid, int to_srid, struct pk_transform **out)
{
    char from[32], to[32];
    snprintf(from, sizeof from, "EPSG:%d", from_srid);
    snprintf(to, sizeof to, "EPSG:%d", to_srid);
    return pk_transform_new_defs(ctx, from, to, out);
}

int pk_transform_new_defs(struct pk_ctx *ctx, const char *from, const char *to,
                          struct pk_transform **out)
{
    struct pk_transform *tr = calloc(1, sizeof *tr);
    *out = NULL;
    if (!tr)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    /* (a NULL context would be PROJ's shared default one, not thread-safe) */
    if (!(tr->pj_ctx = proj_context_create())) {
        free(tr);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    proj_log_level(tr->pj_ctx, PJ_LOG_NONE); /* failures are reported through ctx, not stderr */
    PJ *raw = proj_create_crs_to_crs(tr->pj_ctx, from, to, NULL);
    if (raw) {
        tr->pj = proj_normalize_for_visualization(tr->pj_ctx, raw);
        proj_destroy(raw);
    }
    if (!tr->pj) {
        int err = proj_context_errno(tr->pj_ctx);
        pk_error(ctx, PK_ERR_GDAL, "cannot transform %.60s to %.60s: %s", from, to,
                 proj_context_errno_string(tr->pj_ctx, err));
        pk_transform_free(tr);
        return PK_ERR_GDAL;
    }
    *out = tr;
    return PK_OK;
}

void pk_transform_free(struct pk_transform *tr)
{
    if (!tr)
        return;
    proj_destroy(tr->pj);
    proj_context_destroy(tr->pj_ctx);
    free(tr);
}

int pk_transform_point(struct pk_transform *tr, double *x, double *y)
{
    PJ_COORD c = proj_coord(*x, *y, 0, 0);
    c = proj_trans(tr->pj, PJ_FWD, c);
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y))
        return 0;
    *x = c.xy.x;
    *y = c.xy.y;
    return 1;
}

int pk_transform_xy(struct pk_transform *tr, double *xy, size_t n)
{
    if (n == 0)
        return 1;
    proj_trans_generic(tr->pj, PJ_FWD, xy, 2 * sizeof *xy, n, xy + 1, 2 * sizeof *xy, n, NULL, 0, 0, NULL, 0, 0);
    for (size_t i = 0; i < 2 * n; i++)
        if (!isfinite(xy[i]))
            return 0;
    return 1;
}

/* GEOSGeom_transformXY_r callback: one point through the transform
 * (userdata); 0 stops the transform when PROJ gives no finite answer. */
static int transform_cb(double *x, double *y, void *userdata)
{
    return pk_transform_point(userdata, x, y);
}

GEOSGeometry *pk_transform_geom(struct pk_ctx *ctx, struct pk_transform *tr, const GEOSGeometry *g)
{
    if (!tr) { /* the two CRSs are one (a worker's to_m in a metric store) */
        GEOSGeometry *copy = GEOSGeom_clone_r(pk_geos(ctx), g);
        if (!copy)
            pk_error_geos(ctx, "cannot copy a geometry");
        return copy;
    }
    GEOSGeometry *out = GEOSGeom_transformXY_r(pk_geos(ctx), g, transform_cb, tr);
    if (!out)
        pk_error(ctx, PK_ERR_GDAL, "coordinates outside the CRS's area of use could not be transformed");
    return out;
}

int pk_crs_area_of_use(struct pk_ctx *ctx, int srid, struct pk_crs_area *out)
{
    *out = (struct pk_crs_area){srid, 0, -180, -90, 180, 90};
    char code[32];
    snprintf(code, sizeof code, "EPSG:%d", srid);
    PJ_CONTEXT *pc = proj_context_create();
    if (!pc)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    proj_log_level(pc, PJ_LOG_NONE);
    PJ *crs = proj_create(pc, code);
    if (crs) {
        PJ_TYPE t = proj_get_type(crs);
        out->geographic = t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS;
        if (!proj_get_area_of_use(pc, crs, &out->west, &out->south, &out->east, &out->north, NULL))
            out->west = -180, out->south = -90, out->east = 180, out->north = 90;
        proj_destroy(crs);
    }
    proj_context_destroy(pc);
    return PK_OK;
}

int pk_crs_check_area(struct pk_ctx *ctx, const struct pk_crs_area *a, struct pk_transform *to_deg,
                      const GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    double x0, y0, x1, y1;
    GEOSGeometry *ll = NULL;
    if (!a->geographic) {
        if (!(ll = pk_transform_geom(ctx, to_deg, g)))
            return pk_error(ctx, PK_ERR_DATA, "geometry outside the bounds of EPSG:%d", a->srid);
    }
    int ok = GEOSGeom_getExtent_r(h, ll ? ll : g, &x0, &y0, &x1, &y1);
    if (ll)
        GEOSGeom_destroy_r(h, ll);
    if (!ok)
        return pk_error_geos(ctx, "cannot measure the geometry's extent");
    if (x0 < -180 || x1 > 180 || y0 < -90 || y1 > 90)
        return pk_error(ctx, PK_ERR_DATA, "geometry outside the bounds of EPSG:%d: longitudes must be within "
                        "-180..180 and latitudes within -90..90 (extent %g,%g,%g,%g)", a->srid, x0, y0, x1, y1);
    if (x1 < a->west || x0 > a->east || y1 < a->south || y0 > a->north)
        return pk_error(ctx, PK_ERR_DATA, "geometry outside the area of use of EPSG:%d (%g,%g,%g,%g)", a->srid,
                        a->west, a->south, a->east, a->north);
    return PK_OK;
}
