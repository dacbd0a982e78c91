/* style_eval.c — evaluating compiled style expressions (style_expr.c)
 * against one feature: typed values as the MapLibre spec defines them,
 * strings made on the way kept in the evaluation's arena. Runtime type
 * errors make pk_expr_eval return -1, as the spec's evaluation errors: a
 * filter then does not pass and a property takes its default. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "style_int.h"

/* ---- the arena of strings made while evaluating */

struct pk_arena_block {
    struct pk_arena_block *next;
    char text[];
};

void pk_style_eval_reset(struct pk_style_eval *ev)
{
    while (ev->arena) {
        struct pk_arena_block *b = ev->arena;
        ev->arena = b->next;
        free(b);
    }
    ev->nomem = 0;
}

/* A buffer of n bytes owned by ev; NULL (and ev->nomem) when out of memory. */
static char *arena_alloc(struct pk_style_eval *ev, size_t n)
{
    struct pk_arena_block *b = malloc(sizeof *b + n);
    if (!b) {
        ev->nomem = 1;
        return NULL;
    }
    b->next = ev->arena;
    ev->arena = b;
    return b->text;
}

static const struct pk_sv null_sv = {.type = PK_SV_NULL};

static int lookup(const struct pk_style_eval *ev, const char *name)
{
    for (int i = 0; i < ev->nprops; i++)
        if (!strcmp(ev->names[i], name))
            return i;
    return -1;
}

/* A feature property; null when absent or NULL in the store. */
static void get_prop(const struct pk_style_eval *ev, const char *name, struct pk_sv *out)
{
    int i = lookup(ev, name);
    *out = null_sv;
    if (i < 0)
        return;
    const struct pk_value *v = &ev->props[i];
    if (v->type == PK_VAL_INT)
        *out = (struct pk_sv){.type = PK_SV_NUM, .n = (double)v->i};
    else if (v->type == PK_VAL_REAL)
        *out = (struct pk_sv){.type = PK_SV_NUM, .n = v->d};
    else if (v->type == PK_VAL_TEXT)
        *out = (struct pk_sv){.type = PK_SV_STR, .s = v->s ? v->s : ""};
}

/* Strict equality: values of different types are not equal. */
static int sv_equal(const struct pk_sv *a, const struct pk_sv *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case PK_SV_NULL: return 1;
    case PK_SV_BOOL: return a->b == b->b;
    case PK_SV_NUM: return a->n == b->n;
    case PK_SV_STR: return !strcmp(a->s, b->s);
    case PK_SV_COLOR: return !memcmp(&a->c, &b->c, sizeof a->c);
    case PK_SV_ARRAY:
        if (a->nitems != b->nitems)
            return 0;
        for (int i = 0; i < a->nitems; i++)
            if (!sv_equal(&a->items[i], &b->items[i]))
                return 0;
        return 1;
    }
    return 0;
}

static const char *geom_type_name(int t)
{
    return t == 1 ? "Point" : t == 2 ? "LineString" : t == 3 ? "Polygon" : "Unknown";
}

static void set_bool(struct pk_sv *out, int b) { *out = (struct pk_sv){.type = PK_SV_BOOL, .b = b != 0}; }
static void set_num(struct pk_sv *out, double n) { *out = (struct pk_sv){.type = PK_SV_NUM, .n = n}; }

