/* test_crs.c — EPSG parsing, CRS checks, the metric-CRS choice and PROJ
 * transforms of GEOS geometries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "crs_int.h"

static int setup(void **state)
{
    *state = pk_ctx_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    pk_ctx_free(*state);
    return 0;
}

static void test_parse_epsg(void **state)
{
    struct pk_ctx *ctx = *state;
    int srid = 0;
    assert_int_equal(pk_crs_parse_epsg(ctx, "EPSG:4326", &srid), PK_OK);
    assert_int_equal(srid, 4326);
    assert_int_equal(pk_crs_parse_epsg(ctx, "epsg:4490", &srid), PK_OK);
    assert_int_equal(srid, 4490);
    assert_int_equal(pk_crs_parse_epsg(ctx, "4549", &srid), PK_OK);
    assert_int_equal(srid, 4549);
    assert_int_equal(pk_crs_parse_epsg(ctx, "EPSG:999999", &srid), PK_OK);
    assert_int_equal(srid, 999999);

    static const char *bad[] = {"", "EPSG:", "EPSG:abc", "EPSG:-1", "EPSG:0", "EPSG:1234567",
                                "4326x", "EPSG:4326 ", "WGS84", "EPSG::4326"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        srid = 7;
        assert_int_equal(pk_crs_parse_epsg(ctx, bad[i], &srid), PK_ERR_ARGS);
        assert_int_equal(srid, 7); /* untouched on error */
        assert_int_equal(pk_errcode(ctx), PK_ERR_ARGS);
        assert_non_null(strstr(pk_errmsg(ctx), "invalid CRS"));
        assert_non_null(strstr(pk_errmsg(ctx), "EPSG:"));
    }
}

static void test_check_storage_and_metric(void **state)
{
    struct pk_ctx *ctx = *state;
    assert_int_equal(pk_crs_check_storage(ctx, 4326), PK_OK);
    assert_int_equal(pk_crs_check_storage(ctx, 4490), PK_OK);
    assert_int_equal(pk_crs_check_storage(ctx, 4549), PK_OK);
    assert_int_equal(pk_crs_check_storage(ctx, 999999), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(ctx), "unknown CRS 'EPSG:999999'"));
    /* EPSG:5773 is a vertical CRS (EGM96 height): not fit for storage */
    assert_int_equal(pk_crs_check_storage(ctx, 5773), PK_ERR_ARGS);

    assert_int_equal(pk_crs_check_metric(ctx, 4549), PK_OK);
    assert_int_equal(pk_crs_check_metric(ctx, 32651), PK_OK);
    assert_int_equal(pk_crs_check_metric(ctx, 4326), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(ctx), "metres"));
    /* EPSG:2249 (Massachusetts, US survey feet) is projected but not in metres */
    assert_int_equal(pk_crs_check_metric(ctx, 2249), PK_ERR_ARGS);
    assert_int_equal(pk_crs_check_metric(ctx, 999999), PK_ERR_ARGS);
}

static void test_auto_metric(void **state)
{
    struct pk_ctx *ctx = *state;
    /* CGCS2000 3-degree Gauss-Kruger zones inside China */
    assert_int_equal(pk_crs_auto_metric(121.0, 31.4), 4549);   /* Kunshan: CM 120E */
    assert_int_equal(pk_crs_auto_metric(120.98, 31.38), 4549);
    assert_int_equal(pk_crs_auto_metric(105.0, 30.0), 4544);   /* CM 105E */
    assert_int_equal(pk_crs_auto_metric(116.4, 39.9), 4548);   /* Beijing: CM 117E */
    assert_int_equal(pk_crs_auto_metric(75.0, 39.5), 4534);    /* Kashgar: CM 75E */
    assert_int_equal(pk_crs_auto_metric(134.5, 48.0), 4554);   /* CM 135E */
    /* outside China's longitudes: WGS84 UTM */
    assert_int_equal(pk_crs_auto_metric(2.35, 48.85), 32631);   /* Paris */
    assert_int_equal(pk_crs_auto_metric(-43.2, -22.9), 32723);  /* Rio de Janeiro */
    assert_int_equal(pk_crs_auto_metric(-74.0, 40.7), 32618);   /* New York */
    assert_int_equal(pk_crs_auto_metric(151.2, -33.9), 32756);  /* Sydney */
    assert_int_equal(pk_crs_auto_metric(180.0, 10.0), 32660);   /* clamped to zone 60 */
    assert_int_equal(pk_crs_auto_metric(-180.0, 10.0), 32601);
    /* every choice is a metric projected CRS */
    const double pts[][2] = {{121, 31.4}, {105, 30}, {75, 39.5}, {2.35, 48.85}, {-43.2, -22.9}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++)
        assert_int_equal(pk_crs_check_metric(ctx, pk_crs_auto_metric(pts[i][0], pts[i][1])), PK_OK);
}

