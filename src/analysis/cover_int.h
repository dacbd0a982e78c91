/* cover_int.h — the set of geometries plan tasks cover, shared by the
 * coverage report and the task queries. */
#ifndef PLANKIT_COVER_INT_H
#define PLANKIT_COVER_INT_H

#include "layer_int.h"

struct pk_cover_filter {
    const char *classification, *status;
    int year;
    int include_citywide;
};

/* Which links cover area (SQL on k = pk_task_links, l = pk_layers); links
 * of city-wide tasks do too. */
#define PK_COVER_ROLE_SQL \
    "(k.role = 'covers' OR (k.role = 'located-in' AND l.kind = 'zone'))"

/* One covering geometry: a linked feature or a footprint. */
struct pk_cover_src {
    GEOSGeometry *g;        /* store CRS, owned */
    int polygonal;
    double area;            /* m² (pk_worker_area of g), 0 for lines and points */
    double *convex;         /* g's ring as x,y pairs (store CRS), counter-clockwise,
                             * when g is one convex polygon without holes (else NULL) */
    int nconvex;            /* its vertices (without the closing one) */
    long long layer_id, fid;/* linked feature (layer_id 0 for footprints) */
    int covers_area;        /* counts as covered area: footprints, links with role covers,
                             * located-in links to a zone layer's feature, links of city-wide
                             * tasks. Other links (located-in a district, serves, affects, ...)
                             * make the task concern what they meet but cover none of it */
    long long footprint_id;
    char what[160];         /* "towns:周庄镇" or "footprint #3" */
    int *tasks;             /* indices into the set's task_ids */
    int ntasks;
};

struct pk_cover_set {
    struct pk_ctx *ctx;
    char **task_ids;        /* filtered tasks, sorted by id */
    int *citywide;
    size_t ntasks;
    struct pk_cover_src *src;
    size_t nsrc, cap;
    GEOSSTRtree *tree;      /* items are struct pk_cover_src * */
};

/* Load every covering geometry of the tasks passing f. Caller frees *out
 * with pk_cover_set_free. */
int pk_cover_set_load(struct pk_store *store, const struct pk_cover_filter *f, struct pk_cover_set **out);
void pk_cover_set_free(struct pk_cover_set *cs);
/* Index of a task id in cs->task_ids, -1 if absent (filtered out). */
int pk_cover_task_index(const struct pk_cover_set *cs, const char *id);
/* Sources whose envelope meets g's, in load order: *n of them in *out
 * (caller frees *out with free()). PK_ERR_NOMEM (no message: the caller's
 * thread records it) when out of memory. Safe from several threads once the
 * set is loaded. */
int pk_cover_candidates(GEOSContextHandle_t h, const struct pk_cover_set *cs, const GEOSGeometry *g,
                        struct pk_cover_src ***out, size_t *n);
void pk_cover_noop(void *item, void *arg);

#endif
