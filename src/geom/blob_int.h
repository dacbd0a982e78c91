/* blob_int.h — SpatiaLite geometry BLOBs straight to and from GEOS.
 *
 * The store keeps geometries as SpatiaLite BLOBs: a 39-byte header (start
 * byte 0x00, byte order, SRID, MBR, 0x7C), the class type and a WKB-like
 * body in which the members of a collection are marked 0x69, and an end
 * byte 0xFE. Reading and writing them here, without SpatiaLite's
 * AsBinary()/GeomFromWKB() round trip through WKB, lets worker threads read
 * with plain SQLite connections and makes the overlay's reads and writes
 * cheaper. Only 2D uncompressed BLOBs (what plankit writes) are decoded;
 * anything else is reported so the caller can use SpatiaLite instead. */
#ifndef PLANKIT_BLOB_INT_H
#define PLANKIT_BLOB_INT_H

#include <stddef.h>
#include "ctx_int.h"

/* Decode a BLOB. *out: a new GEOS geometry (caller frees with
 * GEOSGeom_destroy_r). Returns PK_OK, PK_ERR_DATA for a malformed BLOB, or
 * PK_ERR_ARGS for a valid BLOB this decoder does not read (Z/M, compressed):
 * then use SpatiaLite. */
int pk_blob_to_geos(GEOSContextHandle_t h, const unsigned char *blob, size_t size, GEOSGeometry **out);

/* Encode a 2D GEOS geometry (not empty) with the SRID. *blob: caller frees
 * with free(). Returns PK_OK, PK_ERR_ARGS (empty or unsupported type) or
 * PK_ERR_NOMEM. */
int pk_blob_from_geos(GEOSContextHandle_t h, const GEOSGeometry *g, int srid, unsigned char **blob, size_t *size);

/* The MBR a BLOB's header states: mbr = min x, min y, max x, max y. Returns
 * PK_OK, or PK_ERR_DATA when the header is not a SpatiaLite BLOB's. */
int pk_blob_mbr(const unsigned char *blob, size_t size, double mbr[4]);

#endif
