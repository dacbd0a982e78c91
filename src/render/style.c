/* style.c — reading MapLibre v8 style documents: the layers in drawing
 * order, each with its source layer, zoom range, filter and the compiled
 * expressions of the properties the renderer draws, and the typed values of
 * those properties for one feature (defaults from the style spec). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "layer_int.h"
#include "style_int.h"

enum prop_kind { K_COLOR, K_NUMBER, K_TEXT, K_NUMBERS, K_TEXTS };

struct prop_def {
    const char *name;
    enum pk_layer_type layer;
    int layout;           /* in "layout", else "paint" */
    enum prop_kind kind;
    const char *def_text; /* default colour or text; NULL: none */
    double def_number;
    const char *choices;  /* allowed texts, "|a|b|", or NULL */
};

static const struct prop_def props[PK_P_COUNT] = {
    [PK_P_BACKGROUND_COLOR] = {"background-color", PK_STYLE_BACKGROUND, 0, K_COLOR, "#000000", 0, NULL},
    [PK_P_BACKGROUND_OPACITY] = {"background-opacity", PK_STYLE_BACKGROUND, 0, K_NUMBER, NULL, 1, NULL},
    [PK_P_FILL_COLOR] = {"fill-color", PK_STYLE_FILL, 0, K_COLOR, "#000000", 0, NULL},
    [PK_P_FILL_OPACITY] = {"fill-opacity", PK_STYLE_FILL, 0, K_NUMBER, NULL, 1, NULL},
    [PK_P_FILL_OUTLINE_COLOR] = {"fill-outline-color", PK_STYLE_FILL, 0, K_COLOR, NULL, 0, NULL},
    [PK_P_LINE_COLOR] = {"line-color", PK_STYLE_LINE, 0, K_COLOR, "#000000", 0, NULL},
    [PK_P_LINE_WIDTH] = {"line-width", PK_STYLE_LINE, 0, K_NUMBER, NULL, 1, NULL},
    [PK_P_LINE_OPACITY] = {"line-opacity", PK_STYLE_LINE, 0, K_NUMBER, NULL, 1, NULL},
    [PK_P_LINE_DASHARRAY] = {"line-dasharray", PK_STYLE_LINE, 0, K_NUMBERS, NULL, 0, NULL},
    [PK_P_LINE_CAP] = {"line-cap", PK_STYLE_LINE, 1, K_TEXT, "butt", 0, "|butt|round|square|"},
    [PK_P_LINE_JOIN] = {"line-join", PK_STYLE_LINE, 1, K_TEXT, "miter", 0, "|bevel|round|miter|"},
    [PK_P_CIRCLE_RADIUS] = {"circle-radius", PK_STYLE_CIRCLE, 0, K_NUMBER, NULL, 5, NULL},
    [PK_P_CIRCLE_COLOR] = {"circle-color", PK_STYLE_CIRCLE, 0, K_COLOR, "#000000", 0, NULL},
    [PK_P_CIRCLE_OPACITY] = {"circle-opacity", PK_STYLE_CIRCLE, 0, K_NUMBER, NULL, 1, NULL},
    [PK_P_CIRCLE_STROKE_COLOR] = {"circle-stroke-color", PK_STYLE_CIRCLE, 0, K_COLOR, "#000000", 0, NULL},
    [PK_P_CIRCLE_STROKE_WIDTH] = {"circle-stroke-width", PK_STYLE_CIRCLE, 0, K_NUMBER, NULL, 0, NULL},
    [PK_P_TEXT_FIELD] = {"text-field", PK_STYLE_SYMBOL, 1, K_TEXT, "", 0, NULL},
    [PK_P_TEXT_SIZE] = {"text-size", PK_STYLE_SYMBOL, 1, K_NUMBER, NULL, 16, NULL},
    [PK_P_TEXT_COLOR] = {"text-color", PK_STYLE_SYMBOL, 0, K_COLOR, "#000000", 0, NULL},
    [PK_P_TEXT_HALO_COLOR] = {"text-halo-color", PK_STYLE_SYMBOL, 0, K_COLOR, "rgba(0,0,0,0)", 0, NULL},
    [PK_P_TEXT_HALO_WIDTH] = {"text-halo-width", PK_STYLE_SYMBOL, 0, K_NUMBER, NULL, 0, NULL},
    [PK_P_TEXT_FONT] = {"text-font", PK_STYLE_SYMBOL, 1, K_TEXTS, NULL, 0, NULL},
    [PK_P_SYMBOL_PLACEMENT] = {"symbol-placement", PK_STYLE_SYMBOL, 1, K_TEXT, "point", 0, "|point|line|line-center|"},
    [PK_P_SYMBOL_SPACING] = {"symbol-spacing", PK_STYLE_SYMBOL, 1, K_NUMBER, NULL, 250, NULL},
};

