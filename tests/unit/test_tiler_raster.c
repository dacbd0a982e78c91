/* test_tiler_raster.c — raster tiles on the bundled Kunshan towns (a store
 * in EPSG:4549, so every feature is transformed): a label placed across a
 * tile edge is drawn identically by the two tiles (a 2x2 block drawn at once
 * compared with its four tiles drawn one by one and stitched), no two
 * placed labels overlap, the PNG encoder gives back the pixels it was
 * given (opaque and translucent), labels along a line follow it, and
 * pk_tiles_raster's refusals leave no
 * output behind while --force replaces an output only once complete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>

#include "plankit/raster.h"
#include "fixture.h"
#include "tile_sink_int.h"
#include "tiler_raster_int.h"

static const char *source_dir(void)
{
    const char *d = getenv("PLANKIT_SOURCE_DIR");
    return d && *d ? d : ".";
}

/* Towns filled by name, their borders, and their names in big labels (so
 * that many cross tile edges). */
static const char *STYLE =
    "{\"version\": 8, \"name\": \"test raster\", \"sources\": {\"s\": {\"type\": \"vector\"}}, \"layers\": ["
    "{\"id\": \"bg\", \"type\": \"background\", \"paint\": {\"background-color\": \"#f0f0f0\"}},"
    "{\"id\": \"fill\", \"type\": \"fill\", \"source\": \"s\", \"source-layer\": \"towns\","
    " \"paint\": {\"fill-color\": [\"match\", [\"get\", \"name\"], \"张浦镇\", \"#ff0000\", \"#88cc88\"]}},"
    "{\"id\": \"line\", \"type\": \"line\", \"source\": \"s\", \"source-layer\": \"towns\","
    " \"paint\": {\"line-color\": \"#0000ff\", \"line-width\": 2}},"
    "{\"id\": \"names\", \"type\": \"symbol\", \"source\": \"s\", \"source-layer\": \"labels\","
    " \"layout\": {\"text-field\": [\"get\", \"name\"], \"text-size\": 22, \"text-font\": [\"Noto Sans CJK SC Regular\"]},"
    " \"paint\": {\"text-color\": \"#000000\", \"text-halo-color\": \"#ffffff\", \"text-halo-width\": 2}}]}";

#define NAMES_LAYER 3
#define Z 12

/* A straight river from (120.90, 31.30) to (121.10, 31.40), labelled along
 * it every 200 px, and once at its middle. */
static const char *RIVER = "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\","
    " \"properties\": {\"name\": \"测试河道\"}, \"geometry\": {\"type\": \"LineString\","
    " \"coordinates\": [[120.90, 31.30], [121.10, 31.40]]}}]}";
static const char *RIVER_STYLE =
    "{\"version\": 8, \"name\": \"test lines\", \"sources\": {\"s\": {\"type\": \"vector\"}}, \"layers\": ["
    "{\"id\": \"along\", \"type\": \"symbol\", \"source\": \"s\", \"source-layer\": \"river\","
    " \"layout\": {\"text-field\": [\"get\", \"name\"], \"text-size\": 14, \"symbol-placement\": \"line\","
    " \"symbol-spacing\": 200}},"
    "{\"id\": \"centre\", \"type\": \"symbol\", \"source\": \"s\", \"source-layer\": \"river\","
    " \"layout\": {\"text-field\": [\"get\", \"name\"], \"text-size\": 14, \"symbol-placement\": \"line-center\"}}]}";

struct scene {
    struct fixture f;
    struct pk_style *style;
    struct pk_render_layers *layers;
    struct pk_worker w;
    uint32_t range[4];       /* the towns' tiles at zoom Z */
};

static int setup(void **state)
{
    struct scene *S = calloc(1, sizeof *S);
    if (!S || fx_open(&S->f, "test_tiler_raster", "EPSG:4549") != 0)
        return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/layers/kunshan-towns.geojson", source_dir());
    struct pk_load_opts lo = {.source = path, .name = "towns"};
    char river[400];
    fx_path(&S->f, "river.geojson", river, sizeof river);
    struct pk_load_opts ro = {.source = river, .name = "river"};
    if (fx_write(&S->f, "river.geojson", RIVER) != 0 || pk_layer_load(S->f.store, &ro, NULL, NULL, NULL) != PK_OK ||
        pk_layer_load(S->f.store, &lo, NULL, NULL, NULL) != PK_OK ||
        pk_style_parse(S->f.ctx, "test style", STYLE, S->f.store, &S->style) != PK_OK ||
        pk_render_bind(S->f.store, S->style, &S->layers) != PK_OK)
        return fprintf(stderr, "%s\n", pk_errmsg(S->f.ctx)), -1;
    struct pk_worker_conf conf;
    pk_worker_conf_init(&conf, S->f.store);
    if (pk_worker_init(&S->w, S->f.ctx, &conf) != PK_OK)
        return -1;
    /* the towns' extent (120.8057,31.1074 - 121.1621,31.5420) as tiles of zoom Z */
    double n = ldexp(1.0, Z), lat[2] = {31.5420, 31.1074};
    S->range[0] = (uint32_t)floor((120.8057 + 180) / 360 * n);
    S->range[2] = (uint32_t)floor((121.1621 + 180) / 360 * n);
    for (int i = 0; i < 2; i++) {
        double r = lat[i] * M_PI / 180;
        S->range[1 + 2 * i] = (uint32_t)floor((1 - log(tan(r) + 1 / cos(r)) / M_PI) / 2 * n);
    }
    *state = S;
    return 0;
}

