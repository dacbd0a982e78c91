/* test_store.c — creating, opening and upgrading stores; nested
 * transactions; meta values and history. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer_int.h"
#include "store_int.h"

struct fixture {
    struct pk_ctx *ctx;
    char dir[256];
    char path[300];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/plankit-test_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/plan.sqlite", f->dir);
    f->ctx = pk_ctx_new();
    *state = f;
    return f->ctx ? 0 : -1;
}

static void remove_store(const char *path)
{
    static const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[400];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char p[400];
    remove_store(f->path);
    snprintf(p, sizeof p, "%s/other.sqlite", f->dir);
    remove_store(p);
    snprintf(p, sizeof p, "%s/notes.txt", f->dir);
    unlink(p);
    rmdir(f->dir);
    pk_ctx_free(f->ctx);
    free(f);
    return 0;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static int store_files_left(const char *path)
{
    char p[400];
    int n = exists(path);
    snprintf(p, sizeof p, "%s-wal", path);
    n += exists(p);
    snprintf(p, sizeof p, "%s-journal", path);
    n += exists(p);
    return n;
}

static long long sql_int(struct pk_store *s, const char *sql)
{
    long long v = -1;
    int found = 0;
    assert_int_equal(pk_sql_int(s, sql, NULL, &v, &found), PK_OK);
    assert_true(found);
    return v;
}

static long long history_count(struct pk_store *s, const char *command)
{
    long long v = -1;
    assert_int_equal(pk_sql_int(s, "SELECT count(*) FROM pk_history WHERE command=?", command, &v,
                                NULL), PK_OK);
    return v;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void test_create_defaults(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL;
    assert_int_equal(pk_store_create(f->ctx, f->path, NULL, &s), PK_OK);
    assert_non_null(s);
    assert_true(exists(f->path));
    assert_int_equal(pk_store_srid(s), 4326);
    assert_int_equal(pk_store_measure_srid(s), 0);
    assert_int_equal(pk_store_schema_version(s), pk_store_latest_schema());
    assert_true(pk_store_latest_schema() >= 1);
    assert_string_equal(pk_store_path(s), f->path);
    assert_ptr_equal(pk_store_ctx(s), f->ctx);
    assert_int_equal(sql_int(s, "PRAGMA user_version"), pk_store_latest_schema());
    char *crs = pk_meta_get(s, "crs");
    assert_non_null(crs);
    assert_string_equal(crs, "4326");
    free(crs);
    assert_null(pk_meta_get(s, "measure_crs"));
    assert_null(pk_meta_get(s, "no such key"));
    assert_int_equal(history_count(s, "init"), 1);
    /* WAL mode, so concurrent readers and writers wait instead of failing */
    sqlite3_stmt *st;
    assert_int_equal(pk_sql_prepare(s, "PRAGMA journal_mode", &st), PK_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    /* SpatiaLite metadata is there */
    assert_int_equal(sql_int(s, "SELECT count(*) FROM spatial_ref_sys WHERE srid=4326"), 1);
    pk_store_close(s);

    /* reopen: same settings */
    assert_int_equal(pk_store_open(f->ctx, f->path, &s), PK_OK);
    assert_int_equal(pk_store_srid(s), 4326);
    assert_int_equal(pk_store_measure_srid(s), 0);
    assert_int_equal(pk_store_schema_version(s), pk_store_latest_schema());
    pk_store_close(s);
    pk_store_close(NULL);
}

static void test_create_cgcs2000_and_metric(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL;
    struct pk_store_opts o = {.crs = "EPSG:4490", .measure_crs = "epsg:4549"};
    assert_int_equal(pk_store_create(f->ctx, f->path, &o, &s), PK_OK);
    assert_int_equal(pk_store_srid(s), 4490);
    assert_int_equal(pk_store_measure_srid(s), 4549);
    assert_int_equal(sql_int(s, "SELECT count(*) FROM spatial_ref_sys WHERE srid IN (4490, 4549)"), 2);
    pk_store_close(s);
    assert_int_equal(pk_store_open(f->ctx, f->path, &s), PK_OK);
    assert_int_equal(pk_store_srid(s), 4490);
    assert_int_equal(pk_store_measure_srid(s), 4549);
    /* the metric CRS can be set later, and is kept */
    assert_int_equal(pk_store_set_measure_srid(s, 4550), PK_OK);
    assert_int_equal(pk_store_measure_srid(s), 4550);
    pk_store_close(s);
    assert_int_equal(pk_store_open(f->ctx, f->path, &s), PK_OK);
    assert_int_equal(pk_store_measure_srid(s), 4550);
    pk_store_close(s);
}

