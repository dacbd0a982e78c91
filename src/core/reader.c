/* reader.c — the feature reader (see reader_int.h): prepared range, box and
 * single-feature queries on one connection, BLOBs decoded into GEOS. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <spatialite/gaiageo.h>

#include "blob_int.h"
#include "reader_int.h"

enum { Q_RANGE, Q_BBOX, Q_ONE, Q_COUNT };

struct pk_reader {
    struct pk_ctx *ctx;
    sqlite3 *db;
    struct pk_reader_spec spec;
    char *columns;                 /* "fid, geom, label, attrs..." (sqlite3_malloc'd) */
    sqlite3_stmt *st[Q_COUNT];     /* prepared on first use */
    struct pk_value *values;       /* nattrs */
};

int pk_geom_from_blob(GEOSContextHandle_t h, const void *blob, size_t size, GEOSGeometry **out)
{
    *out = NULL;
    int rc = pk_blob_to_geos(h, blob, size, out);
    if (rc != PK_ERR_ARGS)
        return rc;
    /* a BLOB plankit does not write itself (compressed, Z, M): SpatiaLite's
     * own decoder, then WKB */
    gaiaGeomCollPtr gg = size <= 0x7fffffff ? gaiaFromSpatiaLiteBlobWkb(blob, (unsigned int)size) : NULL;
    unsigned char *wkb = NULL;
    int wkb_size = 0;
    if (gg)
        gaiaToWkb(gg, &wkb, &wkb_size);
    gaiaFreeGeomColl(gg);
    if (!wkb)
        return PK_ERR_DATA;
    GEOSWKBReader *wr = GEOSWKBReader_create_r(h);
    *out = wr ? GEOSWKBReader_read_r(h, wr, wkb, (size_t)wkb_size) : NULL;
    if (wr)
        GEOSWKBReader_destroy_r(h, wr);
    free(wkb);
    return *out ? PK_OK : PK_ERR_DATA;
}

