/* cover_set.c — the geometries tasks cover, loaded once for a query: every
 * linked feature (deduplicated, with the tasks linked to it) and every
 * footprint, in the store CRS, with their areas (measured as every command
 * measures, pk_worker_area) and an STRtree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover_int.h"
#include "geom_int.h"
#include "reader_int.h"
#include "spatial_int.h"
#include "worker_int.h"

/* qsort/bsearch order of task ids (byte order, as SQLite's ORDER BY). */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pk_cover_task_index(const struct pk_cover_set *cs, const char *id)
{
    const char *key = id;
    char **hit = bsearch(&key, cs->task_ids, cs->ntasks, sizeof *cs->task_ids, cmp_str);
    return hit ? (int)(hit - cs->task_ids) : -1;
}

/* The filtered task list (sorted by id) and which are city-wide. */
static int load_tasks(struct pk_store *store, struct pk_cover_set *cs, const struct pk_cover_filter *f)
{
    static const char sql[] = "SELECT id, citywide FROM pk_tasks WHERE (?1 IS NULL OR classification=?1)"
                              " AND (?2 IS NULL OR status=?2) AND (?3 = 0 OR (coalesce(start_year, 0) <= ?3"
                              " AND coalesce(end_year, 9999) >= ?3)) ORDER BY id";
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, sql, &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, f->classification);
    pk_sql_bind_text(st, 2, f->status);
    sqlite3_bind_int(st, 3, f->year);
    size_t cap = 0;
    int step;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (cs->ntasks == cap) {
            cap = cap ? cap * 2 : 64;
            char **ids = realloc(cs->task_ids, cap * sizeof *cs->task_ids);
            cs->task_ids = ids ? ids : cs->task_ids;
            int *citywide = ids ? realloc(cs->citywide, cap * sizeof *cs->citywide) : NULL;
            cs->citywide = citywide ? citywide : cs->citywide;
            if (!citywide) {
                rc = pk_error(cs->ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
        }
        if (!(cs->task_ids[cs->ntasks] = strdup((const char *)sqlite3_column_text(st, 0)))) {
            rc = pk_error(cs->ctx, PK_ERR_NOMEM, "out of memory");
            break;
        }
        cs->citywide[cs->ntasks] = sqlite3_column_int(st, 1);
        cs->ntasks++;
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(store, "cannot read the tasks");
    sqlite3_finalize(st);
    /* SQLite's ORDER BY uses the same byte order as strcmp for UTF-8 */
    return rc;
}

/* A new, zeroed source at the end of cs->src (owned by cs); NULL when out of
 * memory. Pointers to earlier sources move: take them after loading. */
static struct pk_cover_src *new_src(struct pk_cover_set *cs)
{
    if (cs->nsrc == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 256;
        struct pk_cover_src *grown = realloc(cs->src, cap * sizeof *grown);
        if (!grown)
            return NULL;
        cs->src = grown;
        cs->cap = cap;
    }
    struct pk_cover_src *s = &cs->src[cs->nsrc++];
    memset(s, 0, sizeof *s);
    return s;
}

/* Record that task covers through s; PK_ERR_NOMEM when out of memory. */
static int src_add_task(struct pk_cover_set *cs, struct pk_cover_src *s, int task)
{
    for (int i = 0; i < s->ntasks; i++)
        if (s->tasks[i] == task)
            return PK_OK;
    int *grown = realloc(s->tasks, sizeof *s->tasks * (size_t)(s->ntasks + 1));
    if (!grown)
        return pk_error(cs->ctx, PK_ERR_NOMEM, "out of memory");
    s->tasks = grown;
    s->tasks[s->ntasks++] = task;
    return PK_OK;
}

/* The index of task id in cs, or -1 when the filter left it out (not
 * selected, or citywide without include_citywide). */
static int usable_task(const struct pk_cover_set *cs, const struct pk_cover_filter *f, const char *id)
{
    int t = pk_cover_task_index(cs, id);
    if (t < 0)
        return -1;
    if (cs->citywide[t] && !f->include_citywide)
        return -1;
    return t;
}

/* Linked features: one source per (layer, fid), carrying all its tasks. */
static int load_links(struct pk_store *store, struct pk_cover_set *cs, const struct pk_cover_filter *f,
                      struct pk_spatial *sp)
{
    sqlite3_stmt *st;
    /* one source per linked feature and role; a role that does not cover
     * area is named in what the source is called (the 'via' of queries) */
    int rc = pk_sql_prepare(store, "SELECT k.task_id, k.layer_id, k.fid, l.name, k.role, (" PK_COVER_ROLE_SQL
                                   " OR t.citywide = 1) AS area FROM pk_task_links k JOIN pk_layers l ON l.id=k.layer_id"
                                   " JOIN pk_tasks t ON t.id=k.task_id ORDER BY k.layer_id, k.fid, k.role, area", &st);
    if (rc != PK_OK)
        return rc;
    struct pk_cover_src *cur = NULL;
    struct pk_layer_ref ref = {0};
    char cur_role[64] = "";
    int step;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int t = usable_task(cs, f, (const char *)sqlite3_column_text(st, 0));
        if (t < 0)
            continue;
        long long layer_id = sqlite3_column_int64(st, 1), fid = sqlite3_column_int64(st, 2);
        const char *role = (const char *)sqlite3_column_text(st, 4);
        int area = sqlite3_column_int(st, 5);
        if (!cur || cur->layer_id != layer_id || cur->fid != fid || strcmp(cur_role, role ? role : "") ||
            cur->covers_area != area) {
            snprintf(cur_role, sizeof cur_role, "%s", role ? role : "");
            if (ref.id != layer_id)
                rc = pk_layer_find(store, (const char *)sqlite3_column_text(st, 3), &ref);
            if (rc != PK_OK)
                break;
            GEOSGeometry *g = NULL;
            rc = pk_spatial_feature(sp, &ref, fid, &g);
            if (rc != PK_OK)
                break;
            if (!g)
                continue; /* a feature without geometry covers nothing */
            if (!(cur = new_src(cs))) {
                GEOSGeom_destroy_r(pk_geos(cs->ctx), g);
                rc = pk_error(cs->ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            cur->g = g;
            cur->layer_id = layer_id;
            cur->fid = fid;
            cur->covers_area = area;
            char *label = NULL;
            if ((rc = pk_layer_feature_label(store, &ref, fid, &label)) != PK_OK)
                break;
            if (label)
                snprintf(cur->what, sizeof cur->what, "%s:%s", ref.name, label);
            else
                snprintf(cur->what, sizeof cur->what, "%s:%lld", ref.name, fid);
            free(label);
            if (!cur->covers_area) {
                size_t used = strlen(cur->what);
                snprintf(cur->what + used, sizeof cur->what - used, " (%s)", cur_role);
            }
        }
        rc = src_add_task(cs, cur, t);
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(store, "cannot read the task links");
    sqlite3_finalize(st);
    return rc;
}

/* Footprints: one source each (a footprint belongs to one task). */
static int load_footprints(struct pk_store *store, struct pk_cover_set *cs, const struct pk_cover_filter *f)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "SELECT task_id, id, geom FROM pk_task_footprints"
                                   " WHERE geom IS NOT NULL ORDER BY id", &st);
    if (rc != PK_OK)
        return rc;
    int step;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int t = usable_task(cs, f, (const char *)sqlite3_column_text(st, 0));
        if (t < 0)
            continue;
        long long id = sqlite3_column_int64(st, 1);
        GEOSGeometry *g = NULL;
        if (pk_geom_from_blob(pk_geos(cs->ctx), sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                              &g) != PK_OK) {
            rc = pk_error(cs->ctx, PK_ERR_DATA, "footprint #%lld: unreadable geometry", id);
            break;
        }
        struct pk_cover_src *s = new_src(cs);
        if (!s) {
            GEOSGeom_destroy_r(pk_geos(cs->ctx), g);
            rc = pk_error(cs->ctx, PK_ERR_NOMEM, "out of memory");
            break;
        }
        s->g = g;
        s->footprint_id = id;
        s->covers_area = 1;
        snprintf(s->what, sizeof s->what, "footprint #%lld", s->footprint_id);
        rc = src_add_task(cs, s, t);
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(store, "cannot read the task footprints");
    sqlite3_finalize(st);
    return rc;
}

/* Keep s->g's vertices (store CRS), counter-clockwise, in s->convex when it
 * is one convex polygon without holes: footprints are often so (circles,
 * rectangles), and the coverage engine then cuts a feature by it with plain
 * clipping. Returns 0 only when out of memory. */
static int convex_ring(GEOSContextHandle_t h, struct pk_cover_src *s)
{
    const GEOSGeometry *poly = s->g;
    if (GEOSGeomTypeId_r(h, poly) == GEOS_MULTIPOLYGON) {
        if (GEOSGetNumGeometries_r(h, poly) != 1)
            return 1;
        poly = GEOSGetGeometryN_r(h, poly, 0);
    }
    if (GEOSGeomTypeId_r(h, poly) != GEOS_POLYGON || GEOSGetNumInteriorRings_r(h, poly) != 0)
        return 1;
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, GEOSGetExteriorRing_r(h, poly));
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n) || n < 4 || n > 4096)
        return 1;
    double *xy = malloc(2 * sizeof *xy * n);
    if (!xy)
        return 0;
    if (!GEOSCoordSeq_copyToBuffer_r(h, seq, xy, 0, 0)) {
        free(xy);
        return 1;
    }
    n--; /* the closing vertex */
    double area2 = 0;
    for (unsigned int i = 0; i < n; i++) {
        unsigned int j = (i + 1) % n;
        area2 += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    int sign = area2 > 0 ? 1 : -1, convex = area2 != 0;
    for (unsigned int i = 0; convex && i < n; i++) {
        unsigned int j = (i + 1) % n, k = (i + 2) % n;
        double cross = (xy[2 * j] - xy[2 * i]) * (xy[2 * k + 1] - xy[2 * j + 1]) -
                       (xy[2 * j + 1] - xy[2 * i + 1]) * (xy[2 * k] - xy[2 * j]);
        convex = cross * sign >= 0;
    }
    if (!convex) {
        free(xy);
        return 1;
    }
    if (sign < 0) /* make it counter-clockwise */
        for (unsigned int i = 0; i < n / 2; i++)
            for (int c = 0; c < 2; c++) {
                double tmp = xy[2 * i + c];
                xy[2 * i + c] = xy[2 * (n - 1 - i) + c];
                xy[2 * (n - 1 - i) + c] = tmp;
            }
    s->convex = xy;
    s->nconvex = (int)n;
    return 1;
}

