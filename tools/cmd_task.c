/* cmd_task.c — `plankit task <verb>`: import, add, update, show, list,
 * remove, attach, detach, history. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

/* Two columns of options: the right one starts at the same screen column
 * (Chinese characters are two columns wide; t0005-help checks it). */
#define USAGE_FIELDS                                                                            \
    "    --title T             short title                 --title-en T     English title\n"   \
    "    --description D       what the task is            --pillar P       classification\n"  \
    "    --section S           plan section, e.g. 七、三   --source S       plan sentence\n"   \
    "    --lead DEPT           lead department             --partners A,B   partners\n"        \
    "    --start Y / --end Y   start and end year          --status S       planned,\n"        \
    "                          in_progress, done, delayed, cancelled (or 计划中, 进行中,\n"   \
    "                          已完成, 暂停, 已取消)\n"                                        \
    "    --progress N          percent done, 0-100         --tags A,B       tags\n"            \
    "    --indicator \"NAME=TARGET UNIT;...\"  measurable targets, e.g. \"产值=1000 亿元\"\n"  \
    "    --citywide / --not-citywide   the task concerns the whole city\n"

#define USAGE_IMPORT                                                                            \
    "plankit task import FILE|- [--encoding ENC]\n"                                           \
    "  Import tasks from JSON (see layers/TASKS.md) or CSV (header: id,title,pillar,...,\n"    \
    "  links as layer:feature[:role];...), upserting by id in one transaction. A bad row is\n" \
    "  reported with its line number and nothing is imported. '-' reads standard input.\n"   \
    "  The text must be UTF-8, or give its encoding: --encoding GBK for a CSV saved by\n"     \
    "  Chinese Excel (any iconv name: GB18030, BIG5, ...). Years outside the plan period\n"   \
    "  are warned about: one line per task, or one summary line for tasks of the previous\n"  \
    "  period (both years before it, e.g. 2021-2025).\n"                                       \
    "  Example: plankit task import layers/kunshan-tasks.json\n"                               \
    "  Example: plankit task import 任务表.csv --encoding GBK\n"

#define USAGE_EXPORT                                                                            \
    "plankit task export [OUT|-] [--format csv|json]\n"                                       \
    "  Write every task with its links (features named by the layer's key) and\n"             \
    "  footprints in the format task import reads, to OUT or standard output. The\n"          \
    "  format follows OUT's extension, else JSON. CSV (UTF-8 with a byte-order mark\n"        \
    "  in a file, for Excel) cannot hold footprints: use JSON for those.\n"                   \
    "  Example: plankit task export tasks.csv   (edit in Excel, then: task import tasks.csv)\n"

#define USAGE_ADD                                                                               \
    "plankit task add ID --title T [fields]\n"                                                 \
    "  Create a task. Fields:\n"                                                               \
    USAGE_FIELDS                                                                               \
    "  Example: plankit task add PZ-40 --title 城市更新 --pillar PZ --start 2026 --end 2028\n"

#define USAGE_UPDATE                                                                            \
    "plankit task update ID [fields]\n"                                                        \
    "  Change fields of a task; each change is kept in its history. Fields:\n"                \
    USAGE_FIELDS                                                                               \
    "  Example: plankit task update PZ-01 --status in_progress --progress 40\n"

#define USAGE_SHOW                                                                              \
    "plankit task show ID\n"                                                                   \
    "  Every field, link (with its role) and footprint of a task.\n"                          \
    "  Example: plankit task show PZ-01 --format json\n"

#define USAGE_HISTORY                                                                           \
    "plankit task history ID\n"                                                                \
    "  Every change of a task: when, who, field, old and new value (removed links too).\n"    \
    "  Example: plankit task history ZZ-03\n"

#define USAGE_REMOVE                                                                            \
    "plankit task remove ID\n"                                                                 \
    "  Delete a task with its links and footprints.\n"                                        \
    "  Example: plankit task remove PZ-40\n"

