/* query.c — task queries: the tasks in, at, within a box or near a place,
 * and the district and zone features a task concerns.
 *
 * Both read the covering geometries of the tasks once (cover_set.c), cut in
 * the store CRS and measure with the one measuring routine (pk_worker_area
 * through pk_spatial_area), so their areas are those of coverage and
 * overlay. A GEOS exception or a failed allocation is an error, never "no
 * overlap". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover_int.h"
#include "crs_int.h"
#include "geom_int.h"
#include "spatial_int.h"
#include "task_int.h"
#include "worker_int.h"
#include "plankit/query.h"

/* Per task found: how it was found and (for IN) the pieces it covers. */
struct hit {
    char via[512];
    GEOSGeometry *pieces;   /* union so far, store CRS (IN only) */
    int full;               /* linked to the probe feature itself */
    GEOSGeometry *shape;    /* union of the task's sources (for GeoJSON) */
};

/* Append what to a "; "-separated list once; a list that is full keeps what
 * it has (it is for reading, not for parsing). */
static void add_via(char *via, size_t size, const char *what)
{
    if (strstr(via, what) || strlen(via) + strlen(what) + 3 >= size)
        return;
    if (*via)
        strcat(via, "; ");
    strcat(via, what);
}

/* *acc = *acc ∪ g (a copy of g when *acc is NULL). PK_ERR_GEOS on failure,
 * *acc unchanged. */
static int union_into(struct pk_ctx *ctx, GEOSGeometry **acc, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    GEOSGeometry *u = *acc ? GEOSUnion_r(h, *acc, g) : GEOSGeom_clone_r(h, g);
    if (!u)
        return pk_error_geos(ctx, "union");
    if (*acc)
        GEOSGeom_destroy_r(h, *acc);
    *acc = u;
    return PK_OK;
}

/* GeoJSON text of a store-CRS geometry in WGS84 longitude/latitude, as RFC
 * 7946 wants (the store CRS may be projected), with the worker's transform.
 * Caller frees with free(); NULL with the error in the context. */
static char *geojson_wgs84(struct pk_spatial *sp, const GEOSGeometry *g)
{
    struct pk_worker *w = pk_spatial_worker(sp);
    int rc;
    struct pk_transform *tr = pk_worker_transform(w, 4326, &rc);
    if (rc != PK_OK)
        return NULL;
    GEOSGeometry *ll = tr ? pk_transform_geom(w->ctx, tr, g) : NULL;
    if (tr && !ll)
        return NULL;
    char *out = pk_geom_to_geojson(w->ctx, ll ? ll : g);
    if (ll)
        GEOSGeom_destroy_r(pk_geos(w->ctx), ll);
    if (!out)
        pk_error(w->ctx, PK_ERR_NOMEM, "out of memory");
    return out;
}

/* Area (m²) of the polygonal part of g: 0 for lines and points, such as the
 * intersection of two polygons that only share a border, or a line crossing
 * a zone (pk_spatial_area would give their length). -1 on error. */
static double overlap_area(struct pk_spatial *sp, struct pk_ctx *ctx, const GEOSGeometry *g)
{
    if (!pk_geom_is_polygonal(ctx, g) && GEOSGeomTypeId_r(pk_geos(ctx), g) != GEOS_GEOMETRYCOLLECTION)
        return 0;
    return pk_spatial_area(sp, g);
}

/* The polygonal piece a ∩ b when it covers at least PK_MIN_OVERLAP_M2
 * (else *piece NULL); PK_OK or an error. */
static int overlap_piece(struct pk_spatial *sp, struct pk_ctx *ctx, const GEOSGeometry *a, const GEOSGeometry *b,
                         GEOSGeometry **piece)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    *piece = GEOSIntersection_r(h, a, b);
    if (!*piece)
        return pk_error_geos(ctx, "intersection");
    double area = overlap_area(sp, ctx, *piece);
    if (area < 0) {
        GEOSGeom_destroy_r(h, *piece);
        *piece = NULL;
        return pk_errcode(ctx);
    }
    if (area < PK_MIN_OVERLAP_M2) {
        GEOSGeom_destroy_r(h, *piece);
        *piece = NULL;
    }
    return PK_OK;
}

