/* test_layer.c — layer names, the geometry steps of the loader (OGR -> GEOS,
 * MakeValid repair, WKB transfer) and pk_layer_load through the library:
 * counts, issues, transactions, append/replace, cancel, thread-count
 * independence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geom_int.h"
#include "reader_int.h"
#include "layer_int.h"
#include "fixture.h"

/* ---- layer names ------------------------------------------------------- */

static void test_name_valid(void **state)
{
    (void)state;
    static const char *good[] = {"towns", "区镇", "key_areas", "metro-line11", "_x", "A1", "昆山市_towns",
                                 "x"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(pk_layer_name_valid(good[i]));
    static const char *bad[] = {"", "1abc", "-x", "a b", "a.b", "a/b", "a\"b", "a'b", "a;b",
                                "x'); DROP TABLE pk_layers;--", "lyr 1", "\xff\xfe", "\xe6\x98",
                                "tab\t", "new\nline"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(pk_layer_name_valid(bad[i]));
    char name[200];
    memset(name, 'a', sizeof name);
    name[120] = '\0';
    assert_true(pk_layer_name_valid(name));
    name[120] = 'a';
    name[121] = '\0';
    assert_false(pk_layer_name_valid(name));
}

/* ---- geometry ------------------------------------------------------------ */

static int ctx_setup(void **state)
{
    *state = pk_ctx_new();
    return *state ? 0 : -1;
}

static int ctx_teardown(void **state)
{
    pk_ctx_free(*state);
    return 0;
}

static GEOSGeometry *wkt(struct pk_ctx *ctx, const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(pk_geos(ctx));
    GEOSGeometry *g = GEOSWKTReader_read_r(pk_geos(ctx), r, text);
    GEOSWKTReader_destroy_r(pk_geos(ctx), r);
    assert_non_null(g);
    return g;
}

static double area(struct pk_ctx *ctx, const GEOSGeometry *g)
{
    double a = -1;
    assert_int_equal(GEOSArea_r(pk_geos(ctx), g, &a), 1);
    return a;
}

static void test_make_valid_bowtie(void **state)
{
    struct pk_ctx *ctx = *state;
    GEOSContextHandle_t h = pk_geos(ctx);
    GEOSGeometry *g = wkt(ctx, "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))");
    assert_int_equal(GEOSisValid_r(h, g), 0);
    enum pk_geom_fix fix = PK_GEOM_OK;
    char detail[256];
    assert_int_equal(pk_geom_make_valid(ctx, &g, PK_REPAIR_LINEWORK, &fix, detail, sizeof detail), PK_OK);
    assert_int_equal(fix, PK_GEOM_REPAIRED);
    assert_non_null(g);
    assert_int_equal(GEOSisValid_r(h, g), 1);
    /* two triangles of 0.25 each */
    assert_int_equal(GEOSGeomTypeId_r(h, g), GEOS_MULTIPOLYGON);
    assert_int_equal(GEOSGetNumGeometries_r(h, g), 2);
    assert_true(fabs(area(ctx, g) - 0.5) < 1e-12);
    /* the reason and where */
    assert_non_null(strstr(detail, "Self-intersection"));
    assert_non_null(strstr(detail, "0.500000 0.500000"));
    GEOSGeom_destroy_r(h, g);
}

static void test_make_valid_keeps_valid(void **state)
{
    struct pk_ctx *ctx = *state;
    GEOSContextHandle_t h = pk_geos(ctx);
    GEOSGeometry *g = wkt(ctx, "POLYGON((0 0, 2 0, 2 2, 0 2, 0 0), (0.5 0.5, 0.5 1, 1 1, 0.5 0.5))");
    enum pk_geom_fix fix = PK_GEOM_REPAIRED;
    char detail[64] = "junk";
    assert_int_equal(pk_geom_make_valid(ctx, &g, PK_REPAIR_LINEWORK, &fix, detail, sizeof detail), PK_OK);
    assert_int_equal(fix, PK_GEOM_OK);
    assert_string_equal(detail, "");
    /* polygons become MultiPolygons, nothing else changes */
    assert_int_equal(GEOSGeomTypeId_r(h, g), GEOS_MULTIPOLYGON);
    assert_true(fabs(area(ctx, g) - 3.875) < 1e-12);
    GEOSGeom_destroy_r(h, g);

    /* lines and points are left as they are */
    g = wkt(ctx, "LINESTRING(0 0, 1 1, 2 0)");
    assert_int_equal(pk_geom_make_valid(ctx, &g, PK_REPAIR_LINEWORK, &fix, detail, sizeof detail), PK_OK);
    assert_int_equal(fix, PK_GEOM_OK);
    assert_int_equal(GEOSGeomTypeId_r(h, g), GEOS_LINESTRING);
    GEOSGeom_destroy_r(h, g);
}

static void test_make_valid_collapsed_and_structure(void **state)
{
    struct pk_ctx *ctx = *state;
    GEOSContextHandle_t h = pk_geos(ctx);
    enum pk_geom_fix fix;
    char detail[256];
    /* a zero-area polygon collapses: stored without geometry */
    GEOSGeometry *g = wkt(ctx, "POLYGON((0 0, 1 0, 2 0, 0 0))");
    assert_int_equal(pk_geom_make_valid(ctx, &g, PK_REPAIR_LINEWORK, &fix, detail, sizeof detail), PK_OK);
    assert_int_equal(fix, PK_GEOM_EMPTY);
    assert_null(g);
    assert_true(strlen(detail) > 0);

    /* a polygon with a spike keeps only its polygonal part */
    g = wkt(ctx, "POLYGON((0 0, 1 0, 1 1, 1 2, 1 1, 0 1, 0 0))");
    assert_int_equal(pk_geom_make_valid(ctx, &g, PK_REPAIR_LINEWORK, &fix, detail, sizeof detail), PK_OK);
    assert_int_equal(fix, PK_GEOM_REPAIRED);
    assert_true(pk_geom_is_polygonal(ctx, g));
    assert_true(fabs(area(ctx, g) - 1.0) < 1e-12);
    GEOSGeom_destroy_r(h, g);

    /* the structure method gives a valid result too */
    g = wkt(ctx, "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))");
    assert_int_equal(pk_geom_make_valid(ctx, &g, PK_REPAIR_STRUCTURE, &fix, detail, sizeof detail), PK_OK);
    assert_int_equal(fix, PK_GEOM_REPAIRED);
    assert_int_equal(GEOSisValid_r(h, g), 1);
    GEOSGeom_destroy_r(h, g);

    /* a tiny detail buffer is never overrun */
    g = wkt(ctx, "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))");
    char small[8];
    assert_int_equal(pk_geom_make_valid(ctx, &g, PK_REPAIR_LINEWORK, &fix, small, sizeof small), PK_OK);
    assert_true(strlen(small) < sizeof small);
    GEOSGeom_destroy_r(h, g);
}

static OGRGeometryH ring(const double *xy, int n)
{
    OGRGeometryH r = OGR_G_CreateGeometry(wkbLinearRing);
    for (int i = 0; i < n; i++)
        OGR_G_AddPoint_2D(r, xy[2 * i], xy[2 * i + 1]);
    return r;
}

static OGRGeometryH polygon(const double *shell, int n, const double *hole, int m)
{
    OGRGeometryH p = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddGeometryDirectly(p, ring(shell, n));
    if (hole)
        OGR_G_AddGeometryDirectly(p, ring(hole, m));
    return p;
}

static void test_from_ogr_drops_degenerate_rings(void **state)
{
    struct pk_ctx *ctx = *state;
    GEOSContextHandle_t h = pk_geos(ctx);
    static const double square[] = {0, 0, 10, 0, 10, 10, 0, 10, 0, 0};
    static const double hole3[] = {1, 1, 2, 1, 1, 1};            /* 3 points, closed: degenerate */
    static const double hole_ok[] = {1, 1, 2, 1, 2, 2, 1, 1};
    GEOSGeometry *g = NULL;
    int dropped = -1;

    OGRGeometryH p = polygon(square, 5, hole3, 3);
    assert_int_equal(pk_geom_from_ogr(ctx, p, &g, &dropped), PK_OK);
    assert_int_equal(dropped, 1);
    assert_non_null(g);
    assert_int_equal(GEOSGetNumInteriorRings_r(h, g), 0);
    assert_true(fabs(area(ctx, g) - 100.0) < 1e-12);
    GEOSGeom_destroy_r(h, g);
    OGR_G_DestroyGeometry(p);

    p = polygon(square, 5, hole_ok, 4);
    assert_int_equal(pk_geom_from_ogr(ctx, p, &g, &dropped), PK_OK);
    assert_int_equal(dropped, 0);
    assert_int_equal(GEOSGetNumInteriorRings_r(h, g), 1);
    assert_true(fabs(area(ctx, g) - 99.5) < 1e-12);
    GEOSGeom_destroy_r(h, g);
    OGR_G_DestroyGeometry(p);

    /* an unclosed ring is closed */
    static const double open_tri[] = {0, 0, 4, 0, 0, 4};
    p = polygon(open_tri, 3, NULL, 0);
    assert_int_equal(pk_geom_from_ogr(ctx, p, &g, &dropped), PK_OK);
    assert_int_equal(dropped, 0);
    assert_non_null(g);
    assert_int_equal(GEOSGetNumCoordinates_r(h, g), 4);
    assert_true(fabs(area(ctx, g) - 8.0) < 1e-12);
    GEOSGeom_destroy_r(h, g);
    OGR_G_DestroyGeometry(p);

    /* a polygon whose shell is degenerate is removed whole; a multipolygon
     * keeps its other parts */
    static const double shell3[] = {5, 5, 6, 5, 5, 5};
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon);
    OGR_G_AddGeometryDirectly(mp, polygon(shell3, 3, NULL, 0));
    OGR_G_AddGeometryDirectly(mp, polygon(square, 5, NULL, 0));
    assert_int_equal(pk_geom_from_ogr(ctx, mp, &g, &dropped), PK_OK);
    assert_int_equal(dropped, 1);
    assert_int_equal(GEOSGeomTypeId_r(h, g), GEOS_MULTIPOLYGON);
    assert_int_equal(GEOSGetNumGeometries_r(h, g), 1);
    GEOSGeom_destroy_r(h, g);
    OGR_G_DestroyGeometry(mp);

    /* everything degenerate: no geometry, not an error */
    p = polygon(shell3, 3, NULL, 0);
    assert_int_equal(pk_geom_from_ogr(ctx, p, &g, &dropped), PK_OK);
    assert_null(g);
    assert_int_equal(dropped, 1);
    OGR_G_DestroyGeometry(p);

    /* a one-point line is dropped; an empty point is no geometry */
    OGRGeometryH line = OGR_G_CreateGeometry(wkbLineString);
    OGR_G_AddPoint_2D(line, 1, 1);
    assert_int_equal(pk_geom_from_ogr(ctx, line, &g, &dropped), PK_OK);
    assert_null(g);
    assert_int_equal(dropped, 1);
    OGR_G_DestroyGeometry(line);
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    assert_int_equal(pk_geom_from_ogr(ctx, pt, &g, &dropped), PK_OK);
    assert_null(g);
    assert_int_equal(dropped, 0);
    OGR_G_DestroyGeometry(pt);
}

static void test_from_ogr_rejects_nonfinite(void **state)
{
    struct pk_ctx *ctx = *state;
    GEOSGeometry *g = (GEOSGeometry *)&g; /* must be reset to NULL */
    int dropped = 0;
    const double shell[] = {0, 0, 1, 0, NAN, 1, 0, 0};
    OGRGeometryH p = polygon(shell, 4, NULL, 0);
    assert_int_equal(pk_geom_from_ogr(ctx, p, &g, &dropped), PK_ERR_DATA);
    assert_null(g);
    assert_non_null(strstr(pk_errmsg(ctx), "non-finite"));
    OGR_G_DestroyGeometry(p);

    /* in a hole, in a later part of a multipolygon, infinity, a point */
    const double square[] = {0, 0, 10, 0, 10, 10, 0, 10, 0, 0};
    const double hole[] = {1, 1, 2, 1, 2, INFINITY, 1, 1};
    p = polygon(square, 5, hole, 4);
    assert_int_equal(pk_geom_from_ogr(ctx, p, &g, &dropped), PK_ERR_DATA);
    assert_null(g);
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon);
    OGR_G_AddGeometryDirectly(mp, polygon(square, 5, NULL, 0));
    OGR_G_AddGeometryDirectly(mp, p);
    assert_int_equal(pk_geom_from_ogr(ctx, mp, &g, &dropped), PK_ERR_DATA);
    assert_null(g);
    OGR_G_DestroyGeometry(mp);
    /* GDAL treats a point with a NaN coordinate as an empty point: either
     * way no geometry with a NaN comes out */
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(pt, 0, 121.0, NAN);
    pk_geom_from_ogr(ctx, pt, &g, &dropped);
    assert_null(g);
    OGR_G_DestroyGeometry(pt);
}

