/* map_page.c — the furniture of a printed map, drawn in millimetres: text
 * (Pango, a CJK font after Noto Sans; real text in PDF and SVG), the scale
 * bar (a round ground length at the map's centre, in alternating segments)
 * and the north arrow (true north, with grid north marked when the CRS
 * turns them apart). */
#include <math.h>
#include <stdio.h>

#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "map_int.h"

#define PT_MM (25.4 / 72)

double map_text(cairo_t *cr, const char *text, double x, double y, double w, double size_pt, int bold, double r,
                double g, double b)
{
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("Noto Sans CJK SC, Noto Sans, sans-serif");
    if (!layout || !fd) {
        if (layout)
            g_object_unref(layout);
        pango_font_description_free(fd);
        return 0;
    }
    /* laid out in points (not millimetres): Pango places glyphs on a grid of its
     * units, too coarse for text a few units high */
    cairo_save(cr);
    cairo_scale(cr, PT_MM, PT_MM);
    pango_cairo_update_layout(cr, layout);
    pango_font_description_set_absolute_size(fd, size_pt * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(layout, (int)(w / PT_MM * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(layout, text, -1);
    PangoRectangle ink, logical;
    pango_layout_get_extents(layout, &ink, &logical);
    cairo_move_to(cr, x / PT_MM, y / PT_MM);
    cairo_set_source_rgb(cr, r, g, b);
    pango_cairo_show_layout(cr, layout);
    map_texts_add(cr, text, x / PT_MM, y / PT_MM + (double)pango_layout_get_baseline(layout) / PANGO_SCALE, size_pt, 0);
    cairo_restore(cr);
    g_object_unref(layout);
    return (double)logical.height / PANGO_SCALE * PT_MM;
}

/* The longest of 1, 2, 5 x 10^k metres not over max_m. */
static double round_length(double max_m)
{
    double p = pow(10, floor(log10(max_m)));
    return max_m >= 5 * p ? 5 * p : max_m >= 2 * p ? 2 * p : p;
}

static void length_text(char *buf, size_t size, double m)
{
    if (m >= 1000)
        snprintf(buf, size, "%g km", m / 1000);
    else
        snprintf(buf, size, "%g m", m);
}

void map_scalebar(cairo_t *cr, const struct map_view *v, double x, double y, double max_mm, double *m, double *mm)
{
    double m_per_mm = v->ground_m_per_px * MAP_PX_PER_MM;
    *m = round_length(max_mm * m_per_mm);
    *mm = *m / m_per_mm;
    int segs = (int)(*m / pow(10, floor(log10(*m)))); /* 1, 2 or 5 */
    if (segs == 1)
        segs = 2;
    double seg = *mm / segs, h = 1.6;
    cairo_save(cr);
    /* a white backing for legibility over the map */
    cairo_rectangle(cr, x - 2, y - h - 7, *mm + 14, h + 9);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_fill(cr);
    for (int i = 0; i < segs; i++) {
        cairo_rectangle(cr, x + i * seg, y - h, seg, h);
        cairo_set_source_rgb(cr, i % 2 ? 1 : 0.1, i % 2 ? 1 : 0.1, i % 2 ? 1 : 0.1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr, 0.2);
        cairo_stroke(cr);
    }
    char label[32];
    map_text(cr, "0", x - 0.8, y - h - 4.2, 10, 6.5, 0, 0.1, 0.1, 0.1);
    length_text(label, sizeof label, *m);
    map_text(cr, label, x + *mm - 1, y - h - 4.2, 20, 6.5, 0, 0.1, 0.1, 0.1);
    cairo_restore(cr);
}

/* An arrow of length len pointing at angle deg (clockwise from up). */
static void arrow(cairo_t *cr, double x, double y, double len, double deg, int filled)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, deg * M_PI / 180);
    cairo_move_to(cr, 0, -len / 2);
    cairo_line_to(cr, len / 5, len / 2);
    cairo_line_to(cr, 0, len / 3);
    cairo_line_to(cr, -len / 5, len / 2);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_line_width(cr, 0.3);
    if (filled)
        cairo_fill_preserve(cr);
    cairo_stroke(cr);
    cairo_restore(cr);
}

void map_north_arrow(cairo_t *cr, const struct map_view *v, double x, double y)
{
    cairo_save(cr);
    cairo_arc(cr, x, y, 7.5, 0, 2 * M_PI);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_fill(cr);
    arrow(cr, x, y + 1, 9, v->north_deg, 1);
    double rad = v->north_deg * M_PI / 180;
    map_text(cr, "N", x + 6.5 * sin(rad) - 1.2, y - 6.5 * cos(rad) - 3.6, 6, 7, 1, 0.1, 0.1, 0.1);
    if (fabs(v->north_deg) >= 0.05) { /* grid north: a thin line straight up, and the angle */
        cairo_move_to(cr, x, y + 1);
        cairo_line_to(cr, x, y - 6);
        cairo_set_line_width(cr, 0.2);
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        cairo_stroke(cr);
        char text[48];
        snprintf(text, sizeof text, "GN %+.2f°", -v->north_deg);
        map_text(cr, text, x - 7, y + 6, 20, 5, 0, 0.3, 0.3, 0.3);
    }
    cairo_restore(cr);
}

void pk_map_fonts_release(void)
{
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
}
