/* analysis.c — buffer (in metres, computed in the metric CRS) and dissolve
 * (union by a field), written to a new store layer or a file. */
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

static void dissolve_item(void *state, size_t i, void *arg)
{
    struct pk_worker *t = state;
    struct analysis *A = arg;
    if (!t || t->rc != PK_OK) {
        A->rc[i] = PK_ERR_NOMEM;
        return;
    }
    GEOSContextHandle_t h = pk_geos(t->ctx);
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
    (void)h;
    A->rc[i] = pk_worker_area(t, u, &A->area[i]);
}

static int setup(struct pk_store *store, struct analysis *A, const char *layer, size_t nitems)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    A->store = store;
    if (!pk_store_measure_srid(store))
        return pk_error(ctx, PK_ERR_ARGS, "the store has no metric CRS yet (load a layer first)");
    pk_worker_conf_init(&A->crs, store);
    (void)layer;
    A->nitems = nitems;
    A->out = calloc(nitems ? nitems : 1, sizeof *A->out);
    A->area = calloc(nitems ? nitems : 1, sizeof *A->area);
    A->rc = calloc(nitems ? nitems : 1, sizeof *A->rc);
    return A->out && A->area && A->rc ? PK_OK : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
}

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

int pk_buffer(struct pk_store *store, const struct pk_buffer_opts *o, long long *count, pk_progress_fn progress,
              void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    GEOSContextHandle_t h = pk_geos(ctx);
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
        rc = setup(store, &A, o->layer, A.in.n);
    A.threads = o->threads;
    A.distance = o->distance_m;
    A.quadsegs = o->quadsegs > 0 ? o->quadsegs : 8;
    A.metric_out = o->dissolve;
    if (rc == PK_OK)
        rc = run_pool(&A, A.in.n, buffer_item, progress, arg);
    char source[64];
    snprintf(source, sizeof source, "buffer %g m", o->distance_m);
    if (rc == PK_OK && !o->dissolve) {
        struct pk_column *cols = calloc((size_t)A.in.ncols + 2, sizeof *cols);
        const char **vals = calloc((size_t)A.in.ncols + 2, sizeof *vals);
        if (!cols || !vals)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        if (rc == PK_OK) {
            cols[0].name = "src_fid", cols[0].type = "INTEGER";
            for (int c = 0; c < A.in.ncols; c++)
                cols[c + 1].name = A.in.colnames[c], cols[c + 1].type = A.in.coltypes[c];
            cols[A.in.ncols + 1].name = "area_m2", cols[A.in.ncols + 1].type = "REAL";
            rc = pk_sink_open(store, o->out, NULL, source, cols, A.in.ncols + 2, &sink);
        }
        free(cols);
        for (size_t i = 0; rc == PK_OK && i < A.in.n; i++) {
            if (!A.out[i])
                continue;
            char fid[32], area[64];
            snprintf(fid, sizeof fid, "%lld", A.in.fids[i]);
            snprintf(area, sizeof area, "%.17g", A.area[i]);
            vals[0] = fid;
            for (int c = 0; c < A.in.ncols; c++)
                vals[c + 1] = A.in.attrs[i * (size_t)A.in.ncols + (size_t)c];
            vals[A.in.ncols + 1] = area;
            rc = pk_sink_write(sink, A.out[i], vals);
        }
        free(vals);
    } else if (rc == PK_OK) {
        size_t m = 0;
        GEOSGeometry **parts = malloc((A.in.n ? A.in.n : 1) * sizeof *parts);
        if (!parts)
            return finish(store, &A, sink, o->out, "buffer", pk_error(ctx, PK_ERR_NOMEM, "out of memory"), count);
        for (size_t i = 0; i < A.in.n; i++)
            if (A.out[i])
                parts[m++] = A.out[i], A.out[i] = NULL;
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)m);
        /* (the collection owns the parts from here on, made or not: GEOS frees them on failure) */
        free(parts);
        GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL, *back = NULL;
        if (coll)
            GEOSGeom_destroy_r(h, coll);
        double area = 0;
        struct pk_worker w;
        if (!coll || (m > 0 && !u))
            rc = pk_error_geos(ctx, "buffer: cannot merge the buffers");
        if (u && (rc = pk_worker_init(&w, ctx, &A.crs)) == PK_OK) {
            back = w.from_m ? pk_transform_geom(ctx, w.from_m, u) : GEOSGeom_clone_r(h, u);
            rc = back ? pk_worker_area(&w, back, &area) : pk_errcode(ctx);
        }
        if (u)
            pk_worker_release(&w);
        if (u)
            GEOSGeom_destroy_r(h, u);
        struct pk_column cols[] = {{"features", "INTEGER"}, {"area_m2", "REAL"}};
        if (rc == PK_OK)
            rc = pk_sink_open(store, o->out, NULL, source, cols, 2, &sink);
        char n[32], a[64];
        snprintf(n, sizeof n, "%zu", m);
        snprintf(a, sizeof a, "%.17g", area);
        const char *vals[] = {n, a};
        if (rc == PK_OK && back)
            rc = pk_sink_write(sink, pk_geom_is_polygonal(ctx, back) ? (back = pk_geom_promote_multi(ctx, back)) : back, vals);
        if (back)
            GEOSGeom_destroy_r(h, back);
    }
    return finish(store, &A, sink, o->out, "buffer", rc, count);
}

