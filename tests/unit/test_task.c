/* test_task.c — plan tasks through the library: id rules, list and
 * indicator parsing, add/update with field-level history and the user,
 * validation, CSV/JSON import (one transaction, line numbers, upsert counts),
 * attaching by name/code/id, ambiguous names, footprints, detach and remove. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "plankit/layer.h"
#include "plankit/task.h"
#include "store_int.h"
#include "task_int.h"
#include "fixture.h"

/* Write a file in the fixture's folder, or fail the test. */
static void write_file(const struct fixture *f, const char *name, const char *text)
{
    assert_int_equal(fx_write(f, name, text), 0);
}

#define SQUARE(x0, y0, x1, y1)                                                                    \
    "{\"type\":\"Polygon\",\"coordinates\":[[[" #x0 "," #y0 "],[" #x1 "," #y0 "],[" #x1 "," #y1 \
    "],[" #x0 "," #y1 "],[" #x0 "," #y0 "]]]}"

static const char *const squares_geojson =
    "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"A\",\"code\":\"SQ-A\"},\"geometry\":"
    SQUARE(600000, 3430000, 601000, 3431000) "},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"B\",\"code\":\"SQ-B\"},\"geometry\":"
    SQUARE(601000, 3430000, 602000, 3431000) "},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"Twin\",\"code\":\"7\"},\"geometry\":"
    SQUARE(603000, 3430000, 603100, 3430100) "},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"Twin\",\"code\":\"T-2\"},\"geometry\":"
    SQUARE(603200, 3430000, 603300, 3430100) "}]}\n";

/* An EPSG:4549 store with the squares loaded, history written by "tester". */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fx_open(f, "test_task", "EPSG:4549") != 0)
        return -1;
    pk_ctx_set_user(f->ctx, "tester");
    if (fx_write(f, "squares.geojson", squares_geojson) != 0 || fx_load(f, "squares.geojson", "squares", NULL) != PK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fx_close(f);
    free(f);
    return 0;
}

static long long count(struct fixture *f, const char *sql)
{
    long long n = -1;
    assert_int_equal(pk_sql_int(f->store, sql, NULL, &n, NULL), PK_OK);
    return n;
}

/* The value of a task column as text (caller frees), NULL if none. */
static char *column(struct fixture *f, const char *id, const char *col)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT %s FROM pk_tasks WHERE id=?", col);
    sqlite3_stmt *st;
    assert_int_equal(pk_sql_prepare(f->store, sql, &st), PK_OK);
    pk_sql_bind_text(st, 1, id);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static void add_task(struct fixture *f, const char *id, const char *title)
{
    struct pk_task_fields t;
    pk_task_fields_init(&t);
    t.id = id;
    t.title = title;
    assert_int_equal(pk_task_add(f->store, &t), PK_OK);
}

static void test_id_valid(void **state)
{
    (void)state;
    assert_true(pk_task_id_valid("ZZ-01"));
    assert_true(pk_task_id_valid("a_b.c-9"));
    assert_true(pk_task_id_valid("青阳港-1"));
    char longest[65];
    memset(longest, 'x', 64);
    longest[64] = '\0';
    assert_true(pk_task_id_valid(longest));
    char too_long[66];
    memset(too_long, 'x', 65);
    too_long[65] = '\0';
    assert_false(pk_task_id_valid(too_long));
    assert_false(pk_task_id_valid(""));
    assert_false(pk_task_id_valid("a b"));
    assert_false(pk_task_id_valid("x'; DROP TABLE pk_tasks;--"));
    assert_false(pk_task_id_valid("a\"b"));
    assert_false(pk_task_id_valid("a/b"));
    assert_false(pk_task_id_valid("\xff\xfe"));
}

