/* tile_sink_int.h — tile containers behind one small ops table: MBTiles 1.3
 * (SQLite), PMTiles v3 (one file) and a z/x/y.pbf folder with a TileJSON
 * 3.0 file. The tiler opens a sink, puts each finished tile once, and
 * finishes (or aborts) it:
 *
 *     const struct pk_tile_sink_ops *ops = pk_tile_sink_for_path(path);
 *     struct pk_tile_sink *s;
 *     if (ops->open(ctx, path, &meta, &s) == PK_OK) {
 *         ... ops->put(s, z, x, y, gz, gz_len) for each tile ...
 *         rc = ops->finish(s);            (or ops->abort(s) on failure)
 *     }
 *
 * Every sink writes under a temporary name in the destination's folder and
 * moves the result into place at finish; abort (and a failed finish)
 * leaves nothing behind. An existing destination is refused at open
 * (PK_ERR_EXISTS), as for the other outputs. Tiles are given gzipped (the
 * output of pk_mvt_tile_serialize with gzip = 1) in the XYZ scheme (y = 0
 * at the north); each sink stores them as its format wants. One sink is
 * used by one thread at a time; errors are recorded in the ctx given to
 * open. A tileset of PNG images (meta->format "png", raster tiles) takes
 * PNG data as it is: MBTiles format png, PMTiles tile type png with no
 * tile compression, folders of z/x/y.png. */
#ifndef PLANKIT_TILE_SINK_INT_H
#define PLANKIT_TILE_SINK_INT_H

#include <stddef.h>
#include <stdint.h>
#include "ctx_int.h"

/* One attribute of a layer: name and "String", "Number" or "Boolean". */
struct pk_tile_field {
    const char *name;
    const char *type;
};

/* One vector layer as TileJSON's vector_layers describes it. */
struct pk_tile_layer_meta {
    const char *id;                    /* the MVT layer name */
    const char *description;           /* may be NULL */
    const struct pk_tile_field *fields;
    int nfields;
    int minzoom, maxzoom;
};

/* What a tileset says about itself. All strings UTF-8, borrowed. */
struct pk_tile_meta {
    const char *name;
    const char *description;           /* may be NULL */
    const char *attribution;           /* may be NULL */
    double bounds[4];                  /* west, south, east, north in degrees */
    double center[3];                  /* longitude, latitude, zoom */
    int minzoom, maxzoom;
    const struct pk_tile_layer_meta *layers;
    int nlayers;
    const char *format;                /* NULL or "pbf": gzipped MVT tiles; "png": PNG images
                                        * (raster tiles: no vector_layers, stored as given) */
};

/* The part every sink starts with; each format extends it. */
struct pk_tile_sink {
    const struct pk_tile_sink_ops *ops;
    struct pk_ctx *ctx;
};

struct pk_tile_sink_ops {
    const char *format;                /* "mbtiles", "pmtiles" or "dir" */
    /* Start writing path. meta is copied as needed. *sink: end it with
     * finish or abort. PK_ERR_EXISTS, PK_ERR_ARGS (bad metadata), PK_ERR_IO,
     * PK_ERR_DB, PK_ERR_NOMEM. */
    int (*open)(struct pk_ctx *ctx, const char *path, const struct pk_tile_meta *meta,
                struct pk_tile_sink **sink);
    /* Store tile z/x/y (XYZ), len gzipped bytes (len > 0). A tile put twice
     * or not a tile: PK_ERR_ARGS, and the sink goes on. Any other failure
     * (PK_ERR_IO, PK_ERR_DB, PK_ERR_NOMEM): abort the sink. */
    int (*put)(struct pk_tile_sink *s, int z, uint32_t x, uint32_t y, const void *data, size_t len);
    /* Complete the file, move it into place and free the sink (also on
     * failure, which removes what was written). A PMTiles archive needs at
     * least one tile (PK_ERR_ARGS otherwise); the others may be empty. */
    int (*finish)(struct pk_tile_sink *s);
    /* Remove what was written and free the sink; accepts NULL. */
    void (*abort)(struct pk_tile_sink *s);
};

extern const struct pk_tile_sink_ops pk_tile_mbtiles_ops;
extern const struct pk_tile_sink_ops pk_tile_pmtiles_ops;
extern const struct pk_tile_sink_ops pk_tile_dir_ops;

/* The sink for a destination: .mbtiles, .pmtiles, otherwise a folder. */
const struct pk_tile_sink_ops *pk_tile_sink_for_path(const char *path);