static int teardown(void **state)
{
    struct scene *S = *state;
    pk_worker_release(&S->w);
    pk_render_layers_free(S->layers);
    pk_style_free(S->style);
    fx_close(&S->f);
    free(S);
    return 0;
}

static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
    const unsigned char *d = cairo_image_surface_get_data(s);
    return ((const uint32_t *)(const void *)(d + (size_t)y * cairo_image_surface_get_stride(s)))[x];
}

static int channel_diff(uint32_t a, uint32_t b)
{
    int m = 0;
    for (int k = 0; k < 32; k += 8)
        m = fmax(m, abs((int)((a >> k) & 0xff) - (int)((b >> k) & 0xff)));
    return m;
}

/* Pixels of the label's text colour (near black) in the box x0..x1, y0..y1 of s. */
static int dark_pixels(cairo_surface_t *s, int x0, int y0, int x1, int y1)
{
    int n = 0, w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < w; x++)
            n += (pixel(s, x, y) & 0xffffff) < 0x303030;
    return n;
}

/* A label crossing a tile edge is drawn identically by both tiles: the 2x2
 * block around it, drawn at once, against its four tiles drawn alone. */
static void test_label_across_tiles(void **state)
{
    struct scene *S = *state;
    struct pk_label_set *set = NULL;
    assert_int_equal(pk_raster_place_labels(&S->w, S->layers, Z, 1, S->range, &set), PK_OK);
    double box[4];
    const char *text = NULL;
    int found = 0;
    for (int i = 0; !found && pk_label_set_box(set, NAMES_LAYER, i, box, &text); i++)
        found = floor(box[0] / 256) != floor(box[2] / 256) && floor(box[1] / 256) == floor(box[3] / 256);
    assert_true(found); /* some town name straddles a vertical tile edge */
    uint32_t x0 = (uint32_t)floor(box[2] / 256) - 1, y0 = (uint32_t)floor(box[1] / 256);
    struct pk_raster_zoom Zm = {.layers = S->layers, .labels = set, .z = Z, .scale = 1};
    cairo_surface_t *block = NULL, *tile[4] = {NULL};
    assert_int_equal(pk_raster_draw_block(&S->w, &Zm, x0, y0, 2, 2, &block, NULL), PK_OK);
    for (int k = 0; k < 4; k++)
        assert_int_equal(pk_raster_draw_block(&S->w, &Zm, x0 + k % 2, y0 + k / 2, 1, 1, &tile[k], NULL), PK_OK);
    /* the label's box: the same pixels in the block and in each tile */
    int worst = 0, off = 0, worst_off = 0;
    const int M = PK_RASTER_BLOCK_MARGIN;
    for (int k = 0; k < 4; k++)
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++) {
                int gx = (int)(x0 + k % 2) * 256 + x, gy = (int)(y0 + k / 2) * 256 + y;
                int d = channel_diff(pixel(tile[k], M + x, M + y), pixel(block, M + 256 * (k % 2) + x, M + 256 * (k / 2) + y));
                if (gx >= box[0] && gx < box[2] && gy >= box[1] && gy < box[3])
                    worst = fmax(worst, d);
                off += d > 2;
                worst_off = fmax(worst_off, d);
            }
    assert_in_range(worst, 0, 2);
    /* elsewhere too, but for the antialiasing of a few edge pixels where Cairo
     * cuts paths at the image's edges: under 0.05 % of the pixels, by under 1/8 */
    assert_in_range(off, 0, 4 * 256 * 256 / 2000);
    assert_in_range(worst_off, 0, 32);
    /* and the label is there, on both sides of the edge, in the left and right tiles */
    int bx0 = (int)(box[0] - x0 * 256.0), bx1 = (int)(box[2] - x0 * 256.0), by0 = (int)(box[1] - y0 * 256.0),
        by1 = (int)ceil(box[3] - y0 * 256.0);
    assert_true(dark_pixels(tile[0], M + bx0, M + by0, M + 256, M + by1) > 5);
    assert_true(dark_pixels(tile[1], M, M + by0, M + bx1 - 256, M + by1) > 5);
    print_message("label '%s' across the edge x = %u: worst channel difference %d in its box; elsewhere %d pixels "
                  "differ (by up to %d)\n", text, (x0 + 1) * 256, worst, off, worst_off);
    for (int k = 0; k < 4; k++)
        cairo_surface_destroy(tile[k]);
    cairo_surface_destroy(block);
    pk_label_set_free(set);
}