int pk_dissolve(struct pk_store *store, const struct pk_dissolve_opts *o, long long *count, pk_progress_fn progress,
                void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct analysis A;
    struct pk_sink *sink = NULL;
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
    /* groups in order of first appearance (fid order), NULL values together */
    size_t ngroups = 0;
    char **keys = calloc(A.in.n + 1, sizeof *keys);
    int *isnull = calloc(A.in.n + 1, sizeof *isnull);
    if (rc == PK_OK) {
        A.members = calloc(A.in.n + 1, sizeof *A.members);
        A.nmembers = calloc(A.in.n + 1, sizeof *A.nmembers);
        if (!keys || !isnull || !A.members || !A.nmembers)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        for (size_t i = 0; rc == PK_OK && i < A.in.n; i++) {
            const char *v = col >= 0 ? A.in.attrs[i * (size_t)A.in.ncols + (size_t)col] : "";
            size_t g = 0;
            while (g < ngroups && !(v ? !isnull[g] && !strcmp(keys[g], v) : isnull[g]))
                g++;
            if (g == ngroups) {
                keys[g] = v ? strdup(v) : NULL;
                isnull[g] = !v;
                ngroups++;
                if (v && !keys[g]) {
                    rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
                    break;
                }
            }
            size_t *grown = realloc(A.members[g], sizeof **A.members * (A.nmembers[g] + 1));
            if (!grown) {
                rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            A.members[g] = grown;
            A.members[g][A.nmembers[g]++] = i;
        }
        if (rc == PK_OK)
            rc = setup(store, &A, o->layer, ngroups);
        A.threads = o->threads;
    }
    if (rc == PK_OK)
        rc = run_pool(&A, ngroups, dissolve_item, progress, arg);
    if (rc == PK_OK) {
        char source[64];
        snprintf(source, sizeof source, "dissolve by %.40s", o->by ? o->by : "(all)");
        struct pk_column cols[3];
        int nc = 0;
        if (col >= 0)
            cols[nc].name = A.in.colnames[col], cols[nc++].type = A.in.coltypes[col];
        cols[nc].name = "features", cols[nc++].type = "INTEGER";
        cols[nc].name = "area_m2", cols[nc++].type = "REAL";
        rc = pk_sink_open(store, o->out, NULL, source, cols, nc, &sink);
        for (size_t g = 0; rc == PK_OK && g < ngroups; g++) {
            char n[32], a[64];
            snprintf(n, sizeof n, "%zu", A.nmembers[g]);
            snprintf(a, sizeof a, "%.17g", A.area[g]);
            const char *vals[3];
            int k = 0;
            if (col >= 0)
                vals[k++] = keys[g];
            vals[k++] = n;
            vals[k++] = a;
            rc = pk_sink_write(sink, A.out[g], vals);
        }
    }
    for (size_t g = 0; g < ngroups; g++)
        free(keys[g]);
    free(keys);
    free(isnull);
    return finish(store, &A, sink, o->out, "dissolve", rc, count);
}
