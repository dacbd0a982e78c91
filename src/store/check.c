/* check.c — `plankit check`: SQLite integrity plus plankit's own invariants
 * (registry matches tables: counts, fields, extent, geometry type and key;
 * spatial indexes present and consistent; geometries valid and inside the
 * store CRS's range; task links pointing at existing features; no orphan
 * layer tables). Reading only: whatever a QGIS user did to the tables. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs_range_int.h"
#include "layer_int.h"

struct checker {
    struct pk_store *store;
    struct pk_table *problems;
    int has_range;      /* range known: coordinates are checked against it */
    double range[4];    /* the store CRS's range, see crs_range */
    int rc;             /* the first error that stops the check (see fail) */
    char msg[512];      /* its message (the checks clear the context's) */
};

/* Stop the check with error rc, its message the context's (kept from the
 * first one). */
static void fail(struct checker *C, int rc)
{
    if (C->rc != PK_OK)
        return;
    C->rc = rc;
    snprintf(C->msg, sizeof C->msg, "%s", rc == PK_ERR_NOMEM ? "out of memory" : pk_errmsg(C->store->ctx));
}

/* Whether a failed SQLite call is the store's state rather than what a check
 * found: out of memory, busy or locked, an I/O error or an interruption. */
static int store_failure(struct checker *C)
{
    int e = sqlite3_errcode(C->store->db) & 0xff;
    return e == SQLITE_NOMEM || e == SQLITE_BUSY || e == SQLITE_LOCKED || e == SQLITE_IOERR || e == SQLITE_INTERRUPT;
}

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
    if (r < 0 || C->problems->failed) /* a dropped problem is no clean bill */
        fail(C, PK_ERR_NOMEM);
}

/* The end of the read of check `what` (step: the last sqlite3_step code):
 * rows cut short by the store's state (store_failure) stop the check with
 * that error; another failure (a damaged table) is reported as a problem. */
static void read_end(struct checker *C, const char *object, const char *what, int step)
{
    if (step == SQLITE_DONE || step == SQLITE_ROW)
        return;
    if (store_failure(C)) {
        pk_sql_done(C->store, step);
        fail(C, step == SQLITE_NOMEM ? PK_ERR_NOMEM : PK_ERR_DB);
    } else {
        problem(C, object, "%s could not be completed: %s", what, sqlite3_errmsg(C->store->db));
    }
}

/* SQL a check built with sqlite3_mprintf; NULL (out of memory) stops the check. */
static char *built(struct checker *C, char *sql)
{
    if (!sql)
        fail(C, PK_ERR_NOMEM);
    return sql;
}

static long long scalar(struct checker *C, const char *sql, int *ok)
{
    long long v = -1;
    int found = 0;
    int rc = sql ? pk_sql_int(C->store, sql, NULL, &v, &found) : PK_ERR_NOMEM;
    *ok = rc == PK_OK && found;
    if (rc == PK_ERR_NOMEM || (rc != PK_OK && store_failure(C)))
        fail(C, rc); /* not a "missing table" or a count of -1 */
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
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        if (r && strcmp(r, "ok") != 0)
            problem(C, "store", "sqlite integrity: %s", r);
    }
    read_end(C, "store", "the integrity check", step);
    sqlite3_finalize(st);
}

/* Every registered field is a column and every column (but fid and geom) a
 * registered field. */
static void check_fields(struct checker *C, const struct pk_layer_ref *ref)
{
    sqlite3_stmt *st;
    char *sql = sqlite3_mprintf("SELECT 'registered field ' || f.name || ' is not a column of ' || '%q'"
                                " FROM pk_fields f WHERE f.layer_id=%lld AND f.name NOT IN"
                                " (SELECT name FROM pragma_table_info('%q'))"
                                " UNION ALL SELECT 'column ' || c.name || ' of ' || '%q' || ' is not a registered field'"
                                " FROM pragma_table_info('%q') c WHERE c.name NOT IN ('fid', 'geom') AND c.name NOT IN"
                                " (SELECT name FROM pk_fields WHERE layer_id=%lld)",
                                ref->table, ref->id, ref->table, ref->table, ref->table, ref->id);
    if (built(C, sql) && pk_sql_prepare(C->store, sql, &st) == PK_OK) {
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            problem(C, ref->name, "%s", sqlite3_column_text(st, 0));
        read_end(C, ref->name, "the check of its fields", step);
        sqlite3_finalize(st);
    }
    pk_error_clear(C->store->ctx);
    sqlite3_free(sql);
}

