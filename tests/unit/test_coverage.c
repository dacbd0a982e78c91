/* test_coverage.c — the coverage engine and task queries through the library,
 * on layers in EPSG:4549 whose answers are known exactly: shares of squares,
 * unions counting overlaps once, filters, city-wide tasks apart or counted,
 * gaps, a grid against an independent GEOS computation with 1..5 threads,
 * query tasks/zones, and read-only SQL. */
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

#include <geos_c.h>

#include "plankit/layer.h"
#include "plankit/query.h"
#include "plankit/task.h"
#include "ctx_int.h"
#include "layer_int.h"
#include "spatial_int.h"
#include "store_int.h"
#include "fixture.h"

/* Write a file in the fixture's folder, or fail the test. */
static void write_file(const struct fixture *f, const char *name, const char *text)
{
    assert_int_equal(fx_write(f, name, text), 0);
}

/* Load a file of the folder as a layer, or fail the test. */
static void load(struct fixture *f, const char *file, const char *name, const char *kind)
{
    assert_int_equal(fx_load(f, file, name, kind), PK_OK);
}

/* An EPSG:4549 store with two 1 km squares (and a point) and a city around them. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fx_open(f, "test_coverage", "EPSG:4549") != 0)
        return -1;
    if (fx_write(f, "squares.geojson",
                 "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
                 "{\"type\":\"Feature\",\"properties\":{\"name\":\"A\"},\"geometry\":{\"type\":\"Polygon\","
                 "\"coordinates\":[[[600000,3430000],[601000,3430000],[601000,3431000],[600000,3431000],[600000,3430000]]]}},"
                 "{\"type\":\"Feature\",\"properties\":{\"name\":\"B\"},\"geometry\":{\"type\":\"Polygon\","
                 "\"coordinates\":[[[601000,3430000],[602000,3430000],[602000,3431000],[601000,3431000],[601000,3430000]]]}},"
                 "{\"type\":\"Feature\",\"properties\":{\"name\":\"P\"},\"geometry\":{\"type\":\"Point\","
                 "\"coordinates\":[600800,3430250]}}]}\n") != 0 ||
        fx_write(f, "city.geojson",
                 "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
                 "{\"type\":\"Feature\",\"properties\":{\"name\":\"City\"},\"geometry\":{\"type\":\"Polygon\","
                 "\"coordinates\":[[[599000,3429000],[603000,3429000],[603000,3432000],[599000,3432000],[599000,3429000]]]}}]}\n") != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fx_close(f);
    free(f);
    return 0;
}

static void task(struct fixture *f, const char *id, const char *cls, const char *status, int start, int end, int citywide)
{
    struct pk_task_fields t;
    pk_task_fields_init(&t);
    t.id = id;
    t.title = id;
    t.classification = cls;
    t.status = status;
    t.start_year = start;
    t.end_year = end;
    t.citywide = citywide;
    assert_int_equal(pk_task_add(f->store, &t), PK_OK);
}

static void footprint(struct fixture *f, const char *id, double x0, double y0, double x1, double y1)
{
    char wkt[256];
    snprintf(wkt, sizeof wkt, "POLYGON((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f))", x0, y0, x1, y0, x1,
             y1, x0, y1, x0, y0);
    struct pk_attach_opts o = {.geom = wkt};
    long long n = 0;
    assert_int_equal(pk_task_attach(f->store, id, &o, &n), PK_OK);
    assert_int_equal(n, 1);
}

static void link_to(struct fixture *f, const char *id, const char *to)
{
    struct pk_attach_opts o = {.to = to};
    long long n = 0;
    assert_int_equal(pk_task_attach(f->store, id, &o, &n), PK_OK);
}

/* "name:tasks:task_ids:covered:share;..." of a coverage table, covered km²
 * to 6 decimals and the share (a fraction, with all its digits in the
 * table) as a percentage with 2 */
