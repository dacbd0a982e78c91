/* cmd_overlay.c — `plankit overlay`, `plankit buffer` and `plankit dissolve`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char usage_overlay[] =
    "usage: plankit overlay OP A B [-o OUT] [--fields F] [--where-a EXPR] [--where-b EXPR]\n"
    "                       [--threads N] [--min-area M2] [--summary [--long]]\n"
    "\n"
    "Overlay two polygon layers. A and B are store layers or files GDAL reads. OUT is a new\n"
    "store layer (a plain name) or a file (its extension picks the format: .gpkg, .geojson,\n"
    ".shp, .csv, .fgb, ...). Each piece carries a_fid, b_fid, the parents' attributes (a_/b_\n"
    "prefixed where names clash, so a_accuracy and b_accuracy when both have `accuracy`)\n"
    "and area_m2 in the store's metric CRS. A store layer OUT inherits the inputs'\n"
    "provenance and accuracy (its class in 'plankit layer list' is the worse of the two);\n"
    "a note on stderr names the inputs that are schematic (-q hides it).\n"
    "\n"
    "Pieces are cut in the store's CRS, as PostGIS or QGIS would cut them; their areas are\n"
    "measured in the metric CRS along the curves that straight store edges become there,\n"
    "so they add up exactly: identity and union partition their inputs, erase + clip = A.\n"
    "Pairs where one side is an axis-aligned rectangle (grid cells, map sheets) go to a\n"
    "fast rectangle clipper; PLANKIT_OVERLAY_VERIFY=1 checks each of its pieces against\n"
    "GEOS. Pieces with no real area (rounding debris along shared borders: under 0.01 m²,\n"
    "or under 1e-9 of the squared diagonal of their extent) are never written; their area\n"
    "stays with the neighbouring piece. Inputs from the store are valid already; files\n"
    "given as A or B are repaired as they are loaded.\n"
    "\n"
    "OP:\n"
    "  intersection   a ∩ b for every overlapping pair\n"
    "  union          intersection pieces, plus A outside B and B outside A\n"
    "  difference     each a minus B (A's attributes); erase is the same\n"
    "  symdifference  A outside B and B outside A\n"
    "  identity       A split by B: intersection pieces plus A outside B\n"
    "  clip           each a's part inside B (A's attributes only)\n"
    "  erase          each a's part outside B (A's attributes only)\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT    where the result goes (a new layer name or a file)\n"
    "  --fields F          attributes to keep: a.name,b.code or plain names (both sides)\n"
    "  --where-a EXPR      SQL condition on A's attributes, e.g. \"category = 'town'\"\n"
    "  --where-b EXPR      the same for B\n"
    "  --threads N         worker threads (default: PLANKIT_THREADS or one per CPU); the\n"
    "                      output is the same whatever N\n"
    "  --min-area M2       drop pieces smaller than M2 square metres (slivers) and report\n"
    "                      how many and their total area (default 0: keep all)\n"
    "  --summary           print the area matrix of A × B (on a terminal km² and % of A's area;\n"
    "                      in csv/json areas in m² and shares as fractions)\n"
    "  --long              with --summary: one row per overlapping pair\n"
    "  --format FMT        of the summary: table (default), csv or json\n"
    "  -s, --store PATH, -q, -v, -h\n"
    "\n"
    "The result is written in one transaction (a file under a temporary name): Ctrl-C or a\n"
    "kill never leaves a half-written layer or file.\n"
    "Examples:\n"
    "  plankit overlay intersection key_areas towns --summary\n"
    "  plankit overlay erase key_areas demo_zone -o key_areas_outside_demo\n"
    "  plankit overlay identity towns sci_zones -o towns_by_zone.gpkg --fields a.name,b.name\n";

const char usage_buffer[] =
    "usage: plankit buffer LAYER DISTANCE -o OUT [--dissolve] [--segments N]\n"
    "\n"
    "Buffer every feature of LAYER by DISTANCE metres (m or km suffix allowed; a negative\n"
    "DISTANCE such as -100m shrinks polygons), computed in the store's metric CRS. Output:\n"
    "one feature per input with its attributes, src_fid and area_m2, or with --dissolve\n"
    "one merged feature.\n"
    "A store layer OUT inherits LAYER's provenance and accuracy.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT   a new layer name or a file\n"
    "  --dissolve         merge all buffers into one feature\n"
    "  --segments N       segments per quarter circle (default 8)\n"
    "  -s, --store PATH, -q, -v, -h\n"
    "Examples:\n"
    "  plankit buffer metro_stations 800m --dissolve -o station_catchment\n"
    "  plankit buffer towns -100m -o towns_inner\n";

const char usage_dissolve[] =
    "usage: plankit dissolve LAYER [--by FIELD] -o OUT\n"
    "\n"
    "Merge the features of LAYER that share a value of FIELD (all of them without --by)\n"
    "into one feature each, with the value, the number of features and area_m2.\n"
    "A store layer OUT inherits LAYER's provenance and accuracy.\n"
    "\n"
    "Options:\n"
    "  --by FIELD         the field to group by (default: none, all features become one)\n"
    "  -o, --output OUT   a new layer name or a file\n"
    "  -s, --store PATH, -q, -v, -h\n"
    "Examples:\n"
    "  plankit dissolve towns --by category -o town_categories\n"
    "  plankit dissolve towns -o city_outline.gpkg\n";

enum { OPT_FIELDS = 1000, OPT_WHERE_A, OPT_WHERE_B, OPT_THREADS, OPT_MIN_AREA, OPT_SUMMARY, OPT_LONG,
       OPT_DISSOLVE, OPT_SEGMENTS, OPT_BY };

static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'}, {"fields", required_argument, NULL, OPT_FIELDS},
    {"where-a", required_argument, NULL, OPT_WHERE_A}, {"where-b", required_argument, NULL, OPT_WHERE_B},
    {"threads", required_argument, NULL, OPT_THREADS}, {"min-area", required_argument, NULL, OPT_MIN_AREA},
    {"summary", no_argument, NULL, OPT_SUMMARY}, {"long", no_argument, NULL, OPT_LONG},
    {"dissolve", no_argument, NULL, OPT_DISSOLVE}, {"segments", required_argument, NULL, OPT_SEGMENTS},
    {"by", required_argument, NULL, OPT_BY},
    CLI_COMMON_LONGOPTS,
    {NULL, 0, NULL, 0},
};

struct an_args {
    struct pk_overlay_opts ov;
    struct pk_buffer_opts buf;
    struct pk_dissolve_opts dis;
    const char *pos[4];
    int npos;
};

static int parse(struct cli *cli, int argc, char **argv, const char *cmd, const char *usage, struct an_args *a)
{
    int opt, done = -1;
    long long n;
    memset(a, 0, sizeof *a);
    a->ov.threads = a->buf.threads = a->dis.threads = cli->threads; /* --threads overrides */
    a->ov.verify = cli->overlay_verify;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, "o:", longopts, usage, &done)) != -1) {
        switch (opt) {
        case 'o': a->ov.out = a->buf.out = a->dis.out = optarg; break;
        case OPT_FIELDS: a->ov.fields = optarg; break;
        case OPT_WHERE_A: a->ov.where_a = optarg; break;
        case OPT_WHERE_B: a->ov.where_b = optarg; break;
        case OPT_THREADS:
            if (cli_parse_integer(optarg, 1, 256, &n))
                return cli_usage_error(cmd, "--threads takes a number from 1 to 256");
            a->ov.threads = (int)n;
            break;
        case OPT_MIN_AREA:
            if (cli_parse_numbers(optarg, &a->ov.min_area, 1) || a->ov.min_area < 0)
                return cli_usage_error(cmd, "--min-area takes square metres, e.g. 1");
            break;
        case OPT_SUMMARY: a->ov.summary = 1; break;
        case OPT_LONG: a->ov.summary_long = 1; break;
        case OPT_DISSOLVE: a->buf.dissolve = 1; break;
        case OPT_SEGMENTS:
            if (cli_parse_integer(optarg, 1, 1000, &n))
                return cli_usage_error(cmd, "--segments takes a number from 1 to 1000");
            a->buf.quadsegs = (int)n;
            break;
        case OPT_BY: a->dis.by = optarg; break;
        default: return cli_usage_error(cmd, "bad option");
        }
    }
    if (done >= 0)
        return done;
    for (int i = optind; i < argc; i++) {
        if (a->npos == 4)
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        a->pos[a->npos++] = argv[i];
    }
    return -1;
}

