/* tile_pmtiles.c — the PMTiles v3 tile sink: one file with the 127-byte
 * header, a gzipped root directory (with gzipped leaf directories when the
 * root would pass 16 KiB), gzipped JSON metadata and the tile data,
 * clustered (blobs in tile id order) and deduplicated (identical tiles
 * share one blob; runs of consecutive tile ids with one blob are one
 * run-length entry). Tiles are kept in an unlinked scratch file until
 * finish lays the archive out in "<path>.tmp-XXXXXX" and renames it. */
#include "tile_sink_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tile_buf_int.h"

#define HEADER_LEN 127
#define ROOT_MAX (16384 - HEADER_LEN)

struct blob {
    uint64_t tmp_off, final_off; /* in the scratch file; in the data section (UINT64_MAX: not yet) */
    uint32_t len;
    uint64_t hash;
};

struct tile {
    uint64_t id;
    size_t blob;
};

struct dir_entry {
    uint64_t tile_id, offset, length, run_length;
};

struct pm_sink {
    struct pk_tile_sink base;
    char *path, *tmp;
    int out_fd, scratch_fd;
    uint64_t scratch_len;
    struct tile *tiles;
    size_t ntiles, cap_tiles;
    struct blob *blobs;
    size_t nblobs, cap_blobs;
    uint32_t *slots;             /* blob hash index: blob + 1, 0 = empty */
    size_t nslots;
    uint64_t *ids;               /* set of tile ids put: id + 1, 0 = empty */
    size_t nids_slots;
    struct pk_tbuf cmp;          /* a blob read back for comparison */
    char *meta_json;
    int minzoom, maxzoom;
    double bounds[4], center[3];
    int png;                     /* PNG images, stored uncompressed; else gzipped MVT */
};

uint64_t pk_pmtiles_tile_id(int z, uint32_t x, uint32_t y)
{
    uint64_t id = ((1ull << (2 * z)) - 1) / 3; /* tiles of zooms 0 .. z-1 */
    uint64_t n = 1ull << z, tx = x, ty = y, d = 0;
    for (uint64_t s = n / 2; s > 0; s /= 2) {
        uint64_t rx = (tx & s) ? 1 : 0, ry = (ty & s) ? 1 : 0;
        d += s * s * ((3 * rx) ^ ry);
        if (ry == 0) {
            if (rx == 1) {
                tx = n - 1 - tx;
                ty = n - 1 - ty;
            }
            uint64_t t = tx;
            tx = ty;
            ty = t;
        }
    }
    return id + d;
}

static void free_sink(struct pm_sink *s)
{
    if (s->out_fd >= 0)
        close(s->out_fd);
    if (s->scratch_fd >= 0)
        close(s->scratch_fd);
    free(s->path);
    free(s->tmp);
    free(s->tiles);
    free(s->blobs);
    free(s->slots);
    free(s->ids);
    pk_tbuf_free(&s->cmp);
    free(s->meta_json);
    free(s);
}

/* An unlinked scratch file beside path: it disappears with the process. */
static int open_scratch(struct pm_sink *s)
{
    size_t n = strlen(s->path) + sizeof ".scratch-XXXXXX";
    char *name = malloc(n);
    if (!name)
        return pk_error(s->base.ctx, PK_ERR_NOMEM, "out of memory");
    snprintf(name, n, "%s.scratch-XXXXXX", s->path);
    s->scratch_fd = mkostemp(name, O_CLOEXEC);
    int rc = s->scratch_fd >= 0 ? PK_OK
             : pk_error(s->base.ctx, PK_ERR_IO, "cannot create a file beside '%s': %s", s->path, strerror(errno));
    if (s->scratch_fd >= 0)
        unlink(name);
    free(name);
    return rc;
}

