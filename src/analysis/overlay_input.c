/* overlay_input.c — reading an analysis input into memory: geometries,
 * labels and attributes of a store layer or of a file loaded on the fly.
 *
 * Attributes (filtered by the user's condition) are read on the store's
 * connection. Geometries are decoded from their BLOBs there too, or, for the
 * overlay, by the worker threads in chunks of fids through the feature
 * reader on each worker's own read-only connection
 * (pk_ov_input_read_chunk). A file loaded into a temporary layer exists
 * only inside the caller's transaction, so its geometries are always read
 * on the store's connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob_int.h"
#include "geom_int.h"
#include "reader_int.h"
#include "overlay_int.h"

static const char *static_type(const char *t)
{
    return !strcmp(t, "INTEGER") ? "INTEGER" : !strcmp(t, "REAL") ? "REAL" : "TEXT";
}

static int read_columns(struct pk_store *store, struct pk_ov_input *in)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "SELECT name, type FROM pk_fields WHERE layer_id=? AND type <> 'BLOB'"
                                   " ORDER BY position", &st);
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_int64(st, 1, in->ref.id);
    int cap = 0, step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (in->ncols == cap) {
            cap = cap ? cap * 2 : 8;
            char **names = realloc(in->colnames, sizeof *names * (size_t)cap);
            in->colnames = names ? names : in->colnames;
            const char **types = names ? realloc(in->coltypes, sizeof *types * (size_t)cap) : NULL;
            in->coltypes = types ? types : in->coltypes;
            if (!types) {
                rc = pk_error(pk_store_ctx(store), PK_ERR_NOMEM, "out of memory");
                break;
            }
        }
        char *name = strdup((const char *)sqlite3_column_text(st, 0));
        if (!name) {
            rc = pk_error(pk_store_ctx(store), PK_ERR_NOMEM, "out of memory");
            break;
        }
        in->colnames[in->ncols] = name;
        in->coltypes[in->ncols] = static_type((const char *)sqlite3_column_text(st, 1));
        in->ncols++;
    }
    if (rc == PK_OK)
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    return rc;
}

/* Decode one BLOB column into in->geoms[i] (NULL stays NULL). */
static int take_geom(GEOSContextHandle_t h, struct pk_ov_input *in, size_t i, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return PK_OK;
    GEOSGeometry *g = NULL;
    int rc = pk_geom_from_blob(h, sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col), &g);
    if (rc != PK_OK)
        return rc;
    double x0, y0, x1, y1; /* compute the cached envelope before threads share it */
    GEOSGeom_getExtent_r(h, g, &x0, &y0, &x1, &y1);
    in->geoms[i] = g;
    return PK_OK;
}

/* Find layer name in the store, or load the file of that name (a path that
 * exists) into the temporary layer tmpname; in->ref is set, in->temp when
 * loaded. */
static int find_or_load(struct pk_store *store, const char *name, const char *tmpname, struct pk_ov_input *in)
{
    int rc = pk_layer_find(store, name, &in->ref);
    if (rc == PK_ERR_NOTFOUND && (strchr(name, '/') || strchr(name, '.')) && access(name, F_OK) == 0) {
        struct pk_load_opts o = {.source = name, .name = tmpname, .mode = PK_LOAD_CREATE};
        pk_error_clear(pk_store_ctx(store));
        if ((rc = pk_layer_load(store, &o, NULL, NULL, NULL)) == PK_OK)
            rc = pk_layer_find(store, tmpname, &in->ref);
        in->temp = rc == PK_OK;
    }
    return rc;
}

/* The statement reading in's rows: fid, geometry (NULL when deferred),
 * label, then every attribute column, in fid order, filtered by where.
 * Caller frees with sqlite3_free; NULL when out of memory. */
