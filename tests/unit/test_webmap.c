/* test_webmap.c — the web map's library side: pk_tiles_preview writes the
 * page, the styles with the tile URL filled in and the maplibre-gl copy, or
 * refuses (missing tiles, relative base URL, no maplibre-gl) without
 * writing the page; pk_webmap_style refuses names that are not plain; the
 * page cannot be cut short by a style's text; the server starts on a free
 * port and stops; the server's PMTiles reader finds every tile of an
 * archive the PMTiles sink wrote with leaf directories, and no other. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plankit/webmap.h"
#include "tile_buf_int.h"
#include "tile_sink_int.h"
#include "webmap_int.h"
#include "fixture.h"

static struct fixture FX;     /* a folder and a context (no store) */
static const char *tmp = FX.dir;
static char styles[512], maplibre[512];

static int setup(void **state)
{
    const char *src = getenv("PLANKIT_SOURCE_DIR");
    assert_non_null(src);
    snprintf(styles, sizeof styles, "%s/styles", src);
    snprintf(maplibre, sizeof maplibre, "%s/tests/js/node_modules/maplibre-gl/dist", src);
    if (fx_open(&FX, "test-webmap", NULL) != 0)
        return -1;
    *state = FX.ctx;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_close(&FX);
    return 0;
}

static char *slurp(struct pk_ctx *ctx, const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return pk_webmap_read_file(ctx, path, len);
}

static int exists(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_preview_writes_everything(void **state)
{
    struct pk_ctx *ctx = *state;
    char out[512];
    snprintf(out, sizeof out, "%s/map", tmp);
    struct pk_preview_opts o = {.tiles = tmp, .out_dir = out, .base = "http://127.0.0.1:9999/",
                                .assets = {styles, maplibre}};
    assert_int_equal(pk_tiles_preview(ctx, &o), PK_OK);
    const char *names[] = {"styles/zones.json", "styles/coverage.json", "styles/tasks.json"};
    for (size_t i = 0; i < 3; i++) {
        char *s = slurp(ctx, out, names[i], NULL);
        assert_non_null(s);
        assert_non_null(strstr(s, "\"http://127.0.0.1:9999/tiles/{z}/{x}/{y}.pbf\""));
        assert_null(strstr(s, "{BASE}"));
        free(s);
    }
    char *page = slurp(ctx, out, "index.html", NULL);
    assert_non_null(page);
    assert_non_null(strstr(page, "new maplibregl.Map"));
    assert_non_null(strstr(page, "\"zones\": {"));
    assert_non_null(strstr(page, "\"coverage\": {"));
    assert_non_null(strstr(page, "\"http://127.0.0.1:9999/tiles/{z}/{x}/{y}.pbf\""));
    assert_true(strstr(page, "\"zones\": {") < strstr(page, "\"coverage\": {")); /* zones first */
    free(page);
    size_t a, b;
    char *copy = slurp(ctx, out, "maplibre-gl.js", &a), *orig = slurp(ctx, maplibre, "maplibre-gl.js", &b);
    assert_non_null(copy);
    assert_non_null(orig);
    assert_true(a == b && a > 100000 && memcmp(copy, orig, a) == 0);
    free(copy);
    free(orig);
    assert_true(exists(out, "maplibre-gl.css"));
}

static void test_preview_refuses(void **state)
{
    struct pk_ctx *ctx = *state;
    char out[512], missing[512];
    snprintf(out, sizeof out, "%s/refused", tmp);
    snprintf(missing, sizeof missing, "%s/nope.mbtiles", tmp);
    struct pk_preview_opts o = {.tiles = missing, .out_dir = out, .assets = {styles, maplibre}};
    assert_int_equal(pk_tiles_preview(ctx, &o), PK_ERR_NOTFOUND);
    assert_non_null(strstr(pk_errmsg(ctx), "nope.mbtiles"));
    assert_false(exists(out, ""));
    o.tiles = tmp;
    o.base = "tiles";
    assert_int_equal(pk_tiles_preview(ctx, &o), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(ctx), "absolute"));
    o.base = NULL;
    o.assets.maplibre_dir = tmp;
    assert_int_equal(pk_tiles_preview(ctx, &o), PK_ERR_NOTFOUND);
    assert_non_null(strstr(pk_errmsg(ctx), "maplibre-gl"));
    assert_false(exists(out, "index.html"));
}

static void test_style_names(void **state)
{
    struct pk_ctx *ctx = *state;
    char *s = pk_webmap_style(ctx, styles, "../styles/zones", "http://x");
    assert_null(s);
    assert_int_equal(pk_errcode(ctx), PK_ERR_ARGS);
    assert_null(pk_webmap_style(ctx, styles, "nope", "http://x"));
    assert_int_equal(pk_errcode(ctx), PK_ERR_NOTFOUND);
    assert_null(pk_webmap_style(ctx, styles, "", "http://x"));
    s = pk_webmap_style(ctx, styles, "tasks", "http://h:1");
    assert_non_null(s);
    assert_non_null(strstr(s, "\"http://h:1/tiles/{z}/{x}/{y}.pbf\""));
    free(s);
}