static void test_blob_round_trip(void **state)
{
    struct pk_ctx *ctx = *state;
    GEOSContextHandle_t h = pk_geos(ctx);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT ?", -1, &st, NULL), SQLITE_OK);
    GEOSGeometry *g = wkt(ctx, "MULTIPOLYGON(((120.9 31.3, 121 31.3, 121 31.4, 120.9 31.3)))");
    assert_int_equal(pk_geom_bind_blob(ctx, st, 1, g, 4326, NULL), PK_OK); /* the store's own BLOB */
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    GEOSGeometry *back = NULL;
    assert_int_equal(pk_geom_from_blob(h, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &back),
                     PK_OK);
    assert_int_equal(GEOSEqualsExact_r(h, g, back, 0), 1);
    GEOSGeom_destroy_r(h, back);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* promote: a Polygon becomes a one-part MultiPolygon; others unchanged */
    GEOSGeometry *p = pk_geom_promote_multi(ctx, wkt(ctx, "POLYGON((0 0, 1 0, 1 1, 0 0))"));
    assert_int_equal(GEOSGeomTypeId_r(h, p), GEOS_MULTIPOLYGON);
    assert_true(pk_geom_is_polygonal(ctx, p));
    GEOSGeom_destroy_r(h, p);
    GEOSGeometry *l = wkt(ctx, "LINESTRING(0 0, 1 1)");
    assert_ptr_equal(pk_geom_promote_multi(ctx, l), l);
    assert_false(pk_geom_is_polygonal(ctx, l));
    GEOSGeom_destroy_r(h, l);
    assert_null(pk_geom_promote_multi(ctx, NULL));
    GEOSGeom_destroy_r(h, g);
}

