/* cmd_map.c — `plankit map`: a printed map (or atlas) of the store drawn
 * with a MapLibre style into PDF, SVG or PNG. Arguments and printing only:
 * the map is pk_map's (include/plankit/map.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

const char usage_map[] =
    "usage: plankit map --style STYLE -o OUT.pdf|OUT.svg|OUT.png [options]\n"
    "\n"
    "Draw a printable map of the store with a MapLibre style (v8; each style layer's\n"
    "source-layer names a store layer): PDF or SVG as vectors with real text (fonts\n"
    "embedded in the PDF), PNG at --dpi. The furniture: title and subtitle, a legend of\n"
    "what the style drew on the page, a scale bar true at the map's centre, a north\n"
    "arrow (true north; grid north marked when the CRS turns them apart), the source\n"
    "and date, and a frame. A style that reads tasks, task_ids or share of a layer that\n"
    "has no such field (styles/coverage.json) gets the numbers 'plankit coverage --by\n"
    "LAYER' prints, computed now; the tile layers 'labels' and 'tasks' the styles name\n"
    "are made from the store. The file is written under a temporary name and moved\n"
    "into place: a failed map leaves no file.\n"
    "\n"
    "Options:\n"
    "  --style STYLE          the style file (e.g. styles/zones.json)\n"
    "  -o, --output OUT       .pdf, .svg or .png; with --each, {name} in OUT writes one\n"
    "                         file per feature (a PDF without {name} gets one page each)\n"
    "  --extent LAYER[:FEATURE]  fit this layer, or one feature (its key, fid, code or\n"
    "                         name); default: the task's zones with --task, else every\n"
    "                         feature the style's layers hold\n"
    "  --bbox W,S,E,N         fit this box instead (degrees)\n"
    "  --size SIZE            A0, A1, A2, A3, A4 (default), WxHmm or WxHpx (pixels at --dpi)\n"
    "  --landscape            turn the page (A sizes are portrait otherwise)\n"
    "  --dpi N                PNG resolution, 10-2400 (default 300; PDF and SVG are vectors)\n"
    "  --crs EPSG:N|metric    the map's CRS: default EPSG:3857 (Web Mercator); 'metric' (the\n"
    "                         store's metric CRS, EPSG:4549 for Kunshan) for print-accurate maps\n"
    "  --title T, --subtitle S   the heading (default title: the style's name)\n"
    "  --legend auto|off      the legend (default auto)\n"
    "  --no-scalebar, --no-north  leave out the scale bar or the north arrow\n"
    "  --task ID              highlight a task's zones and footprints and print its title\n"
    "  --each LAYER           an atlas: one page per feature of LAYER, zoomed to it, the\n"
    "                         other features of LAYER in grey, titled with its name\n"
    "  --tasks                with --each: list on each page the tasks touching its feature\n"
    "  --source TEXT          the source line (default: the store's file name)\n"
    "  --date TEXT            the date on the source line (default: today, YYYY-MM-DD)\n"
    "  --format json          print what was drawn (files, scale, legend) as JSON on stdout\n"
    "\n"
    "Examples:\n"
    "  plankit map --style styles/zones.json --extent city --size A3 --landscape \\\n"
    "      --crs EPSG:4549 --title '昆山市 区镇与重点片区' -o zones.pdf\n"
    "  plankit map --style styles/coverage.json --extent city -o coverage.png --dpi 150\n"
    "  plankit map --style styles/zones.json --each towns --tasks -o towns-atlas.pdf\n";

enum { OPT_STYLE = 1000, OPT_EXTENT, OPT_BBOX, OPT_SIZE, OPT_LANDSCAPE, OPT_DPI, OPT_CRS, OPT_TITLE, OPT_SUBTITLE,
       OPT_LEGEND, OPT_NO_SCALEBAR, OPT_NO_NORTH, OPT_TASK, OPT_EACH, OPT_TASKS, OPT_SOURCE, OPT_DATE };

static const struct option longopts[] = {
    {"style", required_argument, NULL, OPT_STYLE}, {"output", required_argument, NULL, 'o'},
    {"extent", required_argument, NULL, OPT_EXTENT}, {"bbox", required_argument, NULL, OPT_BBOX},
    {"size", required_argument, NULL, OPT_SIZE}, {"landscape", no_argument, NULL, OPT_LANDSCAPE},
    {"dpi", required_argument, NULL, OPT_DPI}, {"crs", required_argument, NULL, OPT_CRS},
    {"title", required_argument, NULL, OPT_TITLE}, {"subtitle", required_argument, NULL, OPT_SUBTITLE},
    {"legend", required_argument, NULL, OPT_LEGEND}, {"no-scalebar", no_argument, NULL, OPT_NO_SCALEBAR},
    {"no-north", no_argument, NULL, OPT_NO_NORTH}, {"task", required_argument, NULL, OPT_TASK},
    {"each", required_argument, NULL, OPT_EACH}, {"tasks", no_argument, NULL, OPT_TASKS},
    {"source", required_argument, NULL, OPT_SOURCE}, {"date", required_argument, NULL, OPT_DATE},
    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
};

struct map_args {
    struct pk_map_opts o;
    double bbox[4];
    const char *size;
    int landscape;
    char today[16];
};

/* "EPSG:N", N or "metric" into *srid; -1 when it is none. */
static int parse_crs(const char *s, int *srid)
{
    long long n;
    if (!strcmp(s, "metric"))
        return *srid = PK_MAP_METRIC, 0;
    if (!strncasecmp(s, "EPSG:", 5))
        s += 5;
    if (cli_parse_integer(s, 1024, 999999, &n) != 0)
        return -1;
    *srid = (int)n;
    return 0;
}