static void test_list_and_indicators_json(void **state)
{
    struct pk_ctx *ctx = pk_ctx_new();
    (void)state;
    char *s = pk_task_list_json(" a, b ,,青阳港 ");
    assert_string_equal(s, "[\"a\",\"b\",\"青阳港\"]");
    free(s);
    s = pk_task_list_json(NULL);
    assert_string_equal(s, "[]");
    free(s);
    s = pk_task_list_json("say \"hi\"");
    json_object *j = json_tokener_parse(s);
    assert_non_null(j);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(j, 0)), "say \"hi\"");
    json_object_put(j);
    free(s);

    s = pk_task_indicators_json(ctx, "产值=1000 亿元; 企业=5");
    assert_non_null(s);
    j = json_tokener_parse(s);
    assert_int_equal(json_object_array_length(j), 2);
    json_object *o = json_object_array_get_idx(j, 0), *v;
    assert_true(json_object_object_get_ex(o, "name", &v));
    assert_string_equal(json_object_get_string(v), "产值");
    assert_true(json_object_object_get_ex(o, "target", &v));
    assert_true(json_object_get_double(v) == 1000.0);
    assert_true(json_object_object_get_ex(o, "unit", &v));
    assert_string_equal(json_object_get_string(v), "亿元");
    o = json_object_array_get_idx(j, 1);
    assert_true(json_object_object_get_ex(o, "unit", &v));
    assert_string_equal(json_object_get_string(v), "");
    json_object_put(j);
    free(s);

    assert_null(pk_task_indicators_json(ctx, "no target"));
    assert_non_null(strstr(pk_errmsg(ctx), "not name=target"));
    assert_null(pk_task_indicators_json(ctx, "=5"));
    assert_null(pk_task_indicators_json(ctx, "x=abc"));
    assert_non_null(strstr(pk_errmsg(ctx), "not a number"));
    pk_ctx_free(ctx);
}

static void test_add_update_history(void **state)
{
    struct fixture *f = *state;
    struct pk_task_fields t;
    pk_task_fields_init(&t);
    t.id = "T1";
    t.title = "first";
    t.classification = "甲";
    t.status = "planned";
    t.start_year = 2026;
    t.end_year = 2030;
    t.partners_json = "[\"a\",\"b\"]";
    assert_int_equal(pk_task_add(f->store, &t), PK_OK);
    char *v = column(f, "T1", "partners");
    assert_string_equal(v, "[\"a\",\"b\"]");
    free(v);
    /* not given = kept */
    v = column(f, "T1", "progress");
    assert_string_equal(v, "0.0");
    free(v);

    pk_ctx_set_user(f->ctx, "alice");
    pk_task_fields_init(&t);
    t.id = "T1";
    t.status = "in_progress";
    t.progress = 40;
    assert_int_equal(pk_task_update(f->store, &t), PK_OK);
    v = column(f, "T1", "title");
    assert_string_equal(v, "first");
    free(v);

    struct pk_table *h = NULL;
    assert_int_equal(pk_task_history(f->store, "T1", &h), PK_OK);
    assert_int_equal(h->nrows, 3);
    int user = pk_table_col(h, "user"), field = pk_table_col(h, "field"), old = pk_table_col(h, "old"),
        new = pk_table_col(h, "new"), at = pk_table_col(h, "at");
    assert_string_equal(pk_table_get(h, 0, user), "tester");
    assert_string_equal(pk_table_get(h, 0, field), "created");
    assert_string_equal(pk_table_get(h, 1, user), "alice");
    assert_string_equal(pk_table_get(h, 1, field), "status");
    assert_string_equal(pk_table_get(h, 1, old), "planned");
    assert_string_equal(pk_table_get(h, 1, new), "in_progress");
    assert_string_equal(pk_table_get(h, 2, field), "progress");
    assert_string_equal(pk_table_get(h, 2, old), "0.0");
    assert_string_equal(pk_table_get(h, 2, new), "40.0");
    assert_int_equal(strlen(pk_table_get(h, 2, at)), 24); /* 2026-01-02T03:04:05.678Z */
    pk_table_free(h);

    /* an update changing nothing records nothing */
    assert_int_equal(pk_task_update(f->store, &t), PK_OK);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_history WHERE object_id='T1'"), 3);

    /* a start year after the kept end year */
    pk_task_fields_init(&t);
    t.id = "T1";
    t.start_year = 2031;
    assert_int_equal(pk_task_update(f->store, &t), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "start year 2031 is after end year 2030"));
    /* unknown, existing */
    t.id = "NOPE";
    t.start_year = -1;
    t.status = "done";
    assert_int_equal(pk_task_update(f->store, &t), PK_ERR_NOTFOUND);
    assert_non_null(strstr(pk_errmsg(f->ctx), "no task 'NOPE'"));
    pk_task_fields_init(&t);
    t.id = "T1";
    t.title = "again";
    assert_int_equal(pk_task_add(f->store, &t), PK_ERR_EXISTS);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_history WHERE object_id='T1'"), 3);
}