/* ==, !=, <, <=, >, >=: ordering needs two numbers or two strings. */
static int eval_compare(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_sv a, b;
    if (pk_expr_eval(e->args[0], ev, &a) || pk_expr_eval(e->args[1], ev, &b))
        return -1;
    if (e->op == PK_OP_EQ || e->op == PK_OP_NE) {
        set_bool(out, sv_equal(&a, &b) == (e->op == PK_OP_EQ));
        return 0;
    }
    int c;
    if (a.type == PK_SV_NUM && b.type == PK_SV_NUM)
        c = a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
    else if (a.type == PK_SV_STR && b.type == PK_SV_STR) {
        int d = strcmp(a.s, b.s); /* any sign and size: only its sign counts */
        c = (d > 0) - (d < 0);
    }
    else
        return -1;
    if (a.type == PK_SV_NUM && (isnan(a.n) || isnan(b.n)))
        c = 2; /* unordered: every comparison is false */
    int r = e->op == PK_OP_LT ? c == -1 : e->op == PK_OP_LE ? c == -1 || c == 0 : e->op == PK_OP_GT ? c == 1 : c == 0 || c == 1;
    set_bool(out, r);
    return 0;
}

/* !, all, any: operands must be booleans; all/any stop at the first decisive one. */
static int eval_logic(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    int want = e->op == PK_OP_ANY; /* the value that decides any (true) or all (false) */
    for (int i = 0; i < e->nargs; i++) {
        struct pk_sv v;
        if (pk_expr_eval(e->args[i], ev, &v) || v.type != PK_SV_BOOL)
            return -1;
        if (e->op == PK_OP_NOT) {
            set_bool(out, !v.b);
            return 0;
        }
        if (v.b == want) {
            set_bool(out, want);
            return 0;
        }
    }
    set_bool(out, !want);
    return 0;
}

/* ["in", needle, haystack]: an array's item, or a substring of a string. */
static int eval_in(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_sv needle, hay;
    if (pk_expr_eval(e->args[0], ev, &needle) || pk_expr_eval(e->args[1], ev, &hay))
        return -1;
    if (needle.type == PK_SV_COLOR || needle.type == PK_SV_ARRAY)
        return -1;
    if (hay.type == PK_SV_NULL) {
        set_bool(out, 0);
        return 0;
    }
    if (hay.type == PK_SV_STR) { /* a substring; needles other than strings as their text */
        const char *t = needle.type == PK_SV_NULL ? "null" : pk_sv_text(ev, &needle);
        if (!t)
            return -1;
        set_bool(out, strstr(hay.s, t) != NULL);
        return 0;
    }
    if (hay.type != PK_SV_ARRAY)
        return -1;
    int found = 0;
    for (int i = 0; i < hay.nitems && !found; i++)
        found = sv_equal(&needle, &hay.items[i]);
    set_bool(out, found);
    return 0;
}

/* Legacy ["in", key, v...]: the key's value equals one of the values. */
static int eval_legacy_in(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_sv key, v;
    if (pk_expr_eval(e->args[0], ev, &key))
        return -1;
    for (int i = 1; i < e->nargs; i++)
        if (!pk_expr_eval(e->args[i], ev, &v) && sv_equal(&key, &v)) {
            set_bool(out, 1);
            return 0;
        }
    set_bool(out, 0);
    return 0;
}

/* A match label (a literal scalar or array of them) covers value v. */
static int label_matches(const struct pk_sv *label, const struct pk_sv *v)
{
    if (label->type != PK_SV_ARRAY)
        return sv_equal(label, v);
    for (int i = 0; i < label->nitems; i++)
        if (sv_equal(&label->items[i], v))
            return 1;
    return 0;
}

static int eval_match(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_sv v;
    if (pk_expr_eval(e->args[0], ev, &v))
        return -1;
    for (int i = 1; i + 1 < e->nargs; i += 2)
        if (label_matches(&e->args[i]->value, &v))
            return pk_expr_eval(e->args[i + 1], ev, out);
    return pk_expr_eval(e->args[e->nargs - 1], ev, out);
}

static int eval_case(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    for (int i = 0; i + 1 < e->nargs; i += 2) {
        struct pk_sv c;
        if (pk_expr_eval(e->args[i], ev, &c) || c.type != PK_SV_BOOL)
            return -1;
        if (c.b)
            return pk_expr_eval(e->args[i + 1], ev, out);
    }
    return pk_expr_eval(e->args[e->nargs - 1], ev, out);
}

