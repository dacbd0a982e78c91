/* layer_view.c — each layer's read-only view named after it.
 *
 * A layer's rows live in lyr_<id>; its name is only a registry value. So
 * that SQL (`plankit sql "SELECT name FROM towns"`), GDAL and QGIS see the
 * layer by its name, every layer has a view named after it (in lower case:
 * SpatiaLite registers view names in lower case, and SQLite compares names
 * case-insensitively anyway) over its table, registered in
 * views_geometry_columns (read-only) and as a SpatiaLite vector coverage
 * carrying the layer's title. The view follows the layer: made by load and
 * by analyses writing a layer, dropped with its table, renamed with it, all
 * inside the caller's transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_int.h"

/* ASCII lower case of name into out (what SpatiaLite accepts as a view name). */
static void lower_name(const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s", name);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

/* 1 when the store has a table called table (e.g. vector_coverages). */
static int has_table(struct pk_store *store, const char *table)
{
    long long n = 0;
    if (pk_sql_int(store, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", table, &n,
                   NULL) != PK_OK)
        pk_error_clear(store->ctx);
    return n > 0;
}

/* Error unless no table, view, index or trigger of the store is called
 * view, but the views of plankit's own layers (a layer of that name is the
 * caller's to find). */
static int name_free(struct pk_store *store, const char *layer, const char *view)
{
    long long n = 0;
    int rc = pk_sql_int(store, "SELECT count(*) FROM sqlite_master WHERE name=?1 COLLATE NOCASE AND NOT"
                        " (type='view' AND lower(name) IN (SELECT view_name FROM views_geometry_columns"
                        "  WHERE f_table_name IN (SELECT lower(table_name) FROM pk_layers)))", view, &n, NULL);
    if (rc == PK_OK && n > 0)
        rc = pk_error(store->ctx, PK_ERR_EXISTS, "layer name '%s' is taken by a table of the store itself: "
                      "choose another name", layer);
    return rc;
}

/* Register the view as a vector coverage titled title (when the store has
 * SpatiaLite's coverage tables: stores made by plankit do). */
static int register_coverage(struct pk_store *store, const char *view, const char *title)
{
    if (!has_table(store, "vector_coverages"))
        return PK_OK;
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "SELECT SE_RegisterSpatialViewCoverage(?1, ?1, 'geom', ?2, '')", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, view);
    pk_sql_bind_text(st, 2, title);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 1)
        rc = pk_error(store->ctx, PK_ERR_DB, "cannot register the view of layer '%s' with its title", view);
    sqlite3_finalize(st);
    return rc;
}

int pk_layer_view_create(struct pk_store *store, long long layer_id)
{
    sqlite3_stmt *st;
    char name[128] = "", table[32] = "", view[128], *title = NULL;
    int rc = pk_sql_prepare(store, "SELECT name, coalesce(title, name), table_name FROM pk_layers WHERE id=?", &st);
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_int64(st, 1, layer_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(name, sizeof name, "%s", sqlite3_column_text(st, 0));
        snprintf(table, sizeof table, "%s", sqlite3_column_text(st, 2));
        if (!(title = strdup((const char *)sqlite3_column_text(st, 1))))
            rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    } else {
        rc = pk_error_db(store, "cannot read the layer registry");
    }
    sqlite3_finalize(st);
    /* the table name goes into SQL text: only plankit's own lyr_<id> */
    size_t digits = strncmp(table, "lyr_", 4) ? 0 : strspn(table + 4, "0123456789");
    if (rc == PK_OK && (digits == 0 || table[4 + digits]))
        rc = pk_error(store->ctx, PK_ERR_DATA, "the store is damaged: layer '%s' has the table name '%s'", name,
                      table);
    lower_name(name, view, sizeof view);
    if (rc == PK_OK && (rc = name_free(store, name, view)) != PK_OK) {
        free(title);
        return rc;
    }
    char *sql = rc == PK_OK ? sqlite3_mprintf("CREATE VIEW \"%w\" AS SELECT * FROM %s;"
                                              "INSERT INTO views_geometry_columns(view_name, view_geometry,"
                                              " view_rowid, f_table_name, f_geometry_column, read_only)"
                                              " VALUES('%q', 'geom', 'fid', '%q', 'geom', 1);",
                                              view, table, view, table) : NULL;
    if (rc == PK_OK && !sql)
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK)
        rc = pk_sql_exec(store, sql);
    sqlite3_free(sql);
    if (rc == PK_OK)
        rc = register_coverage(store, view, title);
    if (rc != PK_OK)
        pk_error_prefix(store->ctx, "layer '%s'", name);
    free(title);
    return rc;
}

int pk_layer_view_name_free(struct pk_store *store, const char *name)
{
    char view[128];
    lower_name(name, view, sizeof view);
    return name_free(store, name, view);
}

int pk_layer_view_drop(struct pk_store *store, const char *table)
{
    sqlite3_stmt *st;
    char views[8][128];
    int n = 0, has_coverages = has_table(store, "vector_coverages");
    int rc = pk_sql_prepare(store, "SELECT view_name FROM views_geometry_columns WHERE f_table_name=lower(?)", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, table);
    int step = SQLITE_DONE;
    while (n < 8 && (step = sqlite3_step(st)) == SQLITE_ROW)
        snprintf(views[n++], sizeof views[0], "%s", sqlite3_column_text(st, 0));
    if (n < 8) /* else a view left behind, named after a dropped layer */
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    for (int i = 0; rc == PK_OK && i < n; i++) {
        char *sql = sqlite3_mprintf("DROP VIEW IF EXISTS \"%w\";"
                                    "DELETE FROM views_geometry_columns WHERE view_name='%q';",
                                    views[i], views[i]);
        char *cov = has_coverages ? sqlite3_mprintf("DELETE FROM vector_coverages_srid WHERE coverage_name='%q';"
                                                    "DELETE FROM vector_coverages_keyword WHERE coverage_name='%q';"
                                                    "DELETE FROM vector_coverages WHERE coverage_name='%q';",
                                                    views[i], views[i], views[i]) : sqlite3_mprintf("");
        rc = sql && cov ? pk_sql_exec(store, sql) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
        if (rc == PK_OK)
            rc = pk_sql_exec(store, cov);
        sqlite3_free(sql);
        sqlite3_free(cov);
    }
    return rc;
}
