/* test_analysis.c — buffer and dissolve (analysis.c) through pk_buffer and
 * pk_dissolve on hand-made squares in an EPSG:4549 store and in an
 * EPSG:4326 store measured in EPSG:6933, with areas worked out by hand:
 * a buffer is the square grown by d with its corners rounded to a regular
 * polygon of 4·quadsegs sides inscribed in a circle of radius d; a negative
 * buffer is the square shrunk by d; merged buffers count overlaps once;
 * dissolve groups by a field in order of first appearance, NULL values
 * together, and its areas are those of the squares' union.
 *
 * The layer "lots", in units (1 unit = 1 m in EPSG:4549, 1/200° in
 * EPSG:4326):
 *   f1 住宅 [0,100]×[0,100]    f2 住宅 [100,200]×[0,100] (touches f1)
 *   f3 绿地 [300,400]×[0,100]  f4 (no use) [0,100]×[200,300]
 *   f5 住宅 [500,600]×[0,100]  f6 绿地 [350,450]×[0,100] (half over f3) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plankit/overlay.h"
#include "layer_int.h"
#include "reader_int.h"
#include "store_int.h"
#include "fixture.h"

#define NLOTS 6
static const struct fx_shape lots[NLOTS] = {
    {4, {{0, 0}, {100, 0}, {100, 100}, {0, 100}}},     {4, {{100, 0}, {200, 0}, {200, 100}, {100, 100}}},
    {4, {{300, 0}, {400, 0}, {400, 100}, {300, 100}}}, {4, {{0, 200}, {100, 200}, {100, 300}, {0, 300}}},
    {4, {{500, 0}, {600, 0}, {600, 100}, {500, 100}}}, {4, {{350, 0}, {450, 0}, {450, 100}, {350, 100}}}};
static const char *const uses[NLOTS] = {"住宅", "住宅", "绿地", NULL, "住宅", "绿地"};

/* The dissolved groups, by hand. */
static const struct fx_shape F1F2 = {4, {{0, 0}, {200, 0}, {200, 100}, {0, 100}}};
static const struct fx_shape F3F6 = {4, {{300, 0}, {450, 0}, {450, 100}, {300, 100}}};

struct anfx {
    struct fixture f;
    const struct fx_place *pl;
};

static double rel(double got, double want) { return fabs(got - want) / want; }

static int setup_place(void **state, const struct fx_place *pl, const char *test)
{
    struct anfx *a = calloc(1, sizeof *a);
    if (!a || fx_open_measure(&a->f, test, pl->crs, pl->measure_crs) != 0)
        return -1;
    a->pl = pl;
    char buf[8192];
    fx_collection_begin(buf, sizeof buf, pl);
    for (int i = 0; i < NLOTS; i++) {
        char props[128];
        if (uses[i])
            snprintf(props, sizeof props, "\"lot\":%d,\"use\":\"%s\"", i + 1, uses[i]);
        else
            snprintf(props, sizeof props, "\"lot\":%d,\"use\":null", i + 1);
        fx_append_feature(buf, sizeof buf, pl, props, &lots[i], i == 0);
    }
    if (fx_collection_load(&a->f, buf, sizeof buf, "lots.geojson", "lots", "zone") != PK_OK)
        return -1;
    *state = a;
    return 0;
}

static int setup_4549(void **state) { return setup_place(state, &FX_IN_4549, "analysis4549"); }
static int setup_4326(void **state) { return setup_place(state, &FX_IN_4326, "analysis4326"); }

static int teardown(void **state)
{
    struct anfx *a = *state;
    fx_close(&a->f);
    free(a);
    return 0;
}

/* Width and height in metres, in the metric CRS, of the shape's bounding
 * rectangle: planar in EPSG:4549; in EPSG:6933 (Lambert cylindrical
 * equal-area, standard parallel 30°) x = a·k0·λ and y = a·q(φ)/(2·k0). */
static void metric_size(const struct fx_place *pl, const struct fx_shape *s, double *w, double *h)
{
    double xy[FX_MAXPTS][2];
    fx_to_store(pl, s, xy);
    double x0 = xy[0][0], x1 = xy[2][0], y0 = xy[0][1], y1 = xy[2][1];
    if (!pl->geographic) {
        *w = x1 - x0, *h = y1 - y0;
        return;
    }
    const double a = 6378137.0, f = 1 / 298.257223563, e2 = f * (2 - f), s30 = sin(30 * M_PI / 180);
    double k0 = cos(30 * M_PI / 180) / sqrt(1 - e2 * s30 * s30);
    *w = a * k0 * (x1 - x0) * M_PI / 180;
    *h = a * (fx_q(y1) - fx_q(y0)) / (2 * k0);
}

