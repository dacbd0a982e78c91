/* sink_int.h — writing analysis results to a new store layer or to a file. */
#ifndef PLANKIT_SINK_INT_H
#define PLANKIT_SINK_INT_H

#include "layer_int.h"

struct pk_column {
    char *name;
    const char *type;   /* "INTEGER", "REAL" or "TEXT" (a static string) */
};

struct pk_sink;

/* 1 if out names a file (has a '/' or '.'), 0 if it names a store layer. */
int pk_sink_is_file(const char *out);
/* Open a sink: a new store layer (inside the caller's transaction; the name
 * must be free) or a file whose format follows its extension. source is
 * recorded in the registry and history, e.g. "overlay intersection". *sinkp:
 * finish with pk_sink_finish or pk_sink_abort. */
int pk_sink_open(struct pk_store *store, const char *out, const char *title, const char *source,
                 const struct pk_column *cols, int ncols, struct pk_sink **sinkp);
/* Append one feature: a geometry in the store CRS (may be NULL) and ncols
 * text values (NULL = null). */
int pk_sink_write(struct pk_sink *s, const GEOSGeometry *g, const char *const *values);
/* Complete the output (index and registry, or move the file into place) and
 * free the sink; *count = features written. */
int pk_sink_finish(struct pk_sink *s, long long *count);
/* Discard the output and free the sink; accepts NULL. */
void pk_sink_abort(struct pk_sink *s);

/* The OGR driver for a file name's extension (.gpkg, .geojson, .shp, .csv,
 * .fgb, .kml, .gml, .sqlite, .dxf), or NULL. Borrowed static string. */
const char *pk_format_for_path(const char *path);

/* Move every file of folder dir into dest_dir (same file system, so each
 * file appears whole under its final name). */
int pk_fs_move_all(struct pk_ctx *ctx, const char *dir, const char *dest_dir);
/* Remove a folder and the files in it (not recursive). */
void pk_fs_remove_dir(const char *dir);

#endif
