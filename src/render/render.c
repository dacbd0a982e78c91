/* render.c — the Cairo drawing core: each style layer visible at the zoom,
 * in style order, drawn from the features of its store layer that meet the
 * view (read through the worker's feature reader, transformed once per
 * feature to Web Mercator with the worker's transform): background, fills
 * with their outline, lines, circles and labels (render_label.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render_int.h"

/* The state of one render. */
struct render {
    struct pk_worker *w;
    const struct pk_style *style;
    const struct pk_render_view *view;
    cairo_t *cr;
    struct pk_render_stats stats;
    struct pk_transform *to_merc;   /* store CRS -> the view's CRS (EPSG:3857 unless view->srid says);
                                     * NULL when the store is in it */
    int srid;                       /* the view's CRS */
    double store_box[4];            /* the view, with a margin, in the store CRS */
    double sx, sy;                  /* device units per metre */
    double wx, wy;                  /* view->world_px: the world pixel of the device origin */
    const struct pk_style_layer *layer;
    struct pk_style_eval ev;
    struct pk_labels labels;
    double clip[4];                 /* features are clipped to this box (EPSG:3857), the view with a margin */
    const char *virtual_layer;      /* reading the `labels` layer: the store layer read now, else NULL */
    pk_render_feature_fn each;      /* pk_render_features: called per feature instead of drawing */
    void *each_arg;
    int placed;                     /* the last label drawn: 1 placed */
};

/* ---- geometry to device paths */

static void to_device(const struct render *R, double x, double y, double *px, double *py)
{
    if (R->view->world_px > 0) { /* the same arithmetic for every tile; the origin is a whole pixel */
        *px = (x + PK_RENDER_MERCATOR_HALF) * R->sx - R->wx;
        *py = (PK_RENDER_MERCATOR_HALF - y) * R->sy - R->wy;
        return;
    }
    *px = (x - R->view->bbox[0]) * R->sx;
    *py = (R->view->bbox[3] - y) * R->sy;
}

static void add_sequence(const struct render *R, const GEOSGeometry *g, int close)
{
    GEOSContextHandle_t h = pk_geos(R->w->ctx);
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
    unsigned int n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n == 0)
        return;
    for (unsigned int i = 0; i < n; i++) {
        double x, y, px, py;
        GEOSCoordSeq_getXY_r(h, cs, i, &x, &y);
        to_device(R, x, y, &px, &py);
        if (i == 0)
            cairo_move_to(R->cr, px, py);
        else
            cairo_line_to(R->cr, px, py);
    }
    if (close)
        cairo_close_path(R->cr);
}

/* Add g's polygons (rings, closed) when polygons, else its lines, to the
 * current path; polygon rings count as lines when as_lines. */
static void add_path(const struct render *R, const GEOSGeometry *g, int polygons, int as_lines)
{
    GEOSContextHandle_t h = pk_geos(R->w->ctx);
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_MULTIPOLYGON || type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++)
            add_path(R, GEOSGetGeometryN_r(h, g, i), polygons, as_lines);
    } else if (type == GEOS_POLYGON && (polygons || as_lines)) {
        add_sequence(R, GEOSGetExteriorRing_r(h, g), 1);
        for (int i = 0; i < GEOSGetNumInteriorRings_r(h, g); i++)
            add_sequence(R, GEOSGetInteriorRingN_r(h, g, i), 1);
    } else if ((type == GEOS_LINESTRING || type == GEOS_LINEARRING) && !polygons) {
        add_sequence(R, g, 0);
    }
}

/* The spec's "$type" of g: 1 points, 2 lines, 3 polygons (a collection: its first part). */
static int style_geom_type(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    switch (GEOSGeomTypeId_r(h, g)) {
    case GEOS_POINT: case GEOS_MULTIPOINT: return 1;
    case GEOS_LINESTRING: case GEOS_LINEARRING: case GEOS_MULTILINESTRING: return 2;
    case GEOS_POLYGON: case GEOS_MULTIPOLYGON: return 3;
    default:
        return GEOSGetNumGeometries_r(h, g) > 0 ? style_geom_type(h, GEOSGetGeometryN_r(h, g, 0)) : 0;
    }
}

