/* render_label.c — text labels of the renderer: Pango layouts drawn with a
 * halo, a font list that always ends in a CJK font, the collision index
 * that keeps two labels from overlapping (first placed wins), and the
 * global placement of raster tiles: labels placed once per zoom over the
 * whole tile set, in world pixels, so neighbouring tiles draw a label that
 * crosses their edge identically; at a point inside polygons, or along
 * lines character by character where the style's symbol-placement says so. */
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

/* A character of a label placed along a line. */
struct glyph {
    double x, y;                /* its centre, world px */
    double angle;               /* its rotation, radians (y down) */
    int start, len;             /* its bytes in the label's text */
};

struct placed_label {
    int layer;                  /* style layer index */
    char *text;                 /* owned */
    struct pk_label_style style;
    double x, y;                /* where the layout is drawn (its origin), world px */
    double box[4];              /* collision box, halo and padding included, world px */
    int nglyphs;                /* > 0: drawn character by character along a line */
    struct glyph *glyphs;       /* owned */
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

int pk_label_set_glyph(const struct pk_label_set *set, int layer, int i, int k, double *x, double *y, double *angle)
{
    for (int j = 0; j < set->n; j++)
        if (set->l[j].layer == layer && i-- == 0) {
            if (k >= set->l[j].nglyphs)
                return 0;
            *x = set->l[j].glyphs[k].x, *y = set->l[j].glyphs[k].y, *angle = set->l[j].glyphs[k].angle;
            return 1;
        }
    return 0;
}

void pk_label_set_free(struct pk_label_set *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->n; i++) {
        free(set->l[i].text);
        free(set->l[i].glyphs);
    }
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
    set->l[set->n].glyphs = NULL;
    if (!(set->l[set->n].text = strdup(L->text)))
        return -1;
    if (L->nglyphs > 0 && !(set->l[set->n].glyphs = malloc(sizeof *L->glyphs * (size_t)L->nglyphs))) {
        free(set->l[set->n].text);
        return -1;
    }
    if (L->nglyphs > 0)
        memcpy(set->l[set->n].glyphs, L->glyphs, sizeof *L->glyphs * (size_t)L->nglyphs);
    set->n++;
    return 0;
}

/* ---- labels along lines (symbol-placement line, line-center) */

#define MAX_GLYPHS 64
#define MAX_BEND (M_PI / 4)       /* the spec's text-max-angle default: 45 degrees */

/* One part of a line in world pixels, with the distance along it of each vertex. */
struct path {
    double *xy, *dist;
    int n;
};

/* The point at distance s along p and the direction there. */
static void point_at(const struct path *p, double s, double *x, double *y, double *angle)
{
    int i = 1;
    while (i < p->n - 1 && p->dist[i] < s)
        i++;
    double seg = p->dist[i] - p->dist[i - 1], t = seg > 0 ? (s - p->dist[i - 1]) / seg : 0;
    const double *a = p->xy + 2 * (i - 1), *b = p->xy + 2 * i;
    *x = a[0] + t * (b[0] - a[0]);
    *y = a[1] + t * (b[1] - a[1]);
    *angle = atan2(b[1] - a[1], b[0] - a[0]);
}

/* The label's characters and their advances (px), measured as drawn. */
struct chars {
    int n;
    int start[MAX_GLYPHS], len[MAX_GLYPHS];
    double width[MAX_GLYPHS], total, height;
};

static int measure_chars(cairo_t *cr, const char *text, const struct pk_label_style *s, struct chars *C)
{
    C->n = 0;
    C->total = C->height = 0;
    for (const char *c = text; *c && C->n < MAX_GLYPHS; c = g_utf8_next_char(c)) {
        char one[8] = {0};
        int len = (int)(g_utf8_next_char(c) - c);
        memcpy(one, c, (size_t)len < sizeof one ? (size_t)len : sizeof one - 1);
        PangoLayout *layout = make_layout(cr, one, s);
        if (!layout)
            return -1;
        PangoRectangle ink, logical;
        pango_layout_get_pixel_extents(layout, &ink, &logical);
        g_object_unref(layout);
        C->start[C->n] = (int)(c - text);
        C->len[C->n] = len;
        C->width[C->n] = logical.width;
        C->total += logical.width;
        C->height = fmax(C->height, logical.height);
        C->n++;
    }
    return 0;
}

