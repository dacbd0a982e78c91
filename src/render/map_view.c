/* map_view.c — what a printed map's frame shows and how it measures: the
 * extent of a layer or feature (or a box in degrees) in the map's CRS,
 * fitted with a margin to the frame's aspect, and the ground resolution at
 * its centre (geodesic, on the WGS84 ellipsoid, along the page's
 * horizontal), the scale, the style zoom and the direction of true north. */
#include <math.h>
#include <string.h>

#include <geodesic.h>

#include "map_int.h"

#define WEB_MERCATOR_WORLD_M 40075016.685578488
#define M_PER_PX (0.0254 / 96)

struct extent_acc {
    struct pk_worker *w;
    struct pk_transform *tr;  /* store -> map CRS, NULL when the same */
    double box[4];
    int any;
};

static int add_extent(void *arg, struct pk_feature *f)
{
    struct extent_acc *A = arg;
    GEOSContextHandle_t h = pk_geos(A->w->ctx);
    if (!f->geom || GEOSisEmpty_r(h, f->geom))
        return PK_OK;
    GEOSGeometry *t = A->tr ? pk_transform_geom(A->w->ctx, A->tr, f->geom) : NULL;
    const GEOSGeometry *g = A->tr ? t : f->geom;
    if (!g)
        return pk_errcode(A->w->ctx) ? pk_errcode(A->w->ctx)
                                     : pk_error(A->w->ctx, PK_ERR_GDAL, "feature %lld cannot be transformed", f->fid);
    double b[4];
    int ok = GEOSGeom_getXMin_r(h, g, &b[0]) && GEOSGeom_getYMin_r(h, g, &b[1]) && GEOSGeom_getXMax_r(h, g, &b[2]) &&
             GEOSGeom_getYMax_r(h, g, &b[3]);
    if (t)
        GEOSGeom_destroy_r(h, t);
    if (!ok)
        return PK_OK;
    if (!A->any)
        memcpy(A->box, b, sizeof b);
    A->box[0] = fmin(A->box[0], b[0]), A->box[1] = fmin(A->box[1], b[1]);
    A->box[2] = fmax(A->box[2], b[2]), A->box[3] = fmax(A->box[3], b[3]);
    A->any = 1;
    return PK_OK;
}

int map_layer_extent(struct pk_worker *w, const struct pk_layer_ref *layer, long long fid, int srid, double box[4])
{
    struct extent_acc A = {.w = w};
    int rc = PK_OK;
    A.tr = pk_worker_transform(w, srid, &rc);
    if (rc != PK_OK)
        return rc;
    sqlite3 *db = pk_worker_reader(w);
    if (!db)
        return pk_error(w->ctx, PK_ERR_DB, "cannot open a read connection to the store");
    struct pk_reader_spec spec = {.layer = layer, .with_geom = 1};
    struct pk_reader *r = NULL;
    if ((rc = pk_reader_new(w->ctx, db, &spec, &r)) == PK_OK)
        rc = fid < 0 ? pk_reader_all(r, add_extent, &A) : pk_reader_range(r, fid, fid, add_extent, &A);
    pk_reader_free(r);
    if (rc == PK_OK && !A.any)
        rc = fid < 0 ? pk_error(w->ctx, PK_ERR_NOTFOUND, "layer '%s' has no feature with a geometry", layer->name)
                     : pk_error(w->ctx, PK_ERR_NOTFOUND, "feature %lld of layer '%s' has no geometry", fid, layer->name);
    if (rc == PK_OK)
        memcpy(box, A.box, sizeof A.box);
    return rc;
}