/* The probe of AT and BBOX, given in WGS84 degrees, in the store CRS. */
static int probe_from_degrees(struct pk_store *store, struct pk_spatial *sp, const struct pk_task_query *q,
                              GEOSGeometry **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    GEOSContextHandle_t h = pk_geos(ctx);
    const double *b = q->bbox;
    if (q->probe == PK_PROBE_AT && !(fabs(q->x) <= 180 && fabs(q->y) <= 90))
        return pk_error(ctx, PK_ERR_ARGS, "query tasks --at %g,%g: not a longitude,latitude", q->x, q->y);
    if (q->probe == PK_PROBE_BBOX && !(b[0] < b[2] && b[1] < b[3] && fabs(b[0]) <= 180 && fabs(b[2]) <= 180 &&
                                       fabs(b[1]) <= 90 && fabs(b[3]) <= 90))
        return pk_error(ctx, PK_ERR_ARGS, "query tasks --bbox: expected WEST,SOUTH,EAST,NORTH in degrees");
    GEOSGeometry *ll = q->probe == PK_PROBE_AT ? GEOSGeom_createPointFromXY_r(h, q->x, q->y)
                                               : GEOSGeom_createRectangle_r(h, b[0], b[1], b[2], b[3]);
    if (!ll)
        return pk_error_geos(ctx, "cannot make the probe");
    if (pk_store_srid(store) == 4326) {
        *out = ll;
        return PK_OK;
    }
    struct pk_transform *tr = NULL;
    int rc = pk_transform_new(ctx, 4326, pk_store_srid(store), &tr);
    if (rc == PK_OK && !(*out = pk_transform_geom(ctx, tr, ll)))
        rc = pk_errcode(ctx);
    pk_transform_free(tr);
    GEOSGeom_destroy_r(h, ll);
    (void)sp;
    return rc;
}

/* The probe geometry in the store CRS (and, for IN and NEAR, the feature). */
static int make_probe(struct pk_store *store, const struct pk_task_query *q, struct pk_spatial *sp,
                      struct pk_layer_ref *ref, long long *fid, GEOSGeometry **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    *out = NULL;
    if (q->probe != PK_PROBE_IN && q->probe != PK_PROBE_NEAR)
        return probe_from_degrees(store, sp, q, out);
    if (!q->feature)
        return pk_error(ctx, PK_ERR_ARGS, "query tasks: no LAYER:FEATURE given");
    int rc = pk_feature_ref(store, q->feature, ref, fid);
    if (rc == PK_OK && (rc = pk_spatial_feature(sp, ref, *fid, out)) == PK_OK && !*out)
        rc = pk_error(ctx, PK_ERR_DATA, "feature '%s' has no geometry", q->feature);
    return rc;
}

/* The box to look for candidates in: the probe's envelope, widened by the
 * distance for NEAR (in degrees for a geographic store). */
static GEOSGeometry *search_area(struct pk_store *store, const struct pk_task_query *q, const GEOSGeometry *probe)
{
    GEOSContextHandle_t h = pk_geos(pk_store_ctx(store));
    double x0, y0, x1, y1, d = q->distance_m;
    if (q->probe != PK_PROBE_NEAR)
        return GEOSGeom_clone_r(h, probe);
    GEOSGeom_getExtent_r(h, probe, &x0, &y0, &x1, &y1);
    if (pk_store_srid(store) == 4326 || pk_store_srid(store) == 4490) {
        double lat = fmax(fabs(y0), fabs(y1));
        double dy = d / 110000.0, dx = d / (110000.0 * fmax(cos(lat * M_PI / 180.0), 0.01));
        return GEOSGeom_createRectangle_r(h, x0 - dx, y0 - dy, x1 + dx, y1 + dy);
    }
    return GEOSGeom_createRectangle_r(h, x0 - 2 * d, y0 - 2 * d, x1 + 2 * d, y1 + 2 * d);
}

/* State of one task query. */
struct tq {
    struct pk_store *store;
    struct pk_ctx *ctx;
    const struct pk_task_query *q;
    struct pk_spatial *sp;
    struct pk_cover_set *cs;
    struct pk_layer_ref ref;
    long long fid;
    GEOSGeometry *probe, *probe_m;
    const GEOSPreparedGeometry *pp;
    struct hit *hits;
};

/* Does source s match the probe? *piece: for IN, the polygonal part of the
 * probe it covers (caller frees). */