static char *select_sql(const struct pk_ov_input *in, const char *where)
{
    int has_name = 0;
    for (int i = 0; i < in->ncols; i++)
        has_name |= !strcmp(in->colnames[i], "name");
    char *cols = sqlite3_mprintf("fid, %s, %s", in->deferred ? "NULL" : "geom", has_name ? "name" : "NULL");
    for (int i = 0; cols && i < in->ncols; i++) {
        char *next = sqlite3_mprintf("%s, \"%w\"", cols, in->colnames[i]);
        sqlite3_free(cols);
        cols = next;
    }
    if (!cols)
        return NULL;
    char *sql = where ? sqlite3_mprintf("SELECT %s FROM %s WHERE (%s) ORDER BY fid", cols, in->ref.table, where)
                      : sqlite3_mprintf("SELECT %s FROM %s ORDER BY fid", cols, in->ref.table);
    sqlite3_free(cols);
    return sql;
}

/* Room for one more row in in's arrays (*cap of them now). PK_OK or PK_ERR_NOMEM. */
static int grow_rows(struct pk_ctx *ctx, struct pk_ov_input *in, size_t *cap)
{
    if (in->n < *cap)
        return PK_OK;
    size_t n = *cap ? *cap * 2 : 256;
    long long *fids = realloc(in->fids, n * sizeof *fids);
    GEOSGeometry **geoms = fids ? realloc(in->geoms, n * sizeof *geoms) : NULL;
    char **labels = geoms ? realloc(in->labels, n * sizeof *labels) : NULL;
    char **attrs = labels ? realloc(in->attrs, n * (size_t)(in->ncols ? in->ncols : 1) * sizeof *attrs) : NULL;
    in->fids = fids ? fids : in->fids;
    in->geoms = geoms ? geoms : in->geoms;
    in->labels = labels ? labels : in->labels;
    in->attrs = attrs ? attrs : in->attrs;
    if (!attrs)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory reading layer '%s'", in->ref.name);
    *cap = n;
    return PK_OK;
}

/* Keep the row st is on as in's next feature: fid, label, attributes and
 * (unless deferred) geometry. */
static int keep_row(struct pk_ctx *ctx, struct pk_ov_input *in, sqlite3_stmt *st)
{
    size_t i = in->n;
    in->fids[i] = sqlite3_column_int64(st, 0);
    if (i > 0 && in->fids[i] <= in->fids[i - 1]) /* a condition that ends the statement early */
        return pk_error(ctx, PK_ERR_ARGS, "invalid condition on layer '%s': it must not change the order of "
                        "the features", in->ref.name);
    in->n++;
    in->geoms[i] = NULL;
    int nomem = 0;
    const unsigned char *label = sqlite3_column_text(st, 2);
    in->labels[i] = label ? strdup((const char *)label) : NULL;
    nomem |= label && !in->labels[i];
    for (int c = 0; c < in->ncols; c++) {
        const unsigned char *v = sqlite3_column_text(st, 3 + c);
        char **cell = &in->attrs[i * (size_t)in->ncols + (size_t)c];
        *cell = v ? strdup((const char *)v) : NULL;
        nomem |= v && !*cell;
    }
    if (nomem)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory reading layer '%s'", in->ref.name);
    if (!in->deferred && take_geom(pk_geos(ctx), in, i, st, 1) != PK_OK)
        return pk_error(ctx, PK_ERR_DATA, "layer '%s' feature %lld: unreadable geometry", in->ref.name, in->fids[i]);
    return PK_OK;
}