/* ---- loading through the library ------------------------------------------ */

static const char *feature_collection(char *buf, size_t size, int n, int with_bowtie)
{
    size_t off = (size_t)snprintf(buf, size, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int i = 0; i < n; i++) {
        double x = 120.9 + 0.01 * (i % 20), y = 31.2 + 0.01 * (i / 20);
        if (with_bowtie && i % 7 == 3)
            off += (size_t)snprintf(buf + off, size - off,
                "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"bow %d\",\"n\":%d},"
                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.4f,%.4f],[%.4f,%.4f],"
                "[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f]]]}}", i ? "," : "", i, i,
                x, y, x + 0.005, y + 0.005, x + 0.005, y, x, y + 0.005, x, y);
        else
            off += (size_t)snprintf(buf + off, size - off,
                "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"cell %d\",\"n\":%d},"
                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.4f,%.4f],[%.4f,%.4f],"
                "[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f]]]}}", i ? "," : "", i, i,
                x, y, x + 0.005, y, x + 0.005, y + 0.005, x, y + 0.005, x, y);
    }
    snprintf(buf + off, size - off, "]}\n");
    return buf;
}

/* A store (EPSG:4326, metric CRS EPSG:4549) and three GeoJSON files:
 * 300 cells with some bow-ties, three cells, and a ring with a NaN. */
