/* tile_mvt_int.h — the Mapbox Vector Tile (spec 2.1) encoder: tiles of named
 * layers, features with an id, one geometry in integer tile coordinates
 * (x right, y down, 0..extent inside the tile) and typed attributes whose
 * keys and values are deduplicated per layer.
 *
 *     struct pk_mvt_tile *t = pk_mvt_tile_new();
 *     struct pk_mvt_layer *l;
 *     pk_mvt_tile_add_layer(t, "towns", 4096, &l);
 *     pk_mvt_geom_from_geos(h, g, &geom);   (or pk_mvt_geom_add_part)
 *     pk_mvt_layer_add_feature(l, 1, id, &geom, attrs, nattrs, NULL);
 *     pk_mvt_tile_serialize(t, 1, &bytes);  (gzipped)
 *
 * Geometry is normalised while a feature is added: consecutive duplicate
 * points are removed, ring closing points become ClosePath, exterior rings
 * are turned to positive area by the spec's surveyor's formula in tile
 * coordinates (clockwise on screen, y down) and holes to negative area.
 * Rings left with fewer than 3 distinct points or zero area, and lines with
 * fewer than 2 distinct points, are dropped and counted (struct
 * pk_mvt_drops), as are the holes of a dropped exterior and features left
 * without geometry. The encoder is not thread-safe per tile; use one tile
 * per thread. */
#ifndef PLANKIT_TILE_MVT_INT_H
#define PLANKIT_TILE_MVT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <geos_c.h>
#include "tile_buf_int.h"

#define PK_MVT_EXTENT 4096
#define PK_MVT_VERSION 2
/* Largest |coordinate| accepted, so deltas fit the 32-bit zigzag encoding. */
#define PK_MVT_COORD_MAX (1 << 29)

enum pk_mvt_geom_type { PK_MVT_UNKNOWN = 0, PK_MVT_POINT = 1, PK_MVT_LINESTRING = 2, PK_MVT_POLYGON = 3 };

/* One part: a point set (PK_MVT_POINT, all points in one part or several),
 * a line, or a ring (hole = 0 for an exterior, 1 for a hole of the last
 * exterior). Points start .. start + n - 1 of the geometry's xy. */
struct pk_mvt_part {
    size_t start, n;
    int hole;
};

/* A geometry being built: zero-initialise or pk_mvt_geom_reset; free with
 * pk_mvt_geom_free. Reuse one across features. */
struct pk_mvt_geom {
    enum pk_mvt_geom_type type;
    int32_t *xy;                 /* x y pairs */
    size_t npts, cap_pts;
    struct pk_mvt_part *parts;
    size_t nparts, cap_parts;
};

/* What normalisation removed (counts add up over calls). */
struct pk_mvt_drops {
    size_t rings;     /* rings collapsed to < 3 distinct points or zero area, and their holes */
    size_t lines;     /* lines collapsed to < 2 distinct points */
    size_t features;  /* features left without geometry (not written) */
};

enum pk_mvt_value_type { PK_MVT_STRING = 1, PK_MVT_INT = 2, PK_MVT_DOUBLE = 3, PK_MVT_BOOL = 4 };

/* One attribute; the value is the member that type names. Strings are UTF-8
 * (borrowed). MVT has no null: leave null attributes out. */
struct pk_mvt_attr {
    const char *key;
    enum pk_mvt_value_type type;
    union {
        const char *s;
        int64_t i;
        double d;
        int b;
    } v;
};

struct pk_mvt_tile;
struct pk_mvt_layer;

/* Empty geometry of the given type (keeps the allocations). */
void pk_mvt_geom_reset(struct pk_mvt_geom *g, enum pk_mvt_geom_type type);
void pk_mvt_geom_free(struct pk_mvt_geom *g);
/* Append a part of n points (x y pairs, copied). Rings may be closed or not.
 * Returns PK_OK, PK_ERR_ARGS (a hole before any exterior, a hole in a
 * non-polygon, a coordinate beyond PK_MVT_COORD_MAX) or PK_ERR_NOMEM. */
