/* map.c — a printed map job (include/plankit/map.h): the style and the
 * sets it needs bound to the store, the task and atlas overlays, the pages
 * (one map, or one per feature of the atlas layer) laid out with their
 * furniture and drawn with the render core, into the output files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_int.h"
#include "plankit/query.h"

/* One page: what it fits and what it says. */
struct page {
    double box[4];            /* map CRS */
    long long fid;            /* atlas: the feature; -1 otherwise */
    char *name;               /* atlas: the feature's name (owned), else NULL */
};

/* A style drawn over the main one, with the sets it reads. */
struct overlay {
    struct pk_style *style;
    struct pk_render_layers *bound;
    struct map_legend legend;
};

struct job {
    struct pk_store *store;
    struct pk_ctx *ctx;
    const struct pk_map_opts *o;
    struct pk_map_result *res;
    int srid;
    struct pk_worker w;
    int w_ready;
    struct pk_style *style;
    struct map_sets sets;
    struct pk_render_layers *bound;
    struct map_legend legend;
    struct pk_render_set *task_set, *atlas_set;
    char *task_title;
    struct overlay task, atlas;
    struct pk_layer_ref each;
    struct page *pages;
    int npages;
    struct map_out out;
};

/* ---- checks */

static int check_opts(struct pk_ctx *ctx, const struct pk_map_opts *o, enum map_format *fmt)
{
    if (!o->style || !o->output)
        return pk_error(ctx, PK_ERR_ARGS, "a map needs a style and an output file");
    int rc = map_out_format(ctx, o->output, fmt);
    if (rc != PK_OK)
        return rc;
    if (o->dpi < PK_MAP_MIN_DPI || o->dpi > PK_MAP_MAX_DPI)
        return pk_error(ctx, PK_ERR_ARGS, "DPI %d is out of range (%d to %d)", o->dpi, PK_MAP_MIN_DPI, PK_MAP_MAX_DPI);
    double w = o->page_mm[0], h = o->page_mm[1];
    if (!(w >= 50 && h >= 50 && w <= 5000 && h <= 5000))
        return pk_error(ctx, PK_ERR_ARGS, "page size %gx%g mm is out of range (50 to 5000 mm a side)", w, h);
    double px_w = w / 25.4 * o->dpi, px_h = h / 25.4 * o->dpi;
    if (*fmt == MAP_PNG && (px_w > 32767 || px_h > 32767 || px_w * px_h > 4e8))
        return pk_error(ctx, PK_ERR_ARGS, "%s: a %.0fx%.0f px PNG is too large (at most 32767 px a side and "
                        "400 megapixels); lower the DPI", o->output, px_w, px_h);
    if (o->extent && o->bbox)
        return pk_error(ctx, PK_ERR_ARGS, "give --extent or --bbox, not both");
    int many = o->each && strstr(o->output, "{name}");
    if (o->each && *fmt != MAP_PDF && !many)
        return pk_error(ctx, PK_ERR_ARGS, "%s: an atlas is one PDF or one file per page: put {name} in the "
                        "output name", o->output);
    if (!o->each && strstr(o->output, "{name}"))
        return pk_error(ctx, PK_ERR_ARGS, "%s: {name} in the output name needs --each", o->output);
    return PK_OK;
}

/* ---- setting up */

/* An overlay style (JSON text made here) bound to the job's set. */
static int overlay_make(struct job *J, struct overlay *ov, const char *name, const char *json,
                        struct pk_render_set *set)
{
    int rc = pk_style_parse(J->ctx, name, json, NULL, &ov->style);
    if (rc == PK_OK)
        rc = pk_render_bind_sets(J->store, ov->style, &set, 1, &ov->bound);
    ov->legend = (struct map_legend){.style = ov->style, .store = J->store};
    return rc;
}

