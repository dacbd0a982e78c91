/* test_tile_mvt.c — the vector tile encoder at byte level: varints and
 * zigzag, the spec's geometry examples, winding of exteriors and holes,
 * duplicate points, dropped rings, lines and features, key/value
 * deduplication, a whole tile against hand-assembled bytes, gzip, and the
 * clipping helper (tile grid, buffer, y down, validity after rounding). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "plankit/ctx.h"
#include "tile_clip_int.h"
#include "tile_mvt_int.h"

/* The geometry commands g encodes to, as bytes. */
static size_t encode(const struct pk_mvt_geom *g, uint8_t *out, size_t cap, struct pk_mvt_drops *d)
{
    struct pk_tbuf b = {0};
    size_t nparts;
    assert_int_equal(pk_mvt_geom_encode(g, &b, &nparts, d), PK_OK);
    assert_true(b.len <= cap);
    if (b.len)
        memcpy(out, b.data, b.len);
    size_t n = b.len;
    pk_tbuf_free(&b);
    return n;
}

/* Decode packed varints: the command stream as integers. */
static size_t varints(const uint8_t *p, size_t n, uint32_t *out)
{
    size_t k = 0;
    uint64_t v = 0;
    int shift = 0;
    for (size_t i = 0; i < n; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << shift;
        shift += 7;
        if (!(p[i] & 0x80)) {
            out[k++] = (uint32_t)v;
            v = 0;
            shift = 0;
        }
    }
    return k;
}

static void test_varint_zigzag(void **state)
{
    (void)state;
    struct pk_tbuf b = {0};
    pk_tbuf_varint(&b, 300);
    pk_tbuf_varint(&b, 0);
    pk_tbuf_varint(&b, UINT64_MAX);
    assert_int_equal(b.len, 2 + 1 + 10);
    assert_int_equal(b.data[0], 0xac);
    assert_int_equal(b.data[1], 0x02);
    assert_int_equal(b.data[2], 0x00);
    assert_int_equal(b.data[12], 0x01);
    assert_int_equal(pk_varint_size(300), 2);
    pk_tbuf_free(&b);
    assert_int_equal(pk_zigzag32(0), 0);
    assert_int_equal(pk_zigzag32(-1), 1);
    assert_int_equal(pk_zigzag32(1), 2);
    assert_int_equal(pk_zigzag32(-2), 3);
    assert_int_equal(pk_zigzag32(INT32_MAX), 0xfffffffeu);
    assert_int_equal(pk_zigzag32(INT32_MIN), 0xffffffffu);
    assert_true(pk_zigzag64(INT64_MIN) == UINT64_MAX);
}

static void test_point_spec_example(void **state)
{
    (void)state;
    struct pk_mvt_geom g = {0};
    pk_mvt_geom_reset(&g, PK_MVT_POINT);
    int32_t p[] = {25, 17};
    assert_int_equal(pk_mvt_geom_add_part(&g, p, 1, 0), PK_OK);
    uint8_t out[64];
    uint32_t cmd[16];
    size_t n = varints(out, encode(&g, out, sizeof out, NULL), cmd);
    assert_int_equal(n, 3);
    assert_int_equal(cmd[0], 9);
    assert_int_equal(cmd[1], 50);
    assert_int_equal(cmd[2], 34);
    /* MultiPoint: one MoveTo with count 2, the second point relative. */
    int32_t q[] = {5, 7, 3, 2};
    pk_mvt_geom_reset(&g, PK_MVT_POINT);
    assert_int_equal(pk_mvt_geom_add_part(&g, q, 2, 0), PK_OK);
    n = varints(out, encode(&g, out, sizeof out, NULL), cmd);
    uint32_t want[] = {17, 10, 14, 3, 9};
    assert_int_equal(n, 5);
    assert_memory_equal(cmd, want, sizeof want);
    pk_mvt_geom_free(&g);
}

