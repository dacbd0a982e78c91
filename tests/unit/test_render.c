/* test_render.c — the Cairo drawing core on the bundled Kunshan towns: a
 * small test style (tests/data/style-towns.json) rendered to a PNG, read
 * back, and checked against pixels computed independently of the renderer
 * (the towns' GeoJSON read with GEOS, projected with PROJ straight from
 * WGS84 to Web Mercator): the background at a corner, a town's fill at a
 * point inside it, the border line along two towns' shared edge, and the
 * labels; the label collision index and font list on their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include <json-c/json.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <proj.h>

#include "render_int.h"
#include "fixture.h"

static const char *source_dir(void)
{
    const char *d = getenv("PLANKIT_SOURCE_DIR");
    return d && *d ? d : ".";
}

/* ---- the towns, read independently of the store */

struct towns {
    GEOSContextHandle_t h;
    int n;
    char *names[32];
    GEOSGeometry *geoms[32];  /* WGS84 lon/lat */
    PJ *merc;                 /* EPSG:4326 -> EPSG:3857, lon/lat order */
};

static void towns_read(struct towns *T)
{
    char path[512];
    snprintf(path, sizeof path, "%s/layers/kunshan-towns.geojson", source_dir());
    struct json_object *doc = json_object_from_file(path), *feats;
    assert_non_null(doc);
    assert_true(json_object_object_get_ex(doc, "features", &feats));
    T->h = GEOS_init_r();
    GEOSGeoJSONReader *r = GEOSGeoJSONReader_create_r(T->h);
    for (size_t i = 0; i < json_object_array_length(feats) && T->n < 32; i++) {
        struct json_object *f = json_object_array_get_idx(feats, i), *props, *name, *geom;
        assert_true(json_object_object_get_ex(f, "properties", &props));
        assert_true(json_object_object_get_ex(props, "name", &name));
        assert_true(json_object_object_get_ex(f, "geometry", &geom));
        T->names[T->n] = strdup(json_object_get_string(name));
        T->geoms[T->n] = GEOSGeoJSONReader_readGeometry_r(T->h, r, json_object_to_json_string(geom));
        assert_non_null(T->geoms[T->n]);
        T->n++;
    }
    GEOSGeoJSONReader_destroy_r(T->h, r);
    json_object_put(doc);
    PJ *p = proj_create_crs_to_crs(NULL, "EPSG:4326", "EPSG:3857", NULL);
    assert_non_null(p);
    T->merc = proj_normalize_for_visualization(NULL, p);
    proj_destroy(p);
    assert_non_null(T->merc);
}

static void towns_free(struct towns *T)
{
    for (int i = 0; i < T->n; i++) {
        free(T->names[i]);
        GEOSGeom_destroy_r(T->h, T->geoms[i]);
    }
    proj_destroy(T->merc);
    GEOS_finish_r(T->h);
}

static int town(const struct towns *T, const char *name)
{
    for (int i = 0; i < T->n; i++)
        if (!strcmp(T->names[i], name))
            return i;
    fail_msg("no town %s", name);
    return -1;
}

static void to_merc(const struct towns *T, double lon, double lat, double *x, double *y)
{
    PJ_COORD c = proj_trans(T->merc, PJ_FWD, proj_coord(lon, lat, 0, 0));
    *x = c.xy.x;
    *y = c.xy.y;
}

/* A WGS84 point to the pixel of the view it falls in. */
static void to_pixel(const struct towns *T, const struct pk_render_view *v, double lon, double lat, int *px, int *py)
{
    double x, y;
    to_merc(T, lon, lat, &x, &y);
    *px = (int)floor((x - v->bbox[0]) / (v->bbox[2] - v->bbox[0]) * v->width);
    *py = (int)floor((v->bbox[3] - y) / (v->bbox[3] - v->bbox[1]) * v->height);
}

