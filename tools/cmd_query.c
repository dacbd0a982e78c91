/* cmd_query.c — `plankit coverage`, `plankit query tasks|gaps|zones` and
 * `plankit sql`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char usage_coverage[] =
    "usage: plankit coverage --by LAYER [--pillar P] [--status S] [--year Y] [--include-citywide]\n"
    "                        [--format table|csv|json|geojson]\n"
    "\n"
    "One row per feature of LAYER: how many tasks touch it, their ids, its area, the area\n"
    "covered by the tasks' footprints and linked zones (unioned, so overlaps count once)\n"
    "and the share covered, in the store's metric CRS; then the city-wide tasks and a\n"
    "totals row. A task counts for a feature when it is linked to it, or one of its zones\n"
    "or footprints overlaps it by at least 1 m² (lines and points: any contact).\n"
    "A note on stderr names the schematic layers the result rests on (LAYER and the\n"
    "layers tasks link to whose accuracy class is 'schematic ±km'; -q hides it).\n"
    "\n"
    "What covers area: a task's footprints (task attach --geom), its links with role\n"
    "covers, its located-in links to features of a zone layer (kind zone, e.g. key_areas),\n"
    "and every link of a city-wide task. Other links say where a task is or what it\n"
    "concerns: a task located in a whole town (role located-in on a district layer, or\n"
    "serves, affects, ...) counts for that town (tasks, task_ids) but covers none of its\n"
    "area. 'query tasks' shows such links with their role, e.g. towns:周庄镇 (located-in).\n"
    "To count a whole town as covered, link the task to it with --role covers.\n"
    "\n"
    "Options:\n"
    "  --by LAYER          the layer to report on (e.g. towns)\n"
    "  --pillar P          only tasks of this classification (name, English name or code,\n"
    "                      e.g. 品质之城 or PZ)\n"
    "  --status S          only tasks with this status: planned, in_progress, done, delayed,\n"
    "                      cancelled, or 计划中, 进行中, 已完成, 暂停, 已取消\n"
    "  --year Y            only tasks running in year Y\n"
    "  --include-citywide  count city-wide tasks too (they cover every feature)\n"
    "  --format FMT        table (default), csv, json, or geojson: one feature per row of\n"
    "                      LAYER, geometry in WGS84 (RFC 7946); the city-wide and totals\n"
    "                      rows then go to stderr, one line each\n"
    "  -s, --store PATH, -q, -v, -h\n"
    "Example:\n"
    "  plankit coverage --by towns --pillar 品质之城 --format csv\n";

#define USAGE_Q_TASKS                                                                           \
    "plankit query tasks --in LAYER:FEATURE | --at LON,LAT | --bbox W,S,E,N\n"                  \
    "                    | --near LAYER:FEATURE --distance 500m\n"                              \
    "                    [--pillar P] [--status S] [--year Y] [--include-citywide]\n"           \
    "  Tasks whose linked zones or footprints overlap a feature, contain a point, meet a\n"     \
    "  box (WGS84 degrees) or lie within a distance (m or km) of a feature; 'via' says how.\n"  \
    "  Example: plankit query tasks --near metro_stations:L11-10 --distance 800m\n"             \
    "  Example: plankit query tasks --in towns:周庄镇 --status 进行中\n"

#define USAGE_Q_GAPS                                                                            \
    "plankit query gaps --layer LAYER [--pillar P] [--status S] [--year Y]\n"                   \
    "  Features of LAYER that no task touches (city-wide tasks aside).\n"                       \
    "  Example: plankit query gaps --layer towns --pillar 品质之城\n"

#define USAGE_Q_ZONES                                                                           \
    "plankit query zones --task ID\n"                                                           \
    "  Every feature of the district and zone layers the task concerns, with the area of\n"    \
    "  overlap and the share of the feature.\n"                                                \
    "  Example: plankit query zones --task PZ-01 --format geojson > pz-01.geojson\n"

#define USAGE_Q_COMMON                                                                          \
    "\nOptions of every verb: --format table|csv|json|geojson (GeoJSON: WGS84, RFC 7946),\n"   \
    "-s/--store PATH, -q, -v, -h. A note on stderr names the schematic layers (accuracy\n"     \
    "class 'schematic ±km' in 'plankit layer list') the answer rests on; -q hides it.\n"

const char usage_query[] =
    "usage: plankit query <verb> [options]\n"
    "\n"
    "Verbs (each has its own help: 'plankit query VERB --help'):\n"
    "  tasks   tasks in, at or near a place, or in a box\n"
    "  gaps    features no task touches\n"
    "  zones   the features a task concerns\n"
    "\n" USAGE_Q_TASKS "\n" USAGE_Q_GAPS "\n" USAGE_Q_ZONES USAGE_Q_COMMON;

const char usage_sql[] =
    "usage: plankit sql \"SELECT ...\" [--format table|csv|json|geojson]\n"
    "\n"
    "Run one read-only SQL statement on the store, with SpatiaLite's functions (ST_Area,\n"
    "ST_Transform, ...). Layer tables are named in pk_layers.table_name; tasks are in\n"
    "pk_tasks, links in pk_task_links, footprints in pk_task_footprints. Statements that\n"
    "would write are refused (exit 1, as for any SQL error).\n"
    "Geometries are printed as WKT in the store CRS; with --format geojson each row is a\n"
    "feature whose geometry is the geometry column, in WGS84 longitude/latitude rounded\n"
    "to 7 decimals (RFC 7946). --format geojson is refused when no column is a geometry.\n"
    "Examples:\n"
    "  plankit sql \"SELECT name, ST_Area(ST_Transform(geom, 4549))/1e6 FROM lyr_3\"\n"
    "  plankit sql \"SELECT name, geom FROM lyr_3\" --format geojson > towns.geojson\n";

enum { OPT_BY = 1000, OPT_PILLAR, OPT_STATUS, OPT_YEAR, OPT_CITYWIDE, OPT_IN, OPT_AT, OPT_BBOX,
       OPT_NEAR, OPT_DISTANCE, OPT_LAYER, OPT_TASK };

static const struct option query_longopts[] = {
    {"by", required_argument, NULL, OPT_BY}, {"pillar", required_argument, NULL, OPT_PILLAR},
    {"status", required_argument, NULL, OPT_STATUS}, {"year", required_argument, NULL, OPT_YEAR},
    {"include-citywide", no_argument, NULL, OPT_CITYWIDE}, {"in", required_argument, NULL, OPT_IN},
    {"at", required_argument, NULL, OPT_AT}, {"bbox", required_argument, NULL, OPT_BBOX},
    {"near", required_argument, NULL, OPT_NEAR}, {"distance", required_argument, NULL, OPT_DISTANCE},
    {"layer", required_argument, NULL, OPT_LAYER}, {"task", required_argument, NULL, OPT_TASK},
    CLI_COMMON_LONGOPTS,
    {NULL, 0, NULL, 0},
};

struct query_args {
    struct pk_coverage_opts cov;
    struct pk_task_query q;
    const char *task;
    int probes;
};

static int parse_query_args(struct cli *cli, int argc, char **argv, const char *verb, const char *usage,
                            struct query_args *a)
{
    int opt, done = -1;
    memset(a, 0, sizeof *a);
    a->cov.threads = cli->threads;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, NULL, query_longopts, usage, &done)) != -1) {
        switch (opt) {
        case OPT_BY: case OPT_LAYER: a->cov.by_layer = optarg; break;
        case OPT_PILLAR: a->cov.classification = a->q.classification = optarg; break;
        case OPT_STATUS: a->cov.status = a->q.status = optarg; break;
        case OPT_YEAR:
            if (cli_parse_year(optarg, &a->cov.year))
                return cli_usage_error(verb, "--year '%s' is not a year (1900 to 2200)", optarg);
            a->q.year = a->cov.year;
            break;
        case OPT_CITYWIDE: a->cov.include_citywide = a->q.include_citywide = 1; break;
        case OPT_IN: a->q.probe = PK_PROBE_IN; a->q.feature = optarg; a->probes++; break;
        case OPT_NEAR: a->q.probe = PK_PROBE_NEAR; a->q.feature = optarg; a->probes++; break;
        case OPT_AT:
            a->q.probe = PK_PROBE_AT;
            a->probes++;
            double xy[2];
            if (cli_parse_numbers(optarg, xy, 2))
                return cli_usage_error(verb, "--at expects LON,LAT, e.g. 120.98,31.38");
            a->q.x = xy[0], a->q.y = xy[1];
            break;
        case OPT_BBOX:
            a->q.probe = PK_PROBE_BBOX;
            a->probes++;
            if (cli_parse_numbers(optarg, a->q.bbox, 4))
                return cli_usage_error(verb, "--bbox expects WEST,SOUTH,EAST,NORTH");
            break;
        case OPT_DISTANCE:
            if (cli_parse_metres(optarg, &a->q.distance_m) || a->q.distance_m < 0)
                return cli_usage_error(verb, "--distance '%s': expected metres, e.g. 500m or 1.5km", optarg);
            break;
        case OPT_TASK: a->task = optarg; break;
        default: return cli_usage_error(verb, "bad option");
        }
    }
    if (done >= 0)
        return done;
    if (optind < argc)
        return cli_usage_error(verb, "unexpected argument '%s'", argv[optind]);
    a->cov.with_geometry = a->q.with_geometry = cli->format == FMT_GEOJSON;
    return -1;
}

static int print_result(struct cli *cli, int rc, struct pk_table *t)
{
    cli_progress_done(cli);
    if (rc != PK_OK) {
        pk_table_free(t);
        return cli_fail(cli, rc);
    }
    int code = cli_print_table(cli, t);
    pk_table_free(t);
    return code;
}

enum query_kind { Q_COVERAGE, Q_TASKS, Q_ZONES };

/* The once-per-command note on the schematic layers a result uses: the
 * layer it is by or probes, the layers tasks link to, and (query zones) the
 * layers of its rows. */
