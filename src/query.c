/* query.c — task queries: tasks in, at, within a box or near a place; the
 * zones a task concerns; and read-only SQL on the store. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover_int.h"
#include "crs_int.h"
#include "geom_int.h"
#include "spatial_int.h"
#include "task_int.h"
#include "plankit/query.h"

/* Per task found: how it was found and (for IN) the pieces it covers. */
struct hit {
    char via[512];
    GEOSGeometry *pieces;   /* union so far, store CRS (IN only) */
    int full;               /* linked to the probe feature itself */
    GEOSGeometry *shape;    /* union of the task's sources (for GeoJSON) */
};

static void add_via(struct hit *h, const char *what)
{
    if (strstr(h->via, what))
        return;
    if (strlen(h->via) + strlen(what) + 3 >= sizeof h->via)
        return;
    if (*h->via)
        strcat(h->via, "; ");
    strcat(h->via, what);
}

static GEOSGeometry *union_with(GEOSContextHandle_t h, GEOSGeometry *acc, const GEOSGeometry *g)
{
    if (!acc)
        return GEOSGeom_clone_r(h, g);
    GEOSGeometry *u = GEOSUnion_r(h, acc, g);
    if (!u)
        return acc;
    GEOSGeom_destroy_r(h, acc);
    return u;
}

/* GeoJSON text of a store-CRS geometry in WGS84 longitude/latitude, as
 * RFC 7946 wants (the store CRS may be projected). Caller frees. */
static char *geojson_wgs84(struct pk_store *store, const GEOSGeometry *g)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    if (pk_store_srid(store) == 4326)
        return pk_geom_to_geojson(ctx, g);
    struct pk_transform *tr = NULL;
    char *out = NULL;
    if (pk_transform_new(ctx, pk_store_srid(store), 4326, &tr) == PK_OK) {
        GEOSGeometry *ll = pk_transform_geom(ctx, tr, g);
        if (ll) {
            out = pk_geom_to_geojson(ctx, ll);
            GEOSGeom_destroy_r(pk_geos(ctx), ll);
        }
    }
    pk_transform_free(tr);
    return out;
}

/* Area (m², metric CRS) of the polygonal part of g: 0 for lines and points,
 * such as the intersection of two polygons that only share a border, or a
 * line crossing a zone (pk_spatial_area would give their length). */
static double overlap_area(struct pk_spatial *sp, struct pk_ctx *ctx, const GEOSGeometry *g)
{
    if (!pk_geom_is_polygonal(ctx, g) && GEOSGeomTypeId_r(pk_geos(ctx), g) != GEOS_GEOMETRYCOLLECTION)
        return 0;
    return pk_spatial_area(sp, g);
}

/* The probe geometry in the store CRS. */
static int make_probe(struct pk_store *store, const struct pk_task_query *q, struct pk_spatial *sp,
                      struct pk_layer_ref *ref, long long *fid, GEOSGeometry **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    GEOSContextHandle_t h = pk_geos(ctx);
    int rc = PK_OK;
    *out = NULL;
    if (q->probe == PK_PROBE_IN || q->probe == PK_PROBE_NEAR) {
        if (!q->feature)
            return pk_error(ctx, PK_ERR_ARGS, "query tasks: no LAYER:FEATURE given");
        if ((rc = pk_feature_ref(store, q->feature, ref, fid)) != PK_OK)
            return rc;
        if ((rc = pk_spatial_feature(sp, ref, *fid, out)) == PK_OK && !*out)
            rc = pk_error(ctx, PK_ERR_DATA, "feature '%s' has no geometry", q->feature);
        return rc;
    }
    GEOSGeometry *ll;
    if (q->probe == PK_PROBE_AT) {
        if (!(fabs(q->x) <= 180 && fabs(q->y) <= 90))
            return pk_error(ctx, PK_ERR_ARGS, "query tasks --at %g,%g: not a longitude,latitude", q->x, q->y);
        ll = GEOSGeom_createPointFromXY_r(h, q->x, q->y);
    } else {
        const double *b = q->bbox;
        if (!(b[0] < b[2] && b[1] < b[3] && fabs(b[0]) <= 180 && fabs(b[2]) <= 180 && fabs(b[1]) <= 90 &&
              fabs(b[3]) <= 90))
            return pk_error(ctx, PK_ERR_ARGS, "query tasks --bbox: expected WEST,SOUTH,EAST,NORTH in degrees");
        ll = GEOSGeom_createRectangle_r(h, b[0], b[1], b[2], b[3]);
    }
    if (pk_store_srid(store) == 4326) {
        *out = ll;
        return PK_OK;
    }
    struct pk_transform *tr = NULL;
    if ((rc = pk_transform_new(ctx, 4326, pk_store_srid(store), &tr)) == PK_OK) {
        *out = pk_transform_geom(ctx, tr, ll);
        if (!*out)
            rc = pk_errcode(ctx);
    }
    pk_transform_free(tr);
    GEOSGeom_destroy_r(h, ll);
    return rc;
}

