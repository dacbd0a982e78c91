/* fixture.h — what the unit tests share: a temporary folder with a store
 * made in it, files written there, and layers loaded from them. Include it
 * once per test program (its functions are static). */
#ifndef PLANKIT_TEST_FIXTURE_H
#define PLANKIT_TEST_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plankit/layer.h"
#include "plankit/store.h"

/* A GeoJSON "crs" member naming EPSG:4549 (CGCS2000 / 3-degree GK zone 40). */
#define FX_CRS_4549 "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::4549\"}},"

struct fixture {
    struct pk_ctx *ctx;
    struct pk_store *store;
    char dir[256];
};

/* name inside the fixture's folder */
static inline void fx_path(const struct fixture *f, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", f->dir, name);
}

/* Write text to the file name in the fixture's folder; 0 on success. */
static inline int fx_write(const struct fixture *f, const char *name, const char *text)
{
    char p[400];
    fx_path(f, name, p, sizeof p);
    FILE *fp = fopen(p, "w");
    if (!fp)
        return -1;
    fputs(text, fp);
    return fclose(fp);
}

/* A temporary folder named after the test, a context, and a store
 * "plan.sqlite" with storage CRS crs and metric CRS measure_crs (no store
 * when crs is NULL; measure_crs NULL: chosen from the first layer); 0 on
 * success. */
static inline int fx_open_measure(struct fixture *f, const char *test, const char *crs, const char *measure_crs)
{
    memset(f, 0, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/plankit-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", test);
    if (!mkdtemp(f->dir) || !(f->ctx = pk_ctx_new()))
        return -1;
    if (!crs)
        return 0;
    char p[400];
    fx_path(f, "plan.sqlite", p, sizeof p);
    struct pk_store_opts o = {.crs = crs, .measure_crs = measure_crs};
    return pk_store_create(f->ctx, p, &o, &f->store) == PK_OK ? 0 : -1;
}

/* fx_open_measure with crs as both the storage and the metric CRS. */
static inline int fx_open(struct fixture *f, const char *test, const char *crs)
{
    return fx_open_measure(f, test, crs, crs);
}

/* Load file (in the folder) as layer name; returns the status. */
static inline int fx_load(struct fixture *f, const char *file, const char *name, const char *kind)
{
    char p[400];
    fx_path(f, file, p, sizeof p);
    struct pk_load_opts lo = {.source = p, .name = name, .kind = kind};
    return pk_layer_load(f->store, &lo, NULL, NULL, NULL);
}

/* Area in m² of a polygon given as n lon/lat vertices in degrees (closed
 * or not), its edges straight in lon/lat, on the WGS 84 ellipsoid: what a
 * metric CRS that keeps areas (EPSG:6933, Lambert cylindrical equal-area)
 * measures along its curved edges. Computed independently of PROJ and of
 * plankit: area = a²/2 ∬ dλ dq (q the authalic function of latitude), as
 * the line integral -a²/2 ∮ q dλ by Simpson's rule along each edge. */
static inline double fx_q(double lat_deg)
{
    const double f = 1 / 298.257223563, e2 = f * (2 - f), e = sqrt(e2);
    double s = sin(lat_deg * M_PI / 180);
    return (1 - e2) * (s / (1 - e2 * s * s) - log((1 - e * s) / (1 + e * s)) / (2 * e));
}

static inline double fx_ellipsoid_area(const double (*lonlat)[2], int n)
{
    const double a = 6378137.0;
    const int steps = 200; /* even */
    double sum = 0;
    for (int i = 0; i < n; i++) {
        const double *p = lonlat[i], *q = lonlat[(i + 1) % n];
        double dl = (q[0] - p[0]) * M_PI / 180, edge = 0;
        if (dl == 0)
            continue;
        for (int k = 0; k <= steps; k++) {
            double w = k == 0 || k == steps ? 1 : k % 2 ? 4 : 2;
            edge += w * fx_q(p[1] + (q[1] - p[1]) * k / steps);
        }
        sum += edge / (3.0 * steps) * dl;
    }
    return fabs(a * a / 2 * sum);
}

/* Planar (shoelace) area of a polygon of n vertices (closed or not). */
static inline double fx_planar_area(const double (*xy)[2], int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        const double *p = xy[i], *q = xy[(i + 1) % n];
        s += p[0] * q[1] - q[0] * p[1];
    }
    return fabs(s / 2);
}

