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
/* Simplification tolerance of every zoom, tile units (1/4096 of a tile). */
#define TL_SIMPLIFY 1.0

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
    uint8_t *junction;             /* polygons: one bit per point, set where shared borders end (tiler_arcs.c);
                                    * owned, NULL until marked */
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

/* Feature f on the grid of zoom z, as a GEOS geometry in grid units of
 * zoom z (4096 a tile, x east, y south from the world's north-west corner;
 * integers), simplified arc by arc with tolerance tol units of z
 * (tiler_arcs.c; 0 = not simplified), consecutive repeated points and
 * spikes removed and collapsed rings and lines left out. *tiny is set when f
 * is a polygon all of whose rings collapse at z: then *out is a one-unit
 * square at its label point instead. *out NULL when nothing is left.
 * Caller frees *out with GEOSGeom_destroy_r. Returns PK_OK, PK_ERR_NOMEM or
 * PK_ERR_GEOS. */
int tl_feature_at_zoom(struct pk_ctx *ctx, const struct tl_feature *f, const struct tl_grid *grid, int z, double tol,
                       GEOSGeometry **out, int *tiny);

/* A one-unit square of zoom z's grid at f's label point (grid units of z).
 * Caller frees with GEOSGeom_destroy_r; NULL on a GEOS failure. */
GEOSGeometry *tl_feature_square(struct pk_ctx *ctx, const struct tl_feature *f, const struct tl_grid *grid, int z);
/* The square [x, x+1] x [y, y+1] (grid units); as tl_feature_square. */
GEOSGeometry *tl_unit_square(struct pk_ctx *ctx, int64_t x, int64_t y);

/* Make a polygonal *g valid keeping every area its exterior rings cover
 * (GEOS's "structure" method: shells unioned, holes subtracted), so a ring
 * that folds over itself on a coarse grid does not open a hole between
 * neighbours as the linework method would, then snap-round it back to
 * whole units. *g is replaced; when GEOS fails with that method the
 * linework one is used, and when it fails too *g is left to pk_tile_clip's
 * repair. *exact is set when *g is valid with whole-unit coordinates (so
 * its pieces need no repair). Returns PK_OK. */
int tl_make_valid(struct pk_ctx *ctx, GEOSGeometry **g, int *exact);

/* Grid point of f's label at zoom z: the tile (x, y) holding it. */
void tl_label_tile(const struct tl_feature *f, const struct tl_grid *grid, int z, uint32_t *tx, uint32_t *ty);

/* Grid coordinate g of the grid's zoom on zoom z's grid. */
int64_t tl_at_zoom(int32_t g, const struct tl_grid *grid, int z);

#endif
