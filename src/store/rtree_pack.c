/* rtree_pack.c — a new layer's R*Tree packed Sort-Tile-Recursive into the
 * rtree module's shadow tables (see rtree_pack_int.h). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtree_pack_int.h"

/* A cell of the level being packed: an entry (leaves) or a node made one
 * level down, with its box rounded outwards to floats as the module keeps
 * it: min x, max x, min y, max y. */
struct cell {
    long long id;
    float f[4];
    double cx, cy; /* centre, for the ordering */
};

struct packer {
    struct pk_store *store;
    sqlite3_stmt *node, *rowid, *parent;
    int max_cells;         /* per node: (node size - 4) / 24 */
    int node_size;         /* bytes, the root's (the module reads it from there) */
    unsigned char *blob;   /* one node being written (node_size bytes) */
    long long next_node;   /* the next node number (1 is the root) */
};

/* Outward rounding to float the way the rtree module rounds the values it
 * is given (so a packed entry equals an inserted one): when the nearest
 * float lies on the wrong side, the value is scaled by 1 ∓ 2^-23 towards
 * the outside before converting. Values beyond the float range are clamped. */
#define ROUND_TOWARDS (1.0 - 1.0 / 8388608.0)
#define ROUND_AWAY (1.0 + 1.0 / 8388608.0)

static float round_down(double d)
{
    if (!(d > -FLT_MAX))
        return -FLT_MAX;
    if (d > FLT_MAX)
        return FLT_MAX;
    float f = (float)d;
    return (double)f > d ? (float)(d * (d < 0 ? ROUND_AWAY : ROUND_TOWARDS)) : f;
}

static float round_up(double d)
{
    if (!(d < FLT_MAX))
        return FLT_MAX;
    if (d < -FLT_MAX)
        return -FLT_MAX;
    float f = (float)d;
    return (double)f < d ? (float)(d * (d < 0 ? ROUND_TOWARDS : ROUND_AWAY)) : f;
}

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static int cmp_x(const void *a, const void *b)
{
    double x = ((const struct cell *)a)->cx, y = ((const struct cell *)b)->cx;
    return (x > y) - (x < y);
}

static int cmp_y(const void *a, const void *b)
{
    double x = ((const struct cell *)a)->cy, y = ((const struct cell *)b)->cy;
    return (x > y) - (x < y);
}

/* Order cells so that runs of max_cells are the nodes of one level: slices
 * of whole nodes by centre x, each ordered by centre y. */
static void str_order(struct cell *cells, size_t n, int max_cells)
{
    size_t nodes = (n + (size_t)max_cells - 1) / (size_t)max_cells;
    size_t slices = (size_t)ceil(sqrt((double)nodes));
    size_t per_slice = slices * (size_t)max_cells;
    qsort(cells, n, sizeof *cells, cmp_x);
    for (size_t s = 0; s < n; s += per_slice)
        qsort(cells + s, n - s < per_slice ? n - s : per_slice, sizeof *cells, cmp_y);
}

/* Bind and run stmt with two integers. */
static int step2(struct packer *P, sqlite3_stmt *st, long long a, long long b)
{
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    int rc = sqlite3_step(st) == SQLITE_DONE ? PK_OK : pk_error_db(P->store, "cannot write the spatial index");
    sqlite3_reset(st);
    return rc;
}

/* Write node `nodeno` of the cells (depth: the tree's, written in the root
 * only), map each cell to it (%_rowid at depth 0 of the cells, else
 * %_parent), and return its box and centre in *up. */
static int write_node(struct packer *P, long long nodeno, int depth, int leaf, const struct cell *cells, int ncell,
                      struct cell *up)
{
    memset(P->blob, 0, (size_t)P->node_size);
    put_be(P->blob, nodeno == 1 ? (uint64_t)depth : 0, 2);
    put_be(P->blob + 2, (uint64_t)ncell, 2);
    float f[4] = {FLT_MAX, -FLT_MAX, FLT_MAX, -FLT_MAX};
    int rc = PK_OK;
    for (int i = 0; i < ncell && rc == PK_OK; i++) {
        unsigned char *p = P->blob + 4 + 24 * i;
        put_be(p, (uint64_t)cells[i].id, 8);
        for (int k = 0; k < 4; k++) {
            uint32_t bits;
            memcpy(&bits, &cells[i].f[k], 4);
            put_be(p + 8 + 4 * k, bits, 4);
        }
        f[0] = fminf(f[0], cells[i].f[0]), f[1] = fmaxf(f[1], cells[i].f[1]);
        f[2] = fminf(f[2], cells[i].f[2]), f[3] = fmaxf(f[3], cells[i].f[3]);
        rc = step2(P, leaf ? P->rowid : P->parent, cells[i].id, nodeno);
    }
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_int64(P->node, 1, nodeno);
    sqlite3_bind_blob(P->node, 2, P->blob, P->node_size, SQLITE_STATIC);
    rc = sqlite3_step(P->node) == SQLITE_DONE ? PK_OK : pk_error_db(P->store, "cannot write the spatial index");
    sqlite3_reset(P->node);
    *up = (struct cell){nodeno, {f[0], f[1], f[2], f[3]}, ((double)f[0] + f[1]) / 2, ((double)f[2] + f[3]) / 2};
    return rc;
}