static void point_xy(const struct towns *T, const GEOSGeometry *p, double *x, double *y)
{
    assert_int_equal(GEOSGeomGetX_r(T->h, p, x), 1);
    assert_int_equal(GEOSGeomGetY_r(T->h, p, y), 1);
}

/* ---- pixels of a PNG */

struct image {
    cairo_surface_t *s;
    unsigned char *data;
    int stride, width, height;
};

static void image_read(struct image *im, const char *path)
{
    im->s = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(im->s), CAIRO_STATUS_SUCCESS);
    im->data = cairo_image_surface_get_data(im->s);
    im->stride = cairo_image_surface_get_stride(im->s);
    im->width = cairo_image_surface_get_width(im->s);
    im->height = cairo_image_surface_get_height(im->s);
}

/* The opaque pixel at x, y as r, g, b. */
static void pixel(const struct image *im, int x, int y, int rgb[3])
{
    assert_true(x >= 0 && y >= 0 && x < im->width && y < im->height);
    uint32_t p = *(const uint32_t *)(const void *)(im->data + y * im->stride + 4 * x);
    rgb[0] = (int)(p >> 16 & 0xff);
    rgb[1] = (int)(p >> 8 & 0xff);
    rgb[2] = (int)(p & 0xff);
}

static void expect_pixel(const struct image *im, int x, int y, int r, int g, int b, int tol, const char *what)
{
    int c[3];
    pixel(im, x, y, c);
    if (abs(c[0] - r) > tol || abs(c[1] - g) > tol || abs(c[2] - b) > tol)
        fail_msg("%s at %d,%d: got %d,%d,%d want %d,%d,%d", what, x, y, c[0], c[1], c[2], r, g, b);
}

/* Pixels of exactly r, g, b in the box of half-sizes hw, hh around x, y. */
static int pixels_of(const struct image *im, int x, int y, int hw, int hh, int r, int g, int b)
{
    int n = 0, c[3];
    for (int j = y - hh; j <= y + hh; j++)
        for (int i = x - hw; i <= x + hw; i++)
            if (i >= 0 && j >= 0 && i < im->width && j < im->height) {
                pixel(im, i, j, c);
                n += c[0] == r && c[1] == g && c[2] == b;
            }
    return n;
}

/* Pixels near black (text) in the box of half-sizes hw, hh around x, y. */
static int dark_pixels(const struct image *im, int x, int y, int hw, int hh)
{
    int n = 0, c[3];
    for (int j = y - hh; j <= y + hh; j++)
        for (int i = x - hw; i <= x + hw; i++)
            if (i >= 0 && j >= 0 && i < im->width && j < im->height) {
                pixel(im, i, j, c);
                n += c[0] < 80 && c[1] < 80 && c[2] < 80;
            }
    return n;
}

/* ---- the store, style, view and render */

struct scene {
    struct fixture f;
    struct towns T;
    struct pk_style *style;
    struct pk_render_view view;
};

static int setup(void **state)
{
    struct scene *S = calloc(1, sizeof *S);
    if (!S || fx_open(&S->f, "test_render", "EPSG:4549") != 0)
        return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/layers/kunshan-towns.geojson", source_dir());
    struct pk_load_opts lo = {.source = path, .name = "towns"};
    if (pk_layer_load(S->f.store, &lo, NULL, NULL, NULL) != PK_OK)
        return fprintf(stderr, "%s\n", pk_errmsg(S->f.ctx)), -1;
    snprintf(path, sizeof path, "%s/tests/data/style-towns.json", source_dir());
    if (pk_style_load(S->f.ctx, path, S->f.store, &S->style) != PK_OK)
        return fprintf(stderr, "%s\n", pk_errmsg(S->f.ctx)), -1;
    towns_read(&S->T);
    /* the towns' extent with a margin, 600 px wide */
    double x0, y0, x1, y1;
    to_merc(&S->T, 120.805664 - 0.02, 31.107422 - 0.02, &x0, &y0);
    to_merc(&S->T, 121.162109 + 0.02, 31.541992 + 0.02, &x1, &y1);
    S->view = (struct pk_render_view){.zoom = 10, .bbox = {x0, y0, x1, y1}, .width = 600,
                                      .height = (int)lround(600 * (y1 - y0) / (x1 - x0))};
    *state = S;
    return 0;
}