int pk_cover_set_load(struct pk_store *store, const struct pk_cover_filter *f, struct pk_cover_set **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    GEOSContextHandle_t h = pk_geos(ctx);
    struct pk_spatial *sp = NULL;
    struct pk_cover_set *cs = calloc(1, sizeof *cs);
    *out = NULL;
    if (!cs)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    cs->ctx = ctx;
    int rc = pk_spatial_new(store, &sp);
    if (rc == PK_OK)
        rc = load_tasks(store, cs, f);
    if (rc == PK_OK)
        rc = load_links(store, cs, f, sp);
    if (rc == PK_OK)
        rc = load_footprints(store, cs, f);
    cs->tree = GEOSSTRtree_create_r(h, 10);
    if (rc == PK_OK && !cs->tree)
        rc = pk_error_geos(ctx, "cannot index the covering geometries");
    for (size_t i = 0; rc == PK_OK && i < cs->nsrc; i++) {
        struct pk_cover_src *s = &cs->src[i];
        s->polygonal = pk_geom_is_polygonal(ctx, s->g);
        double x0, y0, x1, y1; /* compute the cached envelope now, before threads share it */
        GEOSGeom_getExtent_r(h, s->g, &x0, &y0, &x1, &y1);
        if (s->polygonal) {
            if ((rc = pk_worker_area(pk_spatial_worker(sp), s->g, &s->area)) != PK_OK) {
                pk_error_prefix(ctx, "%s: cannot measure it in the metric CRS", s->what);
                break;
            }
            if (!convex_ring(h, s)) {
                rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
        }
        GEOSSTRtree_insert_r(h, cs->tree, s->g, s);
    }
    pk_spatial_free(sp);
    /* build the tree now (GEOS builds it on the first query), so that
     * threads only read it */
    if (rc == PK_OK && cs->nsrc > 0) {
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, 0, 0);
        if (pt) {
            GEOSSTRtree_query_r(h, cs->tree, pt, pk_cover_noop, NULL);
            GEOSGeom_destroy_r(h, pt);
        } else {
            rc = pk_error_geos(ctx, "cannot index the covering geometries");
        }
    }
    if (rc != PK_OK) {
        pk_cover_set_free(cs);
        return rc;
    }
    *out = cs;
    return PK_OK;
}

