/* style_expr.c — MapLibre style expressions: compiled from JSON into a tree
 * once per style, evaluated per feature.
 *
 * Supported: literal, get, has, zoom, geometry-type, id, ==, !=, <, <=, >,
 * >=, !, all, any, in, match, case, step, interpolate (linear,
 * exponential), coalesce, to-string, to-number, to-boolean, to-color,
 * concat, +, -, *, /, %. Legacy filters (["==", "kind", "zone"], "in",
 * "!in", "has", "!has", "none", "$type", "$id"), legacy zoom and property
 * functions ({"stops": ...}) and "{name}" text tokens are rewritten into the
 * same tree. Anything else is one warning naming the style layer and the
 * property, and the property keeps its default.
 * Runtime type errors make pk_expr_eval return -1, as the spec's evaluation
 * errors: a filter then does not pass and a property takes its default. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "style_int.h"

enum op {
    OP_LITERAL, OP_GET, OP_HAS, OP_ZOOM, OP_GEOMTYPE, OP_ID,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_NOT, OP_ALL, OP_ANY, OP_IN, OP_LEGACY_IN,
    OP_MATCH, OP_CASE, OP_STEP, OP_INTERP, OP_COALESCE,
    OP_TO_STRING, OP_TO_NUMBER, OP_TO_BOOLEAN, OP_TO_COLOR, OP_CONCAT,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_MIN, OP_MAX,
    OP_ROUND, OP_FLOOR, OP_CEIL, OP_ABS, OP_SQRT,
    OP_IS_NUMBER, OP_IS_STRING, OP_IS_BOOLEAN, OP_RGB, OP_RGBA, OP_UPCASE, OP_DOWNCASE
};

struct pk_expr {
    enum op op;
    int nargs;
    struct pk_expr **args;
    struct pk_sv value;     /* OP_LITERAL */
    char *str;              /* owned: a literal's string, or the property name of get/has */
    int nstrs;
    char **strs;            /* owned strings of an array literal's items */
    struct pk_sv *items;    /* owned items of an array literal */
    double base;            /* OP_INTERP: 1 linear, else exponential */
};

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

/* ---- building nodes */

void pk_expr_free(struct pk_expr *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nargs; i++)
        pk_expr_free(e->args[i]);
    free(e->args);
    for (int i = 0; i < e->nstrs; i++)
        free(e->strs[i]);
    free(e->strs);
    free(e->items);
    free(e->str);
    free(e);
}

static struct pk_expr *node(enum op op, int nargs)
{
    struct pk_expr *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->op = op;
    e->base = 1;
    if (nargs > 0 && !(e->args = calloc((size_t)nargs, sizeof *e->args))) {
        free(e);
        return NULL;
    }
    e->nargs = nargs;
    return e;
}

static struct pk_expr *node_str(enum op op, const char *s)
{
    struct pk_expr *e = node(op, 0);
    if (e && !(e->str = strdup(s))) {
        pk_expr_free(e);
        return NULL;
    }
    if (e && op == OP_LITERAL)
        e->value = (struct pk_sv){.type = PK_SV_STR, .s = e->str};
    return e;
}

/* Log the site's warning once. Returns PK_OK (the caller's *out stays NULL). */
static int unsupported(struct pk_expr_site *site, const char *what, const char *name)
{
    if (!site->unsupported)
        pk_log(site->ctx, PK_LOG_WARN, "style layer '%s': property '%s': %s '%s' is not supported; %s",
               site->layer, site->property, what, name, site->fallback ? site->fallback : "using the default");
    site->unsupported = 1;
    return PK_OK;
}

/* ---- literals */

/* A scalar JSON value as a style value; s borrowed from json. 0 if not scalar. */
static int scalar_value(struct json_object *j, struct pk_sv *v)
{
    memset(v, 0, sizeof *v);
    switch (json_object_get_type(j)) {
    case json_type_null: v->type = PK_SV_NULL; return 1;
    case json_type_boolean: v->type = PK_SV_BOOL; v->b = json_object_get_boolean(j); return 1;
    case json_type_int:
    case json_type_double: v->type = PK_SV_NUM; v->n = json_object_get_double(j); return 1;
    case json_type_string: v->type = PK_SV_STR; v->s = json_object_get_string(j); return 1;
    default: return 0;
    }
}

