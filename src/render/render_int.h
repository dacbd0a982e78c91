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
    /* When set, symbol layers are not read: labels(labels_arg, i, cr) draws
     * style layer i's labels (placed beforehand, e.g. once for a whole tile
     * set so neighbouring tiles agree) in its turn. Returns PK_OK or an error
     * in the worker's ctx. */
    int (*labels)(void *labels_arg, int layer, cairo_t *cr);
    void *labels_arg;
    /* When > 0: the width of the world in device units at this zoom (tiles:
     * 256 * 2^z), and bbox starts on a whole pixel of it; points are placed
     * by their world pixel minus the view's origin, the same arithmetic in
     * every tile, so tiles and blocks of tiles draw the same pixels. */
    double world_px;
    int srid;
    void (*drawn)(void *arg, int layer_index, struct pk_style_eval *ev);
    void *drawn_arg;
    void (*label)(void *arg, const char *text, double x, double y, double size);
    void *label_arg;
};

#define PK_RENDER_MERCATOR_HALF 20037508.342789244

/* What a render did, for tests and reports. */
struct pk_render_stats {
    long features;        /* features drawn (filters passed, geometry of the layer's kind) */
    long labels_placed;
    long labels_dropped;  /* labels that would have overlapped one already placed */
};

/* ---- labels (render_label.c) */

struct pk_render_layers;

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

/* Labels placed once over a whole tile set at one zoom (a global
 * placement): positions in the zoom's world pixels (256 per tile, y down
 * from the north edge of the world), so every tile and every metatile that
 * a label reaches draws it at the same place, and no label is cut at a
 * tile edge. Collisions are resolved over the whole set, top style layer
 * first (as MapLibre does), then in store order. Symbol layers with
 * symbol-placement line or line-center set their lines' labels along the
 * line, character by character, never upside down. */
struct pk_label_grid {
    double zoom;         /* the style zoom the labels are evaluated at */
    double world_px;     /* width of the world in logical pixels at this zoom (256 * 2^z) */
    double scale;        /* device pixels per logical pixel (1 or 2): measured as drawn */
    double box[4];       /* place labels of features meeting this box (EPSG:3857) */
};
struct pk_label_set;
/* Place the labels of every symbol layer of layers visible at g->zoom,
 * reading on w. *out: caller frees with pk_label_set_free. Errors in
 * w->ctx. */
int pk_label_set_place(struct pk_worker *w, const struct pk_render_layers *layers, const struct pk_label_grid *g,
                       struct pk_label_set **out);
/* Draw the labels of style layer `layer` that meet the window of w x h
 * logical pixels whose top-left corner is world pixel (ox, oy) onto cr
 * (whose user space is that window). PK_OK or PK_ERR_NOMEM in ctx. */
int pk_label_set_draw(struct pk_ctx *ctx, const struct pk_label_set *set, int layer, cairo_t *cr, double ox,
                      double oy, double w, double h);
/* Labels placed and labels dropped because they would have overlapped. */
void pk_label_set_counts(const struct pk_label_set *set, long *placed, long *dropped);
/* The collision box (x0, y0, x1, y1 world pixels) of placed label i of
 * style layer `layer` and its text, 0 when there is no such label: tests
 * find a label straddling a tile edge with it. */
int pk_label_set_box(const struct pk_label_set *set, int layer, int i, double box[4], const char **text);
/* Character k of placed label i of style layer `layer` when it runs along a
 * line (symbol-placement line or line-center): its centre (world pixels)
 * and rotation (radians, y down); 0 when there is no such character. */
int pk_label_set_glyph(const struct pk_label_set *set, int layer, int i, int k, double *x, double *y, double *angle);
void pk_label_set_free(struct pk_label_set *set);
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
 * of it the style layer reads (fields the layer lacks read as null). A
 * source layer `labels` that the store lacks is the tile contract's labels
 * layer: a point inside each feature of the polygon layers with a name
 * field, with the properties layer, fid and name. Made
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
/* The style layers are bound to (borrowed). */
const struct pk_style *pk_render_layers_style(const struct pk_render_layers *layers);

/* Draw the bound style's layers visible at view->zoom, in style order:
 * background, fills with outline, lines (width, dash, cap, join, opacity),
 * circles and text labels with halo (Pango; a CJK font ends every font
 * list), labels at a point inside each polygon and never overlapping.
 * Features are read on w's connection (any thread with its own worker).
 * stats may be NULL. Returns PK_OK, or an error in w->ctx (PK_ERR_CAIRO
 * when Cairo fails). */
int pk_render_map(struct pk_worker *w, const struct pk_render_layers *layers, const struct pk_render_view *view,
                  cairo_t *cr, struct pk_render_stats *stats);

/* Called by pk_render_features per feature of style layer l that passed its
 * filter: g in EPSG:3857 (borrowed for the call), anchor_type the kind of
 * label anchor it takes (pk_render_label_anchor), ev ready for
 * pk_style_prop (its strings valid for the call). Returns PK_OK to go on. */
typedef int (*pk_render_feature_fn)(void *arg, const struct pk_style_layer *l, const GEOSGeometry *g,
                                    int anchor_type, struct pk_style_eval *ev);
/* Call fn for each feature of style layer i (not a background) whose box
 * meets box (EPSG:3857 metres) and that passes the layer's filter at zoom,
 * in store order; read on w's connection. Returns PK_OK, fn's status, or
 * an error in w->ctx. */
int pk_render_features(struct pk_worker *w, const struct pk_render_layers *layers, int i, const double box[4],
                       double zoom, pk_render_feature_fn fn, void *arg);
/* The label anchor of g (EPSG:3857) for anchor type 3: a point inside a
 * polygon, 2: the middle of a line, 1: the first point. 0 when there is none. */
int pk_render_label_anchor(GEOSContextHandle_t h, const GEOSGeometry *g, int type, double *x, double *y);

#endif