static const char *const layer_types[] = {"background", "fill", "line", "circle", "symbol"};
/* Spec layer types the engine does not draw (a warning, not an error). */
static const char *const other_types[] = {"raster", "fill-extrusion", "heatmap", "hillshade", "sky"};

const char *pk_prop_name(enum pk_prop p) { return props[p].name; }

int pk_style_layer_at_zoom(const struct pk_style_layer *l, double zoom)
{
    return l->visible && zoom >= l->minzoom && zoom < l->maxzoom;
}

void pk_style_free(struct pk_style *style)
{
    if (!style)
        return;
    for (int i = 0; i < style->nlayers; i++) {
        struct pk_style_layer *l = &style->layers[i];
        free(l->id);
        free(l->source);
        free(l->source_layer);
        free(l->legend);
        free(l->group);
        pk_expr_free(l->filter);
        for (int p = 0; p < PK_P_COUNT; p++)
            pk_expr_free(l->prop[p]);
    }
    free(style->layers);
    free(style->name);
    free(style->title);
    free(style);
}

/* ---- evaluation */

/* The default of property p. */
static void prop_default(enum pk_prop p, struct pk_sv *out)
{
    const struct prop_def *d = &props[p];
    memset(out, 0, sizeof *out);
    if (d->kind == K_NUMBER)
        *out = (struct pk_sv){.type = PK_SV_NUM, .n = d->def_number};
    else if (d->kind == K_COLOR && d->def_text && pk_color_parse(d->def_text, &out->c))
        out->type = PK_SV_COLOR;
    else if (d->kind == K_TEXT)
        *out = (struct pk_sv){.type = PK_SV_STR, .s = d->def_text};
}

/* v converted to the kind of property p; 0 when it cannot be. */
static int convert(enum pk_prop p, struct pk_style_eval *ev, struct pk_sv *v)
{
    const struct prop_def *d = &props[p];
    struct pk_color c;
    switch (d->kind) {
    case K_COLOR:
        if (v->type == PK_SV_STR && pk_color_parse(v->s, &c))
            *v = (struct pk_sv){.type = PK_SV_COLOR, .c = c};
        return v->type == PK_SV_COLOR;
    case K_NUMBER: return v->type == PK_SV_NUM;
    case K_TEXT:
        if (v->type == PK_SV_NULL && p == PK_P_TEXT_FIELD)
            *v = (struct pk_sv){.type = PK_SV_STR, .s = ""};
        if (v->type == PK_SV_NUM || v->type == PK_SV_BOOL) {
            const char *t = pk_sv_text(ev, v);
            *v = t ? (struct pk_sv){.type = PK_SV_STR, .s = t} : (struct pk_sv){.type = PK_SV_NULL};
        }
        if (v->type != PK_SV_STR || !d->choices)
            return v->type == PK_SV_STR;
        char key[40];
        snprintf(key, sizeof key, "|%s|", v->s);
        return strstr(d->choices, key) != NULL;
    case K_NUMBERS:
    case K_TEXTS:
        if (v->type != PK_SV_ARRAY)
            return 0;
        for (int i = 0; i < v->nitems; i++)
            if (v->items[i].type != (d->kind == K_NUMBERS ? PK_SV_NUM : PK_SV_STR))
                return 0;
        return 1;
    }
    return 0;
}

void pk_style_prop(const struct pk_style_layer *l, enum pk_prop p, struct pk_style_eval *ev, struct pk_sv *out)
{
    if (l->prop[p] && !pk_expr_eval(l->prop[p], ev, out) && convert(p, ev, out))
        return;
    prop_default(p, out);
}

double pk_style_number(const struct pk_style_layer *l, enum pk_prop p, struct pk_style_eval *ev)
{
    struct pk_sv v;
    pk_style_prop(l, p, ev, &v);
    return v.type == PK_SV_NUM ? v.n : 0;
}

struct pk_color pk_style_color(const struct pk_style_layer *l, enum pk_prop p, struct pk_style_eval *ev)
{
    struct pk_sv v;
    pk_style_prop(l, p, ev, &v);
    return v.type == PK_SV_COLOR ? v.c : (struct pk_color){0, 0, 0, 0};
}

/* ---- reading */

/* What one style layer is read with. */
struct reader {
    struct pk_ctx *ctx;
    const char *name;           /* file name for messages */
    struct json_object *sources;
    struct pk_store *store;     /* NULL: source layers not checked */
};

