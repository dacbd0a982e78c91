/* sql.c — SELECT results into tables (sql_int.h: the helper the library's
 * listing functions share) and `plankit sql`: one read-only statement on
 * the store, with the SpatiaLite functions. Writes are refused three ways:
 * the statement must be read-only (sqlite3_stmt_readonly), an authorizer
 * denies every write, ATTACH and PRAGMA assignment, and the connection runs
 * with query_only. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_int.h"
#include "plankit/query.h"

/* Is a column declared as a geometry (a layer's geom, ...)? */
static int geometry_decltype(const char *decl)
{
    static const char *const types[] = {"GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT",
                                        "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"};
    for (size_t i = 0; decl && i < sizeof types / sizeof types[0]; i++)
        if (!strcasecmp(decl, types[i]))
            return 1;
    return 0;
}

/* Does column i of st's current row hold a SpatiaLite geometry BLOB (its
 * start, MBR end and end bytes; blob.c reads the rest)? */
static int geometry_blob(sqlite3_stmt *st, int i)
{
    const unsigned char *b = sqlite3_column_type(st, i) == SQLITE_BLOB ? sqlite3_column_blob(st, i) : NULL;
    int n = b ? sqlite3_column_bytes(st, i) : 0;
    return n > 44 && b[0] == 0x00 && b[38] == 0x7C && b[n - 1] == 0xFE;
}

/* A table with st's column names; types NULL: from st's current row (or
 * text without a row). When sg asks for GeoJSON, a column declared as a
 * geometry or whose first value is a geometry BLOB is a GeoJSON column. */
static struct pk_table *table_for(sqlite3_stmt *st, const enum pk_col_type *types, int has_row,
                                  const struct pk_sql_geom *sg)
{
    int n = sqlite3_column_count(st);
    const char **names = calloc((size_t)(n ? n : 1), sizeof *names);
    enum pk_col_type *own = calloc((size_t)(n ? n : 1), sizeof *own);
    struct pk_table *t = NULL;
    int ok = names && own;
    for (int i = 0; ok && i < n; i++) {
        ok = (names[i] = sqlite3_column_name(st, i)) != NULL;
        int ct = has_row ? sqlite3_column_type(st, i) : SQLITE_TEXT;
        own[i] = ct == SQLITE_INTEGER ? PK_COL_INT : ct == SQLITE_FLOAT ? PK_COL_REAL : PK_COL_TEXT;
        if (sg && sg->mode == PK_SQL_GEOM_GEOJSON &&
            (geometry_decltype(sqlite3_column_decltype(st, i)) || (has_row && geometry_blob(st, i))))
            own[i] = PK_COL_GEOJSON;
    }
    if (ok)
        t = pk_table_new(n, names, types ? types : own);
    free(names);
    free(own);
    return t;
}

/* Cell i of st's current row, a BLOB: when sg is given and it is a
 * geometry, its GeoJSON in a GeoJSON column, else its WKT; any other BLOB
 * reads "<blob N bytes>". */
static int set_blob(struct pk_table *t, size_t r, int i, sqlite3_stmt *st, struct pk_sql_geom *sg)
{
    const unsigned char *blob = sqlite3_column_blob(st, i);
    int size = sqlite3_column_bytes(st, i);
    char *text = NULL;
    int rc = sg && blob ? pk_sql_geom_text(sg, blob, (size_t)size, t->types[i] == PK_COL_GEOJSON, &text)
                        : PK_ERR_DATA;
    if (rc == PK_ERR_DATA)
        return pk_table_setf(t, r, i, "<blob %d bytes>", size) ? PK_ERR_NOMEM : PK_OK;
    if (rc != PK_OK)
        return rc;
    rc = pk_table_set(t, r, i, text) ? PK_ERR_NOMEM : PK_OK;
    free(text);
    return rc;
}

/* Append st's current row to t: PK_OK, PK_ERR_NOMEM (nothing in ctx) or a
 * geometry's error (in ctx). */
static int append_row(struct pk_table *t, sqlite3_stmt *st, struct pk_sql_geom *sg)
{
    long r = pk_table_add_row(t);
    for (int i = 0; r >= 0 && i < t->ncols; i++) {
        int ct = sqlite3_column_type(st, i);
        if (ct == SQLITE_NULL)
            continue;
        if (ct == SQLITE_BLOB) {
            int rc = set_blob(t, (size_t)r, i, st, sg);
            if (rc != PK_OK)
                return rc;
            continue;
        }
        const char *text = (const char *)sqlite3_column_text(st, i);
        if (!text || pk_table_set(t, (size_t)r, i, text)) /* (NULL text of a value: out of memory) */
            return PK_ERR_NOMEM;
    }
    return r >= 0 ? PK_OK : PK_ERR_NOMEM;
}

