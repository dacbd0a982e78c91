/* tiler_rings_int.h — a polygon's rings on an integer grid cut into simple
 * loops before they become GEOS polygons (tiler_rings.c). */
#ifndef PLANKIT_TILER_RINGS_INT_H
#define PLANKIT_TILER_RINGS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <geos_c.h>

struct tl_ring {
    size_t start, n;   /* points start .. start+n-1 of the set, open (no closing point) */
    int hole;
};

struct tl_pslot {
    int64_t x, y;
    size_t pos;        /* SIZE_MAX: empty */
};

/* Rings of one polygon (a shell and its holes, as cut into loops). Zero-
 * initialise; reuse with tl_ringset_reset; free with tl_ringset_free. */
struct tl_ringset {
    int64_t *xy;
    size_t npts, cap;
    struct tl_ring *r;
    size_t nr, cap_r;
    struct tl_pslot *seen;  /* scratch: a hash of the points on the path */
    size_t cap_seen, mask;
    int64_t *path;          /* scratch */
    size_t cap_path;
};

void tl_ringset_reset(struct tl_ringset *rs);
void tl_ringset_free(struct tl_ringset *rs);

/* Add the open ring p[0..n) (distinct consecutive points), cut at the
 * points it passes twice into simple loops: loops of an exterior (hole 0)
 * turning as the whole ring does are shells, the others holes; all loops of
 * a hole are holes; loops without area are left out. Returns PK_OK or
 * PK_ERR_NOMEM. */
int tl_ringset_add(struct tl_ringset *rs, const int64_t *p, size_t n, int hole);

/* The set as GEOS polygons (each shell with the holes inside it; a hole
 * inside none goes to the first shell) into out[0..*nout); out needs room
 * for rs->nr. Nothing when there is no shell. Returns PK_OK, PK_ERR_NOMEM
 * or PK_ERR_GEOS (the polygons made so far are in out). */
int tl_ringset_polygons(GEOSContextHandle_t h, const struct tl_ringset *rs, GEOSGeometry **out, size_t *nout);

#endif
