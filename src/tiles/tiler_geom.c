/* tiler_geom.c — the tiler's geometry: store features (in Web Mercator
 * metres) onto the integer world grid once, and from there onto the grid of
 * each zoom, pointwise, so that shared borders stay shared (tiler_int.h).
 * Polygons that collapse at a zoom become a one-unit square at their point
 * on surface, so no feature disappears at low zooms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tile_clip_int.h"
#include "tiler_arcs_int.h"
#include "tiler_int.h"
#include "tiler_rings_int.h"

void tl_feature_release(struct tl_feature *f)
{
    free(f->xy);
    free(f->parts);
    free(f->junction);
    for (int i = 0; i < f->nattrs; i++)
        if (f->attrs[i].type == PK_MVT_STRING)
            free((char *)f->attrs[i].v.s);
    free(f->attrs);
    free(f->name);
    memset(f, 0, sizeof *f);
}

static int32_t to_grid(double m, const struct tl_grid *grid, int flip)
{
    double u = flip ? (PK_MERCATOR_HALF - m) : (m + PK_MERCATOR_HALF);
    double g = round(u / (2 * PK_MERCATOR_HALF) * grid->units);
    if (!(g >= 0)) /* also NaN */
        g = 0;
    if (g > grid->units)
        g = grid->units;
    return (int32_t)g;
}

/* Geometry being gathered: grows xy and parts. */
static int add_seq(GEOSContextHandle_t h, struct tl_feature *f, const struct tl_grid *grid,
                   const GEOSCoordSequence *seq, int hole, uint32_t *cap_pts, uint32_t *cap_parts)
{
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n))
        return PK_ERR_GEOS;
    if (n == 0)
        return PK_OK;
    if (f->npts + n > *cap_pts) {
        uint32_t cap = (f->npts + n) * 2;
        int32_t *xy = realloc(f->xy, (size_t)cap * 2 * sizeof *xy);
        if (!xy)
            return PK_ERR_NOMEM;
        f->xy = xy, *cap_pts = cap;
    }
    if (f->nparts == *cap_parts) {
        uint32_t cap = *cap_parts ? *cap_parts * 2 : 4;
        struct tl_part *p = realloc(f->parts, cap * sizeof *p);
        if (!p)
            return PK_ERR_NOMEM;
        f->parts = p, *cap_parts = cap;
    }
    f->parts[f->nparts++] = (struct tl_part){f->npts, n, hole};
    for (unsigned i = 0; i < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(h, seq, i, &x, &y))
            return PK_ERR_GEOS;
        f->xy[2 * f->npts] = to_grid(x, grid, 0);
        f->xy[2 * f->npts + 1] = to_grid(y, grid, 1);
        f->npts++;
    }
    return PK_OK;
}

/* Gather the simple parts of g (any nesting of collections). */
static int gather(GEOSContextHandle_t h, struct tl_feature *f, const struct tl_grid *grid, const GEOSGeometry *g,
                  uint32_t *cap_pts, uint32_t *cap_parts)
{
    int type = GEOSGeomTypeId_r(h, g), rc = PK_OK;
    switch (type) {
    case GEOS_POINT:
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
        if (GEOSisEmpty_r(h, g) == 1)
            return PK_OK;
        if (f->type == PK_MVT_UNKNOWN)
            f->type = type == GEOS_POINT ? PK_MVT_POINT : PK_MVT_LINESTRING;
        if (f->type != (type == GEOS_POINT ? PK_MVT_POINT : PK_MVT_LINESTRING))
            return PK_OK; /* a mixed collection keeps its first dimension */
        return add_seq(h, f, grid, GEOSGeom_getCoordSeq_r(h, g), 0, cap_pts, cap_parts);
    case GEOS_POLYGON: {
        if (GEOSisEmpty_r(h, g) == 1)
            return PK_OK;
        if (f->type == PK_MVT_UNKNOWN)
            f->type = PK_MVT_POLYGON;
        if (f->type != PK_MVT_POLYGON)
            return PK_OK;
        const GEOSGeometry *ring = GEOSGetExteriorRing_r(h, g);
        rc = add_seq(h, f, grid, ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL, 0, cap_pts, cap_parts);
        int nholes = GEOSGetNumInteriorRings_r(h, g);
        for (int i = 0; rc == PK_OK && i < nholes; i++) {
            ring = GEOSGetInteriorRingN_r(h, g, i);
            rc = add_seq(h, f, grid, ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL, 1, cap_pts, cap_parts);
        }
        return rc;
    }
    default: {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; rc == PK_OK && i < n; i++)
            rc = gather(h, f, grid, GEOSGetGeometryN_r(h, g, i), cap_pts, cap_parts);
        return rc;
    }
    }
}

