/* layer_ops.c — registry look-ups and the layer management verbs: list,
 * info, issues, export, drop and rename. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_string.h>
#include <gdal_utils.h>

#include "crs_int.h"
#include "measure_int.h"
#include "geom_int.h"
#include "layer_int.h"
#include "worker_int.h"
#include "reader_int.h"
#include "sink_int.h"
#include "sql_int.h"

int pk_layer_find(struct pk_store *store, const char *name, struct pk_layer_ref *ref)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "SELECT id, name, table_name, kind, coalesce(geometry_type, ''),"
                                   " feature_count, coalesce(key_field, ''), coalesce(name_field, '') FROM pk_layers"
                                   " WHERE name=?1 COLLATE NOCASE ORDER BY name=?1 DESC LIMIT 1", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, name);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        memset(ref, 0, sizeof *ref);
        ref->id = sqlite3_column_int64(st, 0);
        snprintf(ref->name, sizeof ref->name, "%s", sqlite3_column_text(st, 1));
        snprintf(ref->table, sizeof ref->table, "%s", sqlite3_column_text(st, 2));
        snprintf(ref->kind, sizeof ref->kind, "%s", sqlite3_column_text(st, 3));
        snprintf(ref->geometry_type, sizeof ref->geometry_type, "%s", sqlite3_column_text(st, 4));
        ref->count = sqlite3_column_int64(st, 5);
        snprintf(ref->key, sizeof ref->key, "%s", sqlite3_column_text(st, 6));
        snprintf(ref->name_field, sizeof ref->name_field, "%s", sqlite3_column_text(st, 7));
        /* the table name goes into SQL text: it must be what plankit made */
        const char *t = ref->table;
        size_t digits = strncmp(t, "lyr_", 4) ? 0 : strspn(t + 4, "0123456789");
        if (digits == 0 || t[4 + digits] != '\0')
            rc = pk_error(store->ctx, PK_ERR_DATA, "the store is damaged: layer '%s' has the table name '%s' "
                          "(expected lyr_<id>)", name, t);
    } else if (step == SQLITE_DONE) {
        rc = pk_error(store->ctx, PK_ERR_NOTFOUND,
                      "no layer '%s' in the store ('plankit layer list' shows the layers)", name);
    } else {
        rc = pk_sql_done(store, step); /* a failed read is not "no layer" */
    }
    sqlite3_finalize(st);
    return rc;
}

