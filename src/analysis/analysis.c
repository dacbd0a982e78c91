/* analysis.c — buffer (in metres, computed in the metric CRS) and dissolve
 * (union by a field), written to a new store layer or a file.
 *
 * Both read the input layer whole (overlay_input.c), compute one result per
 * item on a thread pool (a feature for buffer, a group for dissolve), then
 * write the results in input order through a sink, all in one transaction.
 * Areas are measured on the stored result by pk_worker_area, as every
 * command measures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs_int.h"
#include "geom_int.h"
#include "overlay_int.h"
#include "pool_int.h"
#include "sink_int.h"
#include "worker_int.h"

struct analysis {
    struct pk_store *store;
    struct pk_ov_input in;
    struct pk_worker_conf crs;
    double distance;
    int quadsegs;
    int threads;                /* the option: 0 = one per CPU */
    int metric_out;             /* keep results in the metric CRS (for a later union) */
    size_t nitems;              /* length of out, area and rc */
    GEOSGeometry **out;         /* per item result */
    double *area;
    int *rc;
    /* dissolve groups: item i unions members[i][0..nmembers[i]) */
    size_t **members;
    size_t *nmembers;
};

/* Pool item i of buffer: feature i grown by A->distance in the metric CRS
 * into A->out[i] (store CRS and measured into A->area[i], or left in the
 * metric CRS for the merge), NULL when empty; errors in A->rc[i]. A NULL
 * state is a worker that could not start. */
static void buffer_item(void *state, size_t i, void *arg)
{
    struct pk_worker *t = state;
    struct analysis *A = arg;
    if (!t || t->rc != PK_OK) {
        A->rc[i] = PK_ERR_NOMEM;
        return;
    }
    GEOSContextHandle_t h = pk_geos(t->ctx);
    const GEOSGeometry *g = A->in.geoms[i];
    if (!g)
        return;
    /* (no transform when the store CRS is the metric CRS) */
    GEOSGeometry *m = t->to_m ? pk_transform_geom(t->ctx, t->to_m, g) : GEOSGeom_clone_r(h, g);
    GEOSGeometry *b = m ? GEOSBuffer_r(h, m, A->distance, A->quadsegs) : NULL;
    if (m)
        GEOSGeom_destroy_r(h, m);
    if (!b) {
        A->rc[i] = PK_ERR_GEOS;
        return;
    }
    if (GEOSisEmpty_r(h, b) == 1) {
        GEOSGeom_destroy_r(h, b);
        return;
    }
    if (A->metric_out) { /* to be merged: measured after the union */
        A->out[i] = b;
        return;
    }
    GEOSGeometry *back = t->from_m ? pk_transform_geom(t->ctx, t->from_m, b) : b;
    if (back != b)
        GEOSGeom_destroy_r(h, b);
    A->out[i] = back ? pk_geom_promote_multi(t->ctx, back) : NULL;
    /* measured as every command measures the stored result (layer info agrees) */
    if (!back)
        A->rc[i] = PK_ERR_DATA;
    else
        A->rc[i] = pk_worker_area(t, A->out[i], &A->area[i]);
}

/* Pool item i of dissolve: the union of group i's members into A->out[i]
 * (polygons promoted to a multipolygon), measured into A->area[i]; errors
 * in A->rc[i]. */
static void dissolve_item(void *state, size_t i, void *arg)
{
    struct pk_worker *t = state;
    struct analysis *A = arg;
    if (!t || t->rc != PK_OK) {
        A->rc[i] = PK_ERR_NOMEM;
        return;
    }
    size_t n = A->nmembers[i];
    const GEOSGeometry **members = malloc((n ? n : 1) * sizeof *members);
    GEOSGeometry *u = NULL;
    for (size_t k = 0; members && k < n; k++)
        members[k] = A->in.geoms[A->members[i][k]];
    int rc = members ? pk_geom_union_all(t->ctx, members, n, &u) : PK_ERR_NOMEM;
    free(members);
    if (rc != PK_OK) {
        A->rc[i] = rc;
        return;
    }
    if (!u) /* no member has a geometry */
        return;
    u = pk_geom_is_polygonal(t->ctx, u) ? pk_geom_promote_multi(t->ctx, u) : u;
    A->out[i] = u;
    A->rc[i] = pk_worker_area(t, u, &A->area[i]);
}

