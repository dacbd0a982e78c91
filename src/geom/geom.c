/* geom.c — OGR -> GEOS conversion with ring clean-up, MakeValid repair, and
 * WKB transfer between GEOS and SQLite statements. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_int.h"
#include "geom_int.h"

struct conv {
    struct pk_ctx *ctx;
    int dropped;
    int nonfinite;
    int closed;     /* rings that were not closed (closed here) */
    int failed;     /* out of memory or a GEOS failure: no geometry, never a smaller one */
};

/* Copy the points of an OGR curve into a GEOS coordinate sequence, closing
 * the ring when `ring` is set (and counting it in cv->closed when it was
 * open). Returns NULL when there are too few points; sets cv->nonfinite on
 * NaN/Inf, cv->failed when out of memory. */
static GEOSCoordSequence *coords_from_ogr(struct conv *cv, OGRGeometryH curve, int ring)
{
    int *nonfinite = &cv->nonfinite, *closed = &cv->closed;
    int n = OGR_G_GetPointCount(curve);
    if (n <= 0)
        return NULL;
    double *xy = malloc(sizeof(double) * 2 * (size_t)(n + 1));
    if (!xy) {
        cv->failed = 1;
        return NULL;
    }
    OGR_G_GetPoints(curve, xy, 2 * sizeof(double), xy + 1, 2 * sizeof(double), NULL, 0);
    for (int i = 0; i < 2 * n; i++)
        if (!isfinite(xy[i])) {
            *nonfinite = 1;
            free(xy);
            return NULL;
        }
    int open = ring && (xy[0] != xy[2 * n - 2] || xy[1] != xy[2 * n - 1]);
    if (open) {
        xy[2 * n] = xy[0];
        xy[2 * n + 1] = xy[1];
        n++;
    }
    if ((ring && n < 4) || n < 2) {
        free(xy);
        return NULL;
    }
    *closed += open;
    GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(pk_geos(cv->ctx), xy, (unsigned)n, 0, 0);
    free(xy);
    cv->failed |= !seq;
    return seq;
}

static GEOSGeometry *convert(struct conv *cv, OGRGeometryH src);

static GEOSGeometry *convert_polygon(struct conv *cv, OGRGeometryH src)
{
    GEOSContextHandle_t h = pk_geos(cv->ctx);
    int nrings = OGR_G_GetGeometryCount(src);
    if (nrings == 0)
        return NULL;
    GEOSCoordSequence *shell_seq = coords_from_ogr(cv, OGR_G_GetGeometryRef(src, 0), 1);
    if (!shell_seq) {
        cv->dropped += cv->failed ? 0 : nrings;
        return NULL;
    }
    GEOSGeometry *shell = GEOSGeom_createLinearRing_r(h, shell_seq);
    GEOSGeometry **holes = calloc((size_t)nrings, sizeof *holes);
    int nholes = 0;
    cv->failed |= !shell || !holes;
    for (int i = 1; !cv->failed && i < nrings && !cv->nonfinite; i++) {
        GEOSCoordSequence *seq = coords_from_ogr(cv, OGR_G_GetGeometryRef(src, i), 1);
        if (!seq) {
            cv->dropped += !cv->failed;
            continue;
        }
        if (!(holes[nholes] = GEOSGeom_createLinearRing_r(h, seq)))
            cv->failed = 1;
        else
            nholes++;
    }
    GEOSGeometry *poly = NULL;
    if (!cv->failed && !(poly = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)nholes)))
        cv->failed = 1; /* (GEOS took the rings either way) */
    else if (cv->failed) {
        for (int i = 0; i < nholes; i++)
            GEOSGeom_destroy_r(h, holes[i]);
        if (shell)
            GEOSGeom_destroy_r(h, shell);
    }
    free(holes);
    return poly;
}

static GEOSGeometry *convert_collection(struct conv *cv, OGRGeometryH src, int type)
{
    GEOSContextHandle_t h = pk_geos(cv->ctx);
    int n = OGR_G_GetGeometryCount(src), m = 0;
    GEOSGeometry **parts = calloc((size_t)(n ? n : 1), sizeof *parts);
    if (!parts) {
        cv->failed = 1;
        return NULL;
    }
    for (int i = 0; i < n && !cv->nonfinite && !cv->failed; i++) {
        GEOSGeometry *part = convert(cv, OGR_G_GetGeometryRef(src, i));
        if (part)
            parts[m++] = part;
    }
    GEOSGeometry *out = NULL;
    if (cv->nonfinite || cv->failed) {
        for (int i = 0; i < m; i++)
            GEOSGeom_destroy_r(h, parts[i]);
    } else if (m > 0 && !(out = GEOSGeom_createCollection_r(h, type, parts, (unsigned)m))) {
        cv->failed = 1;
    }
    free(parts);
    return out;
}

