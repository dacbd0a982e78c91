/* layer_load.c — the loader: OGR read -> PROJ reproject -> GEOS repair ->
 * one SpatiaLite table per layer, all in one transaction.
 *
 * Every feature gets a stable fid (1, 2, … in read order; appends continue
 * after the largest). Invalid geometries are repaired with GEOS MakeValid and
 * recorded in pk_load_issues; empty ones are kept without geometry and
 * recorded; non-finite coordinates, unreadable text and unreprojectable
 * coordinates are errors that name the feature and roll everything back.
 */
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "crs_int.h"
#include "crs_range_int.h"
#include "geom_int.h"
#include "layer_bulk_int.h"
#include "layer_int.h"
#include "pool_int.h"
#include "worker_int.h"

#define ISSUES_LOGGED_INDIVIDUALLY 10
#define LOAD_BATCH 256

struct item;

struct column {
    int src;          /* source field index */
    char *name;       /* column name in the store */
    const char *type; /* INTEGER, REAL, TEXT, BLOB */
};

struct loader {
    struct pk_store *store;
    struct pk_ctx *ctx;
    const struct pk_load_opts *opts;
    char label[512];           /* "layer load 'file'" for messages */
    char gdal[1024];           /* GDAL's warnings during the load, one per line (pk_gdal_capture) */
    GDALDatasetH ds;
    OGRLayerH lyr;
    struct pk_transform *tr;   /* NULL when the source is already in the store CRS */
    char *recode_from;         /* encoding to convert text from, or NULL */
    struct column *cols;
    int ncols;
    int name_field;            /* source field used to label features, -1 if none */
    struct pk_layer_ref ref;
    int existed;
    long long next_fid;
    sqlite3_stmt *insert;
    struct pk_bulk *bulk;       /* a new table's bulk writer (owned; NULL when appending) */
    sqlite3_stmt *issue;
    double ext[4];
    int has_ext;
    char family;               /* first geometry family seen: 'A'rea, 'L'ine, 'P'oint */
    long long issues_logged;
    struct pk_load_result res;
    char *src_def;             /* source CRS as WKT, for each thread's transform */
    char dst_def[32];
    int has_range;             /* coordinates are checked against range (source CRS units) */
    double range[4];
    char crs_name[128];        /* the source CRS's name, for messages */
    int metric_srid;           /* the store's metric CRS (0 = none yet), for hints */
};

/* Bytes of an invisible or control character of UTF-8 text at p (C1
 * controls, no-break and ideographic spaces, soft hyphen, zero-width and
 * direction marks, word joiners, the byte-order mark), else 0. */
static int invisible_at(const unsigned char *p)
{
    unsigned cp;
    int n;
    if (p[0] < 0xC0)
        return 0;
    if (p[0] < 0xE0)
        cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu), n = 2;
    else if (p[0] < 0xF0)
        cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu), n = 3;
    else
        return 0;
    int hidden = (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) ||
                 (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0x3000 ||
                 cp == 0xFEFF || cp == 0x115F || cp == 0x1160 || cp == 0x3164;
    return hidden ? n : 0;
}

const char *pk_layer_name_problem(const char *name)
{
    static const char *const reserved[] = {"geometry_columns", "spatial_ref_sys", "spatialite_history",
                                           "views_geometry_columns", "virts_geometry_columns", "geom_cols_ref_sys",
                                           "spatial_ref_sys_aux", "sql_statements_log", "data_licenses",
                                           "ElementaryGeometries", "KNN", "KNN2", "SpatialIndex", NULL};
    size_t n = strlen(name);
    if (n == 0 || n > 120 || !CPLIsUTF8(name, -1))
        return "use 1 to 120 characters of UTF-8 text";
    if ((name[0] >= '0' && name[0] <= '9') || name[0] == '-')
        return "use letters, digits, '_' or '-', not starting with a digit or '-'";
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (invisible_at(p))
            return "it holds an invisible or control character";
        if (*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '_' || *p == '-')
            continue;
        return "use letters, digits, '_' or '-', not starting with a digit or '-'";
    }
    size_t digits = strncasecmp(name, "lyr_", 4) ? 0 : strspn(name + 4, "0123456789");
    if (!strncasecmp(name, "sqlite_", 7) || !strncasecmp(name, "pk_", 3) || !strncasecmp(name, "idx_", 4) ||
        !strncasecmp(name, "gpkg_", 5) || !strncasecmp(name, "rtree_", 6) || (digits && !name[4 + digits]))
        return "it is reserved (sqlite_*, pk_*, idx_*, gpkg_*, rtree_* and lyr_N are the store's own tables)";
    for (int i = 0; reserved[i]; i++)
        if (!strcasecmp(name, reserved[i]))
            return "it is reserved (a SpatiaLite table)";
    return NULL;
}

int pk_layer_name_valid(const char *name) { return pk_layer_name_problem(name) == NULL; }

static int kind_valid(const char *kind, int no_geometry)
{
    if (no_geometry)
        return !strcmp(kind, "table");
    return !strcmp(kind, "district") || !strcmp(kind, "zone") || !strcmp(kind, "line") ||
           !strcmp(kind, "point");
}

/* Default layer name: the source layer name or the file stem, with
 * characters outside the allowed set replaced by '_'. */
