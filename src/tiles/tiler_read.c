/* tiler_read.c — the tiler's input: every feature of the export's store
 * layers read with the feature reader on the pool's workers (fid ranges,
 * one reader per range on the worker's own connection), projected once to
 * EPSG:3857 with the worker's cached transform and snapped to the world
 * grid (tiler_geom.c), with its typed attributes. Features come out in
 * layer then fid order whatever the thread count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs_int.h"
#include "pool_int.h"
#include "reader_int.h"
#include "tiler_read_int.h"
#include "worker_int.h"

#define FIDS_PER_CHUNK 256

struct chunk {
    int layer;
    long long first, last;
    struct tl_feature *f;
    size_t n, cap;
    int rc;
    char err[512];
};

struct read_job {
    const struct tl_layers *L;
    const struct tl_grid *grid;
    struct chunk *chunks;
};

struct read_call {
    struct pk_worker *w;
    const struct tl_layer *l;
    struct chunk *c;
    const struct tl_grid *grid;
};

void tl_features_free(struct tl_features *F)
{
    for (size_t i = 0; i < F->n; i++)
        tl_feature_release(&F->f[i]);
    free(F->f);
    memset(F, 0, sizeof *F);
}

/* The attributes of a feature: the reader's typed values (nulls left out,
 * as MVT has no null). Strings are copied. */
static int copy_attrs(struct pk_ctx *ctx, struct tl_feature *tf, const struct tl_layer *l, const struct pk_feature *f)
{
    tf->attrs = calloc((size_t)l->nfields + 1, sizeof *tf->attrs);
    if (!tf->attrs)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    for (int i = 0; i < f->nattrs; i++) {
        const struct pk_value *v = &f->attrs[i];
        struct pk_mvt_attr *a = &tf->attrs[tf->nattrs];
        a->key = l->fields[i];
        if (v->type == PK_VAL_INT)
            a->type = PK_MVT_INT, a->v.i = v->i;
        else if (v->type == PK_VAL_REAL)
            a->type = PK_MVT_DOUBLE, a->v.d = v->d;
        else if (v->type == PK_VAL_TEXT) {
            a->type = PK_MVT_STRING;
            if (!(a->v.s = strdup(v->s ? v->s : "")))
                return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        } else
            continue;
        tf->nattrs++;
    }
    return PK_OK;
}

/* Reader callback: one feature into the chunk. */
static int read_one(void *arg, struct pk_feature *f)
{
    struct read_call *rc_ = arg;
    struct pk_worker *w = rc_->w;
    struct chunk *c = rc_->c;
    if (!f->geom)
        return PK_OK; /* nothing to draw */
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct tl_feature *g = realloc(c->f, cap * sizeof *g);
        if (!g)
            return pk_error(w->ctx, PK_ERR_NOMEM, "out of memory");
        c->f = g, c->cap = cap;
    }
    struct tl_feature *tf = &c->f[c->n++];
    memset(tf, 0, sizeof *tf);
    tf->fid = f->fid;
    tf->layer = c->layer;
    int rc = PK_OK;
    struct pk_transform *tr = pk_worker_transform(w, 3857, &rc);
    if (rc != PK_OK)
        return rc;
    GEOSGeometry *m = tr ? pk_transform_geom(w->ctx, tr, f->geom) : NULL;
    if (tr && !m)
        return pk_errcode(w->ctx) ? pk_errcode(w->ctx) : pk_error(w->ctx, PK_ERR_GDAL, "cannot project to EPSG:3857");
    rc = tl_feature_set_geom(w->ctx, tf, rc_->grid, m ? m : f->geom);
    if (m)
        GEOSGeom_destroy_r(pk_geos(w->ctx), m);
    if (rc == PK_OK)
        rc = copy_attrs(w->ctx, tf, rc_->l, f);
    if (rc == PK_OK && f->label && !(tf->name = strdup(f->label)))
        rc = pk_error(w->ctx, PK_ERR_NOMEM, "out of memory");
    return rc;
}

