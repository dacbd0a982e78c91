/* test_tiler_report.c — nothing vanishes silently from vector tiles:
 *   - two polygons far smaller than a tile unit at z0, side by side in one
 *     cell, are both in the z0 tile (each kept as a square of its own cell,
 *     counted in kept_tiny), and nothing is counted as dropped;
 *   - a tile over 500 KB gzipped (thousands of points with random names,
 *     which gzip cannot shrink) is reported: big_tiles, and the largest
 *     tile's zoom, column, row and size.
 * The tiles are read back with GDAL's MBTiles (MVT) driver. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gdal.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plankit/ctx.h"
#include "plankit/layer.h"
#include "plankit/store.h"
#include "plankit/tiles.h"

#define NPOINTS 16000

static char dir[256];

/* A GeoJSON file: a large square, and two 20 m squares next to it. */
static void write_small_polygons(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"FeatureCollection\",\"features\":[\n"
               "{\"type\":\"Feature\",\"properties\":{\"name\":\"big\"},\"geometry\":{\"type\":\"Polygon\","
               "\"coordinates\":[[[120.0,31.0],[121.0,31.0],[121.0,32.0],[120.0,32.0],[120.0,31.0]]]}},\n");
    for (int i = 0; i < 2; i++) {
        double x = 121.5 + i * 0.0002;
        fprintf(f, "{\"type\":\"Feature\",\"properties\":{\"name\":\"tiny%d\"},\"geometry\":{\"type\":\"Polygon\","
                   "\"coordinates\":[[[%.4f,31.5],[%.4f,31.5],[%.4f,31.5002],[%.4f,31.5002],[%.4f,31.5]]]}}%s\n",
                i, x, x + 0.0002, x + 0.0002, x, x, i == 0 ? "," : "");
    }
    fprintf(f, "]}\n");
    fclose(f);
}

/* A GeoJSON file of NPOINTS points, each with a 64-character random name. */
static void write_noisy_points(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    uint64_t s = 88172645463325252ULL;
    fprintf(f, "{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (int i = 0; i < NPOINTS; i++) {
        char name[65];
        for (int k = 0; k < 64; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            name[k] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"[s & 63];
        }
        name[64] = '\0';
        fprintf(f, "{\"type\":\"Feature\",\"properties\":{\"name\":\"%s\"},\"geometry\":{\"type\":\"Point\","
                   "\"coordinates\":[%.5f,%.5f]}}%s\n", name, 120.0 + (i % 100) * 0.01, 31.0 + (i / 100) * 0.01,
                i + 1 < NPOINTS ? "," : "");
    }
    fprintf(f, "]}\n");
    fclose(f);
}

/* Features of layer in the z0 tile of an MBTiles file; *overlap (may be
 * NULL) gets the area the features named tiny0 and tiny1 share. */
static int count_z0(const char *path, const char *layer, double *overlap)
{
    OGRGeometryH tiny[2] = {NULL, NULL};
    const char *oo[] = {"ZOOM_LEVEL=0", NULL};
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, oo, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer);
    assert_non_null(l);
    int n = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l))) {
        n++;
        int k = OGR_F_GetFieldIndex(f, "name");
        const char *name = k >= 0 ? OGR_F_GetFieldAsString(f, k) : "";
        if (overlap && (!strcmp(name, "tiny0") || !strcmp(name, "tiny1")))
            tiny[name[4] - '0'] = OGR_G_Clone(OGR_F_GetGeometryRef(f));
        OGR_F_Destroy(f);
    }
    if (overlap) {
        assert_non_null(tiny[0]);
        assert_non_null(tiny[1]);
        OGRGeometryH both = OGR_G_Intersection(tiny[0], tiny[1]);
        *overlap = both ? OGR_G_Area(both) : -1;
        OGR_G_DestroyGeometry(both);
        OGR_G_DestroyGeometry(tiny[0]);
        OGR_G_DestroyGeometry(tiny[1]);
    }
    GDALClose(ds);
    return n;
}

static struct pk_store *new_store(struct pk_ctx *ctx, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.sqlite", dir, name);
    struct pk_store_opts so = {.crs = "EPSG:4326", .measure_crs = "EPSG:4549"};
    struct pk_store *store = NULL;
    assert_int_equal(pk_store_create(ctx, path, &so, &store), PK_OK);
    return store;
}

static void test_small_polygons_kept(void **state)
{
    (void)state;
    struct pk_ctx *ctx = pk_ctx_new();
    char src[512], out[512];
    snprintf(src, sizeof src, "%s/small.geojson", dir);
    snprintf(out, sizeof out, "%s/small.mbtiles", dir);
    write_small_polygons(src);
    struct pk_store *store = new_store(ctx, "small");
    struct pk_load_opts lo = {.source = src, .name = "zones"};
    assert_int_equal(pk_layer_load(store, &lo, NULL, NULL, NULL), PK_OK);
    struct pk_tiles_opts o = {.output = out, .minzoom = 0, .maxzoom = 0};
    struct pk_tiles_result res;
    if (pk_tiles_vector(store, &o, &res, NULL, NULL) != PK_OK)
        fail_msg("export: %s", pk_errmsg(ctx));
    assert_int_equal(res.kept_tiny, 2);   /* both 20 m squares, each in a cell of its own */
    assert_int_equal(res.dropped, 0);
    assert_int_equal(res.big_tiles, 0);
    double overlap = -1;
    assert_int_equal(count_z0(out, "zones", &overlap), 3);
    assert_true(overlap == 0); /* one label cell, two squares: the second took a free cell */
    pk_store_close(store);
    pk_ctx_free(ctx);
}

static void test_big_tile_reported(void **state)
{
    (void)state;
    struct pk_ctx *ctx = pk_ctx_new();
    char src[512], out[512];
    snprintf(src, sizeof src, "%s/points.geojson", dir);
    snprintf(out, sizeof out, "%s/points.mbtiles", dir);
    write_noisy_points(src);
    struct pk_store *store = new_store(ctx, "points");
    struct pk_load_opts lo = {.source = src, .name = "points"};
    assert_int_equal(pk_layer_load(store, &lo, NULL, NULL, NULL), PK_OK);
    struct pk_tiles_opts o = {.output = out, .minzoom = 0, .maxzoom = 0};
    struct pk_tiles_result res;
    if (pk_tiles_vector(store, &o, &res, NULL, NULL) != PK_OK)
        fail_msg("export: %s", pk_errmsg(ctx));
    assert_int_equal(res.tiles, 1);
    assert_int_equal(res.big_tiles, 1);
    assert_true(res.largest_tile > 500 * 1024);
    assert_int_equal(res.largest_z, 0);
    assert_int_equal(res.largest_x, 0);
    assert_int_equal(res.largest_y, 0);
    assert_int_equal(count_z0(out, "points", NULL), NPOINTS); /* reported, not thinned */
    pk_store_close(store);
    pk_ctx_free(ctx);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/plankit-tiler-report.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_polygons_kept),
        cmocka_unit_test(test_big_tile_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
