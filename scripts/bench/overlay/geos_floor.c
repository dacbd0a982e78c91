/* geos_floor.c — not part of the benchmark run: the GEOS work of the
 * overlay benchmark's county × 0.25° grid intersection alone (no I/O, one
 * thread, EPSG:4326 as the peers), and the alternatives measured in
 * docs/BENCHMARKS.md (Overlay, "Where the time goes").
 *   V0: per pair: prepared intersects/covers, else GEOSIntersection_r (what
 *       plankit, PostGIS and SpatiaLite all do).
 *   V1: per county: node its boundary with the boundaries of the cells it
 *       crosses once (GEOSUnaryUnion_r of the linework), polygonize, give each
 *       face inside the county to its cell.
 *   V2: GEOSClipByRect_r instead of GEOSIntersection_r (GEOS 3.11: a few wrong
 *       areas and invalid polygons; CHECK=1 lists the invalid ones).
 *   V3: V2 guarded: the result's area must equal a Sutherland-Hodgman area of
 *       the county clipped to the cell, and it must be valid (unless
 *       NOVALID=1), else GEOSIntersection_r.
 * Build: cc -O2 -o geos_floor geos_floor.c -lgeos_c -lsqlite3 -lm
 * Usage: geos_floor V0|V1|V2|V3 WORK/counties_valid.gpkg WORK/cells.txt [MAX_COUNTIES [OUT.txt]]
 *   (WORK: a work directory kept by KEEP=1 scripts/bench/overlay.sh; OUT
 *   gets "county_fid cell_id area_deg2" per piece, to compare variants) */
#include <geos_c.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static GEOSContextHandle_t h;
static char *keep; /* cell id -> in grid */
#define NCOLS 1440
#define STEP 0.25

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static GEOSGeometry *cell_poly(long id)
{
    long r = id / NCOLS, c = id % NCOLS;
    double x0 = c * STEP - 180, y0 = r * STEP - 90, x1 = x0 + STEP, y1 = y0 + STEP;
    GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, 5, 2);
    double xs[5] = {x0, x1, x1, x0, x0}, ys[5] = {y0, y0, y1, y1, y0};
    for (int i = 0; i < 5; i++)
        GEOSCoordSeq_setXY_r(h, s, i, xs[i], ys[i]);
    return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, s), NULL, 0);
}

static double polyarea(GEOSGeometry *g) /* polygonal part area */
{
    double a = 0;
    if (!g)
        return 0;
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) {
        GEOSArea_r(h, g, &a);
        return a;
    }
    for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        int pt = GEOSGeomTypeId_r(h, p);
        if (pt == GEOS_POLYGON || pt == GEOS_MULTIPOLYGON) {
            double b;
            GEOSArea_r(h, p, &b);
            a += b;
        }
    }
    return a;
}


/* Sutherland-Hodgman: area of (ring region ∩ rect), orientation-free. */
static double *bufA, *bufB;
static size_t bufcap;
static double ring_clip_area(const GEOSGeometry *ring, double x0, double y0, double x1, double y1)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int n;
    GEOSCoordSeq_getSize_r(h, cs, &n);
    if (bufcap < 2 * (size_t)n + 16) {
        bufcap = 2 * (size_t)n + 16;
        bufA = realloc(bufA, bufcap * 2 * sizeof *bufA);
        bufB = realloc(bufB, bufcap * 2 * sizeof *bufB);
    }
    size_t m = 0;
    for (unsigned int i = 0; i + 1 < n; i++) { /* drop the closing point */
        GEOSCoordSeq_getXY_r(h, cs, i, &bufA[2 * m], &bufA[2 * m + 1]);
        m++;
    }
    double *in = bufA, *out = bufB;
    for (int e = 0; e < 4 && m > 0; e++) {
        size_t k = 0;
        for (size_t i = 0; i < m; i++) {
            double px = in[2 * ((i + m - 1) % m)], py = in[2 * ((i + m - 1) % m) + 1];
            double qx = in[2 * i], qy = in[2 * i + 1];
            double pv = e == 0 ? px - x0 : e == 1 ? x1 - px : e == 2 ? py - y0 : y1 - py;
            double qv = e == 0 ? qx - x0 : e == 1 ? x1 - qx : e == 2 ? qy - y0 : y1 - qy;
            int pin = pv >= 0, qin = qv >= 0;
            if (pin != qin) {
                double t = pv / (pv - qv), ix, iy;
                if (e < 2) { ix = e == 0 ? x0 : x1; iy = py + t * (qy - py); }
                else { iy = e == 2 ? y0 : y1; ix = px + t * (qx - px); }
                out[2 * k] = ix, out[2 * k + 1] = iy, k++;
            }
            if (qin)
                out[2 * k] = qx, out[2 * k + 1] = qy, k++;
        }
        double *t = in; in = out; out = t;
        m = k;
    }
    double a = 0;
    for (size_t i = 0; i < m; i++) {
        size_t j = (i + 1) % m;
        a += (in[2 * i] - in[0]) * (in[2 * j + 1] - in[1]) - (in[2 * j] - in[0]) * (in[2 * i + 1] - in[1]);
    }
    return fabs(a) / 2;
}

