/* style_expr.c — MapLibre style expressions compiled from JSON into the
 * tree style_eval.c evaluates, once per style.
 *
 * Supported: literal, get, has, zoom, geometry-type, id, ==, !=, <, <=, >,
 * >=, !, all, any, in, match, case, step, interpolate (linear,
 * exponential), coalesce, to-string, to-number, to-boolean, to-color,
 * concat, number, string, boolean, rgb, rgba, upcase, downcase, +, -, *, /,
 * %, ^, min, max, round, floor, ceil, abs, sqrt. Legacy filters (["==",
 * "kind", "zone"], "in", "!in", "has", "!has", "none", "$type", "$id"),
 * legacy zoom and property functions ({"stops": ...}) and "{name}" text
 * tokens are rewritten into the same tree. Anything else is one warning
 * naming the style layer and the property, and the property keeps its
 * default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "style_int.h"

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

static struct pk_expr *node(enum pk_expr_op op, int nargs)
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

static struct pk_expr *node_str(enum pk_expr_op op, const char *s)
{
    struct pk_expr *e = node(op, 0);
    if (e && !(e->str = strdup(s))) {
        pk_expr_free(e);
        return NULL;
    }
    if (e && op == PK_OP_LITERAL)
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
    struct pk_expr *e = node(PK_OP_LITERAL, 0);
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
    struct pk_expr *e = v.type == PK_SV_STR ? node_str(PK_OP_LITERAL, v.s) : node(PK_OP_LITERAL, 0);
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
    enum pk_expr_op op;
    int min, max;   /* argument counts; max -1: any */
};

static const struct op_name ops[] = {
    {"zoom", PK_OP_ZOOM, 0, 0}, {"geometry-type", PK_OP_GEOMTYPE, 0, 0}, {"id", PK_OP_ID, 0, 0},
    {"==", PK_OP_EQ, 2, 2}, {"!=", PK_OP_NE, 2, 2}, {"<", PK_OP_LT, 2, 2}, {"<=", PK_OP_LE, 2, 2},
    {">", PK_OP_GT, 2, 2}, {">=", PK_OP_GE, 2, 2}, {"!", PK_OP_NOT, 1, 1}, {"all", PK_OP_ALL, 0, -1},
    {"any", PK_OP_ANY, 0, -1}, {"in", PK_OP_IN, 2, 2}, {"case", PK_OP_CASE, 3, -1},
    {"coalesce", PK_OP_COALESCE, 1, -1}, {"to-string", PK_OP_TO_STRING, 1, 1},
    {"to-number", PK_OP_TO_NUMBER, 1, -1}, {"to-boolean", PK_OP_TO_BOOLEAN, 1, 1},
    {"to-color", PK_OP_TO_COLOR, 1, -1}, {"concat", PK_OP_CONCAT, 1, -1}, {"+", PK_OP_ADD, 2, -1},
    {"-", PK_OP_SUB, 1, 2}, {"*", PK_OP_MUL, 2, -1}, {"/", PK_OP_DIV, 2, 2}, {"%", PK_OP_MOD, 2, 2},
    {"^", PK_OP_POW, 2, 2}, {"min", PK_OP_MIN, 1, -1}, {"max", PK_OP_MAX, 1, -1}, {"round", PK_OP_ROUND, 1, 1},
    {"floor", PK_OP_FLOOR, 1, 1}, {"ceil", PK_OP_CEIL, 1, 1}, {"abs", PK_OP_ABS, 1, 1}, {"sqrt", PK_OP_SQRT, 1, 1},
    {"number", PK_OP_IS_NUMBER, 1, -1}, {"string", PK_OP_IS_STRING, 1, -1}, {"boolean", PK_OP_IS_BOOLEAN, 1, -1},
    {"rgb", PK_OP_RGB, 3, 3}, {"rgba", PK_OP_RGBA, 4, 4}, {"upcase", PK_OP_UPCASE, 1, 1}, {"downcase", PK_OP_DOWNCASE, 1, 1},
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
static int compile_get(struct pk_expr_site *site, struct json_object *j, enum pk_expr_op op, struct pk_expr **out)
{
    struct json_object *name = json_object_array_get_idx(j, 1);
    if (json_object_array_length(j) != 2 || !json_object_is_type(name, json_type_string))
        return unsupported(site, "form of", op == PK_OP_GET ? "get" : "has");
    return (*out = node_str(op, json_object_get_string(name))) ? PK_OK : PK_ERR_NOMEM;
}

/* ["match", input, label, out, ..., fallback]: labels are literal scalars or
 * arrays of them, kept as literal nodes. */
static int compile_match(struct pk_expr_site *site, struct json_object *j, struct pk_expr **out)
{
    int n = (int)json_object_array_length(j) - 1;
    if (n < 4 || n % 2)
        return unsupported(site, "argument count of", "match");
    struct pk_expr *e = node(PK_OP_MATCH, n);
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
    if (e->op == PK_OP_LITERAL && e->value.type == PK_SV_STR && pk_color_parse(e->value.s, &c))
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
    struct pk_expr *e = node(PK_OP_STEP, n);
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
    struct pk_expr *e = node(PK_OP_INTERP, n);
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
        return compile_get(site, j, name[0] == 'g' ? PK_OP_GET : PK_OP_HAS, out);
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
    struct pk_expr *e = node(PK_OP_CONCAT, 0);
    int rc = e ? PK_OK : PK_ERR_NOMEM;
    const char *p = text;
    while (rc == PK_OK && *p) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        size_t lit = close ? (size_t)(open - p) : strlen(p);
        char *s = strndup(p, lit);
        if (lit)
            rc = push_arg(e, s ? node_str(PK_OP_LITERAL, s) : NULL);
        free(s);
        if (rc != PK_OK || !close)
            break;
        s = strndup(open + 1, (size_t)(close - open - 1));
        rc = push_arg(e, s ? node_str(PK_OP_GET, s) : NULL);
        free(s);
        p = close + 1;
    }
    if (rc == PK_OK && e->nargs == 0)
        rc = push_arg(e, node_str(PK_OP_LITERAL, ""));
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
                         double base, struct json_object *fallback_default, struct pk_expr *input,
                         struct pk_expr **out)
{
    int categorical = !strcmp(type, "categorical");
    enum pk_expr_op op = categorical ? PK_OP_MATCH : !strcmp(type, "interval") ? PK_OP_STEP : PK_OP_INTERP;
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
        if (op != PK_OP_STEP || i > 0) /* a step's first stop: its output holds below it too */
            rc = literal(site, json_object_array_get_idx(s, 0), &in);
        if (rc == PK_OK && in)
            rc = push_arg(e, in);
        if (rc == PK_OK && !site->unsupported)
            rc = literal(site, json_object_array_get_idx(s, 1), &val);
        if (rc == PK_OK && val && op == PK_OP_INTERP)
            colour_literal(val);
        if (rc == PK_OK && val)
            rc = push_arg(e, val);
    }
    if (rc == PK_OK && categorical) { /* no match: the function's default, else null (the property's) */
        struct pk_expr *fallback = NULL;
        rc = fallback_default ? literal(site, fallback_default, &fallback) : PK_OK;
        if (rc == PK_OK && !site->unsupported)
            rc = push_arg(e, fallback ? fallback : node(PK_OP_LITERAL, 0));
    }
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
        return (*out = node_str(PK_OP_GET, json_object_get_string(prop))) ? PK_OK : PK_ERR_NOMEM;
    if (kind && strcmp(kind, "exponential") && strcmp(kind, "interval") && strcmp(kind, "categorical"))
        return unsupported(site, "function type", kind);
    int categorical = kind && !strcmp(kind, "categorical");
    int n = function_stops(site, stops, !categorical);
    if (n < 0)
        return PK_OK;
    if (!kind)
        kind = interpolatable(stops, n) ? "exponential" : "interval";
    struct pk_expr *input = prop ? node_str(PK_OP_GET, json_object_get_string(prop)) : node(PK_OP_ZOOM, 0);
    if (!input)
        return PK_ERR_NOMEM;
    struct json_object *def = NULL;
    json_object_object_get_ex(j, "default", &def);
    return function_expr(site, kind, stops, n, base ? json_object_get_double(base) : 1, def, input, out);
}