/* The registry's extent is the rows'. */
static void check_extent(struct checker *C, const struct pk_layer_ref *ref)
{
    sqlite3_stmt *st;
    char *sql = sqlite3_mprintf(
        "SELECT l.min_x, l.min_y, l.max_x, l.max_y, t.x0, t.y0, t.x1, t.y1 FROM pk_layers l,"
        " (SELECT min(MbrMinX(geom)) x0, min(MbrMinY(geom)) y0, max(MbrMaxX(geom)) x1, max(MbrMaxY(geom)) y1"
        "  FROM %s) t WHERE l.id=%lld", ref->table, ref->id);
    if (built(C, sql) && pk_sql_prepare(C->store, sql, &st) == PK_OK) {
        int step = sqlite3_step(st);
        read_end(C, ref->name, "the check of its extent", step);
        if (step == SQLITE_ROW)
            for (int i = 0; i < 4; i++) {
                double reg = sqlite3_column_double(st, i), act = sqlite3_column_double(st, i + 4);
                int nulls = (sqlite3_column_type(st, i) == SQLITE_NULL) + (sqlite3_column_type(st, i + 4) == SQLITE_NULL);
                if (nulls == 1 || (nulls == 0 && fabs(reg - act) > 1e-9 * fmax(1, fabs(act)))) {
                    problem(C, ref->name, "registry extent %.6f,%.6f,%.6f,%.6f differs from the rows' "
                            "%.6f,%.6f,%.6f,%.6f", sqlite3_column_double(st, 0), sqlite3_column_double(st, 1),
                            sqlite3_column_double(st, 2), sqlite3_column_double(st, 3), sqlite3_column_double(st, 4),
                            sqlite3_column_double(st, 5), sqlite3_column_double(st, 6), sqlite3_column_double(st, 7));
                    break;
                }
            }
        sqlite3_finalize(st);
    }
    pk_error_clear(C->store->ctx);
    sqlite3_free(sql);
}

