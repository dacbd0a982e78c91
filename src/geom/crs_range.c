/* crs_range.c — the range of coordinates a CRS takes, from PROJ's area of
 * use, and guessing the CRS of coordinates from their size: degrees, or
 * CGCS2000 Gauss-Krüger metres with or without a zone prefix. */
#include <math.h>
#include <stdio.h>

#include <proj.h>

#include "crs_range_int.h"

/* Area of use of a projected CRS in its own units, widened. */
static int projected_range(PJ_CONTEXT *pc, PJ *crs, double w, double s, double e, double n, double b[4])
{
    PJ *geodetic = proj_crs_get_geodetic_crs(pc, crs);
    PJ *tr = geodetic ? proj_create_crs_to_crs_from_pj(pc, geodetic, crs, NULL, NULL) : NULL;
    proj_destroy(geodetic);
    PJ *norm = tr ? proj_normalize_for_visualization(pc, tr) : NULL;
    int ok = 0;
    if (norm && proj_trans_bounds(pc, norm, PJ_FWD, w, s, e, n, &b[0], &b[1], &b[2], &b[3], 21)) {
        double dx = (b[2] - b[0]) / 2, dy = (b[3] - b[1]) / 2;
        b[0] -= dx, b[1] -= dy, b[2] += dx, b[3] += dy;
        ok = isfinite(b[0]) && isfinite(b[1]) && isfinite(b[2]) && isfinite(b[3]);
    }
    proj_destroy(norm);
    proj_destroy(tr);
    return ok;
}

int pk_crs_range(const char *def, double b[4])
{
    double w, s, e, n;
    int ok = 0;
    PJ_CONTEXT *pc = proj_context_create();
    proj_log_level(pc, PJ_LOG_NONE);
    PJ *crs = proj_create(pc, def);
    if (crs && proj_get_type(crs) == PJ_TYPE_BOUND_CRS) {
        PJ *base = proj_get_source_crs(pc, crs);
        proj_destroy(crs);
        crs = base;
    }
    if (crs && !proj_get_area_of_use(pc, crs, &w, &s, &e, &n, NULL))
        w = -180, s = -90, e = 180, n = 90; /* no area of use: the whole world */
    if (crs && w > e)
        w = -180, e = 180; /* across the antimeridian: do not try to be clever */
    if (crs) {
        PJ_TYPE t = proj_get_type(crs);
        if (t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS) {
            b[0] = fmax(-180, w - 1), b[1] = fmax(-90, s - 1), b[2] = fmin(180, e + 1), b[3] = fmin(90, n + 1);
            ok = 1;
        } else if (t == PJ_TYPE_PROJECTED_CRS) {
            ok = projected_range(pc, crs, w, s, e, n, b);
        }
    }
    proj_destroy(crs);
    proj_context_destroy(pc);
    return ok;
}

void pk_crs_hint(double x, double y, int metric_srid, char *out, size_t size)
{
    int zone = (int)floor(x / 1e6);
    if (fabs(x) <= 180 && fabs(y) <= 90)
        snprintf(out, size, "the coordinates look like degrees: give --s_srs EPSG:4490 (CGCS2000) or "
                 "EPSG:4326 (WGS84)");
    else if (y > 0 && y < 1e7 && zone >= 25 && zone <= 45)
        snprintf(out, size, "the coordinates look like 3-degree Gauss-Krüger metres of zone %d: give --s_srs "
                 "EPSG:%d (CGCS2000 / 3-degree Gauss-Kruger zone %d)", zone, 4513 + zone - 25, zone);
    else if (y > 0 && y < 1e7 && zone >= 13 && zone <= 23)
        snprintf(out, size, "the coordinates look like 6-degree Gauss-Krüger metres of zone %d: give --s_srs "
                 "EPSG:%d (CGCS2000 / Gauss-Kruger zone %d)", zone, 4491 + zone - 13, zone);
    else if (y > 1e6 && y < 6.5e6 && x > 1e5 && x < 9e5 && metric_srid >= 4534 && metric_srid <= 4554)
        snprintf(out, size, "the coordinates look like Gauss-Krüger metres without a zone prefix: give --s_srs "
                 "EPSG:%d (the store's metric CRS, CGCS2000 / 3-degree Gauss-Kruger CM %dE) or the one of "
                 "the data's central meridian (EPSG:4534-4554)", metric_srid, 75 + 3 * (metric_srid - 4534));
    else if (y > 1e6 && y < 6.5e6 && x > 1e5 && x < 9e5)
        snprintf(out, size, "the coordinates look like Gauss-Krüger metres without a zone prefix: give --s_srs "
                 "with the CRS of the data's central meridian, EPSG:4534 (75E) to EPSG:4554 (135E), e.g. "
                 "EPSG:4549 for 120E");
    else
        snprintf(out, size, "they fit no common CRS: check the data, or give the CRS it was made in with --s_srs "
                 "(EPSG:4490 for degrees, EPSG:4513-4554 for Gauss-Krüger metres)");
}
