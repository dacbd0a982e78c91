/* test_read_errors.c — a read that stops in the middle (SQLITE_BUSY, an I/O
 * error; here SQLITE_INTERRUPT from a progress handler that stops the Nth
 * step of the store's connection, for every N) is an error, never a short
 * answer: removing a layer's links records every removed link in the
 * history, a name lookup is never "not found", and `check` lists every
 * problem or fails. SQL text that could not be built is out of memory,
 * never a statement that does nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plankit/layer.h"
#include "plankit/task.h"
#include "layer_int.h"
#include "store_int.h"
#include "fixture.h"

#define SQUARE(x0, y0, x1, y1)                                                                    \
    "{\"type\":\"Polygon\",\"coordinates\":[[[" #x0 "," #y0 "],[" #x1 "," #y0 "],[" #x1 "," #y1 \
    "],[" #x0 "," #y1 "],[" #x0 "," #y0 "]]]}"

static const char *const squares_geojson =
    "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"A\",\"code\":\"SQ-A\"},\"geometry\":"
    SQUARE(600000, 3430000, 601000, 3431000) "},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"B\",\"code\":\"SQ-B\"},\"geometry\":"
    SQUARE(601000, 3430000, 602000, 3431000) "},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"C\",\"code\":\"SQ-C\"},\"geometry\":"
    SQUARE(602000, 3430000, 603000, 3431000) "}]}\n";

/* The progress handler's state: stop the call numbered `at` (1-based). */
struct stopper {
    long calls, at;
};

static int stop_at(void *arg)
{
    struct stopper *s = arg;
    return ++s->calls == s->at;
}

/* Run op with the store's connection stopped at its Nth progress call (one
 * call per `every` virtual-machine steps) for N = 1, 2, ... until op runs
 * through; judge(f, rc, arg) checks each outcome. Returns how many runs
 * were stopped (so a test can see that the sweep reached op's reads). */
static long sweep(struct fixture *f, int every, int (*op)(struct fixture *f, void *arg),
                  void (*judge)(struct fixture *f, int rc, void *arg), void *arg)
{
    long stopped = 0;
    for (long n = 1;; n++) {
        struct stopper s = {0, n};
        assert_int_equal(pk_store_begin(f->store), PK_OK); /* undone after each run */
        sqlite3_progress_handler(f->store->db, every, stop_at, &s);
        int rc = op(f, arg);
        sqlite3_progress_handler(f->store->db, 0, NULL, NULL);
        judge(f, rc, arg);
        pk_store_rollback(f->store);
        pk_error_clear(f->ctx);
        if (s.calls < n)
            return stopped;
        stopped += rc != PK_OK;
    }
}

static long long count(struct fixture *f, const char *sql)
{
    long long n = -1;
    assert_int_equal(pk_sql_int(f->store, sql, NULL, &n, NULL), PK_OK);
    return n;
}

/* An EPSG:4549 store with three squares and tasks T1..T3, each linked to
 * one of them. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fx_open(f, "test_read_errors", "EPSG:4549") != 0)
        return -1;
    if (fx_write(f, "squares.geojson", squares_geojson) != 0 || fx_load(f, "squares.geojson", "squares", NULL) != PK_OK)
        return -1;
    static const char *const ids[] = {"T1", "T2", "T3"}, *const to[] = {"squares:A", "squares:SQ-B", "squares:3"};
    for (int i = 0; i < 3; i++) {
        struct pk_task_fields t;
        pk_task_fields_init(&t);
        t.id = ids[i];
        t.title = "任务";
        struct pk_attach_opts o = {.to = to[i]};
        long long n = 0;
        if (pk_task_add(f->store, &t) != PK_OK || pk_task_attach(f->store, ids[i], &o, &n) != PK_OK || n != 1)
            return -1;
    }
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

/* ---- removing links: all of them in the history, or an error */

struct drop_run {
    long long history0; /* history rows before */
    long long removed;
};

/* What `layer drop --force` and `layer load --replace` do to the links
 * (pk_layer_drop itself also runs SpatiaLite's DiscardGeometryColumn, which
 * leaks a statement when interrupted). */
static int op_drop(struct fixture *f, void *arg)
{
    struct drop_run *d = arg;
    struct pk_layer_ref ref;
    d->removed = 0;
    int rc = pk_layer_find(f->store, "squares", &ref);
    return rc != PK_OK ? rc : pk_layer_links_remove(f->store, &ref, "layer drop", "1", 1, &d->removed);
}

static void judge_drop(struct fixture *f, int rc, void *arg)
{
    struct drop_run *d = arg;
    if (rc != PK_OK) {
        assert_int_not_equal(rc, PK_ERR_NOTFOUND); /* a failed read is not "no layer" */
        return;
    }
    assert_int_equal(d->removed, 3);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_task_links"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_history WHERE field='link'") - d->history0, 3);
}

