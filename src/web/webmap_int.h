/* webmap_int.h — shared inside the library by the preview page writer
 * (preview.c) and the tile server (serve.c). */
#ifndef PLANKIT_WEBMAP_INT_H
#define PLANKIT_WEBMAP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "plankit/webmap.h"

/* The page's text, with "@STYLES@" where the styles go (webmap_page.c). */
extern const char pk_webmap_page_template[];

/* Read a whole file. Returns a NUL-terminated buffer the caller frees (its
 * length in *len when len is not NULL), or NULL with the error in ctx
 * (PK_ERR_NOTFOUND when it does not exist). */
char *pk_webmap_read_file(struct pk_ctx *ctx, const char *path, size_t *len);

/* 1 when name is a plain style name ([A-Za-z0-9_-], 1-64 characters). */
int pk_webmap_name_ok(const char *name);

/* What kind of tiles a path holds. */
enum pk_tiles_kind { PK_TILES_NONE = 0, PK_TILES_MBTILES, PK_TILES_PMTILES, PK_TILES_DIR };
/* The kind of `path` by its type and suffix; PK_TILES_NONE with the error in
 * ctx when it is missing or none of them. */
enum pk_tiles_kind pk_webmap_tiles_kind(struct pk_ctx *ctx, const char *path);

/* The bounds (west, south, east, north) the tiles state in their metadata:
 * 1 with bounds set, 0 when they state none usable (webmap_view.c). */
int pk_webmap_tiles_bounds(const char *tiles, enum pk_tiles_kind kind, double bounds[4]);

/* PMTiles v3 tiles for the server (serve_pmtiles.c). */
struct pk_pmreader;
/* Open a PMTiles v3 archive; *out is closed with pk_pmreader_close. */
int pk_pmreader_open(struct pk_ctx *ctx, const char *path, struct pk_pmreader **out);
void pk_pmreader_close(struct pk_pmreader *r);
/* Tile z/x/y (XYZ, a valid tile) as stored: returns 1 with *data (caller
 * frees) and *len, 0 when the archive has no such tile, -1 when it cannot be
 * read (damaged, I/O error, out of memory). Safe on any thread. */
int pk_pmreader_tile(const struct pk_pmreader *r, int z, uint32_t x, uint32_t y, char **data, size_t *len);

#endif
