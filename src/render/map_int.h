/* map_int.h — the modules of printed maps (include/plankit/map.h):
 * map.c runs a job (style, sets, pages, files), map_view.c fits the map to
 * its frame and measures it (scale, north), map_sources.c makes the
 * in-memory feature sets a style draws that are not store layers as they
 * are (coverage fields, the labels and tasks layers, a task's and an
 * atlas's overlays), map_legend.c collects and draws the legend,
 * map_page.c draws the furniture. Page coordinates are millimetres from
 * the page's top left; the map itself is drawn in CSS pixels (1/96 in),
 * the unit of the style's widths and sizes. */
#ifndef PLANKIT_MAP_INT_H
#define PLANKIT_MAP_INT_H

#include <cairo.h>

#include "plankit/map.h"
#include "render_int.h"

#define MAP_PX_PER_MM (96.0 / 25.4)

/* ---- map_view.c */

/* The envelope (xmin, ymin, xmax, ymax) in EPSG:srid of feature fid of
 * layer (fid < 0: of every feature), read with w. PK_ERR_NOTFOUND when the
 * layer has no feature with a geometry there. */
int map_layer_extent(struct pk_worker *w, const struct pk_layer_ref *layer, long long fid, int srid,
                     double box[4]);
/* The envelope in EPSG:srid of a box in degrees (west, south, east, north). */
int map_degrees_extent(struct pk_worker *w, const double deg[4], int srid, double box[4]);

/* What a map frame shows and how it measures. */
struct map_view {
    int srid;
    double bbox[4];            /* map CRS, the frame's aspect */
    double width_px, height_px;/* the frame in CSS px */
    double ground_m_per_px;    /* at the centre, along the page's horizontal */
    double zoom;               /* MapLibre zoom (512 px tiles) of that resolution at that latitude */
    double scale;              /* 1:scale */
    double north_deg;          /* true north clockwise from grid north */
    double lat;                /* the centre's latitude */
};
/* Fit box (map CRS) with a margin into a frame of w_mm x h_mm and measure
 * it: *v. PK_ERR_DATA when the centre cannot be transformed. */
int map_view_fit(struct pk_worker *w, int srid, const double box[4], double w_mm, double h_mm, struct map_view *v);

/* ---- map_sources.c */

/* The sets a job's styles draw. */
struct map_sets {
    int n;
    struct pk_render_set *set[8];
};
/* Sets the style needs that the store lacks as such: the `labels` and
 * `tasks` layers of the tile contract when a style layer names them and the
 * store has no such layer, and a copy of a store layer with tasks,
 * task_ids and share (pk_coverage) when a style layer reads one of those and
 * the layer lacks it. Appended to *sets (free with map_sets_free). */
int map_sets_for_style(struct pk_store *store, const struct pk_style *style, struct map_sets *sets);
/* A set named name holding the features of layer each (props: fid). */
int map_set_of_layer(struct pk_store *store, const struct pk_layer_ref *layer, const char *name,
                     struct pk_render_set **out);
/* A set named name of task id's zones and footprints (props: kind, layer);
 * PK_ERR_NOTFOUND when the task does not exist; *title: its title (caller
 * frees). */
int map_set_of_task(struct pk_store *store, const char *id, const char *name, struct pk_render_set **out,
                    char **title);
void map_sets_free(struct pk_store *store, struct map_sets *sets);

/* ---- map_legend.c */

struct map_legend_entry;
struct map_legend {
    const struct pk_style *style;
    struct pk_store *store;
    struct map_legend_entry *e;
    int n, cap;
    int nomem;
    char **base;               /* each style layer's label, made on first use (owned) */
};
/* The render's `drawn` callback: arg is a struct map_legend. */
void map_legend_drawn(void *arg, int layer_index, struct pk_style_eval *ev);
/* The legend's entries' labels, borrowed. */
int map_legend_count(const struct map_legend *L);
const char *map_legend_label(const struct map_legend *L, int i);
/* Draw the entries of the legends (in order) into the box x, y, w (mm),
 * at most max_h high; returns the height used. */
double map_legend_draw(cairo_t *cr, struct map_legend *const *legends, int n, double x, double y, double w,
                       double max_h);
/* Free the entries (before the legend's style is freed); L can be used again. */
void map_legend_free(struct map_legend *L);

/* ---- map_page.c */

/* A line of text at x, y (mm, top left of its box) in size pt, into width w
 * (wrapped when longer); returns its height in mm. bold: 1. */
double map_text(cairo_t *cr, const char *text, double x, double y, double w, double size_pt, int bold,
                double r, double g, double b);
/* The scale bar with its label at x, y (bottom left, mm): the longest round
 * length (1, 2, 5 x 10^k m) up to max_mm; *m and *mm its length. */
void map_scalebar(cairo_t *cr, const struct map_view *v, double x, double y, double max_mm, double *m, double *mm);
/* The north arrow centred at x, y (mm), pointing to true north (v->north_deg
 * from the page's up), with a grid-north tick when they differ. */
void map_north_arrow(cairo_t *cr, const struct map_view *v, double x, double y);

/* ---- map_svgtext.c: the text layer of SVG maps */

/* Cairo draws an SVG's text as glyph outlines: the text drawn is recorded
 * and written into the file as invisible <text> elements at the same
 * places, so the SVG's text can be searched and selected. */
struct map_text_run {
    char *text;            /* owned */
    double x, y, size;     /* device units (pt): the baseline's start, or the centre when centred */
    int centred;
};
struct map_texts {
    struct map_text_run *r;
    int n, cap;
    int nomem;
};
/* Record on T the text later drawn on cr with map_texts_add. */
void map_texts_attach(cairo_t *cr, struct map_texts *T);
/* Record text at x, y and size in cr's user units, when cr has a record. */
void map_texts_add(cairo_t *cr, const char *text, double x, double y, double size, int centred);
/* Write T's runs into the SVG file at path (before its closing tag). */
int map_texts_write_svg(struct pk_ctx *ctx, const struct map_texts *T, const char *path, const char *name);
void map_texts_free(struct map_texts *T);

/* ---- map_output.c */

enum map_format { MAP_PDF, MAP_SVG, MAP_PNG };

/* The files of a job, each written under a temporary name in its
 * directory and moved into place by map_out_commit. */
struct map_out {
    enum map_format fmt;
    double page_mm[2];
    int dpi;
    int n, cap;
    char **tmp, **final;        /* owned */
    cairo_surface_t *surface;   /* the file being written */
    struct map_texts texts;     /* SVG: the text drawn on it */
    cairo_t *cr;                /* drawing on it, in mm from the page's top left */
};
/* The format of path from its extension; PK_ERR_ARGS naming it otherwise. */
int map_out_format(struct pk_ctx *ctx, const char *path, enum map_format *fmt);
/* Start file path (under a temporary name); out->cr draws its first page. */
int map_out_open(struct pk_ctx *ctx, struct map_out *out, const char *path);
/* The next page of a PDF. */
int map_out_next_page(struct pk_ctx *ctx, struct map_out *out);
/* Finish the file being written (PNG: encode it). */
int map_out_close(struct pk_ctx *ctx, struct map_out *out);
/* Move every file written into place. */
int map_out_commit(struct pk_ctx *ctx, struct map_out *out);
/* Remove every temporary file and free out (after a commit too). */
void map_out_free(struct map_out *out);

#endif