/* The wide summary as a terminal shows it: A's area in km², the share
 * outside every B feature in %, and each overlap as "km² (% of A)". The
 * library's table holds the numbers (m², fractions); CSV and JSON print
 * those. Returns a new table (caller frees) or NULL when out of memory. */
static struct pk_table *matrix_for_display(const struct pk_table *t)
{
    const char **names = calloc((size_t)t->ncols, sizeof *names);
    enum pk_col_type *types = calloc((size_t)t->ncols, sizeof *types);
    struct pk_table *d = NULL;
    if (names && types) {
        for (int c = 0; c < t->ncols; c++)
            names[c] = t->names[c], types[c] = c ? PK_COL_REAL : PK_COL_TEXT; /* (right-aligned) */
        names[1] = "area_km2", names[2] = "outside";
        d = pk_table_new(t->ncols, names, types);
    }
    free(names);
    free(types);
    for (size_t r = 0; d && r < t->nrows; r++) {
        long dr = pk_table_add_row(d);
        double area = 0, v;
        if (dr < 0)
            break;
        pk_table_set(d, (size_t)dr, 0, pk_table_get(t, r, 0));
        if (pk_table_get_real(t, r, 1, &area))
            pk_table_setf(d, (size_t)dr, 1, "%.6f", area / 1e6);
        if (pk_table_get_real(t, r, 2, &v))
            pk_table_setf(d, (size_t)dr, 2, "%.2f%%", 100.0 * v);
        for (int c = 3; c < t->ncols; c++)
            if (pk_table_get_real(t, r, c, &v))
                pk_table_setf(d, (size_t)dr, c, "%.3f (%.1f%%)", v / 1e6, area > 0 ? 100.0 * v / area : 0);
    }
    if (d && d->failed) {
        pk_table_free(d);
        d = NULL;
    }
    return d;
}