/* A flat array of scalars as one literal node. */
static int literal_array(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    int n = (int)json_object_array_length(j);
    struct pk_expr *e = node(OP_LITERAL, 0);
    if (!e || !(e->items = calloc((size_t)n + 1, sizeof *e->items)) ||
        !(e->strs = calloc((size_t)n + 1, sizeof *e->strs))) {
        pk_expr_free(e);
        return PK_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        struct pk_sv *v = &e->items[i];
        if (!scalar_value(json_object_array_get_idx(j, (size_t)i), v)) {
            pk_expr_free(e);
            return unsupported(site, "value", "nested array or object");
        }
        if (v->type == PK_SV_STR) {
            if (!(e->strs[e->nstrs] = strdup(v->s))) {
                pk_expr_free(e);
                return PK_ERR_NOMEM;
            }
            v->s = e->strs[e->nstrs++];
        }
    }
    e->value = (struct pk_sv){.type = PK_SV_ARRAY, .nitems = n, .items = e->items};
    *out = e;
    return PK_OK;
}

static int literal(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    if (json_object_is_type(j, json_type_array))
        return literal_array(site, j, out);
    struct pk_sv v;
    if (!scalar_value(j, &v))
        return unsupported(site, "value", "object");
    struct pk_expr *e = v.type == PK_SV_STR ? node_str(OP_LITERAL, v.s) : node(OP_LITERAL, 0);
    if (!e)
        return PK_ERR_NOMEM;
    if (v.type != PK_SV_STR)
        e->value = v;
    *out = e;
    return PK_OK;
}

/* ---- compiling expressions */

struct op_name {
    const char *name;
    enum op op;
    int min, max;   /* argument counts; max -1: any */
};

static const struct op_name ops[] = {
    {"zoom", OP_ZOOM, 0, 0}, {"geometry-type", OP_GEOMTYPE, 0, 0}, {"id", OP_ID, 0, 0},
    {"==", OP_EQ, 2, 2}, {"!=", OP_NE, 2, 2}, {"<", OP_LT, 2, 2}, {"<=", OP_LE, 2, 2},
    {">", OP_GT, 2, 2}, {">=", OP_GE, 2, 2}, {"!", OP_NOT, 1, 1}, {"all", OP_ALL, 0, -1},
    {"any", OP_ANY, 0, -1}, {"in", OP_IN, 2, 2}, {"case", OP_CASE, 3, -1},
    {"coalesce", OP_COALESCE, 1, -1}, {"to-string", OP_TO_STRING, 1, 1},
    {"to-number", OP_TO_NUMBER, 1, -1}, {"to-boolean", OP_TO_BOOLEAN, 1, 1},
    {"to-color", OP_TO_COLOR, 1, -1}, {"concat", OP_CONCAT, 1, -1}, {"+", OP_ADD, 2, -1},
    {"-", OP_SUB, 1, 2}, {"*", OP_MUL, 2, -1}, {"/", OP_DIV, 2, 2}, {"%", OP_MOD, 2, 2},
    {"^", OP_POW, 2, 2}, {"min", OP_MIN, 1, -1}, {"max", OP_MAX, 1, -1}, {"round", OP_ROUND, 1, 1},
    {"floor", OP_FLOOR, 1, 1}, {"ceil", OP_CEIL, 1, 1}, {"abs", OP_ABS, 1, 1}, {"sqrt", OP_SQRT, 1, 1},
    {"number", OP_IS_NUMBER, 1, -1}, {"string", OP_IS_STRING, 1, -1}, {"boolean", OP_IS_BOOLEAN, 1, -1},
    {"rgb", OP_RGB, 3, 3}, {"rgba", OP_RGBA, 4, 4}, {"upcase", OP_UPCASE, 1, 1}, {"downcase", OP_DOWNCASE, 1, 1},
};

static int compile(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out);

/* Compile the elements first..n-1 of array j into e->args[0..]. */
static int compile_args(struct pk_expr_site *site, struct json_object *j, int first, struct pk_expr *e)
{
    for (int i = 0; i < e->nargs; i++) {
        int rc = compile(site, json_object_array_get_idx(j, (size_t)(first + i)), &e->args[i]);
        if (rc != PK_OK || !e->args[i])
            return rc;
    }
    return PK_OK;
}

