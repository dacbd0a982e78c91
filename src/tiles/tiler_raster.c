/* tiler_raster.c — `plankit tiles raster`: pk_tiles_raster checks its
 * options, loads and binds the style, finds the extent and tile ranges,
 * opens a tile sink for PNG tiles and, zoom by zoom, places the labels
 * once (tiler_raster_draw.c) then draws metatiles on a pool of workers
 * (each with its own read connection, GEOS handle and transforms),
 * writing their tiles in a fixed order from the calling thread while the
 * workers draw the next batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "plankit/raster.h"
#include "pool_int.h"
#include "sql_int.h"
#include "tile_sink_int.h"
#include "tiler_raster_int.h"

#define METATILE_PX 2048    /* a metatile is at most this many device pixels a side */
#define ERR_LEN 1024

/* One metatile: its tiles and, once drawn, their PNGs. */
struct meta_job {
    uint32_t x0, y0;
    int nx, ny;
    struct pk_tbuf *png;    /* nx * ny, row by row */
    long features;
    int rc;
    char err[ERR_LEN];
};

struct run {
    struct pk_store *store;
    struct pk_ctx *ctx;
    const struct pk_raster_opts *o;
    int scale, meta;                   /* tiles per metatile side */
    struct pk_style *style;
    struct pk_render_layers *layers;
    struct pk_worker_conf conf;
    struct pk_worker main_w;
    struct pk_pool *pool;
    int nthreads;
    struct pk_tile_sink *sink;
    const char *sink_path;             /* the output, or "<output>.new" when replacing one */
    char *new_path;
    uint32_t range[PK_RASTER_MAX_ZOOM + 1][4];
    double bounds[4];
    long long total, done;
    struct pk_raster_result *res;
    pk_progress_fn progress;
    void *arg;
};

static int check_opts(struct pk_ctx *ctx, const struct pk_raster_opts *o)
{
    if (!o->output || !o->output[0])
        return pk_error(ctx, PK_ERR_ARGS, "tiles raster: an output (-o FILE.mbtiles|FILE.pmtiles|FOLDER) is required");
    if (!o->style || !o->style[0])
        return pk_error(ctx, PK_ERR_ARGS, "tiles raster: a style (--style FILE) is required");
    if (o->minzoom < 0 || o->maxzoom > PK_RASTER_MAX_ZOOM || o->maxzoom < 0 || o->minzoom > PK_RASTER_MAX_ZOOM)
        return pk_error(ctx, PK_ERR_ARGS, "tiles raster: zooms %d..%d: zooms go from 0 to %d", o->minzoom,
                        o->maxzoom, PK_RASTER_MAX_ZOOM);
    if (o->minzoom > o->maxzoom)
        return pk_error(ctx, PK_ERR_ARGS, "tiles raster: minzoom %d is greater than maxzoom %d", o->minzoom,
                        o->maxzoom);
    if (o->scale != 0 && o->scale != 1 && o->scale != 2)
        return pk_error(ctx, PK_ERR_ARGS, "tiles raster: scale %d: expected 1 (256-pixel tiles) or 2 (512)", o->scale);
    const double *b = o->bbox;
    if (b && !(b[0] >= -180 && b[2] <= 180 && b[1] >= -85.0511 && b[3] <= 85.0511 && b[0] < b[2] && b[1] < b[3]))
        return pk_error(ctx, PK_ERR_ARGS, "tiles raster: bbox %g,%g,%g,%g is not W,S,E,N within the Web Mercator "
                        "world (latitudes within 85.05) with W < E and S < N", b[0], b[1], b[2], b[3]);
    struct stat st;
    if (!o->force && lstat(o->output, &st) == 0)
        return pk_error(ctx, PK_ERR_EXISTS, "tiles raster: output '%s' exists (use --force to replace it)", o->output);
    return PK_OK;
}

/* ---- the extent */

/* Union of the store extents of the layers the style draws (store CRS);
 * 0 when none has one. */
static int style_extent(struct run *R, double box[4], int *found)
{
    sqlite3_stmt *st = NULL;
    int rc = pk_sql_prepare(R->store, "SELECT min_x, min_y, max_x, max_y FROM pk_layers WHERE name = ?1"
                                      " AND min_x IS NOT NULL", &st);
    *found = 0;
    for (int i = 0; rc == PK_OK && i < R->style->nlayers; i++) {
        const struct pk_style_layer *l = &R->style->layers[i];
        if (!l->source_layer || !l->visible)
            continue;
        sqlite3_reset(st);
        pk_sql_bind_text(st, 1, l->source_layer);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        for (int k = 0; k < 4; k++) {
            double v = sqlite3_column_double(st, k);
            box[k] = !*found ? v : k < 2 ? fmin(box[k], v) : fmax(box[k], v);
        }
        *found = 1;
    }
    sqlite3_finalize(st);
    return rc;
}

