/* table.c — the result table returned by list, info and query functions:
 * typed cells (null, text, integer, double), each with a text form. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plankit/table.h"

enum cell_kind { CELL_NULL = 0, CELL_TEXT, CELL_INT, CELL_REAL };

struct pk_table_cell {
    enum cell_kind kind;
    char *text;     /* text form; owned; NULL for a null cell */
    long long i;    /* CELL_INT */
    double d;       /* CELL_REAL */
};

struct pk_table *pk_table_new(int ncols, const char *const *names, const enum pk_col_type *types)
{
    struct pk_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->names = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *t->names);
    t->types = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *t->types);
    if (!t->names || !t->types) {
        pk_table_free(t);
        return NULL;
    }
    for (int i = 0; i < ncols; i++) {
        t->types[i] = types ? types[i] : PK_COL_TEXT;
        if (!(t->names[i] = strdup(names[i] ? names[i] : ""))) {
            pk_table_free(t);
            return NULL;
        }
    }
    return t;
}

void pk_table_free(struct pk_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->cells && i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i].text);
    for (int i = 0; t->names && i < t->ncols; i++)
        free(t->names[i]);
    free(t->cells);
    free(t->names);
    free(t->types);
    free(t);
}

long pk_table_add_row(struct pk_table *t)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct pk_table_cell *cells =
            realloc(t->cells, cap * (size_t)(t->ncols > 0 ? t->ncols : 1) * sizeof *cells);
        if (!cells) {
            t->failed = 1;
            return -1;
        }
        t->cells = cells;
        t->cap = cap;
    }
    memset(t->cells + t->nrows * (size_t)t->ncols, 0, (size_t)t->ncols * sizeof *t->cells);
    return (long)t->nrows++;
}

/* The cell at row, col, or NULL (and t->failed set) when there is none. */
static struct pk_table_cell *cell_at(struct pk_table *t, size_t row, int col)
{
    if (row >= t->nrows || col < 0 || col >= t->ncols) {
        t->failed = 1;
        return NULL;
    }
    return &t->cells[row * (size_t)t->ncols + (size_t)col];
}

static const struct pk_table_cell *cell_get(const struct pk_table *t, size_t row, int col)
{
    if (row >= t->nrows || col < 0 || col >= t->ncols)
        return NULL;
    return &t->cells[row * (size_t)t->ncols + (size_t)col];
}

/* Replace *cell by the given kind and values, taking ownership of text
 * (which may be NULL only for CELL_NULL). */
static void cell_put(struct pk_table_cell *cell, enum cell_kind kind, char *text, long long i, double d)
{
    free(cell->text);
    cell->kind = kind;
    cell->text = text;
    cell->i = i;
    cell->d = d;
}

/* Store text s (owned, not NULL) in cell of column type; in a numeric
 * column text that is wholly a number becomes that number. */
static void cell_put_text(struct pk_table_cell *cell, enum pk_col_type type, char *s)
{
    char *end;
    if (*s && type == PK_COL_INT) {
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (!*end && errno == 0) {
            cell_put(cell, CELL_INT, s, n, (double)n);
            return;
        }
    }
    if (*s && (type == PK_COL_REAL || type == PK_COL_INT)) {
        double d = strtod(s, &end);
        if (!*end && isfinite(d)) {
            cell_put(cell, CELL_REAL, s, 0, d);
            return;
        }
    }
    cell_put(cell, CELL_TEXT, s, 0, 0);
}

int pk_table_set(struct pk_table *t, size_t row, int col, const char *value)
{
    struct pk_table_cell *cell = cell_at(t, row, col);
    if (!cell)
        return -1;
    if (!value) {
        cell_put(cell, CELL_NULL, NULL, 0, 0);
        return 0;
    }
    char *copy = strdup(value);
    if (!copy) {
        t->failed = 1;
        return -1;
    }
    cell_put_text(cell, t->types[col], copy);
    return 0;
}

int pk_table_setf(struct pk_table *t, size_t row, int col, const char *fmt, ...)
{
    struct pk_table_cell *cell = cell_at(t, row, col);
    if (!cell)
        return -1;
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = 1;
        return -1;
    }
    cell_put_text(cell, t->types[col], s);
    return 0;
}

int pk_table_set_int(struct pk_table *t, size_t row, int col, long long value)
{
    struct pk_table_cell *cell = cell_at(t, row, col);
    char *s = NULL;
    if (!cell)
        return -1;
    if (asprintf(&s, "%lld", value) < 0) {
        t->failed = 1;
        return -1;
    }
    cell_put(cell, CELL_INT, s, value, (double)value);
    return 0;
}

int pk_table_set_real(struct pk_table *t, size_t row, int col, double value)
{
    struct pk_table_cell *cell = cell_at(t, row, col);
    char *s = NULL;
    if (!cell)
        return -1;
    if (asprintf(&s, "%.17g", value) < 0) {
        t->failed = 1;
        return -1;
    }
    cell_put(cell, CELL_REAL, s, 0, value);
    return 0;
}

long pk_table_append(struct pk_table *t, const char *const *values)
{
    long r = pk_table_add_row(t);
    for (int i = 0; r >= 0 && i < t->ncols; i++)
        if (pk_table_set(t, (size_t)r, i, values[i]) != 0) {
            for (int k = 0; k < t->ncols; k++) /* take the row back: all of it or nothing */
                free(t->cells[(size_t)r * (size_t)t->ncols + (size_t)k].text);
            t->nrows--;
            r = -1;
        }
    return r;
}

const char *pk_table_get(const struct pk_table *t, size_t row, int col)
{
    const struct pk_table_cell *cell = cell_get(t, row, col);
    return cell ? cell->text : NULL;
}

int pk_table_get_real(const struct pk_table *t, size_t row, int col, double *out)
{
    const struct pk_table_cell *cell = cell_get(t, row, col);
    if (!cell || (cell->kind != CELL_INT && cell->kind != CELL_REAL))
        return 0;
    *out = cell->kind == CELL_INT ? (double)cell->i : cell->d;
    return 1;
}

int pk_table_get_int(const struct pk_table *t, size_t row, int col, long long *out)
{
    const struct pk_table_cell *cell = cell_get(t, row, col);
    if (!cell || (cell->kind != CELL_INT && cell->kind != CELL_REAL))
        return 0;
    if (cell->kind == CELL_INT) {
        *out = cell->i;
        return 1;
    }
    /* a double is an integer only when exact and within long long's range */
    if (!(cell->d >= -9.2233720368547758e18 && cell->d < 9.2233720368547758e18) || cell->d != floor(cell->d))
        return 0;
    *out = (long long)cell->d;
    return 1;
}

int pk_table_col(const struct pk_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    return -1;
}