static int teardown(void **state)
{
    struct scene *S = *state;
    pk_style_free(S->style);
    towns_free(&S->T);
    fx_close(&S->f);
    free(S);
    return 0;
}

/* Render the scene's style at zoom into a PNG in the fixture folder, read it back. */
static void render_png(struct scene *S, const struct pk_style *style, double zoom, const char *name,
                       struct image *im, struct pk_render_stats *stats)
{
    struct pk_worker w;
    struct pk_worker_conf conf;
    pk_worker_conf_init(&conf, S->f.store);
    assert_int_equal(pk_worker_init(&w, S->f.ctx, &conf), PK_OK);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, S->view.width, S->view.height);
    cairo_t *cr = cairo_create(surf);
    struct pk_render_view v = S->view;
    v.zoom = zoom;
    struct pk_render_layers *bound;
    if (pk_render_bind(S->f.store, style, &bound) != PK_OK)
        fail_msg("bind: %s", pk_errmsg(S->f.ctx));
    int rc = pk_render_map(&w, bound, &v, cr, stats);
    if (rc != PK_OK)
        fail_msg("render: %s", pk_errmsg(S->f.ctx));
    pk_render_layers_free(bound);
    cairo_destroy(cr);
    char path[400];
    fx_path(&S->f, name, path, sizeof path);
    assert_int_equal(cairo_surface_write_to_png(surf, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(surf);
    pk_worker_release(&w);
    image_read(im, path);
}

static void test_fills_lines_background(void **state)
{
    struct scene *S = *state;
    struct image im;
    struct pk_render_stats st;
    render_png(S, S->style, 10, "z10.png", &im, &st);
    assert_int_equal(st.labels_placed + st.labels_dropped, 0); /* labels start at zoom 10.5 */
    assert_int_equal(st.features, 2 * S->T.n);                  /* every town filled and outlined */
    expect_pixel(&im, 1, 1, 240, 240, 240, 0, "background");
    expect_pixel(&im, im.width - 2, im.height - 2, 240, 240, 240, 0, "background");
    /* 张浦镇: opaque red, around a point inside it */
    GEOSContextHandle_t h = S->T.h;
    GEOSGeometry *p = GEOSPointOnSurface_r(h, S->T.geoms[town(&S->T, "张浦镇")]);
    double lon, lat;
    int px, py;
    point_xy(&S->T, p, &lon, &lat);
    GEOSGeom_destroy_r(h, p);
    to_pixel(&S->T, &S->view, lon, lat, &px, &py);
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
            expect_pixel(&im, px + dx, py + dy, 255, 0, 0, 1, "张浦镇 fill");
    /* 周庄镇: hsl(120, 100%, 25%) = (0, 128, 0) at opacity 0.5 over the background */
    p = GEOSPointOnSurface_r(h, S->T.geoms[town(&S->T, "周庄镇")]);
    point_xy(&S->T, p, &lon, &lat);
    GEOSGeom_destroy_r(h, p);
    to_pixel(&S->T, &S->view, lon, lat, &px, &py);
    expect_pixel(&im, px, py, 120, 184, 120, 2, "周庄镇 fill");
    assert_int_equal(dark_pixels(&im, px, py, 40, 12), 0);                  /* no label below minzoom */
    assert_int_equal(pixels_of(&im, px, py, 40, 12, 255, 255, 255), 0);
    cairo_surface_destroy(im.s);
}

/* The middle of the longest edge 张浦镇 shares with another town. */
static void shared_border_point(const struct towns *T, double *lon, double *lat)
{
    int z = town(T, "张浦镇");
    GEOSGeometry *bz = GEOSBoundary_r(T->h, T->geoms[z]), *best = NULL;
    double best_len = 0;
    for (int i = 0; i < T->n; i++) {
        if (i == z)
            continue;
        GEOSGeometry *bi = GEOSBoundary_r(T->h, T->geoms[i]);
        GEOSGeometry *common = GEOSIntersection_r(T->h, bz, bi);
        GEOSGeometry *merged = common ? GEOSLineMerge_r(T->h, common) : NULL;
        GEOSGeom_destroy_r(T->h, bi);
        if (common)
            GEOSGeom_destroy_r(T->h, common);
        for (int k = 0; merged && k < GEOSGetNumGeometries_r(T->h, merged); k++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(T->h, merged, k);
            double len = 0;
            GEOSLength_r(T->h, part, &len);
            if (len > best_len) {
                if (best)
                    GEOSGeom_destroy_r(T->h, best);
                best = GEOSGeom_clone_r(T->h, part);
                best_len = len;
            }
        }
        if (merged)
            GEOSGeom_destroy_r(T->h, merged);
    }
    GEOSGeom_destroy_r(T->h, bz);
    assert_non_null(best);
    assert_true(best_len > 0.01); /* about a kilometre at least */
    GEOSGeometry *mid = GEOSInterpolateNormalized_r(T->h, best, 0.5);
    point_xy(T, mid, lon, lat);
    GEOSGeom_destroy_r(T->h, mid);
    GEOSGeom_destroy_r(T->h, best);
}

static void test_border_line(void **state)
{
    struct scene *S = *state;
    struct image im;
    render_png(S, S->style, 10, "z10.png", &im, NULL);
    double lon, lat;
    int px, py;
    shared_border_point(&S->T, &lon, &lat);
    to_pixel(&S->T, &S->view, lon, lat, &px, &py);
    /* line-width 4 at zoom 10: the pixel holding the border is all blue */
    expect_pixel(&im, px, py, 0, 0, 255, 2, "border");
    cairo_surface_destroy(im.s);
    /* at zoom 8 the line is 2 px wide: still blue on the edge, and thinner */
    render_png(S, S->style, 8, "z8.png", &im, NULL);
    expect_pixel(&im, px, py, 0, 0, 255, 40, "border at zoom 8");
    cairo_surface_destroy(im.s);
}

static void test_labels(void **state)
{
    struct scene *S = *state;
    struct image im;
    struct pk_render_stats st;
    render_png(S, S->style, 11, "z11.png", &im, &st);
    assert_int_equal(st.labels_placed + st.labels_dropped, S->T.n);
    assert_true(st.labels_placed >= S->T.n / 2);
    /* dark text around the point inside 周庄镇 (its label anchor) */
    GEOSGeometry *p = GEOSPointOnSurface_r(S->T.h, S->T.geoms[town(&S->T, "周庄镇")]);
    double lon, lat;
    int px, py;
    point_xy(&S->T, p, &lon, &lat);
    GEOSGeom_destroy_r(S->T.h, p);
    to_pixel(&S->T, &S->view, lon, lat, &px, &py);
    assert_true(dark_pixels(&im, px, py, 40, 12) > 20);
    assert_true(pixels_of(&im, px, py, 40, 12, 255, 255, 255) > 20); /* the white halo */
    cairo_surface_destroy(im.s);

    /* huge labels collide: some are dropped */
    char path[512], *text = NULL;
    snprintf(path, sizeof path, "%s/tests/data/style-towns.json", source_dir());
    struct json_object *doc = json_object_from_file(path), *layers, *layout;
    assert_true(json_object_object_get_ex(doc, "layers", &layers));
    assert_true(json_object_object_get_ex(json_object_array_get_idx(layers, 3), "layout", &layout));
    json_object_object_add(layout, "text-size", json_object_new_int(90));
    text = strdup(json_object_to_json_string(doc));
    json_object_put(doc);
    struct pk_style *big;
    assert_int_equal(pk_style_parse(S->f.ctx, "big.json", text, S->f.store, &big), PK_OK);
    free(text);
    render_png(S, big, 11, "big.png", &im, &st);
    assert_int_equal(st.labels_placed + st.labels_dropped, S->T.n);
    assert_true(st.labels_dropped > 0);
    assert_true(st.labels_placed > 0);
    cairo_surface_destroy(im.s);
    pk_style_free(big);
}

/* ---- circles and dashed lines on small layers in EPSG:4549 */

#define MARKS_STYLE "{\"version\": 8, \"sources\": {\"p\": {\"type\": \"vector\"}}, \"layers\": [" \
    "{\"id\": \"bg\", \"type\": \"background\", \"paint\": {\"background-color\": \"white\"}}," \
    "{\"id\": \"road\", \"type\": \"line\", \"source\": \"p\", \"source-layer\": \"roads\"," \
    " \"paint\": {\"line-color\": \"#0000ff\", \"line-width\": 6, \"line-opacity\": [\"get\", \"op\"]," \
    " \"line-dasharray\": [\"literal\", [2, 2]]}}," \
    "{\"id\": \"mark\", \"type\": \"circle\", \"source\": \"p\", \"source-layer\": \"marks\"," \
    " \"filter\": [\"==\", \"kind\", \"a\"], \"paint\": {\"circle-radius\": 8, \"circle-color\": \"red\"," \
    " \"circle-stroke-width\": 2, \"circle-stroke-color\": \"black\"}}]}"

static void test_circles_and_dashes(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fx_open(&f, "test_render_marks", "EPSG:4549"), 0);
    assert_int_equal(fx_write(&f, "marks.geojson", "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"a\"},\"geometry\":{\"type\":\"Point\","
        "\"coordinates\":[600500,3430500]}},"
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"b\"},\"geometry\":{\"type\":\"Point\","
        "\"coordinates\":[601500,3430500]}}]}\n"), 0);
    assert_int_equal(fx_write(&f, "roads.geojson", "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"op\":0.5},\"geometry\":{\"type\":\"LineString\","
        "\"coordinates\":[[600000,3430000],[602000,3430000]]}}]}\n"), 0);
    assert_int_equal(fx_load(&f, "marks.geojson", "marks", NULL), PK_OK);
    assert_int_equal(fx_load(&f, "roads.geojson", "roads", NULL), PK_OK);
    struct pk_style *style;
    assert_int_equal(pk_style_parse(f.ctx, "marks.json", MARKS_STYLE, f.store, &style), PK_OK);
    /* EPSG:4549 -> EPSG:3857 by PROJ, independently of the renderer */
    PJ *p = proj_create_crs_to_crs(NULL, "EPSG:4549", "EPSG:3857", NULL), *tr = proj_normalize_for_visualization(NULL, p);
    proj_destroy(p);
    PJ_COORD a = proj_trans(tr, PJ_FWD, proj_coord(600000, 3430000, 0, 0));
    PJ_COORD b = proj_trans(tr, PJ_FWD, proj_coord(602000, 3430000, 0, 0));
    PJ_COORD m = proj_trans(tr, PJ_FWD, proj_coord(600500, 3430500, 0, 0));
    proj_destroy(tr);
    /* 5 Mercator metres a pixel, the line 200 px from the left edge's 50 px */
    double x0 = a.xy.x - 250, y1 = a.xy.y + 1000;
    struct pk_render_view v = {.zoom = 14, .bbox = {x0, y1 - 1500, x0 + 3000, y1}, .width = 600, .height = 300};
    struct pk_worker w;
    struct pk_worker_conf conf;
    pk_worker_conf_init(&conf, f.store);
    assert_int_equal(pk_worker_init(&w, f.ctx, &conf), PK_OK);
    struct pk_render_layers *bound;
    assert_int_equal(pk_render_bind(f.store, style, &bound), PK_OK);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, v.width, v.height);
    cairo_t *cr = cairo_create(surf);
    struct pk_render_stats st;
    assert_int_equal(pk_render_map(&w, bound, &v, cr, &st), PK_OK);
    assert_int_equal(st.features, 2); /* the road and mark a; mark b is filtered out */
    cairo_destroy(cr);
    char path[400];
    fx_path(&f, "marks.png", path, sizeof path);
    assert_int_equal(cairo_surface_write_to_png(surf, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(surf);
    struct image im;
    image_read(&im, path);
    /* the circle: red inside, its 2 px stroke just outside the radius, white beyond */
    int cx = (int)floor((m.xy.x - x0) / 5), cy = (int)floor((y1 - m.xy.y) / 5);
    expect_pixel(&im, cx, cy, 255, 0, 0, 1, "circle");
    expect_pixel(&im, cx + 5, cy, 255, 0, 0, 1, "circle");
    int dark = 0;
    for (int dx = 8; dx <= 10; dx++) {
        int c[3];
        pixel(&im, cx + dx, cy, c);
        dark += c[0] < 100 && c[1] < 100 && c[2] < 100;
    }
    assert_true(dark >= 1);
    expect_pixel(&im, cx + 13, cy, 255, 255, 255, 0, "outside the circle");
    /* mark b (filtered out) is not drawn */
    PJ_COORD mb = {{m.xy.x + (b.xy.x - a.xy.x) / 2, m.xy.y + (b.xy.y - a.xy.y) / 2, 0, 0}};
    expect_pixel(&im, (int)floor((mb.xy.x - x0) / 5), (int)floor((y1 - mb.xy.y) / 5), 255, 255, 255, 0, "mark b");
    /* the road: 6 px wide, dashes of 12 px on, 12 px off, blue at opacity 0.5 over white */
    double len = hypot(b.xy.x - a.xy.x, b.xy.y - a.xy.y) / 5; /* px */
    for (int k = 0; k < 6; k++) {
        double d = 6 + 12 * k, t = d / len;
        int px = (int)floor((a.xy.x + t * (b.xy.x - a.xy.x) - x0) / 5);
        int py = (int)floor((y1 - (a.xy.y + t * (b.xy.y - a.xy.y))) / 5);
        if (k % 2 == 0)
            expect_pixel(&im, px, py, 128, 128, 255, 2, "dash");
        else
            expect_pixel(&im, px, py, 255, 255, 255, 0, "gap");
    }
    cairo_surface_destroy(im.s);
    pk_render_layers_free(bound);
    pk_worker_release(&w);
    pk_style_free(style);
    fx_close(&f);
}

/* ---- the label index and fonts on their own */

static void test_collision_index(void **state)
{
    (void)state;
    struct pk_ctx *ctx = pk_ctx_new();
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 400, 200);
    cairo_t *cr = cairo_create(surf);
    struct pk_labels L = {0};
    struct pk_label_style s = {.size = 20, .color = {0, 0, 0, 1}, .halo = {255, 255, 255, 1}, .halo_width = 2};
    int placed;
    assert_int_equal(pk_labels_draw(ctx, cr, &L, "昆山市", &s, 100, 50, &placed), PK_OK);
    assert_int_equal(placed, 1);
    assert_int_equal(pk_labels_draw(ctx, cr, &L, "花桥", &s, 110, 55, &placed), PK_OK);
    assert_int_equal(placed, 0); /* overlaps the first */
    assert_int_equal(pk_labels_draw(ctx, cr, &L, "花桥", &s, 300, 150, &placed), PK_OK);
    assert_int_equal(placed, 1);
    assert_int_equal(pk_labels_draw(ctx, cr, &L, "\xff\xfe", &s, 300, 20, &placed), PK_OK);
    assert_int_equal(placed, -1); /* invalid UTF-8 is not drawn */
    assert_int_equal(pk_labels_draw(ctx, cr, &L, "", &s, 20, 150, &placed), PK_OK);
    assert_int_equal(placed, -1);
    assert_int_equal(L.n, 2);
    assert_false(L.boxes[0][0] < L.boxes[1][2] && L.boxes[1][0] < L.boxes[0][2] &&
                 L.boxes[0][1] < L.boxes[1][3] && L.boxes[1][1] < L.boxes[0][3]);
    /* the first label's box holds its centre and is wider than tall */
    assert_true(L.boxes[0][0] < 100 && L.boxes[0][2] > 100 && L.boxes[0][1] < 50 && L.boxes[0][3] > 50);
    assert_true(L.boxes[0][2] - L.boxes[0][0] > L.boxes[0][3] - L.boxes[0][1]);
    pk_labels_free(&L);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    pk_ctx_free(ctx);
}

