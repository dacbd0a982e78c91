/* tiler_snap.c — make near-coincident borders of a polygon layer identical
 * before tiling. Borders two neighbours share are identical point sequences
 * in clean data, but a repaired input (MakeValid adds nodes where rings
 * crossed) or data from two sources gives the two sides slightly different
 * vertices; rounded to a coarse zoom's grid, each such vertex opens a sliver
 * gap or overlap of up to a tile unit. Two steps on the world grid, over the
 * polygons of one layer:
 *   1. a vertex that no other feature has, within tol of vertices of other
 *      features, moves to the smallest of them (x, then y), so both sides
 *      agree on it (a vertex already shared stays: it is agreed on);
 *   2. a vertex of another feature within tol of an edge (strictly between
 *      its ends), and not a vertex of this feature already, is inserted into
 *      that edge, in order along it;
 * after which a shared border has the same vertices on both sides, and the
 * arcs of tiler_arcs.c find it.
 *
 * The layer is done in vertical stripes of about STRIPE_POINTS vertices,
 * each with its own index of the vertices near it (sorted by grid cell,
 * with a hash of the cells), so memory stays small whatever the layer's
 * size. Step 1 moves vertices in place, stripe after stripe from the west
 * (a move never goes east, so no vertex is moved twice); step 2 collects
 * the points to insert over all stripes, then rebuilds the rings once. */
#include <stdlib.h>
#include <string.h>

#include "tiler_arcs_int.h"
#include "tiler_snap_int.h"

#define STRIPE_POINTS (1u << 16)

struct vtx {
    int64_t cell;            /* cell_key of the vertex, for sorting */
    int32_t x, y;
    uint32_t feature;
};

struct cellslot {
    int64_t key;
    uint32_t start, count;   /* count 0: empty */
};

/* The vertices with lo <= x < hi, sorted by cell, and a hash of the cells. */
struct vindex {
    struct vtx *v;
    size_t n;
    int32_t cell;
    struct cellslot *slots;
    size_t mask;
};

/* A point to insert into the edge after vertex `at` of a feature. */
struct ins {
    uint32_t feature, at;
    double t;
    int32_t x, y;
};

struct inslist {
    struct ins *v;
    size_t n, cap;
};

struct snap {
    struct tl_features *F;
    size_t first, last;
    int32_t tol, cell;
    struct vindex ix;
    struct inslist ins;
};

static int64_t cell_of(int32_t v, int32_t cell) { return (int64_t)v / cell; }
static int64_t cell_key(int64_t cx, int64_t cy) { return (cx << 32) | (cy & 0xffffffff); }
static uint64_t cell_hash(int64_t key) { return ((uint64_t)key * 0x9e3779b97f4a7c15ULL) >> 17; }
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

static int box_meets(const struct tl_feature *f, int64_t lo, int64_t hi)
{
    return f->type == PK_MVT_POLYGON && f->npts > 0 && f->box[2] >= lo && f->box[0] < hi;
}

/* Index the vertices with lo <= x < hi. Returns 0, or -1 out of memory. */
static int build_index(struct snap *s, int64_t lo, int64_t hi)
{
    struct vindex *ix = &s->ix;
    size_t n = 0;
    for (size_t i = s->first; i < s->last; i++)
        for (uint32_t k = 0; box_meets(&s->F->f[i], lo, hi) && k < s->F->f[i].npts; k++)
            n += s->F->f[i].xy[2 * k] >= lo && s->F->f[i].xy[2 * k] < hi;
    free(ix->v);
    free(ix->slots);
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    ix->v = malloc((n + 1) * sizeof *ix->v), ix->slots = calloc(cap, sizeof *ix->slots);
    ix->n = 0, ix->cell = s->cell, ix->mask = cap - 1;
    if (!ix->v || !ix->slots)
        return -1;
    for (size_t i = s->first; i < s->last; i++) {
        const struct tl_feature *f = &s->F->f[i];
        for (uint32_t k = 0; box_meets(f, lo, hi) && k < f->npts; k++)
            if (f->xy[2 * k] >= lo && f->xy[2 * k] < hi)
                ix->v[ix->n++] = (struct vtx){cell_key(cell_of(f->xy[2 * k], s->cell), cell_of(f->xy[2 * k + 1], s->cell)),
                                              f->xy[2 * k], f->xy[2 * k + 1], (uint32_t)i};
    }
    qsort(ix->v, ix->n, sizeof *ix->v, cmp_vtx);
    for (size_t k = 0; k < ix->n;) {
        int64_t key = ix->v[k].cell;
        size_t e = k + 1;
        while (e < ix->n && ix->v[e].cell == key)
            e++;
        size_t h = cell_hash(key) & ix->mask;
        while (ix->slots[h].count)
            h = (h + 1) & ix->mask;
        ix->slots[h] = (struct cellslot){key, (uint32_t)k, (uint32_t)(e - k)};
        k = e;
    }
    return 0;
}