/* An expression whose arguments are all expressions. */
static int compile_plain(struct pk_expr_site *site, struct json_object *j, const struct op_name *o,
                         struct pk_expr **out)
{
    int n = (int)json_object_array_length(j) - 1;
    if (n < o->min || (o->max >= 0 && n > o->max))
        return unsupported(site, "argument count of", o->name);
    struct pk_expr *e = node(o->op, n);
    if (!e)
        return PK_ERR_NOMEM;
    int rc = compile_args(site, j, 1, e);
    if (rc != PK_OK || site->unsupported) {
        pk_expr_free(e);
        return rc;
    }
    *out = e;
    return PK_OK;
}

/* ["get", name] and ["has", name] with a literal name. */
static int compile_get(struct pk_expr_site *site, struct json_object *j, enum op op, struct pk_expr **out)
{
    struct json_object *name = json_object_array_get_idx(j, 1);
    if (json_object_array_length(j) != 2 || !json_object_is_type(name, json_type_string))
        return unsupported(site, "form of", op == OP_GET ? "get" : "has");
    return (*out = node_str(op, json_object_get_string(name))) ? PK_OK : PK_ERR_NOMEM;
}

/* ["match", input, label, out, ..., fallback]: labels are literal scalars or
 * arrays of them, kept as literal nodes. */
static int compile_match(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    int n = (int)json_object_array_length(j) - 1;
    if (n < 4 || n % 2)
        return unsupported(site, "argument count of", "match");
    struct pk_expr *e = node(OP_MATCH, n);
    if (!e)
        return PK_ERR_NOMEM;
    int rc = PK_OK;
    for (int i = 0; i < n && rc == PK_OK && !site->unsupported; i++) {
        struct json_object *a = json_object_array_get_idx(j, (size_t)i + 1);
        int is_label = i % 2 == 1 && i < n - 1;
        rc = is_label ? literal(site, a, &e->args[i]) : compile(site, a, &e->args[i]);
    }
    if (rc != PK_OK || site->unsupported) {
        pk_expr_free(e);
        return rc;
    }
    *out = e;
    return PK_OK;
}

/* Output literals of interpolate that name colours become colours. */
static void colour_literal(struct pk_expr *e)
{
    struct pk_color c;
    if (e->op == OP_LITERAL && e->value.type == PK_SV_STR && pk_color_parse(e->value.s, &c))
        e->value = (struct pk_sv){.type = PK_SV_COLOR, .c = c};
}

/* The stops and outputs of step and interpolate, kept in e->args after the
 * input: step's args are input, out0, stop1, out1, ... (args[i] is
 * json[i + 1]); interpolate's are input, stop1, out1, ... (json[i + 2]).
 * Stops must be numeric literals. */
static int compile_stops(struct pk_expr_site *site, struct json_object *j, int step, struct pk_expr *e)
{
    for (int i = 1; i < e->nargs; i++) {
        struct json_object *a = json_object_array_get_idx(j, (size_t)(step ? i + 1 : i + 2));
        int is_stop = step ? i >= 2 && i % 2 == 0 : i % 2 == 1;
        if (is_stop && !json_object_is_type(a, json_type_int) && !json_object_is_type(a, json_type_double))
            return unsupported(site, "non-numeric stop in", step ? "step" : "interpolate");
        int rc = compile(site, a, &e->args[i]);
        if (rc != PK_OK || site->unsupported)
            return rc;
        if (is_stop && i >= 3 && !(e->args[i]->value.n > e->args[i - 2]->value.n))
            return unsupported(site, "stops not in ascending order in", step ? "step" : "interpolate");
        if (!step && !is_stop)
            colour_literal(e->args[i]);
    }
    return PK_OK;
}

/* ["step", input, out0, stop1, out1, ...] -> args: input, out0, stop1, out1, ... */
static int compile_step(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    int n = (int)json_object_array_length(j) - 1;
    if (n < 2 || n % 2)
        return unsupported(site, "argument count of", "step");
    struct pk_expr *e = node(OP_STEP, n);
    if (!e)
        return PK_ERR_NOMEM;
    int rc = compile(site, json_object_array_get_idx(j, 1), &e->args[0]);
    if (rc == PK_OK && !site->unsupported)
        rc = compile_stops(site, j, 1, e);
    if (rc != PK_OK || site->unsupported) {
        pk_expr_free(e);
        return rc;
    }
    *out = e;
    return PK_OK;
}