int pk_layer_create_table(struct pk_store *S, struct pk_layer_ref *ref, int ncols, const char *const *names,
                          const char *const *types)
{
    snprintf(ref->table, sizeof ref->table, "lyr_%lld", ref->id);
    /* quoted column identifiers; no user text is spliced in any other way */
    char *cols = sqlite3_mprintf("fid INTEGER PRIMARY KEY");
    for (int i = 0; i < ncols && cols; i++) {
        char *next = sqlite3_mprintf("%s, \"%w\" %s", cols, names[i], types[i]);
        sqlite3_free(cols);
        cols = next;
    }
    if (!cols)
        return pk_error(S->ctx, PK_ERR_NOMEM, "out of memory");
    char *sql = sqlite3_mprintf("UPDATE pk_layers SET table_name='%q' WHERE id=%lld;"
                                "CREATE TABLE %s(%s);"
                                "SELECT AddGeometryColumn('%q', 'geom', %d, 'GEOMETRY', 'XY');",
                                ref->table, ref->id, ref->table, cols, ref->table, pk_store_srid(S));
    int rc = sql ? pk_sql_exec(S, sql) : pk_error(S->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    sqlite3_free(cols);
    sqlite3_stmt *st = NULL;
    if (rc == PK_OK)
        rc = pk_sql_prepare(S, "INSERT INTO pk_fields(layer_id, position, name, type) VALUES(?,?,?,?)", &st);
    for (int i = 0; rc == PK_OK && i < ncols; i++) {
        sqlite3_bind_int64(st, 1, ref->id);
        sqlite3_bind_int(st, 2, i + 1);
        pk_sql_bind_text(st, 3, names[i]);
        pk_sql_bind_text(st, 4, types[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = pk_error_db(S, "cannot register fields");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int pk_layer_drop_tables(struct pk_store *store, const struct pk_layer_ref *ref, int keep_registry)
{
    int rc = pk_layer_view_drop(store, ref->table);
    if (rc != PK_OK)
        return rc;
    char *sql = sqlite3_mprintf(
        "SELECT DisableSpatialIndex('%q', 'geom') FROM geometry_columns"
        "  WHERE f_table_name='%q' AND spatial_index_enabled=1;"
        "DROP TABLE IF EXISTS \"idx_%w_geom\";"
        "SELECT DiscardGeometryColumn('%q', 'geom') FROM geometry_columns WHERE f_table_name='%q';"
        "DROP TABLE IF EXISTS \"%w\";"
        "DELETE FROM pk_fields WHERE layer_id=%lld;"
        "DELETE FROM pk_load_issues WHERE layer_id=%lld;",
        ref->table, ref->table, ref->table, ref->table, ref->table, ref->table, ref->id, ref->id);
    rc = sql ? pk_sql_exec(store, sql) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc == PK_OK && !keep_registry) {
        sql = sqlite3_mprintf("DELETE FROM pk_layers WHERE id=%lld", ref->id);
        rc = pk_sql_exec(store, sql);
        sqlite3_free(sql);
    }
    return rc;
}

int pk_layer_feature_label(struct pk_store *store, const struct pk_layer_ref *ref, long long fid, char **out)
{
    sqlite3_stmt *st;
    *out = NULL;
    if (!*ref->name_field)
        return PK_OK;
    char *sql = sqlite3_mprintf("SELECT \"%w\" FROM %s WHERE fid=%lld", ref->name_field, ref->table, fid);
    int rc = sql ? pk_sql_prepare(store, sql, &st) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc != PK_OK)
        return rc;
    int step = sqlite3_step(st);
    const unsigned char *text = step == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = pk_error_db(store, "cannot read a feature's name");
    else if (text && !(*out = strdup((const char *)text)))
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_finalize(st);
    return rc;
}

/* The accuracy class of a layer, from the free text of its registry
 * `accuracy` (the manifest's, --accuracy, or inherited by a derived layer),
 * worst class first: any sign of a schematic, estimated or placeholder
 * geometry or of errors stated in km makes it "schematic ±km"; then web-map
 * data ("web-map ~100 m"); then survey data ("surveyed"); no text:
 * "unstated"; other text: "unclassified" (read the layer's accuracy). */
#define ACCURACY_CLASS_SQL                                                                   \
    "CASE WHEN trim(coalesce(accuracy, '')) = '' THEN 'unstated'"                            \
    " WHEN accuracy LIKE '%schematic%' OR accuracy LIKE '%placeholder%'"                     \
    "   OR accuracy LIKE '%estimated%' OR accuracy LIKE '%assumed%'"                         \
    "   OR accuracy LIKE '%±%km%' THEN 'schematic ±km'"                                      \
    " WHEN accuracy LIKE '%web-map%' OR accuracy LIKE '%web map%' OR accuracy LIKE '%~100 m%'" \
    "   THEN 'web-map ~100 m'"                                                               \
    " WHEN accuracy LIKE '%survey%' THEN 'surveyed'"                                         \
    " ELSE 'unclassified' END"

int pk_layer_list(struct pk_store *store, struct pk_table **out)
{
    static const enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_INT,
                                             PK_COL_REAL, PK_COL_REAL, PK_COL_REAL, PK_COL_REAL,
                                             PK_COL_TEXT, PK_COL_TEXT};
    return pk_sql_table(store,
                       "SELECT name, kind, coalesce(geometry_type, '') AS geometry, title,"
                       " feature_count AS features, min_x, min_y, max_x, max_y,"
                       " loaded_at, " ACCURACY_CLASS_SQL " AS accuracy FROM pk_layers ORDER BY id",
                       NULL, types, "layer list", out);
}

int pk_layer_issues(struct pk_store *store, const char *name, struct pk_table **out)
{
    struct pk_layer_ref ref;
    int rc = pk_layer_find(store, name, &ref);
    if (rc != PK_OK)
        return rc;
    static const enum pk_col_type types[] = {PK_COL_INT, PK_COL_INT, PK_COL_TEXT, PK_COL_TEXT,
                                             PK_COL_TEXT};
    const char *params[] = {ref.name, NULL}; /* the registered name (names compare case-insensitively) */
    return pk_sql_table(store,
                       "SELECT fid, source_fid, coalesce(feature_name, '') AS name, issue, detail"
                       " FROM pk_load_issues WHERE layer_id=(SELECT id FROM pk_layers WHERE name=?)"
                       " ORDER BY fid",
                       params, types, "layer issues", out);
}

/* Sum of areas (m²) and lengths (m) of a layer in the store's metric CRS.
 * Areas are measured as the overlay measures its pieces (measure.c: along
 * the curves store-CRS edges become), so an identity's pieces add up to
 * them; lengths are those of the transformed vertices' chords. */
/* Reader callback: add a feature's area and length. */
struct sums {
    struct pk_worker *w;
    double area, length;
};

static int add_measures(void *arg, struct pk_feature *f)
{
    struct sums *S = arg;
    double a = 0, l = 0;
    int rc = f->geom ? pk_worker_area(S->w, f->geom, &a) : PK_OK;
    if (rc == PK_OK && f->geom)
        rc = pk_worker_length(S->w, f->geom, &l);
    S->area += a;
    S->length += l;
    return rc;
}

static int measure_layer(struct pk_store *store, const struct pk_layer_ref *ref, double *area,
                         double *length)
{
    *area = *length = 0;
    if (!pk_store_measure_srid(store))
        return PK_OK;
    struct pk_worker_conf conf;
    struct pk_worker w;
    struct pk_reader *r = NULL;
    struct pk_reader_spec spec = {ref, 1, NULL, 0, NULL};
    struct sums S = {&w, 0, 0};
    pk_worker_conf_init(&conf, store);
    int rc = pk_worker_init(&w, store->ctx, &conf); /* measured as every command measures */
    if (rc == PK_OK)
        rc = pk_reader_new(store->ctx, store->db, &spec, &r);
    if (rc == PK_OK)
        rc = pk_reader_all(r, add_measures, &S);
    pk_reader_free(r);
    pk_worker_release(&w);
    *area = S.area;
    *length = S.length;
    return rc;
}

void pk_layer_info_release(struct pk_layer_info *info)
{
    char **texts[] = {&info->name, &info->title, &info->kind, &info->source, &info->table, &info->geometry_type,
                      &info->key, &info->name_field, &info->loaded_at, &info->provenance, &info->accuracy};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        free(*texts[i]);
    for (int i = 0; info->fields && i < info->nfields; i++) {
        free(info->fields[i].name);
        free(info->fields[i].type);
    }
    free(info->fields);
    memset(info, 0, sizeof *info);
}

/* A copy of column col of st ("" for NULL) into *out; 0, or -1 when out of memory. */
static int copy_text(sqlite3_stmt *st, int col, char **out)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    *out = strdup(v ? (const char *)v : "");
    return *out ? 0 : -1;
}

/* The registry row of layer ref into *info. */
static int info_registry(struct pk_store *store, const struct pk_layer_ref *ref, struct pk_layer_info *info)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "SELECT name, title, kind, source, table_name, geometry_type, feature_count,"
                                   " min_x, min_y, max_x, max_y, loaded_at, provenance, accuracy,"
                                   " (SELECT count(*) FROM pk_load_issues i WHERE i.layer_id=l.id AND issue='repaired'),"
                                   " (SELECT count(*) FROM pk_load_issues i WHERE i.layer_id=l.id AND issue='empty')"
                                   " FROM pk_layers l WHERE id=?", &st);
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_int64(st, 1, ref->id);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        sqlite3_finalize(st);
        return step == SQLITE_DONE ? pk_error(store->ctx, PK_ERR_NOTFOUND, "no layer '%s' in the store", ref->name)
                                   : pk_error_db(store, "cannot read the layer registry");
    }
    char **texts[] = {&info->name, &info->title, &info->kind, &info->source, &info->table, &info->geometry_type};
    int bad = 0;
    for (int i = 0; i < 6; i++)
        bad |= copy_text(st, i, texts[i]);
    info->features = sqlite3_column_int64(st, 6);
    info->has_extent = sqlite3_column_type(st, 7) != SQLITE_NULL;
    for (int i = 0; info->has_extent && i < 4; i++)
        info->extent[i] = sqlite3_column_double(st, 7 + i);
    bad |= copy_text(st, 11, &info->loaded_at) | copy_text(st, 12, &info->provenance) |
           copy_text(st, 13, &info->accuracy);
    info->repaired = sqlite3_column_int64(st, 14);
    info->empty = sqlite3_column_int64(st, 15);
    sqlite3_finalize(st);
    info->srid = pk_store_srid(store);
    info->measure_srid = pk_store_measure_srid(store);
    bad |= !(info->key = strdup(ref->key)) || !(info->name_field = strdup(ref->name_field));
    return bad ? pk_error(store->ctx, PK_ERR_NOMEM, "out of memory") : PK_OK;
}

