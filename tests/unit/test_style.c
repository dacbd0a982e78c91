/* test_style.c — the MapLibre style engine: every expression and filter
 * form against hand-computed answers (with the spec's edge cases), CSS
 * colours in every form, legacy functions and text tokens, property
 * defaults and conversions, and the errors and warnings of loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include <json-c/json.h>

#include "style_int.h"
#include "fixture.h"

/* ---- warnings captured from the context's log */

static char warnings[16][512];
static int nwarnings;

static void capture(enum pk_log_level level, const char *msg, void *arg)
{
    (void)arg;
    if (level == PK_LOG_WARN && nwarnings < 16)
        snprintf(warnings[nwarnings++], sizeof warnings[0], "%s", msg);
}

static struct pk_ctx *new_ctx(void)
{
    struct pk_ctx *ctx = pk_ctx_new();
    assert_non_null(ctx);
    nwarnings = 0;
    pk_ctx_set_log(ctx, capture, NULL, PK_LOG_WARN);
    return ctx;
}

/* ---- a feature: kind = "zone", n = 1, name = "昆山", pop = 50.0, s = "12.5" */

static const char *const names[] = {"kind", "n", "name", "pop", "s", "empty"};
static const struct pk_value values[] = {
    {.type = PK_VAL_TEXT, .s = "zone"}, {.type = PK_VAL_INT, .i = 1},
    {.type = PK_VAL_TEXT, .s = "昆山"}, {.type = PK_VAL_REAL, .d = 50.0},
    {.type = PK_VAL_TEXT, .s = "12.5"}, {.type = PK_VAL_NULL},
};

static struct pk_style_eval feature(double zoom, int geom_type)
{
    return (struct pk_style_eval){.zoom = zoom, .geom_type = geom_type, .id = 7, .nprops = 6,
                                  .names = names, .props = values};
}

/* Compile text (an expression, or a filter when filter) with no warning. */
static struct pk_expr *compile_text(struct pk_ctx *ctx, const char *text, int filter)
{
    struct json_object *j = json_tokener_parse(text);
    assert_non_null(j);
    struct pk_expr_site site = {.ctx = ctx, .layer = "t", .property = "p"};
    struct pk_expr *e = NULL;
    int rc = filter ? pk_filter_compile(&site, j, &e) : pk_expr_compile(&site, j, 0, &e);
    json_object_put(j);
    assert_int_equal(rc, PK_OK);
    if (!e)
        fail_msg("%s: %s", text, nwarnings ? warnings[0] : "not compiled");
    return e;
}

/* Evaluate expression text at zoom on the feature; returns the eval status. */
static int eval_at(const char *text, double zoom, struct pk_sv *out, char *str, size_t size)
{
    struct pk_ctx *ctx = new_ctx();
    struct pk_expr *e = compile_text(ctx, text, 0);
    struct pk_style_eval ev = feature(zoom, 3);
    int rc = pk_expr_eval(e, &ev, out);
    if (str && rc == 0 && out->type == PK_SV_STR)
        snprintf(str, size, "%s", out->s);
    pk_style_eval_reset(&ev);
    pk_expr_free(e);
    pk_ctx_free(ctx);
    return rc;
}

static double num_at(const char *text, double zoom)
{
    struct pk_sv v;
    if (eval_at(text, zoom, &v, NULL, 0) != 0 || v.type != PK_SV_NUM)
        fail_msg("%s at z%g: not a number", text, zoom);
    return v.n;
}

static const char *str_at(const char *text, double zoom)
{
    static char buf[256];
    struct pk_sv v;
    if (eval_at(text, zoom, &v, buf, sizeof buf) != 0 || v.type != PK_SV_STR)
        fail_msg("%s: not a string", text);
    return buf;
}

static int passes(const char *filter, int geom_type)
{
    struct pk_ctx *ctx = new_ctx();
    struct pk_expr *e = compile_text(ctx, filter, 1);
    struct pk_style_eval ev = feature(10, geom_type);
    int r = pk_filter_eval(e, &ev);
    pk_style_eval_reset(&ev);
    pk_expr_free(e);
    pk_ctx_free(ctx);
    return r;
}

/* ---- colours */

static void expect_color(const char *text, double r, double g, double b, double a)
{
    struct pk_color c;
    if (!pk_color_parse(text, &c))
        fail_msg("%s: not parsed", text);
    if (c.r != r || c.g != g || c.b != b || fabs(c.a - a) > 1e-9)
        fail_msg("%s: got %g,%g,%g,%g want %g,%g,%g,%g", text, c.r, c.g, c.b, c.a, r, g, b, a);
}