static void note_schematic(struct cli *cli, struct pk_store *store, enum query_kind kind,
                           const struct query_args *a, const struct pk_table *t)
{
    char probe[256] = "";
    if (kind == Q_TASKS && a->q.feature) {
        snprintf(probe, sizeof probe, "%s", a->q.feature);
        char *colon = strchr(probe, ':');
        if (colon)
            *colon = '\0';
    }
    const char *one[1] = {kind == Q_COVERAGE ? a->cov.by_layer : probe};
    int col = kind == Q_ZONES ? pk_table_col(t, "layer") : -1;
    if (col < 0 || t->nrows == 0) {
        cli_note_schematic(cli, store, one, 1, 1);
        return;
    }
    const char **rows = calloc(t->nrows, sizeof *rows);
    if (!rows)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        rows[r] = pk_table_get(t, r, col);
    cli_note_schematic(cli, store, rows, t->nrows, 1);
    free(rows);
}

/* The ids joined by commas ("" for none). Caller frees; NULL when out of memory. */
static char *join_ids(char *const *ids, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(ids[i]) + 1;
    char *s = calloc(len, 1);
    for (size_t i = 0; s && i < n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, ids[i]);
    }
    return s;
}

/* The summary rows a coverage prints after its features, made from the
 * library's totals: the city-wide tasks (unless they are counted) and the
 * total, in a table with the columns of the feature table t (numbers with
 * all their digits; the printer rounds). NULL when out of memory. */