static int setup_task(struct job *J)
{
    int rc = map_set_of_task(J->store, J->o->task, "_task", &J->task_set, &J->task_title);
    if (rc != PK_OK)
        return rc;
    char json[1024];
    snprintf(json, sizeof json,
             "{\"version\":8,\"sources\":{\"plankit\":{\"type\":\"vector\"}},\"layers\":["
             "{\"id\":\"task-fill\",\"type\":\"fill\",\"source\":\"plankit\",\"source-layer\":\"_task\","
             "\"filter\":[\"==\",[\"geometry-type\"],\"Polygon\"],"
             "\"paint\":{\"fill-color\":\"#ffd400\",\"fill-opacity\":0.3},"
             "\"metadata\":{\"plankit:legend\":\"任务 task: zones and footprints\"}},"
             "{\"id\":\"task-line\",\"type\":\"line\",\"source\":\"plankit\",\"source-layer\":\"_task\","
             "\"paint\":{\"line-color\":\"#d40000\",\"line-width\":2.5},"
             "\"metadata\":{\"plankit:legend\":\"任务 task: outline\"}},"
             "{\"id\":\"task-point\",\"type\":\"circle\",\"source\":\"plankit\",\"source-layer\":\"_task\","
             "\"filter\":[\"==\",[\"geometry-type\"],\"Point\"],"
             "\"paint\":{\"circle-radius\":6,\"circle-color\":\"#d40000\",\"circle-stroke-color\":\"#ffffff\","
             "\"circle-stroke-width\":1.5},\"metadata\":{\"plankit:legend\":\"任务 task: place\"}}]}");
    return overlay_make(J, &J->task, "(task overlay)", json, J->task_set);
}

/* The atlas overlay for the page of feature fid: the other features grey. */
static int setup_atlas_page(struct job *J, long long fid)
{
    char json[1024];
    map_legend_free(&J->atlas.legend); /* before its style */
    pk_render_layers_free(J->atlas.bound);
    pk_style_free(J->atlas.style);
    J->atlas.bound = NULL, J->atlas.style = NULL;
    snprintf(json, sizeof json,
             "{\"version\":8,\"sources\":{\"plankit\":{\"type\":\"vector\"}},\"layers\":["
             "{\"id\":\"atlas-others\",\"type\":\"fill\",\"source\":\"plankit\",\"source-layer\":\"_atlas\","
             "\"filter\":[\"!=\",[\"id\"],%lld],\"paint\":{\"fill-color\":\"#8c8c8c\",\"fill-opacity\":0.6},"
             "\"metadata\":{\"plankit:legend\":\"相邻 neighbours\"}},"
             "{\"id\":\"atlas-this\",\"type\":\"line\",\"source\":\"plankit\",\"source-layer\":\"_atlas\","
             "\"filter\":[\"==\",[\"id\"],%lld],\"paint\":{\"line-color\":\"#222222\",\"line-width\":2.5},"
             "\"metadata\":{\"plankit:legend\":\"本页范围 this page's feature\"}}]}",
             fid, fid);
    return overlay_make(J, &J->atlas, "(atlas overlay)", json, J->atlas_set);
}

/* The style, its sets, and the worker. */
static int setup_style(struct job *J)
{
    int rc = pk_style_load(J->ctx, J->o->style, NULL, &J->style);
    if (rc != PK_OK)
        return rc;
    if ((rc = map_sets_for_style(J->store, J->style, &J->sets)) != PK_OK ||
        (rc = pk_render_bind_sets(J->store, J->style, J->sets.set, J->sets.n, &J->bound)) != PK_OK) {
        pk_error_prefix(J->ctx, "%s", J->o->style);
        return rc;
    }
    J->legend = (struct map_legend){.style = J->style, .store = J->store};
    struct pk_worker_conf conf;
    pk_worker_conf_init(&conf, J->store);
    rc = pk_worker_init(&J->w, J->ctx, &conf);
    J->w_ready = 1;
    struct pk_transform *probe = rc == PK_OK ? pk_worker_transform(&J->w, J->srid, &rc) : NULL;
    (void)probe;
    if (rc != PK_OK)
        pk_error_prefix(J->ctx, "--crs EPSG:%d", J->srid);
    return rc;
}

/* ---- pages */

