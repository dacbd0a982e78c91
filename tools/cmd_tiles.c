/* cmd_tiles.c — `plankit tiles <verb>`: vector (export vector tiles of
 * layers). A small verb table, so more verbs (preview, raster) sit next to it. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "raster_cli.h"
#include "webmap_cli.h"

#define USAGE_VECTOR                                                                              \
    "plankit tiles vector [LAYER...] -o OUT --minzoom Z --maxzoom Z [options]\n"                  \
    "  Export Mapbox Vector Tiles (2.1, Web Mercator, extent 4096, gzipped) of the layers\n"      \
    "  (every layer when none is named), one tile layer per store layer with the feature\n"       \
    "  ids and typed fields. OUT is a .mbtiles or .pmtiles file, or a folder (z/x/y.pbf and\n"    \
    "  tiles.json). Borders are simplified by one tile unit, arc by arc, so neighbouring\n"     \
    "  polygons keep identical borders at every zoom; polygons smaller than a tile unit are\n"   \
    "  kept as a small square (counted in the summary); tiles over 500 KB are reported.\n"      \
    "    -o, --output OUT      the tileset to write (refused if it exists, see --force)\n"        \
    "    --minzoom Z           lowest zoom, 0-24\n"                                               \
    "    --maxzoom Z           highest zoom, 0-24 (>= minzoom)\n"                                 \
    "    --bbox W,S,E,N        only tiles meeting this box (degrees); default the layers' extent\n" \
    "    --fields LAYER:F1,F2  keep only these fields of LAYER (repeatable)\n"                    \
    "    --coverage LAYER      add tasks, task_ids and share (as 'plankit coverage') to LAYER\n"  \
    "    --tasks               add a 'tasks' layer: each task's zones and footprints\n"           \
    "    --labels              add a 'labels' layer: a point inside each polygon, with its name\n" \
    "    --snap METRES         first make neighbouring polygons' vertices closer than this one\n" \
    "                          (borders from two sources or repaired; default 0: off)\n"        \
    "    --threads N           worker threads (default: one per CPU)\n"                           \
    "    --resume              finish an interrupted .mbtiles export (OUT.part)\n"                \
    "    --force               replace an existing OUT\n"                                         \
    "  Example: plankit tiles vector towns key_areas -o kunshan.mbtiles --minzoom 8 --maxzoom 14 \\\n" \
    "             --coverage towns --tasks --labels\n"

const char usage_tiles[] = "usage: plankit tiles <verb> [options]\n\n"
    "Verbs:\n"
    "  vector    write vector tiles of store layers (MBTiles, PMTiles or a z/x/y folder)\n"
    "  raster    draw PNG raster tiles of a MapLibre style ('plankit tiles raster --help')\n"
    "  preview   write a web map page for tiles ('plankit tiles preview --help')\n\n" USAGE_VECTOR
    "\nOptions of every verb: -s/--store PATH, -q/--quiet, -v/--verbose, -h/--help\n";

enum { OPT_MINZOOM = 1000, OPT_MAXZOOM, OPT_BBOX, OPT_FIELDS, OPT_COVERAGE, OPT_TASKS, OPT_LABELS, OPT_THREADS,
       OPT_RESUME, OPT_FORCE, OPT_SNAP };

static const struct option vector_longopts[] = {
    {"output", required_argument, NULL, 'o'}, {"minzoom", required_argument, NULL, OPT_MINZOOM},
    {"maxzoom", required_argument, NULL, OPT_MAXZOOM}, {"bbox", required_argument, NULL, OPT_BBOX},
    {"fields", required_argument, NULL, OPT_FIELDS}, {"coverage", required_argument, NULL, OPT_COVERAGE},
    {"tasks", no_argument, NULL, OPT_TASKS}, {"labels", no_argument, NULL, OPT_LABELS},
    {"threads", required_argument, NULL, OPT_THREADS}, {"resume", no_argument, NULL, OPT_RESUME},
    {"force", no_argument, NULL, OPT_FORCE}, {"snap", required_argument, NULL, OPT_SNAP}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
};

static int parse_count(const char *opt, const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 100000)
        return cli_usage_error("tiles vector", "%s '%s' is not a whole number >= 0", opt, s);
    *out = (int)v;
    return 0;
}

struct vector_args {
    struct pk_tiles_opts o;
    double bbox[4];
    int have_min, have_max;
};

/* Parse argv into a (a->o.layers and a->o.fields point into argv-sized
 * arrays the caller frees); returns -1 to go on, else an exit code. */