/* The attribute fields of layer ref, in order, into *info. */
static int info_fields(struct pk_store *store, const struct pk_layer_ref *ref, struct pk_layer_info *info)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "SELECT name, type FROM pk_fields WHERE layer_id=? ORDER BY position", &st);
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_int64(st, 1, ref->id);
    int step, cap = 0;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (info->nfields == cap) {
            cap = cap ? 2 * cap : 16;
            struct pk_layer_field *grown = realloc(info->fields, (size_t)cap * sizeof *grown);
            if (!grown) {
                rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            info->fields = grown;
        }
        struct pk_layer_field *fl = &info->fields[info->nfields++];
        fl->name = fl->type = NULL;
        if (copy_text(st, 0, &fl->name) || copy_text(st, 1, &fl->type))
            rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(store, "cannot read the layer's fields");
    sqlite3_finalize(st);
    return rc;
}

int pk_layer_info(struct pk_store *store, const char *name, struct pk_layer_info *info)
{
    struct pk_layer_ref ref;
    memset(info, 0, sizeof *info);
    int rc = pk_layer_find(store, name, &ref);
    if (rc == PK_OK)
        rc = info_registry(store, &ref, info);
    if (rc == PK_OK)
        rc = info_fields(store, &ref, info);
    if (rc == PK_OK)
        rc = measure_layer(store, &ref, &info->area_m2, &info->length_m);
    return rc;
}

