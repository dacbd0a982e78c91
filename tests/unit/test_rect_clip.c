/* test_rect_clip.c — the rectangle clipper against GEOS: hand-made cases
 * (rectangle inside a polygon, inside a hole, a polygon inside the
 * rectangle, holes given to the right one of several pieces) and thousands
 * of random polygons with holes and several parts, on a coarse lattice so
 * that degenerate configurations come up often. Every result the clipper
 * accepts must be valid and equal to GEOS's intersection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rect_clip_int.h"

static GEOSContextHandle_t H;

static int setup(void **state)
{
    (void)state;
    H = GEOS_init_r();
    return H ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    GEOS_finish_r(H);
    return 0;
}

static GEOSGeometry *wkt(const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(H);
    GEOSGeometry *g = GEOSWKTReader_read_r(H, r, text);
    GEOSWKTReader_destroy_r(H, r);
    assert_non_null(g);
    return g;
}

static GEOSGeometry *box_geom(const double b[4])
{
    char text[256];
    snprintf(text, sizeof text, "POLYGON((%.17g %.17g,%.17g %.17g,%.17g %.17g,%.17g %.17g,%.17g %.17g))", b[0], b[1],
             b[2], b[1], b[2], b[3], b[0], b[3], b[0], b[1]);
    return wkt(text);
}

static double area_of(const GEOSGeometry *g)
{
    double a = 0;
    assert_int_equal(GEOSArea_r(H, g, &a), 1);
    return a;
}

/* Clip g by b. Returns the clipper's status; when it accepts, checks the
 * result against GEOS (valid, same area, symmetric difference empty). */
static int check_clip(const GEOSGeometry *g, const double b[4], struct pk_clip_out *out, int *whole)
{
    struct pk_clip_src src;
    assert_int_equal(pk_clip_src_read(H, g, &src), PK_OK);
    int rc = pk_clip_rect(&src, b, out);
    pk_clip_src_free(&src);
    assert_true(rc == PK_CLIP_OK || rc == PK_CLIP_DEGENERATE);
    if (rc != PK_CLIP_OK)
        return rc;
    GEOSGeometry *bg = box_geom(b);
    GEOSGeometry *ref = GEOSIntersection_r(H, g, bg);
    assert_non_null(ref);
    double ref_area = area_of(ref), area = -1, scale = (b[2] - b[0]) * (b[3] - b[1]);
    assert_int_equal(pk_clip_out_area(out, NULL, NULL, &area), 1);
    GEOSGeometry *mine = pk_clip_out_geos(H, out);
    if (ref_area > 1e-12 * scale) {
        assert_non_null(mine);
        if (GEOSisValid_r(H, mine) != 1) {
            char *why = GEOSisValidReason_r(H, mine);
            fail_msg("clipper result is invalid: %s", why);
        }
        assert_true(fabs(area - ref_area) <= 1e-9 * scale);
        assert_true(fabs(area_of(mine) - ref_area) <= 1e-9 * scale);
        GEOSGeometry *diff = GEOSSymDifference_r(H, mine, ref);
        assert_non_null(diff);
        assert_true(area_of(diff) <= 1e-9 * scale);
        GEOSGeom_destroy_r(H, diff);
    } else
        assert_true(mine == NULL || area <= 1e-12 * scale);
    if (out->whole_rect)
        assert_true(fabs(ref_area - scale) <= 1e-9 * scale);
    if (whole)
        *whole = out->whole_rect;
    if (mine)
        GEOSGeom_destroy_r(H, mine);
    GEOSGeom_destroy_r(H, ref);
    GEOSGeom_destroy_r(H, bg);
    return rc;
}

static void test_is_rect(void **state)
{
    (void)state;
    double b[4];
    GEOSGeometry *g = wkt("POLYGON((0 0,2 0,2 1,0 1,0 0))");
    assert_int_equal(pk_geom_is_rect(H, g, b), 1);
    assert_true(b[0] == 0 && b[1] == 0 && b[2] == 2 && b[3] == 1);
    GEOSGeom_destroy_r(H, g);
    g = wkt("MULTIPOLYGON(((0 0,0 1,2 1,2 0,0 0)))"); /* clockwise is fine */
    assert_int_equal(pk_geom_is_rect(H, g, b), 1);
    GEOSGeom_destroy_r(H, g);
    static const char *not_rects[] = {
        "POLYGON((0 0,2 0,2 1,0 2,0 0))",           /* a corner off */
        "POLYGON((0 0,1 0,2 0,2 1,0 0))",           /* a triangle with a collinear point */
        "POLYGON((0 0,4 0,4 4,0 4,0 0),(1 1,2 1,2 2,1 2,1 1))",
        "POLYGON((0 0,2 0,2 1,1 1,0 1,0 0))",       /* 5 corners */
        "MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)),((2 2,3 2,3 3,2 3,2 2)))",
        "POLYGON((0 0,1 1,0 1,1 0,0 0))",           /* a bow tie on the corners */
        "LINESTRING(0 0,1 1)",
    };
    for (size_t i = 0; i < sizeof not_rects / sizeof not_rects[0]; i++) {
        g = wkt(not_rects[i]);
        assert_int_equal(pk_geom_is_rect(H, g, b), 0);
        GEOSGeom_destroy_r(H, g);
    }
}

