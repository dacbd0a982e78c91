/* tile_mbtiles.c — the MBTiles 1.3 tile sink: an SQLite file with the
 * metadata table (name, format pbf, bounds, center, zooms, json with
 * vector_layers; or format png for raster tiles), gzipped MVT tiles (or
 * PNG images) deduplicated through the images/map
 * schema with a tiles view, rows in the TMS scheme (y flipped). Written as
 * "<path>.part", committed every 1000 tiles, renamed into place at finish;
 * an unfinished .part can be reopened with pk_mbtiles_resume. */
#include "tile_sink_int.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tile_buf_int.h"

#define COMMIT_EVERY 1000

struct mbtiles_sink {
    struct pk_tile_sink base;
    sqlite3 *db;
    char *path, *tmp;
    sqlite3_stmt *find_image, *add_image, *add_map, *has, *count;
    long long pending;              /* tiles put since the last commit */
    int png;                        /* PNG images (format png), else gzipped MVT */
};

static const char *SCHEMA =
    "PRAGMA application_id = 0x4d504258;"
    "CREATE TABLE IF NOT EXISTS metadata (name TEXT, value TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS name ON metadata (name);"
    "CREATE TABLE IF NOT EXISTS images (tile_data BLOB, tile_id TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS images_id ON images (tile_id);"
    "CREATE TABLE IF NOT EXISTS map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
    "  tile_id TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS map_index ON map (zoom_level, tile_column, tile_row);"
    "CREATE VIEW IF NOT EXISTS tiles AS SELECT map.zoom_level AS zoom_level,"
    "  map.tile_column AS tile_column, map.tile_row AS tile_row, images.tile_data AS tile_data"
    "  FROM map JOIN images ON images.tile_id = map.tile_id;";

char *pk_mbtiles_temp_path(const char *path)
{
    size_t n = strlen(path) + sizeof ".part";
    char *tmp = malloc(n);
    if (tmp)
        snprintf(tmp, n, "%s.part", path);
    return tmp;
}

static struct mbtiles_sink *as_mbtiles(struct pk_tile_sink *s)
{
    return s && s->ops == &pk_tile_mbtiles_ops ? (struct mbtiles_sink *)s : NULL;
}

static int db_error(struct mbtiles_sink *s, const char *what)
{
    return pk_error(s->base.ctx, PK_ERR_DB, "%s '%s': %s", what, s->tmp,
                    s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

/* Remove the temporary file and its rollback journal. */
static void remove_temp(const char *tmp)
{
    char journal[4096];
    unlink(tmp);
    snprintf(journal, sizeof journal, "%s-journal", tmp);
    unlink(journal);
}

/* Close the database and free the sink (the files stay as they are). */
static void close_sink(struct mbtiles_sink *s)
{
    sqlite3_finalize(s->find_image);
    sqlite3_finalize(s->add_image);
    sqlite3_finalize(s->add_map);
    sqlite3_finalize(s->has);
    sqlite3_finalize(s->count);
    sqlite3_close(s->db);
    free(s->path);
    free(s->tmp);
    free(s);
}

static int put_meta(struct mbtiles_sink *s, sqlite3_stmt *st, const char *name, const char *value)
{
    if (!value)
        return PK_OK;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return sqlite3_step(st) == SQLITE_DONE ? PK_OK : db_error(s, "cannot write the metadata of");
}

/* The metadata rows, replacing any earlier ones. */
static int write_metadata(struct mbtiles_sink *s, const struct pk_tile_meta *m)
{
    char bounds[128], center[128], minz[16], maxz[16];
    snprintf(bounds, sizeof bounds, "%.7f,%.7f,%.7f,%.7f", m->bounds[0], m->bounds[1], m->bounds[2],
             m->bounds[3]);
    snprintf(center, sizeof center, "%.7f,%.7f,%d", m->center[0], m->center[1], (int)m->center[2]);
    snprintf(minz, sizeof minz, "%d", m->minzoom);
    snprintf(maxz, sizeof maxz, "%d", m->maxzoom);
    int png = pk_tile_meta_png(m);
    char *json = png ? NULL : pk_tile_meta_vector_layers_json(m, 1);
    sqlite3_stmt *st = NULL;
    if (!png && !json)
        return pk_error(s->base.ctx, PK_ERR_NOMEM, "out of memory");
    int rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)", -1,
                                &st, NULL) == SQLITE_OK ? PK_OK : db_error(s, "cannot write");
    const char *rows[][2] = {{"name", m->name}, {"format", png ? "png" : "pbf"}, {"bounds", bounds},
                             {"center", center}, {"minzoom", minz}, {"maxzoom", maxz},
                             {"json", json}, {"type", png ? "baselayer" : "overlay"}, {"version", "1"},
                             {"description", m->description}, {"attribution", m->attribution}};
    for (size_t i = 0; rc == PK_OK && i < sizeof rows / sizeof rows[0]; i++)
        rc = put_meta(s, st, rows[i][0], rows[i][1]);
    sqlite3_finalize(st);
    free(json);
    return rc;
}