/* Cut a field name to at most max bytes on a UTF-8 character boundary. */
static void cut_utf8(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    s[n] = '\0';
}

/* For a shapefile (field names of at most 10 bytes): a SELECT renaming the
 * layer's fields to names cut on UTF-8 character boundaries (GDAL cuts
 * bytes, leaving broken characters), made unique with _1, _2, ...
 * Caller frees with sqlite3_free; NULL on error (in ctx). */
static char *shapefile_select(struct pk_store *store, const struct pk_layer_ref *ref)
{
    sqlite3_stmt *st;
    char names[256][16];
    int n = 0;
    char *sql = sqlite3_mprintf("SELECT geom");
    if (pk_sql_prepare(store, "SELECT name FROM pk_fields WHERE layer_id=? ORDER BY position", &st) != PK_OK) {
        sqlite3_free(sql);
        return NULL;
    }
    sqlite3_bind_int64(st, 1, ref->id);
    int step = SQLITE_DONE;
    while (sql && n < 256 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *field = (const char *)sqlite3_column_text(st, 0);
        char cut[16];
        snprintf(cut, sizeof cut, "%.15s", field);
        cut_utf8(cut, 10);
        for (int k = 1, taken = 1; taken; k++) {
            taken = 0;
            for (int i = 0; i < n && !taken; i++)
                taken = !strcasecmp(names[i], cut);
            if (taken) {
                char suffix[8];
                snprintf(suffix, sizeof suffix, "_%d", k);
                snprintf(cut, sizeof cut, "%.15s", field);
                cut_utf8(cut, 10 - strlen(suffix));
                strcat(cut, suffix);
            }
        }
        snprintf(names[n++], sizeof names[0], "%s", cut);
        char *next = sqlite3_mprintf("%s, \"%w\" AS \"%w\"", sql, field, cut);
        sqlite3_free(sql);
        sql = next;
    }
    if (sql && n < 256 && step != SQLITE_DONE) { /* a short list of fields is a wrong file */
        pk_sql_done(store, step);
        sqlite3_finalize(st);
        sqlite3_free(sql);
        return NULL;
    }
    sqlite3_finalize(st);
    char *full = sql ? sqlite3_mprintf("%s FROM %s", sql, ref->table) : NULL;
    sqlite3_free(sql);
    if (!full)
        pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    return full;
}

