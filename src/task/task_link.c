/* task_link.c — resolving LAYER:FEATURE references, attaching tasks to
 * features (directly, or every feature overlapping another) and to their own
 * footprints, and detaching them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>

#include "crs_int.h"
#include "geom_int.h"
#include "layer_int.h"
#include "spatial_int.h"
#include "task_int.h"

/* Columns a feature can be named by, present in this layer: code, the
 * layer's name field (name, 名称, ... or --name-field), name, name_en.
 * Returns how many (0..4), or -1 on error (recorded in the context). */
static int name_columns(struct pk_store *store, const struct pk_layer_ref *ref, char cols[4][128])
{
    sqlite3_stmt *st;
    int n = 0;
    if (pk_sql_prepare(store, "SELECT name FROM pk_fields WHERE layer_id=?1 AND (lower(name) IN"
                              " ('code','name','name_en') OR name=?2) ORDER BY name<>?2, position", &st) != PK_OK)
        return -1;
    sqlite3_bind_int64(st, 1, ref->id);
    pk_sql_bind_text(st, 2, ref->name_field);
    int step = SQLITE_DONE;
    while (n < 4 && (step = sqlite3_step(st)) == SQLITE_ROW)
        snprintf(cols[n++], 128, "%s", sqlite3_column_text(st, 0));
    int rc = n < 4 ? pk_sql_done(store, step) : PK_OK;
    sqlite3_finalize(st);
    return rc == PK_OK ? n : -1;
}

int pk_feature_resolve(struct pk_store *store, const struct pk_layer_ref *ref, const char *text,
                       long long *fid)
{
    char cols[4][128];
    int ncols = name_columns(store, ref, cols), rc;
    char *end, *sql;
    if (ncols < 0)
        return pk_errcode(store->ctx);
    if (*ref->key) { /* the key value first: what exports and histories write */
        long long found = 0;
        sql = sqlite3_mprintf("SELECT count(*), min(fid) FROM %s WHERE CAST(\"%w\" AS TEXT)=?", ref->table, ref->key);
        sqlite3_stmt *st;
        rc = sql ? pk_sql_prepare(store, sql, &st) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
        sqlite3_free(sql);
        if (rc != PK_OK)
            return rc;
        pk_sql_bind_text(st, 1, text);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW && (found = sqlite3_column_int64(st, 0)) == 1)
            *fid = sqlite3_column_int64(st, 1);
        rc = step == SQLITE_ROW ? PK_OK : pk_error_db(store, "store"); /* count(*) always has a row */
        sqlite3_finalize(st);
        if (rc != PK_OK || found == 1)
            return rc;
    }
    long long n = strtoll(text, &end, 10);
    if (*text && !*end) {
        long long found = 0;
        sql = sqlite3_mprintf("SELECT count(*) FROM %s WHERE fid=%lld", ref->table, n);
        rc = pk_sql_int(store, sql, NULL, &found, NULL);
        sqlite3_free(sql);
        if (rc != PK_OK)
            return rc;
        if (found) {
            *fid = n;
            return PK_OK;
        }
    }
    if (ncols == 0)
        return pk_error(store->ctx, PK_ERR_NOTFOUND, "no feature '%s' in layer '%s' (it has no name or "
                        "code field: use the feature id)", text, ref->name);
    char *where = sqlite3_mprintf("0");
    for (int i = 0; where && i < ncols; i++) {
        char *w = sqlite3_mprintf("%s OR \"%w\"=?1", where, cols[i]);
        sqlite3_free(where);
        where = w;
    }
    /* matches are told apart by their key (unique), else the first name column */
    sql = !where ? NULL : sqlite3_mprintf("SELECT fid, \"%w\" FROM %s WHERE %s ORDER BY fid", *ref->key ? ref->key : cols[0],
                          ref->table, where);
    sqlite3_free(where);
    sqlite3_stmt *st;
    rc = pk_sql_prepare(store, sql, &st);
    sqlite3_free(sql);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, text);
    char list[1024] = "";
    int matches = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (matches++ == 0)
            *fid = sqlite3_column_int64(st, 0);
        size_t used = strlen(list);
        if (used < sizeof list - 1)
            snprintf(list + used, sizeof list - used, "%sfid %lld (%s)", matches > 1 ? ", " : "",
                     sqlite3_column_int64(st, 0),
                     sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
    }
    rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    if (rc != PK_OK)
        return rc;
    if (matches == 0)
        return pk_error(store->ctx, PK_ERR_NOTFOUND, "no feature '%s' in layer '%s' (by id, code or "
                        "name)", text, ref->name);
    if (matches > 1)
        return pk_error(store->ctx, PK_ERR_ARGS, "feature '%s' matches %d features of layer '%s': %s; "
                        "name one by its id or code", text, matches, ref->name, list);
    return PK_OK;
}

