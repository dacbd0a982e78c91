/* test_tile_kunshan.c — real tiles end to end, read back by independent
 * decoders. The Kunshan towns (layers/kunshan-towns.geojson, read with
 * OGR, projected to EPSG:3857 with PROJ) are clipped and encoded into every
 * tile of z8..z10 that covers them and written to an MBTiles file, a
 * PMTiles file and a z/x/y folder. Each MBTiles tile is then decoded by
 * GDAL's MVT driver (feature count, ids, every attribute including the
 * Chinese names, valid geometry of the area encoded), and the whole file
 * is opened with GDAL's MBTiles driver. The outputs stay in
 * $PLANKIT_TILE_OUT with expected.json for tests/js/test_tiles.mjs, which
 * decodes them again with @mapbox/vector-tile and pmtiles; a second
 * PMTiles archive of ~44000 small tiles (z0..z8) there exercises leaf
 * directories. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <json-c/json.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plankit/ctx.h"
#include "tile_clip_int.h"
#include "tile_mvt_int.h"
#include "tile_sink_int.h"

#define MAX_TOWNS 64
#define MAX_TILES 64
#define BUFFER 64

struct town {
    GEOSGeometry *g;             /* EPSG:3857 */
    char *name, *name_en, *code;
    int64_t rank, offset;
    double cx;
    int is_town;
};

struct expected_tile {
    int z;
    uint32_t x, y;
    int n;
    int towns[MAX_TOWNS];        /* index of each feature's town */
    double area[MAX_TOWNS];      /* its encoded area, tile units squared */
};

static struct pk_ctx *CTX;
static struct town TOWNS[MAX_TOWNS];
static int NTOWNS;
static struct expected_tile TILES[MAX_TILES];
static int NTILES;
static char OUT[1024];

static void path_in_out(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", OUT, name);
}

static char *field(OGRFeatureH f, const char *name)
{
    int i = OGR_F_GetFieldIndex(f, name);
    assert_true(i >= 0);
    char *s = strdup(OGR_F_GetFieldAsString(f, i));
    assert_non_null(s);
    return s;
}

/* Read the towns, projected to Web Mercator. */
static void load_towns(void)
{
    GEOSContextHandle_t h = pk_geos(CTX);
    char path[1024];
    snprintf(path, sizeof path, "%s/layers/kunshan-towns.geojson", getenv("PLANKIT_SOURCE_DIR"));
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), merc = OSRNewSpatialReference(NULL);
    assert_int_equal(OSRImportFromEPSG(wgs, 4326), OGRERR_NONE);
    assert_int_equal(OSRImportFromEPSG(merc, 3857), OGRERR_NONE);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(merc, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(wgs, merc);
    assert_non_null(ct);
    GEOSWKBReader *reader = GEOSWKBReader_create_r(h);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(layer)) && NTOWNS < MAX_TOWNS) {
        struct town *t = &TOWNS[NTOWNS];
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        assert_int_equal(OGR_G_Transform(g, ct), OGRERR_NONE);
        size_t n = (size_t)OGR_G_WkbSize(g);
        unsigned char *wkb = malloc(n);
        assert_int_equal(OGR_G_ExportToIsoWkb(g, wkbNDR, wkb), OGRERR_NONE);
        t->g = GEOSWKBReader_read_r(h, reader, wkb, n);
        assert_non_null(t->g);
        free(wkb);
        t->name = field(f, "name");
        t->name_en = field(f, "name_en");
        t->code = field(f, "code");
        char *category = field(f, "category");
        t->is_town = strcmp(category, "town") == 0;
        free(category);
        t->rank = NTOWNS + 1;
        t->offset = NTOWNS - 6;
        GEOSGeometry *c = GEOSGetCentroid_r(h, t->g);
        assert_int_equal(GEOSGeomGetX_r(h, c, &t->cx), 1);
        GEOSGeom_destroy_r(h, c);
        OGR_F_Destroy(f);
        NTOWNS++;
    }
    GEOSWKBReader_destroy_r(h, reader);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(merc);
    GDALClose(ds);
    assert_int_equal(NTOWNS, 12);
}

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    CTX = pk_ctx_new();
    const char *out = getenv("PLANKIT_TILE_OUT");
    if (out)
        snprintf(OUT, sizeof OUT, "%s", out);
    else
        snprintf(OUT, sizeof OUT, "/tmp/plankit-tile-out");
    pk_tile_remove_tree(OUT);
    return CTX && mkdir(OUT, 0755) == 0 && getenv("PLANKIT_SOURCE_DIR") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NTOWNS; i++) {
        GEOSGeom_destroy_r(pk_geos(CTX), TOWNS[i].g);
        free(TOWNS[i].name);
        free(TOWNS[i].name_en);
        free(TOWNS[i].code);
    }
    pk_ctx_free(CTX);
    return 0;
}