static void test_page_cannot_be_cut(void **state)
{
    struct pk_ctx *ctx = *state;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/evil", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/a.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"name\": \"</script><script>alert(1)</script>\", \"layers\": []}", f);
    fclose(f);
    struct pk_webmap_assets assets = {dir, maplibre};
    char *page = pk_webmap_page(ctx, &assets, "http://x", NULL);
    assert_non_null(page);
    int closes = 0;
    for (const char *p = strstr(page, "</script>"); p; p = strstr(p + 1, "</script>"))
        closes++;
    assert_int_equal(closes, 2); /* the maplibre-gl tag and the page's own script */
    assert_non_null(strstr(page, "<\\/script><script>alert(1)<\\/script>"));
    free(page);
    struct pk_webmap_assets none = {tmp, maplibre}; /* a folder without styles */
    assert_null(pk_webmap_page(ctx, &none, "http://x", NULL));
    assert_int_equal(pk_errcode(ctx), PK_ERR_NOTFOUND);
}

static void test_server_starts_and_stops(void **state)
{
    struct pk_ctx *ctx = *state;
    struct pk_serve_opts o = {.tiles = tmp, .port = 0, .assets = {styles, maplibre}};
    struct pk_server *s = NULL;
    assert_int_equal(pk_serve_start(ctx, &o, &s), PK_OK);
    assert_true(pk_server_port(s) > 0);
    pk_serve_stop(s);
    o.host = "localhost";
    assert_int_equal(pk_serve_start(ctx, &o, &s), PK_ERR_ARGS);
    o.host = NULL;
    o.port = 65536;
    assert_int_equal(pk_serve_start(ctx, &o, &s), PK_ERR_ARGS);
    pk_serve_stop(NULL);
}

#define PM_MAXZOOM 8

/* The tiles left out of the archive: about a third, scattered, so that the
 * directory does not compress into the root and leaf directories are used. */
static int left_out(int z, uint32_t x, uint32_t y)
{
    return z > 0 && ((x * 2654435761u) ^ (y * 40503u) ^ (uint32_t)z) % 3 == 0;
}

static void test_pmtiles_reader(void **state)
{
    struct pk_ctx *ctx = *state;
    char path[512], text[64];
    snprintf(path, sizeof path, "%s/t.pmtiles", tmp);
    struct pk_tile_meta meta = {.name = "t", .bounds = {-180, -85, 180, 85}, .maxzoom = PM_MAXZOOM};
    struct pk_tile_sink *sink = NULL;
    struct pk_tbuf gz = {0};
    assert_int_equal(pk_tile_pmtiles_ops.open(ctx, path, &meta, &sink), PK_OK);
    for (int z = 0; z <= PM_MAXZOOM; z++) /* each tile with bytes of its own */
        for (uint32_t x = 0; x < (1u << z); x++)
            for (uint32_t y = 0; y < (1u << z); y++) {
                if (left_out(z, x, y))
                    continue;
                snprintf(text, sizeof text, "tile %d/%u/%u", z, x, y);
                assert_int_equal(pk_gzip(text, strlen(text), &gz), 0);
                assert_int_equal(pk_tile_pmtiles_ops.put(sink, z, x, y, gz.data, gz.len), PK_OK);
            }
    assert_int_equal(pk_tile_pmtiles_ops.finish(sink), PK_OK);
    struct pk_pmreader *r = NULL;
    assert_int_equal(pk_pmreader_open(ctx, path, &r), PK_OK);
    uint8_t h[127];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(h, 1, sizeof h, f), sizeof h);
    fclose(f);
    assert_true(h[48] | h[49] | h[50]); /* leaf directories were written */
    for (int z = 0; z <= PM_MAXZOOM; z++)
        for (uint32_t x = 0; x < (1u << z); x += 1 + z / 4)
            for (uint32_t y = 0; y < (1u << z); y += 1 + z / 5) {
                char *data = NULL;
                size_t len = 0;
                int found = pk_pmreader_tile(r, z, x, y, &data, &len);
                if (left_out(z, x, y)) {
                    assert_int_equal(found, 0);
                    assert_null(data);
                    continue;
                }
                assert_int_equal(found, 1);
                snprintf(text, sizeof text, "tile %d/%u/%u", z, x, y);
                assert_int_equal(pk_gunzip(data, len, &gz), 0);
                assert_int_equal(gz.len, strlen(text));
                assert_memory_equal(gz.data, text, gz.len);
                free(data);
            }
    char *data = NULL;
    size_t len;
    assert_int_equal(pk_pmreader_tile(r, PM_MAXZOOM + 1, 0, 1, &data, &len), 0);
    pk_pmreader_close(r);
    pk_tbuf_free(&gz);
    assert_int_equal(pk_pmreader_open(ctx, styles, &r), PK_ERR_DATA); /* a folder is not an archive */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preview_writes_everything),
        cmocka_unit_test(test_preview_refuses),
        cmocka_unit_test(test_style_names),
        cmocka_unit_test(test_page_cannot_be_cut),
        cmocka_unit_test(test_server_starts_and_stops),
        cmocka_unit_test(test_pmtiles_reader),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