/* The interpolation type ["linear"] or ["exponential", base] as a base. */
static int interp_base(struct pk_expr_site *site, struct json_object *t, double *base)
{
    const char *kind = json_object_is_type(t, json_type_array)
                           ? json_object_get_string(json_object_array_get_idx(t, 0)) : NULL;
    if (kind && !strcmp(kind, "linear")) {
        *base = 1;
        return 1;
    }
    struct json_object *b = kind ? json_object_array_get_idx(t, 1) : NULL;
    if (kind && !strcmp(kind, "exponential") &&
        (json_object_is_type(b, json_type_int) || json_object_is_type(b, json_type_double))) {
        *base = json_object_get_double(b);
        return 1;
    }
    unsupported(site, "interpolation", kind ? kind : "(malformed)");
    return 0;
}

/* ["interpolate", type, input, stop1, out1, ...] -> args: input, stop1, out1, ... */
static int compile_interp(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    int n = (int)json_object_array_length(j) - 2;
    double base;
    if (n < 3 || n % 2 == 0)
        return unsupported(site, "argument count of", "interpolate");
    if (!interp_base(site, json_object_array_get_idx(j, 1), &base))
        return PK_OK;
    struct pk_expr *e = node(OP_INTERP, n);
    if (!e)
        return PK_ERR_NOMEM;
    e->base = base;
    int rc = compile(site, json_object_array_get_idx(j, 2), &e->args[0]);
    if (rc == PK_OK && !site->unsupported)
        rc = compile_stops(site, j, 0, e);
    if (rc != PK_OK || site->unsupported) {
        pk_expr_free(e);
        return rc;
    }
    *out = e;
    return PK_OK;
}

static int compile_array(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    struct json_object *head = json_object_array_get_idx(j, 0);
    if (!json_object_is_type(head, json_type_string))
        return unsupported(site, "array without operator", "[...]");
    const char *name = json_object_get_string(head);
    if (!strcmp(name, "literal")) {
        if (json_object_array_length(j) != 2)
            return unsupported(site, "form of", name);
        return literal(site, json_object_array_get_idx(j, 1), out);
    }
    if (!strcmp(name, "get") || !strcmp(name, "has"))
        return compile_get(site, j, name[0] == 'g' ? OP_GET : OP_HAS, out);
    if (!strcmp(name, "match"))
        return compile_match(site, j, out);
    if (!strcmp(name, "step"))
        return compile_step(site, j, out);
    if (!strcmp(name, "interpolate"))
        return compile_interp(site, j, out);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(name, ops[i].name))
            return compile_plain(site, j, &ops[i], out);
    return unsupported(site, "expression", name);
}

static int compile(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    *out = NULL;
    if (json_object_is_type(j, json_type_array) && json_object_array_length(j) > 0)
        return compile_array(site, j, out);
    if (json_object_is_type(j, json_type_array))
        return unsupported(site, "expression", "[]");
    return literal(site, j, out);
}

/* ---- legacy functions and text tokens */

/* {"stops": [[in, out], ...], "base", "property", "type", "default"} */
static int compile_function(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out);
/* "{name} text" -> ["concat", ["get", "name"], " text"] */
static int compile_tokens(const char *text, struct pk_expr **out);

/* The operator names compile_array knows. */
static int is_operator(const char *name)
{
    static const char *const special[] = {"literal", "get", "has", "match", "step", "interpolate"};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (!strcmp(name, special[i]))
            return 1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(name, ops[i].name))
            return 1;
    return 0;
}

int pk_expr_compile(struct pk_expr_site *site, struct json_object *json, int flags, struct pk_expr **out)
{
    *out = NULL;
    if (json_object_is_type(json, json_type_object))
        return compile_function(site, json, out);
    if ((flags & PK_EXPR_LEGACY_TEXT) && json_object_is_type(json, json_type_string) &&
        strchr(json_object_get_string(json), '{'))
        return compile_tokens(json_object_get_string(json), out);
    if ((flags & PK_EXPR_ARRAY_VALUE) && json_object_is_type(json, json_type_array)) {
        struct json_object *head = json_object_array_get_idx(json, 0);
        if (!json_object_is_type(head, json_type_string) || !is_operator(json_object_get_string(head)))
            return literal(site, json, out);
    }
    return compile(site, json, out);
}

/* Append node a to e's arguments. */
static int push_arg(struct pk_expr *e, struct pk_expr *a)
{
    if (!a)
        return PK_ERR_NOMEM;
    struct pk_expr **args = realloc(e->args, (size_t)(e->nargs + 1) * sizeof *args);
    if (!args) {
        pk_expr_free(a);
        return PK_ERR_NOMEM;
    }
    e->args = args;
    e->args[e->nargs++] = a;
    return PK_OK;
}

