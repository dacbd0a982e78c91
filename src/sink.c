/* sink.c — where analysis results go: a new store layer (registered, with
 * an R*Tree index, inside the caller's transaction) or a file in any format
 * OGR writes (written in a temporary folder and moved into place only when
 * complete, so a failure or a kill never leaves a partial file under the
 * final name). */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>

#include "crs_int.h"
#include "geom_int.h"
#include "blob_int.h"
#include "sink_int.h"

struct pk_sink {
    struct pk_store *store;
    struct pk_ctx *ctx;
    struct pk_column *cols;
    int ncols;
    GEOSWKBWriter *wkb;
    long long count;
    char family;
    /* store layer */
    struct pk_layer_ref ref;
    sqlite3_stmt *insert;
    char command[64];
    /* file */
    char *path, *tmpdir;
    GDALDatasetH ds;
    OGRLayerH lyr;
};

int pk_sink_is_file(const char *out)
{
    return strchr(out, '/') || strchr(out, '.');
}

static int open_store_layer(struct pk_sink *s, const char *name, const char *title, const char *source)
{
    struct pk_store *S = s->store;
    struct pk_layer_ref other;
    if (!pk_layer_name_valid(name))
        return pk_error(s->ctx, PK_ERR_ARGS, "invalid output layer name '%s': use letters, digits, '_' or "
                        "'-' (or give a file name with an extension)", name);
    if (pk_layer_find(S, name, &other) == PK_OK)
        return pk_error(s->ctx, PK_ERR_EXISTS, "layer '%s' already exists: drop it first or choose another "
                        "name", name);
    pk_error_clear(s->ctx);
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(S, "INSERT INTO pk_layers(name, title, kind, source, table_name, loaded_at)"
                               " VALUES(?, ?, 'zone', ?, 'lyr_new', strftime('%Y-%m-%dT%H:%M:%SZ','now'))", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, name);
    pk_sql_bind_text(st, 2, title ? title : name);
    pk_sql_bind_text(st, 3, source);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(S, "cannot register the output layer");
    sqlite3_finalize(st);
    if (rc != PK_OK)
        return rc;
    s->ref.id = sqlite3_last_insert_rowid(S->db);
    snprintf(s->ref.name, sizeof s->ref.name, "%s", name);
    const char **col_names = calloc((size_t)s->ncols + 1, sizeof *col_names);
    const char **col_types = calloc((size_t)s->ncols + 1, sizeof *col_types);
    if (!col_names || !col_types)
        rc = pk_error(s->ctx, PK_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == PK_OK && i < s->ncols; i++)
        col_names[i] = s->cols[i].name, col_types[i] = s->cols[i].type;
    if (rc == PK_OK)
        rc = pk_layer_create_table(S, &s->ref, s->ncols, col_names, col_types);
    free(col_names);
    free(col_types);
    if (rc != PK_OK)
        return rc;
    char *params = sqlite3_mprintf("?");
    char *names = sqlite3_mprintf("fid");
    for (int i = 0; i < s->ncols; i++) {
        char *p2 = sqlite3_mprintf("%s, ?", params), *n2 = sqlite3_mprintf("%s, \"%w\"", names, s->cols[i].name);
        sqlite3_free(params), sqlite3_free(names);
        params = p2, names = n2;
    }
    char *sql = sqlite3_mprintf("INSERT INTO %s(%s, geom) VALUES(%s, ?)", s->ref.table, names, params);
    rc = pk_sql_prepare(S, sql, &s->insert);
    sqlite3_free(sql), sqlite3_free(params), sqlite3_free(names);
    return rc;
}