/* pk_sql_table_from, with geometry BLOBs written as sg says (NULL: sizes). */
static int table_from(struct pk_store *store, sqlite3_stmt *st, const enum pk_col_type *types, const char *what,
                      struct pk_sql_geom *sg, struct pk_table **out)
{
    struct pk_table *t = NULL;
    int step = SQLITE_ERROR, rc = PK_OK;
    *out = NULL;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        /* names only now: a step that re-prepares the statement (schema
         * changed meanwhile) frees the names read before it */
        if (!t && !(t = table_for(st, types, 1, sg)))
            rc = PK_ERR_NOMEM;
        else
            rc = append_row(t, st, sg);
    }
    if (rc == PK_OK && step == SQLITE_DONE && !t && !(t = table_for(st, types, 0, sg)))
        rc = PK_ERR_NOMEM;
    if (rc != PK_OK) {
        pk_table_free(t);
        if (rc == PK_ERR_NOMEM)
            return pk_error(store->ctx, PK_ERR_NOMEM, "%s: out of memory", what);
        pk_error_prefix(store->ctx, "%s", what);
        return rc;
    }
    if (step != SQLITE_DONE) {
        pk_table_free(t);
        int code = sqlite3_errcode(store->db) == SQLITE_READONLY ? PK_ERR_READONLY : PK_ERR_DB;
        return pk_error(store->ctx, code, "%s: %s", what, sqlite3_errmsg(store->db));
    }
    *out = t;
    return PK_OK;
}

int pk_sql_table_from(struct pk_store *store, sqlite3_stmt *st, const enum pk_col_type *types, const char *what,
                      struct pk_table **out)
{
    return table_from(store, st, types, what, NULL, out);
}

int pk_sql_table(struct pk_store *store, const char *sql, const char *const *params,
                 const enum pk_col_type *types, const char *what, struct pk_table **out)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (!sql)
        return pk_error(store->ctx, PK_ERR_NOMEM, "%s: out of memory", what);
    int rc = pk_sql_prepare(store, sql, &st);
    for (int i = 0; rc == PK_OK && params && params[i]; i++)
        if (pk_sql_bind_text(st, i + 1, params[i]) != SQLITE_OK)
            rc = pk_error_db(store, what);
    if (rc == PK_OK)
        rc = pk_sql_table_from(store, st, types, what, out);
    sqlite3_finalize(st);
    return rc;
}

/* SpatiaLite functions that change the database or write files; pure
 * functions sharing a prefix are let through below. */
static const char *const writing_prefixes[] = {
    "add", "blobtofile", "clone", "create", "disable", "discard", "drop", "elementary", "export",
    "import", "init", "insert", "invalidate", "load", "recover", "register", "remove", "rename",
    "store", "unregister", "update", "upgrade", "sqlproc_execute", "topogeo_", "toponet_", "rl2_",
};
static const char *const pure_exceptions[] = {"addpoint", "st_addpoint", "addmeasure", "st_addmeasure"};

static int writing_function(const char *name)
{
    for (size_t i = 0; i < sizeof pure_exceptions / sizeof pure_exceptions[0]; i++)
        if (!strcasecmp(name, pure_exceptions[i]))
            return 0;
    for (size_t i = 0; i < sizeof writing_prefixes / sizeof writing_prefixes[0]; i++)
        if (!strncasecmp(name, writing_prefixes[i], strlen(writing_prefixes[i])))
            return 1;
    return 0;
}

/* Pragmas that only read, even with an argument: PRAGMA table_info(t). */
static int reading_pragma(const char *name)
{
    static const char *const names[] = {"table_info", "table_xinfo", "index_list", "index_info",
                                        "index_xinfo", "foreign_key_list", "foreign_key_check",
                                        "integrity_check", "quick_check"};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(name, names[i]))
            return 1;
    return 0;
}

