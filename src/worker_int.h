/* worker_int.h — per-thread state of the metric engines (overlay, buffer,
 * dissolve): a context with its own GEOS handle and PROJ transforms between
 * the store CRS and the metric CRS. */
#ifndef PLANKIT_WORKER_INT_H
#define PLANKIT_WORKER_INT_H

#include "crs_int.h"
#include "measure_int.h"
#include "store_int.h"

struct pk_crs_pair {
    char store[32];  /* "EPSG:<store srid>" */
    char metric[32]; /* "EPSG:<metric srid>" */
    const char *path;/* the store's file, for read connections (borrowed; NULL: none) */
};
void pk_crs_pair_init(struct pk_crs_pair *p, const struct pk_store *store);

struct pk_metric_worker {
    struct pk_ctx *ctx;
    struct pk_transform *to_m, *from_m;
    struct pk_measure measure; /* metric areas of store-CRS polygons */
    const char *path;          /* the store's file (borrowed) */
    sqlite3 *reader;           /* this thread's read-only connection, opened on first use */
    int own_ctx;
    int rc;          /* PK_OK when ready */
};

/* pk_pool init/fini: arg is a const struct pk_crs_pair *. The worker is made
 * and freed in its own thread. */
void *pk_metric_worker_new(void *crs_pair);
void pk_metric_worker_free(void *worker);
/* A worker for the calling thread on an existing ctx (kept by the caller);
 * release with pk_metric_worker_release. Returns w->rc. */
int pk_metric_worker_init(struct pk_metric_worker *w, struct pk_ctx *ctx, const struct pk_crs_pair *p);
void pk_metric_worker_release(struct pk_metric_worker *w);
/* The thread's own read-only connection to the store (opened on first use,
 * closed by the worker's release); NULL when there is no store file or it
 * cannot be opened. Borrowed. */
sqlite3 *pk_metric_worker_reader(struct pk_metric_worker *w);

#endif
