/* tiles.h — vector tiles of store layers (`plankit tiles vector`).
 *
 * pk_tiles_vector reads the features of some layers, projects each once to
 * Web Mercator (EPSG:3857), cuts them into the XYZ tiles of a zoom range
 * and writes Mapbox Vector Tiles 2.1 (extent 4096, gzipped) into an
 * MBTiles, PMTiles or z/x/y folder output (chosen from the output's name).
 * The schema (tile layer names, ids, attributes, the extra `tasks` and
 * `labels` layers) is the tile contract the styles and the web map are
 * written against: one tile layer per store layer named as it, id = fid,
 * typed fields; coverage adds tasks, task_ids, share.
 *
 * Shared borders: each polygon layer is cut once into arcs (the runs of a
 * ring between the points where its neighbours change, found on an integer
 * grid of the world); at every zoom each arc is simplified (Douglas-Peucker,
 * one tile unit) in a direction both neighbours agree on and rounded
 * pointwise to the zoom's grid (4096 units per tile), so two polygons that
 * share a border in the store share it exactly in every tile
 * (near-coincident borders are made shared first with snap_m). Rings the
 * grid pinches are cut into simple loops; polygons still invalid are
 * repaired keeping all the area their exterior rings cover, so a fold does
 * not open a gap. Polygons that collapse below one tile unit at a zoom are
 * kept as a one-unit square at their point on surface, in a cell no other
 * square of the layer took, cut out of their neighbours (counted in
 * kept_tiny); nothing disappears without being counted (dropped), and
 * tiles over 500 KB gzipped are counted (big_tiles, largest_*).
 *
 * The work is done feature by feature: each feature's geometry is made once
 * per zoom and cut into the tiles it meets, each tile is assembled from the
 * sorted pieces and written once.
 */
#ifndef PLANKIT_TILES_H
#define PLANKIT_TILES_H

#include <stddef.h>
#include "plankit/ctx.h"
#include "plankit/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PK_TILES_MAX_ZOOM 24

struct pk_tiles_opts {
    const char *const *layers;  /* store layer names; NULL or nlayers 0 = every layer */
    int nlayers;
    const char *output;         /* .mbtiles, .pmtiles, or a folder (z/x/y.pbf + tiles.json) */
    int minzoom, maxzoom;       /* 0..24, minzoom <= maxzoom */
    const double *bbox;         /* west, south, east, north in degrees; NULL = the layers' extent */
    const char *const *fields;  /* "LAYER:f1,f2": keep only these attributes of LAYER */
    int nfields;
    const char *coverage_layer; /* add tasks, task_ids, share to this layer's features; NULL = none */
    int tasks;                  /* add the `tasks` tile layer */
    int labels;                 /* add the `labels` point tile layer */
    double snap_m;              /* make vertices of neighbouring polygons closer than this (metres, Web
                                 * Mercator) one, and put them into each other's edges, so borders two
                                 * sources or a repair made slightly different are shared; 0 = off */
    int threads;                /* 0 = one per CPU */
    int resume;                 /* go on with an interrupted .mbtiles export */
    int force;                  /* replace an existing output */
};

struct pk_tiles_result {
    long long tiles;            /* tiles written by this run */
    long long tiles_resumed;    /* tiles found already written (resume) */
    long long features;         /* features read, all layers */
    long long bytes;            /* gzipped bytes written by this run */
    long long kept_tiny;        /* (feature, zoom) pairs kept as a minimal square */
    long long dropped;          /* feature parts the encoder dropped (collapsed on the grid) */
    long long big_tiles;        /* tiles over 500 KB gzipped */
    long long largest_tile;     /* bytes of the largest tile */
    int largest_z;
    unsigned largest_x, largest_y;
};

/* Export vector tiles as described above. progress (may be NULL) is called
 * from the calling thread; returning 0 cancels (PK_ERR_CANCELLED, nothing
 * left at the output path). res may be NULL. On any failure the output path
 * is left as it was (absent), except that an interrupted .mbtiles export
 * leaves "<output>.part" for resume. Errors: PK_ERR_ARGS (zooms, bbox,
 * --fields), PK_ERR_NOTFOUND (layer or field), PK_ERR_EXISTS (the output
 * exists and neither force nor resume), PK_ERR_IO, PK_ERR_DB, PK_ERR_GEOS,
 * PK_ERR_NOMEM, PK_ERR_CANCELLED. */
int pk_tiles_vector(struct pk_store *store, const struct pk_tiles_opts *opts, struct pk_tiles_result *res,
                    pk_progress_fn progress, void *arg);

#ifdef __cplusplus
}
#endif
#endif
