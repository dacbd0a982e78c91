/* tiler_extra.c — what an export adds to the store layers' features
 * (the tile contract of include/plankit/tiles.h): the coverage fields of one layer (pk_coverage's own
 * numbers), the `tasks` layer (one feature per task and covering geometry,
 * from the cover set coverage uses) and the `labels` layer (one point inside
 * each polygon feature). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover_int.h"
#include "crs_int.h"
#include "tiler_read_int.h"
#include "plankit/query.h"

/* The layer's field key named name (borrowed from the layer). */
static const char *key_of(const struct tl_layer *l, const char *name)
{
    for (int i = 0; i < l->nfields; i++)
        if (strcmp(l->fields[i], name) == 0)
            return l->fields[i];
    return name; /* not reached: the layers module added it */
}

static int grow_attrs(struct tl_feature *f, int more)
{
    struct pk_mvt_attr *a = realloc(f->attrs, (size_t)(f->nattrs + more) * sizeof *a);
    if (!a)
        return -1;
    f->attrs = a;
    return 0;
}

static int add_str(struct tl_feature *f, const char *key, const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        return -1;
    f->attrs[f->nattrs++] = (struct pk_mvt_attr){.key = key, .type = PK_MVT_STRING, .v.s = copy};
    return 0;
}

/* The feature of layer `layer` with fid, by binary search (features are in
 * layer then fid order); NULL when absent. */
static struct tl_feature *find_feature(struct tl_features *F, int layer, long long fid)
{
    size_t lo = 0, hi = F->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct tl_feature *f = &F->f[mid];
        if (f->layer < layer || (f->layer == layer && f->fid < fid))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < F->n && F->f[lo].layer == layer && F->f[lo].fid == fid ? &F->f[lo] : NULL;
}

int tl_add_coverage(struct pk_store *S, const struct tl_layers *L, struct tl_features *F)
{
    struct pk_ctx *ctx = pk_store_ctx(S);
    const struct tl_layer *l = &L->l[L->coverage];
    struct pk_coverage_opts co = {.by_layer = l->name};
    struct pk_table *t = NULL;
    int rc = pk_coverage(S, &co, &t, NULL, NULL);
    if (rc != PK_OK)
        return rc;
    int cfid = pk_table_col(t, "fid"), ctasks = pk_table_col(t, "tasks"), cids = pk_table_col(t, "task_ids"),
        cshare = pk_table_col(t, "share");
    for (size_t r = 0; rc == PK_OK && r < t->nrows; r++) {
        long long fid = 0, tasks = 0;
        double share = 0;
        struct tl_feature *f = pk_table_get_int(t, r, cfid, &fid) ? find_feature(F, L->coverage, fid) : NULL;
        if (!f)
            continue; /* a feature without geometry: not in the tiles */
        if (grow_attrs(f, 3) != 0 || add_str(f, key_of(l, "task_ids"), pk_table_get(t, r, cids)) != 0) {
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
            break;
        }
        pk_table_get_int(t, r, ctasks, &tasks);
        f->attrs[f->nattrs++] = (struct pk_mvt_attr){.key = key_of(l, "tasks"), .type = PK_MVT_INT, .v.i = tasks};
        if (pk_table_get_real(t, r, cshare, &share)) /* (no share: a feature of no area) */
            f->attrs[f->nattrs++] = (struct pk_mvt_attr){.key = key_of(l, "share"), .type = PK_MVT_DOUBLE,
                                                         .v.d = share};
    }
    pk_table_free(t);
    return rc;
}