static void set_color(cairo_t *cr, struct pk_color c, double opacity)
{
    cairo_set_source_rgba(cr, c.r / 255, c.g / 255, c.b / 255, c.a * opacity);
}

/* ---- the layer types */

static void draw_fill(struct render *R, const GEOSGeometry *g)
{
    const struct pk_style_layer *l = R->layer;
    double opacity = pk_style_number(l, PK_P_FILL_OPACITY, &R->ev);
    struct pk_color fill = pk_style_color(l, PK_P_FILL_COLOR, &R->ev);
    struct pk_sv outline;
    pk_style_prop(l, PK_P_FILL_OUTLINE_COLOR, &R->ev, &outline);
    cairo_new_path(R->cr);
    add_path(R, g, 1, 0);
    cairo_set_fill_rule(R->cr, CAIRO_FILL_RULE_EVEN_ODD);
    set_color(R->cr, fill, opacity);
    cairo_fill_preserve(R->cr);
    set_color(R->cr, outline.type == PK_SV_COLOR ? outline.c : fill, opacity); /* the spec's 1 px outline */
    cairo_set_line_width(R->cr, 1);
    cairo_stroke(R->cr);
}

static void set_dash(struct render *R, double width)
{
    struct pk_sv dash;
    pk_style_prop(R->layer, PK_P_LINE_DASHARRAY, &R->ev, &dash);
    double d[16], total = 0;
    int n = dash.type == PK_SV_ARRAY && dash.nitems <= 16 ? dash.nitems : 0;
    for (int i = 0; i < n; i++)
        total += d[i] = fmax(dash.items[i].n, 0) * width; /* dash lengths are in line widths */
    cairo_set_dash(R->cr, d, total > 0 ? n : 0, 0);
}

static void draw_line(struct render *R, const GEOSGeometry *g)
{
    const struct pk_style_layer *l = R->layer;
    double width = pk_style_number(l, PK_P_LINE_WIDTH, &R->ev);
    if (width <= 0)
        return;
    struct pk_sv cap, join;
    pk_style_prop(l, PK_P_LINE_CAP, &R->ev, &cap);
    pk_style_prop(l, PK_P_LINE_JOIN, &R->ev, &join);
    cairo_new_path(R->cr);
    add_path(R, g, 0, 1);
    cairo_set_line_width(R->cr, width);
    cairo_set_line_cap(R->cr, !strcmp(cap.s, "round") ? CAIRO_LINE_CAP_ROUND
                              : !strcmp(cap.s, "square") ? CAIRO_LINE_CAP_SQUARE : CAIRO_LINE_CAP_BUTT);
    cairo_set_line_join(R->cr, !strcmp(join.s, "round") ? CAIRO_LINE_JOIN_ROUND
                               : !strcmp(join.s, "bevel") ? CAIRO_LINE_JOIN_BEVEL : CAIRO_LINE_JOIN_MITER);
    set_dash(R, width);
    set_color(R->cr, pk_style_color(l, PK_P_LINE_COLOR, &R->ev), pk_style_number(l, PK_P_LINE_OPACITY, &R->ev));
    cairo_stroke(R->cr);
    cairo_set_dash(R->cr, NULL, 0, 0);
}

static void draw_circles(struct render *R, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = pk_geos(R->w->ctx);
    const struct pk_style_layer *l = R->layer;
    double radius = pk_style_number(l, PK_P_CIRCLE_RADIUS, &R->ev);
    double stroke = pk_style_number(l, PK_P_CIRCLE_STROKE_WIDTH, &R->ev);
    double opacity = pk_style_number(l, PK_P_CIRCLE_OPACITY, &R->ev);
    struct pk_color fill = pk_style_color(l, PK_P_CIRCLE_COLOR, &R->ev);
    struct pk_color edge = pk_style_color(l, PK_P_CIRCLE_STROKE_COLOR, &R->ev);
    for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        double x, y, px, py;
        if (GEOSGeomTypeId_r(h, p) != GEOS_POINT || GEOSisEmpty_r(h, p) || !GEOSGeomGetX_r(h, p, &x) ||
            !GEOSGeomGetY_r(h, p, &y))
            continue;
        to_device(R, x, y, &px, &py);
        cairo_new_path(R->cr);
        cairo_arc(R->cr, px, py, fmax(radius, 0), 0, 2 * M_PI);
        set_color(R->cr, fill, opacity);
        cairo_fill(R->cr);
        if (stroke > 0) { /* the stroke lies outside the radius */
            cairo_arc(R->cr, px, py, fmax(radius, 0) + stroke / 2, 0, 2 * M_PI);
            cairo_set_line_width(R->cr, stroke);
            set_color(R->cr, edge, opacity);
            cairo_stroke(R->cr);
        }
    }
}

