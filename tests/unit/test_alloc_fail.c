/* test_alloc_fail.c — every allocation of plankit's own code may fail.
 *
 * malloc, calloc, realloc, strdup and the SQL text plankit builds with
 * sqlite3_mprintf (and sqlite3_malloc64) are wrapped at link time for this
 * program only (tests/CMakeLists.txt: -Wl,--wrap=...), so the library's own
 * calls go through the counters below while GDAL, GEOS, PROJ and SQLite keep
 * theirs. For N = 1, 2, ... the Nth allocation during one command on small
 * data returns NULL. Each such run must end in an error — or, where plankit
 * can do without that memory, in the same answer as a run without the
 * failure, and then the same store contents — must not crash or leak
 * (ASan/LSan), and must leave the store file byte-identical. The loop ends
 * at the first N the command does not reach. SQLite's own allocations (its
 * statements, pages and results: SQLITE_NOMEM) fail the same way through
 * sqlite3_config(SQLITE_CONFIG_MALLOC), every STRIDE-th of them.
 * Commands: layer load (and one from EPSG:4326, reprojected), coverage,
 * query tasks and zones, overlay, task attach (a footprint in the store
 * CRS, and one in EPSG:4326) and layer drop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <limits.h>
#include <sys/stat.h>
#include <math.h>

#include "plankit/overlay.h"
#include "plankit/query.h"
#include "plankit/table.h"
#include "plankit/task.h"
#include "store_int.h"
#include "fixture.h"

/* ---- the wrapped allocator */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__real_sqlite3_malloc64(sqlite3_uint64 n);

static long fail_at;   /* 0: never */
static long counted;   /* allocations since arm() */
static int failed;     /* the failure was injected */
static int in_sqlite;  /* count SQLite's own allocations instead of plankit's */

/* SQLite makes thousands of allocations per command: of those, about
 * SQLITE_RUNS spread evenly over the command fail (one per run). */
#define SQLITE_RUNS 24

/* With PLANKIT_TEST_ALLOC_TRACE set, where each injected failure happens. */
static void trace(void)
{
    void *frames[12];
    if (getenv("PLANKIT_TEST_ALLOC_TRACE"))
        backtrace_symbols_fd(frames, backtrace(frames, 12), 2);
}

static int spared;      /* the failure was not injected: SpatiaLite's own call */

/* Whether SpatiaLite is on the stack: its functions leak statements and
 * messages when SQLite runs out of memory (not plankit's to mend), so an
 * allocation made for them is not failed. */
static int in_spatialite(void)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    for (int i = 0; i < n; i++) {
        Dl_info info;
        if (dladdr(frames[i], &info) && info.dli_fname && strstr(info.dli_fname, "libspatialite"))
            return 1;
    }
    return 0;
}

static int should_fail_of(int sqlite)
{
    if (!__atomic_load_n(&fail_at, __ATOMIC_SEQ_CST) || __atomic_load_n(&in_sqlite, __ATOMIC_SEQ_CST) != sqlite)
        return 0;
    if (__atomic_add_fetch(&counted, 1, __ATOMIC_SEQ_CST) != fail_at)
        return 0;
    if (sqlite && in_spatialite()) {
        __atomic_store_n(&spared, 1, __ATOMIC_SEQ_CST);
        return 0;
    }
    __atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
    trace();
    return 1;
}
static int should_fail(void) { return should_fail_of(0); }
void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return should_fail() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return should_fail() ? NULL : __real_strdup(s); }
void *__wrap_sqlite3_malloc64(sqlite3_uint64 n) { return should_fail() ? NULL : __real_sqlite3_malloc64(n); }
char *__wrap_sqlite3_mprintf(const char *fmt, ...)
{
    if (should_fail())
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *s = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    return s;
}

/* SQLite's allocator, counted when in_sqlite is set (installed by main
 * before SQLite starts). */
static sqlite3_mem_methods sqlite_mem;
static void *sqlite_malloc(int n) { return should_fail_of(1) ? NULL : sqlite_mem.xMalloc(n); }
static void *sqlite_realloc(void *p, int n) { return should_fail_of(1) ? NULL : sqlite_mem.xRealloc(p, n); }

static void count_sqlite_allocations(void)
{
    sqlite3_mem_methods m;
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem), SQLITE_OK);
    m = sqlite_mem;
    m.xMalloc = sqlite_malloc;
    m.xRealloc = sqlite_realloc;
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
}

