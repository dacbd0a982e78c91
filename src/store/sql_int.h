/* sql_int.h — SELECT results into a struct pk_table: the one helper every
 * "run a query, return its rows" function uses (layer list and issues,
 * task list and history, `plankit sql`). Every step is checked: prepare,
 * each sqlite3_step (anything but SQLITE_ROW or SQLITE_DONE, SQLITE_BUSY
 * included, is an error), and every allocation. */
#ifndef PLANKIT_SQL_INT_H
#define PLANKIT_SQL_INT_H

#include "store_int.h"
#include "plankit/query.h"
#include "plankit/table.h"

/* Step the prepared statement st to its end, one table row per result row
 * (cells as text; a BLOB as "<blob N bytes>"). types: one per result column,
 * or NULL to take them from the first row's values (integer, real, else
 * text; all text when there is no row). what names the query in an error
 * ("what: <SQLite message>"). st stays the caller's (not finalized). On
 * success *out is a new table the caller frees with pk_table_free; on error
 * *out is NULL: PK_ERR_DB (PK_ERR_READONLY for a write refused by a
 * read-only connection) or PK_ERR_NOMEM. */
int pk_sql_table_from(struct pk_store *store, sqlite3_stmt *st, const enum pk_col_type *types, const char *what,
                      struct pk_table **out);

/* Prepare trusted sql (NULL counts as out of memory), bind the text
 * parameters params[0..] up to a NULL (params may be NULL) as ?1, ?2, ...,
 * and pk_sql_table_from it. *out: as there. */
int pk_sql_table(struct pk_store *store, const char *sql, const char *const *params,
                 const enum pk_col_type *types, const char *what, struct pk_table **out);

/* Geometry BLOBs of `plankit sql` as text (sql_geom.c): one per statement. */
struct pk_sql_geom {
    struct pk_ctx *ctx;
    enum pk_sql_geometry mode;  /* GeoJSON: the geometry columns are GeoJSON columns */
    struct pk_transform *tr;  /* to EPSG:4326, for tr_srid (owned) */
    int tr_srid;
};
/* The text of a SpatiaLite geometry BLOB: WKT in its CRS, or (geojson) a
 * GeoJSON geometry in WGS84, coordinates rounded to 7 decimals. *out:
 * caller frees with free(). PK_ERR_DATA (nothing in ctx) when the BLOB is
 * not a geometry the decoder reads; other errors in ctx. */
int pk_sql_geom_text(struct pk_sql_geom *sg, const unsigned char *blob, size_t size, int geojson, char **out);
/* Free what sg holds (not sg itself). */
void pk_sql_geom_release(struct pk_sql_geom *sg);

#endif
