/* spatial.c — store geometry reads for the queries on the store's own
 * connection: a feature by fid (through the feature reader), fids by
 * bounding box through the R*Tree, overlap tests, and areas measured by the
 * one measuring routine (pk_worker_area). */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crs_int.h"
#include "geom_int.h"
#include "reader_int.h"
#include "spatial_int.h"
#include "worker_int.h"

struct pk_spatial {
    struct pk_store *store;
    struct pk_ctx *ctx;
    struct pk_worker worker;    /* on the store's context: transforms and measuring */
    struct pk_reader *reader;   /* of the layer last read (reader_layer) */
    struct pk_layer_ref reader_layer;
};

int pk_spatial_new(struct pk_store *store, struct pk_spatial **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    *out = NULL;
    if (!pk_store_measure_srid(store))
        return pk_error(ctx, PK_ERR_ARGS, "the store has no metric CRS yet: load a layer first or "
                        "create the store with --measure-crs");
    struct pk_spatial *sp = calloc(1, sizeof *sp);
    if (!sp)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    sp->store = store;
    sp->ctx = ctx;
    struct pk_worker_conf conf;
    pk_worker_conf_init(&conf, store);
    int rc = pk_worker_init(&sp->worker, ctx, &conf);
    if (rc != PK_OK) {
        pk_spatial_free(sp);
        return rc;
    }
    *out = sp;
    return PK_OK;
}

void pk_spatial_free(struct pk_spatial *sp)
{
    if (!sp)
        return;
    pk_reader_free(sp->reader);
    pk_worker_release(&sp->worker);
    free(sp);
}

struct pk_worker *pk_spatial_worker(struct pk_spatial *sp)
{
    return &sp->worker;
}

int pk_spatial_feature(struct pk_spatial *sp, const struct pk_layer_ref *ref, long long fid,
                       GEOSGeometry **out)
{
    *out = NULL;
    if (!sp->reader || sp->reader_layer.id != ref->id) {
        pk_reader_free(sp->reader);
        sp->reader = NULL;
        sp->reader_layer = *ref;
        struct pk_reader_spec spec = {&sp->reader_layer, 1, NULL, 0, NULL};
        int rc = pk_reader_new(sp->ctx, sp->store->db, &spec, &sp->reader);
        if (rc != PK_OK)
            return rc;
    }
    return pk_reader_geom(sp->reader, fid, out, NULL);
}