/* The label point: a point on the surface of a polygon (GEOS), else the
 * first vertex. */
static int set_label(GEOSContextHandle_t h, struct tl_feature *f, const struct tl_grid *grid, const GEOSGeometry *g)
{
    f->label[0] = f->xy[0], f->label[1] = f->xy[1];
    if (f->type != PK_MVT_POLYGON)
        return PK_OK;
    GEOSGeometry *p = GEOSPointOnSurface_r(h, g);
    double x, y;
    if (!p) { /* an invalid polygon: the middle of its box */
        f->label[0] = (int32_t)(((int64_t)f->box[0] + f->box[2]) / 2);
        f->label[1] = (int32_t)(((int64_t)f->box[1] + f->box[3]) / 2);
        return PK_OK;
    }
    if (GEOSisEmpty_r(h, p) != 1 && GEOSGeomGetX_r(h, p, &x) == 1 && GEOSGeomGetY_r(h, p, &y) == 1)
        f->label[0] = to_grid(x, grid, 0), f->label[1] = to_grid(y, grid, 1);
    GEOSGeom_destroy_r(h, p);
    return PK_OK;
}

int tl_feature_set_geom(struct pk_ctx *ctx, struct tl_feature *f, const struct tl_grid *grid, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    uint32_t cap_pts = 0, cap_parts = 0;
    int ncoords = GEOSGetNumCoordinates_r(h, g);
    if (ncoords > 0) { /* one allocation of the right size, not a doubling one */
        if (!(f->xy = malloc((size_t)ncoords * 2 * sizeof *f->xy)))
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        cap_pts = (uint32_t)ncoords;
    }
    int rc = gather(h, f, grid, g, &cap_pts, &cap_parts);
    if (rc == PK_ERR_NOMEM)
        return pk_error(ctx, rc, "out of memory");
    if (rc != PK_OK)
        return pk_error_geos(ctx, "cannot read a geometry");
    if (f->npts == 0)
        return PK_OK;
    tl_feature_dedup(f);
    int32_t *fit = realloc(f->xy, (size_t)f->npts * 2 * sizeof *fit); /* no spare capacity kept */
    f->xy = fit ? fit : f->xy;
    f->box[0] = f->box[2] = f->xy[0];
    f->box[1] = f->box[3] = f->xy[1];
    for (uint32_t i = 1; i < f->npts; i++) {
        int32_t x = f->xy[2 * i], y = f->xy[2 * i + 1];
        f->box[0] = x < f->box[0] ? x : f->box[0];
        f->box[2] = x > f->box[2] ? x : f->box[2];
        f->box[1] = y < f->box[1] ? y : f->box[1];
        f->box[3] = y > f->box[3] ? y : f->box[3];
    }
    return set_label(h, f, grid, g);
}

int64_t tl_at_zoom(int32_t g, const struct tl_grid *grid, int z)
{
    if (z >= grid->zoom)
        return (int64_t)g << (z - grid->zoom);
    int s = grid->zoom - z;
    return ((int64_t)g + ((int64_t)1 << (s - 1))) >> s;
}