static void test_colors(void **state)
{
    (void)state;
    expect_color("#f80", 255, 136, 0, 1);
    expect_color("#F808", 255, 136, 0, 136 / 255.0);
    expect_color("#1a2b3c", 26, 43, 60, 1);
    expect_color("#1a2b3c80", 26, 43, 60, 128 / 255.0);
    expect_color("rgb(10, 20, 30)", 10, 20, 30, 1);
    expect_color("rgb(100%, 50%, 0%)", 255, 128, 0, 1);
    expect_color("rgba(10,20,30,0.25)", 10, 20, 30, 0.25);
    expect_color("rgba(300, -5, 30, 2)", 255, 0, 30, 1);
    expect_color("hsl(0, 100%, 50%)", 255, 0, 0, 1);
    expect_color("hsl(120, 100%, 25%)", 0, 128, 0, 1);
    expect_color("hsl(240, 50%, 75%)", 159, 159, 223, 1);
    expect_color("hsla(210, 60%, 40%, 0.5)", 41, 102, 163, 0.5);
    expect_color("hsl(-120, 100%, 50%)", 0, 0, 255, 1);
    expect_color("red", 255, 0, 0, 1);
    expect_color("RebeccaPurple", 102, 51, 153, 1);
    expect_color("aliceblue", 240, 248, 255, 1);
    expect_color("yellowgreen", 154, 205, 50, 1);
    expect_color("lightgoldenrodyellow", 250, 250, 210, 1);
    expect_color("transparent", 0, 0, 0, 0);
    static const char *bad[] = {"", "#", "#12", "#12345", "#1234567", "#gggggg", "rgb(1,2)", "rgb(1,2,3",
                                "rgb(a,b,c)", "hsl(10, 20, 30)", "redd", "cmyk(1,2,3,4)", "rgb(1,2,3,4,5)"};
    struct pk_color c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (pk_color_parse(bad[i], &c))
            fail_msg("'%s' parsed as a colour", bad[i]);
}

/* ---- expressions */

static void test_get_and_types(void **state)
{
    (void)state;
    struct pk_sv v;
    assert_int_equal(eval_at("[\"get\", \"missing\"]", 10, &v, NULL, 0), 0);
    assert_int_equal(v.type, PK_SV_NULL);
    assert_int_equal(eval_at("[\"get\", \"empty\"]", 10, &v, NULL, 0), 0);
    assert_int_equal(v.type, PK_SV_NULL);
    assert_true(num_at("[\"get\", \"n\"]", 10) == 1);
    assert_true(num_at("[\"get\", \"pop\"]", 10) == 50);
    assert_string_equal(str_at("[\"get\", \"name\"]", 10), "昆山");
    assert_true(num_at("[\"zoom\"]", 12.5) == 12.5);
    assert_true(num_at("[\"id\"]", 1) == 7);
    assert_string_equal(str_at("[\"geometry-type\"]", 1), "Polygon");
    assert_true(num_at("[\"+\", 1, 2, [\"get\", \"n\"]]", 0) == 4);
    assert_true(num_at("[\"-\", 5]", 0) == -5);
    assert_true(num_at("[\"/\", [\"*\", 3, 4], 8]", 0) == 1.5);
    assert_true(num_at("[\"%\", 7, 4]", 0) == 3);
    assert_int_equal(eval_at("[\"+\", 1, \"a\"]", 0, &v, NULL, 0), -1);
    assert_true(num_at("[\"^\", 2, 10]", 0) == 1024);
    assert_true(num_at("[\"min\", 3, [\"get\", \"n\"], 2]", 0) == 1);
    assert_true(num_at("[\"max\", 3, [\"get\", \"pop\"]]", 0) == 50);
    assert_true(num_at("[\"round\", 2.5]", 0) == 3);
    assert_true(num_at("[\"round\", -2.5]", 0) == -3);
    assert_true(num_at("[\"floor\", -1.5]", 0) == -2);
    assert_true(num_at("[\"ceil\", 1.2]", 0) == 2);
    assert_true(num_at("[\"abs\", -4]", 0) == 4);
    assert_true(num_at("[\"sqrt\", 16]", 0) == 4);
    /* type assertions: the first argument of the type, else an error */
    assert_true(num_at("[\"number\", [\"get\", \"kind\"], [\"get\", \"n\"], 5]", 0) == 1);
    assert_string_equal(str_at("[\"string\", [\"get\", \"missing\"], \"none\"]", 0), "none");
    assert_int_equal(eval_at("[\"number\", [\"get\", \"kind\"]]", 0, &v, NULL, 0), -1);
    assert_int_equal(eval_at("[\"boolean\", [\"has\", \"kind\"]]", 0, &v, NULL, 0), 0);
    assert_true(v.type == PK_SV_BOOL && v.b);
    assert_int_equal(eval_at("[\"rgba\", 10, 20, 30, 0.5]", 0, &v, NULL, 0), 0);
    assert_true(v.type == PK_SV_COLOR && v.c.r == 10 && v.c.g == 20 && v.c.b == 30 && v.c.a == 0.5);
    assert_int_equal(eval_at("[\"rgb\", 256, 0, 0]", 0, &v, NULL, 0), -1);
    assert_string_equal(str_at("[\"upcase\", [\"concat\", [\"get\", \"kind\"], \"区\"]]", 0), "ZONE区");
    assert_string_equal(str_at("[\"downcase\", \"AbC\"]", 0), "abc");
}