void pk_cover_noop(void *item, void *arg)
{
    (void)item;
    (void)arg;
}

void pk_cover_set_free(struct pk_cover_set *cs)
{
    if (!cs)
        return;
    GEOSContextHandle_t h = pk_geos(cs->ctx);
    if (cs->tree)
        GEOSSTRtree_destroy_r(h, cs->tree);
    for (size_t i = 0; i < cs->nsrc; i++) {
        GEOSGeom_destroy_r(h, cs->src[i].g);
        free(cs->src[i].convex);
        free(cs->src[i].tasks);
    }
    for (size_t i = 0; i < cs->ntasks; i++)
        free(cs->task_ids[i]);
    free(cs->task_ids);
    free(cs->citywide);
    free(cs->src);
    free(cs);
}

struct collect {
    struct pk_cover_src **items;
    size_t n, cap;
    int nomem;
};

/* STRtree query callback: append the source to c (c->nomem on failure). */
static void collect_cb(void *item, void *arg)
{
    struct collect *c = arg;
    if (c->nomem)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct pk_cover_src **grown = realloc(c->items, cap * sizeof *c->items);
        if (!grown) {
            c->nomem = 1;
            return;
        }
        c->items = grown;
        c->cap = cap;
    }
    c->items[c->n++] = item;
}

/* Sources by address, which is their load order within cs->src. */
static int cmp_src(const void *a, const void *b)
{
    const struct pk_cover_src *x = *(struct pk_cover_src *const *)a, *y = *(struct pk_cover_src *const *)b;
    return x < y ? -1 : x > y;
}

int pk_cover_candidates(GEOSContextHandle_t h, const struct pk_cover_set *cs, const GEOSGeometry *g,
                        struct pk_cover_src ***out, size_t *n)
{
    struct collect c = {0};
    *out = NULL;
    *n = 0;
    if (cs->nsrc > 0)
        GEOSSTRtree_query_r(h, cs->tree, g, collect_cb, &c);
    if (c.nomem) {
        free(c.items);
        return PK_ERR_NOMEM;
    }
    /* tree order is not stable across runs: sort by address (= load order) */
    if (c.n > 1)
        qsort(c.items, c.n, sizeof *c.items, cmp_src);
    *out = c.items;
    *n = c.n;
    return PK_OK;
}