/* args: input, out0, stop1, out1, ...: the output of the last stop <= input. */
static int eval_step(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_sv in;
    if (pk_expr_eval(e->args[0], ev, &in) || in.type != PK_SV_NUM)
        return -1;
    int pick = 1;
    for (int i = 2; i + 1 < e->nargs; i += 2)
        if (in.n >= e->args[i]->value.n)
            pick = i + 1;
    return pk_expr_eval(e->args[pick], ev, out);
}

/* Interpolate a and b (same type: number, colour, or numeric arrays of one
 * length) at t in [0,1] into out; -1 when they cannot be. */
static int mix(const struct pk_sv *a, const struct pk_sv *b, double t, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_color ca, cb;
    if (a->type == PK_SV_NUM && b->type == PK_SV_NUM) {
        set_num(out, a->n + (b->n - a->n) * t);
        return 0;
    }
    if ((a->type == PK_SV_COLOR ? (ca = a->c, 1) : a->type == PK_SV_STR && pk_color_parse(a->s, &ca)) &&
        (b->type == PK_SV_COLOR ? (cb = b->c, 1) : b->type == PK_SV_STR && pk_color_parse(b->s, &cb))) {
        /* premultiplied by alpha, as MapLibre interpolates colours */
        double alpha = ca.a + (cb.a - ca.a) * t, k = alpha > 0 ? 1 / alpha : 0;
        *out = (struct pk_sv){.type = PK_SV_COLOR,
                              .c = {(ca.r * ca.a + (cb.r * cb.a - ca.r * ca.a) * t) * k,
                                    (ca.g * ca.a + (cb.g * cb.a - ca.g * ca.a) * t) * k,
                                    (ca.b * ca.a + (cb.b * cb.a - ca.b * ca.a) * t) * k, alpha}};
        return 0;
    }
    if (a->type != PK_SV_ARRAY || b->type != PK_SV_ARRAY || a->nitems != b->nitems)
        return -1;
    struct pk_sv *items = (struct pk_sv *)(void *)arena_alloc(ev, sizeof *items * (size_t)(a->nitems + 1));
    if (!items)
        return -1;
    for (int i = 0; i < a->nitems; i++)
        if (mix(&a->items[i], &b->items[i], t, ev, &items[i]) || items[i].type != PK_SV_NUM)
            return -1;
    *out = (struct pk_sv){.type = PK_SV_ARRAY, .nitems = a->nitems, .items = items};
    return 0;
}

/* args: input, stop1, out1, stop2, out2, ...; exponential when base != 1. */
static int eval_interp(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_sv in;
    if (pk_expr_eval(e->args[0], ev, &in) || in.type != PK_SV_NUM)
        return -1;
    int last = e->nargs - 2; /* index of the last stop */
    if (in.n <= e->args[1]->value.n)
        return pk_expr_eval(e->args[2], ev, out);
    if (in.n >= e->args[last]->value.n)
        return pk_expr_eval(e->args[last + 1], ev, out);
    int i = 1;
    while (in.n >= e->args[i + 2]->value.n)
        i += 2;
    double lo = e->args[i]->value.n, hi = e->args[i + 2]->value.n, d = hi - lo;
    double t = e->base == 1 ? (in.n - lo) / d : (pow(e->base, in.n - lo) - 1) / (pow(e->base, d) - 1);
    struct pk_sv a, b;
    if (pk_expr_eval(e->args[i + 1], ev, &a) || pk_expr_eval(e->args[i + 3], ev, &b))
        return -1;
    return mix(&a, &b, t, ev, out);
}

static int eval_coalesce(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    *out = null_sv;
    for (int i = 0; i < e->nargs; i++) {
        if (pk_expr_eval(e->args[i], ev, out))
            return -1;
        if (out->type != PK_SV_NULL)
            return 0;
    }
    return 0;
}

/* v as text into buf (size >= 96) or the borrowed string itself. */
/* The text of a value that is not a number or a colour (those need a
 * buffer: sv_text). */