/* Clip every town to tile z/x/y and add those left; fills e. */
static void encode_tile(struct pk_mvt_tile *t, struct expected_tile *e)
{
    GEOSContextHandle_t h = pk_geos(CTX);
    struct pk_mvt_layer *l;
    struct pk_mvt_geom g = {0};
    assert_int_equal(pk_mvt_tile_add_layer(t, "towns", 4096, &l), PK_OK);
    for (int i = 0; i < NTOWNS; i++) {
        const struct town *tw = &TOWNS[i];
        GEOSGeometry *clipped;
        assert_int_equal(pk_tile_clip(CTX, tw->g, e->z, e->x, e->y, 4096, BUFFER, &clipped), PK_OK);
        if (!clipped)
            continue;
        assert_int_equal(pk_mvt_geom_from_geos(h, clipped, &g), PK_OK);
        struct pk_mvt_attr a[] = {
            {.key = "name", .type = PK_MVT_STRING, .v.s = tw->name},
            {.key = "name_en", .type = PK_MVT_STRING, .v.s = tw->name_en},
            {.key = "code", .type = PK_MVT_STRING, .v.s = tw->code},
            {.key = "rank", .type = PK_MVT_INT, .v.i = tw->rank},
            {.key = "offset", .type = PK_MVT_INT, .v.i = tw->offset},
            {.key = "cx", .type = PK_MVT_DOUBLE, .v.d = tw->cx},
            {.key = "is_town", .type = PK_MVT_BOOL, .v.b = tw->is_town},
        };
        size_t before = pk_mvt_layer_nfeatures(l);
        assert_int_equal(pk_mvt_layer_add_feature(l, 1, (uint64_t)tw->rank, &g, a, 7, NULL), PK_OK);
        if (pk_mvt_layer_nfeatures(l) > before) {
            assert_int_equal(GEOSArea_r(h, clipped, &e->area[e->n]), 1);
            e->towns[e->n++] = i;
        }
        GEOSGeom_destroy_r(h, clipped);
    }
    pk_mvt_geom_free(&g);
}

static const struct pk_tile_field FIELDS[] = {
    {"name", "String"}, {"name_en", "String"}, {"code", "String"}, {"rank", "Number"},
    {"offset", "Number"}, {"cx", "Number"}, {"is_town", "Boolean"},
};
static const struct pk_tile_layer_meta LAYERS[] = {{"towns", "昆山区镇 (schematic)", FIELDS, 7, 8, 10}};

static struct pk_tile_meta towns_meta(void)
{
    struct pk_tile_meta m = {
        .name = "昆山区镇", .description = "plankit test tiles", .attribution = "plankit",
        .bounds = {120.805664, 31.107422, 121.162109, 31.541992},
        .center = {120.98, 31.32, 9}, .minzoom = 8, .maxzoom = 10, .layers = LAYERS, .nlayers = 1,
    };
    return m;
}