/* ---- legacy filters */

/* A legacy key: "$type" -> geometry-type, "$id" -> id, else get. */
static struct pk_expr *legacy_key(const char *key)
{
    if (!strcmp(key, "$type"))
        return node(PK_OP_GEOMTYPE, 0);
    if (!strcmp(key, "$id"))
        return node(PK_OP_ID, 0);
    return node_str(PK_OP_GET, key);
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
    struct pk_expr *n = e ? node(PK_OP_NOT, 1) : NULL;
    if (!n) {
        pk_expr_free(e);
        return NULL;
    }
    n->args[0] = e;
    return n;
}

/* ["in"|"!in", key, v...] and ["==", key, v] etc.: key, then literal values. */
static int legacy_compare(struct pk_expr_site *site, struct json_object *j, enum pk_expr_op op, struct pk_expr **out)
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
static int combine_filters(struct pk_expr_site *site, struct json_object *j, enum pk_expr_op op, int negated,
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
    {"==", PK_OP_EQ, 1, 1}, {"!=", PK_OP_NE, 1, 1}, {"<", PK_OP_LT, 1, 1}, {"<=", PK_OP_LE, 1, 1},
    {">", PK_OP_GT, 1, 1}, {">=", PK_OP_GE, 1, 1}, {"in", PK_OP_LEGACY_IN, 0, -1}, {"!in", PK_OP_LEGACY_IN, 0, -1},
    {"has", PK_OP_HAS, 0, 0}, {"!has", PK_OP_HAS, 0, 0},
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
        return combine_filters(site, json, op[1] == 'l' ? PK_OP_ALL : PK_OP_ANY, op[0] == 'n', out);
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
        int rc = o->op == PK_OP_HAS ? compile_get(site, json, PK_OP_HAS, out) : legacy_compare(site, json, o->op, out);
        if (rc != PK_OK || !*out || op[0] != '!' || op[1] == '=')
            return rc;
        return (*out = negate(*out)) ? PK_OK : PK_ERR_NOMEM;
    }
    return compile(site, json, out);
}

