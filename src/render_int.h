/* render_int.h — the Cairo drawing core of the cartographic renderer: a
 * compiled style (style_int.h) drawn over a Web Mercator bounding box into a
 * Cairo context, from store features read through the worker's feature
 * reader and transformed to EPSG:3857 with the worker's transform. */
#ifndef PLANKIT_RENDER_INT_H
#define PLANKIT_RENDER_INT_H

#include <cairo.h>

#include "style_int.h"
#include "worker_int.h"

/* What is drawn: the box (EPSG:3857 metres: xmin, ymin, xmax, ymax) maps
 * onto width x height device units of the Cairo context from its origin,
 * north up; zoom is the style zoom the properties are evaluated at.
 * srid: the CRS of the box and of the drawing (0: EPSG:3857), for printed
 * maps in a metric CRS. drawn (may be NULL) is called for every feature
 * drawn (a label: only when placed) with the style layer's index and the
 * feature's evaluation state, for the legend of printed maps. label
 * (may be NULL) is called with label_arg for every label placed: its text,
 * centre (device units) and size (px), for the text layer of SVG maps. */
struct pk_render_view {
    double zoom;
    double bbox[4];
    int width, height;
    int srid;
    void (*drawn)(void *arg, int layer_index, struct pk_style_eval *ev);
    void *drawn_arg;
    void (*label)(void *arg, const char *text, double x, double y, double size);
    void *label_arg;
};

/* What a render did, for tests and reports. */
struct pk_render_stats {
    long features;        /* features drawn (filters passed, geometry of the layer's kind) */
    long labels_placed;
    long labels_dropped;  /* labels that would have overlapped one already placed */
};

/* ---- labels (render_label.c) */

/* The text of one label and how it looks. */
struct pk_label_style {
    const struct pk_sv *fonts;  /* text-font items (strings), or NULL for the spec's default */
    int nfonts;
    double size;                /* px */
    struct pk_color color, halo;
    double halo_width;          /* px */
};

/* The boxes of the labels placed so far on one map: the collision index. */
struct pk_labels {
    double (*boxes)[4];         /* x0, y0, x1, y1 in device units */
    int n, cap;
};

/* Draw text centred on (x, y) (device units) unless its box, halo included,
 * overlaps a label already placed: *placed 1 when drawn, 0 when it would
 * have overlapped, -1 when there is nothing to draw (empty text, invalid
 * UTF-8, size <= 0; no error). Returns PK_OK, or PK_ERR_NOMEM in ctx. */
int pk_labels_draw(struct pk_ctx *ctx, cairo_t *cr, struct pk_labels *L, const char *text,
                   const struct pk_label_style *s, double x, double y, int *placed);
void pk_labels_free(struct pk_labels *L);
/* The Pango font family list for a text-font list: each name without its
 * style words ("Noto Sans Bold" -> "Noto Sans"), then "Noto Sans CJK SC",
 * comma-separated, into buf; *bold when the first name is bold. */
void pk_labels_families(const struct pk_sv *fonts, int nfonts, char *buf, size_t size, int *bold);

/* Features kept in memory that style layers draw in place of a store layer
 * of the set's name: the derived layers of the tile contract (labels,
 * tasks) and store layers with added fields (coverage). */
struct pk_render_feature {
    long long fid;
    GEOSGeometry *geom;        /* store CRS, owned */
    double box[4];             /* its envelope */
    struct pk_value *props;    /* one per name of the set; texts owned */
};
struct pk_render_set {
    char *name;                /* the source-layer it stands for, owned */
    int nnames;
    char **names;              /* property names, owned */
    size_t n, cap;
    struct pk_render_feature *f;
};
/* Free a set's contents and the set (accepts NULL). */
void pk_render_set_free(GEOSContextHandle_t h, struct pk_render_set *set);

/* A style bound to a store: each style layer's store layer and the fields
 * of it the style layer reads (fields the layer lacks read as null). Made
 * on the store's thread; read-only after, so renders on any thread may
 * share it. Errors (a source layer not in the store) in the store's ctx.
 * *out: caller frees with pk_render_layers_free, before the style. */
struct pk_render_layers;
int pk_render_bind(struct pk_store *store, const struct pk_style *style, struct pk_render_layers **out);
/* Same, where a style layer whose source-layer is the name of one of the
 * nsets sets draws that set's features (borrowed: the sets outlive *out). */
int pk_render_bind_sets(struct pk_store *store, const struct pk_style *style, struct pk_render_set *const *sets,
                        int nsets, struct pk_render_layers **out);
void pk_render_layers_free(struct pk_render_layers *layers);

/* Draw the bound style's layers visible at view->zoom, in style order:
 * background, fills with outline, lines (width, dash, cap, join, opacity),
 * circles and text labels with halo (Pango; a CJK font ends every font
 * list), labels at a point inside each polygon and never overlapping.
 * Features are read on w's connection (any thread with its own worker).
 * stats may be NULL. Returns PK_OK, or an error in w->ctx (PK_ERR_CAIRO
 * when Cairo fails). */
int pk_render_map(struct pk_worker *w, const struct pk_render_layers *layers, const struct pk_render_view *view,
                  cairo_t *cr, struct pk_render_stats *stats);

#endif