static int load_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fx_open_measure(f, "test_layer", "EPSG:4326", "EPSG:4549") != 0)
        return -1;
    static char buf[200000];
    if (fx_write(f, "cells.geojson", feature_collection(buf, sizeof buf, 300, 1)) != 0 ||
        fx_write(f, "three.geojson", feature_collection(buf, sizeof buf, 3, 0)) != 0 ||
        fx_write(f, "nan.geojson",
                 "{\"type\":\"FeatureCollection\",\"features\":["
                 "{\"type\":\"Feature\",\"properties\":{\"name\":\"fine\"},\"geometry\":{\"type\":"
                 "\"Polygon\",\"coordinates\":[[[121,31],[121.1,31],[121.1,31.1],[121,31]]]}},"
                 "{\"type\":\"Feature\",\"properties\":{\"name\":\"broken\"},\"geometry\":{\"type\":"
                 "\"Polygon\",\"coordinates\":[[[121,31],[121.1,31],[NaN,31.1],[121,31]]]}}]}\n") != 0)
        return -1;
    *state = f;
    return 0;
}

static int load_teardown(void **state)
{
    struct fixture *f = *state;
    fx_close(f);
    free(f);
    return 0;
}

static long long q(struct fixture *f, const char *sql)
{
    long long v = -1;
    assert_int_equal(pk_sql_int(f->store, sql, NULL, &v, NULL), PK_OK);
    return v;
}

