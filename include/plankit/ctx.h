/* ctx.h — the plankit context: status codes, the last error message, logging
 * and progress callbacks.
 *
 * One struct pk_ctx per thread. Library functions return an int from
 * enum pk_status and keep the message in the context (SQLite's errCode/pErr);
 * a store reports through the context it was opened with:
 *     struct pk_ctx *ctx = pk_ctx_new();
 *     struct pk_store *store = NULL;
 *     struct pk_load_opts opts = {.source = "zones.gpkg", .name = "zones"};
 *     if (pk_store_open(ctx, "plan.sqlite", &store) != PK_OK ||
 *         pk_layer_load(store, &opts, NULL, NULL, NULL) != PK_OK)
 *         fprintf(stderr, "%s\n", pk_errmsg(ctx));
 *     pk_store_close(store);
 *     pk_ctx_free(ctx);
 * Ownership rule for the whole API: a function that returns memory says who
 * frees it; a const pointer is borrowed.
 */
#ifndef PLANKIT_CTX_H
#define PLANKIT_CTX_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Stable result codes: never renumber, only append. */
enum pk_status {
    PK_OK = 0,
    PK_ERR_ARGS = 1,      /* bad argument or option value */
    PK_ERR_NOTFOUND = 2,  /* layer, feature, task or file not found */
    PK_ERR_IO = 3,        /* file system error */
    PK_ERR_DB = 4,        /* SQLite / SpatiaLite error */
    PK_ERR_GDAL = 5,      /* GDAL/OGR or PROJ error */
    PK_ERR_GEOS = 6,      /* GEOS error */
    PK_ERR_CAIRO = 7,     /* drawing error */
    PK_ERR_NOMEM = 8,     /* out of memory */
    PK_ERR_CANCELLED = 9, /* progress callback asked to stop */
    PK_ERR_EXISTS = 10,   /* object already exists */
    PK_ERR_DATA = 11,     /* bad input data (geometry, encoding, CRS) */
    PK_ERR_READONLY = 12  /* a write was refused */
};

enum pk_log_level { PK_LOG_ERROR = 0, PK_LOG_WARN = 1, PK_LOG_INFO = 2, PK_LOG_DEBUG = 3 };

/* Progress: frac in [0,1]; msg may be NULL. Return 0 to cancel. Same contract
 * as GDALProgressFunc, so GDALTermProgress can be passed straight through. */
typedef int (*pk_progress_fn)(double frac, const char *msg, void *arg);

/* Log sink: receives one message, without a trailing newline. */
typedef void (*pk_log_fn)(enum pk_log_level level, const char *msg, void *arg);

struct pk_ctx;

/* Create a context with its own GEOS handle. Caller frees with pk_ctx_free.
 * Returns NULL only when out of memory. GDAL's warnings on this thread go to
 * the log of the thread's newest live context. */
struct pk_ctx *pk_ctx_new(void);
/* Free a context, on the thread that made it; contexts may be freed in any
 * order. Accepts NULL. */
void pk_ctx_free(struct pk_ctx *ctx);

/* Record an error (printf-style message, lowercase, no trailing period) and
 * return code, so callers can `return pk_error(ctx, PK_ERR_ARGS, ...)`. */
int pk_error(struct pk_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int pk_verror(struct pk_ctx *ctx, int code, const char *fmt, va_list ap);
/* Prefix the current message with "<prefix>: " (adds context on the way up). */
void pk_error_prefix(struct pk_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The last error message; borrowed, valid until the next error on ctx. */
const char *pk_errmsg(const struct pk_ctx *ctx);
int pk_errcode(const struct pk_ctx *ctx);
void pk_error_clear(struct pk_ctx *ctx);

/* Logging: messages above `level` are dropped before formatting. */
void pk_ctx_set_log(struct pk_ctx *ctx, pk_log_fn fn, void *arg, enum pk_log_level level);
int pk_log_enabled(const struct pk_ctx *ctx, enum pk_log_level level);
void pk_log_msg(struct pk_ctx *ctx, enum pk_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define pk_log(ctx, level, ...) \
    do { if (pk_log_enabled((ctx), (level))) pk_log_msg((ctx), (level), __VA_ARGS__); } while (0)

/* User name recorded in history: "unknown" until the front end sets one
 * (the library reads no environment; the CLI passes --user or $USER). The
 * string is copied (at most 127 bytes); NULL sets "unknown". */
void pk_ctx_set_user(struct pk_ctx *ctx, const char *user);
const char *pk_ctx_user(const struct pk_ctx *ctx);

/* Versions of plankit and the libraries it runs with, e.g.
 * "plankit 0.1.0 (GDAL 3.6.2, PROJ 9.1.1, GEOS 3.11.1, SQLite 3.40.1, SpatiaLite 5.0.1)".
 * Writes at most size bytes into buf. */
void pk_version_string(char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