/* Area of a w × h rectangle buffered by d (> 0): the bands along its sides
 * and its four rounded corners, which together make a regular polygon of
 * 4·quadsegs sides inscribed in a circle of radius d. */
static double buffered(double w, double h, double d, int quadsegs)
{
    int sides = 4 * quadsegs;
    return w * h + 2 * (w + h) * d + sides / 2.0 * d * d * sin(2 * M_PI / sides);
}

/* Area (m²) of a stored geometry measured independently: planar, or each
 * ring on the ellipsoid by fx_ellipsoid_area (holes subtracted). */
static double stored_area(const struct fx_place *pl, GEOSContextHandle_t h, const GEOSGeometry *g)
{
    double total = 0;
    if (!pl->geographic) {
        assert_int_equal(GEOSArea_r(h, g, &total), 1);
        return total;
    }
    for (int p = 0; p < GEOSGetNumGeometries_r(h, g); p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, p);
        for (int r = -1; r < GEOSGetNumInteriorRings_r(h, poly); r++) {
            const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r);
            const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
            unsigned n = 0;
            GEOSCoordSeq_getSize_r(h, cs, &n);
            double (*xy)[2] = malloc(n * sizeof *xy);
            assert_non_null(xy);
            for (unsigned i = 0; i < n; i++) {
                GEOSCoordSeq_getX_r(h, cs, i, &xy[i][0]);
                GEOSCoordSeq_getY_r(h, cs, i, &xy[i][1]);
            }
            double a = fx_ellipsoid_area((const double(*)[2])xy, (int)n - 1);
            total += r < 0 ? a : -a;
            free(xy);
        }
    }
    return total;
}

/* One output row: its fields by name and its geometry. */
struct row {
    char text[4][64];
    int isnull[4];
    double area;          /* area_m2 */
    double measured;      /* stored_area of its geometry */
    int parts;            /* polygons in it */
};

/* Read every row of store layer out (fid order): fields names[0..nf) and
 * area_m2. Returns the number of rows. */
static int read_rows(struct anfx *a, const char *out, const char *const *names, int nf, struct row *rows, int max)
{
    struct fixture *f = &a->f;
    GEOSContextHandle_t h = pk_geos(f->ctx);
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(f->store, out, &ref), PK_OK);
    char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY fid", ref.table);
    sqlite3_stmt *st;
    assert_int_equal(pk_sql_prepare(f->store, sql, &st), PK_OK);
    sqlite3_free(sql);
    int cols[5], n = 0;
    for (int k = 0; k <= nf; k++) {
        const char *want = k < nf ? names[k] : "area_m2";
        cols[k] = -1;
        for (int c = 0; c < sqlite3_column_count(st); c++)
            if (!strcmp(sqlite3_column_name(st, c), want))
                cols[k] = c;
        if (cols[k] < 0)
            fail_msg("%s has no column %s", out, want);
    }
    int geom = -1;
    for (int c = 0; c < sqlite3_column_count(st); c++)
        if (!strcmp(sqlite3_column_name(st, c), "geom"))
            geom = c;
    assert_true(geom >= 0);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        assert_true(n < max);
        struct row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        for (int k = 0; k < nf; k++) {
            r->isnull[k] = sqlite3_column_type(st, cols[k]) == SQLITE_NULL;
            snprintf(r->text[k], sizeof r->text[k], "%s", r->isnull[k] ? "" : (const char *)sqlite3_column_text(st, cols[k]));
        }
        r->area = sqlite3_column_double(st, cols[nf]);
        GEOSGeometry *g = NULL;
        assert_int_equal(pk_geom_from_blob(h, sqlite3_column_blob(st, geom), (size_t)sqlite3_column_bytes(st, geom), &g),
                         PK_OK);
        assert_non_null(g);
        assert_int_equal(GEOSGeomTypeId_r(h, g), GEOS_MULTIPOLYGON);
        assert_int_equal(GEOSisValid_r(h, g), 1);
        r->parts = GEOSGetNumGeometries_r(h, g);
        r->measured = stored_area(a->pl, h, g);
        GEOSGeom_destroy_r(h, g);
    }
    assert_int_equal(step, SQLITE_DONE);
    sqlite3_finalize(st);
    return n;
}

/* Each lot grown by 10 m: one feature per lot, its attributes and src_fid,
 * the hand area (8 and 3 segments per quarter circle). */