/* Print the summary: the numbers in CSV/JSON, a readable matrix on a
 * terminal. */
static int print_summary(struct cli *cli, const struct pk_table *summary, int long_form)
{
    if (long_form || cli->format != FMT_TABLE)
        return cli_print_table(cli, summary);
    struct pk_table *d = matrix_for_display(summary);
    if (!d) {
        fprintf(stderr, "plankit: overlay: out of memory\n");
        return EXIT_FAIL;
    }
    int code = cli_print_table(cli, d);
    pk_table_free(d);
    return code;
}

int cmd_overlay(struct cli *cli, int argc, char **argv)
{
    struct an_args a;
    int code = parse(cli, argc, argv, "overlay", usage_overlay, &a);
    if (code >= 0)
        return code;
    if (a.npos != 3)
        return cli_usage_error("overlay", "expected OP A B");
    if (pk_overlay_parse_op(a.pos[0], &a.ov.op) != PK_OK)
        return cli_usage_error("overlay", "unknown operation '%s': intersection, union, difference, "
                               "symdifference, identity, clip or erase", a.pos[0]);
    if (!a.ov.out && !a.ov.summary)
        return cli_usage_error("overlay", "give -o OUT or --summary");
    if (a.ov.summary && cli->format == FMT_GEOJSON)
        return cli_usage_error("overlay", "--format geojson: the --summary matrix has no geometries: use table, "
                               "csv or json (for a GeoJSON of the pieces: -o OUT.geojson)");
    a.ov.a = a.pos[1];
    a.ov.b = a.pos[2];
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_overlay_result res;
    struct pk_table *summary = NULL;
    int rc = pk_overlay(store, &a.ov, &res, a.ov.summary ? &summary : NULL, cli_progress, cli);
    cli_progress_done(cli);
    if (rc == PK_OK) {
        const char *inputs[2] = {a.ov.a, a.ov.b};
        cli_note_schematic(cli, store, inputs, 2, 0);
    }
    pk_store_close(store);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (!cli->quiet && a.ov.out)
        fprintf(stderr, "plankit: overlay %s: %lld pieces, %.6f km² written to '%s' (%lld pairs: %lld wholly "
                "inside, %lld by the rectangle clipper)\n", a.pos[0], res.pieces, res.total_area / 1e6, a.ov.out,
                res.pairs, res.covered_pairs, res.rect_pairs);
    if (!cli->quiet && res.slivers)
        fprintf(stderr, "plankit: warning: %lld sliver pieces below %g m² dropped, %.3f m² in total\n",
                res.slivers, a.ov.min_area, res.sliver_area);
    if (summary)
        code = print_summary(cli, summary, a.ov.summary_long);
    else
        code = EXIT_OK;
    pk_table_free(summary);
    return code;
}

int cmd_buffer(struct cli *cli, int argc, char **argv)
{
    struct an_args a;
    int nargs;
    char **args = cli_args_negative_ok(argc, argv, "o:", longopts, &nargs); /* buffer towns -100m */
    if (!args) {
        fprintf(stderr, "plankit: error: out of memory\n");
        return EXIT_FAIL;
    }
    int code = parse(cli, nargs, args, "buffer", usage_buffer, &a);
    free(args); /* (a keeps pointers to the strings, not to the array) */
    if (code >= 0)
        return code;
    if (a.npos != 2)
        return cli_usage_error("buffer", "expected LAYER DISTANCE");
    if (!a.buf.out)
        return cli_usage_error("buffer", "give -o OUT (a new layer name or a file)");
    if (cli_parse_metres(a.pos[1], &a.buf.distance_m))
        return cli_usage_error("buffer", "DISTANCE '%s' is not metres, e.g. 500, 500m or 1.5km", a.pos[1]);
    a.buf.layer = a.pos[0];
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    long long count = 0;
    int rc = pk_buffer(store, &a.buf, &count, cli_progress, cli);
    cli_progress_done(cli);
    pk_store_close(store);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (!cli->quiet)
        fprintf(stderr, "plankit: buffer: %lld features written to '%s'\n", count, a.buf.out);
    return EXIT_OK;
}

int cmd_dissolve(struct cli *cli, int argc, char **argv)
{
    struct an_args a;
    int code = parse(cli, argc, argv, "dissolve", usage_dissolve, &a);
    if (code >= 0)
        return code;
    if (a.npos != 1)
        return cli_usage_error("dissolve", "expected one LAYER");
    if (!a.dis.out)
        return cli_usage_error("dissolve", "give -o OUT (a new layer name or a file)");
    a.dis.layer = a.pos[0];
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    long long count = 0;
    int rc = pk_dissolve(store, &a.dis, &count, cli_progress, cli);
    cli_progress_done(cli);
    pk_store_close(store);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (!cli->quiet)
        fprintf(stderr, "plankit: dissolve: %lld features written to '%s'\n", count, a.dis.out);
    return EXIT_OK;
}