void tl_label_tile(const struct tl_feature *f, const struct tl_grid *grid, int z, uint32_t *tx, uint32_t *ty)
{
    int64_t last = ((int64_t)1 << z) - 1;
    int64_t x = tl_at_zoom(f->label[0], grid, z) / TL_EXTENT, y = tl_at_zoom(f->label[1], grid, z) / TL_EXTENT;
    *tx = (uint32_t)(x > last ? last : x);
    *ty = (uint32_t)(y > last ? last : y);
}

/* Scratch of tl_feature_at_zoom, sized for the feature's largest part. */
struct zoom_scratch {
    int64_t *buf;    /* quantised points */
    uint8_t *keep;   /* points kept by the simplification */
    uint32_t *stack;
    double tol;      /* simplification tolerance, world grid units */
};

/* Remove spikes (a, b, a) from the n points of buf, cyclically for a
 * ring, and consecutive repeats; returns the count left. A spike has no
 * area, so removing it changes no area on either side of a border. */
static size_t despike(int64_t *buf, size_t n, int ring)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t x = buf[2 * i], y = buf[2 * i + 1];
        if (m > 0 && buf[2 * m - 2] == x && buf[2 * m - 1] == y)
            continue;
        if (ring && m > 1 && buf[2 * m - 4] == x && buf[2 * m - 3] == y) {
            m--; /* a b a: drop b, and a is there already */
            continue;
        }
        buf[2 * m] = x, buf[2 * m + 1] = y, m++;
    }
    size_t s = 0; /* the ring's wrap: closing repeats and spikes across the start */
    while (ring && m - s >= 3) {
        int64_t *f = buf + 2 * s, *l = buf + 2 * (m - 1);
        if (l[0] == f[0] && l[1] == f[1])
            m--;
        else if (buf[2 * (m - 2)] == f[0] && buf[2 * (m - 2) + 1] == f[1])
            m--;
        else if (l[0] == f[2] && l[1] == f[3])
            s++;
        else
            break;
    }
    if (s > 0)
        memmove(buf, buf + 2 * s, (m - s) * 2 * sizeof *buf);
    return m - s;
}

/* Part p of f on zoom z's grid (grid units of z, x east, y south):
 * simplified arc by arc (tiler_arcs.c), quantised pointwise, repeats and
 * (rings) spikes removed, into sc->buf, open; returns the number of points. */
static size_t part_points(const struct tl_feature *f, const struct tl_part *p, const struct tl_grid *grid, int z,
                          struct zoom_scratch *sc)
{
    uint32_t m = tl_part_simplify(f, p, sc->tol, sc->keep, sc->stack);
    size_t n = 0;
    for (uint32_t i = 0; i < m; i++)
        if (sc->keep[i]) {
            sc->buf[2 * n] = tl_at_zoom(f->xy[2 * ((size_t)p->start + i)], grid, z);
            sc->buf[2 * n + 1] = tl_at_zoom(f->xy[2 * ((size_t)p->start + i) + 1], grid, z);
            n++;
        }
    return despike(sc->buf, n, f->type == PK_MVT_POLYGON);
}

/* Line part p on zoom z's grid as a coordinate sequence; NULL with
 * *collapsed set when fewer than 2 distinct points are left. */
static GEOSCoordSequence *line_at_zoom(GEOSContextHandle_t h, const struct tl_feature *f, const struct tl_part *p,
                                       const struct tl_grid *grid, int z, struct zoom_scratch *sc, int *collapsed)
{
    size_t n = part_points(f, p, grid, z, sc);
    *collapsed = n < 2;
    if (*collapsed)
        return NULL;
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
    for (size_t i = 0; seq && i < n; i++)
        GEOSCoordSeq_setXY_r(h, seq, (unsigned)i, (double)sc->buf[2 * i], (double)sc->buf[2 * i + 1]);
    return seq;
}