/* The envelope of a set's features in the map CRS. */
static int set_extent(struct job *J, const struct pk_render_set *set, double box[4])
{
    int rc = PK_OK, any = 0;
    GEOSContextHandle_t h = pk_geos(J->ctx);
    struct pk_transform *tr = pk_worker_transform(&J->w, J->srid, &rc);
    for (size_t i = 0; rc == PK_OK && i < set->n; i++) {
        GEOSGeometry *t = tr ? pk_transform_geom(J->ctx, tr, set->f[i].geom) : NULL;
        const GEOSGeometry *g = tr ? t : set->f[i].geom;
        double b[4];
        if (!g)
            return pk_errcode(J->ctx) ? pk_errcode(J->ctx) : pk_error(J->ctx, PK_ERR_GDAL, "cannot transform");
        if (GEOSGeom_getXMin_r(h, g, &b[0]) && GEOSGeom_getYMin_r(h, g, &b[1]) && GEOSGeom_getXMax_r(h, g, &b[2]) &&
            GEOSGeom_getYMax_r(h, g, &b[3])) {
            if (!any)
                memcpy(box, b, sizeof b);
            box[0] = fmin(box[0], b[0]), box[1] = fmin(box[1], b[1]);
            box[2] = fmax(box[2], b[2]), box[3] = fmax(box[3], b[3]);
            any = 1;
        }
        if (t)
            GEOSGeom_destroy_r(h, t);
    }
    if (rc == PK_OK && !any)
        rc = PK_ERR_NOTFOUND;
    return rc;
}

/* Everything the style's store layers hold. */
static int style_extent(struct job *J, double box[4])
{
    int any = 0;
    for (int i = 0; i < J->style->nlayers; i++) {
        const struct pk_style_layer *l = &J->style->layers[i];
        struct pk_layer_ref ref;
        double b[4];
        if (!l->source_layer || pk_layer_find(J->store, l->source_layer, &ref) != PK_OK ||
            map_layer_extent(&J->w, &ref, -1, J->srid, b) != PK_OK) {
            pk_error_clear(J->ctx);
            continue;
        }
        if (!any)
            memcpy(box, b, sizeof b);
        box[0] = fmin(box[0], b[0]), box[1] = fmin(box[1], b[1]);
        box[2] = fmax(box[2], b[2]), box[3] = fmax(box[3], b[3]);
        any = 1;
    }
    return any ? PK_OK : pk_error(J->ctx, PK_ERR_NOTFOUND, "%s: the style's layers hold no feature to draw",
                                  J->o->style);
}

/* The box of the one page of a map that is not an atlas. */
static int single_box(struct job *J, double box[4])
{
    const struct pk_map_opts *o = J->o;
    if (o->bbox)
        return map_degrees_extent(&J->w, o->bbox, J->srid, box);
    if (o->extent) {
        struct pk_layer_ref ref;
        long long fid = -1;
        int rc = strchr(o->extent, ':') ? pk_feature_ref(J->store, o->extent, &ref, &fid)
                                        : pk_layer_find(J->store, o->extent, &ref);
        if (rc == PK_OK)
            rc = map_layer_extent(&J->w, &ref, fid, J->srid, box);
        if (rc != PK_OK)
            pk_error_prefix(J->ctx, "--extent %s", o->extent);
        return rc;
    }
    if (J->task_set && set_extent(J, J->task_set, box) == PK_OK)
        return PK_OK;
    pk_error_clear(J->ctx);
    return style_extent(J, box);
}

/* Collects an atlas layer's features: fid and name. */
static int add_page(void *arg, struct pk_feature *f)
{
    struct job *J = arg;
    struct page *p = realloc(J->pages, sizeof *p * (size_t)(J->npages + 1));
    if (!p)
        return pk_error(J->ctx, PK_ERR_NOMEM, "out of memory");
    J->pages = p;
    char fallback[32];
    snprintf(fallback, sizeof fallback, "%s-%lld", J->each.name, f->fid);
    p[J->npages] = (struct page){.fid = f->fid, .name = strdup(f->label && *f->label ? f->label : fallback)};
    if (!p[J->npages].name)
        return pk_error(J->ctx, PK_ERR_NOMEM, "out of memory");
    J->npages++;
    return PK_OK;
}