static int compile_tokens(const char *text, struct pk_expr **out)
{
    struct pk_expr *e = node(OP_CONCAT, 0);
    int rc = e ? PK_OK : PK_ERR_NOMEM;
    const char *p = text;
    while (rc == PK_OK && *p) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        size_t lit = close ? (size_t)(open - p) : strlen(p);
        char *s = strndup(p, lit);
        if (lit)
            rc = push_arg(e, s ? node_str(OP_LITERAL, s) : NULL);
        free(s);
        if (rc != PK_OK || !close)
            break;
        s = strndup(open + 1, (size_t)(close - open - 1));
        rc = push_arg(e, s ? node_str(OP_GET, s) : NULL);
        free(s);
        p = close + 1;
    }
    if (rc == PK_OK && e->nargs == 0)
        rc = push_arg(e, node_str(OP_LITERAL, ""));
    if (rc != PK_OK) {
        pk_expr_free(e);
        return rc;
    }
    *out = e;
    return PK_OK;
}

/* The function's stop count, after checking every stop is [number-or-scalar, value]. */
static int function_stops(struct pk_expr_site *site, struct json_object *stops, int numeric_in)
{
    if (!json_object_is_type(stops, json_type_array) || json_object_array_length(stops) == 0)
        return unsupported(site, "function without", "stops"), -1;
    int n = (int)json_object_array_length(stops);
    for (int i = 0; i < n; i++) {
        struct json_object *s = json_object_array_get_idx(stops, (size_t)i);
        if (!json_object_is_type(s, json_type_array) || json_object_array_length(s) != 2)
            return unsupported(site, "function stop", "malformed"), -1;
        struct json_object *in = json_object_array_get_idx(s, 0);
        if (json_object_is_type(in, json_type_object))
            return unsupported(site, "function stop", "zoom-and-property or malformed"), -1;
        if (numeric_in && !json_object_is_type(in, json_type_int) && !json_object_is_type(in, json_type_double))
            return unsupported(site, "function stop", "non-numeric"), -1;
    }
    return n;
}

/* Outputs that are numbers or colours interpolate; others step. */
static int interpolatable(struct json_object *stops, int n)
{
    for (int i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(json_object_array_get_idx(stops, (size_t)i), 1);
        struct pk_color c;
        int num = json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
        if (!num && !(json_object_is_type(v, json_type_string) && pk_color_parse(json_object_get_string(v), &c)))
            return 0;
    }
    return 1;
}

/* Build the expression of a legacy function of the given kind. */
static int function_expr(struct pk_expr_site *site, const char *type, struct json_object *stops, int n,
                         double base, struct pk_expr *input, struct pk_expr **out)
{
    int categorical = !strcmp(type, "categorical");
    enum op op = categorical ? OP_MATCH : !strcmp(type, "interval") ? OP_STEP : OP_INTERP;
    struct pk_expr *e = node(op, 1);
    if (!e) {
        pk_expr_free(input);
        return PK_ERR_NOMEM;
    }
    e->args[0] = input;
    e->base = base;
    int rc = PK_OK;
    for (int i = 0; i < n && rc == PK_OK && !site->unsupported; i++) {
        struct json_object *s = json_object_array_get_idx(stops, (size_t)i);
        struct pk_expr *in = NULL, *val = NULL;
        if (op != OP_STEP || i > 0) /* a step's first stop: its output holds below it too */
            rc = literal(site, json_object_array_get_idx(s, 0), &in);
        if (rc == PK_OK && in)
            rc = push_arg(e, in);
        if (rc == PK_OK && !site->unsupported)
            rc = literal(site, json_object_array_get_idx(s, 1), &val);
        if (rc == PK_OK && val && op == OP_INTERP)
            colour_literal(val);
        if (rc == PK_OK && val)
            rc = push_arg(e, val);
    }
    if (rc == PK_OK && categorical)
        rc = push_arg(e, node(OP_LITERAL, 0)); /* no match: null, the property's default */
    if (rc != PK_OK || site->unsupported) {
        pk_expr_free(e);
        return rc;
    }
    *out = e;
    return PK_OK;
}

