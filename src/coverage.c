/* coverage.c — `plankit coverage`: for every feature of a layer, the tasks
 * that touch it and the share of its area their linked zones and footprints
 * cover (unioned, so overlaps count once), in the metric CRS.
 *
 * Engine: the covering geometries are loaded once (store and metric CRS) into
 * an STRtree; the layer's features are processed across a thread pool, each
 * thread with its own GEOS handle and PROJ transform; per feature see
 * compute_feature. Rows come out in fid order whatever the thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover_int.h"
#include "crs_int.h"
#include "geom_int.h"
#include "planar_int.h"
#include "pool_int.h"
#include "spatial_int.h"
#include "plankit/query.h"

#define CHUNK 256

struct feature {
    long long fid;
    char *name;
    unsigned char *wkb;
    int wkb_len;
    /* results */
    double area, covered;   /* m² */
    unsigned char *tasks;   /* one byte per task of the set */
    int ntasks;
    char *geojson;
    int rc;
    char err[256];
};

struct coverage {
    struct pk_store *store;
    const struct pk_coverage_opts *opts;
    struct pk_cover_set *cs;
    struct pk_layer_ref layer;
    struct feature *feats;
    size_t nfeats;
    char dst_def[32], src_def[32];
    int geojson_reproject;  /* GeoJSON is WGS84 (RFC 7946): store CRS -> EPSG:4326 */
};

struct cov_thread {
    struct pk_ctx *ctx;
    struct pk_transform *tr;
    struct pk_transform *wgs84; /* for GeoJSON, when the store CRS is not EPSG:4326 */
    GEOSWKBReader *reader;
    int own_ctx;
    int rc;
};

static void *cov_thread_init(void *arg)
{
    struct coverage *C = arg;
    struct cov_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ctx = pk_ctx_new();
    t->own_ctx = 1;
    t->rc = t->ctx ? pk_transform_new_defs(t->ctx, C->src_def, C->dst_def, &t->tr) : PK_ERR_NOMEM;
    if (t->rc == PK_OK && C->geojson_reproject)
        t->rc = pk_transform_new_defs(t->ctx, C->src_def, "EPSG:4326", &t->wgs84);
    if (t->ctx)
        t->reader = GEOSWKBReader_create_r(pk_geos(t->ctx));
    return t;
}

static void cov_thread_fini(void *state)
{
    struct cov_thread *t = state;
    if (!t)
        return;
    if (t->reader)
        GEOSWKBReader_destroy_r(pk_geos(t->ctx), t->reader);
    pk_transform_free(t->tr);
    pk_transform_free(t->wgs84);
    if (t->own_ctx)
        pk_ctx_free(t->ctx);
    free(t);
}

static void mark(struct feature *f, const struct pk_cover_src *s)
{
    for (int i = 0; i < s->ntasks; i++)
        f->tasks[s->tasks[i]] = 1;
}

/* Union of the covering polygons (borrowed, metric CRS); NULL on error. */
static GEOSGeometry *union_of(struct cov_thread *t, const struct pk_cover_src *const *src, size_t n)
{
    GEOSContextHandle_t h = pk_geos(t->ctx);
    GEOSGeometry **parts = malloc(n * sizeof *parts);
    if (!parts)
        return NULL;
    for (size_t i = 0; i < n; i++)
        parts[i] = GEOSGeom_clone_r(h, src[i]->gm);
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    free(parts);
    GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
    if (coll)
        GEOSGeom_destroy_r(h, coll);
    return u;
}

static size_t find_root(size_t *parent, size_t k)
{
    while (parent[k] != k)
        k = parent[k] = parent[parent[k]];
    return k;
}

/* area(F ∩ (S1 ∪ ... ∪ Sn)) for the covering polygons overlapping F, with
 * over[k] = area(F ∩ Sk) known and inside[k] set when F covers Sk. Polygons
 * whose envelopes meet are grouped; a group of one needs no overlay at all;
 * a group is unioned, and the parts of the union that cross F's boundary are
 * intersected with F locally. Groups and parts are disjoint, so the areas
 * add up. Returns 0 on error. */
