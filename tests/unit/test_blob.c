/* test_blob.c — SpatiaLite geometry BLOBs: plankit's encoder writes the
 * very bytes SpatiaLite's GeomFromWKB writes, its decoder reads SpatiaLite's
 * BLOBs back to the same geometry, and malformed or unsupported BLOBs are
 * refused with the right code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <spatialite.h>

#include "blob_int.h"

struct fixture {
    GEOSContextHandle_t h;
    sqlite3 *db;
    void *cache;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->h = GEOS_init_r();
    if (sqlite3_open(":memory:", &f->db) != SQLITE_OK)
        return -1;
    f->cache = spatialite_alloc_connection();
    spatialite_init_ex(f->db, f->cache, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sqlite3_close(f->db);
    spatialite_cleanup_ex(f->cache);
    GEOS_finish_r(f->h);
    free(f);
    return 0;
}

/* SpatiaLite's BLOB for a WKT (caller frees). */
static unsigned char *spatialite_blob(struct fixture *f, const char *sql_fn, const char *wkt, int srid, size_t *size)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s(?, ?)", sql_fn);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, wkt, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, srid);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *size = (size_t)sqlite3_column_bytes(st, 0);
    assert_true(*size > 0);
    unsigned char *b = malloc(*size);
    memcpy(b, sqlite3_column_blob(st, 0), *size);
    sqlite3_finalize(st);
    return b;
}

static GEOSGeometry *wkt(GEOSContextHandle_t h, const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, text);
    GEOSWKTReader_destroy_r(h, r);
    assert_non_null(g);
    return g;
}

static const char *const shapes[] = {
    "POINT(121.5 31.25)",
    "LINESTRING(120 30,121 31,122.125 31.5)",
    "POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,2 3,3 3,3 2,2 2))",
    "MULTIPOINT((1 2),(3 4))",
    "MULTILINESTRING((0 0,1 1),(2 2,3 3,4 5))",
    "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 6,5 5),(5.2 5.2,5.2 5.4,5.4 5.4,5.2 5.2)))",
    "GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 2),POLYGON((0 0,1 0,1 1,0 0)))",
};

static void test_same_bytes_as_spatialite(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t theirs_size, ours_size;
        unsigned char *theirs = spatialite_blob(f, "GeomFromText", shapes[i], 4326, &theirs_size);
        GEOSGeometry *g = wkt(f->h, shapes[i]);
        unsigned char *ours;
        assert_int_equal(pk_blob_from_geos(f->h, g, 4326, &ours, &ours_size), PK_OK);
        assert_int_equal(ours_size, theirs_size);
        assert_memory_equal(ours, theirs, ours_size);
        /* and back */
        GEOSGeometry *back;
        assert_int_equal(pk_blob_to_geos(f->h, theirs, theirs_size, &back), PK_OK);
        assert_int_equal(GEOSEqualsExact_r(f->h, g, back, 0), 1);
        GEOSGeom_destroy_r(f->h, back);
        GEOSGeom_destroy_r(f->h, g);
        free(ours);
        free(theirs);
    }
}

static void test_big_endian_blob(void **state)
{
    struct fixture *f = *state;
    size_t size;
    unsigned char *b = spatialite_blob(f, "GeomFromText", shapes[2], 4326, &size);
    /* re-encode in the other byte order by hand: every 4- and 8-byte field */
    unsigned char *be = malloc(size);
    memcpy(be, b, size);
    be[1] = !b[1];
    for (int k = 2; k < 6; k++)
        be[k] = b[7 - k];
    for (int d = 0; d < 4; d++)
        for (int k = 0; k < 8; k++)
            be[6 + 8 * d + k] = b[6 + 8 * d + 7 - k];
    size_t p = 39;
    for (int k = 0; k < 4; k++) /* class */
        be[p + k] = b[p + 3 - k];
    p += 4;
    for (int k = 0; k < 4; k++) /* ring count */
        be[p + k] = b[p + 3 - k];
    p += 4;
    for (int ring = 0; ring < 2; ring++) {
        uint32_t n;
        memcpy(&n, b + p, 4);
        for (int k = 0; k < 4; k++)
            be[p + k] = b[p + 3 - k];
        p += 4;
        for (uint32_t v = 0; v < 2 * n; v++, p += 8)
            for (int k = 0; k < 8; k++)
                be[p + k] = b[p + 7 - k];
    }
    GEOSGeometry *g, *ref = wkt(f->h, shapes[2]);
    assert_int_equal(pk_blob_to_geos(f->h, be, size, &g), PK_OK);
    assert_int_equal(GEOSEqualsExact_r(f->h, g, ref, 0), 1);
    GEOSGeom_destroy_r(f->h, g);
    GEOSGeom_destroy_r(f->h, ref);
    free(be);
    free(b);
}