const char *pk_format_for_path(const char *path)
{
    static const char *map[][2] = {
        {".gpkg", "GPKG"}, {".geojson", "GeoJSON"}, {".json", "GeoJSON"}, {".shp", "ESRI Shapefile"},
        {".csv", "CSV"}, {".fgb", "FlatGeobuf"}, {".kml", "KML"}, {".gml", "GML"}, {".sqlite", "SQLite"},
        {".dxf", "DXF"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(dot, map[i][0]))
            return map[i][1];
    return NULL;
}

static int open_file(struct pk_sink *s, const char *path, const char *layer_name)
{
    const char *drv_name = pk_format_for_path(path);
    if (!drv_name)
        return pk_error(s->ctx, PK_ERR_ARGS, "cannot tell the format of '%s' from its extension (.gpkg, "
                        ".geojson, .shp, .csv, .fgb, .kml, .gml, .sqlite)", path);
    if (access(path, F_OK) == 0)
        return pk_error(s->ctx, PK_ERR_EXISTS, "'%s' already exists: remove it first", path);
    GDALDriverH drv = GDALGetDriverByName(drv_name);
    char *dir = strdup(path), *base = strdup(path);
    char tmpl[4096], file[4096];
    snprintf(tmpl, sizeof tmpl, "%s/.plankit-out-XXXXXX", dirname(dir));
    int rc = PK_OK;
    if (!mkdtemp(tmpl))
        rc = pk_error(s->ctx, PK_ERR_IO, "cannot write in the folder of '%s': %s", path, strerror(errno));
    if (rc == PK_OK) {
        s->tmpdir = strdup(tmpl);
        s->path = strdup(path);
        snprintf(file, sizeof file, "%s/%s", tmpl, basename(base));
        CPLErrorReset();
        s->ds = drv ? GDALCreate(drv, file, 0, 0, 0, GDT_Unknown, NULL) : NULL;
        if (!s->ds)
            rc = pk_error_gdal(s->ctx, "cannot create the output file");
    }
    OGRSpatialReferenceH srs = NULL;
    if (rc == PK_OK && (rc = pk_crs_from_epsg(s->ctx, pk_store_srid(s->store), &srs)) == PK_OK) {
        char **lco = !strcmp(drv_name, "CSV") ? CSLAddString(NULL, "GEOMETRY=AS_WKT")
                     : !strcmp(drv_name, "ESRI Shapefile") ? CSLAddString(NULL, "ENCODING=UTF-8") : NULL;
        s->lyr = GDALDatasetCreateLayer(s->ds, layer_name, srs, wkbUnknown, lco);
        CSLDestroy(lco);
        if (!s->lyr)
            rc = pk_error_gdal(s->ctx, "cannot create the output layer");
    }
    OSRDestroySpatialReference(srs);
    for (int i = 0; rc == PK_OK && i < s->ncols; i++) {
        OGRFieldType t = !strcmp(s->cols[i].type, "INTEGER") ? OFTInteger64
                         : !strcmp(s->cols[i].type, "REAL") ? OFTReal : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(s->cols[i].name, t);
        if (OGR_L_CreateField(s->lyr, fd, 1) != OGRERR_NONE)
            rc = pk_error_gdal(s->ctx, "cannot create an output field");
        OGR_Fld_Destroy(fd);
    }
    free(dir);
    free(base);
    return rc;
}

int pk_sink_open(struct pk_store *store, const char *out, const char *title, const char *source,
                 const struct pk_column *cols, int ncols, struct pk_sink **sinkp)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct pk_sink *s = calloc(1, sizeof *s);
    *sinkp = NULL;
    if (!s)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    s->store = store;
    s->ctx = ctx;
    s->ncols = ncols;
    s->cols = calloc((size_t)(ncols ? ncols : 1), sizeof *s->cols);
    for (int i = 0; i < ncols; i++) {
        s->cols[i].name = strdup(cols[i].name);
        s->cols[i].type = cols[i].type;
    }
    snprintf(s->command, sizeof s->command, "%.60s", source ? source : "analysis");
    s->wkb = GEOSWKBWriter_create_r(pk_geos(ctx));
    int rc = pk_sink_is_file(out) ? open_file(s, out, title ? title : "result")
                                  : open_store_layer(s, out, title, source);
    if (rc != PK_OK) {
        pk_sink_abort(s);
        return rc;
    }
    *sinkp = s;
    return PK_OK;
}

static char family_of(struct pk_ctx *ctx, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(pk_geos(ctx), g);
    return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON ? 'A' : t == GEOS_POINT || t == GEOS_MULTIPOINT ? 'P' : 'L';
}

