/* cmd_layer.c — `plankit layer <verb>`: load, list, info, issues, export,
 * drop, rename. Each verb parses its options and calls one library function. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define USAGE_LOAD                                                                              \
    "plankit layer load SOURCE [--name N] [--title T] [--kind K] [--layer SRC_LAYER]\n"         \
    "                   [--where EXPR] [--select FIELDS] [--s_srs CRS] [--encoding ENC]\n"      \
    "                   [--no-geometry]\n"                                                       \
    "                   [--name-field F] [--key FIELD] [--replace [--force]|--append]\n"        \
    "                   [--repair-method linework|structure]\n"                                 \
    "  Load a layer from any source GDAL reads (Shapefile, GeoJSON, GeoPackage, FileGDB,\n"    \
    "  DXF, KML, CSV; .gz and .zip read in place), reprojected to the store CRS and\n"         \
    "  repaired with GEOS MakeValid, in one transaction.\n"                                    \
    "    --name N            layer name in the store (default: the file name)\n"              \
    "    --title T           human-readable title\n"                                           \
    "    --kind K            district, zone, line or point (default: from the geometry)\n"     \
    "    --layer L           which layer of a multi-layer source (GPKG, FileGDB, DXF)\n"       \
    "    --where EXPR        OGR SQL attribute filter, e.g. \"city_key = 'shanghai'\"\n"       \
    "    --select F1,F2      keep only these attribute fields\n"                              \
    "    --s_srs CRS         the source's CRS when it declares none (or wrongly)\n"            \
    "    --encoding ENC      text encoding of the attributes, e.g. GBK\n"                      \
    "    --name-field F      field naming the features in messages, coverage and LAYER:NAME\n"\
    "                        references (default: name, 名称, NAME, mc, name_zh or 名字)\n"    \
    "    --key FIELD         field whose values name each feature for good (task links\n"     \
    "                        follow it when the layer is replaced); default: the\n"            \
    "                        previous key, else a unique code, id, 编码 or 行政区划代码\n"     \
    "    --replace           replace an existing layer of that name: task links move to\n"    \
    "                        the feature with the same key; refused if a link would be lost\n"\
    "    --force             with --replace: replace even so (lost links go to the tasks'\n"  \
    "                        history, 'plankit task history ID' shows them)\n"                \
    "    --append            add the features to an existing layer (same geometry type,\n"   \
    "                        same fields)\n"                                                   \
    "    --repair-method M   linework (default, keeps areas) or structure (faster)\n"          \
    "    --no-geometry       the source has no geometry (a CSV of figures): load its rows\n"  \
    "                        as a table (kind table), e.g. to join in 'plankit sql'\n"        \
    "  A CSV's points come from columns named X/Y, lon/lat or 经度/纬度 (or a WKT column);\n"\
    "  a source without geometry is an error unless --no-geometry.\n"                        \
    "  Example: plankit layer load towns.shp --name towns --kind district --encoding GBK\n"

#define USAGE_LIST                                                                              \
    "plankit layer list [--format table|csv|json]\n"                                           \
    "  List the layers: name, kind, geometry type, title, feature count, extent, load\n"      \
    "  time and accuracy class, read from the layer's accuracy text: schematic ±km\n"         \
    "  (drawn, estimated or placeholder geometry), web-map ~100 m, surveyed,\n"                \
    "  unclassified (read `layer info`) or unstated.\n"                                        \
    "  Example: plankit layer list --format csv\n"

#define USAGE_INFO                                                                              \
    "plankit layer info NAME [--format table|csv|json]\n"                                      \
    "  Fields, feature count, extent, CRS, repaired features and total area or length\n"       \
    "  in the metric CRS.\n"                                                                   \
    "  Example: plankit layer info towns\n"

#define USAGE_ISSUES                                                                            \
    "plankit layer issues NAME [--format table|csv|json]\n"                                    \
    "  Every feature the loader repaired or stored without geometry, with the reason.\n"      \
    "  Example: plankit layer issues counties --format csv > repaired.csv\n"

#define USAGE_EXPORT                                                                            \
    "plankit layer export NAME OUT [--format-out DRIVER] [--t_srs CRS]\n"                      \
    "  Write a layer to a file (GPKG, GeoJSON, ESRI Shapefile, CSV, FlatGeobuf, ...; the\n"    \
    "  format follows OUT's extension unless given). Written under a temporary name and\n"     \
    "  moved into place, so a failure leaves no partial file.\n"                               \
    "    --format-out DRIVER  GDAL driver name, e.g. GPKG or \"ESRI Shapefile\"\n"             \
    "    --t_srs CRS          reproject on the way out, e.g. EPSG:4549\n"                      \
    "  Example: plankit layer export towns towns.gpkg --t_srs EPSG:4549\n"

#define USAGE_DROP                                                                              \
    "plankit layer drop NAME [--force]\n"                                                      \
    "  Remove a layer, its table and index from the store. Refused while tasks are\n"          \
    "  linked to its features, unless --force: the links are then removed and each is\n"      \
    "  recorded in its task's history ('plankit task history ID') to be restored.\n"          \
    "  Example: plankit layer drop scratch\n"

#define USAGE_RENAME                                                                            \
    "plankit layer rename OLD NEW\n"                                                           \
    "  Rename a layer (feature ids and task links are kept).\n"                                \
    "  Example: plankit layer rename 区镇 towns\n"

#define USAGE_COMMON                                                                            \
    "\nOptions of every verb: -s/--store PATH, -q/--quiet, -v/--verbose, -h/--help\n"

const char usage_layer[] =
    "usage: plankit layer <verb> [options]\n\n"
    USAGE_LOAD "\n" USAGE_LIST "\n" USAGE_INFO "\n" USAGE_ISSUES "\n" USAGE_EXPORT "\n"
    USAGE_DROP "\n" USAGE_RENAME USAGE_COMMON;

/* Parse options for verbs that take only common options; returns -1 to
 * continue, else an exit code. */
