/* preview.c — the web map's files: a style with its tile URL filled in, the
 * page with the styles embedded, and `plankit tiles preview`, which writes
 * both with a local maplibre-gl copy into a folder. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "webmap_int.h"

#define DEFAULT_BASE "http://127.0.0.1:8080"

char *pk_webmap_read_file(struct pk_ctx *ctx, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pk_error(ctx, errno == ENOENT ? PK_ERR_NOTFOUND : PK_ERR_IO, "%s: %s", path, strerror(errno)),
               NULL;
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        pk_error(ctx, PK_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    } else if (!(buf = malloc((size_t)size + 1))) {
        pk_error(ctx, PK_ERR_NOMEM, "%s: out of memory", path);
    } else if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        pk_error(ctx, PK_ERR_IO, "%s: short read", path);
        free(buf);
        buf = NULL;
    } else {
        buf[size] = '\0';
        if (len)
            *len = (size_t)size;
    }
    fclose(f);
    return buf;
}

int pk_webmap_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return 0;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum pk_tiles_kind pk_webmap_tiles_kind(struct pk_ctx *ctx, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return pk_error(ctx, PK_ERR_NOTFOUND, "%s: %s", path, strerror(errno)), PK_TILES_NONE;
    if (S_ISDIR(st.st_mode))
        return PK_TILES_DIR;
    if (S_ISREG(st.st_mode) && has_suffix(path, ".mbtiles"))
        return PK_TILES_MBTILES;
    if (S_ISREG(st.st_mode) && has_suffix(path, ".pmtiles"))
        return PK_TILES_PMTILES;
    pk_error(ctx, PK_ERR_ARGS, "%s: not an .mbtiles or .pmtiles file nor a z/x/y folder", path);
    return PK_TILES_NONE;
}

/* s with every `from` replaced by `to`. Caller frees; NULL when out of memory. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t nfrom = strlen(from), nto = strlen(to), count = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + nfrom, from))
        count++;
    char *out = malloc(strlen(s) + count * nto + 1), *w = out;
    if (!out)
        return NULL;
    for (const char *p = s, *q; ; p = q + nfrom) {
        q = strstr(p, from);
        size_t n = q ? (size_t)(q - p) : strlen(p);
        memcpy(w, p, n);
        w += n;
        if (!q)
            break;
        memcpy(w, to, nto);
        w += nto;
    }
    *w = '\0';
    return out;
}

char *pk_webmap_style(struct pk_ctx *ctx, const char *styles_dir, const char *name, const char *base)
{
    if (!pk_webmap_name_ok(name))
        return pk_error(ctx, PK_ERR_ARGS, "'%s' is not a style name", name), NULL;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.json", styles_dir, name) >= (int)sizeof path)
        return pk_error(ctx, PK_ERR_ARGS, "%s: path too long", styles_dir), NULL;
    char *text = pk_webmap_read_file(ctx, path, NULL);
    if (!text)
        return NULL;
    char *filled = replace_all(text, "{BASE}", base);
    free(text);
    if (!filled)
        pk_error(ctx, PK_ERR_NOMEM, "%s: out of memory", path);
    return filled;
}

/* Style names first "zones", then the others in byte order. */
static int style_order(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    if (strcmp(x, y) && (!strcmp(x, "zones") || !strcmp(y, "zones")))
        return strcmp(x, "zones") ? 1 : -1;
    return strcmp(x, y);
}

/* The names of styles_dir/NAME.json. *names (and each name) the caller frees
 * with free_names. */
static int list_styles(struct pk_ctx *ctx, const char *styles_dir, char ***names, size_t *n)
{
    DIR *d = opendir(styles_dir);
    if (!d)
        return pk_error(ctx, PK_ERR_NOTFOUND, "styles folder %s: %s", styles_dir, strerror(errno));
    char **list = NULL;
    size_t count = 0;
    int rc = PK_OK;
    for (struct dirent *e; rc == PK_OK && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || !has_suffix(e->d_name, ".json"))
            continue;
        char *name = strndup(e->d_name, len - 5);
        char **grown = name ? realloc(list, (count + 1) * sizeof *list) : NULL;
        if (!grown) {
            free(name);
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        } else if (!pk_webmap_name_ok(name)) {
            list = grown;
            free(name);
        } else {
            list = grown;
            list[count++] = name;
        }
    }
    closedir(d);
    if (rc == PK_OK && count == 0)
        rc = pk_error(ctx, PK_ERR_NOTFOUND, "styles folder %s has no NAME.json style", styles_dir);
    if (rc != PK_OK) {
        for (size_t i = 0; i < count; i++)
            free(list[i]);
        free(list);
        return rc;
    }
    qsort(list, count, sizeof *list, style_order);
    *names = list;
    *n = count;
    return PK_OK;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* Append s to the growing string *buf (length *len). */
static int append(struct pk_ctx *ctx, char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    char *grown = realloc(*buf, *len + n + 1);
    if (!grown)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    memcpy(grown + *len, s, n + 1);
    *buf = grown;
    *len += n;
    return PK_OK;
}

/* {"NAME": style, ...} for the page, "</" escaped so no style text can end
 * the page's <script>. Caller frees. */