static double sh_area(const GEOSGeometry *g, double x0, double y0, double x1, double y1)
{
    double a = 0;
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_MULTIPOLYGON) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++)
            a += sh_area(GEOSGetGeometryN_r(h, g, i), x0, y0, x1, y1);
        return a;
    }
    a = ring_clip_area(GEOSGetExteriorRing_r(h, g), x0, y0, x1, y1);
    for (int i = 0; i < GEOSGetNumInteriorRings_r(h, g); i++)
        a -= ring_clip_area(GEOSGetInteriorRingN_r(h, g, i), x0, y0, x1, y1);
    return a;
}
static long fallbacks;

/* One run of a variant: where pieces go, and what they add up to. */
struct run {
    char variant;   /* '0' .. '3' */
    FILE *out;
    double total;
    long pieces, pairs, covered, faces;
};

static void add_piece(struct run *R, long county, long cid, double a)
{
    R->total += a, R->pieces++;
    fprintf(R->out, "%ld %ld %.17g\n", county, cid, a);
}

/* The cell ids of the grid (file of ids) into keep[]. */
static void read_cells(const char *path)
{
    keep = calloc(NCOLS * 720, 1);
    FILE *f = fopen(path, "r");
    long id;
    while (fscanf(f, "%ld", &id) == 1)
        keep[id] = 1;
    fclose(f);
}

