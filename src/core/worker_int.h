/* worker_int.h — the per-thread worker every engine runs on.
 *
 * A worker is what one thread needs to read and measure store geometries:
 * a context (its own GEOS handle and error slot), a read-only connection to
 * the store opened on first use, PROJ transforms from the store CRS to the
 * metric CRS and back, transforms to other CRSs (Web Mercator for tiles,
 * WGS84 for GeoJSON) made on first use and kept, and the measuring state of
 * measure.c. Engines make one per thread through pk_pool (pk_worker_new /
 * pk_worker_free as the pool's init and fini), and one for the calling
 * thread on the caller's context (pk_worker_init / pk_worker_release), so no
 * PROJ context or GEOS handle is ever made per row. */
#ifndef PLANKIT_WORKER_INT_H
#define PLANKIT_WORKER_INT_H

#include "crs_int.h"
#include "measure_int.h"
#include "store_int.h"

/* What a worker is made from, taken from the store before threads start. */
struct pk_worker_conf {
    int store_srid;
    int metric_srid;   /* 0: the store has no metric CRS yet (areas fail) */
    const char *path;  /* the store's file or file: URI, for read connections (borrowed; NULL: none) */
};
void pk_worker_conf_init(struct pk_worker_conf *c, const struct pk_store *store);

#define PK_WORKER_MAX_CRS 4

struct pk_worker {
    struct pk_ctx *ctx;
    struct pk_worker_conf conf;
    struct pk_transform *to_m, *from_m; /* store <-> metric; NULL when the store has no metric CRS */
    struct pk_measure measure;          /* metric areas of store-CRS polygons */
    sqlite3 *reader;                    /* read-only connection, opened on first use */
    struct { int srid; struct pk_transform *tr; } out[PK_WORKER_MAX_CRS]; /* store -> srid */
    char *in_def;                       /* the source CRS of in_tr (a loader's input) */
    struct pk_transform *in_tr;         /* in_def -> the store CRS */
    int nout;
    int own_ctx;
    int rc;                             /* PK_OK when ready */
};

/* pk_pool init/fini: arg is a const struct pk_worker_conf *. The worker is
 * made and freed in its own thread, with its own context; NULL when out of
 * memory (a worker whose rc is not PK_OK is returned too: check w->rc). */
void *pk_worker_new(void *conf);
void pk_worker_free(void *worker);
/* A worker for the calling thread on an existing ctx (kept by the caller);
 * release with pk_worker_release. Returns w->rc. */
int pk_worker_init(struct pk_worker *w, struct pk_ctx *ctx, const struct pk_worker_conf *c);
void pk_worker_release(struct pk_worker *w);
/* The thread's own read-only connection to the store (opened on first use,
 * closed by release); NULL when there is no store file or it cannot be
 * opened. Borrowed. */
sqlite3 *pk_worker_reader(struct pk_worker *w);
/* The transform from the store CRS to EPSG:srid, made on first use and kept
 * (borrowed, valid until release); NULL for srid = the store's own CRS, or
 * with the error in w->ctx (then *rc is set) when it cannot be made. */
struct pk_transform *pk_worker_transform(struct pk_worker *w, int srid, int *rc);
/* The transform from a CRS definition PROJ reads (WKT, "EPSG:N": a loaded
 * file's CRS) to the store CRS, made on first use and kept for that
 * definition (borrowed, valid until release or a call with another
 * definition); NULL with the error in w->ctx and *rc. */
struct pk_transform *pk_worker_transform_from(struct pk_worker *w, const char *def, int *rc);
/* Area in m² of the polygonal parts of g (store CRS), measured along the
 * curves its edges make in the metric CRS (measure.c): the one measuring
 * routine of every command. Lines and points measure 0. Returns PK_OK, or an
 * error in w->ctx. */
int pk_worker_area(struct pk_worker *w, const GEOSGeometry *g, double *area);
/* Length in m of the lineal parts of g in the metric CRS (vertices
 * transformed); polygons and points measure 0. */
int pk_worker_length(struct pk_worker *w, const GEOSGeometry *g, double *length);

#endif