static int warn_unsupported(struct reader *rd, const char *layer, const char *property, const char *what)
{
    pk_log(rd->ctx, PK_LOG_WARN, "style layer '%s': property '%s' is not supported; %s", layer, property, what);
    return PK_OK;
}

static int prop_index(const char *name, enum pk_layer_type type, int layout)
{
    for (int p = 0; p < PK_P_COUNT; p++)
        if (!strcmp(props[p].name, name) && props[p].layer == type && props[p].layout == layout)
            return p;
    return -1;
}

/* The "paint" or "layout" object of a layer into l->prop. */
static int read_props(struct reader *rd, struct pk_style_layer *l, struct json_object *obj, int layout)
{
    if (!obj)
        return PK_OK;
    if (!json_object_is_type(obj, json_type_object))
        return pk_error(rd->ctx, PK_ERR_DATA, "%s: style layer '%s': '%s' is not an object", rd->name, l->id,
                        layout ? "layout" : "paint");
    json_object_object_foreach(obj, key, val) {
        if (layout && !strcmp(key, "visibility")) { /* "none" hides; nothing shows a layer hidden for a reason */
            if (json_object_is_type(val, json_type_string) && !strcmp(json_object_get_string(val), "none"))
                l->visible = 0;
            continue;
        }
        int p = prop_index(key, l->type, layout);
        if (p < 0) {
            warn_unsupported(rd, l->id, key, "ignored");
            continue;
        }
        struct pk_expr_site site = {.ctx = rd->ctx, .layer = l->id, .property = key};
        int flags = p == PK_P_TEXT_FIELD ? PK_EXPR_LEGACY_TEXT
                    : props[p].kind == K_NUMBERS || props[p].kind == K_TEXTS ? PK_EXPR_ARRAY_VALUE : 0;
        int rc = pk_expr_compile(&site, val, flags, &l->prop[p]);
        if (rc != PK_OK)
            return pk_error(rd->ctx, rc, "out of memory reading style %s", rd->name);
    }
    return PK_OK;
}

/* The layer's source and source-layer, checked against the store. */
static int read_source(struct reader *rd, struct pk_style_layer *l, struct json_object *lj)
{
    struct json_object *src = NULL, *sl = NULL, *def = NULL, *type = NULL;
    json_object_object_get_ex(lj, "source", &src);
    json_object_object_get_ex(lj, "source-layer", &sl);
    if (!src || !json_object_is_type(src, json_type_string))
        return pk_error(rd->ctx, PK_ERR_DATA, "%s: style layer '%s': no source", rd->name, l->id);
    if (!rd->sources || !json_object_object_get_ex(rd->sources, json_object_get_string(src), &def))
        return pk_error(rd->ctx, PK_ERR_DATA, "%s: style layer '%s': source '%s' is not in the style's sources",
                        rd->name, l->id, json_object_get_string(src));
    json_object_object_get_ex(def, "type", &type);
    if (!type || strcmp(json_object_get_string(type), "vector")) {
        l->visible = 0;
        return warn_unsupported(rd, l->id, "source", "only vector sources are drawn; layer not drawn");
    }
    if (!sl || !json_object_is_type(sl, json_type_string))
        return pk_error(rd->ctx, PK_ERR_DATA, "%s: style layer '%s': no source-layer", rd->name, l->id);
    if (!(l->source = strdup(json_object_get_string(src))) || !(l->source_layer = strdup(json_object_get_string(sl))))
        return pk_error(rd->ctx, PK_ERR_NOMEM, "out of memory reading style %s", rd->name);
    struct pk_layer_ref ref;
    int rc = rd->store ? pk_layer_find(rd->store, l->source_layer, &ref) : PK_OK;
    if (rc == PK_ERR_NOTFOUND && !strcmp(l->source_layer, PK_STYLE_LABELS_LAYER)) {
        pk_error_clear(pk_store_ctx(rd->store)); /* the labels of the polygon layers (render.c) */
        return PK_OK;
    }
    if (rc == PK_ERR_NOTFOUND)
        return pk_error(rd->ctx, rc, "%s: style layer '%s': source-layer '%s' is not a layer of the store",
                        rd->name, l->id, l->source_layer);
    if (rc != PK_OK)
        return pk_error(rd->ctx, rc, "%s: style layer '%s': %s", rd->name, l->id, pk_errmsg(pk_store_ctx(rd->store)));
    return PK_OK;
}

/* The layer's "type": 0, or -1 for a spec type the engine does not draw,
 * or an error for an unknown one. */