static void test_validation(void **state)
{
    struct fixture *f = *state;
    struct pk_task_fields t;
    static const struct {
        const char *status, *partners;
        double progress;
        int start, end;
        const char *msg;
    } bad[] = {
        {"finished", NULL, -1, -1, -1, "invalid status 'finished'"},
        {NULL, NULL, 101, -1, -1, "progress"},
        {NULL, NULL, -5, -1, -1, "progress"},
        {NULL, NULL, -1, 1800, -1, "is not a year"},
        {NULL, NULL, -1, 2030, 2026, "start year 2030 is after end year 2026"},
        {NULL, "{\"a\":1}", -1, -1, -1, "partners is not a JSON array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pk_task_fields_init(&t);
        t.id = "V1";
        t.title = "v";
        t.status = bad[i].status;
        t.partners_json = bad[i].partners;
        t.progress = bad[i].progress;
        t.start_year = bad[i].start;
        t.end_year = bad[i].end;
        assert_int_not_equal(pk_task_add(f->store, &t), PK_OK);
        assert_non_null(strstr(pk_errmsg(f->ctx), bad[i].msg));
    }
    pk_task_fields_init(&t);
    t.id = "bad id";
    t.title = "x";
    assert_int_equal(pk_task_add(f->store, &t), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "invalid task id"));
    assert_int_equal(count(f, "SELECT count(*) FROM pk_tasks"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_history WHERE object_type='task'"), 0);
}

static void test_import_csv(void **state)
{
    struct fixture *f = *state;
    char p[400];
    write_file(f, "good.csv",
               "id,title,pillar,status,progress,partners,links\n"
               "C1,\"one, with comma\",甲,planned,0,a;b,squares:A\n"
               "C2,two,乙,in_progress,20,,squares:SQ-B:serves;squares:3\n");
    fx_path(f, "good.csv", p, sizeof p);
    struct pk_task_import_result res;
    assert_int_equal(pk_task_import(f->store, p, &res), PK_OK);
    assert_int_equal(res.created, 2);
    assert_int_equal(res.updated, 0);
    assert_int_equal(res.links, 3);
    char *v = column(f, "C1", "title");
    assert_string_equal(v, "one, with comma");
    free(v);
    v = column(f, "C1", "partners");
    assert_string_equal(v, "[\"a\",\"b\"]");
    free(v);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_task_links WHERE task_id='C2' AND fid=2 AND role='serves'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_task_links WHERE task_id='C2' AND fid=3"), 1);

    /* again: all unchanged */
    assert_int_equal(pk_task_import(f->store, p, &res), PK_OK);
    assert_int_equal(res.created, 0);
    assert_int_equal(res.unchanged, 2);

    /* a bad row on line 4 (after a field spanning two lines): nothing imported */
    write_file(f, "bad.csv",
               "id,title,description\n"
               "D1,first,\"two\nlines\"\n"
               "D2,second,x,extra\n"
               "D3,third,x\n");
    fx_path(f, "bad.csv", p, sizeof p);
    long long before = count(f, "SELECT count(*) FROM pk_history");
    assert_int_equal(pk_task_import(f->store, p, &res), PK_ERR_DATA);
    assert_non_null(strstr(pk_errmsg(f->ctx), "line 4"));
    assert_int_equal(count(f, "SELECT count(*) FROM pk_tasks WHERE id LIKE 'D%'"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_history"), before);

    /* a bad value on line 3: the first row is not kept either */
    write_file(f, "bad.csv", "id,title,status\nE1,first,planned\nE2,second,finished\n");
    assert_int_equal(pk_task_import(f->store, p, &res), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "line 3"));
    assert_int_equal(count(f, "SELECT count(*) FROM pk_tasks WHERE id LIKE 'E%'"), 0);

    /* duplicate ids */
    write_file(f, "bad.csv", "id,title\nF1,a\nF2,b\nF1,c\n");
    assert_int_equal(pk_task_import(f->store, p, &res), PK_ERR_DATA);
    assert_non_null(strstr(pk_errmsg(f->ctx), "duplicate id 'F1' (line 2 and line 4)"));
    assert_int_equal(count(f, "SELECT count(*) FROM pk_tasks WHERE id LIKE 'F%'"), 0);

    /* an ambiguous link: both features named */
    write_file(f, "bad.csv", "id,title,links\nG1,a,squares:Twin\n");
    assert_int_not_equal(pk_task_import(f->store, p, &res), PK_OK);
    assert_non_null(strstr(pk_errmsg(f->ctx), "fid 3 (7), fid 4 (T-2)"));
    assert_int_equal(count(f, "SELECT count(*) FROM pk_tasks WHERE id='G1'"), 0);
}

static void test_import_json_upsert(void **state)
{
    struct fixture *f = *state;
    char p[400];
    add_task(f, "J1", "old title");
    write_file(f, "tasks.json",
               "{\"classifications\":[{\"name\":\"甲\",\"code\":\"A\"}],\"tasks\":["
               "{\"id\":\"J1\",\"title\":\"new title\",\"pillar\":\"甲\",\"progress\":12.5,\"citywide\":true,"
               "\"links\":[{\"layer\":\"squares\",\"feature\":\"A\"}]},"
               "{\"id\":\"J2\",\"title\":\"with footprint\",\"footprints\":[{\"geometry\":"
               SQUARE(600000, 3430000, 600500, 3430500) ",\"label\":\"q\",\"crs\":\"EPSG:4549\"}]}]}");
    fx_path(f, "tasks.json", p, sizeof p);
    struct pk_task_import_result res;
    assert_int_equal(pk_task_import(f->store, p, &res), PK_OK);
    assert_int_equal(res.created, 1);
    assert_int_equal(res.updated, 1);
    assert_int_equal(res.links, 1);
    assert_int_equal(res.footprints, 1);
    char *v = column(f, "J1", "title");
    assert_string_equal(v, "new title");
    free(v);
    v = column(f, "J1", "citywide");
    assert_string_equal(v, "1");
    free(v);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_classifications"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_history WHERE object_id='J1' AND field='title' "
                              "AND old_value='old title' AND new_value='new title'"), 1);
    assert_int_equal(count(f, "SELECT round(ST_Area(geom)) FROM pk_task_footprints WHERE task_id='J2'"), 250000);

    write_file(f, "dup.json", "[{\"id\":\"K1\",\"title\":\"a\"},{\"id\":\"K1\",\"title\":\"b\"}]");
    fx_path(f, "dup.json", p, sizeof p);
    assert_int_equal(pk_task_import(f->store, p, &res), PK_ERR_DATA);
    assert_non_null(strstr(pk_errmsg(f->ctx), "duplicate id 'K1'"));
    /* an unknown classification once the store has some */
    write_file(f, "dup.json", "[{\"id\":\"K2\",\"title\":\"a\",\"pillar\":\"丙\"}]");
    assert_int_not_equal(pk_task_import(f->store, p, &res), PK_OK);
    assert_non_null(strstr(pk_errmsg(f->ctx), "unknown classification '丙'"));
    assert_int_equal(count(f, "SELECT count(*) FROM pk_tasks WHERE id LIKE 'K%'"), 0);
}

/* task show of A1 (three links to squares, one footprint labelled sq): the
 * links and the footprint as data, fids and ids as numbers, and the fields
 * table without link or footprint rows. */
static void check_show_a1(struct fixture *f)
{
    struct pk_table *fields = NULL, *links = NULL, *fps = NULL;
    assert_int_equal(pk_task_show(f->store, "A1", &fields, &links, &fps), PK_OK);
    assert_int_equal(links->nrows, 3);
    for (size_t r = 0; r < links->nrows; r++) {
        long long fid = 0, want = 0;
        char sql[160];
        assert_string_equal(pk_table_get(links, r, pk_table_col(links, "layer")), "squares");
        assert_true(pk_table_get_int(links, r, pk_table_col(links, "fid"), &fid));
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pk_task_links WHERE task_id='A1' AND fid=%lld AND role='%s'",
                 fid, pk_table_get(links, r, pk_table_col(links, "role")));
        want = count(f, sql);
        assert_int_equal(want, 1);
    }
    assert_string_equal(pk_table_get(links, 0, pk_table_col(links, "name")), "A");
    assert_int_equal(fps->nrows, 1);
    long long fpid = 0;
    assert_true(pk_table_get_int(fps, 0, pk_table_col(fps, "id"), &fpid));
    assert_int_equal(fpid, count(f, "SELECT id FROM pk_task_footprints WHERE task_id='A1'"));
    assert_non_null(strstr(pk_table_get(fps, 0, pk_table_col(fps, "type")), "POLYGON"));
    assert_string_equal(pk_table_get(fps, 0, pk_table_col(fps, "label")), "sq");
    for (size_t r = 0; r < fields->nrows; r++) /* the fields alone: no link or footprint rows */
        assert_true(strcmp(pk_table_get(fields, r, 0), "link") && strcmp(pk_table_get(fields, r, 0), "footprint"));
    pk_table_free(fields);
    pk_table_free(links);
    pk_table_free(fps);
}