static int atlas_pages(struct job *J)
{
    int rc = pk_layer_find(J->store, J->o->each, &J->each);
    struct pk_reader_spec spec = {.layer = &J->each, .label_field = J->each.name_field[0] ? J->each.name_field : NULL};
    struct pk_reader *r = NULL;
    if (rc == PK_OK && (rc = pk_reader_new(J->ctx, J->store->db, &spec, &r)) == PK_OK)
        rc = pk_reader_all(r, add_page, J);
    pk_reader_free(r);
    for (int i = 0; rc == PK_OK && i < J->npages; i++)
        if ((rc = map_layer_extent(&J->w, &J->each, J->pages[i].fid, J->srid, J->pages[i].box)) == PK_ERR_NOTFOUND) {
            pk_error_clear(J->ctx); /* a feature without geometry has no page */
            free(J->pages[i].name);
            memmove(&J->pages[i], &J->pages[i + 1], sizeof *J->pages * (size_t)(J->npages - i - 1));
            J->npages--, i--;
            rc = PK_OK;
        }
    if (rc == PK_OK && J->npages == 0)
        rc = pk_error(J->ctx, PK_ERR_NOTFOUND, "layer '%s' has no feature with a geometry", J->o->each);
    if (rc == PK_OK)
        rc = map_set_of_layer(J->store, &J->each, "_atlas", &J->atlas_set);
    if (rc != PK_OK)
        pk_error_prefix(J->ctx, "--each %s", J->o->each);
    return rc;
}

static int make_pages(struct job *J)
{
    if (J->o->each)
        return atlas_pages(J);
    if (!(J->pages = calloc(1, sizeof *J->pages)))
        return pk_error(J->ctx, PK_ERR_NOMEM, "out of memory");
    J->npages = 1;
    J->pages[0].fid = -1;
    return single_box(J, J->pages[0].box);
}

/* ---- drawing a page */

/* Where things go on a page (mm). */
struct layout {
    double W, H, m, fs;        /* page, margin, furniture scale (1 on A4) */
    double frame[4];           /* the map: x, y, w, h */
    double panel[4];           /* legend and lists: x, y, w, h */
    double foot_y;
};

/* The title block at the top; returns its height. */
static double draw_heading(struct job *J, cairo_t *cr, const struct page *p, double x, double y, double w, double fs)
{
    const struct pk_map_opts *o = J->o;
    char line[1024];
    double at = y;
    const char *title = p->name ? p->name : o->title ? o->title : J->style->title ? J->style->title : J->style->name;
    at += map_text(cr, title, x, at, w, 16 * fs, 1, 0.1, 0.1, 0.1);
    if (p->name && o->title)
        snprintf(line, sizeof line, "%s%s%s", o->title, o->subtitle ? " · " : "", o->subtitle ? o->subtitle : "");
    else
        snprintf(line, sizeof line, "%s", o->subtitle ? o->subtitle : "");
    if (line[0])
        at += map_text(cr, line, x, at, w, 10 * fs, 0, 0.25, 0.25, 0.25);
    if (J->task_title) {
        snprintf(line, sizeof line, "任务 Task %s：%s", o->task, J->task_title);
        at += map_text(cr, line, x, at, w, 10 * fs, 1, 0.7, 0, 0);
    }
    return at - y;
}

