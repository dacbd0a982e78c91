/* serve.c — `plankit serve`: a read-only HTTP server (libmicrohttpd, one
 * thread of its own) for vector tiles from an .mbtiles file, a z/x/y folder
 * or a .pmtiles file (its tiles, and the file whole with Range requests), the styles with their tile URL
 * pointing at the server, the web map page and the local maplibre-gl copy.
 * The library never prints: each request is reported through opts->log. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "webmap_int.h"

struct pk_server {
    struct MHD_Daemon *daemon;
    enum pk_tiles_kind kind;
    char *tiles;
    char *styles_dir, *maplibre_dir;
    char base[128];          /* http://HOST:PORT, when a request has no Host */
    sqlite3 *mbtiles;        /* used on the server's thread only */
    struct pk_pmreader *pmtiles;
    int port;
    double view[4];          /* where the page opens */
    int has_view;
    void (*log)(const char *line, void *arg);
    void *log_arg;
};

/* Queue a response and release it; code is logged. */
static enum MHD_Result reply(struct pk_server *s, struct MHD_Connection *c, const char *url, unsigned code,
                             struct MHD_Response *r, const char *type)
{
    if (!r)
        return MHD_NO;
    if (type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    enum MHD_Result ok = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    if (s->log) {
        char line[1200];
        snprintf(line, sizeof line, "%u %s", code, url);
        s->log(line, s->log_arg);
    }
    return ok;
}

static enum MHD_Result reply_text(struct pk_server *s, struct MHD_Connection *c, const char *url, unsigned code,
                                  const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    return reply(s, c, url, code, r, "text/plain; charset=utf-8");
}

/* Reply with a malloc'd buffer, which the response then owns. */
static enum MHD_Result reply_owned(struct pk_server *s, struct MHD_Connection *c, const char *url, char *data,
                                   size_t len, const char *type, int gzip)
{
    if (!data)
        return reply_text(s, c, url, MHD_HTTP_INTERNAL_SERVER_ERROR, "server error\n");
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    if (gzip)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    return reply(s, c, url, MHD_HTTP_OK, r, type);
}

/* The base URL for this request: http:// + its Host header when it is a
 * plain host[:port], else the address the server listens on. */
static void request_base(struct pk_server *s, struct MHD_Connection *c, char *out, size_t size)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (host && *host && strlen(host) < 100 &&
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == strlen(host))
        snprintf(out, size, "http://%s", host);
    else
        snprintf(out, size, "%s", s->base);
}

/* Parse "/Z/X/Y.pbf" (after "/tiles"); 0 when it is well formed and in range. */
static int parse_tile(const char *p, int *z, long *x, long *y)
{
    char tail[8];
    int n = 0;
    if (sscanf(p, "/%d/%ld/%ld%7s%n", z, x, y, tail, &n) != 4 || p[n] || strcmp(tail, ".pbf"))
        return -1;
    if (*z < 0 || *z > 30)
        return -1;
    long side = 1L << *z;
    return (*x < 0 || *y < 0 || *x >= side || *y >= side) ? -1 : 0;
}

/* The tile's bytes from the MBTiles file (TMS rows), the PMTiles archive or
 * the z/x/y folder; NULL with *len = 0 when there is no such tile (*broken
 * set when the archive could not be read). Caller frees. */
static char *read_tile(struct pk_server *s, int z, long x, long y, size_t *len, int *broken)
{
    *len = 0;
    *broken = 0;
    if (s->kind == PK_TILES_PMTILES) {
        char *data = NULL;
        *broken = pk_pmreader_tile(s->pmtiles, z, (uint32_t)x, (uint32_t)y, &data, len) < 0;
        return data;
    }
    if (s->kind == PK_TILES_DIR) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%d/%ld/%ld.pbf", s->tiles, z, x, y);
        struct pk_ctx *quiet = pk_ctx_new();
        char *data = quiet ? pk_webmap_read_file(quiet, path, len) : NULL;
        pk_ctx_free(quiet);
        return data;
    }
    sqlite3_stmt *st = NULL;
    char *data = NULL;
    if (sqlite3_prepare_v2(s->mbtiles,
                           "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int(st, 1, z);
    sqlite3_bind_int64(st, 2, x);
    sqlite3_bind_int64(st, 3, (1L << z) - 1 - y);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        const void *blob = sqlite3_column_blob(st, 0);
        if (n > 0 && blob && (data = malloc((size_t)n))) {
            memcpy(data, blob, (size_t)n);
            *len = (size_t)n;
        }
    }
    sqlite3_finalize(st);
    return data;
}

