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
    t->names = calloc((size_t)ncols, sizeof *t->names);
    t->types = calloc((size_t)ncols, sizeof *t->types);
    if (!t->names || !t->types) {
        pk_table_free(t);
        return NULL;
    }
    for (int i = 0; i < ncols; i++) {
        t->names[i] = strdup(names[i]);
        t->types[i] = types ? types[i] : PK_COL_TEXT;
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
        char **cells = realloc(t->cells, cap * (size_t)t->ncols * sizeof *cells);
        if (!cells)
            return -1;
        t->cells = cells;
        t->cap = cap;
    }
    memset(t->cells + t->nrows * (size_t)t->ncols, 0, (size_t)t->ncols * sizeof *t->cells);
    return (long)t->nrows++;
}

int pk_table_set(struct pk_table *t, size_t row, int col, const char *value)
{
    char **cell = &t->cells[row * (size_t)t->ncols + (size_t)col];
    free(*cell);
    *cell = NULL;
    if (value && !(*cell = strdup(value)))
        return -1;
    return 0;
}

int pk_table_setf(struct pk_table *t, size_t row, int col, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    char **cell = &t->cells[row * (size_t)t->ncols + (size_t)col];
    free(*cell);
    *cell = s;
    return 0;
}

const char *pk_table_get(const struct pk_table *t, size_t row, int col)
{
    return t->cells[row * (size_t)t->ncols + (size_t)col];
}

int pk_table_col(const struct pk_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    return -1;
}