static void test_line_duplicates_removed(void **state)
{
    (void)state;
    struct pk_mvt_geom g = {0};
    pk_mvt_geom_reset(&g, PK_MVT_LINESTRING);
    int32_t l[] = {2, 2, 2, 2, 2, 10, 2, 10, 10, 10};
    assert_int_equal(pk_mvt_geom_add_part(&g, l, 5, 0), PK_OK);
    uint8_t out[64];
    uint32_t cmd[16];
    size_t n = varints(out, encode(&g, out, sizeof out, NULL), cmd);
    /* The spec's LineString example. */
    uint32_t want[] = {9, 4, 4, 18, 0, 16, 16, 0};
    assert_int_equal(n, 8);
    assert_memory_equal(cmd, want, sizeof want);
    /* A line of one distinct point is dropped and counted. */
    struct pk_mvt_drops d = {0, 0, 0};
    int32_t dot[] = {4, 4, 4, 4};
    pk_mvt_geom_reset(&g, PK_MVT_LINESTRING);
    assert_int_equal(pk_mvt_geom_add_part(&g, dot, 2, 0), PK_OK);
    assert_int_equal(encode(&g, out, sizeof out, &d), 0);
    assert_int_equal(d.lines, 1);
    pk_mvt_geom_free(&g);
}

/* The spec's Polygon example, given clockwise-on-paper (negative area) and
 * closed: the encoder must reverse it so the exterior has positive area. */
static void test_polygon_winding(void **state)
{
    (void)state;
    struct pk_mvt_geom g = {0};
    uint8_t out[64];
    uint32_t cmd[16];
    uint32_t want[] = {9, 6, 12, 18, 10, 12, 24, 44, 15};
    int32_t as_spec[] = {3, 6, 8, 12, 20, 34, 3, 6};
    int32_t reversed[] = {3, 6, 20, 34, 8, 12, 3, 6};
    assert_true(pk_mvt_ring_area2(as_spec, 3) > 0);
    pk_mvt_geom_reset(&g, PK_MVT_POLYGON);
    assert_int_equal(pk_mvt_geom_add_part(&g, as_spec, 4, 0), PK_OK);
    assert_int_equal(varints(out, encode(&g, out, sizeof out, NULL), cmd), 9);
    assert_memory_equal(cmd, want, sizeof want);
    pk_mvt_geom_reset(&g, PK_MVT_POLYGON);
    assert_int_equal(pk_mvt_geom_add_part(&g, reversed, 4, 0), PK_OK);
    size_t n = varints(out, encode(&g, out, sizeof out, NULL), cmd);
    assert_int_equal(n, 9);
    /* Reversed back: 3 6 -> 8 12 -> 20 34 from the same start. */
    assert_int_equal(cmd[1], 6);
    assert_int_equal(cmd[2], 12);
    assert_int_equal(cmd[3], 18); /* LineTo 2 */
    assert_int_equal(cmd[4], pk_zigzag32(5));
    assert_int_equal(cmd[5], pk_zigzag32(6));
    assert_int_equal(cmd[8], 15); /* ClosePath 1 */
    pk_mvt_geom_free(&g);
}

/* Decode ring commands back to absolute points and return each ring's area2. */
static size_t ring_areas(const uint32_t *cmd, size_t n, int64_t *areas)
{
    int32_t x = 0, y = 0, pts[64];
    size_t i = 0, nrings = 0, np = 0;
    while (i < n) {
        uint32_t id = cmd[i] & 7, count = cmd[i] >> 3;
        i++;
        if (id == 7) {
            areas[nrings++] = pk_mvt_ring_area2(pts, np);
            np = 0;
            continue;
        }
        for (uint32_t k = 0; k < count; k++, i += 2) {
            x += (int32_t)((cmd[i] >> 1) ^ (0u - (cmd[i] & 1)));
            y += (int32_t)((cmd[i + 1] >> 1) ^ (0u - (cmd[i + 1] & 1)));
            pts[2 * np] = x;
            pts[2 * np + 1] = y;
            np++;
        }
    }
    return nrings;
}