/* At most maxc counties (geometry and fid) from the GeoPackage; returns their count. */
static int read_counties(const char *path, int maxc, GEOSGeometry **A, long *fid)
{
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT fid, geom FROM counties WHERE geom IS NOT NULL ORDER BY fid", -1, &st, NULL);
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < maxc) {
        const unsigned char *b = sqlite3_column_blob(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        int flags = b[3], env = (flags >> 1) & 7;
        int envsz = env == 0 ? 0 : env == 1 ? 32 : (env == 2 || env == 3) ? 48 : 64;
        A[n] = GEOSWKBReader_read_r(h, rd, b + 8 + envsz, (size_t)(len - 8 - envsz));
        fid[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

/* V3: GEOSClipByRect_r checked against Sutherland-Hodgman (and validity),
 * else GEOSIntersection_r. */
static void pair_v3(struct run *R, const GEOSGeometry *a, long county, long cid, const GEOSGeometry *cell)
{
    long r = cid / NCOLS, c = cid % NCOLS;
    double X0 = c * STEP - 180, Y0 = r * STEP - 90, X1 = X0 + STEP, Y1 = Y0 + STEP;
    GEOSGeometry *x = GEOSClipByRect_r(h, a, X0, Y0, X1, Y1);
    double area = polyarea(x), ref = sh_area(a, X0, Y0, X1, Y1);
    if (!x || fabs(area - ref) > 1e-9 * STEP * STEP || (area > 0 && !getenv("NOVALID") && GEOSisValid_r(h, x) != 1)) {
        fallbacks++;
        GEOSGeom_destroy_r(h, x);
        x = GEOSIntersection_r(h, a, cell);
        area = polyarea(x);
    }
    if (area > 0)
        add_piece(R, county, cid, area);
    GEOSGeom_destroy_r(h, x);
}

/* V0: GEOSIntersection_r; V2: GEOSClipByRect_r (CHECK=1 lists invalid results). */
static void pair_v02(struct run *R, const GEOSGeometry *a, long county, long cid, const GEOSGeometry *cell)
{
    long r = cid / NCOLS, c = cid % NCOLS;
    GEOSGeometry *x = R->variant == '0' ? GEOSIntersection_r(h, a, cell)
        : GEOSClipByRect_r(h, a, c * STEP - 180, r * STEP - 90, c * STEP - 180 + STEP, r * STEP - 90 + STEP);
    double area = polyarea(x);
    if (!x)
        fprintf(stderr, "GEOS error county %ld cell %ld\n", county, cid);
    else if (R->variant == '2' && getenv("CHECK") && area > 0 && GEOSisValid_r(h, x) != 1) {
        char *why = GEOSisValidReason_r(h, x);
        fprintf(stderr, "invalid: county %ld cell %ld: %s\n", county, cid, why);
        GEOSFree_r(h, why);
    }
    if (area > 0)
        add_piece(R, county, cid, area);
    GEOSGeom_destroy_r(h, x);
}

/* V1: node the county's boundary with those of the ns cells S it crosses,
 * polygonize, and give each face inside the county to its cell. */
static void county_faces(struct run *R, const GEOSGeometry *a, const GEOSPreparedGeometry *pa, long county,
                         const long *S, int ns)
{
    GEOSGeometry **parts = malloc(sizeof *parts * (size_t)(ns + 1));
    parts[0] = GEOSBoundary_r(h, a);
    for (int k = 0; k < ns; k++) {
        GEOSGeometry *cell = cell_poly(S[k]);
        parts[k + 1] = GEOSBoundary_r(h, cell);
        GEOSGeom_destroy_r(h, cell);
    }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)ns + 1);
    free(parts);
    GEOSGeometry *noded = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    const GEOSGeometry *in[1] = {noded};
    GEOSGeometry *faces = GEOSPolygonize_r(h, in, 1);
    int nf = GEOSGetNumGeometries_r(h, faces);
    double *acc = calloc((size_t)ns, sizeof *acc);
    for (int k = 0; k < nf; k++) {
        const GEOSGeometry *fc = GEOSGetGeometryN_r(h, faces, k);
        GEOSGeometry *p = GEOSPointOnSurface_r(h, fc);
        double px, py;
        GEOSGeomGetX_r(h, p, &px);
        GEOSGeomGetY_r(h, p, &py);
        long cid = (long)floor((py + 90) / STEP) * NCOLS + (long)floor((px + 180) / STEP);
        int slot = -1;
        for (int s = 0; s < ns; s++)
            if (S[s] == cid)
                slot = s;
        if (slot >= 0 && GEOSPreparedContainsProperly_r(h, pa, p) == 1) {
            double fa;
            GEOSArea_r(h, fc, &fa);
            acc[slot] += fa;
            R->faces++;
        }
        GEOSGeom_destroy_r(h, p);
    }
    for (int s = 0; s < ns; s++)
        if (acc[s] > 0)
            add_piece(R, county, S[s], acc[s]);
    free(acc);
    GEOSGeom_destroy_r(h, faces);
    GEOSGeom_destroy_r(h, noded);
}

/* One county against the grid cells its envelope covers. */
static void one_county(struct run *R, const GEOSGeometry *a, long county)
{
    double x0, y0, x1, y1;
    GEOSGeom_getExtent_r(h, a, &x0, &y0, &x1, &y1);
    long c0 = (long)floor((x0 + 180) / STEP), c1 = (long)floor((x1 + 180) / STEP);
    long r0 = (long)floor((y0 + 90) / STEP), r1 = (long)floor((y1 + 90) / STEP);
    const GEOSPreparedGeometry *pa = GEOSPrepare_r(h, a);
    long *S = malloc(sizeof *S * (size_t)((c1 - c0 + 1) * (r1 - r0 + 1)));
    int ns = 0;
    for (long r = r0; r <= r1; r++)
        for (long c = c0; c <= c1; c++) {
            long cid = r * NCOLS + c;
            if (!keep[cid])
                continue;
            GEOSGeometry *cell = cell_poly(cid);
            if (GEOSPreparedIntersects_r(h, pa, cell) == 1) {
                R->pairs++;
                if (GEOSPreparedCovers_r(h, pa, cell) == 1) {
                    R->covered++;
                    double ca;
                    GEOSArea_r(h, cell, &ca);
                    add_piece(R, county, cid, ca);
                } else if (R->variant == '3')
                    pair_v3(R, a, county, cid, cell);
                else if (R->variant == '0' || R->variant == '2')
                    pair_v02(R, a, county, cid, cell);
                else
                    S[ns++] = cid;
            }
            GEOSGeom_destroy_r(h, cell);
        }
    if (R->variant == '1' && ns > 0)
        county_faces(R, a, pa, county, S, ns);
    free(S);
    GEOSPreparedGeom_destroy_r(h, pa);
}

int main(int argc, char **argv)
{
    if (argc < 4 || strlen(argv[1]) != 2 || argv[1][0] != 'V' || argv[1][1] < '0' || argv[1][1] > '3') {
        fprintf(stderr, "usage: geos_floor V0|V1|V2|V3 counties_valid.gpkg cells.txt [max_counties [out.txt]]\n");
        return 2;
    }
    const char *mode = argv[1];
    int maxc = argc > 4 ? atoi(argv[4]) : 1 << 30;
    h = GEOS_init_r();
    read_cells(argv[3]);
    GEOSGeometry **A = malloc(4000 * sizeof *A);
    long *fid = malloc(4000 * sizeof *fid);
    int n = read_counties(argv[2], maxc, A, fid);
    double t0 = now();
    struct run R = {.variant = mode[1], .out = fopen(argc > 5 ? argv[5] : "/dev/null", "w")};
    for (int i = 0; i < n; i++)
        one_county(&R, A[i], fid[i]);
    fclose(R.out);
    if (mode[1] == '3')
        fprintf(stderr, "fallbacks to GEOSIntersection_r: %ld\n", fallbacks);
    printf("%s: %d counties, %ld pairs, %ld covered, %ld pieces, %ld faces, total %.12g deg2, %.2f s\n", mode, n,
           R.pairs, R.covered, R.pieces, R.faces, R.total, now() - t0);
    return 0;
}