static int compile_function(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    struct json_object *stops = NULL, *prop = NULL, *type = NULL, *base = NULL;
    json_object_object_get_ex(j, "stops", &stops);
    json_object_object_get_ex(j, "property", &prop);
    json_object_object_get_ex(j, "type", &type);
    json_object_object_get_ex(j, "base", &base);
    const char *kind = type ? json_object_get_string(type) : NULL;
    if (kind && !strcmp(kind, "identity") && prop)
        return (*out = node_str(OP_GET, json_object_get_string(prop))) ? PK_OK : PK_ERR_NOMEM;
    if (kind && strcmp(kind, "exponential") && strcmp(kind, "interval") && strcmp(kind, "categorical"))
        return unsupported(site, "function type", kind);
    int categorical = kind && !strcmp(kind, "categorical");
    int n = function_stops(site, stops, !categorical);
    if (n < 0)
        return PK_OK;
    if (!kind)
        kind = interpolatable(stops, n) ? "exponential" : "interval";
    struct pk_expr *input = prop ? node_str(OP_GET, json_object_get_string(prop)) : node(OP_ZOOM, 0);
    if (!input)
        return PK_ERR_NOMEM;
    return function_expr(site, kind, stops, n, base ? json_object_get_double(base) : 1, input, out);
}

/* ---- legacy filters */

/* A legacy key: "$type" -> geometry-type, "$id" -> id, else get. */
static struct pk_expr *legacy_key(const char *key)
{
    if (!strcmp(key, "$type"))
        return node(OP_GEOMTYPE, 0);
    if (!strcmp(key, "$id"))
        return node(OP_ID, 0);
    return node_str(OP_GET, key);
}

/* Whether filter array j (head op) is in expression syntax, as MapLibre
 * tells them apart. */
static int is_expression_filter(const char *op, struct json_object *j)
{
    int n = (int)json_object_array_length(j);
    struct json_object *a1 = n > 1 ? json_object_array_get_idx(j, 1) : NULL;
    struct json_object *a2 = n > 2 ? json_object_array_get_idx(j, 2) : NULL;
    if (!strcmp(op, "has"))
        return n >= 2 && !json_object_is_type(a1, json_type_string);
    if (!strcmp(op, "in"))
        return n >= 3 && (!json_object_is_type(a1, json_type_string) || json_object_is_type(a2, json_type_array));
    if (!strcmp(op, "==") || !strcmp(op, "!=") || !strcmp(op, "<") || !strcmp(op, "<=") ||
        !strcmp(op, ">") || !strcmp(op, ">="))
        return n != 3 || json_object_is_type(a1, json_type_array) || json_object_is_type(a2, json_type_array);
    return 1;
}

/* not e: wraps e (freed on failure). */
static struct pk_expr *negate(struct pk_expr *e)
{
    struct pk_expr *n = e ? node(OP_NOT, 1) : NULL;
    if (!n) {
        pk_expr_free(e);
        return NULL;
    }
    n->args[0] = e;
    return n;
}

/* ["in"|"!in", key, v...] and ["==", key, v] etc.: key, then literal values. */
static int legacy_compare(struct pk_expr_site *site, struct json_object *j, enum op op, struct pk_expr **out)
{
    int n = (int)json_object_array_length(j);
    struct json_object *key = json_object_array_get_idx(j, 1);
    if (n < 2 || !json_object_is_type(key, json_type_string))
        return unsupported(site, "legacy filter form", json_object_get_string(json_object_array_get_idx(j, 0)));
    struct pk_expr *e = node(op, 1);
    if (!e || !(e->args[0] = legacy_key(json_object_get_string(key)))) {
        pk_expr_free(e);
        return PK_ERR_NOMEM;
    }
    int rc = PK_OK;
    for (int i = 2; i < n && rc == PK_OK && !site->unsupported; i++) {
        struct pk_expr *a = NULL;
        rc = literal(site, json_object_array_get_idx(j, (size_t)i), &a);
        rc = rc == PK_OK && a ? push_arg(e, a) : rc;
    }
    if (rc != PK_OK || site->unsupported) {
        pk_expr_free(e);
        return rc;
    }
    *out = e;
    return PK_OK;
}