/* One option into a; -1 to go on, else an exit code. */
static int take_option(struct map_args *a, int opt)
{
    long long n;
    switch (opt) {
    case 'o': a->o.output = optarg; break;
    case OPT_STYLE: a->o.style = optarg; break;
    case OPT_EXTENT: a->o.extent = optarg; break;
    case OPT_BBOX:
        if (cli_parse_numbers(optarg, a->bbox, 4) != 0 || !(a->bbox[2] > a->bbox[0]) || !(a->bbox[3] > a->bbox[1]))
            return cli_usage_error("map", "--bbox '%s': expected W,S,E,N in degrees, west < east, south < north",
                                   optarg);
        a->o.bbox = a->bbox;
        break;
    case OPT_SIZE: a->size = optarg; break;
    case OPT_LANDSCAPE: a->landscape = 1; break;
    case OPT_DPI:
        if (cli_parse_integer(optarg, PK_MAP_MIN_DPI, PK_MAP_MAX_DPI, &n) != 0)
            return cli_usage_error("map", "--dpi '%s' is not a whole number from %d to %d", optarg, PK_MAP_MIN_DPI,
                                   PK_MAP_MAX_DPI);
        a->o.dpi = (int)n;
        break;
    case OPT_CRS:
        if (parse_crs(optarg, &a->o.srid) != 0)
            return cli_usage_error("map", "--crs '%s' is not EPSG:N or metric", optarg);
        break;
    case OPT_TITLE: a->o.title = optarg; break;
    case OPT_SUBTITLE: a->o.subtitle = optarg; break;
    case OPT_LEGEND:
        if (strcmp(optarg, "auto") && strcmp(optarg, "off"))
            return cli_usage_error("map", "--legend '%s': give auto or off", optarg);
        a->o.no_legend = !strcmp(optarg, "off");
        break;
    case OPT_NO_SCALEBAR: a->o.no_scalebar = 1; break;
    case OPT_NO_NORTH: a->o.no_north = 1; break;
    case OPT_TASK: a->o.task = optarg; break;
    case OPT_EACH: a->o.each = optarg; break;
    case OPT_TASKS: a->o.each_tasks = 1; break;
    case OPT_SOURCE: a->o.source = optarg; break;
    case OPT_DATE: a->o.date = optarg; break;
    default: return EXIT_USAGE;
    }
    return -1;
}

static int parse_args(struct cli *cli, int argc, char **argv, struct map_args *a)
{
    int opt, done = -1, code;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, "o:", longopts, usage_map, &done)) != -1)
        if ((code = take_option(a, opt)) >= 0)
            return code;
    if (done >= 0)
        return done;
    if (optind < argc)
        return cli_usage_error("map", "unexpected argument '%s'", argv[optind]);
    if (!a->o.style)
        return cli_usage_error("map", "give --style STYLE (e.g. styles/zones.json)");
    if (!a->o.output)
        return cli_usage_error("map", "give -o OUT (.pdf, .svg or .png)");
    if (a->o.each_tasks && !a->o.each)
        return cli_usage_error("map", "--tasks lists the tasks of each atlas page: it needs --each LAYER");
    if (pk_map_page_size(cli->ctx, a->size, a->landscape, a->o.dpi, a->o.page_mm) != PK_OK)
        return cli_usage_error("map", "%s", pk_errmsg(cli->ctx));
    return -1;
}

/* A JSON string literal of s on stdout. */
static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void print_json(const struct pk_map_result *r)
{
    printf("{\"files\": [");
    for (int i = 0; i < r->nfiles; i++)
        printf("%s", i ? ", " : ""), json_string(r->files[i]);
    printf("], \"pages\": %d, \"features\": %ld, \"labels\": %ld, \"srid\": %d, \"zoom\": %.4f, \"scale\": %.1f,\n",
           r->pages, r->features, r->labels, r->srid, r->zoom, r->scale);
    printf(" \"scalebar_m\": %.17g, \"scalebar_mm\": %.6f, \"north_deg\": %.6f,\n", r->scalebar_m, r->scalebar_mm,
           r->north_deg);
    printf(" \"bbox\": [%.17g, %.17g, %.17g, %.17g], \"frame_mm\": [%.6f, %.6f, %.6f, %.6f],\n \"legend\": [",
           r->bbox[0], r->bbox[1], r->bbox[2], r->bbox[3], r->frame_mm[0], r->frame_mm[1], r->frame_mm[2],
           r->frame_mm[3]);
    for (int i = 0; i < r->nlegend; i++)
        printf("%s", i ? ", " : ""), json_string(r->legend[i]);
    printf("]}\n");
}

int cmd_map(struct cli *cli, int argc, char **argv)
{
    struct map_args a;
    memset(&a, 0, sizeof a);
    a.o.dpi = 300;
    a.size = "A4";
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm))
        strftime(a.today, sizeof a.today, "%Y-%m-%d", &tm);
    a.o.date = a.today;
    int code = parse_args(cli, argc, argv, &a);
    if (code >= 0)
        return code;
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_map_result r;
    int rc = pk_map(store, &a.o, &r);
    pk_store_close(store);
    pk_map_fonts_release();
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (cli->format == FMT_JSON)
        print_json(&r);
    if (!cli->quiet)
        fprintf(stderr, "plankit: map: %s: %d page%s of %.0fx%.0f mm, EPSG:%d, 1:%.0f at the centre, scale bar %g m "
                "= %.1f mm, %ld features, %d legend entries\n", a.o.output, r.pages, r.pages == 1 ? "" : "s",
                a.o.page_mm[0], a.o.page_mm[1], r.srid, r.scale, r.scalebar_m, r.scalebar_mm, r.features, r.nlegend);
    pk_map_result_free(&r);
    return EXIT_OK;
}