static void test_font_list(void **state)
{
    (void)state;
    const struct pk_sv fonts[] = {{.type = PK_SV_STR, .s = "Noto Sans Bold"},
                                  {.type = PK_SV_STR, .s = "Arial Unicode MS Regular"}};
    char buf[256];
    int bold;
    pk_labels_families(fonts, 2, buf, sizeof buf, &bold);
    assert_string_equal(buf, "Noto Sans,Arial Unicode MS,Noto Sans CJK SC");
    assert_true(bold);
    pk_labels_families(NULL, 0, buf, sizeof buf, &bold);
    assert_string_equal(buf, "Open Sans,Arial Unicode MS,Noto Sans CJK SC");
    assert_false(bold);
    /* the CJK font at the end of every list has the glyphs of Chinese names */
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
    cairo_t *cr = cairo_create(surf);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(buf);
    pango_layout_set_font_description(layout, fd);
    pango_layout_set_text(layout, "昆山市花桥经济开发区", -1);
    assert_int_equal(pango_layout_get_unknown_glyphs_count(layout), 0);
    pango_font_description_free(fd);
    g_object_unref(layout);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
}

/* A bad view, and a style naming a layer the store lacks. */
static void test_bad_view(void **state)
{
    struct scene *S = *state;
    struct pk_worker w;
    struct pk_worker_conf conf;
    pk_worker_conf_init(&conf, S->f.store);
    assert_int_equal(pk_worker_init(&w, S->f.ctx, &conf), PK_OK);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
    cairo_t *cr = cairo_create(surf);
    struct pk_render_view v = S->view;
    v.bbox[2] = v.bbox[0];
    struct pk_render_layers *bound;
    assert_int_equal(pk_render_bind(S->f.store, S->style, &bound), PK_OK);
    assert_int_equal(pk_render_map(&w, bound, &v, cr, NULL), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(S->f.ctx), "bad map view"));
    pk_render_layers_free(bound);
    /* a style read without the store names a layer the store lacks: binding says so */
    struct pk_style *other;
    assert_int_equal(pk_style_parse(S->f.ctx, "other.json", "{\"version\": 8, \"sources\": {\"p\": {\"type\": "
                     "\"vector\"}}, \"layers\": [{\"id\": \"z\", \"type\": \"fill\", \"source\": \"p\", "
                     "\"source-layer\": \"zones\"}]}", NULL, &other), PK_OK);
    assert_int_equal(pk_render_bind(S->f.store, other, &bound), PK_ERR_NOTFOUND);
    assert_null(bound);
    assert_non_null(strstr(pk_errmsg(S->f.ctx), "style layer 'z'"));
    pk_style_free(other);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    pk_worker_release(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills_lines_background),
        cmocka_unit_test(test_border_line),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_bad_view),
        cmocka_unit_test(test_circles_and_dashes),
        cmocka_unit_test(test_collision_index),
        cmocka_unit_test(test_font_list),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    /* release Pango's, Cairo's and fontconfig's caches so LeakSanitizer sees only real leaks */
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
    return failed;
}