static void test_holes_and_drops(void **state)
{
    (void)state;
    struct pk_mvt_geom g = {0};
    struct pk_mvt_drops d = {0, 0, 0};
    /* Exterior given with positive area, hole given with positive area too
     * (wrong): the hole must come out negative. */
    int32_t shell[] = {0, 0, 10, 0, 10, 10, 0, 10};
    int32_t hole[] = {2, 2, 4, 2, 4, 4, 2, 4};
    int32_t flat[] = {20, 20, 30, 20, 40, 20};          /* zero area */
    int32_t flat_hole[] = {21, 21, 22, 21, 22, 22};     /* hole of a dropped exterior */
    int32_t spike[] = {50, 50, 60, 60, 50, 50, 50, 50}; /* two distinct points */
    assert_true(pk_mvt_ring_area2(shell, 4) > 0);
    pk_mvt_geom_reset(&g, PK_MVT_POLYGON);
    assert_int_equal(pk_mvt_geom_add_part(&g, hole, 4, 1), PK_ERR_ARGS);
    assert_int_equal(pk_mvt_geom_add_part(&g, shell, 4, 0), PK_OK);
    assert_int_equal(pk_mvt_geom_add_part(&g, hole, 4, 1), PK_OK);
    assert_int_equal(pk_mvt_geom_add_part(&g, flat, 3, 0), PK_OK);
    assert_int_equal(pk_mvt_geom_add_part(&g, flat_hole, 3, 1), PK_OK);
    assert_int_equal(pk_mvt_geom_add_part(&g, spike, 4, 0), PK_OK);
    uint8_t out[256];
    uint32_t cmd[64];
    size_t n = varints(out, encode(&g, out, sizeof out, &d), cmd);
    int64_t areas[8];
    assert_int_equal(ring_areas(cmd, n, areas), 2);
    assert_true(areas[0] == 200);
    assert_true(areas[1] == -8);
    assert_int_equal(d.rings, 3);
    pk_mvt_geom_free(&g);
}

/* Walk a length-delimited message: returns the payload of the first field
 * number f at or after *pos (advancing *pos past it), or NULL. */
static const uint8_t *next_field(const uint8_t *p, size_t n, size_t *pos, uint32_t f, size_t *len)
{
    while (*pos < n) {
        uint32_t key[1];
        size_t start = *pos, k = *pos;
        while (p[k] & 0x80)
            k++;
        varints(p + start, k + 1 - start, key);
        k++;
        uint32_t field = key[0] >> 3, wt = key[0] & 7;
        size_t plen = 0;
        const uint8_t *payload = p + k;
        if (wt == 0) {
            while (p[k] & 0x80)
                k++;
            plen = k + 1 - (size_t)(payload - p);
            k++;
        } else if (wt == 1) {
            plen = 8;
            k += 8;
        } else if (wt == 2) {
            uint32_t l[1];
            size_t s = k;
            while (p[k] & 0x80)
                k++;
            varints(p + s, k + 1 - s, l);
            k++;
            payload = p + k;
            plen = l[0];
            k += l[0];
        } else
            fail();
        *pos = k;
        if (field == f) {
            *len = plen;
            return payload;
        }
    }
    return NULL;
}