static int read_type(struct reader *rd, struct pk_style_layer *l, struct json_object *lj, int *drawn)
{
    struct json_object *t = NULL;
    json_object_object_get_ex(lj, "type", &t);
    const char *name = t && json_object_is_type(t, json_type_string) ? json_object_get_string(t) : NULL;
    *drawn = 0;
    for (int i = 0; name && i < (int)(sizeof layer_types / sizeof layer_types[0]); i++)
        if (!strcmp(name, layer_types[i])) {
            l->type = (enum pk_layer_type)i;
            *drawn = 1;
            return PK_OK;
        }
    for (int i = 0; name && i < (int)(sizeof other_types / sizeof other_types[0]); i++)
        if (!strcmp(name, other_types[i])) {
            pk_log(rd->ctx, PK_LOG_WARN, "style layer '%s': layer type '%s' is not supported; layer not drawn",
                   l->id, name);
            return PK_OK;
        }
    return pk_error(rd->ctx, PK_ERR_DATA, "%s: style layer '%s': unknown layer type '%s'", rd->name, l->id,
                    name ? name : "(none)");
}

static double number_or(struct json_object *lj, const char *key, double def)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(lj, key, &v) ||
        !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        return def;
    return json_object_get_double(v);
}

/* The layer's metadata a printed map's legend reads: plankit:legend and
 * plankit:group (strings; anything else is not the legend's). */
static int read_metadata(struct reader *rd, struct pk_style_layer *l, struct json_object *lj)
{
    struct json_object *md = NULL, *v = NULL;
    if (!json_object_object_get_ex(lj, "metadata", &md) || !json_object_is_type(md, json_type_object))
        return PK_OK;
    if (json_object_object_get_ex(md, "plankit:legend", &v) && json_object_is_type(v, json_type_string) &&
        !(l->legend = strdup(json_object_get_string(v))))
        return pk_error(rd->ctx, PK_ERR_NOMEM, "out of memory reading style %s", rd->name);
    if (json_object_object_get_ex(md, "plankit:group", &v) && json_object_is_type(v, json_type_string) &&
        !(l->group = strdup(json_object_get_string(v))))
        return pk_error(rd->ctx, PK_ERR_NOMEM, "out of memory reading style %s", rd->name);
    return PK_OK;
}

/* One style layer into l (l->id set); *drawn 0 for layers not drawn at all. */
static int read_layer(struct reader *rd, struct pk_style_layer *l, struct json_object *lj, int *drawn)
{
    int rc = read_type(rd, l, lj, drawn);
    if (rc != PK_OK || !*drawn)
        return rc;
    l->minzoom = number_or(lj, "minzoom", 0);
    l->maxzoom = number_or(lj, "maxzoom", 24.0001);
    l->visible = 1;
    if (l->type != PK_STYLE_BACKGROUND && (rc = read_source(rd, l, lj)) != PK_OK)
        return rc;
    struct json_object *f = NULL, *paint = NULL, *layout = NULL;
    if (json_object_object_get_ex(lj, "filter", &f)) {
        struct pk_expr_site site = {.ctx = rd->ctx, .layer = l->id, .property = "filter",
                                    .fallback = "layer not drawn"};
        if (pk_filter_compile(&site, f, &l->filter) != PK_OK)
            return pk_error(rd->ctx, PK_ERR_NOMEM, "out of memory reading style %s", rd->name);
        if (site.unsupported)
            l->visible = 0;
    }
    json_object_object_get_ex(lj, "paint", &paint);
    json_object_object_get_ex(lj, "layout", &layout);
    if ((rc = read_props(rd, l, paint, 0)) != PK_OK || (rc = read_props(rd, l, layout, 1)) != PK_OK ||
        (rc = read_metadata(rd, l, lj)) != PK_OK)
        return rc;
    return PK_OK;
}

static int read_layers(struct reader *rd, struct json_object *layers, struct pk_style *style)
{
    size_t n = json_object_array_length(layers);
    if (!(style->layers = calloc(n + 1, sizeof *style->layers)))
        return pk_error(rd->ctx, PK_ERR_NOMEM, "out of memory reading style %s", rd->name);
    for (size_t i = 0; i < n; i++) {
        struct json_object *lj = json_object_array_get_idx(layers, i), *id = NULL;
        struct pk_style_layer *l = &style->layers[style->nlayers];
        if (!json_object_is_type(lj, json_type_object) || !json_object_object_get_ex(lj, "id", &id) ||
            !json_object_is_type(id, json_type_string))
            return pk_error(rd->ctx, PK_ERR_DATA, "%s: style layer %zu has no id", rd->name, i + 1);
        for (int k = 0; k < style->nlayers; k++)
            if (!strcmp(style->layers[k].id, json_object_get_string(id)))
                return pk_error(rd->ctx, PK_ERR_DATA, "%s: style layer id '%s' is used twice", rd->name,
                                json_object_get_string(id));
        if (!(l->id = strdup(json_object_get_string(id))))
            return pk_error(rd->ctx, PK_ERR_NOMEM, "out of memory reading style %s", rd->name);
        style->nlayers++;
        int drawn, rc = read_layer(rd, l, lj, &drawn);
        if (rc != PK_OK)
            return rc;
        if (!drawn) /* keep only what is drawn */
            free(l->id), memset(l, 0, sizeof *l), style->nlayers--;
    }
    return PK_OK;
}