static void test_create_refuses_existing(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL;
    FILE *fp = fopen(f->path, "w");
    fputs("precious", fp);
    fclose(fp);
    assert_int_equal(pk_store_create(f->ctx, f->path, NULL, &s), PK_ERR_EXISTS);
    assert_null(s);
    assert_non_null(strstr(pk_errmsg(f->ctx), "already exists"));
    fp = fopen(f->path, "r");
    char buf[32] = "";
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "precious");
}

static void test_create_failures_leave_nothing(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL;
    struct pk_store_opts unknown = {.crs = "EPSG:999999"};
    assert_int_equal(pk_store_create(f->ctx, f->path, &unknown, &s), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "EPSG:999999"));
    assert_null(s);
    assert_int_equal(store_files_left(f->path), 0);

    struct pk_store_opts garbled = {.crs = "WGS84"};
    assert_int_equal(pk_store_create(f->ctx, f->path, &garbled, &s), PK_ERR_ARGS);
    assert_int_equal(store_files_left(f->path), 0);

    struct pk_store_opts not_metric = {.measure_crs = "EPSG:4326"};
    assert_int_equal(pk_store_create(f->ctx, f->path, &not_metric, &s), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "metres"));
    assert_int_equal(store_files_left(f->path), 0);

    struct pk_store_opts unknown_metric = {.measure_crs = "EPSG:999999"};
    assert_int_equal(pk_store_create(f->ctx, f->path, &unknown_metric, &s), PK_ERR_ARGS);
    assert_int_equal(store_files_left(f->path), 0);

    char missing[400];
    snprintf(missing, sizeof missing, "%s/no/such/dir/plan.sqlite", f->dir);
    assert_int_not_equal(pk_store_create(f->ctx, missing, NULL, &s), PK_OK);
    assert_null(s);
    assert_int_equal(store_files_left(missing), 0);
}