/* Encode every tile of z8..z10 over the towns into the three sinks. */
static void write_tiles(void)
{
    const struct pk_tile_sink_ops *ops[] = {&pk_tile_mbtiles_ops, &pk_tile_pmtiles_ops, &pk_tile_dir_ops};
    const char *names[] = {"towns.mbtiles", "towns.pmtiles", "towns-xyz"};
    struct pk_tile_sink *sinks[3];
    struct pk_tile_meta meta = towns_meta();
    for (int k = 0; k < 3; k++) {
        char path[1100];
        path_in_out(path, sizeof path, names[k]);
        assert_int_equal(ops[k]->open(CTX, path, &meta, &sinks[k]), PK_OK);
    }
    double env[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < NTOWNS; i++) {
        double v[4];
        GEOSGeom_getXMin_r(pk_geos(CTX), TOWNS[i].g, &v[0]);
        GEOSGeom_getYMin_r(pk_geos(CTX), TOWNS[i].g, &v[1]);
        GEOSGeom_getXMax_r(pk_geos(CTX), TOWNS[i].g, &v[2]);
        GEOSGeom_getYMax_r(pk_geos(CTX), TOWNS[i].g, &v[3]);
        env[0] = fmin(env[0], v[0]), env[1] = fmin(env[1], v[1]);
        env[2] = fmax(env[2], v[2]), env[3] = fmax(env[3], v[3]);
    }
    struct pk_tbuf gz = {0};
    for (int z = 8; z <= 10; z++) {
        double size = 2 * PK_MERCATOR_HALF / (1 << z);
        uint32_t x0 = (uint32_t)floor((env[0] + PK_MERCATOR_HALF) / size);
        uint32_t x1 = (uint32_t)floor((env[2] + PK_MERCATOR_HALF) / size);
        uint32_t y0 = (uint32_t)floor((PK_MERCATOR_HALF - env[3]) / size);
        uint32_t y1 = (uint32_t)floor((PK_MERCATOR_HALF - env[1]) / size);
        for (uint32_t x = x0; x <= x1; x++)
            for (uint32_t y = y0; y <= y1; y++) {
                assert_true(NTILES < MAX_TILES);
                struct expected_tile *e = &TILES[NTILES];
                *e = (struct expected_tile){.z = z, .x = x, .y = y};
                struct pk_mvt_tile *t = pk_mvt_tile_new();
                encode_tile(t, e);
                assert_int_equal(pk_mvt_tile_serialize(t, 1, &gz), PK_OK);
                if (e->n > 0) {
                    for (int k = 0; k < 3; k++)
                        assert_int_equal(ops[k]->put(sinks[k], z, x, y, gz.data, gz.len), PK_OK);
                    NTILES++;
                }
                pk_mvt_tile_free(t);
            }
    }
    pk_tbuf_free(&gz);
    for (int k = 0; k < 3; k++)
        assert_int_equal(ops[k]->finish(sinks[k]), PK_OK);
    assert_true(NTILES >= 6);
}

static const struct town *town_by_id(GIntBig fid)
{
    for (int i = 0; i < NTOWNS; i++)
        if (TOWNS[i].rank == fid)
            return &TOWNS[i];
    fail_msg("feature id %lld is no town", (long long)fid);
    return NULL;
}

/* One decoded feature against the town it came from. */
static void check_feature(OGRFeatureH f, const struct expected_tile *e)
{
    /* GDAL exposes the MVT feature id as the field mvt_id. */
    const struct town *tw = town_by_id(OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "mvt_id")));
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "name")), tw->name);
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "name_en")), tw->name_en);
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "code")), tw->code);
    assert_int_equal(OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "rank")), tw->rank);
    assert_int_equal(OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "offset")), tw->offset);
    assert_true(OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "cx")) == tw->cx);
    assert_int_equal(OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "is_town")), tw->is_town);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    assert_non_null(g);
    assert_int_equal(wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPolygon ||
                     wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPolygon, 1);
    assert_true(OGR_G_IsValid(g));
    for (int k = 0; k < e->n; k++)
        if (&TOWNS[e->towns[k]] == tw)
            assert_float_equal(OGR_G_Area(g), e->area[k], 1e-6 * e->area[k] + 1e-6);
}

/* Decode one MBTiles blob with GDAL's MVT driver (tile coordinates). */
static void check_blob_with_gdal(const void *blob, int len, const struct expected_tile *e)
{
    /* One name per tile: GDAL's gzip reader caches by file name. */
    char mem[128];
    snprintf(mem, sizeof mem, "/vsimem/plankit_tile_%d_%u_%u.pbf", e->z, e->x, e->y);
    VSILFILE *fp = VSIFileFromMemBuffer(mem, (GByte *)(uintptr_t)blob, (vsi_l_offset)len, FALSE);
    assert_non_null(fp);
    VSIFCloseL(fp);
    const char *drivers[] = {"MVT", NULL};
    const char *options[] = {"CLIP=NO", NULL}; /* keep the buffer GDAL would cut */
    GDALDatasetH ds = GDALOpenEx(mem, GDAL_OF_VECTOR, drivers, options, NULL);
    if (!ds)
        fail_msg("GDAL cannot open tile %d/%u/%u: %s", e->z, e->x, e->y, CPLGetLastErrorMsg());
    assert_int_equal(GDALDatasetGetLayerCount(ds), 1);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "towns");
    assert_non_null(l);
    int n = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        check_feature(f, e);
        OGR_F_Destroy(f);
        n++;
    }
    assert_int_equal(n, e->n);
    GDALClose(ds);
    VSIUnlink(mem);
}

