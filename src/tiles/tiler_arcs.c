/* tiler_arcs.c — the topology of a polygon layer on the world grid, and
 * simplification arc by arc.
 *
 * A shared border is the same sequence of grid points in the rings of both
 * neighbours (after tiler_snap.c). Its ends are junctions: points where the
 * set of neighbouring points differs between the rings that pass through
 * them (TopoJSON's rule: a point whose (previous, next) pair is not the
 * same, as an unordered pair, in every ring that has it). Cutting each ring
 * at its junctions gives its arcs; an arc shared by two neighbours is the
 * same point sequence in both, forwards or backwards. Each arc is
 * simplified (Douglas-Peucker) in one canonical direction that both rings
 * agree on, so both get the identical line at every zoom and the
 * neighbours never gap or overlap; junctions are always kept.
 *
 * Junctions are found with a hash table of points built stripe by stripe
 * (vertical stripes of about PART_POINTS points), so the table stays small
 * whatever the layer's size; each feature keeps one bit per vertex. */
#include <stdlib.h>
#include <string.h>

#include "tiler_arcs_int.h"

#define PART_POINTS (1u << 17)
#define HIST_BINS 4096

struct slot {
    uint64_t key;    /* the point */
    uint32_t pair;   /* hash of its first (previous, next) pair */
    uint32_t state;  /* 0 empty, 1 seen, 2 junction */
};

static uint64_t point_key(const int32_t *p) { return ((uint64_t)(uint32_t)p[0] << 32) | (uint32_t)p[1]; }

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* The distinct points of a part: closed rings without their closing point. */
static uint32_t distinct_points(const struct tl_feature *f, const struct tl_part *p)
{
    const int32_t *a = f->xy + 2 * (size_t)p->start, *b = a + 2 * (size_t)(p->n - 1);
    return p->n > 1 && a[0] == b[0] && a[1] == b[1] ? p->n - 1 : p->n;
}

void tl_feature_dedup(struct tl_feature *f)
{
    uint32_t w = 0;
    for (uint32_t k = 0; k < f->nparts; k++) {
        struct tl_part *p = &f->parts[k];
        uint32_t start = w;
        for (uint32_t i = 0; i < p->n; i++) {
            const int32_t *q = f->xy + 2 * ((size_t)p->start + i);
            if (w > start && f->xy[2 * (size_t)w - 2] == q[0] && f->xy[2 * (size_t)w - 1] == q[1])
                continue;
            int32_t x = q[0], y = q[1];
            f->xy[2 * (size_t)w] = x, f->xy[2 * (size_t)w + 1] = y, w++;
        }
        p->start = start, p->n = w - start;
    }
    f->npts = w;
}

/* Hash of the unordered pair of point i's neighbours in its ring. */
static uint32_t pair_hash(const int32_t *ring, uint32_t m, uint32_t i)
{
    uint64_t a = point_key(ring + 2 * (size_t)((i + m - 1) % m)), b = point_key(ring + 2 * (size_t)((i + 1) % m));
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    return (uint32_t)(mix64(lo * 0x9e3779b97f4a7c15ULL ^ mix64(hi)) >> 32);
}

static struct slot *find_slot(struct slot *t, size_t mask, uint64_t key, uint64_t h)
{
    for (size_t i = h & mask;; i = (i + 1) & mask)
        if (t[i].state == 0 || t[i].key == key)
            return &t[i];
}