/* Append the n features of extra to F (taking them). */
static int append(struct pk_ctx *ctx, struct tl_features *F, struct tl_feature *extra, size_t n)
{
    struct tl_feature *g = realloc(F->f, (F->n + n + 1) * sizeof *g);
    if (!g) {
        for (size_t i = 0; i < n; i++)
            tl_feature_release(&extra[i]);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    F->f = g;
    memcpy(F->f + F->n, extra, n * sizeof *extra);
    F->n += n;
    return PK_OK;
}

/* One label point for polygon feature f. */
static int make_label(const struct tl_layers *L, const struct tl_feature *f, long long id, struct tl_feature *lf)
{
    const struct tl_layer *ll = &L->l[L->labels];
    memset(lf, 0, sizeof *lf);
    lf->fid = id;
    lf->layer = L->labels;
    lf->type = PK_MVT_POINT;
    lf->xy = malloc(2 * sizeof *lf->xy);
    lf->parts = malloc(sizeof *lf->parts);
    lf->attrs = calloc(3, sizeof *lf->attrs);
    if (!lf->xy || !lf->parts || !lf->attrs || add_str(lf, key_of(ll, "layer"), L->l[f->layer].name) != 0)
        return -1;
    lf->xy[0] = lf->box[0] = lf->box[2] = lf->label[0] = f->label[0];
    lf->xy[1] = lf->box[1] = lf->box[3] = lf->label[1] = f->label[1];
    lf->npts = 1;
    lf->parts[0] = (struct tl_part){0, 1, 0};
    lf->nparts = 1;
    lf->attrs[lf->nattrs++] = (struct pk_mvt_attr){.key = key_of(ll, "fid"), .type = PK_MVT_INT, .v.i = f->fid};
    return f->name ? add_str(lf, key_of(ll, "name"), f->name) : 0;
}

int tl_add_labels(struct pk_ctx *ctx, const struct tl_layers *L, struct tl_features *F)
{
    size_t n = 0;
    for (size_t i = 0; i < F->n; i++)
        n += F->f[i].type == PK_MVT_POLYGON && F->f[i].npts > 0 && L->l[F->f[i].layer].store;
    struct tl_feature *extra = calloc(n + 1, sizeof *extra);
    if (!extra)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    size_t k = 0;
    int rc = PK_OK;
    for (size_t i = 0; rc == PK_OK && i < F->n; i++) {
        const struct tl_feature *f = &F->f[i];
        if (f->type != PK_MVT_POLYGON || f->npts == 0 || !L->l[f->layer].store)
            continue;
        if (make_label(L, f, (long long)k + 1, &extra[k]) != 0)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        k++;
    }
    if (rc == PK_OK)
        rc = append(ctx, F, extra, k);
    else
        for (size_t i = 0; i < k; i++)
            tl_feature_release(&extra[i]);
    free(extra);
    return rc;
}

/* What the tasks layer says of a task. */
struct task_info {
    char *title, *pillar, *status;
    long long progress;
};

static void task_infos_free(struct task_info *ti, size_t n)
{
    for (size_t i = 0; ti && i < n; i++) {
        free(ti[i].title);
        free(ti[i].pillar);
        free(ti[i].status);
    }
    free(ti);
}

/* Title, pillar, status and progress of every task of the set. */
static int read_task_infos(struct pk_store *S, const struct pk_cover_set *cs, struct task_info **out)
{
    sqlite3_stmt *st = NULL;
    struct task_info *ti = calloc(cs->ntasks + 1, sizeof *ti);
    int rc = ti ? pk_sql_prepare(S, "SELECT id, title, classification, status, progress FROM pk_tasks", &st)
                : pk_error(pk_store_ctx(S), PK_ERR_NOMEM, "out of memory"), step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int k = pk_cover_task_index(cs, (const char *)sqlite3_column_text(st, 0));
        if (k < 0)
            continue;
        const char *c[3] = {(const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
                            (const char *)sqlite3_column_text(st, 3)};
        ti[k].title = strdup(c[0] ? c[0] : "");
        ti[k].pillar = strdup(c[1] ? c[1] : "");
        ti[k].status = strdup(c[2] ? c[2] : "");
        ti[k].progress = (long long)(sqlite3_column_double(st, 4) + 0.5);
        if (!ti[k].title || !ti[k].pillar || !ti[k].status)
            rc = pk_error(pk_store_ctx(S), PK_ERR_NOMEM, "out of memory");
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(S, "reading the tasks");
    sqlite3_finalize(st);
    if (rc != PK_OK) {
        task_infos_free(ti, cs->ntasks);
        ti = NULL;
    }
    *out = ti;
    return rc;
}

/* The tasks-layer feature of task k over covering geometry s (in EPSG:3857
 * as m). */
static int make_task_feature(struct pk_ctx *ctx, const struct tl_layers *L, const struct tl_grid *grid,
                             const struct pk_cover_set *cs, const struct task_info *ti, int k,
                             const struct pk_cover_src *s, const char *layer_name, const GEOSGeometry *m,
                             long long id, struct tl_feature *tf)
{
    const struct tl_layer *tl = &L->l[L->tasks];
    memset(tf, 0, sizeof *tf);
    tf->fid = id;
    tf->layer = L->tasks;
    int rc = tl_feature_set_geom(ctx, tf, grid, m);
    if (rc != PK_OK)
        return rc;
    tf->attrs = calloc(7, sizeof *tf->attrs);
    if (!tf->attrs || add_str(tf, key_of(tl, "id"), cs->task_ids[k]) || add_str(tf, key_of(tl, "title"), ti[k].title) ||
        add_str(tf, key_of(tl, "pillar"), ti[k].pillar) || add_str(tf, key_of(tl, "status"), ti[k].status) ||
        add_str(tf, key_of(tl, "kind"), s->layer_id ? "zone" : "footprint") ||
        (s->layer_id && add_str(tf, key_of(tl, "layer"), layer_name)))
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    tf->attrs[tf->nattrs++] = (struct pk_mvt_attr){.key = key_of(tl, "progress"), .type = PK_MVT_INT,
                                                   .v.i = ti[k].progress};
    return PK_OK;
}

/* The name of store layer id into buf ("" when unknown). */
static void layer_name(struct pk_store *S, long long id, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    if (pk_sql_prepare(S, "SELECT name FROM pk_layers WHERE id = ?1", &st) != PK_OK)
        return;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

int tl_add_tasks(struct pk_store *S, struct pk_worker *w, const struct tl_layers *L, const struct tl_grid *grid,
                 struct tl_features *F)
{
    struct pk_ctx *ctx = pk_store_ctx(S);
    struct pk_cover_filter filter = {NULL, NULL, 0, 1};
    struct pk_cover_set *cs = NULL;
    struct task_info *ti = NULL;
    struct tl_feature *extra = NULL;
    size_t n = 0, k = 0;
    int rc = pk_cover_set_load(S, &filter, &cs);
    if (rc == PK_OK)
        rc = read_task_infos(S, cs, &ti);
    for (size_t i = 0; rc == PK_OK && i < cs->nsrc; i++)
        n += (size_t)cs->src[i].ntasks;
    if (rc == PK_OK && !(extra = calloc(n + 1, sizeof *extra)))
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    struct pk_transform *tr = rc == PK_OK ? pk_worker_transform(w, 3857, &rc) : NULL;
    for (size_t i = 0; rc == PK_OK && i < cs->nsrc; i++) {
        const struct pk_cover_src *s = &cs->src[i];
        char lname[128] = "";
        if (s->layer_id)
            layer_name(S, s->layer_id, lname, sizeof lname);
        GEOSGeometry *m = tr ? pk_transform_geom(ctx, tr, s->g) : NULL;
        if (tr && !m) {
            rc = pk_errcode(ctx) ? pk_errcode(ctx) : PK_ERR_GDAL;
            break;
        }
        for (int t = 0; rc == PK_OK && t < s->ntasks; t++, k++)
            rc = make_task_feature(ctx, L, grid, cs, ti, s->tasks[t], s, lname, m ? m : s->g, (long long)k + 1,
                                   &extra[k]);
        if (m)
            GEOSGeom_destroy_r(pk_geos(ctx), m);
    }
    if (rc == PK_OK)
        rc = append(ctx, F, extra, k);
    else
        for (size_t i = 0; extra && i < k + 1 && i < n; i++)
            tl_feature_release(&extra[i]);
    free(extra);
    task_infos_free(ti, cs ? cs->ntasks : 0);
    pk_cover_set_free(cs);
    return rc;
}
