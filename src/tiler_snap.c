/* tiler_snap.c — make near-coincident borders of a polygon layer identical
 * before tiling. Borders two neighbours share are identical point sequences
 * in clean data, but a repaired input (MakeValid adds nodes where rings
 * crossed) or data from two sources gives the two sides slightly different
 * vertices; rounded to a coarse zoom's grid, each such vertex opens a sliver
 * gap or overlap of up to a tile unit. Two steps on the world grid, over the
 * polygons of one layer:
 *   1. a vertex within tol of vertices of other features moves to the
 *      smallest of them (x, then y), so both sides agree on it;
 *   2. a vertex of another feature within tol of an edge (strictly between
 *      its ends) is inserted into that edge, in order along it;
 * after which a shared border has the same vertices on both sides, and the
 * pointwise rounding of every zoom keeps it shared. */
#include <stdlib.h>
#include <string.h>

#include "tiler_snap_int.h"

struct vtx {
    int64_t cell;            /* (cx << 32) | cy, for sorting and look-up */
    int32_t x, y;
    uint32_t feature;
};

struct vindex {
    struct vtx *v;
    size_t n;
    int32_t cell;
};

static int64_t cell_key(int64_t cx, int64_t cy) { return (cx << 32) | (cy & 0xffffffff); }

static int cmp_vtx(const void *a, const void *b)
{
    const struct vtx *p = a, *q = b;
    if (p->cell != q->cell)
        return p->cell < q->cell ? -1 : 1;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    if (p->y != q->y)
        return p->y < q->y ? -1 : 1;
    return p->feature < q->feature ? -1 : p->feature > q->feature;
}

/* Every vertex of the polygons of F[first, last), sorted by cell. */
static int build_index(const struct tl_features *F, size_t first, size_t last, int32_t cell, struct vindex *ix)
{
    size_t n = 0;
    for (size_t i = first; i < last; i++)
        n += F->f[i].type == PK_MVT_POLYGON ? F->f[i].npts : 0;
    ix->v = malloc((n + 1) * sizeof *ix->v);
    ix->n = 0;
    ix->cell = cell;
    if (!ix->v)
        return -1;
    for (size_t i = first; i < last; i++) {
        const struct tl_feature *f = &F->f[i];
        for (uint32_t k = 0; f->type == PK_MVT_POLYGON && k < f->npts; k++) {
            int32_t x = f->xy[2 * k], y = f->xy[2 * k + 1];
            ix->v[ix->n++] = (struct vtx){cell_key(x / cell, y / cell), x, y, (uint32_t)i};
        }
    }
    qsort(ix->v, ix->n, sizeof *ix->v, cmp_vtx);
    return 0;
}

/* First vertex of the index in cell key, or ix->n. */
static size_t cell_start(const struct vindex *ix, int64_t key)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->v[mid].cell < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

/* Step 1: the smallest vertex of another feature within tol of (x, y), or
 * (x, y) itself when it is smaller or there is none. */
static void snap_point(const struct vindex *ix, uint32_t feature, int32_t tol, int32_t *x, int32_t *y)
{
    int64_t cx = *x / ix->cell, cy = *y / ix->cell;
    int32_t bx = *x, by = *y;
    for (int64_t a = cx - 1; a <= cx + 1; a++)
        for (int64_t b = cy - 1; b <= cy + 1; b++) {
            int64_t key = cell_key(a, b);
            for (size_t k = cell_start(ix, key); k < ix->n && ix->v[k].cell == key; k++) {
                const struct vtx *u = &ix->v[k];
                if (u->feature == feature || abs64((int64_t)u->x - *x) > tol || abs64((int64_t)u->y - *y) > tol)
                    continue;
                if (u->x < bx || (u->x == bx && u->y < by))
                    bx = u->x, by = u->y;
            }
        }
    *x = bx, *y = by;
}

/* A point to insert into an edge, at parameter t along it. */
struct ins {
    double t;
    int32_t x, y;
};

static int cmp_ins(const void *a, const void *b)
{
    const struct ins *p = a, *q = b;
    if (p->t != q->t)
        return p->t < q->t ? -1 : 1;
    return p->x != q->x ? (p->x < q->x ? -1 : 1) : (p->y < q->y ? -1 : p->y > q->y);
}

struct inslist {
    struct ins *v;
    size_t n, cap;
};

/* Vertex u is within tol of edge p-q, strictly between its ends? Then its
 * parameter along the edge in *t. */
static int near_edge(const struct vtx *u, const int32_t *p, const int32_t *q, int32_t tol, double *t)
{
    double dx = (double)q[0] - p[0], dy = (double)q[1] - p[1], len2 = dx * dx + dy * dy;
    if (len2 == 0 || (u->x == p[0] && u->y == p[1]) || (u->x == q[0] && u->y == q[1]))
        return 0;
    *t = (((double)u->x - p[0]) * dx + ((double)u->y - p[1]) * dy) / len2;
    if (*t <= 0 || *t >= 1)
        return 0;
    double ex = p[0] + *t * dx - u->x, ey = p[1] + *t * dy - u->y;
    return ex * ex + ey * ey <= (double)tol * tol;
}