static void default_name(const struct pk_load_opts *o, const char *lyr_name, char *out, size_t size)
{
    const char *base = o->src_layer ? lyr_name : CPLGetBasename(o->source);
    snprintf(out, size, "%s", base && *base ? base : "layer");
    char *dot = strstr(out, ".geojson");
    if (dot)
        *dot = '\0';
    for (unsigned char *p = (unsigned char *)out; *p; p++)
        if (!(*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            *p = '_';
    if (out[0] >= '0' && out[0] <= '9') {
        memmove(out + 1, out, strlen(out) + 1 < size - 1 ? strlen(out) + 1 : size - 2);
        out[0] = '_';
        out[size - 1] = '\0';
    }
}

/* Open the source; a .gz or .zip path is read in place through /vsigzip/ or
 * /vsizip/. For shapefiles the encoding is given to the driver; a DBF that
 * declares none is read raw and must then be valid UTF-8. */
static int open_source(struct loader *L)
{
    const struct pk_load_opts *o = L->opts;
    char path[4096];
    const char *src = o->source;
    if (strncmp(src, "/vsi", 4) != 0 && access(src, F_OK) != 0)
        return pk_error(L->ctx, PK_ERR_NOTFOUND, "%s: file not found", L->label);
    if (o->encoding) { /* GDAL recodes with iconv: an encoding iconv does not know fails on every text */
        iconv_t cd = iconv_open("UTF-8", o->encoding);
        if (cd == (iconv_t)-1)
            return pk_error(L->ctx, PK_ERR_ARGS, "%s: unknown --encoding '%.40s' (e.g. GBK, GB18030, BIG5, UTF-8)",
                            L->label, o->encoding);
        iconv_close(cd);
    }
    size_t n = strlen(src);
    if (strncmp(src, "/vsi", 4) != 0 && n > 3 && !strcasecmp(src + n - 3, ".gz"))
        snprintf(path, sizeof path, "/vsigzip/%s", src);
    else if (strncmp(src, "/vsi", 4) != 0 && n > 4 && !strcasecmp(src + n - 4, ".zip"))
        snprintf(path, sizeof path, "/vsizip/%s", src);
    else
        snprintf(path, sizeof path, "%s", src);

    char **open_opts = NULL;
    CPLErrorReset();
    L->ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!L->ds && !*CPLGetLastErrorMsg()) /* no driver recognised it: GDAL says nothing */
        return pk_error(L->ctx, PK_ERR_DATA, "%s: not a vector data source GDAL can read "
                        "(empty, damaged or of an unknown format)", L->label);
    if (!L->ds)
        return pk_error_gdal(L->ctx, L->label[0] ? L->label : "layer load");
    const char *driver = GDALGetDriverShortName(GDALGetDatasetDriver(L->ds));
    if (!strcmp(driver, "ESRI Shapefile")) {
        OGRLayerH first = GDALDatasetGetLayer(L->ds, 0);
        int declared = first && (GDALGetMetadataItem((GDALMajorObjectH)first, "ENCODING_FROM_CPG", "SHAPEFILE") ||
                                 GDALGetMetadataItem((GDALMajorObjectH)first, "ENCODING_FROM_LDID", "SHAPEFILE"));
        if (o->encoding || !declared) {
            open_opts = CSLSetNameValue(open_opts, "ENCODING", o->encoding ? o->encoding : "");
            GDALClose(L->ds);
            L->ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                               (const char *const *)open_opts, NULL);
            CSLDestroy(open_opts);
            if (!L->ds)
                return pk_error_gdal(L->ctx, L->label);
        }
    } else if (!strcmp(driver, "CSV")) {
        /* coordinates in X/Y, lon/lat or 经度/纬度 columns make points */
        open_opts = CSLSetNameValue(open_opts, "X_POSSIBLE_NAMES", "x,lon,lng,long,longitude,经度,东经,x坐标,横坐标");
        open_opts = CSLSetNameValue(open_opts, "Y_POSSIBLE_NAMES", "y,lat,latitude,纬度,北纬,y坐标,纵坐标");
        GDALClose(L->ds);
        L->ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, (const char *const *)open_opts, NULL);
        CSLDestroy(open_opts);
        if (!L->ds)
            return pk_error_gdal(L->ctx, L->label);
    }
    if (strcmp(driver, "ESRI Shapefile") && o->encoding && strcasecmp(o->encoding, "UTF-8") &&
        strcasecmp(o->encoding, "UTF8"))
        if (!(L->recode_from = strdup(o->encoding))) /* else the recoding would be silently dropped */
            return pk_error(L->ctx, PK_ERR_NOMEM, "out of memory");
    return PK_OK;
}

static int pick_layer(struct loader *L)
{
    int n = GDALDatasetGetLayerCount(L->ds);
    if (L->opts->src_layer) {
        L->lyr = GDALDatasetGetLayerByName(L->ds, L->opts->src_layer);
        if (!L->lyr)
            return pk_error(L->ctx, PK_ERR_NOTFOUND, "%s: no layer '%s' in the source", L->label,
                            L->opts->src_layer);
        return PK_OK;
    }
    if (n == 0)
        return pk_error(L->ctx, PK_ERR_DATA, "%s: the source has no layers", L->label);
    if (n > 1) {
        char names[1024] = "";
        for (int i = 0; i < n && strlen(names) < 900; i++) {
            strcat(names, i ? ", " : "");
            strncat(names, OGR_L_GetName(GDALDatasetGetLayer(L->ds, i)), 100);
        }
        return pk_error(L->ctx, PK_ERR_ARGS, "%s: the source has %d layers (%s): choose one with --layer",
                        L->label, n, names);
    }
    L->lyr = GDALDatasetGetLayer(L->ds, 0);
    return PK_OK;
}

/* A layer holds geometries: a source without any (a CSV without coordinate
 * columns, a lone DBF) is an error, not a layer of empty features. */
static int require_geometry(struct loader *L)
{
    int has = OGR_FD_GetGeomFieldCount(OGR_L_GetLayerDefn(L->lyr)) > 0;
    if (has && L->opts->no_geometry)
        return pk_error(L->ctx, PK_ERR_ARGS, "%s: --no-geometry, but the source has geometry: leave "
                        "--no-geometry out", L->label);
    if (has || L->opts->no_geometry)
        return PK_OK;
    return pk_error(L->ctx, PK_ERR_DATA, "%s: the source has no geometry: a CSV needs coordinate columns named "
                    "X and Y, lon and lat, or 经度 and 纬度, or a WKT column (or give --no-geometry to load "
                    "its rows as a table)", L->label);
}

static int apply_filter(struct loader *L)
{
    if (!L->opts->where)
        return PK_OK;
    CPLErrorReset();
    if (OGR_L_SetAttributeFilter(L->lyr, L->opts->where) != OGRERR_NONE) {
        char what[700];
        snprintf(what, sizeof what, "%s: invalid --where '%.300s'", L->label, L->opts->where);
        return pk_error_gdal(L->ctx, what);
    }
    return PK_OK;
}

/* Source CRS -> store CRS transform (NULL when they are the same). */
static int setup_transform(struct loader *L)
{
    OGRSpatialReferenceH src = NULL, dst = NULL;
    int rc;
    if (L->opts->s_srs) {
        if ((rc = pk_crs_from_user(L->ctx, L->opts->s_srs, &src)) != PK_OK) {
            pk_error_prefix(L->ctx, "%s: --s_srs", L->label);
            return rc;
        }
    } else {
        OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(L->lyr);
        OGREnvelope env;
        char hint[300] = "give it with --s_srs";
        if (!lsrs && OGR_L_GetExtent(L->lyr, &env, 1) == OGRERR_NONE)
            pk_crs_hint((env.MinX + env.MaxX) / 2, (env.MinY + env.MaxY) / 2, L->metric_srid, hint, sizeof hint);
        if (!lsrs)
            return pk_error(L->ctx, PK_ERR_DATA, "%s: the source has no CRS: %s", L->label, hint);
        src = OSRClone(lsrs);
    }
    {
        char *def = NULL;
        const char *wkt_opts[] = {"FORMAT=WKT2_2019", NULL};
        OSRExportToWktEx(src, &def, wkt_opts);
        L->has_range = def && pk_crs_range(def, L->range);
        snprintf(L->crs_name, sizeof L->crs_name, "%s", OSRGetName(src) ? OSRGetName(src) : "the source CRS");
        CPLFree(def);
    }
    if ((rc = pk_crs_from_epsg(L->ctx, pk_store_srid(L->store), &dst)) != PK_OK)
        goto done;
    if (!OSRIsSame(src, dst)) {
        char *wkt = NULL, to[32];
        const char *wkt_opts[] = {"FORMAT=WKT2_2019", NULL};
        OSRExportToWktEx(src, &wkt, wkt_opts);
        snprintf(to, sizeof to, "EPSG:%d", pk_store_srid(L->store));
        rc = pk_transform_new_defs(L->ctx, wkt ? wkt : "", to, &L->tr);
        L->src_def = strdup(wkt ? wkt : "");
        snprintf(L->dst_def, sizeof L->dst_def, "%s", to);
        CPLFree(wkt);
        if (rc != PK_OK)
            pk_error_prefix(L->ctx, "%s", L->label);
        else if (!L->src_def) /* else workers would skip the transform: data left in the source CRS */
            rc = pk_error(L->ctx, PK_ERR_NOMEM, "out of memory");
    }
done:
    OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(dst);
    return rc;
}