static void test_attributes_dedup(void **state)
{
    (void)state;
    struct pk_mvt_tile *t = pk_mvt_tile_new();
    assert_non_null(t);
    struct pk_mvt_layer *l, *other;
    assert_int_equal(pk_mvt_tile_add_layer(t, "towns", 0, &l), PK_OK);
    assert_int_equal(pk_mvt_tile_add_layer(t, "towns", 0, &other), PK_ERR_EXISTS);
    struct pk_mvt_geom g = {0};
    pk_mvt_geom_reset(&g, PK_MVT_POINT);
    int32_t p[] = {1, 1};
    assert_int_equal(pk_mvt_geom_add_part(&g, p, 1, 0), PK_OK);
    struct pk_mvt_attr a[] = {
        {.key = "name", .type = PK_MVT_STRING, .v.s = "玉山镇"},
        {.key = "rank", .type = PK_MVT_INT, .v.i = 1},
        {.key = "area", .type = PK_MVT_DOUBLE, .v.d = 1.0},
        {.key = "delta", .type = PK_MVT_INT, .v.i = -3},
        {.key = "town", .type = PK_MVT_BOOL, .v.b = 1},
    };
    assert_int_equal(pk_mvt_layer_add_feature(l, 1, 7, &g, a, 5, NULL), PK_OK);
    assert_int_equal(pk_mvt_layer_add_feature(l, 1, 8, &g, a, 5, NULL), PK_OK);
    struct pk_mvt_attr b[] = {{.key = "name", .type = PK_MVT_STRING, .v.s = "1"},
                              {.key = "rank", .type = PK_MVT_STRING, .v.s = "玉山镇"}};
    assert_int_equal(pk_mvt_layer_add_feature(l, 0, 0, &g, b, 2, NULL), PK_OK);
    struct pk_mvt_attr twice[] = {{.key = "name", .type = PK_MVT_STRING, .v.s = "a"},
                                  {.key = "name", .type = PK_MVT_INT, .v.i = 2}};
    assert_int_equal(pk_mvt_layer_add_feature(l, 0, 0, &g, twice, 2, NULL), PK_ERR_ARGS);
    assert_int_equal(pk_mvt_layer_nfeatures(l), 3);
    assert_int_equal(pk_mvt_layer_nkeys(l), 5);
    /* int 1 and double 1.0 differ; the string "1" differs from both. */
    assert_int_equal(pk_mvt_layer_nvalues(l), 6);
    struct pk_tbuf bytes = {0};
    assert_int_equal(pk_mvt_tile_serialize(t, 0, &bytes), PK_OK);
    /* Values in order: string, uint 1 (field 5), double (field 3), sint -3 (field 6 = 5), bool. */
    size_t pos = 0, len, lpos = 0, vlen;
    const uint8_t *layer = next_field(bytes.data, bytes.len, &pos, 3, &len);
    assert_non_null(layer);
    const uint8_t *v;
    v = next_field(layer, len, &lpos, 4, &vlen);
    assert_int_equal(vlen, 2 + strlen("玉山镇"));
    assert_memory_equal(v + 2, "玉山镇", strlen("玉山镇"));
    v = next_field(layer, len, &lpos, 4, &vlen);
    uint8_t uint1[] = {0x28, 0x01};
    assert_int_equal(vlen, 2);
    assert_memory_equal(v, uint1, 2);
    v = next_field(layer, len, &lpos, 4, &vlen);
    assert_int_equal(vlen, 9);
    assert_int_equal(v[0], 0x19);
    v = next_field(layer, len, &lpos, 4, &vlen);
    uint8_t sint[] = {0x30, 0x05};
    assert_memory_equal(v, sint, 2);
    v = next_field(layer, len, &lpos, 4, &vlen);
    uint8_t bool1[] = {0x38, 0x01};
    assert_memory_equal(v, bool1, 2);
    pk_tbuf_free(&bytes);
    pk_mvt_geom_free(&g);
    pk_mvt_tile_free(t);
}

