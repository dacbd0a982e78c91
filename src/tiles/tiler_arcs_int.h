/* tiler_arcs_int.h — junctions of a polygon layer and simplification arc by
 * arc (tiler_arcs.c). */
#ifndef PLANKIT_TILER_ARCS_INT_H
#define PLANKIT_TILER_ARCS_INT_H

#include "tiler_read_int.h"

/* Remove consecutive repeated points from every part of f (in place). */
void tl_feature_dedup(struct tl_feature *f);

/* Cut the x range of the polygons of F[first, last) into stripes of about
 * per points each (one stripe may hold more: a histogram of 4096 bins
 * decides): (*cuts)[0..*n], stripe k being cuts[k] <= x < cuts[k+1].
 * *cuts: caller frees. Returns PK_OK or PK_ERR_NOMEM. */
int tl_x_stripes(const struct tl_features *F, size_t first, size_t last, size_t per, int64_t **cuts, size_t *n);

/* Set the junction bits (f->junction, allocated here) of the polygons of
 * F[first, last), one layer: the points where shared borders begin and end.
 * Returns PK_OK or PK_ERR_NOMEM. */
int tl_mark_junctions(struct pk_ctx *ctx, struct tl_features *F, size_t first, size_t last);

/* Douglas-Peucker with tolerance tol (grid units) over part p of f, arc by
 * arc between its junctions (a line is one arc), each arc in a direction
 * that does not depend on the ring it is read from, so shared arcs are
 * simplified identically. keep (room for p->n) gets 1 for each kept point of
 * the part's distinct points (a closed ring's closing point left out);
 * stack needs room for 2 * (p->n + 2). tol <= 0 keeps every point. Returns
 * the number of distinct points. */
uint32_t tl_part_simplify(const struct tl_feature *f, const struct tl_part *p, double tol, uint8_t *keep,
                          uint32_t *stack);

#endif