static int pm_open(struct pk_ctx *ctx, const char *path, const struct pk_tile_meta *meta,
                   struct pk_tile_sink **out)
{
    *out = NULL;
    int rc = pk_tile_meta_check(ctx, meta);
    if (rc != PK_OK)
        return rc;
    if (access(path, F_OK) == 0)
        return pk_error(ctx, PK_ERR_EXISTS, "'%s' already exists: remove it first", path);
    struct pm_sink *s = calloc(1, sizeof *s);
    size_t n = strlen(path) + sizeof ".tmp-XXXXXX";
    if (s)
        s->out_fd = s->scratch_fd = -1;
    if (!s || !(s->path = strdup(path)) || !(s->tmp = malloc(n)) ||
        !(s->meta_json = pk_tile_meta_pmtiles_json(meta))) {
        if (s)
            free_sink(s);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    s->base.ops = &pk_tile_pmtiles_ops;
    s->base.ctx = ctx;
    s->minzoom = meta->minzoom;
    s->maxzoom = meta->maxzoom;
    s->png = pk_tile_meta_png(meta);
    memcpy(s->bounds, meta->bounds, sizeof s->bounds);
    memcpy(s->center, meta->center, sizeof s->center);
    snprintf(s->tmp, n, "%s.tmp-XXXXXX", path);
    s->out_fd = mkostemp(s->tmp, O_CLOEXEC);
    if (s->out_fd >= 0)
        (void)fchmod(s->out_fd, 0644); /* mkstemp's 0600 is too strict for a published file */
    if (s->out_fd < 0) {
        rc = pk_error(ctx, PK_ERR_IO, "cannot create a file beside '%s': %s", path, strerror(errno));
        free_sink(s);
        return rc;
    }
    if ((rc = open_scratch(s)) != PK_OK) {
        unlink(s->tmp);
        free_sink(s);
        return rc;
    }
    *out = &s->base;
    return PK_OK;
}

static int write_all(int fd, const void *data, size_t len, uint64_t off)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        off += (uint64_t)w;
        len -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t len, uint64_t off)
{
    uint8_t *p = data;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    return 0;
}

static int grow_index(struct pm_sink *s)
{
    size_t nslots = s->nslots ? 2 * s->nslots : 1024;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t b = 0; b < s->nblobs; b++) {
        size_t i = s->blobs[b].hash & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)(b + 1);
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    return 0;
}

/* The blob holding data: an identical stored one, or a new one appended to
 * the scratch file. *blob = its index. */
static int find_or_add_blob(struct pm_sink *s, const void *data, size_t len, size_t *blob)
{
    struct pk_ctx *ctx = s->base.ctx;
    if (2 * (s->nblobs + 1) > s->nslots && grow_index(s) != 0)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    uint64_t h = pk_hash64(data, len);
    size_t i = h & (s->nslots - 1);
    for (; s->slots[i]; i = (i + 1) & (s->nslots - 1)) {
        const struct blob *b = &s->blobs[s->slots[i] - 1];
        if (b->hash != h || b->len != len)
            continue;
        s->cmp.len = 0;
        if (pk_tbuf_reserve(&s->cmp, len) != 0)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        if (read_all(s->scratch_fd, s->cmp.data, len, b->tmp_off) != 0)
            return pk_error(ctx, PK_ERR_IO, "cannot read back a tile of '%s': %s", s->path, strerror(errno));
        if (memcmp(s->cmp.data, data, len) == 0) {
            *blob = s->slots[i] - 1;
            return PK_OK;
        }
    }
    if (s->nblobs == s->cap_blobs) {
        size_t cap = s->cap_blobs ? 2 * s->cap_blobs : 256;
        struct blob *p = realloc(s->blobs, cap * sizeof *p);
        if (!p)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        s->blobs = p;
        s->cap_blobs = cap;
    }
    if (write_all(s->scratch_fd, data, len, s->scratch_len) != 0)
        return pk_error(ctx, PK_ERR_IO, "cannot write a tile beside '%s': %s", s->path, strerror(errno));
    s->blobs[s->nblobs] = (struct blob){s->scratch_len, UINT64_MAX, (uint32_t)len, h};
    s->slots[i] = (uint32_t)(s->nblobs + 1);
    *blob = s->nblobs++;
    s->scratch_len += len;
    return PK_OK;
}

static size_t id_slot(uint64_t id, size_t nslots)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 17) & (nslots - 1);
}

/* Add id to the set of tiles put; 1 if it was new, 0 if it was there,
 * -1 when out of memory. */