/* No two placed labels overlap, and every town in view got a label or was
 * counted as dropped. */
static void test_no_collisions(void **state)
{
    struct scene *S = *state;
    for (int z = 9; z <= 13; z++) {
        struct pk_label_set *set = NULL;
        uint32_t r[4];
        double n = ldexp(1.0, z - Z);
        for (int k = 0; k < 4; k++)
            r[k] = (uint32_t)floor(S->range[k] * n);
        assert_int_equal(pk_raster_place_labels(&S->w, S->layers, z, 1, r, &set), PK_OK);
        long placed, dropped;
        pk_label_set_counts(set, &placed, &dropped);
        assert_int_equal(placed + dropped, 12); /* the 12 towns */
        assert_true(placed > 0);
        double a[4], b[4];
        const char *ta, *tb;
        for (int i = 0; pk_label_set_box(set, NAMES_LAYER, i, a, &ta); i++)
            for (int j = i + 1; pk_label_set_box(set, NAMES_LAYER, j, b, &tb); j++)
                assert_false(a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]);
        if (z == 9)
            assert_true(dropped > 0); /* 22 px names cannot all fit at zoom 9 */
        pk_label_set_free(set);
    }
}

/* Encode tile (1, 0) of a 2x1 block and decode it with Cairo's reader. */
static void png_round_trip(int translucent)
{
    const int M = PK_RASTER_BLOCK_MARGIN;
    cairo_surface_t *block = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 512 + 2 * M, 256 + 2 * M);
    cairo_t *cr = cairo_create(block);
    cairo_pattern_t *p = cairo_pattern_create_linear(0, 0, 512 + 2 * M, 256 + 2 * M);
    cairo_pattern_add_color_stop_rgba(p, 0, 1, 0, 0, translucent ? 0.3 : 1);
    cairo_pattern_add_color_stop_rgba(p, 1, 0, 0.5, 1, 1);
    cairo_set_source(cr, p);
    cairo_paint(cr);
    cairo_pattern_destroy(p);
    cairo_destroy(cr);
    cairo_surface_flush(block);
    struct pk_ctx *ctx = pk_ctx_new();
    struct pk_tbuf png = {0};
    assert_int_equal(pk_raster_tile_png(ctx, block, 1, 1, 0, &png), PK_OK);
    char path[] = "/tmp/plankit-test-png-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, png.data, png.len), (ssize_t)png.len);
    close(fd);
    cairo_surface_t *back = cairo_image_surface_create_from_png(path);
    unlink(path);
    assert_int_equal(cairo_surface_status(back), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(back), 256);
    int worst = 0;
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++)
            worst = fmax(worst, channel_diff(pixel(back, x, y), pixel(block, M + 256 + x, M + y)));
    assert_in_range(worst, 0, translucent ? 2 : 0); /* premultiplied alpha rounds */
    assert_int_equal(png.data[25], translucent ? 6 : 2); /* IHDR colour type: RGBA, or RGB when opaque */
    cairo_surface_destroy(back);
    cairo_surface_destroy(block);
    pk_tbuf_free(&png);
    pk_ctx_free(ctx);
}

static void test_png_opaque(void **state)
{
    (void)state;
    png_round_trip(0);
}

static void test_png_translucent(void **state)
{
    (void)state;
    png_round_trip(1);
}