static int layer_exists(struct fixture *f, const char *name)
{
    struct pk_layer_ref ref;
    int rc = pk_layer_find(f->store, name, &ref);
    pk_error_clear(f->ctx);
    return rc == PK_OK;
}

static void test_load_counts_and_issues(void **state)
{
    struct fixture *f = *state;
    char src[400];
    fx_path(f, "cells.geojson", src, sizeof src);
    struct pk_load_opts o = {.source = src, .name = "cells", .kind = "zone"};
    struct pk_load_result res;
    assert_int_equal(pk_layer_load(f->store, &o, &res, NULL, NULL), PK_OK);
    assert_int_equal(res.read, 300);
    assert_int_equal(res.stored, 300);
    assert_int_equal(res.repaired, 43); /* i % 7 == 3 for i < 300 */
    assert_int_equal(res.empty, 0);
    assert_string_equal(res.name, "cells");
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(f->store, "cells", &ref), PK_OK);
    assert_int_equal(ref.count, 300);
    assert_string_equal(ref.kind, "zone");
    assert_string_equal(ref.geometry_type, "MULTIPOLYGON");
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE ST_IsValid(geom) = 1", ref.table);
    assert_int_equal(q(f, sql), 300);
    snprintf(sql, sizeof sql, "SELECT min(fid) * 1000 + max(fid) FROM %s", ref.table);
    assert_int_equal(q(f, sql), 1300);
    /* the order of features is the source's: fid = n + 1 */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE fid <> n + 1", ref.table);
    assert_int_equal(q(f, sql), 0);

    struct pk_table *t = NULL;
    assert_int_equal(pk_layer_issues(f->store, "cells", &t), PK_OK);
    assert_int_equal(t->nrows, 43);
    int c_fid = pk_table_col(t, "fid"), c_name = pk_table_col(t, "name"), c_issue = pk_table_col(t, "issue");
    assert_true(c_fid >= 0 && c_name >= 0 && c_issue >= 0);
    assert_string_equal(pk_table_get(t, 0, c_fid), "4");
    assert_string_equal(pk_table_get(t, 0, c_name), "bow 3");
    assert_string_equal(pk_table_get(t, 0, c_issue), "repaired");
    pk_table_free(t);
    /* layer info: the same count, as a number, and the layer's facts as values */
    struct pk_layer_info info;
    assert_int_equal(pk_layer_info(f->store, "cells", &info), PK_OK);
    assert_int_equal(info.repaired, 43);
    assert_string_equal(info.name, "cells");
    assert_int_equal(info.features, ref.count);
    assert_true(info.has_extent && info.extent[0] <= info.extent[2] && info.extent[1] <= info.extent[3]);
    assert_true(info.nfields > 0 && info.fields[0].name && info.fields[0].type);
    /* layer list: the same extent, as numbers with all their digits */
    assert_int_equal(pk_layer_list(f->store, &t), PK_OK);
    assert_int_equal(t->nrows, 1);
    static const char *const ext[] = {"min_x", "min_y", "max_x", "max_y"};
    for (int i = 0; i < 4; i++) {
        double v = -1;
        assert_true(pk_table_get_real(t, 0, pk_table_col(t, ext[i]), &v));
        assert_true(v == info.extent[i]);
    }
    pk_table_free(t);
    pk_layer_info_release(&info);
    assert_null(info.fields);
    assert_int_equal(pk_layer_info(f->store, "no such layer", &info), PK_ERR_NOTFOUND);
    pk_layer_info_release(&info);
}