int pk_query_tasks(struct pk_store *store, const struct pk_task_query *q, struct pk_table **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    GEOSContextHandle_t h = pk_geos(ctx);
    struct pk_cover_filter filter = {q->classification, q->status, q->year, q->include_citywide};
    struct pk_cover_set *cs = NULL;
    struct pk_spatial *sp = NULL;
    struct pk_layer_ref ref = {0};
    long long fid = 0;
    GEOSGeometry *probe = NULL, *probe_m = NULL;
    struct hit *hits = NULL;
    *out = NULL;
    int rc = pk_spatial_new(store, &sp);
    if (rc == PK_OK)
        rc = make_probe(store, q, sp, &ref, &fid, &probe);
    if (rc == PK_OK)
        rc = pk_cover_set_load(store, &filter, &cs);
    if (rc != PK_OK)
        goto done;
    hits = calloc(cs->ntasks ? cs->ntasks : 1, sizeof *hits);
    if (q->probe == PK_PROBE_NEAR && !(probe_m = pk_spatial_to_metric(sp, probe))) {
        rc = pk_errcode(ctx);
        goto done;
    }
    /* candidates: the probe's envelope, widened by the distance for NEAR */
    GEOSGeometry *search = NULL;
    if (q->probe == PK_PROBE_NEAR) {
        double x0, y0, x1, y1, d = q->distance_m;
        GEOSGeom_getExtent_r(h, probe, &x0, &y0, &x1, &y1);
        if (pk_store_srid(store) == 4326 || pk_store_srid(store) == 4490) {
            double lat = fmax(fabs(y0), fabs(y1));
            double dy = d / 110000.0, dx = d / (110000.0 * fmax(cos(lat * M_PI / 180.0), 0.01));
            search = GEOSGeom_createRectangle_r(h, x0 - dx, y0 - dy, x1 + dx, y1 + dy);
        } else {
            search = GEOSGeom_createRectangle_r(h, x0 - 2 * d, y0 - 2 * d, x1 + 2 * d, y1 + 2 * d);
        }
    }
    struct pk_cover_src **cand = NULL;
    size_t nc = 0;
    if ((rc = pk_cover_candidates(h, cs, search ? search : probe, &cand, &nc)) != PK_OK)
        rc = pk_error(ctx, rc, "out of memory");
    if (search)
        GEOSGeom_destroy_r(h, search);
    const GEOSPreparedGeometry *pp = GEOSPrepare_r(h, probe);
    for (size_t c = 0; rc == PK_OK && c < nc; c++) {
        const struct pk_cover_src *s = cand[c];
        int self = q->probe == PK_PROBE_IN && s->layer_id == ref.id && s->fid == fid;
        int match = self;
        GEOSGeometry *piece = NULL;
        if (!match && q->probe == PK_PROBE_NEAR) {
            GEOSGeometry *sm = pk_spatial_to_metric(sp, s->g);
            double dist = INFINITY;
            if (sm) {
                GEOSDistance_r(h, probe_m, sm, &dist);
                GEOSGeom_destroy_r(h, sm);
            }
            match = dist <= q->distance_m;
        } else if (!match && GEOSPreparedIntersects_r(h, pp, s->g) == 1) {
            match = 1;
            if (q->probe == PK_PROBE_IN && s->polygonal && pk_geom_is_polygonal(ctx, probe)) {
                piece = GEOSIntersection_r(h, probe, s->g);
                match = piece && overlap_area(sp, ctx, piece) >= PK_MIN_OVERLAP_M2;
            }
        }
        for (int k = 0; match && k < s->ntasks; k++) {
            struct hit *ht = &hits[s->tasks[k]];
            add_via(ht, s->what);
            ht->full |= self;
            if (piece)
                ht->pieces = union_with(h, ht->pieces, piece);
            if (q->with_geometry)
                ht->shape = union_with(h, ht->shape, s->g);
        }
        if (piece)
            GEOSGeom_destroy_r(h, piece);
    }
    GEOSPreparedGeom_destroy_r(h, pp);
    free(cand);

    const char *names[] = {"id", "title", "pillar", "status", "via", "share", "geometry"};
    enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT,
                                PK_COL_REAL, PK_COL_GEOJSON};
    int ncols = 5 + (q->probe == PK_PROBE_IN);
    if (q->with_geometry) {
        names[ncols] = "geometry";
        types[ncols] = PK_COL_GEOJSON;
        ncols++;
    }
    struct pk_table *t = pk_table_new(ncols, names, types);
    double farea = q->probe == PK_PROBE_IN ? overlap_area(sp, ctx, probe) : 0;
    sqlite3_stmt *st = NULL;
    rc = pk_sql_prepare(store, "SELECT title, coalesce(classification,''), status FROM pk_tasks WHERE id=?", &st);
    for (size_t i = 0; rc == PK_OK && i < cs->ntasks; i++) {
        struct hit *ht = &hits[i];
        if (!*ht->via)
            continue;
        long r = pk_table_add_row(t);
        pk_table_set(t, (size_t)r, 0, cs->task_ids[i]);
        pk_sql_bind_text(st, 1, cs->task_ids[i]);
        if (sqlite3_step(st) == SQLITE_ROW)
            for (int c = 0; c < 3; c++)
                pk_table_set(t, (size_t)r, c + 1, (const char *)sqlite3_column_text(st, c));
        sqlite3_reset(st);
        pk_table_set(t, (size_t)r, 4, ht->via);
        if (q->probe == PK_PROBE_IN && farea > 0) {
            double a = ht->full ? farea : ht->pieces ? overlap_area(sp, ctx, ht->pieces) : 0;
            pk_table_setf(t, (size_t)r, 5, "%.17g", fmin(a, farea) / farea);
        }
        if (q->with_geometry && ht->shape) {
            char *gj = geojson_wgs84(store, ht->shape);
            pk_table_set(t, (size_t)r, ncols - 1, gj);
            free(gj);
        }
    }
    sqlite3_finalize(st);
    if (rc == PK_OK)
        *out = t;
    else
        pk_table_free(t);
