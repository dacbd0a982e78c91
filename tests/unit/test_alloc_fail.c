/* test_alloc_fail.c — every allocation of plankit's own code may fail.
 *
 * malloc, calloc, realloc and strdup are wrapped at link time for this
 * program only (tests/CMakeLists.txt: -Wl,--wrap=...), so the library's own
 * calls go through the counters below while GDAL, GEOS, PROJ and SQLite keep
 * theirs. For N = 1, 2, ... the Nth allocation during one command on small
 * data returns NULL. Each such run must end in an error — or, where plankit
 * can do without that memory, in the same answer as a run without the
 * failure — must not crash or leak (ASan/LSan), and must leave the store
 * file byte-identical. The loop ends at the first N the command does not
 * reach. Commands: layer load, coverage, query tasks and zones, overlay
 * and task attach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <execinfo.h>
#include <math.h>

#include "plankit/overlay.h"
#include "plankit/query.h"
#include "plankit/table.h"
#include "plankit/task.h"
#include "fixture.h"

/* ---- the wrapped allocator */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);

static long fail_at;   /* 0: never */
static long counted;   /* allocations since arm() */
static int failed;     /* the failure was injected */

/* With PLANKIT_TEST_ALLOC_TRACE set, where each injected failure happens. */
static void trace(void)
{
    void *frames[12];
    if (getenv("PLANKIT_TEST_ALLOC_TRACE"))
        backtrace_symbols_fd(frames, backtrace(frames, 12), 2);
}

static int should_fail(void)
{
    if (!__atomic_load_n(&fail_at, __ATOMIC_SEQ_CST))
        return 0;
    if (__atomic_add_fetch(&counted, 1, __ATOMIC_SEQ_CST) != fail_at)
        return 0;
    __atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
    trace();
    return 1;
}
void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return should_fail() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return should_fail() ? NULL : __real_strdup(s); }

static void arm(long n)
{
    __atomic_store_n(&counted, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&failed, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&fail_at, n, __ATOMIC_SEQ_CST);
}

static void disarm(void) { __atomic_store_n(&fail_at, 0, __ATOMIC_SEQ_CST); }

/* ---- the data: two squares, a city, a task */
static const char squares[] =
    "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"A\",\"code\":\"SA\"},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[600000,3430000],[601000,3430000],[601000,3431000],[600000,3431000],[600000,3430000]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"B\",\"code\":\"SB\"},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[601000,3430000],[602000,3430000],[602000,3431000],[601000,3431000],[601000,3430000]]]}}]}";
static const char zones[] =
    "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"Z\"},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[600500,3430200],[601700,3430200],[601700,3430900],[600500,3430900],[600500,3430200]]]}}]}";

/* ---- the harness */
struct op {
    const char *name;
    /* run the command; *out may receive a result table to compare */
    int (*run)(struct fixture *f, struct pk_table **out);
};

static long file_size(const char *path, unsigned char **bytes)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    *bytes = __real_malloc((size_t)n + 1);
    if (fread(*bytes, 1, (size_t)n, fp) != (size_t)n)
        n = -1;
    fclose(fp);
    return n;
}

static void write_bytes(const char *path, const unsigned char *bytes, long n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
}

/* The same answer: equal text, and numbers of REAL columns equal to 1e-12
 * relative (a path taken when memory ran out, e.g. GEOS instead of the
 * rectangle clipper, may round the last digits differently). */
static int tables_equal(const struct pk_table *a, const struct pk_table *b)
{
    if (!a || !b)
        return a == b;
    if (a->nrows != b->nrows || a->ncols != b->ncols)
        return 0;
    for (size_t r = 0; r < a->nrows; r++)
        for (int c = 0; c < a->ncols; c++) {
            const char *x = pk_table_get(a, r, c), *y = pk_table_get(b, r, c);
            if ((x == NULL) != (y == NULL))
                return 0;
            if (!x || !strcmp(x, y))
                continue;
            char *ex, *ey;
            double dx = strtod(x, &ex), dy = strtod(y, &ey);
            if (a->types[c] != PK_COL_REAL || *ex || *ey || fabs(dx - dy) > 1e-12 * fmax(fabs(dx), fabs(dy))) {
                fprintf(stderr, "row %zu column %s: '%s' against '%s'\n", r, a->names[c], x, y);
                return 0;
            }
        }
    return 1;
}

/* Reopen the store from the bytes given, run op once with allocation n
 * failing (0: none); the store is closed again afterwards. Returns the
 * status, the table in *out. */
static int run_once(struct fixture *f, const struct op *op, const unsigned char *base, long size, long n,
                    struct pk_table **out)
{
    char p[400];
    fx_path(f, "plan.sqlite", p, sizeof p);
    write_bytes(p, base, size);
    assert_int_equal(pk_store_open(f->ctx, p, &f->store), PK_OK);
    *out = NULL;
    arm(n);
    int rc = op->run(f, out);
    disarm();
    pk_store_close(f->store);
    f->store = NULL;
    return rc;
}

