/* overlay_input.c — reading an analysis input into memory: geometries,
 * labels and attributes of a store layer or of a file loaded on the fly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geom_int.h"
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
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (in->ncols == cap) {
            cap = cap ? cap * 2 : 8;
            in->colnames = realloc(in->colnames, sizeof *in->colnames * (size_t)cap);
            in->coltypes = realloc(in->coltypes, sizeof *in->coltypes * (size_t)cap);
        }
        in->colnames[in->ncols] = strdup((const char *)sqlite3_column_text(st, 0));
        in->coltypes[in->ncols] = static_type((const char *)sqlite3_column_text(st, 1));
        in->ncols++;
    }
    sqlite3_finalize(st);
    return PK_OK;
}

int pk_ov_input_open(struct pk_store *store, const char *name, const char *where, const char *tmpname,
                     struct pk_ov_input *in)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    memset(in, 0, sizeof *in);
    int rc = pk_layer_find(store, name, &in->ref);
    if (rc == PK_ERR_NOTFOUND && (strchr(name, '/') || strchr(name, '.')) && access(name, F_OK) == 0) {
        struct pk_load_opts o = {.source = name, .name = tmpname, .mode = PK_LOAD_CREATE};
        pk_error_clear(ctx);
        if ((rc = pk_layer_load(store, &o, NULL, NULL, NULL)) == PK_OK)
            rc = pk_layer_find(store, tmpname, &in->ref);
        in->temp = rc == PK_OK;
    }
    if (rc != PK_OK)
        return rc;
    if ((rc = read_columns(store, in)) != PK_OK)
        return rc;
    int has_name = 0;
    for (int i = 0; i < in->ncols; i++)
        has_name |= !strcmp(in->colnames[i], "name");
    char *cols = sqlite3_mprintf("fid, AsBinary(geom), %s", has_name ? "name" : "NULL");
    for (int i = 0; i < in->ncols; i++) {
        char *next = sqlite3_mprintf("%s, \"%w\"", cols, in->colnames[i]);
        sqlite3_free(cols);
        cols = next;
    }
    char *sql = where ? sqlite3_mprintf("SELECT %s FROM %s WHERE (%s) ORDER BY fid", cols, in->ref.table, where)
                      : sqlite3_mprintf("SELECT %s FROM %s ORDER BY fid", cols, in->ref.table);
    sqlite3_free(cols);
    sqlite3_stmt *st;
    rc = where ? pk_sql_prepare_untrusted(store, sql, &st) : pk_sql_prepare(store, sql, &st);
    sqlite3_free(sql);
    if (rc != PK_OK) {
        if (where)
            pk_error_prefix(ctx, "invalid condition '%s' on layer '%s'", where, in->ref.name);
        return rc;
    }
    GEOSWKBReader *reader = GEOSWKBReader_create_r(pk_geos(ctx));
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (in->n == cap) {
            cap = cap ? cap * 2 : 256;
            in->fids = realloc(in->fids, cap * sizeof *in->fids);
            in->geoms = realloc(in->geoms, cap * sizeof *in->geoms);
            in->labels = realloc(in->labels, cap * sizeof *in->labels);
            in->attrs = realloc(in->attrs, cap * (size_t)(in->ncols ? in->ncols : 1) * sizeof *in->attrs);
        }
        size_t i = in->n++;
        in->fids[i] = sqlite3_column_int64(st, 0);
        in->geoms[i] = pk_geom_from_column(ctx, reader, st, 1);
        if (in->geoms[i]) {
            double x0, y0, x1, y1; /* compute the cached envelope before threads share it */
            GEOSGeom_getExtent_r(pk_geos(ctx), in->geoms[i], &x0, &y0, &x1, &y1);
        }
        const unsigned char *label = sqlite3_column_text(st, 2);
        in->labels[i] = label ? strdup((const char *)label) : NULL;
        for (int c = 0; c < in->ncols; c++) {
            const unsigned char *v = sqlite3_column_text(st, 3 + c);
            in->attrs[i * (size_t)in->ncols + (size_t)c] = v ? strdup((const char *)v) : NULL;
        }
    }
    if (step != SQLITE_DONE)
        rc = pk_error(ctx, PK_ERR_ARGS, "condition on layer '%s': %s", in->ref.name, sqlite3_errmsg(store->db));
    if (where)
        pk_sql_finalize_untrusted(store, st);
    else
        sqlite3_finalize(st);
    GEOSWKBReader_destroy_r(pk_geos(ctx), reader);
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
