/* test_sink.c — the feature sinks (sink_int.h), store layer and file:
 * a successful write is registered (or read back by OGR) whole; an
 * add_feature error or an abort midway (alone, or inside the caller's
 * transaction, which then rolls back) leaves the store byte-identical and
 * no file or temporary folder; the registry kind follows the geometries;
 * a file output is written in batched transactions and never replaces a
 * file that appeared under its name meanwhile; which names are files and
 * their formats; a shapefile's files move together, all or none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdal.h>
#include <ogr_api.h>

#include "geom_int.h"
#include "sink_int.h"
#include "fixture.h"

static const struct pk_column cols[] = {{"name", "TEXT"}, {"n", "INTEGER"}, {"area_m2", "REAL"}};

/* A folder with a store plan.sqlite (EPSG:4326, metric CRS EPSG:4549). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fx_open_measure(f, "test_sink", "EPSG:4326", "EPSG:4549") != 0)
        return -1;
    *state = f;
    return 0;
}

/* Remove the folder with everything in it (temporary folders too). */
static int teardown(void **state)
{
    struct fixture *f = *state;
    fx_close(f);
    free(f);
    return 0;
}

static GEOSGeometry *wkt(struct fixture *f, const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(pk_geos(f->ctx));
    GEOSGeometry *g = GEOSWKTReader_read_r(pk_geos(f->ctx), r, text);
    GEOSWKTReader_destroy_r(pk_geos(f->ctx), r);
    assert_non_null(g);
    return g;
}

/* Write one feature given as WKT with values name, n, area. */
static int put(struct fixture *f, struct pk_sink *s, const char *geom_wkt, const char *name, const char *n)
{
    GEOSGeometry *g = geom_wkt ? wkt(f, geom_wkt) : NULL;
    const char *vals[] = {name, n, "1.5"};
    int rc = pk_sink_write(s, g, vals);
    if (g)
        GEOSGeom_destroy_r(pk_geos(f->ctx), g);
    return rc;
}

static const char *square(int i)
{
    static char buf[200];
    double x = 120.9 + 0.01 * i, y = 31.3;
    snprintf(buf, sizeof buf, "POLYGON((%g %g, %g %g, %g %g, %g %g, %g %g))", x, y, x + 0.01, y, x + 0.01,
             y + 0.01, x, y + 0.01, x, y);
    return buf;
}

/* A text value of the store (a copy in buf; "" for none). */
static const char *store_text(struct fixture *f, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(f->store->db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static long long store_int(struct fixture *f, const char *sql)
{
    long long v = -1;
    assert_int_equal(pk_sql_int(f->store, sql, NULL, &v, NULL), PK_OK);
    return v;
}

/* The bytes of the store file (and its WAL) with the store closed; the
 * store is reopened afterwards. Caller frees. */
static char *store_bytes(struct fixture *f, size_t *size)
{
    pk_store_close(f->store);
    f->store = NULL;
    char *buf = NULL, store_path[400];
    *size = 0;
    fx_path(f, "plan.sqlite", store_path, sizeof store_path);
    FILE *m = open_memstream(&buf, size);
    const char *suffixes[] = {"", "-wal", "-journal"};
    for (size_t i = 0; i < 3; i++) {
        char p[500];
        snprintf(p, sizeof p, "%s%s", store_path, suffixes[i]);
        FILE *in = fopen(p, "rb");
        int c;
        fprintf(m, "[%s]", suffixes[i]);
        while (in && (c = fgetc(in)) != EOF)
            fputc(c, m);
        if (in)
            fclose(in);
    }
    fclose(m);
    assert_int_equal(pk_store_open(f->ctx, store_path, &f->store), PK_OK);
    return buf;
}

/* Number of entries of the test folder other than the store's. */
static int folder_entries(struct fixture *f, const char *must_have)
{
    DIR *d = opendir(f->dir);
    struct dirent *e;
    int n = 0, found = !must_have;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strncmp(e->d_name, "plan.sqlite", 11))
            continue;
        n++;
        if (must_have && !strcmp(e->d_name, must_have))
            found = 1;
    }
    closedir(d);
    return found ? n : -1;
}

/* 1 if the (one) temporary folder of the test folder holds file name. */
static int in_temp_folder(struct fixture *f, const char *name)
{
    DIR *d = opendir(f->dir);
    struct dirent *e;
    char p[900] = "";
    while ((e = readdir(d)) != NULL)
        if (!strncmp(e->d_name, ".plankit-out-", 13))
            snprintf(p, sizeof p, "%s/%s/%s", f->dir, e->d_name, name);
    closedir(d);
    return p[0] && access(p, F_OK) == 0;
}