#define USAGE_LIST                                                                              \
    "plankit task list [--pillar P] [--status S] [--lead DEPT] [--year Y]\n"                  \
    "                  [--layer L --feature F]\n"                                             \
    "  List tasks, optionally only those of a pillar (name, English name or code), status,\n" \
    "  lead, year or linked to a feature. Unknown values are errors listing the known ones.\n" \
    "  Example: plankit task list --layer towns --feature 周庄镇 --format csv\n"

#define USAGE_ATTACH                                                                            \
    "plankit task attach ID --to LAYER:FEATURE [--role R]\n"                                   \
    "plankit task attach ID --geom FILE|WKT|GEOJSON [--s_srs CRS] [--label L] [--role R]\n"    \
    "plankit task attach ID --where LAYER --intersecting LAYER:FEATURE [--role R]\n"           \
    "  Link a task to a feature (by name, code or id), give it its own footprint(s), or\n"     \
    "  link it to every feature of LAYER that overlaps a feature. Roles: located-in\n"         \
    "  (default: the task is in that place; it covers the place's area only when the\n"    \
    "  layer is a zone layer), covers (it covers the whole feature), serves, affects, or\n" \
    "  your own (these cover no area; 'plankit coverage --help'). WKT is in the store\n"    \
    "  CRS unless --s_srs;\n"                                                                \
    "  GeoJSON in EPSG:4326; a file in its own CRS.\n"                                         \
    "  Example: plankit task attach PZ-01 --to towns:周庄镇 --role covers\n"                   \
    "  Example: plankit task attach PZ-01 --where towns --intersecting key_areas:QYG-CBD\n"

#define USAGE_DETACH                                                                            \
    "plankit task detach ID --from LAYER:FEATURE | --footprint N | --all\n"                    \
    "  Remove a task's link to a feature, one of its footprints (numbered as 'task show'\n"   \
    "  lists them) or every link and footprint; each removal is kept in its history.\n"      \
    "  Example: plankit task detach PZ-01 --from towns:周庄镇\n"

#define USAGE_COMMON                                                                            \
    "\nOptions of every verb: -s/--store PATH, --format table|csv|json, --user NAME,\n"        \
    "-q/--quiet, -v/--verbose, -h/--help\n"

const char usage_task[] = "usage: plankit task <verb> [options]\n\n"
    "Verbs (each has its own help: 'plankit task VERB --help'):\n"
    "  import    tasks from a JSON or CSV file          export    tasks to JSON or CSV\n"
    "  add       create a task                          update    change a task's fields\n"
    "  show      one task, its links and footprints     history   a task's changes\n"
    "  remove    delete a task                          list      tasks, filtered\n"
    "  attach    link a task to features or shapes      detach    remove links or shapes\n\n"
    USAGE_IMPORT "\n" USAGE_EXPORT "\n" USAGE_ADD "\n" USAGE_UPDATE "\n" USAGE_SHOW "\n" USAGE_HISTORY "\n"
    USAGE_REMOVE "\n" USAGE_LIST "\n" USAGE_ATTACH "\n" USAGE_DETACH USAGE_COMMON;

/* Each verb's own help. */
static const char *verb_usage(const char *verb)
{
    static const struct { const char *verb, *usage; } usages[] = {
        {"import", "usage: " USAGE_IMPORT USAGE_COMMON}, {"export", "usage: " USAGE_EXPORT USAGE_COMMON},
        {"add", "usage: " USAGE_ADD USAGE_COMMON}, {"update", "usage: " USAGE_UPDATE USAGE_COMMON},
        {"show", "usage: " USAGE_SHOW USAGE_COMMON}, {"history", "usage: " USAGE_HISTORY USAGE_COMMON},
        {"remove", "usage: " USAGE_REMOVE USAGE_COMMON}, {"list", "usage: " USAGE_LIST USAGE_COMMON},
        {"attach", "usage: " USAGE_ATTACH USAGE_COMMON}, {"detach", "usage: " USAGE_DETACH USAGE_COMMON},
    };
    for (size_t i = 0; i < sizeof usages / sizeof usages[0]; i++)
        if (!strcmp(usages[i].verb, verb))
            return usages[i].usage;
    return usage_task;
}