static void summary(const struct pk_table *t, char *out, size_t size)
{
    *out = '\0';
    for (size_t r = 0; r < t->nrows; r++) {
        char row[256], km2[64] = "", pct[64] = "";
        const char *c[5];
        for (int k = 0; k < 5; k++) {
            static const char *cols[] = {"name", "tasks", "task_ids", "covered_km2", "share"};
            c[k] = pk_table_get(t, r, pk_table_col(t, cols[k]));
        }
        if (c[3])
            snprintf(km2, sizeof km2, "%.6f", atof(c[3]));
        if (c[4])
            snprintf(pct, sizeof pct, "%.2f", 100 * atof(c[4]));
        c[3] = c[3] ? km2 : NULL;
        c[4] = c[4] ? pct : NULL;
        snprintf(row, sizeof row, "%s%s:%s:%s:%s:%s", r ? ";" : "", c[0] ? c[0] : "", c[1] ? c[1] : "",
                 c[2] ? c[2] : "", c[3] ? c[3] : "", c[4] ? c[4] : "");
        strncat(out, row, size - strlen(out) - 1);
    }
}

/* The table holds only feature rows (each with its fid, in fid order; with
 * gaps_only, a subset) and the totals are what those rows add up to: read
 * as numbers, the areas sum to the totals' (km² vs m²), and the tasks are
 * the distinct ids the rows list. */
static void expect_totals(const struct pk_table *t, const struct pk_coverage_totals *T, int gaps_only)
{
    int cfid = pk_table_col(t, "fid"), carea = pk_table_col(t, "area_km2"), ccov = pk_table_col(t, "covered_km2");
    int cids = pk_table_col(t, "task_ids");
    double area = 0, covered = 0;
    long long last = -1;
    char seen[64][32];
    long long nseen = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        long long fid = 0;
        double a = -1, c = -1;
        assert_true(pk_table_get_int(t, r, cfid, &fid)); /* no summary row: every row is a feature */
        assert_true(fid > last);
        last = fid;
        assert_true(pk_table_get_real(t, r, carea, &a) && pk_table_get_real(t, r, ccov, &c));
        area += a * 1e6;
        covered += c * 1e6;
        char ids[256];
        snprintf(ids, sizeof ids, "%s", pk_table_get(t, r, cids));
        for (char *save = NULL, *id = strtok_r(ids, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
            long long k = 0;
            while (k < nseen && strcmp(seen[k], id) != 0)
                k++;
            if (k == nseen && nseen < 64)
                snprintf(seen[nseen++], sizeof seen[0], "%s", id);
        }
    }
    if (gaps_only) {
        assert_true(t->nrows <= T->features);
        return;
    }
    assert_int_equal(t->nrows, T->features);
    assert_true(fabs(area - T->area_m2) <= 1e-9 * (1 + T->area_m2));
    assert_true(fabs(covered - T->covered_m2) <= 1e-9 * (1 + T->covered_m2));
    assert_int_equal(nseen, T->tasks);
}

/* The summary rows the command prints, from the totals: as summary() gives
 * rows ("(city-wide, not counted):N:IDS::" unless counted,
 * "(total):N::covered:share"). */
static void totals_text(const struct pk_coverage_totals *T, int citywide_counted, char *out, size_t size)
{
    char ids[256] = "", share[64] = "";
    for (size_t i = 0; i < T->ncitywide; i++)
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? "," : "", T->citywide_ids[i]);
    if (T->area_m2 > 0)
        snprintf(share, sizeof share, "%.2f", 100 * T->covered_m2 / T->area_m2);
    size_t n = 0;
    if (!citywide_counted)
        n = (size_t)snprintf(out, size, ";(city-wide, not counted):%zu:%s::", T->ncitywide, ids);
    snprintf(out + n, size - n, ";(total):%lld::%.6f:%s", T->tasks, T->covered_m2 / 1e6, share);
}

static void expect_coverage(struct fixture *f, const struct pk_coverage_opts *o, const char *expected)
{
    struct pk_table *t = NULL;
    struct pk_coverage_totals T;
    char rows[2048], again[2048], totals[512] = "", got[2600];
    assert_int_equal(pk_coverage_with_totals(f->store, o, &t, &T, NULL, NULL), PK_OK);
    expect_totals(t, &T, o->gaps_only);
    summary(t, rows, sizeof rows);
    if (!o->gaps_only)
        totals_text(&T, o->include_citywide, totals, sizeof totals);
    snprintf(got, sizeof got, "%s%s", rows, totals + (!*rows && *totals == ';'));
    assert_string_equal(got, expected);
    pk_coverage_totals_release(&T);
    assert_null(T.citywide_ids);
    pk_table_free(t);
    /* pk_coverage gives the same table */
    assert_int_equal(pk_coverage(f->store, o, &t, NULL, NULL), PK_OK);
    summary(t, again, sizeof again);
    assert_string_equal(again, rows);
    pk_table_free(t);
}

