/* test_tiler_borders.c — shared borders of exported vector tiles, measured
 * with independent code: the 26 counties of kunshan-region.geojson are
 * loaded into a store and exported with pk_tiles_vector (z0..14, MBTiles);
 * every tile is then read straight from the MBTiles file (SQLite) and
 * decoded by GDAL's MVT driver, each polygon checked valid, cut to its
 * tile's box (GEOS), and per zoom:
 *   overlaps = sum of the pieces' areas - area of their union (the counties
 *              do not overlap, so any overlap is the export's);
 *   gaps     = area of the holes of the zoom's union (the counties leave no
 *              holes between them, so a hole is a gap between neighbours);
 * both relative to the union's area, beyond what the source data has of its
 * own: below 0.01 % at every zoom from 0 to 14 (the target), with
 * all 26 counties present at every zoom and no invalid polygon (in tile
 * coordinates). Borders simplified or rounded differently on the two sides
 * of a border, or small counties' squares laid over their neighbours, fail
 * this test.
 *
 * The same for tests/data/china-clip-spots.geojson.gz (z0..10, as the
 * benchmark exports them): four counties of ../shared/data's
 * china-counties.geojson.gz (same source and licence, extracted unchanged
 * with ogr2ogr -where "name IN (...)") at the spots where the benchmark's
 * tiles once laid a county over its neighbour (test_clip_spots_borders).
 *
 * The counties' own data is not perfectly topological (borders from
 * different source files differ slightly), so the same figures are
 * measured on the source polygons and the export is judged on what it adds.
 *
 * Also a measuring tool: test_tiler_borders FILE.mbtiles LAYER MINZ MAXZ
 * [SOURCE] prints the same figures for any MBTiles file (and its source)
 * (scripts/bench/tiles.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plankit/ctx.h"
#include "plankit/layer.h"
#include "plankit/store.h"
#include "plankit/tiles.h"
#include "fixture.h"

#define HALF 20037508.342789244

struct zoom_figures {
    int tiles, pieces, invalid, ids;
    double area, union_area, overlaps, gaps;
};

static GEOSContextHandle_t H;

static GEOSGeometry *from_ogr(OGRGeometryH g)
{
    size_t n = (size_t)OGR_G_WkbSize(g);
    unsigned char *wkb = malloc(n);
    if (!wkb || OGR_G_ExportToWkb(g, wkbNDR, wkb) != OGRERR_NONE) {
        free(wkb);
        return NULL;
    }
    GEOSGeometry *out = GEOSGeomFromWKB_buf_r(H, wkb, n);
    free(wkb);
    return out;
}

/* Sum of the areas of the holes of a (multi)polygon. */
static double holes_area(const GEOSGeometry *g)
{
    double a = 0;
    for (int i = 0; i < GEOSGetNumGeometries_r(H, g); i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(H, g, i);
        if (GEOSGeomTypeId_r(H, p) != GEOS_POLYGON)
            continue;
        for (int k = 0; k < GEOSGetNumInteriorRings_r(H, p); k++) {
            const GEOSGeometry *ring = GEOSGetInteriorRingN_r(H, p, k);
            GEOSGeometry *poly = GEOSGeom_createPolygon_r(H, GEOSGeom_clone_r(H, ring), NULL, 0);
            double ra = 0;
            GEOSArea_r(H, poly, &ra);
            a += ra;
            GEOSGeom_destroy_r(H, poly);
        }
    }
    return a;
}

/* From EPSG:3857 metres back to a tile's integer coordinates (the
 * decoder's metres carry rounding errors that can make a vertex lying
 * exactly on another polygon's edge cross it). */
struct tile_frame {
    double x0, y1, unit;
};

static int to_tile_units(double *x, double *y, void *arg)
{
    const struct tile_frame *t = arg;
    *x = round((*x - t->x0) / t->unit);
    *y = round((t->y1 - *y) / t->unit);
    return 1;
}

/* The same, on the zoom's whole grid (tile units from the world's north-west
 * corner): the pieces of one zoom are unioned there, in whole numbers, which
 * GEOS unions robustly where the decoder's metres make it fail. */
struct world_frame {
    struct tile_frame t;
    double ox, oy;
};

static int to_world_units(double *x, double *y, void *arg)
{
    const struct world_frame *w = arg;
    to_tile_units(x, y, (void *)&w->t);
    *x += w->ox, *y += w->oy;
    return 1;
}

/* Decode one gzipped tile with GDAL's MVT driver and append its polygons
 * of layer, cut to the tile's box, to pieces; fids seen are marked. */