static int match_source(struct tq *T, const struct pk_cover_src *s, int self, int *match, GEOSGeometry **piece)
{
    GEOSContextHandle_t h = pk_geos(T->ctx);
    *match = self;
    *piece = NULL;
    if (self)
        return PK_OK;
    if (T->q->probe == PK_PROBE_NEAR) {
        GEOSGeometry *sm = pk_spatial_to_metric(T->sp, s->g);
        double dist = INFINITY;
        if (!sm || !GEOSDistance_r(h, T->probe_m, sm, &dist)) {
            if (sm)
                GEOSGeom_destroy_r(h, sm);
            return pk_errcode(T->ctx) != PK_OK ? pk_errcode(T->ctx) : pk_error_geos(T->ctx, "distance");
        }
        GEOSGeom_destroy_r(h, sm);
        *match = dist <= T->q->distance_m;
        return PK_OK;
    }
    char meets = GEOSPreparedIntersects_r(h, T->pp, s->g);
    if (meets == 2)
        return pk_error_geos(T->ctx, "intersects");
    *match = meets;
    if (!meets || T->q->probe != PK_PROBE_IN || !s->polygonal || !pk_geom_is_polygonal(T->ctx, T->probe))
        return PK_OK;
    int rc = overlap_piece(T->sp, T->ctx, T->probe, s->g, piece);
    *match = rc == PK_OK && *piece;
    return rc;
}

/* Walk the candidate sources and record, per task, how it was found. */
static int collect_hits(struct tq *T)
{
    GEOSContextHandle_t h = pk_geos(T->ctx);
    struct pk_cover_src **cand = NULL;
    size_t nc = 0;
    GEOSGeometry *search = search_area(T->store, T->q, T->probe);
    int rc = search ? pk_cover_candidates(h, T->cs, search, &cand, &nc) : pk_error_geos(T->ctx, "search box");
    if (search)
        GEOSGeom_destroy_r(h, search);
    if (rc == PK_ERR_NOMEM)
        rc = pk_error(T->ctx, rc, "out of memory");
    for (size_t c = 0; rc == PK_OK && c < nc; c++) {
        const struct pk_cover_src *s = cand[c];
        int self = T->q->probe == PK_PROBE_IN && s->layer_id == T->ref.id && s->fid == T->fid, match = 0;
        GEOSGeometry *piece = NULL;
        rc = match_source(T, s, self, &match, &piece);
        for (int k = 0; rc == PK_OK && match && k < s->ntasks; k++) {
            struct hit *ht = &T->hits[s->tasks[k]];
            add_via(ht->via, sizeof ht->via, s->what);
            ht->full |= self && s->covers_area;
            if (piece && s->covers_area)
                rc = union_into(T->ctx, &ht->pieces, piece);
            if (rc == PK_OK && T->q->with_geometry)
                rc = union_into(T->ctx, &ht->shape, s->g);
        }
        if (piece)
            GEOSGeom_destroy_r(h, piece);
    }
    free(cand);
    return rc;
}

/* One row: the task's fields, how it was found, its share of the probe. */
static int task_row(struct tq *T, struct pk_table *t, sqlite3_stmt *st, size_t i, double farea)
{
    struct hit *ht = &T->hits[i];
    long r = pk_table_add_row(t);
    if (r < 0)
        return pk_error(T->ctx, PK_ERR_NOMEM, "out of memory");
    int bad = pk_table_set(t, (size_t)r, 0, T->cs->task_ids[i]) || pk_table_set(t, (size_t)r, 4, ht->via);
    sqlite3_reset(st);
    pk_sql_bind_text(st, 1, T->cs->task_ids[i]);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW)
        return pk_error_db(T->store, "cannot read the task");
    for (int c = 0; c < 3; c++)
        bad |= pk_table_set(t, (size_t)r, c + 1, (const char *)sqlite3_column_text(st, c));
    if (T->q->probe == PK_PROBE_IN && farea > 0) {
        double a = ht->full ? farea : ht->pieces ? overlap_area(T->sp, T->ctx, ht->pieces) : 0;
        if (a < 0)
            return pk_errcode(T->ctx);
        bad |= pk_table_set_real(t, (size_t)r, 5, fmin(a, farea) / farea);
    }
    if (T->q->with_geometry && ht->shape) {
        char *gj = geojson_wgs84(T->sp, ht->shape);
        if (!gj)
            return pk_errcode(T->ctx);
        bad |= pk_table_set(t, (size_t)r, t->ncols - 1, gj);
        free(gj);
    }
    return bad ? pk_error(T->ctx, PK_ERR_NOMEM, "out of memory") : PK_OK;
}