static void test_quarter_and_union(void **state)
{
    struct fixture *f = *state;
    load(f, "squares.geojson", "squares", NULL);
    load(f, "city.geojson", "city", "district");
    struct pk_coverage_opts o = {.by_layer = "squares"};
    /* no task: nothing covered; the point has no area */
    expect_coverage(f, &o, "A:0::0.000000:0.00;B:0::0.000000:0.00;P:0::0.000000:;"
                           "(city-wide, not counted):0:::;(total):0::0.000000:0.00");
    task(f, "Q1", "甲", "in_progress", 2026, 2030, 0);
    footprint(f, "Q1", 600000, 3430000, 600500, 3430500);
    expect_coverage(f, &o, "A:1:Q1:0.250000:25.00;B:0::0.000000:0.00;P:0::0.000000:;"
                           "(city-wide, not counted):0:::;(total):1::0.250000:12.50");
    /* an overlapping footprint of another task: the union counts once */
    task(f, "Q2", "乙", "done", 2026, 2027, 0);
    footprint(f, "Q2", 600250, 3430000, 600750, 3430500);
    /* a footprint inside what is covered adds nothing */
    task(f, "Q3", "乙", "planned", 2028, 2030, 0);
    footprint(f, "Q3", 600100, 3430100, 600200, 3430200);
    expect_coverage(f, &o, "A:3:Q1,Q2,Q3:0.375000:37.50;B:0::0.000000:0.00;P:0::0.000000:;"
                           "(city-wide, not counted):0:::;(total):3::0.375000:18.75");
    /* filters */
    struct pk_coverage_opts by_status = {.by_layer = "squares", .status = "done"};
    expect_coverage(f, &by_status, "A:1:Q2:0.250000:25.00;B:0::0.000000:0.00;P:0::0.000000:;"
                                   "(city-wide, not counted):0:::;(total):1::0.250000:12.50");
    struct pk_coverage_opts by_year = {.by_layer = "squares", .year = 2029};
    expect_coverage(f, &by_year, "A:2:Q1,Q3:0.250000:25.00;B:0::0.000000:0.00;P:0::0.000000:;"
                                 "(city-wide, not counted):0:::;(total):2::0.250000:12.50");
    struct pk_coverage_opts by_pillar = {.by_layer = "squares", .classification = "乙"};
    /* Q3 lies in Q1, not in Q2 */
    expect_coverage(f, &by_pillar, "A:2:Q2,Q3:0.260000:26.00;B:0::0.000000:0.00;P:0::0.000000:;"
                                   "(city-wide, not counted):0:::;(total):2::0.260000:13.00");
    /* a link to B itself covers all of B */
    link_to(f, "Q1", "squares:B");
    expect_coverage(f, &o, "A:3:Q1,Q2,Q3:0.375000:37.50;B:1:Q1:1.000000:100.00;P:0::0.000000:;"
                           "(city-wide, not counted):0:::;(total):3::1.375000:68.75");
    /* a footprint touching the point counts for it (contact), with no area */
    task(f, "Q4", NULL, NULL, -1, -1, 0);
    footprint(f, "Q4", 600700, 3430200, 600900, 3430300);
    struct pk_table *t = NULL;
    assert_int_equal(pk_coverage(f->store, &o, &t, NULL, NULL), PK_OK);
    assert_string_equal(pk_table_get(t, 2, pk_table_col(t, "task_ids")), "Q4");
    pk_table_free(t);
}

