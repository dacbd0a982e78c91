/* pool_int.h — a small fixed thread pool for data-parallel loops. Each
 * thread owns a state made by init() in that thread (e.g. its own pk_ctx with
 * a GEOS handle and PROJ context); the calling thread takes part as thread 0
 * with the state it passes in. Results must be written per item, so the
 * outcome never depends on the thread count. */
#ifndef PLANKIT_POOL_INT_H
#define PLANKIT_POOL_INT_H

#include <stddef.h>

typedef void *(*pk_pool_init_fn)(void *arg);       /* runs in the worker thread */
typedef void (*pk_pool_fini_fn)(void *state);      /* runs in the worker thread */
typedef void (*pk_pool_item_fn)(void *state, size_t item, void *arg);

struct pk_pool;

/* nthreads counts the caller: nthreads - 1 workers are started. Returns NULL
 * when out of memory or threads cannot start. Caller frees with pk_pool_free. */
struct pk_pool *pk_pool_new(int nthreads, pk_pool_init_fn init, pk_pool_fini_fn fini, void *arg);
/* Run fn on items 0..n-1 across all threads; returns when all are done. */
void pk_pool_run(struct pk_pool *pool, void *caller_state, size_t n, pk_pool_item_fn fn, void *arg);
/* Start fn on items 0..n-1 on the worker threads and return at once, so the
 * caller can do other work (e.g. I/O) meanwhile; pk_pool_wait then takes the
 * items still left with caller_state and waits for the workers. One job at
 * a time; pk_pool_run is start + wait. */
void pk_pool_start(struct pk_pool *pool, size_t n, pk_pool_item_fn fn, void *arg);
void pk_pool_wait(struct pk_pool *pool, void *caller_state);
/* Stop and join the workers (fini runs in each); accepts NULL. */
void pk_pool_free(struct pk_pool *pool);
/* Threads to use: requested when above 0 (an option of the engine; the
 * library reads no environment: the CLI turns $PLANKIT_THREADS into it),
 * else one per online CPU. */
int pk_pool_threads(int requested);

#endif
