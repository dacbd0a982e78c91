/* tile_buf_int.h — a growable byte buffer with the protobuf wire primitives
 * (varints, zigzag, tags, fixed64) and gzip, shared by the vector tile
 * encoder and the tile containers. */
#ifndef PLANKIT_TILE_BUF_INT_H
#define PLANKIT_TILE_BUF_INT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes data[0..len) of cap allocated. Zero-initialise; free with
 * pk_tbuf_free. After an allocation failure the buffer keeps failing (oom is
 * set), so a sequence of appends can be checked once at the end. */
struct pk_tbuf {
    uint8_t *data;
    size_t len, cap;
    int oom;
};

/* Protobuf wire types. */
enum { PK_PB_VARINT = 0, PK_PB_FIXED64 = 1, PK_PB_BYTES = 2, PK_PB_FIXED32 = 5 };

void pk_tbuf_free(struct pk_tbuf *b);
/* Make room for n more bytes. Returns 0, or -1 when out of memory (oom set). */
int pk_tbuf_reserve(struct pk_tbuf *b, size_t n);
void pk_tbuf_append(struct pk_tbuf *b, const void *p, size_t n);
void pk_tbuf_varint(struct pk_tbuf *b, uint64_t v);
/* Field key: (field << 3) | wire type. */
void pk_tbuf_tag(struct pk_tbuf *b, uint32_t field, int wire_type);
/* A length-delimited field: tag, length, bytes. */
void pk_tbuf_bytes_field(struct pk_tbuf *b, uint32_t field, const void *p, size_t n);
void pk_tbuf_varint_field(struct pk_tbuf *b, uint32_t field, uint64_t v);
void pk_tbuf_fixed64_le(struct pk_tbuf *b, uint64_t v);
void pk_tbuf_u32_le(struct pk_tbuf *b, uint32_t v);

static inline uint32_t pk_zigzag32(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }
static inline uint64_t pk_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

/* 64-bit FNV-1a hash of p[0..n) (for deduplication tables; compare the
 * bytes on a match). */
uint64_t pk_hash64(const void *p, size_t n);

/* Bytes in the varint encoding of v (1..10). */
int pk_varint_size(uint64_t v);

/* gzip (RFC 1952, zlib level 6) src[0..n) into *out (reset first).
 * Returns 0, or -1 out of memory / zlib failure. Caller owns out. */
int pk_gzip(const void *src, size_t n, struct pk_tbuf *out);
/* Inflate gzip data into *out (reset first). Returns 0, or -1 when the data
 * is not gzip or is damaged, or memory runs out. Caller owns out. */
int pk_gunzip(const void *src, size_t n, struct pk_tbuf *out);

#endif
