/* tile_mvt_geom.c — geometry for the vector tile encoder: building integer
 * geometries (by hand or from GEOS), normalising them (duplicate points,
 * collapsed rings, winding) and encoding them as MVT 2.1 commands. */
#include "tile_mvt_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plankit/ctx.h"

enum { CMD_MOVETO = 1, CMD_LINETO = 2, CMD_CLOSEPATH = 7 };

void pk_mvt_geom_reset(struct pk_mvt_geom *g, enum pk_mvt_geom_type type)
{
    g->type = type;
    g->npts = 0;
    g->nparts = 0;
}

void pk_mvt_geom_free(struct pk_mvt_geom *g)
{
    free(g->xy);
    free(g->parts);
    memset(g, 0, sizeof *g);
}

int pk_mvt_geom_add_part(struct pk_mvt_geom *g, const int32_t *xy, size_t n, int hole)
{
    if (hole && (g->type != PK_MVT_POLYGON || g->nparts == 0))
        return PK_ERR_ARGS;
    for (size_t i = 0; i < 2 * n; i++)
        if (xy[i] > PK_MVT_COORD_MAX || xy[i] < -PK_MVT_COORD_MAX)
            return PK_ERR_ARGS;
    if (g->npts + n > g->cap_pts) {
        size_t cap = g->cap_pts ? g->cap_pts : 64;
        while (cap < g->npts + n)
            cap *= 2;
        int32_t *p = realloc(g->xy, cap * 2 * sizeof *p);
        if (!p)
            return PK_ERR_NOMEM;
        g->xy = p;
        g->cap_pts = cap;
    }
    if (g->nparts == g->cap_parts) {
        size_t cap = g->cap_parts ? 2 * g->cap_parts : 8;
        struct pk_mvt_part *p = realloc(g->parts, cap * sizeof *p);
        if (!p)
            return PK_ERR_NOMEM;
        g->parts = p;
        g->cap_parts = cap;
    }
    if (n)
        memcpy(g->xy + 2 * g->npts, xy, n * 2 * sizeof *xy);
    g->parts[g->nparts++] = (struct pk_mvt_part){.start = g->npts, .n = n, .hole = hole ? 1 : 0};
    g->npts += n;
    return PK_OK;
}

int64_t pk_mvt_ring_area2(const int32_t *xy, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (i + 1) % n;
        sum += (int64_t)xy[2 * i] * xy[2 * j + 1] - (int64_t)xy[2 * j] * xy[2 * i + 1];
    }
    return sum;
}

/* Copy n points to out without consecutive duplicates; returns the count.
 * For a ring, trailing points equal to the first (the closing point) go too. */
static size_t dedup_points(const int32_t *xy, size_t n, int ring, int32_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && xy[2 * i] == out[2 * (m - 1)] && xy[2 * i + 1] == out[2 * (m - 1) + 1])
            continue;
        out[2 * m] = xy[2 * i];
        out[2 * m + 1] = xy[2 * i + 1];
        m++;
    }
    while (ring && m > 1 && out[0] == out[2 * (m - 1)] && out[1] == out[2 * (m - 1) + 1])
        m--;
    return m;
}

static void reverse_points(int32_t *xy, size_t n)
{
    for (size_t i = 0, j = n - 1; i < j; i++, j--) {
        int32_t x = xy[2 * i], y = xy[2 * i + 1];
        xy[2 * i] = xy[2 * j];
        xy[2 * i + 1] = xy[2 * j + 1];
        xy[2 * j] = x;
        xy[2 * j + 1] = y;
    }
}

/* Append a command integer and the zigzagged deltas of n points from the
 * cursor, moving the cursor. */
static void emit_points(struct pk_tbuf *cmds, int cmd, const int32_t *xy, size_t n, int32_t cur[2])
{
    pk_tbuf_varint(cmds, (uint32_t)cmd | ((uint32_t)n << 3));
    for (size_t i = 0; i < n; i++) {
        pk_tbuf_varint(cmds, pk_zigzag32(xy[2 * i] - cur[0]));
        pk_tbuf_varint(cmds, pk_zigzag32(xy[2 * i + 1] - cur[1]));
        cur[0] = xy[2 * i];
        cur[1] = xy[2 * i + 1];
    }
}

/* Normalise and emit one line or ring; returns 1 if written, 0 if dropped. */
static int emit_part(const struct pk_mvt_geom *g, const struct pk_mvt_part *p, int32_t *tmp,
                     struct pk_tbuf *cmds, int32_t cur[2])
{
    int ring = g->type == PK_MVT_POLYGON;
    size_t m = dedup_points(g->xy + 2 * p->start, p->n, ring, tmp);
    if (m < (ring ? 3u : 2u))
        return 0;
    if (ring) {
        int64_t a = pk_mvt_ring_area2(tmp, m);
        if (a == 0)
            return 0;
        if ((a > 0) == (p->hole != 0))
            reverse_points(tmp + 2, m - 1); /* keep the starting point */
    }
    emit_points(cmds, CMD_MOVETO, tmp, 1, cur);
    emit_points(cmds, CMD_LINETO, tmp + 2, m - 1, cur);
    if (ring)
        pk_tbuf_varint(cmds, CMD_CLOSEPATH | (1u << 3));
    return 1;
}