static int parse_simple(struct cli *cli, int argc, char **argv, const char *usage, int nargs,
                        const char *verb)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    int opt, done = -1;
    optind = 1;
    if ((opt = cli_getopt(cli, argc, argv, NULL, longopts, usage, &done)) != -1)
        return cli_usage_error(verb, "unknown option or missing value: '%s'", argv[optind - 1]);
    if (done >= 0)
        return done;
    if (argc - optind != nargs)
        return cli_usage_error(verb, "expected %d argument%s", nargs, nargs == 1 ? "" : "s");
    return cli_refuse_geojson(cli, verb);
}

static int print_and_free(struct cli *cli, int rc, struct pk_table *t)
{
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    int code = cli_print_table(cli, t);
    pk_table_free(t);
    return code;
}

/* Parse `layer load`'s arguments into *o (SOURCE included). Returns -1 to
 * go on, or the exit code (help shown, usage error). */
static int parse_load_args(struct cli *cli, int argc, char **argv, struct pk_load_opts *o)
{
    static const struct option longopts[] = {
        {"name", required_argument, NULL, 'n'},
        {"title", required_argument, NULL, 't'},
        {"kind", required_argument, NULL, 'k'},
        {"layer", required_argument, NULL, 'l'},
        {"where", required_argument, NULL, 'w'},
        {"select", required_argument, NULL, 'S'},
        {"s_srs", required_argument, NULL, 'r'},
        {"encoding", required_argument, NULL, 'e'},
        {"replace", no_argument, NULL, 'R'},
        {"append", no_argument, NULL, 'A'},
        {"repair-method", required_argument, NULL, 'M'},
        {"key", required_argument, NULL, 'K'},
        {"name-field", required_argument, NULL, 1002},
        {"force", no_argument, NULL, 1001},
        {"no-geometry", no_argument, NULL, 1003},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    static const char usage[] = "usage: " USAGE_LOAD USAGE_COMMON;
    int opt, done = -1;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, NULL, longopts, usage, &done)) != -1) {
        switch (opt) {
        case 'n': o->name = optarg; break;
        case 't': o->title = optarg; break;
        case 'k': o->kind = optarg; break;
        case 'l': o->src_layer = optarg; break;
        case 'w': o->where = optarg; break;
        case 'S': o->select = optarg; break;
        case 'r': o->s_srs = optarg; break;
        case 'e': o->encoding = optarg; break;
        case 'K': o->key = optarg; break;
        case 1002: o->name_field = optarg; break;
        case 1001: o->force = 1; break;
        case 1003: o->no_geometry = 1; break;
        case 'R':
        case 'A':
            if (o->mode != PK_LOAD_CREATE)
                return cli_usage_error("layer load", "--replace and --append exclude each other");
            o->mode = opt == 'R' ? PK_LOAD_REPLACE : PK_LOAD_APPEND;
            break;
        case 'M':
            if (strcmp(optarg, "linework") && strcmp(optarg, "structure"))
                return cli_usage_error("layer load", "--repair-method is linework or structure");
            o->repair_structure = !strcmp(optarg, "structure");
            break;
        default: return cli_usage_error("layer load", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (done >= 0)
        return done;
    if (argc - optind != 1)
        return cli_usage_error("layer load", "expected one SOURCE");
    if (o->force && o->mode != PK_LOAD_REPLACE)
        return cli_usage_error("layer load", "--force goes with --replace");
    o->source = argv[optind];
    return -1;
}

/* What a load did, on stderr (unless -q). */
static void print_load_result(const struct cli *cli, const struct pk_load_opts *o, const struct pk_load_result *res)
{
    if (cli->quiet)
        return;
    fprintf(stderr, "plankit: layer '%s': %lld features loaded from '%s'", res->name, res->stored, o->source);
    if (o->no_geometry)
        fprintf(stderr, " (a table without geometry)");
    else if (res->repaired || res->empty)
        fprintf(stderr, ", %lld repaired, %lld without geometry ('plankit layer issues %s')", res->repaired,
                res->empty, res->name);
    fprintf(stderr, "\n");
    if (o->mode == PK_LOAD_REPLACE && (res->links_kept || res->links_lost))
        fprintf(stderr, "plankit: layer '%s': %lld task link(s) kept by key '%s', %lld removed\n", res->name,
                res->links_kept, *res->key ? res->key : "(none)", res->links_lost);
    if (res->measure_srid_chosen)
        fprintf(stderr, "plankit: metric CRS of the store set to EPSG:%d from the data's longitude\n",
                res->measure_srid_chosen);
}

static int verb_load(struct cli *cli, int argc, char **argv)
{
    struct pk_load_opts o = {.threads = cli->threads};
    int code = parse_load_args(cli, argc, argv, &o);
    if (code >= 0)
        return code;
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_load_result res;
    int rc = pk_layer_load(store, &o, &res, cli_progress, cli);
    cli_progress_done(cli);
    pk_store_close(store);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    print_load_result(cli, &o, &res);
    return EXIT_OK;
}

/* The table `layer list` prints: the library's, with the extent's four
 * numbers in one column "min_x,min_y,max_x,max_y" to 4 decimals ("" when
 * none). NULL when out of memory. */
static struct pk_table *list_table(const struct pk_table *t)
{
    static const char *const cols[] = {"name", "kind", "geometry", "title", "features", "extent", "loaded_at",
                                       "accuracy"};
    static const enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT,
                                             PK_COL_INT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT};
    struct pk_table *out = pk_table_new(8, cols, types);
    int ext[4] = {pk_table_col(t, "min_x"), pk_table_col(t, "min_y"), pk_table_col(t, "max_x"),
                  pk_table_col(t, "max_y")};
    for (size_t r = 0; out && r < t->nrows; r++) {
        const char *values[8];
        char extent[128] = "";
        double e[4];
        for (int c = 0; c < 8; c++)
            values[c] = c == 5 ? extent : pk_table_get(t, r, pk_table_col(t, cols[c]));
        if (pk_table_get_real(t, r, ext[0], &e[0]) && pk_table_get_real(t, r, ext[1], &e[1]) &&
            pk_table_get_real(t, r, ext[2], &e[2]) && pk_table_get_real(t, r, ext[3], &e[3]))
            snprintf(extent, sizeof extent, "%.4f,%.4f,%.4f,%.4f", e[0], e[1], e[2], e[3]);
        if (pk_table_append(out, values) < 0)
            break;
    }
    if (out && out->failed) {
        pk_table_free(out);
        out = NULL;
    }
    return out;
}

static int verb_list(struct cli *cli, int argc, char **argv)
{
    int code = parse_simple(cli, argc, argv, "usage: " USAGE_LIST USAGE_COMMON, 0, "layer list");
    if (code >= 0)
        return code;
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_table *t = NULL, *shown = NULL;
    int rc = pk_layer_list(store, &t);
    pk_store_close(store);
    if (rc == PK_OK && !(shown = list_table(t)))
        rc = pk_error(cli->ctx, PK_ERR_NOMEM, "out of memory");
    pk_table_free(t);
    return print_and_free(cli, rc, shown);
}

/* The property/value rows `layer info` prints, made from the library's
 * values: extent to 6 decimals, CRSs as EPSG:n, "(none)" for no key, area
 * and length in km with all their digits. NULL when out of memory. */
static struct pk_table *info_table(const struct pk_layer_info *I)
{
    const char *cols[] = {"property", "value"};
    struct pk_table *t = pk_table_new(2, cols, NULL);
#define ROW(k, ...) do { long r_ = t ? pk_table_add_row(t) : -1; if (r_ >= 0) { \
        pk_table_set(t, (size_t)r_, 0, k); pk_table_setf(t, (size_t)r_, 1, __VA_ARGS__); } } while (0)
    const char *keys[] = {"name", "title", "kind", "source", "table", "geometry_type"};
    const char *texts[] = {I->name, I->title, I->kind, I->source, I->table, I->geometry_type};
    for (int i = 0; i < 6; i++)
        ROW(keys[i], "%s", texts[i]);
    ROW("features", "%lld", I->features);
    if (I->has_extent)
        ROW("extent", "%.6f,%.6f,%.6f,%.6f", I->extent[0], I->extent[1], I->extent[2], I->extent[3]);
    ROW("crs", "EPSG:%d", I->srid);
    ROW("key", "%s", *I->key ? I->key : "(none)");
    ROW("name_field", "%s", *I->name_field ? I->name_field : "(none)");
    ROW("loaded_at", "%s", I->loaded_at);
    ROW("repaired_features", "%lld", I->repaired);
    ROW("empty_features", "%lld", I->empty);
    if (*I->provenance)
        ROW("provenance", "%s", I->provenance);
    if (*I->accuracy)
        ROW("accuracy", "%s", I->accuracy);
    for (int i = 0; i < I->nfields; i++)
        ROW("field", "%s %s", I->fields[i].name, I->fields[i].type);
    if (I->measure_srid) {
        ROW("measure_crs", "EPSG:%d", I->measure_srid);
        if (I->area_m2 > 0)
            ROW("area_km2", "%.17g", I->area_m2 / 1e6);
        if (I->length_m > 0)
            ROW("length_km", "%.17g", I->length_m / 1e3);
    }