/* One partition: record (mark = 0) or read back (mark = 1) its points. */
static void sweep(struct tl_features *F, size_t first, size_t last, struct slot *t, size_t mask, int64_t lo,
                  int64_t hi, int mark)
{
    for (size_t j = first; j < last; j++) {
        struct tl_feature *f = &F->f[j];
        if (f->type != PK_MVT_POLYGON || f->npts == 0 || f->box[2] < lo || f->box[0] >= hi)
            continue;
        for (uint32_t k = 0; k < f->nparts; k++) {
            const struct tl_part *p = &f->parts[k];
            const int32_t *ring = f->xy + 2 * (size_t)p->start;
            uint32_t m = distinct_points(f, p);
            for (uint32_t i = 0; i < m; i++) {
                if (ring[2 * (size_t)i] < lo || ring[2 * (size_t)i] >= hi)
                    continue;
                uint64_t key = point_key(ring + 2 * (size_t)i), h = mix64(key);
                struct slot *s = find_slot(t, mask, key, h);
                if (mark) {
                    if (s->state == 2) {
                        size_t b = (size_t)p->start + i;
                        f->junction[b >> 3] |= (uint8_t)(1u << (b & 7));
                    }
                    continue;
                }
                uint32_t ph = pair_hash(ring, m, i);
                if (s->state == 0)
                    *s = (struct slot){key, ph, 1};
                else if (s->pair != ph)
                    s->state = 2;
            }
        }
    }
}

int tl_x_stripes(const struct tl_features *F, size_t first, size_t last, size_t per, int64_t **cuts, size_t *n)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t total = 0;
    for (size_t i = first; i < last; i++)
        if (F->f[i].type == PK_MVT_POLYGON && F->f[i].npts > 0) {
            lo = F->f[i].box[0] < lo ? F->f[i].box[0] : lo;
            hi = F->f[i].box[2] > hi ? F->f[i].box[2] : hi;
            total += F->f[i].npts;
        }
    size_t *hist = calloc(HIST_BINS, sizeof *hist);
    *cuts = malloc((HIST_BINS + 2) * sizeof **cuts);
    *n = 0;
    if (!hist || !*cuts) {
        free(hist);
        return PK_ERR_NOMEM;
    }
    double width = total ? ((double)(hi - lo) + 1) / HIST_BINS : 1;
    for (size_t i = first; i < last; i++)
        for (uint32_t k = 0; F->f[i].type == PK_MVT_POLYGON && k < F->f[i].npts; k++)
            hist[(size_t)((double)(F->f[i].xy[2 * k] - lo) / width)]++;
    (*cuts)[0] = total ? lo : 0;
    for (size_t b = 0, acc = 0; b < HIST_BINS && total; b++) {
        acc += hist[b];
        if (acc >= per || b == HIST_BINS - 1) {
            (*cuts)[++*n] = b == HIST_BINS - 1 ? hi + 1 : lo + (int64_t)((double)(b + 1) * width);
            acc = 0;
        }
    }
    free(hist);
    return PK_OK;
}

int tl_mark_junctions(struct pk_ctx *ctx, struct tl_features *F, size_t first, size_t last)
{
    for (size_t j = first; j < last; j++) {
        struct tl_feature *f = &F->f[j];
        if (f->type != PK_MVT_POLYGON || f->npts == 0)
            continue;
        free(f->junction);
        if (!(f->junction = calloc(((size_t)f->npts + 7) / 8, 1)))
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    int64_t *cuts = NULL;
    size_t n = 0, cap = 1024;
    while (cap < 2 * PART_POINTS)
        cap *= 2;
    struct slot *t = malloc(cap * sizeof *t);
    if (!t || tl_x_stripes(F, first, last, PART_POINTS, &cuts, &n) != PK_OK) {
        free(t);
        free(cuts);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++) {
        size_t count = 0; /* a stripe may hold more than PART_POINTS (one histogram bin): grow the table */
        for (size_t j = first; j < last; j++)
            for (uint32_t i = 0; F->f[j].type == PK_MVT_POLYGON && F->f[j].box[2] >= cuts[k] &&
                                 F->f[j].box[0] < cuts[k + 1] && i < F->f[j].npts; i++)
                count += F->f[j].xy[2 * (size_t)i] >= cuts[k] && F->f[j].xy[2 * (size_t)i] < cuts[k + 1];
        size_t need = cap;
        while (need < 2 * count)
            need *= 2;
        struct slot *g = need > cap ? realloc(t, need * sizeof *t) : t;
        if (!g) {
            free(t);
            free(cuts);
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        }
        t = g, cap = need;
        memset(t, 0, cap * sizeof *t);
        sweep(F, first, last, t, cap - 1, cuts[k], cuts[k + 1], 0);
        sweep(F, first, last, t, cap - 1, cuts[k], cuts[k + 1], 1);
    }
    free(t);
    free(cuts);
    return PK_OK;
}

static int is_junction(const struct tl_feature *f, size_t i)
{
    return f->junction && (f->junction[i >> 3] >> (i & 7)) & 1;
}

static int point_less(const int32_t *a, const int32_t *b) { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]); }