int map_degrees_extent(struct pk_worker *w, const double deg[4], int srid, double box[4])
{
    struct pk_transform *tr = NULL;
    int rc = pk_transform_new(w->ctx, 4326, srid, &tr);
    if (rc != PK_OK)
        return rc;
    double xy[4 * 16 * 2];
    for (int i = 0; i < 16; i++) { /* the outline, 16 points a side: edges curve in most CRSs */
        double t = i / 16.0, dx = deg[2] - deg[0], dy = deg[3] - deg[1];
        double p[4][2] = {{deg[0] + t * dx, deg[1]}, {deg[2], deg[1] + t * dy}, {deg[2] - t * dx, deg[3]},
                          {deg[0], deg[3] - t * dy}};
        for (int s = 0; s < 4; s++)
            xy[(s * 16 + i) * 2] = p[s][0], xy[(s * 16 + i) * 2 + 1] = p[s][1];
    }
    int ok = pk_transform_xy(tr, xy, 4 * 16);
    pk_transform_free(tr);
    if (!ok)
        return pk_error(w->ctx, PK_ERR_ARGS, "--bbox %g,%g,%g,%g cannot be drawn in EPSG:%d", deg[0], deg[1], deg[2],
                        deg[3], srid);
    box[0] = box[2] = xy[0], box[1] = box[3] = xy[1];
    for (int i = 1; i < 4 * 16; i++) {
        box[0] = fmin(box[0], xy[2 * i]), box[1] = fmin(box[1], xy[2 * i + 1]);
        box[2] = fmax(box[2], xy[2 * i]), box[3] = fmax(box[3], xy[2 * i + 1]);
    }
    return PK_OK;
}

/* Ground resolution and true north at the view's centre. */
static int measure(struct pk_ctx *ctx, struct map_view *v)
{
    struct pk_transform *to_deg = NULL, *from_deg = NULL;
    int rc = pk_transform_new(ctx, v->srid, 4326, &to_deg);
    if (rc == PK_OK)
        rc = pk_transform_new(ctx, 4326, v->srid, &from_deg);
    double cx = (v->bbox[0] + v->bbox[2]) / 2, cy = (v->bbox[1] + v->bbox[3]) / 2;
    double d = (v->bbox[2] - v->bbox[0]) / 20; /* a tenth of the width, centred */
    double xy[6] = {cx - d, cy, cx + d, cy, cx, cy};
    int ok = rc == PK_OK && pk_transform_xy(to_deg, xy, 3);
    double north[2] = {xy[4], xy[5] + 0.01};
    ok = ok && fabs(xy[5]) < 89 && pk_transform_xy(from_deg, north, 1);
    pk_transform_free(to_deg);
    pk_transform_free(from_deg);
    if (rc != PK_OK)
        return rc;
    if (!ok)
        return pk_error(ctx, PK_ERR_DATA, "the map's centre cannot be located in EPSG:%d", v->srid);
    struct geod_geodesic g;
    double s12 = 0, a1, a2;
    geod_init(&g, 6378137, 1 / 298.257223563);
    geod_inverse(&g, xy[1], xy[0], xy[3], xy[2], &s12, &a1, &a2);
    double px = 2 * d * v->width_px / (v->bbox[2] - v->bbox[0]);
    v->lat = xy[5];
    v->ground_m_per_px = s12 / px;
    v->scale = v->ground_m_per_px / M_PER_PX;
    double merc_m_per_px = v->ground_m_per_px / cos(v->lat * M_PI / 180);
    v->zoom = log2(WEB_MERCATOR_WORLD_M / (512 * merc_m_per_px));
    v->north_deg = atan2(north[0] - cx, north[1] - cy) * 180 / M_PI;
    return PK_OK;
}

int map_view_fit(struct pk_worker *w, int srid, const double box[4], double w_mm, double h_mm, struct map_view *v)
{
    memset(v, 0, sizeof *v);
    v->srid = srid;
    v->width_px = w_mm * MAP_PX_PER_MM;
    v->height_px = h_mm * MAP_PX_PER_MM;
    double bw = box[2] - box[0], bh = box[3] - box[1];
    double cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
    if (!(bw > 0))
        bw = bh > 0 ? bh : 1000;
    if (!(bh > 0))
        bh = bw;
    bw *= 1.08, bh *= 1.08; /* a margin of 4 % each side */
    double units_per_px = fmax(bw / v->width_px, bh / v->height_px);
    double hw = units_per_px * v->width_px / 2, hh = units_per_px * v->height_px / 2;
    double b[4] = {cx - hw, cy - hh, cx + hw, cy + hh};
    memcpy(v->bbox, b, sizeof b);
    return measure(w->ctx, v);
}