/* Pack the levels from the leaves up; the level that fits one node is the
 * root. Takes and frees cells. */
static int pack_levels(struct packer *P, struct cell *cells, size_t n)
{
    int rc = PK_OK;
    for (int depth = 0; rc == PK_OK; depth++) {
        struct cell root;
        if (n <= (size_t)P->max_cells) {
            rc = write_node(P, 1, depth, depth == 0, cells, (int)n, &root);
            break;
        }
        str_order(cells, n, P->max_cells);
        size_t nodes = (n + (size_t)P->max_cells - 1) / (size_t)P->max_cells;
        struct cell *up = malloc(nodes * sizeof *up);
        if (!up) {
            rc = pk_error(P->store->ctx, PK_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t k = 0; k < nodes && rc == PK_OK; k++) {
            size_t first = k * (size_t)P->max_cells, count = n - first < (size_t)P->max_cells ? n - first
                                                                                                : (size_t)P->max_cells;
            rc = write_node(P, P->next_node++, depth, depth == 0, cells + first, (int)count, &up[k]);
        }
        free(cells);
        cells = up;
        n = nodes;
    }
    free(cells);
    return rc;
}

/* The statements and the node size (from the empty root the module made). */
static int open_packer(struct packer *P, const char *rtree)
{
    char *sql = sqlite3_mprintf("SELECT length(data) FROM \"%w_node\" WHERE nodeno=1", rtree);
    long long size = 0;
    int found = 0;
    int rc = sql ? pk_sql_int(P->store, sql, NULL, &size, &found) : pk_error(P->store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc == PK_OK && (!found || size < 4 + 24 * 3 || size > 65536))
        rc = pk_error(P->store->ctx, PK_ERR_DB, "%s: not a two-dimensional R*Tree", rtree);
    if (rc != PK_OK)
        return rc;
    long long entries = 0;
    sql = sqlite3_mprintf("SELECT count(*) FROM (SELECT 1 FROM \"%w_rowid\" LIMIT 1)", rtree);
    rc = sql ? pk_sql_int(P->store, sql, NULL, &entries, NULL) : pk_error(P->store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc == PK_OK && entries)
        rc = pk_error(P->store->ctx, PK_ERR_DB, "%s: the R*Tree to pack is not empty", rtree);
    if (rc != PK_OK)
        return rc;
    P->node_size = (int)size;
    P->max_cells = (P->node_size - 4) / 24;
    P->next_node = 2;
    static const char *const fmt[3] = {"INSERT OR REPLACE INTO \"%w_node\"(nodeno, data) VALUES(?, ?)",
                                       "INSERT INTO \"%w_rowid\"(rowid, nodeno) VALUES(?, ?)",
                                       "INSERT INTO \"%w_parent\"(nodeno, parentnode) VALUES(?, ?)"};
    sqlite3_stmt **st[3] = {&P->node, &P->rowid, &P->parent};
    for (int k = 0; k < 3 && rc == PK_OK; k++) {
        sql = sqlite3_mprintf(fmt[k], rtree);
        rc = sql ? pk_sql_prepare(P->store, sql, st[k]) : pk_error(P->store->ctx, PK_ERR_NOMEM, "out of memory");
        sqlite3_free(sql);
    }
    P->blob = rc == PK_OK ? malloc((size_t)P->node_size) : NULL;
    if (rc == PK_OK && !P->blob)
        rc = pk_error(P->store->ctx, PK_ERR_NOMEM, "out of memory");
    return rc;
}

int pk_rtree_pack(struct pk_store *store, const char *rtree, struct pk_rtree_entry *entries, size_t n)
{
    struct packer P = {store, NULL, NULL, NULL, 0, 0, NULL, 0};
    int rc = open_packer(&P, rtree);
    struct cell *cells = rc == PK_OK ? malloc((n ? n : 1) * sizeof *cells) : NULL;
    if (rc == PK_OK && !cells)
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        const double *b = entries[i].box;
        cells[i] = (struct cell){entries[i].id, {round_down(b[0]), round_up(b[2]), round_down(b[1]), round_up(b[3])},
                                 (b[0] + b[2]) / 2, (b[1] + b[3]) / 2};
    }
    if (rc == PK_OK)
        rc = pack_levels(&P, cells, n); /* (frees cells) */
    else
        free(cells);
    sqlite3_finalize(P.node);
    sqlite3_finalize(P.rowid);
    sqlite3_finalize(P.parent);
    free(P.blob);
    return rc;
}