int pk_render_label_anchor(GEOSContextHandle_t h, const GEOSGeometry *g, int type, double *x, double *y)
{
    GEOSGeometry *p = NULL;
    if (type == 3)
        p = GEOSPointOnSurface_r(h, g);
    else if (type == 2)
        p = GEOSInterpolateNormalized_r(h, GEOSGetNumGeometries_r(h, g) > 1 ? GEOSGetGeometryN_r(h, g, 0) : g, 0.5);
    else if (type == 1)
        p = GEOSGeom_clone_r(h, GEOSGetNumGeometries_r(h, g) > 1 ? GEOSGetGeometryN_r(h, g, 0) : g);
    int ok = p && !GEOSisEmpty_r(h, p) && GEOSGeomTypeId_r(h, p) == GEOS_POINT && GEOSGeomGetX_r(h, p, x) &&
             GEOSGeomGetY_r(h, p, y);
    if (p)
        GEOSGeom_destroy_r(h, p);
    return ok;
}

static int draw_label(struct render *R, const GEOSGeometry *g)
{
    const struct pk_style_layer *l = R->layer;
    struct pk_sv text, fonts;
    double x, y, px, py;
    pk_style_prop(l, PK_P_TEXT_FIELD, &R->ev, &text);
    int anchor_type = R->virtual_layer ? 3 : R->ev.geom_type;
    R->placed = 0;
    if (!text.s[0] || !pk_render_label_anchor(pk_geos(R->w->ctx), g, anchor_type, &x, &y))
        return PK_OK;
    pk_style_prop(l, PK_P_TEXT_FONT, &R->ev, &fonts);
    struct pk_label_style s = {
        .fonts = fonts.type == PK_SV_ARRAY ? fonts.items : NULL, .nfonts = fonts.nitems,
        .size = pk_style_number(l, PK_P_TEXT_SIZE, &R->ev),
        .color = pk_style_color(l, PK_P_TEXT_COLOR, &R->ev),
        .halo = pk_style_color(l, PK_P_TEXT_HALO_COLOR, &R->ev),
        .halo_width = pk_style_number(l, PK_P_TEXT_HALO_WIDTH, &R->ev),
    };
    to_device(R, x, y, &px, &py);
    int placed;
    int rc = pk_labels_draw(R->w->ctx, R->cr, &R->labels, text.s, &s, px, py, &placed);
    R->placed = placed > 0;
    if (placed > 0 && R->view->label)
        R->view->label(R->view->label_arg, text.s, px, py, s.size);
    if (placed > 0)
        R->stats.labels_placed++;
    else if (placed == 0 && rc == PK_OK)
        R->stats.labels_dropped++;
    return rc;
}

/* ---- reading features */

/* Clip g (EPSG:3857) to R->clip when it is more than 4 times as wide or
 * high: *out is the part inside (caller frees), or NULL when g is drawn
 * whole. */
