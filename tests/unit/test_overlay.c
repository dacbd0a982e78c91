/* test_overlay.c — the overlay engine through pk_overlay on small hand-made
 * layers whose answers are computed by hand: every operation (intersection,
 * union, difference, symdifference, identity, clip, erase) in an EPSG:4549
 * store (planar areas) and in an EPSG:4326 store measured in EPSG:6933
 * (areas along the curved edges, computed independently on the ellipsoid by
 * fx_ellipsoid_area). Each piece is checked for its parents, its shape, its
 * area, the attributes it carries; pieces add up to their features; output
 * order, slivers, a GeoPackage output and bad arguments are checked too.
 *
 * The layers, in units (1 unit = 1 m in EPSG:4549, 1/200° in EPSG:4326):
 *   A: 甲 [0,100]×[0,100], 乙 [100,200]×[0,100] (sharing an edge)
 *   B: 东 [50,150]×[50,150] (across both), 西 [300,350]×[0,50] (apart),
 *      南 the triangle (150,0) (200,0) (200,50) (inside 乙, not a rectangle:
 *      its edge is a slanted line, curved in EPSG:6933) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>

#include "plankit/overlay.h"
#include "layer_int.h"
#include "reader_int.h"
#include "store_int.h"
#include "fixture.h"

static const struct fx_shape SQ_JIA = {4, {{0, 0}, {100, 0}, {100, 100}, {0, 100}}};
static const struct fx_shape SQ_YI = {4, {{100, 0}, {200, 0}, {200, 100}, {100, 100}}};
static const struct fx_shape SQ_DONG = {4, {{50, 50}, {150, 50}, {150, 150}, {50, 150}}};
static const struct fx_shape SQ_XI = {4, {{300, 0}, {350, 0}, {350, 50}, {300, 50}}};
static const struct fx_shape TRI_NAN = {3, {{150, 0}, {200, 0}, {200, 50}}};

/* The pieces, worked out by hand from the drawing above. */
static const struct fx_shape JIA_DONG = {4, {{50, 50}, {100, 50}, {100, 100}, {50, 100}}};      /* 2500 */
static const struct fx_shape YI_DONG = {4, {{100, 50}, {150, 50}, {150, 100}, {100, 100}}};     /* 2500 */
static const struct fx_shape JIA_REST = {6, {{0, 0}, {100, 0}, {100, 50}, {50, 50}, {50, 100}, {0, 100}}}; /* 7500 */
static const struct fx_shape YI_REST = {7, {{100, 0}, {150, 0}, {200, 50}, {200, 100}, {150, 100}, {150, 50}, {100, 50}}};
static const struct fx_shape DONG_REST = {4, {{50, 100}, {150, 100}, {150, 150}, {50, 150}}};   /* 5000 */

#define NA 2
#define NB 3
static const char *const a_names[NA] = {"甲", "乙"};
static const char *const a_codes[NA] = {"11", "12"};
static const char *const b_names[NB] = {"东", "西", "南"};
static const char *const b_uses[NB] = {"住宅", "绿地", "工业"};

static double rel(double got, double want) { return fabs(got - want) / want; }

struct ovfx {
    struct fixture f;
    const struct fx_place *pl;
    long long a_fid[NA], b_fid[NB];
};

/* Expected area in m²: planar in EPSG:4549, on the ellipsoid in EPSG:4326. */
static double m2(const struct fx_place *pl, const struct fx_shape *s) { return fx_shape_area(pl, s, 0); }

static long long fid_of(struct fixture *f, const char *layer, const char *name)
{
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(f->store, layer, &ref), PK_OK);
    char *sql = sqlite3_mprintf("SELECT fid FROM \"%w\" WHERE name = ?1", ref.table);
    sqlite3_stmt *st;
    assert_int_equal(pk_sql_prepare(f->store, sql, &st), PK_OK);
    sqlite3_free(sql);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long fid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return fid;
}

