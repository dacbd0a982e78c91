/* rect_clip_int.h — the intersection of a polygonal feature with an
 * axis-aligned rectangle, on coordinate arrays: the overlay's fast path for
 * grids and boxes.
 *
 * A feature is read once (struct pk_clip_src: rings oriented shells
 * counter-clockwise, holes clockwise, with envelopes of runs of edges) and
 * clipped by many rectangles. The clipper walks each ring once, skipping runs
 * of edges far from the rectangle, cuts it into polylines inside the
 * rectangle, and joins them along the rectangle's boundary; holes wholly
 * inside go to the shell that contains them. The result is valid whenever the
 * input is. Vertices on the boundary and edges along it are resolved
 * exactly (see rect_clip.c). The few configurations it does not resolve are
 * reported as PK_CLIP_DEGENERATE and the caller computes that pair with
 * GEOS instead: an edge through a corner at 45 degrees to both sides, two
 * crossings that cannot be ordered, a result ring passing twice through one
 * point, and a hole that crosses the boundary (it could touch its shell
 * inside the rectangle). */
#ifndef PLANKIT_RECT_CLIP_INT_H
#define PLANKIT_RECT_CLIP_INT_H

#include <stddef.h>
#include "ctx_int.h"
#include "ring_int.h"

struct pk_clip_part {      /* one polygon: ring 0 is the shell (ring_int.h's rings) */
    struct pk_ring *rings;
    int nrings;
};

struct pk_clip_src {
    struct pk_clip_part *parts;
    int nparts;
    double area;           /* planar, shells minus holes */
};

/* Read a Polygon or MultiPolygon. Returns PK_OK, or PK_ERR_NOMEM /
 * PK_ERR_GEOS (not polygonal, or unreadable). Free with pk_clip_src_free
 * (also after a failure). */
int pk_clip_src_read(GEOSContextHandle_t h, const GEOSGeometry *g, struct pk_clip_src *src);
void pk_clip_src_free(struct pk_clip_src *src);

/* 1 if g is an axis-aligned rectangle of positive area (a Polygon, or a
 * MultiPolygon of one polygon, without holes, whose ring is its 4 corners),
 * with box = xmin, ymin, xmax, ymax; else 0. */
int pk_geom_is_rect(GEOSContextHandle_t h, const GEOSGeometry *g, double box[4]);

/* A clipping result: polygons of rings over one coordinate buffer. Reuse one
 * across calls (pk_clip_rect resets it); free with pk_clip_out_free. */
struct pk_clip_out {
    double *xy;            /* coordinates of every ring, x y pairs */
    size_t nxy, cap_xy;    /* in points */
    size_t *ring_off;      /* ring k: points ring_off[k] .. ring_off[k] + ring_len[k] - 1 (closed) */
    int *ring_len;
    int nrings, cap_rings;
    int *poly_first;       /* polygon k: rings poly_first[k] .. poly_first[k + 1] - 1 */
    int npolys, cap_polys; /* poly_first has npolys + 1 entries */
    int whole_rect;        /* the result is exactly the rectangle */
    double area;           /* planar area of the result (set by pk_clip_rect) */
    int touch;             /* a crossing fell on a vertex or a corner */
    /* scratch of the clipper */
    struct pk_clip_line *lines;
    int nlines, cap_lines;
    double *lxy;
    size_t nlxy, cap_lxy;
    struct pk_clip_key *keys;
    int nkeys, cap_keys;
};

enum { PK_CLIP_OK = 0, PK_CLIP_DEGENERATE = 1, PK_CLIP_NOMEM = -1 };

/* src ∩ box into out (out->npolys == 0: empty). Returns PK_CLIP_OK,
 * PK_CLIP_DEGENERATE (out is meaningless: use GEOS) or PK_CLIP_NOMEM. */
int pk_clip_rect(const struct pk_clip_src *src, const double box[4], struct pk_clip_out *out);
void pk_clip_out_free(struct pk_clip_out *out);

/* The result as a GEOS MultiPolygon (NULL when empty or on a GEOS error).
 * Caller frees with GEOSGeom_destroy_r. */
GEOSGeometry *pk_clip_out_geos(GEOSContextHandle_t h, const struct pk_clip_out *out);

/* Area of the result, shells minus holes, each ring measured by
 * ring_area (signed or not; NULL: planar in the store CRS). Returns 1, or 0
 * when ring_area fails (then *area is untouched). */
int pk_clip_out_area(const struct pk_clip_out *out, int (*ring_area)(void *arg, const double *xy, size_t n, double *a),
                     void *arg, double *area);

#endif