static struct pk_table *coverage_summary(const struct pk_table *t, const struct pk_coverage_totals *T,
                                         int citywide_counted)
{
    int name = pk_table_col(t, "name"), tasks = pk_table_col(t, "tasks"), ids = pk_table_col(t, "task_ids");
    int area = pk_table_col(t, "area_km2"), covered = pk_table_col(t, "covered_km2"), share = pk_table_col(t, "share");
    struct pk_table *s = pk_table_new(t->ncols, (const char *const *)t->names, t->types);
    char *city_ids = join_ids(T->citywide_ids, T->ncitywide);
    long r;
    int bad = !s || !city_ids;
    if (!bad && !citywide_counted) {
        bad = (r = pk_table_add_row(s)) < 0 || pk_table_set(s, (size_t)r, name, "(city-wide, not counted)") ||
              pk_table_set_int(s, (size_t)r, tasks, (long long)T->ncitywide) ||
              pk_table_set(s, (size_t)r, ids, city_ids);
    }
    if (!bad)
        bad = (r = pk_table_add_row(s)) < 0 || pk_table_set(s, (size_t)r, name, "(total)") ||
              pk_table_set_int(s, (size_t)r, tasks, T->tasks) ||
              pk_table_set_real(s, (size_t)r, area, T->area_m2 / 1e6) ||
              pk_table_set_real(s, (size_t)r, covered, T->covered_m2 / 1e6) ||
              (T->area_m2 > 0 && pk_table_set_real(s, (size_t)r, share, T->covered_m2 / T->area_m2));
    free(city_ids);
    if (bad) {
        pk_table_free(s);
        return NULL;
    }
    return s;
}