static int setup_place(void **state, const struct fx_place *pl, const char *test)
{
    struct ovfx *o = calloc(1, sizeof *o);
    if (!o || fx_open_measure(&o->f, test, pl->crs, pl->measure_crs) != 0)
        return -1;
    o->pl = pl;
    char buf[8192];
    const struct fx_shape *as[NA] = {&SQ_JIA, &SQ_YI}, *bs[NB] = {&SQ_DONG, &SQ_XI, &TRI_NAN};
    fx_collection_begin(buf, sizeof buf, pl);
    for (int i = 0; i < NA; i++) {
        char props[128];
        snprintf(props, sizeof props, "\"name\":\"%s\",\"code\":\"%s\"", a_names[i], a_codes[i]);
        fx_append_feature(buf, sizeof buf, pl, props, as[i], i == 0);
    }
    if (fx_collection_load(&o->f, buf, sizeof buf, "a.geojson", "zones", "zone") != PK_OK)
        return -1;
    fx_collection_begin(buf, sizeof buf, pl);
    for (int i = 0; i < NB; i++) {
        char props[128];
        snprintf(props, sizeof props, "\"name\":\"%s\",\"use\":\"%s\"", b_names[i], b_uses[i]);
        fx_append_feature(buf, sizeof buf, pl, props, bs[i], i == 0);
    }
    if (fx_collection_load(&o->f, buf, sizeof buf, "b.geojson", "plots", "zone") != PK_OK)
        return -1;
    for (int i = 0; i < NA; i++)
        o->a_fid[i] = fid_of(&o->f, "zones", a_names[i]);
    for (int i = 0; i < NB; i++)
        o->b_fid[i] = fid_of(&o->f, "plots", b_names[i]);
    *state = o;
    return 0;
}

static int setup_4549(void **state) { return setup_place(state, &FX_IN_4549, "overlay4549"); }
static int setup_4326(void **state) { return setup_place(state, &FX_IN_4326, "overlay4326"); }

static int teardown(void **state)
{
    struct ovfx *o = *state;
    fx_close(&o->f);
    free(o);
    return 0;
}

/* One expected piece: parents (-1 = none) and its shape. YI_CLIP plus the
 * triangle: clip keeps 乙's part inside B, which is two shapes. */
struct want {
    int a, b;
    const struct fx_shape *s, *s2;
};

static const struct want w_intersection[] = {
    {0, 0, &JIA_DONG, NULL}, {1, 0, &YI_DONG, NULL}, {1, 2, &TRI_NAN, NULL}};
static const struct want w_difference[] = {{0, -1, &JIA_REST, NULL}, {1, -1, &YI_REST, NULL}};
static const struct want w_clip[] = {{0, -1, &JIA_DONG, NULL}, {1, -1, &YI_DONG, &TRI_NAN}};
static const struct want w_identity[] = {{0, 0, &JIA_DONG, NULL}, {1, 0, &YI_DONG, NULL}, {1, 2, &TRI_NAN, NULL},
                                         {0, -1, &JIA_REST, NULL}, {1, -1, &YI_REST, NULL}};
static const struct want w_union[] = {{0, 0, &JIA_DONG, NULL}, {1, 0, &YI_DONG, NULL}, {1, 2, &TRI_NAN, NULL},
                                      {0, -1, &JIA_REST, NULL}, {1, -1, &YI_REST, NULL},
                                      {-1, 0, &DONG_REST, NULL}, {-1, 1, &SQ_XI, NULL}};
static const struct want w_symdifference[] = {{0, -1, &JIA_REST, NULL}, {1, -1, &YI_REST, NULL},
                                              {-1, 0, &DONG_REST, NULL}, {-1, 1, &SQ_XI, NULL}};

/* The hand pieces are what the drawing says (guards the tables above). */
static void test_hand_areas(void **state)
{
    (void)state;
    const struct fx_place unit = {NULL, NULL, "", 0, 0, 1, 0, 1};
    assert_true(m2(&unit, &JIA_DONG) == 2500 && m2(&unit, &YI_DONG) == 2500 && m2(&unit, &TRI_NAN) == 1250);
    assert_true(m2(&unit, &JIA_REST) == 7500 && m2(&unit, &YI_REST) == 6250 && m2(&unit, &DONG_REST) == 5000);
    assert_true(m2(&unit, &SQ_XI) == 2500);
    /* 乙 = its rest + its piece of 东 + the triangle */
    assert_true(m2(&unit, &YI_REST) + m2(&unit, &YI_DONG) + m2(&unit, &TRI_NAN) == m2(&unit, &SQ_YI));
    /* the ellipsoid formula against the area element M(φ)N(φ)cos φ dφ dλ
     * integrated over a 0.5°×0.75° cell near Kunshan */
    const double f = 1 / 298.257223563, e2 = f * (2 - f), a = 6378137.0;
    double sum = 0, lat0 = 31 * M_PI / 180, dlat = 0.75 * M_PI / 180;
    for (int k = 0; k <= 1000; k++) {
        double phi = lat0 + dlat * k / 1000, s2 = sin(phi) * sin(phi);
        double M = a * (1 - e2) / pow(1 - e2 * s2, 1.5), N = a / sqrt(1 - e2 * s2);
        sum += (k == 0 || k == 1000 ? 1 : k % 2 ? 4 : 2) * M * N * cos(phi);
    }
    double element = sum * dlat / 3000 * (0.5 * M_PI / 180);
    const double cell[4][2] = {{120.5, 31}, {121, 31}, {121, 31.75}, {120.5, 31.75}};
    assert_true(rel(fx_ellipsoid_area(cell, 4), element) < 1e-12);
}