static void layout_page(struct job *J, cairo_t *cr, const struct page *p, struct layout *L)
{
    L->W = J->o->page_mm[0], L->H = J->o->page_mm[1];
    L->fs = fmin(fmax(sqrt(L->W * L->H / (297.0 * 210.0)), 0.8), 3);
    L->m = fmin(fmax(fmin(L->W, L->H) * 0.04, 6), 25);
    double head = draw_heading(J, cr, p, L->m, L->m, L->W - 2 * L->m, L->fs);
    double panel_w = fmin(fmax(L->W * 0.22, 45), 120);
    double top = L->m + head + 2 * L->fs, foot = 6 * L->fs;
    double fw = L->W - 2 * L->m - panel_w - 4, fh = L->H - top - L->m - foot;
    fw = floor(fw * MAP_PX_PER_MM) / MAP_PX_PER_MM; /* whole CSS pixels */
    fh = floor(fh * MAP_PX_PER_MM) / MAP_PX_PER_MM;
    L->frame[0] = L->m, L->frame[1] = top, L->frame[2] = fw, L->frame[3] = fh;
    L->panel[0] = L->m + fw + 4, L->panel[1] = top, L->panel[2] = L->W - L->m - L->panel[0], L->panel[3] = fh;
    L->foot_y = top + fh + 1.5 * L->fs;
}

/* The render's label callback: the label into the SVG's text layer. */
static void label_drawn(void *arg, const char *text, double x, double y, double size)
{
    map_texts_add(arg, text, x, y, size, 1);
}

/* Render the style and the overlays into the frame. */
static int draw_map(struct job *J, cairo_t *cr, const struct page *p, const struct layout *L, struct map_view *mv)
{
    int rc = map_view_fit(&J->w, J->srid, p->box, L->frame[2], L->frame[3], mv);
    if (rc != PK_OK)
        return rc;
    struct pk_render_view v = {.zoom = mv->zoom, .width = (int)lround(mv->width_px),
                               .height = (int)lround(mv->height_px), .srid = J->srid,
                               .drawn = map_legend_drawn, .drawn_arg = &J->legend, .label = label_drawn,
                               .label_arg = cr};
    memcpy(v.bbox, mv->bbox, sizeof v.bbox);
    struct pk_render_stats st = {0}, more = {0};
    cairo_save(cr);
    cairo_rectangle(cr, L->frame[0], L->frame[1], L->frame[2], L->frame[3]);
    cairo_clip(cr);
    cairo_translate(cr, L->frame[0], L->frame[1]);
    cairo_scale(cr, 1 / MAP_PX_PER_MM, 1 / MAP_PX_PER_MM);
    rc = pk_render_map(&J->w, J->bound, &v, cr, &st);
    if (rc == PK_OK && J->atlas.bound) {
        v.drawn_arg = &J->atlas.legend;
        rc = pk_render_map(&J->w, J->atlas.bound, &v, cr, &more);
    }
    if (rc == PK_OK && J->task.bound) {
        v.drawn_arg = &J->task.legend;
        rc = pk_render_map(&J->w, J->task.bound, &v, cr, &more);
    }
    cairo_restore(cr);
    J->res->features += st.features;
    J->res->labels += st.labels_placed;
    if (rc == PK_OK && st.features == 0)
        rc = pk_error(J->ctx, PK_ERR_NOTFOUND, "the map's extent meets no feature the style %s draws", J->o->style);
    return rc;
}

/* The tasks touching the atlas page's feature, listed from y; returns the height. */
static double draw_task_list(struct job *J, cairo_t *cr, const struct page *p, double x, double y, double w,
                             double max_h, int *rc)
{
    char spec[200], line[600];
    snprintf(spec, sizeof spec, "%s:%lld", J->each.name, p->fid);
    struct pk_task_query q = {.probe = PK_PROBE_IN, .feature = spec};
    struct pk_table *t = NULL;
    if ((*rc = pk_query_tasks(J->store, &q, &t)) != PK_OK)
        return 0;
    double at = y;
    snprintf(line, sizeof line, "相关任务 Tasks (%zu)", t->nrows);
    at += map_text(cr, line, x, at, w, 9, 1, 0.1, 0.1, 0.1) + 1;
    int cid = pk_table_col(t, "id"), ctitle = pk_table_col(t, "title");
    for (size_t r = 0; r < t->nrows; r++) {
        if (at + 8 > y + max_h) {
            snprintf(line, sizeof line, "… %zu more", t->nrows - r);
            at += map_text(cr, line, x, at, w, 6.5, 0, 0.3, 0.3, 0.3);
            break;
        }
        snprintf(line, sizeof line, "%s  %s", pk_table_get(t, r, cid) ? pk_table_get(t, r, cid) : "",
                 pk_table_get(t, r, ctitle) ? pk_table_get(t, r, ctitle) : "");
        at += map_text(cr, line, x, at, w, 6.5, 0, 0.15, 0.15, 0.15) + 0.6;
    }
    pk_table_free(t);
    return at - y;
}