GEOSGeometry *tl_feature_square(struct pk_ctx *ctx, const struct tl_feature *f, const struct tl_grid *grid, int z)
{
    return tl_unit_square(ctx, tl_at_zoom(f->label[0], grid, z), tl_at_zoom(f->label[1], grid, z));
}

GEOSGeometry *tl_unit_square(struct pk_ctx *ctx, int64_t x0, int64_t y0)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    static const int dx[5] = {0, 0, 1, 1, 0}, dy[5] = {0, 1, 1, 0, 0};
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, 5, 2);
    for (int i = 0; seq && i < 5; i++)
        GEOSCoordSeq_setXY_r(h, seq, (unsigned)i, (double)(x0 + dx[i]), (double)(y0 + dy[i]));
    GEOSGeometry *ring = seq ? GEOSGeom_createLinearRing_r(h, seq) : NULL;
    return ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
}

/* Collection of parts made so far. */
struct parts {
    GEOSGeometry **g;
    size_t n, cap;
};

static void parts_free(GEOSContextHandle_t h, struct parts *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->g[i])
            GEOSGeom_destroy_r(h, ps->g[i]);
    free(ps->g);
}

static int parts_room(struct parts *ps, size_t more)
{
    if (ps->n + more <= ps->cap)
        return PK_OK;
    size_t cap = (ps->n + more) * 2;
    GEOSGeometry **g = realloc(ps->g, cap * sizeof *g);
    if (!g)
        return PK_ERR_NOMEM;
    ps->g = g, ps->cap = cap;
    return PK_OK;
}

/* Polygons: each exterior with its holes, cut into simple loops
 * (tiler_rings.c), as GEOS polygons; *any_area when some shell is left. */
static int polygons_at_zoom(GEOSContextHandle_t h, const struct tl_feature *f, const struct tl_grid *grid, int z,
                            struct zoom_scratch *sc, struct parts *ps, int *any_area)
{
    struct tl_ringset rs = {0};
    int rc = PK_OK;
    for (uint32_t i = 0; rc == PK_OK && i < f->nparts;) {
        tl_ringset_reset(&rs);
        uint32_t j = i;
        do {
            size_t n = part_points(f, &f->parts[j], grid, z, sc);
            if (n >= 3)
                rc = tl_ringset_add(&rs, sc->buf, n, j > i);
            j++;
        } while (rc == PK_OK && j < f->nparts && f->parts[j].hole);
        size_t made = 0;
        if (rc == PK_OK)
            rc = parts_room(ps, rs.nr);
        if (rc == PK_OK)
            rc = tl_ringset_polygons(h, &rs, ps->g + ps->n, &made);
        ps->n += made;
        *any_area |= made > 0;
        i = j;
    }
    tl_ringset_free(&rs);
    return rc;
}