static const char *sql_type(OGRFieldType t)
{
    switch (t) {
    case OFTInteger:
    case OFTInteger64:
        return "INTEGER";
    case OFTReal:
        return "REAL";
    case OFTBinary:
        return "BLOB";
    default:
        return "TEXT";
    }
}

static int name_taken(struct loader *L, const char *name)
{
    if (!strcasecmp(name, "fid") || !strcasecmp(name, "geom"))
        return 1;
    for (int i = 0; i < L->ncols; i++)
        if (!strcasecmp(L->cols[i].name, name))
            return 1;
    return 0;
}

/* Columns to create from the source fields (after --select). */
static int plan_columns(struct loader *L)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(L->lyr);
    int nf = OGR_FD_GetFieldCount(defn);
    char **selected = L->opts->select ? CSLTokenizeString2(L->opts->select, ",", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES) : NULL;
    int rc = PK_OK;
    L->cols = calloc((size_t)(nf ? nf : 1), sizeof *L->cols);
    if (!L->cols) {
        CSLDestroy(selected);
        return pk_error(L->ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (L->opts->name_field && (OGR_FD_GetFieldIndex(defn, L->opts->name_field) < 0 ||
                                (selected && CSLFindString(selected, L->opts->name_field) < 0))) {
        rc = pk_error(L->ctx, PK_ERR_ARGS, "%s: --name-field: no field '%s' in the source%s", L->label,
                      L->opts->name_field, selected ? " (or it is not in --select)" : "");
        goto done;
    }
    for (int i = 0; selected && selected[i]; i++)
        if (OGR_FD_GetFieldIndex(defn, selected[i]) < 0) {
            rc = pk_error(L->ctx, PK_ERR_ARGS, "%s: --select: no field '%s' in the source", L->label,
                          selected[i]);
            goto done;
        }
    L->name_field = -1;
    for (int i = 0; i < nf; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        const char *fname = OGR_Fld_GetNameRef(fd);
        if (L->opts->name_field ? !strcasecmp(fname, L->opts->name_field)
                                : L->name_field < 0 && (!strcasecmp(fname, "name") || !strcmp(fname, "名称") ||
                                                        !strcasecmp(fname, "name_zh") || !strcasecmp(fname, "mc")))
            L->name_field = i;
        if (selected && CSLFindString(selected, fname) < 0)
            continue;
        char base[256];
        snprintf(base, sizeof base, "%s", *fname ? fname : "field");
        char cand[300];
        snprintf(cand, sizeof cand, "%s", base);
        for (int k = 1; name_taken(L, cand); k++)
            snprintf(cand, sizeof cand, "%s_%d", base, k);
        L->cols[L->ncols].src = i;
        L->cols[L->ncols].name = strdup(cand);
        L->cols[L->ncols].type = sql_type(OGR_Fld_GetType(fd));
        if (!L->cols[L->ncols++].name) {
            rc = pk_error(L->ctx, PK_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
done:
    CSLDestroy(selected);
    return rc;
}

/* Registry row and table for a new layer (or a replaced one, keeping its id). */
static int create_layer(struct loader *L, const char *name)
{
    struct pk_store *S = L->store;
    sqlite3_stmt *st;
    const char *kind = L->opts->no_geometry ? "table" : L->opts->kind;
    int rc;
    if (!kind) {
        OGRwkbGeometryType gt = wkbFlatten(OGR_L_GetGeomType(L->lyr));
        kind = (gt == wkbPoint || gt == wkbMultiPoint) ? "point"
               : (gt == wkbLineString || gt == wkbMultiLineString || gt == wkbCircularString ||
                  gt == wkbCompoundCurve || gt == wkbMultiCurve) ? "line" : "zone";
    }
    if (L->existed) {
        if ((rc = pk_layer_drop_tables(S, &L->ref, 1)) != PK_OK)
            return rc;
        rc = pk_sql_prepare(S, "UPDATE pk_layers SET title=?, kind=?, source=?, provenance=?,"
                               " accuracy=?, loaded_at=strftime('%Y-%m-%dT%H:%M:%SZ','now'),"
                               " feature_count=0, geometry_type=NULL WHERE id=?", &st);
        if (rc != PK_OK)
            return rc;
        sqlite3_bind_int64(st, 6, L->ref.id);
    } else {
        rc = pk_sql_prepare(S, "INSERT INTO pk_layers(title, kind, source, provenance, accuracy,"
                               " name, table_name, loaded_at) VALUES(?,?,?,?,?,?, 'lyr_new',"
                               " strftime('%Y-%m-%dT%H:%M:%SZ','now'))", &st);
        if (rc != PK_OK)
            return rc;
        pk_sql_bind_text(st, 6, name);
    }
    pk_sql_bind_text(st, 1, L->opts->title ? L->opts->title : name);
    pk_sql_bind_text(st, 2, kind);
    pk_sql_bind_text(st, 3, L->opts->source);
    pk_sql_bind_text(st, 4, L->opts->provenance);
    pk_sql_bind_text(st, 5, L->opts->accuracy);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(S, "cannot register layer");
    sqlite3_finalize(st);
    if (rc != PK_OK)
        return rc;
    if (!L->existed) {
        L->ref.id = sqlite3_last_insert_rowid(S->db);
        snprintf(L->ref.name, sizeof L->ref.name, "%s", name);
    }
    snprintf(L->ref.kind, sizeof L->ref.kind, "%s", kind);
    const char **names = calloc((size_t)L->ncols + 1, sizeof *names);
    const char **types = calloc((size_t)L->ncols + 1, sizeof *types);
    if (!names || !types)
        rc = pk_error(S->ctx, PK_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == PK_OK && i < L->ncols; i++)
        names[i] = L->cols[i].name, types[i] = L->cols[i].type;
    if (rc == PK_OK)
        rc = pk_layer_create_table(S, &L->ref, L->ncols, names, types);
    if (rc == PK_OK)
        rc = pk_bulk_begin(S, L->ref.table, &L->bulk);
    if (rc == PK_OK)
        rc = pk_layer_view_create(S, L->ref.id);
    free(names);
    free(types);
    L->next_fid = 1;
    return rc;
}

/* Can a source field of type src_type go into a store column of type col? */
static int type_fits(const char *col, const char *src_type)
{
    if (!strcmp(col, "TEXT") || !strcmp(col, src_type))
        return 1;
    return !strcmp(col, "REAL") && !strcmp(src_type, "INTEGER");
}

/* Is source field i one the load takes (all, or those in --select)? */
static int field_selected(struct loader *L, OGRFeatureDefnH defn, int i, char **selected)
{
    return !selected || CSLFindString(selected, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i))) >= 0;
}

/* Appending: the source's fields (after --select) must be the layer's, by
 * name and with fitting types; map them onto the existing columns. */
static int map_existing_columns(struct loader *L)
{
    sqlite3_stmt *st;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(L->lyr);
    int nf = OGR_FD_GetFieldCount(defn);
    char **selected = L->opts->select ? CSLTokenizeString2(L->opts->select, ",", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES) : NULL;
    char missing[512] = "", extra[512] = "", mistyped[512] = "";
    int rc = pk_sql_prepare(L->store, "SELECT name, type FROM pk_fields WHERE layer_id=? ORDER BY position", &st);
    if (rc != PK_OK) {
        CSLDestroy(selected);
        return rc;
    }
    sqlite3_bind_int64(st, 1, L->ref.id);
    for (int i = 0; i < L->ncols; i++)
        free(L->cols[i].name);
    free(L->cols);
    L->ncols = 0;
    int *used = calloc((size_t)nf + 1, sizeof *used);
    L->cols = calloc((size_t)nf + 1, sizeof *L->cols);
    if (!used || !L->cols)
        rc = pk_error(L->ctx, PK_ERR_NOMEM, "out of memory");
    int step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        int src = OGR_FD_GetFieldIndex(defn, name);
        if (src < 0 || !field_selected(L, defn, src, selected)) {
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s", *missing ? ", " : "", name);
            continue;
        }
        used[src] = 1;
        const char *src_type = sql_type(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, src)));
        if (!type_fits(type, src_type)) {
            snprintf(mistyped + strlen(mistyped), sizeof mistyped - strlen(mistyped), "%s%s is %s, not %s",
                     *mistyped ? ", " : "", name, src_type, type);
            continue;
        }
        if (L->ncols >= nf) {
            step = SQLITE_DONE;
            break;
        }
        L->cols[L->ncols].src = src;
        L->cols[L->ncols].type = !strcmp(type, "INTEGER") ? "INTEGER" : !strcmp(type, "REAL") ? "REAL"
                                 : !strcmp(type, "BLOB") ? "BLOB" : "TEXT";
        if (!(L->cols[L->ncols++].name = strdup(name)))
            rc = pk_error(L->ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (rc == PK_OK)
        rc = pk_sql_done(L->store, step);
    sqlite3_finalize(st);
    for (int i = 0; rc == PK_OK && i < nf; i++)
        if (!used[i] && field_selected(L, defn, i, selected))
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s%s", *extra ? ", " : "",
                     OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    free(used);
    CSLDestroy(selected);
    if (rc == PK_OK && (*missing || *extra || *mistyped))
        rc = pk_error(L->ctx, PK_ERR_DATA, "%s: --append: the source's fields do not match layer '%s'%s%s%s%s%s%s "
                      "('plankit layer info %s' lists its fields; --select picks the source's)",
                      L->label, L->ref.name, *missing ? "; missing: " : "", missing, *extra ? "; not in the layer: " : "",
                      extra, *mistyped ? "; other type: " : "", mistyped, L->ref.name);
    if (rc != PK_OK)
        return rc;
    /* features must be of the layer's geometry type */
    L->family = !strcmp(L->ref.geometry_type, "MULTIPOLYGON") ? 'A' : !strcmp(L->ref.geometry_type, "LINESTRING") ? 'L'
                : !strcmp(L->ref.geometry_type, "POINT") ? 'P' : 'G';
    char *sql = sqlite3_mprintf("SELECT coalesce(max(fid), 0) + 1 FROM %s", L->ref.table);
    rc = pk_sql_int(L->store, sql, NULL, &L->next_fid, NULL);
    sqlite3_free(sql);
    return rc;
}

static int prepare_statements(struct loader *L)
{
    char *names = sqlite3_mprintf("fid"), *params = sqlite3_mprintf("?");
    for (int i = 0; i < L->ncols && names && params; i++) {
        char *n2 = sqlite3_mprintf("%s, \"%w\"", names, L->cols[i].name);
        char *p2 = sqlite3_mprintf("%s, ?", params);
        sqlite3_free(names);
        sqlite3_free(params);
        names = n2;
        params = p2;
    }
    char *sql = sqlite3_mprintf("INSERT INTO %s(%s, geom) VALUES(%s, ?)", L->ref.table, names, params);
    int rc = pk_sql_prepare(L->store, sql, &L->insert);
    sqlite3_free(sql);
    sqlite3_free(names);
    sqlite3_free(params);
    if (rc == PK_OK)
        rc = pk_sql_prepare(L->store, "INSERT INTO pk_load_issues(layer_id, fid, source_fid,"
                                      " feature_name, issue, detail) VALUES(?,?,?,?,?,?)", &L->issue);
    return rc;
}

/* A feature's label for messages: "feature 17 (昆山市)", numbered as the
 * store numbers features (1, 2, ... in read order), not by the source's own
 * FID (0-based in GeoJSON and shapefiles): a warning gives the stored
 * feature's fid (as `layer issues` and LAYER:17 do); an error, which stores
 * nothing, the feature's place in the source (L->res.stored + 1: the fid it
 * would have in a new layer). */
static void feature_label(struct loader *L, OGRFeatureH f, long long fid, char *out, size_t size)
{
    const char *name = NULL;
    if (L->name_field >= 0 && OGR_F_IsFieldSetAndNotNull(f, L->name_field))
        name = OGR_F_GetFieldAsString(f, L->name_field);
    if (name && *name && CPLIsUTF8(name, -1))
        snprintf(out, size, "feature %lld (%s)", fid, name);
    else
        snprintf(out, size, "feature %lld", fid);
}

static int record_issue(struct loader *L, OGRFeatureH f, long long fid, const char *issue,
                        const char *detail)
{
    char label[300];
    feature_label(L, f, fid, label, sizeof label);
    const char *name = (L->name_field >= 0 && OGR_F_IsFieldSetAndNotNull(f, L->name_field))
                           ? OGR_F_GetFieldAsString(f, L->name_field) : NULL;
    sqlite3_bind_int64(L->issue, 1, L->ref.id);
    sqlite3_bind_int64(L->issue, 2, fid);
    sqlite3_bind_int64(L->issue, 3, (long long)OGR_F_GetFID(f));
    pk_sql_bind_text(L->issue, 4, name && CPLIsUTF8(name, -1) ? name : NULL);
    pk_sql_bind_text(L->issue, 5, issue);
    pk_sql_bind_text(L->issue, 6, detail);
    int ok = sqlite3_step(L->issue) == SQLITE_DONE;
    sqlite3_reset(L->issue);
    if (!ok)
        return pk_error_db(L->store, "cannot record load issue");
    int always = !strcmp(issue, "empty");
    if (always || L->issues_logged++ < ISSUES_LOGGED_INDIVIDUALLY)
        pk_log(L->ctx, PK_LOG_WARN, "layer '%s' %s: %s%s%s", L->ref.name, label, issue,
               detail && *detail ? ": " : "", detail ? detail : "");
    else
        pk_log(L->ctx, PK_LOG_INFO, "layer '%s' %s: %s: %s", L->ref.name, label, issue,
               detail ? detail : "");
    return PK_OK;
}

static int bind_fields(struct loader *L, OGRFeatureH f, char *label)
{
    for (int i = 0; i < L->ncols; i++) {
        int p = i + 2, src = L->cols[i].src;
        if (!OGR_F_IsFieldSetAndNotNull(f, src)) {
            sqlite3_bind_null(L->insert, p);
            continue;
        }
        const char *t = L->cols[i].type;
        if (!strcmp(t, "INTEGER")) {
            sqlite3_bind_int64(L->insert, p, OGR_F_GetFieldAsInteger64(f, src));
        } else if (!strcmp(t, "REAL")) {
            sqlite3_bind_double(L->insert, p, OGR_F_GetFieldAsDouble(f, src));
        } else if (!strcmp(t, "BLOB")) {
            int n = 0;
            GByte *b = OGR_F_GetFieldAsBinary(f, src, &n);
            sqlite3_bind_blob(L->insert, p, b, n, SQLITE_TRANSIENT);
        } else {
            const char *s = OGR_F_GetFieldAsString(f, src);
            char *recoded = L->recode_from ? CPLRecode(s, L->recode_from, CPL_ENC_UTF8) : NULL;
            if (recoded)
                s = recoded;
            if (!CPLIsUTF8(s, -1)) {
                CPLFree(recoded);
                feature_label(L, f, L->res.stored + 1, label, 300);
                return pk_error(L->ctx, PK_ERR_DATA,
                                "%s %s field '%s': text is not UTF-8: give the source encoding "
                                "with --encoding, e.g. --encoding GBK",
                                L->label, label, L->cols[i].name);
            }
            sqlite3_bind_text(L->insert, p, s, -1, SQLITE_TRANSIENT);
            CPLFree(recoded);
        }
    }
    return PK_OK;
}

static void extend_extent(struct loader *L, const double *box)
{
    if (!L->has_ext) {
        memcpy(L->ext, box, sizeof L->ext);
        L->has_ext = 1;
        return;
    }
    L->ext[0] = fmin(L->ext[0], box[0]), L->ext[1] = fmin(L->ext[1], box[1]);
    L->ext[2] = fmax(L->ext[2], box[2]), L->ext[3] = fmax(L->ext[3], box[3]);
}

static char family_of(struct pk_ctx *ctx, const GEOSGeometry *g)
{
    switch (GEOSGeomTypeId_r(pk_geos(ctx), g)) {
    case GEOS_POINT:
    case GEOS_MULTIPOINT:
        return 'P';
    case GEOS_LINESTRING:
    case GEOS_MULTILINESTRING:
    case GEOS_LINEARRING:
        return 'L';
    case GEOS_POLYGON:
    case GEOS_MULTIPOLYGON:
        return 'A';
    default:
        return 'G';
    }
}

static const char *family_type(char family)
{
    return family == 'A' ? "MULTIPOLYGON" : family == 'L' ? "LINESTRING" : family == 'P' ? "POINT"
                                                                                       : "GEOMETRY";
}

/* One feature in flight: read by the main thread, its geometry prepared by
 * any pool thread, then stored by the main thread in read order. */
struct item {
    OGRFeatureH f;
    GEOSGeometry *g;
    enum pk_geom_fix fix;
    int dropped;
    int closed;         /* unclosed rings the conversion closed */
    int rc;
    char detail[512];   /* repair reason, or the error message when rc != PK_OK */
};

/* Geometry work for one feature: OGR -> GEOS, reproject, repair. Runs in any
 * thread with that thread's GEOS handle and PROJ context. */
struct job {
    struct loader *L;
    struct item *items;
};

/* The source coordinates lie within the source CRS's range (lon 500, lat
 * 95, 1e308 or metres read as degrees do not): else an error with a guess
 * of the CRS they are in. */
static int check_range(const struct loader *L, struct pk_ctx *ctx, OGRGeometryH g)
{
    OGREnvelope e;
    if (!L->has_range)
        return PK_OK;
    OGR_G_GetEnvelope(g, &e);
    if (!isfinite(e.MinX) || !isfinite(e.MinY) || !isfinite(e.MaxX) || !isfinite(e.MaxY))
        return PK_OK; /* the conversion reports non-finite coordinates */
    const double *b = L->range;
    if (e.MinX >= b[0] && e.MinY >= b[1] && e.MaxX <= b[2] && e.MaxY <= b[3])
        return PK_OK;
    int low = !(e.MinX >= b[0] && e.MinY >= b[1]);
    double x = low ? e.MinX : e.MaxX, y = low ? e.MinY : e.MaxY;
    char hint[300];
    pk_crs_hint(x, y, L->metric_srid, hint, sizeof hint);
    return pk_error(ctx, PK_ERR_DATA, "coordinates %.10g,%.10g are outside the range of %s (%.10g..%.10g, "
                    "%.10g..%.10g), the CRS %s: %s", x, y, L->crs_name, b[0], b[2], b[1], b[3],
                    L->opts->s_srs ? "given with --s_srs" : "the source declares or defaults to", hint);
}

static void prepare_item(void *vstate, size_t i, void *arg)
{
    struct pk_worker *w = vstate;
    struct job *J = arg;
    struct loader *L = J->L;
    struct item *it = &J->items[i];
    struct pk_ctx *ctx = w ? w->ctx : NULL;
    struct pk_transform *tr = NULL;

    it->fix = PK_GEOM_OK;
    it->detail[0] = '\0';
    if (!w || w->rc != PK_OK || (L->src_def && !(tr = pk_worker_transform_from(w, L->src_def, &it->rc)))) {
        it->rc = w && w->rc == PK_OK && it->rc != PK_OK ? it->rc : PK_ERR_NOMEM;
        snprintf(it->detail, sizeof it->detail, "cannot start a worker thread");
        return;
    }
    GEOSContextHandle_t h = pk_geos(ctx);
    OGRGeometryH src = OGR_F_GetGeometryRef(it->f);
    if (src && !OGR_G_IsEmpty(src) && (it->rc = check_range(L, ctx, src)) != PK_OK)
        goto fail;
    if (src && !OGR_G_IsEmpty(src)) {
        OGRGeometryH lin = NULL;
        if (OGR_G_HasCurveGeometry(src, 1))
            src = lin = OGR_G_GetLinearGeometry(src, 0, NULL);
        it->rc = pk_geom_from_ogr_closing(ctx, src, &it->g, &it->dropped, &it->closed);
        OGR_G_DestroyGeometry(lin);
        if (it->rc != PK_OK)
            goto fail;
    }
    if (it->g && tr) {
        GEOSGeometry *t = pk_transform_geom(ctx, tr, it->g);
        GEOSGeom_destroy_r(h, it->g);
        if (!(it->g = t)) {
            it->rc = pk_error(ctx, PK_ERR_DATA, "cannot reproject to EPSG:%d: coordinates outside "
                              "the CRS's area of use", pk_store_srid(L->store));
            goto fail;
        }
    }
    if (it->g) {
        it->rc = pk_geom_make_valid(ctx, &it->g, L->opts->repair_structure ? PK_REPAIR_STRUCTURE
                                                                         : PK_REPAIR_LINEWORK,
                                    &it->fix, it->detail, sizeof it->detail);
        if (it->rc != PK_OK)
            goto fail;
    }
    if (it->dropped) {
        char more[560];
        snprintf(more, sizeof more, "%s%s%d degenerate ring(s) or line(s) removed", it->detail,
                 *it->detail ? "; " : "", it->dropped);
        snprintf(it->detail, sizeof it->detail, "%s", more);
        if (it->fix == PK_GEOM_OK && it->g)
            it->fix = PK_GEOM_REPAIRED;
    }
    if (it->closed) { /* (GDAL's "Non closed ring" warning is left out: log_gdal) */
        char more[560];
        snprintf(more, sizeof more, "%s%s%d unclosed ring(s) closed", it->detail, *it->detail ? "; " : "",
                 it->closed);
        snprintf(it->detail, sizeof it->detail, "%s", more);
        if (it->fix == PK_GEOM_OK && it->g)
            it->fix = PK_GEOM_REPAIRED;
    }
    if (!it->g)
        it->fix = PK_GEOM_EMPTY;
    return;
fail:
    snprintf(it->detail, sizeof it->detail, "%s", pk_errmsg(ctx));
    if (it->g)
        GEOSGeom_destroy_r(h, it->g);
    it->g = NULL;
}

/* GDAL's warnings of the load, on one line at its end instead of a line
 * each as GDAL gives them (a driver may say the same of every feature, or
 * of the file when it opens it). "Non closed ring" is left out: the loader
 * closes such rings and says so on the feature's line. */
static void log_gdal(struct loader *L)
{
    char rest[sizeof L->gdal] = "";
    for (const char *line = L->gdal; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line), used = strlen(rest);
        if (strncmp(line, "Non closed ring", 15))
            snprintf(rest + used, sizeof rest - used, "%s%.*s", used ? "; " : "", (int)n, line);
        if (!nl)
            break;
        line = nl + 1;
    }
    if (*rest)
        pk_log(L->ctx, PK_LOG_WARN, "%s: GDAL: %s", L->label, rest);
}

