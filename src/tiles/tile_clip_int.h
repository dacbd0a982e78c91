/* tile_clip_int.h — from Web Mercator metres to one tile's integer
 * coordinates: the tile grid's boxes, and clipping a geometry to a tile
 * (plus a buffer) with quantisation that keeps polygons valid. */
#ifndef PLANKIT_TILE_CLIP_INT_H
#define PLANKIT_TILE_CLIP_INT_H

#include <stdint.h>
#include <geos_c.h>
#include "ctx_int.h"

/* Half the width of the Web Mercator (EPSG:3857) square, metres. */
#define PK_MERCATOR_HALF 20037508.342789244

/* The box of tile z/x/y (XYZ scheme: y = 0 at the north) in EPSG:3857
 * metres: xmin, ymin, xmax, ymax. */
void pk_tile_box_3857(int z, uint32_t x, uint32_t y, double box[4]);

/* Clip g (EPSG:3857 metres) to tile z/x/y expanded by buffer tile units on
 * every side, and transform it to tile coordinates of the given extent
 * (x right, y down, origin at the tile's north-west corner), rounded to
 * integers. The result keeps g's dimension only (polygons stay polygons, as
 * a MultiPolygon; lines a MultiLineString; points a MultiPoint); a
 * polygonal result made invalid by rounding (self-touching rings, collapsed
 * slivers) is made valid with GEOSMakeValid and snapped back to the integer
 * grid with GEOSGeom_setPrecision. *out: caller frees with
 * GEOSGeom_destroy_r; NULL when nothing of g is left in the tile. Returns
 * PK_OK, PK_ERR_ARGS (bad z/x/y, extent 0) or PK_ERR_GEOS. */
int pk_tile_clip(struct pk_ctx *ctx, const GEOSGeometry *g, int z, uint32_t x, uint32_t y,
                 uint32_t extent, uint32_t buffer, GEOSGeometry **out);

/* Tile coordinates of a point (x, y): ((x - ox) * sx, (y - oy) * sy). */
struct pk_tile_affine {
    double ox, oy, sx, sy;
};

/* The general form of pk_tile_clip: g cut to rect (xmin, ymin, xmax, ymax
 * in g's units), mapped to tile coordinates by t and rounded, then kept to
 * g's dimension and made valid on the integer grid as above. *out: caller
 * frees; NULL when nothing is left. Returns PK_OK or PK_ERR_GEOS. */
int pk_tile_clip_box(struct pk_ctx *ctx, const GEOSGeometry *g, const double rect[4], const struct pk_tile_affine *t,
                     GEOSGeometry **out);

#endif