int tl_feature_at_zoom(struct pk_ctx *ctx, const struct tl_feature *f, const struct tl_grid *grid, int z, double tol,
                       GEOSGeometry **out, int *tiny)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    uint32_t maxn = 0;
    *out = NULL, *tiny = 0;
    for (uint32_t i = 0; i < f->nparts; i++)
        maxn = f->parts[i].n > maxn ? f->parts[i].n : maxn;
    struct zoom_scratch sc = {malloc(((size_t)maxn + 1) * 2 * sizeof *sc.buf), malloc((size_t)maxn + 1),
                              malloc(((size_t)maxn + 2) * 2 * sizeof *sc.stack),
                              tol * ldexp(1.0, grid->zoom - z)};
    struct parts ps = {calloc(f->nparts + 1, sizeof *ps.g), 0, f->nparts + 1};
    int rc = sc.buf && sc.keep && sc.stack && ps.g ? PK_OK : PK_ERR_NOMEM, any_area = 0;
    if (rc == PK_OK && f->type == PK_MVT_POLYGON)
        rc = polygons_at_zoom(h, f, grid, z, &sc, &ps, &any_area);
    for (uint32_t i = 0; rc == PK_OK && f->type == PK_MVT_LINESTRING && i < f->nparts; i++) {
        int collapsed;
        GEOSCoordSequence *s = line_at_zoom(h, f, &f->parts[i], grid, z, &sc, &collapsed);
        GEOSGeometry *line = s ? GEOSGeom_createLineString_r(h, s) : NULL;
        if (line)
            ps.g[ps.n++] = line;
        else if (!collapsed)
            rc = PK_ERR_GEOS;
    }
    for (uint32_t i = 0; rc == PK_OK && f->type == PK_MVT_POINT && i < f->nparts; i++) {
        uint32_t k = f->parts[i].start;
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, (double)tl_at_zoom(f->xy[2 * k], grid, z),
                                                        (double)tl_at_zoom(f->xy[2 * k + 1], grid, z));
        if (!pt)
            rc = PK_ERR_GEOS;
        else
            ps.g[ps.n++] = pt;
    }
    if (rc == PK_OK && f->type == PK_MVT_POLYGON && !any_area && f->npts > 0) {
        *tiny = 1;
        if ((rc = parts_room(&ps, 1)) == PK_OK && !(ps.g[ps.n++] = tl_feature_square(ctx, f, grid, z)))
            rc = PK_ERR_GEOS;
    }
    static const int multi[4] = {0, GEOS_MULTIPOINT, GEOS_MULTILINESTRING, GEOS_MULTIPOLYGON};
    if (rc == PK_OK && ps.n > 0) {
        *out = GEOSGeom_createCollection_r(h, multi[f->type], ps.g, (unsigned)ps.n);
        if (*out)
            ps.n = 0; /* the collection owns them */
        else
            rc = PK_ERR_GEOS;
    }
    parts_free(h, &ps);
    free(sc.buf);
    free(sc.keep);
    free(sc.stack);
    if (rc == PK_ERR_NOMEM)
        return pk_error(ctx, rc, "out of memory");
    return rc == PK_OK ? PK_OK : pk_error_geos(ctx, "cannot build a feature on the tile grid");
}

int tl_make_valid(struct pk_ctx *ctx, GEOSGeometry **g, int *exact)
{
    GEOSContextHandle_t h = pk_geos(ctx);
    char valid = GEOSisValid_r(h, *g);
    *exact = valid == 1;
    if (valid == 1)
        return PK_OK;
    GEOSMakeValidParams *p = GEOSMakeValidParams_create_r(h);
    GEOSGeometry *v = NULL;
    if (p && GEOSMakeValidParams_setMethod_r(h, p, GEOS_MAKE_VALID_STRUCTURE) &&
        GEOSMakeValidParams_setKeepCollapsed_r(h, p, 0))
        v = GEOSMakeValidWithParams_r(h, *g, p);
    if (p)
        GEOSMakeValidParams_destroy_r(h, p);
    if (!v) /* the structure method failed (e.g. a hole it cannot place): the linework one */
        v = GEOSMakeValid_r(h, *g);
    pk_error_clear(ctx);
    if (!v) /* left to pk_tile_clip's own repair */
        return PK_OK;
    GEOSGeom_destroy_r(h, *g);
    *g = v;
    /* back onto whole units (snap-rounding keeps it valid), so pieces need not be repaired */
    GEOSGeometry *r = GEOSGeom_setPrecision_r(h, v, 1.0, 0);
    if (r && GEOSGeom_getDimensions_r(h, r) == 2 && GEOSGeomTypeId_r(h, r) != GEOS_GEOMETRYCOLLECTION &&
        GEOSisEmpty_r(h, r) != 1) {
        GEOSGeom_destroy_r(h, *g);
        *g = r;
        *exact = 1;
    } else if (r)
        GEOSGeom_destroy_r(h, r);
    pk_error_clear(ctx);
    return PK_OK;
}