static void test_from_user(void **state)
{
    struct pk_ctx *ctx = *state;
    OGRSpatialReferenceH srs = NULL;
    assert_int_equal(pk_crs_from_user(ctx, "EPSG:4549", &srs), PK_OK);
    assert_non_null(srs);
    assert_true(OSRIsProjected(srs));
    OSRDestroySpatialReference(srs);
    assert_int_equal(pk_crs_from_user(ctx, "+proj=longlat +datum=WGS84 +no_defs", &srs), PK_OK);
    assert_true(OSRIsGeographic(srs));
    OSRDestroySpatialReference(srs);
    assert_int_equal(pk_crs_from_user(ctx, "EPSG:999999", &srs), PK_ERR_ARGS);
    assert_null(srs);
    assert_int_equal(pk_crs_from_user(ctx, "no such crs", &srs), PK_ERR_ARGS);
    assert_null(srs);
    assert_int_equal(pk_crs_from_epsg(ctx, 4490, &srs), PK_OK);
    assert_true(OSRIsGeographic(srs));
    OSRDestroySpatialReference(srs);
    assert_int_equal(pk_crs_from_epsg(ctx, 999999, &srs), PK_ERR_ARGS);
    assert_null(srs);
}

static void test_transform_point(void **state)
{
    struct pk_ctx *ctx = *state;
    struct pk_transform *fwd = NULL, *back = NULL;
    assert_int_equal(pk_transform_new(ctx, 4326, 4549, &fwd), PK_OK);
    assert_int_equal(pk_transform_new(ctx, 4549, 4326, &back), PK_OK);
    /* GIS axis order: x = longitude / easting (cs2cs: 595105.5143 E, 3475755.9278 N) */
    double x = 121.0, y = 31.4;
    assert_true(pk_transform_point(fwd, &x, &y));
    assert_true(fabs(x - 595105.514) < 0.01);
    assert_true(fabs(y - 3475755.928) < 0.01);
    assert_true(pk_transform_point(back, &x, &y));
    assert_true(fabs(x - 121.0) < 1e-9);
    assert_true(fabs(y - 31.4) < 1e-9);
    pk_transform_free(fwd);
    pk_transform_free(back);
    pk_transform_free(NULL);

    assert_int_equal(pk_transform_new(ctx, 4326, 999999, &fwd), PK_ERR_GDAL);
    assert_null(fwd);
    assert_non_null(strstr(pk_errmsg(ctx), "cannot transform"));
}

static void test_transform_geom(void **state)
{
    struct pk_ctx *ctx = *state;
    GEOSContextHandle_t h = pk_geos(ctx);
    struct pk_transform *tr = NULL;
    assert_int_equal(pk_transform_new(ctx, 4326, 4549, &tr), PK_OK);
    /* a 0.01 x 0.01 degree square at Kunshan: about 952 m x 1109 m */
    GEOSWKTReader *rd = GEOSWKTReader_create_r(h);
    GEOSGeometry *sq = GEOSWKTReader_read_r(h, rd, "POLYGON((121 31.4, 121.01 31.4, 121.01 31.41, "
                                                    "121 31.41, 121 31.4))");
    assert_non_null(sq);
    GEOSGeometry *m = pk_transform_geom(ctx, tr, sq);
    assert_non_null(m);
    double area = 0;
    assert_int_equal(GEOSArea_r(h, m, &area), 1);
    assert_true(area > 1.0e6 && area < 1.1e6);
    double cos_lat = cos(31.405 * M_PI / 180.0);
    double expect = 0.01 * 111320.0 * cos_lat * 0.01 * 110860.0;
    assert_true(fabs(area - expect) / expect < 0.01);
    assert_int_equal(GEOSGeomTypeId_r(h, m), GEOS_POLYGON);
    assert_int_equal(GEOSGetNumCoordinates_r(h, m), 5);
    /* the input is untouched */
    double minx = 0;
    GEOSGeom_getXMin_r(h, sq, &minx);
    assert_true(fabs(minx - 121.0) < 1e-12);
    GEOSGeom_destroy_r(h, m);

    /* a coordinate PROJ cannot transform is an error, not garbage */
    GEOSGeometry *bad = GEOSWKTReader_read_r(h, rd, "POINT(121 95)");
    assert_null(pk_transform_geom(ctx, tr, bad));
    assert_int_equal(pk_errcode(ctx), PK_ERR_GDAL);
    GEOSGeom_destroy_r(h, bad);
    GEOSGeom_destroy_r(h, sq);
    GEOSWKTReader_destroy_r(h, rd);
    pk_transform_free(tr);
}

static void test_transform_defs(void **state)
{
    struct pk_ctx *ctx = *state;
    struct pk_transform *tr = NULL;
    /* 4326 -> 4490 (CGCS2000) is within centimetres */
    assert_int_equal(pk_transform_new_defs(ctx, "EPSG:4326", "EPSG:4490", &tr), PK_OK);
    double x = 121.0, y = 31.4;
    assert_true(pk_transform_point(tr, &x, &y));
    assert_true(fabs(x - 121.0) < 1e-5 && fabs(y - 31.4) < 1e-5);
    pk_transform_free(tr);
    assert_int_equal(pk_transform_new_defs(ctx, "+proj=longlat +datum=WGS84", "EPSG:4549", &tr),
                     PK_OK);
    pk_transform_free(tr);
    tr = NULL;
    assert_int_equal(pk_transform_new_defs(ctx, "not a crs", "EPSG:4549", &tr), PK_ERR_GDAL);
    assert_null(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_epsg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_storage_and_metric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_metric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transform_point, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transform_geom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transform_defs, setup, teardown),
    };
    return cmocka_run_group_tests_name("crs", tests, NULL, NULL);
}