/* A GEOS polygon of the shape(s) in store coordinates. */
static GEOSGeometry *hand_geom(GEOSContextHandle_t h, const struct fx_place *pl, const struct fx_shape *s)
{
    double xy[FX_MAXPTS][2];
    fx_to_store(pl, s, xy);
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, (unsigned)s->n + 1, 2);
    for (int i = 0; i <= s->n; i++) {
        GEOSCoordSeq_setX_r(h, cs, (unsigned)i, xy[i % s->n][0]);
        GEOSCoordSeq_setY_r(h, cs, (unsigned)i, xy[i % s->n][1]);
    }
    return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, cs), NULL, 0);
}

/* Area (store units) of the symmetric difference of g and the wanted shape(s). */
static double shape_mismatch(GEOSContextHandle_t h, const struct fx_place *pl, const struct want *w,
                             const GEOSGeometry *g)
{
    GEOSGeometry *e = hand_geom(h, pl, w->s);
    if (w->s2) {
        GEOSGeometry *e2 = hand_geom(h, pl, w->s2), *u = GEOSUnion_r(h, e, e2);
        GEOSGeom_destroy_r(h, e);
        GEOSGeom_destroy_r(h, e2);
        e = u;
    }
    GEOSGeometry *d = GEOSSymDifference_r(h, e, g);
    double a = -1;
    assert_non_null(d);
    GEOSArea_r(h, d, &a);
    GEOSGeom_destroy_r(h, d);
    GEOSGeom_destroy_r(h, e);
    return a;
}

static int col_index(sqlite3_stmt *st, const char *name)
{
    for (int c = 0; c < sqlite3_column_count(st); c++)
        if (!strcmp(sqlite3_column_name(st, c), name))
            return c;
    return -1;
}

static const char *col_text(sqlite3_stmt *st, int c)
{
    return c >= 0 ? (const char *)sqlite3_column_text(st, c) : NULL;
}

static int index_of(const long long *fids, int n, sqlite3_stmt *st, int c)
{
    if (c < 0 || sqlite3_column_type(st, c) == SQLITE_NULL)
        return -1;
    for (int i = 0; i < n; i++)
        if (fids[i] == sqlite3_column_int64(st, c))
            return i;
    fail_msg("fid %lld is no input feature", (long long)sqlite3_column_int64(st, c));
    return -2;
}

/* The columns of an output layer's rows (-1: absent). */
struct piece_cols {
    int afid, bfid, area, aname, code, bname, use, geom;
};

/* Find the columns of statement st; with_b: the operation keeps B's
 * attributes (else they must be absent). */
static void find_piece_cols(sqlite3_stmt *st, int with_b, struct piece_cols *c)
{
    c->afid = col_index(st, "a_fid"), c->bfid = col_index(st, "b_fid"), c->area = col_index(st, "area_m2");
    c->aname = col_index(st, with_b ? "a_name" : "name"), c->code = col_index(st, "code");
    c->bname = col_index(st, "b_name"), c->use = col_index(st, "use"), c->geom = col_index(st, "geom");
    assert_true(c->afid >= 0 && c->area >= 0 && c->aname >= 0 && c->code >= 0 && c->geom >= 0);
    assert_true(with_b ? c->bfid >= 0 && c->bname >= 0 && c->use >= 0 : c->bfid < 0 && c->bname < 0 && c->use < 0);
}