static void test_attach_detach_remove(void **state)
{
    struct fixture *f = *state;
    add_task(f, "A1", "attach");
    struct pk_attach_opts o = {0};
    long long n = 0;
    o.to = "squares:A";
    assert_int_equal(pk_task_attach(f->store, "A1", &o, &n), PK_OK);
    assert_int_equal(n, 1);
    o.to = "squares:SQ-B";
    o.role = "serves";
    assert_int_equal(pk_task_attach(f->store, "A1", &o, &n), PK_OK);
    /* "7" is fid 7? no such fid: the feature with code 7 */
    o.to = "squares:7";
    o.role = NULL;
    assert_int_equal(pk_task_attach(f->store, "A1", &o, &n), PK_OK);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_task_links WHERE task_id='A1' AND fid=3"), 1);
    /* again: nothing added */
    assert_int_equal(pk_task_attach(f->store, "A1", &o, &n), PK_OK);
    assert_int_equal(n, 0);

    o.to = "squares:Twin";
    assert_int_equal(pk_task_attach(f->store, "A1", &o, &n), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "matches 2 features"));
    assert_non_null(strstr(pk_errmsg(f->ctx), "fid 3 (7), fid 4 (T-2)"));
    o.to = "squares:x' OR 1=1--";
    assert_int_equal(pk_task_attach(f->store, "A1", &o, &n), PK_ERR_NOTFOUND);
    o.to = "squares:A";
    assert_int_equal(pk_task_attach(f->store, "NOPE", &o, &n), PK_ERR_NOTFOUND);

    o.to = NULL;
    o.geom = "POLYGON((600000 3430000,600100 3430000,600100 3430100,600000 3430100,600000 3430000))";
    o.label = "sq";
    assert_int_equal(pk_task_attach(f->store, "A1", &o, &n), PK_OK);
    assert_int_equal(n, 1);
    o.geom = "POLYGON((1 2, 3";
    assert_int_equal(pk_task_attach(f->store, "A1", &o, &n), PK_ERR_DATA);
    o.geom = "POINT(500 100)";
    o.s_srs = "EPSG:4326";
    assert_int_not_equal(pk_task_attach(f->store, "A1", &o, &n), PK_OK);
    assert_non_null(strstr(pk_errmsg(f->ctx), "bounds"));
    o.geom = NULL;
    o.s_srs = NULL;
    o.where_layer = "squares";
    o.intersecting = "squares:A";
    add_task(f, "A2", "neighbours");
    assert_int_equal(pk_task_attach(f->store, "A2", &o, &n), PK_OK);
    /* A itself only: B only touches A along a border */
    assert_int_equal(n, 1);
    assert_int_equal(count(f, "SELECT fid FROM pk_task_links WHERE task_id='A2'"), 1);

    assert_int_equal(count(f, "SELECT count(*) FROM pk_task_links WHERE task_id='A1'"), 3);
    check_show_a1(f);
    assert_int_equal(pk_task_detach(f->store, "A1", "squares:B", 0, 0, &n), PK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(pk_task_detach(f->store, "A1", "squares:B", 0, 0, &n), PK_ERR_NOTFOUND);
    assert_int_equal(pk_task_detach(f->store, "A1", NULL, 0, 1, &n), PK_OK);
    assert_int_equal(n, 3); /* 2 links and 1 footprint */
    assert_int_equal(count(f, "SELECT count(*) FROM pk_history WHERE object_id='A1' AND command='task detach'"), 2);

    assert_int_equal(pk_task_remove(f->store, "A2"), PK_OK);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_task_links WHERE task_id='A2'"), 0);
    struct pk_table *h = NULL;
    assert_int_equal(pk_task_history(f->store, "A2", &h), PK_OK); /* history outlives the task */
    assert_string_equal(pk_table_get(h, h->nrows - 1, pk_table_col(h, "field")), "removed");
    pk_table_free(h);
    assert_int_equal(pk_task_remove(f->store, "A2"), PK_ERR_NOTFOUND);
}