/* Scale denominators as printed: three significant digits, spaced thousands. */
static void scale_text(char *buf, size_t size, double scale)
{
    double p = pow(10, floor(log10(scale)) - 2);
    long long n = (long long)(round(scale / p) * p);
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", n), k = 0;
    for (int i = 0; i < len && (size_t)k + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[k++] = ' ';
        buf[k++] = digits[i];
    }
    buf[k] = '\0';
}

/* Frame, scale bar, north arrow, legend, task list and the source line. */
static int draw_furniture(struct job *J, cairo_t *cr, const struct page *p, const struct layout *L,
                          const struct map_view *mv, int first)
{
    const struct pk_map_opts *o = J->o;
    const double *f = L->frame;
    int rc = PK_OK;
    cairo_save(cr);
    cairo_rectangle(cr, f[0], f[1], f[2], f[3]);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 0.35);
    cairo_stroke(cr);
    cairo_restore(cr);
    double bar_m = 0, bar_mm = 0;
    if (!o->no_scalebar)
        map_scalebar(cr, mv, f[0] + 5, f[1] + f[3] - 4, fmin(f[2] / 4, 60 * L->fs), &bar_m, &bar_mm);
    if (!o->no_north)
        map_north_arrow(cr, mv, f[0] + f[2] - 11, f[1] + 11);
    double used = 0;
    cairo_save(cr);
    cairo_translate(cr, L->panel[0], L->panel[1]);
    cairo_scale(cr, L->fs, L->fs);
    double pw = L->panel[2] / L->fs, ph = L->panel[3] / L->fs;
    if (!o->no_legend) {
        struct map_legend *legends[3] = {&J->legend, &J->atlas.legend, &J->task.legend};
        used = map_legend_draw(cr, legends, 3, 0, 0, pw, o->each_tasks ? ph * 0.55 : ph) + 4;
    }
    if (o->each && o->each_tasks)
        draw_task_list(J, cr, p, 0, used, pw, ph - used, &rc);
    cairo_restore(cr);
    char line[1200], scale[40];
    scale_text(scale, sizeof scale, mv->scale);
    const char *store_name = strrchr(pk_store_path(J->store), '/');
    snprintf(line, sizeof line, "来源 Source: %s%s · %s · 比例尺 scale 1:%s at the centre · EPSG:%d · plankit",
             o->source ? o->source : "plankit store ", o->source ? "" : store_name ? store_name + 1
                                                                     : pk_store_path(J->store),
             o->date ? o->date : "", scale, J->srid);
    map_text(cr, line, L->m, L->foot_y, L->W - 2 * L->m, 6 * L->fs, 0, 0.3, 0.3, 0.3);
    cairo_save(cr); /* the neat line around the page's content */
    cairo_rectangle(cr, L->m / 2, L->m / 2, L->W - L->m, L->H - L->m);
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    cairo_set_line_width(cr, 0.2);
    cairo_stroke(cr);
    cairo_restore(cr);
    if (first) {
        struct pk_map_result *r = J->res;
        r->srid = J->srid, r->zoom = mv->zoom, r->scale = mv->scale, r->north_deg = mv->north_deg;
        r->scalebar_m = bar_m, r->scalebar_mm = bar_mm;
        memcpy(r->bbox, mv->bbox, sizeof r->bbox);
        memcpy(r->frame_mm, f, sizeof r->frame_mm);
    }
    return rc;
}

