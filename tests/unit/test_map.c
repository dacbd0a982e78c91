/* test_map.c — printed maps on a small store (two 1 km squares in
 * EPSG:4549, tests/data/squares-4549.geojson) and page sizes: the page's
 * size in pixels, each square's fill at its centre (placed from the map's
 * reported box and frame, not the renderer's arithmetic), the legend's
 * classes from a match on a property and its label from the metadata, the
 * scale bar against the grid distance (Gauss–Krüger: within its 0.02 %
 * scale error here), and what errors leave behind. The Kunshan maps in all
 * formats are tests/cli/t6110-map.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>

#include <cairo.h>

#include "plankit/map.h"
#include "fixture.h"

static const char *source_dir(void)
{
    const char *d = getenv("PLANKIT_SOURCE_DIR");
    return d && *d ? d : ".";
}

static void test_page_sizes(void **state)
{
    (void)state;
    struct pk_ctx *ctx = pk_ctx_new();
    double mm[2];
    assert_int_equal(pk_map_page_size(ctx, "A4", 0, 300, mm), PK_OK);
    assert_true(mm[0] == 210 && mm[1] == 297);
    assert_int_equal(pk_map_page_size(ctx, "a3", 1, 300, mm), PK_OK);
    assert_true(mm[0] == 420 && mm[1] == 297);
    assert_int_equal(pk_map_page_size(ctx, "A0", 0, 300, mm), PK_OK);
    assert_true(mm[0] == 841 && mm[1] == 1189);
    assert_int_equal(pk_map_page_size(ctx, "300x200mm", 0, 300, mm), PK_OK);
    assert_true(mm[0] == 300 && mm[1] == 200);
    assert_int_equal(pk_map_page_size(ctx, "200x300mm", 1, 300, mm), PK_OK); /* turned */
    assert_true(mm[0] == 300 && mm[1] == 200);
    assert_int_equal(pk_map_page_size(ctx, "1000x500px", 0, 100, mm), PK_OK);
    assert_true(fabs(mm[0] - 254) < 1e-9 && fabs(mm[1] - 127) < 1e-9);
    const char *bad[] = {"B5", "A5", "A", "A44", "10x", "x10mm", "10x10cm", "-5x10mm", "0x10mm", "nanx10mm",
                         "10x10mmx", "10x10", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pk_map_page_size(ctx, bad[i], 0, 300, mm), PK_ERR_ARGS);
        assert_non_null(strstr(pk_errmsg(ctx), "page size"));
    }
    pk_ctx_free(ctx);
}

static const char style_json[] =
    "{\"version\": 8, \"name\": \"squares\", \"sources\": {\"s\": {\"type\": \"vector\"}}, \"layers\": ["
    "{\"id\": \"bg\", \"type\": \"background\", \"paint\": {\"background-color\": \"#ffffff\"}},"
    "{\"id\": \"sq\", \"type\": \"fill\", \"source\": \"s\", \"source-layer\": \"squares\","
    " \"metadata\": {\"plankit:legend\": \"方块 squares\"},"
    " \"paint\": {\"fill-color\": [\"match\", [\"get\", \"name\"], \"A\", \"#ff0000\", \"B\", \"#0000ff\", \"#000000\"],"
    "            \"fill-outline-color\": \"#ff0000\"}}]}";

struct map_fx {
    struct fixture f;
    char style[400], out[400];
};

static int setup(void **state)
{
    static struct map_fx M;
    char src[512];
    if (fx_open(&M.f, "map", "EPSG:4549") != 0 || fx_write(&M.f, "style.json", style_json) != 0)
        return -1;
    snprintf(src, sizeof src, "%s/tests/data/squares-4549.geojson", source_dir());
    struct pk_load_opts lo = {.source = src, .name = "squares", .kind = "zone"};
    if (pk_layer_load(M.f.store, &lo, NULL, NULL, NULL) != PK_OK)
        return -1;
    fx_path(&M.f, "style.json", M.style, sizeof M.style);
    *state = &M;
    return 0;
}

static int teardown(void **state)
{
    struct map_fx *M = *state;
    fx_close(&M->f);
    pk_map_fonts_release();
    return 0;
}

/* The RGB of the pixel at page position x, y (mm) of a PNG at dpi. */
static unsigned pixel(cairo_surface_t *s, double x_mm, double y_mm, int dpi)
{
    int x = (int)(x_mm / 25.4 * dpi), y = (int)(y_mm / 25.4 * dpi);
    const unsigned char *d = cairo_image_surface_get_data(s);
    return *(const unsigned *)(d + (size_t)y * (size_t)cairo_image_surface_get_stride(s) + 4 * (size_t)x) & 0xffffff;
}

