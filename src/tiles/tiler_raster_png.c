/* tiler_raster_png.c — PNG encoding of raster tiles with zlib: Cairo's
 * premultiplied ARGB32 pixels of one tile of a block, written as 8-bit RGB
 * when every pixel is opaque (else RGBA, un-premultiplied), each row
 * filtered with Sub or Up (whichever leaves smaller residuals) and
 * deflated with run-length matching, which suits map tiles (large flat
 * areas) and costs a fraction of libpng's adaptive filtering at the
 * default level. The image is the same; only the bytes differ. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "tiler_raster_int.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Append a chunk: length, type, data, CRC of type and data. */
static void put_chunk(struct pk_tbuf *b, const char *type, const uint8_t *data, uint32_t len)
{
    uint8_t head[8], tail[4];
    put_be32(head, len);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(crc32(0, NULL, 0), (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, len);
    put_be32(tail, (uint32_t)crc);
    pk_tbuf_append(b, head, 8);
    if (len)
        pk_tbuf_append(b, data, len);
    pk_tbuf_append(b, tail, 4);
}

static int all_opaque(const unsigned char *px, int side, int stride)
{
    for (int y = 0; y < side; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(px + (size_t)y * stride);
        for (int x = 0; x < side; x++)
            if ((row[x] >> 24) != 0xff)
                return 0;
    }
    return 1;
}

/* Row y of the tile as RGB or RGBA bytes (un-premultiplied) into out. */
static void unpack_row(const unsigned char *px, int stride, int side, int y, int bpp, uint8_t *out)
{
    const uint32_t *row = (const uint32_t *)(const void *)(px + (size_t)y * stride);
    for (int x = 0; x < side; x++, out += bpp) {
        uint32_t p = row[x], a = p >> 24, r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
        if (a != 0xff && a != 0) {
            r = (r * 255 + a / 2) / a, g = (g * 255 + a / 2) / a, b = (b * 255 + a / 2) / a;
        }
        out[0] = (uint8_t)r, out[1] = (uint8_t)g, out[2] = (uint8_t)b;
        if (bpp == 4)
            out[3] = (uint8_t)a;
    }
}

/* Filter row cur (prev: the row above, NULL for the first) into out: a
 * filter byte then n bytes, Sub or Up by the smaller sum of residuals. */
static void filter_row(const uint8_t *cur, const uint8_t *prev, size_t n, int bpp, uint8_t *out)
{
    unsigned long sub = 0, up = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t s = (uint8_t)(cur[i] - (i >= (size_t)bpp ? cur[i - bpp] : 0));
        uint8_t u = (uint8_t)(cur[i] - (prev ? prev[i] : 0));
        sub += s < 128 ? s : 256 - s;
        up += u < 128 ? u : 256 - u;
    }
    int use_up = prev && up < sub;
    out[0] = use_up ? 2 : 1;
    for (size_t i = 0; i < n; i++)
        out[1 + i] = use_up ? (uint8_t)(cur[i] - prev[i]) : (uint8_t)(cur[i] - (i >= (size_t)bpp ? cur[i - bpp] : 0));
}

/* The filtered image data (side rows of 1 + side * bpp bytes). NULL when
 * out of memory; caller frees. */
static uint8_t *filtered(const unsigned char *px, int stride, int side, int bpp, size_t *len)
{
    size_t n = (size_t)side * bpp;
    uint8_t *rows = malloc(2 * n), *out = malloc((n + 1) * side);
    if (!rows || !out) {
        free(rows);
        free(out);
        return NULL;
    }
    for (int y = 0; y < side; y++) {
        uint8_t *cur = rows + (y % 2) * n, *prev = y ? rows + ((y + 1) % 2) * n : NULL;
        unpack_row(px, stride, side, y, bpp, cur);
        filter_row(cur, prev, n, bpp, out + (size_t)y * (n + 1));
    }
    free(rows);
    *len = (n + 1) * side;
    return out;
}

/* raw deflated (zlib format) into png's IDAT chunk. */
static int deflate_idat(const uint8_t *raw, size_t len, struct pk_tbuf *png)
{
    uLong cap = compressBound((uLong)len);
    uint8_t *z = malloc(cap);
    z_stream s;
    memset(&s, 0, sizeof s);
    if (!z || deflateInit2(&s, 6, Z_DEFLATED, 15, 9, Z_RLE) != Z_OK) {
        free(z);
        return -1;
    }
    s.next_in = (Bytef *)raw;
    s.avail_in = (uInt)len;
    s.next_out = z;
    s.avail_out = (uInt)cap;
    int zr = deflate(&s, Z_FINISH);
    size_t out = s.total_out;
    deflateEnd(&s);
    if (zr == Z_STREAM_END)
        put_chunk(png, "IDAT", z, (uint32_t)out);
    free(z);
    return zr == Z_STREAM_END ? 0 : -1;
}

int pk_raster_tile_png(struct pk_ctx *ctx, cairo_surface_t *block, int scale, int tx, int ty, struct pk_tbuf *png)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int side = PK_RASTER_TILE * scale, stride = cairo_image_surface_get_stride(block);
    const unsigned char *px = cairo_image_surface_get_data(block);
    if (!px || cairo_image_surface_get_format(block) != CAIRO_FORMAT_ARGB32)
        return pk_error(ctx, PK_ERR_CAIRO, "cannot encode a PNG tile: not an ARGB32 image");
    size_t margin = (size_t)PK_RASTER_BLOCK_MARGIN * scale;
    px += (margin + (size_t)ty * side) * stride + (margin + (size_t)tx * side) * 4;
    int bpp = all_opaque(px, side, stride) ? 3 : 4;
    size_t len = 0;
    uint8_t *raw = filtered(px, stride, side, bpp, &len);
    uint8_t ihdr[13];
    put_be32(ihdr, (uint32_t)side);
    put_be32(ihdr + 4, (uint32_t)side);
    ihdr[8] = 8;                    /* bit depth */
    ihdr[9] = bpp == 3 ? 2 : 6;     /* colour type: RGB or RGBA */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    pk_tbuf_append(png, sig, sizeof sig);
    put_chunk(png, "IHDR", ihdr, sizeof ihdr);
    int rc = raw ? deflate_idat(raw, len, png) : -1;
    put_chunk(png, "IEND", NULL, 0);
    free(raw);
    if (rc != 0 || png->oom)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory encoding a PNG tile");
    return PK_OK;
}