enum {
    OPT_TITLE = 1000, OPT_TITLE_EN, OPT_DESC, OPT_PILLAR, OPT_SECTION, OPT_SOURCE, OPT_LEAD, OPT_PARTNERS,
    OPT_START, OPT_END, OPT_STATUS, OPT_PROGRESS, OPT_TAGS, OPT_INDICATOR, OPT_CITYWIDE, OPT_NOT_CITYWIDE,
    OPT_YEAR, OPT_LAYER, OPT_FEATURE, OPT_TO, OPT_ROLE, OPT_GEOM, OPT_SSRS, OPT_LABEL, OPT_WHERE,
    OPT_INTERSECTING, OPT_FROM, OPT_FOOTPRINT, OPT_ALL, OPT_ENCODING,
};

static const struct option task_longopts[] = {
    {"title", required_argument, NULL, OPT_TITLE}, {"title-en", required_argument, NULL, OPT_TITLE_EN},
    {"description", required_argument, NULL, OPT_DESC}, {"pillar", required_argument, NULL, OPT_PILLAR},
    {"section", required_argument, NULL, OPT_SECTION}, {"source", required_argument, NULL, OPT_SOURCE},
    {"lead", required_argument, NULL, OPT_LEAD}, {"partners", required_argument, NULL, OPT_PARTNERS},
    {"start", required_argument, NULL, OPT_START}, {"end", required_argument, NULL, OPT_END},
    {"status", required_argument, NULL, OPT_STATUS}, {"progress", required_argument, NULL, OPT_PROGRESS},
    {"tags", required_argument, NULL, OPT_TAGS}, {"indicator", required_argument, NULL, OPT_INDICATOR},
    {"citywide", no_argument, NULL, OPT_CITYWIDE}, {"not-citywide", no_argument, NULL, OPT_NOT_CITYWIDE},
    {"year", required_argument, NULL, OPT_YEAR}, {"layer", required_argument, NULL, OPT_LAYER},
    {"feature", required_argument, NULL, OPT_FEATURE}, {"to", required_argument, NULL, OPT_TO},
    {"role", required_argument, NULL, OPT_ROLE}, {"geom", required_argument, NULL, OPT_GEOM},
    {"s_srs", required_argument, NULL, OPT_SSRS}, {"label", required_argument, NULL, OPT_LABEL},
    {"where", required_argument, NULL, OPT_WHERE}, {"intersecting", required_argument, NULL, OPT_INTERSECTING},
    {"from", required_argument, NULL, OPT_FROM}, {"footprint", required_argument, NULL, OPT_FOOTPRINT},
    {"all", no_argument, NULL, OPT_ALL}, {"encoding", required_argument, NULL, OPT_ENCODING},
    CLI_COMMON_LONGOPTS,
    {NULL, 0, NULL, 0},
};

/* Everything any task verb may be given. */
struct task_args {
    struct pk_task_fields f;
    struct pk_task_filter filter;
    struct pk_attach_opts attach;
    const char *from;
    const char *encoding;
    long long footprint;
    int all;
    char *partners, *tags, *indicators; /* owned JSON */
    const char *positional[2];
    int npositional;
};

static int parse_year(const char *verb, const char *opt, const char *s, int *out)
{
    if (cli_parse_year(s, out))
        return cli_usage_error(verb, "%s '%s' is not a year (1900 to 2200)", opt, s);
    return 0;
}