/* Lines and rings; a hole whose exterior was dropped goes too. */
static size_t encode_parts(const struct pk_mvt_geom *g, int32_t *tmp, struct pk_tbuf *cmds,
                           struct pk_mvt_drops *drops)
{
    int32_t cur[2] = {0, 0};
    size_t written = 0;
    int exterior_kept = 0;
    for (size_t i = 0; i < g->nparts; i++) {
        const struct pk_mvt_part *p = &g->parts[i];
        int kept = (p->hole && !exterior_kept) ? 0 : emit_part(g, p, tmp, cmds, cur);
        if (!p->hole)
            exterior_kept = kept;
        written += (size_t)kept;
        if (!kept && drops) {
            if (g->type == PK_MVT_POLYGON)
                drops->rings++;
            else
                drops->lines++;
        }
    }
    return written;
}

int pk_mvt_geom_encode(const struct pk_mvt_geom *g, struct pk_tbuf *cmds, size_t *nparts_out,
                       struct pk_mvt_drops *drops)
{
    *nparts_out = 0;
    if (g->npts == 0)
        return PK_OK;
    if (g->type == PK_MVT_POINT) {
        int32_t cur[2] = {0, 0};
        emit_points(cmds, CMD_MOVETO, g->xy, g->npts, cur);
        *nparts_out = 1;
        return cmds->oom ? PK_ERR_NOMEM : PK_OK;
    }
    int32_t *tmp = malloc(g->npts * 2 * sizeof *tmp);
    if (!tmp)
        return PK_ERR_NOMEM;
    *nparts_out = encode_parts(g, tmp, cmds, drops);
    free(tmp);
    return cmds->oom ? PK_ERR_NOMEM : PK_OK;
}

/* Append the points of a GEOS line or ring as one part, rounded. */
static int add_geos_part(GEOSContextHandle_t h, const GEOSGeometry *line, int hole,
                         struct pk_mvt_geom *g)
{
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, line);
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n))
        return PK_ERR_DATA;
    int32_t *xy = malloc((n ? n : 1) * 2 * sizeof *xy);
    if (!xy)
        return PK_ERR_NOMEM;
    int rc = PK_OK;
    for (unsigned int i = 0; i < n && rc == PK_OK; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, seq, i, &x, &y) || !isfinite(x) || !isfinite(y) ||
            fabs(x) > PK_MVT_COORD_MAX || fabs(y) > PK_MVT_COORD_MAX)
            rc = PK_ERR_DATA;
        else {
            xy[2 * i] = (int32_t)lround(x);
            xy[2 * i + 1] = (int32_t)lround(y);
        }
    }
    if (rc == PK_OK)
        rc = pk_mvt_geom_add_part(g, xy, n, hole);
    free(xy);
    return rc;
}

/* One simple (non-multi) geometry of g's type. */
static int add_geos_simple(GEOSContextHandle_t h, const GEOSGeometry *s, struct pk_mvt_geom *g)
{
    if (GEOSisEmpty_r(h, s) == 1)
        return PK_OK;
    if (g->type != PK_MVT_POLYGON)
        return add_geos_part(h, s, 0, g);
    int rc = add_geos_part(h, GEOSGetExteriorRing_r(h, s), 0, g);
    int nholes = GEOSGetNumInteriorRings_r(h, s);
    for (int i = 0; i < nholes && rc == PK_OK; i++)
        rc = add_geos_part(h, GEOSGetInteriorRingN_r(h, s, i), 1, g);
    return rc;
}

int pk_mvt_geom_from_geos(GEOSContextHandle_t h, const GEOSGeometry *src, struct pk_mvt_geom *g)
{
    int type = GEOSGeomTypeId_r(h, src);
    enum pk_mvt_geom_type t = PK_MVT_UNKNOWN;
    if (type == GEOS_POINT || type == GEOS_MULTIPOINT)
        t = PK_MVT_POINT;
    else if (type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING)
        t = PK_MVT_LINESTRING;
    else if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON)
        t = PK_MVT_POLYGON;
    pk_mvt_geom_reset(g, t);
    if (t == PK_MVT_UNKNOWN)
        return PK_ERR_DATA;
    if (type == GEOS_POINT || type == GEOS_LINESTRING || type == GEOS_POLYGON)
        return add_geos_simple(h, src, g);
    int n = GEOSGetNumGeometries_r(h, src);
    int rc = PK_OK;
    for (int i = 0; i < n && rc == PK_OK; i++)
        rc = add_geos_simple(h, GEOSGetGeometryN_r(h, src, i), g);
    return rc;
}