/* The result table: one row per task found, in id order. */
static int tasks_table(struct tq *T, struct pk_table **out)
{
    const char *names[] = {"id", "title", "pillar", "status", "via", "share", "geometry"};
    enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT,
                                PK_COL_REAL, PK_COL_GEOJSON};
    int ncols = 5 + (T->q->probe == PK_PROBE_IN);
    if (T->q->with_geometry) {
        names[ncols] = "geometry";
        types[ncols] = PK_COL_GEOJSON;
        ncols++;
    }
    struct pk_table *t = pk_table_new(ncols, names, types);
    double farea = T->q->probe == PK_PROBE_IN ? overlap_area(T->sp, T->ctx, T->probe) : 0;
    sqlite3_stmt *st = NULL;
    int rc = !t ? pk_error(T->ctx, PK_ERR_NOMEM, "out of memory") : farea < 0 ? pk_errcode(T->ctx)
           : pk_sql_prepare(T->store, "SELECT title, coalesce(classification,''), status FROM pk_tasks WHERE id=?", &st);
    for (size_t i = 0; rc == PK_OK && i < T->cs->ntasks; i++)
        if (*T->hits[i].via)
            rc = task_row(T, t, st, i, farea);
    sqlite3_finalize(st);
    if (rc != PK_OK)
        pk_table_free(t);
    else
        *out = t;
    return rc;
}

int pk_query_tasks(struct pk_store *store, const struct pk_task_query *q, struct pk_table **out)
{
    struct tq T = {.store = store, .ctx = pk_store_ctx(store), .q = q};
    GEOSContextHandle_t h = pk_geos(T.ctx);
    struct pk_cover_filter filter = {q->classification, q->status, q->year, q->include_citywide};
    *out = NULL;
    int rc = pk_spatial_new(store, &T.sp);
    if (rc == PK_OK)
        rc = make_probe(store, q, T.sp, &T.ref, &T.fid, &T.probe);
    if (rc == PK_OK)
        rc = pk_cover_set_load(store, &filter, &T.cs);
    if (rc == PK_OK && !(T.hits = calloc(T.cs->ntasks ? T.cs->ntasks : 1, sizeof *T.hits)))
        rc = pk_error(T.ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK && q->probe == PK_PROBE_NEAR && !(T.probe_m = pk_spatial_to_metric(T.sp, T.probe)))
        rc = pk_errcode(T.ctx);
    if (rc == PK_OK && !(T.pp = GEOSPrepare_r(h, T.probe)))
        rc = pk_error_geos(T.ctx, "cannot prepare the probe");
    if (rc == PK_OK)
        rc = collect_hits(&T);
    if (rc == PK_OK)
        rc = tasks_table(&T, out);
    for (size_t i = 0; T.hits && i < T.cs->ntasks; i++) {
        if (T.hits[i].pieces)
            GEOSGeom_destroy_r(h, T.hits[i].pieces);
        if (T.hits[i].shape)
            GEOSGeom_destroy_r(h, T.hits[i].shape);
    }
    free(T.hits);
    if (T.pp)
        GEOSPreparedGeom_destroy_r(h, T.pp);
    if (T.probe)
        GEOSGeom_destroy_r(h, T.probe);
    if (T.probe_m)
        GEOSGeom_destroy_r(h, T.probe_m);
    pk_cover_set_free(T.cs);
    pk_spatial_free(T.sp);
    return rc;
}

/* One zone a task concerns: union of the task's pieces in it. */
struct zone_hit {
    struct pk_layer_ref layer;
    long long fid;
    GEOSGeometry *pieces;
    int full;
    char via[512];
};

/* State of one zones query. */
struct zq {
    struct pk_store *store;
    struct pk_ctx *ctx;
    struct pk_spatial *sp;
    struct zone_hit *zh;
    size_t nz, capz;
};

/* The entry of feature fid of layer ref, added when new; NULL when out of
 * memory. */