/* Step 2 for one edge: the other features' vertices near it, in order. */
static int edge_inserts(const struct vindex *ix, uint32_t feature, const int32_t *p, const int32_t *q, int32_t tol,
                        struct inslist *out)
{
    out->n = 0;
    int64_t x0 = (p[0] < q[0] ? p[0] : q[0]) - tol, x1 = (p[0] > q[0] ? p[0] : q[0]) + tol;
    int64_t ylo = (p[1] < q[1] ? p[1] : q[1]) - tol, yhi = (p[1] > q[1] ? p[1] : q[1]) + tol;
    double slope = q[0] != p[0] ? ((double)q[1] - p[1]) / ((double)q[0] - p[0]) : 0;
    for (int64_t cx = x0 / ix->cell; cx <= x1 / ix->cell; cx++) {
        /* the edge's y range over this column, widened by tol */
        int64_t cy0 = ylo / ix->cell, cy1 = yhi / ix->cell;
        if (q[0] != p[0]) {
            double xa = (double)cx * ix->cell, xb = xa + ix->cell, ya = p[1] + (xa - p[0]) * slope,
                   yb = p[1] + (xb - p[0]) * slope;
            double lo = (ya < yb ? ya : yb) - tol, hi = (ya > yb ? ya : yb) + tol;
            lo = lo < ylo ? ylo : lo, hi = hi > yhi ? yhi : hi;
            cy0 = (int64_t)lo / ix->cell, cy1 = (int64_t)hi / ix->cell;
        }
        for (int64_t cy = cy0; cy <= cy1; cy++) {
            int64_t key = cell_key(cx, cy);
            for (size_t k = cell_start(ix, key); k < ix->n && ix->v[k].cell == key; k++) {
                double t;
                if (ix->v[k].feature == feature || !near_edge(&ix->v[k], p, q, tol, &t))
                    continue;
                if (out->n == out->cap) {
                    size_t cap = out->cap ? out->cap * 2 : 16;
                    struct ins *g = realloc(out->v, cap * sizeof *g);
                    if (!g)
                        return -1;
                    out->v = g, out->cap = cap;
                }
                out->v[out->n++] = (struct ins){t, ix->v[k].x, ix->v[k].y};
            }
        }
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_ins);
    return 0;
}

/* Rebuild feature i's rings with the vertices near its edges inserted. */
static int insert_into_feature(const struct vindex *ix, struct tl_feature *f, uint32_t i, int32_t tol,
                               struct inslist *ins)
{
    size_t cap = (size_t)f->npts * 2 + 16, n = 0;
    int32_t *xy = malloc(cap * 2 * sizeof *xy);
    if (!xy)
        return -1;
    for (uint32_t r = 0; r < f->nparts; r++) {
        struct tl_part *p = &f->parts[r];
        uint32_t start = (uint32_t)n;
        for (uint32_t k = 0; k < p->n; k++) {
            const int32_t *a = &f->xy[2 * (p->start + k)];
            size_t need = 1;
            if (k + 1 < p->n) {
                if (edge_inserts(ix, i, a, a + 2, tol, ins) != 0) {
                    free(xy);
                    return -1;
                }
                need += ins->n;
            } else
                ins->n = 0;
            if (n + need > cap) {
                cap = (n + need) * 2;
                int32_t *g = realloc(xy, cap * 2 * sizeof *g);
                if (!g) {
                    free(xy);
                    return -1;
                }
                xy = g;
            }
            xy[2 * n] = a[0], xy[2 * n + 1] = a[1], n++;
            for (size_t m = 0; m < ins->n; m++)
                xy[2 * n] = ins->v[m].x, xy[2 * n + 1] = ins->v[m].y, n++;
        }
        p->start = start;
        p->n = (uint32_t)n - start;
    }
    free(f->xy);
    f->xy = xy;
    f->npts = (uint32_t)n;
    return 0;
}

int tl_snap_polygons(struct pk_ctx *ctx, struct tl_features *F, size_t first, size_t last, int32_t tol)
{
    struct vindex ix = {0};
    struct inslist ins = {0};
    int32_t cell = tol > 0 ? 2 * tol : 1;
    int rc = tol > 0 && build_index(F, first, last, cell, &ix) != 0 ? -1 : 0;
    /* step 1 on copies, so every look-up sees the original vertices */
    for (size_t i = first; rc == 0 && tol > 0 && i < last; i++) {
        struct tl_feature *f = &F->f[i];
        if (f->type != PK_MVT_POLYGON)
            continue;
        int32_t *moved = malloc(((size_t)f->npts + 1) * 2 * sizeof *moved);
        if (!moved) {
            rc = -1;
            break;
        }
        for (uint32_t k = 0; k < f->npts; k++) {
            moved[2 * k] = f->xy[2 * k], moved[2 * k + 1] = f->xy[2 * k + 1];
            snap_point(&ix, (uint32_t)i, tol, &moved[2 * k], &moved[2 * k + 1]);
        }
        free(f->xy); /* the index holds its own copies of the original vertices */
        f->xy = moved;
    }
    free(ix.v);
    ix.v = NULL;
    if (rc == 0 && tol > 0)
        rc = build_index(F, first, last, cell, &ix);
    for (size_t i = first; rc == 0 && tol > 0 && i < last; i++)
        if (F->f[i].type == PK_MVT_POLYGON)
            rc = insert_into_feature(&ix, &F->f[i], (uint32_t)i, tol, &ins);
    for (size_t i = first; rc == 0 && tol > 0 && i < last; i++) { /* moves and inserts stay within tol */
        struct tl_feature *f = &F->f[i];
        for (uint32_t k = 0; f->type == PK_MVT_POLYGON && k < f->npts; k++) {
            int32_t x = f->xy[2 * k], y = f->xy[2 * k + 1];
            f->box[0] = x < f->box[0] ? x : f->box[0], f->box[2] = x > f->box[2] ? x : f->box[2];
            f->box[1] = y < f->box[1] ? y : f->box[1], f->box[3] = y > f->box[3] ? y : f->box[3];
        }
    }
    free(ix.v);
    free(ins.v);
    return rc == 0 ? PK_OK : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
}
