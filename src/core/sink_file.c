/* sink_file.c — the file kind of feature sink (see sink_int.h): any format
 * OGR writes, chosen by the extension.
 *
 * begin creates the file in a temporary folder (.plankit-out-XXXXXX) beside
 * the final path; the layer is created at the first feature with a geometry
 * (or at commit), so its declared geometry type is that feature's, made
 * multi (polygons -> MultiPolygon, and each later polygon promoted to match).
 * GeoJSON is RFC 7946: WGS84 longitude/latitude, 7 decimals.
 * Features are written inside dataset transactions where the driver has
 * them (GeoPackage, SQLite: one transaction per FILE_BATCH features instead
 * of one per feature); commit closes the file and renames it (every file of
 * the folder, for shapefiles) into place; abort removes the folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>

#include "crs_int.h"
#include "geom_int.h"
#include "sink_int.h"

/* Features per transaction: bounds the journal and page cache of one
 * transaction while keeping commits rare (one per 2^16 features). */
#define FILE_BATCH 65536

struct file_sink {
    char *tmpdir;               /* the temporary folder (owned) */
    char *tmpfile;              /* the file in it (owned) */
    const char *driver;         /* static */
    GDALDatasetH ds;
    OGRLayerH lyr;              /* NULL until the first geometry (or commit) */
    OGRwkbGeometryType gtype;   /* the layer's declared type */
    GEOSWKBWriter *wkb;
    int in_tx;                  /* a dataset transaction is open */
    long long in_batch;         /* features written in the open transaction */
};

static void file_abort(struct pk_sink *s)
{
    struct file_sink *fs = s->impl;
    if (!fs)
        return;
    if (fs->ds)
        GDALClose(fs->ds);
    if (fs->tmpdir)
        pk_fs_remove_dir(fs->tmpdir);
    if (fs->wkb)
        GEOSWKBWriter_destroy_r(pk_geos(s->ctx), fs->wkb);
    free(fs->tmpdir);
    free(fs->tmpfile);
    free(fs);
    s->impl = NULL;
}

static int file_begin(struct pk_sink *s)
{
    struct file_sink *fs = calloc(1, sizeof *fs);
    if (!fs)
        return pk_error(s->ctx, PK_ERR_NOMEM, "out of memory");
    s->impl = fs;
    fs->driver = pk_format_for_path(s->out);
    int rc = PK_OK;
    if (!fs->driver)
        rc = pk_error(s->ctx, PK_ERR_ARGS, "cannot tell the format of '%s' from its extension (.gpkg, "
                      ".geojson, .shp, .csv, .fgb, .kml, .gml, .sqlite)", s->out);
    else if (access(s->out, F_OK) == 0)
        rc = pk_error(s->ctx, PK_ERR_EXISTS, "'%s' already exists: remove it first", s->out);
    GDALDriverH drv = rc == PK_OK ? GDALGetDriverByName(fs->driver) : NULL;
    if (rc == PK_OK && !drv)
        rc = pk_error(s->ctx, PK_ERR_ARGS, "this GDAL has no %s driver for '%s'", fs->driver, s->out);
    if (rc == PK_OK)
        rc = pk_fs_temp_beside(s->ctx, s->out, &fs->tmpdir, &fs->tmpfile);
    if (rc == PK_OK) {
        CPLErrorReset();
        fs->ds = GDALCreate(drv, fs->tmpfile, 0, 0, 0, GDT_Unknown, NULL);
        if (!fs->ds)
            rc = pk_error_gdal(s->ctx, "cannot create the output file");
    }
    if (rc == PK_OK && !(fs->wkb = GEOSWKBWriter_create_r(pk_geos(s->ctx))))
        rc = pk_error_geos(s->ctx, "cannot write the output file");
    if (rc != PK_OK)
        file_abort(s);
    return rc;
}

/* The layer creation options of a driver: WKT in CSV, UTF-8 (and a .cpg)
 * in shapefiles, and RFC 7946 GeoJSON (GDAL reprojects to WGS84 longitude/
 * latitude and writes 7 decimals). Caller frees with CSLDestroy. */
static char **layer_options(const char *driver)
{
    if (!strcmp(driver, "CSV"))
        return CSLAddString(NULL, "GEOMETRY=AS_WKT");
    if (!strcmp(driver, "ESRI Shapefile"))
        return CSLAddString(NULL, "ENCODING=UTF-8");
    if (!strcmp(driver, "GeoJSON"))
        return CSLAddString(NULL, "RFC7946=YES");
    return NULL;
}

/* Create the layer (declared type gtype) and its fields, then open the
 * first transaction if the driver has them. */
static int create_layer(struct pk_sink *s, struct file_sink *fs, OGRwkbGeometryType gtype)
{
    OGRSpatialReferenceH srs = NULL;
    int rc = pk_crs_from_epsg(s->ctx, pk_store_srid(s->store), &srs);
    if (rc == PK_OK) {
        char **lco = layer_options(fs->driver);
        fs->lyr = GDALDatasetCreateLayer(fs->ds, s->title ? s->title : "result", srs, gtype, lco);
        CSLDestroy(lco);
        fs->gtype = gtype;
        if (!fs->lyr)
            rc = pk_error_gdal(s->ctx, "cannot create the output layer");
    }
    OSRDestroySpatialReference(srs);
    for (int i = 0; rc == PK_OK && i < s->ncols; i++) {
        OGRFieldType t = !strcmp(s->cols[i].type, "INTEGER") ? OFTInteger64
                         : !strcmp(s->cols[i].type, "REAL") ? OFTReal : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(s->cols[i].name, t);
        if (!fd || OGR_L_CreateField(fs->lyr, fd, 1) != OGRERR_NONE)
            rc = pk_error_gdal(s->ctx, "cannot create an output field");
        OGR_Fld_Destroy(fd);
    }
    if (rc == PK_OK)
        fs->in_tx = GDALDatasetStartTransaction(fs->ds, FALSE) == OGRERR_NONE;
    return rc;
}