/* Hand-made cases: a polygon, a box, and what must come out (-1: any). */
struct hand_case {
    const char *what;
    const char *wkt;
    double box[4];
    int rc;         /* PK_CLIP_OK or PK_CLIP_DEGENERATE; -1: either (checked against GEOS when OK) */
    int npolys, nrings, whole;
};

#define SQUARE "POLYGON((0 0,10 0,10 10,0 10,0 0))"
#define SPIKE "POLYGON((0 0,10 0,10 4,6 4,5 8,4 4,0 4,0 0))"
#define HOLED "POLYGON((0 0,10 0,10 10,0 10,0 0),(4 4,4 6,6 6,6 4,4 4))"
static const struct hand_case hand_cases[] = {
    {"the rectangle inside a polygon", SQUARE, {2.5, 2.5, 3.5, 4.5}, PK_CLIP_OK, 1, 1, 1},
    {"the polygon inside the rectangle", SQUARE, {-1, -1, 11, 12}, PK_CLIP_OK, 1, 1, 0},
    {"disjoint", SQUARE, {20, 20, 21, 21}, PK_CLIP_OK, 0, 0, 0},
    {"an edge along the rectangle's, outside", SQUARE, {10, 2, 12, 3}, PK_CLIP_OK, 0, 0, 0},
    {"two sides shared, inside", SQUARE, {8, 0, 10, 3}, PK_CLIP_OK, 1, 1, 1},
    {"two sides on the polygon's edges, one beyond", SQUARE, {8, -1, 10, 3}, PK_CLIP_OK, 1, 1, 0},
    {"touching at a corner", SQUARE, {10, 10, 11, 11}, PK_CLIP_OK, 0, 0, 0},
    {"a spike reaching the side from inside", SPIKE, {3, 2, 7, 8}, PK_CLIP_OK, 1, 1, 0},
    {"a vertex on the rectangle's corner", SPIKE, {5, 8, 9, 12}, PK_CLIP_OK, 0, 0, 0},
    {"an edge along a side", SPIKE, {2, 4, 8, 6}, PK_CLIP_OK, 1, 1, 0},
    {"a notch with its base on the side", "POLYGON((0 0,4 0,5 3,6 0,10 0,10 10,0 10,0 0))", {1, 0, 9, 5},
     PK_CLIP_OK, 1, 1, 0},
    {"the notch's tip touching from below", "POLYGON((0 0,4 0,5 3,6 0,10 0,10 10,0 10,0 0))", {1, 3, 9, 5},
     PK_CLIP_OK, 1, 1, 1},
    {"a wedge reaching the far side: two pieces touching",
     "POLYGON((0 0,10 0,10 10,6 10,5 2,4 10,0 10,0 0))", {1, 2, 9, 5}, PK_CLIP_OK, 2, 2, 0},
    /* found in review: two long edges cross the side within an ulp of each
     * other, so their order cannot be trusted; GEOS takes it, or the result
     * must be right */
    {"a needle crossing within an ulp",
     "POLYGON((7.3353836305138582 7.553370948207272,1.2655219995721811 -0.61993284808468674,"
     "7.3353836305138609 7.553370948207272,5 9.9,7.3353836305138582 7.553370948207272))",
     {0, 0, 10, 10}, -1, -1, -1, 0},
    {"a hole touching its shell on the side", "POLYGON((0 0,10 0,10 10,0 10,0 0),(5 10,4 5,6 5,5 10))",
     {1, 2, 9, 10}, PK_CLIP_DEGENERATE, -1, -1, 0},
    {"inside a hole", HOLED, {4.5, 4.5, 5.5, 5.5}, PK_CLIP_OK, 0, 0, 0},
    {"around a hole", HOLED, {3.5, 3.5, 6.5, 6.5}, PK_CLIP_OK, 1, 2, 0},
    {"a hole crossing the boundary", HOLED, {5.5, 1.5, 8.5, 8.5}, PK_CLIP_DEGENERATE, -1, -1, 0},
    {"a U cut in two, the hole to the right arm",
     "POLYGON((0 0,9 0,9 10,6 10,6 3,3 3,3 10,0 10,0 0),(7 6,8 6,8 7,7 7,7 6))", {-1.5, 5.5, 10.5, 8.5},
     PK_CLIP_OK, 2, 3, 0},
    {"two parts, one crossing, one inside", "MULTIPOLYGON(((0 0,4 0,4 4,0 4,0 0)),((5 1,6 1,6 2,5 2,5 1)))",
     {2.5, 0.5, 7.5, 3.5}, PK_CLIP_OK, 2, 2, 0},
};