/* Insert one prepared feature (main thread, in read order). */
static int store_item(struct loader *L, struct item *it)
{
    char label[300];
    long long fid = L->next_fid++;
    int rc = PK_OK;
    OGRFeatureH f = it->f;

    if (it->rc != PK_OK) {
        feature_label(L, f, L->res.stored + 1, label, sizeof label);
        return pk_error(L->ctx, it->rc, "%s %s: %s", L->label, label, it->detail);
    }
    L->res.dropped += it->dropped;
    if (it->fix == PK_GEOM_REPAIRED) {
        L->res.repaired++;
        rc = record_issue(L, f, fid, "repaired", it->detail);
    } else if (it->fix == PK_GEOM_EMPTY && !L->opts->no_geometry) { /* (a table's rows have none) */
        L->res.empty++;
        rc = record_issue(L, f, fid, "empty",
                          *it->detail ? it->detail : "empty geometry, stored without geometry");
    }
    if (rc != PK_OK)
        return rc;
    if (it->g) {
        char family = family_of(L->ctx, it->g);
        int appending = L->existed && L->opts->mode == PK_LOAD_APPEND;
        if (!L->family)
            L->family = family;
        else if (family != L->family && family != 'G' && L->family != 'G' && appending) {
            feature_label(L, f, L->res.stored + 1, label, sizeof label);
            return pk_error(L->ctx, PK_ERR_DATA, "%s %s: a %s among %s features: a layer holds one geometry "
                            "type (append it to a layer of its type, or load it as a new layer)", L->label, label,
                            family_type(family), family_type(L->family));
        } else if (family != L->family) {
            L->family = 'G'; /* a new layer of mixed types is registered as GEOMETRY */
        }
    }
    sqlite3_bind_int64(L->insert, 1, fid);
    if ((rc = bind_fields(L, f, label)) != PK_OK)
        return rc;
    double mbr[4];
    if (it->g)
        rc = pk_geom_bind_blob(L->ctx, L->insert, L->ncols + 2, it->g, pk_store_srid(L->store), mbr);
    else
        sqlite3_bind_null(L->insert, L->ncols + 2);
    if (rc == PK_OK && it->g)
        extend_extent(L, mbr); /* (the box the BLOB's header states) */
    if (rc == PK_OK && L->bulk)
        rc = pk_bulk_index(L->bulk, fid, it->g ? mbr : NULL);
    if (rc == PK_OK && sqlite3_step(L->insert) != SQLITE_DONE) {
        feature_label(L, f, L->res.stored + 1, label, sizeof label);
        rc = pk_error(L->ctx, PK_ERR_DB, "%s %s: cannot store: %s", L->label, label,
                      sqlite3_errmsg(L->store->db));
    }
    sqlite3_reset(L->insert);
    if (rc == PK_OK)
        L->res.stored++;
    return rc;
}