/* Add the page's legend entries not yet in the result. */
static int collect_legend(struct job *J)
{
    struct map_legend *legends[3] = {&J->legend, &J->atlas.legend, &J->task.legend};
    struct pk_map_result *r = J->res;
    for (int k = 0; k < 3; k++) {
        if (legends[k]->nomem)
            return pk_error(J->ctx, PK_ERR_NOMEM, "out of memory making the legend");
        for (int i = 0; i < map_legend_count(legends[k]); i++) {
            const char *label = map_legend_label(legends[k], i);
            int seen = 0;
            for (int j = 0; j < r->nlegend && !seen; j++)
                seen = !strcmp(r->legend[j], label);
            if (seen)
                continue;
            char **l = realloc(r->legend, sizeof *l * (size_t)(r->nlegend + 1));
            if (!l)
                return pk_error(J->ctx, PK_ERR_NOMEM, "out of memory");
            r->legend = l;
            if (!(l[r->nlegend] = strdup(label)))
                return pk_error(J->ctx, PK_ERR_NOMEM, "out of memory");
            r->nlegend++;
        }
    }
    return PK_OK;
}

static int draw_page(struct job *J, cairo_t *cr, int i)
{
    const struct page *p = &J->pages[i];
    struct layout L;
    struct map_view mv;
    map_legend_free(&J->legend);
    map_legend_free(&J->task.legend);
    int rc = p->fid >= 0 && J->o->each ? setup_atlas_page(J, p->fid) : PK_OK;
    if (rc != PK_OK)
        return rc;
    layout_page(J, cr, p, &L);
    if ((rc = draw_map(J, cr, p, &L, &mv)) != PK_OK)
        return p->name ? (pk_error_prefix(J->ctx, "page '%s'", p->name), rc) : rc;
    if ((rc = draw_furniture(J, cr, p, &L, &mv, i == 0)) != PK_OK || (rc = collect_legend(J)) != PK_OK)
        return rc;
    J->res->pages++;
    return PK_OK;
}

/* ---- files */

/* The output path of atlas page i: {name} replaced by the feature's name
 * (characters a file name cannot hold as '_'; the fid added when two pages
 * share a name). Caller frees. */
static char *page_path(const struct job *J, int i)
{
    const char *o = J->o->output, *at = strstr(o, "{name}");
    char name[300];
    snprintf(name, sizeof name, "%s", J->pages[i].name);
    for (char *c = name; *c; c++)
        if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20 || (c == name && *c == '.'))
            *c = '_';
    for (int k = 0; k < J->npages; k++)
        if (k != i && !strcmp(J->pages[k].name, J->pages[i].name)) {
            size_t n = strlen(name);
            snprintf(name + n, sizeof name - n, "-%lld", J->pages[i].fid);
            break;
        }
    size_t len = strlen(o) + strlen(name) + 1;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%.*s%s%s", (int)(at - o), o, name, at + 6);
    return path;
}

/* Draw every page into the files. */
static int write_pages(struct job *J)
{
    int many = J->o->each && strstr(J->o->output, "{name}") != NULL, rc = PK_OK;
    for (int i = 0; rc == PK_OK && i < J->npages; i++) {
        if (many || i == 0) {
            char *path = many ? page_path(J, i) : strdup(J->o->output);
            rc = path ? map_out_open(J->ctx, &J->out, path) : pk_error(J->ctx, PK_ERR_NOMEM, "out of memory");
            free(path);
        } else {
            rc = map_out_next_page(J->ctx, &J->out);
        }
        if (rc == PK_OK)
            rc = draw_page(J, J->out.cr, i);
        if (rc == PK_OK && (many || i == J->npages - 1))
            rc = map_out_close(J->ctx, &J->out);
    }
    if (rc == PK_OK)
        rc = map_out_commit(J->ctx, &J->out);
    for (int i = 0; rc == PK_OK && i < J->out.n; i++) {
        char **f = realloc(J->res->files, sizeof *f * (size_t)(J->res->nfiles + 1));
        if (!f || !(f[J->res->nfiles] = strdup(J->out.final[i])))
            rc = pk_error(J->ctx, PK_ERR_NOMEM, "out of memory");
        if (f)
            J->res->files = f;
        if (rc == PK_OK)
            J->res->nfiles++;
    }
    return rc;
}

