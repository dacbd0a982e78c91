/* tiler_raster_draw.c — drawing raster tiles: a block of tiles (a metatile)
 * drawn at once with the Cairo render core into one surface, its labels
 * taken from the zoom's global placement (render_label.c) in world pixels,
 * each tile of the block then cut out of it and encoded as a PNG
 * (tiler_raster_png.c). Drawing a
 * block of any size gives the same pixels in each tile as drawing that tile
 * alone, up to antialiasing of the edges the render core clips at. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tile_clip_int.h"
#include "tiler_raster_int.h"

double pk_raster_style_zoom(int z) { return z > 0 ? z - 1 : 0; }

void pk_raster_tiles_box(int z, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, double margin_px,
                         double box[4])
{
    double tile_m = 2 * PK_MERCATOR_HALF / ldexp(1.0, z), m = margin_px * tile_m / PK_RASTER_TILE;
    box[0] = -PK_MERCATOR_HALF + x0 * tile_m - m;
    box[2] = -PK_MERCATOR_HALF + (x1 + 1.0) * tile_m + m;
    box[3] = PK_MERCATOR_HALF - y0 * tile_m + m;
    box[1] = PK_MERCATOR_HALF - (y1 + 1.0) * tile_m - m;
}

int pk_raster_place_labels(struct pk_worker *w, const struct pk_render_layers *layers, int z, int scale,
                           const uint32_t range[4], struct pk_label_set **out)
{
    struct pk_label_grid g = {.zoom = pk_raster_style_zoom(z), .world_px = ldexp(PK_RASTER_TILE, z),
                              .scale = scale};
    /* a label whose anchor is up to a tile outside the range may still reach into it */
    pk_raster_tiles_box(z, range[0], range[1], range[2], range[3], PK_RASTER_TILE, g.box);
    return pk_label_set_place(w, layers, &g, out);
}

/* The labels hook of a block: its window in world pixels. */
struct block_labels {
    struct pk_ctx *ctx;
    const struct pk_label_set *set;
    double ox, oy, w, h;
};

static int draw_block_labels(void *arg, int layer, cairo_t *cr)
{
    const struct block_labels *B = arg;
    return pk_label_set_draw(B->ctx, B->set, layer, cr, B->ox, B->oy, B->w, B->h);
}

int pk_raster_draw_block(struct pk_worker *w, const struct pk_raster_zoom *Z, uint32_t x0, uint32_t y0, int nx,
                         int ny, cairo_surface_t **out, long *features)
{
    const int M = PK_RASTER_BLOCK_MARGIN;
    int width = nx * PK_RASTER_TILE + 2 * M, height = ny * PK_RASTER_TILE + 2 * M;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width * Z->scale, height * Z->scale);
    cairo_t *cr = cairo_create(s);
    *out = NULL;
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        cairo_destroy(cr);
        cairo_surface_destroy(s);
        return pk_error(w->ctx, PK_ERR_NOMEM, "cannot make a %dx%d image for tiles %d/%u/%u", width * Z->scale,
                        height * Z->scale, Z->z, x0, y0);
    }
    cairo_scale(cr, Z->scale, Z->scale);
    /* the block and a margin: Cairo's own clipping at the image's edges stays away from the tiles */
    struct block_labels B = {.ctx = w->ctx, .set = Z->labels, .ox = (double)x0 * PK_RASTER_TILE - M,
                             .oy = (double)y0 * PK_RASTER_TILE - M, .w = width, .h = height};
    struct pk_render_view view = {.zoom = pk_raster_style_zoom(Z->z), .width = width, .height = height,
                                  .labels = draw_block_labels, .labels_arg = &B,
                                  .world_px = ldexp(PK_RASTER_TILE, Z->z)};
    pk_raster_tiles_box(Z->z, x0, y0, x0 + (uint32_t)nx - 1, y0 + (uint32_t)ny - 1, M, view.bbox);
    struct pk_render_stats stats;
    int rc = Z->labels ? pk_render_map(w, Z->layers, &view, cr, &stats)
                       : pk_error(w->ctx, PK_ERR_ARGS, "tiles of zoom %d have no label placement", Z->z);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    if (rc != PK_OK) {
        pk_error_prefix(w->ctx, "tiles %d/%u/%u", Z->z, x0, y0);
        cairo_surface_destroy(s);
        return rc;
    }
    if (features)
        *features = stats.features;
    *out = s;
    return PK_OK;
}