int pk_sink_write(struct pk_sink *s, const GEOSGeometry *g, const char *const *values)
{
    int rc = PK_OK;
    if (!s->family && g)
        s->family = family_of(s->ctx, g);
    s->count++;
    if (s->insert) {
        sqlite3_bind_int64(s->insert, 1, s->count);
        for (int i = 0; i < s->ncols; i++)
            pk_sql_bind_text(s->insert, i + 2, values[i]);
        unsigned char *blob = NULL;
        size_t size = 0;
        char empty = g ? GEOSisEmpty_r(pk_geos(s->ctx), g) : 1;
        if (empty == 2)
            rc = pk_error_geos(s->ctx, "cannot write the output layer");
        else if (!empty &&
                 (rc = pk_blob_from_geos(pk_geos(s->ctx), g, pk_store_srid(s->store), &blob, &size)) != PK_OK)
            rc = pk_error(s->ctx, rc, "cannot encode a geometry of the output layer");
        if (blob)
            sqlite3_bind_blob64(s->insert, s->ncols + 2, blob, size, free);
        else
            sqlite3_bind_null(s->insert, s->ncols + 2);
        if (rc == PK_OK && sqlite3_step(s->insert) != SQLITE_DONE)
            rc = pk_error_db(s->store, "cannot write the output layer");
        sqlite3_reset(s->insert);
        return rc;
    }
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(s->lyr));
    for (int i = 0; i < s->ncols; i++)
        if (values[i])
            OGR_F_SetFieldString(f, i, values[i]);
    if (g) {
        size_t size = 0;
        unsigned char *wkb = GEOSWKBWriter_write_r(pk_geos(s->ctx), s->wkb, g, &size);
        OGRGeometryH og = NULL;
        if (wkb && OGR_G_CreateFromWkb(wkb, NULL, &og, (int)size) == OGRERR_NONE)
            OGR_F_SetGeometryDirectly(f, og);
        GEOSFree_r(pk_geos(s->ctx), wkb);
    }
    if (OGR_L_CreateFeature(s->lyr, f) != OGRERR_NONE)
        rc = pk_error_gdal(s->ctx, "cannot write the output file");
    OGR_F_Destroy(f);
    return rc;
}

int pk_fs_move_all(struct pk_ctx *ctx, const char *dir, const char *dest_dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = PK_OK;
    char from[4096], to[4096];
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dest_dir, e->d_name);
        if (rename(from, to) != 0 && rc == PK_OK)
            rc = pk_error(ctx, PK_ERR_IO, "cannot move '%s' into place: %s", to, strerror(errno));
    }
    if (d)
        closedir(d);
    return rc;
}

void pk_fs_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static void sink_free(struct pk_sink *s)
{
    for (int i = 0; i < s->ncols; i++)
        free(s->cols[i].name);
    free(s->cols);
    sqlite3_finalize(s->insert);
    if (s->wkb)
        GEOSWKBWriter_destroy_r(pk_geos(s->ctx), s->wkb);
    free(s->path);
    free(s->tmpdir);
    free(s);
}

int pk_sink_finish(struct pk_sink *s, long long *count)
{
    int rc = PK_OK;
    if (count)
        *count = s->count;
    if (s->insert) {
        sqlite3_finalize(s->insert);
        s->insert = NULL;
        const char *type = s->family == 'A' ? "MULTIPOLYGON" : s->family == 'L' ? "LINESTRING"
                           : s->family == 'P' ? "POINT" : "GEOMETRY";
        char *sql = sqlite3_mprintf(
            "SELECT CreateSpatialIndex('%q', 'geom');"
            "UPDATE pk_layers SET feature_count=(SELECT count(*) FROM %s), geometry_type='%q',"
            " min_x=(SELECT min(MbrMinX(geom)) FROM %s), min_y=(SELECT min(MbrMinY(geom)) FROM %s),"
            " max_x=(SELECT max(MbrMaxX(geom)) FROM %s), max_y=(SELECT max(MbrMaxY(geom)) FROM %s)"
            " WHERE id=%lld;", s->ref.table, s->ref.table, type, s->ref.table, s->ref.table, s->ref.table,
            s->ref.table, s->ref.id);
        rc = pk_sql_exec(s->store, sql);
        sqlite3_free(sql);
        char what[64];
        snprintf(what, sizeof what, "%lld features", s->count);
        if (rc == PK_OK)
            rc = pk_store_history(s->store, s->command, "layer", s->ref.name, NULL, NULL, what);
    } else {
        CPLErrorReset();
        GDALClose(s->ds);
        s->ds = NULL;
        if (CPLGetLastErrorType() == CE_Failure)
            rc = pk_error_gdal(s->ctx, "cannot finish the output file");
        char *dir = strdup(s->path);
        if (rc == PK_OK)
            rc = pk_fs_move_all(s->ctx, s->tmpdir, dirname(dir));
        free(dir);
        pk_fs_remove_dir(s->tmpdir);
    }
    sink_free(s);
    return rc;
}

void pk_sink_abort(struct pk_sink *s)
{
    if (!s)
        return;
    if (s->ds)
        GDALClose(s->ds);
    if (s->tmpdir)
        pk_fs_remove_dir(s->tmpdir);
    sink_free(s);
}
