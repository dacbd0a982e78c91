/* tile_dir.c — the folder tile sink: z/x/y.pbf files (uncompressed MVT, so
 * any static web server can serve them) or z/x/y.png raster tiles, and a
 * TileJSON 3.0.0 document,
 * tiles.json, written in "<path>.tmp-XXXXXX" and renamed into place at
 * finish. Also the recursive removal used by the sinks. */
#define _XOPEN_SOURCE 700
#include "tile_sink_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tile_buf_int.h"

struct dir_sink {
    struct pk_tile_sink base;
    char *path, *tmp;
    char *tilejson;
    struct pk_tbuf raw;
    int png;               /* PNG images written as z/x/y.png; else MVT, gunzipped to z/x/y.pbf */
};

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p) == 0 ? 0 : -1;
}

int pk_tile_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

static void free_sink(struct dir_sink *s)
{
    free(s->path);
    free(s->tmp);
    free(s->tilejson);
    pk_tbuf_free(&s->raw);
    free(s);
}

static int dir_open(struct pk_ctx *ctx, const char *path, const struct pk_tile_meta *meta,
                    struct pk_tile_sink **out)
{
    *out = NULL;
    int rc = pk_tile_meta_check(ctx, meta);
    if (rc != PK_OK)
        return rc;
    if (access(path, F_OK) == 0)
        return pk_error(ctx, PK_ERR_EXISTS, "'%s' already exists: remove it first", path);
    struct dir_sink *s = calloc(1, sizeof *s);
    size_t n = strlen(path) + sizeof ".tmp-XXXXXX";
    if (!s || !(s->path = strdup(path)) || !(s->tmp = malloc(n)) ||
        !(s->tilejson = pk_tile_meta_tilejson(meta))) {
        if (s)
            free_sink(s);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    s->base.ops = &pk_tile_dir_ops;
    s->base.ctx = ctx;
    s->png = pk_tile_meta_png(meta);
    snprintf(s->tmp, n, "%s.tmp-XXXXXX", path);
    if (!mkdtemp(s->tmp)) {
        rc = pk_error(ctx, PK_ERR_IO, "cannot create a folder beside '%s': %s", path, strerror(errno));
        free_sink(s);
        return rc;
    }
    *out = &s->base;
    return PK_OK;
}

/* Write len bytes to a new file (it must not exist). */
static int write_new_file(struct pk_ctx *ctx, const char *file, const void *data, size_t len)
{
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
        return pk_error(ctx, PK_ERR_ARGS, "'%s' was written twice", file);
    if (fd < 0)
        return pk_error(ctx, PK_ERR_IO, "cannot create '%s': %s", file, strerror(errno));
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int err = done < len ? errno : 0;
    if (close(fd) != 0 && !err)
        err = errno;
    if (done < len || err)
        return pk_error(ctx, PK_ERR_IO, "cannot write '%s': %s", file, strerror(err ? err : EIO));
    return PK_OK;
}

static int make_dir(struct pk_ctx *ctx, const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return PK_OK;
    return pk_error(ctx, PK_ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
}

static int dir_put(struct pk_tile_sink *base, int z, uint32_t x, uint32_t y, const void *data, size_t len)
{
    struct dir_sink *s = (struct dir_sink *)base;
    int rc = s->png ? pk_tile_check_put_png(base->ctx, z, x, y, data, len)
                    : pk_tile_check_put(base->ctx, z, x, y, data, len);
    if (rc != PK_OK)
        return rc;
    if (!s->png && pk_gunzip(data, len, &s->raw) != 0)
        return pk_error(base->ctx, PK_ERR_ARGS, "tile %d/%u/%u is not gzip data", z, x, y);
    char file[4096];
    snprintf(file, sizeof file, "%s/%d", s->tmp, z);
    if ((rc = make_dir(base->ctx, file)) != PK_OK)
        return rc;
    snprintf(file, sizeof file, "%s/%d/%u", s->tmp, z, x);
    if ((rc = make_dir(base->ctx, file)) != PK_OK)
        return rc;
    snprintf(file, sizeof file, "%s/%d/%u/%u.%s", s->tmp, z, x, y, s->png ? "png" : "pbf");
    return s->png ? write_new_file(base->ctx, file, data, len)
                  : write_new_file(base->ctx, file, s->raw.data, s->raw.len);
}

static void dir_abort(struct pk_tile_sink *base)
{
    struct dir_sink *s = (struct dir_sink *)base;
    if (!s)
        return;
    pk_tile_remove_tree(s->tmp);
    free_sink(s);
}

static int dir_finish(struct pk_tile_sink *base)
{
    struct dir_sink *s = (struct dir_sink *)base;
    char file[4096];
    snprintf(file, sizeof file, "%s/tiles.json", s->tmp);
    int rc = write_new_file(base->ctx, file, s->tilejson, strlen(s->tilejson));
    if (rc == PK_OK)
        (void)chmod(s->tmp, 0755); /* mkdtemp's 0700 is too strict for a published folder */
    if (rc == PK_OK && rename(s->tmp, s->path) != 0)
        rc = pk_error(base->ctx, PK_ERR_IO, "cannot move '%s' into place: %s", s->tmp, strerror(errno));
    if (rc != PK_OK) {
        dir_abort(base);
        return rc;
    }
    free_sink(s);
    return PK_OK;
}

const struct pk_tile_sink_ops pk_tile_dir_ops = {
    .format = "dir",
    .open = dir_open,
    .put = dir_put,
    .finish = dir_finish,
    .abort = dir_abort,
};
