/* map_sources.c — the in-memory feature sets a printed map draws where the
 * store has no layer as the style names it (render_int.h's pk_render_set):
 * the tile contract's derived layers (`labels`: a point inside each polygon
 * feature with layer, fid and name; `tasks`: one feature per task and
 * covering geometry), a store layer with pk_coverage's tasks, task_ids and
 * share added, one task's zones and footprints, and an atlas layer's
 * features. Geometries stay in the store CRS. */
#include <stdlib.h>
#include <string.h>

#include "cover_int.h"
#include "map_int.h"
#include "plankit/query.h"

/* ---- building sets */

/* A new empty set with the given property names; NULL when out of memory. */
static struct pk_render_set *set_new(const char *name, const char *const *names, int n)
{
    struct pk_render_set *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name)) || !(s->names = calloc((size_t)n + 1, sizeof *s->names))) {
        if (s)
            free(s->name);
        free(s);
        return NULL;
    }
    for (int i = 0; i < n; i++, s->nnames++)
        if (!(s->names[i] = strdup(names[i]))) {
            pk_render_set_free(NULL, s);
            return NULL;
        }
    return s;
}

/* Append a feature: geom is taken (destroyed on failure), the values'
 * texts copied. 0, or -1 when out of memory. */
static int set_add(GEOSContextHandle_t h, struct pk_render_set *s, long long fid, GEOSGeometry *geom,
                   const struct pk_value *values)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct pk_render_feature *f = realloc(s->f, cap * sizeof *f);
        if (!f) {
            GEOSGeom_destroy_r(h, geom);
            return -1;
        }
        s->f = f, s->cap = cap;
    }
    struct pk_render_feature *rf = &s->f[s->n];
    memset(rf, 0, sizeof *rf);
    rf->fid = fid;
    rf->geom = geom;
    s->n++;
    if (!GEOSGeom_getXMin_r(h, geom, &rf->box[0]) || !GEOSGeom_getYMin_r(h, geom, &rf->box[1]) ||
        !GEOSGeom_getXMax_r(h, geom, &rf->box[2]) || !GEOSGeom_getYMax_r(h, geom, &rf->box[3]))
        rf->box[0] = rf->box[1] = 1, rf->box[2] = rf->box[3] = 0; /* empty: never meets a view */
    if (!(rf->props = calloc((size_t)s->nnames + 1, sizeof *rf->props)))
        return -1;
    for (int i = 0; i < s->nnames; i++) {
        rf->props[i] = values[i];
        rf->props[i].s = NULL;
        if (values[i].type == PK_VAL_TEXT && !(rf->props[i].s = strdup(values[i].s ? values[i].s : "")))
            return -1;
    }
    return 0;
}

static struct pk_value text_value(const char *s)
{
    return s ? (struct pk_value){.type = PK_VAL_TEXT, .s = s} : (struct pk_value){.type = PK_VAL_NULL};
}

void map_sets_free(struct pk_store *store, struct map_sets *sets)
{
    for (int i = 0; i < sets->n; i++)
        pk_render_set_free(pk_geos(pk_store_ctx(store)), sets->set[i]);
    sets->n = 0;
}

static int sets_append(struct pk_ctx *ctx, struct map_sets *sets, struct pk_render_set *s)
{
    if (sets->n == (int)(sizeof sets->set / sizeof sets->set[0])) {
        pk_render_set_free(pk_geos(ctx), s);
        return pk_error(ctx, PK_ERR_ARGS, "a map draws at most %d derived layers", sets->n);
    }
    sets->set[sets->n++] = s;
    return PK_OK;
}

/* ---- reading a store layer into a set */

/* What a read of a layer into a set does with each feature. */
struct layer_read {
    struct pk_ctx *ctx;
    struct pk_render_set *set;
    const struct pk_layer_ref *layer;
    int label_point;          /* the labels layer: a point inside polygons */
    const struct pk_table *cov; /* coverage rows by fid (column fid), or NULL */
    int nfields;              /* the layer's own fields first, then tasks, task_ids, share */
};

