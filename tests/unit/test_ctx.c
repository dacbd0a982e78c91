/* test_ctx.c — contexts: GDAL warnings reach the newest live context of the
 * thread, and contexts can be freed in any order (freeing in creation order
 * used to leave GDAL calling back into a freed context). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <cpl_error.h>

#include "ctx_int.h"

struct seen {
    char last[256];
    int count;
};

static void record(enum pk_log_level level, const char *msg, void *arg)
{
    struct seen *s = arg;
    (void)level;
    snprintf(s->last, sizeof s->last, "%s", msg);
    s->count++;
}

static void test_free_in_creation_order(void **state)
{
    (void)state;
    struct seen a_seen = {0}, b_seen = {0};
    struct pk_ctx *a = pk_ctx_new(), *b = pk_ctx_new();
    assert_non_null(a);
    assert_non_null(b);
    pk_ctx_set_log(a, record, &a_seen, PK_LOG_WARN);
    pk_ctx_set_log(b, record, &b_seen, PK_LOG_WARN);

    CPLError(CE_Warning, CPLE_AppDefined, "first");
    assert_int_equal(b_seen.count, 1); /* the newest context hears it */
    assert_string_equal(b_seen.last, "gdal: first");

    pk_ctx_free(a); /* the older one first */
    CPLError(CE_Warning, CPLE_AppDefined, "second");
    assert_int_equal(a_seen.count, 0);
    assert_int_equal(b_seen.count, 2);

    pk_ctx_free(b);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLError(CE_Warning, CPLE_AppDefined, "after both"); /* no freed context may be called (ASan) */
    CPLPopErrorHandler();
}

/* A handler the front end pushes after making a context stays in place
 * when the context is freed: plankit pops only its own. */
static int front_end_calls;
static void front_end_handler(CPLErr level, CPLErrorNum num, const char *msg)
{
    (void)level, (void)num, (void)msg;
    front_end_calls++;
}

static void test_front_end_handler_kept(void **state)
{
    (void)state;
    struct pk_ctx *a = pk_ctx_new();
    assert_non_null(a);
    CPLPushErrorHandler(front_end_handler);
    pk_ctx_free(a);
    CPLError(CE_Warning, CPLE_AppDefined, "still the front end's");
    assert_int_equal(front_end_calls, 1);
    struct pk_ctx *b = pk_ctx_new(); /* (reuses plankit's handler below the front end's) */
    pk_ctx_free(b);
    CPLError(CE_Warning, CPLE_AppDefined, "and again");
    assert_int_equal(front_end_calls, 2);
    CPLPopErrorHandler();
}

static void test_free_newest_first(void **state)
{
    (void)state;
    struct seen a_seen = {0};
    struct pk_ctx *a = pk_ctx_new(), *b = pk_ctx_new();
    pk_ctx_set_log(a, record, &a_seen, PK_LOG_WARN);
    pk_ctx_free(b);
    CPLError(CE_Warning, CPLE_AppDefined, "to a");
    assert_int_equal(a_seen.count, 1);
    assert_string_equal(a_seen.last, "gdal: to a");
    pk_ctx_free(a);
    pk_ctx_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_in_creation_order),
        cmocka_unit_test(test_free_newest_first),
        cmocka_unit_test(test_front_end_handler_kept),
    };
    return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
