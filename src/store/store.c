/* store.c — opening, creating and closing the SpatiaLite project store,
 * nested transactions, meta values and the change history. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <spatialite.h>

#include "crs_int.h"
#include "store_int.h"

int pk_store_migrate(struct pk_store *store, int from);

#define BUSY_TIMEOUT_MS 60000

int pk_error_db(struct pk_store *store, const char *what)
{
    return pk_error(store->ctx, PK_ERR_DB, "%s: %s", what, sqlite3_errmsg(store->db));
}

int pk_sql_exec(struct pk_store *store, const char *sql)
{
    char *err = NULL;
    if (!sql) /* a failed sqlite3_mprintf: sqlite3_exec would take NULL as "nothing to do" */
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    if (sqlite3_exec(store->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        pk_error(store->ctx, PK_ERR_DB, "store: %s", err ? err : sqlite3_errmsg(store->db));
        sqlite3_free(err);
        return PK_ERR_DB;
    }
    return PK_OK;
}

int pk_sql_prepare(struct pk_store *store, const char *sql, sqlite3_stmt **stmt)
{
    if (!sql) { /* a failed sqlite3_mprintf */
        *stmt = NULL;
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL) != SQLITE_OK) {
        *stmt = NULL;
        return pk_error_db(store, "store");
    }
    return PK_OK;
}

int pk_sql_done(struct pk_store *store, int step)
{
    if (step == SQLITE_DONE)
        return PK_OK;
    if (step == SQLITE_NOMEM)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    return pk_error_db(store, "store: read stopped");
}

int pk_sql_bind_text(sqlite3_stmt *stmt, int idx, const char *text)
{
    if (!text)
        return sqlite3_bind_null(stmt, idx);
    return sqlite3_bind_text(stmt, idx, text, -1, SQLITE_TRANSIENT);
}

int pk_sql_int(struct pk_store *store, const char *sql, const char *param, long long *value,
               int *found)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, sql, &st);
    if (rc != PK_OK)
        return rc;
    if (param)
        pk_sql_bind_text(st, 1, param);
    int step = sqlite3_step(st);
    if (found)
        *found = step == SQLITE_ROW;
    if (step == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE)
        rc = pk_error_db(store, "store");
    sqlite3_finalize(st);
    return rc;
}

int pk_meta_read(struct pk_store *store, const char *key, char **value)
{
    sqlite3_stmt *st;
    *value = NULL;
    int rc = pk_sql_prepare(store, "SELECT value FROM pk_meta WHERE key=?", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, key);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_text(st, 0) &&
        !(*value = strdup((const char *)sqlite3_column_text(st, 0))))
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    else if (step != SQLITE_ROW)
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    return rc;
}

char *pk_meta_get(struct pk_store *store, const char *key)
{
    char *value;
    pk_meta_read(store, key, &value);
    return value;
}

int pk_meta_set(struct pk_store *store, const char *key, const char *value)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "INSERT OR REPLACE INTO pk_meta(key, value) VALUES(?, ?)", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, key);
    pk_sql_bind_text(st, 2, value);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(store, "store: cannot write meta");
    sqlite3_finalize(st);
    return rc;
}

/* The pid of the plankit holding the writer lock of the store (its
 * <path>-writer file), 0 when none is known. */
