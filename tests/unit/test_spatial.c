/* test_spatial.c — the queries' geometry reads (spatial.c) on hand-made
 * squares whose answers are known: a feature by fid (also one without
 * geometry, one that does not exist, and switching layers), fids by
 * bounding box through the R*Tree, the overlap rule (at least 1 m² between
 * polygons; a shared border is no overlap; any contact for lines), areas
 * and lengths in the metric CRS (also along curved edges in an EPSG:4326
 * store), the metric copy, GeoJSON text, a store without a metric CRS, and
 * a failed index read that is an error, never an empty answer.
 *
 * "blocks" in EPSG:4549 (metres from 600000, 3430000):
 *   1 [0,100]×[0,100]   2 [100,200]×[0,100] (shares an edge with 1)
 *   3 [1000,1100]×[0,100]   4 no geometry
 * "roads": one line from (50,-50) to (50,150), 200 m, across block 1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_int.h"
#include "spatial_int.h"
#include "store_int.h"
#include "fixture.h"

static const struct fx_shape blocks[3] = {{4, {{0, 0}, {100, 0}, {100, 100}, {0, 100}}},
                                          {4, {{100, 0}, {200, 0}, {200, 100}, {100, 100}}},
                                          {4, {{1000, 0}, {1100, 0}, {1100, 100}, {1000, 100}}}};

struct spfx {
    struct fixture f;
    struct pk_spatial *sp;
    struct pk_layer_ref blocks, roads;
    long long fid[4]; /* of blocks 1..4 */
    GEOSWKTReader *wkt;
};

