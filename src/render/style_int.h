/* style_int.h — the MapLibre style engine inside the library: a style (v8
 * JSON) compiled into layers with filters and property expressions, and the
 * evaluation of those against one feature.
 *
 * style.c reads the document and its layers, style_expr.c compiles
 * expressions (and legacy filters, zoom functions and text tokens, which it
 * rewrites as expressions), style_eval.c evaluates them, style_color.c
 * parses CSS colours. Anything the
 * engine does not support is logged once, at load, as a warning naming the
 * style layer and the property (PK_LOG_WARN), and the property keeps its
 * default. */
#ifndef PLANKIT_STYLE_INT_H
#define PLANKIT_STYLE_INT_H

#include <stddef.h>

#include "plankit/style.h"
#include "reader_int.h"

/* A colour: r, g, b in 0..255 (not premultiplied), a in 0..1. */
struct pk_color {
    double r, g, b, a;
};

/* Parse any CSS colour the style spec allows (#rgb, #rgba, #rrggbb,
 * #rrggbbaa, rgb(), rgba(), hsl(), hsla(), named colours incl.
 * "transparent"); case-insensitive. Returns 1 and fills *out, else 0. */
int pk_color_parse(const char *text, struct pk_color *out);

enum pk_sv_type { PK_SV_NULL = 0, PK_SV_BOOL, PK_SV_NUM, PK_SV_STR, PK_SV_COLOR, PK_SV_ARRAY };

/* A style value. s is borrowed: from the style, the feature, or the
 * evaluation's arena (valid until pk_style_eval_reset). items of an array
 * are borrowed from the compiled expression. */
struct pk_sv {
    enum pk_sv_type type;
    int b;
    double n;
    const char *s;
    struct pk_color c;
    int nitems;
    const struct pk_sv *items;
};

/* The feature an expression is evaluated against. geom_type: 1 Point,
 * 2 LineString, 3 Polygon (as the spec's "$type"); props are borrowed. */
struct pk_style_eval {
    double zoom;
    int geom_type;
    long long id;
    int nprops;
    const char *const *names;
    const struct pk_value *props;
    /* strings made while evaluating (concat, to-string): freed by reset */
    struct pk_arena_block *arena;
    int nomem;          /* an allocation failed: the result is not to be trusted */
};

/* Free the strings made by earlier evaluations (keeps the feature fields). */
void pk_style_eval_reset(struct pk_style_eval *ev);

struct pk_expr;
struct json_object;

/* Where an expression is being compiled, for warnings. */
struct pk_expr_site {
    struct pk_ctx *ctx;
    const char *layer;     /* style layer id */
    const char *property;  /* property name, or "filter" */
    const char *fallback;  /* what happens instead, for the warning; NULL: "using the default" */
    int unsupported;       /* set when a warning was logged */
};

/* Compile a property value from JSON: an expression, a literal, or a
 * legacy function ({"stops": ...}); with PK_EXPR_LEGACY_TEXT a string with
 * "{name}" tokens (text-field), with PK_EXPR_ARRAY_VALUE an array that does
 * not start with an operator is a literal (line-dasharray, text-font).
 * *out is NULL with a warning logged (site->unsupported) when it uses
 * something the engine lacks. Returns PK_OK or PK_ERR_NOMEM. Caller frees
 * *out with pk_expr_free. */
#define PK_EXPR_LEGACY_TEXT 1
#define PK_EXPR_ARRAY_VALUE 2
int pk_expr_compile(struct pk_expr_site *site, struct json_object *json, int flags, struct pk_expr **out);
/* Same for a filter: legacy filter syntax or an expression. */
int pk_filter_compile(struct pk_expr_site *site, struct json_object *json, struct pk_expr **out);
void pk_expr_free(struct pk_expr *e);
/* Evaluate e; 0 with *out set, or -1 when evaluation fails (a type error, as
 * the spec's runtime errors: the caller uses the property's default). */
int pk_expr_eval(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out);
/* v as text (to-string's rules): borrowed, or in ev's arena; NULL when out
 * of memory. */
const char *pk_sv_text(struct pk_style_eval *ev, const struct pk_sv *v);
/* A filter: 1 if the feature passes (a failing evaluation does not pass). */
int pk_filter_eval(const struct pk_expr *e, struct pk_style_eval *ev);
/* Feature property names e reads (get, has, legacy filters): calls fn once
 * per occurrence. */
void pk_expr_fields(const struct pk_expr *e, void (*fn)(void *arg, const char *name), void *arg);

/* ---- the compiled tree: style_expr.c builds it, style_eval.c walks it */