static void test_open_errors(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL;
    assert_int_equal(pk_store_open(f->ctx, f->path, &s), PK_ERR_NOTFOUND);
    assert_null(s);
    assert_non_null(strstr(pk_errmsg(f->ctx), "plankit init"));
    assert_false(exists(f->path)); /* opening never creates */

    /* an SQLite database that is not a store */
    char other[400];
    snprintf(other, sizeof other, "%s/other.sqlite", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(pk_store_open(f->ctx, other, &s), PK_ERR_DB);
    assert_null(s);
    assert_non_null(strstr(pk_errmsg(f->ctx), "not a plankit store"));

    /* a text file */
    char notes[400];
    snprintf(notes, sizeof notes, "%s/notes.txt", f->dir);
    FILE *fp = fopen(notes, "w");
    fputs("this is not a database, it is a text file of some length\n", fp);
    fclose(fp);
    assert_int_not_equal(pk_store_open(f->ctx, notes, &s), PK_OK);
    assert_null(s);
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL;
    assert_int_equal(pk_store_create(f->ctx, f->path, NULL, &s), PK_OK);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", pk_store_latest_schema() + 1);
    assert_int_equal(pk_sql_exec(s, sql), PK_OK);
    pk_store_close(s);
    s = NULL;
    assert_int_equal(pk_store_open(f->ctx, f->path, &s), PK_ERR_DB);
    assert_null(s);
    assert_non_null(strstr(pk_errmsg(f->ctx), "newer"));
    assert_non_null(strstr(pk_errmsg(f->ctx), "upgrade plankit"));
}

/* tests/data/store-v1.sqlite was written by plankit 0.1.0 (schema 1) with two
 * layers, key_areas (4 polygons) and places (16 points). Opening it upgrades
 * the schema in place and keeps every layer. */
static void test_migrate_v1_store(void **state)
{
    struct fixture *f = *state;
    const char *src = getenv("PLANKIT_SOURCE_DIR");
    assert_non_null(src);
    char fixture[512];
    snprintf(fixture, sizeof fixture, "%s/tests/data/store-v1.sqlite", src);
    copy_file(fixture, f->path);

    struct pk_store *s = NULL;
    assert_int_equal(pk_store_open(f->ctx, f->path, &s), PK_OK);
    assert_int_equal(pk_store_schema_version(s), pk_store_latest_schema());
    assert_int_equal(sql_int(s, "PRAGMA user_version"), pk_store_latest_schema());
    assert_int_equal(pk_store_srid(s), 4326);
    assert_int_equal(pk_store_measure_srid(s), 4549);
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(s, "key_areas", &ref), PK_OK);
    assert_int_equal(ref.count, 4);
    assert_int_equal(pk_layer_find(s, "places", &ref), PK_OK);
    assert_int_equal(ref.count, 16);
    assert_int_equal(sql_int(s, "SELECT count(*) FROM lyr_2"), 16);
    /* the upgrade gave each layer its view named after it, registered for GDAL */
    assert_int_equal(sql_int(s, "SELECT count(*) FROM places"), 16);
    assert_int_equal(sql_int(s, "SELECT count(*) FROM key_areas"), 4);
    assert_int_equal(sql_int(s, "SELECT count(*) FROM views_geometry_columns WHERE view_name IN ('places', 'key_areas')"), 2);
    assert_int_equal(history_count(s, "layer load"), 2);
    struct pk_table *problems = NULL;
    assert_int_equal(pk_store_check(s, &problems, NULL, NULL), PK_OK);
    for (size_t i = 0; i < problems->nrows; i++)
        print_message("problem: %s: %s\n", pk_table_get(problems, i, 0), pk_table_get(problems, i, 1));
    assert_int_equal(problems->nrows, 0);
    pk_table_free(problems);
    /* the upgraded store takes new layers */
    char layer[512];
    snprintf(layer, sizeof layer, "%s/layers/kunshan-city.geojson", src);
    struct pk_load_opts o = {.source = layer, .name = "city"};
    struct pk_load_result res;
    assert_int_equal(pk_layer_load(s, &o, &res, NULL, NULL), PK_OK);
    assert_int_equal(res.stored, 1);
    /* and tables without geometry (kind table, allowed by the upgraded constraint) */
    char csv[512];
    snprintf(csv, sizeof csv, "%s/figures.csv", f->dir);
    FILE *fp = fopen(csv, "w");
    assert_non_null(fp);
    fputs("name,pop\n甲,1\n", fp);
    fclose(fp);
    struct pk_load_opts t = {.source = csv, .name = "figures", .no_geometry = 1};
    assert_int_equal(pk_layer_load(s, &t, &res, NULL, NULL), PK_OK);
    assert_int_equal(sql_int(s, "SELECT count(*) FROM pk_layers WHERE name='figures' AND kind='table'"), 1);
    unlink(csv);
    pk_store_close(s);

    /* opening again is a no-op */
    assert_int_equal(pk_store_open(f->ctx, f->path, &s), PK_OK);
    assert_int_equal(pk_store_schema_version(s), pk_store_latest_schema());
    assert_int_equal(pk_layer_find(s, "city", &ref), PK_OK);
    pk_store_close(s);
}

static void test_nested_transactions(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL;
    assert_int_equal(pk_store_create(f->ctx, f->path, NULL, &s), PK_OK);

    assert_int_equal(pk_store_begin(s), PK_OK);                         /* BEGIN */
    assert_int_equal(pk_store_history(s, "outer", "t", "a", NULL, NULL, NULL), PK_OK);
    assert_int_equal(pk_store_begin(s), PK_OK);                         /* SAVEPOINT */
    assert_int_equal(pk_store_history(s, "inner", "t", "b", NULL, NULL, NULL), PK_OK);
    assert_int_equal(pk_store_begin(s), PK_OK);                         /* SAVEPOINT */
    assert_int_equal(pk_store_history(s, "innermost", "t", "c", NULL, NULL, NULL), PK_OK);
    assert_int_equal(history_count(s, "innermost"), 1);
    pk_store_rollback(s);                                               /* undo c only */
    assert_int_equal(history_count(s, "innermost"), 0);
    assert_int_equal(history_count(s, "inner"), 1);
    assert_false(sqlite3_get_autocommit(s->db));                       /* still inside */
    pk_store_rollback(s);                                               /* undo b */
    assert_int_equal(history_count(s, "inner"), 0);
    assert_int_equal(history_count(s, "outer"), 1);
    assert_int_equal(pk_store_begin(s), PK_OK);
    assert_int_equal(pk_store_history(s, "kept", "t", "d", NULL, NULL, NULL), PK_OK);
    assert_int_equal(pk_store_commit(s), PK_OK);                        /* RELEASE */
    assert_false(sqlite3_get_autocommit(s->db));
    assert_int_equal(pk_store_commit(s), PK_OK);                        /* COMMIT */
    assert_true(sqlite3_get_autocommit(s->db));
    assert_int_equal(history_count(s, "outer"), 1);
    assert_int_equal(history_count(s, "kept"), 1);

    /* an outer rollback undoes inner levels that were released */
    assert_int_equal(pk_store_begin(s), PK_OK);
    assert_int_equal(pk_store_begin(s), PK_OK);
    assert_int_equal(pk_store_history(s, "lost", "t", "e", NULL, NULL, NULL), PK_OK);
    assert_int_equal(pk_store_commit(s), PK_OK);
    pk_store_rollback(s);
    assert_true(sqlite3_get_autocommit(s->db));
    assert_int_equal(history_count(s, "lost"), 0);

    /* commit without a transaction is an error; rollback is a no-op */
    assert_int_equal(pk_store_commit(s), PK_ERR_DB);
    pk_store_rollback(s);
    assert_true(sqlite3_get_autocommit(s->db));

    /* closing with a transaction open rolls it back */
    assert_int_equal(pk_store_begin(s), PK_OK);
    assert_int_equal(pk_store_history(s, "unfinished", "t", "f", NULL, NULL, NULL), PK_OK);
    pk_store_close(s);
    assert_int_equal(pk_store_open(f->ctx, f->path, &s), PK_OK);
    assert_int_equal(history_count(s, "unfinished"), 0);
    assert_int_equal(history_count(s, "kept"), 1);
    pk_store_close(s);
}