static void test_squares_png(void **state)
{
    struct map_fx *M = *state;
    fx_path(&M->f, "sq.png", M->out, sizeof M->out);
    struct pk_map_opts o = {.style = M->style, .output = M->out, .extent = "squares", .dpi = 100, .srid = 4549,
                            .no_north = 1, .date = "2026-01-01"};
    assert_int_equal(pk_map_page_size(M->f.ctx, "A4", 1, 100, o.page_mm), PK_OK);
    struct pk_map_result r;
    assert_int_equal(pk_map(M->f.store, &o, &r), PK_OK);
    assert_int_equal(r.pages, 1);
    assert_int_equal(r.nfiles, 1);
    assert_string_equal(r.files[0], M->out);
    assert_int_equal(r.srid, 4549);
    assert_int_equal(r.features, 2);
    /* the legend: the metadata's label, one class per square drawn, in the match's order */
    assert_int_equal(r.nlegend, 2);
    assert_string_equal(r.legend[0], "方块 squares · A");
    assert_string_equal(r.legend[1], "方块 squares · B");
    /* the page at 100 dpi */
    cairo_surface_t *s = cairo_image_surface_create_from_png(M->out);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(s), (int)(297 / 25.4 * 100 + 0.5));
    assert_int_equal(cairo_image_surface_get_height(s), (int)(210 / 25.4 * 100 + 0.5));
    /* each square's colour at its centre, placed from the reported box and frame */
    const double centres[2][2] = {{600500, 3430500}, {601500, 3430500}};
    const unsigned colours[2] = {0xff0000, 0x0000ff};
    for (int i = 0; i < 2; i++) {
        double x = r.frame_mm[0] + (centres[i][0] - r.bbox[0]) / (r.bbox[2] - r.bbox[0]) * r.frame_mm[2];
        double y = r.frame_mm[1] + (r.bbox[3] - centres[i][1]) / (r.bbox[3] - r.bbox[1]) * r.frame_mm[3];
        assert_int_equal(pixel(s, x, y, 100), colours[i]);
    }
    /* outside the squares, inside the frame: the background */
    double x = r.frame_mm[0] + (599960 - r.bbox[0]) / (r.bbox[2] - r.bbox[0]) * r.frame_mm[2];
    double y = r.frame_mm[1] + (r.bbox[3] - 3430500) / (r.bbox[3] - r.bbox[1]) * r.frame_mm[3];
    assert_int_equal(pixel(s, x, y, 100), 0xffffff);
    cairo_surface_destroy(s);
    /* the scale bar: a round length, at the grid's scale within Gauss-Krüger's error 100 km off the meridian */
    double grid_m_per_mm = (r.bbox[2] - r.bbox[0]) / r.frame_mm[2];
    assert_true(fabs(r.scalebar_m / r.scalebar_mm / grid_m_per_mm - 1) < 3e-4);
    double p = pow(10, floor(log10(r.scalebar_m))), lead = r.scalebar_m / p;
    assert_true(lead == 1 || lead == 2 || lead == 5);
    assert_true(r.scalebar_mm <= r.frame_mm[2] / 4 + 1e-9);
    pk_map_result_free(&r);
}

static void test_errors_leave_nothing(void **state)
{
    struct map_fx *M = *state;
    struct pk_map_opts o = {.style = M->style, .dpi = 100, .srid = 4549, .page_mm = {210, 297}};
    struct stat st;
    char out[400];
    fx_path(&M->f, "bad.svg", out, sizeof out);
    o.output = out;
    o.bbox = (const double[]){150, -40, 151, -39}; /* far from the squares: nothing to draw */
    o.srid = 3857;
    assert_int_equal(pk_map(M->f.store, &o, NULL), PK_ERR_NOTFOUND);
    assert_non_null(strstr(pk_errmsg(M->f.ctx), "meets no feature"));
    assert_int_not_equal(stat(out, &st), 0);
    o.bbox = NULL;
    o.extent = "squares:Z";
    assert_int_equal(pk_map(M->f.store, &o, NULL), PK_ERR_NOTFOUND);
    o.extent = NULL;
    o.dpi = 0;
    assert_int_equal(pk_map(M->f.store, &o, NULL), PK_ERR_ARGS);
    o.dpi = 100;
    fx_path(&M->f, "bad.gif", out, sizeof out);
    assert_int_equal(pk_map(M->f.store, &o, NULL), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(M->f.ctx), "unsupported output format '.gif'"));
    fx_path(&M->f, "bad.png", out, sizeof out);
    o.each = "squares";
    assert_int_equal(pk_map(M->f.store, &o, NULL), PK_ERR_ARGS); /* an atlas into one PNG */
    char cmd[600], listing[64] = "";
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c bad", M->f.dir);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    assert_non_null(fgets(listing, sizeof listing, fp));
    pclose(fp);
    assert_string_equal(listing, "0\n"); /* no output, no temporary file */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_sizes),
        cmocka_unit_test(test_squares_png),
        cmocka_unit_test(test_errors_leave_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