/* ---- store layer ---------------------------------------------------------- */

static void test_store_write(void **state)
{
    struct fixture *f = *state;
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, "pieces", "碎片", "test sink", cols, 3, &s), PK_OK);
    assert_ptr_equal(s->ops, &pk_sink_store_ops);
    for (int i = 0; i < 3; i++)
        assert_int_equal(put(f, s, square(i), i == 1 ? "玉山镇" : "x", "7"), PK_OK);
    assert_int_equal(put(f, s, NULL, NULL, NULL), PK_OK); /* a feature without geometry */
    long long count = 0;
    assert_int_equal(pk_sink_finish(s, &count), PK_OK);
    assert_int_equal(count, 4);
    char buf[200];
    assert_string_equal(store_text(f, "SELECT kind || ' ' || geometry_type || ' ' || feature_count || ' ' || title"
                                      " FROM pk_layers WHERE name='pieces'", buf, sizeof buf),
                        "zone MULTIPOLYGON 4 碎片");
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT name FROM %s WHERE fid=2",
             store_text(f, "SELECT table_name FROM pk_layers WHERE name='pieces'", buf, sizeof buf));
    assert_string_equal(store_text(f, sql, buf, sizeof buf), "玉山镇");
    assert_int_equal(store_int(f, "SELECT count(*) FROM pk_layers WHERE name LIKE '\\_pk\\_sink%' ESCAPE '\\'"), 0);
    assert_int_equal(store_int(f, "SELECT count(*) FROM pk_history WHERE object_id='pieces'"
                                  " AND command='test sink'"), 1);
    /* the name is now taken */
    assert_int_equal(pk_sink_open(f->store, "pieces", NULL, "test sink", cols, 3, &s), PK_ERR_EXISTS);
    assert_null(s);
}

/* kind and geometry type follow the geometries written */
static void test_store_kind_follows_geometry(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *name, *g1, *g2, *kind, *type;
    } cases[] = {
        {"areas", "POLYGON((121 31, 121.1 31, 121.1 31.1, 121 31))", NULL, "zone", "MULTIPOLYGON"},
        {"lines", "LINESTRING(121 31, 121.1 31.1)", "MULTILINESTRING((121 31, 121.2 31))", "line", "LINESTRING"},
        {"points", "POINT(121 31)", "MULTIPOINT((121 31), (121.1 31))", "point", "POINT"},
        {"mixed", "LINESTRING(121 31, 121.1 31.1)", "POLYGON((121 31, 121.1 31, 121.1 31.1, 121 31))", "zone",
         "GEOMETRY"},
        {"lines_gc", "GEOMETRYCOLLECTION(LINESTRING(121 31, 121.1 31.1))", NULL, "line", "LINESTRING"},
        {"nothing", NULL, NULL, "zone", "GEOMETRY"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pk_sink *s = NULL;
        assert_int_equal(pk_sink_open(f->store, cases[i].name, NULL, "test sink", cols, 3, &s), PK_OK);
        if (cases[i].g1)
            assert_int_equal(put(f, s, cases[i].g1, "a", "1"), PK_OK);
        if (cases[i].g2)
            assert_int_equal(put(f, s, cases[i].g2, "b", "2"), PK_OK);
        assert_int_equal(pk_sink_finish(s, NULL), PK_OK);
        char sql[200], buf[100];
        snprintf(sql, sizeof sql, "SELECT kind || ' ' || geometry_type FROM pk_layers WHERE name='%s'", cases[i].name);
        char want[100];
        snprintf(want, sizeof want, "%s %s", cases[i].kind, cases[i].type);
        assert_string_equal(store_text(f, sql, buf, sizeof buf), want);
    }
}

/* abort after some features: the store is byte-identical */
static void test_store_abort_leaves_store_identical(void **state)
{
    struct fixture *f = *state;
    size_t n0, n1;
    char *before = store_bytes(f, &n0);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, "halfway", NULL, "test sink", cols, 3, &s), PK_OK);
    for (int i = 0; i < 50; i++)
        assert_int_equal(put(f, s, square(i), "x", "1"), PK_OK);
    pk_sink_abort(s);
    assert_int_equal(store_int(f, "SELECT count(*) FROM pk_layers"), 0);
    char *after = store_bytes(f, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
}

