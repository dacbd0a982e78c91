/* layer_bulk.c — filling a new layer table without SpatiaLite's per-row
 * insert triggers, its R*Tree packed from the rows' boxes at the end (see
 * layer_bulk_int.h). */
#include <stdlib.h>
#include <string.h>

#include "layer_bulk_int.h"
#include "rtree_pack_int.h"

#define NTRIGGERS 3

struct pk_bulk {
    struct pk_store *store;
    char *table;                 /* owned */
    char *trigger_sql[NTRIGGERS]; /* the CREATE TRIGGER statements set aside (owned; NULL: none) */
    int stamp;                   /* tmi_ was set aside: stamp last_insert at the end */
    long long rows;              /* rows indexed or seen */
    struct pk_rtree_entry *boxes; /* the rows' boxes, packed into the R*Tree at the end (owned) */
    size_t nboxes, cap;
};

/* Save and drop the table's geometry-check, timestamp and R*Tree insert
 * triggers (whichever exist). */
static int set_triggers_aside(struct pk_bulk *b)
{
    static const char *const prefix[NTRIGGERS] = {"ggi_", "tmi_", "gii_"};
    sqlite3_stmt *st = NULL;
    int rc = pk_sql_prepare(b->store, "SELECT sql FROM sqlite_master WHERE type='trigger' AND tbl_name=?1"
                                      " AND name=?2 || ?1 || '_geom'", &st);
    for (int k = 0; rc == PK_OK && k < NTRIGGERS; k++) {
        pk_sql_bind_text(st, 1, b->table);
        pk_sql_bind_text(st, 2, prefix[k]);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW && sqlite3_column_text(st, 0)) {
            b->trigger_sql[k] = strdup((const char *)sqlite3_column_text(st, 0));
            if (!b->trigger_sql[k])
                rc = pk_error(b->store->ctx, PK_ERR_NOMEM, "out of memory");
        } else if (step != SQLITE_DONE)
            rc = pk_error_db(b->store, "cannot read the layer table's triggers");
        sqlite3_reset(st);
        if (rc == PK_OK && b->trigger_sql[k]) {
            char *drop = sqlite3_mprintf("DROP TRIGGER \"%w%w_geom\"", prefix[k], b->table);
            rc = drop ? pk_sql_exec(b->store, drop) : pk_error(b->store->ctx, PK_ERR_NOMEM, "out of memory");
            sqlite3_free(drop);
        }
    }
    sqlite3_finalize(st);
    b->stamp = b->trigger_sql[1] != NULL;
    return rc;
}

int pk_bulk_begin(struct pk_store *store, const char *table, struct pk_bulk **out)
{
    *out = NULL;
    struct pk_bulk *b = calloc(1, sizeof *b);
    if (!b || !(b->table = strdup(table))) {
        free(b);
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    b->store = store;
    char *sql = sqlite3_mprintf("SELECT CreateSpatialIndex('%q', 'geom')", table);
    int rc = sql ? pk_sql_exec(store, sql) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc == PK_OK)
        rc = set_triggers_aside(b);
    if (rc != PK_OK) {
        pk_bulk_free(b);
        return rc;
    }
    *out = b;
    return PK_OK;
}

int pk_bulk_index(struct pk_bulk *b, long long fid, const double *mbr)
{
    b->rows++;
    if (!mbr)
        return PK_OK;
    if (b->nboxes == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        struct pk_rtree_entry *grown = realloc(b->boxes, cap * sizeof *grown);
        if (!grown)
            return pk_error(b->store->ctx, PK_ERR_NOMEM, "out of memory");
        b->boxes = grown;
        b->cap = cap;
    }
    b->boxes[b->nboxes].id = fid;
    memcpy(b->boxes[b->nboxes].box, mbr, sizeof b->boxes[b->nboxes].box);
    b->nboxes++;
    return PK_OK;
}

int pk_bulk_end(struct pk_bulk *b)
{
    char *rtree = sqlite3_mprintf("idx_%s_geom", b->table);
    int rc = rtree ? pk_rtree_pack(b->store, rtree, b->boxes, b->nboxes)
                   : pk_error(b->store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(rtree);
    for (int k = 0; rc == PK_OK && k < NTRIGGERS; k++)
        if (b->trigger_sql[k])
            rc = pk_sql_exec(b->store, b->trigger_sql[k]);
    sqlite3_stmt *st = NULL;
    if (rc == PK_OK && b->stamp && b->rows > 0)
        rc = pk_sql_prepare(b->store, "UPDATE geometry_columns_time SET last_insert ="
                                      " strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                                      " WHERE Lower(f_table_name) = Lower(?) AND f_geometry_column = 'geom'", &st);
    if (st) {
        pk_sql_bind_text(st, 1, b->table);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = pk_error_db(b->store, "cannot stamp the layer's insert time");
        sqlite3_finalize(st);
    }
    return rc;
}

void pk_bulk_free(struct pk_bulk *b)
{
    if (!b)
        return;
    free(b->boxes);
    for (int k = 0; k < NTRIGGERS; k++)
        free(b->trigger_sql[k]);
    free(b->table);
    free(b);
}
