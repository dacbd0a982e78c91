/* test_sql_table.c — pk_sql_table (sql_int.h), SELECT results into a
 * table: rows, NULLs, bound parameters, given or first-row column types,
 * a BLOB shown by its size; a failing prepare or a step that fails after
 * some rows is an error with no table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql_int.h"
#include "fixture.h"

/* A new store (EPSG:4326, its metric CRS not chosen yet). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fx_open_measure(f, "test_sql_table", "EPSG:4326", NULL) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fx_close(f);
    free(f);
    return 0;
}

static void test_rows_params_types(void **state)
{
    struct fixture *f = *state;
    struct pk_table *t = NULL;
    static const enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT};
    const char *params[] = {"昆山", "2", NULL};
    if (pk_sql_table(f->store, "SELECT ?1 AS name, CAST(?2 AS INTEGER) + value AS n, NULL AS missing"
                               " FROM (SELECT 1 AS value UNION ALL SELECT 2 UNION ALL SELECT 3)", params, types, "test",
                     &t) != PK_OK)
        fail_msg("%s", pk_errmsg(f->ctx));
    assert_non_null(t);
    assert_int_equal(t->nrows, 3);
    assert_int_equal(t->ncols, 3);
    assert_string_equal(t->names[1], "n");
    assert_int_equal(t->types[1], PK_COL_INT);
    assert_string_equal(pk_table_get(t, 0, 0), "昆山");
    assert_string_equal(pk_table_get(t, 2, 1), "5");
    assert_null(pk_table_get(t, 1, 2));
    assert_int_equal(t->failed, 0);
    pk_table_free(t);
}

static void test_types_from_first_row_and_blobs(void **state)
{
    struct fixture *f = *state;
    struct pk_table *t = NULL;
    assert_int_equal(pk_sql_table(f->store, "SELECT 1 AS i, 2.5 AS r, 'x' AS s, zeroblob(7) AS b", NULL, NULL, "test",
                                  &t), PK_OK);
    assert_int_equal(t->types[0], PK_COL_INT);
    assert_int_equal(t->types[1], PK_COL_REAL);
    assert_int_equal(t->types[2], PK_COL_TEXT);
    assert_string_equal(pk_table_get(t, 0, 3), "<blob 7 bytes>");
    pk_table_free(t);
    /* no row: the columns still, all text */
    assert_int_equal(pk_sql_table(f->store, "SELECT 1 AS a, 2 AS b WHERE 0", NULL, NULL, "test", &t), PK_OK);
    assert_int_equal(t->nrows, 0);
    assert_int_equal(t->ncols, 2);
    assert_string_equal(t->names[1], "b");
    pk_table_free(t);
}

static void test_errors(void **state)
{
    struct fixture *f = *state;
    struct pk_table *t = (struct pk_table *)&t; /* must be reset to NULL */
    assert_int_equal(pk_sql_table(f->store, "SELECT nope FROM nowhere", NULL, NULL, "test", &t), PK_ERR_DB);
    assert_null(t);
    /* the second step fails (integer overflow): an error, not a short table */
    assert_int_equal(pk_sql_table(f->store, "SELECT abs(x) FROM (SELECT 1 AS x UNION ALL SELECT -9223372036854775807 - 1)",
                                  NULL, NULL, "overflowing", &t), PK_ERR_DB);
    assert_null(t);
    assert_non_null(strstr(pk_errmsg(f->ctx), "overflowing: integer overflow"));
    assert_int_equal(pk_sql_table(f->store, NULL, NULL, NULL, "test", &t), PK_ERR_NOMEM);
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows_params_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types_from_first_row_and_blobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
