/* ctx_int.h — private parts of struct pk_ctx shared inside the library. */
#ifndef PLANKIT_CTX_INT_H
#define PLANKIT_CTX_INT_H

#include <geos_c.h>
#include "plankit/ctx.h"

struct pk_ctx {
    int code;
    char msg[2048];
    GEOSContextHandle_t geos;
    char geos_msg[1024];      /* last GEOS error, copied by the GEOS handler */
    pk_log_fn log_fn;
    void *log_arg;
    enum pk_log_level log_level;
    char user[128];
    struct pk_ctx *gdal_prev; /* the thread's next older context (ctx.c) */
};

/* GEOS handle owned by ctx (do not finish it). */
static inline GEOSContextHandle_t pk_geos(struct pk_ctx *ctx) { return ctx->geos; }

/* Record a GEOS failure: "<what>: <last GEOS message>". Returns PK_ERR_GEOS. */
int pk_error_geos(struct pk_ctx *ctx, const char *what);
/* Record a GDAL failure: "<what>: <CPLGetLastErrorMsg()>". Returns PK_ERR_GDAL. */
int pk_error_gdal(struct pk_ctx *ctx, const char *what);

/* From now on this thread's GDAL warnings are collected in buf (size
 * bytes, NUL-terminated; each distinct message once, one per line, as many
 * as fit) instead of logged, so that a caller can fold them into its own
 * message; pk_gdal_capture(NULL, 0) logs them again. buf is not cleared. */
void pk_gdal_capture(char *buf, size_t size);

#endif