/* Ready A for nitems results (out, area, rc) on the store; the store must
 * have a metric CRS. */
static int setup(struct pk_store *store, struct analysis *A, size_t nitems)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    A->store = store;
    if (!pk_store_measure_srid(store))
        return pk_error(ctx, PK_ERR_ARGS, "the store has no metric CRS yet (load a layer first)");
    pk_worker_conf_init(&A->crs, store);
    A->nitems = nitems;
    A->out = calloc(nitems ? nitems : 1, sizeof *A->out);
    A->area = calloc(nitems ? nitems : 1, sizeof *A->area);
    A->rc = calloc(nitems ? nitems : 1, sizeof *A->rc);
    return A->out && A->area && A->rc ? PK_OK : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
}

/* Free everything A holds (results, groups, the input). */
static void teardown(struct pk_ctx *ctx, struct analysis *A)
{
    for (size_t i = 0; A->out && i < A->nitems; i++)
        if (A->out[i])
            GEOSGeom_destroy_r(pk_geos(ctx), A->out[i]);
    for (size_t i = 0; A->members && i <= A->in.n; i++)
        free(A->members[i]);
    free(A->members);
    free(A->nmembers);
    free(A->out);
    free(A->area);
    free(A->rc);
    pk_ov_input_release(ctx, &A->in);
}

/* Run fn over items 0..n-1 on a pool of A->threads workers, 256 items at a
 * time (so progress is reported and cancelling takes effect between
 * slices): the first item in error fails the run, naming its feature.
 * Each slice sees shifted views of A's arrays, so items are 0..len-1. */
static int run_pool(struct analysis *A, size_t n, pk_pool_item_fn fn, pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(A->store);
    struct pk_worker main_state;
    pk_worker_init(&main_state, ctx, &A->crs);
    struct pk_pool *pool = pk_pool_new(pk_pool_threads(A->threads), pk_worker_new, pk_worker_free, &A->crs);
    int rc = main_state.rc != PK_OK ? main_state.rc : pool ? PK_OK : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t start = 0; rc == PK_OK && start < n; start += 256) {
        size_t len = n - start < 256 ? n - start : 256;
        struct analysis sub = *A;
        sub.out = A->out + start, sub.area = A->area + start, sub.rc = A->rc + start;
        sub.in.geoms = A->in.geoms + (A->members ? 0 : start);
        sub.members = A->members ? A->members + start : NULL;
        sub.nmembers = A->nmembers ? A->nmembers + start : NULL;
        pk_pool_run(pool, &main_state, len, fn, &sub);
        for (size_t i = start; i < start + len && rc == PK_OK; i++)
            if (A->rc[i] != PK_OK)
                rc = pk_error(ctx, A->rc[i], "layer '%s' feature %lld: %s", A->in.ref.name,
                              A->members ? A->in.fids[A->members[i][0]] : A->in.fids[i],
                              A->rc[i] == PK_ERR_DATA ? "cannot transform back to the store CRS" : "GEOS operation failed");
        if (rc == PK_OK && progress && !progress((double)(start + len) / (double)(n ? n : 1), NULL, arg))
            rc = pk_error(ctx, PK_ERR_CANCELLED, "cancelled");
    }
    pk_pool_free(pool);
    pk_worker_release(&main_state);
    return rc;
}

/* The end of buffer and dissolve: finish or discard the output (which
 * inherits the input's provenance and accuracy, as `what` of it), free the
 * analysis, drop a temporary input layer, and commit or roll back. */