static void test_comparisons(void **state)
{
    (void)state;
    /* the spec's strict typing: a number never equals a string */
    assert_false(passes("[\"==\", [\"get\", \"n\"], \"1\"]", 3));
    assert_true(passes("[\"==\", [\"get\", \"n\"], 1]", 3));
    assert_true(passes("[\"!=\", [\"get\", \"n\"], \"1\"]", 3));
    assert_true(passes("[\"==\", [\"get\", \"missing\"], null]", 3));
    assert_false(passes("[\"==\", [\"get\", \"missing\"], \"zone\"]", 3));
    assert_true(passes("[\"<\", [\"get\", \"pop\"], 50.5]", 3));
    assert_true(passes("[\"<=\", [\"get\", \"pop\"], 50]", 3));
    assert_false(passes("[\">\", [\"get\", \"pop\"], 50]", 3));
    assert_true(passes("[\">=\", [\"get\", \"pop\"], 50]", 3));
    assert_true(passes("[\"<\", [\"get\", \"kind\"], \"zz\"]", 3));
    /* ordering a number against a string is an evaluation error: not passed */
    assert_false(passes("[\"<\", [\"get\", \"kind\"], 5]", 3));
    assert_false(passes("[\">=\", [\"get\", \"kind\"], 5]", 3));
    assert_false(passes("[\"<\", [\"get\", \"missing\"], 5]", 3));
}

static void test_logic_and_in(void **state)
{
    (void)state;
    assert_true(passes("[\"all\", [\"==\", [\"get\", \"kind\"], \"zone\"], [\">\", [\"get\", \"n\"], 0]]", 3));
    assert_false(passes("[\"all\", [\"==\", [\"get\", \"kind\"], \"zone\"], [\">\", [\"get\", \"n\"], 1]]", 3));
    assert_true(passes("[\"all\"]", 3));
    assert_false(passes("[\"any\"]", 3));
    assert_true(passes("[\"any\", false, [\"has\", \"kind\"]]", 3));
    assert_true(passes("[\"!\", [\"has\", \"missing\"]]", 3));
    assert_false(passes("[\"has\", \"empty\"]", 3));
    assert_false(passes("[\"!\", [\"get\", \"kind\"]]", 3)); /* ! of a string: error */
    /* expression "in": an array literal, or a substring */
    assert_true(passes("[\"in\", [\"get\", \"kind\"], [\"literal\", [\"park\", \"zone\"]]]", 3));
    assert_false(passes("[\"in\", [\"get\", \"kind\"], [\"literal\", [\"park\", \"road\"]]]", 3));
    assert_false(passes("[\"in\", [\"get\", \"n\"], [\"literal\", [\"1\", \"2\"]]]", 3));
    assert_true(passes("[\"in\", [\"get\", \"n\"], [\"literal\", [1, 2]]]", 3));
    assert_true(passes("[\"in\", \"on\", [\"get\", \"kind\"]]", 3));
    assert_false(passes("[\"in\", \"xy\", [\"get\", \"kind\"]]", 3));
    assert_false(passes("[\"in\", \"a\", [\"get\", \"missing\"]]", 3));
    assert_true(passes("[\"in\", 2, [\"get\", \"s\"]]", 3)); /* a number looked for as text: "12.5" */
}

static void test_legacy_filters(void **state)
{
    (void)state;
    assert_true(passes("[\"==\", \"kind\", \"zone\"]", 3));
    assert_false(passes("[\"==\", \"kind\", \"park\"]", 3));
    assert_false(passes("[\"==\", \"n\", \"1\"]", 3));
    assert_true(passes("[\"!=\", \"missing\", \"zone\"]", 3));
    assert_true(passes("[\"<\", \"n\", 5]", 3));
    assert_false(passes("[\">\", \"kind\", 5]", 3));
    assert_true(passes("[\"in\", \"kind\", \"park\", \"zone\"]", 3));
    assert_false(passes("[\"in\", \"kind\", \"park\", \"road\"]", 3));
    assert_false(passes("[\"in\", \"n\", \"1\", \"2\"]", 3));
    assert_true(passes("[\"!in\", \"kind\", \"park\", \"road\"]", 3));
    assert_false(passes("[\"!in\", \"kind\", \"zone\"]", 3));
    assert_true(passes("[\"has\", \"kind\"]", 3));
    assert_true(passes("[\"!has\", \"missing\"]", 3));
    assert_false(passes("[\"!has\", \"kind\"]", 3));
    assert_true(passes("[\"==\", \"$type\", \"Polygon\"]", 3));
    assert_false(passes("[\"==\", \"$type\", \"Polygon\"]", 2));
    assert_true(passes("[\"in\", \"$type\", \"Point\", \"LineString\"]", 2));
    assert_true(passes("[\"==\", \"$id\", 7]", 3));
    assert_true(passes("[\"all\", [\"==\", \"kind\", \"zone\"], [\"in\", \"n\", 1, 2]]", 3));
    assert_false(passes("[\"any\", [\"==\", \"kind\", \"park\"], [\"!has\", \"n\"]]", 3));
    assert_true(passes("[\"none\", [\"==\", \"kind\", \"park\"], [\"!has\", \"n\"]]", 3));
    assert_false(passes("[\"none\", [\"==\", \"kind\", \"zone\"]]", 3));
    /* legacy and expression forms mixed under all */
    assert_true(passes("[\"all\", [\"==\", \"kind\", \"zone\"], [\"==\", [\"get\", \"n\"], 1]]", 3));
}