/* The attributes of piece (ai, bi): its parents', and no one else's. */
static void check_piece_attrs(sqlite3_stmt *st, const struct piece_cols *c, int with_b, int ai, int bi)
{
    const char *aname = col_text(st, c->aname), *code = col_text(st, c->code);
    if (ai >= 0) {
        assert_non_null(aname);
        assert_string_equal(aname, a_names[ai]);
        assert_string_equal(code, a_codes[ai]);
    } else {
        assert_null(aname);
        assert_null(code);
    }
    if (with_b && bi >= 0) {
        assert_string_equal(col_text(st, c->bname), b_names[bi]);
        assert_string_equal(col_text(st, c->use), b_uses[bi]);
    } else if (with_b) {
        assert_null(col_text(st, c->bname));
    }
}

/* The shape of the row's piece (store CRS) is w's, and its area (metric
 * CRS) w's by hand; returns that area. */
static double check_piece_shape(struct ovfx *o, sqlite3_stmt *st, const struct piece_cols *c, const struct want *w,
                                const char *out)
{
    const struct fx_place *pl = o->pl;
    GEOSContextHandle_t h = pk_geos(o->f.ctx);
    GEOSGeometry *g = NULL;
    assert_int_equal(pk_geom_from_blob(h, sqlite3_column_blob(st, c->geom), (size_t)sqlite3_column_bytes(st, c->geom), &g),
                     PK_OK);
    assert_non_null(g);
    assert_int_equal(GEOSGeomTypeId_r(h, g), GEOS_MULTIPOLYGON);
    assert_int_equal(GEOSisValid_r(h, g), 1);
    double plain = 0, want_plain = 0, want_m2 = m2(pl, w->s) + (w->s2 ? m2(pl, w->s2) : 0);
    GEOSArea_r(h, g, &plain);
    want_plain = fx_shape_area(pl, w->s, 1) + (w->s2 ? fx_shape_area(pl, w->s2, 1) : 0);
    assert_true(rel(plain, want_plain) < 1e-9);
    assert_true(shape_mismatch(h, pl, w, g) <= 1e-9 * want_plain);
    GEOSGeom_destroy_r(h, g);
    double area = sqlite3_column_double(st, c->area);
    if (rel(area, want_m2) >= 1e-9)
        fail_msg("%s piece a=%d b=%d: area_m2 %.6f, by hand %.6f", out, w->a, w->b, area, want_m2);
    return area;
}

/* Run op into the store layer out and check every piece against want. */
static void check_op(struct ovfx *o, enum pk_overlay_op op, const struct want *want, int nwant)
{
    struct fixture *f = &o->f;
    const struct fx_place *pl = o->pl;
    char out[64];
    snprintf(out, sizeof out, "out_%s", pk_overlay_op_name(op));
    struct pk_overlay_opts opts = {.op = op, .a = "zones", .b = "plots", .out = out, .threads = pl->threads};
    struct pk_overlay_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(pk_overlay(f->store, &opts, &res, NULL, NULL, NULL), PK_OK);
    assert_int_equal(res.pieces, nwant);
    assert_int_equal(res.slivers, 0);

    int with_b = op == PK_OV_INTERSECTION || op == PK_OV_UNION || op == PK_OV_IDENTITY || op == PK_OV_SYMDIFFERENCE;
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(f->store, out, &ref), PK_OK);
    assert_int_equal(ref.count, nwant);
    char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY fid", ref.table);
    sqlite3_stmt *st;
    assert_int_equal(pk_sql_prepare(f->store, sql, &st), PK_OK);
    sqlite3_free(sql);
    struct piece_cols c;
    find_piece_cols(st, with_b, &c);

    int seen[8] = {0}, rows = 0, last_a = 0, b_only = 0;
    double by_a[NA] = {0}, by_b[NB] = {0}, total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        int ai = index_of(o->a_fid, NA, st, c.afid), bi = index_of(o->b_fid, NB, st, c.bfid);
        /* order: A's features in fid order, then B's remainders */
        if (ai >= 0) {
            assert_false(b_only);
            assert_true(ai >= last_a);
            last_a = ai;
        } else {
            b_only = 1;
        }
        int k = 0;
        while (k < nwant && !(want[k].a == ai && want[k].b == bi))
            k++;
        if (k == nwant)
            fail_msg("%s: unexpected piece a=%d b=%d", out, ai, bi);
        assert_int_equal(seen[k]++, 0);
        check_piece_attrs(st, &c, with_b, ai, bi);
        double area = check_piece_shape(o, st, &c, &want[k], out);
        total += area;
        if (ai >= 0)
            by_a[ai] += area;
        if (bi >= 0)
            by_b[bi] += area;
    }
    sqlite3_finalize(st);
    assert_int_equal(rows, nwant);
    assert_true(rel(res.total_area, total) < 1e-9);

    /* pieces add up to their feature where the operation keeps all of it */
    const struct fx_shape *as[NA] = {&SQ_JIA, &SQ_YI}, *bs[NB] = {&SQ_DONG, &SQ_XI, &TRI_NAN};
    if (op == PK_OV_IDENTITY || op == PK_OV_UNION)
        for (int i = 0; i < NA; i++)
            assert_true(rel(by_a[i], m2(pl, as[i])) < 1e-9);
    if (op == PK_OV_UNION)
        for (int i = 0; i < NB; i++)
            assert_true(rel(by_b[i], m2(pl, bs[i])) < 1e-9);
}