/* The vertices of cell (cx, cy): *n of them from the returned one. */
static const struct vtx *cell_vertices(const struct vindex *ix, int64_t cx, int64_t cy, size_t *n)
{
    int64_t key = cell_key(cx, cy);
    for (size_t h = cell_hash(key) & ix->mask; ix->slots[h].count; h = (h + 1) & ix->mask)
        if (ix->slots[h].key == key) {
            *n = ix->slots[h].count;
            return ix->v + ix->slots[h].start;
        }
    *n = 0;
    return NULL;
}

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

/* Does feature `feature` have a vertex at (x, y)? (the index's cell) */
static int has_vertex(const struct vindex *ix, uint32_t feature, int32_t x, int32_t y)
{
    size_t n;
    const struct vtx *u = cell_vertices(ix, cell_of(x, ix->cell), cell_of(y, ix->cell), &n);
    for (size_t k = 0; k < n; k++, u++)
        if (u->x == x && u->y == y && u->feature == feature)
            return 1;
    return 0;
}

/* Step 1: the smallest vertex of another feature within tol of (x, y), or
 * (x, y) itself when it is smaller, there is none, or another feature has
 * (x, y) already. */
static void snap_point(const struct vindex *ix, uint32_t feature, int32_t tol, int32_t *x, int32_t *y)
{
    int64_t cx = cell_of(*x, ix->cell), cy = cell_of(*y, ix->cell);
    int32_t bx = *x, by = *y;
    for (int64_t a = cx - 1; a <= cx + 1; a++)
        for (int64_t b = cy - 1; b <= cy + 1; b++) {
            size_t n;
            const struct vtx *u = cell_vertices(ix, a, b, &n);
            for (size_t k = 0; k < n; k++, u++) {
                if (u->feature == feature || abs64((int64_t)u->x - *x) > tol || abs64((int64_t)u->y - *y) > tol)
                    continue;
                if (u->x == *x && u->y == *y)
                    return; /* shared already */
                if (u->x < bx || (u->x == bx && u->y < by))
                    bx = u->x, by = u->y;
            }
        }
    *x = bx, *y = by;
}

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

static int push_ins(struct inslist *l, struct ins v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct ins *g = realloc(l->v, cap * sizeof *g);
        if (!g)
            return -1;
        l->v = g, l->cap = cap;
    }
    l->v[l->n++] = v;
    return 0;
}

/* Step 2 for the edge after vertex `at` of feature `feature`: the other
 * features' vertices near it with lo <= x < hi. */
static int edge_inserts(struct snap *s, uint32_t feature, uint32_t at, int64_t lo, int64_t hi)
{
    const int32_t *p = s->F->f[feature].xy + 2 * (size_t)at, *q = p + 2;
    int32_t tol = s->tol;
    int64_t x0 = (p[0] < q[0] ? p[0] : q[0]) - tol, x1 = (p[0] > q[0] ? p[0] : q[0]) + tol;
    x0 = x0 < lo ? lo : x0, x1 = x1 >= hi ? hi - 1 : x1; /* only this stripe's vertices */
    int64_t y0 = (p[1] < q[1] ? p[1] : q[1]) - tol, y1 = (p[1] > q[1] ? p[1] : q[1]) + tol;
    for (int64_t cx = x0 / s->cell; cx <= x1 / s->cell; cx++)
        for (int64_t cy = y0 / s->cell; cy <= y1 / s->cell; cy++) {
            size_t n;
            const struct vtx *u = cell_vertices(&s->ix, cx, cy, &n);
            for (size_t k = 0; k < n; k++, u++) {
                double t;
                if (u->feature != feature && u->x >= lo && u->x < hi && near_edge(u, p, q, tol, &t) &&
                    !has_vertex(&s->ix, feature, u->x, u->y) &&
                    push_ins(&s->ins, (struct ins){feature, at, t, u->x, u->y}) != 0)
                    return -1;
            }
        }
    return 0;
}

/* Step 1 over one stripe [lo, hi). */
static int snap_stripe(struct snap *s, int64_t lo, int64_t hi)
{
    if (build_index(s, lo - s->cell, hi + s->cell) != 0)
        return -1;
    for (size_t i = s->first; i < s->last; i++) {
        struct tl_feature *f = &s->F->f[i];
        for (uint32_t k = 0; box_meets(f, lo, hi) && k < f->npts; k++)
            if (f->xy[2 * k] >= lo && f->xy[2 * k] < hi)
                snap_point(&s->ix, (uint32_t)i, s->tol, &f->xy[2 * k], &f->xy[2 * k + 1]);
    }
    return 0;
}

/* Step 2 over stripe [lo, hi): every edge that comes within tol of it,
 * with the other features' vertices in it (so each pair is met in one
 * stripe only, and the index holds the stripe alone). */
