/* tiler_snap_int.h — near-coincident borders made identical (tiler_snap.c). */
#ifndef PLANKIT_TILER_SNAP_INT_H
#define PLANKIT_TILER_SNAP_INT_H

#include "tiler_read_int.h"

/* Snap the polygons of F[first, last) (one layer) to each other within tol
 * grid units (vertex to vertex, then vertices into edges); tol 0 does
 * nothing. Boxes and labels are left as they are (moves are within tol).
 * Returns PK_OK or PK_ERR_NOMEM. */
int tl_snap_polygons(struct pk_ctx *ctx, struct tl_features *F, size_t first, size_t last, int32_t tol);

#endif