static int prepare_all(struct mbtiles_sink *s)
{
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } list[] = {
        {&s->find_image, "SELECT tile_data FROM images WHERE tile_id = ?"},
        {&s->add_image, "INSERT INTO images (tile_data, tile_id) VALUES (?, ?)"},
        {&s->add_map, "INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?, ?, ?, ?)"},
        {&s->has, "SELECT 1 FROM map WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?"},
        {&s->count, "SELECT count(*) FROM map"},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (sqlite3_prepare_v2(s->db, list[i].sql, -1, list[i].st, NULL) != SQLITE_OK)
            return db_error(s, "cannot prepare a statement on");
    return PK_OK;
}

/* PK_OK if the temporary file tmp is not being written: a live sink holds
 * a write lock on it from open to finish (BEGIN IMMEDIATE), so taking one
 * fails with SQLITE_BUSY. */
static int check_stale(struct pk_ctx *ctx, const char *tmp)
{
    sqlite3 *db = NULL;
    int rc = PK_OK;
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_exec(db, "BEGIN IMMEDIATE; ROLLBACK", NULL, NULL, NULL) != SQLITE_OK &&
        sqlite3_errcode(db) == SQLITE_BUSY)
        rc = pk_error(ctx, PK_ERR_EXISTS, "'%s' is being written by another process", tmp);
    sqlite3_close(db);
    return rc;
}