/* The OGR geometry of g (NULL g: NULL). *out: caller destroys. */
static int to_ogr(struct pk_sink *s, struct file_sink *fs, const GEOSGeometry *g, OGRGeometryH *out)
{
    *out = NULL;
    if (!g)
        return PK_OK;
    size_t size = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(pk_geos(s->ctx), fs->wkb, g, &size);
    if (!wkb)
        return pk_error_geos(s->ctx, "cannot encode a geometry of the output file");
    OGRErr err = OGR_G_CreateFromWkb(wkb, NULL, out, (int)size);
    GEOSFree_r(pk_geos(s->ctx), wkb);
    if (err != OGRERR_NONE)
        return pk_error_gdal(s->ctx, "cannot encode a geometry of the output file");
    return PK_OK;
}

/* g made multi when the layer's type is (takes g, returns the result). */
static OGRGeometryH match_layer(OGRwkbGeometryType layer_type, OGRGeometryH g)
{
    OGRwkbGeometryType t = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbUnknown;
    if (layer_type == wkbMultiPolygon && t == wkbPolygon)
        return OGR_G_ForceToMultiPolygon(g);
    if (layer_type == wkbMultiLineString && t == wkbLineString)
        return OGR_G_ForceToMultiLineString(g);
    if (layer_type == wkbMultiPoint && t == wkbPoint)
        return OGR_G_ForceToMultiPoint(g);
    return g;
}

/* The declared layer type for a first geometry: its multi form. */
static OGRwkbGeometryType layer_type_for(OGRGeometryH g)
{
    switch (wkbFlatten(OGR_G_GetGeometryType(g))) {
    case wkbPolygon: case wkbMultiPolygon: return wkbMultiPolygon;
    case wkbLineString: case wkbMultiLineString: return wkbMultiLineString;
    case wkbPoint: case wkbMultiPoint: return wkbMultiPoint;
    default: return wkbUnknown;
    }
}

/* Commit the open transaction and start the next one. */
static int next_batch(struct pk_sink *s, struct file_sink *fs)
{
    fs->in_batch = 0;
    fs->in_tx = 0;
    if (GDALDatasetCommitTransaction(fs->ds) != OGRERR_NONE)
        return pk_error_gdal(s->ctx, "cannot write the output file");
    fs->in_tx = GDALDatasetStartTransaction(fs->ds, FALSE) == OGRERR_NONE;
    return PK_OK;
}

static int file_add_feature(struct pk_sink *s, const GEOSGeometry *g, const char *const *values)
{
    struct file_sink *fs = s->impl;
    OGRGeometryH og = NULL;
    int rc = to_ogr(s, fs, g, &og);
    if (rc == PK_OK && !fs->lyr)
        rc = create_layer(s, fs, og ? layer_type_for(og) : wkbUnknown);
    if (rc == PK_OK)
        og = match_layer(fs->gtype, og);
    OGRFeatureH f = rc == PK_OK ? OGR_F_Create(OGR_L_GetLayerDefn(fs->lyr)) : NULL;
    if (rc == PK_OK && !f)
        rc = pk_error(s->ctx, PK_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == PK_OK && i < s->ncols; i++)
        if (values[i])
            OGR_F_SetFieldString(f, i, values[i]);
    if (rc == PK_OK && og) {
        OGR_F_SetGeometryDirectly(f, og);
        og = NULL;
    }
    if (rc == PK_OK && OGR_L_CreateFeature(fs->lyr, f) != OGRERR_NONE)
        rc = pk_error_gdal(s->ctx, "cannot write the output file");
    if (f)
        OGR_F_Destroy(f);
    OGR_G_DestroyGeometry(og);
    if (rc == PK_OK && fs->in_tx && ++fs->in_batch >= FILE_BATCH)
        rc = next_batch(s, fs);
    return rc;
}

static int file_commit(struct pk_sink *s)
{
    struct file_sink *fs = s->impl;
    int rc = fs->lyr ? PK_OK : create_layer(s, fs, wkbUnknown);
    if (rc == PK_OK && fs->in_tx) {
        fs->in_tx = 0;
        if (GDALDatasetCommitTransaction(fs->ds) != OGRERR_NONE)
            rc = pk_error_gdal(s->ctx, "cannot write the output file");
    }
    if (rc == PK_OK) {
        CPLErrorReset();
        GDALClose(fs->ds);
        fs->ds = NULL;
        if (CPLGetLastErrorType() == CE_Failure)
            rc = pk_error_gdal(s->ctx, "cannot finish the output file");
    }
    if (rc == PK_OK)
        rc = pk_fs_move_into_place(s->ctx, fs->tmpdir, s->out);
    file_abort(s); /* (removes the folder, now empty on success) */
    return rc;
}

const struct pk_sink_ops pk_sink_file_ops = {
    .name = "file",
    .begin = file_begin,
    .add_feature = file_add_feature,
    .commit = file_commit,
    .abort = file_abort,
};
