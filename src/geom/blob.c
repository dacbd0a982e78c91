/* blob.c — SpatiaLite geometry BLOBs straight to and from GEOS (see
 * blob_int.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob_int.h"

#define BLOB_START 0x00
#define BLOB_MBR_END 0x7C
#define BLOB_ENTITY 0x69
#define BLOB_END 0xFE
#define BLOB_HEADER 39 /* start, order, srid, mbr, mbr end */

static int host_little(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* ---- reading ----------------------------------------------------------- */

struct reader {
    GEOSContextHandle_t h;
    const unsigned char *p, *end;
    int swap;
    double *buf;      /* aligned copy of a coordinate run */
    size_t cap;       /* in points */
    int unsupported;
};

static void swap_bytes(unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        unsigned char t = b[i];
        b[i] = b[n - 1 - i];
        b[n - 1 - i] = t;
    }
}

static int rd_u32(struct reader *r, uint32_t *v)
{
    if (r->end - r->p < 4)
        return 0;
    unsigned char b[4];
    memcpy(b, r->p, 4);
    if (r->swap)
        swap_bytes(b, 4);
    memcpy(v, b, 4);
    r->p += 4;
    return 1;
}

static GEOSCoordSequence *rd_coords(struct reader *r)
{
    uint32_t n;
    if (!rd_u32(r, &n) || (size_t)(r->end - r->p) / 16 < n)
        return NULL;
    if (n > r->cap) {
        double *b = realloc(r->buf, 2 * sizeof *b * n);
        if (!b)
            return NULL;
        r->buf = b;
        r->cap = n;
    }
    if (n)
        memcpy(r->buf, r->p, 16 * (size_t)n);
    r->p += 16 * (size_t)n;
    if (r->swap)
        for (size_t i = 0; i < 2 * (size_t)n; i++)
            swap_bytes((unsigned char *)&r->buf[i], 8);
    return GEOSCoordSeq_copyFromBuffer_r(r->h, r->buf, n, 0, 0);
}

static GEOSGeometry *rd_polygon(struct reader *r)
{
    uint32_t nrings;
    if (!rd_u32(r, &nrings) || (size_t)(r->end - r->p) / 4 < nrings)
        return NULL;
    if (nrings == 0)
        return GEOSGeom_createEmptyPolygon_r(r->h);
    GEOSGeometry **rings = calloc(nrings, sizeof *rings);
    uint32_t made = 0;
    for (; rings && made < nrings; made++) {
        GEOSCoordSequence *seq = rd_coords(r);
        if (!seq || !(rings[made] = GEOSGeom_createLinearRing_r(r->h, seq)))
            break;
    }
    GEOSGeometry *poly = NULL;
    if (rings && made == nrings)
        poly = GEOSGeom_createPolygon_r(r->h, rings[0], rings + 1, nrings - 1);
    else
        for (uint32_t i = 0; rings && i < made; i++)
            GEOSGeom_destroy_r(r->h, rings[i]);
    free(rings);
    return poly;
}

static GEOSGeometry *rd_body(struct reader *r, uint32_t type, int depth);

static GEOSGeometry *rd_collection(struct reader *r, uint32_t type, int depth)
{
    static const int geos_type[] = {0, 0, 0, 0, GEOS_MULTIPOINT, GEOS_MULTILINESTRING, GEOS_MULTIPOLYGON,
                                    GEOS_GEOMETRYCOLLECTION};
    uint32_t n;
    if (depth > 0 || !rd_u32(r, &n) || (size_t)(r->end - r->p) / 5 < n)
        return NULL;
    GEOSGeometry **parts = calloc(n ? n : 1, sizeof *parts);
    uint32_t made = 0;
    for (; parts && made < n; made++) {
        uint32_t member;
        if (r->p >= r->end || *r->p++ != BLOB_ENTITY || !rd_u32(r, &member))
            break;
        if (member < 1 || member > 3) { /* 3D, measured or compressed members */
            r->unsupported = 1;
            break;
        }
        if (type != 7 && member != type - 3)
            break; /* a Multi* holds its own kind only */
        if (!(parts[made] = rd_body(r, member, depth + 1)))
            break;
    }
    GEOSGeometry *g = NULL;
    if (parts && made == n)
        g = GEOSGeom_createCollection_r(r->h, geos_type[type], parts, n);
    else
        for (uint32_t i = 0; parts && i < made; i++)
            GEOSGeom_destroy_r(r->h, parts[i]);
    free(parts);
    return g;
}