/* Append every row of from (same columns) to t. 0, or -1 when out of memory. */
static int append_rows(struct pk_table *t, const struct pk_table *from)
{
    const char **values = calloc((size_t)from->ncols, sizeof *values);
    for (size_t r = 0; values && r < from->nrows; r++) {
        for (int c = 0; c < from->ncols; c++)
            values[c] = pk_table_get(from, r, c);
        if (pk_table_append(t, values) < 0)
            break;
    }
    int bad = !values || t->failed;
    free(values);
    return bad ? -1 : 0;
}

/* Coverage as GeoJSON holds only features: its summary rows go to stderr,
 * one line each (unless -q): "coverage: (total): tasks=3 area_km2=2 ...". */
static void summary_to_stderr(struct cli *cli, const struct pk_table *s)
{
    int name = pk_table_col(s, "name");
    for (size_t r = 0; !cli->quiet && r < s->nrows; r++) {
        char line[1024];
        size_t used = (size_t)snprintf(line, sizeof line, "%s: %s:", cli->cmd, pk_table_get(s, r, name));
        for (int c = 0; c < s->ncols && used < sizeof line; c++) {
            const char *v = pk_table_get(s, r, c);
            if (c != name && v && s->types[c] != PK_COL_GEOJSON)
                used += (size_t)snprintf(line + used, sizeof line - used, " %s=%s", s->names[c], v);
        }
        cli_message(stderr, "plankit: ", line); /* (a long task_ids list is cut in the middle) */
    }
}

/* The coverage's summary rows (not with --gaps): appended to t, or for
 * GeoJSON printed on stderr. PK_OK or PK_ERR_NOMEM. */
static int coverage_totals_out(struct cli *cli, const struct query_args *a, struct pk_table *t,
                               const struct pk_coverage_totals *T)
{
    if (a->cov.gaps_only)
        return PK_OK;
    struct pk_table *s = coverage_summary(t, T, a->cov.include_citywide);
    int bad = !s;
    if (s && cli->format == FMT_GEOJSON)
        summary_to_stderr(cli, s);
    else if (s)
        bad = append_rows(t, s) != 0;
    pk_table_free(s);
    return bad ? pk_error(cli->ctx, PK_ERR_NOMEM, "out of memory") : PK_OK;
}

/* Open the store, run one query into a table, note schematic inputs, close, print. */
static int run_query(struct cli *cli, enum query_kind kind, struct query_args *a)
{
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_table *t = NULL;
    struct pk_coverage_totals totals = {0};
    char *pillar = NULL;
    int rc = cli_check_filters(store, &a->cov.status, &a->cov.classification, &pillar, NULL);
    a->q.status = a->cov.status;
    a->q.classification = a->cov.classification;
    if (rc == PK_OK)
        rc = kind == Q_COVERAGE ? pk_coverage_with_totals(store, &a->cov, &t, &totals, cli_progress, cli)
             : kind == Q_TASKS  ? pk_query_tasks(store, &a->q, &t)
                                : pk_query_zones(store, a->task, cli->format == FMT_GEOJSON, &t);
    if (rc == PK_OK)
        note_schematic(cli, store, kind, a, t);
    free(pillar);
    pk_store_close(store);
    if (rc == PK_OK && kind == Q_COVERAGE)
        rc = coverage_totals_out(cli, a, t, &totals);
    pk_coverage_totals_release(&totals);
    return print_result(cli, rc, t);
}