static long long fid_of(struct fixture *f, const struct pk_layer_ref *ref, int block)
{
    char *sql = sqlite3_mprintf("SELECT fid FROM \"%w\" WHERE block = ?1", ref->table);
    sqlite3_stmt *st;
    long long fid = -1;
    if (pk_sql_prepare(f->store, sql, &st) == PK_OK) {
        sqlite3_bind_int(st, 1, block);
        if (sqlite3_step(st) == SQLITE_ROW)
            fid = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_free(sql);
    return fid;
}

static int setup(void **state)
{
    struct spfx *s = calloc(1, sizeof *s);
    if (!s || fx_open(&s->f, "spatial", "EPSG:4549") != 0)
        return -1;
    char buf[4096];
    fx_collection_begin(buf, sizeof buf, &FX_IN_4549);
    for (int i = 0; i < 3; i++) {
        char props[32];
        snprintf(props, sizeof props, "\"block\":%d", i + 1);
        fx_append_feature(buf, sizeof buf, &FX_IN_4549, props, &blocks[i], i == 0);
    }
    strcat(buf, ",{\"type\":\"Feature\",\"properties\":{\"block\":4},\"geometry\":null}");
    if (fx_collection_load(&s->f, buf, sizeof buf, "blocks.geojson", "blocks", "zone") != PK_OK)
        return -1;
    if (fx_write(&s->f, "roads.geojson",
                 "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":[{\"type\":\"Feature\",\"properties\":"
                 "{\"road\":\"甲路\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[600050,3429950],"
                 "[600050,3430150]]}}]}") != 0 ||
        fx_load(&s->f, "roads.geojson", "roads", "line") != PK_OK)
        return -1;
    if (pk_layer_find(s->f.store, "blocks", &s->blocks) != PK_OK || pk_layer_find(s->f.store, "roads", &s->roads) != PK_OK)
        return -1;
    for (int i = 0; i < 4; i++)
        if ((s->fid[i] = fid_of(&s->f, &s->blocks, i + 1)) < 0)
            return -1;
    if (pk_spatial_new(s->f.store, &s->sp) != PK_OK || !(s->wkt = GEOSWKTReader_create_r(pk_geos(s->f.ctx))))
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct spfx *s = *state;
    GEOSWKTReader_destroy_r(pk_geos(s->f.ctx), s->wkt);
    pk_spatial_free(s->sp);
    fx_close(&s->f);
    free(s);
    return 0;
}

/* A geometry from WKT in metres from the origin of FX_IN_4549: each number
 * of the text is shifted by x0 or y0 in turn. */
static GEOSGeometry *local(struct spfx *s, const char *wkt)
{
    char out[1024];
    size_t len = 0;
    int coord = 0;
    for (const char *p = wkt; *p && len + 32 < sizeof out;) {
        if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '.') {
            char *end;
            double v = strtod(p, &end);
            len += (size_t)snprintf(out + len, sizeof out - len, "%.6f", v + (coord++ % 2 ? FX_IN_4549.y0 : FX_IN_4549.x0));
            p = end;
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = 0;
    GEOSGeometry *g = GEOSWKTReader_read_r(pk_geos(s->f.ctx), s->wkt, out);
    assert_non_null(g);
    return g;
}

static void test_feature(void **state)
{
    struct spfx *s = *state;
    GEOSContextHandle_t h = pk_geos(s->f.ctx);
    GEOSGeometry *g = NULL;
    double a = 0, minx, miny, maxx, maxy;
    assert_int_equal(pk_spatial_feature(s->sp, &s->blocks, s->fid[1], &g), PK_OK);
    assert_non_null(g);
    GEOSArea_r(h, g, &a);
    assert_true(a == 10000);
    GEOSGeom_getExtent_r(h, g, &minx, &miny, &maxx, &maxy);
    assert_true(minx == 600100 && maxx == 600200 && miny == 3430000 && maxy == 3430100);
    GEOSGeom_destroy_r(h, g);
    /* another layer, then back: the reader follows */
    assert_int_equal(pk_spatial_feature(s->sp, &s->roads, 1, &g), PK_OK);
    assert_non_null(g);
    assert_int_equal(GEOSGeomTypeId_r(h, g) == GEOS_LINESTRING || GEOSGeomTypeId_r(h, g) == GEOS_MULTILINESTRING, 1);
    GEOSGeom_destroy_r(h, g);
    assert_int_equal(pk_spatial_feature(s->sp, &s->blocks, s->fid[0], &g), PK_OK);
    GEOSGeom_getExtent_r(h, g, &minx, &miny, &maxx, &maxy);
    assert_true(minx == 600000 && maxx == 600100);
    GEOSGeom_destroy_r(h, g);
    /* no geometry, and no such feature: NULL, not an error */
    g = (GEOSGeometry *)1;
    assert_int_equal(pk_spatial_feature(s->sp, &s->blocks, s->fid[3], &g), PK_OK);
    assert_null(g);
    g = (GEOSGeometry *)1;
    assert_int_equal(pk_spatial_feature(s->sp, &s->blocks, 9999, &g), PK_OK);
    assert_null(g);
}

static void test_bbox(void **state)
{
    struct spfx *s = *state;
    long long *fids = NULL;
    size_t n = 99;
    const double x0 = FX_IN_4549.x0, y0 = FX_IN_4549.y0;
    /* a box from block 2 to block 3 over the gap: both, in fid order */
    double box[4] = {x0 + 150, y0 + 50, x0 + 1050, y0 + 60};
    assert_int_equal(pk_spatial_bbox(s->sp, &s->blocks, box, &fids, &n), PK_OK);
    assert_int_equal(n, 2);
    assert_true(fids[0] == s->fid[1] && fids[1] == s->fid[2]);
    free(fids);
    /* in the gap only: nothing */
    double gap[4] = {x0 + 300, y0 + 0, x0 + 900, y0 + 100};
    assert_int_equal(pk_spatial_bbox(s->sp, &s->blocks, gap, &fids, &n), PK_OK);
    assert_int_equal(n, 0);
    free(fids);
    /* a box touching block 1's edge from outside meets its bounding box */
    double edge[4] = {x0 - 50, y0 + 10, x0, y0 + 20};
    assert_int_equal(pk_spatial_bbox(s->sp, &s->blocks, edge, &fids, &n), PK_OK);
    assert_int_equal(n, 1);
    assert_true(fids[0] == s->fid[0]);
    free(fids);
}

/* fids of blocks overlapping the geometry (local WKT), as a bit set of block numbers. */
static int overlapping(struct spfx *s, const char *wkt)
{
    GEOSGeometry *g = local(s, wkt);
    long long *fids = NULL;
    size_t n = 0;
    assert_int_equal(pk_spatial_overlapping(s->sp, &s->blocks, g, &fids, &n), PK_OK);
    GEOSGeom_destroy_r(pk_geos(s->f.ctx), g);
    int set = 0;
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 4; b++)
            if (fids[i] == s->fid[b])
                set |= 1 << b;
    free(fids);
    return set;
}

static void test_overlap_rule(void **state)
{
    struct spfx *s = *state;
    /* 0.5 m into block 1 over 100 m: 50 m², an overlap; all of block 2 */
    assert_int_equal(overlapping(s, "POLYGON((99.5 0,150 0,150 100,99.5 100,99.5 0))"), 1 | 2);
    /* on block 1's border: touching is no overlap */
    assert_int_equal(overlapping(s, "POLYGON((100 0,150 0,150 100,100 100,100 0))"), 2);
    /* 0.005 m into block 1: 0.5 m², under PK_MIN_OVERLAP_M2 */
    assert_int_equal(overlapping(s, "POLYGON((99.995 0,150 0,150 100,99.995 100,99.995 0))"), 2);
    /* 0.02 m into block 1: 2 m², over it */
    assert_int_equal(overlapping(s, "POLYGON((99.98 0,150 0,150 100,99.98 100,99.98 0))"), 1 | 2);
    /* a line: any contact counts, even at a corner */
    assert_int_equal(overlapping(s, "LINESTRING(50 50,150 50)"), 1 | 2);
    assert_int_equal(overlapping(s, "LINESTRING(200 0,300 -50)"), 2);
    assert_int_equal(overlapping(s, "LINESTRING(300 0,900 0)"), 0);

    /* pk_spatial_overlaps directly, both ways round */
    GEOSContextHandle_t h = pk_geos(s->f.ctx);
    GEOSGeometry *a = local(s, "POLYGON((0 0,100 0,100 100,0 100,0 0))");
    GEOSGeometry *b = local(s, "POLYGON((50 50,60 50,60 60,50 60,50 50))");
    int yes = -1;
    assert_int_equal(pk_spatial_overlaps(s->sp, a, b, &yes), PK_OK);
    assert_int_equal(yes, 1);
    assert_int_equal(pk_spatial_overlaps(s->sp, b, a, &yes), PK_OK);
    assert_int_equal(yes, 1);
    GEOSGeom_destroy_r(h, b);
    b = local(s, "POLYGON((100 100,200 100,200 200,100 200,100 100))"); /* a corner */
    assert_int_equal(pk_spatial_overlaps(s->sp, a, b, &yes), PK_OK);
    assert_int_equal(yes, 0);
    GEOSGeom_destroy_r(h, a);
    GEOSGeom_destroy_r(h, b);
}

static void test_measure(void **state)
{
    struct spfx *s = *state;
    GEOSContextHandle_t h = pk_geos(s->f.ctx);
    GEOSGeometry *g = local(s, "MULTIPOLYGON(((0 0,30 0,30 20,0 20,0 0),(10 5,20 5,20 15,10 15,10 5)),"
                               "((100 0,110 0,110 10,100 0)))");
    assert_true(fabs(pk_spatial_area(s->sp, g) - (600 - 100 + 50)) < 1e-6);
    GEOSGeom_destroy_r(h, g);
    g = local(s, "LINESTRING(0 0,30 40,30 50)"); /* 50 + 10 */
    assert_true(fabs(pk_spatial_area(s->sp, g) - 60) < 1e-9);
    GEOSGeom_destroy_r(h, g);
    assert_int_equal(pk_spatial_feature(s->sp, &s->roads, 1, &g), PK_OK);
    assert_true(fabs(pk_spatial_area(s->sp, g) - 200) < 1e-9);
    /* the store CRS is the metric one: the metric copy is the same geometry */
    GEOSGeometry *m = pk_spatial_to_metric(s->sp, g);
    assert_non_null(m);
    assert_int_equal(GEOSEqualsExact_r(h, g, m, 0), 1);
    GEOSGeom_destroy_r(h, m);
    /* GeoJSON text */
    char *json = pk_geom_to_geojson(s->f.ctx, g);
    assert_non_null(json);
    assert_non_null(strstr(json, "LineString"));
    assert_non_null(strstr(json, "600050"));
    assert_non_null(strstr(json, "3430150"));
    free(json);
    GEOSGeom_destroy_r(h, g);
    assert_ptr_equal(pk_spatial_worker(s->sp), pk_spatial_worker(s->sp));
}

/* A GEOS exception is an error, never "no": a self-crossing polygon. */
static void test_geos_error(void **state)
{
    struct spfx *s = *state;
    GEOSContextHandle_t h = pk_geos(s->f.ctx);
    GEOSGeometry *bow = local(s, "POLYGON((0 0,100 100,100 0,0 100,0 0))");
    GEOSGeometry *sq = local(s, "POLYGON((10 10,90 10,90 90,10 90,10 10))");
    /* GEOS 3.11 throws on this intersection (a TopologyException) ... */
    assert_null(GEOSIntersection_r(h, bow, sq));
    /* ... so the overlap test must fail, not answer "no" */
    int yes = -1;
    assert_int_not_equal(pk_spatial_overlaps(s->sp, bow, sq, &yes), PK_OK);
    assert_int_equal(yes, 0);
    assert_non_null(strstr(pk_errmsg(s->f.ctx), "intersection"));
    GEOSGeom_destroy_r(h, bow);
    GEOSGeom_destroy_r(h, sq);
}

static int interrupt_all(void *arg)
{
    (void)arg;
    return 1;
}

/* A read of the spatial index that fails (every statement interrupted, as
 * a busy database would stop it) is an error with no fids, never an empty
 * answer. */
static void test_failed_read_is_an_error(void **state)
{
    struct spfx *s = *state;
    const double x0 = FX_IN_4549.x0, y0 = FX_IN_4549.y0;
    double box[4] = {x0 - 10, y0 - 10, x0 + 2000, y0 + 200};
    long long *fids = (long long *)1;
    size_t n = 99;
    sqlite3_progress_handler(s->f.store->db, 1, interrupt_all, NULL);
    assert_int_not_equal(pk_spatial_bbox(s->sp, &s->blocks, box, &fids, &n), PK_OK);
    assert_null(fids);
    assert_int_equal(n, 0);
    GEOSGeometry *g = local(s, "POLYGON((0 0,150 0,150 100,0 100,0 0))");
    fids = (long long *)1;
    assert_int_not_equal(pk_spatial_overlapping(s->sp, &s->blocks, g, &fids, &n), PK_OK);
    assert_null(fids);
    assert_int_equal(n, 0);
    sqlite3_progress_handler(s->f.store->db, 0, NULL, NULL);
    assert_int_equal(pk_spatial_overlapping(s->sp, &s->blocks, g, &fids, &n), PK_OK);
    assert_int_equal(n, 2);
    free(fids);
    GEOSGeom_destroy_r(pk_geos(s->f.ctx), g);
}

/* In an EPSG:4326 store measured in EPSG:6933, a 0.5° cell's area is the
 * one on the ellipsoid (along its curved edges), and its metric copy is in
 * metres; without a metric CRS there are no spatial queries. */
static void test_geographic_store(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fx_open_measure(&f, "spatial4326", "EPSG:4326", NULL), 0);
    struct pk_spatial *sp = NULL;
    assert_int_equal(pk_spatial_new(f.store, &sp), PK_ERR_ARGS);
    assert_null(sp);
    fx_close(&f);

    assert_int_equal(fx_open_measure(&f, "spatial4326", "EPSG:4326", "EPSG:6933"), 0);
    assert_int_equal(pk_spatial_new(f.store, &sp), PK_OK);
    GEOSContextHandle_t h = pk_geos(f.ctx);
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *cell = GEOSWKTReader_read_r(h, r, "POLYGON((120.5 31,121 31,121 31.5,120.5 31.5,120.5 31))");
    GEOSGeometry *tri = GEOSWKTReader_read_r(h, r, "POLYGON((120.5 31,121 31,121 31.5,120.5 31))");
    const double c[4][2] = {{120.5, 31}, {121, 31}, {121, 31.5}, {120.5, 31.5}};
    const double t[3][2] = {{120.5, 31}, {121, 31}, {121, 31.5}};
    double want = fx_ellipsoid_area(c, 4), want_tri = fx_ellipsoid_area(t, 3);
    assert_true(fabs(pk_spatial_area(sp, cell) - want) <= 1e-9 * want);
    assert_true(fabs(pk_spatial_area(sp, tri) - want_tri) <= 1e-9 * want_tri);
    /* the triangle's slanted edge bends in EPSG:6933: not half the cell */
    assert_true(fabs(want_tri - want / 2) > 1e-7 * want);
    GEOSGeometry *m = pk_spatial_to_metric(sp, cell);
    assert_non_null(m);
    double minx, miny, maxx, maxy;
    GEOSGeom_getExtent_r(h, m, &minx, &miny, &maxx, &maxy);
    assert_true(minx > 1e7 && maxx - minx > 40000 && maxx - minx < 60000); /* metres east of 0° */
    GEOSGeom_destroy_r(h, m);
    GEOSGeom_destroy_r(h, cell);
    GEOSGeom_destroy_r(h, tri);
    GEOSWKTReader_destroy_r(h, r);
    pk_spatial_free(sp);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feature),     cmocka_unit_test(test_bbox),       cmocka_unit_test(test_overlap_rule),
        cmocka_unit_test(test_measure),     cmocka_unit_test(test_geos_error), cmocka_unit_test(test_geographic_store),
        cmocka_unit_test(test_failed_read_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
