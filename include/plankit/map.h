/* map.h — printed maps (`plankit map`): a MapLibre style drawn from the
 * store onto a page (PDF or SVG with real text, or PNG at a DPI), in a
 * chosen CRS, with its furniture: title and subtitle, a legend made from
 * what the style actually drew, a scale bar true at the map's centre, a
 * north arrow, a source and date line and a frame. Styles whose layers read
 * the coverage fields (tasks, task_ids, share) of a store layer that has no
 * such fields are given pk_coverage's numbers at render time; the tile
 * contract's derived layers (labels, tasks) are made from the store too.
 * An atlas is one page per feature of a layer.
 *     struct pk_map_opts o = {.style = "styles/zones.json", .output = "zones.pdf",
 *                             .extent = "city", .dpi = 300};
 *     pk_map_page_size(ctx, "A3", 1, 300, o.page_mm);
 *     struct pk_map_result r;
 *     if (pk_map(store, &o, &r) != PK_OK) fprintf(stderr, "%s\n", pk_errmsg(ctx));
 *     pk_map_result_free(&r);
 */
#ifndef PLANKIT_MAP_H
#define PLANKIT_MAP_H

#include "plankit/ctx.h"
#include "plankit/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PK_MAP_MIN_DPI 10
#define PK_MAP_MAX_DPI 2400
#define PK_MAP_METRIC (-1)

struct pk_map_opts {
    const char *style;         /* MapLibre v8 style file (required) */
    const char *output;        /* .pdf, .svg or .png; "{name}" in it: one file per atlas page */
    const char *extent;        /* LAYER or LAYER:FEATURE to fit, or NULL */
    const double *bbox;        /* west, south, east, north (degrees) to fit, or NULL */
    double page_mm[2];         /* page width, height in mm (pk_map_page_size) */
    int dpi;                   /* PNG pixels per inch, PK_MAP_MIN_DPI..PK_MAP_MAX_DPI */
    int srid;                  /* the map's CRS; 0 = EPSG:3857 (Web Mercator), PK_MAP_METRIC = the
                                * store's metric CRS */
    const char *title, *subtitle;  /* NULL: the style's name; no subtitle */
    int no_legend, no_scalebar, no_north;
    const char *task;          /* highlight this task's zones and footprints; NULL = none */
    const char *each;          /* atlas: one page per feature of this layer; NULL = one map */
    int each_tasks;            /* atlas: list the tasks touching each page's feature */
    const char *source;        /* the source line; NULL = "plankit · <store file>" */
    const char *date;          /* the date printed on the source line; NULL = none */
};

struct pk_map_result {
    int pages;
    int nfiles;
    char **files;              /* the files written (owned) */
    long features;             /* features drawn, all pages */
    long labels;               /* labels placed, all pages */
    int nlegend;
    char **legend;             /* the legend's entries, all pages, in order, each once (owned) */
    /* the first page's map, for checks: */
    int srid;
    double bbox[4];            /* what the map frame shows, in the map's CRS */
    double frame_mm[4];        /* the map frame on the page: x, y (from the top left), width, height */
    double zoom;               /* the style zoom it is drawn at */
    double scale;              /* 1:scale at the map's centre */
    double scalebar_m, scalebar_mm;  /* the scale bar's length on the ground and on paper (0: none) */
    double north_deg;          /* true north, clockwise from the page's up (grid north), degrees */
};

/* A page size: A0..A4 (portrait unless landscape), "WxHmm" or "WxHpx"
 * (pixels at dpi), into mm[0] (width) and mm[1] (height). PK_ERR_ARGS with
 * a one-line message naming the text when it cannot be read. */
int pk_map_page_size(struct pk_ctx *ctx, const char *text, int landscape, int dpi, double mm[2]);

/* Draw the map (or atlas) described by opts into opts->output, each file
 * written under a temporary name and moved into place once every page is
 * drawn: on any failure no file is left. res may be NULL; free it with
 * pk_map_result_free. Errors (one line, in the store's ctx): the style
 * (missing, not JSON, a source layer not in the store), an extent or task
 * that matches nothing, a page or PNG too large, an output extension other
 * than .pdf/.svg/.png, an atlas into one SVG or PNG without {name}. */
int pk_map(struct pk_store *store, const struct pk_map_opts *opts, struct pk_map_result *res);
void pk_map_result_free(struct pk_map_result *res);

/* Free the font caches Pango, Cairo and fontconfig keep for the process
 * (for leak checkers): call once, at exit, when nothing draws any more. */
void pk_map_fonts_release(void);

#ifdef __cplusplus
}
#endif
#endif
