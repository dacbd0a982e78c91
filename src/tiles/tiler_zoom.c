/* tiler_zoom.c — one zoom of a vector tile export, feature by feature as
 * tippecanoe does it rather than tile by tile: each feature's geometry is
 * made once for the zoom and cut into the pieces of every tile it meets,
 * already encoded (tiler_piece.c), across the pool; the pieces are then
 * sorted by tile and each tile assembled, gzipped and written once, from
 * the calling thread in a fixed order, so the output does not depend on the
 * thread count. First the polygons too small for the zoom are found, so
 * that their one-unit squares can be cut out of their neighbours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tile_sink_int.h"
#include "tiler_zoom_int.h"

#define FEATURES_PER_JOB 16
#define BATCH 256
#define BIG_TILE (500 * 1024)

struct feature_job {
    struct tl_pieces pieces;
    long long tiny, dropped;
    int rc;
    char err[512];
};

struct zoom_pass {
    const struct tl_run *R;
    int z;
    uint32_t *tiny;              /* per feature: 1 + its square in S when kept as a square at z, else 0
                                  * (find_tiny: 1 collapsed, 2 one cell or less, at cell[2k], cell[2k+1]) */
    int64_t *cell;
    const struct tl_squares *S;
    struct feature_job *jobs;
};

struct tile_job {
    uint32_t x, y;
    size_t a, b;                 /* sorted pieces a..b-1 */
    struct pk_tbuf gz;
    int rc;
    char err[512];
};

struct tile_pass {
    const struct tl_run *R;
    int z;
    const struct tl_piece *const *sorted;
    const struct feature_job *jobs;
    const size_t *job_of;        /* per sorted piece: its job */
    struct tile_job *tiles;
};

static void job_range(const struct tl_run *R, size_t i, size_t *a, size_t *b)
{
    *a = i * FEATURES_PER_JOB;
    *b = *a + FEATURES_PER_JOB < R->F->n ? *a + FEATURES_PER_JOB : R->F->n;
}

/* Pool item: which polygons of a job are too small for the zoom (their
 * box spans at most 2 units one way, and all their rings collapse or they
 * cover one unit square or less). */
static void find_tiny(void *state, size_t i, void *arg)
{
    struct pk_worker *w = state;
    struct zoom_pass *P = arg;
    const struct tl_run *R = P->R;
    size_t a, b;
    job_range(R, i, &a, &b);
    for (size_t k = a; w && w->rc == PK_OK && k < b; k++) {
        const struct tl_feature *f = &R->F->f[k];
        if (f->type != PK_MVT_POLYGON || f->npts == 0)
            continue;
        int64_t dx = tl_at_zoom(f->box[2], R->grid, P->z) - tl_at_zoom(f->box[0], R->grid, P->z);
        int64_t dy = tl_at_zoom(f->box[3], R->grid, P->z) - tl_at_zoom(f->box[1], R->grid, P->z);
        if (dx > 2 && dy > 2)
            continue;
        GEOSGeometry *g = NULL;
        int sq = 0;
        if (tl_feature_at_zoom(w->ctx, f, R->grid, P->z, TL_SIMPLIFY, &g, &sq) != PK_OK)
            pk_error_clear(w->ctx); /* left to the main pass, which reports it */
        double area = 0, x, y;
        if (!sq && g && GEOSArea_r(pk_geos(w->ctx), g, &area) == 1 && area <= 1.0 &&
            GEOSGeom_getXMin_r(pk_geos(w->ctx), g, &x) && GEOSGeom_getYMin_r(pk_geos(w->ctx), g, &y)) {
            sq = 2; /* one cell or less: its cell is taken */
            P->cell[2 * k] = (int64_t)x, P->cell[2 * k + 1] = (int64_t)y;
        }
        P->tiny[k] = (uint32_t)sq;
        if (g)
            GEOSGeom_destroy_r(pk_geos(w->ctx), g);
    }
}