static void decode_tile(const void *data, int len, int z, int x, int y, const char *layer, GEOSGeometry ***pieces,
                        int *n, int *cap, struct zoom_figures *f, char *seen, int nseen)
{
    char mem[128];
    snprintf(mem, sizeof mem, "/vsimem/borders/%d/%d/%d.pbf", z, x, y);
    VSILFILE *fp = VSIFileFromMemBuffer(mem, (GByte *)data, (vsi_l_offset)len, FALSE);
    VSIFCloseL(fp);
    const char *drivers[] = {"MVT", NULL}, *options[] = {"CLIP=NO", NULL};
    GDALDatasetH ds = GDALOpenEx(mem, GDAL_OF_VECTOR, drivers, options, NULL);
    if (!ds) {
        fprintf(stderr, "GDAL cannot open tile %d/%d/%d\n", z, x, y);
        f->invalid++;
        VSIUnlink(mem);
        return;
    }
    double size = 2 * HALF / (double)(1 << z), x0 = -HALF + x * size, y1 = HALF - y * size;
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer);
    OGRFeatureH feat;
    while (l && (feat = OGR_L_GetNextFeature(l))) {
        OGRGeometryH og = OGR_F_GetGeometryRef(feat);
        GEOSGeometry *g = og ? from_ogr(og) : NULL;
        /* the MVT feature id: GDAL's driver numbers the features of each tile from 0 as their FID and gives
         * the id as the field mvt_id; tiles without ids (GDAL's own) are counted by that FID, which means
         * the number of features only at z0 (one tile) */
        int id_field = OGR_F_GetFieldIndex(feat, "mvt_id");
        long long fid = id_field >= 0 && OGR_F_IsFieldSetAndNotNull(feat, id_field)
                            ? OGR_F_GetFieldAsInteger64(feat, id_field)
                            : OGR_F_GetFID(feat);
        if (fid >= 0 && fid < nseen)
            seen[fid] = 1;
        if (g && GEOSGeom_getDimensions_r(H, g) == 2) {
            struct tile_frame tf = {x0, y1, size / 4096};
            GEOSGeometry *tg = GEOSGeom_transformXY_r(H, g, to_tile_units, &tf);
            if (!tg || GEOSisValid_r(H, tg) != 1) { /* the spec's validity: in tile coordinates */
                char *why = tg ? GEOSisValidReason_r(H, tg) : NULL;
                fprintf(stderr, "tile %d/%d/%d feature %lld: invalid (%s)\n", z, x, y, fid, why ? why : "?");
                GEOSFree_r(H, why);
                f->invalid++;
            }
            if (tg)
                GEOSGeom_destroy_r(H, tg);
            struct world_frame wf = {{x0, y1, size / 4096}, 4096.0 * x, 4096.0 * y};
            GEOSGeometry *wg = GEOSGeom_transformXY_r(H, g, to_world_units, &wf);
            GEOSGeometry *c = wg ? GEOSClipByRect_r(H, wg, wf.ox, wf.oy, wf.ox + 4096, wf.oy + 4096) : NULL;
            if (wg)
                GEOSGeom_destroy_r(H, wg);
            if (c && GEOSisValid_r(H, c) != 1) { /* the rectangle clipper can leave a hole outside its shell */
                GEOSGeometry *v = GEOSMakeValid_r(H, c);
                GEOSGeom_destroy_r(H, c);
                c = v;
            }
            if (c && GEOSisEmpty_r(H, c) != 1) {
                if (*n == *cap) {
                    *cap = *cap ? *cap * 2 : 256;
                    *pieces = realloc(*pieces, (size_t)*cap * sizeof **pieces);
                }
                (*pieces)[(*n)++] = c;
                c = NULL;
            }
            if (c)
                GEOSGeom_destroy_r(H, c);
        }
        if (g)
            GEOSGeom_destroy_r(H, g);
        OGR_F_Destroy(feat);
    }
    GDALClose(ds);
    VSIUnlink(mem);
}