/* A whole tile, assembled by hand from the spec's message definitions. */
static void test_whole_tile_bytes(void **state)
{
    (void)state;
    struct pk_mvt_tile *t = pk_mvt_tile_new();
    struct pk_mvt_layer *l, *empty;
    assert_int_equal(pk_mvt_tile_add_layer(t, "a", 4096, &l), PK_OK);
    assert_int_equal(pk_mvt_tile_add_layer(t, "unused", 4096, &empty), PK_OK);
    struct pk_mvt_geom g = {0};
    pk_mvt_geom_reset(&g, PK_MVT_POINT);
    int32_t p[] = {25, 17};
    assert_int_equal(pk_mvt_geom_add_part(&g, p, 1, 0), PK_OK);
    struct pk_mvt_attr a = {.key = "k", .type = PK_MVT_STRING, .v.s = "v"};
    assert_int_equal(pk_mvt_layer_add_feature(l, 1, 1, &g, &a, 1, NULL), PK_OK);
    static const uint8_t want[] = {
        0x1a, 0x1f,                                /* Tile.layers, 31 bytes */
        0x78, 0x02,                                /* version 2 */
        0x0a, 0x01, 'a',                           /* name */
        0x12, 0x0d,                                /* feature, 13 bytes */
        0x08, 0x01,                                /*   id 1 */
        0x12, 0x02, 0x00, 0x00,                    /*   tags 0 0 */
        0x18, 0x01,                                /*   type POINT */
        0x22, 0x03, 0x09, 0x32, 0x22,              /*   geometry */
        0x1a, 0x01, 'k',                           /* keys */
        0x22, 0x03, 0x0a, 0x01, 'v',               /* values */
        0x28, 0x80, 0x20,                          /* extent 4096 */
    };
    struct pk_tbuf bytes = {0}, gz = {0}, back = {0};
    assert_int_equal(pk_mvt_tile_serialize(t, 0, &bytes), PK_OK);
    assert_int_equal(bytes.len, sizeof want);
    assert_memory_equal(bytes.data, want, sizeof want);
    assert_int_equal(pk_mvt_tile_serialize(t, 1, &gz), PK_OK);
    assert_int_equal(gz.data[0], 0x1f);
    assert_int_equal(gz.data[1], 0x8b);
    assert_int_equal(pk_gunzip(gz.data, gz.len, &back), 0);
    assert_int_equal(back.len, sizeof want);
    assert_memory_equal(back.data, want, sizeof want);
    assert_int_equal(pk_gunzip(gz.data, gz.len - 4, &back), -1);
    pk_tbuf_free(&bytes);
    pk_tbuf_free(&gz);
    pk_tbuf_free(&back);
    pk_mvt_geom_free(&g);
    pk_mvt_tile_free(t);
}

static void test_feature_dropped(void **state)
{
    (void)state;
    struct pk_mvt_tile *t = pk_mvt_tile_new();
    struct pk_mvt_layer *l;
    assert_int_equal(pk_mvt_tile_add_layer(t, "z", 0, &l), PK_OK);
    struct pk_mvt_geom g = {0};
    pk_mvt_geom_reset(&g, PK_MVT_POLYGON);
    int32_t sliver[] = {0, 0, 5, 5, 10, 10, 0, 0};
    assert_int_equal(pk_mvt_geom_add_part(&g, sliver, 4, 0), PK_OK);
    struct pk_mvt_drops d = {0, 0, 0};
    assert_int_equal(pk_mvt_layer_add_feature(l, 1, 3, &g, NULL, 0, &d), PK_OK);
    assert_int_equal(d.features, 1);
    assert_int_equal(d.rings, 1);
    assert_int_equal(pk_mvt_layer_nfeatures(l), 0);
    assert_int_equal(pk_mvt_layer_drops(l).features, 1);
    assert_int_equal(pk_mvt_tile_nfeatures(t), 0);
    struct pk_tbuf bytes = {0};
    assert_int_equal(pk_mvt_tile_serialize(t, 0, &bytes), PK_OK);
    assert_int_equal(bytes.len, 0);
    int32_t big[] = {PK_MVT_COORD_MAX + 1, 0};
    assert_int_equal(pk_mvt_geom_add_part(&g, big, 1, 0), PK_ERR_ARGS);
    pk_tbuf_free(&bytes);
    pk_mvt_geom_free(&g);
    pk_mvt_tile_free(t);
}

static GEOSGeometry *wkt(GEOSContextHandle_t h, const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, text);
    GEOSWKTReader_destroy_r(h, r);
    assert_non_null(g);
    return g;
}