/* ["all"|"any"|"none", filter...] with each element a filter (legacy or not). */
static int combine_filters(struct pk_expr_site *site, struct json_object *j, enum op op, int negated,
                           struct pk_expr **out)
{
    int n = (int)json_object_array_length(j) - 1;
    struct pk_expr *e = node(op, n);
    if (!e)
        return PK_ERR_NOMEM;
    int rc = PK_OK;
    for (int i = 0; i < n && rc == PK_OK && !site->unsupported; i++)
        rc = pk_filter_compile(site, json_object_array_get_idx(j, (size_t)i + 1), &e->args[i]);
    if (rc != PK_OK || site->unsupported) {
        pk_expr_free(e);
        return rc;
    }
    *out = negated ? negate(e) : e;
    return *out ? PK_OK : PK_ERR_NOMEM;
}

static const struct op_name legacy_ops[] = {
    {"==", OP_EQ, 1, 1}, {"!=", OP_NE, 1, 1}, {"<", OP_LT, 1, 1}, {"<=", OP_LE, 1, 1},
    {">", OP_GT, 1, 1}, {">=", OP_GE, 1, 1}, {"in", OP_LEGACY_IN, 0, -1}, {"!in", OP_LEGACY_IN, 0, -1},
    {"has", OP_HAS, 0, 0}, {"!has", OP_HAS, 0, 0},
};

int pk_filter_compile(struct pk_expr_site *site, struct json_object *json, struct pk_expr **out)
{
    *out = NULL;
    if (!json_object_is_type(json, json_type_array) || json_object_array_length(json) == 0 ||
        !json_object_is_type(json_object_array_get_idx(json, 0), json_type_string))
        return compile(site, json, out);
    struct json_object *head = json_object_array_get_idx(json, 0);
    const char *op = json_object_get_string(head);
    if (!strcmp(op, "all") || !strcmp(op, "any") || !strcmp(op, "none"))
        return combine_filters(site, json, op[1] == 'l' ? OP_ALL : OP_ANY, op[0] == 'n', out);
    if (!strcmp(op, "!") && json_object_array_length(json) == 2) {
        int rc = pk_filter_compile(site, json_object_array_get_idx(json, 1), out);
        if (rc != PK_OK || !*out)
            return rc;
        return (*out = negate(*out)) ? PK_OK : PK_ERR_NOMEM;
    }
    for (size_t i = 0; i < sizeof legacy_ops / sizeof legacy_ops[0]; i++) {
        const struct op_name *o = &legacy_ops[i];
        if (strcmp(op, o->name) || is_expression_filter(op[0] == '!' && op[1] != '=' ? op + 1 : op, json))
            continue;
        int n = (int)json_object_array_length(json) - 2;
        if (n < o->min || (o->max >= 0 && n > o->max))
            return unsupported(site, "legacy filter form", op);
        int rc = o->op == OP_HAS ? compile_get(site, json, OP_HAS, out) : legacy_compare(site, json, o->op, out);
        if (rc != PK_OK || !*out || op[0] != '!' || op[1] == '=')
            return rc;
        return (*out = negate(*out)) ? PK_OK : PK_ERR_NOMEM;
    }
    return compile(site, json, out);
}

/* ---- evaluation */

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
    if (e->op == OP_EQ || e->op == OP_NE) {
        set_bool(out, sv_equal(&a, &b) == (e->op == OP_EQ));
        return 0;
    }
    int c;
    if (a.type == PK_SV_NUM && b.type == PK_SV_NUM)
        c = a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
    else if (a.type == PK_SV_STR && b.type == PK_SV_STR)
        c = strcmp(a.s, b.s);
    else
        return -1;
    if (a.type == PK_SV_NUM && (isnan(a.n) || isnan(b.n)))
        c = 2; /* unordered: every comparison is false */
    int r = e->op == OP_LT ? c == -1 : e->op == OP_LE ? c == -1 || c == 0 : e->op == OP_GT ? c == 1 : c == 0 || c == 1;
    set_bool(out, r);
    return 0;
}