static int clip_geom(struct render *R, const GEOSGeometry *g, GEOSGeometry **out)
{
    GEOSContextHandle_t h = pk_geos(R->w->ctx);
    double x0, y0, x1, y1;
    *out = NULL;
    double cw = R->clip[2] - R->clip[0], ch = R->clip[3] - R->clip[1];
    /* only features far larger than the view: Cairo culls the rest as fast, and
     * drawing them whole keeps their edges the same in every tile */
    if (!GEOSGeom_getXMin_r(h, g, &x0) || !GEOSGeom_getYMin_r(h, g, &y0) || !GEOSGeom_getXMax_r(h, g, &x1) ||
        !GEOSGeom_getYMax_r(h, g, &y1) || (x1 - x0 <= 4 * cw && y1 - y0 <= 4 * ch))
        return PK_OK;
    *out = GEOSClipByRect_r(h, g, R->clip[0], R->clip[1], R->clip[2], R->clip[3]);
    return *out ? PK_OK : pk_error(R->w->ctx, PK_ERR_GEOS, "cannot clip a feature of style layer '%s' to the map",
                                   R->layer->id);
}

/* Draw g (the view's CRS) as R->layer says, or hand it to R->each; tell
 * view->drawn what was drawn (the legend's entries). */
static int draw_geom(struct render *R, const GEOSGeometry *g)
{
    GEOSGeometry *clipped = NULL;
    int rc = PK_OK;
    if (R->each)
        return R->each(R->each_arg, R->layer, g, R->virtual_layer ? 3 : R->ev.geom_type, &R->ev);
    if (R->layer->type != PK_STYLE_SYMBOL && (rc = clip_geom(R, g, &clipped)) != PK_OK)
        return rc;
    if (clipped)
        g = clipped;
    R->stats.features++;
    if (R->layer->type == PK_STYLE_FILL)
        draw_fill(R, g);
    else if (R->layer->type == PK_STYLE_LINE)
        draw_line(R, g);
    else if (R->layer->type == PK_STYLE_CIRCLE)
        draw_circles(R, g);
    else
        rc = draw_label(R, g);
    if (rc == PK_OK && R->view->drawn && (R->layer->type != PK_STYLE_SYMBOL || R->placed))
        R->view->drawn(R->view->drawn_arg, (int)(R->layer - R->style->layers), &R->ev);
    if (clipped)
        GEOSGeom_destroy_r(pk_geos(R->w->ctx), clipped);
    return rc;
}

static const char *const virtual_names[] = {"layer", "fid", "name"};

static int draw_feature(void *arg, struct pk_feature *f)
{
    struct render *R = arg;
    struct pk_ctx *ctx = R->w->ctx;
    GEOSContextHandle_t h = pk_geos(ctx);
    if (!f->geom || GEOSisEmpty_r(h, f->geom))
        return PK_OK;
    struct pk_value virtual_props[3] = {{.type = PK_VAL_TEXT, .s = R->virtual_layer},
                                        {.type = PK_VAL_INT, .i = f->fid},
                                        {.type = f->label ? PK_VAL_TEXT : PK_VAL_NULL, .s = f->label}};
    R->ev.geom_type = R->virtual_layer ? 1 : style_geom_type(h, f->geom); /* `labels` features are points */
    R->ev.id = f->fid;
    R->ev.props = R->virtual_layer ? virtual_props : f->attrs;
    int kind = R->layer->type == PK_STYLE_FILL ? 3 : R->layer->type == PK_STYLE_CIRCLE ? 1 : 0;
    if ((kind && R->ev.geom_type != kind) || (R->layer->type == PK_STYLE_LINE && R->ev.geom_type == 1) ||
        (R->virtual_layer && R->layer->type != PK_STYLE_SYMBOL) ||
        !pk_filter_eval(R->layer->filter, &R->ev)) {
        int rc = R->ev.nomem ? pk_error(ctx, PK_ERR_NOMEM, "out of memory evaluating style layer '%s'", R->layer->id)
                             : PK_OK;
        pk_style_eval_reset(&R->ev);
        return rc;
    }
    GEOSGeometry *merc = R->to_merc ? pk_transform_geom(ctx, R->to_merc, f->geom) : NULL;
    const GEOSGeometry *g = R->to_merc ? merc : f->geom;
    int rc = g ? PK_OK : pk_errcode(ctx) != PK_OK ? pk_errcode(ctx)
                       : pk_error(ctx, PK_ERR_GDAL, "feature %lld cannot be transformed to EPSG:%d", f->fid, R->srid);
    if (g)
        rc = draw_geom(R, g);
    if (merc)
        GEOSGeom_destroy_r(h, merc);
    if (R->ev.nomem && rc == PK_OK)
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory evaluating style layer '%s'", R->layer->id);
    pk_style_eval_reset(&R->ev);
    return rc;
}