static void test_clip_to_tile(void **state)
{
    (void)state;
    struct pk_ctx *ctx = pk_ctx_new();
    GEOSContextHandle_t h = pk_geos(ctx);
    double box[4];
    pk_tile_box_3857(1, 1, 0, box); /* north-east quarter */
    assert_float_equal(box[0], 0, 1e-6);
    assert_float_equal(box[1], 0, 1e-6);
    assert_float_equal(box[3], PK_MERCATOR_HALF, 1e-6);
    /* A square covering the whole tile 1/1/0 and more: clipped to the tile
     * plus 64 units of buffer, y flipped. */
    GEOSGeometry *g = wkt(h, "POLYGON((-1e6 -1e6, 3e7 -1e6, 3e7 3e7, -1e6 3e7, -1e6 -1e6))");
    GEOSGeometry *out;
    assert_int_equal(pk_tile_clip(ctx, g, 1, 1, 0, 4096, 64, &out), PK_OK);
    assert_non_null(out);
    double xmin, ymin, xmax, ymax;
    assert_int_equal(GEOSGeom_getXMin_r(h, out, &xmin), 1);
    GEOSGeom_getYMin_r(h, out, &ymin);
    GEOSGeom_getXMax_r(h, out, &xmax);
    GEOSGeom_getYMax_r(h, out, &ymax);
    assert_float_equal(xmin, -64, 0);
    assert_float_equal(xmax, 4096 + 64, 0);
    assert_float_equal(ymin, -64, 0);
    assert_float_equal(ymax, 4096 + 64, 0);
    GEOSGeom_destroy_r(h, out);
    GEOSGeom_destroy_r(h, g);
    /* Far away: nothing. */
    g = wkt(h, "POLYGON((-3e6 -3e6, -2e6 -3e6, -2e6 -2e6, -3e6 -3e6))");
    assert_int_equal(pk_tile_clip(ctx, g, 1, 1, 0, 4096, 64, &out), PK_OK);
    assert_null(out);
    assert_int_equal(pk_tile_clip(ctx, g, 1, 2, 0, 4096, 64, &out), PK_ERR_ARGS);
    GEOSGeom_destroy_r(h, g);
    pk_ctx_free(ctx);
}

/* Lines and points keep their dimension: a line across tile 2/2/1 is cut at
 * the buffer, a point outside the buffer goes. */
static void test_clip_lines_points(void **state)
{
    (void)state;
    struct pk_ctx *ctx = pk_ctx_new();
    GEOSContextHandle_t h = pk_geos(ctx);
    double box[4];
    pk_tile_box_3857(2, 2, 1, box);
    double u = (box[2] - box[0]) / 4096, y = box[3] - 1000 * u;
    char text[512];
    snprintf(text, sizeof text, "LINESTRING(%.6f %.6f, %.6f %.6f)", box[0] - 500 * u, y, box[2] + 500 * u, y);
    GEOSGeometry *g = wkt(h, text), *out;
    assert_int_equal(pk_tile_clip(ctx, g, 2, 2, 1, 4096, 16, &out), PK_OK);
    assert_int_equal(GEOSGeomTypeId_r(h, out), GEOS_MULTILINESTRING);
    double len;
    assert_int_equal(GEOSLength_r(h, out, &len), 1);
    assert_float_equal(len, 4096 + 32, 1e-9);
    double ymin;
    GEOSGeom_getYMin_r(h, out, &ymin);
    assert_float_equal(ymin, 1000, 1e-9);
    GEOSGeom_destroy_r(h, out);
    GEOSGeom_destroy_r(h, g);
    snprintf(text, sizeof text, "MULTIPOINT((%.6f %.6f), (%.6f %.6f))", box[0] + 10.4 * u, box[3] - 20.6 * u,
             box[0] - 40 * u, box[3] - 20 * u);
    g = wkt(h, text);
    assert_int_equal(pk_tile_clip(ctx, g, 2, 2, 1, 4096, 16, &out), PK_OK);
    assert_int_equal(GEOSGetNumGeometries_r(h, out), 1);
    double x;
    assert_int_equal(GEOSGeomGetX_r(h, GEOSGetGeometryN_r(h, out, 0), &x), 1);
    assert_float_equal(x, 10, 0);
    assert_int_equal(GEOSGeomGetY_r(h, GEOSGetGeometryN_r(h, out, 0), &y), 1);
    assert_float_equal(y, 21, 0);
    GEOSGeom_destroy_r(h, out);
    GEOSGeom_destroy_r(h, g);
    pk_ctx_free(ctx);
}

