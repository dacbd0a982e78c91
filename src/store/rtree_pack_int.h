/* rtree_pack_int.h — building a new layer's R*Tree in one pass.
 *
 * SQLite's rtree module inserts one entry at a time (choose a leaf, split,
 * reinsert): on an overlay's 35,708 pieces that is a quarter of the writing
 * thread's time. A layer written whole knows all its boxes at the end, so
 * its index can be packed instead, Sort-Tile-Recursive: boxes sorted into
 * vertical slices by centre x, each slice by centre y, cut into full nodes,
 * and the same again one level up until one node is left, the root. The
 * nodes are written into the rtree's own shadow tables in SQLite's
 * documented format (ext/rtree/rtree.c, "Database Format of R-Tree
 * Tables"): %_node holds each node as a BLOB (2-byte depth — read in the
 * root only —, 2-byte cell count, then cells of an 8-byte id and four 4-byte
 * floats, min x, max x, min y, max y, all big-endian, coordinates rounded
 * outwards), %_rowid maps each entry to its leaf and %_parent each node to
 * its parent; node 1 is the root. The result passes SQLite's rtreecheck()
 * and is maintained by the module like any other (tests/unit/test_bulk.c). */
#ifndef PLANKIT_RTREE_PACK_INT_H
#define PLANKIT_RTREE_PACK_INT_H

#include <stddef.h>
#include "store_int.h"

/* One entry: a row id and its box (min x, min y, max x, max y). */
struct pk_rtree_entry {
    long long id;
    double box[4];
};

/* Pack the entries (read only) into the rtree table `rtree` (e.g.
 * "idx_lyr_3_geom"), which must exist and be empty, inside the caller's
 * transaction. n may be 0. PK_OK, or an error in the store's context
 * (PK_ERR_DB for a tree that already has entries: nothing is written). */
int pk_rtree_pack(struct pk_store *store, const char *rtree, struct pk_rtree_entry *entries, size_t n);

#endif