/* The coverage row of fid in R->cov (one row per feature, in fid order), or -1. */
static long cov_row(const struct layer_read *R, long long fid)
{
    int c = pk_table_col(R->cov, "fid");
    size_t lo = 0, hi = R->cov->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        long long v = 0;
        if (!pk_table_get_int(R->cov, mid, c, &v))
            return -1; /* (not reached: every row has its fid) */
        if (v == fid)
            return (long)mid;
        if (v < fid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int read_one(void *arg, struct pk_feature *f)
{
    struct layer_read *R = arg;
    GEOSContextHandle_t h = pk_geos(R->ctx);
    if (!f->geom || GEOSisEmpty_r(h, f->geom))
        return PK_OK;
    struct pk_value v[64] = {{0}};
    GEOSGeometry *g;
    if (R->label_point) {
        if (!(g = GEOSPointOnSurface_r(h, f->geom)))
            return PK_OK; /* a polygon GEOS cannot place a point in is not labelled */
        v[0] = text_value(R->layer->name);
        v[1] = (struct pk_value){.type = PK_VAL_INT, .i = f->fid};
        v[2] = text_value(f->label);
    } else {
        g = f->geom;
        f->geom = NULL; /* taken */
        for (int i = 0; i < f->nattrs && i < 60; i++)
            v[i] = f->attrs[i];
        long r = R->cov ? cov_row(R, f->fid) : -1;
        if (r >= 0) {
            long long tasks = 0;
            double share = 0;
            pk_table_get_int(R->cov, (size_t)r, pk_table_col(R->cov, "tasks"), &tasks);
            int has_share = pk_table_get_real(R->cov, (size_t)r, pk_table_col(R->cov, "share"), &share);
            v[R->nfields] = (struct pk_value){.type = PK_VAL_INT, .i = tasks};
            v[R->nfields + 1] = text_value(pk_table_get(R->cov, (size_t)r, pk_table_col(R->cov, "task_ids")));
            v[R->nfields + 2] = has_share ? (struct pk_value){.type = PK_VAL_REAL, .d = share}
                                          : (struct pk_value){.type = PK_VAL_NULL};
        }
    }
    if (set_add(h, R->set, f->fid, g, v) != 0)
        return pk_error(R->ctx, PK_ERR_NOMEM, "out of memory reading layer '%s'", R->layer->name);
    return PK_OK;
}

/* Read every feature of layer through the store's own connection. */
static int read_layer(struct pk_store *store, struct layer_read *R, const char *const *attrs, int nattrs)
{
    struct pk_reader_spec spec = {.layer = R->layer, .with_geom = 1, .nattrs = nattrs, .attrs = attrs,
                                  .label_field = R->label_point && R->layer->name_field[0] ? R->layer->name_field
                                                                                          : NULL};
    struct pk_reader *r = NULL;
    int rc = pk_reader_new(R->ctx, store->db, &spec, &r);
    if (rc == PK_OK)
        rc = pk_reader_all(r, read_one, R);
    pk_reader_free(r);
    return rc;
}

/* ---- the labels layer */

static int make_labels(struct pk_store *store, struct map_sets *sets)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    static const char *const names[] = {"layer", "fid", "name"};
    struct pk_render_set *s = set_new("labels", names, 3);
    if (!s)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory making the labels layer");
    sqlite3_stmt *st = NULL;
    int rc = pk_sql_prepare(store, "SELECT name FROM pk_layers WHERE upper(geometry_type) LIKE '%POLYGON%' "
                                   "ORDER BY id", &st);
    char **layer_names = NULL;
    int n = 0, step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        char **ln = realloc(layer_names, sizeof *ln * (size_t)(n + 1));
        if (!ln || !(ln[n] = strdup((const char *)sqlite3_column_text(st, 0)))) {
            layer_names = ln ? ln : layer_names;
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory making the labels layer");
            break;
        }
        layer_names = ln, n++;
    }
    if (rc == PK_OK)
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    for (int i = 0; rc == PK_OK && i < n; i++) {
        struct pk_layer_ref ref;
        struct layer_read R = {.ctx = ctx, .set = s, .layer = &ref, .label_point = 1};
        if ((rc = pk_layer_find(store, layer_names[i], &ref)) == PK_OK)
            rc = read_layer(store, &R, NULL, 0);
    }
    for (int i = 0; i < n; i++)
        free(layer_names[i]);
    free(layer_names);
    if (rc != PK_OK) {
        pk_render_set_free(pk_geos(ctx), s);
        return rc;
    }
    return sets_append(ctx, sets, s);
}

/* ---- the tasks layer and one task's geometries */