/* Refusals leave no output; force replaces an output once the new one is complete. */
static void test_outputs(void **state)
{
    struct scene *S = *state;
    char style[400], out[400], bad[400];
    fx_path(&S->f, "style.json", style, sizeof style);
    fx_path(&S->f, "towns.pmtiles", out, sizeof out);
    fx_path(&S->f, "bad.json", bad, sizeof bad);
    assert_int_equal(fx_write(&S->f, "style.json", STYLE), 0);
    assert_int_equal(fx_write(&S->f, "bad.json", "{\"version\": 8, \"layers\": ["), 0);
    double bbox[4] = {120.95, 31.35, 121.0, 31.40};
    struct pk_raster_opts o = {.style = style, .output = out, .minzoom = 11, .maxzoom = 12, .bbox = bbox};
    struct pk_raster_result res;
    struct stat st;
    assert_int_equal(pk_tiles_raster(S->f.store, &o, &res, NULL, NULL), PK_OK);
    assert_true(res.tiles >= 2 && res.labels > 0);
    assert_int_equal(stat(out, &st), 0);
    off_t size = st.st_size;
    assert_int_equal(pk_tiles_raster(S->f.store, &o, NULL, NULL, NULL), PK_ERR_EXISTS);
    o.force = 1;
    o.style = bad; /* a failing replacement keeps the old output as it was */
    assert_int_not_equal(pk_tiles_raster(S->f.store, &o, NULL, NULL, NULL), PK_OK);
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_size, size);
    o.style = style;
    o.scale = 2; /* 512-pixel tiles: a bigger file replaces the old one */
    assert_int_equal(pk_tiles_raster(S->f.store, &o, &res, NULL, NULL), PK_OK);
    assert_int_equal(stat(out, &st), 0);
    assert_true(st.st_size > size);
    char replaced[420];
    snprintf(replaced, sizeof replaced, "%s.new", out);
    assert_int_not_equal(stat(replaced, &st), 0);
    o.scale = 3;
    assert_int_equal(pk_tiles_raster(S->f.store, &o, NULL, NULL, NULL), PK_ERR_ARGS);
}

static void world_px(int z, double lon, double lat, double *x, double *y)
{
    double n = ldexp(256, z), r = lat * M_PI / 180;
    *x = (lon + 180) / 360 * n;
    *y = (1 - log(tan(r) + 1 / cos(r)) / M_PI) / 2 * n;
}

/* Labels along a line: each character on the line, turned with it, in
 * reading order, repeated along it (line) or once at its middle (line-center). */
static void test_labels_along_lines(void **state)
{
    struct scene *S = *state;
    struct pk_style *style = NULL;
    struct pk_render_layers *layers = NULL;
    struct pk_label_set *set = NULL;
    assert_int_equal(pk_style_parse(S->f.ctx, "river style", RIVER_STYLE, S->f.store, &style), PK_OK);
    assert_int_equal(pk_render_bind(S->f.store, style, &layers), PK_OK);
    const int z = 13;
    double ax, ay, bx, by;
    world_px(z, 120.90, 31.30, &ax, &ay);
    world_px(z, 121.10, 31.40, &bx, &by);
    uint32_t range[4] = {(uint32_t)(ax / 256), (uint32_t)(by / 256), (uint32_t)(bx / 256), (uint32_t)(ay / 256)};
    assert_int_equal(pk_raster_place_labels(&S->w, layers, z, 1, range, &set), PK_OK);
    double len = hypot(bx - ax, by - ay), angle = atan2(by - ay, bx - ax);
    int along = 0, centre = 0;
    for (int layer = 0; layer < 2; layer++)
        for (int i = 0;; i++) {
            double x, y, a, px = 0, box[4];
            const char *text;
            if (!pk_label_set_box(set, layer, i, box, &text))
                break;
            assert_string_equal(text, "测试河道");
            for (int k = 0; pk_label_set_glyph(set, layer, i, k, &x, &y, &a); k++) {
                double off = fabs((x - ax) * (by - ay) - (y - ay) * (bx - ax)) / len; /* distance to the line */
                assert_true(off < 0.5);
                assert_true(fabs(a - angle) < 1e-6);
                assert_true(k == 0 || x > px + 5); /* left to right, a character apart */
                px = x;
                if (layer == 1 && k == 1) /* the middle of the 4 characters is at the middle of the line */
                    assert_true(fabs(x + 7 - (ax + bx) / 2) < 3);
                assert_true(k < 4);
            }
            *(layer ? &centre : &along) += 1;
        }
    print_message("%d labels along the river, %d at its middle\n", along, centre);
    assert_int_equal(centre, 1);
    assert_true(along >= 2); /* the line is about 2400 px long at zoom 13; the middle is taken (the
                              * top layer's labels are placed first) */
    pk_label_set_free(set);
    pk_render_layers_free(layers);
    pk_style_free(style);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_across_tiles),
        cmocka_unit_test(test_no_collisions),
        cmocka_unit_test(test_labels_along_lines),
        cmocka_unit_test(test_png_opaque),
        cmocka_unit_test(test_png_translucent),
        cmocka_unit_test(test_outputs),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    pk_raster_release_caches(); /* Pango's, Cairo's and fontconfig's caches: LeakSanitizer sees only real leaks */
    return failed;
}