#undef ROW
    if (t && t->failed) {
        pk_table_free(t);
        t = NULL;
    }
    return t;
}

static int verb_info_or_issues(struct cli *cli, int argc, char **argv, int issues)
{
    int code = parse_simple(cli, argc, argv,
                            issues ? "usage: " USAGE_ISSUES USAGE_COMMON : "usage: " USAGE_INFO USAGE_COMMON,
                            1, issues ? "layer issues" : "layer info");
    if (code >= 0)
        return code;
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_table *t = NULL;
    struct pk_layer_info info;
    int rc = issues ? pk_layer_issues(store, argv[optind], &t) : pk_layer_info(store, argv[optind], &info);
    pk_store_close(store);
    if (!issues) {
        if (rc == PK_OK && !(t = info_table(&info)))
            rc = pk_error(cli->ctx, PK_ERR_NOMEM, "out of memory");
        pk_layer_info_release(&info);
    }
    return print_and_free(cli, rc, t);
}

static int verb_info(struct cli *cli, int argc, char **argv) { return verb_info_or_issues(cli, argc, argv, 0); }
static int verb_issues(struct cli *cli, int argc, char **argv) { return verb_info_or_issues(cli, argc, argv, 1); }

static int verb_export(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format-out", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'o'}, /* the output driver here, as ogr2ogr -f; found first */
        {"t_srs", required_argument, NULL, 't'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    static const char usage[] = "usage: " USAGE_EXPORT USAGE_COMMON;
    struct pk_export_opts o = {0};
    int opt, done = -1;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, NULL, longopts, usage, &done)) != -1) {
        switch (opt) {
        case 'o': o.format = optarg; break;
        case 't': o.t_srs = optarg; break;
        default: return cli_usage_error("layer export", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (done >= 0)
        return done;
    if (argc - optind != 2)
        return cli_usage_error("layer export", "expected NAME and OUT");
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    int rc = pk_layer_export(store, argv[optind], argv[optind + 1], &o, cli_progress, cli);
    cli_progress_done(cli);
    pk_store_close(store);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (!cli->quiet)
        fprintf(stderr, "plankit: layer '%s' written to '%s'\n", argv[optind], argv[optind + 1]);
    return EXIT_OK;
}

static int verb_drop(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"force", no_argument, NULL, 1001}, CLI_COMMON_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    static const char usage[] = "usage: " USAGE_DROP USAGE_COMMON;
    int opt, done = -1, force = 0;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, NULL, longopts, usage, &done)) != -1) {
        if (opt != 1001)
            return cli_usage_error("layer drop", "unknown option or missing value: '%s'", argv[optind - 1]);
        force = 1;
    }
    if (done >= 0)
        return done;
    if (argc - optind != 1)
        return cli_usage_error("layer drop", "expected 1 argument");
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    long long removed = 0;
    int rc = pk_layer_drop(store, argv[optind], force, &removed);
    pk_store_close(store);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (removed && !cli->quiet)
        fprintf(stderr, "plankit: layer '%s' dropped with %lld task link(s) (kept in the tasks' history)\n",
                argv[optind], removed);
    return EXIT_OK;
}

