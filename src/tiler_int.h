/* tiler_int.h — what the vector tiler's files share: the features it holds
 * in memory (snapped to an integer grid of the world), the tile layers, and
 * the per-zoom geometry step (tiler_geom.c).
 *
 * Coordinates are kept as int32 on the world grid of zoom G = min(maxzoom,
 * 18) with 4096 units per tile (2^(12+G) units across the world, x east, y
 * south from the north edge of Web Mercator): 8 bytes a vertex. The grid of
 * a lower zoom z is derived pointwise (round g / 2^(G-z)), so a border two
 * polygons share is one and the same sequence of grid points in both, at
 * every zoom. */
#ifndef PLANKIT_TILER_INT_H
#define PLANKIT_TILER_INT_H

#include <stdint.h>
#include "ctx_int.h"
#include "layer_int.h"
#include "tile_mvt_int.h"

#define TL_EXTENT 4096
#define TL_BUFFER 64
#define TL_GRID_MAX_ZOOM 18

/* One ring, line or point set of a feature: points start .. start+n-1. */
struct tl_part {
    uint32_t start, n;
    int hole;
};

struct tl_feature {
    long long fid;                 /* the MVT feature id */
    int layer;                     /* index into the tiler's layers */
    enum pk_mvt_geom_type type;
    int32_t *xy;                   /* grid x y pairs, owned */
    uint32_t npts;
    struct tl_part *parts;         /* owned */
    uint32_t nparts;
    int32_t box[4];                /* grid xmin, ymin, xmax, ymax */
    int32_t label[2];              /* grid point on surface (polygons) */
    struct pk_mvt_attr *attrs;     /* owned, with their keys borrowed from the layer and strings owned */
    int nattrs;
    char *name;                    /* the feature's name field, for labels; owned, may be NULL */
};

/* The grid: zoom G and the size of the world in grid units. */
struct tl_grid {
    int zoom;
    double units;
};

/* Free what f owns (not f itself). */
void tl_feature_release(struct tl_feature *f);

/* Fill f's geometry from g (EPSG:3857 metres): points, lines or polygons
 * (other types and empty g: f->npts = 0). Returns PK_OK, PK_ERR_NOMEM or
 * PK_ERR_GEOS (error in ctx). */
int tl_feature_set_geom(struct pk_ctx *ctx, struct tl_feature *f, const struct tl_grid *grid,
                        const GEOSGeometry *g);

/* Feature f on the grid of zoom z, as a GEOS geometry in EPSG:3857 metres
 * whose vertices are exactly grid points of z (so pk_tile_clip rounds them
 * back to the same integers), consecutive repeated points removed and
 * collapsed rings and lines left out. *tiny is set when f is a polygon all
 * of whose rings collapse at z: then *out is a one-unit square at its label
 * point instead. *out NULL when nothing is left. Caller frees *out with
 * GEOSGeom_destroy_r. Returns PK_OK, PK_ERR_NOMEM or PK_ERR_GEOS. */
int tl_feature_at_zoom(struct pk_ctx *ctx, const struct tl_feature *f, const struct tl_grid *grid, int z,
                       GEOSGeometry **out, int *tiny);

/* A one-unit square of zoom z's grid at f's label point (EPSG:3857
 * metres). Caller frees with GEOSGeom_destroy_r; NULL on a GEOS failure. */
GEOSGeometry *tl_feature_square(struct pk_ctx *ctx, const struct tl_feature *f, const struct tl_grid *grid, int z);

/* Make a polygonal *g valid keeping every area its exterior rings cover
 * (GEOS's "structure" method: shells unioned, holes subtracted), so a ring
 * that folds over itself on a coarse grid does not open a hole between
 * neighbours as the linework method would. *g is replaced; when GEOS fails
 * with that method the linework one is used, and when it fails too *g is
 * left to pk_tile_clip's repair. Returns PK_OK. */
int tl_make_valid(struct pk_ctx *ctx, GEOSGeometry **g);

/* Grid point of f's label at zoom z: the tile (x, y) holding it. */
void tl_label_tile(const struct tl_feature *f, const struct tl_grid *grid, int z, uint32_t *tx, uint32_t *ty);

/* Grid coordinate g of the grid's zoom on zoom z's grid. */
int64_t tl_at_zoom(int32_t g, const struct tl_grid *grid, int z);

#endif
