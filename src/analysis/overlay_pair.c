/* overlay_pair.c — one overlay pair a ∩ b in the store CRS, and the metric
 * area of what comes out.
 *
 * When either side is an axis-aligned rectangle (a grid cell, a map sheet,
 * a bounding box) the pair goes to the rectangle clipper (rect_clip.c),
 * which reads the other side's rings once per A feature and runs in time
 * linear in the edges near the rectangle. What the clipper leaves (degenerate
 * configurations) and every other pair go to GEOS: a prepared A, the
 * covered shortcut (a B feature that A covers is a piece as it is), else
 * GEOSIntersection. Intersecting in the store CRS gives the pieces PostGIS,
 * SpatiaLite and GeoPandas give on the same data; areas are then measured in
 * the metric CRS by transforming each piece once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom_int.h"
#include "overlay_int.h"

/* A piece is numerical debris when its area is below PK_DEBRIS_RATIO times
 * the square of its extent's diagonal (a sliver of nearly collinear points)
 * or below PK_DEBRIS_M2 (a millimetre-sized triangle where an edge passes a
 * corner): such pieces are never written, and their area stays with the
 * remainder, so partitions stay exact. */
#define PK_DEBRIS_RATIO 1e-9
#define PK_DEBRIS_M2 1e-2

static int is_debris(double store_area, double store_diag2, double metric_area)
{
    return metric_area < PK_DEBRIS_M2 || store_area <= PK_DEBRIS_RATIO * store_diag2;
}

int pk_ov_metric_area(struct pk_worker *t, const GEOSGeometry *g, double *area)
{
    return pk_measure_geom(&t->measure, pk_geos(t->ctx), g, area);
}

GEOSGeometry *pk_ov_clean(struct pk_worker *t, GEOSGeometry *g, double *area, double *plain, int *ok)
{
    GEOSContextHandle_t h = pk_geos(t->ctx);
    g = pk_geom_polygonal(t->ctx, g);
    if (!g)
        return NULL;
    double a = 0, x0, y0, x1, y1;
    GEOSArea_r(h, g, &a);
    if (plain)
        *plain = a;
    if (!pk_ov_metric_area(t, g, area)) {
        *ok = 0;
        GEOSGeom_destroy_r(h, g);
        return NULL;
    }
    if (!GEOSGeom_getExtent_r(h, g, &x0, &y0, &x1, &y1) ||
        is_debris(a, (x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0), *area)) {
        GEOSGeom_destroy_r(h, g);
        return NULL;
    }
    return g;
}

void pk_ov_pairer_init(struct pk_ov_pairer *P, struct pk_worker *t, const GEOSGeometry *a,
                       const double *a_box, int verify)
{
    memset(P, 0, sizeof *P);
    P->t = t;
    P->a = a;
    P->a_box = a_box;
    P->verify = verify;
}

void pk_ov_pairer_release(struct pk_ov_pairer *P)
{
    if (P->prep)
        GEOSPreparedGeom_destroy_r(pk_geos(P->t->ctx), P->prep);
    pk_clip_src_free(&P->src);
    pk_clip_out_free(&P->out);
    memset(P, 0, sizeof *P);
}

static int ring_metric(void *measure, const double *xy, size_t n, double *area)
{
    return pk_measure_ring(measure, xy, n, area);
}

static int fail(struct pk_ov_pairer *P, const char *what)
{
    snprintf(P->err, sizeof P->err, "%s", what);
    return -1;
}

/* PLANKIT_OVERLAY_VERIFY: the clipper's piece against GEOSIntersection. */
static int verify_clip(struct pk_ov_pairer *P, const GEOSGeometry *b, const GEOSGeometry *mine, const double *box)
{
    GEOSContextHandle_t h = pk_geos(P->t->ctx);
    GEOSGeometry *ref = GEOSIntersection_r(h, P->a, b);
    double ref_area = 0, my_area = 0, scale = (box[2] - box[0]) * (box[3] - box[1]);
    if (!ref)
        return fail(P, "GEOS intersection failed while verifying the rectangle clipper");
    GEOSArea_r(h, ref, &ref_area);
    if (mine)
        GEOSArea_r(h, mine, &my_area);
    int rc = 0;
    if (fabs(ref_area - my_area) > 1e-12 * scale + 1e-9 * ref_area)
        rc = fail(P, "the rectangle clipper's area disagrees with GEOS");
    if (rc == 0 && mine && ref_area > 0) { /* same shape, not only the same area */
        GEOSGeometry *diff = GEOSSymDifference_r(h, mine, ref);
        double d = 0;
        if (diff)
            GEOSArea_r(h, diff, &d);
        if (!diff || d > 1e-12 * scale + 1e-9 * ref_area)
            rc = fail(P, "the rectangle clipper's piece differs from GEOS's");
        if (diff)
            GEOSGeom_destroy_r(h, diff);
    }
    GEOSGeom_destroy_r(h, ref);
    if (rc < 0)
        return rc;
    if (mine && GEOSisValid_r(h, mine) != 1)
        return fail(P, "the rectangle clipper made an invalid piece");
    return 0;
}