static void release_batch(struct loader *L, struct item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (items[i].g)
            GEOSGeom_destroy_r(pk_geos(L->ctx), items[i].g);
        OGR_F_Destroy(items[i].f);
        memset(&items[i], 0, sizeof items[i]);
    }
}

static size_t read_batch(struct loader *L, struct item *items, int *eof)
{
    size_t n = 0;
    while (!*eof && n < LOAD_BATCH) {
        OGRFeatureH f = OGR_L_GetNextFeature(L->lyr);
        if (!f)
            *eof = 1;
        else
            items[n++].f = f;
    }
    L->res.read += (long long)n;
    return n;
}

/* Read features in batches and store them in read order, so the result does
 * not depend on the thread count. Two batches are in flight: while the pool's
 * threads prepare one (convert, reproject, repair), the main thread reads the
 * next from OGR and stores the previous one in SQLite. */
static int read_features(struct loader *L, pk_progress_fn progress, void *arg)
{
    GIntBig total = OGR_L_TestCapability(L->lyr, OLCFastFeatureCount)
                        ? OGR_L_GetFeatureCount(L->lyr, 1) : -1;
    /* one worker per CPU (pk_worker: its own context and the source -> store
     * transform, made once); the main thread does the I/O alongside them */
    struct pk_worker_conf conf;
    struct pk_worker main_state;
    pk_worker_conf_init(&conf, L->store);
    if (pk_worker_init(&main_state, L->ctx, &conf) != PK_OK) {
        pk_worker_release(&main_state);
        return pk_errcode(L->ctx);
    }
    struct pk_pool *pool = pk_pool_new(pk_pool_threads(L->opts->threads) + 1, pk_worker_new, pk_worker_free, &conf);
    struct item *bufs[2] = {calloc(LOAD_BATCH, sizeof **bufs), calloc(LOAD_BATCH, sizeof **bufs)};
    struct job jobs[2] = {{L, bufs[0]}, {L, bufs[1]}};
    size_t counts[2] = {0, 0}, cur = 0;
    int rc = PK_OK, eof = 0;
    if (!pool || !bufs[0] || !bufs[1]) {
        pk_pool_free(pool);
        pk_worker_release(&main_state);
        free(bufs[0]);
        free(bufs[1]);
        return pk_error(L->ctx, PK_ERR_NOMEM, "out of memory");
    }
    OGR_L_ResetReading(L->lyr);
    CPLErrorReset();
    counts[0] = read_batch(L, bufs[0], &eof);
    if (counts[0])
        pk_pool_start(pool, counts[0], prepare_item, &jobs[0]);
    while (rc == PK_OK && counts[cur] > 0) {
        size_t nxt = 1 - cur;
        counts[nxt] = read_batch(L, bufs[nxt], &eof);
        pk_pool_wait(pool, &main_state);
        if (counts[nxt])
            pk_pool_start(pool, counts[nxt], prepare_item, &jobs[nxt]);
        for (size_t i = 0; i < counts[cur] && rc == PK_OK; i++)
            rc = store_item(L, &bufs[cur][i]);
        release_batch(L, bufs[cur], counts[cur]);
        counts[cur] = 0;
        if (rc == PK_OK && progress && total > 0 &&
            !progress(0.9 * (double)L->res.read / (double)total, NULL, arg))
            rc = pk_error(L->ctx, PK_ERR_CANCELLED, "%s: cancelled", L->label);
        cur = nxt;
    }
    pk_pool_wait(pool, &main_state); /* a batch may still be in flight after an error */
    release_batch(L, bufs[0], counts[0]);
    release_batch(L, bufs[1], counts[1]);
    pk_pool_free(pool);
    pk_worker_release(&main_state);
    free(bufs[0]);
    free(bufs[1]);
    if (rc == PK_OK && CPLGetLastErrorType() == CE_Failure)
        rc = pk_error_gdal(L->ctx, L->label);
    if (rc == PK_OK && L->res.read == 0)
        rc = pk_error(L->ctx, PK_ERR_DATA, "%s: %s", L->label,
                      L->opts->where ? "no feature matches --where" : "the layer has no features");
    return rc;
}

