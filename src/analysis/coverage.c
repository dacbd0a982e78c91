/* coverage.c — `plankit coverage`: for every feature of a layer, the tasks
 * that touch it and the share of its area their linked zones and footprints
 * cover (unioned, so overlaps count once).
 *
 * Engine: the covering geometries are loaded once into an STRtree; the
 * layer's features are read with the feature reader and processed across a
 * thread pool, each thread on its own pk_worker; per feature see
 * compute_feature. Everything is cut in the store CRS and measured with
 * measure.c, as overlay, query and layer info do, so all commands give the
 * same areas. Rows come out in fid order whatever the thread count.
 *
 * The result is data only: one typed row per feature and, on request, the
 * totals as a struct (pk_coverage_totals); the "(total)" and city-wide rows
 * people read are made by the front end (tools/cmd_query.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover_int.h"
#include "crs_int.h"
#include "geom_int.h"
#include "planar_int.h"
#include "pool_int.h"
#include "reader_int.h"
#include "spatial_int.h"
#include "worker_int.h"
#include "plankit/query.h"

#define CHUNK 256

struct feature {
    long long fid;
    char *name;
    GEOSGeometry *geom;     /* store CRS, owned; NULL when the feature has none */
    /* results */
    double area, covered;   /* m² */
    unsigned char *tasks;   /* one byte per task of the set */
    int ntasks;
    char *geojson;
    char *accuracy;         /* the feature's accuracy field (GeoJSON output), or NULL */
    int rc;
    char err[256];
};

struct coverage {
    struct pk_store *store;
    const struct pk_coverage_opts *opts;
    struct pk_cover_set *cs;
    struct pk_layer_ref layer;
    struct feature *feats;
    size_t nfeats, cap;
    size_t *order;          /* feature indices, largest first (the order the pool takes them) */
    struct pk_worker_conf conf;
    int geojson_reproject;  /* GeoJSON is WGS84 (RFC 7946): store CRS -> EPSG:4326 */
    int with_accuracy;      /* GeoJSON of a layer with an accuracy field: carry it */
};

static void mark(struct feature *f, const struct pk_cover_src *s)
{
    for (int i = 0; i < s->ntasks; i++)
        f->tasks[s->tasks[i]] = 1;
}

/* Union of the covering polygons (store CRS); NULL on error (recorded in
 * t->ctx). Caller frees with GEOSGeom_destroy_r. */