static GEOSGeometry *rd_point(struct reader *r)
{
    if (r->end - r->p < 16)
        return NULL;
    double xy[2];
    memcpy(xy, r->p, 16);
    r->p += 16;
    if (r->swap) {
        swap_bytes((unsigned char *)&xy[0], 8);
        swap_bytes((unsigned char *)&xy[1], 8);
    }
    return GEOSGeom_createPointFromXY_r(r->h, xy[0], xy[1]);
}

static GEOSGeometry *rd_body(struct reader *r, uint32_t type, int depth)
{
    GEOSCoordSequence *seq;
    switch (type) {
    case 1:
        return rd_point(r);
    case 2:
        return (seq = rd_coords(r)) ? GEOSGeom_createLineString_r(r->h, seq) : NULL;
    case 3:
        return rd_polygon(r);
    case 4:
    case 5:
    case 6:
    case 7:
        return rd_collection(r, type, depth);
    default:
        r->unsupported = 1; /* Z, M, ZM or compressed classes */
        return NULL;
    }
}

int pk_blob_to_geos(GEOSContextHandle_t h, const unsigned char *blob, size_t size, GEOSGeometry **out)
{
    *out = NULL;
    if (blob && size > 0 && blob[0] == 0x80)
        return PK_ERR_ARGS; /* a TinyPoint BLOB: SpatiaLite reads it */
    if (!blob || size < BLOB_HEADER + 5 || blob[0] != BLOB_START || blob[38] != BLOB_MBR_END ||
        blob[size - 1] != BLOB_END || (blob[1] != 0 && blob[1] != 1))
        return PK_ERR_DATA;
    struct reader r = {h, blob + BLOB_HEADER, blob + size - 1, blob[1] != host_little(), NULL, 0, 0};
    uint32_t type;
    GEOSGeometry *g = rd_u32(&r, &type) ? rd_body(&r, type, 0) : NULL;
    free(r.buf);
    if (g && r.p != r.end) { /* trailing bytes: not a BLOB this decoder understood */
        GEOSGeom_destroy_r(h, g);
        g = NULL;
    }
    if (!g)
        return r.unsupported ? PK_ERR_ARGS : PK_ERR_DATA;
    *out = g;
    return PK_OK;
}

int pk_blob_mbr(const unsigned char *blob, size_t size, double mbr[4])
{
    if (!blob || size < BLOB_HEADER || blob[0] != BLOB_START || blob[1] > 1 || blob[38] != BLOB_MBR_END)
        return PK_ERR_DATA;
    unsigned char b[32];
    memcpy(b, blob + 6, sizeof b);
    for (int k = 0; blob[1] != host_little() && k < 4; k++)
        swap_bytes(b + 8 * k, 8);
    memcpy(mbr, b, sizeof b);
    return PK_OK;
}

/* ---- writing ----------------------------------------------------------- */

struct writer {
    GEOSContextHandle_t h;
    unsigned char *p;     /* NULL while sizing */
    size_t size;
    double *buf;
    size_t cap;
    int ok;
};

static void put(struct writer *w, const void *v, size_t n)
{
    if (w->p)
        memcpy(w->p + w->size, v, n);
    w->size += n;
}

static void put_u32(struct writer *w, uint32_t v) { put(w, &v, 4); }

static void put_coords(struct writer *w, const GEOSCoordSequence *seq, int with_count)
{
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(w->h, seq, &n) || n == 0) {
        w->ok = 0; /* an empty member: SpatiaLite has no encoding for it */
        return;
    }
    if (with_count)
        put_u32(w, n);
    if (!w->p) {
        w->size += 16 * (size_t)n;
        return;
    }
    if (n > w->cap) {
        double *b = realloc(w->buf, 2 * sizeof *b * n);
        if (!b) {
            w->ok = 0;
            return;
        }
        w->buf = b;
        w->cap = n;
    }
    if (n && !GEOSCoordSeq_copyToBuffer_r(w->h, seq, w->buf, 0, 0)) {
        w->ok = 0;
        return;
    }
    put(w, w->buf, 16 * (size_t)n);
}