/* The rows are of the registered geometry type; the key is still a key. */
static void check_registry_facts(struct checker *C, const struct pk_layer_ref *ref)
{
    sqlite3_stmt *st;
    char *sql;
    const char *gt = ref->geometry_type;
    const char *allowed = !strcmp(gt, "MULTIPOLYGON") ? "'POLYGON','MULTIPOLYGON'"
                          : !strcmp(gt, "LINESTRING") ? "'LINESTRING','MULTILINESTRING'"
                          : !strcmp(gt, "POINT") ? "'POINT','MULTIPOINT'" : NULL;
    if (allowed) {
        sql = sqlite3_mprintf("WITH bad AS (SELECT fid, geom FROM %s WHERE geom IS NOT NULL AND GeometryType(geom)"
                              " NOT IN (%s)) SELECT (SELECT count(*) FROM bad), fid, GeometryType(geom) FROM bad"
                              " ORDER BY fid LIMIT 1", ref->table, allowed);
        if (built(C, sql) && pk_sql_prepare(C->store, sql, &st) == PK_OK) {
            int step = sqlite3_step(st);
            read_end(C, ref->name, "the check of its geometry types", step);
            if (step == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
                problem(C, ref->name, "%lld feature(s) are not of the layer's geometry type %s (e.g. fid %lld is %s)",
                        sqlite3_column_int64(st, 0), gt, sqlite3_column_int64(st, 1), sqlite3_column_text(st, 2));
            sqlite3_finalize(st);
        }
        sqlite3_free(sql);
    }
    if (*ref->key) {
        sql = sqlite3_mprintf("SELECT count(*) - count(DISTINCT CAST(\"%w\" AS TEXT)) FROM %s", ref->key, ref->table);
        int ok = 0;
        long long repeated = scalar(C, built(C, sql), &ok);
        sqlite3_free(sql);
        if (!ok || repeated != 0)
            problem(C, ref->name, "key field '%s' %s", ref->key,
                    ok ? "has empty or repeated values: task links cannot follow a reload" : "is not a column");
    }
    pk_error_clear(C->store->ctx);
}

/* The store CRS's range (see pk_crs_range). */
static int crs_range(int srid, double b[4])
{
    char code[32];
    snprintf(code, sizeof code, "EPSG:%d", srid);
    return pk_crs_range(code, b);
}

static void check_coordinates(struct checker *C, const struct pk_layer_ref *ref, const double b[4])
{
    sqlite3_stmt *st;
    char *sql = sqlite3_mprintf("WITH bad AS (SELECT fid, geom FROM %s WHERE geom IS NOT NULL AND NOT"
                                " (MbrMinX(geom) >= %.17g AND MbrMinY(geom) >= %.17g AND MbrMaxX(geom) <= %.17g"
                                " AND MbrMaxY(geom) <= %.17g)) SELECT (SELECT count(*) FROM bad), fid,"
                                " printf('%%g,%%g,%%g,%%g', MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom))"
                                " FROM bad ORDER BY fid LIMIT 1", ref->table, b[0], b[1], b[2], b[3]);
    if (built(C, sql) && pk_sql_prepare(C->store, sql, &st) == PK_OK) {
        int step = sqlite3_step(st);
        read_end(C, ref->name, "the check of its coordinates", step);
        if (step == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
            problem(C, ref->name, "%lld feature(s) have coordinates outside the range of EPSG:%d (%g,%g,%g,%g), "
                    "e.g. fid %lld with extent %s", sqlite3_column_int64(st, 0), pk_store_srid(C->store),
                    b[0], b[1], b[2], b[3], sqlite3_column_int64(st, 1), sqlite3_column_text(st, 2));
        sqlite3_finalize(st);
    }
    pk_error_clear(C->store->ctx);
    sqlite3_free(sql);
}

/* Links to features that no longer exist, or whose key value changed. */
static void check_links(struct checker *C, const struct pk_layer_ref *ref)
{
    sqlite3_stmt *st;
    char *sql = *ref->key
        ? sqlite3_mprintf("SELECT k.task_id, k.fid, k.role, k.feature_key, t.fid IS NOT NULL, CAST(t.\"%w\" AS TEXT)"
                          " FROM pk_task_links k LEFT JOIN %s t ON t.fid=k.fid WHERE k.layer_id=%lld AND"
                          " (t.fid IS NULL OR k.feature_key IS NOT CAST(t.\"%w\" AS TEXT)) ORDER BY k.task_id, k.fid",
                          ref->key, ref->table, ref->id, ref->key)
        : sqlite3_mprintf("SELECT k.task_id, k.fid, k.role, k.feature_key, 0, NULL FROM pk_task_links k"
                          " WHERE k.layer_id=%lld AND k.fid NOT IN (SELECT fid FROM %s) ORDER BY k.task_id, k.fid",
                          ref->id, ref->table);
    if (built(C, sql) && pk_sql_prepare(C->store, sql, &st) == PK_OK) {
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            char object[160];
            snprintf(object, sizeof object, "task %s", sqlite3_column_text(st, 0));
            const char *key = (const char *)sqlite3_column_text(st, 3);
            if (!sqlite3_column_int(st, 4))
                problem(C, object, "link (%s) to %s:%lld%s%s%s points at a feature that no longer exists", sqlite3_column_text(st, 2),
                        ref->name, sqlite3_column_int64(st, 1), key ? " (key " : "", key ? key : "", key ? ")" : "");
            else
                problem(C, object, "link (%s) to %s:%lld was made to key '%s' but the feature's %s is now '%s'",
                        sqlite3_column_text(st, 2), ref->name, sqlite3_column_int64(st, 1), key ? key : "",
                        ref->key, sqlite3_column_text(st, 5) ? (const char *)sqlite3_column_text(st, 5) : "");
        }
        read_end(C, ref->name, "the check of its task links", step);
        sqlite3_finalize(st);
    }
    pk_error_clear(C->store->ctx);
    sqlite3_free(sql);
}

/* Does the R*Tree differ from the rows: a row with a geometry whose box it
 * lacks, holds wrong (R*Tree boxes are float32, rounded outwards: they hold
 * the geometry's box, within float32 precision) or an entry without its
 * row? By reading only (SpatiaLite's CheckSpatialIndex writes a log row, so
 * fails on a read-only store). Boxes beyond float32 (coordinates like 1e308,
 * which the range check reports) are not compared. 1 when stale or unreadable. */
static int index_stale(struct checker *C, const struct pk_layer_ref *ref)
{
    int ok;
    char *sql = sqlite3_mprintf(
        "SELECT (SELECT count(*) FROM %s t WHERE MbrMinX(t.geom) IS NOT NULL AND max(abs(MbrMinX(t.geom)),"
        "  abs(MbrMinY(t.geom)), abs(MbrMaxX(t.geom)), abs(MbrMaxY(t.geom))) < 1e38 AND NOT EXISTS (SELECT 1 FROM"
        "  \"idx_%w_geom\" r WHERE r.pkid=t.fid AND r.xmin <= MbrMinX(t.geom) AND r.ymin <= MbrMinY(t.geom)"
        "  AND r.xmax >= MbrMaxX(t.geom) AND r.ymax >= MbrMaxY(t.geom)"
        "  AND MbrMinX(t.geom) - r.xmin <= 1e-6 * (1 + abs(r.xmin)) AND MbrMinY(t.geom) - r.ymin <= 1e-6 * (1 + abs(r.ymin))"
        "  AND r.xmax - MbrMaxX(t.geom) <= 1e-6 * (1 + abs(r.xmax)) AND r.ymax - MbrMaxY(t.geom) <= 1e-6 * (1 + abs(r.ymax))))"
        " + (SELECT count(*) FROM \"idx_%w_geom\" r WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE t.fid=r.pkid"
        "  AND MbrMinX(t.geom) IS NOT NULL))", ref->table, ref->table, ref->table, ref->table);
    long long bad = scalar(C, built(C, sql), &ok);
    sqlite3_free(sql);
    return bad != 0;
}

/* The layer's view named after it (layer_view.c) is there and registered. */
static void check_view(struct checker *C, const struct pk_layer_ref *ref)
{
    int ok;
    if (pk_store_schema_version(C->store) < 4)
        return; /* (a read-only store of an older schema has none) */
    char *sql = sqlite3_mprintf("SELECT (SELECT count(*) FROM views_geometry_columns WHERE view_name=lower('%q')"
                                " AND f_table_name='%q') + (SELECT count(*) FROM sqlite_master WHERE type='view'"
                                " AND name=lower('%q'))", ref->name, ref->table, ref->name);
    long long n = scalar(C, built(C, sql), &ok);
    sqlite3_free(sql);
    if (n != 2)
        problem(C, ref->name, "no view named after the layer over %s (GDAL and QGIS list it as %s): "
                "rename the layer to make it", ref->table, ref->table);
}

static void check_layer(struct checker *C, const struct pk_layer_ref *ref)
{
    int ok;
    char *sql = sqlite3_mprintf("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%q'",
                                ref->table);
    long long exists = scalar(C, built(C, sql), &ok);
    sqlite3_free(sql);
    if (C->rc != PK_OK)
        return;
    if (exists != 1) {
        problem(C, ref->name, "table %s is missing", ref->table);
        return;
    }
    sql = sqlite3_mprintf("SELECT count(*) FROM %s", ref->table);
    long long n = scalar(C, built(C, sql), &ok);
    sqlite3_free(sql);
    if (n != ref->count)
        problem(C, ref->name, "registry says %lld features, table has %lld", ref->count, n);
    else
        check_extent(C, ref); /* rows added or removed change it too: one problem, one line */
    sql = sqlite3_mprintf("SELECT spatial_index_enabled FROM geometry_columns"
                          " WHERE f_table_name='%q' AND f_geometry_column='geom'", ref->table);
    long long idx = scalar(C, built(C, sql), &ok);
    sqlite3_free(sql);
    if (!ok)
        problem(C, ref->name, "geometry column not registered in geometry_columns");
    else if (idx != 1)
        problem(C, ref->name, "spatial index missing");
    else if (index_stale(C, ref))
        problem(C, ref->name, "spatial index out of date with the table");
    check_view(C, ref);
    sql = sqlite3_mprintf("SELECT count(*) FROM %s WHERE geom IS NOT NULL AND ST_IsValid(geom) <> 1",
                          ref->table);
    long long invalid = scalar(C, built(C, sql), &ok);
    sqlite3_free(sql);
    if (invalid > 0)
        problem(C, ref->name, "%lld invalid geometries", invalid);
    check_fields(C, ref);
    check_registry_facts(C, ref);
    if (C->has_range)
        check_coordinates(C, ref, C->range);
    check_links(C, ref);
}

int pk_store_check(struct pk_store *store, struct pk_table **out, pk_progress_fn progress, void *arg)
{
    static const char *cols[] = {"object", "problem"};
    struct checker C = {store, pk_table_new(2, cols, NULL), 0, {0, 0, 0, 0}, PK_OK, ""};
    sqlite3_stmt *st;
    if (!C.problems)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    C.has_range = crs_range(pk_store_srid(store), C.range);
    check_integrity(&C);
    int rc = pk_sql_prepare(store, "SELECT name FROM pk_layers ORDER BY id", &st);
    long long nlayers = 0, done = 0;
    int ok;
    nlayers = scalar(&C, "SELECT count(*) FROM pk_layers", &ok);
    int step = SQLITE_DONE;
    while (rc == PK_OK && C.rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct pk_layer_ref ref;
        int found = pk_layer_find(store, (const char *)sqlite3_column_text(st, 0), &ref);
        if (found == PK_OK)
            check_layer(&C, &ref);
        else if (found == PK_ERR_NOMEM || store_failure(&C))
            fail(&C, found);
        done++;
        if (progress && nlayers > 0)
            progress((double)done / (double)nlayers, NULL, arg);
    }
    if (rc == PK_OK && C.rc == PK_OK && step != SQLITE_DONE)
        fail(&C, pk_sql_done(store, step));
    sqlite3_finalize(st);
    if (rc == PK_OK &&
        pk_sql_prepare(store, "SELECT name FROM sqlite_master WHERE type='table' AND name GLOB 'lyr_[0-9]*'"
                              " AND name NOT IN (SELECT table_name FROM pk_layers)", &st) == PK_OK) {
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            problem(&C, (const char *)sqlite3_column_text(st, 0), "layer table not in the registry");
        read_end(&C, "store", "the search for unregistered layer tables", step);
        sqlite3_finalize(st);
    }
    long long orphans = scalar(&C, "SELECT count(*) FROM pk_fields WHERE layer_id NOT IN (SELECT id FROM pk_layers)", &ok);
    if (orphans > 0)
        problem(&C, "pk_fields", "%lld field rows of unknown layers", orphans);
    long long stray = scalar(&C, "SELECT count(*) FROM pk_task_links WHERE layer_id NOT IN (SELECT id FROM pk_layers)", &ok);
    if (stray > 0)
        problem(&C, "pk_task_links", "%lld task link(s) to layers not in the registry", stray);
    if (rc == PK_OK && C.rc != PK_OK)
        rc = pk_error(store->ctx, C.rc, "check: %s", C.msg);
    if (rc != PK_OK) {
        pk_table_free(C.problems);
        return rc;
    }
    *out = C.problems;
    return PK_OK;
}
