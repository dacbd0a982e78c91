/* tiler.c — `plankit tiles vector`: pk_tiles_vector checks its options,
 * resolves the layers (tiler_layers.c), reads and projects the features
 * once across a pool of workers (tiler_read.c, plus the coverage, tasks and
 * labels of tiler_extra.c), opens the sink (or reopens an interrupted
 * MBTiles export for resume) and makes every zoom (tiler_zoom.c). */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tile_clip_int.h"
#include "tiler_arcs_int.h"
#include "tiler_snap_int.h"
#include "tiler_zoom_int.h"


static int check_opts(struct pk_ctx *ctx, const struct pk_tiles_opts *o)
{
    if (!o->output || !o->output[0])
        return pk_error(ctx, PK_ERR_ARGS, "tiles: an output (-o FILE.mbtiles|FILE.pmtiles|FOLDER) is required");
    if (o->minzoom < 0 || o->maxzoom > PK_TILES_MAX_ZOOM || o->maxzoom < 0 || o->minzoom > PK_TILES_MAX_ZOOM)
        return pk_error(ctx, PK_ERR_ARGS, "tiles: zooms %d..%d: zooms go from 0 to %d", o->minzoom, o->maxzoom,
                        PK_TILES_MAX_ZOOM);
    if (o->minzoom > o->maxzoom)
        return pk_error(ctx, PK_ERR_ARGS, "tiles: minzoom %d is greater than maxzoom %d", o->minzoom, o->maxzoom);
    const double *b = o->bbox;
    if (b && !(b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[0] < b[2] && b[1] < b[3]))
        return pk_error(ctx, PK_ERR_ARGS, "tiles: bbox %g,%g,%g,%g is not W,S,E,N within the world with W < E and S < N",
                        b[0], b[1], b[2], b[3]);
    if (o->resume && pk_tile_sink_for_path(o->output) != &pk_tile_mbtiles_ops)
        return pk_error(ctx, PK_ERR_ARGS, "tiles: --resume works with .mbtiles outputs only");
    if (!(o->snap_m >= 0 && o->snap_m <= 10000))
        return pk_error(ctx, PK_ERR_ARGS, "tiles: snap distance %g m: expected 0 to 10000 metres", o->snap_m);
    if (o->resume && o->force)
        return pk_error(ctx, PK_ERR_ARGS, "tiles: --resume and --force exclude each other");
    struct stat st;
    if (!o->force && lstat(o->output, &st) == 0)
        return pk_error(ctx, PK_ERR_EXISTS, "tiles: output '%s' exists (use --force to replace it)", o->output);
    return PK_OK;
}

static double grid_lon(double g, const struct tl_grid *grid) { return g / grid->units * 360.0 - 180.0; }
static double grid_lat(double g, const struct tl_grid *grid)
{
    return atan(sinh(M_PI * (1 - 2 * g / grid->units))) * 180.0 / M_PI;
}
static double lon_grid(double lon, const struct tl_grid *grid) { return (lon + 180.0) / 360.0 * grid->units; }
static double lat_grid(double lat, const struct tl_grid *grid)
{
    double lim = 85.0511287798066, r = (lat > lim ? lim : lat < -lim ? -lim : lat) * M_PI / 180.0;
    return (1 - log(tan(r) + 1 / cos(r)) / M_PI) / 2 * grid->units;
}

/* The export's extent: bbox, else the features' grid box; as degrees in
 * bounds and as tile ranges per zoom in R->range. */
static void set_extent(struct tl_run *R, double bounds[4])
{
    const struct tl_grid *g = R->grid;
    double box[4] = {0, 0, 0, 0};
    if (R->opts->bbox) {
        const double *b = R->opts->bbox;
        box[0] = lon_grid(b[0], g), box[2] = lon_grid(b[2], g), box[1] = lat_grid(b[3], g), box[3] = lat_grid(b[1], g);
    } else
        for (size_t i = 0, first = 1; i < R->F->n; i++) {
            const struct tl_feature *f = &R->F->f[i];
            if (f->npts == 0)
                continue;
            for (int k = 0; k < 2; k++) {
                box[k] = first || f->box[k] < box[k] ? f->box[k] : box[k];
                box[k + 2] = first || f->box[k + 2] > box[k + 2] ? f->box[k + 2] : box[k + 2];
            }
            first = 0;
        }
    bounds[0] = grid_lon(box[0], g), bounds[2] = grid_lon(box[2], g);
    bounds[1] = grid_lat(box[3], g), bounds[3] = grid_lat(box[1], g);
    for (int z = 0; z <= PK_TILES_MAX_ZOOM; z++) {
        double scale = ldexp(1.0, z) / g->units, last = ldexp(1.0, z) - 1;
        for (int k = 0; k < 4; k++) {
            double t = floor(box[k] * scale);
            R->range[z][k] = (int64_t)(t < 0 ? 0 : t > last ? last : t);
        }
    }
}

