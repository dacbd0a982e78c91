/* table.h — a small result table (rows of text cells) that library queries
 * return and the CLI prints as a terminal table, CSV, JSON or GeoJSON.
 *
 * Cells are UTF-8 strings or NULL. Each column has a type so writers can emit
 * numbers as numbers; a PK_COL_GEOJSON column holds a GeoJSON geometry. */
#ifndef PLANKIT_TABLE_H
#define PLANKIT_TABLE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pk_col_type { PK_COL_TEXT = 0, PK_COL_INT = 1, PK_COL_REAL = 2, PK_COL_GEOJSON = 3 };

struct pk_table {
    int ncols;
    char **names;              /* column names */
    enum pk_col_type *types;
    size_t nrows;
    size_t cap;
    char **cells;              /* nrows * ncols, row-major; NULL cell = null */
    int failed;                /* an add_row or set failed (out of memory): the table is incomplete */
};

/* New table with ncols columns (names copied; types NULL = all text), or
 * NULL when out of memory. Caller frees with pk_table_free. */
struct pk_table *pk_table_new(int ncols, const char *const *names, const enum pk_col_type *types);
/* Free; accepts NULL. */
void pk_table_free(struct pk_table *t);
/* Append an empty row; returns its index, or -1 when out of memory (then
 * t->failed is set and no row is added). Check for -1 before using the
 * index; setting a cell of row (size_t)-1 is refused, not written. */
long pk_table_add_row(struct pk_table *t);
/* Set a cell (copied; NULL = null). Returns 0, or -1 when out of memory or
 * when row or col is out of range (a cell that does not exist; t->failed is
 * set either way). */
int pk_table_set(struct pk_table *t, size_t row, int col, const char *value);
int pk_table_setf(struct pk_table *t, size_t row, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Append a row with ncols values (copied; NULL = null). Returns its index,
 * or -1 when out of memory (t->failed set, nothing added). */
long pk_table_append(struct pk_table *t, const char *const *values);
/* Borrowed cell value (NULL for null, and for a cell that does not exist). */
const char *pk_table_get(const struct pk_table *t, size_t row, int col);
/* Column index by name, -1 if absent. */
int pk_table_col(const struct pk_table *t, const char *name);

#ifdef __cplusplus
}
#endif
#endif