/* Place the characters centred at distance d along p, reading left to
 * right; 1 placed, 0 not (too short, too bent, or colliding), -1 out of
 * memory. */
static int try_along(struct pk_label_set *set, const struct path *p, double d, const struct chars *C,
                     struct placed_label *L)
{
    double len = p->dist[p->n - 1], x0, y0, x1, y1, a;
    if (d - C->total / 2 < 0 || d + C->total / 2 > len)
        return 0;
    point_at(p, d - C->total / 2, &x0, &y0, &a);
    point_at(p, d + C->total / 2, &x1, &y1, &a);
    int forward = x1 >= x0; /* else the text is laid from the line's far end, so it is never upside down */
    struct glyph g[MAX_GLYPHS];
    double boxes[MAX_GLYPHS][4], pad = fmax(L->style.halo_width, 0) + LABEL_PADDING, done = 0;
    for (int k = 0; k < C->n; k++) {
        double s = forward ? d - C->total / 2 + done + C->width[k] / 2 : d + C->total / 2 - done - C->width[k] / 2;
        done += C->width[k];
        point_at(p, s, &g[k].x, &g[k].y, &g[k].angle);
        if (!forward)
            g[k].angle += M_PI;
        double bend = k ? fabs(remainder(g[k].angle - g[k - 1].angle, 2 * M_PI)) : 0;
        if (bend > MAX_BEND)
            return 0;
        double r = fmax(C->width[k], C->height) / 2 + pad;
        double b[4] = {g[k].x - r, g[k].y - r, g[k].x + r, g[k].y + r};
        memcpy(boxes[k], b, sizeof b);
        g[k].start = C->start[k];
        g[k].len = C->len[k];
    }
    for (int k = 0; k < C->n; k++)
        for (int i = 0; i < set->index.n; i++)
            if (overlaps(set->index.boxes[i], boxes[k]))
                return 0;
    memcpy(L->box, boxes[0], sizeof L->box);
    for (int k = 0; k < C->n; k++) {
        if (claim(&set->index, boxes[k]) < 0)
            return -1;
        L->box[0] = fmin(L->box[0], boxes[k][0]), L->box[1] = fmin(L->box[1], boxes[k][1]);
        L->box[2] = fmax(L->box[2], boxes[k][2]), L->box[3] = fmax(L->box[3], boxes[k][3]);
    }
    L->nglyphs = C->n;
    L->glyphs = g;
    int rc = keep_label(set, L);
    L->glyphs = NULL;
    return rc == 0 ? 1 : -1;
}

/* Part g (a LineString) of a feature as a path in world pixels; 0, or -1
 * when out of memory (an empty path has n 0). Caller frees xy and dist. */
static int make_path(GEOSContextHandle_t h, const GEOSGeometry *g, double m_px, struct path *p)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
    unsigned int n = 0;
    p->n = 0;
    p->xy = p->dist = NULL;
    if (GEOSGeomTypeId_r(h, g) != GEOS_LINESTRING || !cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n < 2)
        return 0;
    p->xy = malloc(sizeof *p->xy * 2 * n);
    p->dist = malloc(sizeof *p->dist * n);
    if (!p->xy || !p->dist)
        return -1;
    for (unsigned int i = 0; i < n; i++) {
        double x, y;
        GEOSCoordSeq_getXY_r(h, cs, i, &x, &y);
        p->xy[2 * i] = (x + 20037508.342789244) * m_px;
        p->xy[2 * i + 1] = (20037508.342789244 - y) * m_px;
        p->dist[i] = i ? p->dist[i - 1] + hypot(p->xy[2 * i] - p->xy[2 * i - 2], p->xy[2 * i + 1] - p->xy[2 * i - 1]) : 0;
    }
    p->n = (int)n;
    return 0;
}