static int remember_id(struct pm_sink *s, uint64_t id)
{
    if (2 * (s->ntiles + 1) > s->nids_slots) {
        size_t n = s->nids_slots ? 2 * s->nids_slots : 1024;
        uint64_t *ids = calloc(n, sizeof *ids);
        if (!ids)
            return -1;
        for (size_t i = 0; i < s->ntiles; i++) {
            size_t k = id_slot(s->tiles[i].id, n);
            while (ids[k])
                k = (k + 1) & (n - 1);
            ids[k] = s->tiles[i].id + 1;
        }
        free(s->ids);
        s->ids = ids;
        s->nids_slots = n;
    }
    size_t k = id_slot(id, s->nids_slots);
    for (; s->ids[k]; k = (k + 1) & (s->nids_slots - 1))
        if (s->ids[k] == id + 1)
            return 0;
    s->ids[k] = id + 1;
    return 1;
}

static int pm_put(struct pk_tile_sink *base, int z, uint32_t x, uint32_t y, const void *data, size_t len)
{
    struct pm_sink *s = (struct pm_sink *)base;
    int rc = s->png ? pk_tile_check_put_png(base->ctx, z, x, y, data, len)
                    : pk_tile_check_put(base->ctx, z, x, y, data, len);
    if (rc != PK_OK)
        return rc;
    if (s->ntiles == s->cap_tiles) {
        size_t cap = s->cap_tiles ? 2 * s->cap_tiles : 1024;
        struct tile *p = realloc(s->tiles, cap * sizeof *p);
        if (!p)
            return pk_error(base->ctx, PK_ERR_NOMEM, "out of memory");
        s->tiles = p;
        s->cap_tiles = cap;
    }
    uint64_t id = pk_pmtiles_tile_id(z, x, y);
    int fresh = remember_id(s, id);
    if (fresh < 0)
        return pk_error(base->ctx, PK_ERR_NOMEM, "out of memory");
    if (!fresh)
        return pk_error(base->ctx, PK_ERR_ARGS, "tile %d/%u/%u was written twice", z, x, y);
    size_t blob = 0;
    if ((rc = find_or_add_blob(s, data, len, &blob)) != PK_OK)
        return rc; /* I/O or memory: the sink is to be aborted */
    s->tiles[s->ntiles++] = (struct tile){id, blob};
    return PK_OK;
}

static void pm_abort(struct pk_tile_sink *base)
{
    struct pm_sink *s = (struct pm_sink *)base;
    if (!s)
        return;
    unlink(s->tmp);
    free_sink(s);
}

static int by_tile_id(const void *a, const void *b)
{
    uint64_t x = ((const struct tile *)a)->id, y = ((const struct tile *)b)->id;
    return x < y ? -1 : x > y;
}

/* Sort the tiles, give each blob its offset in the data section (in order
 * of first use, so the archive is clustered) and merge runs of consecutive
 * ids with one blob. *entries: caller frees. */
static int make_entries(struct pm_sink *s, struct dir_entry **entries, size_t *n, uint64_t *data_len)
{
    qsort(s->tiles, s->ntiles, sizeof *s->tiles, by_tile_id);
    struct dir_entry *e = malloc((s->ntiles ? s->ntiles : 1) * sizeof *e);
    if (!e)
        return pk_error(s->base.ctx, PK_ERR_NOMEM, "out of memory");
    size_t m = 0;
    uint64_t off = 0;
    for (size_t i = 0; i < s->ntiles; i++) {
        struct blob *b = &s->blobs[s->tiles[i].blob];
        if (i > 0 && s->tiles[i].id == s->tiles[i - 1].id) {
            free(e);
            return pk_error(s->base.ctx, PK_ERR_ARGS, "tile id %llu was written twice",
                            (unsigned long long)s->tiles[i].id);
        }
        if (b->final_off == UINT64_MAX) {
            b->final_off = off;
            off += b->len;
        }
        struct dir_entry *last = m ? &e[m - 1] : NULL;
        if (last && last->tile_id + last->run_length == s->tiles[i].id && last->offset == b->final_off &&
            last->length == b->len)
            last->run_length++;
        else
            e[m++] = (struct dir_entry){s->tiles[i].id, b->final_off, b->len, 1};
    }
    *entries = e;
    *n = m;
    *data_len = off;
    return PK_OK;
}

