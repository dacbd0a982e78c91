/* test_tile_sink.c — the tile containers: each sink writes under a
 * temporary name (the destination appears only at finish), abort leaves
 * the folder as it was, an existing destination is refused; MBTiles read
 * back with SQLite (metadata, TMS rows, deduplicated images, the tiles
 * view, resume after a process died); PMTiles tile ids against the spec's
 * table, the header, run-length entries and leaf directories read back by
 * a small decoder here; the folder's z/x/y.pbf files and tiles.json. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plankit/ctx.h"
#include "tile_buf_int.h"
#include "tile_sink_int.h"
#include "fixture.h"

static struct pk_ctx *CTX;
static char DIRNAME[256];

static const struct pk_tile_field FIELDS[] = {{"name", "String"}, {"rank", "Number"}};
static const struct pk_tile_layer_meta LAYERS[] = {{"towns", "镇", FIELDS, 2, 0, 10}};
static const struct pk_tile_meta META = {
    .name = "昆山 test", .description = "unit test", .attribution = "plankit",
    .bounds = {120.7, 31.1, 121.2, 31.6}, .center = {120.95, 31.35, 8},
    .minzoom = 0, .maxzoom = 10, .layers = LAYERS, .nlayers = 1,
};

static struct fixture FX; /* a folder and a context (no store) */

static int setup(void **state)
{
    (void)state;
    if (fx_open(&FX, "tile-sink", NULL) != 0)
        return -1;
    CTX = FX.ctx;
    snprintf(DIRNAME, sizeof DIRNAME, "%s", FX.dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_close(&FX);
    return 0;
}

/* Entries in DIRNAME (not . or ..). */
static int count_entries(char names[][256], int cap)
{
    DIR *d = opendir(DIRNAME);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            if (n < cap)
                snprintf(names[n], 256, "%s", e->d_name);
            n++;
        }
    closedir(d);
    return n;
}

/* gzip of a small distinct payload. */
static void gz_of(const char *text, struct pk_tbuf *out)
{
    assert_int_equal(pk_gzip(text, strlen(text), out), 0);
}

/* For every sink: temp name while writing, nothing after abort, the
 * destination after finish, refused when it exists. */
static void test_temp_name_abort_finish(void **state)
{
    (void)state;
    const struct pk_tile_sink_ops *all[] = {&pk_tile_mbtiles_ops, &pk_tile_pmtiles_ops, &pk_tile_dir_ops};
    const char *names[] = {"out.mbtiles", "out.pmtiles", "out-tiles"};
    struct pk_tbuf gz = {0};
    gz_of("tile", &gz);
    for (int i = 0; i < 3; i++) {
        char path[512], listing[8][256];
        snprintf(path, sizeof path, "%s/%s", DIRNAME, names[i]);
        assert_ptr_equal(pk_tile_sink_for_path(path), all[i]);
        for (int finish = 0; finish < 2; finish++) {
            struct pk_tile_sink *s;
            assert_int_equal(all[i]->open(CTX, path, &META, &s), PK_OK);
            assert_int_equal(all[i]->put(s, 0, 0, 0, gz.data, gz.len), PK_OK);
            assert_int_equal(all[i]->put(s, 1, 2, 0, gz.data, gz.len), PK_ERR_ARGS);
            assert_int_equal(all[i]->put(s, 0, 0, 0, gz.data, gz.len), PK_ERR_ARGS); /* twice */
            assert_int_equal(all[i]->put(s, 1, 1, 1, "plain bytes, not gzip", 21), PK_ERR_ARGS);
            assert_int_not_equal(access(path, F_OK), 0);
            int n = count_entries(listing, 8);
            assert_true(n >= 1);
            for (int k = 0; k < n && k < 8; k++)
                assert_int_equal(strncmp(listing[k], names[i], strlen(names[i])), 0);
            if (!finish) {
                all[i]->abort(s);
                assert_int_equal(count_entries(listing, 8), 0);
                continue;
            }
            assert_int_equal(all[i]->finish(s), PK_OK);
            assert_int_equal(count_entries(listing, 8), 1);
            assert_string_equal(listing[0], names[i]);
            assert_int_equal(all[i]->open(CTX, path, &META, &s), PK_ERR_EXISTS);
            assert_int_equal(pk_tile_remove_tree(path), 0);
        }
    }
    pk_tbuf_free(&gz);
}