static void read_chunk(void *state, size_t i, void *arg)
{
    struct pk_worker *w = state;
    struct read_job *J = arg;
    struct chunk *c = &J->chunks[i];
    const struct tl_layer *l = &J->L->l[c->layer];
    if (!w || w->rc != PK_OK) {
        c->rc = PK_ERR_NOMEM;
        snprintf(c->err, sizeof c->err, "cannot start a worker thread");
        return;
    }
    sqlite3 *db = pk_worker_reader(w);
    if (db) /* each row is read once: a memory map would only keep the whole store resident */
        sqlite3_exec(db, "PRAGMA mmap_size=0", NULL, NULL, NULL);
    struct pk_reader_spec spec = {&l->ref, 1, *l->ref.name_field ? l->ref.name_field : NULL, l->nstore_fields,
                                  (const char *const *)l->fields};
    struct pk_reader *r = NULL;
    struct read_call call = {w, l, c, J->grid};
    int rc = db ? pk_reader_new(w->ctx, db, &spec, &r) : pk_error(w->ctx, PK_ERR_DB, "cannot open the store to read");
    if (rc == PK_OK)
        rc = pk_reader_range(r, c->first, c->last, read_one, &call);
    pk_reader_free(r);
    if (rc != PK_OK) {
        c->rc = rc;
        snprintf(c->err, sizeof c->err, "layer '%s': %s", l->name, pk_errmsg(w->ctx));
    }
}

/* Split every store layer's fid range into chunks. */
static int make_chunks(struct pk_store *S, const struct tl_layers *L, struct chunk **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL, *n = 0;
    for (int k = 0; k < L->n; k++) {
        if (!L->l[k].store)
            continue;
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT min(fid), max(fid) FROM \"%s\"", L->l[k].ref.table);
        sqlite3_stmt *st = NULL;
        int rc = pk_sql_prepare(S, sql, &st);
        if (rc != PK_OK)
            return rc;
        int step = sqlite3_step(st);
        long long lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
        int empty = step == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL;
        sqlite3_finalize(st);
        if (step != SQLITE_ROW)
            return pk_error_db(S, "reading a layer's fids");
        for (long long a = lo; !empty && a <= hi; a += FIDS_PER_CHUNK) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                struct chunk *g = realloc(*out, cap * sizeof *g);
                if (!g)
                    return pk_error(pk_store_ctx(S), PK_ERR_NOMEM, "out of memory");
                *out = g;
            }
            (*out)[(*n)++] = (struct chunk){.layer = k, .first = a, .last = a + FIDS_PER_CHUNK - 1};
        }
    }
    return PK_OK;
}

/* Move the chunks' features into F in chunk order. */
static int gather_chunks(struct pk_ctx *ctx, struct chunk *chunks, size_t n, struct tl_features *F)
{
    size_t total = F->n;
    for (size_t i = 0; i < n; i++)
        total += chunks[i].n;
    struct tl_feature *g = realloc(F->f, (total ? total : 1) * sizeof *g);
    if (!g)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    F->f = g;
    for (size_t i = 0; i < n; i++) {
        memcpy(F->f + F->n, chunks[i].f, chunks[i].n * sizeof *g);
        F->n += chunks[i].n;
        free(chunks[i].f);
        chunks[i].f = NULL, chunks[i].n = 0;
    }
    return PK_OK;
}

int tl_read_features(struct pk_store *S, struct pk_pool *pool, struct pk_worker *main_w, const struct tl_layers *L,
                     const struct tl_grid *grid, struct tl_features *F)
{
    struct pk_ctx *ctx = pk_store_ctx(S);
    struct chunk *chunks = NULL;
    size_t n = 0;
    int rc = make_chunks(S, L, &chunks, &n);
    if (rc == PK_OK && n > 0) {
        struct read_job J = {L, grid, chunks};
        pk_pool_run(pool, main_w, n, read_chunk, &J);
        for (size_t i = 0; rc == PK_OK && i < n; i++)
            if (chunks[i].rc != PK_OK)
                rc = pk_error(ctx, chunks[i].rc, "%s", chunks[i].err);
        if (rc == PK_OK)
            rc = gather_chunks(ctx, chunks, n, F);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < chunks[i].n; k++)
            tl_feature_release(&chunks[i].f[k]);
        free(chunks[i].f);
    }
    free(chunks);
    return rc;
}