static void test_refused(void **state)
{
    struct fixture *f = *state;
    size_t size;
    unsigned char *b = spatialite_blob(f, "GeomFromText", shapes[5], 4326, &size);
    GEOSGeometry *g = NULL;
    for (size_t cut = 0; cut < size; cut += 7) /* every truncation is malformed */
        assert_int_equal(pk_blob_to_geos(f->h, b, cut, &g), PK_ERR_DATA);
    b[size - 1] = 0x00; /* no end marker */
    assert_int_equal(pk_blob_to_geos(f->h, b, size, &g), PK_ERR_DATA);
    b[size - 1] = 0xFE;
    b[47] = 0x00; /* a member without its 0x69 mark */
    assert_int_equal(pk_blob_to_geos(f->h, b, size, &g), PK_ERR_DATA);
    assert_null(g);
    free(b);
    unsigned char *z = spatialite_blob(f, "GeomFromText", "POINT Z(1 2 3)", 4326, &size);
    assert_int_equal(pk_blob_to_geos(f->h, z, size, &g), PK_ERR_ARGS); /* a 3D class: use SpatiaLite */
    free(z);
    unsigned char *c = spatialite_blob(f, "GeomFromText", "LINESTRING(0 0,1 1,2 2)", 4326, &size);
    uint32_t compressed = 1000002; /* the class of a compressed linestring */
    memcpy(c + 39, &compressed, 4);
    assert_int_equal(pk_blob_to_geos(f->h, c, size, &g), PK_ERR_ARGS);
    free(c);
    GEOSGeometry *empty = wkt(f->h, "POLYGON EMPTY");
    unsigned char *out;
    assert_int_equal(pk_blob_from_geos(f->h, empty, 4326, &out, &size), PK_ERR_ARGS);
    GEOSGeom_destroy_r(f->h, empty);
    /* empty members have no SpatiaLite encoding: refused, never written malformed */
    static const char *const empty_members[] = {"MULTIPOINT((1 2),EMPTY)",
                                                "GEOMETRYCOLLECTION(POINT(1 1),POLYGON EMPTY)"};
    for (size_t i = 0; i < 2; i++) {
        empty = wkt(f->h, empty_members[i]);
        assert_int_equal(pk_blob_from_geos(f->h, empty, 4326, &out, &size), PK_ERR_ARGS);
        GEOSGeom_destroy_r(f->h, empty);
    }
    /* a linestring of no points (n = 0) is read without touching memory */
    unsigned char zero[39 + 4 + 4 + 1] = {0x00, 0x01};
    zero[38] = 0x7C;
    zero[39] = 2; /* class: linestring */
    zero[47] = 0xFE;
    assert_int_equal(pk_blob_to_geos(f->h, zero, sizeof zero, &g), PK_OK);
    assert_non_null(g);
    assert_int_equal(GEOSisEmpty_r(f->h, g), 1); /* an empty linestring */
    GEOSGeom_destroy_r(f->h, g);
    g = NULL;
    unsigned char tiny[] = {0x80, 0x01, 0, 0, 0, 0};
    assert_int_equal(pk_blob_to_geos(f->h, tiny, sizeof tiny, &g), PK_ERR_ARGS); /* TinyPoint: SpatiaLite's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_spatialite),
        cmocka_unit_test(test_big_endian_blob),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
