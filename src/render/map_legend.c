/* map_legend.c — a printed map's legend, made from what the renderer drew
 * (its `drawn` callback): one entry per style layer drawn, or per class
 * drawn when the layer's colour is a match, step or interpolate over a
 * feature property. Labels come from the style layer's metadata
 * (plankit:legend, else its plankit:group when only that layer's source
 * layer uses the group), else the store layer's title, else the layer id,
 * with the values its filter selects and the class. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_int.h"

enum swatch { SW_FILL, SW_LINE, SW_CIRCLE, SW_TEXT };

struct map_legend_entry {
    int layer;
    int rank;                       /* the class's place in the layer's expression */
    char *label;
    enum swatch kind;
    struct pk_color color, stroke;  /* fill/line/circle/text colour; outline/circle stroke/halo */
    double opacity, width, radius;  /* px */
    double dash[2];
    int dashed;
};

/* ---- labels */

struct text_buf {
    char s[512];
    size_t n;
};

static void tb_add(struct text_buf *t, const char *s)
{
    if (t->n < sizeof t->s - 1)
        t->n += (size_t)snprintf(t->s + t->n, sizeof t->s - t->n, "%s", s);
    if (t->n >= sizeof t->s)
        t->n = sizeof t->s - 1;
}

/* The values a filter selects (match labels mapped to true, == and in
 * literals), space-separated, into t. */
static void filter_values(const struct pk_expr *e, struct text_buf *t)
{
    if (!e)
        return;
    if (e->op == PK_OP_ALL) {
        for (int i = 0; i < e->nargs; i++)
            filter_values(e->args[i], t);
    } else if (e->op == PK_OP_MATCH && e->nargs >= 2 && e->args[0]->op == PK_OP_GET) {
        for (int i = 1; i + 1 < e->nargs; i += 2) {
            const struct pk_sv *lab = &e->args[i]->value, *out = &e->args[i + 1]->value;
            if (e->args[i + 1]->op != PK_OP_LITERAL || out->type != PK_SV_BOOL || !out->b)
                continue;
            for (int k = 0; k < (lab->type == PK_SV_ARRAY ? lab->nitems : 1); k++) {
                const struct pk_sv *v = lab->type == PK_SV_ARRAY ? &lab->items[k] : lab;
                if (v->type == PK_SV_STR) {
                    tb_add(t, t->n ? ", " : "");
                    tb_add(t, v->s);
                }
            }
        }
    } else if ((e->op == PK_OP_EQ || e->op == PK_OP_LEGACY_IN) && e->nargs >= 2 && e->args[0]->op == PK_OP_GET) {
        for (int i = 1; i < e->nargs; i++)
            if (e->args[i]->op == PK_OP_LITERAL && e->args[i]->value.type == PK_SV_STR) {
                tb_add(t, t->n ? ", " : "");
                tb_add(t, e->args[i]->value.s);
            }
    }
}