/* The tileset's metadata; layers and fields point into L (and lm, fields,
 * which the caller frees). */
static int make_meta(struct pk_ctx *ctx, const struct tl_run *R, const double bounds[4], struct pk_tile_meta *m,
                     struct pk_tile_layer_meta **lm, struct pk_tile_field **fields, char *name, size_t size)
{
    const struct tl_layers *L = R->L;
    const char *base = strrchr(R->opts->output, '/');
    snprintf(name, size, "%s", base && base[1] ? base + 1 : R->opts->output);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    int nf = 0;
    for (int i = 0; i < L->n; i++)
        nf += L->l[i].nfields;
    *lm = calloc((size_t)L->n, sizeof **lm);
    *fields = calloc((size_t)nf + 1, sizeof **fields);
    if (!*lm || !*fields)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    for (int i = 0, k = 0; i < L->n; i++) {
        (*lm)[i] = (struct pk_tile_layer_meta){L->l[i].name, NULL, *fields + k, L->l[i].nfields, R->opts->minzoom,
                                               R->opts->maxzoom};
        for (int j = 0; j < L->l[i].nfields; j++, k++)
            (*fields)[k] = (struct pk_tile_field){L->l[i].fields[j], L->l[i].types[j] == PK_MVT_STRING ? "String"
                                                                     : L->l[i].types[j] == PK_MVT_BOOL ? "Boolean"
                                                                                                        : "Number"};
    }
    *m = (struct pk_tile_meta){.name = name, .description = "plankit vector tiles",
                               .bounds = {bounds[0], bounds[1], bounds[2], bounds[3]},
                               .center = {(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, R->opts->minzoom},
                               .minzoom = R->opts->minzoom, .maxzoom = R->opts->maxzoom, .layers = *lm,
                               .nlayers = L->n};
    return PK_OK;
}

/* Open the sink: reopen an interrupted MBTiles export when resuming and one
 * is there, else replace (force) or create the output. */
static int open_sink(struct tl_run *R, const struct pk_tile_meta *m)
{
    const struct pk_tiles_opts *o = R->opts;
    const struct pk_tile_sink_ops *ops = pk_tile_sink_for_path(o->output);
    if (o->resume) {
        int rc = pk_mbtiles_resume(R->ctx, o->output, m, &R->sink);
        if (rc == PK_OK) {
            R->resumed = 1;
            return PK_OK;
        }
        if (rc != PK_ERR_NOTFOUND)
            return rc;
        pk_error_clear(R->ctx);
    }
    struct stat st;
    if (o->force && lstat(o->output, &st) == 0 && pk_tile_remove_tree(o->output) != 0)
        return pk_error(R->ctx, PK_ERR_IO, "tiles: cannot remove the existing '%s'", o->output);
    return ops->open(R->ctx, o->output, m, &R->sink);
}

/* Snap each store layer's polygons to each other (tiler_snap.c); the
 * features of a layer are consecutive in F. */
static int snap_layers(struct tl_run *R, struct tl_features *F)
{
    double unit_m = 2 * PK_MERCATOR_HALF / R->grid->units;
    int32_t tol = (int32_t)(R->opts->snap_m / unit_m + 0.5);
    for (size_t a = 0, b; a < F->n; a = b) {
        for (b = a + 1; b < F->n && F->f[b].layer == F->f[a].layer;)
            b++;
        int rc = tol > 0 ? tl_snap_polygons(R->ctx, F, a, b, tol) : PK_OK;
        if (rc != PK_OK)
            return rc;
    }
    return PK_OK;
}

/* Repeated points out of every feature, then each layer's junctions (the
 * ends of its shared borders, tiler_arcs.c); a layer's features are
 * consecutive in F. */
static int mark_topology(struct tl_run *R, struct tl_features *F)
{
    for (size_t i = 0; i < F->n; i++)
        tl_feature_dedup(&F->f[i]);
    for (size_t a = 0, b; a < F->n; a = b) {
        for (b = a + 1; b < F->n && F->f[b].layer == F->f[a].layer;)
            b++;
        int rc = tl_mark_junctions(R->ctx, F, a, b);
        if (rc != PK_OK)
            return rc;
    }
    return PK_OK;
}

/* Read everything, open the sink and make every zoom. */
static int run(struct pk_store *store, struct tl_run *R, struct tl_features *F)
{
    struct pk_ctx *ctx = R->ctx;
    int rc = tl_read_features(store, R->pool, R->main_w, R->L, R->grid, F);
    malloc_trim(0); /* what reading left free goes back before the rest grows */
    if (rc == PK_OK)
        rc = snap_layers(R, F);
    if (rc == PK_OK && R->L->coverage >= 0)
        rc = tl_add_coverage(store, R->L, F);
    if (rc == PK_OK && R->L->tasks >= 0)
        rc = tl_add_tasks(store, R->main_w, R->L, R->grid, F);
    if (rc == PK_OK && R->L->labels >= 0)
        rc = tl_add_labels(ctx, R->L, F);
    if (rc == PK_OK)
        rc = mark_topology(R, F);
    malloc_trim(0);
    R->res->features = (long long)F->n;
    double bounds[4];
    struct pk_tile_meta meta;
    struct pk_tile_layer_meta *lm = NULL;
    struct pk_tile_field *fields = NULL;
    char name[256];
    if (rc == PK_OK) {
        set_extent(R, bounds);
        rc = make_meta(ctx, R, bounds, &meta, &lm, &fields, name, sizeof name);
    }
    if (rc == PK_OK)
        rc = open_sink(R, &meta);
    for (int z = R->opts->minzoom; rc == PK_OK && z <= R->opts->maxzoom; z++) {
        rc = tl_tile_zoom(R, z);
        malloc_trim(0); /* the zoom's pieces, freed, go back */
    }
    if (R->sink) {
        if (rc == PK_OK)
            rc = R->sink->ops->finish(R->sink);
        else {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", pk_errmsg(ctx));
            R->sink->ops->abort(R->sink);
            pk_error(ctx, rc, "%s", msg);
        }
        R->sink = NULL;
    }
    free(lm);
    free(fields);
    return rc;
}

int pk_tiles_vector(struct pk_store *store, const struct pk_tiles_opts *opts, struct pk_tiles_result *res,
                    pk_progress_fn progress, void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    struct pk_tiles_result local;
    res = res ? res : &local;
    memset(res, 0, sizeof *res);
    int rc = check_opts(ctx, opts);
    if (rc != PK_OK)
        return rc;
    struct tl_layers L = {0};
    struct tl_features F = {0};
    int gz = opts->maxzoom < TL_GRID_MAX_ZOOM ? opts->maxzoom : TL_GRID_MAX_ZOOM;
    struct tl_grid grid = {gz, ldexp((double)TL_EXTENT, gz)};
    struct tl_run R = {.ctx = ctx, .opts = opts, .L = &L, .F = &F, .grid = &grid, .res = res,
                       .progress = progress, .progress_arg = arg};
    struct pk_worker_conf conf;
    struct pk_worker main_w;
    int main_ready = 0;
    rc = tl_layers_resolve(store, opts, &L);
    pk_worker_conf_init(&conf, store);
    if (rc == PK_OK && (rc = pk_worker_init(&main_w, ctx, &conf)) == PK_OK) {
        main_ready = 1;
        R.main_w = &main_w;
        R.pool = pk_pool_new(pk_pool_threads(opts->threads), pk_worker_new,
                             pk_worker_free, &conf);
        rc = R.pool ? run(store, &R, &F) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    pk_pool_free(R.pool);
    if (main_ready)
        pk_worker_release(&main_w);
    tl_features_free(&F);
    tl_layers_free(&L);
    return rc;
}
