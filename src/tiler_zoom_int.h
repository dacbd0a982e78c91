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

/* Make and write every tile of zoom z. */
int tl_tile_zoom(struct tl_run *R, int z);

#endif