static struct zone_hit *zone_entry(struct zq *Z, const struct pk_layer_ref *ref, long long fid)
{
    for (size_t z = 0; z < Z->nz; z++)
        if (Z->zh[z].layer.id == ref->id && Z->zh[z].fid == fid)
            return &Z->zh[z];
    if (Z->nz == Z->capz) {
        size_t cap = Z->capz ? Z->capz * 2 : 16;
        struct zone_hit *grown = realloc(Z->zh, cap * sizeof *grown);
        if (!grown)
            return NULL;
        Z->zh = grown;
        Z->capz = cap;
    }
    struct zone_hit *e = &Z->zh[Z->nz++];
    memset(e, 0, sizeof *e);
    e->layer = *ref;
    e->fid = fid;
    return e;
}

/* Record what source s (of the task) covers of the features of layer ref. */
static int zones_of_source(struct zq *Z, const struct pk_layer_ref *ref, const struct pk_cover_src *s)
{
    GEOSContextHandle_t h = pk_geos(Z->ctx);
    double box[4];
    long long *fids = NULL;
    size_t nf = 0;
    GEOSGeom_getExtent_r(h, s->g, &box[0], &box[1], &box[2], &box[3]);
    int rc = pk_spatial_bbox(Z->sp, ref, box, &fids, &nf);
    for (size_t j = 0; rc == PK_OK && j < nf; j++) {
        int self = s->layer_id == ref->id && s->fid == fids[j];
        GEOSGeometry *zg = NULL, *piece = NULL;
        if ((rc = pk_spatial_feature(Z->sp, ref, fids[j], &zg)) != PK_OK || !zg)
            continue;
        char meets = self ? 0 : GEOSIntersects_r(h, zg, s->g);
        if (meets == 2)
            rc = pk_error_geos(Z->ctx, "intersects");
        else if (meets)
            rc = s->polygonal ? overlap_piece(Z->sp, Z->ctx, zg, s->g, &piece)
                              : (piece = GEOSIntersection_r(h, zg, s->g)) ? PK_OK : pk_error_geos(Z->ctx, "intersection");
        GEOSGeom_destroy_r(h, zg);
        struct zone_hit *e = rc == PK_OK && (self || piece) ? zone_entry(Z, ref, fids[j]) : NULL;
        if (rc == PK_OK && (self || piece) && !e)
            rc = pk_error(Z->ctx, PK_ERR_NOMEM, "out of memory");
        if (e) {
            e->full |= self && s->covers_area;
            add_via(e->via, sizeof e->via, self && s->covers_area ? "linked" : s->what);
            if (piece && s->covers_area)
                rc = union_into(Z->ctx, &e->pieces, piece);
        }
        if (piece)
            GEOSGeom_destroy_r(h, piece);
    }
    free(fids);
    return rc;
}

/* Walk the district and zone layers for the sources of task t. */
static int collect_zones(struct zq *Z, const struct pk_cover_set *cs, int t)
{
    sqlite3_stmt *ls;
    int rc = pk_sql_prepare(Z->store, "SELECT name FROM pk_layers WHERE kind IN ('district','zone') ORDER BY id", &ls);
    int step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(ls)) == SQLITE_ROW) {
        struct pk_layer_ref ref;
        if ((rc = pk_layer_find(Z->store, (const char *)sqlite3_column_text(ls, 0), &ref)) != PK_OK)
            break;
        for (size_t i = 0; rc == PK_OK && i < cs->nsrc; i++) {
            const struct pk_cover_src *s = &cs->src[i];
            int mine = 0;
            for (int k = 0; k < s->ntasks; k++)
                mine |= s->tasks[k] == t;
            if (mine)
                rc = zones_of_source(Z, &ref, s);
        }
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(Z->store, "cannot read the layers");
    sqlite3_finalize(ls);
    return rc;
}

/* The accuracy field of feature fid of layer ref in *out (NULL when the
 * layer has none); caller frees with free(). */
