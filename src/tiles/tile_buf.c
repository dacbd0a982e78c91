/* tile_buf.c — the growable byte buffer, protobuf wire primitives and gzip
 * used by the vector tile encoder and the tile containers. */
#include "tile_buf_int.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void pk_tbuf_free(struct pk_tbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

int pk_tbuf_reserve(struct pk_tbuf *b, size_t n)
{
    if (b->oom)
        return -1;
    if (b->cap - b->len >= n)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void pk_tbuf_append(struct pk_tbuf *b, const void *p, size_t n)
{
    if (n == 0 || pk_tbuf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void pk_tbuf_varint(struct pk_tbuf *b, uint64_t v)
{
    if (pk_tbuf_reserve(b, 10) != 0)
        return;
    while (v >= 0x80) {
        b->data[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->data[b->len++] = (uint8_t)v;
}

uint64_t pk_hash64(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

int pk_varint_size(uint64_t v)
{
    int n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void pk_tbuf_tag(struct pk_tbuf *b, uint32_t field, int wire_type)
{
    pk_tbuf_varint(b, ((uint64_t)field << 3) | (uint64_t)wire_type);
}

void pk_tbuf_bytes_field(struct pk_tbuf *b, uint32_t field, const void *p, size_t n)
{
    pk_tbuf_tag(b, field, PK_PB_BYTES);
    pk_tbuf_varint(b, n);
    pk_tbuf_append(b, p, n);
}

void pk_tbuf_varint_field(struct pk_tbuf *b, uint32_t field, uint64_t v)
{
    pk_tbuf_tag(b, field, PK_PB_VARINT);
    pk_tbuf_varint(b, v);
}

void pk_tbuf_fixed64_le(struct pk_tbuf *b, uint64_t v)
{
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++)
        bytes[i] = (uint8_t)(v >> (8 * i));
    pk_tbuf_append(b, bytes, 8);
}

void pk_tbuf_u32_le(struct pk_tbuf *b, uint32_t v)
{
    uint8_t bytes[4];
    for (int i = 0; i < 4; i++)
        bytes[i] = (uint8_t)(v >> (8 * i));
    pk_tbuf_append(b, bytes, 4);
}

/* Run zlib over src with the stream already initialised; out grows. */
static int run_zlib(z_stream *zs, int deflating, const void *src, size_t n, struct pk_tbuf *out)
{
    zs->next_in = (Bytef *)(uintptr_t)src;
    zs->avail_in = (uInt)n;
    int zrc;
    do {
        if (pk_tbuf_reserve(out, 16384) != 0)
            return -1;
        zs->next_out = out->data + out->len;
        zs->avail_out = (uInt)(out->cap - out->len);
        zrc = deflating ? deflate(zs, Z_FINISH) : inflate(zs, Z_NO_FLUSH);
        out->len = out->cap - zs->avail_out;
        if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
            return -1;
        if (!deflating && zrc == Z_BUF_ERROR && zs->avail_in == 0)
            return -1; /* truncated input */
    } while (zrc != Z_STREAM_END);
    return 0;
}

int pk_gzip(const void *src, size_t n, struct pk_tbuf *out)
{
    out->len = 0;
    if (n > UINT32_MAX)
        return -1;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    int rc = run_zlib(&zs, 1, src, n, out);
    deflateEnd(&zs);
    return rc;
}

int pk_gunzip(const void *src, size_t n, struct pk_tbuf *out)
{
    out->len = 0;
    if (n > UINT32_MAX)
        return -1;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return -1;
    int rc = run_zlib(&zs, 0, src, n, out);
    inflateEnd(&zs);
    return rc;
}