static void test_match_case_coalesce(void **state)
{
    (void)state;
    const char *m = "[\"match\", [\"get\", \"kind\"], \"park\", 1, [\"zone\", \"green\"], 2, 0]";
    assert_true(num_at(m, 0) == 2);
    assert_true(num_at("[\"match\", [\"get\", \"kind\"], \"park\", 1, 0]", 0) == 0);
    assert_true(num_at("[\"match\", [\"get\", \"missing\"], \"park\", 1, 9]", 0) == 9);
    /* n = 1 does not match the label "1": fallback */
    assert_true(num_at("[\"match\", [\"get\", \"n\"], \"1\", 1, 9]", 0) == 9);
    assert_true(num_at("[\"match\", [\"get\", \"n\"], 1, 1, 9]", 0) == 1);
    assert_string_equal(str_at("[\"case\", [\"==\", [\"get\", \"n\"], 2], \"two\", "
                               "[\"==\", [\"get\", \"n\"], 1], \"one\", \"other\"]", 0), "one");
    assert_string_equal(str_at("[\"case\", false, \"a\", \"fallback\"]", 0), "fallback");
    assert_string_equal(str_at("[\"coalesce\", [\"get\", \"missing\"], [\"get\", \"empty\"], [\"get\", \"name\"], \"x\"]", 0),
                        "昆山");
    struct pk_sv v;
    assert_int_equal(eval_at("[\"coalesce\", [\"get\", \"missing\"], [\"get\", \"empty\"]]", 0, &v, NULL, 0), 0);
    assert_int_equal(v.type, PK_SV_NULL);
}

static void test_step_interpolate(void **state)
{
    (void)state;
    const char *s = "[\"step\", [\"zoom\"], \"a\", 5, \"b\", 10, \"c\"]";
    assert_string_equal(str_at(s, 3), "a"); /* below the first stop */
    assert_string_equal(str_at(s, 5), "b");
    assert_string_equal(str_at(s, 9.99), "b");
    assert_string_equal(str_at(s, 12), "c");
    const char *lin = "[\"interpolate\", [\"linear\"], [\"zoom\"], 10, 2, 14, 10]";
    assert_true(num_at(lin, 8) == 2);
    assert_true(num_at(lin, 11) == 4);
    assert_true(num_at(lin, 13) == 8);
    assert_true(num_at(lin, 20) == 10);
    /* base 2: t = (2^(z-0) - 1) / (2^10 - 1) */
    const char *exp2 = "[\"interpolate\", [\"exponential\", 2], [\"zoom\"], 0, 0, 10, 1023]";
    assert_true(fabs(num_at(exp2, 5) - 31) < 1e-9);
    assert_true(fabs(num_at(exp2, 1) - 1) < 1e-9);
    assert_true(fabs(num_at(exp2, 9) - 511) < 1e-9);
    assert_true(num_at(exp2, 10) == 1023);
    assert_true(num_at(exp2, -1) == 0);
    /* over a property, with three stops */
    assert_true(num_at("[\"interpolate\", [\"linear\"], [\"get\", \"pop\"], 0, 1, 40, 5, 100, 11]", 0) == 6);
    struct pk_sv v;
    assert_int_equal(eval_at("[\"interpolate\", [\"linear\"], [\"get\", \"missing\"], 0, 1, 10, 2]", 0, &v, NULL, 0), -1);
    assert_int_equal(eval_at("[\"interpolate\", [\"linear\"], [\"zoom\"], 0, \"red\", 10, \"blue\"]", 5, &v, NULL, 0), 0);
    assert_int_equal(v.type, PK_SV_COLOR);
    assert_true(v.c.r == 127.5 && v.c.g == 0 && v.c.b == 127.5 && v.c.a == 1);
    /* colours interpolate premultiplied by alpha: halfway from opaque red to
     * transparent black is red at alpha 0.5 */
    assert_int_equal(eval_at("[\"interpolate\", [\"linear\"], [\"zoom\"], 0, \"red\", 10, \"rgba(0,0,0,0)\"]",
                             5, &v, NULL, 0), 0);
    assert_true(v.c.r == 255 && v.c.g == 0 && v.c.b == 0 && v.c.a == 0.5);
    /* arrays of numbers, made in the evaluation's arena */
    struct pk_ctx *ctx = new_ctx();
    struct pk_expr *e = compile_text(ctx, "[\"interpolate\", [\"linear\"], [\"zoom\"], 0, [\"literal\", [2, 4]], "
                                          "10, [\"literal\", [4, 8]]]", 0);
    struct pk_style_eval ev = feature(5, 3);
    assert_int_equal(pk_expr_eval(e, &ev, &v), 0);
    assert_int_equal(v.type, PK_SV_ARRAY);
    assert_int_equal(v.nitems, 2);
    assert_true(v.items[0].n == 3 && v.items[1].n == 6);
    pk_style_eval_reset(&ev);
    pk_expr_free(e);
    pk_ctx_free(ctx);
}