/* Labels along each part of line g: one at its middle (spacing 0,
 * line-center) or one every spacing pixels from spacing / 2 on (line), as
 * MapLibre places them; a position that collides, bends too much or runs
 * off the line is skipped (counted as dropped when the part got none). */
static int place_along(struct pk_label_set *set, const GEOSGeometry *g, const char *text, struct placed_label *L,
                       double spacing)
{
    GEOSContextHandle_t h = pk_geos(set->w->ctx);
    struct chars C;
    if (measure_chars(set->measure, text, &L->style, &C) != 0)
        return pk_error(set->w->ctx, PK_ERR_NOMEM, "out of memory laying out label '%s'", text);
    L->text = (char *)text;
    double m_px = set->grid->world_px / (2 * 20037508.342789244);
    int nparts = GEOSGetNumGeometries_r(h, g), rc = 0;
    for (int i = 0; rc >= 0 && i < nparts; i++) {
        struct path p;
        rc = make_path(h, GEOSGetGeometryN_r(h, g, i), m_px, &p);
        int placed = 0;
        double len = p.n ? p.dist[p.n - 1] : 0;
        if (spacing <= 0 && p.n)
            placed = rc = try_along(set, &p, len / 2, &C, L);
        for (double d = spacing / 2; rc >= 0 && spacing > 0 && p.n && d < len; d += spacing)
            placed += (rc = try_along(set, &p, d, &C, L)) > 0;
        if (rc >= 0 && p.n && placed == 0)
            set->dropped++;
        free(p.xy);
        free(p.dist);
    }
    return rc < 0 ? pk_error(set->w->ctx, PK_ERR_NOMEM, "out of memory placing labels") : PK_OK;
}

/* Draw a label placed along a line: each character rotated at its place. */
static int draw_glyphs(cairo_t *cr, const struct placed_label *L, double ox, double oy)
{
    for (int k = 0; k < L->nglyphs; k++) {
        const struct glyph *g = &L->glyphs[k];
        char one[8] = {0};
        memcpy(one, L->text + g->start, (size_t)g->len < sizeof one ? (size_t)g->len : sizeof one - 1);
        cairo_save(cr);
        cairo_translate(cr, g->x - ox, g->y - oy);
        cairo_rotate(cr, g->angle);
        PangoLayout *layout = make_layout(cr, one, &L->style);
        if (!layout) {
            cairo_restore(cr);
            return -1;
        }
        PangoRectangle ink, logical;
        pango_layout_get_pixel_extents(layout, &ink, &logical);
        draw_layout(cr, layout, &L->style, -logical.width / 2.0 - logical.x, -logical.height / 2.0 - logical.y);
        g_object_unref(layout);
        cairo_restore(cr);
    }
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
    if (!text || !*text || !g_utf8_validate(text, -1, NULL) || L.style.size <= 0)
        return PK_OK;
    struct pk_sv placement;
    pk_style_prop(l, PK_P_SYMBOL_PLACEMENT, ev, &placement);
    if (anchor_type == 2 && strcmp(placement.s, "point"))
        return place_along(set, g, text, &L, !strcmp(placement.s, "line-center") ? 0
                                              : pk_style_number(l, PK_P_SYMBOL_SPACING, ev));
    if (!pk_render_label_anchor(pk_geos(set->w->ctx), g, anchor_type, &x, &y))
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
        if (L->nglyphs > 0) {
            if (draw_glyphs(cr, L, ox, oy) != 0)
                return pk_error(ctx, PK_ERR_NOMEM, "out of memory laying out label '%s'", L->text);
            continue;
        }
        PangoLayout *layout = make_layout(cr, L->text, &L->style);
        if (!layout)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory laying out label '%s'", L->text);
        draw_layout(cr, layout, &L->style, L->x - ox, L->y - oy);
        g_object_unref(layout);
    }
    return PK_OK;
}