/* The folder holds the same tile, ungzipped (the node test decodes it). */
static void check_same_as_folder(const void *blob, int len, const struct expected_tile *e)
{
    char file[1200];
    snprintf(file, sizeof file, "%s/towns-xyz/%d/%u/%u.pbf", OUT, e->z, e->x, e->y);
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    struct pk_tbuf raw = {0}, disk = {0};
    assert_int_equal(pk_gunzip(blob, (size_t)len, &raw), 0);
    assert_int_equal(pk_tbuf_reserve(&disk, raw.len + 1), 0);
    disk.len = fread(disk.data, 1, raw.len + 1, f);
    fclose(f);
    assert_int_equal(disk.len, raw.len);
    assert_memory_equal(disk.data, raw.data, raw.len);
    pk_tbuf_free(&raw);
    pk_tbuf_free(&disk);
}

static void check_mbtiles_tiles(void)
{
    char path[1100];
    path_in_out(path, sizeof path, "towns.mbtiles");
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT tile_data FROM tiles WHERE zoom_level = ? AND "
                                            "tile_column = ? AND tile_row = ?", -1, &st, NULL), SQLITE_OK);
    for (int i = 0; i < NTILES; i++) {
        const struct expected_tile *e = &TILES[i];
        sqlite3_reset(st);
        sqlite3_bind_int(st, 1, e->z);
        sqlite3_bind_int64(st, 2, e->x);
        sqlite3_bind_int64(st, 3, ((int64_t)1 << e->z) - 1 - e->y);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        const void *blob = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        check_blob_with_gdal(blob, len, e);
        check_same_as_folder(blob, len, e);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The whole file through GDAL's MBTiles driver at z10: the layer, its
 * fields, and features within Kunshan. */
static void check_mbtiles_with_gdal(void)
{
    char path[1100];
    path_in_out(path, sizeof path, "towns.mbtiles");
    const char *drivers[] = {"MBTiles", NULL};
    const char *options[] = {"ZOOM_LEVEL=10", NULL};
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, drivers, options, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "towns");
    assert_non_null(l);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    assert_true(OGR_FD_GetFieldIndex(defn, "name") >= 0);
    assert_true(OGR_FD_GetFieldIndex(defn, "is_town") >= 0);
    int n = 0, seen_chinese = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l))) {
        const char *name = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "name"));
        seen_chinese |= strcmp(name, "张浦镇") == 0;
        OGREnvelope env;
        OGR_G_GetEnvelope(OGR_F_GetGeometryRef(f), &env);
        assert_true(env.MinX > 13.4e6 && env.MaxX < 13.5e6 && env.MinY > 3.64e6 && env.MaxY < 3.71e6);
        OGR_F_Destroy(f);
        n++;
    }
    assert_true(n >= NTOWNS);
    assert_true(seen_chinese);
    GDALClose(ds);
}

static json_object *tile_json(const struct expected_tile *e)
{
    json_object *o = json_object_new_object(), *feats = json_object_new_array();
    json_object_object_add(o, "z", json_object_new_int(e->z));
    json_object_object_add(o, "x", json_object_new_int64(e->x));
    json_object_object_add(o, "y", json_object_new_int64(e->y));
    for (int k = 0; k < e->n; k++) {
        const struct town *tw = &TOWNS[e->towns[k]];
        json_object *f = json_object_new_object();
        json_object_object_add(f, "id", json_object_new_int64(tw->rank));
        json_object_object_add(f, "name", json_object_new_string(tw->name));
        json_object_object_add(f, "name_en", json_object_new_string(tw->name_en));
        json_object_object_add(f, "code", json_object_new_string(tw->code));
        json_object_object_add(f, "rank", json_object_new_int64(tw->rank));
        json_object_object_add(f, "offset", json_object_new_int64(tw->offset));
        json_object_object_add(f, "cx", json_object_new_double(tw->cx));
        json_object_object_add(f, "is_town", json_object_new_boolean(tw->is_town));
        json_object_object_add(f, "area", json_object_new_double(e->area[k]));
        json_object_array_add(feats, f);
    }
    json_object_object_add(o, "features", feats);
    return o;
}