/* The figures of zoom z of an MBTiles file, for one layer. */
static int measure_zoom(sqlite3 *db, const char *layer, int z, struct zoom_figures *f)
{
    memset(f, 0, sizeof *f);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int(st, 1, z);
    GEOSGeometry **pieces = NULL;
    int n = 0, cap = 0, nseen = 1 << 20;
    char *seen = calloc((size_t)nseen, 1);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int x = sqlite3_column_int(st, 0), y = (1 << z) - 1 - sqlite3_column_int(st, 1);
        f->tiles++;
        decode_tile(sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), z, x, y, layer, &pieces, &n, &cap, f,
                    seen, nseen);
    }
    sqlite3_finalize(st);
    for (int i = 0; i < nseen; i++)
        f->ids += seen[i];
    free(seen);
    f->pieces = n;
    for (int i = 0; i < n; i++) {
        double a = 0;
        GEOSArea_r(H, pieces[i], &a);
        f->area += a;
    }
    GEOSGeometry *all = GEOSGeom_createCollection_r(H, GEOS_GEOMETRYCOLLECTION, pieces, (unsigned)n);
    GEOSGeometry *u = all ? GEOSUnaryUnion_r(H, all) : NULL;
    if (!u && all) /* a robustness failure of the union: once more snapped to whole tile units */
        u = GEOSUnaryUnionPrec_r(H, all, 1.0);
    if (u) {
        GEOSArea_r(H, u, &f->union_area);
        f->gaps = holes_area(u);
        GEOSGeom_destroy_r(H, u);
    }
    double unit = 2 * HALF / (double)(1 << z) / 4096, u2 = unit * unit; /* tile units² to m² */
    f->area *= u2, f->union_area *= u2, f->gaps *= u2;
    if (all)
        GEOSGeom_destroy_r(H, all);
    free(pieces);
    f->overlaps = f->area - f->union_area;
    return u ? 0 : -1;
}

static void print_figures(int z, const struct zoom_figures *f)
{
    printf("z%-2d tiles %6d features %4d pieces %7d invalid %d  union %.6g m2  gaps %.4f %%  overlaps %.4f %%\n", z,
           f->tiles, f->ids, f->pieces, f->invalid, f->union_area, 100 * f->gaps / f->union_area,
           100 * f->overlaps / f->union_area);
}

static int measure_file(const char *path, const char *layer, int minz, int maxz, struct zoom_figures *out)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    for (int z = minz; z <= maxz; z++) {
        if (measure_zoom(db, layer, z, &out[z]) == 0)
            print_figures(z, &out[z]);
        else {
            printf("z%-2d tiles %6d features %4d pieces %7d invalid %d  the union of the pieces failed (GEOS): gaps "
                   "and overlaps not measured\n", z, out[z].tiles, out[z].ids, out[z].pieces, out[z].invalid);
            rc = -1;
        }
        fflush(stdout);
    }
    sqlite3_close(db);
    return rc;
}

/* The same figures for the source polygons themselves (read with OGR,
 * projected to EPSG:3857, made valid with GEOS): what the data has before
 * any export, so that the export's own gaps and overlaps are the
 * difference. */
static int measure_source(const char *path, struct zoom_figures *f)
{
    memset(f, 0, sizeof *f);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    if (!ds)
        return -1;
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), merc = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRImportFromEPSG(merc, 3857);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(merc, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(wgs, merc);
    GEOSGeometry **g = NULL;
    int n = 0, cap = 0;
    OGRFeatureH feat;
    while ((feat = OGR_L_GetNextFeature(l))) {
        OGRGeometryH og = OGR_F_GetGeometryRef(feat);
        if (og && !OGR_G_IsEmpty(og) && OGR_G_Transform(og, ct) == OGRERR_NONE) {
            GEOSGeometry *raw = from_ogr(og), *v = raw ? GEOSMakeValid_r(H, raw) : NULL;
            if (raw)
                GEOSGeom_destroy_r(H, raw);
            if (v) {
                if (n == cap)
                    g = realloc(g, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *g);
                double a = 0;
                GEOSArea_r(H, v, &a);
                f->area += a;
                g[n++] = v;
            }
        }
        OGR_F_Destroy(feat);
    }
    f->ids = f->pieces = n;
    GEOSGeometry *all = GEOSGeom_createCollection_r(H, GEOS_GEOMETRYCOLLECTION, g, (unsigned)n);
    GEOSGeometry *u = all ? GEOSUnaryUnion_r(H, all) : NULL;
    if (u) {
        GEOSArea_r(H, u, &f->union_area);
        f->gaps = holes_area(u);
        GEOSGeom_destroy_r(H, u);
    }
    f->overlaps = f->area - f->union_area;
    if (all)
        GEOSGeom_destroy_r(H, all);
    free(g);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(merc);
    GDALClose(ds);
    printf("source: features %d  union %.6g m2  gaps %.4f %%  overlaps %.4f %%\n", n, f->union_area,
           100 * f->gaps / f->union_area, 100 * f->overlaps / f->union_area);
    return u ? 0 : -1;
}

/* Load src into the fixture's store as layer, export it at z0..maxzoom
 * with 150 m snapping (the counties are on a 1/1024 degree, ~100 m,
 * lattice and the borders of neighbours from different source files differ
 * by up to that much), and check every zoom: no invalid polygon, all
 * nfeatures present (by their MVT ids), and gaps and overlaps the export added to the
 * source's own below the 0.01 % of the covered area. Closes fx. */