static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static void test_mbtiles_schema(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/schema.mbtiles", DIRNAME);
    struct pk_tbuf a = {0}, b = {0};
    gz_of("tile a", &a);
    gz_of("tile b", &b);
    struct pk_tile_sink *s;
    assert_int_equal(pk_tile_mbtiles_ops.open(CTX, path, &META, &s), PK_OK);
    assert_int_equal(pk_tile_mbtiles_ops.put(s, 1, 0, 0, a.data, a.len), PK_OK);
    assert_int_equal(pk_tile_mbtiles_ops.put(s, 1, 1, 0, a.data, a.len), PK_OK);
    assert_int_equal(pk_tile_mbtiles_ops.put(s, 2, 3, 1, b.data, b.len), PK_OK);
    assert_int_equal(pk_tile_mbtiles_ops.put(s, 2, 3, 1, b.data, b.len), PK_ERR_ARGS);
    int has;
    assert_int_equal(pk_mbtiles_has_tile(s, 2, 3, 1, &has), PK_OK);
    assert_int_equal(has, 1);
    assert_int_equal(pk_mbtiles_has_tile(s, 2, 3, 2, &has), PK_OK);
    assert_int_equal(has, 0);
    assert_int_equal(pk_tile_mbtiles_ops.finish(s), PK_OK);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM images"), 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM map"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM tiles"), 3);
    /* XYZ 2/3/1 is TMS row 4 - 1 - 1 = 2. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM tiles WHERE zoom_level = 2 AND tile_column = 3"
                                   " AND tile_row = 2"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM tiles WHERE zoom_level = 1 AND tile_row = 1"), 2);
    assert_int_equal(query_int(db, "PRAGMA application_id"), 0x4d504258);
    char *v = query_text(db, "SELECT value FROM metadata WHERE name = 'format'");
    assert_string_equal(v, "pbf");
    free(v);
    v = query_text(db, "SELECT value FROM metadata WHERE name = 'name'");
    assert_string_equal(v, "昆山 test");
    free(v);
    v = query_text(db, "SELECT value FROM metadata WHERE name = 'bounds'");
    assert_string_equal(v, "120.7000000,31.1000000,121.2000000,31.6000000");
    free(v);
    v = query_text(db, "SELECT value FROM metadata WHERE name = 'center'");
    assert_string_equal(v, "120.9500000,31.3500000,8");
    free(v);
    assert_int_equal(query_int(db, "SELECT value FROM metadata WHERE name = 'maxzoom'"), 10);
    v = query_text(db, "SELECT value FROM metadata WHERE name = 'json'");
    json_object *j = json_tokener_parse(v), *layers, *l0, *fields, *f;
    assert_non_null(j);
    assert_true(json_object_object_get_ex(j, "vector_layers", &layers));
    l0 = json_object_array_get_idx(layers, 0);
    assert_true(json_object_object_get_ex(l0, "fields", &fields));
    assert_true(json_object_object_get_ex(fields, "rank", &f));
    assert_string_equal(json_object_get_string(f), "Number");
    json_object_put(j);
    free(v);
    /* The stored bytes are the gzipped tile as given. */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT tile_data FROM tiles WHERE zoom_level = 2", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 0), (int)b.len);
    assert_memory_equal(sqlite3_column_blob(st, 0), b.data, b.len);
    sqlite3_finalize(st);
    sqlite3_close(db);
    pk_tbuf_free(&a);
    pk_tbuf_free(&b);
}

struct listed {
    int n, z[8];
    uint32_t x[8], y[8];
};

static int list_tile(int z, uint32_t x, uint32_t y, void *arg)
{
    struct listed *l = arg;
    if (l->n == 8)
        return 1;
    l->z[l->n] = z;
    l->x[l->n] = x;
    l->y[l->n] = y;
    l->n++;
    return 0;
}

/* A child writes 3 tiles, checkpoints, writes a 4th and dies; the parent
 * resumes: the 3 are there, the 4th is not, and finishing gives a file. */
