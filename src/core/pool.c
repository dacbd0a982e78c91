/* pool.c — fixed thread pool: workers wait for a job (a generation number),
 * take items from a shared counter, and the caller works alongside them. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool_int.h"

struct pk_pool {
    pthread_mutex_t mu;
    pthread_cond_t job_cv, done_cv;
    pthread_t *threads;
    int nworkers;
    int started;
    pk_pool_init_fn init;
    pk_pool_fini_fn fini;
    void *init_arg;
    /* current job */
    unsigned long generation;
    size_t n, next;
    int busy;            /* workers still inside the current job */
    pk_pool_item_fn fn;
    void *arg;
    int stop;
};

static int take(struct pk_pool *p, size_t *item)
{
    pthread_mutex_lock(&p->mu);
    int ok = p->next < p->n;
    if (ok)
        *item = p->next++;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

static void *worker(void *varg)
{
    struct pk_pool *p = varg;
    void *state = p->init ? p->init(p->init_arg) : NULL;
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->generation == seen)
            pthread_cond_wait(&p->job_cv, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        seen = p->generation;
        pk_pool_item_fn fn = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->mu);
        size_t item;
        while (take(p, &item))
            fn(state, item, arg);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done_cv);
        pthread_mutex_unlock(&p->mu);
    }
    if (p->fini)
        p->fini(state);
    return NULL;
}

struct pk_pool *pk_pool_new(int nthreads, pk_pool_init_fn init, pk_pool_fini_fn fini, void *arg)
{
    struct pk_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->job_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    p->init = init;
    p->fini = fini;
    p->init_arg = arg;
    p->nworkers = nthreads > 1 ? nthreads - 1 : 0;
    p->threads = calloc((size_t)(p->nworkers ? p->nworkers : 1), sizeof *p->threads);
    if (!p->threads) {
        pk_pool_free(p);
        return NULL;
    }
    for (int i = 0; i < p->nworkers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
        p->started++;
    }
    return p;
}

void pk_pool_start(struct pk_pool *p, size_t n, pk_pool_item_fn fn, void *arg)
{
    pthread_mutex_lock(&p->mu);
    p->n = n;
    p->next = 0;
    p->fn = fn;
    p->arg = arg;
    p->busy = p->started;
    p->generation++;
    pthread_cond_broadcast(&p->job_cv);
    pthread_mutex_unlock(&p->mu);
}

void pk_pool_wait(struct pk_pool *p, void *caller_state)
{
    size_t item;
    /* the caller takes items too (all of them when the pool has no workers) */
    while (take(p, &item))
        p->fn(caller_state, item, p->arg);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0)
        pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void pk_pool_run(struct pk_pool *p, void *caller_state, size_t n, pk_pool_item_fn fn, void *arg)
{
    pk_pool_start(p, n, fn, arg);
    pk_pool_wait(p, caller_state);
}

void pk_pool_free(struct pk_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->job_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->job_cv);
    pthread_cond_destroy(&p->done_cv);
    free(p);
}

int pk_pool_threads(int requested)
{
    if (requested > 0)
        return requested > 256 ? 256 : requested;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n > 64 ? 64 : n) : 1;
}