static void test_citywide_and_gaps(void **state)
{
    struct fixture *f = *state;
    load(f, "squares.geojson", "squares", NULL);
    load(f, "city.geojson", "city", "district");
    task(f, "Q1", "甲", "planned", 2026, 2030, 0);
    footprint(f, "Q1", 600000, 3430000, 600500, 3430500);
    task(f, "CW", "甲", "planned", 2026, 2030, 1);
    link_to(f, "CW", "city:City");
    struct pk_coverage_opts o = {.by_layer = "squares"};
    expect_coverage(f, &o, "A:1:Q1:0.250000:25.00;B:0::0.000000:0.00;P:0::0.000000:;"
                           "(city-wide, not counted):1:CW::;(total):1::0.250000:12.50");
    o.include_citywide = 1;
    expect_coverage(f, &o, "A:2:CW,Q1:1.000000:100.00;B:1:CW:1.000000:100.00;P:1:CW:0.000000:;"
                           "(total):2::2.000000:100.00");
    struct pk_coverage_opts gaps = {.by_layer = "squares", .gaps_only = 1};
    expect_coverage(f, &gaps, "B:0::0.000000:0.00;P:0::0.000000:");
    gaps.include_citywide = 1;
    expect_coverage(f, &gaps, "");
    /* errors */
    struct pk_table *t = NULL;
    struct pk_coverage_opts none = {0};
    assert_int_equal(pk_coverage(f->store, &none, &t, NULL, NULL), PK_ERR_ARGS);
    struct pk_coverage_opts unknown = {.by_layer = "nope"};
    assert_int_equal(pk_coverage(f->store, &unknown, &t, NULL, NULL), PK_ERR_NOTFOUND);
    assert_null(t);
}

/* A 12 x 12 grid of 100 m cells and 60 pseudo-random rectangles (crossing
 * cells, overlapping each other): every cell's covered area equals the area of
 * cell ∩ (union of all rectangles) computed here with GEOS, whatever the
 * thread count, and the tables are identical. */
static void test_grid_threads(void **state)
{
    struct fixture *f = *state;
    static char buf[200000];
    size_t len = (size_t)snprintf(buf, sizeof buf, "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":[");
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 12; j++) {
            double x = 600000 + 100.0 * i, y = 3430000 + 100.0 * j;
            len += (size_t)snprintf(buf + len, sizeof buf - len,
                                    "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"c%d_%d\"},\"geometry\":"
                                    "{\"type\":\"Polygon\",\"coordinates\":[[[%.0f,%.0f],[%.0f,%.0f],[%.0f,%.0f],"
                                    "[%.0f,%.0f],[%.0f,%.0f]]]}}",
                                    i || j ? "," : "", i, j, x, y, x + 100, y, x + 100, y + 100, x, y + 100, x, y);
        }
    snprintf(buf + len, sizeof buf - len, "]}\n");
    write_file(f, "grid.geojson", buf);
    load(f, "grid.geojson", "grid", NULL);

    GEOSContextHandle_t h = pk_geos(f->ctx);
    GEOSGeometry *rects[60];
    unsigned seed = 42;
    for (int k = 0; k < 60; k++) {
        char id[16];
        seed = seed * 1103515245u + 12345u;
        double x = 600000 + (seed >> 8) % 1100, w = 5 + (seed >> 4) % 230;
        seed = seed * 1103515245u + 12345u;
        double y = 3430000 + (seed >> 8) % 1100, hgt = 5 + (seed >> 4) % 230;
        snprintf(id, sizeof id, "R%02d", k);
        task(f, id, NULL, NULL, -1, -1, 0);
        footprint(f, id, x, y, x + w, y + hgt);
        rects[k] = GEOSGeom_createRectangle_r(h, x, y, x + w, y + hgt);
    }
    GEOSGeometry *all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, rects, 60);
    GEOSGeometry *u = GEOSUnaryUnion_r(h, all);
    GEOSGeom_destroy_r(h, all);

    struct pk_coverage_opts o = {.by_layer = "grid", .threads = 1};
    struct pk_table *ref = NULL;
    struct pk_coverage_totals T;
    assert_int_equal(pk_coverage_with_totals(f->store, &o, &ref, &T, NULL, NULL), PK_OK);
    assert_int_equal(ref->nrows, 144);
    expect_totals(ref, &T, 0);
    int cov = pk_table_col(ref, "covered_km2");
    double total = 0;
    for (int i = 0, r = 0; i < 12; i++)
        for (int j = 0; j < 12; j++, r++) {
            double x = 600000 + 100.0 * i, y = 3430000 + 100.0 * j, a = 0;
            GEOSGeometry *cell = GEOSGeom_createRectangle_r(h, x, y, x + 100, y + 100);
            GEOSGeometry *in = GEOSIntersection_r(h, cell, u);
            GEOSArea_r(h, in, &a);
            double expect = (a < 1 ? 0 : a) / 1e6, got = atof(pk_table_get(ref, (size_t)r, cov));
            assert_true(fabs(got - expect) <= 1e-12 + 1e-9 * expect);
            total += expect;
            GEOSGeom_destroy_r(h, in);
            GEOSGeom_destroy_r(h, cell);
        }
    assert_true(fabs(T.covered_m2 / 1e6 - total) < 1e-9);
    assert_true(fabs(T.area_m2 - 144 * 1e4) < 1e-6);
    pk_coverage_totals_release(&T);
    GEOSGeom_destroy_r(h, u);

    static const int threads[] = {2, 3, 5};
    for (size_t k = 0; k < 3; k++) {
        struct pk_table *t = NULL;
        o.threads = threads[k];
        assert_int_equal(pk_coverage(f->store, &o, &t, NULL, NULL), PK_OK);
        assert_int_equal(t->nrows, ref->nrows);
        for (size_t r = 0; r < t->nrows; r++)
            for (int c = 0; c < t->ncols; c++) {
                const char *a = pk_table_get(t, r, c), *b = pk_table_get(ref, r, c);
                assert_true((!a && !b) || (a && b && !strcmp(a, b)));
            }
        pk_table_free(t);
    }
    pk_table_free(ref);
}