/* The title of store layer name, into buf ("" when none). */
static void layer_title(struct pk_store *store, const char *name, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    if (!store || pk_sql_prepare(store, "SELECT title FROM pk_layers WHERE name = ?1", &st) != PK_OK)
        return;
    pk_sql_bind_text(st, 1, name);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* Whether every layer of l's group draws l's source layer. */
static int group_is_layers_own(const struct pk_style *style, const struct pk_style_layer *l)
{
    for (int i = 0; i < style->nlayers; i++) {
        const struct pk_style_layer *o = &style->layers[i];
        if (o->group && !strcmp(o->group, l->group) &&
            (!o->source_layer || !l->source_layer || strcmp(o->source_layer, l->source_layer)))
            return 0;
    }
    return 1;
}

/* The base label of style layer l into t. */
static void base_label(const struct map_legend *L, const struct pk_style_layer *l, struct text_buf *t)
{
    struct text_buf values = {.n = 0};
    char title[256] = "";
    if (l->legend) {
        tb_add(t, l->legend);
        return;
    }
    filter_values(l->filter, &values);
    if (l->group && (l->type == PK_STYLE_SYMBOL || group_is_layers_own(L->style, l)))
        tb_add(t, l->group);
    else if (layer_title(L->store, l->source_layer, title, sizeof title), title[0])
        tb_add(t, title);
    else
        tb_add(t, l->id);
    if (values.n || l->type == PK_STYLE_SYMBOL) {
        tb_add(t, ": ");
        tb_add(t, values.n ? values.s : l->source_layer ? l->source_layer : "");
    }
}

/* ---- classes */

/* A number as a legend shows it: a percentage for fractions of a share. */
static void format_stop(char *buf, size_t size, double v, int percent)
{
    if (percent)
        snprintf(buf, size, "%g%%", round(v * 1000) / 10);
    else
        snprintf(buf, size, "%g", v);
}

static void percent_probe(void *arg, const char *name)
{
    *(int *)arg |= strstr(name, "share") != NULL;
}

/* The class of the feature in ev when colour expression e classifies by a
 * property: its text into t and the class's colour into *c (a stop's
 * colour for step and interpolate). 0 when e does not classify. */
static int feature_class(const struct pk_expr *e, struct pk_style_eval *ev, struct text_buf *t, struct pk_color *c,
                         int *rank)
{
    struct pk_sv in;
    if (!e || e->nargs < 3 || (e->op != PK_OP_MATCH && e->op != PK_OP_STEP && e->op != PK_OP_INTERP))
        return 0;
    if (e->args[0]->op == PK_OP_ZOOM || pk_expr_eval(e->args[0], ev, &in) != 0)
        return 0;
    if (e->op == PK_OP_MATCH) {
        const char *s = pk_sv_text(ev, &in);
        tb_add(t, s && *s ? s : "—");
        *rank = e->nargs; /* the fallback last */
        for (int i = 1; s && i + 1 < e->nargs; i += 2) {
            const struct pk_sv *lab = &e->args[i]->value;
            for (int k = 0; k < (lab->type == PK_SV_ARRAY ? lab->nitems : 1); k++) {
                const struct pk_sv *v = lab->type == PK_SV_ARRAY ? &lab->items[k] : lab;
                if (v->type == PK_SV_STR && !strcmp(v->s, s) && *rank == e->nargs)
                    *rank = i;
            }
        }
        return 1;
    }
    if (in.type != PK_SV_NUM)
        return 0;
    int percent = 0, first = e->op == PK_OP_STEP ? 2 : 1; /* index of the first stop */
    pk_expr_fields(e->args[0], percent_probe, &percent);
    int k = -1; /* the last stop <= the value */
    for (int i = first; i + 1 < e->nargs; i += 2)
        if (e->args[i]->op == PK_OP_LITERAL && in.n >= e->args[i]->value.n)
            k = i;
    const struct pk_expr *out = k < 0 ? (e->op == PK_OP_STEP ? e->args[1] : e->args[first + 1]) : e->args[k + 1];
    struct pk_sv col;
    if (pk_expr_eval(out, ev, &col) == 0 && col.type == PK_SV_STR)
        pk_color_parse(col.s, c);
    else if (col.type == PK_SV_COLOR)
        *c = col.c;
    *rank = k;
    char a[32], b[32];
    int has_next = k >= 0 ? k + 2 < e->nargs - 1 : 1;
    double lo = k >= 0 ? e->args[k]->value.n : 0, hi = has_next ? e->args[k < 0 ? first : k + 2]->value.n : 0;
    format_stop(a, sizeof a, lo, percent);
    format_stop(b, sizeof b, hi, percent);
    char text[80];
    if (k < 0)
        snprintf(text, sizeof text, "< %s", b);
    else if (!has_next) /* interpolate: the last stop's value; step: it and above */
        snprintf(text, sizeof text, e->op == PK_OP_INTERP ? "%s" : "≥ %s", a);
    else
        snprintf(text, sizeof text, "%s – %s", a, b);
    tb_add(t, text);
    return 1;
}

/* ---- collecting */

static const enum pk_prop colour_prop[] = {
    [PK_STYLE_FILL] = PK_P_FILL_COLOR, [PK_STYLE_LINE] = PK_P_LINE_COLOR,
    [PK_STYLE_CIRCLE] = PK_P_CIRCLE_COLOR, [PK_STYLE_SYMBOL] = PK_P_TEXT_COLOR};

/* The swatch of the feature in ev for layer l. */
static void swatch_of(const struct pk_style_layer *l, struct pk_style_eval *ev, struct map_legend_entry *e)
{
    struct pk_sv v;
    switch (l->type) {
    case PK_STYLE_FILL:
        e->kind = SW_FILL;
        e->color = pk_style_color(l, PK_P_FILL_COLOR, ev);
        e->opacity = pk_style_number(l, PK_P_FILL_OPACITY, ev);
        pk_style_prop(l, PK_P_FILL_OUTLINE_COLOR, ev, &v);
        e->stroke = v.type == PK_SV_COLOR ? v.c : e->color;
        break;
    case PK_STYLE_LINE:
        e->kind = SW_LINE;
        e->color = pk_style_color(l, PK_P_LINE_COLOR, ev);
        e->opacity = pk_style_number(l, PK_P_LINE_OPACITY, ev);
        e->width = pk_style_number(l, PK_P_LINE_WIDTH, ev);
        pk_style_prop(l, PK_P_LINE_DASHARRAY, ev, &v);
        if (v.type == PK_SV_ARRAY && v.nitems >= 2) {
            e->dashed = 1;
            e->dash[0] = v.items[0].n, e->dash[1] = v.items[1].n;
        }
        break;
    case PK_STYLE_CIRCLE:
        e->kind = SW_CIRCLE;
        e->color = pk_style_color(l, PK_P_CIRCLE_COLOR, ev);
        e->stroke = pk_style_color(l, PK_P_CIRCLE_STROKE_COLOR, ev);
        e->opacity = pk_style_number(l, PK_P_CIRCLE_OPACITY, ev);
        e->radius = pk_style_number(l, PK_P_CIRCLE_RADIUS, ev);
        e->width = pk_style_number(l, PK_P_CIRCLE_STROKE_WIDTH, ev);
        break;
    default:
        e->kind = SW_TEXT;
        e->color = pk_style_color(l, PK_P_TEXT_COLOR, ev);
        e->stroke = pk_style_color(l, PK_P_TEXT_HALO_COLOR, ev);
        e->width = pk_style_number(l, PK_P_TEXT_HALO_WIDTH, ev);
        e->opacity = 1;
    }
}

void map_legend_drawn(void *arg, int layer_index, struct pk_style_eval *ev)
{
    struct map_legend *L = arg;
    const struct pk_style_layer *l = &L->style->layers[layer_index];
    struct text_buf t = {.n = 0}, cls = {.n = 0};
    struct map_legend_entry e = {.layer = layer_index};
    if (!L->base && !(L->base = calloc((size_t)L->style->nlayers + 1, sizeof *L->base))) {
        L->nomem = 1;
        return;
    }
    if (!L->base[layer_index]) { /* the layer's label reads the store once */
        base_label(L, l, &t);
        if (!(L->base[layer_index] = strdup(t.s))) {
            L->nomem = 1;
            return;
        }
    }
    t.n = 0;
    tb_add(&t, L->base[layer_index]);
    swatch_of(l, ev, &e);
    if (l->type != PK_STYLE_SYMBOL && feature_class(l->prop[colour_prop[l->type]], ev, &cls, &e.color, &e.rank)) {
        tb_add(&t, " · ");
        tb_add(&t, cls.s);
    }
    for (int i = 0; i < L->n; i++)
        if (!strcmp(L->e[i].label, t.s)) { /* one entry per label: a line drawing a fill's edge outlines it */
            if (L->e[i].kind == SW_FILL && e.kind == SW_LINE && L->e[i].layer != layer_index)
                L->e[i].stroke = e.color;
            return;
        }
    if (L->n == L->cap) {
        int cap = L->cap ? 2 * L->cap : 16;
        struct map_legend_entry *ne = realloc(L->e, sizeof *ne * (size_t)cap);
        if (!ne) {
            L->nomem = 1;
            return;
        }
        L->e = ne, L->cap = cap;
    }
    if (!(e.label = strdup(t.s))) {
        L->nomem = 1;
        return;
    }
    /* keep the style's order: after the entries of earlier or the same layers */
    int at = L->n;
    while (at > 0 && (L->e[at - 1].layer > layer_index ||
                      (L->e[at - 1].layer == layer_index && L->e[at - 1].rank > e.rank)))
        at--;
    memmove(&L->e[at + 1], &L->e[at], sizeof *L->e * (size_t)(L->n - at));
    L->e[at] = e;
    L->n++;
}

int map_legend_count(const struct map_legend *L) { return L->n; }
const char *map_legend_label(const struct map_legend *L, int i) { return L->e[i].label; }

void map_legend_free(struct map_legend *L)
{
    for (int i = 0; i < L->n; i++)
        free(L->e[i].label);
    free(L->e);
    for (int i = 0; L->base && i < L->style->nlayers; i++)
        free(L->base[i]);
    free(L->base);
    L->base = NULL;
    L->e = NULL;
    L->n = L->cap = 0;
}

/* ---- drawing (mm) */

#define PX_MM (25.4 / 96)

static void source_rgba(cairo_t *cr, struct pk_color c, double opacity)
{
    cairo_set_source_rgba(cr, c.r / 255, c.g / 255, c.b / 255, c.a * opacity);
}

static void draw_swatch(cairo_t *cr, const struct map_legend_entry *e, double x, double y, double w, double h)
{
    cairo_save(cr);
    cairo_new_path(cr);
    if (e->kind == SW_FILL) {
        cairo_rectangle(cr, x, y, w, h);
        source_rgba(cr, e->color, e->opacity);
        cairo_fill_preserve(cr);
        source_rgba(cr, e->stroke, e->opacity);
        cairo_set_line_width(cr, 0.25);
        cairo_stroke(cr);
    } else if (e->kind == SW_LINE) {
        double lw = fmax(e->width * PX_MM, 0.15);
        if (e->dashed) {
            double d[2] = {e->dash[0] * lw, e->dash[1] * lw};
            cairo_set_dash(cr, d, 2, 0);
        }
        cairo_move_to(cr, x, y + h / 2);
        cairo_line_to(cr, x + w, y + h / 2);
        cairo_set_line_width(cr, lw);
        source_rgba(cr, e->color, e->opacity);
        cairo_stroke(cr);
    } else if (e->kind == SW_CIRCLE) {
        double r = fmin(fmax(e->radius * PX_MM, 0.5), h / 2);
        cairo_arc(cr, x + w / 2, y + h / 2, r, 0, 2 * M_PI);
        source_rgba(cr, e->color, e->opacity);
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, fmax(e->width * PX_MM, 0.1));
        source_rgba(cr, e->stroke, e->width > 0 ? e->opacity : 0);
        cairo_stroke(cr);
    } else {
        map_text(cr, "文字 Aa", x, y - 0.3, w + 4, 7, 0, e->color.r / 255, e->color.g / 255, e->color.b / 255);
    }
    cairo_restore(cr);
}

double map_legend_draw(cairo_t *cr, struct map_legend *const *legends, int n, double x, double y, double w,
                       double max_h)
{
    double at = y;
    at += map_text(cr, "图例 Legend", x, at, w, 10, 1, 0.1, 0.1, 0.1) + 1.5;
    int shown = 0, total = 0;
    for (int k = 0; k < n; k++)
        total += legends[k]->n;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < legends[k]->n; i++) {
            const struct map_legend_entry *e = &legends[k]->e[i];
            if (at + 5 > y + max_h - (shown + 1 < total ? 5 : 0))
                goto full;
            draw_swatch(cr, e, x, at + 0.3, 9, 4);
            double th = map_text(cr, e->label, x + 11, at, w - 11, 7, 0, 0.15, 0.15, 0.15);
            at += fmax(th, 4.6) + 0.8;
            shown++;
        }
full:
    if (shown < total) {
        char more[64];
        snprintf(more, sizeof more, "… %d more", total - shown);
        at += map_text(cr, more, x, at, w, 7, 0, 0.3, 0.3, 0.3);
    }
    return at - y;
}
