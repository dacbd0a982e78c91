/* test_bulk.c — the bulk writing of new layer tables (layer_bulk.c) and the
 * packed R*Tree (rtree_pack.c):
 *  - a packed R*Tree holds exactly the rows, with exactly the coordinates,
 *    that SQLite's own row-by-row inserts give for the same boxes (outward
 *    float rounding included), passes rtreecheck(), answers window queries
 *    like the inserted one, and stays correct when the rtree module then
 *    deletes and inserts rows — for 0, 1, one full node, one more, two
 *    levels and three levels of entries; a tree that is not empty is
 *    refused;
 *  - a layer loaded in bulk has SpatiaLite's eight triggers back (a later
 *    insert is indexed by them), a valid spatial index, its insert time
 *    stamped, and registry count and extent equal to the table's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtree_pack_int.h"
#include "store_int.h"
#include "fixture.h"

/* A deterministic pseudo-random number in [0, 1). */
static double next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

/* Boxes of all sizes over [100, 130] × [20, 45], coordinates not floats. */
static void make_boxes(struct pk_rtree_entry *e, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        double x = 100 + 30 * next_random(&seed), y = 20 + 25 * next_random(&seed);
        double w = pow(10, -4 + 4 * next_random(&seed)), h = pow(10, -4 + 4 * next_random(&seed));
        e[i] = (struct pk_rtree_entry){(long long)(3 * i + 1), {x, y, x + w, y + h}};
    }
}

static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void query_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

static void assert_rtree_ok(sqlite3 *db, const char *table)
{
    char *sql = sqlite3_mprintf("SELECT rtreecheck('%q')", table);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_free(sql);
}

/* The packed and the inserted trees hold the same rows and answer the
 * same windows. */
