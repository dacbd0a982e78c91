/* sink_int.h — the one feature-sink interface: where analysis results
 * (overlay, buffer, dissolve) go, one feature at a time.
 *
 * A sink is a small state (struct pk_sink) and an ops table (struct
 * pk_sink_ops) with four steps: begin, add_feature, commit, abort. Two kinds
 * exist:
 *   - pk_sink_store_ops (sink_store.c): a new store layer, written inside
 *     the caller's transaction (or its own when the caller has none) under
 *     a temporary registry name and renamed to the final name by commit;
 *     abort rolls its own transaction back or drops what it made, so the
 *     store is as it was (byte-identical once the caller rolls back).
 *   - pk_sink_file_ops (sink_file.c): a file in any format OGR writes,
 *     created in a temporary folder beside the final path, written in
 *     transactions (batched) where the driver has them, and moved into place
 *     with rename(2) by commit; abort removes the folder.
 * Whatever happens, nothing is left under the final name unless commit
 * returned PK_OK.
 *
 * Feature sinks take features (geometry + attribute values). Tile writers
 * (MBTiles, PMTiles, a directory of tiles) take encoded tiles keyed by
 * z/x/y, not features, so they are a separate interface (a pk_tile_sink
 * with the same four steps, begin / add_tile(z, x, y, bytes) / commit /
 * abort, next to them in src/tiles/tile_*.c), not a third kind here. They get the
 * same guarantee from the file helpers at the end of this header:
 * pk_fs_temp_beside to write in a temporary folder beside the final path,
 * pk_fs_move_into_place at commit, pk_fs_remove_dir at abort.
 *
 * Use:  pk_sink_open -> pk_sink_write ... -> pk_sink_finish (or pk_sink_abort).
 * A sink is used by one thread. */
#ifndef PLANKIT_SINK_INT_H
#define PLANKIT_SINK_INT_H

#include "layer_int.h"

struct pk_column {
    char *name;
    const char *type;   /* "INTEGER", "REAL" or "TEXT" (a static string) */
};

/* Geometry families seen by a sink (bits of pk_sink.families). */
enum { PK_FAMILY_AREA = 1, PK_FAMILY_LINE = 2, PK_FAMILY_POINT = 4 };

struct pk_sink_ops;

/* The state shared by every kind; impl is the kind's own. */
struct pk_sink {
    const struct pk_sink_ops *ops;
    struct pk_store *store;
    struct pk_ctx *ctx;
    char *out;                  /* layer name or file path (owned) */
    char *title;                /* layer title or file layer name, NULL = default (owned) */
    char *source;               /* "overlay intersection" etc. (owned) */
    struct pk_column *cols;     /* ncols, names owned */
    int ncols;
    long long count;            /* features added so far */
    unsigned families;          /* PK_FAMILY_* bits of the geometries added */
    void *impl;                 /* the kind's state, owned by its ops */
};

/* One kind of feature sink. Every function reports errors through s->ctx. */
struct pk_sink_ops {
    const char *name;           /* "store layer", "file" */
    /* Check s->out and create the output under a temporary name; s->impl is
     * set. On failure the kind has already cleaned up (s->impl NULL). */
    int (*begin)(struct pk_sink *s);
    /* Write one feature: geometry in the store CRS (may be NULL), s->ncols
     * text values (NULL = null). On failure the caller must call abort. */
    int (*add_feature)(struct pk_sink *s, const GEOSGeometry *g, const char *const *values);
    /* Finish and move the output into place under s->out. On failure the
     * output is discarded as abort would. Frees s->impl either way. */
    int (*commit)(struct pk_sink *s);
    /* Discard everything written; frees s->impl. Accepts s->impl == NULL. */
    void (*abort)(struct pk_sink *s);
};

extern const struct pk_sink_ops pk_sink_store_ops;
extern const struct pk_sink_ops pk_sink_file_ops;

/* 1 if out names a file (has a '/' or '.'), 0 if it names a store layer. */
int pk_sink_is_file(const char *out);
/* Open a sink of the kind out names (pk_sink_is_file): a new store layer
 * (the name must be free; inside the caller's transaction, if any) or a file
 * whose format follows its extension. title: the layer's title (store) or
 * the file's layer name (default "result"); source is recorded in the
 * registry and history, e.g. "overlay intersection". *sinkp: the caller
 * finishes it with pk_sink_finish or pk_sink_abort. */
int pk_sink_open(struct pk_store *store, const char *out, const char *title, const char *source,
                 const struct pk_column *cols, int ncols, struct pk_sink **sinkp);
/* The same with an explicit kind. */
int pk_sink_open_ops(const struct pk_sink_ops *ops, struct pk_store *store, const char *out, const char *title,
                     const char *source, const struct pk_column *cols, int ncols, struct pk_sink **sinkp);
/* Append one feature (see pk_sink_ops.add_feature). */
int pk_sink_write(struct pk_sink *s, const GEOSGeometry *g, const char *const *values);
/* Complete the output and free the sink; *count (may be NULL) = features
 * written. On failure nothing is left under the final name. */
int pk_sink_finish(struct pk_sink *s, long long *count);
/* Discard the output and free the sink; accepts NULL. */
void pk_sink_abort(struct pk_sink *s);

/* The registry kind of the output, following its geometries: polygons ->
 * "zone", lines -> "line", points -> "point"; mixed families take the
 * highest dimension; no geometry at all -> "zone". Static string. */
const char *pk_sink_kind(const struct pk_sink *s);
/* The registry geometry type: MULTIPOLYGON, LINESTRING, POINT, or GEOMETRY
 * for mixed or no geometries (the loader's vocabulary). Static string. */
const char *pk_sink_geometry_type(const struct pk_sink *s);

/* The OGR driver for a file name's extension (.gpkg, .geojson, .shp, .csv,
 * .fgb, .kml, .gml, .sqlite, .dxf), or NULL. Borrowed static string. */
const char *pk_format_for_path(const char *path);

/* A new temporary folder beside path (.plankit-out-XXXXXX in path's folder,
 * so on the same file system) and the name path will have in it. *tmpdir,
 * *tmpfile: caller frees; remove the folder with pk_fs_remove_dir. On
 * failure nothing is created and both are NULL. */
int pk_fs_temp_beside(struct pk_ctx *ctx, const char *path, char **tmpdir, char **tmpfile);
/* Move every file of tmpdir into the folder of path (pk_fs_move_all). */
int pk_fs_move_into_place(struct pk_ctx *ctx, const char *tmpdir, const char *path);
/* Move every file of folder dir into dest_dir (same file system, so each
 * file appears whole under its final name), never replacing an existing
 * file (then PK_ERR_IO, and the files moved so far are moved back). */
int pk_fs_move_all(struct pk_ctx *ctx, const char *dir, const char *dest_dir);
/* Remove a folder and the files in it (not recursive). */
void pk_fs_remove_dir(const char *dir);

#endif
