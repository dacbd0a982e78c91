/* test_table.c — the result table: rows, cells, NULLs, growth, look-ups. */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "plankit/table.h"

static void test_new_names_types(void **state)
{
    (void)state;
    const char *names[] = {"name", "count", "area"};
    enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_INT, PK_COL_REAL};
    struct pk_table *t = pk_table_new(3, names, types);
    assert_non_null(t);
    assert_int_equal(t->ncols, 3);
    assert_int_equal(t->nrows, 0);
    assert_string_equal(t->names[0], "name");
    assert_string_equal(t->names[2], "area");
    /* names are copied, not borrowed */
    assert_ptr_not_equal(t->names[0], names[0]);
    assert_int_equal(t->types[1], PK_COL_INT);
    assert_int_equal(t->types[2], PK_COL_REAL);
    assert_int_equal(pk_table_col(t, "count"), 1);
    assert_int_equal(pk_table_col(t, "area"), 2);
    assert_int_equal(pk_table_col(t, "missing"), -1);
    pk_table_free(t);
}

static void test_default_types_are_text(void **state)
{
    (void)state;
    const char *names[] = {"a", "b"};
    struct pk_table *t = pk_table_new(2, names, NULL);
    assert_non_null(t);
    assert_int_equal(t->types[0], PK_COL_TEXT);
    assert_int_equal(t->types[1], PK_COL_TEXT);
    pk_table_free(t);
}

static void test_cells(void **state)
{
    (void)state;
    const char *names[] = {"k", "v"};
    struct pk_table *t = pk_table_new(2, names, NULL);
    long r = pk_table_add_row(t);
    assert_int_equal(r, 0);
    /* a new row is all NULL */
    assert_null(pk_table_get(t, 0, 0));
    assert_null(pk_table_get(t, 0, 1));
    char buf[16];
    snprintf(buf, sizeof buf, "昆山市");
    assert_int_equal(pk_table_set(t, 0, 0, buf), 0);
    buf[0] = 'X'; /* the cell holds a copy */
    assert_string_equal(pk_table_get(t, 0, 0), "昆山市");
    assert_int_equal(pk_table_setf(t, 0, 1, "%.3f km²", 933.14285), 0);
    assert_string_equal(pk_table_get(t, 0, 1), "933.143 km²");
    /* overwrite and reset to NULL */
    assert_int_equal(pk_table_set(t, 0, 1, "x"), 0);
    assert_string_equal(pk_table_get(t, 0, 1), "x");
    assert_int_equal(pk_table_set(t, 0, 1, NULL), 0);
    assert_null(pk_table_get(t, 0, 1));
    assert_int_equal(t->nrows, 1);
    pk_table_free(t);
}

static void test_growth_keeps_rows(void **state)
{
    (void)state;
    const char *names[] = {"i", "sq"};
    struct pk_table *t = pk_table_new(2, names, NULL);
    for (int i = 0; i < 1000; i++) {
        long r = pk_table_add_row(t);
        assert_int_equal(r, i);
        pk_table_setf(t, (size_t)r, 0, "%d", i);
        if (i % 3)
            pk_table_setf(t, (size_t)r, 1, "%d", i * i);
    }
    assert_int_equal(t->nrows, 1000);
    assert_true(t->cap >= 1000);
    for (int i = 0; i < 1000; i++) {
        char want[32];
        snprintf(want, sizeof want, "%d", i);
        assert_string_equal(pk_table_get(t, (size_t)i, 0), want);
        if (i % 3) {
            snprintf(want, sizeof want, "%d", i * i);
            assert_string_equal(pk_table_get(t, (size_t)i, 1), want);
        } else {
            assert_null(pk_table_get(t, (size_t)i, 1));
        }
    }
    pk_table_free(t);
}

static void test_free_null(void **state)
{
    (void)state;
    pk_table_free(NULL);
}

/* a failed add_row (-1) used as a row index, or any cell that does not
 * exist, is refused: nothing is written and the table says it failed */
