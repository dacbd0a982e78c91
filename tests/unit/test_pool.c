/* test_pool.c — the thread pool: every item runs exactly once whatever the
 * thread count, on the state its thread made (and freed, in that thread),
 * the caller takes part, start + wait lets the caller work meanwhile, a
 * pool of one thread is the caller alone; the thread count; many jobs of
 * every size (none too) on one pool; workers whose state failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The thread count: a requested number (at most 256), else one per online
 * CPU (at most 64). */
static void test_thread_count(void **unused)
{
    (void)unused;
    assert_int_equal(pk_pool_threads(1), 1);
    assert_int_equal(pk_pool_threads(3), 3);
    assert_int_equal(pk_pool_threads(1000), 256);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int want = cpus > 0 ? (int)(cpus > 64 ? 64 : cpus) : 1;
    assert_int_equal(pk_pool_threads(0), want);
    assert_int_equal(pk_pool_threads(-2), want);
}

static void count_item(void *state, size_t i, void *arg)
{
    (void)state;
    int *hits = arg;
    __atomic_add_fetch(&hits[i], 1, __ATOMIC_SEQ_CST);
}

static void never(void *state, size_t i, void *arg)
{
    (void)state, (void)i, (void)arg;
    fail_msg("an item of an empty job ran");
}

/* Many jobs in a row on one pool, of every size including none, each with
 * its own function and argument: every item of each runs once. */
static void test_many_jobs(void **unused)
{
    (void)unused;
    made = freed = 0;
    struct pk_pool *p = pk_pool_new(4, init, fini, NULL);
    assert_non_null(p);
    struct state caller = {pthread_self(), 0};
    static int hits[64];
    for (int job = 0; job < 300; job++) {
        size_t n = (size_t)(job % 65); /* 0 .. 64 */
        if (n == 0) {
            pk_pool_run(p, &caller, 0, never, NULL);
            continue;
        }
        memset(hits, 0, sizeof hits);
        pk_pool_run(p, &caller, n, count_item, hits);
        for (size_t i = 0; i < 64; i++)
            assert_int_equal(hits[i], i < n ? 1 : 0);
    }
    pk_pool_free(p);
    assert_int_equal(made, 3);
    assert_int_equal(freed, 3);
}

/* A worker whose state could not be made (init returned NULL) still takes
 * items, with a NULL state: the engines see it and report the error. */
static void *init_fails(void *arg)
{
    (void)arg;
    return NULL;
}

struct seen_states {
    int null_state, caller_state;
    void *caller;
};

static void note_state(void *state, size_t i, void *arg)
{
    struct seen_states *s = arg;
    (void)i;
    if (!state)
        __atomic_add_fetch(&s->null_state, 1, __ATOMIC_SEQ_CST);
    else if (state == s->caller)
        __atomic_add_fetch(&s->caller_state, 1, __ATOMIC_SEQ_CST);
    else
        fail_msg("an item ran on a state nobody made");
}

static void test_init_fails(void **unused)
{
    (void)unused;
    struct pk_pool *p = pk_pool_new(3, init_fails, NULL, NULL);
    assert_non_null(p);
    struct state caller = {pthread_self(), 0};
    struct seen_states s = {0, 0, &caller};
    pk_pool_run(p, &caller, N, note_state, &s);
    assert_int_equal(s.null_state + s.caller_state, N);
    pk_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_item_once), cmocka_unit_test(test_thread_count),
                                       cmocka_unit_test(test_many_jobs), cmocka_unit_test(test_init_fails)};
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