/* a failing add_feature (the insert refused by a trigger) then abort, and a
 * failing open: the store is byte-identical */
static void test_store_write_error_leaves_store_identical(void **state)
{
    struct fixture *f = *state;
    size_t n0, n1;
    char *before = store_bytes(f, &n0);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, "x';--", NULL, "test sink", cols, 3, &s), PK_ERR_ARGS);
    assert_int_equal(pk_sink_open(f->store, "refused", NULL, "test sink", cols, 3, &s), PK_OK);
    char buf[100], sql[300];
    snprintf(sql, sizeof sql, "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.%s WHEN NEW.fid = 3"
             " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
             store_text(f, "SELECT table_name FROM pk_layers WHERE name LIKE '\\_pk\\_sink%' ESCAPE '\\'", buf,
                        sizeof buf));
    if (pk_sql_exec(f->store, sql) != PK_OK)
        fail_msg("%s: %s", sql, pk_errmsg(f->ctx));
    assert_int_equal(put(f, s, square(0), "x", "1"), PK_OK);
    assert_int_equal(put(f, s, square(1), "x", "1"), PK_OK);
    assert_int_equal(put(f, s, square(2), "x", "1"), PK_ERR_DB);
    assert_non_null(strstr(pk_errmsg(f->ctx), "refused by the test"));
    pk_sink_abort(s);
    pk_sql_exec(f->store, "DROP TRIGGER IF EXISTS temp.refuse"); /* (may have gone with its table) */
    char *after = store_bytes(f, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
}

/* inside the caller's transaction: abort drops what the sink made (the
 * caller may go on), a failed write keeps its message, and the caller's
 * rollback leaves the store byte-identical; a finished layer is committed
 * by the caller */
static void test_store_inside_callers_transaction(void **state)
{
    struct fixture *f = *state;
    size_t n0, n1;
    char *before = store_bytes(f, &n0);
    assert_int_equal(pk_store_begin(f->store), PK_OK);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, "inner", NULL, "test sink", cols, 3, &s), PK_OK);
    for (int i = 0; i < 10; i++)
        assert_int_equal(put(f, s, square(i), "x", "1"), PK_OK);
    pk_error(f->ctx, PK_ERR_CANCELLED, "cancelled by the test");
    pk_sink_abort(s);
    assert_int_equal(pk_errcode(f->ctx), PK_ERR_CANCELLED);
    assert_string_equal(pk_errmsg(f->ctx), "cancelled by the test");
    assert_int_equal(store_int(f, "SELECT count(*) FROM pk_layers"), 0);
    assert_int_equal(store_int(f, "SELECT count(*) FROM pk_fields"), 0);
    assert_int_equal(store_int(f, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'lyr\\_%' ESCAPE '\\'"), 0);
    assert_int_equal(store_int(f, "SELECT count(*) FROM geometry_columns WHERE f_table_name LIKE 'lyr%'"), 0);
    pk_store_rollback(f->store);
    char *after = store_bytes(f, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    /* finished inside the caller's transaction: there once the caller commits */
    assert_int_equal(pk_store_begin(f->store), PK_OK);
    assert_int_equal(pk_sink_open(f->store, "inner", NULL, "test sink", cols, 3, &s), PK_OK);
    assert_int_equal(put(f, s, "LINESTRING(121 31, 121.1 31.1)", "x", "1"), PK_OK);
    assert_int_equal(pk_sink_finish(s, NULL), PK_OK);
    assert_int_equal(pk_store_commit(f->store), PK_OK);
    char buf[100];
    assert_string_equal(store_text(f, "SELECT kind || ' ' || feature_count FROM pk_layers WHERE name='inner'", buf,
                                   sizeof buf), "line 1");
}

/* ---- file ------------------------------------------------------------------ */

static void test_file_write_gpkg(void **state)
{
    struct fixture *f = *state;
    char path[500];
    snprintf(path, sizeof path, "%s/out.gpkg", f->dir);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, path, NULL, "test sink", cols, 3, &s), PK_OK);
    assert_ptr_equal(s->ops, &pk_sink_file_ops);
    assert_int_equal(access(path, F_OK), -1); /* not under the final name while written */
    for (int i = 0; i < 5; i++)
        assert_int_equal(put(f, s, square(i), i == 4 ? "昆山" : "x", "3"), PK_OK);
    /* the features are in one open transaction: its rollback journal stays
     * between writes (one transaction per feature deletes it after each) */
    assert_int_equal(in_temp_folder(f, "out.gpkg-journal"), 1);
    assert_int_equal(put(f, s, "MULTIPOLYGON(((121 31, 121.1 31, 121.1 31.1, 121 31)))", "m", "4"), PK_OK);
    assert_int_equal(in_temp_folder(f, "out.gpkg-journal"), 1);
    long long count = 0;
    assert_int_equal(pk_sink_finish(s, &count), PK_OK);
    assert_int_equal(count, 6);
    assert_int_equal(folder_entries(f, "out.gpkg"), 1); /* no journal, no temporary folder */
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    assert_string_equal(OGR_L_GetName(l), "result");
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 6);
    assert_int_equal(wkbFlatten(OGR_L_GetGeomType(l)), wkbMultiPolygon);
    OGRFeatureH ft = OGR_L_GetFeature(l, 5);
    assert_non_null(ft);
    assert_string_equal(OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "name")), "昆山");
    assert_int_equal(wkbFlatten(OGR_G_GetGeometryType(OGR_F_GetGeometryRef(ft))), wkbMultiPolygon);
    OGR_F_Destroy(ft);
    GDALClose(ds);
}

