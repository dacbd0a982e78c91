/* ctx.c — the per-thread context: error codes and messages, logging, the GEOS
 * handle, and the one boundary where GEOS and GDAL errors become messages. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_error.h>
#include <gdal.h>
#include <proj.h>
#include <sqlite3.h>
#include <spatialite.h>

#include "ctx_int.h"

static void geos_error_handler_r(const char *message, void *userdata)
{
    struct pk_ctx *ctx = userdata;
    snprintf(ctx->geos_msg, sizeof ctx->geos_msg, "%s", message);
}

static void geos_notice_handler_r(const char *message, void *userdata)
{
    struct pk_ctx *ctx = userdata;
    pk_log(ctx, PK_LOG_DEBUG, "geos: %s", message);
}

/* GDAL's error handlers form a per-thread stack that can only be popped
 * from the top, while contexts may be freed in any order. So each thread
 * that has contexts pushes one handler, and keeps its live contexts in a
 * list of its own (newest first, linked through gdal_prev): the handler
 * reports to the newest, a context leaves the list wherever it is, and the
 * handler is popped when the thread's last context goes. A context is freed
 * on the thread that made it. */
static _Thread_local struct pk_ctx *gdal_contexts;
/* 1 while plankit's handler is on this thread's GDAL handler stack; its
 * address is the handler's user data, which tells ours from a front end's. */
static _Thread_local int gdal_handler_pushed;

/* Where this thread's GDAL warnings go instead of the log (pk_gdal_capture). */
static _Thread_local char *gdal_capture;
static _Thread_local size_t gdal_capture_size;

void pk_gdal_capture(char *buf, size_t size)
{
    gdal_capture = buf && size ? buf : NULL;
    gdal_capture_size = size;
}

/* Add msg (trailing blanks cut) to the capture buffer as a line of its own,
 * unless the buffer has that line already or no room is left. */
static void capture_warning(const char *msg)
{
    size_t n = strlen(msg), used = strlen(gdal_capture);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '\r'))
        n--;
    for (const char *p = gdal_capture; *p;) {
        if (!strncmp(p, msg, n) && (p[n] == '\n' || !p[n]))
            return;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    if (used + n + 2 <= gdal_capture_size)
        snprintf(gdal_capture + used, gdal_capture_size - used, "%s%.*s", used ? "\n" : "", (int)n, msg);
}

/* GDAL errors stay in CPLGetLastErrorMsg() for pk_error_gdal; warnings and
 * debug messages go to the newest context's log instead of stderr, or
 * warnings to the thread's capture buffer when one is set. */
static void gdal_error_handler(CPLErr level, CPLErrorNum num, const char *msg)
{
    struct pk_ctx *ctx = gdal_contexts;
    (void)num;
    if (level == CE_Warning && gdal_capture) {
        capture_warning(msg);
        return;
    }
    if (!ctx)
        return;
    if (level == CE_Warning)
        pk_log(ctx, PK_LOG_WARN, "gdal: %s", msg);
    else if (level == CE_Debug)
        pk_log(ctx, PK_LOG_DEBUG, "gdal: %s", msg);
}

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

struct pk_ctx *pk_ctx_new(void)
{
    pthread_once(&gdal_once, GDALAllRegister);
    struct pk_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->geos = GEOS_init_r();
    if (!ctx->geos) {
        free(ctx);
        return NULL;
    }
    GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_error_handler_r, ctx);
    GEOSContext_setNoticeMessageHandler_r(ctx->geos, geos_notice_handler_r, ctx);
    ctx->log_level = PK_LOG_WARN;
    if (!gdal_handler_pushed) {
        CPLPushErrorHandlerEx(gdal_error_handler, &gdal_handler_pushed);
        gdal_handler_pushed = 1;
    }
    ctx->gdal_prev = gdal_contexts;
    gdal_contexts = ctx;
    pk_ctx_set_user(ctx, "unknown"); /* the front end sets the user (the CLI: --user or $USER) */
    return ctx;
}

void pk_ctx_free(struct pk_ctx *ctx)
{
    if (!ctx)
        return;
    for (struct pk_ctx **p = &gdal_contexts; *p; p = &(*p)->gdal_prev)
        if (*p == ctx) {
            *p = ctx->gdal_prev;
            /* pop ours, never a handler a front end pushed after it (ours
             * then stays below theirs, quiet, and is reused by the next
             * context) */
            if (!gdal_contexts && CPLGetErrorHandlerUserData() == &gdal_handler_pushed) {
                CPLPopErrorHandler();
                gdal_handler_pushed = 0;
            }
            break;
        }
    GEOS_finish_r(ctx->geos);
    free(ctx);
}

int pk_verror(struct pk_ctx *ctx, int code, const char *fmt, va_list ap)
{
    ctx->code = code;
    vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    return code;
}

int pk_error(struct pk_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pk_verror(ctx, code, fmt, ap);
    va_end(ap);
    return code;
}

void pk_error_prefix(struct pk_ctx *ctx, const char *fmt, ...)
{
    char prefix[512], old[sizeof ctx->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, ctx->msg, sizeof old);
    int n = snprintf(ctx->msg, sizeof ctx->msg, "%s: ", prefix);
    if (n > 0 && (size_t)n < sizeof ctx->msg)
        snprintf(ctx->msg + n, sizeof ctx->msg - (size_t)n, "%s", old);
}

const char *pk_errmsg(const struct pk_ctx *ctx) { return ctx->msg; }
int pk_errcode(const struct pk_ctx *ctx) { return ctx->code; }

void pk_error_clear(struct pk_ctx *ctx)
{
    ctx->code = PK_OK;
    ctx->msg[0] = '\0';
    ctx->geos_msg[0] = '\0';
}

int pk_error_geos(struct pk_ctx *ctx, const char *what)
{
    return pk_error(ctx, PK_ERR_GEOS, "%s: %s", what,
                    ctx->geos_msg[0] ? ctx->geos_msg : "GEOS operation failed");
}

int pk_error_gdal(struct pk_ctx *ctx, const char *what)
{
    const char *m = CPLGetLastErrorMsg();
    int code = pk_error(ctx, PK_ERR_GDAL, "%s%s%s", what, m && *m ? ": " : "", m ? m : "");
    /* GDAL messages sometimes end with a newline; keep errors on one line. */
    for (char *p = ctx->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}

void pk_ctx_set_log(struct pk_ctx *ctx, pk_log_fn fn, void *arg, enum pk_log_level level)
{
    ctx->log_fn = fn;
    ctx->log_arg = arg;
    ctx->log_level = level;
}

int pk_log_enabled(const struct pk_ctx *ctx, enum pk_log_level level)
{
    return ctx->log_fn && level <= ctx->log_level;
}

void pk_log_msg(struct pk_ctx *ctx, enum pk_log_level level, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (ctx->log_fn)
        ctx->log_fn(level, buf, ctx->log_arg);
}

void pk_ctx_set_user(struct pk_ctx *ctx, const char *user)
{
    snprintf(ctx->user, sizeof ctx->user, "%s", user ? user : "unknown");
}

const char *pk_ctx_user(const struct pk_ctx *ctx) { return ctx->user; }

void pk_version_string(char *buf, size_t size)
{
    PJ_INFO pj = proj_info();
    snprintf(buf, size, "plankit %s (GDAL %s, PROJ %s, GEOS %s, SQLite %s, SpatiaLite %s)",
             PLANKIT_VERSION, GDALVersionInfo("RELEASE_NAME"), pj.version,
             GEOSversion(), sqlite3_libversion(), spatialite_version());
}