static void test_load_rolls_back_with_caller(void **state)
{
    struct fixture *f = *state;
    char src[400];
    fx_path(f, "three.geojson", src, sizeof src);
    long long tables = q(f, "SELECT count(*) FROM sqlite_master");
    long long geoms = q(f, "SELECT count(*) FROM geometry_columns");
    assert_int_equal(pk_store_begin(f->store), PK_OK);
    struct pk_load_opts o = {.source = src, .name = "inner"};
    assert_int_equal(pk_layer_load(f->store, &o, NULL, NULL, NULL), PK_OK);
    assert_true(layer_exists(f, "inner"));
    pk_store_rollback(f->store);
    assert_false(layer_exists(f, "inner"));
    assert_int_equal(q(f, "SELECT count(*) FROM sqlite_master"), tables);
    assert_int_equal(q(f, "SELECT count(*) FROM geometry_columns"), geoms);
}

static void test_load_error_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    char src[400];
    fx_path(f, "nan.geojson", src, sizeof src);
    long long tables = q(f, "SELECT count(*) FROM sqlite_master");
    long long history = q(f, "SELECT count(*) FROM pk_history");
    struct pk_load_opts o = {.source = src, .name = "nan"};
    assert_int_equal(pk_layer_load(f->store, &o, NULL, NULL, NULL), PK_ERR_DATA);
    /* the message names the feature */
    assert_non_null(strstr(pk_errmsg(f->ctx), "broken"));
    assert_non_null(strstr(pk_errmsg(f->ctx), "non-finite"));
    assert_false(layer_exists(f, "nan"));
    assert_int_equal(q(f, "SELECT count(*) FROM sqlite_master"), tables);
    assert_int_equal(q(f, "SELECT count(*) FROM pk_history"), history);
    assert_int_equal(q(f, "SELECT count(*) FROM pk_load_issues"), 0);
    assert_true(sqlite3_get_autocommit(f->store->db));

    /* invalid options are refused before anything is read */
    fx_path(f, "three.geojson", src, sizeof src);
    struct pk_load_opts bad_kind = {.source = src, .kind = "county"};
    assert_int_equal(pk_layer_load(f->store, &bad_kind, NULL, NULL, NULL), PK_ERR_ARGS);
    struct pk_load_opts bad_name = {.source = src, .name = "x'); DROP TABLE pk_layers;--"};
    assert_int_equal(pk_layer_load(f->store, &bad_name, NULL, NULL, NULL), PK_ERR_ARGS);
    struct pk_load_opts bad_select = {.source = src, .select = "name,nosuch"};
    assert_int_equal(pk_layer_load(f->store, &bad_select, NULL, NULL, NULL), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "nosuch"));
    struct pk_load_opts none = {0};
    assert_int_equal(pk_layer_load(f->store, &none, NULL, NULL, NULL), PK_ERR_ARGS);
    assert_int_equal(q(f, "SELECT count(*) FROM pk_layers"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM sqlite_master"), tables);
}

static void test_load_append_replace(void **state)
{
    struct fixture *f = *state;
    char src[400];
    fx_path(f, "three.geojson", src, sizeof src);
    struct pk_load_opts o = {.source = src}; /* default name: the file stem */
    struct pk_load_result res;
    assert_int_equal(pk_layer_load(f->store, &o, &res, NULL, NULL), PK_OK);
    assert_string_equal(res.name, "three");
    assert_int_equal(pk_layer_load(f->store, &o, &res, NULL, NULL), PK_ERR_EXISTS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "--replace"));
    o.mode = PK_LOAD_APPEND;
    assert_int_equal(pk_layer_load(f->store, &o, &res, NULL, NULL), PK_OK);
    assert_int_equal(res.stored, 3);
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(f->store, "three", &ref), PK_OK);
    assert_int_equal(ref.count, 6);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT fid) * 100 + max(fid) FROM %s", ref.table);
    assert_int_equal(q(f, sql), 606);
    long long id = ref.id;
    o.mode = PK_LOAD_REPLACE;
    o.select = "n";
    assert_int_equal(pk_layer_load(f->store, &o, &res, NULL, NULL), PK_OK);
    assert_int_equal(pk_layer_find(f->store, "three", &ref), PK_OK);
    assert_int_equal(ref.count, 3);
    assert_int_equal(ref.id, id);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pk_fields WHERE layer_id=%lld", id);
    assert_int_equal(q(f, sql), 1);
    struct pk_table *problems = NULL;
    assert_int_equal(pk_store_check(f->store, &problems, NULL, NULL), PK_OK);
    assert_int_equal(problems->nrows, 0);
    pk_table_free(problems);
}