/* Two squares a fraction of a unit apart round onto one edge, and a thin
 * sliver collapses: the result must be valid, integer and polygonal. */
static void test_clip_rounding_valid(void **state)
{
    (void)state;
    struct pk_ctx *ctx = pk_ctx_new();
    GEOSContextHandle_t h = pk_geos(ctx);
    double box[4];
    pk_tile_box_3857(10, 500, 300, box);
    double u = (box[2] - box[0]) / 4096; /* metres per tile unit */
    char text[1024];
    double x0 = box[0], y0 = box[3];
    /* Square A: tile x 10..20, square B: tile x 20.3..30 (rounds to 20), a
     * hole-like notch that collapses, and a sliver 0.2 units thick. */
    snprintf(text, sizeof text,
             "MULTIPOLYGON(((%.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f)),"
             "((%.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f)),"
             "((%.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f, %.6f %.6f)))",
             x0 + 10 * u, y0 - 10 * u, x0 + 20 * u, y0 - 10 * u, x0 + 20 * u, y0 - 20 * u,
             x0 + 10 * u, y0 - 20 * u, x0 + 10 * u, y0 - 10 * u,
             x0 + 20.3 * u, y0 - 12 * u, x0 + 30 * u, y0 - 12 * u, x0 + 30 * u, y0 - 18 * u,
             x0 + 20.3 * u, y0 - 18 * u, x0 + 20.3 * u, y0 - 12 * u,
             x0 + 40 * u, y0 - 40 * u, x0 + 60 * u, y0 - 40 * u, x0 + 60 * u, y0 - 40.2 * u,
             x0 + 40 * u, y0 - 40.2 * u, x0 + 40 * u, y0 - 40 * u);
    GEOSGeometry *g = wkt(h, text);
    assert_int_equal(GEOSisValid_r(h, g), 1);
    GEOSGeometry *out;
    assert_int_equal(pk_tile_clip(ctx, g, 10, 500, 300, 4096, 0, &out), PK_OK);
    assert_non_null(out);
    assert_int_equal(GEOSGeomTypeId_r(h, out), GEOS_MULTIPOLYGON);
    assert_int_equal(GEOSisValid_r(h, out), 1);
    double area;
    assert_int_equal(GEOSArea_r(h, out, &area), 1);
    assert_float_equal(area, 100 + 60, 1e-9);
    /* Every coordinate an integer. */
    GEOSWKTWriter *w = GEOSWKTWriter_create_r(h);
    GEOSWKTWriter_setTrim_r(h, w, 1);
    char *text_out = GEOSWKTWriter_write_r(h, w, out);
    assert_null(strchr(text_out, '.'));
    GEOSFree_r(h, text_out);
    GEOSWKTWriter_destroy_r(h, w);
    /* And the encoder takes it without drops. */
    struct pk_mvt_geom mg = {0};
    struct pk_mvt_drops d = {0, 0, 0};
    uint8_t bytes[512];
    assert_int_equal(pk_mvt_geom_from_geos(h, out, &mg), PK_OK);
    assert_int_equal(mg.type, PK_MVT_POLYGON);
    assert_true(encode(&mg, bytes, sizeof bytes, &d) > 0);
    assert_int_equal(d.rings, 0);
    pk_mvt_geom_free(&mg);
    GEOSGeom_destroy_r(h, out);
    GEOSGeom_destroy_r(h, g);
    pk_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_zigzag),
        cmocka_unit_test(test_point_spec_example),
        cmocka_unit_test(test_line_duplicates_removed),
        cmocka_unit_test(test_polygon_winding),
        cmocka_unit_test(test_holes_and_drops),
        cmocka_unit_test(test_attributes_dedup),
        cmocka_unit_test(test_whole_tile_bytes),
        cmocka_unit_test(test_feature_dropped),
        cmocka_unit_test(test_clip_to_tile),
        cmocka_unit_test(test_clip_lines_points),
        cmocka_unit_test(test_clip_rounding_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