static void test_mbtiles_resume(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/resume.mbtiles", DIRNAME);
    struct pk_tile_sink *s;
    assert_int_equal(pk_mbtiles_resume(CTX, path, &META, &s), PK_ERR_NOTFOUND);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct pk_tbuf gz = {0};
        gz_of("child", &gz);
        int ok = pk_tile_mbtiles_ops.open(CTX, path, &META, &s) == PK_OK;
        for (uint32_t x = 0; ok && x < 3; x++)
            ok = pk_tile_mbtiles_ops.put(s, 2, x, 0, gz.data, gz.len) == PK_OK;
        ok = ok && pk_mbtiles_checkpoint(s) == PK_OK;
        ok = ok && pk_tile_mbtiles_ops.put(s, 2, 3, 0, gz.data, gz.len) == PK_OK;
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *tmp = pk_mbtiles_temp_path(path);
    assert_int_equal(access(tmp, F_OK), 0);
    assert_int_equal(pk_mbtiles_resume(CTX, path, &META, &s), PK_OK);
    long long n;
    int has;
    assert_int_equal(pk_mbtiles_count(s, &n), PK_OK);
    assert_int_equal(n, 3);
    assert_int_equal(pk_mbtiles_has_tile(s, 2, 2, 0, &has), PK_OK);
    assert_int_equal(has, 1);
    assert_int_equal(pk_mbtiles_has_tile(s, 2, 3, 0, &has), PK_OK);
    assert_int_equal(has, 0);
    /* While this sink writes it, neither a fresh open nor a resume may take it. */
    struct pk_tile_sink *other;
    assert_int_equal(pk_tile_mbtiles_ops.open(CTX, path, &META, &other), PK_ERR_EXISTS);
    assert_int_equal(pk_mbtiles_resume(CTX, path, &META, &other), PK_ERR_EXISTS);
    assert_int_equal(access(tmp, F_OK), 0);
    struct listed seen = {0};
    assert_int_equal(pk_mbtiles_each_tile(s, list_tile, &seen), PK_OK);
    assert_int_equal(seen.n, 3);
    for (int i = 0; i < 3; i++)
        assert_true(seen.z[i] == 2 && seen.x[i] == (uint32_t)i && seen.y[i] == 0);
    struct pk_tbuf gz = {0};
    gz_of("parent", &gz);
    assert_int_equal(pk_tile_mbtiles_ops.put(s, 2, 3, 0, gz.data, gz.len), PK_OK);
    assert_int_equal(pk_tile_mbtiles_ops.finish(s), PK_OK);
    assert_int_not_equal(access(tmp, F_OK), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM tiles WHERE zoom_level = 2"), 4);
    assert_int_equal(query_int(db, "SELECT count(*) FROM images"), 2);
    sqlite3_close(db);
    free(tmp);
    pk_tbuf_free(&gz);
}

static void test_pmtiles_tile_ids(void **state)
{
    (void)state;
    assert_int_equal(pk_pmtiles_tile_id(0, 0, 0), 0);
    assert_int_equal(pk_pmtiles_tile_id(1, 0, 0), 1);
    assert_int_equal(pk_pmtiles_tile_id(1, 0, 1), 2);
    assert_int_equal(pk_pmtiles_tile_id(1, 1, 1), 3);
    assert_int_equal(pk_pmtiles_tile_id(1, 1, 0), 4);
    assert_int_equal(pk_pmtiles_tile_id(2, 0, 0), 5);
    assert_int_equal(pk_pmtiles_tile_id(12, 3423, 1763), 19078479);
    /* Every id of a zoom is used once: z3 covers 21 .. 84. */
    int seen[64] = {0};
    for (uint32_t x = 0; x < 8; x++)
        for (uint32_t y = 0; y < 8; y++) {
            uint64_t id = pk_pmtiles_tile_id(3, x, y);
            assert_true(id >= 21 && id < 85);
            seen[id - 21]++;
        }
    for (int i = 0; i < 64; i++)
        assert_int_equal(seen[i], 1);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t read_varint(const uint8_t **p)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
}

struct entry {
    uint64_t id, off, len, run;
};

/* Decode a gzipped directory into e (cap entries); returns the count. */
static size_t decode_dir(const uint8_t *gz, size_t len, struct entry *e, size_t cap)
{
    struct pk_tbuf raw = {0};
    assert_int_equal(pk_gunzip(gz, len, &raw), 0);
    const uint8_t *p = raw.data;
    size_t n = read_varint(&p);
    assert_true(n <= cap);
    uint64_t id = 0;
    for (size_t i = 0; i < n; i++)
        e[i].id = id += read_varint(&p);
    for (size_t i = 0; i < n; i++)
        e[i].run = read_varint(&p);
    for (size_t i = 0; i < n; i++)
        e[i].len = read_varint(&p);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = read_varint(&p);
        e[i].off = v ? v - 1 : e[i - 1].off + e[i - 1].len;
    }
    assert_ptr_equal(p, raw.data + raw.len);
    pk_tbuf_free(&raw);
    return n;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*len);
    assert_int_equal(fread(p, 1, *len, f), *len);
    fclose(f);
    return p;
}