static int deny_writes(void *arg, int action, const char *a, const char *b, const char *db,
                       const char *trigger)
{
    (void)arg, (void)a, (void)db, (void)trigger;
    switch (action) {
    case SQLITE_FUNCTION:
        return b && writing_function(b) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        /* reading a pragma is fine, setting one is not */
        return !b || reading_pragma(a) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_UPDATE:
        /* A virtual table connecting (SpatialIndex, pragma_table_info, ...)
         * declares its schema with sqlite3_declare_vtab, which asks to update
         * sqlite_master although nothing is written. Denying it makes the
         * table unusable (and SpatiaLite then reads freed memory). A statement
         * that really updates sqlite_master still fails: it needs PRAGMA
         * writable_schema (denied above) and is not read-only. */
        return a && (!strcmp(a, "sqlite_master") || !strcmp(a, "sqlite_temp_master")) ? SQLITE_OK
                                                                                       : SQLITE_DENY;
    default:
        return SQLITE_DENY;
    }
}

int pk_sql_prepare_untrusted(struct pk_store *store, const char *sql, sqlite3_stmt **st)
{
    const char *tail = NULL;
    *st = NULL;
    if (!sql) /* a failed sqlite3_mprintf */
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    /* no write can happen while the statement exists: writes inside functions
     * run as nested statements, which query_only stops */
    if (pk_sql_exec(store, "PRAGMA query_only=1") != PK_OK)
        return pk_errcode(store->ctx);
    sqlite3_set_authorizer(store->db, deny_writes, NULL);
    int prc = sqlite3_prepare_v2(store->db, sql, -1, st, &tail);
    if (prc == SQLITE_OK && *st && sqlite3_stmt_readonly(*st) && tail && !*tail)
        return PK_OK;
    int rc = pk_error(store->ctx, PK_ERR_ARGS, "%s", prc == SQLITE_OK ? "only one read-only expression is allowed"
                                                                         : sqlite3_errmsg(store->db));
    pk_sql_finalize_untrusted(store, *st);
    *st = NULL;
    return rc;
}

void pk_sql_finalize_untrusted(struct pk_store *store, sqlite3_stmt *st)
{
    sqlite3_finalize(st);
    sqlite3_set_authorizer(store->db, NULL, NULL);
    sqlite3_exec(store->db, "PRAGMA query_only=0", NULL, NULL, NULL);
}

int pk_sql_readonly(struct pk_store *store, const char *sql, struct pk_table **out)
{
    return pk_sql_readonly_as(store, sql, PK_SQL_GEOM_WKT, out);
}

int pk_sql_readonly_as(struct pk_store *store, const char *sql, enum pk_sql_geometry geometry,
                       struct pk_table **out)
{
    struct pk_ctx *ctx = store->ctx;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    *out = NULL;
    if (pk_sql_exec(store, "PRAGMA query_only=1") != PK_OK)
        return pk_errcode(ctx);
    sqlite3_set_authorizer(store->db, deny_writes, NULL);
    int prc = sqlite3_prepare_v2(store->db, sql, -1, &st, &tail), more = 0;
    if (prc == SQLITE_OK && st && tail && *tail) {
        /* what follows may only be blanks, semicolons and comments; prepared
         * under the same authorizer, as setting one again would expire st */
        sqlite3_stmt *next = NULL;
        more = sqlite3_prepare_v2(store->db, tail, -1, &next, NULL) != SQLITE_OK || next;
        sqlite3_finalize(next);
    }
    sqlite3_set_authorizer(store->db, NULL, NULL);
    int rc = PK_OK;
    if (prc == SQLITE_AUTH || (prc != SQLITE_OK && strstr(sqlite3_errmsg(store->db), "not authorized")) ||
        (st && !sqlite3_stmt_readonly(st))) {
        rc = pk_error(ctx, PK_ERR_READONLY, "sql: only read-only statements are allowed: '%.80s' would "
                      "change the store", sql);
        goto done;
    }
    if (prc != SQLITE_OK) {
        rc = pk_error(ctx, PK_ERR_ARGS, "sql: %s", sqlite3_errmsg(store->db));
        goto done;
    }
    if (!st) {
        rc = pk_error(ctx, PK_ERR_ARGS, "sql: no statement given");
        goto done;
    }
    if (more) {
        rc = pk_error(ctx, PK_ERR_ARGS, "sql: give one statement at a time");
        goto done;
    }
    struct pk_sql_geom sg = {.ctx = ctx, .mode = geometry};
    rc = table_from(store, st, NULL, "sql", &sg, out);
    pk_sql_geom_release(&sg);
done:
    sqlite3_finalize(st);
    sqlite3_exec(store->db, "PRAGMA query_only=0", NULL, NULL, NULL);
    return rc;
}