static int verb_rename(struct cli *cli, int argc, char **argv)
{
    int code = parse_simple(cli, argc, argv, "usage: " USAGE_RENAME USAGE_COMMON, 2, "layer rename");
    if (code >= 0)
        return code;
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    int rc = pk_layer_rename(store, argv[optind], argv[optind + 1]);
    pk_store_close(store);
    return rc == PK_OK ? EXIT_OK : cli_fail(cli, rc);
}

static const struct {
    const char *name;
    int (*fn)(struct cli *, int, char **);
} verbs[] = {
    {"load", verb_load}, {"list", verb_list}, {"info", verb_info}, {"issues", verb_issues},
    {"export", verb_export}, {"drop", verb_drop}, {"rename", verb_rename},
};

int cmd_layer(struct cli *cli, int argc, char **argv)
{
    const size_t n = sizeof verbs / sizeof verbs[0];
    const char *names[sizeof verbs / sizeof verbs[0]];
    int (*fns[sizeof verbs / sizeof verbs[0]])(struct cli *, int, char **);
    for (size_t i = 0; i < n; i++) {
        names[i] = verbs[i].name;
        fns[i] = verbs[i].fn;
    }
    return cli_dispatch_verb(cli, "layer", usage_layer, argc, argv, names, fns, n);
}
