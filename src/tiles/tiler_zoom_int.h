/* tiler_zoom_int.h — the state of one export run shared by tiler.c and
 * tiler_zoom.c. */
#ifndef PLANKIT_TILER_ZOOM_INT_H
#define PLANKIT_TILER_ZOOM_INT_H

#include "tile_sink_int.h"
#include "tiler_read_int.h"

struct tl_run {
    struct pk_ctx *ctx;                 /* the store's */
    const struct pk_tiles_opts *opts;
    const struct tl_layers *L;
    const struct tl_features *F;
    const struct tl_grid *grid;
    int64_t range[PK_TILES_MAX_ZOOM + 1][4]; /* tiles to make per zoom: x0, y0, x1, y1 */
    struct pk_pool *pool;
    struct pk_worker *main_w;
    struct pk_tile_sink *sink;
    int resumed;                        /* the sink is an MBTiles .part reopened */
    struct pk_tiles_result *res;
    pk_progress_fn progress;
    void *progress_arg;
};

/* Make and write every tile of zoom z (tiler_zoom.c). */
int tl_tile_zoom(struct tl_run *R, int z);

/* One feature's piece of one tile: MVT geometry commands (tile
 * coordinates) at bytes[off .. off + len) of the list that holds it. */
struct tl_piece {
    uint32_t x, y;
    uint32_t feature;            /* index into the run's features */
    uint32_t len;
    size_t off;
};

/* Pieces made by one job; bytes and v owned (tl_pieces_free). */
struct tl_pieces {
    struct tl_piece *v;
    size_t n, cap;
    struct pk_tbuf bytes;
};

void tl_pieces_free(struct tl_pieces *P);

/* The polygons kept as a one-unit square at a zoom: the square's corner
 * (grid units of the zoom; at the feature's label point, or the nearest
 * cell no other square of the layer took), layer and feature. */
struct tl_square {
    int64_t x, y;
    int layer;
    size_t feature;
    int real;                    /* not a square: a polygon of one cell or less, kept as it is, whose cell
                                  * the squares avoid */
};

struct tl_squares {
    struct tl_square *v;
    size_t n;
};

/* Append to out the pieces of feature `index` at zoom z (tiler_piece.c):
 * its geometry on the zoom's grid (its square when square is not NULL; else
 * simplified, valid, with the squares S of its layer's other features cut
 * out) clipped to every tile of the export range it meets. A polygon left
 * with no piece at all is kept as a square in its label's tile. Adds to
 * *kept_tiny (kept as a square) and *dropped (left with nothing although in
 * range). Returns PK_OK, PK_ERR_NOMEM or PK_ERR_GEOS (error in w->ctx). */
int tl_feature_pieces(struct pk_worker *w, const struct tl_run *R, int z, size_t index, const struct tl_squares *S,
                      const struct tl_square *square, struct tl_pieces *out, long long *kept_tiny,
                      long long *dropped);

#endif