static void test_list_filters(void **state)
{
    struct fixture *f = *state;
    struct pk_task_fields t;
    const char *ids[] = {"L1", "L2", "L3"}, *cls[] = {"甲", "乙", "甲"}, *st[] = {"planned", "done", "done"};
    int start[] = {2026, 2026, 2029};
    for (int i = 0; i < 3; i++) {
        pk_task_fields_init(&t);
        t.id = ids[i];
        t.title = ids[i];
        t.classification = cls[i];
        t.status = st[i];
        t.start_year = start[i];
        t.end_year = 2030;
        assert_int_equal(pk_task_add(f->store, &t), PK_OK);
    }
    struct pk_attach_opts o = {.to = "squares:B"};
    long long n;
    assert_int_equal(pk_task_attach(f->store, "L3", &o, &n), PK_OK);
    struct {
        struct pk_task_filter filter;
        const char *expect;
    } cases[] = {
        {{NULL, NULL, 0, NULL, NULL, NULL}, "L1,L2,L3"},
        {{"甲", NULL, 0, NULL, NULL, NULL}, "L1,L3"},
        {{NULL, "done", 0, NULL, NULL, NULL}, "L2,L3"},
        {{"甲", "done", 0, NULL, NULL, NULL}, "L3"},
        {{NULL, NULL, 2027, NULL, NULL, NULL}, "L1,L2"},
        {{NULL, NULL, 0, "squares", "SQ-B", NULL}, "L3"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct pk_table *tb = NULL;
        assert_int_equal(pk_task_list(f->store, &cases[c].filter, &tb), PK_OK);
        char got[64] = "";
        for (size_t r = 0; r < tb->nrows; r++) {
            strcat(got, r ? "," : "");
            strcat(got, pk_table_get(tb, r, 0));
        }
        assert_string_equal(got, cases[c].expect);
        pk_table_free(tb);
    }
    struct pk_task_filter bad = {NULL, NULL, 0, "squares", NULL, NULL};
    struct pk_table *tb = NULL;
    assert_int_equal(pk_task_list(f->store, &bad, &tb), PK_ERR_ARGS);
}

/* SQLite progress handler that interrupts every statement. */
static int interrupt_all(void *arg)
{
    (void)arg;
    return 1;
}

/* A read that fails while a task is read (here every statement is
 * interrupted, as a busy or broken database would stop it): an error,
 * never "no such task" (task show, task update, task export). */
static void test_failed_read_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct pk_task_fields t;
    pk_task_fields_init(&t);
    t.id = "T1";
    t.title = "一个任务";
    assert_int_equal(pk_task_add(f->store, &t), PK_OK);
    struct pk_table *shown = NULL;
    sqlite3_progress_handler(f->store->db, 1, interrupt_all, NULL);
    struct pk_table *links = NULL, *fps = NULL;
    int rc = pk_task_show(f->store, "T1", &shown, &links, &fps);
    assert_int_not_equal(rc, PK_OK);
    assert_int_not_equal(rc, PK_ERR_NOTFOUND);
    assert_null(shown);
    assert_null(links);
    assert_null(fps);
    t.title = "改名";
    rc = pk_task_update(f->store, &t);
    assert_int_not_equal(rc, PK_OK);
    assert_int_not_equal(rc, PK_ERR_NOTFOUND);
    char *out = NULL;
    assert_int_not_equal(pk_task_export(f->store, "json", &out), PK_OK);
    assert_null(out);
    sqlite3_progress_handler(f->store->db, 0, NULL, NULL);
    /* and then the task as it was */
    assert_int_equal(pk_task_show(f->store, "T1", &shown, NULL, NULL), PK_OK);
    int found = 0;
    for (size_t r = 0; r < shown->nrows; r++)
        found |= !strcmp(pk_table_get(shown, r, 0), "title") && !strcmp(pk_table_get(shown, r, 1), "一个任务");
    assert_true(found);
    pk_table_free(shown);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_list_and_indicators_json),
        T(test_add_update_history),
        T(test_validation),
        T(test_import_csv),
        T(test_import_json_upsert),
        T(test_attach_detach_remove),
        T(test_list_filters),
        T(test_failed_read_is_an_error),
    };
#undef T
    return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