static enum MHD_Result serve_tile(struct pk_server *s, struct MHD_Connection *c, const char *url)
{
    int z;
    long x, y;
    if (parse_tile(url + strlen("/tiles"), &z, &x, &y) != 0)
        return reply_text(s, c, url, MHD_HTTP_BAD_REQUEST, "bad tile coordinates\n");
    size_t len;
    int broken;
    char *data = read_tile(s, z, x, y, &len, &broken);
    if (broken)
        return reply_text(s, c, url, MHD_HTTP_INTERNAL_SERVER_ERROR, "the tile archive cannot be read\n");
    if (!data) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        return reply(s, c, url, MHD_HTTP_NO_CONTENT, r, NULL);
    }
    int gzip = len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b;
    return reply_owned(s, c, url, data, len, "application/x-protobuf", gzip);
}

/* Parse a Range header "bytes=A-B", "bytes=A-" or "bytes=-N" against size.
 * Returns 1 with [*from, *to] set, 0 when there is no header, -1 when bad. */
static int parse_range(const char *h, unsigned long long size, unsigned long long *from, unsigned long long *to)
{
    if (!h)
        return 0;
    unsigned long long a, b;
    int n = 0;
    if (sscanf(h, "bytes=%llu-%llu%n", &a, &b, &n) == 2 && !h[n]) {
        if (b >= size)
            b = size - 1;
    } else if (n = 0, sscanf(h, "bytes=%llu-%n", &a, &n) == 1 && n && !h[n]) {
        b = size - 1;
    } else if (n = 0, sscanf(h, "bytes=-%llu%n", &b, &n) == 1 && n && !h[n] && b > 0) {
        a = b >= size ? 0 : size - b;
        b = size - 1;
    } else {
        return -1;
    }
    if (size == 0 || a > b || a >= size)
        return -1;
    *from = a;
    *to = b;
    return 1;
}