/* more features than one transaction takes: every one is in the file */
static void test_file_batches(void **state)
{
    struct fixture *f = *state;
    char path[500];
    snprintf(path, sizeof path, "%s/many.gpkg", f->dir);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, path, "points", "test sink", cols, 3, &s), PK_OK);
    GEOSContextHandle_t h = pk_geos(f->ctx);
    const long n = 65536 + 1000;
    const char *vals[] = {"p", "1", "0"};
    for (long i = 0; i < n; i++) {
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, 120 + (double)(i % 1000) * 1e-3, 31 + (double)(i / 1000) * 1e-3);
        assert_int_equal(pk_sink_write(s, p, vals), PK_OK);
        GEOSGeom_destroy_r(h, p);
    }
    assert_int_equal(pk_sink_finish(s, NULL), PK_OK);
    assert_int_equal(folder_entries(f, "many.gpkg"), 1);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "points");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), n);
    assert_int_equal(wkbFlatten(OGR_L_GetGeomType(l)), wkbMultiPoint);
    GDALClose(ds);
}

static void test_file_abort_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    char path[500];
    snprintf(path, sizeof path, "%s/half.gpkg", f->dir);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, path, NULL, "test sink", cols, 3, &s), PK_OK);
    for (int i = 0; i < 20; i++)
        assert_int_equal(put(f, s, square(i), "x", "1"), PK_OK);
    assert_int_equal(folder_entries(f, NULL), 1); /* the temporary folder */
    pk_sink_abort(s);
    assert_int_equal(folder_entries(f, NULL), 0);
}

/* a real write error (a line into a polygon shapefile) then abort */
static void test_file_write_error_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    char path[500];
    snprintf(path, sizeof path, "%s/shapes.shp", f->dir);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, path, NULL, "test sink", cols, 3, &s), PK_OK);
    assert_int_equal(put(f, s, square(0), "x", "1"), PK_OK);
    assert_int_equal(put(f, s, "LINESTRING(121 31, 121.1 31.1)", "x", "1"), PK_ERR_GDAL);
    pk_sink_abort(s);
    assert_int_equal(folder_entries(f, NULL), 0);
}

/* a file that appears under the final name while the output is written is
 * kept, and the output fails with nothing else left */
static void test_file_never_replaces(void **state)
{
    struct fixture *f = *state;
    char path[500];
    snprintf(path, sizeof path, "%s/taken.geojson", f->dir);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, path, NULL, "test sink", cols, 3, &s), PK_OK);
    assert_int_equal(put(f, s, square(0), "x", "1"), PK_OK);
    FILE *other = fopen(path, "w");
    assert_non_null(other);
    fputs("someone else's", other);
    fclose(other);
    assert_int_equal(pk_sink_finish(s, NULL), PK_ERR_IO);
    assert_non_null(strstr(pk_errmsg(f->ctx), "taken.geojson"));
    assert_int_equal(folder_entries(f, "taken.geojson"), 1);
    char buf[64] = "";
    other = fopen(path, "r");
    assert_non_null(fgets(buf, sizeof buf, other));
    fclose(other);
    assert_string_equal(buf, "someone else's");
    /* and an existing file is refused at once */
    assert_int_equal(pk_sink_open(f->store, path, NULL, "test sink", cols, 3, &s), PK_ERR_EXISTS);
    assert_null(s);
}

/* ---- names, formats, moving into place ------------------------------------ */