static void job_free(struct job *J)
{
    map_out_free(&J->out);
    for (int i = 0; i < J->npages; i++)
        free(J->pages[i].name);
    free(J->pages);
    struct overlay *ov[2] = {&J->task, &J->atlas};
    for (int k = 0; k < 2; k++) {
        map_legend_free(&ov[k]->legend);
        pk_render_layers_free(ov[k]->bound);
        pk_style_free(ov[k]->style);
    }
    GEOSContextHandle_t h = pk_geos(J->ctx);
    pk_render_set_free(h, J->task_set);
    pk_render_set_free(h, J->atlas_set);
    free(J->task_title);
    map_legend_free(&J->legend);
    pk_render_layers_free(J->bound);
    map_sets_free(J->store, &J->sets);
    pk_style_free(J->style);
    if (J->w_ready)
        pk_worker_release(&J->w);
}

void pk_map_result_free(struct pk_map_result *res)
{
    if (!res)
        return;
    for (int i = 0; i < res->nfiles; i++)
        free(res->files[i]);
    for (int i = 0; i < res->nlegend; i++)
        free(res->legend[i]);
    free(res->files);
    free(res->legend);
    memset(res, 0, sizeof *res);
}

int pk_map(struct pk_store *store, const struct pk_map_opts *opts, struct pk_map_result *res)
{
    struct pk_map_result scratch;
    struct job J = {.store = store, .ctx = pk_store_ctx(store), .o = opts, .res = res ? res : &scratch,
                    .srid = opts->srid ? opts->srid : 3857};
    memset(J.res, 0, sizeof *J.res);
    enum map_format fmt;
    int rc = check_opts(J.ctx, opts, &fmt);
    if (rc == PK_OK && opts->srid == PK_MAP_METRIC && !(J.srid = store->measure_srid))
        rc = pk_error(J.ctx, PK_ERR_ARGS, "--crs metric: the store has no metric CRS yet (load a layer first)");
    J.out = (struct map_out){.fmt = fmt, .page_mm = {opts->page_mm[0], opts->page_mm[1]}, .dpi = opts->dpi};
    if (rc == PK_OK)
        rc = setup_style(&J);
    if (rc == PK_OK && opts->task)
        rc = setup_task(&J);
    if (rc == PK_OK)
        rc = make_pages(&J);
    if (rc == PK_OK)
        rc = write_pages(&J);
    job_free(&J);
    if (rc != PK_OK || !res)
        pk_map_result_free(J.res);
    return rc;
}

/* ---- page sizes */

int pk_map_page_size(struct pk_ctx *ctx, const char *text, int landscape, int dpi, double mm[2])
{
    static const double iso[5][2] = {{841, 1189}, {594, 841}, {420, 594}, {297, 420}, {210, 297}};
    double w = 0, h = 0;
    char unit[4] = "", tail;
    if ((text[0] == 'A' || text[0] == 'a') && text[1] >= '0' && text[1] <= '4' && !text[2]) {
        w = iso[text[1] - '0'][0], h = iso[text[1] - '0'][1];
    } else if (sscanf(text, "%lfx%lf%3[a-z]%c", &w, &h, unit, &tail) != 3 || (strcmp(unit, "mm") && strcmp(unit, "px")) ||
               !(w > 0) || !(h > 0) || !isfinite(w) || !isfinite(h)) {
        return pk_error(ctx, PK_ERR_ARGS, "page size '%s' is not A0-A4, WxHmm or WxHpx", text);
    } else if (!strcmp(unit, "px")) {
        if (dpi <= 0)
            return pk_error(ctx, PK_ERR_ARGS, "page size '%s' in pixels needs a DPI", text);
        w = w * 25.4 / dpi, h = h * 25.4 / dpi;
    }
    if (landscape && h > w) {
        double t = w;
        w = h, h = t;
    }
    mm[0] = w, mm[1] = h;
    return PK_OK;
}