/* The pair through the rectangle clipper: 1 done (*piece set), 0 left to
 * GEOS, -1 error. */
static int pair_by_rect(struct pk_ov_pairer *P, const GEOSGeometry *b, const double *b_box,
                        struct pk_ov_piece *piece, int *how)
{
    GEOSContextHandle_t h = pk_geos(P->t->ctx);
    struct pk_clip_src bsrc = {0};
    const struct pk_clip_src *src;
    const double *box;
    if (b_box) { /* clip A's rings, read once per A feature */
        if (P->src_state == 0)
            P->src_state = pk_clip_src_read(h, P->a, &P->src) == PK_OK ? 1 : -1;
        if (P->src_state < 0)
            return 0;
        src = &P->src;
        box = b_box;
    } else {
        if (pk_clip_src_read(h, b, &bsrc) != PK_OK) {
            pk_clip_src_free(&bsrc);
            return 0;
        }
        src = &bsrc;
        box = P->a_box;
    }
    int rc = pk_clip_rect(src, box, &P->out);
    pk_clip_src_free(&bsrc);
    if (rc == PK_CLIP_NOMEM)
        return fail(P, "out of memory");
    if (rc == PK_CLIP_DEGENERATE)
        return 0;
    *how = PK_OV_BY_RECT;
    piece->g = NULL;
    piece->borrowed = 0;
    piece->area = 0;
    piece->meets = P->out.npolys > 0;
    if (!piece->meets)
        return P->verify ? (verify_clip(P, b, NULL, box) < 0 ? -1 : 1) : 1;
    if (P->out.whole_rect && b_box) { /* b as it is */
        piece->g = (GEOSGeometry *)b;
        piece->borrowed = 1;
        *how = PK_OV_COVERED;
        GEOSArea_r(h, b, &piece->plain);
        if (!pk_ov_metric_area(P->t, b, &piece->area))
            return fail(P, "coordinates outside the metric CRS's area of use could not be transformed");
        return P->verify ? (verify_clip(P, b, b, box) < 0 ? -1 : 1) : 1;
    }
    double plain = P->out.area, x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    piece->plain = plain;
    if (!pk_clip_out_area(&P->out, ring_metric, &P->t->measure, &piece->area))
        return fail(P, "coordinates outside the metric CRS's area of use could not be transformed");
    for (size_t i = 0; i < P->out.nxy; i++) {
        double x = P->out.xy[2 * i], y = P->out.xy[2 * i + 1];
        x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
    }
    if (!is_debris(plain, (x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0), piece->area)) {
        piece->g = pk_clip_out_geos(h, &P->out);
        if (!piece->g)
            return fail(P, "GEOS could not build the clipped piece");
    }
    if (P->verify && verify_clip(P, b, piece->g, box) < 0) {
        if (piece->g)
            GEOSGeom_destroy_r(h, piece->g);
        piece->g = NULL;
        return -1;
    }
    return 1;
}

int pk_ov_pair(struct pk_ov_pairer *P, const GEOSGeometry *b, const double *b_box, struct pk_ov_piece *piece,
               int *how)
{
    GEOSContextHandle_t h = pk_geos(P->t->ctx);
    memset(piece, 0, sizeof *piece);
    *how = PK_OV_BY_GEOS;
    if (b_box || P->a_box) {
        int r = pair_by_rect(P, b, b_box, piece, how);
        if (r != 0)
            return r;
        *how = PK_OV_BY_GEOS;
    }
    if (!P->prep && !(P->prep = GEOSPrepare_r(h, P->a)))
        return fail(P, "GEOS could not prepare the feature");
    int meets = GEOSPreparedIntersects_r(h, P->prep, b);
    if (meets != 1)
        return meets == 0 ? 1 : fail(P, "GEOS intersects test failed");
    piece->meets = 1;
    if (GEOSPreparedCovers_r(h, P->prep, b) == 1) {
        piece->g = (GEOSGeometry *)b;
        piece->borrowed = 1;
        *how = PK_OV_COVERED;
        GEOSArea_r(h, b, &piece->plain);
        return pk_ov_metric_area(P->t, b, &piece->area)
                   ? 1 : fail(P, "coordinates outside the metric CRS's area of use could not be transformed");
    }
    GEOSGeometry *x = GEOSIntersection_r(h, P->a, b);
    if (!x) /* a GEOS error (NULL), not an empty result: fail, never drop the pair */
        return fail(P, *pk_errmsg(P->t->ctx) ? pk_errmsg(P->t->ctx) : "GEOS intersection failed");
    int ok = 1;
    piece->g = pk_ov_clean(P->t, x, &piece->area, &piece->plain, &ok);
    return ok ? 1 : fail(P, "coordinates outside the metric CRS's area of use could not be transformed");
}