static void export_and_judge(struct fixture *fx, const char *src, const char *layer, int maxzoom, int nfeatures)
{
    char out[512];
    fx_path(fx, "borders.mbtiles", out, sizeof out);
    struct pk_load_opts lo = {.source = src, .name = layer};
    assert_int_equal(pk_layer_load(fx->store, &lo, NULL, NULL, NULL), PK_OK);
    const char *layers[] = {layer};
    struct pk_tiles_opts o = {.layers = layers, .nlayers = 1, .output = out, .minzoom = 0, .maxzoom = maxzoom,
                              .snap_m = 150};
    struct pk_tiles_result res;
    if (pk_tiles_vector(fx->store, &o, &res, NULL, NULL) != PK_OK)
        fail_msg("export: %s", pk_errmsg(fx->ctx));
    pk_store_close(fx->store);
    fx->store = NULL;
    assert_int_equal(res.dropped, 0);
    struct zoom_figures f[PK_TILES_MAX_ZOOM + 1], ref;
    assert_int_equal(measure_source(src, &ref), 0);
    assert_int_equal(measure_file(out, layer, 0, maxzoom, f), 0);
    for (int z = 0; z <= maxzoom; z++) {
        assert_int_equal(f[z].ids, nfeatures); /* none lost at any zoom */
        assert_int_equal(f[z].invalid, 0);
        assert_true(f[z].union_area > 0);
        /* what the export added to the source's own gaps and overlaps */
        double gaps = f[z].gaps / f[z].union_area - ref.gaps / ref.union_area;
        double overlaps = f[z].overlaps / f[z].union_area - ref.overlaps / ref.union_area;
        double limit = 1e-4; /* the target, at every zoom */
        if (gaps >= limit || overlaps >= limit)
            fail_msg("%s, zoom %d: the export added gaps of %.4f %% and overlaps of %.4f %% of the covered area", src,
                     z, 100 * gaps, 100 * overlaps);
    }
    fx_close(fx);
}

/* The 26 counties exported at z0..14 keep their borders shared. */
static void test_kunshan_borders(void **state)
{
    (void)state;
    struct fixture fx;
    char src[512];
    assert_int_equal(fx_open_measure(&fx, "borders", "EPSG:4326", "EPSG:4549"), 0);
    snprintf(src, sizeof src, "%s/data/kunshan-region.geojson", getenv("PLANKIT_SHARED_DIR"));
    export_and_judge(&fx, src, "region", 14, 26);
}

/* Two pairs of neighbouring counties of china-counties.geojson.gz (班戈县
 * and 申扎县 in Tibet, 云龙县 and 泸水市 in Yunnan), exported at z0..10 as
 * in scripts/bench/tiles.sh: large enough to be cut in halves of their tile
 * range before the tiles, with vertices of the grid lying on the edge of a
 * half, where GEOS 3.11's rectangle clipper returned a self-touching ring
 * that, clipped again to a tile, became the whole tile less the county:
 * 班戈县 laid over 申扎县 at z8, 云龙县 over 泸水市 at z10 (14 % and
 * 2.6 % overlaps here; 0.09 % and 0.04 % on all the counties). */
static void test_clip_spots_borders(void **state)
{
    (void)state;
    struct fixture fx;
    char src[512];
    assert_int_equal(fx_open_measure(&fx, "borders-spots", "EPSG:4326", "EPSG:4549"), 0);
    snprintf(src, sizeof src, "/vsigzip/%s/tests/data/china-clip-spots.geojson.gz", getenv("PLANKIT_SOURCE_DIR"));
    export_and_judge(&fx, src, "counties", 10, 4);
}

static void geos_error(const char *msg, void *arg)
{
    (void)arg;
    fprintf(stderr, "GEOS: %s\n", msg);
}

int main(int argc, char **argv)
{
    GDALAllRegister();
    H = GEOS_init_r();
    GEOSContext_setErrorMessageHandler_r(H, geos_error, NULL);
    int rc;
    if (argc == 5 || argc == 6) {
        struct zoom_figures f[PK_TILES_MAX_ZOOM + 1], ref;
        rc = argc == 6 && measure_source(argv[5], &ref) != 0;
        rc = rc || measure_file(argv[1], argv[2], atoi(argv[3]), atoi(argv[4]), f) != 0;
    } else {
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_kunshan_borders),
                                           cmocka_unit_test(test_clip_spots_borders)};
        rc = cmocka_run_group_tests(tests, NULL, NULL);
    }
    GEOS_finish_r(H);
    return rc;
}