static const char *sv_plain_text(const struct pk_sv *v)
{
    switch (v->type) {
    case PK_SV_BOOL: return v->b ? "true" : "false";
    case PK_SV_STR: return v->s;
    case PK_SV_ARRAY: return "[array]";
    default: return "";
    }
}

static const char *sv_text(const struct pk_sv *v, char *buf, size_t size)
{
    switch (v->type) {
    case PK_SV_NUM:
        if (v->n == 0)
            return "0";
        if (v->n == floor(v->n) && fabs(v->n) < 1e21) {
            snprintf(buf, size, "%.0f", v->n);
            return buf;
        }
        for (int prec = 15; prec <= 17; prec++) { /* the shortest text that reads back */
            snprintf(buf, size, "%.*g", prec, v->n);
            if (strtod(buf, NULL) == v->n)
                break;
        }
        return buf;
    case PK_SV_COLOR:
        snprintf(buf, size, "rgba(%g,%g,%g,%g)", v->c.r, v->c.g, v->c.b, v->c.a);
        return buf;
    default: return sv_plain_text(v);
    }
}

/* concat and to-string: the texts of the arguments joined, in the arena. */
static int eval_concat(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    const char **parts = (const char **)(void *)arena_alloc(ev, sizeof *parts * (size_t)e->nargs);
    size_t len = 0;
    if (!parts)
        return -1;
    for (int i = 0; i < e->nargs; i++) {
        struct pk_sv v;
        char buf[96];
        if (pk_expr_eval(e->args[i], ev, &v))
            return -1;
        parts[i] = sv_text(&v, buf, sizeof buf);
        if (parts[i] == buf) { /* keep it past this loop */
            char *copy = arena_alloc(ev, strlen(buf) + 1);
            if (!copy)
                return -1;
            parts[i] = strcpy(copy, buf);
        }
        len += strlen(parts[i]);
    }
    char *s = arena_alloc(ev, len + 1), *p = s;
    if (!s)
        return -1;
    for (int i = 0; i < e->nargs; i++)
        p = stpcpy(p, parts[i]);
    *p = '\0';
    *out = (struct pk_sv){.type = PK_SV_STR, .s = s};
    return 0;
}

/* JavaScript's ToNumber on a string: blank -> 0, else the whole text must
 * be a finite decimal or hex number. 0 if it is not one. */
static int text_number(const char *s, double *n)
{
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (!*s) {
        *n = 0;
        return 1;
    }
    char *end;
    *n = strtod(s, &end);
    if (end == s || !isfinite(*n))
        return 0;
    while (*end == ' ' || *end == '\t' || *end == '\n')
        end++;
    return *end == '\0';
}

/* to-number: the first argument that converts; an error when none does. */
static int eval_to_number(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    for (int i = 0; i < e->nargs; i++) {
        struct pk_sv v;
        double n;
        if (pk_expr_eval(e->args[i], ev, &v))
            return -1;
        if (v.type == PK_SV_NULL || v.type == PK_SV_BOOL || v.type == PK_SV_NUM) {
            set_num(out, v.type == PK_SV_NUM ? v.n : v.type == PK_SV_BOOL ? v.b : 0);
            return 0;
        }
        if (v.type == PK_SV_STR && text_number(v.s, &n)) {
            set_num(out, n);
            return 0;
        }
    }
    return -1;
}

static int eval_to_color(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    for (int i = 0; i < e->nargs; i++) {
        struct pk_sv v;
        struct pk_color c;
        if (pk_expr_eval(e->args[i], ev, &v))
            return -1;
        if (v.type == PK_SV_COLOR) {
            *out = v;
            return 0;
        }
        if (v.type == PK_SV_STR && pk_color_parse(v.s, &c)) {
            *out = (struct pk_sv){.type = PK_SV_COLOR, .c = c};
            return 0;
        }
    }
    return -1;
}