static int finish(struct pk_store *store, struct analysis *A, struct pk_sink *sink, const char *out,
                  const char *what, int rc, long long *count)
{
    if (rc == PK_OK && sink) {
        rc = pk_sink_finish(sink, count);
        sink = NULL;
        if (rc == PK_OK)
            rc = pk_ov_inherit_accuracy(store, out, what, A->in.ref.name, NULL);
    }
    pk_sink_abort(sink);
    teardown(pk_store_ctx(store), A);
    if (rc == PK_OK)
        rc = pk_ov_input_drop_temp(store, &A->in);
    if (rc == PK_OK)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    return rc;
}

/* The columns of one buffer per feature: src_fid, the input's attributes,
 * area_m2. *cols: caller frees (names borrowed from A->in). */
static int buffer_columns(struct pk_ctx *ctx, const struct analysis *A, struct pk_column **cols)
{
    *cols = calloc((size_t)A->in.ncols + 2, sizeof **cols);
    if (!*cols)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    (*cols)[0].name = "src_fid", (*cols)[0].type = "INTEGER";
    for (int c = 0; c < A->in.ncols; c++)
        (*cols)[c + 1].name = A->in.colnames[c], (*cols)[c + 1].type = A->in.coltypes[c];
    (*cols)[A->in.ncols + 1].name = "area_m2", (*cols)[A->in.ncols + 1].type = "REAL";
    return PK_OK;
}

/* Open the output and write each feature's buffer (features whose buffer
 * is empty are left out) with its fid, attributes and area. *sink: the
 * caller finishes or aborts it (finish does). */
static int write_each_buffer(struct pk_store *store, struct analysis *A, const char *out, const char *source,
                             struct pk_sink **sink)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct pk_column *cols = NULL;
    const char **vals = calloc((size_t)A->in.ncols + 2, sizeof *vals);
    int rc = vals ? buffer_columns(ctx, A, &cols) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK)
        rc = pk_sink_open(store, out, NULL, source, cols, A->in.ncols + 2, sink);
    free(cols);
    for (size_t i = 0; rc == PK_OK && i < A->in.n; i++) {
        if (!A->out[i])
            continue;
        char fid[32], area[64];
        snprintf(fid, sizeof fid, "%lld", A->in.fids[i]);
        snprintf(area, sizeof area, "%.17g", A->area[i]);
        vals[0] = fid;
        for (int c = 0; c < A->in.ncols; c++)
            vals[c + 1] = A->in.attrs[i * (size_t)A->in.ncols + (size_t)c];
        vals[A->in.ncols + 1] = area;
        rc = pk_sink_write(*sink, A->out[i], vals);
    }
    free(vals);
    return rc;
}

/* The union, in the metric CRS, of the buffers (taken from A->out, which
 * are NULL afterwards); *m counts them. *u: NULL when there were none;
 * caller frees with GEOSGeom_destroy_r. */
static int union_buffers(struct pk_ctx *ctx, struct analysis *A, GEOSGeometry **u, size_t *m)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    *u = NULL;
    *m = 0;
    GEOSGeometry **parts = malloc((A->in.n ? A->in.n : 1) * sizeof *parts);
    if (!parts)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < A->in.n; i++)
        if (A->out[i])
            parts[(*m)++] = A->out[i], A->out[i] = NULL;
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)*m);
    /* (the collection owns the parts from here on, made or not: GEOS frees them on failure) */
    free(parts);
    *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
    if (coll)
        GEOSGeom_destroy_r(h, coll);
    if (!coll || (*m > 0 && !*u))
        return pk_error_geos(ctx, "buffer: cannot merge the buffers");
    return PK_OK;
}

/* The metric-CRS geometry u in the store CRS (*back, caller frees with
 * GEOSGeom_destroy_r) with its area measured as every command measures. */
static int back_to_store(struct pk_ctx *ctx, struct analysis *A, const GEOSGeometry *u, GEOSGeometry **back,
                         double *area)
{
    struct pk_worker w;
    *back = NULL;
    int rc = pk_worker_init(&w, ctx, &A->crs);
    if (rc == PK_OK) {
        *back = pk_transform_geom(ctx, w.from_m, u); /* a copy when the store CRS is the metric one */
        rc = *back ? pk_worker_area(&w, *back, area) : pk_errcode(ctx);
    }
    pk_worker_release(&w);
    return rc;
}