static void test_bad_cells_refused(void **state)
{
    (void)state;
    const char *names[] = {"k", "v"};
    struct pk_table *t = pk_table_new(2, names, NULL);
    assert_int_equal(t->failed, 0);
    long bad = -1;
    assert_int_equal(pk_table_set(t, (size_t)bad, 0, "x"), -1);
    assert_int_equal(t->failed, 1);
    t->failed = 0;
    assert_int_equal(pk_table_setf(t, (size_t)bad, 1, "%d", 1), -1);
    assert_int_equal(t->failed, 1);
    assert_int_equal(pk_table_add_row(t), 0);
    assert_int_equal(pk_table_set(t, 1, 0, "x"), -1);  /* row 1 does not exist yet */
    assert_int_equal(pk_table_set(t, 0, 2, "x"), -1);  /* nor column 2 */
    assert_int_equal(pk_table_set(t, 0, -1, "x"), -1);
    assert_int_equal(pk_table_set(t, 0, 1, "ok"), 0);
    assert_string_equal(pk_table_get(t, 0, 1), "ok");
    assert_int_equal(t->nrows, 1);
    pk_table_free(t);
}

static void test_append(void **state)
{
    (void)state;
    const char *names[] = {"name", "n"};
    struct pk_table *t = pk_table_new(2, names, NULL);
    const char *row0[] = {"玉山镇", NULL}, *row1[] = {"x", "2"};
    assert_int_equal(pk_table_append(t, row0), 0);
    assert_int_equal(pk_table_append(t, row1), 1);
    assert_int_equal(t->nrows, 2);
    assert_string_equal(pk_table_get(t, 0, 0), "玉山镇");
    assert_null(pk_table_get(t, 0, 1));
    assert_string_equal(pk_table_get(t, 1, 1), "2");
    assert_int_equal(t->failed, 0);
    pk_table_free(t);
}

/* Cells hold numbers as numbers: set_real keeps every bit, text in a
 * numeric column that is a number becomes one, other text stays text. */
static void test_typed_cells(void **state)
{
    (void)state;
    const char *names[] = {"n", "x", "s"};
    enum pk_col_type types[] = {PK_COL_INT, PK_COL_REAL, PK_COL_TEXT};
    struct pk_table *t = pk_table_new(3, names, types);
    assert_non_null(t);
    long r = pk_table_add_row(t);
    assert_int_equal(r, 0);
    double third = 1.0 / 3.0, d = 0;
    long long n = 0;
    assert_int_equal(pk_table_set_real(t, 0, 1, third), 0);
    assert_int_equal(pk_table_get_real(t, 0, 1, &d), 1);
    assert_true(d == third); /* bit for bit, not rounded */
    d = strtod(pk_table_get(t, 0, 1), NULL);
    assert_true(d == third); /* the text form reads back to the same double */
    assert_int_equal(pk_table_get_int(t, 0, 1, &n), 0); /* 0.333… is no integer */
    assert_int_equal(pk_table_set_int(t, 0, 0, 9007199254740993LL), 0);
    assert_int_equal(pk_table_get_int(t, 0, 0, &n), 1);
    assert_true(n == 9007199254740993LL);
    assert_string_equal(pk_table_get(t, 0, 0), "9007199254740993");
    /* text set into numeric columns */
    assert_int_equal(pk_table_set(t, 0, 0, "42"), 0);
    assert_int_equal(pk_table_get_int(t, 0, 0, &n), 1);
    assert_true(n == 42);
    assert_int_equal(pk_table_setf(t, 0, 1, "%.1f", 2.5), 0);
    assert_int_equal(pk_table_get_real(t, 0, 1, &d), 1);
    assert_true(d == 2.5);
    assert_int_equal(pk_table_set(t, 0, 1, "n/a"), 0);
    assert_int_equal(pk_table_get_real(t, 0, 1, &d), 0);
    assert_string_equal(pk_table_get(t, 0, 1), "n/a");
    assert_int_equal(pk_table_set_real(t, 0, 1, 3.0), 0);
    assert_int_equal(pk_table_get_int(t, 0, 1, &n), 1);
    assert_true(n == 3);
    /* a text column keeps numbers as text; null is no number */
    assert_int_equal(pk_table_set(t, 0, 2, "7"), 0);
    assert_int_equal(pk_table_get_real(t, 0, 2, &d), 0);
    assert_int_equal(pk_table_set(t, 0, 0, NULL), 0);
    assert_int_equal(pk_table_get_int(t, 0, 0, &n), 0);
    assert_null(pk_table_get(t, 0, 0));
    /* cells that do not exist */
    assert_int_equal(pk_table_get_real(t, 5, 1, &d), 0);
    assert_int_equal(pk_table_set_real(t, 5, 1, 1.0), -1);
    assert_int_equal(t->failed, 1);
    pk_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_names_types),
        cmocka_unit_test(test_default_types_are_text),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_growth_keeps_rows),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_bad_cells_refused),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_typed_cells),
    };
    return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
