/* reader_int.h — the feature reader: the one way engines read a layer's
 * features out of the store.
 *
 * A reader is a prepared query on one SQLite connection (the store's own, or
 * a worker's read-only one, so it runs on any thread) that streams a layer's
 * features in fid order — all of them, a range of fids, or those whose
 * R*Tree box meets a bounding box — as fid, geometry decoded straight from
 * the SpatiaLite BLOB into GEOS (blob.c; any other BLOB SpatiaLite writes
 * through its own decoder), an optional label and typed attributes.
 * Every read ends in SQLITE_DONE or is an error: a busy or broken database
 * never yields a short answer. */
#ifndef PLANKIT_READER_INT_H
#define PLANKIT_READER_INT_H

#include "layer_int.h"

enum pk_value_type { PK_VAL_NULL = 0, PK_VAL_INT, PK_VAL_REAL, PK_VAL_TEXT };

/* A typed attribute value; text is borrowed for the callback's duration. */
struct pk_value {
    enum pk_value_type type;
    long long i;
    double d;
    const char *s;
};

/* One feature as the reader hands it to its callback. */
struct pk_feature {
    long long fid;
    GEOSGeometry *geom;            /* store CRS, NULL when the row has none; the callback
                                    * may take it (set it to NULL), else the reader frees it */
    const char *label;             /* the label field's text or NULL; borrowed for the call */
    int nattrs;
    const struct pk_value *attrs;  /* the requested attributes, in order; borrowed for the call */
};

/* Called per feature; return PK_OK to go on, anything else stops the read
 * with that status (the callback records its message in the reader's ctx). */
typedef int (*pk_feature_fn)(void *arg, struct pk_feature *f);

/* What to read. Field names are those registered in pk_fields (never user
 * SQL): they are quoted into the query. */
struct pk_reader_spec {
    const struct pk_layer_ref *layer;
    int with_geom;                 /* decode geometries (else geom is always NULL) */
    const char *label_field;       /* a field to hand over as label, or NULL */
    int nattrs;
    const char *const *attrs;      /* fields to read as typed attributes */
};

struct pk_reader;

/* A reader on connection db (borrowed; used only from the calling thread
 * while the reader lives), with errors in ctx. Caller frees *out with
 * pk_reader_free. */
int pk_reader_new(struct pk_ctx *ctx, sqlite3 *db, const struct pk_reader_spec *spec, struct pk_reader **out);
void pk_reader_free(struct pk_reader *r);
/* Features with first <= fid <= last, in fid order. */
int pk_reader_range(struct pk_reader *r, long long first, long long last, pk_feature_fn fn, void *arg);
/* Every feature, in fid order. */
int pk_reader_all(struct pk_reader *r, pk_feature_fn fn, void *arg);
/* Features whose R*Tree box meets box (xmin, ymin, xmax, ymax, store CRS),
 * in fid order. */
int pk_reader_bbox(struct pk_reader *r, const double box[4], pk_feature_fn fn, void *arg);
/* The geometry of feature fid: *out NULL when the feature has none or does
 * not exist (*found tells which; may be NULL). Caller frees *out with
 * GEOSGeom_destroy_r. */
int pk_reader_geom(struct pk_reader *r, long long fid, GEOSGeometry **out, int *found);

/* Decode any SpatiaLite geometry BLOB into GEOS: plankit's own 2D BLOBs
 * directly (blob.c), compressed or Z/M ones through SpatiaLite's decoder.
 * *out: caller frees with GEOSGeom_destroy_r. PK_ERR_DATA when malformed. */
int pk_geom_from_blob(GEOSContextHandle_t h, const void *blob, size_t size, GEOSGeometry **out);

#endif
