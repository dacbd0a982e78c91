/* test_reader.c — the feature reader and the worker: every feature in fid
 * order with typed attributes, ranges, boxes through the R*Tree, one
 * feature, BLOBs SpatiaLite compressed or wrote with Z (decoded through its
 * own decoder), a read on a worker's own connection from another thread,
 * and a busy database that is an error, never a short answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <math.h>

#include "reader_int.h"
#include "store_int.h"
#include "worker_int.h"
#include "fixture.h"

static const char cells[] =
    "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"甲\",\"n\":1,\"x\":0.5},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[600000,3430000],[601000,3430000],[601000,3431000],[600000,3431000],[600000,3430000]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"乙\",\"n\":2,\"x\":null},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[605000,3430000],[606000,3430000],[606000,3431000],[605000,3431000],[605000,3430000]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"丙\",\"n\":3,\"x\":2.25},\"geometry\":null}]}";

struct seen {
    long long fid[8];
    char label[8][16];
    int has_geom[8];
    struct pk_value n[8], x[8];
    double area[8];
    int count;
    GEOSContextHandle_t h;
};

static int record(void *arg, struct pk_feature *f)
{
    struct seen *s = arg;
    int k = s->count++;
    s->fid[k] = f->fid;
    snprintf(s->label[k], sizeof s->label[k], "%s", f->label ? f->label : "");
    s->has_geom[k] = f->geom != NULL;
    if (f->geom)
        GEOSArea_r(s->h, f->geom, &s->area[k]);
    s->n[k] = f->attrs[0];
    s->x[k] = f->attrs[1];
    return PK_OK;
}

static struct pk_layer_ref ref_of(struct fixture *f, const char *name)
{
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(f->store, name, &ref), PK_OK);
    return ref;
}

static void test_all_range_bbox_one(void **state)
{
    struct fixture *f = *state;
    struct pk_layer_ref ref = ref_of(f, "cells");
    const char *attrs[] = {"n", "x"};
    struct pk_reader_spec spec = {&ref, 1, "name", 2, attrs};
    struct pk_reader *r = NULL;
    assert_int_equal(pk_reader_new(f->ctx, f->store->db, &spec, &r), PK_OK);

    struct seen s = {.h = pk_geos(f->ctx)};
    assert_int_equal(pk_reader_all(r, record, &s), PK_OK);
    assert_int_equal(s.count, 3);
    assert_true(s.fid[0] < s.fid[1] && s.fid[1] < s.fid[2]);
    assert_string_equal(s.label[0], "甲");
    assert_int_equal(s.n[1].type, PK_VAL_INT);
    assert_int_equal(s.n[1].i, 2);
    assert_int_equal(s.x[0].type, PK_VAL_REAL);
    assert_true(s.x[0].d == 0.5);
    assert_int_equal(s.x[1].type, PK_VAL_NULL);
    assert_true(fabs(s.area[0] - 1e6) < 1e-6);
    assert_int_equal(s.has_geom[2], 0); /* a feature without geometry comes with NULL */

    struct seen rs = {.h = pk_geos(f->ctx)};
    assert_int_equal(pk_reader_range(r, s.fid[1], s.fid[2], record, &rs), PK_OK);
    assert_int_equal(rs.count, 2);
    assert_int_equal(rs.fid[0], s.fid[1]);

    struct seen bs = {.h = pk_geos(f->ctx)};
    double box[4] = {604000, 3429000, 607000, 3432000};
    assert_int_equal(pk_reader_bbox(r, box, record, &bs), PK_OK);
    assert_int_equal(bs.count, 1);
    assert_string_equal(bs.label[0], "乙");

    GEOSGeometry *g = NULL;
    int found = 0;
    assert_int_equal(pk_reader_geom(r, s.fid[0], &g, &found), PK_OK);
    assert_non_null(g);
    assert_int_equal(found, 1);
    GEOSGeom_destroy_r(pk_geos(f->ctx), g);
    assert_int_equal(pk_reader_geom(r, 999, &g, &found), PK_OK);
    assert_null(g);
    assert_int_equal(found, 0);
    pk_reader_free(r);
}