/* Parse argv into a; returns -1 to go on, else an exit code. */
static int parse_task_args(struct cli *cli, int argc, char **argv, const char *verb, const char *usage,
                           struct task_args *a)
{
    int opt, done = -1;
    memset(a, 0, sizeof *a);
    pk_task_fields_init(&a->f);
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, NULL, task_longopts, usage, &done)) != -1) {
        switch (opt) {
        case OPT_TITLE: a->f.title = optarg; break;
        case OPT_TITLE_EN: a->f.title_en = optarg; break;
        case OPT_DESC: a->f.description = optarg; break;
        case OPT_PILLAR: a->f.classification = a->filter.classification = optarg; break;
        case OPT_SECTION: a->f.section = optarg; break;
        case OPT_SOURCE: a->f.source = optarg; break;
        case OPT_LEAD: a->f.lead = optarg; break;
        case OPT_PARTNERS:
        case OPT_TAGS: {
            char **json = opt == OPT_TAGS ? &a->tags : &a->partners;
            free(*json);
            if (!(*json = pk_task_list_json(optarg))) {
                fprintf(stderr, "plankit: error: task %s: --%s: out of memory\n", verb,
                        opt == OPT_TAGS ? "tags" : "partners");
                return EXIT_FAIL;
            }
            *(opt == OPT_TAGS ? &a->f.tags_json : &a->f.partners_json) = *json;
            break;
        }
        case OPT_INDICATOR:
            free(a->indicators);
            if (!(a->f.indicators_json = a->indicators = pk_task_indicators_json(cli->ctx, optarg)))
                return cli_usage_error(verb, "--indicator: %s", pk_errmsg(cli->ctx));
            break;
        case OPT_START: if (parse_year(verb, "--start", optarg, &a->f.start_year)) return EXIT_USAGE; break;
        case OPT_END: if (parse_year(verb, "--end", optarg, &a->f.end_year)) return EXIT_USAGE; break;
        case OPT_YEAR: if (parse_year(verb, "--year", optarg, &a->filter.year)) return EXIT_USAGE; break;
        case OPT_STATUS: a->f.status = a->filter.status = optarg; break;
        case OPT_PROGRESS:
            if (cli_parse_numbers(optarg, &a->f.progress, 1))
                return cli_usage_error(verb, "--progress '%s' is not a number", optarg);
            if (!(a->f.progress >= 0 && a->f.progress <= 100))
                return cli_usage_error(verb, "--progress must be a number from 0 to 100");
            break;
        case OPT_CITYWIDE: a->f.citywide = 1; break;
        case OPT_NOT_CITYWIDE: a->f.citywide = 0; break;
        case OPT_LAYER: a->filter.layer = optarg; break;
        case OPT_FEATURE: a->filter.feature = optarg; break;
        case OPT_TO: a->attach.to = optarg; break;
        case OPT_ROLE: a->attach.role = optarg; break;
        case OPT_GEOM: a->attach.geom = optarg; break;
        case OPT_SSRS: a->attach.s_srs = optarg; break;
        case OPT_LABEL: a->attach.label = optarg; break;
        case OPT_WHERE: a->attach.where_layer = optarg; break;
        case OPT_INTERSECTING: a->attach.intersecting = optarg; break;
        case OPT_FROM: a->from = optarg; break;
        case OPT_FOOTPRINT:
            if (cli_parse_integer(optarg, 1, LLONG_MAX, &a->footprint))
                return cli_usage_error(verb, "--footprint '%s' is not a footprint number, e.g. 1", optarg);
            break;
        case OPT_ALL: a->all = 1; break;
        case OPT_ENCODING: a->encoding = optarg; break;
        default: return cli_usage_error(verb, "bad option");
        }
    }
    if (done >= 0)
        return done;
    for (int i = optind; i < argc; i++) {
        if (a->npositional == 2)
            return cli_usage_error(verb, "unexpected argument '%s'", argv[i]);
        a->positional[a->npositional++] = argv[i];
    }
    return -1;
}

static void release_args(struct task_args *a)
{
    free(a->partners);
    free(a->tags);
    free(a->indicators);
}

static int finish(struct cli *cli, int rc, struct pk_table *t)
{
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    int code = t ? cli_print_table(cli, t) : EXIT_OK;
    pk_table_free(t);
    return code;
}