/* A PMTiles archive of about half the tiles of z0..z8 (so it needs leaf
 * directories), each with one point whose "zxy" says where it belongs;
 * the tiles chosen go to grid (present) and some left out to absent. */
static void write_grid(json_object *present, json_object *absent)
{
    char path[1100];
    path_in_out(path, sizeof path, "grid.pmtiles");
    struct pk_tile_meta meta = towns_meta();
    static const struct pk_tile_field f[] = {{"zxy", "String"}};
    static const struct pk_tile_layer_meta l[] = {{"grid", NULL, f, 1, 0, 8}};
    meta.name = "grid";
    meta.bounds[0] = -180, meta.bounds[1] = -85, meta.bounds[2] = 180, meta.bounds[3] = 85;
    meta.minzoom = 0, meta.maxzoom = 8, meta.layers = l;
    struct pk_tile_sink *s;
    assert_int_equal(pk_tile_pmtiles_ops.open(CTX, path, &meta, &s), PK_OK);
    struct pk_tbuf gz = {0};
    struct pk_mvt_geom g = {0};
    for (int z = 0; z <= 8; z++)
        for (uint32_t x = 0; x < (1u << z); x++)
            for (uint32_t y = 0; y < (1u << z); y++) {
                uint32_t h = (x * 2654435761u) ^ (y * 40503u) ^ ((uint32_t)z * 97u);
                h = (h ^ (h >> 13)) * 0x5bd1e995u;
                h ^= h >> 15;
                json_object *pt = json_object_new_array();
                json_object_array_add(pt, json_object_new_int(z));
                json_object_array_add(pt, json_object_new_int64(x));
                json_object_array_add(pt, json_object_new_int64(y));
                int keep = !(h & 0x10000u);
                if (h % 97 == 0)
                    json_object_array_add(keep ? present : absent, pt);
                else
                    json_object_put(pt);
                if (!keep)
                    continue;
                char zxy[32];
                snprintf(zxy, sizeof zxy, "%d/%u/%u", z, x, y);
                struct pk_mvt_tile *t = pk_mvt_tile_new();
                struct pk_mvt_layer *layer;
                assert_int_equal(pk_mvt_tile_add_layer(t, "grid", 4096, &layer), PK_OK);
                int32_t p[2] = {(int32_t)(h % 4096), (int32_t)((h >> 12) % 4096)};
                pk_mvt_geom_reset(&g, PK_MVT_POINT);
                assert_int_equal(pk_mvt_geom_add_part(&g, p, 1, 0), PK_OK);
                struct pk_mvt_attr a = {.key = "zxy", .type = PK_MVT_STRING, .v.s = zxy};
                assert_int_equal(pk_mvt_layer_add_feature(layer, 1, h, &g, &a, 1, NULL), PK_OK);
                assert_int_equal(pk_mvt_tile_serialize(t, 1, &gz), PK_OK);
                assert_int_equal(pk_tile_pmtiles_ops.put(s, z, x, y, gz.data, gz.len), PK_OK);
                pk_mvt_tile_free(t);
            }
    assert_int_equal(pk_tile_pmtiles_ops.finish(s), PK_OK);
    pk_mvt_geom_free(&g);
    pk_tbuf_free(&gz);
}

static void write_expected(void)
{
    json_object *o = json_object_new_object(), *tiles = json_object_new_array();
    json_object *present = json_object_new_array(), *absent = json_object_new_array();
    for (int i = 0; i < NTILES; i++)
        json_object_array_add(tiles, tile_json(&TILES[i]));
    json_object_object_add(o, "tiles", tiles);
    write_grid(present, absent);
    json_object *grid = json_object_new_object();
    json_object_object_add(grid, "present", present);
    json_object_object_add(grid, "absent", absent);
    json_object_object_add(o, "grid", grid);
    char path[1100];
    path_in_out(path, sizeof path, "expected.json");
    assert_int_equal(json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY), 0);
    json_object_put(o);
}

static void test_kunshan_tiles(void **state)
{
    (void)state;
    load_towns();
    write_tiles();
    check_mbtiles_tiles();
    check_mbtiles_with_gdal();
    write_expected();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kunshan_tiles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