/* box (store CRS) to degrees: the envelope of its outline, 16 points a side. */
static int to_degrees(struct run *R, const double box[4], double out[4])
{
    if (R->conf.store_srid == 4326) {
        memcpy(out, box, 4 * sizeof *out);
        return PK_OK;
    }
    struct pk_transform *tr = NULL;
    int rc = pk_transform_new(R->ctx, R->conf.store_srid, 4326, &tr);
    if (rc != PK_OK)
        return rc;
    double xy[4 * 16 * 2];
    for (int i = 0; i < 16; i++) {
        double t = i / 16.0, dx = box[2] - box[0], dy = box[3] - box[1];
        double pts[4][2] = {{box[0] + t * dx, box[1]}, {box[2], box[1] + t * dy}, {box[2] - t * dx, box[3]},
                            {box[0], box[3] - t * dy}};
        for (int s = 0; s < 4; s++)
            xy[(s * 16 + i) * 2] = pts[s][0], xy[(s * 16 + i) * 2 + 1] = pts[s][1];
    }
    int ok = pk_transform_xy(tr, xy, 4 * 16);
    pk_transform_free(tr);
    if (!ok)
        return pk_error(R->ctx, PK_ERR_DATA, "tiles raster: the layers' extent cannot be transformed to degrees");
    out[0] = out[2] = xy[0], out[1] = out[3] = xy[1];
    for (int i = 1; i < 4 * 16; i++) {
        out[0] = fmin(out[0], xy[2 * i]), out[2] = fmax(out[2], xy[2 * i]);
        out[1] = fmin(out[1], xy[2 * i + 1]), out[3] = fmax(out[3], xy[2 * i + 1]);
    }
    return PK_OK;
}

static double lon_tile(double lon, int z) { return (lon + 180.0) / 360.0 * ldexp(1.0, z); }
static double lat_tile(double lat, int z)
{
    double lim = 85.0511287798066, r = fmax(fmin(lat, lim), -lim) * M_PI / 180.0;
    return (1 - log(tan(r) + 1 / cos(r)) / M_PI) / 2 * ldexp(1.0, z);
}

static uint32_t tile_index(double t, int z)
{
    double last = ldexp(1.0, z) - 1, f = floor(t);
    return (uint32_t)(f < 0 ? 0 : f > last ? last : f);
}

/* The extent in degrees (bbox, else the style's layers), and the tile
 * range of each zoom meeting it. */
static int set_extent(struct run *R)
{
    double *b = R->bounds;
    if (R->o->bbox)
        memcpy(b, R->o->bbox, sizeof R->bounds);
    else {
        double box[4];
        int found, rc = style_extent(R, box, &found);
        if (rc == PK_OK && !found)
            rc = pk_error(R->ctx, PK_ERR_ARGS, "tiles raster: the style's layers have no features; give --bbox");
        if (rc == PK_OK)
            rc = to_degrees(R, box, b);
        if (rc != PK_OK)
            return rc;
        b[0] = fmax(b[0], -180), b[2] = fmin(b[2], 180), b[1] = fmax(b[1], -85.0511), b[3] = fmin(b[3], 85.0511);
    }
    R->total = 0;
    for (int z = R->o->minzoom; z <= R->o->maxzoom; z++) {
        uint32_t *r = R->range[z];
        r[0] = tile_index(lon_tile(b[0], z), z), r[2] = tile_index(lon_tile(b[2], z), z);
        r[1] = tile_index(lat_tile(b[3], z), z), r[3] = tile_index(lat_tile(b[1], z), z);
        R->total += (long long)(r[2] - r[0] + 1) * (r[3] - r[1] + 1);
    }
    if (R->res)
        memcpy(R->res->bounds, b, sizeof R->bounds);
    return PK_OK;
}

/* ---- the output */

static int open_sink(struct run *R)
{
    const char *out = R->o->output, *base = strrchr(out, '/');
    char name[256];
    snprintf(name, sizeof name, "%s", base && base[1] ? base + 1 : out);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    struct pk_tile_meta m = {.name = name, .description = "plankit raster tiles", .format = "png",
                             .bounds = {R->bounds[0], R->bounds[1], R->bounds[2], R->bounds[3]},
                             .center = {(R->bounds[0] + R->bounds[2]) / 2, (R->bounds[1] + R->bounds[3]) / 2,
                                        R->o->minzoom},
                             .minzoom = R->o->minzoom, .maxzoom = R->o->maxzoom};
    struct stat st;
    R->sink_path = out;
    if (lstat(out, &st) == 0) { /* force: written beside it, swapped in at the end */
        size_t n = strlen(out) + sizeof ".new";
        if (!(R->new_path = malloc(n)))
            return pk_error(R->ctx, PK_ERR_NOMEM, "out of memory");
        snprintf(R->new_path, n, "%s.new", out);
        if (pk_tile_remove_tree(R->new_path) != 0)
            return pk_error(R->ctx, PK_ERR_IO, "tiles raster: cannot remove '%s'", R->new_path);
        R->sink_path = R->new_path;
    }
    return pk_tile_sink_for_path(out)->open(R->ctx, R->sink_path, &m, &R->sink);
}