static void test_meta_and_history(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL;
    assert_int_equal(pk_store_create(f->ctx, f->path, NULL, &s), PK_OK);
    assert_int_equal(pk_meta_set(s, "note", "昆山"), PK_OK);
    assert_int_equal(pk_meta_set(s, "note", "Kunshan"), PK_OK);
    char *v = pk_meta_get(s, "note");
    assert_string_equal(v, "Kunshan");
    free(v);
    pk_ctx_set_user(f->ctx, "planner");
    assert_int_equal(pk_store_history(s, "layer rename", "layer", "towns", "name", "区镇", "towns"),
                     PK_OK);
    sqlite3_stmt *st;
    assert_int_equal(pk_sql_prepare(s, "SELECT user, object_id, old_value, new_value, at"
                                       " FROM pk_history WHERE command='layer rename'", &st), PK_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "planner");
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "towns");
    assert_string_equal((const char *)sqlite3_column_text(st, 2), "区镇");
    assert_string_equal((const char *)sqlite3_column_text(st, 3), "towns");
    assert_non_null(sqlite3_column_text(st, 4));
    sqlite3_finalize(st);
    /* pk_sql_int reports whether a row was found */
    long long n = 42;
    int found = 1;
    assert_int_equal(pk_sql_int(s, "SELECT 1 WHERE 0", NULL, &n, &found), PK_OK);
    assert_false(found);
    assert_int_equal(n, 42);
    assert_int_equal(pk_sql_int(s, "SELECT no_such_column FROM pk_meta", NULL, &n, &found), PK_ERR_DB);
    assert_int_equal(pk_sql_exec(s, "THIS IS NOT SQL"), PK_ERR_DB);
    assert_non_null(strstr(pk_errmsg(f->ctx), "store:"));
    pk_store_close(s);
}

static void test_reader_connection(void **state)
{
    struct fixture *f = *state;
    struct pk_store *s = NULL, *r = NULL;
    struct pk_store_opts o = {.crs = "EPSG:4490", .measure_crs = "EPSG:4549"};
    assert_int_equal(pk_store_create(f->ctx, f->path, &o, &s), PK_OK);
    struct pk_ctx *rctx = pk_ctx_new();
    assert_int_equal(pk_store_open_reader(rctx, s, &r), PK_OK);
    assert_int_equal(pk_store_srid(r), 4490);
    assert_int_equal(pk_store_measure_srid(r), 4549);
    assert_int_equal(sql_int(r, "SELECT count(*) FROM pk_history"), 1);
    /* read-only */
    assert_int_equal(pk_sql_exec(r, "DELETE FROM pk_history"), PK_ERR_DB);
    pk_store_close(r);
    pk_ctx_free(rctx);
    pk_store_close(s);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_create_defaults),
        T(test_create_cgcs2000_and_metric),
        T(test_create_refuses_existing),
        T(test_create_failures_leave_nothing),
        T(test_open_errors),
        T(test_newer_schema_refused),
        T(test_migrate_v1_store),
        T(test_nested_transactions),
        T(test_meta_and_history),
        T(test_reader_connection),
    };
#undef T
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