/* `task show`: the task's property/value rows, then one "link" row per
 * linked feature ("towns:3 周庄镇 (located-in)") and one "footprint" row
 * per footprint ("#2 POLYGON site (covers)"), made from the library's
 * tables. *out: the table to print (caller frees). */
static int show_task(struct cli *cli, struct pk_store *store, const char *id, struct pk_table **out)
{
    struct pk_table *t = NULL, *links = NULL, *fps = NULL;
    int rc = pk_task_show(store, id, &t, &links, &fps);
    for (size_t i = 0; rc == PK_OK && i < links->nrows; i++) {
        long r = pk_table_add_row(t);
        const char *name = pk_table_get(links, i, 2), *role = pk_table_get(links, i, 3);
        pk_table_set(t, (size_t)r, 0, "link");
        pk_table_setf(t, (size_t)r, 1, "%s:%s%s%s (%s)", pk_table_get(links, i, 0), pk_table_get(links, i, 1),
                      name ? " " : "", name ? name : "", role ? role : "");
    }
    for (size_t i = 0; rc == PK_OK && i < fps->nrows; i++) {
        long r = pk_table_add_row(t);
        const char *type = pk_table_get(fps, i, 1), *label = pk_table_get(fps, i, 2), *role = pk_table_get(fps, i, 3);
        pk_table_set(t, (size_t)r, 0, "footprint");
        pk_table_setf(t, (size_t)r, 1, "#%s %s %s (%s)", pk_table_get(fps, i, 0), type ? type : "",
                      label ? label : "", role ? role : "");
    }
    pk_table_free(links);
    pk_table_free(fps);
    if (rc == PK_OK && t->failed) /* (a row that could not be added: r = -1, its sets refused) */
        rc = pk_error(cli->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc != PK_OK) {
        pk_table_free(t);
        t = NULL;
    }
    *out = t;
    return rc;
}

/* The verbs share one body: parse, check the positional count, open the
 * store, call the library. */
static int run_verb(struct cli *cli, int argc, char **argv, const char *verb, int need_id)
{
    struct task_args a;
    char cmd[32];
    snprintf(cmd, sizeof cmd, "task %s", verb);
    int code = parse_task_args(cli, argc, argv, cmd, verb_usage(verb), &a);
    if (code < 0)
        code = cli_refuse_geojson(cli, cmd);
    if (code >= 0) {
        release_args(&a);
        return code;
    }
    if (a.encoding && strcmp(verb, "import")) {
        release_args(&a);
        return cli_usage_error(cmd, "--encoding goes with task import");
    }
    if (a.npositional != need_id) {
        release_args(&a);
        return cli_usage_error(cmd, need_id ? "expected one %s" : "unexpected argument",
                               strcmp(verb, "import") ? "task ID" : "FILE");
    }
    struct pk_store *store = cli_open_store(cli);
    if (!store) {
        release_args(&a);
        return EXIT_FAIL;
    }
    const char *id = a.positional[0];
    struct pk_table *t = NULL;
    long long count = 0;
    int rc;
    a.f.id = id;
    if (!strcmp(verb, "import")) {
        struct pk_task_import_result res;
        rc = pk_task_import_encoded(store, id, a.encoding, &res);
        if (rc == PK_OK && !cli->quiet)
            fprintf(stderr, "plankit: imported '%s': %lld created, %lld updated, %lld unchanged, %lld links\n",
                    id, res.created, res.updated, res.unchanged, res.links);
    } else if (!strcmp(verb, "add")) {
        rc = pk_task_add(store, &a.f);
    } else if (!strcmp(verb, "update")) {
        rc = pk_task_update(store, &a.f);
    } else if (!strcmp(verb, "show")) {
        rc = show_task(cli, store, id, &t);
    } else if (!strcmp(verb, "history")) {
        rc = pk_task_history(store, id, &t);
    } else if (!strcmp(verb, "remove")) {
        rc = pk_task_remove(store, id);
    } else if (!strcmp(verb, "list")) {
        char *pillar = NULL;
        a.filter.lead = a.f.lead;
        rc = cli_check_filters(store, &a.filter.status, &a.filter.classification, &pillar, a.filter.lead);
        if (rc == PK_OK)
            rc = pk_task_list(store, &a.filter, &t);
        free(pillar);
    } else if (!strcmp(verb, "attach")) {
        rc = pk_task_attach(store, id, &a.attach, &count);
        if (rc == PK_OK && !cli->quiet)
            fprintf(stderr, "plankit: task '%s': %lld %s added\n", id, count,
                    a.attach.geom ? "footprint(s)" : "link(s)");
    } else {
        rc = pk_task_detach(store, id, a.from, a.footprint, a.all, &count);
        if (rc == PK_OK && !cli->quiet)
            fprintf(stderr, "plankit: task '%s': %lld removed\n", id, count);
    }
    pk_store_close(store);
    release_args(&a);
    return finish(cli, rc, t);
}