int pk_feature_ref(struct pk_store *store, const char *spec, struct pk_layer_ref *ref, long long *fid)
{
    const char *colon = strchr(spec, ':');
    char layer[128];
    if (!colon || colon == spec || !colon[1])
        return pk_error(store->ctx, PK_ERR_ARGS, "'%s' is not LAYER:FEATURE (e.g. towns:周庄镇 or "
                        "key_areas:QYG-CBD)", spec);
    snprintf(layer, sizeof layer, "%.*s", (int)(colon - spec), spec);
    int rc = pk_layer_find(store, layer, ref);
    if (rc == PK_OK)
        rc = pk_feature_resolve(store, ref, colon + 1, fid);
    return rc;
}

static int insert_link(struct pk_store *store, const char *id, const struct pk_layer_ref *ref,
                       long long fid, const char *role, int *added, int log)
{
    sqlite3_stmt *st;
    /* the feature's key value goes with the link: a reload re-matches by it */
    char *sql = *ref->key ? sqlite3_mprintf("INSERT OR IGNORE INTO pk_task_links(task_id, layer_id, fid, role,"
                                            " feature_key) VALUES(?1,?2,?3,?4, (SELECT CAST(\"%w\" AS TEXT)"
                                            " FROM %s WHERE fid=?3))", ref->key, ref->table)
                          : sqlite3_mprintf("INSERT OR IGNORE INTO pk_task_links(task_id, layer_id, fid, role)"
                                            " VALUES(?1,?2,?3,?4)");
    int rc = sql ? pk_sql_prepare(store, sql, &st) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, ref->id);
    sqlite3_bind_int64(st, 3, fid);
    pk_sql_bind_text(st, 4, role ? role : "located-in");
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(store, "cannot link task");
    int changes = sqlite3_changes(store->db);
    sqlite3_finalize(st);
    if (rc == PK_OK && changes) {
        char what[300];
        snprintf(what, sizeof what, "%s:%lld (%s)", ref->name, fid, role ? role : "located-in");
        if (log)
            rc = pk_store_history(store, "task attach", "task", id, "link", NULL, what);
        if (added)
            (*added)++;
    }
    return rc;
}

int pk_task_link_add(struct pk_store *store, const char *id, const char *layer, const char *feature,
                     const char *role, int *added, int log)
{
    struct pk_layer_ref ref;
    long long fid;
    int rc = pk_layer_find(store, layer, &ref);
    if (rc == PK_OK)
        rc = pk_feature_resolve(store, &ref, feature, &fid);
    if (rc == PK_OK)
        rc = insert_link(store, id, &ref, fid, role, added, log);
    return rc;
}

/* Every feature of where_layer overlapping the target feature (area > 0 for
 * two polygons, any intersection otherwise). */
static int attach_intersecting(struct pk_store *store, const char *id, const struct pk_attach_opts *o,
                               long long *count)
{
    struct pk_layer_ref where, target;
    long long tfid;
    int rc = pk_layer_find(store, o->where_layer, &where);
    if (rc == PK_OK)
        rc = pk_feature_ref(store, o->intersecting, &target, &tfid);
    if (rc != PK_OK)
        return rc;
    struct pk_spatial *sp = NULL;
    if ((rc = pk_spatial_new(store, &sp)) != PK_OK)
        return rc;
    GEOSGeometry *tg = NULL;
    long long *fids = NULL;
    size_t nf = 0;
    rc = pk_spatial_feature(sp, &target, tfid, &tg);
    if (rc == PK_OK && !tg)
        rc = pk_error(store->ctx, PK_ERR_DATA, "feature %s has no geometry", o->intersecting);
    if (rc == PK_OK)
        rc = pk_spatial_overlapping(sp, &where, tg, &fids, &nf);
    for (size_t i = 0; rc == PK_OK && i < nf; i++) {
        int added = 0;
        rc = insert_link(store, id, &where, fids[i], o->role, &added, 1);
        *count += added;
    }
    free(fids);
    if (tg)
        GEOSGeom_destroy_r(pk_geos(store->ctx), tg);
    pk_spatial_free(sp);
    return rc;
}

