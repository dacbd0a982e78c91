/* render_label.c — text labels of the renderer: Pango layouts drawn with a
 * halo, a font list that always ends in a CJK font, the collision index
 * that keeps two labels from overlapping (first placed wins), and the
 * global placement of raster tiles: labels placed once per zoom over the
 * whole tile set, in world pixels, so neighbouring tiles draw a label that
 * crosses their edge identically. */
#include <math.h>
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

/* ---- global placement (raster tiles) */

/* The spec's text-padding default: labels keep 2 px apart. */
#define LABEL_PADDING 2.0

struct placed_label {
    int layer;                  /* style layer index */
    char *text;                 /* owned */
    struct pk_label_style style;
    double x, y;                /* where the layout is drawn (its origin), world px */
    double box[4];              /* collision box, halo and padding included, world px */
};

struct pk_label_set {
    struct placed_label *l;
    int n, cap;
    struct pk_labels index;     /* every placed box */
    long dropped;
    int nomem;
    /* while placing */
    const struct pk_label_grid *grid;
    cairo_t *measure;           /* a context scaled as the tiles are, for layouts */
    struct pk_worker *w;
    int layer;
};

void pk_label_set_free(struct pk_label_set *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->n; i++)
        free(set->l[i].text);
    free(set->l);
    pk_labels_free(&set->index);
    free(set);
}

void pk_label_set_counts(const struct pk_label_set *set, long *placed, long *dropped)
{
    *placed = set->n;
    *dropped = set->dropped;
}

int pk_label_set_box(const struct pk_label_set *set, int layer, int i, double box[4], const char **text)
{
    for (int k = 0; k < set->n; k++)
        if (set->l[k].layer == layer && i-- == 0) {
            memcpy(box, set->l[k].box, sizeof set->l[k].box);
            *text = set->l[k].text;
            return 1;
        }
    return 0;
}

/* The text and look of the label of the feature in ev (style layer l). */
static const char *label_of(const struct pk_style_layer *l, struct pk_style_eval *ev, struct pk_label_style *s)
{
    struct pk_sv text, fonts;
    pk_style_prop(l, PK_P_TEXT_FIELD, ev, &text);
    pk_style_prop(l, PK_P_TEXT_FONT, ev, &fonts);
    *s = (struct pk_label_style){
        .fonts = fonts.type == PK_SV_ARRAY ? fonts.items : NULL, .nfonts = fonts.nitems,
        .size = pk_style_number(l, PK_P_TEXT_SIZE, ev),
        .color = pk_style_color(l, PK_P_TEXT_COLOR, ev),
        .halo = pk_style_color(l, PK_P_TEXT_HALO_COLOR, ev),
        .halo_width = pk_style_number(l, PK_P_TEXT_HALO_WIDTH, ev),
    };
    return text.s;
}

/* Keep label L (its text copied) in the set. 0, or -1 out of memory. */
static int keep_label(struct pk_label_set *set, const struct placed_label *L)
{
    if (set->n == set->cap) {
        int cap = set->cap ? 2 * set->cap : 64;
        struct placed_label *p = realloc(set->l, sizeof *p * (size_t)cap);
        if (!p)
            return -1;
        set->l = p;
        set->cap = cap;
    }
    set->l[set->n] = *L;
    if (!(set->l[set->n].text = strdup(L->text)))
        return -1;
    set->n++;
    return 0;
}

/* pk_render_feature_fn: place the label of one feature, or count it dropped. */
static int place_one(void *arg, const struct pk_style_layer *l, const GEOSGeometry *g, int anchor_type,
                     struct pk_style_eval *ev)
{
    struct pk_label_set *set = arg;
    const struct pk_label_grid *G = set->grid;
    struct placed_label L = {.layer = set->layer};
    double x, y;
    const char *text = label_of(l, ev, &L.style);
    if (!text || !*text || !g_utf8_validate(text, -1, NULL) || L.style.size <= 0 ||
        !pk_render_label_anchor(pk_geos(set->w->ctx), g, anchor_type, &x, &y))
        return PK_OK;
    PangoLayout *layout = make_layout(set->measure, text, &L.style);
    if (!layout)
        return pk_error(set->w->ctx, PK_ERR_NOMEM, "out of memory laying out label '%s'", text);
    PangoRectangle ink, logical;
    pango_layout_get_pixel_extents(layout, &ink, &logical);
    g_object_unref(layout);
    double m_px = G->world_px / (2 * 20037508.342789244);
    double cx = (x + 20037508.342789244) * m_px, cy = (20037508.342789244 - y) * m_px;
    double left = cx - logical.width / 2.0, top = cy - logical.height / 2.0;
    double pad = fmax(L.style.halo_width, 0) + LABEL_PADDING;
    L.x = left - logical.x;
    L.y = top - logical.y;
    double box[4] = {left - pad, top - pad, left + logical.width + pad, top + logical.height + pad};
    memcpy(L.box, box, sizeof box);
    L.text = (char *)text;
    int free_box = claim(&set->index, box);
    if (free_box == 0)
        set->dropped++;
    if (free_box < 0 || (free_box > 0 && keep_label(set, &L) != 0))
        return pk_error(set->w->ctx, PK_ERR_NOMEM, "out of memory placing labels");
    return PK_OK;
}

int pk_label_set_place(struct pk_worker *w, const struct pk_render_layers *layers, const struct pk_label_grid *g,
                       struct pk_label_set **out)
{
    const struct pk_style *style = pk_render_layers_style(layers);
    struct pk_label_set *set = calloc(1, sizeof *set);
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    *out = NULL;
    if (set)
        set->measure = cairo_create(surface);
    int rc = set && cairo_status(set->measure) == CAIRO_STATUS_SUCCESS
             ? PK_OK : pk_error(w->ctx, PK_ERR_NOMEM, "out of memory placing labels");
    if (rc == PK_OK) {
        cairo_scale(set->measure, g->scale, g->scale);
        set->grid = g;
        set->w = w;
    }
    /* the top layer's labels first, as MapLibre places them */
    for (int i = style->nlayers - 1; rc == PK_OK && i >= 0; i--) {
        const struct pk_style_layer *l = &style->layers[i];
        if (l->type != PK_STYLE_SYMBOL || !pk_style_layer_at_zoom(l, g->zoom))
            continue;
        set->layer = i;
        rc = pk_render_features(w, layers, i, g->box, g->zoom, place_one, set);
    }
    if (set && set->measure)
        cairo_destroy(set->measure);
    cairo_surface_destroy(surface);
    if (set) {
        set->measure = NULL;
        set->grid = NULL;
        set->w = NULL;
    }
    if (rc != PK_OK) {
        pk_label_set_free(set);
        return rc;
    }
    *out = set;
    return PK_OK;
}

int pk_label_set_draw(struct pk_ctx *ctx, const struct pk_label_set *set, int layer, cairo_t *cr, double ox,
                      double oy, double w, double h)
{
    for (int i = 0; i < set->n; i++) {
        const struct placed_label *L = &set->l[i];
        if (L->layer != layer || L->box[2] <= ox || L->box[0] >= ox + w || L->box[3] <= oy || L->box[1] >= oy + h)
            continue;
        PangoLayout *layout = make_layout(cr, L->text, &L->style);
        if (!layout)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory laying out label '%s'", L->text);
        draw_layout(cr, layout, &L->style, L->x - ox, L->y - oy);
        g_object_unref(layout);
    }
    return PK_OK;
}