static void put_body(struct writer *w, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(w->h, g);
    switch (t) {
    case GEOS_POINT:
        put_coords(w, GEOSGeom_getCoordSeq_r(w->h, g), 0);
        return;
    case GEOS_LINESTRING:
        put_coords(w, GEOSGeom_getCoordSeq_r(w->h, g), 1);
        return;
    case GEOS_POLYGON: {
        int holes = GEOSGetNumInteriorRings_r(w->h, g);
        if (holes < 0) {
            w->ok = 0;
            return;
        }
        put_u32(w, (uint32_t)holes + 1);
        put_coords(w, GEOSGeom_getCoordSeq_r(w->h, GEOSGetExteriorRing_r(w->h, g)), 1);
        for (int i = 0; i < holes; i++)
            put_coords(w, GEOSGeom_getCoordSeq_r(w->h, GEOSGetInteriorRingN_r(w->h, g, i)), 1);
        return;
    }
    case GEOS_MULTIPOINT:
    case GEOS_MULTILINESTRING:
    case GEOS_MULTIPOLYGON:
    case GEOS_GEOMETRYCOLLECTION: {
        int n = GEOSGetNumGeometries_r(w->h, g);
        put_u32(w, (uint32_t)n);
        for (int i = 0; i < n; i++) {
            const GEOSGeometry *m = GEOSGetGeometryN_r(w->h, g, i);
            int mt = GEOSGeomTypeId_r(w->h, m);
            unsigned char entity = BLOB_ENTITY;
            if (mt != GEOS_POINT && mt != GEOS_LINESTRING && mt != GEOS_POLYGON) {
                w->ok = 0; /* SpatiaLite does not nest collections */
                return;
            }
            put(w, &entity, 1);
            put_u32(w, mt == GEOS_POINT ? 1 : mt == GEOS_LINESTRING ? 2 : 3);
            put_body(w, m);
        }
        return;
    }
    default:
        w->ok = 0;
    }
}

int pk_blob_from_geos(GEOSContextHandle_t h, const GEOSGeometry *g, int srid, unsigned char **blob, size_t *size)
{
    static const uint32_t class_of[] = {[GEOS_POINT] = 1, [GEOS_LINESTRING] = 2, [GEOS_POLYGON] = 3,
                                        [GEOS_MULTIPOINT] = 4, [GEOS_MULTILINESTRING] = 5,
                                        [GEOS_MULTIPOLYGON] = 6, [GEOS_GEOMETRYCOLLECTION] = 7};
    *blob = NULL;
    *size = 0;
    int t = GEOSGeomTypeId_r(h, g);
    double mbr[4];
    if (t < 0 || t > GEOS_GEOMETRYCOLLECTION || !class_of[t] || GEOSisEmpty_r(h, g) != 0 ||
        !GEOSGeom_getExtent_r(h, g, &mbr[0], &mbr[1], &mbr[2], &mbr[3]))
        return PK_ERR_ARGS;
    struct writer w = {h, NULL, BLOB_HEADER + 4, NULL, 0, 1};
    put_body(&w, g); /* sizing pass */
    if (!w.ok)
        return PK_ERR_ARGS;
    size_t total = w.size + 1;
    w.p = malloc(total);
    if (!w.p)
        return PK_ERR_NOMEM;
    w.p[0] = BLOB_START;
    w.p[1] = (unsigned char)host_little();
    int32_t s = srid;
    memcpy(w.p + 2, &s, 4);
    memcpy(w.p + 6, mbr, sizeof mbr);
    w.p[38] = BLOB_MBR_END;
    w.size = BLOB_HEADER;
    put_u32(&w, class_of[t]);
    put_body(&w, g);
    free(w.buf);
    if (!w.ok) {
        free(w.p);
        return PK_ERR_NOMEM;
    }
    w.p[w.size] = BLOB_END;
    *blob = w.p;
    *size = total;
    return PK_OK;
}