/* A feature with a hole and an island, covered by overlapping 16-gons (the
 * engine clips convex polygons itself), an L-shaped footprint (through GEOS)
 * and rectangles, some across the outer boundary, the hole and the island:
 * the covered area is that of feature ∩ (union of all) computed with GEOS. */
static void test_holes_circles_nonconvex(void **state)
{
    struct fixture *f = *state;
    write_file(f, "grid.geojson",
               "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"name\":\"donut\"},\"geometry\":{\"type\":\"MultiPolygon\","
               "\"coordinates\":[[[[600000,3430000],[602000,3430000],[602000,3432000],[600000,3432000],[600000,3430000]],"
               "[[600500,3430500],[600500,3431500],[601500,3431500],[601500,3430500],[600500,3430500]]],"
               "[[[600800,3430800],[601200,3430800],[601200,3431200],[600800,3431200],[600800,3430800]]]]}}]}\n");
    load(f, "grid.geojson", "donut", NULL);
    GEOSContextHandle_t h = pk_geos(f->ctx);
    GEOSGeometry *parts[16];
    int np = 0;
    static const double circles[][3] = {{600500, 3430500, 300}, {600700, 3430600, 250}, {602000, 3431000, 400},
                                        {601000, 3431000, 250}, {601100, 3431100, 150}, {600250, 3431750, 200}};
    for (int k = 0; k < 6; k++) {
        char wkt[2048] = "POLYGON((", id[8];
        for (int v = 0; v <= 16; v++) {
            double a = 2 * M_PI * (v % 16) / 16;
            char pt[64];
            snprintf(pt, sizeof pt, "%s%.6f %.6f", v ? "," : "", circles[k][0] + circles[k][2] * cos(a),
                     circles[k][1] + circles[k][2] * sin(a));
            strcat(wkt, pt);
        }
        strcat(wkt, "))");
        snprintf(id, sizeof id, "C%d", k);
        task(f, id, NULL, NULL, -1, -1, 0);
        struct pk_attach_opts o = {.geom = wkt};
        long long n = 0;
        assert_int_equal(pk_task_attach(f->store, id, &o, &n), PK_OK);
        GEOSWKTReader *r = GEOSWKTReader_create_r(h);
        parts[np++] = GEOSWKTReader_read_r(h, r, wkt);
        GEOSWKTReader_destroy_r(h, r);
    }
    static const char *lshape = "POLYGON((601700 3431700,602300 3431700,602300 3431800,601800 3431800,"
                                "601800 3432300,601700 3432300,601700 3431700))";
    task(f, "L", NULL, NULL, -1, -1, 0);
    struct pk_attach_opts o = {.geom = lshape};
    long long n = 0;
    assert_int_equal(pk_task_attach(f->store, "L", &o, &n), PK_OK);
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    parts[np++] = GEOSWKTReader_read_r(h, r, lshape);
    GEOSWKTReader_destroy_r(h, r);
    task(f, "R", NULL, NULL, -1, -1, 0);
    footprint(f, "R", 601400, 3429900, 601600, 3430600);
    parts[np++] = GEOSGeom_createRectangle_r(h, 601400, 3429900, 601600, 3430600);

    GEOSGeometry *all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)np);
    GEOSGeometry *u = GEOSUnaryUnion_r(h, all);
    struct pk_table *t = NULL;
    struct pk_coverage_opts cov = {.by_layer = "donut"};
    assert_int_equal(pk_coverage(f->store, &cov, &t, NULL, NULL), PK_OK);
    struct pk_spatial *sp = NULL;
    assert_int_equal(pk_spatial_new(f->store, &sp), PK_OK);
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(f->store, "donut", &ref), PK_OK);
    GEOSGeometry *donut = NULL;
    assert_int_equal(pk_spatial_feature(sp, &ref, 1, &donut), PK_OK);
    GEOSGeometry *in = GEOSIntersection_r(h, donut, u);
    double a = 0, area = 0;
    GEOSArea_r(h, in, &a);
    GEOSArea_r(h, donut, &area);
    assert_true(fabs(area - (4e6 - 1e6 + 0.16e6)) < 1e-6);
    double got = atof(pk_table_get(t, 0, pk_table_col(t, "covered_km2"))) * 1e6;
    assert_true(fabs(got - a) <= 0.5); /* printed to the m² */
    assert_string_equal(pk_table_get(t, 0, pk_table_col(t, "task_ids")), "C0,C1,C2,C3,C4,C5,L,R");
    pk_table_free(t);
    GEOSGeom_destroy_r(h, in);
    GEOSGeom_destroy_r(h, donut);
    GEOSGeom_destroy_r(h, u);
    GEOSGeom_destroy_r(h, all);
    pk_spatial_free(sp);
}