/* ---- binding a style to the store */

/* One style layer's store layer and the fields of it the style layer reads,
 * or the set of features in memory it draws instead. */
struct bound_layer {
    struct pk_layer_ref ref;   /* ref.id 0: the layer is not read (background, `labels`, a set) */
    int nfields;
    char **fields;             /* owned (borrowed from the set when set) */
    int npolys;                /* the `labels` layer: the store's named polygon layers */
    struct pk_layer_ref *polys; /* owned */
    const struct pk_render_set *set;
};

struct pk_render_layers {
    const struct pk_style *style;
    struct bound_layer *layers; /* one per style layer */
};

void pk_render_layers_free(struct pk_render_layers *b)
{
    if (!b)
        return;
    for (int i = 0; b->layers && i < b->style->nlayers; i++) {
        free(b->layers[i].polys);
        if (b->layers[i].set)
            continue;
        for (int k = 0; k < b->layers[i].nfields; k++)
            free(b->layers[i].fields[k]);
        free(b->layers[i].fields);
    }
    free(b->layers);
    free(b);
}

const struct pk_style *pk_render_layers_style(const struct pk_render_layers *b) { return b->style; }

/* Collects the names a style layer reads that are fields of its store layer. */
struct field_pick {
    sqlite3_stmt *has;  /* is ?2 a non-BLOB field of layer ?1 */
    struct bound_layer *bl;
    int nomem;
    int failed; /* a read of `has` stopped with an error (in the connection) */
};

static void pick_field(void *arg, const char *name)
{
    struct field_pick *P = arg;
    struct bound_layer *bl = P->bl;
    for (int i = 0; i < bl->nfields; i++)
        if (!strcmp(bl->fields[i], name))
            return;
    sqlite3_reset(P->has);
    sqlite3_bind_int64(P->has, 1, bl->ref.id);
    sqlite3_bind_text(P->has, 2, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(P->has);
    if (step != SQLITE_ROW) {
        P->failed |= step != SQLITE_DONE;
        return;
    }
    char **f = realloc(bl->fields, sizeof *f * (size_t)(bl->nfields + 1));
    if (f)
        bl->fields = f;
    if (!f || !(bl->fields[bl->nfields] = strdup(name)))
        P->nomem = 1;
    else
        bl->nfields++;
}

/* The `labels` layer of the tile contract, when the store has no layer of
 * that name: a point inside each feature of the polygon layers that have a
 * name field, with layer, fid and name. */
static int bind_virtual_labels(struct pk_store *store, struct bound_layer *bl)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    sqlite3_stmt *st = NULL;
    int rc = pk_sql_prepare(store, "SELECT name FROM pk_layers WHERE geometry_type LIKE '%POLYGON%'"
                                   " AND coalesce(name_field, '') <> '' ORDER BY id", &st);
    int step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct pk_layer_ref *p = realloc(bl->polys, sizeof *p * (size_t)(bl->npolys + 1));
        if (!p) {
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory binding the labels layer");
            break;
        }
        bl->polys = p;
        if ((rc = pk_layer_find(store, (const char *)sqlite3_column_text(st, 0), &p[bl->npolys])) == PK_OK)
            bl->npolys++;
    }
    if (rc == PK_OK)
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    return rc;
}

/* The store layer of style layer l and the fields it reads. */
static int bind_layer(struct pk_store *store, const struct pk_style_layer *l, sqlite3_stmt *has,
                      struct bound_layer *bl)
{
    int rc = pk_layer_find(store, l->source_layer, &bl->ref);
    if (rc == PK_ERR_NOTFOUND && !strcmp(l->source_layer, PK_STYLE_LABELS_LAYER)) {
        pk_error_clear(pk_store_ctx(store));
        memset(&bl->ref, 0, sizeof bl->ref);
        return bind_virtual_labels(store, bl);
    }
    if (rc != PK_OK) {
        pk_error_prefix(pk_store_ctx(store), "style layer '%s'", l->id);
        return rc;
    }
    struct field_pick P = {.has = has, .bl = bl};
    pk_expr_fields(l->filter, pick_field, &P);
    for (int p = 0; p < PK_P_COUNT; p++)
        pk_expr_fields(l->prop[p], pick_field, &P);
    if (P.nomem)
        return pk_error(pk_store_ctx(store), PK_ERR_NOMEM, "out of memory binding style layer '%s'", l->id);
    if (P.failed)
        return pk_error_db(store, "reading the fields of a style layer");
    return PK_OK;
}