/* The tasks layer's properties of task k: id, title, pillar, status, progress. */
static int task_props(struct pk_store *store, const char *id, struct pk_value v[5], char *buf[3])
{
    sqlite3_stmt *st = NULL;
    int rc = pk_sql_prepare(store, "SELECT title, classification, status, progress FROM pk_tasks WHERE id = ?1", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        for (int i = 0; i < 3; i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            buf[i] = strdup(t ? t : "");
            if (!buf[i])
                rc = pk_error(pk_store_ctx(store), PK_ERR_NOMEM, "out of memory reading task %s", id);
        }
        v[0] = text_value(id);
        for (int i = 0; i < 3; i++)
            v[1 + i] = text_value(buf[i]);
        v[4] = (struct pk_value){.type = PK_VAL_INT, .i = (long long)(sqlite3_column_double(st, 3) + 0.5)};
    } else if (step == SQLITE_DONE) {
        rc = pk_error(pk_store_ctx(store), PK_ERR_NOTFOUND, "task '%s' does not exist (see 'plankit task list')", id);
    } else {
        rc = pk_error_db(store, "reading a task");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The name of store layer id into buf ("" when unknown); a failed read
 * is an error. */
static int name_of_layer(struct pk_store *store, long long id, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    int rc = pk_sql_prepare(store, "SELECT name FROM pk_layers WHERE id = ?1", &st);
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    else if (step != SQLITE_ROW)
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    return rc;
}

/* Add to s one feature per (task, covering geometry) of the cover set,
 * only of task `only` when not NULL. Properties: id, title, pillar,
 * status, progress, kind, layer. *found: geometries added. */
static int add_task_features(struct pk_store *store, const struct pk_cover_set *cs, const char *only,
                             struct pk_render_set *s)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    GEOSContextHandle_t h = pk_geos(ctx);
    int rc = PK_OK;
    for (size_t t = 0; rc == PK_OK && t < cs->ntasks; t++) {
        if (only && strcmp(cs->task_ids[t], only))
            continue;
        struct pk_value v[7];
        char *buf[3] = {NULL, NULL, NULL};
        rc = task_props(store, cs->task_ids[t], v, buf);
        for (size_t i = 0; rc == PK_OK && i < cs->nsrc; i++) {
            const struct pk_cover_src *src = &cs->src[i];
            int has = 0;
            for (int k = 0; k < src->ntasks; k++)
                has |= src->tasks[k] == (int)t;
            if (!has)
                continue;
            char lname[128] = "";
            if (src->layer_id && (rc = name_of_layer(store, src->layer_id, lname, sizeof lname)) != PK_OK)
                break;
            v[5] = text_value(src->layer_id ? "zone" : "footprint");
            v[6] = src->layer_id ? text_value(lname) : (struct pk_value){.type = PK_VAL_NULL};
            GEOSGeometry *g = GEOSGeom_clone_r(h, src->g);
            if (!g || set_add(h, s, (long long)s->n + 1, g, v) != 0)
                rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory making the tasks layer");
        }
        for (int i = 0; i < 3; i++)
            free(buf[i]);
    }
    return rc;
}

static const char *const task_names[] = {"id", "title", "pillar", "status", "progress", "kind", "layer"};

static int make_tasks(struct pk_store *store, struct map_sets *sets)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct pk_cover_filter filter = {NULL, NULL, 0, 1};
    struct pk_cover_set *cs = NULL;
    struct pk_render_set *s = set_new("tasks", task_names, 7);
    int rc = s ? pk_cover_set_load(store, &filter, &cs) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK)
        rc = add_task_features(store, cs, NULL, s);
    pk_cover_set_free(cs);
    if (rc != PK_OK) {
        pk_render_set_free(pk_geos(ctx), s);
        return rc;
    }
    return sets_append(ctx, sets, s);
}

int map_set_of_task(struct pk_store *store, const char *id, const char *name, struct pk_render_set **out,
                    char **title)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct pk_value v[5];
    char *buf[3] = {NULL, NULL, NULL};
    *out = NULL;
    *title = NULL;
    int rc = task_props(store, id, v, buf); /* does it exist, and its title */
    free(buf[1]);
    free(buf[2]);
    if (rc != PK_OK) {
        free(buf[0]);
        return rc;
    }
    struct pk_cover_filter filter = {NULL, NULL, 0, 1};
    struct pk_cover_set *cs = NULL;
    struct pk_render_set *s = set_new(name, task_names, 7);
    rc = s ? pk_cover_set_load(store, &filter, &cs) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK)
        rc = add_task_features(store, cs, id, s);
    pk_cover_set_free(cs);
    if (rc != PK_OK) {
        pk_render_set_free(pk_geos(ctx), s);
        free(buf[0]);
        return rc;
    }
    *out = s;
    *title = buf[0];
    return PK_OK;
}

int map_set_of_layer(struct pk_store *store, const struct pk_layer_ref *layer, const char *name,
                     struct pk_render_set **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct pk_render_set *s = set_new(name, NULL, 0);
    struct layer_read R = {.ctx = ctx, .set = s, .layer = layer};
    int rc = s ? read_layer(store, &R, NULL, 0) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc != PK_OK) {
        pk_render_set_free(pk_geos(ctx), s);
        s = NULL;
    }
    *out = s;
    return rc;
}

/* ---- coverage fields */