static void test_conversions(void **state)
{
    (void)state;
    struct pk_sv v;
    assert_true(num_at("[\"to-number\", \"abc\", 7]", 0) == 7);
    assert_int_equal(eval_at("[\"to-number\", \"abc\"]", 0, &v, NULL, 0), -1);
    assert_true(num_at("[\"to-number\", [\"get\", \"s\"]]", 0) == 12.5);
    assert_true(num_at("[\"to-number\", [\"get\", \"missing\"]]", 0) == 0);
    assert_true(num_at("[\"to-number\", true]", 0) == 1);
    assert_true(num_at("[\"to-number\", \" 0x10 \"]", 0) == 16);
    assert_true(num_at("[\"to-number\", \"nan\", \"inf\", 3]", 0) == 3);
    assert_string_equal(str_at("[\"to-string\", 1]", 0), "1");
    assert_string_equal(str_at("[\"to-string\", 1.5]", 0), "1.5");
    assert_string_equal(str_at("[\"to-string\", 0.1]", 0), "0.1");
    assert_string_equal(str_at("[\"to-string\", [\"+\", 0.1, 0.2]]", 0), "0.30000000000000004");
    assert_string_equal(str_at("[\"to-string\", -0.0]", 0), "0");
    assert_string_equal(str_at("[\"to-string\", 1e21]", 0), "1e+21");
    assert_string_equal(str_at("[\"to-string\", true]", 0), "true");
    assert_string_equal(str_at("[\"to-string\", [\"get\", \"missing\"]]", 0), "");
    assert_string_equal(str_at("[\"concat\", [\"get\", \"name\"], \" (\", [\"get\", \"n\"], \")\"]", 0), "昆山 (1)");
    assert_string_equal(str_at("[\"concat\", \"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", 10]", 0),
                        "abcdefghi10");
    assert_int_equal(eval_at("[\"to-boolean\", \"\"]", 0, &v, NULL, 0), 0);
    assert_false(v.b);
    assert_int_equal(eval_at("[\"to-color\", \"nope\", \"#00ff00\"]", 0, &v, NULL, 0), 0);
    assert_true(v.type == PK_SV_COLOR && v.c.g == 255 && v.c.r == 0);
}