/* The loop over N for one command on the store as it is now; the store is
 * left open as the one run that reached no failure left it. */
static void every_allocation(struct fixture *f, const struct op *op)
{
    char p[400];
    unsigned char *base = NULL, *after = NULL;
    struct pk_table *ref = NULL;
    fx_path(f, "plan.sqlite", p, sizeof p);
    pk_store_close(f->store);
    f->store = NULL;
    long size = file_size(p, &base);
    assert_true(size > 0);
    assert_int_equal(run_once(f, op, base, size, 0, &ref), PK_OK); /* the answer without failures */
    long n;
    for (n = 1;; n++) {
        struct pk_table *t = NULL;
        int rc = run_once(f, op, base, size, n, &t);
        if (!failed) { /* the command made fewer than n allocations */
            pk_table_free(t);
            break;
        }
        if (rc == PK_OK) {
            if (!tables_equal(t, ref))
                fail_msg("%s: allocation %ld failed, yet it reported success with another answer (%zu rows, not %zu)",
                         op->name, n, t ? t->nrows : 0, ref ? ref->nrows : 0);
        } else {
            long got = file_size(p, &after);
            if (got != size || memcmp(after, base, (size_t)size) != 0) { /* a failed write leaves no trace */
                free(after);
                fail_msg("%s: allocation %ld failed (status %d: %s) and the store changed", op->name, n, rc,
                         pk_errmsg(f->ctx));
            }
            free(after);
            after = NULL;
        }
        pk_table_free(t);
    }
    print_message("%s: %ld allocations, each failed once\n", op->name, n - 1);
    assert_true(n > 1);
    pk_table_free(ref);
    free(base);
    /* leave the store open for the next step, as it was */
    assert_int_equal(pk_store_open(f->ctx, p, &f->store), PK_OK);
}

/* ---- the commands */
static int op_load(struct fixture *f, struct pk_table **out)
{
    (void)out;
    return fx_load(f, "zones.geojson", "zones", "zone");
}

/* One command: a footprint (the store CRS's own, reprojection-free) */
static int op_attach(struct fixture *f, struct pk_table **out)
{
    (void)out;
    long long count = 0;
    struct pk_attach_opts geom = {.geom = "POLYGON((600100 3430100, 600300 3430100, 600300 3430300, 600100 3430100))",
                                  .s_srs = "EPSG:4549"};
    return pk_task_attach(f->store, "T1", &geom, &count);
}

static int op_coverage(struct fixture *f, struct pk_table **out)
{
    struct pk_coverage_opts o = {.by_layer = "squares", .with_geometry = 1, .threads = 2};
    struct pk_coverage_totals totals;
    int rc = pk_coverage_with_totals(f->store, &o, out, &totals, NULL, NULL);
    pk_coverage_totals_release(&totals);
    return rc;
}

static int op_query(struct fixture *f, struct pk_table **out)
{
    struct pk_task_query q = {.probe = PK_PROBE_IN, .feature = "squares:A", .with_geometry = 1};
    struct pk_table *zt = NULL;
    int rc = pk_query_tasks(f->store, &q, out);
    if (rc == PK_OK)
        rc = pk_query_zones(f->store, "T1", 1, &zt);
    if (rc == PK_OK && zt->nrows != 3) /* Z itself (linked), and squares A and B it overlaps */
        rc = PK_ERR_DATA;
    pk_table_free(zt);
    return rc;
}

static int op_overlay(struct fixture *f, struct pk_table **out)
{
    struct pk_overlay_opts o = {.op = PK_OV_INTERSECTION, .a = "squares", .b = "zones", .out = "pieces",
                                .threads = 2, .summary = 1, .summary_long = 1};
    struct pk_overlay_result res;
    return pk_overlay(f->store, &o, &res, out, NULL, NULL);
}

static void test_every_allocation_fails_once(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fx_open(&f, "test_alloc_fail", "EPSG:4549"), 0);
    assert_int_equal(fx_write(&f, "squares.geojson", squares), 0);
    assert_int_equal(fx_write(&f, "zones.geojson", zones), 0);
    assert_int_equal(fx_load(&f, "squares.geojson", "squares", "district"), PK_OK);
    struct pk_task_fields t;
    pk_task_fields_init(&t);
    t.id = "T1";
    t.title = "task";
    assert_int_equal(pk_task_add(f.store, &t), PK_OK);

    static const struct op load = {"layer load", op_load}, attach = {"task attach", op_attach},
                           coverage = {"coverage", op_coverage}, query = {"query", op_query}, overlay = {"overlay", op_overlay};
    every_allocation(&f, &load); /* the last, complete run leaves the zones loaded */
    long long count = 0;
    struct pk_attach_opts to = {.to = "zones:Z"};
    assert_int_equal(pk_task_attach(f.store, "T1", &to, &count), PK_OK);
    every_allocation(&f, &coverage);
    every_allocation(&f, &query);
    every_allocation(&f, &overlay);
    every_allocation(&f, &attach);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_fails_once),
    };
    return cmocka_run_group_tests_name("alloc_fail", tests, NULL, NULL);
}