static void test_intersection(void **state)
{
    check_op(*state, PK_OV_INTERSECTION, w_intersection, 3);
    struct ovfx *o = *state;
    /* the pair counts: three pairs meet, all cut by the rectangle clipper
     * (every A feature is a rectangle), checked against GEOS (verify) */
    struct pk_overlay_opts opts = {.op = PK_OV_INTERSECTION, .a = "zones", .b = "plots", .verify = 1, .summary = 1};
    struct pk_overlay_result res;
    struct pk_table *summary = NULL;
    memset(&res, 0, sizeof res);
    assert_int_equal(pk_overlay(o->f.store, &opts, &res, &summary, NULL, NULL), PK_OK);
    assert_int_equal(res.pairs, 3);
    assert_int_equal(res.rect_pairs, 3);
    assert_non_null(summary);
    pk_table_free(summary);
    /* a run without -o leaves no layer behind */
    opts.summary = 0;
    assert_int_equal(pk_overlay(o->f.store, &opts, &res, NULL, NULL, NULL), PK_ERR_ARGS);
}

static void test_union(void **state) { check_op(*state, PK_OV_UNION, w_union, 7); }
static void test_difference(void **state) { check_op(*state, PK_OV_DIFFERENCE, w_difference, 2); }
static void test_erase(void **state) { check_op(*state, PK_OV_ERASE, w_difference, 2); }
static void test_symdifference(void **state) { check_op(*state, PK_OV_SYMDIFFERENCE, w_symdifference, 4); }
static void test_identity(void **state) { check_op(*state, PK_OV_IDENTITY, w_identity, 5); }
static void test_clip(void **state) { check_op(*state, PK_OV_CLIP, w_clip, 2); }

/* B against itself: every feature meets only itself and lies wholly inside
 * itself, so each pair is the covered shortcut (the squares through the
 * rectangle clipper, the triangle, no rectangle on either side, through
 * GEOS), no intersection computed; a where condition on A keeps only its
 * features. */
static void test_self_and_where(void **state)
{
    struct ovfx *o = *state;
    double want = m2(o->pl, &SQ_DONG) + m2(o->pl, &SQ_XI) + m2(o->pl, &TRI_NAN);
    struct pk_overlay_opts opts = {.op = PK_OV_INTERSECTION, .a = "plots", .b = "plots", .out = "plots_self"};
    struct pk_overlay_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(pk_overlay(o->f.store, &opts, &res, NULL, NULL, NULL), PK_OK);
    assert_int_equal(res.pieces, 3);
    assert_int_equal(res.pairs, 3);
    assert_int_equal(res.covered_pairs, 3);
    assert_int_equal(res.rect_pairs, 0);
    assert_true(rel(res.total_area, want) < 1e-9);
    struct pk_overlay_opts where = {.op = PK_OV_INTERSECTION, .a = "plots", .b = "zones", .out = "nan_only",
                                    .where_a = "use = '工业'"};
    memset(&res, 0, sizeof res);
    assert_int_equal(pk_overlay(o->f.store, &where, &res, NULL, NULL, NULL), PK_OK);
    assert_int_equal(res.pieces, 1);
    assert_true(rel(res.total_area, m2(o->pl, &TRI_NAN)) < 1e-9);
}

