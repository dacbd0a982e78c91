/* webmap.h — the web map of plankit's vector tiles: the preview page written
 * to a folder (`plankit tiles preview`) and the local tile server
 * (`plankit serve`). Both use the MapLibre styles of the styles folder, whose
 * one vector source `plankit` has the tile URL "{BASE}/tiles/{z}/{x}/{y}.pbf"
 * (docs: the tiles contract); BASE is filled in with an absolute URL here.
 */
#ifndef PLANKIT_WEBMAP_H
#define PLANKIT_WEBMAP_H

#include <stddef.h>

#include "plankit/ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where the page's parts come from: the styles folder (every NAME.json in it
 * is offered, "zones" first) and the folder holding maplibre-gl.js and
 * maplibre-gl.css (the npm package's dist/). Both borrowed. */
struct pk_webmap_assets {
    const char *styles_dir;
    const char *maplibre_dir;
};

/* The page (index.html) for the styles of assets, each with BASE = base
 * (absolute, e.g. "http://127.0.0.1:8080", no trailing slash), opening on
 * view (bounds west, south, east, north; NULL: the first style's center and zoom).
 * The styles are embedded, so the page also works opened as a file. Returns
 * a NUL-terminated string the caller frees, or NULL with the error in ctx. */
char *pk_webmap_page(struct pk_ctx *ctx, const struct pk_webmap_assets *assets, const char *base,
                     const double *view);

/* styles_dir/NAME.json with BASE = base. NAME is a plain name ([A-Za-z0-9_-]).
 * Returns a string the caller frees, or NULL (PK_ERR_NOTFOUND when there is
 * no such style, PK_ERR_ARGS for a bad name). */
char *pk_webmap_style(struct pk_ctx *ctx, const char *styles_dir, const char *name, const char *base);

/* `plankit tiles preview`: write out_dir/index.html, out_dir/styles/NAME.json
 * (BASE = base, where `plankit serve` serves the tiles) and out_dir/
 * maplibre-gl.js + .css for the tiles at `tiles` (checked to exist: an
 * .mbtiles or .pmtiles file or a z/x/y folder); the page opens on the
 * bounds the tiles' metadata states. Each file is written under a temporary name
 * and moved into place. */
struct pk_preview_opts {
    const char *tiles;
    const char *out_dir;
    const char *base;  /* NULL: http://127.0.0.1:8080 */
    struct pk_webmap_assets assets;
};
int pk_tiles_preview(struct pk_ctx *ctx, const struct pk_preview_opts *opts);

/* The tile server (`plankit serve`): read-only HTTP on host:port.
 *   /                          the page (pk_webmap_page, BASE = this server)
 *   /styles/NAME.json          a style with BASE = this server
 *   /maplibre-gl.js, .css      the local maplibre-gl copy
 *   /tiles/{z}/{x}/{y}.pbf     a tile of the .mbtiles or .pmtiles file or z/x/y
 *                              folder (Content-Encoding gzip; 204 when absent)
 *   /tiles.pmtiles             the .pmtiles file whole, with HTTP Range requests
 * Bad tile coordinates give 400, anything else 404, methods but GET and HEAD
 * 405. `log`, when set, gets one line per request, called on the server's
 * thread. */
struct pk_serve_opts {
    const char *tiles;      /* .mbtiles, .pmtiles or a z/x/y folder */
    const char *host;       /* IPv4 address; NULL: 127.0.0.1 */
    int port;               /* 0: any free port (see pk_server_port) */
    struct pk_webmap_assets assets;
    void (*log)(const char *line, void *arg);
    void *log_arg;
};
struct pk_server;

/* Start serving on a thread of the server's own. On success *out is the
 * server, which the caller stops with pk_serve_stop. */
int pk_serve_start(struct pk_ctx *ctx, const struct pk_serve_opts *opts, struct pk_server **out);
/* The port the server listens on. */
int pk_server_port(const struct pk_server *server);
/* Stop the server, wait for its thread and free it. Accepts NULL. */
void pk_serve_stop(struct pk_server *server);

#ifdef __cplusplus
}
#endif
#endif
