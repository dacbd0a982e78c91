/* layer_bulk_int.h — filling a new layer table fast, inside the caller's
 * transaction.
 *
 * A layer table made with AddGeometryColumn carries SpatiaLite's per-row
 * triggers: a geometry check (ggi_), a timestamp update of
 * geometry_columns_time (tmi_) and, once indexed, the R*Tree insert (gii_).
 * On an overlay's 35,708 pieces the first two cost more than the inserts
 * themselves, and indexing afterwards (CreateSpatialIndex) reads every
 * geometry back. A bulk writer indexes the empty table, sets those three
 * insert triggers aside while the rows go in, keeps each row's box from the
 * BLOB header it already has, packs the R*Tree from them at the end
 * (rtree_pack_int.h) and puts the triggers back
 * (their own SQL, as SpatiaLite wrote it) and stamps last_insert once. The
 * geometry check holds by construction: plankit's BLOBs are 2D with the
 * store's SRID (blob.c). Everything happens in the caller's transaction, so
 * a rollback leaves the store as it was, triggers included; a failure
 * between begin and end must be rolled back (or the table dropped). */
#ifndef PLANKIT_LAYER_BULK_INT_H
#define PLANKIT_LAYER_BULK_INT_H

#include "store_int.h"

struct pk_bulk;

/* Index the (empty) table `table` and set its insert triggers aside. The
 * caller holds a transaction. *out: caller frees with pk_bulk_free (after
 * pk_bulk_end, or instead of it on failure). */
int pk_bulk_begin(struct pk_store *store, const char *table, struct pk_bulk **out);

/* Index the row with fid whose BLOB states this MBR (min x, min y, max x,
 * max y, as pk_blob_mbr reads it; NULL: a row without geometry, not
 * indexed). */
int pk_bulk_index(struct pk_bulk *bulk, long long fid, const double *mbr);

/* Pack the R*Tree, put the triggers back and stamp geometry_columns_time
 * once. */
int pk_bulk_end(struct pk_bulk *bulk);

/* Free (accepts NULL). Does not restore anything: see pk_bulk_end. */
void pk_bulk_free(struct pk_bulk *bulk);

#endif