static char *styles_object(struct pk_ctx *ctx, const char *styles_dir, const char *base)
{
    char **names = NULL, *buf = NULL;
    size_t n = 0, len = 0;
    int rc = list_styles(ctx, styles_dir, &names, &n);
    if (rc == PK_OK)
        rc = append(ctx, &buf, &len, "{");
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        char *style = pk_webmap_style(ctx, styles_dir, names[i], base);
        char *safe = style ? replace_all(style, "</", "<\\/") : NULL;
        if (!style)
            rc = pk_errcode(ctx);
        else if (!safe)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        if (rc == PK_OK)
            rc = append(ctx, &buf, &len, i ? ",\n\"" : "\n\"");
        if (rc == PK_OK)
            rc = append(ctx, &buf, &len, names[i]);
        if (rc == PK_OK)
            rc = append(ctx, &buf, &len, "\": ");
        if (rc == PK_OK)
            rc = append(ctx, &buf, &len, safe);
        free(style);
        free(safe);
    }
    if (rc == PK_OK)
        rc = append(ctx, &buf, &len, "}");
    free_names(names, n);
    if (rc != PK_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *pk_webmap_page(struct pk_ctx *ctx, const struct pk_webmap_assets *assets, const char *base,
                     const double *view)
{
    char *styles = styles_object(ctx, assets->styles_dir, base), text[128] = "null";
    if (!styles)
        return NULL;
    if (view)
        snprintf(text, sizeof text, "[%.7f, %.7f, %.7f, %.7f]", view[0], view[1], view[2], view[3]);
    char *with_styles = replace_all(pk_webmap_page_template, "@STYLES@", styles);
    char *page = with_styles ? replace_all(with_styles, "@VIEW@", text) : NULL;
    free(styles);
    free(with_styles);
    if (!page)
        pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    return page;
}

/* Write data to path under a temporary name, then move it into place. */
static int write_file(struct pk_ctx *ctx, const char *path, const char *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.part%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return pk_error(ctx, PK_ERR_IO, "%s: %s", tmp, strerror(errno));
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return pk_error(ctx, PK_ERR_IO, "%s: cannot write: %s", path, strerror(err));
    }
    return PK_OK;
}

static int make_dir(struct pk_ctx *ctx, const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return pk_error(ctx, PK_ERR_IO, "%s: %s", path, strerror(errno));
    return PK_OK;
}

/* Copy maplibre_dir/name to out_dir/name. */
static int copy_asset(struct pk_ctx *ctx, const char *maplibre_dir, const char *out_dir, const char *name)
{
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/%s", maplibre_dir, name);
    snprintf(to, sizeof to, "%s/%s", out_dir, name);
    size_t len = 0;
    char *data = pk_webmap_read_file(ctx, from, &len);
    if (!data) {
        pk_error_prefix(ctx, "maplibre-gl (install it with scripts/setup.sh)");
        return pk_errcode(ctx);
    }
    int rc = write_file(ctx, to, data, len);
    free(data);
    return rc;
}

/* out_dir/styles/NAME.json for every style. */
static int write_styles(struct pk_ctx *ctx, const char *styles_dir, const char *out_dir, const char *base)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/styles", out_dir);
    char **names = NULL;
    size_t n = 0;
    int rc = make_dir(ctx, dir);
    if (rc == PK_OK)
        rc = list_styles(ctx, styles_dir, &names, &n);
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        char *style = pk_webmap_style(ctx, styles_dir, names[i], base);
        snprintf(path, sizeof path, "%s/%s.json", dir, names[i]);
        rc = style ? write_file(ctx, path, style, strlen(style)) : pk_errcode(ctx);
        free(style);
    }
    free_names(names, n);
    return rc;
}

int pk_tiles_preview(struct pk_ctx *ctx, const struct pk_preview_opts *opts)
{
    const char *base = opts->base ? opts->base : DEFAULT_BASE;
    if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
        return pk_error(ctx, PK_ERR_ARGS, "base URL '%s' must be absolute (http://HOST:PORT)", base);
    enum pk_tiles_kind kind = pk_webmap_tiles_kind(ctx, opts->tiles);
    if (kind == PK_TILES_NONE)
        return pk_errcode(ctx);
    double view[4];
    int has_view = pk_webmap_tiles_bounds(opts->tiles, kind, view);
    char clean[2048];
    snprintf(clean, sizeof clean, "%s", base);
    for (size_t n = strlen(clean); n > 0 && clean[n - 1] == '/'; n--)
        clean[n - 1] = '\0';
    int rc = make_dir(ctx, opts->out_dir);
    if (rc == PK_OK)
        rc = write_styles(ctx, opts->assets.styles_dir, opts->out_dir, clean);
    if (rc == PK_OK)
        rc = copy_asset(ctx, opts->assets.maplibre_dir, opts->out_dir, "maplibre-gl.js");
    if (rc == PK_OK)
        rc = copy_asset(ctx, opts->assets.maplibre_dir, opts->out_dir, "maplibre-gl.css");
    char *page = rc == PK_OK ? pk_webmap_page(ctx, &opts->assets, clean, has_view ? view : NULL) : NULL;
    if (rc == PK_OK && !page)
        rc = pk_errcode(ctx);
    if (rc == PK_OK) {
        char path[4096];
        snprintf(path, sizeof path, "%s/index.html", opts->out_dir);
        rc = write_file(ctx, path, page, strlen(page));
    }
    free(page);
    return rc;
}