void pk_render_set_free(GEOSContextHandle_t h, struct pk_render_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        if (set->f[i].geom)
            GEOSGeom_destroy_r(h, set->f[i].geom);
        for (int k = 0; set->f[i].props && k < set->nnames; k++)
            free((char *)set->f[i].props[k].s);
        free(set->f[i].props);
    }
    for (int k = 0; k < set->nnames; k++)
        free(set->names[k]);
    free(set->names);
    free(set->f);
    free(set->name);
    free(set);
}

int pk_render_bind(struct pk_store *store, const struct pk_style *style, struct pk_render_layers **out)
{
    return pk_render_bind_sets(store, style, NULL, 0, out);
}

/* The set named name among sets, or NULL. */
static const struct pk_render_set *find_set(struct pk_render_set *const *sets, int nsets, const char *name)
{
    for (int i = 0; name && i < nsets; i++)
        if (!strcmp(sets[i]->name, name))
            return sets[i];
    return NULL;
}

int pk_render_bind_sets(struct pk_store *store, const struct pk_style *style, struct pk_render_set *const *sets,
                        int nsets, struct pk_render_layers **out)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct pk_render_layers *b = calloc(1, sizeof *b);
    *out = NULL;
    if (!b || !(b->layers = calloc((size_t)style->nlayers + 1, sizeof *b->layers))) {
        free(b);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory binding style %s", style->name);
    }
    b->style = style;
    sqlite3_stmt *has = NULL;
    int rc = pk_sql_prepare(store, "SELECT 1 FROM pk_fields WHERE layer_id=?1 AND name=?2 AND type <> 'BLOB'", &has);
    for (int i = 0; rc == PK_OK && i < style->nlayers; i++) {
        const struct pk_render_set *set = find_set(sets, nsets, style->layers[i].source_layer);
        if (set) {
            b->layers[i].set = set;
            b->layers[i].nfields = set->nnames;
            b->layers[i].fields = set->names;
        } else if (style->layers[i].type != PK_STYLE_BACKGROUND && style->layers[i].source_layer) {
            rc = bind_layer(store, &style->layers[i], has, &b->layers[i]);
        }
    }
    sqlite3_finalize(has);
    if (rc != PK_OK) {
        pk_render_layers_free(b);
        return rc;
    }
    *out = b;
    return PK_OK;
}

/* Draw the features of store layer ref (with fields, or those of the
 * `labels` layer when R->virtual_layer) that meet the view. */
static int draw_store_layer(struct render *R, const struct pk_layer_ref *ref, int nfields, char **fields)
{
    sqlite3 *db = pk_worker_reader(R->w);
    struct pk_reader_spec spec = {.layer = ref, .with_geom = 1, .nattrs = nfields,
                                  .attrs = (const char *const *)fields,
                                  .label_field = R->virtual_layer ? ref->name_field : NULL};
    struct pk_reader *r = NULL;
    int rc;
    if (!db)
        rc = pk_error(R->w->ctx, PK_ERR_DB, "cannot open a read connection to the store");
    else if ((rc = pk_reader_new(R->w->ctx, db, &spec, &r)) == PK_OK) {
        R->ev.names = R->virtual_layer ? virtual_names : (const char *const *)fields;
        R->ev.nprops = R->virtual_layer ? 3 : nfields;
        rc = pk_reader_bbox(r, R->store_box, draw_feature, R);
    }
    pk_reader_free(r);
    R->ev.names = NULL;
    R->ev.nprops = 0;
    return rc;
}