static int eval_to_boolean(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_sv v;
    if (pk_expr_eval(e->args[0], ev, &v))
        return -1;
    int b = v.type == PK_SV_BOOL ? v.b : v.type == PK_SV_NUM ? v.n != 0 && !isnan(v.n)
          : v.type == PK_SV_STR ? v.s[0] != '\0' : v.type != PK_SV_NULL;
    set_bool(out, b);
    return 0;
}

/* The numbers of e's arguments into v (at most 64); -1 unless all are numbers. */
static int eval_numbers(const struct pk_expr *e, struct pk_style_eval *ev, double *v)
{
    if (e->nargs > 64)
        return -1;
    for (int i = 0; i < e->nargs; i++) {
        struct pk_sv a;
        if (pk_expr_eval(e->args[i], ev, &a) || a.type != PK_SV_NUM)
            return -1;
        v[i] = a.n;
    }
    return 0;
}

/* +, -, *, /, %, ^, min, max, round, floor, ceil, abs, sqrt: numbers only. */
static int eval_math(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    double v[64] = {0};
    if (e->nargs < 1 || eval_numbers(e, ev, v))
        return -1;
    double acc = e->op == PK_OP_SUB && e->nargs == 1 ? -v[0] : v[0];
    for (int i = 1; i < e->nargs; i++) {
        switch (e->op) {
        case PK_OP_ADD: acc += v[i]; break;
        case PK_OP_SUB: acc -= v[i]; break;
        case PK_OP_MUL: acc *= v[i]; break;
        case PK_OP_DIV: acc /= v[i]; break;
        case PK_OP_MOD: acc = fmod(acc, v[i]); break;
        case PK_OP_POW: acc = pow(acc, v[i]); break;
        case PK_OP_MIN: acc = fmin(acc, v[i]); break;
        case PK_OP_MAX: acc = fmax(acc, v[i]); break;
        default: break;
        }
    }
    switch (e->op) {
    case PK_OP_ROUND: acc = round(acc); break; /* halves away from zero, as the spec */
    case PK_OP_FLOOR: acc = floor(acc); break;
    case PK_OP_CEIL: acc = ceil(acc); break;
    case PK_OP_ABS: acc = fabs(acc); break;
    case PK_OP_SQRT: acc = sqrt(acc); break;
    default: break;
    }
    set_num(out, acc);
    return 0;
}

/* number, string, boolean: the first argument of that type; an error if none is. */
static int eval_assert(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    enum pk_sv_type want = e->op == PK_OP_IS_NUMBER ? PK_SV_NUM : e->op == PK_OP_IS_STRING ? PK_SV_STR : PK_SV_BOOL;
    for (int i = 0; i < e->nargs; i++) {
        if (pk_expr_eval(e->args[i], ev, out))
            return -1;
        if (out->type == want)
            return 0;
    }
    return -1;
}

/* rgb, rgba: channels 0..255, alpha 0..1, each in range or an error. */
static int eval_rgb(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    double v[4] = {0, 0, 0, 1};
    if (eval_numbers(e, ev, v))
        return -1;
    for (int i = 0; i < 4; i++)
        if (!(v[i] >= 0 && v[i] <= (i < 3 ? 255 : 1)))
            return -1;
    *out = (struct pk_sv){.type = PK_SV_COLOR, .c = {v[0], v[1], v[2], v[3]}};
    return 0;
}

/* upcase, downcase: ASCII letters, as the spec's locale-independent forms
 * leave CJK text as it is. */