static const char *ids_of(const struct pk_table *t, char *out, size_t size)
{
    *out = '\0';
    for (size_t r = 0; r < t->nrows; r++) {
        strncat(out, r ? "," : "", size - strlen(out) - 1);
        strncat(out, pk_table_get(t, r, 0), size - strlen(out) - 1);
    }
    return out;
}

static void test_query_tasks_and_zones(void **state)
{
    struct fixture *f = *state;
    char got[256];
    load(f, "squares.geojson", "squares", NULL);
    load(f, "city.geojson", "city", "district");
    task(f, "Q1", NULL, NULL, -1, -1, 0);
    footprint(f, "Q1", 600000, 3430000, 600500, 3430500); /* 300 m from P */
    task(f, "Q2", NULL, "done", -1, -1, 0);
    footprint(f, "Q2", 600250, 3430000, 600750, 3430500); /* 50 m from P */
    task(f, "E", NULL, NULL, -1, -1, 0);
    footprint(f, "E", 600800, 3430600, 601000, 3430800); /* touches B along its border */

    struct pk_task_query q = {.probe = PK_PROBE_NEAR, .feature = "squares:P"};
    static const struct { double d; const char *expect; } near[] = {
        {40, ""}, {60, "Q2"}, {299, "Q2"}, {301, "Q1,Q2"}};
    for (size_t k = 0; k < sizeof near / sizeof near[0]; k++) {
        struct pk_table *t = NULL;
        q.distance_m = near[k].d;
        assert_int_equal(pk_query_tasks(f->store, &q, &t), PK_OK);
        assert_string_equal(ids_of(t, got, sizeof got), near[k].expect);
        pk_table_free(t);
    }
    q.status = "done";
    struct pk_table *t = NULL;
    assert_int_equal(pk_query_tasks(f->store, &q, &t), PK_OK);
    assert_string_equal(ids_of(t, got, sizeof got), "Q2");
    pk_table_free(t);

    struct pk_task_query in = {.probe = PK_PROBE_IN, .feature = "squares:A"};
    assert_int_equal(pk_query_tasks(f->store, &in, &t), PK_OK);
    assert_string_equal(ids_of(t, got, sizeof got), "E,Q1,Q2");
    int share = pk_table_col(t, "share");
    assert_true(fabs(atof(pk_table_get(t, 0, share)) - 0.04) < 1e-12);
    assert_true(fabs(atof(pk_table_get(t, 1, share)) - 0.25) < 1e-12);
    pk_table_free(t);
    in.feature = "squares:B";
    assert_int_equal(pk_query_tasks(f->store, &in, &t), PK_OK);
    assert_string_equal(ids_of(t, got, sizeof got), ""); /* E only touches B */
    pk_table_free(t);
    in.feature = "squares:nope";
    assert_int_equal(pk_query_tasks(f->store, &in, &t), PK_ERR_NOTFOUND);

    assert_int_equal(pk_query_zones(f->store, "Q2", 0, &t), PK_OK);
    assert_int_equal(t->nrows, 2);
    assert_string_equal(pk_table_get(t, 0, pk_table_col(t, "name")), "A");
    assert_true(fabs(atof(pk_table_get(t, 0, pk_table_col(t, "overlap_km2"))) - 0.25) < 1e-12);
    assert_string_equal(pk_table_get(t, 1, pk_table_col(t, "name")), "City");
    assert_true(fabs(atof(pk_table_get(t, 1, pk_table_col(t, "share"))) - 0.25 / 12) < 1e-12);
    pk_table_free(t);
    assert_int_equal(pk_query_zones(f->store, "E", 0, &t), PK_OK);
    assert_int_equal(t->nrows, 2); /* A and the city, not B */
    pk_table_free(t);
    assert_int_equal(pk_query_zones(f->store, "NOPE", 0, &t), PK_ERR_NOTFOUND);
}