/* Draw the features of a set that meet the view. */
static int draw_set(struct render *R, const struct pk_render_set *set)
{
    int rc = PK_OK;
    for (size_t i = 0; rc == PK_OK && i < set->n; i++) {
        const struct pk_render_feature *rf = &set->f[i];
        const double *b = rf->box, *v = R->store_box;
        if (!rf->geom || b[0] > v[2] || b[2] < v[0] || b[1] > v[3] || b[3] < v[1])
            continue;
        struct pk_feature f = {.fid = rf->fid, .geom = rf->geom, .nattrs = set->nnames, .attrs = rf->props};
        rc = draw_feature(R, &f);
    }
    return rc;
}

/* Draw the features of the style layer R->layer that meet the view: its
 * set, its store layer, or the `labels` layer's polygon layers. */
static int draw_layer(struct render *R, const struct bound_layer *bl)
{
    int rc = PK_OK;
    if (bl->set) {
        R->ev.names = (const char *const *)bl->fields;
        R->ev.nprops = bl->nfields;
        rc = draw_set(R, bl->set);
        R->ev.names = NULL;
        R->ev.nprops = 0;
    } else if (bl->ref.id)
        rc = draw_store_layer(R, &bl->ref, bl->nfields, bl->fields);
    for (int k = 0; rc == PK_OK && k < bl->npolys; k++) {
        R->virtual_layer = bl->polys[k].name;
        rc = draw_store_layer(R, &bl->polys[k], 0, NULL);
    }
    R->virtual_layer = NULL;
    if (rc != PK_OK)
        pk_error_prefix(R->w->ctx, "style layer '%s'", R->layer->id);
    return rc;
}

static void draw_background(struct render *R)
{
    struct pk_color c = pk_style_color(R->layer, PK_P_BACKGROUND_COLOR, &R->ev);
    cairo_save(R->cr);
    cairo_rectangle(R->cr, 0, 0, R->view->width, R->view->height);
    set_color(R->cr, c, pk_style_number(R->layer, PK_P_BACKGROUND_OPACITY, &R->ev));
    cairo_fill(R->cr);
    cairo_restore(R->cr);
}

/* The view's box, widened by margin metres, in the store CRS: the envelope
 * of its outline (32 points a side) transformed back from the view's CRS. */
static int store_box(struct render *R, double margin)
{
    const double *b = R->view->bbox;
    double box[4] = {b[0] - margin, b[1] - margin, b[2] + margin, b[3] + margin};
    if (!R->to_merc) {
        memcpy(R->store_box, box, sizeof box);
        return PK_OK;
    }
    char view_crs[32];
    snprintf(view_crs, sizeof view_crs, "EPSG:%d", R->srid);
    int rc;
    struct pk_transform *back = pk_worker_transform_from(R->w, view_crs, &rc); /* (kept by the worker) */
    if (rc != PK_OK)
        return rc;
    double xy[4 * 32 * 2];
    for (int i = 0; i < 32; i++) {
        double t = i / 32.0;
        double pts[4][2] = {{box[0] + t * (box[2] - box[0]), box[1]}, {box[2], box[1] + t * (box[3] - box[1])},
                            {box[2] - t * (box[2] - box[0]), box[3]}, {box[0], box[3] - t * (box[3] - box[1])}};
        for (int s = 0; s < 4; s++)
            xy[(s * 32 + i) * 2] = pts[s][0], xy[(s * 32 + i) * 2 + 1] = pts[s][1];
    }
    int ok = pk_transform_xy(back, xy, 4 * 32);
    if (!ok)
        return pk_error(R->w->ctx, PK_ERR_DATA, "the map's box cannot be transformed to the store's CRS");
    R->store_box[0] = R->store_box[2] = xy[0];
    R->store_box[1] = R->store_box[3] = xy[1];
    for (int i = 1; i < 4 * 32; i++) {
        R->store_box[0] = fmin(R->store_box[0], xy[2 * i]);
        R->store_box[1] = fmin(R->store_box[1], xy[2 * i + 1]);
        R->store_box[2] = fmax(R->store_box[2], xy[2 * i]);
        R->store_box[3] = fmax(R->store_box[3], xy[2 * i + 1]);
    }
    return PK_OK;
}