static int eval_case_change(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    struct pk_sv v;
    if (pk_expr_eval(e->args[0], ev, &v) || v.type != PK_SV_STR)
        return -1;
    char *s = arena_alloc(ev, strlen(v.s) + 1);
    if (!s)
        return -1;
    for (size_t i = 0;; i++) {
        char c = v.s[i];
        s[i] = e->op == PK_OP_UPCASE ? (c >= 'a' && c <= 'z' ? (char)(c - 32) : c)
                                  : (c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
        if (!c)
            break;
    }
    *out = (struct pk_sv){.type = PK_SV_STR, .s = s};
    return 0;
}

int pk_expr_eval(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    switch (e->op) {
    case PK_OP_LITERAL: *out = e->value; return 0;
    case PK_OP_GET: get_prop(ev, e->str, out); return 0;
    case PK_OP_HAS: get_prop(ev, e->str, out); set_bool(out, out->type != PK_SV_NULL); return 0;
    case PK_OP_ZOOM: set_num(out, ev->zoom); return 0;
    case PK_OP_GEOMTYPE: *out = (struct pk_sv){.type = PK_SV_STR, .s = geom_type_name(ev->geom_type)}; return 0;
    case PK_OP_ID: set_num(out, (double)ev->id); return 0;
    case PK_OP_EQ: case PK_OP_NE: case PK_OP_LT: case PK_OP_LE: case PK_OP_GT: case PK_OP_GE: return eval_compare(e, ev, out);
    case PK_OP_NOT: case PK_OP_ALL: case PK_OP_ANY: return eval_logic(e, ev, out);
    case PK_OP_IN: return eval_in(e, ev, out);
    case PK_OP_LEGACY_IN: return eval_legacy_in(e, ev, out);
    case PK_OP_MATCH: return eval_match(e, ev, out);
    case PK_OP_CASE: return eval_case(e, ev, out);
    case PK_OP_STEP: return eval_step(e, ev, out);
    case PK_OP_INTERP: return eval_interp(e, ev, out);
    case PK_OP_COALESCE: return eval_coalesce(e, ev, out);
    case PK_OP_TO_STRING: case PK_OP_CONCAT: return eval_concat(e, ev, out);
    case PK_OP_TO_NUMBER: return eval_to_number(e, ev, out);
    case PK_OP_TO_BOOLEAN: return eval_to_boolean(e, ev, out);
    case PK_OP_TO_COLOR: return eval_to_color(e, ev, out);
    case PK_OP_ADD: case PK_OP_SUB: case PK_OP_MUL: case PK_OP_DIV: case PK_OP_MOD: case PK_OP_POW: case PK_OP_MIN: case PK_OP_MAX:
    case PK_OP_ROUND: case PK_OP_FLOOR: case PK_OP_CEIL: case PK_OP_ABS: case PK_OP_SQRT: return eval_math(e, ev, out);
    case PK_OP_IS_NUMBER: case PK_OP_IS_STRING: case PK_OP_IS_BOOLEAN: return eval_assert(e, ev, out);
    case PK_OP_RGB: case PK_OP_RGBA: return eval_rgb(e, ev, out);
    case PK_OP_UPCASE: case PK_OP_DOWNCASE: return eval_case_change(e, ev, out);
    }
    return -1;
}

int pk_filter_eval(const struct pk_expr *e, struct pk_style_eval *ev)
{
    struct pk_sv v;
    return !e || (!pk_expr_eval(e, ev, &v) && v.type == PK_SV_BOOL && v.b);
}

void pk_expr_fields(const struct pk_expr *e, void (*fn)(void *arg, const char *name), void *arg)
{
    if (!e)
        return;
    if (e->op == PK_OP_GET || e->op == PK_OP_HAS)
        fn(arg, e->str);
    for (int i = 0; i < e->nargs; i++)
        pk_expr_fields(e->args[i], fn, arg);
}

const char *pk_sv_text(struct pk_style_eval *ev, const struct pk_sv *v)
{
    if (v->type != PK_SV_NUM && v->type != PK_SV_COLOR)
        return sv_plain_text(v); /* (a constant or the value's own string) */
    char buf[96];
    const char *t = sv_text(v, buf, sizeof buf);
    char *copy = arena_alloc(ev, strlen(t) + 1);
    return copy ? strcpy(copy, t) : NULL;
}