/* SpatiaLite's compressed and XYZ BLOBs decode as the plain ones do. */
static void test_blobs_only_spatialite_writes(void **state)
{
    struct fixture *f = *state;
    struct pk_layer_ref ref = ref_of(f, "cells");
    GEOSContextHandle_t h = pk_geos(f->ctx);
    char *sql = sqlite3_mprintf("SELECT CompressGeometry(geom), CastToXYZ(geom) FROM %s WHERE name = '甲'",
                                ref.table);
    sqlite3_stmt *st;
    assert_int_equal(pk_sql_prepare(f->store, sql, &st), PK_OK);
    sqlite3_free(sql);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    for (int c = 0; c < 2; c++) {
        GEOSGeometry *g = NULL;
        double a = 0;
        assert_int_equal(pk_geom_from_blob(h, sqlite3_column_blob(st, c), (size_t)sqlite3_column_bytes(st, c), &g),
                         PK_OK);
        GEOSArea_r(h, g, &a);
        assert_true(fabs(a - 1e6) < 1e-6);
        GEOSGeom_destroy_r(h, g);
    }
    sqlite3_finalize(st);
    GEOSGeometry *g = NULL;
    static const unsigned char junk[] = {0x00, 0x01, 0x02, 0x03};
    assert_int_equal(pk_geom_from_blob(h, junk, sizeof junk, &g), PK_ERR_DATA);
    assert_null(g);
}

/* A worker made in another thread reads through its own connection. */
struct thread_job {
    struct pk_worker_conf conf;
    struct pk_layer_ref ref;
    int rc, count;
    double area;
};

static int count_area(void *arg, struct pk_feature *f)
{
    struct thread_job *j = arg;
    j->count++;
    return PK_OK;
}

static void *in_thread(void *arg)
{
    struct thread_job *j = arg;
    struct pk_worker *w = pk_worker_new(&j->conf);
    struct pk_reader *r = NULL;
    sqlite3 *db = w && w->rc == PK_OK ? pk_worker_reader(w) : NULL;
    struct pk_reader_spec spec = {&j->ref, 1, NULL, 0, NULL};
    j->rc = db ? pk_reader_new(w->ctx, db, &spec, &r) : PK_ERR_DB;
    if (j->rc == PK_OK)
        j->rc = pk_reader_all(r, count_area, j);
    GEOSGeometry *g = NULL;
    if (j->rc == PK_OK)
        j->rc = pk_reader_geom(r, 1, &g, NULL);
    if (j->rc == PK_OK && g)
        j->rc = pk_worker_area(w, g, &j->area);
    if (g)
        GEOSGeom_destroy_r(pk_geos(w->ctx), g);
    pk_reader_free(r);
    pk_worker_free(w);
    return NULL;
}

static void test_worker_thread(void **state)
{
    struct fixture *f = *state;
    struct thread_job j = {.ref = ref_of(f, "cells")};
    pk_worker_conf_init(&j.conf, f->store);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, in_thread, &j), 0);
    pthread_join(t, NULL);
    assert_int_equal(j.rc, PK_OK);
    assert_int_equal(j.count, 3);
    assert_true(fabs(j.area - 1e6) < 1e-3); /* a metric store: measured as is */
}

/* A database locked by another connection mid-read is an error. */
static void test_busy_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct pk_layer_ref ref = ref_of(f, "cells");
    char path[400];
    fx_path(f, "plan.sqlite", path, sizeof path);
    pk_store_close(f->store); /* only the two connections below */
    f->store = NULL;
    sqlite3 *locker = NULL, *reader = NULL;
    assert_int_equal(sqlite3_open(path, &locker), SQLITE_OK);
    /* a WAL database held in exclusive locking mode: other connections cannot read */
    assert_int_equal(sqlite3_exec(locker, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    struct pk_reader_spec spec = {&ref, 1, NULL, 0, NULL};
    struct pk_reader *r = NULL;
    struct seen s = {.h = pk_geos(f->ctx)};
    int rc = pk_reader_new(f->ctx, reader, &spec, &r);
    if (rc == PK_OK)
        rc = pk_reader_all(r, record, &s);
    assert_int_not_equal(rc, PK_OK);
    assert_int_equal(s.count, 0);
    pk_reader_free(r);
    sqlite3_close(reader);
    sqlite3_exec(locker, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(locker);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fx_open(f, "test_reader", "EPSG:4549") || fx_write(f, "cells.geojson", cells) ||
        fx_load(f, "cells.geojson", "cells", "district") != PK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_close(*state);
    free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_range_bbox_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobs_only_spatialite_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_is_an_error, setup, teardown),
    };
    return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