enum pk_expr_op {
    PK_OP_LITERAL, PK_OP_GET, PK_OP_HAS, PK_OP_ZOOM, PK_OP_GEOMTYPE, PK_OP_ID,
    PK_OP_EQ, PK_OP_NE, PK_OP_LT, PK_OP_LE, PK_OP_GT, PK_OP_GE, PK_OP_NOT, PK_OP_ALL, PK_OP_ANY, PK_OP_IN, PK_OP_LEGACY_IN,
    PK_OP_MATCH, PK_OP_CASE, PK_OP_STEP, PK_OP_INTERP, PK_OP_COALESCE,
    PK_OP_TO_STRING, PK_OP_TO_NUMBER, PK_OP_TO_BOOLEAN, PK_OP_TO_COLOR, PK_OP_CONCAT,
    PK_OP_ADD, PK_OP_SUB, PK_OP_MUL, PK_OP_DIV, PK_OP_MOD, PK_OP_POW, PK_OP_MIN, PK_OP_MAX,
    PK_OP_ROUND, PK_OP_FLOOR, PK_OP_CEIL, PK_OP_ABS, PK_OP_SQRT,
    PK_OP_IS_NUMBER, PK_OP_IS_STRING, PK_OP_IS_BOOLEAN, PK_OP_RGB, PK_OP_RGBA, PK_OP_UPCASE, PK_OP_DOWNCASE
};

/* A node. Arguments by op: match: input, label, output, ..., fallback (labels
 * are literals); step: input, output0, stop1, output1, ...; interpolate:
 * input, stop1, output1, ... (stops are numeric literals, ascending);
 * legacy in: the key's value, then the literal values; others: their
 * operands in order. */
struct pk_expr {
    enum pk_expr_op op;
    int nargs;
    struct pk_expr **args;
    struct pk_sv value;     /* PK_OP_LITERAL */
    char *str;              /* owned: a literal's string, or the property name of get/has */
    int nstrs;
    char **strs;            /* owned strings of an array literal's items */
    struct pk_sv *items;    /* owned items of an array literal */
    double base;            /* PK_OP_INTERP: 1 linear, else exponential */
};

enum pk_layer_type {
    PK_STYLE_BACKGROUND = 0, PK_STYLE_FILL, PK_STYLE_LINE, PK_STYLE_CIRCLE, PK_STYLE_SYMBOL
};

/* The properties the engine supports, each with a default. */
enum pk_prop {
    PK_P_BACKGROUND_COLOR = 0, PK_P_BACKGROUND_OPACITY,
    PK_P_FILL_COLOR, PK_P_FILL_OPACITY, PK_P_FILL_OUTLINE_COLOR,
    PK_P_LINE_COLOR, PK_P_LINE_WIDTH, PK_P_LINE_OPACITY, PK_P_LINE_DASHARRAY,
    PK_P_LINE_CAP, PK_P_LINE_JOIN,
    PK_P_CIRCLE_RADIUS, PK_P_CIRCLE_COLOR, PK_P_CIRCLE_OPACITY,
    PK_P_CIRCLE_STROKE_COLOR, PK_P_CIRCLE_STROKE_WIDTH,
    PK_P_TEXT_FIELD, PK_P_TEXT_SIZE, PK_P_TEXT_COLOR, PK_P_TEXT_HALO_COLOR,
    PK_P_TEXT_HALO_WIDTH, PK_P_TEXT_FONT,
    PK_P_SYMBOL_PLACEMENT, PK_P_SYMBOL_SPACING,
    PK_P_COUNT
};

/* The source layer that, when the store has no layer of that name, stands
 * for the tile contract's `labels` layer (a point inside each named polygon,
 * with layer, fid and name), so styles written for the tiles render
 * straight from the store. */
#define PK_STYLE_LABELS_LAYER "labels"

struct pk_style_layer {
    char *id;
    enum pk_layer_type type;
    char *source;          /* NULL for background */
    char *source_layer;    /* store layer name; NULL for background */
    double minzoom, maxzoom;
    int visible;           /* layout visibility */
    struct pk_expr *filter;            /* NULL: every feature */
    struct pk_expr *prop[PK_P_COUNT];  /* NULL: the default */
    char *legend;          /* metadata "plankit:legend" (the legend's label), or NULL */
    char *group;           /* metadata "plankit:group", or NULL */
};

struct pk_style {
    char *name;
    char *title;           /* the document's "name", or NULL */
    int nlayers;
    struct pk_style_layer *layers;  /* in drawing order */
};

/* Name of a property ("fill-color"). */
const char *pk_prop_name(enum pk_prop p);
/* Layer l is drawn at zoom z (visible, minzoom <= z < maxzoom). */
int pk_style_layer_at_zoom(const struct pk_style_layer *l, double zoom);
/* The value of property p of layer l for the feature in ev: the compiled
 * expression, or its default when unset or when evaluation fails (colour
 * NULL-typed when it has none: fill-outline-color, text halo). */
void pk_style_prop(const struct pk_style_layer *l, enum pk_prop p, struct pk_style_eval *ev, struct pk_sv *out);
/* Convenience wrappers over pk_style_prop. */
double pk_style_number(const struct pk_style_layer *l, enum pk_prop p, struct pk_style_eval *ev);
struct pk_color pk_style_color(const struct pk_style_layer *l, enum pk_prop p, struct pk_style_eval *ev);

#endif
