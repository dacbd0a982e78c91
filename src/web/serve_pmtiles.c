/* serve_pmtiles.c — reading one tile out of a PMTiles v3 archive for the
 * tile server: the header, the root directory and leaf directories
 * (varint-coded, gzip or uncompressed), the Hilbert tile id of z/x/y
 * (pk_pmtiles_tile_id of the PMTiles sink). Reads with pread only, so one
 * reader may serve any thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tile_buf_int.h"
#include "tile_sink_int.h"
#include "webmap_int.h"

#define HEADER_LEN 127
#define MAX_DIR_BYTES (64u << 20) /* a directory larger than this is damage */
#define MAX_DEPTH 4               /* root + leaves; the spec needs at most 3 */

enum { COMPRESSION_NONE = 1, COMPRESSION_GZIP = 2 };

struct pk_pmreader {
    int fd;
    uint64_t root_off, root_len, leaf_off, leaf_len, data_off, data_len;
    int internal_compression;
};

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int pk_pmreader_open(struct pk_ctx *ctx, const char *path, struct pk_pmreader **out)
{
    uint8_t h[HEADER_LEN];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pk_error(ctx, PK_ERR_NOTFOUND, "%s: %s", path, strerror(errno));
    struct pk_pmreader *r = NULL;
    if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h, "PMTiles", 7) || h[7] != 3) {
        close(fd);
        return pk_error(ctx, PK_ERR_DATA, "%s: not a PMTiles v3 file", path);
    }
    if (!(r = calloc(1, sizeof *r))) {
        close(fd);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    *r = (struct pk_pmreader){fd, get_u64(h + 8), get_u64(h + 16), get_u64(h + 40), get_u64(h + 48),
                                    get_u64(h + 56), get_u64(h + 64), h[97]};
    if ((r->internal_compression != COMPRESSION_NONE && r->internal_compression != COMPRESSION_GZIP) ||
        r->root_len == 0 || r->root_len > MAX_DIR_BYTES) {
        pk_pmreader_close(r);
        return pk_error(ctx, PK_ERR_DATA, "%s: a PMTiles directory this server cannot read", path);
    }
    *out = r;
    return PK_OK;
}

void pk_pmreader_close(struct pk_pmreader *r)
{
    if (!r)
        return;
    close(r->fd);
    free(r);
}

/* Read len bytes at off into a new buffer (caller frees); NULL on failure. */
static uint8_t *read_at(const struct pk_pmreader *r, uint64_t off, uint64_t len)
{
    uint8_t *buf = len && len <= MAX_DIR_BYTES ? malloc(len) : NULL;
    if (buf && pread(r->fd, buf, len, (off_t)off) != (ssize_t)len) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

struct entry {
    uint64_t tile_id, offset, length, run_length;
};

/* The entry of directory dir[0..n) for id: the last with tile_id <= id.
 * Returns 1 with *e set, 0 when there is none, -1 when the bytes are bad. */
static int find_entry(const uint8_t *p, const uint8_t *end, uint64_t id, struct entry *e)
{
    uint64_t n, v;
    if (get_varint(&p, end, &n) || n == 0 || n > (uint64_t)(end - p))
        return -1;
    struct entry *all = calloc(n, sizeof *all);
    if (!all)
        return -1;
    int bad = 0;
    for (uint64_t i = 0, last = 0; i < n && !bad; i++)
        if (!(bad = get_varint(&p, end, &v)))
            all[i].tile_id = last += v;
    for (int field = 0; field < 3; field++)
        for (uint64_t i = 0; i < n && !bad; i++)
            if (!(bad = get_varint(&p, end, &v))) {
                if (field == 0)
                    all[i].run_length = v;
                else if (field == 1)
                    all[i].length = v;
                else
                    all[i].offset = v == 0 && i > 0 ? all[i - 1].offset + all[i - 1].length : v - 1;
            }
    int found = 0;
    for (uint64_t i = n; !bad && i-- > 0;)
        if (all[i].tile_id <= id) {
            *e = all[i];
            found = 1;
            break;
        }
    free(all);
    return bad ? -1 : found;
}

/* Directory bytes at off/len (inflated). Caller frees *dir with pk_tbuf_free. */
static int read_dir(const struct pk_pmreader *r, uint64_t off, uint64_t len, struct pk_tbuf *dir)
{
    uint8_t *raw = read_at(r, off, len);
    if (!raw)
        return -1;
    int rc = 0;
    if (r->internal_compression == COMPRESSION_GZIP) {
        rc = pk_gunzip(raw, len, dir);
        free(raw);
    } else {
        dir->data = raw;
        dir->len = dir->cap = len;
    }
    return rc;
}

int pk_pmreader_tile(const struct pk_pmreader *r, int z, uint32_t x, uint32_t y, char **data, size_t *len)
{
    uint64_t id = pk_pmtiles_tile_id(z, x, y), off = r->root_off, dlen = r->root_len;
    *data = NULL;
    *len = 0;
    for (int depth = 0; depth < MAX_DEPTH; depth++) {
        struct pk_tbuf dir = {0};
        struct entry e;
        int found = read_dir(r, off, dlen, &dir) ? -1 : find_entry(dir.data, dir.data + dir.len, id, &e);
        pk_tbuf_free(&dir);
        if (found <= 0)
            return found;
        if (e.run_length > 0) {
            if (id >= e.tile_id + e.run_length)
                return 0;
            if (e.length == 0 || e.length > MAX_DIR_BYTES || e.offset + e.length > r->data_len)
                return -1;
            *data = (char *)read_at(r, r->data_off + e.offset, e.length);
            *len = *data ? e.length : 0;
            return *data ? 1 : -1;
        }
        if (e.offset + e.length > r->leaf_len)
            return -1;
        off = r->leaf_off + e.offset;
        dlen = e.length;
    }
    return -1;
}