/* Finish the sink and, when replacing, swap the new output in. */
static int finish_sink(struct run *R)
{
    int rc = R->sink->ops->finish(R->sink);
    R->sink = NULL;
    if (rc != PK_OK || !R->new_path)
        return rc;
    if (pk_tile_remove_tree(R->o->output) != 0 || rename(R->new_path, R->o->output) != 0) {
        rc = pk_error(R->ctx, PK_ERR_IO, "tiles raster: cannot replace '%s' (the new tiles are in '%s')",
                      R->o->output, R->new_path);
    }
    return rc;
}

/* ---- drawing a zoom */

struct zoom_run {
    struct run *R;
    struct pk_raster_zoom Z;
    struct meta_job *jobs;
};

static void draw_job(void *state, size_t i, void *arg)
{
    struct pk_worker *w = state;
    struct zoom_run *ZR = arg;
    struct meta_job *J = &ZR->jobs[i];
    cairo_surface_t *block = NULL;
    if (J->rc != PK_OK)
        return; /* its tiles could not be set up */
    J->rc = w->rc != PK_OK ? w->rc : pk_raster_draw_block(w, &ZR->Z, J->x0, J->y0, J->nx, J->ny, &block, &J->features);
    for (int k = 0; J->rc == PK_OK && k < J->nx * J->ny; k++)
        J->rc = pk_raster_tile_png(w->ctx, block, ZR->Z.scale, k % J->nx, k / J->nx, &J->png[k]);
    if (J->rc != PK_OK)
        snprintf(J->err, sizeof J->err, "%s", pk_errmsg(w->ctx));
    if (block)
        cairo_surface_destroy(block);
}

/* Free the PNGs of jobs[0..n). */
static void release_pngs(struct meta_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; jobs[i].png && k < jobs[i].nx * jobs[i].ny; k++)
            pk_tbuf_free(&jobs[i].png[k]);
        free(jobs[i].png);
        jobs[i].png = NULL;
    }
}

/* Put the tiles of the drawn jobs into the sink, in job order. */
static int write_jobs(struct run *R, int z, struct meta_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct meta_job *J = &jobs[i];
        if (J->rc != PK_OK)
            return pk_error(R->ctx, J->rc, "%s", J->err);
        R->res->features += J->features;
        for (int k = 0; k < J->nx * J->ny; k++) {
            int rc = R->sink->ops->put(R->sink, z, J->x0 + (uint32_t)(k % J->nx), J->y0 + (uint32_t)(k / J->nx),
                                       J->png[k].data, J->png[k].len);
            if (rc != PK_OK)
                return rc;
            R->res->tiles++;
            R->res->bytes += (long long)J->png[k].len;
        }
        R->done += J->nx * J->ny;
    }
    char msg[64];
    snprintf(msg, sizeof msg, "zoom %d", z);
    if (R->progress && !R->progress(R->total ? (double)R->done / R->total : 1, msg, R->arg))
        return pk_error(R->ctx, PK_ERR_CANCELLED, "tiles raster: cancelled");
    return PK_OK;
}

/* The metatiles of zoom z from row-major position *next on, at most max of them. */
static size_t next_jobs(struct run *R, int z, size_t *next, struct meta_job *jobs, size_t max)
{
    const uint32_t *r = R->range[z];
    uint32_t cols = (r[2] - r[0]) / (uint32_t)R->meta + 1, rows = (r[3] - r[1]) / (uint32_t)R->meta + 1;
    size_t n = 0;
    for (; n < max && *next < (size_t)cols * rows; n++, (*next)++) {
        uint32_t cx = (uint32_t)(*next % cols), cy = (uint32_t)(*next / cols);
        struct meta_job *J = &jobs[n];
        memset(J, 0, sizeof *J);
        J->x0 = r[0] + cx * (uint32_t)R->meta;
        J->y0 = r[1] + cy * (uint32_t)R->meta;
        J->nx = (int)fmin(R->meta, r[2] - J->x0 + 1);
        J->ny = (int)fmin(R->meta, r[3] - J->y0 + 1);
        if (!(J->png = calloc((size_t)(J->nx * J->ny), sizeof *J->png))) {
            n++;
            J->rc = pk_error(R->ctx, PK_ERR_NOMEM, "out of memory");
            snprintf(J->err, sizeof J->err, "%s", pk_errmsg(R->ctx));
            break;
        }
    }
    return n;
}