int pk_mvt_geom_add_part(struct pk_mvt_geom *g, const int32_t *xy, size_t n, int hole);
/* Read a GEOS (Multi)Point, (Multi)LineString or (Multi)Polygon whose
 * coordinates are tile coordinates into g (reset first), rounding each to
 * the nearest integer. Other types and non-finite or too large coordinates:
 * PK_ERR_DATA. Empty input gives an empty g. */
int pk_mvt_geom_from_geos(GEOSContextHandle_t h, const GEOSGeometry *src, struct pk_mvt_geom *g);

/* Twice the signed area of a closed ring of n distinct points by the
 * surveyor's formula, sum of x[i]*y[i+1] - x[i+1]*y[i]; positive is an MVT
 * exterior ring. */
int64_t pk_mvt_ring_area2(const int32_t *xy, size_t n);

/* Encode g as MVT geometry commands (packed varints, appended to cmds)
 * after normalising it; *nparts_out = parts written (0: nothing left).
 * drops (may be NULL) gets the drops added. Used by the layer encoder.
 * Returns PK_OK or PK_ERR_NOMEM. */
int pk_mvt_geom_encode(const struct pk_mvt_geom *g, struct pk_tbuf *cmds, size_t *nparts_out,
                       struct pk_mvt_drops *drops);

/* A new empty tile, or NULL when out of memory. Caller frees with
 * pk_mvt_tile_free (accepts NULL), which also frees its layers. */
struct pk_mvt_tile *pk_mvt_tile_new(void);
void pk_mvt_tile_free(struct pk_mvt_tile *t);
/* Add a layer named name (UTF-8, copied, unique in the tile) with the given
 * extent (0 = 4096), version 2. *layer is owned by the tile. Returns PK_OK,
 * PK_ERR_EXISTS (name taken), PK_ERR_ARGS (empty name) or PK_ERR_NOMEM. */
int pk_mvt_tile_add_layer(struct pk_mvt_tile *t, const char *name, uint32_t extent,
                          struct pk_mvt_layer **layer);
/* Add a feature: id written when has_id, geometry g normalised as described
 * above, nattrs attributes (a NULL key or string, or a key given twice, is
 * PK_ERR_ARGS). A feature
 * whose geometry is all dropped is not written. drops (may be NULL) gets
 * this call's drops added. Returns PK_OK, PK_ERR_ARGS or PK_ERR_NOMEM. */
int pk_mvt_layer_add_feature(struct pk_mvt_layer *l, int has_id, uint64_t id,
                             const struct pk_mvt_geom *g, const struct pk_mvt_attr *attrs,
                             size_t nattrs, struct pk_mvt_drops *drops);
/* Add a feature whose geometry is already encoded: cmds[0..len) are the
 * commands pk_mvt_geom_encode wrote for a geometry of this type (and tile
 * extent); len 0 adds nothing. Attributes as for pk_mvt_layer_add_feature.
 * Lets a tiler encode each piece once where it is made and assemble tiles
 * later. Returns PK_OK, PK_ERR_ARGS or PK_ERR_NOMEM. */
int pk_mvt_layer_add_encoded(struct pk_mvt_layer *l, int has_id, uint64_t id, enum pk_mvt_geom_type type,
                             const void *cmds, size_t len, const struct pk_mvt_attr *attrs, size_t nattrs);
/* Features written so far, and all drops so far, of a layer. */
size_t pk_mvt_layer_nfeatures(const struct pk_mvt_layer *l);
struct pk_mvt_drops pk_mvt_layer_drops(const struct pk_mvt_layer *l);
/* Number of keys / values in the layer's tables (after deduplication). */
size_t pk_mvt_layer_nkeys(const struct pk_mvt_layer *l);
size_t pk_mvt_layer_nvalues(const struct pk_mvt_layer *l);
/* Features in all layers. */
size_t pk_mvt_tile_nfeatures(const struct pk_mvt_tile *t);
/* Encode the tile (layers without features are left out) into *out (reset
 * first), gzipped when gzip is 1. Caller owns out. Returns PK_OK or
 * PK_ERR_NOMEM. */
int pk_mvt_tile_serialize(const struct pk_mvt_tile *t, int gzip, struct pk_tbuf *out);

#endif