/* *yes = 1 when srs is WGS84 longitude/latitude (EPSG:4326, CRS84). */
static int is_wgs84(struct pk_ctx *ctx, OGRSpatialReferenceH srs, int *yes)
{
    OGRSpatialReferenceH wgs84 = NULL;
    int rc = pk_crs_from_epsg(ctx, 4326, &wgs84);
    if (rc == PK_OK)
        *yes = OSRIsSame(srs, wgs84);
    OSRDestroySpatialReference(wgs84);
    return rc;
}

/* The ogr2ogr options of an export, added to *argv: --t_srs (GeoJSON
 * takes only WGS84: RFC 7946), WKT in CSV, RFC 7946 GeoJSON (WGS84
 * longitude/latitude, 7 decimals) and the layer's geometry type (the store's
 * geometry column is generic, so GeoPackage would say Unknown). */
static int translate_options(struct pk_ctx *ctx, const struct pk_layer_ref *ref, const char *format,
                             const struct pk_export_opts *opts, char ***argvp)
{
    char **argv = *argvp;
    int rc = PK_OK;
    if (opts && opts->t_srs) {
        OGRSpatialReferenceH srs;
        if ((rc = pk_crs_from_user(ctx, opts->t_srs, &srs)) != PK_OK) {
            pk_error_prefix(ctx, "layer export: --t_srs");
            return rc;
        }
        int wgs84 = 0;
        if (!strcasecmp(format, "GeoJSON") && (rc = is_wgs84(ctx, srs, &wgs84)) == PK_OK && !wgs84)
            rc = pk_error(ctx, PK_ERR_ARGS, "layer export: GeoJSON is WGS84 longitude/latitude (RFC 7946): "
                          "--t_srs %.60s cannot apply: write .gpkg, .fgb or .shp for another CRS", opts->t_srs);
        OSRDestroySpatialReference(srs);
        if (rc != PK_OK)
            return rc;
        argv = CSLAddString(argv, "-t_srs");
        argv = CSLAddString(argv, opts->t_srs);
    }
    if (!strcasecmp(format, "CSV")) {
        argv = CSLAddString(argv, "-lco");
        argv = CSLAddString(argv, "GEOMETRY=AS_WKT");
    }
    if (!strcasecmp(format, "GeoJSON")) {
        argv = CSLAddString(argv, "-lco");
        argv = CSLAddString(argv, "RFC7946=YES");
    }
    if (strcmp(ref->geometry_type, "GEOMETRY") && *ref->geometry_type) {
        argv = CSLAddString(argv, "-nlt");
        argv = CSLAddString(argv, ref->geometry_type);
    }
    *argvp = argv;
    return PK_OK;
}

/* The GDAL driver name for out_path (opts->format, else from its
 * extension), checked to be a vector format GDAL writes. */
static int export_format(struct pk_ctx *ctx, const char *out_path, const struct pk_export_opts *opts,
                         const char **format)
{
    *format = opts && opts->format ? opts->format : pk_format_for_path(out_path);
    if (!*format)
        return pk_error(ctx, PK_ERR_ARGS, "layer export: cannot tell the format of '%s' from its "
                        "extension: give --format-out (GPKG, GeoJSON, 'ESRI Shapefile', CSV, FlatGeobuf)",
                        out_path);
    GDALDriverH drv = GDALGetDriverByName(*format);
    if (!drv || !GDALGetMetadataItem(drv, GDAL_DCAP_VECTOR, NULL) ||
        (!GDALGetMetadataItem(drv, GDAL_DCAP_CREATE, NULL) && !GDALGetMetadataItem(drv, GDAL_DCAP_CREATECOPY, NULL)))
        return pk_error(ctx, PK_ERR_ARGS, "layer export: --format-out '%.60s' is not a vector format GDAL writes "
                        "(e.g. GPKG, GeoJSON, 'ESRI Shapefile', CSV, FlatGeobuf)", *format);
    return PK_OK;
}

/* The store opened read-only by GDAL, or NULL (the error in the context).
 * Caller closes it with GDALClose. */
