/* store.h — the project store: one SpatiaLite file on disk holding the layer
 * registry, one table per layer with an R*Tree index, tasks, links and history.
 *
 * Every command that writes does it inside pk_store_begin/commit, so a failure
 * (or a SIGKILL) leaves the store exactly as it was. The store runs in WAL mode
 * with a busy handler, so concurrent plankit processes wait for each other
 * (and say whom they wait for).
 */
#ifndef PLANKIT_STORE_H
#define PLANKIT_STORE_H

#include "plankit/ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pk_store;

struct pk_store_opts {
    const char *crs;         /* storage CRS, "EPSG:N"; NULL = EPSG:4326 */
    const char *measure_crs; /* metric CRS, "EPSG:N"; NULL = chosen from the first layer's longitude */
};

/* Create a new store at path (which must not exist). On failure nothing is
 * left on disk. *out: caller closes with pk_store_close. */
int pk_store_create(struct pk_ctx *ctx, const char *path, const struct pk_store_opts *opts,
                    struct pk_store **out);

/* Open an existing store, upgrading its schema if it is older than this
 * plankit. *out: caller closes with pk_store_close.
 *
 * A store that cannot be written (a read-only file, folder or medium) is
 * opened read-only: every read works, pk_store_begin fails with
 * PK_ERR_READONLY naming the reason. When even the WAL index (-shm) cannot
 * be created beside it, it is opened immutable (SQLite's immutable=1),
 * which is safe only because nobody can write it either; a store with
 * unfinished changes in its -wal file is then refused. pk_store_access and
 * pk_store_readonly_reason tell the caller, who says so once.
 *
 * A writer that has to wait for another plankit's transaction logs one
 * warning per wait, "store is busy: waiting for another plankit (pid N)...",
 * then waits up to 60 s. The pid comes from <path>-writer, a small file each
 * writer locks (fcntl) for the length of its transaction. */
int pk_store_open(struct pk_ctx *ctx, const char *path, struct pk_store **out);

enum pk_store_access {
    PK_STORE_WRITABLE = 0,
    PK_STORE_READONLY = 1,  /* opened read-only (mode=ro) */
    PK_STORE_IMMUTABLE = 2, /* opened read-only and immutable: not even the -shm could be made */
};
/* How the store was opened: an enum pk_store_access value. */
int pk_store_access(const struct pk_store *store);
/* Why the store is read-only ("its folder is read-only", ...), "" when
 * writable. Borrowed, valid while the store is open. */
const char *pk_store_readonly_reason(const struct pk_store *store);

/* Close; accepts NULL. Rolls back an unfinished transaction. */
void pk_store_close(struct pk_store *store);

/* Transactions nest: the outermost begin is BEGIN IMMEDIATE, inner ones are
 * savepoints. Rollback undoes the innermost level. A commit that fails rolls
 * its level back itself (do not call rollback after it). */
int pk_store_begin(struct pk_store *store);
int pk_store_commit(struct pk_store *store);
void pk_store_rollback(struct pk_store *store);

/* The context the store was opened with (its errors land there). Borrowed. */
struct pk_ctx *pk_store_ctx(struct pk_store *store);
/* Path of the store file; borrowed, valid while the store is open. */
const char *pk_store_path(const struct pk_store *store);
int pk_store_srid(const struct pk_store *store);
/* 0 while no metric CRS has been chosen (no layer loaded and none given). */
int pk_store_measure_srid(const struct pk_store *store);
int pk_store_set_measure_srid(struct pk_store *store, int srid);
int pk_store_schema_version(const struct pk_store *store);
/* The schema version this plankit writes. */
int pk_store_latest_schema(void);

/* Append one row to the change history (inside the caller's transaction). */
int pk_store_history(struct pk_store *store, const char *command, const char *object_type,
                     const char *object_id, const char *field, const char *old_value,
                     const char *new_value);

#ifdef __cplusplus
}
#endif
#endif
