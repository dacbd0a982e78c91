/* table.c — the result table returned by list, info and query functions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plankit/table.h"

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
        free(t->cells[i]);
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
        char **cells = realloc(t->cells, cap * (size_t)(t->ncols > 0 ? t->ncols : 1) * sizeof *cells);
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
static char **cell_at(struct pk_table *t, size_t row, int col)
{
    if (row >= t->nrows || col < 0 || col >= t->ncols) {
        t->failed = 1;
        return NULL;
    }
    return &t->cells[row * (size_t)t->ncols + (size_t)col];
}

int pk_table_set(struct pk_table *t, size_t row, int col, const char *value)
{
    char **cell = cell_at(t, row, col);
    if (!cell)
        return -1;
    char *copy = NULL;
    if (value && !(copy = strdup(value))) {
        t->failed = 1;
        return -1;
    }
    free(*cell);
    *cell = copy;
    return 0;
}

int pk_table_setf(struct pk_table *t, size_t row, int col, const char *fmt, ...)
{
    char **cell = cell_at(t, row, col);
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
    free(*cell);
    *cell = s;
    return 0;
}

long pk_table_append(struct pk_table *t, const char *const *values)
{
    long r = pk_table_add_row(t);
    for (int i = 0; r >= 0 && i < t->ncols; i++)
        if (pk_table_set(t, (size_t)r, i, values[i]) != 0) {
            for (int k = 0; k < t->ncols; k++) /* take the row back: all of it or nothing */
                free(t->cells[(size_t)r * (size_t)t->ncols + (size_t)k]);
            t->nrows--;
            r = -1;
        }
    return r;
}

const char *pk_table_get(const struct pk_table *t, size_t row, int col)
{
    if (row >= t->nrows || col < 0 || col >= t->ncols)
        return NULL;
    return t->cells[row * (size_t)t->ncols + (size_t)col];
}

int pk_table_col(const struct pk_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    return -1;
}