static void test_buffer(void **state)
{
    struct anfx *a = *state;
    const int qs[2] = {0, 3};
    for (int t = 0; t < 2; t++) {
        char out[32];
        snprintf(out, sizeof out, "grown_%d", t);
        struct pk_buffer_opts o = {.layer = "lots", .distance_m = 10, .out = out, .quadsegs = qs[t],
                                   .threads = a->pl->threads};
        long long count = -1;
        assert_int_equal(pk_buffer(a->f.store, &o, &count, NULL, NULL), PK_OK);
        assert_int_equal(count, NLOTS);
        struct row rows[NLOTS + 1];
        const char *names[] = {"src_fid", "lot", "use"};
        assert_int_equal(read_rows(a, out, names, 3, rows, NLOTS + 1), NLOTS);
        for (int i = 0; i < NLOTS; i++) {
            double w, h;
            metric_size(a->pl, &lots[i], &w, &h);
            double want = buffered(w, h, 10, qs[t] ? qs[t] : 8);
            if (rel(rows[i].area, want) >= 1e-9 || rel(rows[i].measured, want) >= 1e-9)
                fail_msg("lot %d buffered: area_m2 %.6f, measured %.6f, by hand %.6f", i + 1, rows[i].area,
                         rows[i].measured, want);
            assert_int_equal(atoi(rows[i].text[1]), i + 1);
            assert_int_equal(rows[i].isnull[2], uses[i] == NULL);
            if (uses[i])
                assert_string_equal(rows[i].text[2], uses[i]);
            assert_int_equal(rows[i].parts, 1);
        }
    }
}

/* A negative buffer shrinks each square by d on every side (mitred inside
 * corners); one larger than half a side leaves nothing, and no feature. */
static void test_negative_buffer(void **state)
{
    struct anfx *a = *state;
    struct pk_buffer_opts o = {.layer = "lots", .distance_m = -10, .out = "shrunk", .threads = a->pl->threads};
    long long count = -1;
    assert_int_equal(pk_buffer(a->f.store, &o, &count, NULL, NULL), PK_OK);
    assert_int_equal(count, NLOTS);
    struct row rows[NLOTS + 1];
    const char *names[] = {"lot"};
    assert_int_equal(read_rows(a, "shrunk", names, 1, rows, NLOTS + 1), NLOTS);
    for (int i = 0; i < NLOTS; i++) {
        double w, h;
        metric_size(a->pl, &lots[i], &w, &h);
        double want = (w - 20) * (h - 20);
        assert_true(rel(rows[i].area, want) < 1e-9);
        assert_true(rel(rows[i].measured, want) < 1e-9);
    }
    struct pk_buffer_opts gone = {.layer = "lots", .distance_m = -60000, .out = "gone"};
    assert_int_equal(pk_buffer(a->f.store, &gone, &count, NULL, NULL), PK_OK);
    assert_int_equal(count, 0);
}

/* Merged buffers count overlaps once: f1 and f2 touch, so theirs merge into
 * the buffer of the 200 × 100 rectangle they make (a layer of these two). */
static void test_buffer_dissolved(void **state)
{
    struct anfx *a = *state;
    /* the two touching lots as their own layer */
    char buf[4096];
    fx_collection_begin(buf, sizeof buf, a->pl);
    fx_append_feature(buf, sizeof buf, a->pl, "\"lot\":1", &lots[0], 1);
    fx_append_feature(buf, sizeof buf, a->pl, "\"lot\":2", &lots[1], 0);
    assert_int_equal(fx_collection_load(&a->f, buf, sizeof buf, "pair.geojson", "pair", "zone"), PK_OK);
    struct pk_buffer_opts o = {.layer = "pair", .distance_m = 10, .dissolve = 1, .out = "pair_grown",
                               .threads = a->pl->threads};
    long long count = -1;
    assert_int_equal(pk_buffer(a->f.store, &o, &count, NULL, NULL), PK_OK);
    assert_int_equal(count, 1);
    struct row rows[2];
    const char *names[] = {"features"};
    assert_int_equal(read_rows(a, "pair_grown", names, 1, rows, 2), 1);
    assert_string_equal(rows[0].text[0], "2");
    double w, h;
    metric_size(a->pl, &F1F2, &w, &h);
    double want = buffered(w, h, 10, 8), w1, h1, w2, h2;
    metric_size(a->pl, &lots[0], &w1, &h1);
    metric_size(a->pl, &lots[1], &w2, &h2);
    double apart = buffered(w1, h1, 10, 8) + buffered(w2, h2, 10, 8);
    assert_true(apart - want > 1000); /* the overlap is large: counted twice it would show */
    assert_true(rel(rows[0].area, want) < 1e-9);
    assert_true(rel(rows[0].measured, want) < 1e-9);
    assert_int_equal(rows[0].parts, 1);
}

/* Dissolve by use: groups in order of first appearance, NULL values
 * together, the number of features and the union's area. */
