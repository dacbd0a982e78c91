/* tile_clip.c — clipping Web Mercator geometries to a tile and quantising
 * them to the tile's integer grid, for the vector tile encoder. */
#include "tile_clip_int.h"

#include <math.h>
#include <stdlib.h>

void pk_tile_box_3857(int z, uint32_t x, uint32_t y, double box[4])
{
    double size = 2 * PK_MERCATOR_HALF / ldexp(1.0, z);
    box[0] = -PK_MERCATOR_HALF + x * size;
    box[2] = -PK_MERCATOR_HALF + (x + 1.0) * size;
    box[3] = PK_MERCATOR_HALF - y * size;
    box[1] = PK_MERCATOR_HALF - (y + 1.0) * size;
}

static int to_tile_xy(double *x, double *y, void *arg)
{
    const struct pk_tile_affine *t = arg;
    *x = round((*x - t->ox) * t->sx);
    *y = round((*y - t->oy) * t->sy);
    return 1;
}

/* Gather the non-empty parts of dimension dim from g (any nesting of
 * collections) into parts[*n]; parts has room for all. Clones. */
static int gather(GEOSContextHandle_t h, const GEOSGeometry *g, int dim, GEOSGeometry **parts, int *n)
{
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_GEOMETRYCOLLECTION || type == GEOS_MULTIPOINT ||
        type == GEOS_MULTILINESTRING || type == GEOS_MULTIPOLYGON) {
        int k = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < k; i++)
            if (gather(h, GEOSGetGeometryN_r(h, g, i), dim, parts, n) != 0)
                return -1;
        return 0;
    }
    if (GEOSGeom_getDimensions_r(h, g) != dim || GEOSisEmpty_r(h, g) == 1)
        return 0;
    GEOSGeometry *c = GEOSGeom_clone_r(h, g);
    if (!c)
        return -1;
    parts[(*n)++] = c;
    return 0;
}

/* The parts of g of dimension dim as one Multi geometry; NULL with
 * *failed = 0 when there are none. Takes ownership of g. */
static GEOSGeometry *keep_dimension(GEOSContextHandle_t h, GEOSGeometry *g, int dim, int *failed)
{
    *failed = 0;
    int cap = GEOSGetNumGeometries_r(h, g);
    int ncoords = GEOSGetNumCoordinates_r(h, g);
    if (ncoords > cap)
        cap = ncoords; /* nested collections never hold more parts than points */
    GEOSGeometry **parts = calloc((size_t)(cap > 0 ? cap : 1), sizeof *parts);
    int n = 0;
    if (!parts || gather(h, g, dim, parts, &n) != 0)
        *failed = 1;
    GEOSGeom_destroy_r(h, g);
    static const int multi[3] = {GEOS_MULTIPOINT, GEOS_MULTILINESTRING, GEOS_MULTIPOLYGON};
    GEOSGeometry *out = NULL;
    if (!*failed && n > 0) {
        out = GEOSGeom_createCollection_r(h, multi[dim], parts, (unsigned)n);
        *failed = out == NULL;
    }
    if (!out)
        for (int i = 0; parts && i < n; i++)
            GEOSGeom_destroy_r(h, parts[i]);
    free(parts);
    return out;
}

/* Make a rounded polygonal geometry valid on the integer grid. Takes
 * ownership of g; NULL with *failed = 0 when it collapses. */
static GEOSGeometry *repair_polygonal(GEOSContextHandle_t h, GEOSGeometry *g, int *failed)
{
    *failed = 0;
    char valid = GEOSisValid_r(h, g);
    if (valid == 1)
        return g;
    GEOSGeometry *fixed = valid == 0 ? GEOSMakeValid_r(h, g) : NULL;
    GEOSGeom_destroy_r(h, g);
    if (!fixed) {
        *failed = 1;
        return NULL;
    }
    fixed = keep_dimension(h, fixed, 2, failed);
    if (!fixed)
        return NULL;
    GEOSGeometry *snapped = GEOSGeom_setPrecision_r(h, fixed, 1.0, 0);
    GEOSGeom_destroy_r(h, fixed);
    if (!snapped) {
        *failed = 1;
        return NULL;
    }
    return keep_dimension(h, snapped, 2, failed);
}

int pk_tile_clip_box(struct pk_ctx *ctx, const GEOSGeometry *g, const double rect[4], const struct pk_tile_affine *t,
                     GEOSGeometry **out)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    *out = NULL;
    int dim = GEOSGeom_getDimensions_r(h, g), failed = 0;
    GEOSGeometry *c = GEOSClipByRect_r(h, g, rect[0], rect[1], rect[2], rect[3]);
    GEOSGeometry *q = c ? GEOSGeom_transformXY_r(h, c, to_tile_xy, (void *)t) : NULL;
    if (c)
        GEOSGeom_destroy_r(h, c);
    if (!q)
        return pk_error_geos(ctx, "cannot clip a geometry to a tile");
    q = keep_dimension(h, q, dim, &failed);
    if (q && dim == 2)
        q = repair_polygonal(h, q, &failed);
    if (failed) {
        if (q)
            GEOSGeom_destroy_r(h, q);
        return pk_error_geos(ctx, "cannot make a clipped geometry valid on the tile grid");
    }
    *out = q;
    return PK_OK;
}

int pk_tile_clip(struct pk_ctx *ctx, const GEOSGeometry *g, int z, uint32_t x, uint32_t y,
                 uint32_t extent, uint32_t buffer, GEOSGeometry **out)
{
    *out = NULL;
    if (z < 0 || z > 30 || x >= (1u << z) || y >= (1u << z) || extent == 0)
        return pk_error(ctx, PK_ERR_ARGS, "tile %d/%u/%u (extent %u) is not a tile", z, x, y, extent);
    double box[4];
    pk_tile_box_3857(z, x, y, box);
    double scale = extent / (box[2] - box[0]), b = buffer / scale;
    struct pk_tile_affine t = {box[0], box[3], scale, -scale};
    double rect[4] = {box[0] - b, box[1] - b, box[2] + b, box[3] + b};
    return pk_tile_clip_box(ctx, g, rect, &t, out);
}