/* !, all, any: operands must be booleans; all/any stop at the first decisive one. */
static int eval_logic(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    int want = e->op == OP_ANY; /* the value that decides any (true) or all (false) */
    for (int i = 0; i < e->nargs; i++) {
        struct pk_sv v;
        if (pk_expr_eval(e->args[i], ev, &v) || v.type != PK_SV_BOOL)
            return -1;
        if (e->op == OP_NOT) {
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
static const char *sv_text(const struct pk_sv *v, char *buf, size_t size)
{
    switch (v->type) {
    case PK_SV_NULL: return "";
    case PK_SV_BOOL: return v->b ? "true" : "false";
    case PK_SV_STR: return v->s;
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
    case PK_SV_ARRAY: return "[array]";
    }
    return "";
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
    double v[64];
    if (eval_numbers(e, ev, v))
        return -1;
    double acc = e->op == OP_SUB && e->nargs == 1 ? -v[0] : v[0];
    for (int i = 1; i < e->nargs; i++) {
        switch (e->op) {
        case OP_ADD: acc += v[i]; break;
        case OP_SUB: acc -= v[i]; break;
        case OP_MUL: acc *= v[i]; break;
        case OP_DIV: acc /= v[i]; break;
        case OP_MOD: acc = fmod(acc, v[i]); break;
        case OP_POW: acc = pow(acc, v[i]); break;
        case OP_MIN: acc = fmin(acc, v[i]); break;
        case OP_MAX: acc = fmax(acc, v[i]); break;
        default: break;
        }
    }
    switch (e->op) {
    case OP_ROUND: acc = round(acc); break; /* halves away from zero, as the spec */
    case OP_FLOOR: acc = floor(acc); break;
    case OP_CEIL: acc = ceil(acc); break;
    case OP_ABS: acc = fabs(acc); break;
    case OP_SQRT: acc = sqrt(acc); break;
    default: break;
    }
    set_num(out, acc);
    return 0;
}

/* number, string, boolean: the first argument of that type; an error if none is. */
static int eval_assert(const struct pk_expr *e, struct pk_style_eval *ev, struct pk_sv *out)
{
    enum pk_sv_type want = e->op == OP_IS_NUMBER ? PK_SV_NUM : e->op == OP_IS_STRING ? PK_SV_STR : PK_SV_BOOL;
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
        s[i] = e->op == OP_UPCASE ? (c >= 'a' && c <= 'z' ? (char)(c - 32) : c)
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
    case OP_LITERAL: *out = e->value; return 0;
    case OP_GET: get_prop(ev, e->str, out); return 0;
    case OP_HAS: get_prop(ev, e->str, out); set_bool(out, out->type != PK_SV_NULL); return 0;
    case OP_ZOOM: set_num(out, ev->zoom); return 0;
    case OP_GEOMTYPE: *out = (struct pk_sv){.type = PK_SV_STR, .s = geom_type_name(ev->geom_type)}; return 0;
    case OP_ID: set_num(out, (double)ev->id); return 0;
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: return eval_compare(e, ev, out);
    case OP_NOT: case OP_ALL: case OP_ANY: return eval_logic(e, ev, out);
    case OP_IN: return eval_in(e, ev, out);
    case OP_LEGACY_IN: return eval_legacy_in(e, ev, out);
    case OP_MATCH: return eval_match(e, ev, out);
    case OP_CASE: return eval_case(e, ev, out);
    case OP_STEP: return eval_step(e, ev, out);
    case OP_INTERP: return eval_interp(e, ev, out);
    case OP_COALESCE: return eval_coalesce(e, ev, out);
    case OP_TO_STRING: case OP_CONCAT: return eval_concat(e, ev, out);
    case OP_TO_NUMBER: return eval_to_number(e, ev, out);
    case OP_TO_BOOLEAN: return eval_to_boolean(e, ev, out);
    case OP_TO_COLOR: return eval_to_color(e, ev, out);
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD: case OP_POW: case OP_MIN: case OP_MAX:
    case OP_ROUND: case OP_FLOOR: case OP_CEIL: case OP_ABS: case OP_SQRT: return eval_math(e, ev, out);
    case OP_IS_NUMBER: case OP_IS_STRING: case OP_IS_BOOLEAN: return eval_assert(e, ev, out);
    case OP_RGB: case OP_RGBA: return eval_rgb(e, ev, out);
    case OP_UPCASE: case OP_DOWNCASE: return eval_case_change(e, ev, out);
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
    if (e->op == OP_GET || e->op == OP_HAS)
        fn(arg, e->str);
    for (int i = 0; i < e->nargs; i++)
        pk_expr_fields(e->args[i], fn, arg);
}

const char *pk_sv_text(struct pk_style_eval *ev, const struct pk_sv *v)
{
    char buf[96];
    const char *t = sv_text(v, buf, sizeof buf);
    if (t != buf)
        return t;
    char *copy = arena_alloc(ev, strlen(buf) + 1);
    return copy ? strcpy(copy, buf) : NULL;
}
