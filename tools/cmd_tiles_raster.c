/* cmd_tiles_raster.c — `plankit tiles raster --style STYLE -o OUT ...`:
 * PNG raster tiles of a MapLibre style drawn from the store. Arguments and
 * printing only; pk_tiles_raster (include/plankit/raster.h) does the work. */
#include <stdlib.h>
#include <string.h>

#include "plankit/raster.h"
#include "raster_cli.h"

const char usage_tiles_raster[] =
    "usage: plankit tiles raster --style STYLE -o OUT --minzoom Z --maxzoom Z [options]\n"
    "\n"
    "Draw PNG raster tiles (256x256, or 512x512 with --scale 2; Web Mercator, XYZ) of a\n"
    "MapLibre style straight from the store: each style layer's source-layer names a store\n"
    "layer ('labels' stands for a point inside each named polygon, as in the vector tiles).\n"
    "Antialiased with Cairo; Chinese labels with Pango and Noto Sans CJK, with halos, placed\n"
    "once per zoom so no two collide and none is cut at a tile edge. A tile of zoom z looks\n"
    "like the web map (MapLibre) at zoom z-1, the same map scale. OUT is a .mbtiles\n"
    "(format png) or .pmtiles file, or a folder of z/x/y.png with tiles.json; it is written\n"
    "under a temporary name and moved into place when complete.\n"
    "\n"
    "Options:\n"
    "  --style STYLE         the MapLibre style (e.g. styles/zones.json)\n"
    "  -o, --output OUT      the tileset to write (refused if it exists, see --force)\n"
    "  --minzoom Z           lowest zoom, 0-22\n"
    "  --maxzoom Z           highest zoom, 0-22 (>= minzoom)\n"
    "  --bbox W,S,E,N        only tiles meeting this box (degrees); default the extent of the\n"
    "                        layers the style draws\n"
    "  --scale 1|2           256-pixel tiles (1, default) or 512-pixel tiles for high-DPI screens\n"
    "  --threads N           drawing threads (default or 0: one per CPU, or $PLANKIT_THREADS)\n"
    "  --force               replace an existing OUT (once the new tiles are complete)\n"
    "  -q, -v, -h            quiet (no progress or summary), verbose, this help\n"
    "\n"
    "Example:\n"
    "  plankit tiles raster --style styles/zones.json -o kunshan-zones.mbtiles --minzoom 8 --maxzoom 14\n";

enum { OPT_STYLE = 1000, OPT_MINZOOM, OPT_MAXZOOM, OPT_BBOX, OPT_SCALE, OPT_THREADS, OPT_FORCE };

static const struct option longopts[] = {
    {"style", required_argument, NULL, OPT_STYLE}, {"output", required_argument, NULL, 'o'},
    {"minzoom", required_argument, NULL, OPT_MINZOOM}, {"maxzoom", required_argument, NULL, OPT_MAXZOOM},
    {"bbox", required_argument, NULL, OPT_BBOX}, {"scale", required_argument, NULL, OPT_SCALE},
    {"threads", required_argument, NULL, OPT_THREADS}, {"force", no_argument, NULL, OPT_FORCE},
    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
};

/* A whole number lo..hi into *out; 0, or -1 with the usage error printed. */
static int parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        cli_usage_error("tiles raster", "%s '%s' is not a whole number from %d to %d", opt, s, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

struct raster_args {
    struct pk_raster_opts o;
    double bbox[4];
    int have_min, have_max;
};

/* Returns -1 to go on, else an exit code. */
static int parse_args(struct cli *cli, int argc, char **argv, struct raster_args *a)
{
    int opt, done = -1;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, "o:", longopts, usage_tiles_raster, &done)) != -1) {
        int bad = 0;
        switch (opt) {
        case OPT_STYLE: a->o.style = optarg; break;
        case 'o': a->o.output = optarg; break;
        case OPT_MINZOOM: bad = parse_int("--minzoom", optarg, 0, PK_RASTER_MAX_ZOOM, &a->o.minzoom); a->have_min = 1; break;
        case OPT_MAXZOOM: bad = parse_int("--maxzoom", optarg, 0, PK_RASTER_MAX_ZOOM, &a->o.maxzoom); a->have_max = 1; break;
        case OPT_SCALE: bad = parse_int("--scale", optarg, 1, 2, &a->o.scale); break;
        case OPT_THREADS: bad = parse_int("--threads", optarg, 0, 1024, &a->o.threads); break;
        case OPT_FORCE: a->o.force = 1; break;
        case OPT_BBOX:
            if (cli_parse_numbers(optarg, a->bbox, 4) != 0)
                return cli_usage_error("tiles raster", "--bbox '%s': expected W,S,E,N in degrees", optarg);
            a->o.bbox = a->bbox;
            break;
        default: return EXIT_USAGE;
        }
        if (bad)
            return EXIT_USAGE;
    }
    if (done >= 0)
        return done;
    if (optind < argc)
        return cli_usage_error("tiles raster", "unexpected argument '%s'", argv[optind]);
    if (!a->o.style)
        return cli_usage_error("tiles raster", "give --style STYLE (a MapLibre style, e.g. styles/zones.json)");
    if (!a->o.output)
        return cli_usage_error("tiles raster", "give -o OUT (.mbtiles, .pmtiles or a folder)");
    if (!a->have_min || !a->have_max)
        return cli_usage_error("tiles raster", "give --minzoom Z and --maxzoom Z");
    return -1;
}

int cmd_tiles_raster(struct cli *cli, int argc, char **argv)
{
    struct raster_args a;
    memset(&a, 0, sizeof a);
    a.o.threads = cli->threads; /* $PLANKIT_THREADS; --threads overrides */
    int code = parse_args(cli, argc, argv, &a);
    if (code >= 0)
        return code;
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_raster_result res;
    int rc = pk_tiles_raster(store, &a.o, &res, cli_progress, cli);
    cli_progress_done(cli);
    pk_store_close(store);
    pk_raster_release_caches(); /* nothing draws after this */
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (!cli->quiet)
        fprintf(stderr, "plankit: tiles raster: %lld PNG tiles (%.1f KB) written to '%s', zooms %d-%d, "
                "bbox %.4f,%.4f,%.4f,%.4f; %lld labels placed, %lld left out to avoid overlaps\n",
                res.tiles, res.bytes / 1024.0, a.o.output, a.o.minzoom, a.o.maxzoom, res.bounds[0], res.bounds[1],
                res.bounds[2], res.bounds[3], res.labels, res.labels_dropped);
    return EXIT_OK;
}