/* 0 if z/x/y is a tile (0 <= z <= 30, x and y < 2^z), else
 * pk_error(PK_ERR_ARGS). */
int pk_tile_check_zxy(struct pk_ctx *ctx, int z, uint32_t x, uint32_t y);

/* What every put checks: z/x/y is a tile, len > 0 and fits 32 bits, and
 * the data starts with the gzip magic bytes. PK_ERR_ARGS otherwise. */
int pk_tile_check_put(struct pk_ctx *ctx, int z, uint32_t x, uint32_t y, const void *data, size_t len);

/* 1 when the tileset holds PNG images (meta->format "png"), 0 for MVT. */
int pk_tile_meta_png(const struct pk_tile_meta *meta);
/* What every put of a PNG tileset checks: z/x/y is a tile, len fits 32
 * bits and the data starts with the PNG signature. PK_ERR_ARGS otherwise. */
int pk_tile_check_put_png(struct pk_ctx *ctx, int z, uint32_t x, uint32_t y, const void *data, size_t len);

/* Metadata checks shared by the sinks: name set, zooms 0..30 in order,
 * bounds within the world, every layer with an id. PK_ERR_ARGS otherwise. */
int pk_tile_meta_check(struct pk_ctx *ctx, const struct pk_tile_meta *meta);
/* The vector_layers array as JSON text: [{"id", "description", "fields":
 * {name: type}, "minzoom", "maxzoom"}, ...], inside an object
 * {"vector_layers": [...]} when wrap is 1. Caller frees with free; NULL when
 * out of memory. */
char *pk_tile_meta_vector_layers_json(const struct pk_tile_meta *meta, int wrap);
/* The PMTiles JSON metadata: name, description, attribution, type
 * "overlay", vector_layers. Caller frees with free; NULL when out of memory. */
char *pk_tile_meta_pmtiles_json(const struct pk_tile_meta *meta);
/* A TileJSON 3.0.0 document for a z/x/y.pbf folder: tiles
 * ["{z}/{x}/{y}.pbf"] relative to the document, name, bounds, center,
 * zooms, vector_layers. Caller frees with free; NULL when out of memory. */
char *pk_tile_meta_tilejson(const struct pk_tile_meta *meta);

/* MBTiles only: reopen the unfinished temporary file of path (left by a
 * sink that was neither finished nor aborted, e.g. after a crash) to go
 * on writing it; metadata is rewritten from meta. PK_ERR_NOTFOUND when
 * there is none, PK_ERR_EXISTS when another process is writing it (a
 * fresh open refuses such a .part too, and removes one left by a process
 * that died). End *sink with pk_tile_mbtiles_ops.finish or abort. */
int pk_mbtiles_resume(struct pk_ctx *ctx, const char *path, const struct pk_tile_meta *meta,
                      struct pk_tile_sink **sink);
/* *has = 1 if an MBTiles sink already holds tile z/x/y (XYZ). */
int pk_mbtiles_has_tile(struct pk_tile_sink *s, int z, uint32_t x, uint32_t y, int *has);
/* Call fn(z, x, y, arg) (XYZ) for every tile an MBTiles sink holds, in
 * zoom, column, row order; fn returns 0 to go on, non-zero to stop (then
 * PK_ERR_CANCELLED). */
int pk_mbtiles_each_tile(struct pk_tile_sink *s, int (*fn)(int z, uint32_t x, uint32_t y, void *arg),
                         void *arg);
/* Tiles an MBTiles sink holds (committed or not). */
int pk_mbtiles_count(struct pk_tile_sink *s, long long *count);
/* Commit the tiles put so far, so that a later pk_mbtiles_resume finds
 * them even if this process dies (the sink also commits every 1000 tiles). */
int pk_mbtiles_checkpoint(struct pk_tile_sink *s);
/* The temporary name an MBTiles sink writes path under ("<path>.part").
 * Caller frees with free; NULL when out of memory. */
char *pk_mbtiles_temp_path(const char *path);

/* PMTiles tile id of z/x/y: tiles of lower zooms first, then the position
 * on the zoom's Hilbert curve. */
uint64_t pk_pmtiles_tile_id(int z, uint32_t x, uint32_t y);

/* Remove a file or a folder with everything in it (no symlinks followed).
 * Returns 0, or -1 when something could not be removed. */
int pk_tile_remove_tree(const char *path);

#endif