static void test_hand_cases(void **state)
{
    (void)state;
    struct pk_clip_out out = {0};
    for (size_t i = 0; i < sizeof hand_cases / sizeof hand_cases[0]; i++) {
        const struct hand_case *c = &hand_cases[i];
        GEOSGeometry *g = wkt(c->wkt);
        int whole = 0, rc = check_clip(g, c->box, &out, &whole); /* checks an accepted result against GEOS */
        GEOSGeom_destroy_r(H, g);
        if (c->rc >= 0 && rc != c->rc)
            fail_msg("%s: %s expected", c->what, c->rc == PK_CLIP_OK ? "a result" : "GEOS");
        if (rc != PK_CLIP_OK)
            continue;
        if ((c->npolys >= 0 && out.npolys != c->npolys) || (c->nrings >= 0 && out.nrings != c->nrings) ||
            whole != c->whole)
            fail_msg("%s: %d polygons, %d rings, whole %d", c->what, out.npolys, out.nrings, whole);
    }
    pk_clip_out_free(&out);
}

/* ---- random polygons --------------------------------------------------- */

static uint64_t seed = 88172645463325252ull;
static double rnd(void)
{
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return (double)(seed >> 11) / 9007199254740992.0;
}

/* A star-shaped ring around (cx, cy) with radii in [r0, r1], snapped to a
 * lattice of step q (so vertices often fall on the rectangles' lines). */
static void star(char *buf, size_t size, double cx, double cy, double r0, double r1, int n, double q, int cw)
{
    size_t len = strlen(buf);
    double fx = 0, fy = 0;
    len += (size_t)snprintf(buf + len, size - len, "(");
    for (int i = 0; i < n; i++) {
        double a = 2 * M_PI * (cw ? n - i : i) / n, r = r0 + (r1 - r0) * rnd();
        double x = round((cx + r * cos(a)) / q) * q, y = round((cy + r * sin(a)) / q) * q;
        if (i == 0)
            fx = x, fy = y;
        len += (size_t)snprintf(buf + len, size - len, "%.17g %.17g,", x, y);
    }
    snprintf(buf + len, size - len, "%.17g %.17g)", fx, fy);
}

static void test_random_against_geos(void **state)
{
    (void)state;
    struct pk_clip_out out = {0};
    static char text[1 << 16];
    int ok = 0, degenerate = 0, whole = 0, checked = 0;
    for (int t = 0; t < 600; t++) {
        int parts = 1 + (int)(rnd() * 2.5);
        double q = rnd() < 0.5 ? 0.25 : 1e-3;
        snprintf(text, sizeof text, "MULTIPOLYGON(");
        for (int p = 0; p < parts; p++) {
            double cx = 30 * p, cy = 0;
            strcat(text, p ? ",(" : "(");
            star(text, sizeof text, cx, cy, 8, 14, 12 + (int)(rnd() * 60), q, 0);
            if (rnd() < 0.6) { /* a hole, and sometimes another */
                strcat(text, ",");
                star(text, sizeof text, cx + 1, cy, 1, 3, 5 + (int)(rnd() * 10), q, 1);
                if (rnd() < 0.4) {
                    strcat(text, ",");
                    star(text, sizeof text, cx - 4, cy + 3, 0.5, 1.5, 5, q, 1);
                }
            }
            strcat(text, ")");
        }
        strcat(text, ")");
        GEOSGeometry *g = wkt(text);
        if (GEOSisValid_r(H, g) != 1) { /* snapping can fold a ring: skip */
            GEOSGeom_destroy_r(H, g);
            continue;
        }
        for (int k = 0; k < 12; k++) {
            double x0 = -16 + rnd() * (30 * parts + 16), y0 = -16 + rnd() * 30;
            double w = 0.3 + rnd() * (k < 6 ? 4 : 30), hgt = 0.3 + rnd() * (k < 6 ? 4 : 30);
            if (rnd() < 0.3) /* lattice-aligned rectangles: degenerate cases */
                x0 = round(x0 / 0.25) * 0.25, y0 = round(y0 / 0.25) * 0.25, w = ceil(w), hgt = ceil(hgt);
            double b[4] = {x0, y0, x0 + w, y0 + hgt};
            int wh = 0;
            int rc = check_clip(g, b, &out, &wh);
            checked++;
            ok += rc == PK_CLIP_OK;
            degenerate += rc == PK_CLIP_DEGENERATE;
            whole += wh;
        }
        GEOSGeom_destroy_r(H, g);
    }
    print_message("rect clip: %d checked, %d by the clipper (%d whole rectangles), %d left to GEOS\n", checked, ok,
                  whole, degenerate);
    assert_true(checked > 3000);
    assert_true(ok > checked / 2);
    assert_true(whole > 50);
    assert_true(degenerate > 50); /* the degenerate paths were exercised */
    pk_clip_out_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_rect),
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_random_against_geos),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
