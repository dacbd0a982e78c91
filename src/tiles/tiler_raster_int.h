/* tiler_raster_int.h — the drawing of raster tiles (tiler_raster_draw.c),
 * used by the raster tiler (tiler_raster.c) and its tests: the labels of
 * one zoom placed once over the whole tile range, and blocks of tiles
 * (metatiles) drawn at once into one Cairo surface, then cut into PNGs. */
#ifndef PLANKIT_TILER_RASTER_INT_H
#define PLANKIT_TILER_RASTER_INT_H

#include <stdint.h>

#include "render_int.h"
#include "tile_buf_int.h"

#define PK_RASTER_TILE 256           /* logical pixels per tile side */
#define PK_RASTER_BLOCK_MARGIN 32    /* logical pixels drawn around a block, not part of any tile */

/* What draws the tiles of one zoom; read-only while blocks are drawn, so
 * workers share it. */
struct pk_raster_zoom {
    const struct pk_render_layers *layers;
    const struct pk_label_set *labels; /* NULL: no symbol layer is drawn */
    int z;
    int scale;                         /* device pixels per logical pixel: 1 or 2 */
};

/* The style zoom a 256-pixel tile of zoom z is drawn at: z - 1, as MapLibre
 * (a 512-pixel world at zoom 0) shows the same map scale; 0 at z = 0. */
double pk_raster_style_zoom(int z);

/* EPSG:3857 box of the tiles x0..x1, y0..y1 (inclusive) of zoom z,
 * widened by margin_px logical pixels on every side. */
void pk_raster_tiles_box(int z, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, double margin_px,
                         double box[4]);

/* Place the labels of zoom z over the tiles x0..x1, y0..y1 (range: x0, y0,
 * x1, y1) and a margin around them. *out: caller frees with
 * pk_label_set_free. Errors in w->ctx. */
int pk_raster_place_labels(struct pk_worker *w, const struct pk_render_layers *layers, int z, int scale,
                           const uint32_t range[4], struct pk_label_set **out);

/* Draw the nx x ny tiles from x0, y0 of zoom Z->z into a new ARGB32
 * surface of (n x 256 + 2 x PK_RASTER_BLOCK_MARGIN) x scale pixels a side
 * (the tiles and a margin around them), on w. *features counts
 * the features drawn (may be NULL). *out: caller frees with
 * cairo_surface_destroy. Errors in w->ctx. */
int pk_raster_draw_block(struct pk_worker *w, const struct pk_raster_zoom *Z, uint32_t x0, uint32_t y0, int nx,
                         int ny, cairo_surface_t **out, long *features);

/* The PNG of tile (tx, ty) of a block surface (tile column and row within
 * it, after the margin) appended to png. Returns PK_OK, or PK_ERR_CAIRO / PK_ERR_NOMEM in ctx. */
int pk_raster_tile_png(struct pk_ctx *ctx, cairo_surface_t *block, int scale, int tx, int ty, struct pk_tbuf *png);

#endif