static int cell_taken(const struct tl_squares *S, int layer, int64_t x, int64_t y)
{
    for (size_t i = 0; i < S->n; i++)
        if (S->v[i].layer == layer && S->v[i].x == x && S->v[i].y == y)
            return 1;
    return 0;
}

/* The squares of zoom z (after find_tiny), each in a cell of its own: two
 * small polygons whose labels fall in one cell would overlap, so the later
 * one takes the nearest free cell (rings of cells around it, up to 4 away;
 * then it stays). tiny[k] becomes 1 + the square's index. */
static int collect_squares(const struct tl_run *R, int z, uint32_t *tiny, const int64_t *cell, struct tl_squares *S)
{
    size_t n = 0;
    for (size_t k = 0; k < R->F->n; k++)
        n += tiny[k] != 0;
    S->v = malloc((n ? n : 1) * sizeof *S->v);
    S->n = 0;
    if (!S->v)
        return pk_error(R->ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < R->F->n; k++)
        if (tiny[k] == 2) {
            S->v[S->n++] = (struct tl_square){cell[2 * k], cell[2 * k + 1], R->F->f[k].layer, k, 1};
            tiny[k] = 0;
        }
    for (size_t k = 0; k < R->F->n; k++) {
        if (!tiny[k])
            continue;
        const struct tl_feature *f = &R->F->f[k];
        int64_t x = tl_at_zoom(f->label[0], R->grid, z), y = tl_at_zoom(f->label[1], R->grid, z), bx = x, by = y;
        for (int r = 1; r <= 4 && cell_taken(S, f->layer, bx, by); r++)
            for (int dx = -r; dx <= r; dx++)
                for (int dy = -r; dy <= r; dy++)
                    if ((dx == -r || dx == r || dy == -r || dy == r) && cell_taken(S, f->layer, bx, by) &&
                        x + dx >= 0 && y + dy >= 0 && !cell_taken(S, f->layer, x + dx, y + dy))
                        bx = x + dx, by = y + dy;
        S->v[S->n] = (struct tl_square){bx, by, f->layer, k, 0};
        tiny[k] = (uint32_t)++S->n;
    }
    return PK_OK;
}

/* Pool item: the pieces of a job's features. */
static void make_pieces(void *state, size_t i, void *arg)
{
    struct pk_worker *w = state;
    struct zoom_pass *P = arg;
    struct feature_job *j = &P->jobs[i];
    if (!w || w->rc != PK_OK) {
        j->rc = PK_ERR_NOMEM;
        snprintf(j->err, sizeof j->err, "cannot start a worker thread");
        return;
    }
    size_t a, b;
    job_range(P->R, i, &a, &b);
    for (size_t k = a; j->rc == PK_OK && k < b; k++) {
        const struct tl_square *sq = P->tiny[k] ? &P->S->v[P->tiny[k] - 1] : NULL;
        j->rc = tl_feature_pieces(w, P->R, P->z, k, P->S, sq, &j->pieces, &j->tiny, &j->dropped);
        if (j->rc != PK_OK)
            snprintf(j->err, sizeof j->err, "zoom %d, layer '%s', feature %lld: %s", P->z,
                     P->R->L->l[P->R->F->f[k].layer].name, P->R->F->f[k].fid, pk_errmsg(w->ctx));
    }
}

static int cmp_piece(const void *pa, const void *pb)
{
    const struct tl_piece *a = *(const struct tl_piece *const *)pa, *b = *(const struct tl_piece *const *)pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return a->feature < b->feature ? -1 : a->feature > b->feature;
}