static void arm(long n)
{
    __atomic_store_n(&counted, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&failed, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&spared, 0, __ATOMIC_SEQ_CST);
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

/* Z again, as longitude/latitude (EPSG:4326) */
static const char zones_lonlat[] =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"Z\"},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[121.03,31.0],[121.04,31.0],[121.04,31.006],[121.03,31.006],[121.03,31.0]]]}}]}";

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

/* Append text to the growing *buf (of *len bytes). */
static void append(char **buf, size_t *len, const char *text, size_t n)
{
    *buf = __real_realloc(*buf, *len + n + 1);
    assert_non_null(*buf);
    memcpy(*buf + *len, text, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* The store's contents as text: every row of plankit's tables and of the
 * layer tables, without the times (columns at and loaded_at); a geometry as
 * its number of points, area and box (a path taken when memory ran out may
 * start a ring at another vertex), other BLOBs in hex. Caller frees. Run
 * with no failure armed. */
static char *store_digest(struct pk_store *store)
{
    sqlite3_stmt *tables, *st;
    char *buf = NULL, *sql;
    size_t len = 0;
    append(&buf, &len, "", 0);
    assert_int_equal(sqlite3_prepare_v2(store->db, "SELECT name FROM sqlite_master WHERE type='table' AND (name GLOB"
                                                   " 'pk_*' OR name GLOB 'lyr_[0-9]*') ORDER BY name", -1, &tables,
                                        NULL), SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(tables, 0);
        append(&buf, &len, name, strlen(name));
        append(&buf, &len, ":\n", 2);
        assert_non_null(sql = sqlite3_mprintf("SELECT *, CASE WHEN geom IS NULL THEN NULL ELSE printf("
                                              "'%%d %%.17g %%.17g %%.17g %%.17g %%.17g', ST_NPoints(geom), ST_Area(geom),"
                                              " MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom)) END AS shape"
                                              " FROM \"%w\" ORDER BY rowid", name));
        if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK) { /* no geom column */
            sqlite3_free(sql);
            assert_non_null(sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY rowid", name));
        } else {
            sqlite3_finalize(st);
        }
        assert_int_equal(sqlite3_prepare_v2(store->db, sql, -1, &st, NULL), SQLITE_OK);
        sqlite3_free(sql);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const char *col = sqlite3_column_name(st, c);
                if (!strcmp(col, "at") || !strcmp(col, "loaded_at") || !strcmp(col, "geom"))
                    continue;
                if (sqlite3_column_type(st, c) == SQLITE_BLOB) {
                    const unsigned char *b = sqlite3_column_blob(st, c);
                    for (int i = 0; i < sqlite3_column_bytes(st, c); i++) {
                        char hex[3];
                        snprintf(hex, sizeof hex, "%02x", b[i]);
                        append(&buf, &len, hex, 2);
                    }
                } else if (sqlite3_column_type(st, c) != SQLITE_NULL) {
                    const char *v = (const char *)sqlite3_column_text(st, c);
                    append(&buf, &len, v, strlen(v));
                }
                append(&buf, &len, "|", 1);
            }
            append(&buf, &len, "\n", 1);
        }
        sqlite3_finalize(st);
    }
    sqlite3_finalize(tables);
    return buf;
}

/* The same contents: equal text but for numbers equal to 1e-9 relative (a
 * fallback path may round the last digits of an area differently). */
static int digests_equal(const char *a, const char *b)
{
    while (*a || *b) {
        char *ea, *eb;
        double x = strtod(a, &ea), y = strtod(b, &eb);
        if (ea != a && eb != b && (isalpha((unsigned char)*ea) == isalpha((unsigned char)*eb))) {
            if (fabs(x - y) > 1e-9 * fmax(1, fmax(fabs(x), fabs(y))))
                return 0;
            a = ea, b = eb;
        } else if (*a++ != *b++) {
            return 0;
        }
    }
    return 1;
}

/* Reopen the store from the bytes given, run op once with allocation n
 * failing (0: none); the store is closed again afterwards. Returns the
 * status, the table in *out, and when it is PK_OK the store's contents in
 * *digest (caller frees). */
static int run_once(struct fixture *f, const struct op *op, const unsigned char *base, long size, long n,
                    struct pk_table **out, char **digest)
{
    char p[400];
    fx_path(f, "plan.sqlite", p, sizeof p);
    write_bytes(p, base, size);
    assert_int_equal(pk_store_open(f->ctx, p, &f->store), PK_OK);
    *out = NULL;
    arm(n);
    int rc = op->run(f, out);
    disarm();
    *digest = rc == PK_OK ? store_digest(f->store) : NULL;
    pk_store_close(f->store);
    char wal[420];
    snprintf(wal, sizeof wal, "%s-wal", p);
    if (access(wal, F_OK) == 0) /* a connection left open: a statement or a connection leaked */
        fail_msg("%s: allocation %ld failed (status %d) and the store stayed open", op->name, n, rc);
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
    char *ref_digest = NULL;
    fx_path(f, "plan.sqlite", p, sizeof p);
    pk_store_close(f->store);
    f->store = NULL;
    long size = file_size(p, &base);
    assert_true(size > 0);
    assert_int_equal(run_once(f, op, base, size, 0, &ref, &ref_digest), PK_OK); /* the answer without failures */
    long n, runs = 0, stride = 1;
    if (in_sqlite) { /* how many SQLite allocations the command makes */
        struct pk_table *t = NULL;
        char *digest = NULL;
        int rc = run_once(f, op, base, size, LONG_MAX, &t, &digest);
        if (rc != PK_OK)
            fail_msg("%s: %s", op->name, pk_errmsg(f->ctx));
        stride = counted / SQLITE_RUNS + 1;
        pk_table_free(t);
        free(digest);
    }
    for (n = 1;; n += stride) {
        struct pk_table *t = NULL;
        char *digest = NULL;
        int rc = run_once(f, op, base, size, n, &t, &digest);
        if (!failed) { /* the command made fewer than n allocations (or SpatiaLite's was spared) */
            pk_table_free(t);
            free(digest);
            if (spared)
                continue;
            break;
        }
        runs++;
        if (rc == PK_OK) {
            if (!tables_equal(t, ref))
                fail_msg("%s: allocation %ld failed, yet it reported success with another answer (%zu rows, not %zu)",
                         op->name, n, t ? t->nrows : 0, ref ? ref->nrows : 0);
            if (!digests_equal(digest, ref_digest)) { /* e.g. data left in the source CRS */
                size_t at = 0;
                while (digest[at] == ref_digest[at])
                    at++;
                at = at > 60 ? at - 60 : 0;
                fail_msg("%s: allocation %ld failed, yet it reported success with other contents of the store:\n"
                         "  %.160s\nnot\n  %.160s", op->name, n, digest + at, ref_digest + at);
            }
            free(digest);
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
    print_message("%s: %ld of its %s allocations failed once, one per run (%s)\n", op->name, runs,
                  in_sqlite ? "SQLite" : "plankit", in_sqlite ? "evenly spread" : "every one");
    assert_true(n > 1);
    pk_table_free(ref);
    free(ref_digest);
    free(base);
    /* leave the store open for the next step, as it was */
    assert_int_equal(pk_store_open(f->ctx, p, &f->store), PK_OK);
}

/* ---- the commands */
static int op_load(struct fixture *f, struct pk_table **out)
{
    (void)out;
    return fx_load(f, "zones.geojson", in_sqlite ? "zones_again" : "zones", "zone"); /* (once per pass) */
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

/* A layer in EPSG:4326 loaded into the EPSG:4549 store: reprojected */
static int op_load_lonlat(struct fixture *f, struct pk_table **out)
{
    (void)out;
    return fx_load(f, "zones_lonlat.geojson", in_sqlite ? "zones_ll_again" : "zones_ll", "zone");
}

/* A footprint given in EPSG:4326: reprojected to the store CRS */
static int op_attach_lonlat(struct fixture *f, struct pk_table **out)
{
    (void)out;
    long long count = 0;
    struct pk_attach_opts geom = {.geom = "POLYGON((121.03 31.0, 121.035 31.0, 121.035 31.004, 121.03 31.0))",
                                  .s_srs = "EPSG:4326"};
    return pk_task_attach(f->store, "T1", &geom, &count);
}

/* The reprojected layer dropped again (with its registry row) */
static int op_drop(struct fixture *f, struct pk_table **out)
{
    (void)out;
    long long links = 0;
    return pk_layer_drop(f->store, in_sqlite ? "zones_ll_again" : "zones_ll", 0, &links);
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
    static size_t zone_rows; /* as the run without failures found them */
    if (rc == PK_OK && !__atomic_load_n(&fail_at, __ATOMIC_SEQ_CST))
        zone_rows = zt->nrows;
    else if (rc == PK_OK && zt->nrows != zone_rows)
        rc = PK_ERR_DATA;
    pk_table_free(zt);
    return rc;
}

static int op_overlay(struct fixture *f, struct pk_table **out)
{
    struct pk_overlay_opts o = {.op = PK_OV_INTERSECTION, .a = "squares", .b = "zones",
                                .out = in_sqlite ? "pieces_again" : "pieces",
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

    assert_int_equal(fx_write(&f, "zones_lonlat.geojson", zones_lonlat), 0);
    static const struct op load = {"layer load", op_load}, attach = {"task attach", op_attach},
                           coverage = {"coverage", op_coverage}, query = {"query", op_query},
                           overlay = {"overlay", op_overlay}, load_ll = {"layer load (EPSG:4326)", op_load_lonlat},
                           attach_ll = {"task attach (EPSG:4326)", op_attach_lonlat}, drop = {"layer drop", op_drop};
    const struct op *const later[] = {&coverage, &query, &overlay, &attach, &load_ll, &attach_ll, &drop};
    for (in_sqlite = 0; in_sqlite < 2; in_sqlite++) {
        every_allocation(&f, &load); /* the last, complete run leaves the zones loaded */
        if (!in_sqlite) {
            long long count = 0;
            struct pk_attach_opts to = {.to = "zones:Z"};
            struct pk_table *zt = NULL;
            assert_int_equal(pk_task_attach(f.store, "T1", &to, &count), PK_OK);
            assert_int_equal(pk_query_zones(f.store, "T1", 1, &zt), PK_OK);
            assert_int_equal(zt->nrows, 3); /* Z itself (linked), and squares A and B it overlaps */
            pk_table_free(zt);
        }
        /* (each run starts from the same store: the ops' complete runs are kept but change no later answer) */
        for (size_t i = 0; i < sizeof later / sizeof *later; i++)
            every_allocation(&f, later[i]);
    }
    fx_close(&f);
}

int main(void)
{
    count_sqlite_allocations(); /* before anything starts SQLite */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_fails_once),
    };
    return cmocka_run_group_tests_name("alloc_fail", tests, NULL, NULL);
}