static void test_sql_readonly(void **state)
{
    struct fixture *f = *state;
    load(f, "squares.geojson", "squares", NULL);
    task(f, "Q1", NULL, NULL, -1, -1, 0);
    struct pk_table *t = NULL;
    assert_int_equal(pk_sql_readonly(f->store, "SELECT id, 1 + 1 AS two FROM pk_tasks", &t), PK_OK);
    assert_string_equal(t->names[1], "two");
    assert_string_equal(pk_table_get(t, 0, 0), "Q1");
    assert_int_equal(t->types[1], PK_COL_INT);
    pk_table_free(t);
    /* SpatiaLite's R*Tree virtual table and table-valued pragmas connect */
    assert_int_equal(pk_sql_readonly(f->store, "SELECT count(*) FROM SpatialIndex WHERE f_table_name='lyr_1' "
                                               "AND search_frame=BuildMbr(600100,3430100,600200,3430200,4549)", &t),
                     PK_OK);
    assert_string_equal(pk_table_get(t, 0, 0), "1");
    pk_table_free(t);
    assert_int_equal(pk_sql_readonly(f->store, "SELECT name FROM pragma_table_info('pk_tasks') LIMIT 1", &t), PK_OK);
    assert_string_equal(pk_table_get(t, 0, 0), "id");
    pk_table_free(t);
    assert_int_equal(pk_sql_readonly(f->store, "SELECT 1; -- a comment", &t), PK_OK);
    pk_table_free(t);

    static const char *writes[] = {
        "DELETE FROM pk_tasks", "DROP TABLE pk_tasks", "INSERT INTO pk_tasks(id, title) VALUES('x', 'x')",
        "UPDATE pk_tasks SET title='x'", "ATTACH DATABASE ':memory:' AS m", "PRAGMA user_version=9",
        "SELECT DropGeoTable('lyr_1')", "SELECT CreateSpatialIndex('lyr_1', 'geom')", "CREATE TEMP TABLE t(x)",
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        t = NULL;
        assert_int_equal(pk_sql_readonly(f->store, writes[i], &t), PK_ERR_READONLY);
        assert_null(t);
    }
    assert_int_equal(pk_sql_readonly(f->store, "SELECT 1; DELETE FROM pk_tasks", &t), PK_ERR_ARGS);
    assert_non_null(strstr(pk_errmsg(f->ctx), "one statement"));
    long long n = 0;
    assert_int_equal(pk_sql_int(f->store, "SELECT count(*) FROM pk_tasks", NULL, &n, NULL), PK_OK);
    assert_int_equal(n, 1);
    /* the connection writes again afterwards */
    task(f, "Q2", NULL, NULL, -1, -1, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_quarter_and_union),
        T(test_citywide_and_gaps),
        T(test_grid_threads),
        T(test_holes_circles_nonconvex),
        T(test_query_tasks_and_zones),
        T(test_sql_readonly),
    };
#undef T
    return cmocka_run_group_tests_name("coverage", tests, NULL, NULL);
}