static int covered_area(struct cov_thread *t, const GEOSGeometry *Fm, const GEOSPreparedGeometry **ppFm,
                        const struct pk_cover_src **cover, const double *over, const int *inside, size_t n,
                        struct rings *rings, double *covered)
{
    GEOSContextHandle_t h = pk_geos(t->ctx);
    const GEOSPreparedGeometry *pFm = *ppFm;
    size_t *parent = malloc(n * sizeof *parent), *members = malloc(n * sizeof *members);
    double (*env)[4] = malloc(n * sizeof *env);
    const struct pk_cover_src **group = malloc(n * sizeof *group);
    int ok = parent && members && env && group;
    for (size_t k = 0; ok && k < n; k++) {
        parent[k] = k;
        GEOSGeom_getExtent_r(h, cover[k]->gm, &env[k][0], &env[k][1], &env[k][2], &env[k][3]);
    }
    for (size_t a = 0; ok && a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (env[a][0] <= env[b][2] && env[b][0] <= env[a][2] && env[a][1] <= env[b][3] &&
                env[b][1] <= env[a][3]) {
                size_t ra = find_root(parent, a), rb = find_root(parent, b);
                if (ra != rb)
                    parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
            }
    *covered = 0;
    for (size_t r = 0; ok && r < n; r++) {
        if (find_root(parent, r) != r)
            continue;
        size_t m = 0;
        int crossing = 0, convex = 1;
        for (size_t k = r; k < n; k++)
            if (find_root(parent, k) == r) {
                members[m++] = k;
                group[m - 1] = cover[k];
                crossing |= !inside[k];
                convex &= cover[k]->convex != NULL;
            }
        if (m == 1) {
            *covered += over[r];
            continue;
        }
        if (convex && crossing && !rings->n && !pk_rings_read(h, Fm, rings))
            pk_rings_free(rings);
        if (convex && (!crossing || rings->n)) {
            double *o = malloc(m * sizeof *o), box[4] = {env[r][0], env[r][1], env[r][2], env[r][3]};
            int *in = malloc(m * sizeof *in), done = 0;
            for (size_t k = 0; o && in && k < m; k++) {
                o[k] = over[members[k]];
                in[k] = inside[members[k]];
                box[0] = env[members[k]][0] < box[0] ? env[members[k]][0] : box[0];
                box[1] = env[members[k]][1] < box[1] ? env[members[k]][1] : box[1];
                box[2] = env[members[k]][2] > box[2] ? env[members[k]][2] : box[2];
                box[3] = env[members[k]][3] > box[3] ? env[members[k]][3] : box[3];
            }
            box[0] -= 1, box[1] -= 1, box[2] += 1, box[3] += 1;
            struct rings local = {0};
            double a = 0;
            if (o && in && (!crossing || pk_rings_clip_box(rings, box, &local)) &&
                pk_incl_excl_area(group, o, in, (int)m, &local, &a)) {
                *covered += a > 0 ? a : 0;
                done = 1;
            }
            pk_rings_free(&local);
            free(o);
            free(in);
            if (done)
                continue;
        }
        GEOSGeometry *u = union_of(t, group, m);
        int nparts = u ? GEOSGetNumGeometries_r(h, u) : -1;
        ok = nparts >= 0;
        for (int k = 0; ok && k < nparts; k++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(h, u, k);
            double a = -1;
            if (crossing && !pFm)
                pFm = GEOSPrepare_r(h, Fm);
            if (!crossing || GEOSPreparedCovers_r(h, pFm, part) == 1)
                GEOSArea_r(h, part, &a);
            else
                a = pk_local_overlap(h, Fm, part);
            if (a < 0)
                ok = 0;
            else
                *covered += a;
        }
        if (u)
            GEOSGeom_destroy_r(h, u);
    }
    *ppFm = pFm;
    free(parent);
    free(members);
    free(env);
    free(group);
    return ok;
}

/* The covered area of a feature F is area(F ∩ (S1 ∪ S2 ∪ ...)) over the
 * covering polygons Si that overlap it by at least 1 m² (a task counts for F
 * when one of its polygons does, or when it is linked to F itself, which
 * covers F whole). Overlays run in the metric CRS (F and the Si transformed
 * vertex by vertex), so the area is that of one planar region whatever the
 * grouping: a footprint inside the area already covered adds nothing, and
 * SpatiaLite's ST_Area(ST_Intersection(ST_Transform(..), ST_Union(ST_Transform(..))))
 * gives the same number.
 *
 * For speed (tens of thousands of footprints over thousands of detailed
 * polygons), GEOS's overlays are mostly avoided:
 * - a convex polygon (circles, rectangles: most footprints) is measured
 *   against F by clipping F's rings by it (Sutherland-Hodgman), after a test
 *   on run envelopes that tells, for most, that F's boundary stays away, and
 *   then one point-in-polygon test says inside or outside;
 * - polygons whose envelopes meet are grouped: a group of one adds its
 *   overlap; a group of convex polygons adds area(F ∩ union) by
 *   inclusion-exclusion over the (convex) intersections of its members;
 * - other groups are unioned with GEOS (small shapes in general position, its
 *   fast path), and the parts of the union that cross F's boundary are
 *   intersected with F cut to a box around them. Unioning pieces cut out of F
 *   instead would overlay nearly coincident copies of F's boundary, which GEOS
 *   handles only through its slow snapping fallbacks.
 * Contact with lines and points is tested in the store CRS with GEOS. The
 * result depends on nothing but the data: not on the thread count. */
static void compute_feature(void *state, size_t i, void *arg)
{
    struct cov_thread *t = state;
    struct coverage *C = arg;
    struct feature *f = &C->feats[i];
    const struct pk_cover_set *cs = C->cs;
    if (!t || t->rc != PK_OK) {
        f->rc = PK_ERR_NOMEM;
        snprintf(f->err, sizeof f->err, "cannot start a worker thread");
        return;
    }
    GEOSContextHandle_t h = pk_geos(t->ctx);
    GEOSGeometry *F = f->wkb ? GEOSWKBReader_read_r(h, t->reader, f->wkb, (size_t)f->wkb_len) : NULL;
    if (!F)
        return;
    int ok = 1, polygonal = pk_geom_is_polygonal(t->ctx, F);
    GEOSGeometry *Fm = NULL; /* F in the metric CRS */
    if (polygonal) {
        Fm = pk_transform_geom(t->ctx, t->tr, F);
        if (!Fm || !GEOSArea_r(h, Fm, &f->area))
            ok = 0;
    }
    struct pk_cover_src **cand = NULL;
    size_t nc = ok ? pk_cover_candidates(h, cs, F, &cand) : 0;
    const struct pk_cover_src **cover = calloc(nc ? nc : 1, sizeof *cover);
    double *over = calloc(nc ? nc : 1, sizeof *over); /* area of F ∩ cover[k] */
    int *inside_of = calloc(nc ? nc : 1, sizeof *inside_of);
    size_t ncover = 0;
    if (!cover || !over || !inside_of)
        ok = 0;
    int full = 0, crossing = 0;
    const GEOSPreparedGeometry *pF = NULL, *pFm = NULL;
    struct rings rings = {0};
    for (size_t c = 0; ok && c < nc; c++) {
        const struct pk_cover_src *s = cand[c];
        if (s->layer_id == C->layer.id && s->fid == f->fid) {
            full = 1;
            mark(f, s);
            continue;
        }
        if (!polygonal || !s->polygonal) {
            if (!pF)
                pF = GEOSPrepare_r(h, F);
            if (GEOSPreparedIntersects_r(h, pF, s->g) == 1)
                mark(f, s);
            continue;
        }
        double overlap = 0;
        int inside;
        if (s->convex && !rings.n && !pk_rings_read(h, Fm, &rings))
            pk_rings_free(&rings);
        if (s->convex && rings.n) {
            double box[4];
            GEOSGeom_getExtent_r(h, s->gm, &box[0], &box[1], &box[2], &box[3]);
            if (!pk_rings_near(&rings, box)) {
                /* the boundary stays away: all inside or all outside */
                if (!pk_rings_contain(&rings, s->convex[0], s->convex[1]))
                    continue;
                inside = 1;
                overlap = s->metric_area;
            } else {
                /* a convex polygon is clipped by the feature's rings directly:
                 * it lies inside when the clipped area is its whole area (to
                 * within rounding: a sliver that small outside would not show) */
                if ((overlap = pk_convex_overlap(&rings, s->convex, s->nconvex)) < 0) {
                    ok = 0;
                    break;
                }
                inside = fabs(overlap - s->metric_area) <= 1e-9 * s->metric_area;
                if (inside)
                    overlap = s->metric_area;
            }
        } else {
            if (!pFm)
                pFm = GEOSPrepare_r(h, Fm);
            if (GEOSPreparedIntersects_r(h, pFm, s->gm) != 1)
                continue;
            inside = GEOSPreparedCovers_r(h, pFm, s->gm) == 1;
            if (inside)
                overlap = s->metric_area;
            else if ((overlap = pk_local_overlap(h, Fm, s->gm)) < 0) {
                ok = 0;
                break;
            }
        }
        if (overlap < PK_MIN_OVERLAP_M2)
            continue;
        mark(f, s);
        crossing |= !inside;
        over[ncover] = overlap;
        inside_of[ncover] = inside;
        cover[ncover++] = s;
    }
    if (ok && polygonal) {
        if (full) {
            f->covered = f->area;
        } else if (ncover > 0) {
            ok = covered_area(t, Fm, &pFm, cover, over, inside_of, ncover, &rings, &f->covered);
        }
        if (f->covered > f->area)
            f->covered = f->area;
    }
    if (!ok) {
        f->rc = PK_ERR_GEOS;
        snprintf(f->err, sizeof f->err, "%s", pk_errmsg(t->ctx)[0] ? pk_errmsg(t->ctx) : "GEOS operation failed");
    }
    for (size_t b = 0; b < cs->ntasks; b++)
        f->ntasks += f->tasks[b];
    if (C->opts->with_geometry && t->wgs84) {
        GEOSGeometry *ll = pk_transform_geom(t->ctx, t->wgs84, F);
        f->geojson = ll ? pk_geom_to_geojson(t->ctx, ll) : NULL;
        if (ll)
            GEOSGeom_destroy_r(h, ll);
    } else if (C->opts->with_geometry) {
        f->geojson = pk_geom_to_geojson(t->ctx, F);
    }
    if (pF)
        GEOSPreparedGeom_destroy_r(h, pF);
    if (pFm)
        GEOSPreparedGeom_destroy_r(h, pFm);
    if (Fm)
        GEOSGeom_destroy_r(h, Fm);
    GEOSGeom_destroy_r(h, F);
    pk_rings_free(&rings);
    free(cover);
    free(over);
    free(inside_of);
    free(cand);
}

/* Read fid, name and geometry of every feature of the layer. */
static int read_features(struct coverage *C)
{
    struct pk_store *S = C->store;
    long long has_name = 0;
    char *sql = sqlite3_mprintf("SELECT count(*) FROM pk_fields WHERE layer_id=%lld AND name='name'", C->layer.id);
    pk_sql_int(S, sql, NULL, &has_name, NULL);
    sqlite3_free(sql);
    sql = sqlite3_mprintf("SELECT fid, %s, AsBinary(geom) FROM %s ORDER BY fid", has_name ? "name" : "NULL",
                          C->layer.table);
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(S, sql, &st);
    sqlite3_free(sql);
    size_t cap = 0;
    while (rc == PK_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (C->nfeats == cap) {
            cap = cap ? cap * 2 : 256;
            struct feature *grown = realloc(C->feats, cap * sizeof *grown);
            if (!grown) {
                rc = pk_error(S->ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            C->feats = grown;
        }
        struct feature *f = &C->feats[C->nfeats++];
        memset(f, 0, sizeof *f);
        f->fid = sqlite3_column_int64(st, 0);
        if (sqlite3_column_text(st, 1))
            f->name = strdup((const char *)sqlite3_column_text(st, 1));
        f->wkb_len = sqlite3_column_bytes(st, 2);
        if (f->wkb_len > 0) {
            f->wkb = malloc((size_t)f->wkb_len);
            memcpy(f->wkb, sqlite3_column_blob(st, 2), (size_t)f->wkb_len);
        }
        f->tasks = calloc(C->cs->ntasks ? C->cs->ntasks : 1, 1);
    }
    sqlite3_finalize(st);
    return rc;
}

static char *task_list(const struct pk_cover_set *cs, const unsigned char *mask, int citywide_only)
{
    size_t len = 1;
    for (size_t i = 0; i < cs->ntasks; i++)
        if (citywide_only ? cs->citywide[i] : mask[i])
            len += strlen(cs->task_ids[i]) + 1;
    char *s = calloc(len, 1);
    for (size_t i = 0; s && i < cs->ntasks; i++)
        if (citywide_only ? cs->citywide[i] : mask[i]) {
            if (*s)
                strcat(s, ",");
            strcat(s, cs->task_ids[i]);
        }
    return s;
}

static int build_table(struct coverage *C, struct pk_table **out)
{
    const struct pk_cover_set *cs = C->cs;
    const char *names[] = {"fid", "name", "tasks", "task_ids", "area_km2", "covered_km2", "share_pct", "geometry"};
    enum pk_col_type types[] = {PK_COL_INT, PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT, PK_COL_REAL, PK_COL_REAL,
                                PK_COL_REAL, PK_COL_GEOJSON};
    int ncols = C->opts->with_geometry ? 8 : 7;
    struct pk_table *t = pk_table_new(ncols, names, types);
    unsigned char *any = calloc(cs->ntasks ? cs->ntasks : 1, 1);
    double area = 0, covered = 0;
    if (!t || !any) {
        pk_table_free(t);
        free(any);
        return pk_error(C->store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < C->nfeats; i++) {
        struct feature *f = &C->feats[i];
        area += f->area;
        covered += f->covered;
        for (size_t b = 0; b < cs->ntasks; b++)
            any[b] |= f->tasks[b];
        if (C->opts->gaps_only && f->ntasks > 0)
            continue;
        long r = pk_table_add_row(t);
        char *ids = task_list(cs, f->tasks, 0);
        pk_table_setf(t, (size_t)r, 0, "%lld", f->fid);
        pk_table_set(t, (size_t)r, 1, f->name);
        pk_table_setf(t, (size_t)r, 2, "%d", f->ntasks);
        pk_table_set(t, (size_t)r, 3, ids);
        pk_table_setf(t, (size_t)r, 4, "%.6f", f->area / 1e6);
        pk_table_setf(t, (size_t)r, 5, "%.6f", f->covered / 1e6);
        if (f->area > 0)
            pk_table_setf(t, (size_t)r, 6, "%.2f", 100.0 * f->covered / f->area);
        if (ncols > 7)
            pk_table_set(t, (size_t)r, 7, f->geojson);
        free(ids);
    }
    if (!C->opts->gaps_only) {
        int ncity = 0, nany = 0;
        for (size_t b = 0; b < cs->ntasks; b++) {
            ncity += cs->citywide[b];
            nany += any[b];
        }
        if (!C->opts->include_citywide) {
            long r = pk_table_add_row(t);
            char *ids = task_list(cs, NULL, 1);
            pk_table_set(t, (size_t)r, 1, "(city-wide, not counted)");
            pk_table_setf(t, (size_t)r, 2, "%d", ncity);
            pk_table_set(t, (size_t)r, 3, ids);
            free(ids);
        }
        long r = pk_table_add_row(t);
        pk_table_set(t, (size_t)r, 1, "(total)");
        pk_table_setf(t, (size_t)r, 2, "%d", nany);
        pk_table_setf(t, (size_t)r, 4, "%.6f", area / 1e6);
        pk_table_setf(t, (size_t)r, 5, "%.6f", covered / 1e6);
        if (area > 0)
            pk_table_setf(t, (size_t)r, 6, "%.2f", 100.0 * covered / area);
    }
    free(any);
    *out = t;
    return PK_OK;
}

int pk_coverage(struct pk_store *store, const struct pk_coverage_opts *opts, struct pk_table **out,
                pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct coverage C = {store, opts, NULL, {0}, NULL, 0, "", "", 0};
    struct pk_cover_filter filter = {opts->classification, opts->status, opts->year, opts->include_citywide};
    int rc;
    *out = NULL;
    if (!opts->by_layer)
        return pk_error(ctx, PK_ERR_ARGS, "coverage: --by LAYER is required");
    if ((rc = pk_layer_find(store, opts->by_layer, &C.layer)) != PK_OK)
        return rc;
    if ((rc = pk_cover_set_load(store, &filter, &C.cs)) != PK_OK)
        return rc;
    snprintf(C.src_def, sizeof C.src_def, "EPSG:%d", pk_store_srid(store));
    snprintf(C.dst_def, sizeof C.dst_def, "EPSG:%d", pk_store_measure_srid(store));
    C.geojson_reproject = opts->with_geometry && pk_store_srid(store) != 4326;
    rc = read_features(&C);
    struct pk_pool *pool = NULL;
    struct cov_thread *main_state = NULL;
    if (rc == PK_OK) {
        main_state = calloc(1, sizeof *main_state);
        if (main_state) {
            main_state->ctx = ctx;
            main_state->rc = pk_transform_new_defs(ctx, C.src_def, C.dst_def, &main_state->tr);
            if (main_state->rc == PK_OK && C.geojson_reproject)
                main_state->rc = pk_transform_new_defs(ctx, C.src_def, "EPSG:4326", &main_state->wgs84);
            main_state->reader = GEOSWKBReader_create_r(pk_geos(ctx));
            rc = main_state->rc;
        }
        pool = pk_pool_new(pk_pool_default_threads(), cov_thread_init, cov_thread_fini, &C);
        if (!pool || !main_state)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    for (size_t done = 0; rc == PK_OK && done < C.nfeats; done += CHUNK) {
        size_t n = C.nfeats - done < CHUNK ? C.nfeats - done : CHUNK;
        struct coverage sub = C;
        sub.feats = C.feats + done;
        pk_pool_run(pool, main_state, n, compute_feature, &sub);
        for (size_t i = done; i < done + n && rc == PK_OK; i++)
            if (C.feats[i].rc != PK_OK)
                rc = pk_error(ctx, C.feats[i].rc, "coverage: layer '%s' feature %lld: %s", C.layer.name,
                              C.feats[i].fid, C.feats[i].err);
        if (rc == PK_OK && progress && !progress((double)(done + n) / (double)C.nfeats, NULL, arg))
            rc = pk_error(ctx, PK_ERR_CANCELLED, "coverage: cancelled");
    }
    pk_pool_free(pool);
    cov_thread_fini(main_state);
    if (rc == PK_OK)
        rc = build_table(&C, out);
    for (size_t i = 0; i < C.nfeats; i++) {
        free(C.feats[i].name);
        free(C.feats[i].wkb);
        free(C.feats[i].tasks);
        free(C.feats[i].geojson);
    }
    free(C.feats);
    pk_cover_set_free(C.cs);
    return rc;
}