static GEOSGeometry *convert(struct conv *cv, OGRGeometryH src)
{
    GEOSContextHandle_t h = pk_geos(cv->ctx);
    switch (wkbFlatten(OGR_G_GetGeometryType(src))) {
    case wkbPoint: {
        if (OGR_G_IsEmpty(src))
            return NULL;
        double x = OGR_G_GetX(src, 0), y = OGR_G_GetY(src, 0);
        if (!isfinite(x) || !isfinite(y)) {
            cv->nonfinite = 1;
            return NULL;
        }
        GEOSGeometry *point = GEOSGeom_createPointFromXY_r(h, x, y);
        cv->failed |= !point;
        return point;
    }
    case wkbLineString: {
        GEOSCoordSequence *seq = coords_from_ogr(cv, src, 0);
        if (!seq) {
            cv->dropped += !cv->failed && OGR_G_GetPointCount(src) > 0;
            return NULL;
        }
        GEOSGeometry *line = GEOSGeom_createLineString_r(h, seq);
        cv->failed |= !line;
        return line;
    }
    case wkbPolygon:
        return convert_polygon(cv, src);
    case wkbMultiPoint:
        return convert_collection(cv, src, GEOS_MULTIPOINT);
    case wkbMultiLineString:
        return convert_collection(cv, src, GEOS_MULTILINESTRING);
    case wkbMultiPolygon:
        return convert_collection(cv, src, GEOS_MULTIPOLYGON);
    case wkbGeometryCollection:
        return convert_collection(cv, src, GEOS_GEOMETRYCOLLECTION);
    default:
        return NULL;
    }
}

int pk_geom_from_ogr(struct pk_ctx *ctx, OGRGeometryH src, GEOSGeometry **out, int *dropped)
{
    return pk_geom_from_ogr_closing(ctx, src, out, dropped, NULL);
}

int pk_geom_from_ogr_closing(struct pk_ctx *ctx, OGRGeometryH src, GEOSGeometry **out, int *dropped, int *closed)
{
    struct conv cv = {ctx, 0, 0, 0, 0};
    *out = convert(&cv, src);
    if (dropped)
        *dropped = cv.dropped;
    if (closed)
        *closed = cv.closed;
    if (cv.failed) { /* never a geometry with parts left out */
        if (*out)
            GEOSGeom_destroy_r(pk_geos(ctx), *out);
        *out = NULL;
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory converting a geometry");
    }
    if (cv.nonfinite) {
        if (*out)
            GEOSGeom_destroy_r(pk_geos(ctx), *out);
        *out = NULL;
        return pk_error(ctx, PK_ERR_DATA, "non-finite coordinate (NaN or infinity)");
    }
    return PK_OK;
}

int pk_geom_is_polygonal(struct pk_ctx *ctx, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(pk_geos(ctx), g);
    return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON;
}

GEOSGeometry *pk_geom_promote_multi(struct pk_ctx *ctx, GEOSGeometry *g)
{
    if (!g || GEOSGeomTypeId_r(pk_geos(ctx), g) != GEOS_POLYGON)
        return g;
    GEOSGeometry *parts[1] = {g};
    return GEOSGeom_createCollection_r(pk_geos(ctx), GEOS_MULTIPOLYGON, parts, 1);
}

GEOSGeometry *pk_geom_polygonal(struct pk_ctx *ctx, GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    if (!g)
        return NULL;
    if (GEOSisEmpty_r(h, g) == 1) {
        GEOSGeom_destroy_r(h, g);
        return NULL;
    }
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON)
        return pk_geom_promote_multi(ctx, g);
    int n = GEOSGetNumGeometries_r(h, g), m = 0;
    GEOSGeometry **polys = calloc((size_t)(n ? n : 1) * 4, sizeof *polys);
    for (int i = 0; polys && i < n; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(h, g, i);
        int pt = GEOSGeomTypeId_r(h, part);
        if (pt == GEOS_POLYGON) {
            polys[m++] = GEOSGeom_clone_r(h, part);
        } else if (pt == GEOS_MULTIPOLYGON) {
            int k = GEOSGetNumGeometries_r(h, part);
            GEOSGeometry **grown = realloc(polys, sizeof *polys * (size_t)(n * 4 + m + k));
            if (!grown)
                break;
            polys = grown;
            for (int j = 0; j < k; j++)
                polys[m++] = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, part, j));
        }
    }
    GEOSGeom_destroy_r(h, g);
    GEOSGeometry *out = NULL;
    if (m > 0)
        out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, (unsigned)m);
    free(polys);
    return out;
}