done:
    for (size_t i = 0; hits && cs && i < cs->ntasks; i++) {
        if (hits[i].pieces)
            GEOSGeom_destroy_r(h, hits[i].pieces);
        if (hits[i].shape)
            GEOSGeom_destroy_r(h, hits[i].shape);
    }
    free(hits);
    if (probe)
        GEOSGeom_destroy_r(h, probe);
    if (probe_m)
        GEOSGeom_destroy_r(h, probe_m);
    pk_cover_set_free(cs);
    pk_spatial_free(sp);
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

int pk_query_zones(struct pk_store *store, const char *task_id, int with_geometry, struct pk_table **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    GEOSContextHandle_t h = pk_geos(ctx);
    struct pk_cover_filter filter = {NULL, NULL, 0, 1};
    struct pk_cover_set *cs = NULL;
    struct pk_spatial *sp = NULL;
    struct zone_hit *zh = NULL;
    size_t nz = 0, capz = 0;
    *out = NULL;
    int rc = pk_task_require(store, task_id);
    if (rc == PK_OK)
        rc = pk_spatial_new(store, &sp);
    if (rc == PK_OK)
        rc = pk_cover_set_load(store, &filter, &cs);
    if (rc != PK_OK)
        goto done;
    int t = pk_cover_task_index(cs, task_id);
    sqlite3_stmt *ls;
    rc = pk_sql_prepare(store, "SELECT name FROM pk_layers WHERE kind IN ('district','zone') ORDER BY id", &ls);
    while (rc == PK_OK && sqlite3_step(ls) == SQLITE_ROW) {
        struct pk_layer_ref ref;
        if ((rc = pk_layer_find(store, (const char *)sqlite3_column_text(ls, 0), &ref)) != PK_OK)
            break;
        for (size_t i = 0; rc == PK_OK && i < cs->nsrc; i++) {
            const struct pk_cover_src *s = &cs->src[i];
            int mine = 0;
            for (int k = 0; k < s->ntasks; k++)
                mine |= s->tasks[k] == t;
            if (!mine)
                continue;
            double box[4];
            long long *fids = NULL;
            size_t nf = 0;
            GEOSGeom_getExtent_r(h, s->g, &box[0], &box[1], &box[2], &box[3]);
            rc = pk_spatial_bbox(sp, &ref, box, &fids, &nf);
            for (size_t j = 0; rc == PK_OK && j < nf; j++) {
                int self = s->layer_id == ref.id && s->fid == fids[j];
                GEOSGeometry *zg = NULL;
                rc = pk_spatial_feature(sp, &ref, fids[j], &zg);
                if (!zg)
                    continue;
                GEOSGeometry *piece = NULL;
                if (!self && GEOSIntersects_r(h, zg, s->g) == 1) {
                    piece = GEOSIntersection_r(h, zg, s->g);
                    if (piece && s->polygonal && overlap_area(sp, ctx, piece) < PK_MIN_OVERLAP_M2) {
                        GEOSGeom_destroy_r(h, piece);
                        piece = NULL;
                    }
                }
                GEOSGeom_destroy_r(h, zg);
                if (!self && !piece)
                    continue;
                size_t z = 0;
                while (z < nz && !(zh[z].layer.id == ref.id && zh[z].fid == fids[j]))
                    z++;
                if (z == nz) {
                    if (nz == capz) {
                        capz = capz ? capz * 2 : 16;
                        zh = realloc(zh, capz * sizeof *zh);
                    }
                    memset(&zh[nz], 0, sizeof *zh);
                    zh[nz].layer = ref;
                    zh[nz].fid = fids[j];
                    nz++;
                }
                zh[z].full |= self;
                if (piece) {
                    zh[z].pieces = union_with(h, zh[z].pieces, piece);
                    GEOSGeom_destroy_r(h, piece);
                }
                const char *w = self ? "linked" : s->what;
                if (strlen(zh[z].via) + strlen(w) + 3 < sizeof zh[z].via && !strstr(zh[z].via, w)) {
                    if (*zh[z].via)
                        strcat(zh[z].via, "; ");
                    strcat(zh[z].via, w);
                }
            }
            free(fids);
        }
    }
    sqlite3_finalize(ls);
    if (rc != PK_OK)
        goto done;
    const char *names[] = {"layer", "fid", "name", "overlap_km2", "share", "via", "geometry"};
    enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT, PK_COL_REAL, PK_COL_REAL, PK_COL_TEXT,
                                PK_COL_GEOJSON};
    struct pk_table *tb = pk_table_new(with_geometry ? 7 : 6, names, types);
    for (size_t z = 0; z < nz; z++) {
        GEOSGeometry *zg = NULL;
        pk_spatial_feature(sp, &zh[z].layer, zh[z].fid, &zg);
        double za = zg ? overlap_area(sp, ctx, zg) : 0;
        double a = zh[z].full ? za : zh[z].pieces ? overlap_area(sp, ctx, zh[z].pieces) : 0;
        char *label = pk_layer_feature_label(store, &zh[z].layer, zh[z].fid);
        long r = pk_table_add_row(tb);
        pk_table_set(tb, (size_t)r, 0, zh[z].layer.name);
        pk_table_setf(tb, (size_t)r, 1, "%lld", zh[z].fid);
        pk_table_set(tb, (size_t)r, 2, label);
        pk_table_setf(tb, (size_t)r, 3, "%.17g", fmin(a, za) / 1e6);
        if (za > 0)
            pk_table_setf(tb, (size_t)r, 4, "%.17g", fmin(a, za) / za);
        pk_table_set(tb, (size_t)r, 5, zh[z].via);
        if (with_geometry && zg) {
            char *gj = geojson_wgs84(store, zg);
            pk_table_set(tb, (size_t)r, 6, gj);
            free(gj);
        }
        free(label);
        if (zg)
            GEOSGeom_destroy_r(h, zg);
    }
    *out = tb;
done:
    for (size_t z = 0; z < nz; z++)
        if (zh[z].pieces)
            GEOSGeom_destroy_r(h, zh[z].pieces);
    free(zh);
    pk_cover_set_free(cs);
    pk_spatial_free(sp);
    return rc;
}