/* Squared distance (grid units) of p from segment a-b. */
static double seg_dist2(const int32_t *p, const int32_t *a, const int32_t *b)
{
    double dx = (double)b[0] - a[0], dy = (double)b[1] - a[1];
    double px = (double)p[0] - a[0], py = (double)p[1] - a[1], len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = px - t * dx, ey = py - t * dy;
    return ex * ex + ey * ey;
}

/* Douglas-Peucker over the len points of a chain starting at position a of
 * a part of m points (wrapping), in its canonical direction: from the
 * smaller end point (x, then y), or for a closed chain in the direction
 * whose second point is the smaller. Sets keep[] (indexed by position) of
 * the points kept; the ends always are. */
static void simplify_chain(const int32_t *pts, uint32_t m, uint32_t a, uint32_t len, double tol2, uint8_t *keep,
                           uint32_t *stack)
{
#define AT(k) (pts + 2 * (size_t)((a + (rev ? len - 1 - (k) : (k))) % m))
    const int32_t *first = pts + 2 * (size_t)a, *lastp = pts + 2 * (size_t)((a + len - 1) % m);
    int rev = point_less(lastp, first);
    if (len > 3 && lastp[0] == first[0] && lastp[1] == first[1])
        rev = point_less(pts + 2 * (size_t)((a + len - 2) % m), pts + 2 * (size_t)((a + 1) % m));
    keep[a] = 1, keep[(a + len - 1) % m] = 1;
    size_t sp = 0;
    if (len > 2)
        stack[sp++] = 0, stack[sp++] = len - 1;
    while (sp > 0) {
        uint32_t j = stack[--sp], i = stack[--sp], best = 0;
        double worst = tol2;
        for (uint32_t k = i + 1; k < j; k++) {
            double d = seg_dist2(AT(k), AT(i), AT(j));
            if (d > worst)
                worst = d, best = k;
        }
        if (best == 0)
            continue;
        keep[(a + (rev ? len - 1 - best : best)) % m] = 1;
        if (best - i > 1)
            stack[sp++] = i, stack[sp++] = best;
        if (j - best > 1)
            stack[sp++] = best, stack[sp++] = j;
    }
#undef AT
}

uint32_t tl_part_simplify(const struct tl_feature *f, const struct tl_part *p, double tol, uint8_t *keep,
                          uint32_t *stack)
{
    const int32_t *pts = f->xy + 2 * (size_t)p->start;
    int ring = f->type == PK_MVT_POLYGON;
    uint32_t m = ring ? distinct_points(f, p) : p->n;
    memset(keep, tol > 0 && m >= 3 ? 0 : 1, m);
    if (tol <= 0 || m < 3)
        return m;
    double tol2 = tol * tol;
    if (!ring) {
        simplify_chain(pts, m, 0, m, tol2, keep, stack);
        return m;
    }
    uint32_t j0 = m, prev = m;
    for (uint32_t i = 0; i < m; i++) {
        if (!is_junction(f, (size_t)p->start + i))
            continue;
        if (prev == m)
            j0 = i;
        else
            simplify_chain(pts, m, prev, i - prev + 1, tol2, keep, stack);
        prev = i;
    }
    if (prev == m) { /* no junction: one closed arc from its smallest point */
        uint32_t lo = 0;
        for (uint32_t i = 1; i < m; i++)
            lo = point_less(pts + 2 * (size_t)i, pts + 2 * (size_t)lo) ? i : lo;
        simplify_chain(pts, m, lo, m + 1, tol2, keep, stack);
    } else
        simplify_chain(pts, m, prev, (j0 + m - prev) % m + 1 + (j0 == prev ? m : 0), tol2, keep, stack);
    return m;
}