/* Draw zoom z batch by batch: while the calling thread writes one batch's
 * tiles, the workers draw the next (the caller joins them when done). */
static int draw_batches(struct run *R, int z, struct zoom_run ZR[2], size_t batch)
{
    size_t next = 0, n[2] = {0, 0};
    int cur = 0, rc = PK_OK;
    if ((n[cur] = next_jobs(R, z, &next, ZR[cur].jobs, batch)) > 0)
        pk_pool_start(R->pool, n[cur], draw_job, &ZR[cur]);
    while (n[cur] > 0) {
        pk_pool_wait(R->pool, &R->main_w);
        int other = !cur;
        if (rc == PK_OK && (n[other] = next_jobs(R, z, &next, ZR[other].jobs, batch)) > 0)
            pk_pool_start(R->pool, n[other], draw_job, &ZR[other]);
        if (rc == PK_OK)
            rc = write_jobs(R, z, ZR[cur].jobs, n[cur]);
        release_pngs(ZR[cur].jobs, n[cur]);
        n[cur] = 0;
        cur = other; /* after a failure: the batch under way is waited for and dropped */
    }
    return rc;
}

static int draw_zoom(struct run *R, int z)
{
    struct pk_label_set *labels = NULL;
    int rc = pk_raster_place_labels(&R->main_w, R->layers, z, R->scale, R->range[z], &labels);
    if (rc != PK_OK)
        return rc;
    long placed, dropped;
    pk_label_set_counts(labels, &placed, &dropped);
    R->res->labels += placed;
    R->res->labels_dropped += dropped;
    size_t batch = (size_t)R->nthreads * 2;
    struct zoom_run ZR[2];
    for (int k = 0; k < 2; k++)
        ZR[k] = (struct zoom_run){.R = R, .Z = {.layers = R->layers, .labels = labels, .z = z, .scale = R->scale},
                                  .jobs = calloc(batch, sizeof *ZR[k].jobs)};
    if (!ZR[0].jobs || !ZR[1].jobs)
        rc = pk_error(R->ctx, PK_ERR_NOMEM, "out of memory");
    else
        rc = draw_batches(R, z, ZR, batch);
    free(ZR[0].jobs);
    free(ZR[1].jobs);
    pk_label_set_free(labels);
    return rc;
}

/* ---- the run */

static int run(struct run *R)
{
    int rc = pk_style_load(R->ctx, R->o->style, R->store, &R->style);
    if (rc == PK_OK)
        rc = pk_render_bind(R->store, R->style, &R->layers);
    if (rc == PK_OK)
        rc = set_extent(R);
    if (rc == PK_OK) {
        R->nthreads = pk_pool_threads(R->o->threads);
        R->pool = pk_pool_new(R->nthreads, pk_worker_new, pk_worker_free, &R->conf);
        if (!R->pool)
            rc = pk_error(R->ctx, PK_ERR_NOMEM, "tiles raster: cannot start %d threads", R->nthreads);
    }
    if (rc == PK_OK)
        rc = open_sink(R);
    for (int z = R->o->minzoom; rc == PK_OK && z <= R->o->maxzoom; z++)
        rc = draw_zoom(R, z);
    if (R->sink && rc == PK_OK)
        rc = finish_sink(R);
    if (R->sink) {
        char msg[ERR_LEN];
        snprintf(msg, sizeof msg, "%s", pk_errmsg(R->ctx));
        R->sink->ops->abort(R->sink);
        R->sink = NULL;
        pk_error(R->ctx, rc, "%s", msg);
    }
    return rc;
}

int pk_tiles_raster(struct pk_store *store, const struct pk_raster_opts *opts, struct pk_raster_result *res,
                    pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct pk_raster_result dummy;
    struct run R = {.store = store, .ctx = ctx, .o = opts, .res = res ? res : &dummy, .progress = progress,
                    .arg = arg};
    memset(R.res, 0, sizeof *R.res);
    int rc = check_opts(ctx, opts);
    if (rc != PK_OK)
        return rc;
    R.scale = opts->scale ? opts->scale : 1;
    R.meta = METATILE_PX / (PK_RASTER_TILE * R.scale);
    pk_worker_conf_init(&R.conf, store);
    if ((rc = pk_worker_init(&R.main_w, ctx, &R.conf)) == PK_OK)
        rc = run(&R);
    pk_pool_free(R.pool);
    pk_worker_release(&R.main_w);
    pk_render_layers_free(R.layers);
    pk_style_free(R.style);
    free(R.new_path);
    return rc;
}

void pk_raster_release_caches(void)
{
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
}