static void test_legacy_functions(void **state)
{
    (void)state;
    struct pk_ctx *ctx = new_ctx();
    const struct { const char *json; double zoom; double want; } cases[] = {
        {"{\"stops\": [[10, 1], [15, 4]]}", 12.5, 2.5},
        {"{\"stops\": [[10, 1], [15, 4]]}", 5, 1},
        {"{\"base\": 2, \"stops\": [[0, 0], [10, 1023]]}", 5, 31},
        {"{\"type\": \"interval\", \"stops\": [[5, 1], [10, 2]]}", 3, 1},
        {"{\"type\": \"interval\", \"stops\": [[5, 1], [10, 2]]}", 9.9, 1},
        {"{\"type\": \"interval\", \"stops\": [[5, 1], [10, 2]]}", 10, 2},
        {"{\"property\": \"pop\", \"stops\": [[0, 0], [100, 10]]}", 0, 5},
        {"{\"property\": \"kind\", \"type\": \"categorical\", \"stops\": [[\"park\", 1], [\"zone\", 3]]}", 0, 3},
        {"{\"property\": \"n\", \"type\": \"identity\"}", 0, 1},
        {"{\"property\": \"kind\", \"type\": \"categorical\", \"stops\": [[\"park\", 1]], \"default\": 8}", 0, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pk_expr *e = compile_text(ctx, cases[i].json, 0);
        struct pk_style_eval ev = feature(cases[i].zoom, 3);
        struct pk_sv v;
        assert_int_equal(pk_expr_eval(e, &ev, &v), 0);
        if (v.type != PK_SV_NUM || fabs(v.n - cases[i].want) > 1e-9)
            fail_msg("%s at z%g: got %g want %g", cases[i].json, cases[i].zoom, v.n, cases[i].want);
        pk_expr_free(e);
    }
    /* "{name}" tokens of a text-field */
    struct json_object *j = json_tokener_parse("\"{name} {n}号 {missing}!\"");
    struct pk_expr_site site = {.ctx = ctx, .layer = "t", .property = "text-field"};
    struct pk_expr *e = NULL;
    assert_int_equal(pk_expr_compile(&site, j, PK_EXPR_LEGACY_TEXT, &e), PK_OK);
    json_object_put(j);
    struct pk_style_eval ev = feature(0, 3);
    struct pk_sv v;
    assert_int_equal(pk_expr_eval(e, &ev, &v), 0);
    assert_string_equal(v.s, "昆山 1号 !");
    pk_style_eval_reset(&ev);
    pk_expr_free(e);
    assert_int_equal(nwarnings, 0);
    pk_ctx_free(ctx);
}

static void add_field(void *arg, const char *name)
{
    char *out = arg;
    strcat(out, name);
    strcat(out, ",");
}

static void test_fields(void **state)
{
    (void)state;
    struct pk_ctx *ctx = new_ctx();
    struct pk_expr *e = compile_text(ctx, "[\"all\", [\"==\", \"kind\", \"zone\"], [\"has\", \"n\"], "
                                          "[\"<\", [\"to-number\", [\"get\", \"s\"]], 3]]", 1);
    char got[128] = "";
    pk_expr_fields(e, add_field, got);
    assert_string_equal(got, "kind,n,s,");
    pk_expr_free(e);
    pk_ctx_free(ctx);
}

/* ---- styles */

#define STYLE_HEAD "{\"version\": 8, \"sources\": {\"plan\": {\"type\": \"vector\"}, " \
                   "\"tiles\": {\"type\": \"vector\", \"tiles\": [\"https://example.org/{z}/{x}/{y}.pbf\"]}}, "

static struct pk_style *parse_ok(struct pk_ctx *ctx, const char *text)
{
    struct pk_style *s = NULL;
    if (pk_style_parse(ctx, "test.json", text, NULL, &s) != PK_OK)
        fail_msg("%s", pk_errmsg(ctx));
    return s;
}

static void test_style_layers(void **state)
{
    (void)state;
    struct pk_ctx *ctx = new_ctx();
    struct pk_style *s = parse_ok(ctx, STYLE_HEAD "\"layers\": ["
        "{\"id\": \"bg\", \"type\": \"background\", \"paint\": {\"background-color\": \"hsl(0, 0%, 100%)\"}},"
        "{\"id\": \"zones\", \"type\": \"fill\", \"source\": \"plan\", \"source-layer\": \"towns\", \"minzoom\": 8,"
        " \"filter\": [\"==\", \"kind\", \"zone\"],"
        " \"paint\": {\"fill-color\": [\"match\", [\"get\", \"kind\"], \"zone\", \"#ff0000\", \"blue\"],"
        "  \"fill-opacity\": 0.5}},"
        "{\"id\": \"roads\", \"type\": \"line\", \"source\": \"tiles\", \"source-layer\": \"roads\", \"maxzoom\": 12,"
        " \"layout\": {\"line-cap\": \"round\", \"line-join\": \"wobbly\"},"
        " \"paint\": {\"line-width\": {\"stops\": [[10, 1], [15, 4]]}, \"line-dasharray\": [2, 1]}},"
        "{\"id\": \"hidden\", \"type\": \"circle\", \"source\": \"plan\", \"source-layer\": \"pts\","
        " \"layout\": {\"visibility\": \"none\"}},"
        "{\"id\": \"labels\", \"type\": \"symbol\", \"source\": \"plan\", \"source-layer\": \"towns\","
        " \"layout\": {\"text-field\": [\"get\", \"n\"], \"text-font\": [\"Noto Sans CJK SC Regular\", \"Arial\"]}}"
        "]}");
    if (nwarnings)
        fail_msg("unexpected warning: %s", warnings[0]);
    assert_int_equal(s->nlayers, 5);
    assert_string_equal(s->layers[1].id, "zones");
    assert_int_equal(s->layers[1].type, PK_STYLE_FILL);
    assert_string_equal(s->layers[1].source_layer, "towns");
    assert_false(pk_style_layer_at_zoom(&s->layers[1], 7.9));
    assert_true(pk_style_layer_at_zoom(&s->layers[1], 8));
    assert_true(pk_style_layer_at_zoom(&s->layers[2], 11.9));
    assert_false(pk_style_layer_at_zoom(&s->layers[2], 12));
    assert_false(pk_style_layer_at_zoom(&s->layers[3], 10));
    struct pk_style_eval ev = feature(12.5, 3);
    struct pk_color c = pk_style_color(&s->layers[0], PK_P_BACKGROUND_COLOR, &ev);
    assert_true(c.r == 255 && c.g == 255 && c.b == 255 && c.a == 1);
    assert_true(pk_filter_eval(s->layers[1].filter, &ev));
    c = pk_style_color(&s->layers[1], PK_P_FILL_COLOR, &ev);
    assert_true(c.r == 255 && c.g == 0 && c.b == 0 && c.a == 1);
    assert_true(pk_style_number(&s->layers[1], PK_P_FILL_OPACITY, &ev) == 0.5);
    struct pk_sv v;
    pk_style_prop(&s->layers[1], PK_P_FILL_OUTLINE_COLOR, &ev, &v);
    assert_int_equal(v.type, PK_SV_NULL); /* no outline colour: the renderer uses fill-color */
    assert_true(pk_style_number(&s->layers[2], PK_P_LINE_WIDTH, &ev) == 2.5);
    assert_true(pk_style_number(&s->layers[2], PK_P_LINE_OPACITY, &ev) == 1); /* default */
    pk_style_prop(&s->layers[2], PK_P_LINE_CAP, &ev, &v);
    assert_string_equal(v.s, "round");
    pk_style_prop(&s->layers[2], PK_P_LINE_JOIN, &ev, &v);
    assert_string_equal(v.s, "miter"); /* "wobbly" is no join: the default */
    pk_style_prop(&s->layers[2], PK_P_LINE_DASHARRAY, &ev, &v);
    assert_int_equal(v.type, PK_SV_ARRAY);
    assert_true(v.nitems == 2 && v.items[0].n == 2 && v.items[1].n == 1);
    pk_style_prop(&s->layers[4], PK_P_TEXT_FIELD, &ev, &v);
    assert_string_equal(v.s, "1"); /* a number shown as text */
    pk_style_prop(&s->layers[4], PK_P_TEXT_FONT, &ev, &v);
    assert_int_equal(v.nitems, 2);
    assert_string_equal(v.items[1].s, "Arial");
    assert_true(pk_style_number(&s->layers[4], PK_P_TEXT_SIZE, &ev) == 16);
    c = pk_style_color(&s->layers[4], PK_P_TEXT_HALO_COLOR, &ev);
    assert_true(c.a == 0);
    pk_style_eval_reset(&ev);
    pk_style_free(s);
    pk_ctx_free(ctx);
}

static void expect_error(struct pk_ctx *ctx, struct pk_store *store, const char *text, int code, const char *part)
{
    struct pk_style *s = (struct pk_style *)1;
    assert_int_equal(pk_style_parse(ctx, "bad.json", text, store, &s), code);
    assert_null(s);
    const char *msg = pk_errmsg(ctx);
    if (!strstr(msg, part) || strchr(msg, '\n') || strncmp(msg, "bad.json: ", 10))
        fail_msg("message '%s' lacks '%s' or is not one line naming the file", msg, part);
}

static void test_style_errors(void **state)
{
    (void)state;
    struct pk_ctx *ctx = new_ctx();
    expect_error(ctx, NULL, "{\"version\": 8, \"layers\": [", PK_ERR_DATA, "not JSON");
    expect_error(ctx, NULL, "not json at all", PK_ERR_DATA, "not JSON");
    expect_error(ctx, NULL, "{\"version\": 8, \"layers\": []} trailing", PK_ERR_DATA, "not JSON");
    expect_error(ctx, NULL, "{\"version\": 7, \"layers\": []}", PK_ERR_DATA, "version");
    expect_error(ctx, NULL, STYLE_HEAD "\"layers\": [{\"id\": \"x\", \"type\": \"background\"}, "
                 "{\"id\": \"x\", \"type\": \"background\"}]}", PK_ERR_DATA, "style layer id 'x' is used twice");
    expect_error(ctx, NULL, STYLE_HEAD "\"layers\": [{\"id\": \"x\", \"type\": \"polygon\", \"source\": \"plan\"}]}",
                 PK_ERR_DATA, "style layer 'x': unknown layer type 'polygon'");
    expect_error(ctx, NULL, STYLE_HEAD "\"layers\": [{\"id\": \"x\", \"type\": \"fill\", \"source\": \"nope\", "
                 "\"source-layer\": \"towns\"}]}", PK_ERR_DATA, "source 'nope' is not in the style's sources");
    expect_error(ctx, NULL, STYLE_HEAD "\"layers\": [{\"id\": \"x\", \"type\": \"fill\", \"source\": \"plan\"}]}",
                 PK_ERR_DATA, "style layer 'x': no source-layer");
    assert_int_equal(nwarnings, 0);
    pk_ctx_free(ctx);
}

static void test_missing_source_layer(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fx_open(&f, "test_style", "EPSG:4549"), 0);
    assert_int_equal(fx_write(&f, "towns.geojson", "{\"type\":\"FeatureCollection\"," FX_CRS_4549 "\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"name\":\"A\"},\"geometry\":{\"type\":\"Polygon\","
        "\"coordinates\":[[[600000,3430000],[601000,3430000],[601000,3431000],[600000,3430000]]]}}]}\n"), 0);
    assert_int_equal(fx_load(&f, "towns.geojson", "towns", NULL), PK_OK);
    const char *layers = STYLE_HEAD "\"layers\": [{\"id\": \"t\", \"type\": \"fill\", \"source\": \"plan\", "
                         "\"source-layer\": \"%s\"}]}";
    char text[1024];
    snprintf(text, sizeof text, layers, "towns");
    struct pk_style *s = NULL;
    assert_int_equal(pk_style_parse(f.ctx, "ok.json", text, f.store, &s), PK_OK);
    pk_style_free(s);
    snprintf(text, sizeof text, layers, "zones");
    expect_error(f.ctx, f.store, text, PK_ERR_NOTFOUND, "style layer 't': source-layer 'zones' is not a layer of the store");
    /* the same through a file */
    char path[400];
    fx_path(&f, "style.json", path, sizeof path);
    assert_int_equal(fx_write(&f, "style.json", text), 0);
    assert_int_equal(pk_style_load(f.ctx, path, f.store, &s), PK_ERR_NOTFOUND);
    assert_non_null(strstr(pk_errmsg(f.ctx), "style.json: style layer 't'"));
    fx_path(&f, "absent.json", path, sizeof path);
    assert_int_equal(pk_style_load(f.ctx, path, f.store, &s), PK_ERR_NOTFOUND);
    fx_close(&f);
}