int pk_geom_union_all(struct pk_ctx *ctx, const GEOSGeometry *const *geoms, size_t n, GEOSGeometry **out)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    *out = NULL;
    GEOSGeometry **parts = malloc((n ? n : 1) * sizeof *parts);
    if (!parts)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    unsigned m = 0;
    for (size_t i = 0; i < n; i++)
        if (geoms[i])
            parts[m++] = GEOSGeom_clone_r(h, geoms[i]);
    if (m == 0) {
        free(parts);
        return PK_OK;
    }
    /* the collection owns its members, even when it fails */
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, m);
    free(parts);
    *out = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
    if (coll)
        GEOSGeom_destroy_r(h, coll);
    return *out ? PK_OK : pk_error_geos(ctx, "union failed");
}

int pk_geom_make_valid(struct pk_ctx *ctx, GEOSGeometry **g, enum pk_repair_method method,
                       enum pk_geom_fix *fix, char *detail, size_t detail_size)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    char *reason = NULL;
    GEOSGeometry *location = NULL;
    int polygonal = pk_geom_is_polygonal(ctx, *g);

    *fix = PK_GEOM_OK;
    detail[0] = '\0';
    char valid = GEOSisValidDetail_r(h, *g, 0, &reason, &location);
    if (valid == 2)
        return pk_error_geos(ctx, "validity check failed");
    if (valid == 1) {
        if (polygonal)
            *g = pk_geom_promote_multi(ctx, *g);
        return PK_OK;
    }
    if (location) {
        double x = 0, y = 0;
        GEOSGeomGetX_r(h, location, &x);
        GEOSGeomGetY_r(h, location, &y);
        snprintf(detail, detail_size, "%s at (%.6f %.6f)", reason ? reason : "invalid", x, y);
        GEOSGeom_destroy_r(h, location);
    } else {
        snprintf(detail, detail_size, "%s", reason ? reason : "invalid");
    }
    GEOSFree_r(h, reason);

    GEOSMakeValidParams *params = GEOSMakeValidParams_create_r(h);
    GEOSMakeValidParams_setMethod_r(h, params, method == PK_REPAIR_STRUCTURE
                                                   ? GEOS_MAKE_VALID_STRUCTURE
                                                   : GEOS_MAKE_VALID_LINEWORK);
    GEOSMakeValidParams_setKeepCollapsed_r(h, params, 0);
    GEOSGeometry *fixed = GEOSMakeValidWithParams_r(h, *g, params);
    GEOSMakeValidParams_destroy_r(h, params);
    if (!fixed) {
        char what[600];
        snprintf(what, sizeof what, "%s could not be repaired", detail);
        return pk_error_geos(ctx, what);
    }
    GEOSGeom_destroy_r(h, *g);
    if (polygonal)
        fixed = pk_geom_polygonal(ctx, fixed);
    if (fixed && GEOSisEmpty_r(h, fixed) == 1) {
        GEOSGeom_destroy_r(h, fixed);
        fixed = NULL;
    }
    *g = fixed;
    *fix = fixed ? PK_GEOM_REPAIRED : PK_GEOM_EMPTY;
    return PK_OK;
}

int pk_geom_bind_blob(struct pk_ctx *ctx, sqlite3_stmt *st, int idx, const GEOSGeometry *g, int srid,
                      double *mbr)
{
    unsigned char *blob = NULL;
    size_t size = 0;
    int rc = pk_blob_from_geos(pk_geos(ctx), g, srid, &blob, &size);
    if (rc == PK_ERR_NOMEM)
        return pk_error(ctx, rc, "out of memory");
    if (rc != PK_OK)
        return pk_error(ctx, rc, "cannot store an empty geometry or one of an unsupported type");
    if (size > 0x7fffffff) {
        free(blob);
        return pk_error(ctx, PK_ERR_DATA, "a geometry of %zu bytes is too large to store", size);
    }
    if (mbr)
        pk_blob_mbr(blob, size, mbr); /* (our own header: cannot fail) */
    /* SQLite takes the buffer and frees it, also when binding fails */
    if (sqlite3_bind_blob(st, idx, blob, (int)size, free) != SQLITE_OK)
        return pk_error(ctx, PK_ERR_DB, "cannot bind a geometry");
    return PK_OK;
}