/* what names a file, and the format of each extension (any case) */
static void test_names_and_formats(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(pk_sink_is_file("pieces"), 0);
    assert_int_equal(pk_sink_is_file("用地_2025"), 0);
    assert_true(pk_sink_is_file("out.gpkg"));
    assert_true(pk_sink_is_file("dir/out"));
    static const char *const map[][2] = {{"a.gpkg", "GPKG"}, {"b.GeoJSON", "GeoJSON"}, {"c.json", "GeoJSON"},
                                         {"d.shp", "ESRI Shapefile"}, {"e.CSV", "CSV"}, {"f.fgb", "FlatGeobuf"},
                                         {"g.kml", "KML"}, {"h.gml", "GML"}, {"i.sqlite", "SQLite"},
                                         {"j.dxf", "DXF"}, {"x.tar.gpkg", "GPKG"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        assert_string_equal(pk_format_for_path(map[i][0]), map[i][1]);
    assert_null(pk_format_for_path("out.xyz"));
    assert_null(pk_format_for_path("out"));
    assert_null(pk_format_for_path("out.gpkg.bak"));
    /* a file of no known format is refused, naming it, with nothing left */
    char path[500];
    fx_path(f, "out.xyz", path, sizeof path);
    struct pk_sink *s = (struct pk_sink *)1;
    assert_int_not_equal(pk_sink_open(f->store, path, NULL, "test sink", cols, 3, &s), PK_OK);
    assert_null(s);
    assert_non_null(strstr(pk_errmsg(f->ctx), "out.xyz"));
    assert_int_equal(folder_entries(f, NULL), 0);
}

/* a shapefile is several files: all of them appear together, the
 * temporary folder goes */
static void test_file_shapefile_moves_every_file(void **state)
{
    struct fixture *f = *state;
    char path[500];
    fx_path(f, "parcels.shp", path, sizeof path);
    struct pk_sink *s = NULL;
    assert_int_equal(pk_sink_open(f->store, path, NULL, "test sink", cols, 3, &s), PK_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(put(f, s, square(i), "地块", "1"), PK_OK);
    assert_int_equal(pk_sink_finish(s, NULL), PK_OK);
    const char *const parts[] = {"parcels.shp", "parcels.shx", "parcels.dbf", "parcels.prj"};
    for (size_t i = 0; i < 4; i++)
        assert_true(folder_entries(f, parts[i]) >= 4);
    DIR *d = opendir(f->dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        assert_true(strncmp(e->d_name, ".plankit-out-", 13) != 0);
    closedir(d);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, 0), 1), 3);
    GDALClose(ds);
}

/* moving a folder's files is all or none: when one name is taken, the
 * files already moved go back and the taken one is untouched */
static void test_move_all_or_none(void **state)
{
    struct fixture *f = *state;
    char src[400], dest[400], p[500];
    fx_path(f, "from", src, sizeof src);
    fx_path(f, "to", dest, sizeof dest);
    assert_int_equal(mkdir(src, 0700), 0);
    assert_int_equal(mkdir(dest, 0700), 0);
    const char *const names[] = {"a.dbf", "b.shp", "c.shx"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", src, names[i]);
        FILE *fp = fopen(p, "w");
        assert_non_null(fp);
        fputs(names[i], fp);
        fclose(fp);
    }
    snprintf(p, sizeof p, "%s/b.shp", dest);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs("theirs", fp);
    fclose(fp);
    assert_int_equal(pk_fs_move_all(f->ctx, src, dest), PK_ERR_IO);
    assert_non_null(strstr(pk_errmsg(f->ctx), "b.shp"));
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", src, names[i]);
        assert_int_equal(access(p, F_OK), 0); /* every file back where it was */
    }
    snprintf(p, sizeof p, "%s/a.dbf", dest);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/b.shp", dest);
    char buf[32] = "";
    fp = fopen(p, "r");
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "theirs");
    /* with the name free, everything moves */
    assert_int_equal(unlink(p), 0);
    assert_int_equal(pk_fs_move_all(f->ctx, src, dest), PK_OK);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dest, names[i]);
        assert_int_equal(access(p, F_OK), 0);
    }
    pk_fs_remove_dir(src);
    assert_int_equal(access(src, F_OK), -1);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_kind_follows_geometry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_abort_leaves_store_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_write_error_leaves_store_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_inside_callers_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_write_gpkg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_abort_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_write_error_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_never_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_and_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_shapefile_moves_every_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_all_or_none, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