static int check_view(struct pk_ctx *ctx, const struct pk_render_view *v)
{
    const double *b = v->bbox;
    if (!(b[2] > b[0]) || !(b[3] > b[1]) || !isfinite(b[0]) || !isfinite(b[1]) || !isfinite(b[2]) ||
        !isfinite(b[3]) || v->width <= 0 || v->height <= 0 || !isfinite(v->zoom))
        return pk_error(ctx, PK_ERR_ARGS, "bad map view: box %g,%g,%g,%g, size %dx%d, zoom %g", b[0], b[1], b[2],
                        b[3], v->width, v->height, v->zoom);
    return PK_OK;
}

int pk_render_map(struct pk_worker *w, const struct pk_render_layers *layers, const struct pk_render_view *view,
                  cairo_t *cr, struct pk_render_stats *stats)
{
    const struct pk_style *style = layers->style;
    struct render R = {.w = w, .style = style, .view = view, .cr = cr, .srid = view->srid ? view->srid : 3857};
    int rc = check_view(w->ctx, view);
    if (rc != PK_OK)
        return rc;
    R.to_merc = pk_worker_transform(w, R.srid, &rc);
    if (rc != PK_OK)
        return rc;
    R.sx = view->width / (view->bbox[2] - view->bbox[0]);
    R.sy = view->height / (view->bbox[3] - view->bbox[1]);
    if (view->world_px > 0) {
        R.sx = R.sy = view->world_px / (2 * PK_RENDER_MERCATOR_HALF);
        R.wx = round((view->bbox[0] + PK_RENDER_MERCATOR_HALF) * R.sx);
        R.wy = round((PK_RENDER_MERCATOR_HALF - view->bbox[3]) * R.sy);
    }
    /* features just outside still show their strokes and halos: 64 px of margin */
    if ((rc = store_box(&R, 64 / R.sx)) != PK_OK)
        return rc;
    for (int k = 0; k < 4; k++)
        R.clip[k] = view->bbox[k] + (k < 2 ? -64 : 64) / R.sx;
    R.ev.zoom = view->zoom;
    cairo_save(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    for (int i = 0; i < style->nlayers && rc == PK_OK; i++) {
        R.layer = &style->layers[i];
        if (!pk_style_layer_at_zoom(R.layer, view->zoom))
            continue;
        if (R.layer->type == PK_STYLE_BACKGROUND)
            draw_background(&R);
        else if (R.layer->type == PK_STYLE_SYMBOL && view->labels)
            rc = view->labels(view->labels_arg, i, cr);
        else if (layers->layers[i].ref.id || layers->layers[i].npolys || layers->layers[i].set)
            rc = draw_layer(&R, &layers->layers[i]);
    }
    cairo_restore(cr);
    pk_style_eval_reset(&R.ev);
    pk_labels_free(&R.labels);
    if (rc == PK_OK && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        rc = pk_error(w->ctx, PK_ERR_CAIRO, "drawing failed: %s", cairo_status_to_string(cairo_status(cr)));
    if (stats)
        *stats = R.stats;
    return rc;
}

int pk_render_features(struct pk_worker *w, const struct pk_render_layers *layers, int i, const double box[4],
                       double zoom, pk_render_feature_fn fn, void *arg)
{
    struct pk_render_view view = {.zoom = zoom, .bbox = {box[0], box[1], box[2], box[3]}, .width = 1, .height = 1};
    struct render R = {.w = w, .style = layers->style, .view = &view, .layer = &layers->style->layers[i],
                       .each = fn, .each_arg = arg, .srid = 3857};
    int rc = check_view(w->ctx, &view);
    if (rc != PK_OK)
        return rc;
    R.to_merc = pk_worker_transform(w, 3857, &rc);
    if (rc == PK_OK)
        rc = store_box(&R, 0);
    R.ev.zoom = zoom;
    if (rc == PK_OK && (layers->layers[i].ref.id || layers->layers[i].npolys || layers->layers[i].set))
        rc = draw_layer(&R, &layers->layers[i]);
    pk_style_eval_reset(&R.ev);
    return rc;
}
