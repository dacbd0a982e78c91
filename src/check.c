/* check.c — `plankit check`: SQLite integrity plus plankit's own invariants
 * (registry matches tables, spatial indexes present and consistent,
 * geometries valid, feature counts right, no orphan layer tables). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_int.h"

struct checker {
    struct pk_store *store;
    struct pk_table *problems;
};

static void problem(struct checker *C, const char *object, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct checker *C, const char *object, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    long r = pk_table_add_row(C->problems);
    if (r >= 0) {
        pk_table_set(C->problems, (size_t)r, 0, object);
        pk_table_set(C->problems, (size_t)r, 1, msg);
    }
}

static long long scalar(struct checker *C, const char *sql, int *ok)
{
    long long v = -1;
    int found = 0;
    *ok = pk_sql_int(C->store, sql, NULL, &v, &found) == PK_OK && found;
    pk_error_clear(C->store->ctx);
    return v;
}

static void check_integrity(struct checker *C)
{
    sqlite3_stmt *st;
    if (pk_sql_prepare(C->store, "PRAGMA integrity_check", &st) != PK_OK) {
        problem(C, "store", "integrity check failed to run: %s", pk_errmsg(C->store->ctx));
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        if (r && strcmp(r, "ok") != 0)
            problem(C, "store", "sqlite integrity: %s", r);
    }
    sqlite3_finalize(st);
}

static void check_layer(struct checker *C, const struct pk_layer_ref *ref)
{
    int ok;
    char *sql = sqlite3_mprintf("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%q'",
                                ref->table);
    long long exists = scalar(C, sql, &ok);
    sqlite3_free(sql);
    if (exists != 1) {
        problem(C, ref->name, "table %s is missing", ref->table);
        return;
    }
    sql = sqlite3_mprintf("SELECT count(*) FROM %s", ref->table);
    long long n = scalar(C, sql, &ok);
    sqlite3_free(sql);
    if (n != ref->count)
        problem(C, ref->name, "registry says %lld features, table has %lld", ref->count, n);
    sql = sqlite3_mprintf("SELECT spatial_index_enabled FROM geometry_columns"
                          " WHERE f_table_name='%q' AND f_geometry_column='geom'", ref->table);
    long long idx = scalar(C, sql, &ok);
    sqlite3_free(sql);
    if (!ok)
        problem(C, ref->name, "geometry column not registered in geometry_columns");
    else if (idx != 1)
        problem(C, ref->name, "spatial index missing");
    else {
        /* CheckSpatialIndex logs to spatialite_history: undo that, check only reads */
        int tx = pk_store_begin(C->store) == PK_OK;
        sql = sqlite3_mprintf("SELECT CheckSpatialIndex('%q', 'geom')", ref->table);
        long long good = scalar(C, sql, &ok);
        sqlite3_free(sql);
        if (tx)
            pk_store_rollback(C->store);
        if (good != 1)
            problem(C, ref->name, "spatial index out of date with the table");
    }
    sql = sqlite3_mprintf("SELECT count(*) FROM %s WHERE geom IS NOT NULL AND ST_IsValid(geom) <> 1",
                          ref->table);
    long long invalid = scalar(C, sql, &ok);
    sqlite3_free(sql);
    if (invalid > 0)
        problem(C, ref->name, "%lld invalid geometries", invalid);
}

int pk_store_check(struct pk_store *store, struct pk_table **out, pk_progress_fn progress, void *arg)
{
    static const char *cols[] = {"object", "problem"};
    struct checker C = {store, pk_table_new(2, cols, NULL)};
    sqlite3_stmt *st;
    if (!C.problems)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    check_integrity(&C);
    int rc = pk_sql_prepare(store, "SELECT name FROM pk_layers ORDER BY id", &st);
    long long nlayers = 0, done = 0;
    int ok;
    nlayers = scalar(&C, "SELECT count(*) FROM pk_layers", &ok);
    while (rc == PK_OK && sqlite3_step(st) == SQLITE_ROW) {
        struct pk_layer_ref ref;
        if (pk_layer_find(store, (const char *)sqlite3_column_text(st, 0), &ref) == PK_OK)
            check_layer(&C, &ref);
        done++;
        if (progress && nlayers > 0)
            progress((double)done / (double)nlayers, NULL, arg);
    }
    sqlite3_finalize(st);
    if (rc == PK_OK &&
        pk_sql_prepare(store, "SELECT name FROM sqlite_master WHERE type='table' AND name GLOB 'lyr_[0-9]*'"
                              " AND name NOT IN (SELECT table_name FROM pk_layers)", &st) == PK_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            problem(&C, (const char *)sqlite3_column_text(st, 0), "layer table not in the registry");
        sqlite3_finalize(st);
    }
    long long orphans = scalar(&C, "SELECT count(*) FROM pk_fields WHERE layer_id NOT IN (SELECT id FROM pk_layers)", &ok);
    if (orphans > 0)
        problem(&C, "pk_fields", "%lld field rows of unknown layers", orphans);
    if (rc != PK_OK) {
        pk_table_free(C.problems);
        return rc;
    }
    *out = C.problems;
    return PK_OK;
}