static GDALDatasetH open_for_gdal(struct pk_store *store)
{
    CPLErrorReset();
    /* a store that cannot hold a -shm file: GDAL retries it as immutable
     * itself, with a warning the user has been told in other words already */
    int immutable = pk_store_access(store) == PK_STORE_IMMUTABLE;
    if (immutable)
        CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH src = GDALOpenEx(store->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (immutable)
        CPLPopErrorHandler();
    if (!src)
        pk_error_gdal(store->ctx, "layer export: cannot read the store");
    return src;
}

/* ogr2ogr's arguments for exporting ref as format: the layer's table, or
 * for a shapefile a SELECT with UTF-8-safe short field names. *argv: caller
 * frees with CSLDestroy (also on error). */
static int export_args(struct pk_store *store, const struct pk_layer_ref *ref, const char *format,
                       const struct pk_export_opts *opts, char ***argv)
{
    *argv = CSLAddString(*argv, "-f");
    *argv = CSLAddString(*argv, format);
    *argv = CSLAddString(*argv, "-nln");
    *argv = CSLAddString(*argv, ref->name);
    int rc = translate_options(store->ctx, ref, format, opts, argv);
    if (rc != PK_OK)
        return rc;
    if (strcasecmp(format, "ESRI Shapefile")) {
        *argv = CSLAddString(*argv, ref->table);
        return PK_OK;
    }
    char *select = shapefile_select(store, ref);
    if (!select)
        return pk_errcode(store->ctx);
    *argv = CSLAddString(*argv, "-lco");
    *argv = CSLAddString(*argv, "ENCODING=UTF-8"); /* also writes the .cpg */
    *argv = CSLAddString(*argv, "-sql");
    *argv = CSLAddString(*argv, select);
    sqlite3_free(select);
    return PK_OK;
}

/* GDALVectorTranslate of src into the new file path with argv, closed and
 * checked. */
static int translate_into(struct pk_ctx *ctx, GDALDatasetH src, const char *path, char **argv,
                          pk_progress_fn progress, void *arg)
{
    GDALVectorTranslateOptions *vto = GDALVectorTranslateOptionsNew(argv, NULL);
    if (!vto)
        return pk_error_gdal(ctx, "layer export");
    if (progress)
        GDALVectorTranslateOptionsSetProgress(vto, progress, arg);
    int usage_error = 0;
    GDALDatasetH dst = GDALVectorTranslate(path, NULL, 1, &src, vto, &usage_error);
    GDALVectorTranslateOptionsFree(vto);
    if (!dst)
        return pk_error_gdal(ctx, "layer export");
    CPLErrorReset();
    GDALClose(dst);
    if (CPLGetLastErrorType() == CE_Failure)
        return pk_error_gdal(ctx, "layer export: cannot finish the file");
    return PK_OK;
}

int pk_layer_export(struct pk_store *store, const char *name, const char *out_path,
                    const struct pk_export_opts *opts, pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = store->ctx;
    struct pk_layer_ref ref;
    const char *format = NULL;
    int rc = pk_layer_find(store, name, &ref);
    if (rc == PK_OK)
        rc = export_format(ctx, out_path, opts, &format);
    if (rc != PK_OK)
        return rc;
    if (access(out_path, F_OK) == 0)
        return pk_error(ctx, PK_ERR_EXISTS, "layer export: '%s' already exists: remove it first", out_path);
    /* written in a new folder beside the output, then moved into place */
    char *dir_copy = strdup(out_path), *base_copy = strdup(out_path);
    if (!dir_copy || !base_copy) {
        free(dir_copy);
        free(base_copy);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    char tmpdir[4096], tmpfile[4096];
    snprintf(tmpdir, sizeof tmpdir, "%s/.plankit-export-XXXXXX", dirname(dir_copy));
    GDALDatasetH src = NULL;
    char **argv = NULL;
    if (!mkdtemp(tmpdir)) {
        rc = pk_error(ctx, PK_ERR_IO, "layer export: cannot write in the folder of '%s': %s", out_path,
                      strerror(errno));
        tmpdir[0] = 0;
    }
    snprintf(tmpfile, sizeof tmpfile, "%s/%s", tmpdir, basename(base_copy));
    if (rc == PK_OK && !(src = open_for_gdal(store)))
        rc = pk_errcode(ctx);
    if (rc == PK_OK)
        rc = export_args(store, &ref, format, opts, &argv);
    if (rc == PK_OK)
        rc = translate_into(ctx, src, tmpfile, argv, progress, arg);
    if (rc == PK_OK) {
        char *dest_dir = strdup(out_path);
        rc = dest_dir ? pk_fs_move_all(ctx, tmpdir, dirname(dest_dir)) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        free(dest_dir);
    }
    if (src)
        GDALClose(src);
    CSLDestroy(argv);
    if (tmpdir[0])
        pk_fs_remove_dir(tmpdir);
    free(dir_copy);
    free(base_copy);
    return rc;
}

int pk_layer_drop(struct pk_store *store, const char *name, int force, long long *links_removed)
{
    struct pk_layer_ref ref;
    long long links = 0, removed = 0;
    int rc = pk_layer_find(store, name, &ref);
    if (rc != PK_OK || (rc = pk_store_begin(store)) != PK_OK)
        return rc;
    char *sql = sqlite3_mprintf("SELECT count(*) FROM pk_task_links WHERE layer_id=%lld", ref.id);
    rc = sql ? pk_sql_int(store, sql, NULL, &links, NULL) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc == PK_OK && links > 0 && !force) {
        sqlite3_stmt *st = NULL;
        char *ids = NULL;
        sql = sqlite3_mprintf("SELECT group_concat(task_id, ', '), (SELECT count(DISTINCT task_id) FROM"
                              " pk_task_links WHERE layer_id=%lld) FROM (SELECT DISTINCT task_id FROM pk_task_links"
                              " WHERE layer_id=%lld ORDER BY task_id LIMIT 10)", ref.id, ref.id);
        if (sql && pk_sql_prepare(store, sql, &st) == PK_OK && sqlite3_step(st) == SQLITE_ROW)
            ids = sqlite3_mprintf("%s%s", sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1) > 10 ? ", ..." : "");
        sqlite3_finalize(st);
        sqlite3_free(sql);
        rc = pk_error(store->ctx, PK_ERR_EXISTS, "layer drop: %lld task link(s) point at layer '%s' (tasks %s): "
                      "give --force to drop it and remove the links (each is kept in its task's history)",
                      links, name, ids ? ids : "?");
        sqlite3_free(ids);
    }
    if (rc == PK_OK && links > 0)
        rc = pk_layer_links_remove(store, &ref, "layer drop", "1", 1, &removed);
    if (rc == PK_OK)
        rc = pk_layer_drop_tables(store, &ref, 0);
    if (rc == PK_OK) {
        char what[64];
        snprintf(what, sizeof what, "%lld task link(s) removed", removed);
        rc = pk_store_history(store, "layer drop", "layer", ref.name, NULL, NULL, removed ? what : NULL);
    }
    if (rc == PK_OK)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    if (rc == PK_OK && links_removed)
        *links_removed = removed;
    return rc;
}

