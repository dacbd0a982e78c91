/* raster.h — raster tiles of a MapLibre style drawn straight from the store
 * (`plankit tiles raster`).
 *
 * pk_tiles_raster draws the XYZ tiles of a zoom range as 256x256 (512x512
 * at scale 2) antialiased PNG images with Cairo: each style layer's
 * source-layer names a store layer (or the tile contract's `labels`
 * layer), features are read by bounding box through the feature reader on
 * a pool of workers, projected once to Web Mercator per metatile (a block
 * of up to 8x8 tiles drawn at once) and clipped to it with a 64-pixel
 * buffer. Labels are placed once per zoom over the whole tile set (Pango,
 * with a CJK font ending every font list), so no two collide and a label
 * crossing a tile edge is drawn identically in both tiles.
 *
 * Scale: a 256-pixel tile of zoom z shows what MapLibre GL JS draws at zoom
 * z - 1 (its world is 512 pixels wide at zoom 0), so the style is
 * evaluated at zoom z - 1 (0 for z = 0) and the tiles look like the web
 * map at the same map scale; scale 2 draws the same tiles at twice the
 * pixel density.
 *
 * The output is an MBTiles 1.3 file (format png), a PMTiles v3 archive
 * (tile type png) or a folder of z/x/y.png with a TileJSON, chosen from its
 * name, written under a temporary name and moved into place when complete:
 * a failure or a cancel leaves nothing (and an existing output, replaced
 * with force, untouched).
 *
 *     struct pk_raster_opts o = {.style = "styles/zones.json", .output = "zones.mbtiles",
 *                                .minzoom = 8, .maxzoom = 14, .scale = 1};
 *     if (pk_tiles_raster(store, &o, &res, NULL, NULL) != PK_OK)
 *         fprintf(stderr, "%s\n", pk_errmsg(ctx));
 */
#ifndef PLANKIT_RASTER_H
#define PLANKIT_RASTER_H

#include "plankit/ctx.h"
#include "plankit/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PK_RASTER_MAX_ZOOM 22

struct pk_raster_opts {
    const char *style;          /* MapLibre v8 style file */
    const char *output;         /* .mbtiles, .pmtiles, or a folder (z/x/y.png + tiles.json) */
    int minzoom, maxzoom;       /* 0..22, minzoom <= maxzoom */
    const double *bbox;         /* west, south, east, north in degrees; NULL = the extent of the
                                 * store layers the style draws */
    int scale;                  /* 1: 256-pixel tiles, 2: 512-pixel tiles (0 = 1) */
    int threads;                /* 0 = one per CPU */
    int force;                  /* replace an existing output (only once the new one is complete) */
};

struct pk_raster_result {
    long long tiles;            /* tiles written */
    long long bytes;            /* PNG bytes written (before deduplication) */
    long long features;         /* features drawn, summed over metatiles */
    long long labels;           /* labels placed, summed over zooms */
    long long labels_dropped;   /* labels left out because they would have overlapped one placed */
    double bounds[4];           /* the tiled extent, degrees */
};

/* Draw the raster tiles as described above. progress (may be NULL) is
 * called from the calling thread; returning 0 cancels (PK_ERR_CANCELLED).
 * res may be NULL. Errors (one line, in the store's ctx): PK_ERR_ARGS
 * (zooms, scale, bbox), PK_ERR_EXISTS (the output exists and not force),
 * the style's errors (not JSON, unknown layer type, a source-layer the
 * store lacks), PK_ERR_IO, PK_ERR_DB, PK_ERR_CAIRO, PK_ERR_NOMEM,
 * PK_ERR_CANCELLED. */
int pk_tiles_raster(struct pk_store *store, const struct pk_raster_opts *opts, struct pk_raster_result *res,
                    pk_progress_fn progress, void *arg);

/* Release the font and drawing caches Pango, Cairo and fontconfig keep for
 * the process (so a leak checker sees only real leaks). Call once, at
 * exit, when no thread draws any more. */
void pk_raster_release_caches(void);

#ifdef __cplusplus
}
#endif
#endif