/* Encode entries[0..n) as a directory and gzip it into out. */
static int encode_dir(const struct dir_entry *e, size_t n, struct pk_tbuf *out)
{
    struct pk_tbuf raw = {0};
    pk_tbuf_varint(&raw, n);
    for (size_t i = 0; i < n; i++)
        pk_tbuf_varint(&raw, e[i].tile_id - (i ? e[i - 1].tile_id : 0));
    for (size_t i = 0; i < n; i++)
        pk_tbuf_varint(&raw, e[i].run_length);
    for (size_t i = 0; i < n; i++)
        pk_tbuf_varint(&raw, e[i].length);
    for (size_t i = 0; i < n; i++) {
        int contiguous = i > 0 && e[i].offset == e[i - 1].offset + e[i - 1].length;
        pk_tbuf_varint(&raw, contiguous ? 0 : e[i].offset + 1);
    }
    int rc = raw.oom ? -1 : pk_gzip(raw.data, raw.len, out);
    pk_tbuf_free(&raw);
    return rc;
}

/* Root directory (and leaves, when the root alone would pass ROOT_MAX):
 * leaves of leaf_size entries, doubled until the root fits. */
static int encode_dirs(const struct dir_entry *e, size_t n, struct pk_tbuf *root, struct pk_tbuf *leaves)
{
    leaves->len = 0;
    if (encode_dir(e, n, root) != 0)
        return -1;
    for (size_t leaf_size = 4096; root->len > ROOT_MAX; leaf_size *= 2) {
        size_t nleaves = (n + leaf_size - 1) / leaf_size;
        struct dir_entry *r = malloc(nleaves * sizeof *r);
        struct pk_tbuf one = {0};
        int rc = r ? 0 : -1;
        leaves->len = 0;
        for (size_t k = 0; rc == 0 && k < nleaves; k++) {
            size_t start = k * leaf_size, cnt = n - start < leaf_size ? n - start : leaf_size;
            rc = encode_dir(e + start, cnt, &one);
            r[k] = (struct dir_entry){e[start].tile_id, leaves->len, one.len, 0};
            pk_tbuf_append(leaves, one.data, one.len);
        }
        if (rc == 0)
            rc = leaves->oom ? -1 : encode_dir(r, nleaves, root);
        pk_tbuf_free(&one);
        free(r);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_position(uint8_t *p, double lon, double lat)
{
    int32_t v[2] = {(int32_t)lround(lon * 1e7), (int32_t)lround(lat * 1e7)};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++)
            p[4 * k + i] = (uint8_t)((uint32_t)v[k] >> (8 * i));
}

struct layout {
    uint64_t root_len, meta_len, leaves_len, data_len;
    uint64_t addressed, entries, contents;
};

static void make_header(const struct pm_sink *s, const struct layout *l, uint8_t h[HEADER_LEN])
{
    memset(h, 0, HEADER_LEN);
    memcpy(h, "PMTiles", 7);
    h[7] = 3;
    uint64_t root_off = HEADER_LEN, meta_off = root_off + l->root_len;
    uint64_t leaves_off = meta_off + l->meta_len, data_off = leaves_off + l->leaves_len;
    uint64_t fields[] = {root_off, l->root_len, meta_off, l->meta_len, leaves_off, l->leaves_len,
                         data_off, l->data_len, l->addressed, l->entries, l->contents};
    for (int i = 0; i < 11; i++)
        put_u64(h + 8 + 8 * i, fields[i]);
    h[96] = 1;  /* clustered */
    h[97] = 2;  /* internal compression: gzip */
    h[98] = s->png ? 1 : 2;  /* tile compression: none (PNG) or gzip (MVT) */
    h[99] = s->png ? 2 : 1;  /* tile type: PNG or MVT */
    h[100] = (uint8_t)s->minzoom;
    h[101] = (uint8_t)s->maxzoom;
    put_position(h + 102, s->bounds[0], s->bounds[1]);
    put_position(h + 110, s->bounds[2], s->bounds[3]);
    h[118] = (uint8_t)lround(s->center[2]);
    put_position(h + 119, s->center[0], s->center[1]);
}

/* Copy the blobs from the scratch file to the data section at data_off, in
 * the order make_entries gave them. */
static int copy_blobs(struct pm_sink *s, uint64_t data_off)
{
    uint64_t written = 0;
    for (size_t i = 0; i < s->ntiles; i++) {
        const struct blob *b = &s->blobs[s->tiles[i].blob];
        if (b->final_off != written)
            continue; /* already copied */
        s->cmp.len = 0;
        if (pk_tbuf_reserve(&s->cmp, b->len) != 0)
            return pk_error(s->base.ctx, PK_ERR_NOMEM, "out of memory");
        if (read_all(s->scratch_fd, s->cmp.data, b->len, b->tmp_off) != 0 ||
            write_all(s->out_fd, s->cmp.data, b->len, data_off + written) != 0)
            return pk_error(s->base.ctx, PK_ERR_IO, "cannot write '%s': %s", s->tmp, strerror(errno));
        written += b->len;
    }
    return PK_OK;
}

/* Header, root directory, metadata, leaves and tile data into the temp file. */
static int write_archive(struct pm_sink *s, const struct dir_entry *e, size_t n, uint64_t data_len)
{
    struct pk_tbuf root = {0}, leaves = {0}, meta = {0};
    struct layout l = {0};
    int rc = PK_OK;
    if (encode_dirs(e, n, &root, &leaves) != 0 || pk_gzip(s->meta_json, strlen(s->meta_json), &meta) != 0)
        rc = pk_error(s->base.ctx, PK_ERR_NOMEM, "out of memory");
    l.root_len = root.len;
    l.meta_len = meta.len;
    l.leaves_len = leaves.len;
    l.data_len = data_len;
    l.addressed = s->ntiles;
    l.entries = n;
    l.contents = s->nblobs;
    uint8_t h[HEADER_LEN];
    make_header(s, &l, h);
    uint64_t off = 0;
    const struct pk_tbuf parts[] = {{h, HEADER_LEN, HEADER_LEN, 0}, root, meta, leaves};
    for (size_t i = 0; rc == PK_OK && i < 4; i++) {
        if (parts[i].len && write_all(s->out_fd, parts[i].data, parts[i].len, off) != 0)
            rc = pk_error(s->base.ctx, PK_ERR_IO, "cannot write '%s': %s", s->tmp, strerror(errno));
        off += parts[i].len;
    }
    if (rc == PK_OK)
        rc = copy_blobs(s, off);
    pk_tbuf_free(&root);
    pk_tbuf_free(&leaves);
    pk_tbuf_free(&meta);
    return rc;
}

static int pm_finish(struct pk_tile_sink *base)
{
    struct pm_sink *s = (struct pm_sink *)base;
    struct dir_entry *e = NULL;
    size_t n = 0;
    uint64_t data_len = 0;
    int rc = PK_OK;
    if (s->ntiles == 0)
        rc = pk_error(base->ctx, PK_ERR_ARGS, "'%s' would hold no tile", s->path);
    if (rc == PK_OK)
        rc = make_entries(s, &e, &n, &data_len);
    if (rc == PK_OK)
        rc = write_archive(s, e, n, data_len);
    free(e);
    if (rc == PK_OK) {
        int closed = close(s->out_fd);
        s->out_fd = -1;
        if (closed != 0)
            rc = pk_error(base->ctx, PK_ERR_IO, "cannot write '%s': %s", s->tmp, strerror(errno));
    }
    if (rc == PK_OK && rename(s->tmp, s->path) != 0)
        rc = pk_error(base->ctx, PK_ERR_IO, "cannot move '%s' into place: %s", s->tmp, strerror(errno));
    if (rc != PK_OK) {
        pm_abort(base);
        return rc;
    }
    free_sink(s);
    return PK_OK;
}

const struct pk_tile_sink_ops pk_tile_pmtiles_ops = {
    .format = "pmtiles",
    .open = pm_open,
    .put = pm_put,
    .finish = pm_finish,
    .abort = pm_abort,
};