int pk_layer_rename(struct pk_store *store, const char *old_name, const char *new_name)
{
    struct pk_layer_ref ref, other;
    int rc = pk_layer_find(store, old_name, &ref);
    if (rc != PK_OK)
        return rc;
    if (!pk_layer_name_valid(new_name))
        return pk_error(store->ctx, PK_ERR_ARGS, "invalid layer name '%s': %s", new_name,
                        pk_layer_name_problem(new_name));
    if (pk_layer_find(store, new_name, &other) == PK_OK && other.id != ref.id)
        return pk_error(store->ctx, PK_ERR_EXISTS, "layer '%s' already exists", new_name);
    pk_error_clear(store->ctx);
    if ((rc = pk_layer_view_name_free(store, new_name)) != PK_OK)
        return rc;
    if ((rc = pk_store_begin(store)) != PK_OK)
        return rc;
    sqlite3_stmt *st;
    rc = pk_layer_view_drop(store, ref.table);
    if (rc == PK_OK)
        rc = pk_sql_prepare(store, "UPDATE pk_layers SET name=? WHERE id=?", &st);
    if (rc == PK_OK) {
        pk_sql_bind_text(st, 1, new_name);
        sqlite3_bind_int64(st, 2, ref.id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = pk_error_db(store, "cannot rename layer");
        sqlite3_finalize(st);
    }
    if (rc == PK_OK)
        rc = pk_layer_view_create(store, ref.id);
    if (rc == PK_OK)
        rc = pk_store_history(store, "layer rename", "layer", new_name, "name", ref.name, new_name);
    if (rc == PK_OK)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    return rc;
}
