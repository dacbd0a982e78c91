/* render_label.c — text labels of the renderer: Pango layouts drawn with a
 * halo, a font list that always ends in a CJK font, and the collision index
 * that keeps two labels from overlapping (first placed wins). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pango/pangocairo.h>

#include "render_int.h"

/* Style words at the end of MapLibre font names (glyph stack names). */
static const char *const style_words[] = {"Regular", "Bold", "Italic", "Medium", "Light", "Semibold",
                                          "SemiBold", "Black", "Book", "Oblique", "Thin", "Heavy"};

/* name without its trailing style words into out; 1 if one was "Bold". */
static int family_of(const char *name, char *out, size_t size)
{
    int bold = 0;
    snprintf(out, size, "%s", name);
    for (;;) {
        char *sp = strrchr(out, ' ');
        size_t i, n = sizeof style_words / sizeof style_words[0];
        for (i = 0; sp && i < n && strcmp(sp + 1, style_words[i]); i++)
            ;
        if (!sp || i == n)
            return bold;
        bold |= !strcmp(sp + 1, "Bold");
        *sp = '\0';
    }
}

void pk_labels_families(const struct pk_sv *fonts, int nfonts, char *buf, size_t size, int *bold)
{
    static const struct pk_sv defaults[] = {{.type = PK_SV_STR, .s = "Open Sans Regular"},
                                            {.type = PK_SV_STR, .s = "Arial Unicode MS Regular"}};
    if (!fonts || nfonts == 0) {
        fonts = defaults;
        nfonts = 2;
    }
    size_t len = 0;
    buf[0] = '\0';
    *bold = 0;
    for (int i = 0; i < nfonts; i++) {
        char fam[128];
        int b = family_of(fonts[i].s, fam, sizeof fam);
        if (i == 0)
            *bold = b;
        /* Pango separates families with commas: none inside a name */
        if (fam[0] && !strchr(fam, ',') && len + strlen(fam) + 2 < size)
            len += (size_t)snprintf(buf + len, size - len, "%s,", fam);
    }
    snprintf(buf + len, size - len, "Noto Sans CJK SC");
}

static int overlaps(const double a[4], const double b[4])
{
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/* Whether box is free; if so it is added to the index. -1 out of memory. */
static int claim(struct pk_labels *L, const double box[4])
{
    for (int i = 0; i < L->n; i++)
        if (overlaps(L->boxes[i], box))
            return 0;
    if (L->n == L->cap) {
        int cap = L->cap ? L->cap * 2 : 32;
        double(*b)[4] = realloc(L->boxes, sizeof *b * (size_t)cap);
        if (!b)
            return -1;
        L->boxes = b;
        L->cap = cap;
    }
    memcpy(L->boxes[L->n++], box, sizeof L->boxes[0]);
    return 1;
}

/* A layout of text in the label's fonts; NULL when out of memory. */
static PangoLayout *make_layout(cairo_t *cr, const char *text, const struct pk_label_style *s)
{
    char families[512];
    int bold;
    pk_labels_families(s->fonts, s->nfonts, families, sizeof families, &bold);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_new();
    if (!layout || !fd) {
        if (layout)
            g_object_unref(layout);
        pango_font_description_free(fd);
        return NULL;
    }
    pango_font_description_set_family(fd, families);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size(fd, s->size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, text, -1);
    return layout;
}

static void draw_layout(cairo_t *cr, PangoLayout *layout, const struct pk_label_style *s, double x, double y)
{
    cairo_save(cr);
    if (s->halo_width > 0 && s->halo.a > 0) {
        cairo_move_to(cr, x, y);
        pango_cairo_layout_path(cr, layout);
        cairo_set_source_rgba(cr, s->halo.r / 255, s->halo.g / 255, s->halo.b / 255, s->halo.a);
        cairo_set_line_width(cr, 2 * s->halo_width);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
    }
    cairo_move_to(cr, x, y);
    cairo_set_source_rgba(cr, s->color.r / 255, s->color.g / 255, s->color.b / 255, s->color.a);
    pango_cairo_show_layout(cr, layout);
    cairo_restore(cr);
}

int pk_labels_draw(struct pk_ctx *ctx, cairo_t *cr, struct pk_labels *L, const char *text,
                   const struct pk_label_style *s, double x, double y, int *placed)
{
    *placed = -1;
    if (!text || !*text || !g_utf8_validate(text, -1, NULL) || s->size <= 0)
        return PK_OK;
    *placed = 0;
    PangoLayout *layout = make_layout(cr, text, s);
    if (!layout)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory laying out label '%s'", text);
    PangoRectangle ink, logical;
    pango_layout_get_pixel_extents(layout, &ink, &logical);
    double left = x - logical.width / 2.0, top = y - logical.height / 2.0, h = s->halo_width;
    double box[4] = {left - h, top - h, left + logical.width + h, top + logical.height + h};
    int free_box = claim(L, box);
    if (free_box > 0)
        draw_layout(cr, layout, s, left - logical.x, top - logical.y);
    g_object_unref(layout);
    if (free_box < 0)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory placing labels");
    *placed = free_box;
    return PK_OK;
}

void pk_labels_free(struct pk_labels *L)
{
    free(L->boxes);
    memset(L, 0, sizeof *L);
}