/* The kind follows the geometry when not given (points -> point, lines ->
 * line, polygons -> zone); a given kind must fit it. */
static int settle_kind(struct loader *L)
{
    static const char *const fits[][2] = {{"district", "A"}, {"zone", "A"}, {"line", "L"}, {"point", "P"}};
    const char *kind = L->opts->kind;
    char family = L->family;
    if ((L->existed && L->opts->mode == PK_LOAD_APPEND) || (family != 'A' && family != 'L' && family != 'P'))
        return PK_OK;
    if (kind) {
        for (size_t i = 0; i < sizeof fits / sizeof fits[0]; i++)
            if (!strcmp(kind, fits[i][0]) && fits[i][1][0] != family)
                return pk_error(L->ctx, PK_ERR_ARGS, "%s: --kind %s needs %s, but the features are %s: use "
                                "--kind %s (or leave --kind out)", L->label, kind,
                                fits[i][1][0] == 'A' ? "polygons" : fits[i][1][0] == 'L' ? "lines" : "points",
                                family_type(family), family == 'A' ? "zone or district" : family == 'L' ? "line" : "point");
        return PK_OK;
    }
    const char *from_geometry = family == 'A' ? "zone" : family == 'L' ? "line" : "point";
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(L->store, "UPDATE pk_layers SET kind=? WHERE id=?", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, from_geometry);
    sqlite3_bind_int64(st, 2, L->ref.id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(L->store, "cannot record the layer kind");
    sqlite3_finalize(st);
    snprintf(L->ref.kind, sizeof L->ref.kind, "%s", from_geometry);
    return rc;
}

/* The registry's count, extent and geometry type. A new table's come from
 * what was written (reading the geometries back would scan the table four
 * times); an appended one's from the whole table. */
static int record_totals(struct loader *L)
{
    struct pk_store *S = L->store;
    int appending = L->existed && L->opts->mode == PK_LOAD_APPEND;
    char *sql = appending
        ? sqlite3_mprintf("UPDATE pk_layers SET feature_count=(SELECT count(*) FROM %s),"
                          " geometry_type=coalesce(geometry_type, ?1),"
                          " min_x=(SELECT min(MbrMinX(geom)) FROM %s), min_y=(SELECT min(MbrMinY(geom)) FROM %s),"
                          " max_x=(SELECT max(MbrMaxX(geom)) FROM %s), max_y=(SELECT max(MbrMaxY(geom)) FROM %s)"
                          " WHERE id=%lld", L->ref.table, L->ref.table, L->ref.table, L->ref.table, L->ref.table,
                          L->ref.id)
        : sqlite3_mprintf("UPDATE pk_layers SET feature_count=?2, geometry_type=coalesce(geometry_type, ?1),"
                          " min_x=?3, min_y=?4, max_x=?5, max_y=?6 WHERE id=%lld", L->ref.id);
    sqlite3_stmt *st = NULL;
    int rc = sql ? pk_sql_prepare(S, sql, &st) : pk_error(L->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, L->opts->no_geometry ? NULL : family_type(L->family));
    if (!appending) {
        sqlite3_bind_int64(st, 2, L->res.stored);
        for (int k = 0; k < 4 && L->has_ext; k++)
            sqlite3_bind_double(st, 3 + k, L->ext[k]);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(S, "cannot update layer registry");
    sqlite3_finalize(st);
    return rc;
}

/* The index (a new table's triggers back), registry totals, metric CRS
 * choice and history. */
static int finish_layer(struct loader *L)
{
    struct pk_store *S = L->store;
    int rc = settle_kind(L);
    if (rc == PK_OK && L->bulk)
        rc = pk_bulk_end(L->bulk);
    if (rc == PK_OK)
        rc = record_totals(L);
    if (rc == PK_OK && pk_store_measure_srid(S) == 0 && L->has_ext) {
        double x = (L->ext[0] + L->ext[2]) / 2, y = (L->ext[1] + L->ext[3]) / 2;
        struct pk_transform *to_ll = NULL;
        if (pk_store_srid(S) != 4326 && pk_store_srid(S) != 4490 &&
            pk_transform_new(L->ctx, pk_store_srid(S), 4326, &to_ll) == PK_OK)
            pk_transform_point(to_ll, &x, &y);
        pk_transform_free(to_ll);
        int srid = pk_crs_auto_metric(x, y);
        rc = pk_store_set_measure_srid(S, srid);
        L->res.measure_srid_chosen = srid;
        pk_log(L->ctx, PK_LOG_INFO, "metric CRS set to EPSG:%d from the data's longitude %.2f", srid, x);
    }
    char summary[512];
    int n = snprintf(summary, sizeof summary, "%lld features (%lld repaired, %lld empty) from %s",
                     L->res.stored, L->res.repaired, L->res.empty, L->opts->source);
    if (L->existed && L->opts->mode == PK_LOAD_REPLACE && n > 0 && (size_t)n < sizeof summary)
        snprintf(summary + n, sizeof summary - (size_t)n, "; key %s; %lld task link(s) re-matched, %lld removed",
                 *L->res.key ? L->res.key : "(none)", L->res.links_kept, L->res.links_lost);
    if (rc == PK_OK)
        rc = pk_store_history(S, L->opts->mode == PK_LOAD_APPEND ? "layer append" : "layer load",
                              "layer", L->ref.name, NULL, NULL, summary);
    return rc;
}

/* The layer's key once its rows are in: chosen for a new layer, links
 * re-matched for a replaced one, still unique for an appended one. */
static int settle_key(struct loader *L, const char *old_key)
{
    char key[128];
    int rc;
    if (L->existed && L->opts->mode == PK_LOAD_APPEND) {
        if (!*L->ref.key)
            return PK_OK;
        rc = pk_layer_key_choose(L->store, &L->ref, L->ref.key, NULL, key, sizeof key);
        if (rc != PK_OK)
            pk_error_prefix(L->ctx, "%s: the appended features break the layer's key", L->label);
        return rc;
    }
    rc = pk_layer_key_choose(L->store, &L->ref, L->opts->key, old_key, key, sizeof key);
    if (rc != PK_OK) {
        pk_error_prefix(L->ctx, "%s%s%s", L->label, L->opts->key ? ": --key " : "", L->opts->key ? L->opts->key : "");
        return rc;
    }
    snprintf(L->res.key, sizeof L->res.key, "%s", key);
    if ((rc = pk_layer_name_field_set(L->store, &L->ref, L->opts->name_field)) != PK_OK)
        return rc;
    snprintf(L->res.name_field, sizeof L->res.name_field, "%s", L->ref.name_field);
    if (!L->existed)
        return pk_layer_key_set(L->store, &L->ref, key);
    struct pk_relink relink;
    rc = pk_layer_relink(L->store, &L->ref, old_key, key, L->opts->force, L->label, &relink);
    L->res.links_kept = relink.kept;
    L->res.links_lost = relink.lost;
    return rc;
}

static void loader_release(struct loader *L)
{
    sqlite3_finalize(L->insert);
    sqlite3_finalize(L->issue);
    pk_bulk_free(L->bulk);
    for (int i = 0; i < L->ncols; i++)
        free(L->cols[i].name);
    free(L->cols);
    free(L->recode_from);
    free(L->src_def);
    pk_transform_free(L->tr);
    if (L->ds)
        GDALClose(L->ds);
}

/* Is there a layer of that name? Sets L->existed and L->ref; an error when
 * it exists and the mode is neither replace nor append. */
static int find_existing(struct loader *L, const char *name)
{
    int rc = pk_layer_find(L->store, name, &L->ref);
    L->existed = rc == PK_OK;
    if (rc == PK_OK && L->opts->mode == PK_LOAD_CREATE)
        return pk_error(L->ctx, PK_ERR_EXISTS, "%s: layer '%s' already exists: use --replace to "
                        "overwrite it or --append to add to it", L->label, name);
    if (rc != PK_OK && rc != PK_ERR_NOTFOUND)
        return rc;
    pk_error_clear(L->ctx);
    snprintf(L->ref.name, sizeof L->ref.name, "%s", name);
    return PK_OK;
}

/* The options that can be judged before the source is opened; sets L->label. */
static int check_opts(struct loader *L)
{
    const struct pk_load_opts *opts = L->opts;
    if (!opts->source)
        return pk_error(L->ctx, PK_ERR_ARGS, "layer load: no source given");
    snprintf(L->label, sizeof L->label, "layer load '%s'", opts->source);
    if (opts->kind && !kind_valid(opts->kind, opts->no_geometry))
        return pk_error(L->ctx, PK_ERR_ARGS, "%s: invalid --kind '%s': %s", L->label, opts->kind,
                        opts->no_geometry ? "a layer loaded with --no-geometry is of kind table"
                        : !strcmp(opts->kind, "table") ? "kind table is for sources without geometry "
                          "(--no-geometry)" : "use district, zone, line or point");
    if ((opts->key || opts->name_field) && opts->mode == PK_LOAD_APPEND)
        return pk_error(L->ctx, PK_ERR_ARGS, "%s: --%s applies to a new or replaced layer, not to --append",
                        L->label, opts->key ? "key" : "name-field");
    if (opts->name && !pk_layer_name_valid(opts->name))
        return pk_error(L->ctx, PK_ERR_ARGS, "%s: invalid layer name '%s': %s", L->label, opts->name,
                        pk_layer_name_problem(opts->name));
    return PK_OK;
}

/* The new layer's name into name (size bytes): --name, or one made from the
 * file and layer names; it must be usable and not a view's. */
static int choose_name(struct loader *L, char *name, size_t size)
{
    if (L->opts->name)
        snprintf(name, size, "%s", L->opts->name);
    else
        default_name(L->opts, OGR_L_GetName(L->lyr), name, size);
    if (!pk_layer_name_valid(name))
        return pk_error(L->ctx, PK_ERR_ARGS, "%s: the layer name '%s' (from the file name) is not usable: %s; "
                        "give one with --name", L->label, name, pk_layer_name_problem(name));
    int rc = pk_layer_view_name_free(L->store, name);
    if (rc != PK_OK)
        pk_error_prefix(L->ctx, "%s", L->label);
    return rc;
}

/* Inside the transaction: create, replace or append to layer name and write
 * every feature, its key and its registry row. */
static int write_layer(struct loader *L, const char *name, pk_progress_fn progress, void *progress_arg)
{
    const struct pk_load_opts *opts = L->opts;
    /* look again inside the transaction: another process may have created or
     * dropped the layer since */
    int rc = find_existing(L, name);
    if (rc != PK_OK)
        return rc;
    if (L->existed && opts->mode == PK_LOAD_APPEND && !strcmp(L->ref.kind, "table") != !!opts->no_geometry)
        return pk_error(L->ctx, PK_ERR_ARGS, "%s: layer '%s' %s", L->label, L->ref.name, opts->no_geometry
                        ? "has geometry: rows without any cannot be appended to it"
                        : "is a table without geometry: append rows to it with --no-geometry");
    char old_key[128];
    snprintf(old_key, sizeof old_key, "%s", L->ref.key);
    if (L->existed && opts->mode == PK_LOAD_APPEND)
        rc = map_existing_columns(L);
    else if (L->existed && (rc = pk_layer_key_set(L->store, &L->ref, old_key)) == PK_OK) /* links' keys now */
        rc = create_layer(L, name);
    else if (!L->existed)
        rc = create_layer(L, name);
    if (rc == PK_OK)
        rc = prepare_statements(L);
    if (rc == PK_OK)
        rc = read_features(L, progress, progress_arg);
    if (rc == PK_OK)
        rc = settle_key(L, old_key);
    if (rc == PK_OK && progress && !progress(0.92, NULL, progress_arg))
        rc = pk_error(L->ctx, PK_ERR_CANCELLED, "%s: cancelled", L->label);
    if (rc == PK_OK)
        rc = finish_layer(L);
    sqlite3_finalize(L->insert);
    sqlite3_finalize(L->issue);
    L->insert = L->issue = NULL;
    return rc;
}

int pk_layer_load(struct pk_store *store, const struct pk_load_opts *opts,
                  struct pk_load_result *result, pk_progress_fn progress, void *progress_arg)
{
    struct loader L = {0};
    char name[128];
    int rc, in_tx = 0;

    L.store = store;
    L.ctx = pk_store_ctx(store);
    L.opts = opts;
    L.metric_srid = pk_store_measure_srid(store);
    if ((rc = check_opts(&L)) != PK_OK)
        return rc;
    pk_gdal_capture(L.gdal, sizeof L.gdal); /* folded into the features' lines, or one line at the end */
    if ((rc = open_source(&L)) != PK_OK || (rc = pick_layer(&L)) != PK_OK || (rc = require_geometry(&L)) != PK_OK ||
        (rc = apply_filter(&L)) != PK_OK || (!opts->no_geometry && (rc = setup_transform(&L)) != PK_OK) ||
        (rc = choose_name(&L, name, sizeof name)) != PK_OK)
        goto done;
    if ((rc = find_existing(&L, name)) != PK_OK || (rc = plan_columns(&L)) != PK_OK ||
        (rc = pk_store_begin(store)) != PK_OK)
        goto done;
    in_tx = 1;
    if ((rc = write_layer(&L, name, progress, progress_arg)) == PK_OK) {
        rc = pk_store_commit(store);
        in_tx = 0; /* committed, or rolled back by the failed commit */
    }
    if (rc == PK_OK) {
        if (L.res.repaired > ISSUES_LOGGED_INDIVIDUALLY)
            pk_log(L.ctx, PK_LOG_WARN, "layer '%s': %lld more repaired features not listed: "
                   "'plankit layer issues %s' lists all", name,
                   L.res.repaired - ISSUES_LOGGED_INDIVIDUALLY, name);
        if (progress)
            progress(1.0, NULL, progress_arg);
    }
done:
    pk_gdal_capture(NULL, 0);
    log_gdal(&L);
    if (in_tx)
        pk_store_rollback(store);
    snprintf(L.res.name, sizeof L.res.name, "%s", L.ref.name);
    if (result)
        *result = L.res;
    loader_release(&L);
    return rc;
}