/* The non-BLOB fields of a layer, in order (caller frees each and the array). */
static int layer_fields(struct pk_store *store, const struct pk_layer_ref *layer, char ***out, int *n)
{
    sqlite3_stmt *st = NULL;
    *out = NULL, *n = 0;
    int rc = pk_sql_prepare(store, "SELECT name FROM pk_fields WHERE layer_id = ?1 AND type <> 'BLOB' "
                                   "ORDER BY position", &st);
    if (rc == PK_OK)
        sqlite3_bind_int64(st, 1, layer->id);
    int step = SQLITE_DONE;
    while (rc == PK_OK && *n < 60 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        char **f = realloc(*out, sizeof *f * (size_t)(*n + 4));
        if (!f || !(f[*n] = strdup((const char *)sqlite3_column_text(st, 0)))) {
            *out = f ? f : *out;
            rc = pk_error(pk_store_ctx(store), PK_ERR_NOMEM, "out of memory");
            break;
        }
        *out = f, (*n)++;
    }
    if (rc == PK_OK && *n < 60)
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    return rc;
}

/* A copy of layer with tasks, task_ids and share from pk_coverage. */
static int make_coverage(struct pk_store *store, const struct pk_layer_ref *layer, struct map_sets *sets)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    char **fields = NULL;
    int n = 0;
    struct pk_table *cov = NULL;
    struct pk_render_set *s = NULL;
    int rc = layer_fields(store, layer, &fields, &n);
    if (rc == PK_OK) {
        struct pk_coverage_opts co = {.by_layer = layer->name};
        rc = pk_coverage(store, &co, &cov, NULL, NULL);
    }
    if (rc == PK_OK) {
        const char *names[64];
        for (int i = 0; i < n; i++)
            names[i] = fields[i];
        names[n] = "tasks", names[n + 1] = "task_ids", names[n + 2] = "share";
        if (!(s = set_new(layer->name, names, n + 3)))
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (rc == PK_OK) {
        struct layer_read R = {.ctx = ctx, .set = s, .layer = layer, .cov = cov, .nfields = n};
        rc = read_layer(store, &R, (const char *const *)fields, n);
    }
    for (int i = 0; i < n; i++)
        free(fields[i]);
    free(fields);
    pk_table_free(cov);
    if (rc != PK_OK) {
        pk_render_set_free(pk_geos(ctx), s);
        return rc;
    }
    return sets_append(ctx, sets, s);
}

/* Does a style layer read a coverage field? */
struct cov_probe {
    int reads;
};
static void probe_field(void *arg, const char *name)
{
    struct cov_probe *P = arg;
    P->reads |= !strcmp(name, "tasks") || !strcmp(name, "task_ids") || !strcmp(name, "share");
}

/* 1 if a set named name is in sets. */
static int has_set(const struct map_sets *sets, const char *name)
{
    for (int i = 0; i < sets->n; i++)
        if (!strcmp(sets->set[i]->name, name))
            return 1;
    return 0;
}

/* Whether layer has a field called name into *yes; a failed read is an error. */
static int layer_has_field(struct pk_store *store, const struct pk_layer_ref *layer, const char *name, int *yes)
{
    sqlite3_stmt *st = NULL;
    *yes = 0;
    int rc = pk_sql_prepare(store, "SELECT 1 FROM pk_fields WHERE layer_id = ?1 AND name = ?2", &st);
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_int64(st, 1, layer->id);
    pk_sql_bind_text(st, 2, name);
    int step = sqlite3_step(st);
    *yes = step == SQLITE_ROW;
    if (step != SQLITE_ROW)
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    return rc;
}

/* The set style layer l needs, if any. */
static int set_for_layer(struct pk_store *store, const struct pk_style_layer *l, struct map_sets *sets)
{
    struct pk_layer_ref ref;
    const char *sl = l->source_layer;
    if (!sl || has_set(sets, sl))
        return PK_OK;
    int rc = pk_layer_find(store, sl, &ref);
    if (rc == PK_ERR_NOTFOUND && (!strcmp(sl, "labels") || !strcmp(sl, "tasks"))) {
        pk_error_clear(pk_store_ctx(store));
        return !strcmp(sl, "labels") ? make_labels(store, sets) : make_tasks(store, sets);
    }
    if (rc != PK_OK)
        return rc;
    struct cov_probe P = {0};
    pk_expr_fields(l->filter, probe_field, &P);
    for (int p = 0; p < PK_P_COUNT; p++)
        pk_expr_fields(l->prop[p], probe_field, &P);
    int share = 0, tasks = 0;
    if (P.reads && ((rc = layer_has_field(store, &ref, "share", &share)) != PK_OK ||
                    (rc = layer_has_field(store, &ref, "tasks", &tasks)) != PK_OK))
        return rc;
    if (P.reads && !share && !tasks)
        return make_coverage(store, &ref, sets);
    return PK_OK;
}

int map_sets_for_style(struct pk_store *store, const struct pk_style *style, struct map_sets *sets)
{
    int rc = PK_OK;
    for (int i = 0; rc == PK_OK && i < style->nlayers; i++)
        if (style->layers[i].type != PK_STYLE_BACKGROUND)
            rc = set_for_layer(store, &style->layers[i], sets);
    return rc;
}
