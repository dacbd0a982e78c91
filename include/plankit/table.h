/* table.h — a small result table that library queries return and the CLI
 * prints as a terminal table, CSV, JSON or GeoJSON.
 *
 * Cells are typed values: null, UTF-8 text, a 64-bit integer or a double.
 * Numbers are stored as numbers, with all their digits (areas in m², shares
 * as fractions 0..1); rounding and units for display are the front end's
 * job. Read a number with pk_table_get_int / pk_table_get_real; every cell
 * also has a text form (pk_table_get: "%lld", or "%.17g", which reads back
 * to the same double). A column's type says what its cells hold; a cell of
 * a numeric column that was set from text that is not a number (e.g. "n/a")
 * stays text. A PK_COL_GEOJSON column holds a GeoJSON geometry as text.
 *
 * Read the fields ncols, names, types, nrows and failed; do not write them,
 * and reach cells only through the functions below. */
#ifndef PLANKIT_TABLE_H
#define PLANKIT_TABLE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pk_col_type { PK_COL_TEXT = 0, PK_COL_INT = 1, PK_COL_REAL = 2, PK_COL_GEOJSON = 3 };

struct pk_table_cell; /* private to table.c */

struct pk_table {
    int ncols;
    char **names;              /* column names */
    enum pk_col_type *types;
    size_t nrows;
    size_t cap;
    struct pk_table_cell *cells; /* nrows * ncols, row-major (private) */
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
/* Set a cell from text (copied; NULL = null). In a PK_COL_INT or
 * PK_COL_REAL column, text that is wholly a number is stored as that number.
 * Returns 0, or -1 when out of memory or when row or col is out of range (a
 * cell that does not exist; t->failed is set either way). */
int pk_table_set(struct pk_table *t, size_t row, int col, const char *value);
int pk_table_setf(struct pk_table *t, size_t row, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Set a cell to a number (whatever the column's type). Same returns. */
int pk_table_set_int(struct pk_table *t, size_t row, int col, long long value);
int pk_table_set_real(struct pk_table *t, size_t row, int col, double value);
/* Append a row with ncols values (copied; NULL = null). Returns its index,
 * or -1 when out of memory (t->failed set, nothing added). */
long pk_table_append(struct pk_table *t, const char *const *values);
/* Borrowed text form of a cell (NULL for null, and for a cell that does not
 * exist); valid until the cell is set again or the table freed. */
const char *pk_table_get(const struct pk_table *t, size_t row, int col);
/* 1 and *out set when the cell holds a number (an integer converts to
 * double; a real converts to an integer only when it is one exactly and in
 * range), else 0 (null, text, no such cell). */
int pk_table_get_real(const struct pk_table *t, size_t row, int col, double *out);
int pk_table_get_int(const struct pk_table *t, size_t row, int col, long long *out);
/* Column index by name, -1 if absent. */
int pk_table_col(const struct pk_table *t, const char *name);

#ifdef __cplusplus
}
#endif
#endif
