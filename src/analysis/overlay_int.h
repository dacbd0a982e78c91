/* overlay_int.h — the inputs of overlay, buffer and dissolve: a store layer
 * (or a file loaded into a temporary layer) read into memory with its
 * attributes, in fid order; and the overlay's output side (columns, writing
 * pieces, the summary matrix). */
#ifndef PLANKIT_OVERLAY_INT_H
#define PLANKIT_OVERLAY_INT_H

#include "layer_int.h"
#include "plankit/overlay.h"
#include "rect_clip_int.h"
#include "sink_int.h"
#include "worker_int.h"

struct pk_ov_input {
    struct pk_layer_ref ref;
    int temp;               /* loaded from a file into a temporary layer */
    size_t n;
    long long *fids;
    GEOSGeometry **geoms;   /* store CRS; NULL for features without geometry */
    int deferred;           /* geometries are read later, by pk_ov_input_read_chunk */
    char **labels;          /* name field or NULL */
    int ncols;
    char **colnames;
    const char **coltypes;  /* static strings */
    char **attrs;           /* n * ncols text values */
};

/* Open a store layer by name, or load a file into the temporary layer
 * tmpname (inside the caller's transaction); keep features matching where
 * (an SQL condition on the attributes, run read-only). With defer_geoms, a
 * store layer's geometries are left for pk_ov_input_read_chunk (a
 * temporary layer's are read at once). */
int pk_ov_input_open(struct pk_store *store, const char *name_or_path, const char *where,
                     const char *tmpname, int defer_geoms, struct pk_ov_input *in);
#define PK_OV_READ_CHUNK 128
/* Chunks of deferred geometries to read (0 when none are deferred). */
size_t pk_ov_input_chunks(const struct pk_ov_input *in);
/* Read the geometries of chunk k with the feature reader on the worker's
 * read-only connection (any thread; chunks are disjoint). Errors go to
 * w->ctx. */
int pk_ov_input_read_chunk(struct pk_worker *w, struct pk_ov_input *in, size_t k);
void pk_ov_input_release(struct pk_ctx *ctx, struct pk_ov_input *in);
/* Drop the temporary layer, if any (inside the caller's transaction). */
int pk_ov_input_drop_temp(struct pk_store *store, struct pk_ov_input *in);

/* Output columns: a_fid, b_fid, kept attributes of A and B (prefixed on
 * clashes), area_m2; src_side/src_col give each column's origin. */
struct pk_ov_cols {
    struct pk_column *cols;
    int n;
    int *src_side;  /* 0 = a_fid, 1 = b_fid, 2 = A attr, 3 = B attr, 4 = area */
    int *src_col;
    int oom;        /* memory ran out while planning: the plan is incomplete */
};
/* Plan the columns (fields: "a.name,b.code,kind" or NULL for all; with_b:
 * the operation keeps B's attributes). Release with pk_ov_cols_release. */
void pk_ov_plan_columns(const struct pk_ov_input *A, const struct pk_ov_input *B, const char *fields, int with_b,
                        struct pk_ov_cols *oc);
void pk_ov_cols_release(struct pk_ov_cols *oc);
/* Write one piece (store CRS) with the attributes of A feature ai and B
 * feature bi (either may be (size_t)-1). */
int pk_ov_write(const struct pk_ov_input *A, const struct pk_ov_input *B, struct pk_sink *sink,
                const struct pk_ov_cols *oc, size_t ai, size_t bi, const GEOSGeometry *g, double area_m2);
/* Record on the derived layer `out` the provenance and accuracy of its
 * inputs a and b (b may be NULL); see overlay_output.c. */
int pk_ov_inherit_accuracy(struct pk_store *store, const char *out, const char *what, const char *a,
                           const char *b);
/* The summary, numbers with all their digits: rows A features (their area
 * in m², the share of each no B feature covers), one column per B feature
 * that any A feature meets (overlap in m²), or one row per pair (long_form:
 * area_m2 and a_share, a fraction). m is nA × nB m², a_area the A
 * features' areas. Rounding and percentages are the front end's. *out: caller frees with pk_table_free;
 * out of memory: PK_ERR_NOMEM (message in ctx) and *out NULL. */
int pk_ov_summary(struct pk_ctx *ctx, const struct pk_ov_input *A, const struct pk_ov_input *B, int long_form,
                  const double *m, const double *a_area, struct pk_table **out);

/* One pair a ∩ b (overlay_pair.c), in the store CRS, for one A feature
 * against its candidate B features, in one thread. */
struct pk_ov_piece {
    GEOSGeometry *g;   /* store CRS; NULL when nothing of area is left; owned unless borrowed */
    int borrowed;      /* g is b itself (b lies wholly inside a) */
    int meets;         /* a and b meet (even if g is NULL) */
    double area;       /* m² in the metric CRS */
    double plain;      /* planar area in the store CRS (exactly additive: tells an empty remainder) */
};
enum { PK_OV_BY_GEOS = 0, PK_OV_COVERED = 1, PK_OV_BY_RECT = 2 };

struct pk_ov_pairer {
    struct pk_worker *t;
    const GEOSGeometry *a;
    const double *a_box;          /* a is this axis-aligned rectangle, or NULL */
    const GEOSPreparedGeometry *prep; /* made on first use */
    struct pk_clip_src src;       /* a's rings, read on first use */
    int src_state;                /* 0 unread, 1 read, -1 unreadable */
    struct pk_clip_out out;
    int verify;                   /* check every clipper result against GEOS */
    char err[256];
};
void pk_ov_pairer_init(struct pk_ov_pairer *P, struct pk_worker *t, const GEOSGeometry *a,
                       const double *a_box, int verify);
void pk_ov_pairer_release(struct pk_ov_pairer *P);
/* a ∩ b into *piece; b_box: b is that rectangle (else NULL). *how:
 * PK_OV_BY_GEOS, PK_OV_COVERED or PK_OV_BY_RECT. Returns 1, or -1 with the
 * reason in P->err. */
int pk_ov_pair(struct pk_ov_pairer *P, const GEOSGeometry *b, const double *b_box, struct pk_ov_piece *piece,
               int *how);
/* The polygonal, non-debris part of an overlay result (takes ownership of
 * g; NULL when nothing is left), with its metric area and its planar area in
 * the store CRS (plain may be NULL). *ok = 0 when it cannot be transformed. */
GEOSGeometry *pk_ov_clean(struct pk_worker *t, GEOSGeometry *g, double *area, double *plain, int *ok);
/* Metric area of a store-CRS geometry; 0 when it cannot be transformed. */
int pk_ov_metric_area(struct pk_worker *t, const GEOSGeometry *g, double *area);

#endif