static int cancel_halfway(double frac, const char *msg, void *arg)
{
    (void)msg;
    int *calls = arg;
    ++*calls;
    return frac < 0.3;
}

static void test_load_cancel(void **state)
{
    struct fixture *f = *state;
    char src[400];
    fx_path(f, "cells.geojson", src, sizeof src);
    long long tables = q(f, "SELECT count(*) FROM sqlite_master");
    int calls = 0;
    struct pk_load_opts o = {.source = src, .name = "cancelled"};
    assert_int_equal(pk_layer_load(f->store, &o, NULL, cancel_halfway, &calls), PK_ERR_CANCELLED);
    assert_true(calls > 0);
    assert_false(layer_exists(f, "cancelled"));
    assert_int_equal(q(f, "SELECT count(*) FROM sqlite_master"), tables);
}

/* The repair runs on a thread pool; the stored result must not depend on the
 * number of threads. */
static void test_load_thread_count_independent(void **state)
{
    struct fixture *f = *state;
    char src[400];
    fx_path(f, "cells.geojson", src, sizeof src);
    const int threads[] = {1, 3};
    const char *names[] = {"t1", "t3"};
    for (int i = 0; i < 2; i++) {
        struct pk_load_opts o = {.source = src, .name = names[i], .threads = threads[i]};
        assert_int_equal(pk_layer_load(f->store, &o, NULL, NULL, NULL), PK_OK);
    }
    struct pk_layer_ref a, b;
    assert_int_equal(pk_layer_find(f->store, "t1", &a), PK_OK);
    assert_int_equal(pk_layer_find(f->store, "t3", &b), PK_OK);
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s x JOIN %s y USING(fid)"
                              " WHERE x.geom = y.geom AND x.name = y.name", a.table, b.table);
    assert_int_equal(q(f, sql), 300);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pk_load_issues x JOIN pk_load_issues y"
                              " USING(fid, issue, detail) WHERE x.layer_id=%lld AND y.layer_id=%lld",
             a.id, b.id);
    assert_int_equal(q(f, sql), 43);
}

int main(void)
{
#define G(fn) cmocka_unit_test_setup_teardown(fn, ctx_setup, ctx_teardown)
#define L(fn) cmocka_unit_test_setup_teardown(fn, load_setup, load_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_valid),
        G(test_make_valid_bowtie),
        G(test_make_valid_keeps_valid),
        G(test_make_valid_collapsed_and_structure),
        G(test_from_ogr_drops_degenerate_rings),
        G(test_from_ogr_rejects_nonfinite),
        G(test_blob_round_trip),
        L(test_load_counts_and_issues),
        L(test_load_rolls_back_with_caller),
        L(test_load_error_leaves_nothing),
        L(test_load_append_replace),
        L(test_load_cancel),
        L(test_load_thread_count_independent),
    };
#undef G
#undef L
    return cmocka_run_group_tests_name("layer", tests, NULL, NULL);
}
