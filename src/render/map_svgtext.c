/* map_svgtext.c — the text layer of SVG maps: Cairo writes an SVG's text
 * as glyph outlines (exact, but not text), so what the map drew as text is
 * recorded (cairo user data on the drawing context) and added to the file
 * as invisible <text> elements at the same places and sizes: the SVG's text
 * can then be found and selected, as in the PDF. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_int.h"

static const cairo_user_data_key_t texts_key;

void map_texts_attach(cairo_t *cr, struct map_texts *T)
{
    cairo_set_user_data(cr, &texts_key, T, NULL);
}

void map_texts_add(cairo_t *cr, const char *text, double x, double y, double size, int centred)
{
    struct map_texts *T = cairo_get_user_data(cr, &texts_key);
    if (!T || !text || !*text)
        return;
    if (T->n == T->cap) {
        int cap = T->cap ? 2 * T->cap : 64;
        struct map_text_run *r = realloc(T->r, sizeof *r * (size_t)cap);
        if (!r) {
            T->nomem = 1;
            return;
        }
        T->r = r, T->cap = cap;
    }
    double dx = size, dy = 0;
    cairo_user_to_device(cr, &x, &y);
    cairo_user_to_device_distance(cr, &dx, &dy);
    struct map_text_run *run = &T->r[T->n];
    if (!(run->text = strdup(text))) {
        T->nomem = 1;
        return;
    }
    run->x = x, run->y = y, run->size = dx, run->centred = centred;
    T->n++;
}

void map_texts_free(struct map_texts *T)
{
    for (int i = 0; i < T->n; i++)
        free(T->r[i].text);
    free(T->r);
    memset(T, 0, sizeof *T);
}

/* text with XML's special characters escaped, into fp. */
static void xml_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            fputs("&amp;", fp);
        else if (*s == '<')
            fputs("&lt;", fp);
        else if (*s == '>')
            fputs("&gt;", fp);
        else if (*s == '\n')
            fputc(' ', fp);
        else if ((unsigned char)*s >= 0x20 || *s == '\t')
            fputc(*s, fp);
    }
}

int map_texts_write_svg(struct pk_ctx *ctx, const struct map_texts *T, const char *path, const char *name)
{
    if (T->nomem)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory recording the text of %s", name);
    FILE *fp = fopen(path, "r+");
    char tail[64] = "";
    long end = -1;
    if (fp && fseek(fp, -(long)(sizeof tail - 1), SEEK_END) == 0) {
        long at = ftell(fp);
        size_t n = fread(tail, 1, sizeof tail - 1, fp);
        tail[n] = '\0';
        char *close = strstr(tail, "</svg>");
        if (close)
            end = at + (close - tail);
    }
    if (!fp || end < 0 || fseek(fp, end, SEEK_SET) != 0) {
        if (fp)
            fclose(fp);
        return pk_error(ctx, PK_ERR_IO, "%s: cannot add the text layer: %s", name,
                        fp ? "no closing </svg>" : strerror(errno));
    }
    fputs("<g id=\"plankit-text\" fill-opacity=\"0\" "
          "font-family=\"Noto Sans CJK SC, Noto Sans, sans-serif\">\n", fp);
    for (int i = 0; i < T->n; i++) {
        const struct map_text_run *r = &T->r[i];
        fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.2f\"%s>", r->x, r->y, r->size,
                r->centred ? " text-anchor=\"middle\" dominant-baseline=\"central\"" : "");
        xml_text(fp, r->text);
        fputs("</text>\n", fp);
    }
    fputs("</g>\n</svg>\n", fp);
    long size = ftell(fp);
    int bad = ferror(fp) || fflush(fp) != 0 || size < 0 || ftruncate(fileno(fp), size) != 0;
    bad |= fclose(fp) != 0;
    return bad ? pk_error(ctx, PK_ERR_IO, "%s: cannot write the text layer", name) : PK_OK;
}