static enum MHD_Result serve_pmtiles(struct pk_server *s, struct MHD_Connection *c, const char *url)
{
    if (s->kind != PK_TILES_PMTILES)
        return reply_text(s, c, url, MHD_HTTP_NOT_FOUND, "not a PMTiles server\n");
    int fd = open(s->tiles, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return reply_text(s, c, url, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the tiles\n");
    }
    unsigned long long size = (unsigned long long)st.st_size, from = 0, to = size ? size - 1 : 0;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
    int ranged = parse_range(h, size, &from, &to);
    char cr[96];
    if (ranged < 0) {
        close(fd);
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        snprintf(cr, sizeof cr, "bytes */%llu", size);
        if (r)
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        return reply(s, c, url, MHD_HTTP_RANGE_NOT_SATISFIABLE, r, NULL);
    }
    struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(size ? to - from + 1 : 0, fd, from);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    if (ranged) {
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", from, to, size);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
    }
    return reply(s, c, url, ranged ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, r, "application/octet-stream");
}

/* /styles/NAME.json */
static enum MHD_Result serve_style(struct pk_server *s, struct MHD_Connection *c, const char *url)
{
    char name[80];
    const char *p = url + strlen("/styles/");
    size_t n = strlen(p);
    if (n <= 5 || n - 5 >= sizeof name || strcmp(p + n - 5, ".json"))
        return reply_text(s, c, url, MHD_HTTP_NOT_FOUND, "no such style\n");
    memcpy(name, p, n - 5);
    name[n - 5] = '\0';
    if (!pk_webmap_name_ok(name))
        return reply_text(s, c, url, MHD_HTTP_NOT_FOUND, "no such style\n");
    char base[160];
    request_base(s, c, base, sizeof base);
    struct pk_ctx *ctx = pk_ctx_new();
    char *style = ctx ? pk_webmap_style(ctx, s->styles_dir, name, base) : NULL;
    int missing = ctx && pk_errcode(ctx) == PK_ERR_NOTFOUND;
    pk_ctx_free(ctx);
    if (!style && missing)
        return reply_text(s, c, url, MHD_HTTP_NOT_FOUND, "no such style\n");
    return reply_owned(s, c, url, style, style ? strlen(style) : 0, "application/json", 0);
}

static enum MHD_Result serve_page(struct pk_server *s, struct MHD_Connection *c, const char *url)
{
    char base[160];
    request_base(s, c, base, sizeof base);
    struct pk_ctx *ctx = pk_ctx_new();
    struct pk_webmap_assets assets = {s->styles_dir, s->maplibre_dir};
    char *page = ctx ? pk_webmap_page(ctx, &assets, base, s->has_view ? s->view : NULL) : NULL;
    pk_ctx_free(ctx);
    return reply_owned(s, c, url, page, page ? strlen(page) : 0, "text/html; charset=utf-8", 0);
}

static enum MHD_Result serve_asset(struct pk_server *s, struct MHD_Connection *c, const char *url,
                                   const char *type)
{
    char path[4200];
    snprintf(path, sizeof path, "%s%s", s->maplibre_dir, url);
    size_t len = 0;
    struct pk_ctx *ctx = pk_ctx_new();
    char *data = ctx ? pk_webmap_read_file(ctx, path, &len) : NULL;
    pk_ctx_free(ctx);
    if (!data)
        return reply_text(s, c, url, MHD_HTTP_NOT_FOUND, "maplibre-gl is not installed\n");
    return reply_owned(s, c, url, data, len, type, 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    struct pk_server *s = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return reply_text(s, c, url, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only server\n");
    if (strstr(url, "..") || strchr(url, '\\'))
        return reply_text(s, c, url, MHD_HTTP_BAD_REQUEST, "bad path\n");
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return serve_page(s, c, url);
    if (!strncmp(url, "/tiles/", 7))
        return serve_tile(s, c, url);
    if (!strcmp(url, "/tiles.pmtiles"))
        return serve_pmtiles(s, c, url);
    if (!strncmp(url, "/styles/", 8))
        return serve_style(s, c, url);
    if (!strcmp(url, "/maplibre-gl.js"))
        return serve_asset(s, c, url, "text/javascript; charset=utf-8");
    if (!strcmp(url, "/maplibre-gl.css"))
        return serve_asset(s, c, url, "text/css; charset=utf-8");
    return reply_text(s, c, url, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void free_server(struct pk_server *s)
{
    if (!s)
        return;
    if (s->mbtiles)
        sqlite3_close(s->mbtiles);
    pk_pmreader_close(s->pmtiles);
    free(s->tiles);
    free(s->styles_dir);
    free(s->maplibre_dir);
    free(s);
}

/* Copy the options and open the tiles. */
static int server_new(struct pk_ctx *ctx, const struct pk_serve_opts *opts, struct pk_server **out)
{
    struct pk_server *s = calloc(1, sizeof *s);
    if (!s)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    s->kind = pk_webmap_tiles_kind(ctx, opts->tiles);
    s->tiles = strdup(opts->tiles);
    s->styles_dir = strdup(opts->assets.styles_dir);
    s->maplibre_dir = strdup(opts->assets.maplibre_dir);
    s->log = opts->log;
    s->log_arg = opts->log_arg;
    int rc = s->kind == PK_TILES_NONE ? pk_errcode(ctx) : PK_OK;
    if (rc == PK_OK && (!s->tiles || !s->styles_dir || !s->maplibre_dir))
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK && s->kind == PK_TILES_MBTILES) {
        if (sqlite3_open_v2(s->tiles, &s->mbtiles, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_exec(s->mbtiles, "SELECT 1 FROM tiles LIMIT 1", NULL, NULL, NULL) != SQLITE_OK)
            rc = pk_error(ctx, PK_ERR_DATA, "%s: not an MBTiles file: %s", s->tiles,
                          s->mbtiles ? sqlite3_errmsg(s->mbtiles) : "out of memory");
    }
    if (rc == PK_OK && s->kind == PK_TILES_PMTILES)
        rc = pk_pmreader_open(ctx, s->tiles, &s->pmtiles);
    if (rc == PK_OK)
        s->has_view = pk_webmap_tiles_bounds(s->tiles, s->kind, s->view);
    if (rc != PK_OK) {
        free_server(s);
        return rc;
    }
    *out = s;
    return PK_OK;
}

int pk_serve_start(struct pk_ctx *ctx, const struct pk_serve_opts *opts, struct pk_server **out)
{
    const char *host = opts->host ? opts->host : "127.0.0.1";
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opts->port)};
    if (opts->port < 0 || opts->port > 65535)
        return pk_error(ctx, PK_ERR_ARGS, "port %d is not in 0-65535", opts->port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return pk_error(ctx, PK_ERR_ARGS, "host '%s' is not an IPv4 address", host);
    struct pk_server *s = NULL;
    int rc = server_new(ctx, opts, &s);
    if (rc != PK_OK)
        return rc;
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                 on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!s->daemon) {
        free_server(s);
        return pk_error(ctx, PK_ERR_IO, "cannot listen on %s:%d (in use, or not an address of this machine)",
                        host, opts->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opts->port;
    snprintf(s->base, sizeof s->base, "http://%s:%d", host, s->port);
    *out = s;
    return PK_OK;
}

int pk_server_port(const struct pk_server *server) { return server->port; }

void pk_serve_stop(struct pk_server *server)
{
    if (!server)
        return;
    if (server->daemon)
        MHD_stop_daemon(server->daemon);
    free_server(server);
}