static int feature_accuracy(struct pk_store *store, const struct pk_layer_ref *ref, long long fid, char **out)
{
    long long has = 0;
    char id[32];
    *out = NULL;
    snprintf(id, sizeof id, "%lld", ref->id);
    int rc = pk_sql_int(store, "SELECT count(*) FROM pk_fields WHERE layer_id = CAST(?1 AS INTEGER)"
                               " AND name = 'accuracy'", id, &has, NULL);
    if (rc != PK_OK || !has)
        return rc;
    char *sql = sqlite3_mprintf("SELECT accuracy FROM %s WHERE fid = %lld", ref->table, fid); /* lyr_N: ours */
    sqlite3_stmt *st = NULL;
    rc = sql ? pk_sql_prepare(store, sql, &st) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    int step = rc == PK_OK ? sqlite3_step(st) : SQLITE_DONE;
    const unsigned char *text = step == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    if (rc == PK_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = pk_error_db(store, "cannot read a feature's accuracy");
    else if (text && !(*out = strdup((const char *)text)))
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_finalize(st);
    return rc;
}

/* One row per zone: layer, fid, name, overlap km² and share, via; in
 * GeoJSON also the zone's accuracy and geometry. */
static int zone_row(struct zq *Z, struct pk_table *tb, const struct zone_hit *e, int with_geometry)
{
    GEOSGeometry *zg = NULL;
    int rc = pk_spatial_feature(Z->sp, &e->layer, e->fid, &zg);
    double za = rc == PK_OK && zg ? overlap_area(Z->sp, Z->ctx, zg) : 0;
    double a = e->full ? za : e->pieces ? overlap_area(Z->sp, Z->ctx, e->pieces) : 0;
    char *label = NULL;
    if (rc == PK_OK)
        rc = pk_layer_feature_label(Z->store, &e->layer, e->fid, &label);
    char *gj = rc == PK_OK && with_geometry && zg ? geojson_wgs84(Z->sp, zg) : NULL, *acc = NULL;
    if (rc == PK_OK && with_geometry)
        rc = feature_accuracy(Z->store, &e->layer, e->fid, &acc);
    long r = rc == PK_OK ? pk_table_add_row(tb) : -1;
    if (rc == PK_OK && (za < 0 || a < 0 || (with_geometry && zg && !gj)))
        rc = pk_errcode(Z->ctx);
    else if (rc == PK_OK &&
             (r < 0 || pk_table_set(tb, (size_t)r, 0, e->layer.name) || pk_table_set_int(tb, (size_t)r, 1, e->fid) ||
              pk_table_set(tb, (size_t)r, 2, label) || pk_table_set_real(tb, (size_t)r, 3, fmin(a, za) / 1e6) ||
              (za > 0 && pk_table_set_real(tb, (size_t)r, 4, fmin(a, za) / za)) ||
              pk_table_set(tb, (size_t)r, 5, e->via) ||
              (with_geometry && (pk_table_set(tb, (size_t)r, 6, acc) || (gj && pk_table_set(tb, (size_t)r, 7, gj))))))
        rc = pk_error(Z->ctx, PK_ERR_NOMEM, "out of memory");
    free(label);
    free(gj);
    free(acc);
    if (zg)
        GEOSGeom_destroy_r(pk_geos(Z->ctx), zg);
    return rc;
}

int pk_query_zones(struct pk_store *store, const char *task_id, int with_geometry, struct pk_table **out)
{
    struct zq Z = {.store = store, .ctx = pk_store_ctx(store)};
    struct pk_cover_filter filter = {NULL, NULL, 0, 1};
    struct pk_cover_set *cs = NULL;
    struct pk_table *tb = NULL;
    *out = NULL;
    int rc = pk_task_require(store, task_id);
    if (rc == PK_OK)
        rc = pk_spatial_new(store, &Z.sp);
    if (rc == PK_OK)
        rc = pk_cover_set_load(store, &filter, &cs);
    if (rc == PK_OK)
        rc = collect_zones(&Z, cs, pk_cover_task_index(cs, task_id));
    if (rc == PK_OK) {
        const char *names[] = {"layer", "fid", "name", "overlap_km2", "share", "via", "accuracy", "geometry"};
        enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT, PK_COL_REAL, PK_COL_REAL, PK_COL_TEXT,
                                    PK_COL_TEXT, PK_COL_GEOJSON};
        if (!(tb = pk_table_new(with_geometry ? 8 : 6, names, types)))
            rc = pk_error(Z.ctx, PK_ERR_NOMEM, "out of memory");
    }
    for (size_t z = 0; rc == PK_OK && z < Z.nz; z++)
        rc = zone_row(&Z, tb, &Z.zh[z], with_geometry);
    if (rc == PK_OK)
        *out = tb;
    else
        pk_table_free(tb);
    for (size_t z = 0; z < Z.nz; z++)
        if (Z.zh[z].pieces)
            GEOSGeom_destroy_r(pk_geos(Z.ctx), Z.zh[z].pieces);
    free(Z.zh);
    pk_cover_set_free(cs);
    pk_spatial_free(Z.sp);
    return rc;
}
