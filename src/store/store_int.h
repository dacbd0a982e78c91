/* store_int.h — private store helpers: the SQLite handle and SQL utilities. */
#ifndef PLANKIT_STORE_INT_H
#define PLANKIT_STORE_INT_H

#include <sqlite3.h>
#include "ctx_int.h"
#include "plankit/store.h"

struct pk_store {
    struct pk_ctx *ctx;
    sqlite3 *db;
    void *spatialite;   /* spatialite connection cache */
    char *path;
    int depth;          /* transaction nesting depth */
    int srid;
    int measure_srid;
    int schema_version;
    int access;         /* enum pk_store_access: how the store was opened */
    char reason[64];    /* why it is read-only ("its folder is read-only"), "" when writable */
    char *read_uri;     /* what read connections open: the path, or a file: URI with
                         * mode=ro or immutable=1 for a read-only store (owned) */
    int owner_fd;       /* <path>-writer, locked during a transaction (-1: not opened) */
    int busy_told;      /* the current wait has been reported */
    double busy_since;  /* when the current wait began (ms, monotonic) */
};

/* Record the connection's last SQLite error as "<what>: <sqlite message>". */
int pk_error_db(struct pk_store *store, const char *what);
/* Run SQL without results. NULL sql (a failed sqlite3_mprintf) is
 * PK_ERR_NOMEM "out of memory", never a silent no-op. */
int pk_sql_exec(struct pk_store *store, const char *sql);
/* Prepare one statement; caller finalizes *stmt with sqlite3_finalize.
 * NULL sql is PK_ERR_NOMEM (and *stmt NULL). */
int pk_sql_prepare(struct pk_store *store, const char *sql, sqlite3_stmt **stmt);
/* The end of a row loop: PK_OK when `step` (the last sqlite3_step code) is
 * SQLITE_DONE, else the error (SQLITE_BUSY or an I/O error in the middle of
 * a read is an error, never a short answer). */
int pk_sql_done(struct pk_store *store, int step);
/* Bind text (SQLITE_TRANSIENT) or NULL when text is NULL. */
int pk_sql_bind_text(sqlite3_stmt *stmt, int idx, const char *text);
/* One integer from a query with optional single text parameter; *found is set. */
int pk_sql_int(struct pk_store *store, const char *sql, const char *param, long long *value,
               int *found);

/* Prepare SQL that contains user text (e.g. a --where expression) under an
 * authorizer that allows only reads and pure functions, as one statement.
 * Caller finalizes *st. */
int pk_sql_prepare_untrusted(struct pk_store *store, const char *sql, sqlite3_stmt **st);
/* Finalize such a statement and lift the restrictions (always use this, not
 * sqlite3_finalize: the connection is read-only until then). */
void pk_sql_finalize_untrusted(struct pk_store *store, sqlite3_stmt *st);

/* Meta table access. read: *value a copy the caller frees with free(), NULL
 * when the key is not set; a failed read is an error. get: the same value,
 * NULL also on error (for a value whose absence is harmless). */
int pk_meta_read(struct pk_store *store, const char *key, char **value);
char *pk_meta_get(struct pk_store *store, const char *key);
int pk_meta_set(struct pk_store *store, const char *key, const char *value);

/* Open a second SQLite connection with SpatiaLite on the same store, for a
 * worker thread's reads. Caller closes with pk_store_close. */
int pk_store_open_reader(struct pk_ctx *ctx, const struct pk_store *store, struct pk_store **out);

/* What a read connection of the store opens (with SQLITE_OPEN_URI): the
 * path, or a file: URI for a read-only store. Borrowed. */
const char *pk_store_read_uri(const struct pk_store *store);

#endif