static void assert_same_trees(sqlite3 *db, uint64_t seed)
{
    assert_rtree_ok(db, "packed");
    assert_int_equal(query_int(db, "SELECT count(*) FROM (SELECT * FROM packed EXCEPT SELECT * FROM inserted)"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM (SELECT * FROM inserted EXCEPT SELECT * FROM packed)"), 0);
    for (int q = 0; q < 40; q++) {
        double x = 100 + 30 * next_random(&seed), y = 20 + 25 * next_random(&seed), s = 3 * next_random(&seed);
        char sql[400];
        snprintf(sql, sizeof sql, "SELECT count(*) || ',' || total(pkid) FROM %%s WHERE xmin <= %.17g AND xmax >= %.17g"
                 " AND ymin <= %.17g AND ymax >= %.17g", x + s, x, y + s, y);
        char a[500], b[500];
        snprintf(a, sizeof a, sql, "packed");
        snprintf(b, sizeof b, sql, "inserted");
        sqlite3_stmt *sa = NULL, *sb = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, a, -1, &sa, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, b, -1, &sb, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(sa), SQLITE_ROW);
        assert_int_equal(sqlite3_step(sb), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(sa, 0), (const char *)sqlite3_column_text(sb, 0));
        sqlite3_finalize(sa);
        sqlite3_finalize(sb);
    }
}

static void pack_and_compare(struct fixture *f, size_t n)
{
    sqlite3 *db = f->store->db;
    struct pk_rtree_entry *e = calloc(n ? n : 1, sizeof *e);
    assert_non_null(e);
    make_boxes(e, n, 42 + n);
    query_ok(db, "DROP TABLE IF EXISTS packed; DROP TABLE IF EXISTS inserted;"
                 "CREATE VIRTUAL TABLE packed USING rtree(pkid, xmin, xmax, ymin, ymax);"
                 "CREATE VIRTUAL TABLE inserted USING rtree(pkid, xmin, xmax, ymin, ymax);");
    assert_int_equal(pk_store_begin(f->store), PK_OK);
    assert_int_equal(pk_rtree_pack(f->store, "packed", e, n), PK_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO inserted VALUES(?, ?, ?, ?, ?)", -1, &st, NULL), SQLITE_OK);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, e[i].id);
        sqlite3_bind_double(st, 2, e[i].box[0]);
        sqlite3_bind_double(st, 3, e[i].box[2]);
        sqlite3_bind_double(st, 4, e[i].box[1]);
        sqlite3_bind_double(st, 5, e[i].box[3]);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    assert_int_equal(pk_store_commit(f->store), PK_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM packed"), (long long)n);
    assert_same_trees(db, 7 + n);
    /* the module keeps the packed tree: deletes condense it, inserts split it */
    query_ok(db, "DELETE FROM packed WHERE pkid % 9 = 1; DELETE FROM inserted WHERE pkid % 9 = 1;"
                 "INSERT INTO packed SELECT pkid + 1, xmin + 1, xmax + 1, ymin, ymax FROM inserted WHERE pkid % 4 = 0;"
                 "INSERT INTO inserted SELECT pkid + 1, xmin + 1, xmax + 1, ymin, ymax FROM inserted"
                 " WHERE pkid % 4 = 0 AND pkid % 3 = 1;");
    assert_same_trees(db, 11 + n);
    free(e);
}

static void test_pack_sizes(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fx_open_measure(&f, "bulk-pack", "EPSG:4326", "EPSG:6933"), 0);
    /* 51 entries fill a node of a 4096-byte page's tree; 2,700 take three levels */
    const size_t sizes[] = {0, 1, 51, 52, 700, 2700};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        pack_and_compare(&f, sizes[k]);
    assert_true(query_int(f.store->db, "SELECT count(*) FROM packed_node") > 51);
    /* only an empty tree is packed: one with entries is refused, not corrupted */
    struct pk_rtree_entry one = {1, {0, 0, 1, 1}};
    assert_int_equal(pk_store_begin(f.store), PK_OK);
    assert_int_equal(pk_rtree_pack(f.store, "packed", &one, 1), PK_ERR_DB);
    pk_store_rollback(f.store);
    assert_rtree_ok(f.store->db, "packed");
    fx_close(&f);
}

/* 300 squares and two features without geometry, loaded as "lots". */
static void write_lots(struct fixture *f)
{
    size_t cap = 400 * 200 + 200;
    char *text = malloc(cap), *p = text;
    assert_non_null(text);
    p += sprintf(p, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int i = 0; i < 300; i++) {
        double x = 120 + (i % 20) * 0.01, y = 31 + (i / 20) * 0.01, s = 0.004 + (i % 7) * 0.0007;
        p += sprintf(p, "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"地块%d\"},\"geometry\":{\"type\":\"Polygon\","
                     "\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}}",
                     i ? "," : "", i, x, y, x + s, y, x + s, y + s, x, y + s, x, y);
    }
    p += sprintf(p, ",{\"type\":\"Feature\",\"properties\":{\"name\":\"无形1\"},\"geometry\":null}"
                    ",{\"type\":\"Feature\",\"properties\":{\"name\":\"无形2\"},\"geometry\":null}]}");
    assert_int_equal(fx_write(f, "lots.geojson", text), 0);
    free(text);
}

static void test_layer_load(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fx_open_measure(&f, "bulk-load", "EPSG:4326", "EPSG:6933"), 0);
    write_lots(&f);
    assert_int_equal(fx_load(&f, "lots.geojson", "lots", NULL), PK_OK);
    sqlite3 *db = f.store->db;
    char table[64];
    snprintf(table, sizeof table, "lyr_%lld", query_int(db, "SELECT id FROM pk_layers WHERE name='lots'"));
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND tbl_name='%s' AND"
             " substr(name, 1, 4) IN ('ggi_', 'ggu_', 'gii_', 'giu_', 'gid_', 'tmi_', 'tmu_', 'tmd_')", table);
    assert_int_equal(query_int(db, sql), 8);
    snprintf(sql, sizeof sql, "SELECT CheckSpatialIndex('%s', 'geom')", table);
    assert_int_equal(query_int(db, sql), 1);
    snprintf(sql, sizeof sql, "idx_%s_geom", table);
    assert_rtree_ok(db, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM idx_%s_geom", table);
    assert_int_equal(query_int(db, sql), 300);
    snprintf(sql, sizeof sql, "SELECT last_insert > '2000' FROM geometry_columns_time WHERE f_table_name='%s'", table);
    assert_int_equal(query_int(db, sql), 1);
    snprintf(sql, sizeof sql, "SELECT feature_count = (SELECT count(*) FROM %s) AND min_x = (SELECT min(MbrMinX(geom))"
             " FROM %s) AND max_y = (SELECT max(MbrMaxY(geom)) FROM %s) AND feature_count = 302 FROM pk_layers"
             " WHERE name='lots'", table, table, table);
    assert_int_equal(query_int(db, sql), 1);
    /* the triggers are SpatiaLite's again: a later insert is indexed, a wrong SRID refused */
    snprintf(sql, sizeof sql, "INSERT INTO %s(fid, geom) VALUES(1000, MakePoint(121.5, 31.5, 4326))", table);
    query_ok(db, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM idx_%s_geom WHERE pkid = 1000 AND xmin <= 121.5 AND xmax >= 121.5",
             table);
    assert_int_equal(query_int(db, sql), 1);
    snprintf(sql, sizeof sql, "INSERT INTO %s(fid, geom) VALUES(1001, MakePoint(121.5, 31.5, 3857))", table);
    assert_int_not_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_sizes),
        cmocka_unit_test(test_layer_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
