/* cmd_check.c — `plankit check` and `plankit version`. */
#include <string.h>

#include "cli.h"

const char usage_check[] =
    "usage: plankit check [-s STORE] [--format table|csv|json]\n"
    "\n"
    "Check the store: SQLite integrity; the layer registry against the tables\n"
    "(feature counts, extents, fields, geometry type, key field); spatial indexes\n"
    "present and up to date; every geometry valid and inside the range of the\n"
    "store CRS (its area of use from PROJ); task links pointing at features that\n"
    "still exist with the key value they were made to.\n"
    "Prints one row per problem and exits 1 if there is any, 0 (and 'ok' on\n"
    "stderr) when the store is healthy.\n"
    "\n"
    "Options:\n"
    "  -s, --store PATH   the store to check\n"
    "  --format FMT       table (default), csv or json\n"
    "  -q, --quiet        print nothing when healthy\n"
    "  -h, --help         this help\n"
    "Example:\n"
    "  plankit -s plan.sqlite check\n";

const char usage_version[] =
    "usage: plankit version   (or plankit --version)\n"
    "\n"
    "Print plankit's version and the GDAL, PROJ, GEOS, SQLite and SpatiaLite\n"
    "versions it runs with.\n"
    "Example:\n"
    "  plankit --version\n";

int cmd_version(struct cli *cli, int argc, char **argv)
{
    char buf[512];
    (void)cli;
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage_version, stdout);
        return EXIT_OK;
    }
    pk_version_string(buf, sizeof buf);
    puts(buf);
    return EXIT_OK;
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    int opt, done = -1;
    optind = 1;
    if ((opt = cli_getopt(cli, argc, argv, NULL, longopts, usage_check, &done)) != -1)
        return cli_usage_error("check", "unknown option or missing value: '%s'", argv[optind - 1]);
    if (done >= 0)
        return done;
    if (optind < argc)
        return cli_usage_error("check", "unexpected argument '%s'", argv[optind]);
    if ((done = cli_refuse_geojson(cli, "check")) >= 0)
        return done;
    struct pk_store *store = cli_open_store(cli);
    if (!store)
        return EXIT_FAIL;
    struct pk_table *problems = NULL;
    int rc = pk_store_check(store, &problems, cli_progress, cli);
    cli_progress_done(cli);
    pk_store_close(store);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    int code = EXIT_OK;
    if (problems->nrows > 0) {
        cli_print_table(cli, problems);
        fprintf(stderr, "plankit: error: store '%s' has %zu problem(s)\n", cli->store_path,
                problems->nrows);
        code = EXIT_FAIL;
    } else {
        if (cli->format == FMT_JSON || cli->format == FMT_CSV)
            cli_print_table(cli, problems); /* [] or the header: a healthy store is still valid output */
        if (!cli->quiet)
            fprintf(stderr, "plankit: store '%s' ok\n", cli->store_path);
    }
    pk_table_free(problems);
    return code;
}