static void test_links_removed_only_with_history(void **state)
{
    struct fixture *f = *state;
    struct drop_run d = {count(f, "SELECT count(*) FROM pk_history WHERE field='link'"), 0};
    long stopped = sweep(f, 1, op_drop, judge_drop, &d);
    assert_true(stopped > 0);
    assert_int_equal(count(f, "SELECT count(*) FROM pk_task_links"), 3); /* every run undone */
}

/* ---- lookups: a failed read is never "not found" */

static int op_attach(struct fixture *f, void *arg)
{
    (void)arg;
    struct pk_attach_opts o = {.to = "squares:C"}; /* by name: the last of the lookups */
    long long n = 0;
    return pk_task_attach(f->store, "T1", &o, &n);
}

static void judge_lookup(struct fixture *f, int rc, void *arg)
{
    (void)arg;
    if (rc != PK_OK) {
        assert_int_not_equal(rc, PK_ERR_NOTFOUND);
        assert_int_not_equal(rc, PK_ERR_ARGS);
    } else {
        assert_int_equal(count(f, "SELECT count(*) FROM pk_task_links WHERE task_id='T1' AND fid=3"), 1);
    }
}

static void test_lookup_errors_are_not_not_found(void **state)
{
    struct fixture *f = *state;
    assert_true(sweep(f, 1, op_attach, judge_lookup, NULL) > 0);
}

/* ---- check: every problem or an error */

/* The problems as one text, rows in order (caller frees). */
static char *problems_text(const struct pk_table *t)
{
    size_t size = 1;
    for (size_t r = 0; r < t->nrows; r++)
        size += strlen(pk_table_get(t, r, 0)) + strlen(pk_table_get(t, r, 1)) + 2;
    char *s = calloc(1, size);
    assert_non_null(s);
    for (size_t r = 0; r < t->nrows; r++) {
        strcat(s, pk_table_get(t, r, 0));
        strcat(s, "\t");
        strcat(s, pk_table_get(t, r, 1));
        strcat(s, "\n");
    }
    return s;
}

struct check_run {
    char *reference;
    struct pk_table *t;
};

static int op_check(struct fixture *f, void *arg)
{
    struct check_run *c = arg;
    c->t = NULL;
    return pk_store_check(f->store, &c->t, NULL, NULL);
}

static void judge_check(struct fixture *f, int rc, void *arg)
{
    (void)f;
    struct check_run *c = arg;
    if (rc != PK_OK) {
        assert_null(c->t);
        return;
    }
    char *text = problems_text(c->t);
    assert_string_equal(text, c->reference);
    free(text);
    pk_table_free(c->t);
}

static void test_check_lists_every_problem(void **state)
{
    struct fixture *f = *state;
    /* two problems: a link to a feature that is gone, a registry count that is wrong */
    assert_int_equal(pk_sql_exec(f->store, "UPDATE pk_task_links SET fid=99 WHERE task_id='T3';"
                                           "UPDATE pk_layers SET feature_count=4 WHERE name='squares'"), PK_OK);
    struct check_run c = {NULL, NULL};
    assert_int_equal(op_check(f, &c), PK_OK);
    c.reference = problems_text(c.t);
    pk_table_free(c.t);
    assert_non_null(strstr(c.reference, "no longer exists"));
    assert_non_null(strstr(c.reference, "registry says 4 features"));
    /* a progress call every 50 steps: the integrity check alone takes thousands */
    assert_true(sweep(f, 50, op_check, judge_check, &c) > 0);
    free(c.reference);
}

/* ---- SQL text that could not be built (a failed sqlite3_mprintf) */

static void test_null_sql_is_out_of_memory(void **state)
{
    struct fixture *f = *state;
    sqlite3_stmt *st = (sqlite3_stmt *)1;
    /* sqlite3_exec takes NULL as "nothing to do": a DELETE would silently not happen */
    assert_int_equal(pk_sql_exec(f->store, NULL), PK_ERR_NOMEM);
    assert_string_equal(pk_errmsg(f->ctx), "out of memory");
    assert_int_equal(pk_sql_prepare(f->store, NULL, &st), PK_ERR_NOMEM);
    assert_null(st);
    long long n = 0;
    assert_int_equal(pk_sql_int(f->store, NULL, NULL, &n, NULL), PK_ERR_NOMEM);
}

int main(int argc, char **argv)
{
    if (argc > 1) /* one test by name (a pattern) */
        cmocka_set_test_filter(argv[1]);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_links_removed_only_with_history),
        T(test_lookup_errors_are_not_not_found),
        T(test_check_lists_every_problem),
        T(test_null_sql_is_out_of_memory),
    };
#undef T
    return cmocka_run_group_tests_name("read_errors", tests, NULL, NULL);
}
