/* overlay.h — overlay analyses between two layers, buffers and dissolves,
 * with areas in the store's metric CRS.
 *
 * Inputs are store layers or any source OGR reads (loaded, reprojected and
 * repaired on the way in, and dropped afterwards). Outputs are new store
 * layers (registered and indexed) or files in any OGR format. Each output
 * piece carries its parents' attributes (a_/b_ prefixed where names clash),
 * a_fid, b_fid and area_m2. Output order is deterministic whatever the
 * number of threads.
 */
#ifndef PLANKIT_OVERLAY_H
#define PLANKIT_OVERLAY_H

#include "plankit/ctx.h"
#include "plankit/store.h"
#include "plankit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pk_overlay_op {
    PK_OV_INTERSECTION = 0, /* a ∩ b for every overlapping pair, both attribute sets */
    PK_OV_UNION,            /* intersection pieces + A outside B + B outside A */
    PK_OV_DIFFERENCE,       /* each a minus all of B (A attributes) */
    PK_OV_SYMDIFFERENCE,    /* A outside B + B outside A */
    PK_OV_IDENTITY,         /* intersection pieces + A outside B: A split by B */
    PK_OV_CLIP,             /* each a's part inside B (A attributes only) */
    PK_OV_ERASE             /* each a's part outside B (same as difference) */
};

/* Parse an operation name (case-insensitive): PK_OK, or PK_ERR_ARGS for a
 * name that is none of them (no message: the caller names the choices). */
int pk_overlay_parse_op(const char *name, enum pk_overlay_op *op);
/* The name of op (static text); "unknown" for a value that is no operation. */
const char *pk_overlay_op_name(enum pk_overlay_op op);

struct pk_overlay_opts {
    enum pk_overlay_op op;
    const char *a, *b;        /* store layer names or file paths */
    const char *out;          /* new store layer name, or a file path; NULL with summary only */
    const char *fields;       /* "a.name,b.code,kind": keep only these attributes; NULL = all */
    const char *where_a, *where_b; /* SQL conditions on the layers' attributes (read-only) */
    int threads;              /* 0 = one per CPU */
    int verify;               /* check every piece of the rectangle clipper against GEOSIntersection */
    double min_area;          /* pieces smaller than this (m²) are dropped and counted as slivers */
    int summary;              /* build the A × B area matrix */
    int summary_long;         /* matrix as one row per pair instead of one column per B feature */
};

struct pk_overlay_result {
    long long pieces;         /* features written */
    long long slivers;        /* pieces dropped by min_area */
    double sliver_area;       /* their total area, m² */
    double total_area;        /* area of the pieces written, m² */
    long long pairs;          /* candidate pairs that intersect */
    long long covered_pairs;  /* of which b lay wholly inside a (no intersection computed) */
    long long rect_pairs;     /* of which the rectangle clipper computed the piece */
};

/* Run an overlay in one transaction. *summary (when opts->summary) is the
 * area matrix, in numbers (areas in m², shares as fractions 0..1): with
 * summary_long one row per overlapping pair (a_fid, a_name, b_fid, b_name,
 * area_m2, a_share = area_m2 / A's area); else one row per A feature (a,
 * area_m2 = A's area, outside_share = the fraction no B feature covers, then
 * one column per B feature met, named after it: the overlap in m², null where
 * none). Caller frees it with pk_table_free. */
int pk_overlay(struct pk_store *store, const struct pk_overlay_opts *opts, struct pk_overlay_result *res,
               struct pk_table **summary, pk_progress_fn progress, void *arg);

struct pk_buffer_opts {
    const char *layer;
    double distance_m;        /* may be negative for polygons */
    int dissolve;             /* merge all buffers into one feature */
    const char *out;
    int quadsegs;             /* segments per quarter circle; 0 = 8 */
    int threads;              /* 0 = one per CPU */
};
/* Buffer every feature of opts->layer by distance_m metres, computed in the
 * metric CRS (lines and points only grow: a negative distance needs
 * polygons), into the new store layer or file opts->out, in one
 * transaction. *count: features written (NULL: not wanted). PK_OK, or an
 * error in the store's context (the store unchanged). */
int pk_buffer(struct pk_store *store, const struct pk_buffer_opts *opts, long long *count,
              pk_progress_fn progress, void *arg);

struct pk_dissolve_opts {
    const char *layer;
    const char *by;           /* field to group by; NULL = everything into one feature */
    const char *out;
    int threads;              /* 0 = one per CPU */
};
/* Union the features of opts->layer that share the value of opts->by (NULL
 * values together; every feature into one when by is NULL), groups in order
 * of first appearance, into the new store layer or file opts->out, in one
 * transaction. *count: features written (NULL: not wanted). PK_OK, or an
 * error in the store's context (the store unchanged). */
int pk_dissolve(struct pk_store *store, const struct pk_dissolve_opts *opts, long long *count,
                pk_progress_fn progress, void *arg);

#ifdef __cplusplus
}
#endif
#endif