/* Hand-made layers: shapes drawn in units, placed in a store's CRS. */
#define FX_MAXPTS 8

/* A polygon (one ring, n vertices, not closed) in units. */
struct fx_shape {
    int n;
    double p[FX_MAXPTS][2];
};

/* Where the units go: store coordinate = origin + unit * scale. */
struct fx_place {
    const char *crs, *measure_crs; /* of the store */
    const char *crs_member;        /* of the GeoJSON files ("" = CRS84) */
    double x0, y0, scale;
    int geographic;                /* areas on the ellipsoid (metric CRS EPSG:6933), else planar */
    int threads;                   /* for the engines' options */
};

/* 1 unit = 1 m in EPSG:4549 near Kunshan's latitude; 1 unit = 1/200° in an
 * EPSG:4326 store whose metric CRS is EPSG:6933 (equal-area, so areas are
 * those on the ellipsoid, computed by fx_ellipsoid_area). */
static const struct fx_place FX_IN_4549 = {"EPSG:4549", "EPSG:4549", FX_CRS_4549, 600000, 3430000, 1, 0, 1};
static const struct fx_place FX_IN_4326 = {"EPSG:4326", "EPSG:6933", "", 120, 30, 1.0 / 200, 1, 3};

/* The shape in store coordinates (s->n points, not closed). */
static inline void fx_to_store(const struct fx_place *pl, const struct fx_shape *s, double (*xy)[2])
{
    for (int i = 0; i < s->n; i++) {
        xy[i][0] = pl->x0 + s->p[i][0] * pl->scale;
        xy[i][1] = pl->y0 + s->p[i][1] * pl->scale;
    }
}

/* Area of the shape by hand: m² (planar, or on the ellipsoid), or in store
 * units² with plain. */
static inline double fx_shape_area(const struct fx_place *pl, const struct fx_shape *s, int plain)
{
    double xy[FX_MAXPTS][2];
    fx_to_store(pl, s, xy);
    return pl->geographic && !plain ? fx_ellipsoid_area((const double(*)[2])xy, s->n)
                                    : fx_planar_area((const double(*)[2])xy, s->n);
}

/* Append a GeoJSON feature with properties props (JSON members, "" for
 * none) and the shape to the text buf (size bytes), after a comma unless
 * first. */
static inline void fx_append_feature(char *buf, size_t size, const struct fx_place *pl, const char *props,
                                     const struct fx_shape *s, int first)
{
    double xy[FX_MAXPTS][2];
    fx_to_store(pl, s, xy);
    size_t len = strlen(buf);
    len += (size_t)snprintf(buf + len, size - len, "%s{\"type\":\"Feature\",\"properties\":{%s},"
                            "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[", first ? "" : ",", props);
    for (int i = 0; i <= s->n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s[%.10f,%.10f]", i ? "," : "", xy[i % s->n][0],
                                xy[i % s->n][1]);
    if (len < size)
        snprintf(buf + len, size - len, "]]}}");
}

/* The start of a FeatureCollection in the place's CRS, into buf. */
static inline void fx_collection_begin(char *buf, size_t size, const struct fx_place *pl)
{
    snprintf(buf, size, "{\"type\":\"FeatureCollection\",%s\"features\":[", pl->crs_member);
}

/* Close the collection, write it to file in the folder and load it as
 * layer name; returns the status (-1 when the file cannot be written). */
static inline int fx_collection_load(struct fixture *f, char *buf, size_t size, const char *file,
                                     const char *name, const char *kind)
{
    size_t len = strlen(buf);
    if (len + 3 > size)
        return -1;
    memcpy(buf + len, "]}", 3);
    return fx_write(f, file, buf) != 0 ? -1 : fx_load(f, file, name, kind);
}

/* Close the store and context and remove the folder with what is in it. */
static inline void fx_close(struct fixture *f)
{
    pk_store_close(f->store);
    pk_ctx_free(f->ctx);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    f->store = NULL;
    f->ctx = NULL;
}

#endif