/* Pool item: one tile from its sorted pieces, gzipped into t->gz. */
static void make_tile(void *state, size_t i, void *arg)
{
    struct pk_worker *w = state;
    struct tile_pass *T = arg;
    struct tile_job *t = &T->tiles[i];
    const struct tl_run *R = T->R;
    struct pk_mvt_tile *tile = pk_mvt_tile_new();
    struct pk_mvt_layer **layers = calloc((size_t)R->L->n, sizeof *layers);
    int rc = tile && layers ? PK_OK : PK_ERR_NOMEM;
    (void)w;
    for (size_t k = t->a; rc == PK_OK && k < t->b; k++) {
        const struct tl_piece *p = T->sorted[k];
        const struct tl_feature *f = &R->F->f[p->feature];
        const uint8_t *cmds = T->jobs[T->job_of[k]].pieces.bytes.data + p->off;
        if (!layers[f->layer])
            rc = pk_mvt_tile_add_layer(tile, R->L->l[f->layer].name, TL_EXTENT, &layers[f->layer]);
        if (rc == PK_OK)
            rc = pk_mvt_layer_add_encoded(layers[f->layer], 1, (uint64_t)f->fid, f->type, cmds, p->len, f->attrs,
                                          (size_t)f->nattrs);
    }
    if (rc == PK_OK && pk_mvt_tile_serialize(tile, 1, &t->gz) != PK_OK)
        rc = PK_ERR_NOMEM;
    if (rc != PK_OK) {
        t->rc = rc;
        snprintf(t->err, sizeof t->err, "tile %d/%u/%u: %s", T->z, t->x, t->y,
                 rc == PK_ERR_NOMEM ? "out of memory" : "a feature cannot be encoded");
    }
    free(layers);
    pk_mvt_tile_free(tile);
}

/* Write the batch's tiles (in order) and count them. */
static int write_batch(struct tl_run *R, int z, struct tile_job *tiles, size_t n)
{
    int rc = PK_OK;
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        struct tile_job *t = &tiles[i];
        if (t->rc != PK_OK)
            return pk_error(R->ctx, t->rc, "%s", t->err);
        if (t->gz.len == 0)
            continue;
        int has = 0;
        if (R->resumed && (rc = pk_mbtiles_has_tile(R->sink, z, t->x, t->y, &has)) != PK_OK)
            return rc;
        if (has) {
            R->res->tiles_resumed++;
            continue;
        }
        if ((rc = R->sink->ops->put(R->sink, z, t->x, t->y, t->gz.data, t->gz.len)) != PK_OK)
            return rc;
        R->res->tiles++;
        R->res->bytes += (long long)t->gz.len;
        R->res->big_tiles += t->gz.len > BIG_TILE;
        if ((long long)t->gz.len > R->res->largest_tile) {
            R->res->largest_tile = (long long)t->gz.len;
            R->res->largest_z = z, R->res->largest_x = t->x, R->res->largest_y = t->y;
        }
    }
    return rc;
}

/* Group the sorted pieces from *p into up to BATCH tiles; advances *p. */
static size_t next_batch(const struct tl_piece *const *sorted, size_t n, size_t *p, struct tile_job *tiles)
{
    size_t k = 0;
    while (*p < n && k < BATCH) {
        size_t a = *p, b = a + 1;
        while (b < n && sorted[b]->x == sorted[a]->x && sorted[b]->y == sorted[a]->y)
            b++;
        memset(&tiles[k], 0, sizeof tiles[k]);
        tiles[k].x = sorted[a]->x, tiles[k].y = sorted[a]->y, tiles[k].a = a, tiles[k].b = b;
        k++;
        *p = b;
    }
    return k;
}

/* Assemble, write and checkpoint the tiles of the sorted pieces. */
static int write_tiles(struct tl_run *R, int z, struct tile_pass *T, size_t n)
{
    size_t p = 0;
    int rc = PK_OK;
    while (rc == PK_OK && p < n) {
        size_t k = next_batch(T->sorted, n, &p, T->tiles);
        pk_pool_run(R->pool, R->main_w, k, make_tile, T);
        rc = write_batch(R, z, T->tiles, k);
        if (rc == PK_OK && R->sink->ops == &pk_tile_mbtiles_ops)
            rc = pk_mbtiles_checkpoint(R->sink); /* what a resume after a crash finds */
        for (size_t i = 0; i < k; i++)
            pk_tbuf_free(&T->tiles[i].gz);
        double frac = ((double)(z - R->opts->minzoom) + 0.5 + 0.5 * (double)p / (double)n) /
                      (double)(R->opts->maxzoom - R->opts->minzoom + 1);
        if (rc == PK_OK && R->progress && !R->progress(frac, "tiles", R->progress_arg))
            rc = pk_error(R->ctx, PK_ERR_CANCELLED, "tiles: cancelled");
    }
    return rc;
}

