/* test_measure.c — metric areas of store-CRS polygons along curved edges:
 * equal to a finely densified reference, additive where chord areas are
 * not, planar when the store CRS is the metric one, and failing cleanly on
 * points PROJ cannot transform. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "measure_int.h"

struct fixture {
    struct pk_ctx *ctx;
    struct pk_transform *tr; /* EPSG:4326 -> EPSG:4549 (CGCS2000 GK zone 40, central meridian 120°E) */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->ctx = pk_ctx_new();
    if (!f->ctx || pk_transform_new(f->ctx, 4326, 4549, &f->tr) != PK_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pk_transform_free(f->tr);
    pk_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* A closed lon/lat box ring, counter-clockwise. */
static void box(double x0, double y0, double x1, double y1, double xy[10])
{
    const double r[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    memcpy(xy, r, sizeof r);
}

/* Reference: every edge densified to `steps` pieces, transformed, shoelace. */
static double densified(struct pk_transform *tr, const double *xy, size_t n, int steps)
{
    size_t m = (n - 1) * (size_t)steps + 1;
    double *d = malloc(2 * sizeof *d * m);
    size_t k = 0;
    for (size_t i = 0; i + 1 < n; i++)
        for (int s = 0; s < steps; s++, k++) {
            double t = (double)s / steps;
            d[2 * k] = xy[2 * i] + t * (xy[2 * i + 2] - xy[2 * i]);
            d[2 * k + 1] = xy[2 * i + 1] + t * (xy[2 * i + 3] - xy[2 * i + 1]);
        }
    d[2 * k] = xy[0], d[2 * k + 1] = xy[1];
    assert_int_equal(pk_transform_xy(tr, d, m), 1);
    double a = 0;
    for (size_t i = 0; i + 1 < m; i++)
        a += (d[2 * i] - d[0]) * (d[2 * i + 3] - d[1]) - (d[2 * i + 2] - d[0]) * (d[2 * i + 1] - d[1]);
    free(d);
    return a / 2;
}

static double chord(struct pk_transform *tr, const double *xy, size_t n) { return densified(tr, xy, n, 1); }

static void test_follows_the_curve(void **state)
{
    struct fixture *f = *state;
    struct pk_measure m;
    pk_measure_init(&m, f->tr);
    double xy[10], a;
    box(121.0, 31.0, 121.25, 31.25, xy); /* a 0.25° cell near Kunshan, 1° east of the central meridian */
    assert_int_equal(pk_measure_ring(&m, xy, 5, &a), 1);
    double ref = densified(f->tr, xy, 5, 2000), straight = chord(f->tr, xy, 5);
    assert_true(fabs(a - ref) <= 1e-9 * ref);
    assert_true(fabs(straight - ref) > 1e-6 * ref); /* the chord area is measurably off */
    /* a clockwise ring has a negative area */
    const double cw[10] = {xy[0], xy[1], xy[6], xy[7], xy[4], xy[5], xy[2], xy[3], xy[0], xy[1]};
    double b;
    assert_int_equal(pk_measure_ring(&m, cw, 5, &b), 1);
    assert_true(fabs(a + b) <= 1e-9 * ref);
    pk_measure_release(&m);
}

static void test_additive(void **state)
{
    struct fixture *f = *state;
    struct pk_measure m;
    pk_measure_init(&m, f->tr);
    double whole[10], left[10], right[10], aw, al, ar;
    box(120.6, 30.8, 121.9, 31.6, whole);
    box(120.6, 30.8, 121.337, 31.6, left);
    box(121.337, 30.8, 121.9, 31.6, right);
    assert_int_equal(pk_measure_ring(&m, whole, 5, &aw), 1);
    assert_int_equal(pk_measure_ring(&m, left, 5, &al), 1);
    assert_int_equal(pk_measure_ring(&m, right, 5, &ar), 1);
    assert_true(fabs(al + ar - aw) <= 1e-9 * aw);
    double cw = chord(f->tr, whole, 5), cl = chord(f->tr, left, 5), cr = chord(f->tr, right, 5);
    assert_true(fabs(cl + cr - cw) > 1e-7 * cw); /* what chord areas do */
    pk_measure_release(&m);
}

static void test_planar_and_geometries(void **state)
{
    struct fixture *f = *state;
    struct pk_measure m;
    pk_measure_init(&m, NULL); /* the store CRS is metric */
    double xy[10], a;
    box(0, 0, 3000, 2000, xy);
    assert_int_equal(pk_measure_ring(&m, xy, 5, &a), 1);
    assert_true(fabs(a - 6e6) < 1e-6);
    /* a polygon with a hole, and a multipolygon: shells minus holes, parts summed */
    GEOSContextHandle_t h = pk_geos(f->ctx);
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, "MULTIPOLYGON(((0 0,0 10,10 10,10 0,0 0),(2 2,4 2,4 4,2 4,2 2)),"
                                                "((20 0,30 0,30 5,20 5,20 0)))");
    assert_int_equal(pk_measure_geom(&m, h, g, &a), 1);
    assert_true(fabs(a - (100 - 4 + 50)) < 1e-9);
    GEOSGeom_destroy_r(h, g);
    g = GEOSWKTReader_read_r(h, r, "LINESTRING(0 0,1 1)");
    assert_int_equal(pk_measure_geom(&m, h, g, &a), 1);
    assert_true(a == 0);
    GEOSGeom_destroy_r(h, g);
    GEOSWKTReader_destroy_r(h, r);
    pk_measure_release(&m);
}

static void test_untransformable(void **state)
{
    struct fixture *f = *state;
    struct pk_measure m;
    pk_measure_init(&m, f->tr);
    double xy[10], a = 42;
    box(121, 89.5, 122, 95, xy); /* beyond the pole */
    assert_int_equal(pk_measure_ring(&m, xy, 5, &a), 0);
    pk_measure_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_the_curve),
        cmocka_unit_test(test_additive),
        cmocka_unit_test(test_planar_and_geometries),
        cmocka_unit_test(test_untransformable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
