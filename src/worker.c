/* worker.c — per-thread GEOS/PROJ state for the metric engines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker_int.h"

void pk_crs_pair_init(struct pk_crs_pair *p, const struct pk_store *store)
{
    snprintf(p->store, sizeof p->store, "EPSG:%d", pk_store_srid(store));
    snprintf(p->metric, sizeof p->metric, "EPSG:%d", pk_store_measure_srid(store));
    const char *path = pk_store_path(store);
    p->path = path && *path && strcmp(path, ":memory:") && access(path, R_OK) == 0 ? path : NULL;
}

sqlite3 *pk_metric_worker_reader(struct pk_metric_worker *w)
{
    if (w->reader || !w->path)
        return w->reader;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 60000);
    sqlite3_exec(db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL); /* reads without copies; best effort */
    return w->reader = db;
}

int pk_metric_worker_init(struct pk_metric_worker *w, struct pk_ctx *ctx, const struct pk_crs_pair *p)
{
    w->ctx = ctx;
    w->to_m = w->from_m = NULL;
    w->own_ctx = 0;
    w->path = p ? p->path : NULL;
    w->reader = NULL;
    w->rc = ctx && p ? pk_transform_new_defs(ctx, p->store, p->metric, &w->to_m) : PK_ERR_NOMEM;
    if (w->rc == PK_OK)
        w->rc = pk_transform_new_defs(ctx, p->metric, p->store, &w->from_m);
    pk_measure_init(&w->measure, p && strcmp(p->store, p->metric) ? w->to_m : NULL);
    return w->rc;
}

void pk_metric_worker_release(struct pk_metric_worker *w)
{
    pk_measure_release(&w->measure);
    sqlite3_close(w->reader);
    w->reader = NULL;
    pk_transform_free(w->to_m);
    pk_transform_free(w->from_m);
    w->to_m = w->from_m = NULL;
    if (w->own_ctx)
        pk_ctx_free(w->ctx);
    w->ctx = NULL;
}

void *pk_metric_worker_new(void *crs_pair)
{
    struct pk_metric_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pk_metric_worker_init(w, pk_ctx_new(), crs_pair);
    w->own_ctx = 1;
    return w;
}

void pk_metric_worker_free(void *worker)
{
    if (!worker)
        return;
    pk_metric_worker_release(worker);
    free(worker);
}