/* Read footprint geometries from a file, WKT or GeoJSON into OGR geometries
 * with their CRS. *geoms: caller destroys each and frees the array. */
static int read_geometries(struct pk_store *store, const struct pk_attach_opts *o, OGRGeometryH **geoms,
                           size_t *n, OGRSpatialReferenceH *srs)
{
    struct pk_ctx *ctx = store->ctx;
    const char *g = o->geom;
    int rc = PK_OK;
    *geoms = NULL;
    *n = 0;
    *srs = NULL;
    if (o->s_srs && (rc = pk_crs_from_user(ctx, o->s_srs, srs)) != PK_OK)
        return rc;
    while (*g == ' ' || *g == '\t' || *g == '\n')
        g++;
    if (access(o->geom, F_OK) == 0) {
        GDALDatasetH ds = GDALOpenEx(o->geom, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        if (!ds)
            return pk_error_gdal(ctx, "task attach --geom");
        OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
        if (!*srs && lyr && OGR_L_GetSpatialRef(lyr)) {
            *srs = OSRClone(OGR_L_GetSpatialRef(lyr));
            OSRSetAxisMappingStrategy(*srs, OAMS_TRADITIONAL_GIS_ORDER);
        }
        OGRFeatureH f;
        size_t cap = 0;
        while (lyr && (f = OGR_L_GetNextFeature(lyr)) != NULL) {
            OGRGeometryH geom = OGR_F_StealGeometry(f);
            OGR_F_Destroy(f);
            if (!geom)
                continue;
            if (*n == cap) {
                size_t grown_cap = cap ? cap * 2 : 16;
                OGRGeometryH *grown = realloc(*geoms, grown_cap * sizeof **geoms);
                if (!grown) {
                    OGR_G_DestroyGeometry(geom);
                    rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
                    break;
                }
                *geoms = grown;
                cap = grown_cap;
            }
            (*geoms)[(*n)++] = geom;
        }
        GDALClose(ds);
        if (rc == PK_OK && *n == 0)
            rc = pk_error(ctx, PK_ERR_DATA, "task attach --geom '%s': no geometry in the file", o->geom);
        return rc;
    }
    OGRGeometryH geom = NULL;
    if (*g == '{') {
        geom = OGR_G_CreateGeometryFromJson(g);
        if (!geom)
            return pk_error(ctx, PK_ERR_DATA, "task attach --geom: invalid GeoJSON geometry");
        if (!*srs)
            rc = pk_crs_from_epsg(ctx, 4326, srs);
    } else {
        char *wkt = (char *)g;
        if (OGR_G_CreateFromWkt(&wkt, NULL, &geom) != OGRERR_NONE || !geom)
            return pk_error(ctx, PK_ERR_DATA, "task attach --geom: '%.80s' is neither a file, WKT nor "
                            "a GeoJSON geometry", o->geom);
        if (!*srs)
            rc = pk_crs_from_epsg(ctx, pk_store_srid(store), srs);
    }
    if (!(*geoms = malloc(sizeof **geoms))) {
        OGR_G_DestroyGeometry(geom);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    (*geoms)[0] = geom;
    *n = 1;
    return rc;
}

int pk_footprints_init(struct pk_footprints *fp, struct pk_store *store)
{
    memset(fp, 0, sizeof *fp);
    fp->store = store;
    struct pk_worker_conf conf;
    pk_worker_conf_init(&conf, store);
    int rc = pk_worker_init(&fp->worker, store->ctx, &conf);
    if (rc == PK_OK)
        rc = pk_crs_from_epsg(store->ctx, pk_store_srid(store), &fp->store_srs);
    if (rc == PK_OK)
        rc = pk_crs_area_of_use(store->ctx, pk_store_srid(store), &fp->area);
    return rc;
}

void pk_footprints_release(struct pk_footprints *fp)
{
    pk_worker_release(&fp->worker);
    OSRDestroySpatialReference(fp->store_srs);
    fp->store_srs = NULL;
}

/* g (in srs) reprojected to the store CRS in place, through the worker's
 * kept transform from srs. */
static int footprint_to_store(struct pk_footprints *fp, OGRSpatialReferenceH srs, GEOSGeometry **g)
{
    struct pk_ctx *ctx = fp->store->ctx;
    char *wkt = NULL;
    const char *wkt_opts[] = {"FORMAT=WKT2_2019", NULL};
    if (OSRExportToWktEx(srs, &wkt, wkt_opts) != OGRERR_NONE || !wkt) {
        CPLFree(wkt);
        return pk_error(ctx, PK_ERR_DATA, "the footprint's CRS cannot be written as WKT");
    }
    int rc;
    struct pk_transform *tr = pk_worker_transform_from(&fp->worker, wkt, &rc);
    CPLFree(wkt);
    if (rc != PK_OK)
        return rc;
    GEOSGeometry *t = pk_transform_geom(ctx, tr, *g);
    GEOSGeom_destroy_r(pk_geos(ctx), *g);
    *g = t;
    if (!t)
        return pk_error(ctx, PK_ERR_DATA, "the footprint cannot be reprojected to EPSG:%d: it lies outside the "
                        "CRS's bounds", pk_store_srid(fp->store));
    return PK_OK;
}

/* OGR geometry in srs -> valid GEOS geometry in the store CRS, inside the
 * store CRS's area of use. */
static int footprint_geometry(struct pk_footprints *fp, OGRGeometryH og, OGRSpatialReferenceH srs,
                              GEOSGeometry **out)
{
    struct pk_store *store = fp->store;
    struct pk_ctx *ctx = store->ctx;
    GEOSContextHandle_t h = pk_geos(ctx);
    GEOSGeometry *g = NULL;
    int dropped = 0, rc;
    OGR_G_FlattenTo2D(og);
    *out = NULL;
    if ((rc = pk_geom_from_ogr(ctx, og, &g, &dropped)) != PK_OK)
        return rc;
    if (!g)
        return pk_error(ctx, PK_ERR_DATA, "the footprint geometry is empty");
    if (!OSRIsSame(srs, fp->store_srs))
        rc = footprint_to_store(fp, srs, &g);
    struct pk_transform *to_deg = NULL;
    if (rc == PK_OK && !fp->area.geographic)
        to_deg = pk_worker_transform(&fp->worker, 4326, &rc);
    if (rc == PK_OK)
        rc = pk_crs_check_area(ctx, &fp->area, to_deg, g);
    enum pk_geom_fix fix;
    char detail[512];
    if (rc == PK_OK)
        rc = pk_geom_make_valid(ctx, &g, PK_REPAIR_LINEWORK, &fix, detail, sizeof detail);
    if (rc == PK_OK && !g)
        rc = pk_error(ctx, PK_ERR_DATA, "the footprint collapses to nothing when repaired (%s)", detail);
    if (rc == PK_OK && fix == PK_GEOM_REPAIRED)
        pk_log(ctx, PK_LOG_WARN, "footprint repaired: %s", detail);
    if (rc != PK_OK) {
        if (g)
            GEOSGeom_destroy_r(h, g);
        return rc;
    }
    *out = g;
    return PK_OK;
}

int pk_task_footprint_add(struct pk_footprints *fp, const char *id, OGRGeometryH geom,
                          OGRSpatialReferenceH srs, const char *label, const char *role, int log)
{
    struct pk_store *store = fp->store;
    struct pk_ctx *ctx = store->ctx;
    GEOSGeometry *g = NULL;
    sqlite3_stmt *st = NULL;
    int rc = footprint_geometry(fp, geom, srs, &g);
    if (rc != PK_OK)
        return rc;
    rc = pk_sql_prepare(store, "INSERT INTO pk_task_footprints(task_id, label, role, geom) VALUES(?, ?, ?, ?)", &st);
    if (rc == PK_OK) {
        pk_sql_bind_text(st, 1, id);
        pk_sql_bind_text(st, 2, label);
        pk_sql_bind_text(st, 3, role ? role : "site");
        rc = pk_geom_bind_blob(ctx, st, 4, g, pk_store_srid(store), NULL);
        if (rc == PK_OK && sqlite3_step(st) != SQLITE_DONE)
            rc = pk_error_db(store, "cannot store footprint");
    }
    sqlite3_finalize(st);
    GEOSGeom_destroy_r(pk_geos(ctx), g);
    if (rc == PK_OK && log) {
        char what[64];
        snprintf(what, sizeof what, "footprint #%lld", (long long)sqlite3_last_insert_rowid(store->db));
        rc = pk_store_history(store, "task attach", "task", id, "footprint", NULL, what);
    }
    return rc;
}

static int attach_footprints(struct pk_store *store, const char *id, const struct pk_attach_opts *o,
                             long long *count)
{
    OGRGeometryH *geoms;
    OGRSpatialReferenceH srs;
    size_t n;
    int rc = read_geometries(store, o, &geoms, &n, &srs);
    struct pk_footprints fp;
    int made = rc == PK_OK;
    if (made)
        rc = pk_footprints_init(&fp, store);
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        rc = pk_task_footprint_add(&fp, id, geoms[i], srs, o->label, o->role, 1);
        if (rc != PK_OK)
            pk_error_prefix(store->ctx, "task attach '%s' --geom%s", id, n > 1 ? " (a feature of the file)" : "");
        else
            (*count)++;
    }
    if (made)
        pk_footprints_release(&fp);
    for (size_t i = 0; i < n; i++)
        OGR_G_DestroyGeometry(geoms[i]);
    free(geoms);
    OSRDestroySpatialReference(srs);
    return rc;
}

int pk_task_attach(struct pk_store *store, const char *id, const struct pk_attach_opts *o, long long *count)
{
    int modes = !!o->to + !!o->geom + !!(o->where_layer || o->intersecting);
    *count = 0;
    if (modes != 1)
        return pk_error(store->ctx, PK_ERR_ARGS, "task attach: give exactly one of --to LAYER:FEATURE, "
                        "--geom GEOMETRY, or --where LAYER --intersecting LAYER:FEATURE");
    if ((o->where_layer != NULL) != (o->intersecting != NULL))
        return pk_error(store->ctx, PK_ERR_ARGS, "task attach: --where and --intersecting go together");
    int rc = pk_task_require(store, id);
    if (rc != PK_OK || (rc = pk_store_begin(store)) != PK_OK)
        return rc;
    if (o->to) {
        struct pk_layer_ref ref;
        long long fid;
        int added = 0;
        rc = pk_feature_ref(store, o->to, &ref, &fid);
        if (rc == PK_OK)
            rc = insert_link(store, id, &ref, fid, o->role, &added, 1);
        *count = added;
    } else if (o->geom) {
        rc = attach_footprints(store, id, o, count);
    } else {
        rc = attach_intersecting(store, id, o, count);
    }
    if (rc == PK_OK)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    return rc;
}

int pk_task_detach(struct pk_store *store, const char *id, const char *from, long long footprint_id,
                   int all, long long *count)
{
    int rc = pk_task_require(store, id);
    *count = 0;
    if (rc != PK_OK)
        return rc;
    if (!!from + (footprint_id > 0) + !!all != 1)
        return pk_error(store->ctx, PK_ERR_ARGS, "task detach: give exactly one of --from LAYER:FEATURE, "
                        "--footprint N or --all");
    struct pk_layer_ref ref;
    long long fid = 0;
    if (from && (rc = pk_feature_ref(store, from, &ref, &fid)) != PK_OK)
        return rc;
    if ((rc = pk_store_begin(store)) != PK_OK)
        return rc;
    char *sql;
    if (from)
        sql = sqlite3_mprintf("DELETE FROM pk_task_links WHERE task_id=? AND layer_id=%lld AND fid=%lld",
                              ref.id, fid);
    else if (footprint_id > 0)
        sql = sqlite3_mprintf("DELETE FROM pk_task_footprints WHERE task_id=? AND id=%lld", footprint_id);
    else
        sql = sqlite3_mprintf("DELETE FROM pk_task_links WHERE task_id=?1;"
                              "DELETE FROM pk_task_footprints WHERE task_id=?1");
    const char *tail = sql;
    while (rc == PK_OK && tail && *tail) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(store->db, tail, -1, &st, &tail) != SQLITE_OK) {
            rc = pk_error_db(store, "task detach");
            break;
        }
        if (!st)
            break;
        pk_sql_bind_text(st, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = pk_error_db(store, "task detach");
        *count += sqlite3_changes(store->db);
        sqlite3_finalize(st);
    }
    sqlite3_free(sql);
    if (rc == PK_OK && *count == 0)
        rc = pk_error(store->ctx, PK_ERR_NOTFOUND, "task '%s' has no such link or footprint", id);
    if (rc == PK_OK) {
        char what[300];
        if (from)
            snprintf(what, sizeof what, "%s:%lld", ref.name, fid);
        else if (footprint_id > 0)
            snprintf(what, sizeof what, "footprint #%lld", footprint_id);
        else
            snprintf(what, sizeof what, "all links and footprints");
        rc = pk_store_history(store, "task detach", "task", id, "link", what, NULL);
    }
    if (rc == PK_OK)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    return rc;
}