/* Merge every buffer into one feature (features: how many buffers, and the
 * area of the union, so overlaps count once) and write it. *sink as in
 * write_each_buffer. */
static int write_merged_buffer(struct pk_store *store, struct analysis *A, const char *out, const char *source,
                               struct pk_sink **sink)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    GEOSContextHandle_t h = pk_geos(ctx);
    GEOSGeometry *u = NULL, *back = NULL;
    size_t m = 0;
    double area = 0;
    int rc = union_buffers(ctx, A, &u, &m);
    if (rc == PK_OK && u)
        rc = back_to_store(ctx, A, u, &back, &area);
    if (u)
        GEOSGeom_destroy_r(h, u);
    struct pk_column cols[] = {{"features", "INTEGER"}, {"area_m2", "REAL"}};
    if (rc == PK_OK)
        rc = pk_sink_open(store, out, NULL, source, cols, 2, sink);
    char n[32], a[64];
    snprintf(n, sizeof n, "%zu", m);
    snprintf(a, sizeof a, "%.17g", area);
    const char *vals[] = {n, a};
    if (rc == PK_OK && back && pk_geom_is_polygonal(ctx, back))
        back = pk_geom_promote_multi(ctx, back);
    if (rc == PK_OK && back)
        rc = pk_sink_write(*sink, back, vals);
    if (back)
        GEOSGeom_destroy_r(h, back);
    return rc;
}

int pk_buffer(struct pk_store *store, const struct pk_buffer_opts *o, long long *count, pk_progress_fn progress,
              void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct analysis A;
    struct pk_sink *sink = NULL;
    memset(&A, 0, sizeof A);
    *count = 0;
    if (!o->layer || !o->out)
        return pk_error(ctx, PK_ERR_ARGS, "buffer: a layer and -o OUT are needed");
    int rc = pk_store_begin(store);
    if (rc != PK_OK)
        return rc;
    rc = pk_ov_input_open(store, o->layer, NULL, "_buffer_input", 0, &A.in);
    if (rc == PK_OK)
        rc = setup(store, &A, A.in.n);
    A.threads = o->threads;
    A.distance = o->distance_m;
    A.quadsegs = o->quadsegs > 0 ? o->quadsegs : 8;
    A.metric_out = o->dissolve; /* merged in the metric CRS, then brought back once */
    if (rc == PK_OK)
        rc = run_pool(&A, A.in.n, buffer_item, progress, arg);
    char source[64];
    snprintf(source, sizeof source, "buffer %g m", o->distance_m);
    if (rc == PK_OK)
        rc = o->dissolve ? write_merged_buffer(store, &A, o->out, source, &sink)
                         : write_each_buffer(store, &A, o->out, source, &sink);
    return finish(store, &A, sink, o->out, "buffer", rc, count);
}

/* Dissolve groups: keys[g] the field's value of group g (NULL for the
 * group of NULL values), in order of first appearance. */
struct groups {
    size_t n;
    char **keys;    /* owned strings */
    int *isnull;
};

/* Free the keys (G itself is the caller's). */
static void groups_release(struct groups *G)
{
    for (size_t g = 0; G->keys && g < G->n; g++)
        free(G->keys[g]);
    free(G->keys);
    free(G->isnull);
}

/* The group of value v (NULL = the NULL group): its index, a new group
 * appended when v is new; (size_t)-1 when out of memory. Linear search:
 * dissolve fields have few distinct values. */
static size_t group_of(struct groups *G, const char *v)
{
    size_t g = 0;
    while (g < G->n && !(v ? !G->isnull[g] && !strcmp(G->keys[g], v) : G->isnull[g]))
        g++;
    if (g == G->n) {
        G->keys[g] = v ? strdup(v) : NULL;
        G->isnull[g] = !v;
        G->n++;
        if (v && !G->keys[g])
            return (size_t)-1;
    }
    return g;
}