/* Six tiles: 1/0/0, 1/0/1 and 1/1/1 share one blob (ids 1..3: one entry
 * of run 3), 1/1/0 differs, 2/0/0 repeats the first blob. */
static void test_pmtiles_header_and_runs(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/runs.pmtiles", DIRNAME);
    struct pk_tbuf a = {0}, b = {0};
    gz_of("same", &a);
    gz_of("other", &b);
    struct pk_tile_sink *s;
    assert_int_equal(pk_tile_pmtiles_ops.open(CTX, path, &META, &s), PK_OK);
    assert_int_equal(pk_tile_pmtiles_ops.put(s, 2, 0, 0, a.data, a.len), PK_OK);
    assert_int_equal(pk_tile_pmtiles_ops.put(s, 1, 1, 1, a.data, a.len), PK_OK);
    assert_int_equal(pk_tile_pmtiles_ops.put(s, 1, 0, 0, a.data, a.len), PK_OK);
    assert_int_equal(pk_tile_pmtiles_ops.put(s, 1, 1, 0, b.data, b.len), PK_OK);
    assert_int_equal(pk_tile_pmtiles_ops.put(s, 1, 0, 1, a.data, a.len), PK_OK);
    assert_int_equal(pk_tile_pmtiles_ops.finish(s), PK_OK);
    size_t len;
    uint8_t *f = read_file(path, &len);
    assert_memory_equal(f, "PMTiles\x03", 8);
    assert_int_equal(le64(f + 8), 127);
    uint64_t root_len = le64(f + 16), data_off = le64(f + 56), data_len = le64(f + 64);
    assert_int_equal(le64(f + 48), 0);               /* no leaves */
    assert_int_equal(data_len, a.len + b.len);
    assert_int_equal(data_off + data_len, len);
    assert_int_equal(le64(f + 72), 5);               /* addressed tiles */
    assert_int_equal(le64(f + 80), 3);               /* entries */
    assert_int_equal(le64(f + 88), 2);               /* contents */
    assert_int_equal(f[96], 1);
    assert_int_equal(f[97], 2);
    assert_int_equal(f[98], 2);
    assert_int_equal(f[99], 1);
    assert_int_equal(f[100], 0);
    assert_int_equal(f[101], 10);
    assert_int_equal(f[118], 8);
    int32_t lon = (int32_t)(f[102] | f[103] << 8 | f[104] << 16 | (uint32_t)f[105] << 24);
    assert_int_equal(lon, 1207000000);
    struct entry e[8];
    assert_int_equal(decode_dir(f + 127, root_len, e, 8), 3);
    assert_true(e[0].id == 1 && e[0].run == 3 && e[0].off == 0 && e[0].len == a.len);
    assert_true(e[1].id == 4 && e[1].run == 1 && e[1].off == a.len && e[1].len == b.len);
    assert_true(e[2].id == 5 && e[2].run == 1 && e[2].off == 0);
    assert_memory_equal(f + data_off, a.data, a.len);
    assert_memory_equal(f + data_off + a.len, b.data, b.len);
    /* The metadata: gzipped JSON with vector_layers. */
    struct pk_tbuf meta = {0};
    assert_int_equal(pk_gunzip(f + le64(f + 24), le64(f + 32), &meta), 0);
    pk_tbuf_append(&meta, "", 1);
    assert_non_null(strstr((const char *)meta.data, "\"vector_layers\""));
    pk_tbuf_free(&meta);
    free(f);
    pk_tbuf_free(&a);
    pk_tbuf_free(&b);
}

/* About half of the 87381 tiles of z0..z8, of varied lengths: the root
 * would pass 16 KiB, so there are leaves. */