int pk_reader_new(struct pk_ctx *ctx, sqlite3 *db, const struct pk_reader_spec *spec, struct pk_reader **out)
{
    *out = NULL;
    struct pk_reader *r = calloc(1, sizeof *r);
    if (!r)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    r->ctx = ctx;
    r->db = db;
    r->spec = *spec;
    r->values = calloc(spec->nattrs > 0 ? (size_t)spec->nattrs : 1, sizeof *r->values);
    const char *geom = spec->with_geom ? "geom" : "NULL";
    r->columns = spec->label_field ? sqlite3_mprintf("fid, %s, \"%w\"", geom, spec->label_field)
                                   : sqlite3_mprintf("fid, %s, NULL", geom);
    for (int i = 0; r->columns && i < spec->nattrs; i++) {
        char *next = sqlite3_mprintf("%s, \"%w\"", r->columns, spec->attrs[i]);
        sqlite3_free(r->columns);
        r->columns = next;
    }
    if (!r->values || !r->columns) {
        pk_reader_free(r);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    *out = r;
    return PK_OK;
}

void pk_reader_free(struct pk_reader *r)
{
    if (!r)
        return;
    for (int q = 0; q < Q_COUNT; q++)
        sqlite3_finalize(r->st[q]);
    sqlite3_free(r->columns);
    free(r->values);
    free(r);
}

static int db_error(struct pk_reader *r, const char *what)
{
    return pk_error(r->ctx, PK_ERR_DB, "cannot read layer '%s' (%s): %s", r->spec.layer->name, what,
                    sqlite3_errmsg(r->db));
}

/* The statement for query q, prepared on first use and reset for reuse. */
static sqlite3_stmt *statement(struct pk_reader *r, int q)
{
    if (r->st[q]) {
        sqlite3_reset(r->st[q]);
        return r->st[q];
    }
    const char *table = r->spec.layer->table;
    char *sql = q == Q_RANGE ? sqlite3_mprintf("SELECT %s FROM \"%w\" WHERE fid BETWEEN ?1 AND ?2 ORDER BY fid",
                                               r->columns, table)
              : q == Q_BBOX ? sqlite3_mprintf("SELECT %s FROM \"%w\" WHERE fid IN (SELECT pkid FROM \"idx_%w_geom\""
                                              " WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)"
                                              " ORDER BY fid", r->columns, table, table)
                            : sqlite3_mprintf("SELECT %s FROM \"%w\" WHERE fid = ?1", r->columns, table);
    if (!sql) {
        pk_error(r->ctx, PK_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (sqlite3_prepare_v2(r->db, sql, -1, &r->st[q], NULL) != SQLITE_OK) {
        db_error(r, "prepare");
        sqlite3_finalize(r->st[q]);
        r->st[q] = NULL;
    }
    sqlite3_free(sql);
    return r->st[q];
}

static void read_values(struct pk_reader *r, sqlite3_stmt *st)
{
    for (int i = 0; i < r->spec.nattrs; i++) {
        struct pk_value *v = &r->values[i];
        int col = 3 + i;
        memset(v, 0, sizeof *v);
        switch (sqlite3_column_type(st, col)) {
        case SQLITE_INTEGER:
            v->type = PK_VAL_INT;
            v->i = sqlite3_column_int64(st, col);
            break;
        case SQLITE_FLOAT:
            v->type = PK_VAL_REAL;
            v->d = sqlite3_column_double(st, col);
            break;
        case SQLITE_NULL:
            break;
        default: /* text; a BLOB attribute is handed over as its bytes' text */
            v->type = PK_VAL_TEXT;
            v->s = (const char *)sqlite3_column_text(st, col);
            v->type = v->s ? PK_VAL_TEXT : PK_VAL_NULL;
            break;
        }
    }
}

/* Step st to its end, handing every row to fn. */
static int stream(struct pk_reader *r, sqlite3_stmt *st, pk_feature_fn fn, void *arg)
{
    GEOSContextHandle_t h = pk_geos(r->ctx);
    int step, rc = PK_OK;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct pk_feature f = {sqlite3_column_int64(st, 0), NULL, (const char *)sqlite3_column_text(st, 2),
                               r->spec.nattrs, r->values};
        if (r->spec.with_geom && sqlite3_column_type(st, 1) == SQLITE_BLOB &&
            pk_geom_from_blob(h, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &f.geom) != PK_OK) {
            rc = pk_error(r->ctx, PK_ERR_DATA, "layer '%s' feature %lld: unreadable geometry", r->spec.layer->name,
                          f.fid);
            break;
        }
        read_values(r, st);
        rc = fn(arg, &f);
        if (f.geom)
            GEOSGeom_destroy_r(h, f.geom);
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = db_error(r, "step");
    sqlite3_reset(st);
    return rc;
}

int pk_reader_range(struct pk_reader *r, long long first, long long last, pk_feature_fn fn, void *arg)
{
    sqlite3_stmt *st = statement(r, Q_RANGE);
    if (!st)
        return pk_errcode(r->ctx);
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, last);
    return stream(r, st, fn, arg);
}

int pk_reader_all(struct pk_reader *r, pk_feature_fn fn, void *arg)
{
    return pk_reader_range(r, INT64_MIN, INT64_MAX, fn, arg);
}

int pk_reader_bbox(struct pk_reader *r, const double box[4], pk_feature_fn fn, void *arg)
{
    sqlite3_stmt *st = statement(r, Q_BBOX);
    if (!st)
        return pk_errcode(r->ctx);
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, i + 1, box[i]);
    return stream(r, st, fn, arg);
}

struct one {
    GEOSGeometry *g;
    int found;
};

static int take_one(void *arg, struct pk_feature *f)
{
    struct one *o = arg;
    o->found = 1;
    o->g = f->geom;
    f->geom = NULL;
    return PK_OK;
}

int pk_reader_geom(struct pk_reader *r, long long fid, GEOSGeometry **out, int *found)
{
    struct one o = {NULL, 0};
    sqlite3_stmt *st = statement(r, Q_ONE);
    *out = NULL;
    if (!st)
        return pk_errcode(r->ctx);
    sqlite3_bind_int64(st, 1, fid);
    int rc = stream(r, st, take_one, &o);
    if (rc != PK_OK && o.g) {
        GEOSGeom_destroy_r(pk_geos(r->ctx), o.g);
        o.g = NULL;
    }
    *out = o.g;
    if (found)
        *found = o.found;
    return rc;
}