static int insert_stripe(struct snap *s, int64_t lo, int64_t hi)
{
    if (build_index(s, lo - s->cell, hi + s->cell) != 0)
        return -1;
    for (size_t i = s->first; i < s->last; i++) {
        const struct tl_feature *f = &s->F->f[i];
        for (uint32_t r = 0; box_meets(f, lo - s->tol, hi + s->tol) && r < f->nparts; r++)
            for (uint32_t k = f->parts[r].start; k + 1 < f->parts[r].start + f->parts[r].n; k++) {
                int32_t a = f->xy[2 * k], b = f->xy[2 * k + 2];
                if ((a > b ? a : b) + (int64_t)s->tol >= lo && (a < b ? a : b) - (int64_t)s->tol < hi &&
                    edge_inserts(s, (uint32_t)i, k, lo, hi) != 0)
                    return -1;
            }
    }
    return 0;
}

static int cmp_ins(const void *a, const void *b)
{
    const struct ins *p = a, *q = b;
    if (p->feature != q->feature)
        return p->feature < q->feature ? -1 : 1;
    if (p->at != q->at)
        return p->at < q->at ? -1 : 1;
    if (p->t != q->t)
        return p->t < q->t ? -1 : 1;
    return p->x != q->x ? (p->x < q->x ? -1 : 1) : (p->y < q->y ? -1 : p->y > q->y);
}

/* Put inserts v[0..n) (sorted) into feature f's rings, in place: the
 * array grows once and points move towards its end, last first. */
static int rebuild(struct tl_feature *f, const struct ins *v, size_t n)
{
    int32_t *xy = realloc(f->xy, ((size_t)f->npts + n) * 2 * sizeof *xy);
    if (!xy)
        return -1;
    f->xy = xy;
    size_t w = (size_t)f->npts + n, j = n;
    for (uint32_t k = f->npts; k-- > 0;) {
        for (; j > 0 && v[j - 1].at == k; j--)
            w--, xy[2 * w] = v[j - 1].x, xy[2 * w + 1] = v[j - 1].y;
        w--, xy[2 * w] = xy[2 * (size_t)k], xy[2 * w + 1] = xy[2 * (size_t)k + 1];
    }
    size_t before = 0; /* inserts into earlier parts shift a part's start */
    for (uint32_t r = 0; r < f->nparts; r++) {
        struct tl_part *p = &f->parts[r];
        size_t in = 0;
        while (j < n && v[j].at < p->start + p->n)
            j++, in++;
        p->start += (uint32_t)before, p->n += (uint32_t)in;
        before += in;
    }
    f->npts += (uint32_t)n;
    return 0;
}

/* Widen the boxes to the moved and inserted points (within tol). */
static void widen_boxes(struct snap *s)
{
    for (size_t i = s->first; i < s->last; i++) {
        struct tl_feature *f = &s->F->f[i];
        for (uint32_t k = 0; f->type == PK_MVT_POLYGON && k < f->npts; k++) {
            int32_t x = f->xy[2 * k], y = f->xy[2 * k + 1];
            f->box[0] = x < f->box[0] ? x : f->box[0], f->box[2] = x > f->box[2] ? x : f->box[2];
            f->box[1] = y < f->box[1] ? y : f->box[1], f->box[3] = y > f->box[3] ? y : f->box[3];
        }
    }
}

/* Insert the collected points and widen the boxes. */
static int apply_inserts(struct snap *s)
{
    if (s->ins.n > 1)
        qsort(s->ins.v, s->ins.n, sizeof *s->ins.v, cmp_ins);
    for (size_t a = 0, b; a < s->ins.n; a = b) {
        for (b = a + 1; b < s->ins.n && s->ins.v[b].feature == s->ins.v[a].feature;)
            b++;
        if (rebuild(&s->F->f[s->ins.v[a].feature], s->ins.v + a, b - a) != 0)
            return -1;
    }
    widen_boxes(s);
    return 0;
}

int tl_snap_polygons(struct pk_ctx *ctx, struct tl_features *F, size_t first, size_t last, int32_t tol)
{
    if (tol <= 0)
        return PK_OK;
    struct snap s = {.F = F, .first = first, .last = last, .tol = tol, .cell = tol}; /* +-1 cell covers +-tol */
    int64_t *cuts = NULL;
    size_t n = 0;
    int rc = tl_x_stripes(F, first, last, STRIPE_POINTS, &cuts, &n) == PK_OK ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < n; k++)
        rc = snap_stripe(&s, cuts[k], cuts[k + 1]);
    if (rc == 0 && n > 0) { /* moved vertices may have left their box and the first stripe */
        widen_boxes(&s);
        cuts[0] = INT64_MIN / 4;
    }
    for (size_t k = 0; rc == 0 && k < n; k++)
        rc = insert_stripe(&s, cuts[k], cuts[k + 1]);
    free(s.ix.v);
    free(s.ix.slots);
    if (rc == 0)
        rc = apply_inserts(&s);
    free(s.ins.v);
    free(cuts);
    return rc == 0 ? PK_OK : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
}