int cmd_coverage(struct cli *cli, int argc, char **argv)
{
    struct query_args a;
    int code = parse_query_args(cli, argc, argv, "coverage", usage_coverage, &a);
    if (code >= 0)
        return code;
    if (!a.cov.by_layer)
        return cli_usage_error("coverage", "--by LAYER is required");
    return run_query(cli, Q_COVERAGE, &a);
}

static int verb_tasks(struct cli *cli, int argc, char **argv)
{
    struct query_args a;
    int code = parse_query_args(cli, argc, argv, "query tasks", "usage: " USAGE_Q_TASKS USAGE_Q_COMMON, &a);
    if (code >= 0)
        return code;
    if (a.probes != 1)
        return cli_usage_error("query tasks", "give exactly one of --in, --at, --bbox or --near");
    if (a.q.probe == PK_PROBE_NEAR && a.q.distance_m <= 0)
        return cli_usage_error("query tasks", "--near needs --distance, e.g. --distance 500m");
    return run_query(cli, Q_TASKS, &a);
}

static int verb_gaps(struct cli *cli, int argc, char **argv)
{
    struct query_args a;
    int code = parse_query_args(cli, argc, argv, "query gaps", "usage: " USAGE_Q_GAPS USAGE_Q_COMMON, &a);
    if (code >= 0)
        return code;
    if (!a.cov.by_layer)
        return cli_usage_error("query gaps", "--layer LAYER is required");
    a.cov.gaps_only = 1;
    return run_query(cli, Q_COVERAGE, &a);
}

static int verb_zones(struct cli *cli, int argc, char **argv)
{
    struct query_args a;
    int code = parse_query_args(cli, argc, argv, "query zones", "usage: " USAGE_Q_ZONES USAGE_Q_COMMON, &a);
    if (code >= 0)
        return code;
    if (!a.task)
        return cli_usage_error("query zones", "--task ID is required");
    return run_query(cli, Q_ZONES, &a);
}

int cmd_query(struct cli *cli, int argc, char **argv)
{
    static const char *const names[] = {"tasks", "gaps", "zones"};
    static int (*const fns[])(struct cli *, int, char **) = {verb_tasks, verb_gaps, verb_zones};
    return cli_dispatch_verb(cli, "query", usage_query, argc, argv, names, fns, 3);
}

int cmd_sql(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    int opt, done = -1;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, NULL, longopts, usage_sql, &done)) != -1) {
        return cli_usage_error("sql", "bad option");
    }
    if (done >= 0)
        return done;
    if (argc - optind != 1)
        return cli_usage_error("sql", "expected one SQL statement");
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_table *t = NULL;
    int geojson = cli->format == FMT_GEOJSON;
    int rc = pk_sql_readonly_as(store, argv[optind], geojson ? PK_SQL_GEOM_GEOJSON : PK_SQL_GEOM_WKT, &t);
    pk_store_close(store);
    if (rc != PK_OK) { /* a bad or refused statement is a failed command, not a usage error */
        cli_fail(cli, rc);
        return EXIT_FAIL;
    }
    int has_geometry = 0;
    for (int c = 0; c < t->ncols; c++)
        has_geometry |= t->types[c] == PK_COL_GEOJSON;
    if (geojson && !has_geometry) {
        pk_table_free(t);
        return cli_usage_error("sql", "--format geojson: the statement returns no geometry column: select one "
                               "(e.g. geom), or use table, csv or json");
    }
    return print_result(cli, rc, t);
}
