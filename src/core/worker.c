/* worker.c — the per-thread worker: context, read connection, PROJ
 * transforms and the measuring state (see worker_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geom_int.h"
#include "worker_int.h"

void pk_worker_conf_init(struct pk_worker_conf *c, const struct pk_store *store)
{
    c->store_srid = pk_store_srid(store);
    c->metric_srid = pk_store_measure_srid(store);
    const char *path = pk_store_path(store);
    /* (a read-only store is read through the URI it was opened with) */
    c->path = path && *path && strcmp(path, ":memory:") && access(path, R_OK) == 0 ? pk_store_read_uri(store) : NULL;
}

sqlite3 *pk_worker_reader(struct pk_worker *w)
{
    if (w->reader || !w->conf.path)
        return w->reader;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(w->conf.path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 60000);
    sqlite3_exec(db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL); /* reads without copies; best effort */
    return w->reader = db;
}

int pk_worker_init(struct pk_worker *w, struct pk_ctx *ctx, const struct pk_worker_conf *c)
{
    memset(w, 0, sizeof *w);
    w->ctx = ctx;
    if (!ctx || !c)
        return w->rc = PK_ERR_NOMEM;
    w->conf = *c;
    w->rc = PK_OK;
    if (c->metric_srid && c->metric_srid != c->store_srid) {
        w->rc = pk_transform_new(ctx, c->store_srid, c->metric_srid, &w->to_m);
        if (w->rc == PK_OK)
            w->rc = pk_transform_new(ctx, c->metric_srid, c->store_srid, &w->from_m);
    }
    pk_measure_init(&w->measure, w->to_m);
    return w->rc;
}

void pk_worker_release(struct pk_worker *w)
{
    pk_measure_release(&w->measure);
    sqlite3_close(w->reader);
    pk_transform_free(w->to_m);
    pk_transform_free(w->from_m);
    for (int i = 0; i < w->nout; i++)
        pk_transform_free(w->out[i].tr);
    pk_transform_free(w->in_tr);
    free(w->in_def);
    if (w->own_ctx)
        pk_ctx_free(w->ctx);
    memset(w, 0, sizeof *w);
}

void *pk_worker_new(void *conf)
{
    struct pk_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    struct pk_ctx *ctx = pk_ctx_new();
    pk_worker_init(w, ctx, conf);
    w->own_ctx = ctx != NULL;
    return w;
}

void pk_worker_free(void *worker)
{
    if (!worker)
        return;
    pk_worker_release(worker);
    free(worker);
}

struct pk_transform *pk_worker_transform(struct pk_worker *w, int srid, int *rc)
{
    *rc = PK_OK;
    if (srid == w->conf.store_srid)
        return NULL;
    if (srid == w->conf.metric_srid && w->to_m)
        return w->to_m;
    for (int i = 0; i < w->nout; i++)
        if (w->out[i].srid == srid)
            return w->out[i].tr;
    if (w->nout == PK_WORKER_MAX_CRS) {
        *rc = pk_error(w->ctx, PK_ERR_ARGS, "too many target CRSs in one worker");
        return NULL;
    }
    struct pk_transform *tr = NULL;
    if ((*rc = pk_transform_new(w->ctx, w->conf.store_srid, srid, &tr)) != PK_OK)
        return NULL;
    w->out[w->nout].srid = srid;
    w->out[w->nout++].tr = tr;
    return tr;
}

struct pk_transform *pk_worker_transform_from(struct pk_worker *w, const char *def, int *rc)
{
    *rc = PK_OK;
    if (w->in_def && !strcmp(w->in_def, def))
        return w->in_tr;
    pk_transform_free(w->in_tr);
    free(w->in_def);
    w->in_tr = NULL;
    if (!(w->in_def = strdup(def))) {
        *rc = pk_error(w->ctx, PK_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char to[32];
    snprintf(to, sizeof to, "EPSG:%d", w->conf.store_srid);
    if ((*rc = pk_transform_new_defs(w->ctx, def, to, &w->in_tr)) != PK_OK) {
        free(w->in_def);
        w->in_def = NULL;
        return NULL;
    }
    return w->in_tr;
}

int pk_worker_area(struct pk_worker *w, const GEOSGeometry *g, double *area)
{
    *area = 0;
    if (!w->conf.metric_srid)
        return pk_error(w->ctx, PK_ERR_ARGS, "the store has no metric CRS yet: load a layer first or "
                        "create the store with --measure-crs");
    if (!pk_measure_geom(&w->measure, pk_geos(w->ctx), g, area))
        return pk_error(w->ctx, PK_ERR_DATA, "cannot measure the geometry: coordinates outside the metric "
                        "CRS's range, or out of memory");
    return PK_OK;
}

int pk_worker_length(struct pk_worker *w, const GEOSGeometry *g, double *length)
{
    GEOSContextHandle_t h = pk_geos(w->ctx);
    *length = 0;
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++) {
            double l;
            int rc = pk_worker_length(w, GEOSGetGeometryN_r(h, g, i), &l);
            if (rc != PK_OK)
                return rc;
            *length += l;
        }
        return PK_OK;
    }
    if (t != GEOS_LINESTRING && t != GEOS_MULTILINESTRING && t != GEOS_LINEARRING)
        return PK_OK;
    GEOSGeometry *m = w->to_m ? pk_transform_geom(w->ctx, w->to_m, g) : NULL;
    if (w->to_m && !m)
        return pk_errcode(w->ctx);
    int ok = GEOSLength_r(h, m ? m : g, length);
    if (m)
        GEOSGeom_destroy_r(h, m);
    return ok ? PK_OK : pk_error_geos(w->ctx, "cannot measure a length");
}