/* text parsed as one JSON document, or a one-line error. */
static int parse_json(struct pk_ctx *ctx, const char *name, const char *text, struct json_object **out)
{
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory reading style %s", name);
    size_t len = strlen(text);
    *out = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (*out && err == json_tokener_success && text[end + strspn(text + end, " \t\r\n")] == '\0')
        return PK_OK;
    json_object_put(*out);
    *out = NULL;
    return pk_error(ctx, PK_ERR_DATA, "%s: not JSON: %s at byte %zu", name,
                    err == json_tokener_success || err == json_tokener_continue ? "unexpected end or trailing text"
                                                                                : json_tokener_error_desc(err),
                    end);
}

static int read_style(struct reader *rd, struct json_object *doc, struct pk_style *style)
{
    struct json_object *version = NULL, *layers = NULL;
    if (!json_object_is_type(doc, json_type_object) || !json_object_object_get_ex(doc, "version", &version) ||
        json_object_get_int(version) != 8 || !json_object_is_type(version, json_type_int))
        return pk_error(rd->ctx, PK_ERR_DATA, "%s: not a MapLibre style: \"version\": 8 is missing", rd->name);
    json_object_object_get_ex(doc, "sources", &rd->sources);
    struct json_object *title = NULL;
    if (json_object_object_get_ex(doc, "name", &title) && json_object_is_type(title, json_type_string) &&
        !(style->title = strdup(json_object_get_string(title))))
        return pk_error(rd->ctx, PK_ERR_NOMEM, "out of memory reading style %s", rd->name);
    if (!json_object_object_get_ex(doc, "layers", &layers) || !json_object_is_type(layers, json_type_array))
        return pk_error(rd->ctx, PK_ERR_DATA, "%s: not a MapLibre style: no \"layers\" array", rd->name);
    if (rd->sources && !json_object_is_type(rd->sources, json_type_object))
        return pk_error(rd->ctx, PK_ERR_DATA, "%s: \"sources\" is not an object", rd->name);
    return read_layers(rd, layers, style);
}

int pk_style_parse(struct pk_ctx *ctx, const char *name, const char *text, struct pk_store *store,
                   struct pk_style **out)
{
    *out = NULL;
    struct json_object *doc;
    int rc = parse_json(ctx, name, text, &doc);
    if (rc != PK_OK)
        return rc;
    struct pk_style *style = calloc(1, sizeof *style);
    struct reader rd = {.ctx = ctx, .name = name, .store = store};
    if (!style || !(style->name = strdup(name)))
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory reading style %s", name);
    else
        rc = read_style(&rd, doc, style);
    json_object_put(doc);
    if (rc != PK_OK) {
        pk_style_free(style);
        return rc;
    }
    *out = style;
    return PK_OK;
}

/* The whole file as a NUL-terminated string; caller frees. */
static int read_file(struct pk_ctx *ctx, const char *path, char **out)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return pk_error(ctx, errno == ENOENT ? PK_ERR_NOTFOUND : PK_ERR_IO, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *b = realloc(buf, cap = cap * 2 + 4096 + 1);
            if (!b) {
                free(buf);
                fclose(fp);
                return pk_error(ctx, PK_ERR_NOMEM, "out of memory reading %s", path);
            }
            buf = b;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, fp);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return pk_error(ctx, PK_ERR_IO, "%s: read error", path);
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        return pk_error(ctx, PK_ERR_DATA, "%s: not JSON: contains a NUL byte", path);
    }
    *out = buf;
    return PK_OK;
}

int pk_style_load(struct pk_ctx *ctx, const char *path, struct pk_store *store, struct pk_style **out)
{
    char *text = NULL;
    *out = NULL;
    int rc = read_file(ctx, path, &text);
    if (rc != PK_OK)
        return rc;
    rc = pk_style_parse(ctx, path, text, store, out);
    free(text);
    return rc;
}