static int parse_vector(struct cli *cli, int argc, char **argv, struct vector_args *a)
{
    int opt, done = -1;
    const char **fields = calloc((size_t)argc + 1, sizeof *fields);
    if (!fields)
        return cli_usage_error("tiles vector", "out of memory");
    a->o.fields = fields;
    optind = 1;
    static const char usage[] = "usage: " USAGE_VECTOR
        "\nOptions of every verb: -s/--store PATH, -q/--quiet, -v/--verbose, -h/--help\n";
    while ((opt = cli_getopt(cli, argc, argv, "o:", vector_longopts, usage, &done)) != -1) {
        switch (opt) {
        case 'o': a->o.output = optarg; break;
        case OPT_MINZOOM: if (parse_count("--minzoom", optarg, &a->o.minzoom)) return EXIT_USAGE; a->have_min = 1; break;
        case OPT_MAXZOOM: if (parse_count("--maxzoom", optarg, &a->o.maxzoom)) return EXIT_USAGE; a->have_max = 1; break;
        case OPT_BBOX:
            if (cli_parse_numbers(optarg, a->bbox, 4) != 0)
                return cli_usage_error("tiles vector", "--bbox '%s': expected W,S,E,N in degrees", optarg);
            a->o.bbox = a->bbox;
            break;
        case OPT_FIELDS: fields[a->o.nfields++] = optarg; break;
        case OPT_COVERAGE: a->o.coverage_layer = optarg; break;
        case OPT_TASKS: a->o.tasks = 1; break;
        case OPT_LABELS: a->o.labels = 1; break;
        case OPT_THREADS: if (parse_count("--threads", optarg, &a->o.threads)) return EXIT_USAGE; break;
        case OPT_RESUME: a->o.resume = 1; break;
        case OPT_FORCE: a->o.force = 1; break;
        case OPT_SNAP: {
            char *end;
            a->o.snap_m = strtod(optarg, &end);
            if (end == optarg || *end)
                return cli_usage_error("tiles vector", "--snap '%s' is not a distance in metres", optarg);
            break;
        }
        default: return EXIT_USAGE;
        }
    }
    if (done >= 0)
        return done;
    a->o.layers = (const char *const *)argv + optind;
    a->o.nlayers = argc - optind;
    if (!a->o.output)
        return cli_usage_error("tiles vector", "give -o OUT (.mbtiles, .pmtiles or a folder)");
    if (!a->have_min || !a->have_max)
        return cli_usage_error("tiles vector", "give --minzoom Z and --maxzoom Z");
    return -1;
}

static void print_summary(const struct pk_tiles_opts *o, const struct pk_tiles_result *r)
{
    fprintf(stderr, "plankit: tiles vector: %lld tiles (%.1f KB) of %lld features written to '%s', zooms %d-%d\n",
            r->tiles, r->bytes / 1024.0, r->features, o->output, o->minzoom, o->maxzoom);
    if (r->tiles_resumed)
        fprintf(stderr, "plankit: tiles vector: %lld tiles were already written (resumed)\n", r->tiles_resumed);
    fprintf(stderr, "plankit: tiles vector: %lld polygons smaller than a tile unit kept as a small square "
            "(summed over zooms); %lld feature pieces collapsed on the grid and dropped\n", r->kept_tiny, r->dropped);
    if (r->big_tiles)
        fprintf(stderr, "plankit: warning: %lld tiles over 500 KB gzipped; the largest is %d/%u/%u, %.1f KB\n",
                r->big_tiles, r->largest_z, r->largest_x, r->largest_y, r->largest_tile / 1024.0);
}

static int verb_vector(struct cli *cli, int argc, char **argv)
{
    struct vector_args a;
    memset(&a, 0, sizeof a);
    a.o.threads = cli->threads; /* $PLANKIT_THREADS; --threads overrides */
    int code = parse_vector(cli, argc, argv, &a);
    if (code >= 0) {
        free((void *)a.o.fields);
        return code;
    }
    struct pk_store *store = cli_open_store(cli);
    if (!store) {
        free((void *)a.o.fields);
        return EXIT_FAIL;
    }
    struct pk_tiles_result res;
    int rc = pk_tiles_vector(store, &a.o, &res, cli_progress, cli);
    cli_progress_done(cli);
    pk_store_close(store);
    if (rc == PK_OK && !cli->quiet)
        print_summary(&a.o, &res);
    free((void *)a.o.fields);
    return rc == PK_OK ? EXIT_OK : cli_fail(cli, rc);
}

int cmd_tiles(struct cli *cli, int argc, char **argv)
{
    static const char *const names[] = {"vector", "preview", "raster"};
    static int (*const fns[])(struct cli *, int, char **) = {verb_vector, cmd_tiles_preview, cmd_tiles_raster};
    return cli_dispatch_verb(cli, "tiles", usage_tiles, argc, argv, names, fns, sizeof names / sizeof names[0]);
}