static void test_pmtiles_leaves(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/leaves.pmtiles", DIRNAME);
    struct pk_tile_sink *s;
    struct pk_tbuf gz = {0};
    char text[64];
    assert_int_equal(pk_tile_pmtiles_ops.open(CTX, path, &META, &s), PK_OK);
    for (int z = 0; z <= 8; z++)
        for (uint32_t x = 0; x < (1u << z); x++)
            for (uint32_t y = 0; y < (1u << z); y++) {
                uint32_t h = (x * 2654435761u) ^ (y * 40503u) ^ ((uint32_t)z * 97u);
                h ^= h >> 13;
                h *= 0x5bd1e995u;
                h ^= h >> 15;
                int pad = (int)(h % 40);
                if (h & 0x10000u && !(z == 7 && x == 100 && y == 50))
                    continue;
                snprintf(text, sizeof text, "%d/%u/%u%.*s", z, x, y, pad,
                         "........................................");
                gz_of(text, &gz);
                assert_int_equal(pk_tile_pmtiles_ops.put(s, z, x, y, gz.data, gz.len), PK_OK);
            }
    assert_int_equal(pk_tile_pmtiles_ops.finish(s), PK_OK);
    size_t len;
    uint8_t *f = read_file(path, &len);
    uint64_t root_len = le64(f + 16), leaves_off = le64(f + 40), leaves_len = le64(f + 48);
    assert_true(leaves_len > 0);
    assert_true(127 + root_len <= 16384);
    static struct entry root[256], leaf[65536];
    size_t nroot = decode_dir(f + 127, root_len, root, 256);
    assert_true(nroot > 1);
    /* Find 7/100/50 through the root and its leaf. */
    uint64_t want = pk_pmtiles_tile_id(7, 100, 50);
    size_t k = 0;
    while (k + 1 < nroot && root[k + 1].id <= want)
        k++;
    assert_int_equal(root[k].run, 0);
    size_t nleaf = decode_dir(f + leaves_off + root[k].off, root[k].len, leaf, 65536);
    int found = 0;
    struct pk_tbuf raw = {0};
    for (size_t i = 0; i < nleaf; i++)
        if (leaf[i].id == want) {
            assert_int_equal(pk_gunzip(f + le64(f + 56) + leaf[i].off, leaf[i].len, &raw), 0);
            assert_true(raw.len >= strlen("7/100/50."));
            assert_memory_equal(raw.data, "7/100/50", 8);
            assert_true(raw.data[8] == '.' || raw.len == 8);
            found = 1;
        }
    assert_true(found);
    pk_tbuf_free(&raw);
    pk_tbuf_free(&gz);
    free(f);
}

static void test_dir_sink(void **state)
{
    (void)state;
    char path[512], file[600];
    snprintf(path, sizeof path, "%s/xyz", DIRNAME);
    struct pk_tbuf gz = {0};
    gz_of("raw tile bytes", &gz);
    struct pk_tile_sink *s;
    assert_int_equal(pk_tile_dir_ops.open(CTX, path, &META, &s), PK_OK);
    assert_int_equal(pk_tile_dir_ops.put(s, 3, 6, 2, gz.data, gz.len), PK_OK);
    assert_int_equal(pk_tile_dir_ops.put(s, 3, 6, 2, gz.data, gz.len), PK_ERR_ARGS);
    assert_int_equal(pk_tile_dir_ops.put(s, 3, 6, 3, "not gzip", 8), PK_ERR_ARGS);
    assert_int_equal(pk_tile_dir_ops.finish(s), PK_OK);
    snprintf(file, sizeof file, "%s/3/6/2.pbf", path);
    size_t len;
    uint8_t *p = read_file(file, &len);
    assert_int_equal(len, strlen("raw tile bytes"));
    assert_memory_equal(p, "raw tile bytes", len);
    free(p);
    snprintf(file, sizeof file, "%s/tiles.json", path);
    json_object *j = json_object_from_file(file), *v;
    assert_non_null(j);
    assert_true(json_object_object_get_ex(j, "tilejson", &v));
    assert_string_equal(json_object_get_string(v), "3.0.0");
    assert_true(json_object_object_get_ex(j, "tiles", &v));
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "{z}/{x}/{y}.pbf");
    assert_true(json_object_object_get_ex(j, "vector_layers", &v));
    assert_int_equal(json_object_array_length(v), 1);
    json_object_put(j);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    pk_tbuf_free(&gz);
}

static void test_bad_metadata(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/bad.mbtiles", DIRNAME);
    struct pk_tile_meta m = META;
    m.minzoom = 12;
    struct pk_tile_sink *s;
    assert_int_equal(pk_tile_mbtiles_ops.open(CTX, path, &m, &s), PK_ERR_ARGS);
    m = META;
    m.bounds[0] = 200;
    assert_int_equal(pk_tile_pmtiles_ops.open(CTX, path, &m, &s), PK_ERR_ARGS);
    char listing[16][256];
    int n = count_entries(listing, 16);
    assert_true(n <= 16);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(strncmp(listing[i], "bad", 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temp_name_abort_finish),
        cmocka_unit_test(test_mbtiles_schema),
        cmocka_unit_test(test_mbtiles_resume),
        cmocka_unit_test(test_pmtiles_tile_ids),
        cmocka_unit_test(test_pmtiles_header_and_runs),
        cmocka_unit_test(test_pmtiles_leaves),
        cmocka_unit_test(test_dir_sink),
        cmocka_unit_test(test_bad_metadata),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