/* Open (resume = 0: create afresh; 1: reopen the existing .part). */
static int open_sink(struct pk_ctx *ctx, const char *path, const struct pk_tile_meta *meta, int resume,
                     struct pk_tile_sink **out)
{
    *out = NULL;
    int rc = pk_tile_meta_check(ctx, meta);
    if (rc != PK_OK)
        return rc;
    if (access(path, F_OK) == 0)
        return pk_error(ctx, PK_ERR_EXISTS, "'%s' already exists: remove it first", path);
    struct mbtiles_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path)) || !(s->tmp = pk_mbtiles_temp_path(path))) {
        if (s)
            free(s->path);
        free(s);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    s->base.ops = &pk_tile_mbtiles_ops;
    s->base.ctx = ctx;
    s->png = pk_tile_meta_png(meta);
    int exists = access(s->tmp, F_OK) == 0;
    if (resume && !exists)
        rc = pk_error(ctx, PK_ERR_NOTFOUND, "no unfinished '%s' to resume", s->tmp);
    else if (!resume && exists && (rc = check_stale(ctx, s->tmp)) == PK_OK)
        remove_temp(s->tmp); /* a stale one from a run that died */
    int created = 0; /* this call made the file: remove it on failure */
    if (rc == PK_OK && sqlite3_open_v2(s->tmp, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        rc = db_error(s, "cannot create");
    else if (rc == PK_OK)
        created = !resume;
    if (rc == PK_OK && sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        rc = sqlite3_errcode(s->db) == SQLITE_BUSY
             ? pk_error(ctx, PK_ERR_EXISTS, "'%s' is being written by another process", s->tmp)
             : db_error(s, "cannot begin a transaction on");
    if (rc == PK_OK && sqlite3_exec(s->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, "cannot create the tables of");
    if (rc == PK_OK)
        rc = prepare_all(s);
    if (rc == PK_OK)
        rc = write_metadata(s, meta);
    if (rc != PK_OK) {
        char *tmp = created ? strdup(s->tmp) : NULL;
        close_sink(s);
        if (tmp)
            remove_temp(tmp);
        free(tmp);
        return rc;
    }
    *out = &s->base;
    return PK_OK;
}

static int mbtiles_open(struct pk_ctx *ctx, const char *path, const struct pk_tile_meta *meta,
                        struct pk_tile_sink **sink)
{
    return open_sink(ctx, path, meta, 0, sink);
}

int pk_mbtiles_resume(struct pk_ctx *ctx, const char *path, const struct pk_tile_meta *meta,
                      struct pk_tile_sink **sink)
{
    return open_sink(ctx, path, meta, 1, sink);
}

/* 1 if the stored image row (st on a row) holds exactly data. */
static int same_bytes(sqlite3_stmt *st, const void *data, size_t len)
{
    const void *blob = sqlite3_column_blob(st, 0);
    return (size_t)sqlite3_column_bytes(st, 0) == len && blob && memcmp(blob, data, len) == 0;
}

/* The images.tile_id of data: an existing row with the same bytes, or a new
 * row. Ids are the content hash and length; on a hash collision a counter
 * is appended. */
static int image_id(struct mbtiles_sink *s, const void *data, size_t len, char *id, size_t idsize)
{
    uint64_t h = pk_hash64(data, len);
    for (int k = 0;; k++) {
        if (k == 0)
            snprintf(id, idsize, "%016" PRIx64 "-%zu", h, len);
        else
            snprintf(id, idsize, "%016" PRIx64 "-%zu-%d", h, len, k);
        sqlite3_reset(s->find_image);
        sqlite3_bind_text(s->find_image, 1, id, -1, SQLITE_TRANSIENT);
        int step = sqlite3_step(s->find_image);
        if (step == SQLITE_ROW && same_bytes(s->find_image, data, len))
            return PK_OK;
        if (step == SQLITE_ROW)
            continue;
        if (step != SQLITE_DONE)
            return db_error(s, "cannot read the images of");
        sqlite3_reset(s->add_image);
        sqlite3_bind_blob(s->add_image, 1, data, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(s->add_image, 2, id, -1, SQLITE_TRANSIENT);
        return sqlite3_step(s->add_image) == SQLITE_DONE ? PK_OK : db_error(s, "cannot write a tile to");
    }
}

static int commit_and_begin(struct mbtiles_sink *s)
{
    if (sqlite3_exec(s->db, "COMMIT; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, "cannot commit tiles to");
    s->pending = 0;
    return PK_OK;
}

static int mbtiles_put(struct pk_tile_sink *base, int z, uint32_t x, uint32_t y, const void *data,
                       size_t len)
{
    struct mbtiles_sink *s = as_mbtiles(base);
    int rc = s->png ? pk_tile_check_put_png(base->ctx, z, x, y, data, len)
                    : pk_tile_check_put(base->ctx, z, x, y, data, len);
    if (rc != PK_OK)
        return rc;
    if (len > INT32_MAX)
        return pk_error(base->ctx, PK_ERR_ARGS, "tile %d/%u/%u has %zu bytes", z, x, y, len);
    int has;
    if ((rc = pk_mbtiles_has_tile(base, z, x, y, &has)) != PK_OK)
        return rc;
    if (has)
        return pk_error(base->ctx, PK_ERR_ARGS, "tile %d/%u/%u was written twice", z, x, y);
    char id[64];
    if ((rc = image_id(s, data, len, id, sizeof id)) != PK_OK)
        return rc;
    sqlite3_reset(s->add_map);
    sqlite3_bind_int(s->add_map, 1, z);
    sqlite3_bind_int64(s->add_map, 2, x);
    sqlite3_bind_int64(s->add_map, 3, ((int64_t)1 << z) - 1 - y);
    sqlite3_bind_text(s->add_map, 4, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s->add_map) != SQLITE_DONE)
        return db_error(s, "cannot write a tile to");
    return ++s->pending >= COMMIT_EVERY ? commit_and_begin(s) : PK_OK;
}

static void mbtiles_abort(struct pk_tile_sink *base)
{
    struct mbtiles_sink *s = as_mbtiles(base);
    if (!s)
        return;
    char *tmp = s->tmp;
    s->tmp = NULL;
    close_sink(s);
    if (tmp)
        remove_temp(tmp);
    free(tmp);
}

static int mbtiles_finish(struct pk_tile_sink *base)
{
    struct mbtiles_sink *s = as_mbtiles(base);
    struct pk_ctx *ctx = base->ctx;
    int rc = PK_OK;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(s, "cannot commit tiles to");
    sqlite3_finalize(s->find_image);
    sqlite3_finalize(s->add_image);
    sqlite3_finalize(s->add_map);
    sqlite3_finalize(s->has);
    sqlite3_finalize(s->count);
    s->find_image = s->add_image = s->add_map = s->has = s->count = NULL;
    if (rc == PK_OK && sqlite3_close(s->db) != SQLITE_OK)
        rc = db_error(s, "cannot close");
    else if (rc == PK_OK)
        s->db = NULL;
    if (rc == PK_OK && rename(s->tmp, s->path) != 0)
        rc = pk_error(ctx, PK_ERR_IO, "cannot move '%s' into place: %s", s->tmp, strerror(errno));
    if (rc != PK_OK) {
        mbtiles_abort(base);
        return rc;
    }
    close_sink(s);
    return PK_OK;
}

int pk_mbtiles_has_tile(struct pk_tile_sink *base, int z, uint32_t x, uint32_t y, int *has)
{
    struct mbtiles_sink *s = as_mbtiles(base);
    *has = 0;
    if (!s)
        return PK_ERR_ARGS;
    int rc = pk_tile_check_zxy(base->ctx, z, x, y);
    if (rc != PK_OK)
        return rc;
    sqlite3_reset(s->has);
    sqlite3_bind_int(s->has, 1, z);
    sqlite3_bind_int64(s->has, 2, x);
    sqlite3_bind_int64(s->has, 3, ((int64_t)1 << z) - 1 - y);
    int step = sqlite3_step(s->has);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_error(s, "cannot read the tiles of");
    *has = step == SQLITE_ROW;
    return PK_OK;
}

int pk_mbtiles_count(struct pk_tile_sink *base, long long *count)
{
    struct mbtiles_sink *s = as_mbtiles(base);
    *count = 0;
    if (!s)
        return PK_ERR_ARGS;
    sqlite3_reset(s->count);
    if (sqlite3_step(s->count) != SQLITE_ROW)
        return db_error(s, "cannot count the tiles of");
    *count = sqlite3_column_int64(s->count, 0);
    return PK_OK;
}

int pk_mbtiles_each_tile(struct pk_tile_sink *base, int (*fn)(int z, uint32_t x, uint32_t y, void *arg),
                         void *arg)
{
    struct mbtiles_sink *s = as_mbtiles(base);
    sqlite3_stmt *st = NULL;
    if (!s)
        return PK_ERR_ARGS;
    if (sqlite3_prepare_v2(s->db, "SELECT zoom_level, tile_column, tile_row FROM map"
                                  " ORDER BY zoom_level, tile_column, tile_row", -1, &st, NULL) != SQLITE_OK)
        return db_error(s, "cannot read the tiles of");
    int rc = PK_OK, step;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int z = sqlite3_column_int(st, 0);
        int64_t row = sqlite3_column_int64(st, 2), x = sqlite3_column_int64(st, 1);
        if (z < 0 || z > 30 || x < 0 || x >= ((int64_t)1 << z) || row < 0 || row >= ((int64_t)1 << z))
            rc = pk_error(base->ctx, PK_ERR_DATA, "'%s' has a tile %d/%lld/%lld that is not one", s->tmp, z,
                          (long long)x, (long long)row);
        else if (fn(z, (uint32_t)x, (uint32_t)(((int64_t)1 << z) - 1 - row), arg) != 0)
            rc = PK_ERR_CANCELLED;
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = db_error(s, "cannot read the tiles of");
    sqlite3_finalize(st);
    return rc;
}

int pk_mbtiles_checkpoint(struct pk_tile_sink *base)
{
    struct mbtiles_sink *s = as_mbtiles(base);
    return s ? commit_and_begin(s) : PK_ERR_ARGS;
}

const struct pk_tile_sink_ops pk_tile_mbtiles_ops = {
    .format = "mbtiles",
    .open = mbtiles_open,
    .put = mbtiles_put,
    .finish = mbtiles_finish,
    .abort = mbtiles_abort,
};