static long writer_pid(struct pk_store *store)
{
    char name[4096];
    int fd = store->owner_fd, own = 0;
    if (fd < 0) { /* (never while this process holds the lock: closing would release it) */
        snprintf(name, sizeof name, "%s-writer", store->path);
        if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0)
            return 0;
        own = 1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    long pid = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? (long)fl.l_pid : 0;
    if (own)
        close(fd);
    return pid;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* SQLite's busy handler: wait up to BUSY_TIMEOUT_MS for another writer,
 * saying once per wait (after the first second) whom it waits for. */
static int busy_wait(void *arg, int count)
{
    static const int delays_ms[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    struct pk_store *store = arg;
    if (count == 0) {
        store->busy_told = 0;
        store->busy_since = now_ms();
    }
    double waited = now_ms() - store->busy_since;
    if (waited >= BUSY_TIMEOUT_MS)
        return 0;
    if (!store->busy_told && waited >= 1000) {
        long pid = writer_pid(store);
        store->busy_told = 1;
        if (pid > 0)
            pk_log(store->ctx, PK_LOG_WARN, "store is busy: waiting for another plankit (pid %ld)…", pid);
        else
            pk_log(store->ctx, PK_LOG_WARN, "store is busy: waiting for another program writing to it…");
    }
    int n = (int)(sizeof delays_ms / sizeof delays_ms[0]);
    int ms = delays_ms[count < n ? count : n - 1];
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 1;
}

/* Take (lock = 1) or release the writer lock: an fcntl lock on
 * <path>-writer that tells a waiting plankit whom it waits for. Best
 * effort: a store whose folder cannot hold the file works without it. */
static void writer_lock(struct pk_store *store, int lock)
{
    if (store->owner_fd < 0 && lock) {
        char name[4096];
        snprintf(name, sizeof name, "%s-writer", store->path);
        store->owner_fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    }
    if (store->owner_fd < 0)
        return;
    struct flock fl = {.l_type = lock ? F_WRLCK : F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(store->owner_fd, F_SETLK, &fl) != 0 && lock) {
        close(store->owner_fd); /* not ours to hold (see writer_pid) */
        store->owner_fd = -1;
    }
}

/* Open the SQLite connection on uri (NULL: path), attach SpatiaLite and set
 * pragmas. */
static int connect(struct pk_ctx *ctx, const char *path, const char *uri, int flags, struct pk_store **out)
{
    struct pk_store *store = calloc(1, sizeof *store);
    if (!store)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    store->ctx = ctx;
    store->owner_fd = -1;
    store->path = strdup(path);
    if (!store->path) {
        free(store);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (sqlite3_open_v2(uri ? uri : path, &store->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK) {
        pk_error(ctx, PK_ERR_DB, "cannot open store '%s': %s", path,
                 store->db ? sqlite3_errmsg(store->db) : "out of memory");
        pk_store_close(store);
        return PK_ERR_DB;
    }
    sqlite3_extended_result_codes(store->db, 1);
    store->spatialite = spatialite_alloc_connection();
    /* GEOS warnings of SQL functions (e.g. ST_IsValid) must not reach stderr */
    spatialite_set_silent_mode(store->spatialite);
    spatialite_init_ex(store->db, store->spatialite, 0);
    /* after spatialite_init_ex, which sets its own 5 s busy timeout */
    sqlite3_busy_handler(store->db, busy_wait, store);
    int rc = pk_sql_exec(store, "PRAGMA foreign_keys=ON");
    if (rc != PK_OK) {
        pk_store_close(store);
        return rc;
    }
    *out = store;
    return PK_OK;
}

/* Read the CRS settings from pk_meta into the struct. */
static int load_meta(struct pk_store *store)
{
    char *crs = NULL, *measure = NULL;
    int rc = pk_meta_read(store, "crs", &crs);
    if (rc == PK_OK) /* (a failed read is not "no metric CRS") */
        rc = pk_meta_read(store, "measure_crs", &measure);
    if (rc == PK_OK && !crs)
        rc = pk_error(store->ctx, PK_ERR_DB, "store '%s' has no CRS setting: is it damaged?",
                      store->path);
    else if (rc == PK_OK) {
        store->srid = atoi(crs);
        store->measure_srid = measure ? atoi(measure) : 0;
    }
    free(crs);
    free(measure);
    return rc;
}

/* Why path cannot be written (reason filled, "" when it can): the file, its
 * folder (where SQLite makes the -wal and -shm files) or the medium. */
static void readonly_reason(const char *path, char *reason, size_t size)
{
    reason[0] = '\0';
    int file_ro = access(path, W_OK) != 0;
    if (file_ro && errno == EROFS) {
        snprintf(reason, size, "on a read-only medium");
        return;
    }
    char *copy = strdup(path);
    int dir_ro = copy && access(dirname(copy), W_OK) != 0;
    free(copy);
    if (file_ro || dir_ro)
        snprintf(reason, size, "%s", file_ro && dir_ro ? "the file and its folder are read-only"
                                     : file_ro ? "the file is read-only" : "its folder is read-only");
}

/* A file: URI for path with query (e.g. "mode=ro"); '%', '?' and '#'
 * escaped. Caller frees with sqlite3_free; NULL when out of memory. */
static char *file_uri(const char *path, const char *query)
{
    size_t n = strlen(path);
    char *uri = sqlite3_malloc64(3 * n + strlen(query) + 16), *o = uri;
    if (!uri)
        return NULL;
    o += sprintf(o, "file:%s", path[0] == '/' ? "//" : "");
    for (const char *p = path; *p; p++)
        o += (*p == '%' || *p == '?' || *p == '#') ? sprintf(o, "%%%02X", (unsigned char)*p) : sprintf(o, "%c", *p);
    sprintf(o, "?%s", query);
    return uri;
}

/* Open a store that cannot be written: read-only, or immutable when even
 * the WAL index cannot be made (then only if no -wal file holds changes
 * that could not be read). */
static int connect_readonly(struct pk_ctx *ctx, const char *path, const char *reason, struct pk_store **out)
{
    char wal[4096];
    struct stat sb;
    char *uri = file_uri(path, "mode=ro");
    int rc = uri ? connect(ctx, path, uri, SQLITE_OPEN_READONLY, out) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK && sqlite3_exec((*out)->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) == SQLITE_OK) {
        (*out)->access = PK_STORE_READONLY;
    } else if (rc == PK_OK) {
        pk_store_close(*out);
        *out = NULL;
        sqlite3_free(uri);
        snprintf(wal, sizeof wal, "%s-wal", path);
        if (stat(wal, &sb) == 0 && sb.st_size > 0)
            return pk_error(ctx, PK_ERR_READONLY, "store '%s' is read-only (%s) and its -wal file holds changes "
                            "that cannot be read without writing: open it once where it can be written", path, reason);
        uri = file_uri(path, "immutable=1");
        rc = uri ? connect(ctx, path, uri, SQLITE_OPEN_READONLY, out) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        if (rc == PK_OK)
            (*out)->access = PK_STORE_IMMUTABLE;
    }
    if (rc != PK_OK) {
        sqlite3_free(uri);
        return rc;
    }
    (*out)->read_uri = uri;
    snprintf((*out)->reason, sizeof (*out)->reason, "%s", reason);
    return PK_OK;
}

static void remove_store_files(const char *path)
{
    char buf[4096];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-journal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-writer", path);
    unlink(buf);
}

int pk_store_create(struct pk_ctx *ctx, const char *path, const struct pk_store_opts *opts,
                    struct pk_store **out)
{
    struct pk_store *store = NULL;
    int srid = 4326, measure = 0, rc;
    char sql[256], num[32];

    *out = NULL;
    if (access(path, F_OK) == 0)
        return pk_error(ctx, PK_ERR_EXISTS, "store '%s' already exists", path);
    if (opts && opts->crs && (rc = pk_crs_parse_epsg(ctx, opts->crs, &srid)) != PK_OK)
        return rc;
    if ((rc = pk_crs_check_storage(ctx, srid)) != PK_OK)
        return rc;
    if (opts && opts->measure_crs) {
        if ((rc = pk_crs_parse_epsg(ctx, opts->measure_crs, &measure)) != PK_OK)
            return rc;
        if ((rc = pk_crs_check_metric(ctx, measure)) != PK_OK)
            return rc;
    }
    rc = connect(ctx, path, NULL, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &store);
    if (rc != PK_OK)
        return rc;
    if ((rc = pk_sql_exec(store, "PRAGMA journal_mode=WAL")) != PK_OK)
        goto fail;
    if ((rc = pk_sql_exec(store, "SELECT InitSpatialMetadata(1, 'NONE')")) != PK_OK)
        goto fail;
    snprintf(sql, sizeof sql, "SELECT InsertEpsgSrid(%d)", srid);
    if ((rc = pk_sql_exec(store, sql)) != PK_OK)
        goto fail;
    if ((rc = pk_store_begin(store)) != PK_OK)
        goto fail;
    store->srid = srid;
    rc = pk_store_migrate(store, 0);
    snprintf(num, sizeof num, "%d", srid);
    if (rc == PK_OK)
        rc = pk_meta_set(store, "crs", num);
    if (rc == PK_OK)
        rc = pk_meta_set(store, "created_by", "plankit " PLANKIT_VERSION);
    if (rc == PK_OK && measure)
        rc = pk_store_set_measure_srid(store, measure);
    if (rc == PK_OK)
        rc = pk_store_history(store, "init", "store", path, NULL, NULL, NULL);
    if (rc != PK_OK) {
        pk_store_rollback(store);
        goto fail;
    }
    if ((rc = pk_store_commit(store)) != PK_OK)
        goto fail;
    store->srid = srid;
    *out = store;
    return PK_OK;
fail:
    pk_store_close(store);
    remove_store_files(path);
    return rc;
}

int pk_store_open(struct pk_ctx *ctx, const char *path, struct pk_store **out)
{
    struct pk_store *store = NULL;
    long long version = 0, has_meta = 0;
    char reason[64];
    int rc;

    *out = NULL;
    if (access(path, F_OK) != 0)
        return pk_error(ctx, PK_ERR_NOTFOUND,
                        "store '%s' does not exist (create it with 'plankit init')", path);
    readonly_reason(path, reason, sizeof reason);
    rc = *reason ? connect_readonly(ctx, path, reason, &store) : connect(ctx, path, NULL, SQLITE_OPEN_READWRITE, &store);
    if (rc != PK_OK)
        return rc;
    rc = pk_sql_int(store, "SELECT count(*) FROM sqlite_master WHERE name='pk_meta'", NULL,
                    &has_meta, NULL);
    if (rc != PK_OK || !has_meta) {
        if (rc == PK_OK)
            rc = pk_error(ctx, PK_ERR_DB, "'%s' is not a plankit store", path);
        else if (pk_errcode(ctx) == PK_ERR_DB) /* e.g. a text file, or a damaged store */
            rc = pk_error(ctx, PK_ERR_DB, "cannot read '%s' as a plankit store: %s", path,
                          sqlite3_errmsg(store->db));
        goto fail;
    }
    if ((rc = pk_sql_int(store, "PRAGMA user_version", NULL, &version, NULL)) != PK_OK)
        goto fail;
    if (version > pk_store_latest_schema()) {
        rc = pk_error(ctx, PK_ERR_DB,
                      "store '%s' has schema %lld, newer than this plankit's %d: upgrade plankit",
                      path, version, pk_store_latest_schema());
        goto fail;
    }
    store->schema_version = (int)version;
    if ((rc = load_meta(store)) != PK_OK)
        goto fail;
    if (version < pk_store_latest_schema() && store->access != PK_STORE_WRITABLE && version < 3) {
        rc = pk_error(ctx, PK_ERR_READONLY, "store '%s' has schema %lld, older than this plankit reads, and is "
                      "read-only (%s): open it once where it can be written to upgrade it", path, version,
                      store->reason);
        goto fail;
    }
    /* (a read-only store of schema 3 is read as it is: it only lacks the layers' views) */
    if (version < pk_store_latest_schema() && store->access == PK_STORE_WRITABLE) {
        if ((rc = pk_store_begin(store)) != PK_OK)
            goto fail;
        if ((rc = pk_store_migrate(store, (int)version)) != PK_OK) {
            pk_store_rollback(store);
            goto fail;
        }
        if ((rc = pk_store_commit(store)) != PK_OK)
            goto fail;
    }
    *out = store;
    return PK_OK;
fail:
    pk_store_close(store);
    return rc;
}

int pk_store_open_reader(struct pk_ctx *ctx, const struct pk_store *main, struct pk_store **out)
{
    int rc = connect(ctx, main->path, main->read_uri, SQLITE_OPEN_READONLY, out);
    if (rc == PK_OK) {
        (*out)->access = main->access == PK_STORE_WRITABLE ? PK_STORE_READONLY : main->access;
        snprintf((*out)->reason, sizeof (*out)->reason, "%s", main->reason[0] ? main->reason : "a reader");
        (*out)->srid = main->srid;
        (*out)->measure_srid = main->measure_srid;
        (*out)->schema_version = main->schema_version;
    }
    return rc;
}

void pk_store_close(struct pk_store *store)
{
    if (!store)
        return;
    if (store->db) {
        if (!sqlite3_get_autocommit(store->db))
            sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close_v2(store->db);
    }
    if (store->spatialite)
        spatialite_cleanup_ex(store->spatialite);
    if (store->owner_fd >= 0) {
        /* the file goes when no other plankit holds it (one that opened it
         * meanwhile then locks a file no one sees: it only tells no pid) */
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        char name[4096];
        snprintf(name, sizeof name, "%s-writer", store->path);
        if (fcntl(store->owner_fd, F_SETLK, &fl) == 0)
            unlink(name);
        close(store->owner_fd);
    }
    sqlite3_free(store->read_uri);
    free(store->path);
    free(store);
}

int pk_store_begin(struct pk_store *store)
{
    char sql[64];
    if (store->access != PK_STORE_WRITABLE)
        return pk_error(store->ctx, PK_ERR_READONLY, "store '%s' is read-only (%s): this command would change it "
                        "(copy it somewhere writable)", store->path, store->reason);
    if (store->depth == 0)
        snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT pk_sp%d", store->depth);
    int rc = pk_sql_exec(store, sql);
    if (rc == PK_OK && store->depth == 0)
        writer_lock(store, 1);
    if (rc == PK_OK)
        store->depth++;
    return rc;
}

int pk_store_commit(struct pk_store *store)
{
    char sql[64];
    if (store->depth <= 0)
        return pk_error(store->ctx, PK_ERR_DB, "commit without a transaction");
    if (store->depth == 1)
        snprintf(sql, sizeof sql, "COMMIT");
    else
        snprintf(sql, sizeof sql, "RELEASE pk_sp%d", store->depth - 1);
    int rc = pk_sql_exec(store, sql);
    if (rc == PK_OK && --store->depth == 0)
        writer_lock(store, 0);
    else if (rc != PK_OK)
        pk_store_rollback(store); /* a failed commit undoes this level: the caller must not roll back again */
    return rc;
}

void pk_store_rollback(struct pk_store *store)
{
    char sql[96];
    if (store->depth <= 0)
        return;
    store->depth--;
    if (store->depth == 0)
        snprintf(sql, sizeof sql, "ROLLBACK");
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO pk_sp%d; RELEASE pk_sp%d", store->depth,
                 store->depth);
    sqlite3_exec(store->db, sql, NULL, NULL, NULL);
    if (store->depth == 0)
        writer_lock(store, 0);
}

struct pk_ctx *pk_store_ctx(struct pk_store *store) { return store->ctx; }
const char *pk_store_path(const struct pk_store *store) { return store->path; }
int pk_store_srid(const struct pk_store *store) { return store->srid; }
int pk_store_measure_srid(const struct pk_store *store) { return store->measure_srid; }
int pk_store_schema_version(const struct pk_store *store) { return store->schema_version; }
int pk_store_access(const struct pk_store *store) { return store->access; }
const char *pk_store_readonly_reason(const struct pk_store *store) { return store->reason; }
const char *pk_store_read_uri(const struct pk_store *store) { return store->read_uri ? store->read_uri : store->path; }

int pk_store_set_measure_srid(struct pk_store *store, int srid)
{
    char num[32], sql[160];
    snprintf(num, sizeof num, "%d", srid);
    int rc = pk_meta_set(store, "measure_crs", num);
    /* Areas are also computed in SQL (ST_Transform), which needs the SRID.
     * Only when missing: SpatiaLite prints an error on stderr for a duplicate
     * (the metric CRS can be the storage CRS). */
    snprintf(sql, sizeof sql, "SELECT InsertEpsgSrid(%d) WHERE NOT EXISTS"
             " (SELECT 1 FROM spatial_ref_sys WHERE srid=%d)", srid, srid);
    if (rc == PK_OK)
        rc = pk_sql_exec(store, sql);
    if (rc == PK_OK)
        store->measure_srid = srid;
    return rc;
}

int pk_store_history(struct pk_store *store, const char *command, const char *object_type,
                     const char *object_id, const char *field, const char *old_value,
                     const char *new_value)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store,
                            "INSERT INTO pk_history(user, command, object_type, object_id, field,"
                            " old_value, new_value) VALUES(?,?,?,?,?,?,?)",
                            &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, pk_ctx_user(store->ctx));
    pk_sql_bind_text(st, 2, command);
    pk_sql_bind_text(st, 3, object_type);
    pk_sql_bind_text(st, 4, object_id);
    pk_sql_bind_text(st, 5, field);
    pk_sql_bind_text(st, 6, old_value);
    pk_sql_bind_text(st, 7, new_value);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(store, "store: cannot record history");
    sqlite3_finalize(st);
    return rc;
}