static void test_dissolve_by(void **state)
{
    struct anfx *a = *state;
    struct pk_dissolve_opts o = {.layer = "lots", .by = "use", .out = "by_use", .threads = a->pl->threads};
    long long count = -1;
    assert_int_equal(pk_dissolve(a->f.store, &o, &count, NULL, NULL), PK_OK);
    assert_int_equal(count, 3);
    struct row rows[4];
    const char *names[] = {"use", "features"};
    assert_int_equal(read_rows(a, "by_use", names, 2, rows, 4), 3);
    const struct fx_place *pl = a->pl;
    double zhuzhai = fx_shape_area(pl, &F1F2, 0) + fx_shape_area(pl, &lots[4], 0);
    double lvdi = fx_shape_area(pl, &F3F6, 0);
    double none = fx_shape_area(pl, &lots[3], 0);
    /* the hand areas: 住宅 three squares, 绿地 two overlapping by half */
    if (!pl->geographic)
        assert_true(zhuzhai == 30000 && lvdi == 15000 && none == 10000);
    assert_string_equal(rows[0].text[0], "住宅");
    assert_string_equal(rows[0].text[1], "3");
    assert_true(rel(rows[0].area, zhuzhai) < 1e-9 && rel(rows[0].measured, zhuzhai) < 1e-9);
    assert_int_equal(rows[0].parts, 2); /* f1 ∪ f2 and f5 */
    assert_string_equal(rows[1].text[0], "绿地");
    assert_string_equal(rows[1].text[1], "2");
    assert_true(rel(rows[1].area, lvdi) < 1e-9 && rel(rows[1].measured, lvdi) < 1e-9);
    assert_int_equal(rows[1].parts, 1);
    assert_int_equal(rows[2].isnull[0], 1);
    assert_string_equal(rows[2].text[1], "1");
    assert_true(rel(rows[2].area, none) < 1e-9 && rel(rows[2].measured, none) < 1e-9);
}

/* Dissolve without a field: everything into one feature. */
static void test_dissolve_all(void **state)
{
    struct anfx *a = *state;
    struct pk_dissolve_opts o = {.layer = "lots", .out = "all_lots", .threads = a->pl->threads};
    long long count = -1;
    assert_int_equal(pk_dissolve(a->f.store, &o, &count, NULL, NULL), PK_OK);
    assert_int_equal(count, 1);
    struct row rows[2];
    const char *names[] = {"features"};
    assert_int_equal(read_rows(a, "all_lots", names, 1, rows, 2), 1);
    assert_string_equal(rows[0].text[0], "6");
    const struct fx_place *pl = a->pl;
    double want = fx_shape_area(pl, &F1F2, 0) + fx_shape_area(pl, &lots[4], 0) + fx_shape_area(pl, &F3F6, 0) +
                  fx_shape_area(pl, &lots[3], 0);
    assert_true(rel(rows[0].area, want) < 1e-9);
    assert_true(rel(rows[0].measured, want) < 1e-9);
    assert_int_equal(rows[0].parts, 4);
}

/* Bad arguments are errors that leave nothing behind. */
static void test_bad_arguments(void **state)
{
    struct anfx *a = *state;
    long long count = -1;
    struct pk_dissolve_opts d = {.layer = "lots", .by = "colour", .out = "nope"};
    assert_int_equal(pk_dissolve(a->f.store, &d, &count, NULL, NULL), PK_ERR_ARGS);
    struct pk_dissolve_opts d2 = {.layer = "lots"};
    assert_int_equal(pk_dissolve(a->f.store, &d2, &count, NULL, NULL), PK_ERR_ARGS);
    struct pk_buffer_opts b = {.layer = "no_such_layer", .distance_m = 5, .out = "nope"};
    assert_int_not_equal(pk_buffer(a->f.store, &b, &count, NULL, NULL), PK_OK);
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(a->f.store, "nope", &ref), PK_ERR_NOTFOUND);
}

/* A cancelled run is an error and writes nothing. */
static int cancel(double done, const char *what, void *arg)
{
    (void)done, (void)what, (void)arg;
    return 0;
}

static void test_cancel(void **state)
{
    struct anfx *a = *state;
    long long count = -1;
    struct pk_buffer_opts b = {.layer = "lots", .distance_m = 5, .out = "cancelled"};
    assert_int_equal(pk_buffer(a->f.store, &b, &count, cancel, NULL), PK_ERR_CANCELLED);
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(a->f.store, "cancelled", &ref), PK_ERR_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer),       cmocka_unit_test(test_negative_buffer),
        cmocka_unit_test(test_buffer_dissolved), cmocka_unit_test(test_dissolve_by),
        cmocka_unit_test(test_dissolve_all), cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_cancel),
    };
    int failed = cmocka_run_group_tests_name("analysis in an EPSG:4549 store", tests, setup_4549, teardown);
    failed += cmocka_run_group_tests_name("analysis in an EPSG:4326 store measured in EPSG:6933", tests, setup_4326,
                                          teardown);
    return failed;
}
