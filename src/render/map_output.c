/* map_output.c — the files a printed map is written to: a PDF (one page
 * per map, fonts embedded by Cairo), an SVG or a PNG at the job's DPI, each
 * under a temporary name next to its final one, moved into place only when
 * every file of the job is complete, so a failure leaves no partial file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "map_int.h"

#define PT_PER_MM (72 / 25.4)

int map_out_format(struct pk_ctx *ctx, const char *path, enum map_format *fmt)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash)) {
        if (!strcasecmp(dot, ".pdf"))
            return *fmt = MAP_PDF, PK_OK;
        if (!strcasecmp(dot, ".svg"))
            return *fmt = MAP_SVG, PK_OK;
        if (!strcasecmp(dot, ".png"))
            return *fmt = MAP_PNG, PK_OK;
    }
    return pk_error(ctx, PK_ERR_ARGS, "%s: unsupported output format '%s' (give .pdf, .svg or .png)", path,
                    dot && (!slash || dot > slash) ? dot : "(no extension)");
}

/* A temporary file next to path: its name (caller frees). */
static int make_temp(struct pk_ctx *ctx, const char *path, char **out)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path + 1) : 0;
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    if (!tmp)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    snprintf(tmp, len, "%.*s.%s.tmp-XXXXXX", (int)dir, path, path + dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return pk_error(ctx, PK_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    fchmod(fd, 0644);
    close(fd);
    *out = tmp;
    return PK_OK;
}

int map_out_open(struct pk_ctx *ctx, struct map_out *out, const char *path)
{
    if (out->n == out->cap) {
        int cap = out->cap ? out->cap * 2 : 4;
        char **t = realloc(out->tmp, sizeof *t * (size_t)cap);
        if (t)
            out->tmp = t;
        char **f = t ? realloc(out->final, sizeof *f * (size_t)cap) : NULL;
        if (!f)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        out->final = f, out->cap = cap;
    }
    char *tmp = NULL, *final = strdup(path);
    int rc = final ? make_temp(ctx, path, &tmp) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc != PK_OK) {
        free(final);
        return rc;
    }
    out->tmp[out->n] = tmp, out->final[out->n] = final, out->n++;
    double w = out->page_mm[0], h = out->page_mm[1], k;
    if (out->fmt == MAP_PDF)
        out->surface = cairo_pdf_surface_create(tmp, w * PT_PER_MM, h * PT_PER_MM), k = PT_PER_MM;
    else if (out->fmt == MAP_SVG)
        out->surface = cairo_svg_surface_create(tmp, w * PT_PER_MM, h * PT_PER_MM), k = PT_PER_MM;
    else
        out->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(w / 25.4 * out->dpi + 0.5),
                                                  (int)(h / 25.4 * out->dpi + 0.5)),
        k = out->dpi / 25.4;
    out->cr = cairo_create(out->surface);
    if (cairo_status(out->cr) != CAIRO_STATUS_SUCCESS)
        return pk_error(ctx, PK_ERR_CAIRO, "%s: cannot start drawing: %s", path,
                        cairo_status_to_string(cairo_status(out->cr)));
    cairo_font_options_t *fo = cairo_font_options_create(); /* text measures alike at every size and format */
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(out->cr, fo);
    cairo_font_options_destroy(fo);
    cairo_scale(out->cr, k, k);
    if (out->fmt == MAP_SVG)
        map_texts_attach(out->cr, &out->texts);
    cairo_set_source_rgb(out->cr, 1, 1, 1); /* paper */
    cairo_paint(out->cr);
    return PK_OK;
}

int map_out_next_page(struct pk_ctx *ctx, struct map_out *out)
{
    (void)ctx;
    cairo_show_page(out->cr);
    cairo_set_source_rgb(out->cr, 1, 1, 1);
    cairo_paint(out->cr);
    return PK_OK;
}

int map_out_close(struct pk_ctx *ctx, struct map_out *out)
{
    const char *path = out->final[out->n - 1];
    cairo_status_t st = cairo_status(out->cr);
    if (st == CAIRO_STATUS_SUCCESS && out->fmt == MAP_PNG)
        st = cairo_surface_write_to_png(out->surface, out->tmp[out->n - 1]);
    cairo_destroy(out->cr);
    out->cr = NULL;
    cairo_surface_finish(out->surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(out->surface);
    cairo_surface_destroy(out->surface);
    out->surface = NULL;
    if (st != CAIRO_STATUS_SUCCESS)
        return pk_error(ctx, st == CAIRO_STATUS_NO_MEMORY ? PK_ERR_NOMEM : PK_ERR_IO, "%s: cannot write: %s", path,
                        cairo_status_to_string(st));
    int rc = out->fmt == MAP_SVG ? map_texts_write_svg(ctx, &out->texts, out->tmp[out->n - 1], path) : PK_OK;
    map_texts_free(&out->texts);
    return rc;
}

int map_out_commit(struct pk_ctx *ctx, struct map_out *out)
{
    for (int i = 0; i < out->n; i++) {
        if (rename(out->tmp[i], out->final[i]) != 0)
            return pk_error(ctx, PK_ERR_IO, "%s: cannot move into place: %s", out->final[i], strerror(errno));
        free(out->tmp[i]);
        out->tmp[i] = NULL;
    }
    return PK_OK;
}

void map_out_free(struct map_out *out)
{
    if (out->cr)
        cairo_destroy(out->cr);
    if (out->surface) {
        cairo_surface_finish(out->surface);
        cairo_surface_destroy(out->surface);
    }
    map_texts_free(&out->texts);
    for (int i = 0; i < out->n; i++) {
        if (out->tmp[i])
            unlink(out->tmp[i]);
        free(out->tmp[i]);
        free(out->final[i]);
    }
    free(out->tmp);
    free(out->final);
    memset(out, 0, sizeof *out);
}