/* Sort the input features into groups by column col (-1: all into one
 * group, keyed ""): A->members[g] lists group g's features in fid order. */
static int group_features(struct pk_ctx *ctx, struct analysis *A, int col, struct groups *G)
{
    G->keys = calloc(A->in.n + 1, sizeof *G->keys);
    G->isnull = calloc(A->in.n + 1, sizeof *G->isnull);
    A->members = calloc(A->in.n + 1, sizeof *A->members);
    A->nmembers = calloc(A->in.n + 1, sizeof *A->nmembers);
    if (!G->keys || !G->isnull || !A->members || !A->nmembers)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < A->in.n; i++) {
        size_t g = group_of(G, col >= 0 ? A->in.attrs[i * (size_t)A->in.ncols + (size_t)col] : "");
        if (g == (size_t)-1)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        size_t *grown = realloc(A->members[g], sizeof **A->members * (A->nmembers[g] + 1));
        if (!grown)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        A->members[g] = grown;
        A->members[g][A->nmembers[g]++] = i;
    }
    return PK_OK;
}

/* Open the output and write one feature per group: the field's value
 * (when grouping by col), the number of features and the union's area. */
static int write_groups(struct pk_store *store, struct analysis *A, const struct pk_dissolve_opts *o, int col,
                        const struct groups *G, struct pk_sink **sink)
{
    char source[64];
    snprintf(source, sizeof source, "dissolve by %.40s", o->by ? o->by : "(all)");
    struct pk_column cols[3];
    int nc = 0;
    if (col >= 0)
        cols[nc].name = A->in.colnames[col], cols[nc++].type = A->in.coltypes[col];
    cols[nc].name = "features", cols[nc++].type = "INTEGER";
    cols[nc].name = "area_m2", cols[nc++].type = "REAL";
    int rc = pk_sink_open(store, o->out, NULL, source, cols, nc, sink);
    for (size_t g = 0; rc == PK_OK && g < G->n; g++) {
        char n[32], a[64];
        snprintf(n, sizeof n, "%zu", A->nmembers[g]);
        snprintf(a, sizeof a, "%.17g", A->area[g]);
        const char *vals[3];
        int k = 0;
        if (col >= 0)
            vals[k++] = G->keys[g];
        vals[k++] = n;
        vals[k++] = a;
        rc = pk_sink_write(*sink, A->out[g], vals);
    }
    return rc;
}

int pk_dissolve(struct pk_store *store, const struct pk_dissolve_opts *o, long long *count, pk_progress_fn progress,
                void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct analysis A;
    struct pk_sink *sink = NULL;
    struct groups G = {0};
    memset(&A, 0, sizeof A);
    *count = 0;
    if (!o->layer || !o->out)
        return pk_error(ctx, PK_ERR_ARGS, "dissolve: a layer and -o OUT are needed");
    int rc = pk_store_begin(store);
    if (rc != PK_OK)
        return rc;
    rc = pk_ov_input_open(store, o->layer, NULL, "_dissolve_input", 0, &A.in);
    int col = -1;
    for (int c = 0; rc == PK_OK && o->by && c < A.in.ncols; c++)
        if (!strcmp(A.in.colnames[c], o->by))
            col = c;
    if (rc == PK_OK && o->by && col < 0)
        rc = pk_error(ctx, PK_ERR_ARGS, "dissolve: layer '%s' has no field '%s'", A.in.ref.name, o->by);
    if (rc == PK_OK)
        rc = group_features(ctx, &A, col, &G);
    if (rc == PK_OK)
        rc = setup(store, &A, G.n);
    A.threads = o->threads;
    if (rc == PK_OK)
        rc = run_pool(&A, G.n, dissolve_item, progress, arg);
    if (rc == PK_OK)
        rc = write_groups(store, &A, o, col, &G, &sink);
    groups_release(&G);
    return finish(store, &A, sink, o->out, "dissolve", rc, count);
}