int pk_ov_input_open(struct pk_store *store, const char *name, const char *where, const char *tmpname,
                     int defer_geoms, struct pk_ov_input *in)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    memset(in, 0, sizeof *in);
    int rc = find_or_load(store, name, tmpname, in);
    if (rc != PK_OK || (rc = read_columns(store, in)) != PK_OK)
        return rc;
    in->deferred = defer_geoms && !in->temp;
    char *sql = select_sql(in, where);
    if (!sql)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory reading layer '%s'", in->ref.name);
    sqlite3_stmt *st;
    rc = where ? pk_sql_prepare_untrusted(store, sql, &st) : pk_sql_prepare(store, sql, &st);
    sqlite3_free(sql);
    if (rc != PK_OK) {
        if (where)
            pk_error_prefix(ctx, "invalid condition '%s' on layer '%s'", where, in->ref.name);
        return rc;
    }
    size_t cap = 0;
    int step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = grow_rows(ctx, in, &cap)) == PK_OK)
            rc = keep_row(ctx, in, st);
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error(ctx, PK_ERR_ARGS, "condition on layer '%s': %s", in->ref.name, sqlite3_errmsg(store->db));
    if (where)
        pk_sql_finalize_untrusted(store, st);
    else
        sqlite3_finalize(st);
    return rc;
}

size_t pk_ov_input_chunks(const struct pk_ov_input *in)
{
    return in->deferred ? (in->n + PK_OV_READ_CHUNK - 1) / PK_OV_READ_CHUNK : 0;
}

/* Reader callback of a chunk: feature fid takes the next slot with that fid
 * (the condition may have left features out). */
struct chunk {
    GEOSContextHandle_t h;
    struct pk_ov_input *in;
    size_t next, last;
};

static int take_chunk_feature(void *arg, struct pk_feature *f)
{
    struct chunk *c = arg;
    if (c->next >= c->last || f->fid != c->in->fids[c->next])
        return PK_OK; /* left out by the condition */
    if (f->geom) {
        double x0, y0, x1, y1; /* compute the cached envelope before threads share it */
        GEOSGeom_getExtent_r(c->h, f->geom, &x0, &y0, &x1, &y1);
    }
    c->in->geoms[c->next++] = f->geom;
    f->geom = NULL;
    return PK_OK;
}

int pk_ov_input_read_chunk(struct pk_worker *w, struct pk_ov_input *in, size_t k)
{
    size_t first = k * PK_OV_READ_CHUNK, last = first + PK_OV_READ_CHUNK < in->n ? first + PK_OV_READ_CHUNK : in->n;
    if (first >= last)
        return PK_OK;
    sqlite3 *db = pk_worker_reader(w);
    if (!db)
        return pk_error(w->ctx, PK_ERR_DB, "cannot open the store for reading in a worker thread");
    struct pk_reader_spec spec = {&in->ref, 1, NULL, 0, NULL};
    struct pk_reader *r = NULL;
    struct chunk c = {pk_geos(w->ctx), in, first, last};
    int rc = pk_reader_new(w->ctx, db, &spec, &r);
    if (rc == PK_OK)
        rc = pk_reader_range(r, in->fids[first], in->fids[last - 1], take_chunk_feature, &c);
    pk_reader_free(r);
    if (rc == PK_OK && c.next < last)
        rc = pk_error(w->ctx, PK_ERR_DATA, "layer '%s' changed while it was read (feature %lld is gone): run again",
                      in->ref.name, in->fids[c.next]);
    return rc;
}

void pk_ov_input_release(struct pk_ctx *ctx, struct pk_ov_input *in)
{
    for (size_t i = 0; i < in->n; i++) {
        if (in->geoms[i])
            GEOSGeom_destroy_r(pk_geos(ctx), in->geoms[i]);
        free(in->labels[i]);
        for (int c = 0; c < in->ncols; c++)
            free(in->attrs[i * (size_t)in->ncols + (size_t)c]);
    }
    for (int c = 0; c < in->ncols; c++)
        free(in->colnames[c]);
    free(in->fids);
    free(in->geoms);
    free(in->labels);
    free(in->attrs);
    free(in->colnames);
    free(in->coltypes);
    int temp = in->temp;
    struct pk_layer_ref ref = in->ref;
    memset(in, 0, sizeof *in);
    in->temp = temp;
    in->ref = ref;
}

int pk_ov_input_drop_temp(struct pk_store *store, struct pk_ov_input *in)
{
    if (!in->temp)
        return PK_OK;
    in->temp = 0;
    return pk_layer_drop_tables(store, &in->ref, 0);
}