int pk_spatial_bbox(struct pk_spatial *sp, const struct pk_layer_ref *ref, const double box[4],
                    long long **fids, size_t *n)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    *fids = NULL;
    *n = 0;
    char *sql = sqlite3_mprintf("SELECT pkid FROM \"idx_%w_geom\" WHERE xmin <= ?4 AND xmax >= ?1"
                                " AND ymin <= ?3 AND ymax >= ?2 ORDER BY pkid", ref->table);
    int rc = pk_sql_prepare(sp->store, sql, &st);
    sqlite3_free(sql);
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_double(st, 1, box[0]);
    sqlite3_bind_double(st, 2, box[1]);
    sqlite3_bind_double(st, 3, box[3]);
    sqlite3_bind_double(st, 4, box[2]);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            long long *grown = realloc(*fids, cap * sizeof **fids);
            if (!grown) {
                rc = pk_error(sp->ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            *fids = grown;
        }
        (*fids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(sp->store, "cannot read the spatial index");
    sqlite3_finalize(st);
    if (rc != PK_OK) {
        free(*fids);
        *fids = NULL;
        *n = 0;
    }
    return rc;
}

GEOSGeometry *pk_spatial_to_metric(struct pk_spatial *sp, const GEOSGeometry *g)
{
    if (!sp->worker.to_m)
        return GEOSGeom_clone_r(pk_geos(sp->ctx), g);
    return pk_transform_geom(sp->ctx, sp->worker.to_m, g);
}

double pk_spatial_area(struct pk_spatial *sp, const GEOSGeometry *g)
{
    double a = -1;
    if (pk_geom_is_polygonal(sp->ctx, g) || GEOSGeomTypeId_r(pk_geos(sp->ctx), g) == GEOS_GEOMETRYCOLLECTION)
        return pk_worker_area(&sp->worker, g, &a) == PK_OK ? a : -1;
    return pk_worker_length(&sp->worker, g, &a) == PK_OK ? a : -1;
}

int pk_spatial_overlaps(struct pk_spatial *sp, const GEOSGeometry *a, const GEOSGeometry *b, int *yes)
{
    GEOSContextHandle_t h = pk_geos(sp->ctx);
    char meets = GEOSIntersects_r(h, a, b);
    *yes = 0;
    if (meets == 2)
        return pk_error_geos(sp->ctx, "intersects");
    if (!meets)
        return PK_OK;
    if (!pk_geom_is_polygonal(sp->ctx, a) || !pk_geom_is_polygonal(sp->ctx, b)) {
        *yes = 1;
        return PK_OK;
    }
    GEOSGeometry *x = GEOSIntersection_r(h, a, b);
    if (!x)
        return pk_error_geos(sp->ctx, "intersection");
    /* a shared border (a line) is no overlap: only the polygonal part counts */
    double area = pk_geom_is_polygonal(sp->ctx, x) || GEOSGeomTypeId_r(h, x) == GEOS_GEOMETRYCOLLECTION
                      ? pk_spatial_area(sp, x) : 0;
    GEOSGeom_destroy_r(h, x);
    if (area < 0)
        return pk_errcode(sp->ctx);
    *yes = area >= PK_MIN_OVERLAP_M2;
    return PK_OK;
}

int pk_spatial_overlapping(struct pk_spatial *sp, const struct pk_layer_ref *ref, const GEOSGeometry *g,
                           long long **fids, size_t *n)
{
    double box[4];
    long long *cand = NULL;
    size_t nc = 0, m = 0;
    GEOSGeom_getExtent_r(pk_geos(sp->ctx), g, &box[0], &box[1], &box[2], &box[3]);
    int rc = pk_spatial_bbox(sp, ref, box, &cand, &nc);
    for (size_t i = 0; rc == PK_OK && i < nc; i++) {
        GEOSGeometry *fg = NULL;
        int yes = 0;
        rc = pk_spatial_feature(sp, ref, cand[i], &fg);
        if (rc == PK_OK && fg)
            rc = pk_spatial_overlaps(sp, g, fg, &yes);
        if (yes)
            cand[m++] = cand[i];
        if (fg)
            GEOSGeom_destroy_r(pk_geos(sp->ctx), fg);
    }
    if (rc != PK_OK) {
        free(cand);
        cand = NULL;
        m = 0;
    }
    *fids = cand;
    *n = m;
    return rc;
}

/* GEOSGeom_transformXY callback: x and y rounded to 7 decimals (1 cm in
 * degrees), the precision RFC 7946 recommends. */
static int round_7_decimals(double *x, double *y, void *arg)
{
    (void)arg;
    *x = round(*x * 1e7) / 1e7;
    *y = round(*y * 1e7) / 1e7;
    return 1;
}

char *pk_geom_to_geojson(struct pk_ctx *ctx, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    GEOSGeoJSONWriter *w = GEOSGeoJSONWriter_create_r(h);
    GEOSGeometry *rounded = w ? GEOSGeom_transformXY_r(h, g, round_7_decimals, NULL) : NULL;
    char *s = rounded ? GEOSGeoJSONWriter_writeGeometry_r(h, w, rounded, -1) : NULL;
    if (rounded)
        GEOSGeom_destroy_r(h, rounded);
    if (w)
        GEOSGeoJSONWriter_destroy_r(h, w);
    char *copy = s ? strdup(s) : NULL;
    if (s)
        GEOSFree_r(h, s);
    return copy;
}