/* Pieces under min_area are dropped and counted, with their area. */
static void test_slivers(void **state)
{
    struct ovfx *o = *state;
    double tri = m2(o->pl, &TRI_NAN), sq = m2(o->pl, &JIA_DONG);
    struct pk_overlay_opts opts = {.op = PK_OV_INTERSECTION, .a = "zones", .b = "plots", .out = "big_pieces",
                                   .min_area = (tri + sq) / 2};
    struct pk_overlay_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(pk_overlay(o->f.store, &opts, &res, NULL, NULL, NULL), PK_OK);
    assert_int_equal(res.pieces, 2);
    assert_int_equal(res.slivers, 1);
    assert_true(rel(res.sliver_area, tri) < 1e-9);
    assert_true(rel(res.total_area, sq + m2(o->pl, &YI_DONG)) < 1e-9);
}

/* Identity into a GeoPackage file: the same pieces, read back with OGR. */
static void test_file_output(void **state)
{
    struct ovfx *o = *state;
    char path[400];
    fx_path(&o->f, "identity.gpkg", path, sizeof path);
    struct pk_overlay_opts opts = {.op = PK_OV_IDENTITY, .a = "zones", .b = "plots", .out = path};
    struct pk_overlay_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(pk_overlay(o->f.store, &opts, &res, NULL, NULL, NULL), PK_OK);
    assert_int_equal(res.pieces, 5);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(GDALDatasetGetLayerCount(ds), 1);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 5);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int ia = OGR_FD_GetFieldIndex(d, "area_m2"), in = OGR_FD_GetFieldIndex(d, "a_name");
    assert_true(ia >= 0 && in >= 0);
    double jia = 0;
    OGRFeatureH ft;
    OGR_L_ResetReading(l);
    while ((ft = OGR_L_GetNextFeature(l))) {
        if (!strcmp(OGR_F_GetFieldAsString(ft, in), "甲"))
            jia += OGR_F_GetFieldAsDouble(ft, ia);
        OGR_F_Destroy(ft);
    }
    GDALClose(ds);
    assert_true(rel(jia, m2(o->pl, &SQ_JIA)) < 1e-9);
}

static void test_bad_arguments(void **state)
{
    struct ovfx *o = *state;
    enum pk_overlay_op op = PK_OV_UNION;
    assert_int_equal(pk_overlay_parse_op("SymDifference", &op), PK_OK);
    assert_int_equal(op, PK_OV_SYMDIFFERENCE);
    assert_int_equal(pk_overlay_parse_op("erase", &op), PK_OK);
    assert_int_equal(op, PK_OV_ERASE);
    assert_int_equal(pk_overlay_parse_op("merge", &op), PK_ERR_ARGS);
    assert_string_equal(pk_overlay_op_name(PK_OV_IDENTITY), "identity");
    assert_string_equal(pk_overlay_op_name((enum pk_overlay_op)99), "unknown"); /* not past the names */
    struct pk_overlay_opts opts = {.op = PK_OV_INTERSECTION, .a = "zones", .b = "no_such_layer", .out = "x"};
    struct pk_overlay_result res;
    assert_int_not_equal(pk_overlay(o->f.store, &opts, &res, NULL, NULL, NULL), PK_OK);
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(o->f.store, "x", &ref), PK_ERR_NOTFOUND); /* nothing left behind */
}

#define OV_TESTS                                                                                        \
    cmocka_unit_test(test_hand_areas), cmocka_unit_test(test_intersection), cmocka_unit_test(test_union), \
        cmocka_unit_test(test_difference), cmocka_unit_test(test_erase),                                 \
        cmocka_unit_test(test_symdifference), cmocka_unit_test(test_identity),                           \
        cmocka_unit_test(test_clip), cmocka_unit_test(test_slivers),                                     \
        cmocka_unit_test(test_self_and_where), cmocka_unit_test(test_file_output),                       \
        cmocka_unit_test(test_bad_arguments)

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {OV_TESTS};
    int failed = cmocka_run_group_tests_name("overlay in an EPSG:4549 store", tests, setup_4549, teardown);
    failed += cmocka_run_group_tests_name("overlay in an EPSG:4326 store measured in EPSG:6933", tests, setup_4326,
                                          teardown);
    return failed;
}
