/* test_pool.c — the thread pool: every item runs exactly once whatever the
 * thread count, on the state its thread made (and freed, in that thread),
 * the caller takes part, start + wait lets the caller work meanwhile, and a
 * pool of one thread is the caller alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pool_int.h"

#define N 10000

struct state {
    pthread_t self;
    int items;
};

static int made, freed;

static void *init(void *arg)
{
    (void)arg;
    struct state *s = calloc(1, sizeof *s);
    s->self = pthread_self();
    __atomic_add_fetch(&made, 1, __ATOMIC_SEQ_CST);
    return s;
}

static void fini(void *state)
{
    struct state *s = state;
    assert_true(pthread_equal(s->self, pthread_self())); /* freed in the thread that made it */
    __atomic_add_fetch(&freed, 1, __ATOMIC_SEQ_CST);
    free(s);
}

struct job {
    int hits[N];
    int caller_items;
    struct state *caller;
};

static void item(void *state, size_t i, void *arg)
{
    struct job *j = arg;
    struct state *s = state;
    assert_true(pthread_equal(s->self, pthread_self())); /* each thread on its own state */
    __atomic_add_fetch(&j->hits[i], 1, __ATOMIC_SEQ_CST);
    if (s == j->caller)
        j->caller_items++;
    s->items++;
}

static void test_every_item_once(void **unused)
{
    (void)unused;
    for (int threads = 1; threads <= 5; threads++) {
        made = freed = 0;
        struct state caller = {pthread_self(), 0};
        struct job *j = calloc(1, sizeof *j);
        j->caller = &caller;
        struct pk_pool *p = pk_pool_new(threads, init, fini, NULL);
        assert_non_null(p);
        pk_pool_run(p, &caller, N, item, j);
        for (int i = 0; i < N; i++)
            assert_int_equal(j->hits[i], 1);
        /* start + wait: the caller is free between the two, then helps */
        memset(j->hits, 0, sizeof j->hits);
        pk_pool_start(p, N, item, j);
        pk_pool_wait(p, &caller);
        for (int i = 0; i < N; i++)
            assert_int_equal(j->hits[i], 1);
        pk_pool_free(p);
        assert_int_equal(made, threads - 1);
        assert_int_equal(freed, threads - 1);
        if (threads == 1)
            assert_int_equal(j->caller_items, 2 * N); /* the caller alone */
        free(j);
    }
    pk_pool_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_item_once)};
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