static void test_unsupported_warned_once(void **state)
{
    (void)state;
    struct pk_ctx *ctx = new_ctx();
    struct pk_style *s = parse_ok(ctx, STYLE_HEAD "\"layers\": ["
        "{\"id\": \"zones\", \"type\": \"fill\", \"source\": \"plan\", \"source-layer\": \"towns\","
        " \"paint\": {\"fill-pattern\": \"stripes\", \"fill-color\": [\"feature-state\", \"hover\"], \"fill-opacity\": 0.5}},"
        "{\"id\": \"sat\", \"type\": \"raster\", \"source\": \"plan\"},"
        "{\"id\": \"odd\", \"type\": \"line\", \"source\": \"plan\", \"source-layer\": \"towns\","
        " \"filter\": [\"within\", {}], \"layout\": {\"visibility\": \"visible\"},"
        " \"paint\": {\"line-width\": [\"interpolate\", [\"linear\"], [\"zoom\"], 10, 1, 5, 2]}}"
        "]}");
    assert_int_equal(nwarnings, 5);
    assert_non_null(strstr(warnings[4], "style layer 'odd': property 'line-width': stops not in ascending order"));
    assert_non_null(strstr(warnings[0], "style layer 'zones': property 'fill-pattern'"));
    assert_non_null(strstr(warnings[1], "style layer 'zones': property 'fill-color': expression 'feature-state'"));
    assert_non_null(strstr(warnings[2], "style layer 'sat': layer type 'raster'"));
    assert_non_null(strstr(warnings[3], "style layer 'odd': property 'filter': expression 'within'"));
    assert_int_equal(s->nlayers, 2); /* the raster layer is not kept */
    assert_false(pk_style_layer_at_zoom(&s->layers[1], 10)); /* a filter it cannot evaluate: not drawn */
    /* evaluating many times warns no more; the colour takes its default */
    struct pk_style_eval ev = feature(10, 3);
    for (int i = 0; i < 100; i++) {
        struct pk_color c = pk_style_color(&s->layers[0], PK_P_FILL_COLOR, &ev);
        assert_true(c.r == 0 && c.g == 0 && c.b == 0 && c.a == 1);
        assert_true(pk_style_number(&s->layers[0], PK_P_FILL_OPACITY, &ev) == 0.5);
    }
    assert_int_equal(nwarnings, 5);
    pk_style_free(s);
    pk_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colors),
        cmocka_unit_test(test_get_and_types),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_logic_and_in),
        cmocka_unit_test(test_legacy_filters),
        cmocka_unit_test(test_match_case_coalesce),
        cmocka_unit_test(test_step_interpolate),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_legacy_functions),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_style_layers),
        cmocka_unit_test(test_style_errors),
        cmocka_unit_test(test_missing_source_layer),
        cmocka_unit_test(test_unsupported_warned_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