/* Sort every job's pieces by tile and write the tiles. */
static int sort_and_write(struct tl_run *R, int z, struct feature_job *jobs, size_t njobs)
{
    size_t n = 0;
    for (size_t i = 0; i < njobs; i++)
        n += jobs[i].pieces.n;
    const struct tl_piece **sorted = malloc((n ? n : 1) * sizeof *sorted);
    size_t *job_of = malloc((n ? n : 1) * sizeof *job_of);
    struct tile_job *tiles = calloc(BATCH, sizeof *tiles);
    int rc = sorted && job_of && tiles ? PK_OK : pk_error(R->ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t i = 0, k = 0; rc == PK_OK && i < njobs; i++)
        for (size_t m = 0; m < jobs[i].pieces.n; m++)
            sorted[k++] = &jobs[i].pieces.v[m];
    if (rc == PK_OK && n > 0)
        qsort(sorted, n, sizeof *sorted, cmp_piece);
    for (size_t k = 0; rc == PK_OK && k < n; k++) /* features are in job order: the job is the feature's */
        job_of[k] = sorted[k]->feature / FEATURES_PER_JOB;
    struct tile_pass T = {R, z, sorted, jobs, job_of, tiles};
    if (rc == PK_OK)
        rc = write_tiles(R, z, &T, n);
    free(sorted);
    free(job_of);
    free(tiles);
    return rc;
}

int tl_tile_zoom(struct tl_run *R, int z)
{
    size_t njobs = (R->F->n + FEATURES_PER_JOB - 1) / FEATURES_PER_JOB;
    struct tl_squares S = {0};
    struct zoom_pass P = {.R = R, .z = z, .tiny = calloc(R->F->n + 1, sizeof(uint32_t)), .S = &S,
                          .jobs = calloc(njobs + 1, sizeof *P.jobs)};
    P.cell = malloc((R->F->n + 1) * 2 * sizeof *P.cell);
    int rc = P.tiny && P.jobs && P.cell ? PK_OK : pk_error(R->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK) {
        pk_pool_run(R->pool, R->main_w, njobs, find_tiny, &P);
        rc = collect_squares(R, z, P.tiny, P.cell, &S);
    }
    if (rc == PK_OK)
        pk_pool_run(R->pool, R->main_w, njobs, make_pieces, &P);
    for (size_t i = 0; rc == PK_OK && i < njobs; i++) {
        if (P.jobs[i].rc != PK_OK)
            rc = pk_error(R->ctx, P.jobs[i].rc, "%s", P.jobs[i].err);
        R->res->kept_tiny += P.jobs[i].tiny;
        R->res->dropped += P.jobs[i].dropped;
    }
    if (rc == PK_OK && R->progress &&
        !R->progress(((double)(z - R->opts->minzoom) + 0.5) / (double)(R->opts->maxzoom - R->opts->minzoom + 1),
                     "tiles", R->progress_arg))
        rc = pk_error(R->ctx, PK_ERR_CANCELLED, "tiles: cancelled");
    if (rc == PK_OK)
        rc = sort_and_write(R, z, P.jobs, njobs);
    for (size_t i = 0; P.jobs && i < njobs; i++)
        tl_pieces_free(&P.jobs[i].pieces);
    free(P.jobs);
    free(P.tiny);
    free(P.cell);
    free(S.v);
    return rc;
}