/* Write text to path under a temporary name moved into place; "-" or NULL
 * is standard output. */
static int write_out(const char *path, const char *text, int bom)
{
    if (!path || !strcmp(path, "-"))
        return fputs(text, stdout) < 0 ? -1 : 0;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.plankit-tmp", path);
    FILE *fp = fopen(tmp, "wb");
    if (!fp)
        return -1;
    int bad = (bom && fputs("\xEF\xBB\xBF", fp) < 0) || fputs(text, fp) < 0;
    bad |= fclose(fp) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static int verb_export(struct cli *cli, int argc, char **argv)
{
    struct task_args a;
    int code = parse_task_args(cli, argc, argv, "task export", verb_usage("export"), &a);
    release_args(&a);
    if (code >= 0)
        return code;
    if (a.npositional > 1)
        return cli_usage_error("task export", "expected at most one OUT");
    const char *out = a.npositional ? a.positional[0] : NULL;
    const char *ext = out ? strrchr(out, '.') : NULL;
    const char *format = cli->format == FMT_CSV ? "csv" : cli->format == FMT_JSON ? "json"
                         : cli->format == FMT_GEOJSON ? NULL : ext && !strcasecmp(ext, ".csv") ? "csv" : "json";
    if (!format)
        return cli_usage_error("task export", "--format geojson: tasks are written as csv or json (task import's "
                               "formats); 'plankit layer export' writes geometries");
    if (out && !strcmp(out, "-"))
        out = NULL;
    if (out && access(out, F_OK) == 0)
        return cli_fail(cli, pk_error(cli->ctx, PK_ERR_EXISTS, "task export: '%s' already exists: remove it first", out));
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    char *text = NULL;
    int rc = pk_task_export(store, format, &text);
    pk_store_close(store);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (write_out(out, text, out && !strcmp(format, "csv")) != 0)
        rc = pk_error(cli->ctx, PK_ERR_IO, "task export: cannot write '%s'", out ? out : "standard output");
    free(text);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (out && !cli->quiet)
        fprintf(stderr, "plankit: tasks written to '%s' (%s)\n", out, format);
    return EXIT_OK;
}

#define VERB(name, need_id) \
    static int verb_##name(struct cli *cli, int argc, char **argv) { return run_verb(cli, argc, argv, #name, need_id); }
VERB(import, 1)
VERB(add, 1)
VERB(update, 1)
VERB(show, 1)
VERB(history, 1)
VERB(remove, 1)
VERB(list, 0)
VERB(attach, 1)
VERB(detach, 1)

int cmd_task(struct cli *cli, int argc, char **argv)
{
    static const char *const names[] = {"import", "add", "update", "show", "history", "remove", "list",
                                        "attach", "detach", "export"};
    static int (*const fns[])(struct cli *, int, char **) = {
        verb_import, verb_add, verb_update, verb_show, verb_history, verb_remove, verb_list, verb_attach,
        verb_detach, verb_export};
    return cli_dispatch_verb(cli, "task", usage_task, argc, argv, names, fns, sizeof names / sizeof names[0]);
}