static GEOSGeometry *union_of(struct pk_worker *t, const struct pk_cover_src *const *src, size_t n)
{
    const GEOSGeometry **geoms = malloc(n * sizeof *geoms);
    GEOSGeometry *u = NULL;
    if (!geoms) {
        pk_error(t->ctx, PK_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        geoms[i] = src[i]->g;
    pk_geom_union_all(t->ctx, geoms, n, &u);
    free(geoms);
    return u;
}

static size_t find_root(size_t *parent, size_t k)
{
    while (parent[k] != k)
        k = parent[k] = parent[parent[k]];
    return k;
}

/* What one thread knows about the feature F it is computing: F itself, its
 * prepared form and rings (made on first use), and the covering polygons
 * found to overlap it, with over[k] = area(F ∩ cover[k]) and inside[k] set
 * when F covers cover[k]. */
struct job {
    struct pk_worker *t;
    const GEOSGeometry *F;
    const GEOSPreparedGeometry *pF;
    struct pk_rings rings;
    int rings_tried;
    const struct pk_cover_src **cover;
    double *over;
    int *inside;
    size_t ncover;
};

static const GEOSPreparedGeometry *job_prepared(struct job *j)
{
    if (!j->pF && !(j->pF = GEOSPrepare_r(pk_geos(j->t->ctx), j->F)))
        pk_error_geos(j->t->ctx, "cannot prepare the feature");
    return j->pF;
}

/* F's rings for the planar kernels; NULL when they cannot be read (the
 * caller then uses GEOS). */
static const struct pk_rings *job_rings(struct job *j)
{
    if (!j->rings_tried) {
        j->rings_tried = 1;
        pk_rings_read(pk_geos(j->t->ctx), j->F, &j->rings); /* on failure, no rings: GEOS does it */
    }
    return j->rings.n ? &j->rings : NULL;
}

static void job_release(struct job *j)
{
    pk_measure_cache_end(&j->t->measure);
    if (j->pF)
        GEOSPreparedGeom_destroy_r(pk_geos(j->t->ctx), j->pF);
    pk_rings_free(&j->rings);
    free(j->cover);
    free(j->over);
    free(j->inside);
}

/* Measure a GEOS predicate's answer: 0 or 1, or an error for 2. */
static int geos_answer(struct pk_worker *t, char answer, int *out, const char *what)
{
    if (answer == 2)
        return pk_error_geos(t->ctx, what);
    *out = answer;
    return PK_OK;
}

/* area(F ∩ S) for one polygon S in *overlap, and whether F covers S. A
 * convex S (circles, rectangles: most footprints) is cut from F's rings
 * directly, after a test on run envelopes that tells, for most, that F's
 * boundary stays away, when one point-in-polygon test says inside or
 * outside; any other S goes to GEOS, cut locally (pk_local_overlap). */
static int polygon_overlap(struct job *j, const struct pk_cover_src *s, double *overlap, int *inside)
{
    struct pk_worker *t = j->t;
    GEOSContextHandle_t h = pk_geos(t->ctx);
    const struct pk_rings *rings = s->convex ? job_rings(j) : NULL;
    *overlap = 0;
    *inside = 0;
    if (rings) {
        double box[4];
        GEOSGeom_getExtent_r(h, s->g, &box[0], &box[1], &box[2], &box[3]);
        if (!pk_rings_near(rings, box)) { /* the boundary stays away: all inside or all outside */
            *inside = pk_rings_contain(rings, s->convex[0], s->convex[1]);
            *overlap = *inside ? s->area : 0;
            return PK_OK;
        }
        double a = pk_convex_overlap(&t->measure, rings, s->convex, s->nconvex);
        if (a < 0)
            return pk_error(t->ctx, PK_ERR_DATA, "%s: cannot measure its overlap", s->what);
        /* inside when the clipped area is its whole area (to within rounding:
         * a sliver that small outside would not show) */
        *inside = fabs(a - s->area) <= 1e-9 * s->area;
        *overlap = *inside ? s->area : a;
        return PK_OK;
    }
    const GEOSPreparedGeometry *pF = job_prepared(j);
    int meets = 0, rc = pF ? geos_answer(t, GEOSPreparedIntersects_r(h, pF, s->g), &meets, "intersects") : PK_ERR_GEOS;
    if (rc != PK_OK || !meets)
        return rc;
    if ((rc = geos_answer(t, GEOSPreparedCovers_r(h, pF, s->g), inside, "covers")) != PK_OK)
        return rc;
    if (*inside) {
        *overlap = s->area;
        return PK_OK;
    }
    double a = pk_local_overlap(&t->measure, h, j->F, s->g);
    if (a < 0)
        return pk_errcode(t->ctx) != PK_OK ? pk_errcode(t->ctx) : pk_error_geos(t->ctx, "intersection");
    *overlap = a;
    return PK_OK;
}

/* The envelope of a group's members widened by a margin; the box the
 * planar kernels cut F's rings to for that group. */
static void group_box(GEOSContextHandle_t h, const struct pk_cover_src **group, size_t m, double box[4])
{
    for (size_t k = 0; k < m; k++) {
        double e[4];
        GEOSGeom_getExtent_r(h, group[k]->g, &e[0], &e[1], &e[2], &e[3]);
        if (k == 0 || e[0] < box[0])
            box[0] = e[0];
        if (k == 0 || e[1] < box[1])
            box[1] = e[1];
        if (k == 0 || e[2] > box[2])
            box[2] = e[2];
        if (k == 0 || e[3] > box[3])
            box[3] = e[3];
    }
    double margin = pk_box_margin(box[0], box[1], box[2], box[3]);
    box[0] -= margin, box[1] -= margin, box[2] += margin, box[3] += margin;
}

/* area(F ∩ (S1 ∪ ... ∪ Sm)) of a group of convex members by
 * inclusion-exclusion over their (convex) intersections, F's rings first
 * cut to the group's box. Returns 1 with *area, or 0 when the group is too
 * entangled for it (then GEOS takes it). */
static int convex_group_area(struct job *j, const struct pk_cover_src **group, const double *over,
                             const int *inside, size_t m, int crossing, double *area)
{
    const struct pk_rings *rings = crossing ? job_rings(j) : NULL;
    if (crossing && !rings)
        return 0;
    double box[4];
    struct pk_rings local = {0};
    group_box(pk_geos(j->t->ctx), group, m, box);
    int done = (!crossing || pk_rings_clip_box(rings, box, &local) == PK_OK) &&
               pk_incl_excl_area(&j->t->measure, group, over, inside, (int)m, &local, area);
    pk_rings_free(&local);
    return done;
}

/* area(F ∩ (S1 ∪ ... ∪ Sm)) of a group through GEOS: the group is unioned
 * (small shapes in general position, its fast path), and the parts of the
 * union that cross F's boundary are intersected with F cut to a box around
 * them. Unioning pieces cut out of F instead would overlay nearly coincident
 * copies of F's boundary, which GEOS handles only through its slow snapping
 * fallbacks. */
static int union_group_area(struct job *j, const struct pk_cover_src **group, size_t m, int crossing, double *area)
{
    struct pk_worker *t = j->t;
    GEOSContextHandle_t h = pk_geos(t->ctx);
    GEOSGeometry *u = union_of(t, group, m);
    int nparts = u ? GEOSGetNumGeometries_r(h, u) : -1, rc = u ? PK_OK : pk_errcode(t->ctx);
    *area = 0;
    if (rc == PK_OK && nparts < 0) /* a GEOS exception: never an area of 0 */
        rc = pk_error(t->ctx, PK_ERR_GEOS, "coverage: cannot count the parts of a union of task geometries");
    for (int k = 0; rc == PK_OK && k < nparts; k++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(h, u, k);
        const GEOSPreparedGeometry *pF = crossing ? job_prepared(j) : NULL;
        int covered = !crossing;
        double a = -1;
        if (crossing && (rc = pF ? geos_answer(t, GEOSPreparedCovers_r(h, pF, part), &covered, "covers")
                                 : PK_ERR_GEOS) != PK_OK)
            break;
        if (covered)
            rc = pk_worker_area(t, part, &a);
        else if ((a = pk_local_overlap(&t->measure, h, j->F, part)) < 0)
            rc = pk_errcode(t->ctx) != PK_OK ? pk_errcode(t->ctx) : pk_error_geos(t->ctx, "intersection");
        *area += rc == PK_OK ? a : 0;
    }
    if (u)
        GEOSGeom_destroy_r(h, u);
    return rc;
}

/* Group the covering polygons whose envelopes meet (union-find over
 * parent[]); groups are disjoint, so their areas add up. */
static void group_sources(GEOSContextHandle_t h, const struct job *j, size_t *parent, double (*env)[4])
{
    size_t n = j->ncover;
    for (size_t k = 0; k < n; k++) {
        parent[k] = k;
        GEOSGeom_getExtent_r(h, j->cover[k]->g, &env[k][0], &env[k][1], &env[k][2], &env[k][3]);
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (env[a][0] <= env[b][2] && env[b][0] <= env[a][2] && env[a][1] <= env[b][3] &&
                env[b][1] <= env[a][3]) {
                size_t ra = find_root(parent, a), rb = find_root(parent, b);
                if (ra != rb)
                    parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
            }
}

/* area(F ∩ (S1 ∪ ... ∪ Sn)) over the covering polygons found overlapping F:
 * a group of one adds its overlap, a convex group goes by
 * inclusion-exclusion, any other group through GEOS. */
static int covered_area(struct job *j, double *covered)
{
    GEOSContextHandle_t h = pk_geos(j->t->ctx);
    size_t n = j->ncover;
    size_t *parent = malloc(n * sizeof *parent);
    double(*env)[4] = malloc(n * sizeof *env), *o = malloc(n * sizeof *o);
    const struct pk_cover_src **group = malloc(n * sizeof *group);
    int *in = malloc(n * sizeof *in);
    int rc = parent && env && o && group && in ? PK_OK : pk_error(j->t->ctx, PK_ERR_NOMEM, "out of memory");
    *covered = 0;
    if (rc == PK_OK)
        group_sources(h, j, parent, env);
    for (size_t r = 0; rc == PK_OK && r < n; r++) {
        if (find_root(parent, r) != r)
            continue;
        size_t m = 0;
        int crossing = 0, convex = 1;
        for (size_t k = r; k < n; k++)
            if (find_root(parent, k) == r) {
                group[m] = j->cover[k];
                o[m] = j->over[k];
                in[m++] = j->inside[k];
                crossing |= !j->inside[k];
                convex &= j->cover[k]->convex != NULL;
            }
        double a = 0;
        if (m == 1)
            a = o[0];
        else if (!convex || !convex_group_area(j, group, o, in, m, crossing, &a))
            rc = union_group_area(j, group, m, crossing, &a);
        *covered += a > 0 ? a : 0;
    }
    free(parent);
    free(env);
    free(o);
    free(group);
    free(in);
    return rc;
}

/* Find the covering geometries that touch F: tasks are marked in f, and
 * the polygons that overlap F by at least PK_MIN_OVERLAP_M2 and cover area
 * (cover_int.h: not a located-in link to a district, ...) are kept in j. A
 * source linked to F itself that covers area covers F whole (*full).
 * Contact with lines and points is tested with GEOS. */
static int find_cover(struct job *j, struct coverage *C, struct feature *f, int polygonal, int *full)
{
    GEOSContextHandle_t h = pk_geos(j->t->ctx);
    struct pk_cover_src **cand = NULL;
    size_t nc = 0;
    int rc = pk_cover_candidates(h, C->cs, j->F, &cand, &nc);
    if (rc != PK_OK)
        return pk_error(j->t->ctx, rc, "out of memory");
    j->cover = calloc(nc ? nc : 1, sizeof *j->cover);
    j->over = calloc(nc ? nc : 1, sizeof *j->over);
    j->inside = calloc(nc ? nc : 1, sizeof *j->inside);
    if (!j->cover || !j->over || !j->inside)
        rc = pk_error(j->t->ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t c = 0; rc == PK_OK && c < nc; c++) {
        const struct pk_cover_src *s = cand[c];
        double overlap = 0;
        int inside = 0, meets = 0;
        if (s->layer_id == C->layer.id && s->fid == f->fid) {
            *full |= s->covers_area; /* (a located-in link to a town concerns it, covers none of it) */
            mark(f, s);
        } else if (!polygonal || !s->polygonal) {
            const GEOSPreparedGeometry *pF = job_prepared(j);
            rc = pF ? geos_answer(j->t, GEOSPreparedIntersects_r(h, pF, s->g), &meets, "intersects") : PK_ERR_GEOS;
            if (rc == PK_OK && meets)
                mark(f, s);
        } else if ((rc = polygon_overlap(j, s, &overlap, &inside)) == PK_OK && overlap >= PK_MIN_OVERLAP_M2) {
            mark(f, s);
            if (!s->covers_area)
                continue;
            j->over[j->ncover] = overlap;
            j->inside[j->ncover] = inside;
            j->cover[j->ncover++] = s;
        }
    }
    free(cand);
    return rc;
}

/* The feature's GeoJSON geometry, in WGS84 (RFC 7946). */
static int feature_geojson(struct pk_worker *t, struct coverage *C, struct feature *f)
{
    int rc = PK_OK;
    struct pk_transform *wgs84 = C->geojson_reproject ? pk_worker_transform(t, 4326, &rc) : NULL;
    if (rc != PK_OK)
        return rc;
    GEOSGeometry *ll = wgs84 ? pk_transform_geom(t->ctx, wgs84, f->geom) : NULL;
    if (wgs84 && !ll)
        return pk_errcode(t->ctx);
    f->geojson = pk_geom_to_geojson(t->ctx, ll ? ll : f->geom);
    if (ll)
        GEOSGeom_destroy_r(pk_geos(t->ctx), ll);
    return f->geojson ? PK_OK : pk_error(t->ctx, PK_ERR_NOMEM, "out of memory");
}

/* One feature F: the tasks that touch it, its area, and the area that the
 * covering polygons overlapping it by at least 1 m² cover,
 * area(F ∩ (S1 ∪ S2 ∪ ...)) (a task counts for F when one of its polygons
 * does, or when it is linked to F itself, which covers F whole). All cut in
 * the store CRS and measured with measure.c, so this is the number the
 * overlay and the queries give. The result depends on nothing but the
 * data: not on the thread count. */
static void compute_feature(void *state, size_t i, void *arg)
{
    struct pk_worker *t = state;
    struct coverage *C = arg;
    struct feature *f = &C->feats[C->order[i]];
    if (!t || t->rc != PK_OK) {
        f->rc = PK_ERR_NOMEM;
        snprintf(f->err, sizeof f->err, "cannot start a worker thread");
        return;
    }
    if (!f->geom)
        return;
    struct job j = {.t = t, .F = f->geom};
    pk_measure_cache_begin(&t->measure); /* F's vertices are measured again in every piece cut from it */
    int full = 0, polygonal = pk_geom_is_polygonal(t->ctx, f->geom);
    int rc = polygonal ? pk_worker_area(t, f->geom, &f->area) : PK_OK;
    if (rc == PK_OK)
        rc = find_cover(&j, C, f, polygonal, &full);
    if (rc == PK_OK && polygonal)
        rc = full ? (f->covered = f->area, PK_OK) : j.ncover ? covered_area(&j, &f->covered) : PK_OK;
    if (f->covered > f->area)
        f->covered = f->area;
    if (rc == PK_OK && C->opts->with_geometry)
        rc = feature_geojson(t, C, f);
    for (size_t b = 0; b < C->cs->ntasks; b++)
        f->ntasks += f->tasks[b];
    if (rc != PK_OK) {
        f->rc = rc;
        snprintf(f->err, sizeof f->err, "%s", pk_errmsg(t->ctx)[0] ? pk_errmsg(t->ctx) : "GEOS operation failed");
    }
    job_release(&j);
}

/* Reader callback: keep fid, name and geometry of a feature. */
static int keep_feature(void *arg, struct pk_feature *pf)
{
    struct coverage *C = arg;
    struct pk_ctx *ctx = pk_store_ctx(C->store);
    if (C->nfeats == C->cap) {
        size_t cap = C->cap ? C->cap * 2 : 256;
        struct feature *grown = realloc(C->feats, cap * sizeof *grown);
        if (!grown)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        C->feats = grown;
        C->cap = cap;
    }
    struct feature *f = &C->feats[C->nfeats];
    memset(f, 0, sizeof *f);
    f->fid = pf->fid;
    f->name = pf->label ? strdup(pf->label) : NULL;
    f->tasks = calloc(C->cs->ntasks ? C->cs->ntasks : 1, 1);
    const struct pk_value *acc = pf->nattrs > 0 && pf->attrs[0].type == PK_VAL_TEXT ? &pf->attrs[0] : NULL;
    f->accuracy = acc ? strdup(acc->s) : NULL;
    if ((pf->label && !f->name) || !f->tasks || (acc && !f->accuracy)) {
        free(f->name);
        free(f->tasks);
        free(f->accuracy);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    f->geom = pf->geom;
    pf->geom = NULL;
    C->nfeats++;
    return PK_OK;
}

/* Read fid, name and geometry of every feature of the layer. */
static int read_features(struct coverage *C)
{
    struct pk_store *S = C->store;
    int rc;
    /* the layer's name field (name, 名称, NAME, mc or --name-field) */
    static const char *const accuracy[] = {"accuracy"};
    struct pk_reader_spec spec = {&C->layer, 1, *C->layer.name_field ? C->layer.name_field : NULL,
                                  C->with_accuracy, accuracy};
    struct pk_reader *r = NULL;
    if ((rc = pk_reader_new(pk_store_ctx(S), S->db, &spec, &r)) == PK_OK)
        rc = pk_reader_all(r, keep_feature, C);
    pk_reader_free(r);
    return rc;
}

/* The ids of the tasks set in mask, comma-separated; "" when none. Caller
 * frees with free(); NULL when out of memory. */
static char *task_list(const struct pk_cover_set *cs, const unsigned char *mask)
{
    size_t len = 1;
    for (size_t i = 0; i < cs->ntasks; i++)
        if (mask[i])
            len += strlen(cs->task_ids[i]) + 1;
    char *s = calloc(len, 1);
    for (size_t i = 0; s && i < cs->ntasks; i++)
        if (mask[i]) {
            if (*s)
                strcat(s, ",");
            strcat(s, cs->task_ids[i]);
        }
    return s;
}

/* Append feature f's row: numbers as numbers with all their digits (km²,
 * the share as a fraction; null for a feature without area); rounding is
 * the front end's. Returns 0, or -1 when out of memory. */
static int put_row(struct pk_table *t, const struct pk_cover_set *cs, const struct feature *f)
{
    long r = pk_table_add_row(t);
    char *ids = r >= 0 ? task_list(cs, f->tasks) : NULL;
    if (!ids)
        return -1;
    size_t i = (size_t)r;
    int bad = pk_table_set_int(t, i, 0, f->fid) || pk_table_set(t, i, 1, f->name) ||
              pk_table_set_int(t, i, 2, f->ntasks) || pk_table_set(t, i, 3, ids) ||
              pk_table_set_real(t, i, 4, f->area / 1e6) || pk_table_set_real(t, i, 5, f->covered / 1e6) ||
              (f->area > 0 && pk_table_set_real(t, i, 6, f->covered / f->area));
    if (!bad && t->ncols > 7) /* GeoJSON: the source feature's accuracy, then the geometry */
        bad = pk_table_set(t, i, 7, f->accuracy) || pk_table_set(t, i, 8, f->geojson);
    free(ids);
    return bad ? -1 : 0;
}

/* The totals over every feature into *T (zeroed first): sums, the tasks
 * touching any feature, the city-wide tasks' ids. Returns 0, or -1 when out
 * of memory (*T then owns what was made: release it). */
static int sum_totals(const struct coverage *C, struct pk_coverage_totals *T)
{
    const struct pk_cover_set *cs = C->cs;
    unsigned char *any = calloc(cs->ntasks ? cs->ntasks : 1, 1);
    memset(T, 0, sizeof *T);
    if (!any)
        return -1;
    T->features = C->nfeats;
    for (size_t i = 0; i < C->nfeats; i++) {
        T->area_m2 += C->feats[i].area;
        T->covered_m2 += C->feats[i].covered;
        for (size_t b = 0; b < cs->ntasks; b++)
            any[b] |= C->feats[i].tasks[b];
    }
    for (size_t b = 0; b < cs->ntasks; b++) {
        T->tasks += any[b];
        T->ncitywide += cs->citywide[b] != 0;
    }
    free(any);
    if (!(T->citywide_ids = calloc(T->ncitywide ? T->ncitywide : 1, sizeof *T->citywide_ids)))
        return -1;
    for (size_t b = 0, k = 0; b < cs->ntasks; b++)
        if (cs->citywide[b] && !(T->citywide_ids[k++] = strdup(cs->task_ids[b])))
            return -1;
    return 0;
}

void pk_coverage_totals_release(struct pk_coverage_totals *totals)
{
    for (size_t i = 0; totals->citywide_ids && i < totals->ncitywide; i++)
        free(totals->citywide_ids[i]);
    free(totals->citywide_ids);
    memset(totals, 0, sizeof *totals);
}

/* The table of feature rows into *out and, when totals is not NULL, the
 * totals. PK_OK, or PK_ERR_NOMEM with nothing returned. */
static int build_table(struct coverage *C, struct pk_table **out, struct pk_coverage_totals *totals)
{
    const char *names[] = {"fid", "name", "tasks", "task_ids", "area_km2", "covered_km2", "share", "accuracy",
                           "geometry"};
    enum pk_col_type types[] = {PK_COL_INT, PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT, PK_COL_REAL, PK_COL_REAL,
                                PK_COL_REAL, PK_COL_TEXT, PK_COL_GEOJSON};
    struct pk_table *t = pk_table_new(C->opts->with_geometry ? 9 : 7, names, types);
    int bad = !t;
    for (size_t i = 0; !bad && i < C->nfeats; i++)
        if (!C->opts->gaps_only || C->feats[i].ntasks == 0)
            bad = put_row(t, C->cs, &C->feats[i]);
    if (!bad && totals && sum_totals(C, totals) != 0) {
        pk_coverage_totals_release(totals);
        bad = 1;
    }
    if (bad) {
        pk_table_free(t);
        return pk_error(C->store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    *out = t;
    return PK_OK;
}

/* A feature's place in the work order: its vertex count and index. */
struct costed {
    size_t cost, index;
};

static int by_cost_desc(const void *a, const void *b)
{
    const struct costed *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? 1 : -1;
    return x->index < y->index ? -1 : 1;
}

/* C->order: the features largest first (by vertex count), so that each
 * chunk's last items, which one thread finishes while the other waits at
 * the chunk's end, are small ones. Results stay in the layer's order (each
 * feature has its own slot). Returns PK_OK or PK_ERR_NOMEM. */
static int order_features(struct coverage *C)
{
    GEOSContextHandle_t h = pk_geos(pk_store_ctx(C->store));
    size_t n = C->nfeats ? C->nfeats : 1;
    struct costed *c = malloc(n * sizeof *c);
    C->order = malloc(n * sizeof *C->order);
    if (!c || !C->order) {
        free(c);
        return pk_error(pk_store_ctx(C->store), PK_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < C->nfeats; i++) {
        int nc = C->feats[i].geom ? GEOSGetNumCoordinates_r(h, C->feats[i].geom) : 0;
        c[i] = (struct costed){nc > 0 ? (size_t)nc : 0, i};
    }
    qsort(c, C->nfeats, sizeof *c, by_cost_desc);
    for (size_t i = 0; i < C->nfeats; i++)
        C->order[i] = c[i].index;
    free(c);
    return PK_OK;
}

/* Compute every feature across the pool, a chunk at a time (progress and
 * cancelling between chunks) in C->order; the first failing feature's
 * error is the result. */
static int compute_all(struct coverage *C, struct pk_pool *pool, struct pk_worker *main_state,
                       pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(C->store);
    int rc = PK_OK;
    for (size_t done = 0; rc == PK_OK && done < C->nfeats; done += CHUNK) {
        size_t n = C->nfeats - done < CHUNK ? C->nfeats - done : CHUNK;
        struct coverage sub = *C;
        sub.order = C->order + done;
        pk_pool_run(pool, main_state, n, compute_feature, &sub);
        for (size_t k = done; k < done + n && rc == PK_OK; k++) {
            const struct feature *f = &C->feats[C->order[k]];
            if (f->rc != PK_OK)
                rc = pk_error(ctx, f->rc, "coverage: layer '%s' feature %lld: %s", C->layer.name, f->fid, f->err);
        }
        if (rc == PK_OK && progress && !progress((double)(done + n) / (double)C->nfeats, NULL, arg))
            rc = pk_error(ctx, PK_ERR_CANCELLED, "coverage: cancelled");
    }
    return rc;
}

int pk_coverage(struct pk_store *store, const struct pk_coverage_opts *opts, struct pk_table **out,
                pk_progress_fn progress, void *arg)
{
    return pk_coverage_with_totals(store, opts, out, NULL, progress, arg);
}

int pk_coverage_with_totals(struct pk_store *store, const struct pk_coverage_opts *opts, struct pk_table **out,
                            struct pk_coverage_totals *totals, pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct coverage C = {.store = store, .opts = opts};
    struct pk_cover_filter filter = {opts->classification, opts->status, opts->year, opts->include_citywide};
    int rc;
    *out = NULL;
    if (totals)
        memset(totals, 0, sizeof *totals);
    if (!opts->by_layer)
        return pk_error(ctx, PK_ERR_ARGS, "coverage: --by LAYER is required");
    if (!pk_store_measure_srid(store))
        return pk_error(ctx, PK_ERR_ARGS, "the store has no metric CRS yet: load a layer first or "
                        "create the store with --measure-crs");
    if ((rc = pk_layer_find(store, opts->by_layer, &C.layer)) != PK_OK)
        return rc;
    if ((rc = pk_cover_set_load(store, &filter, &C.cs)) != PK_OK)
        return rc;
    pk_worker_conf_init(&C.conf, store);
    C.geojson_reproject = opts->with_geometry && pk_store_srid(store) != 4326;
    if (opts->with_geometry) {
        long long has = 0;
        char id[32];
        snprintf(id, sizeof id, "%lld", C.layer.id);
        if ((rc = pk_sql_int(store, "SELECT count(*) FROM pk_fields WHERE layer_id = CAST(?1 AS INTEGER)"
                                    " AND name = 'accuracy'", id, &has, NULL)) != PK_OK) {
            pk_cover_set_free(C.cs);
            return rc;
        }
        C.with_accuracy = has > 0;
    }
    rc = read_features(&C);
    if (rc == PK_OK)
        rc = order_features(&C);
    struct pk_pool *pool = NULL;
    struct pk_worker main_state;
    int main_ready = 0;
    if (rc == PK_OK && (rc = pk_worker_init(&main_state, ctx, &C.conf)) == PK_OK) {
        main_ready = 1;
        pool = pk_pool_new(pk_pool_threads(opts->threads), pk_worker_new, pk_worker_free, &C.conf);
        rc = pool ? compute_all(&C, pool, &main_state, progress, arg) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    pk_pool_free(pool);
    if (main_ready)
        pk_worker_release(&main_state);
    if (rc == PK_OK)
        rc = build_table(&C, out, totals);
    for (size_t i = 0; i < C.nfeats; i++) {
        free(C.feats[i].name);
        if (C.feats[i].geom)
            GEOSGeom_destroy_r(pk_geos(ctx), C.feats[i].geom);
        free(C.feats[i].tasks);
        free(C.feats[i].geojson);
        free(C.feats[i].accuracy);
    }
    free(C.feats);
    free(C.order);
    pk_cover_set_free(C.cs);
    return rc;
}
