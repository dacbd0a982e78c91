/* cmd_init.c — `plankit init`: create a project store, optionally loading a
 * layer manifest into it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char usage_init[] =
    "usage: plankit init [--crs EPSG:N] [--measure-crs EPSG:N] [--with MANIFEST]\n"
    "\n"
    "Create a new project store (a SpatiaLite file) at -s/--store, $PLANKIT_STORE or\n"
    "./plan.sqlite. The store must not exist yet.\n"
    "\n"
    "Options:\n"
    "  --crs EPSG:N          storage CRS of all layers (default EPSG:4326; EPSG:4490 = CGCS2000)\n"
    "  --measure-crs EPSG:N  metric CRS for areas, lengths and buffers (default: chosen from the\n"
    "                        first layer's longitude, the CGCS2000 3-degree Gauss-Kruger zone,\n"
    "                        e.g. EPSG:4549 for Kunshan; a WGS84 UTM zone outside China)\n"
    "  --with MANIFEST       load every layer (and the task file) a manifest lists, e.g.\n"
    "                        layers/kunshan.json; the manifest's crs/measure_crs are defaults\n"
    "  -s, --store PATH      where to create the store\n"
    "  -q, --quiet           no progress bar and no warnings\n"
    "  -v, --verbose         more messages\n"
    "  -h, --help            this help\n"
    "\n"
    "If anything fails, no store is left behind.\n"
    "Examples:\n"
    "  plankit init --crs EPSG:4490 --measure-crs EPSG:4549\n"
    "  plankit -s kunshan.sqlite init --with layers/kunshan.json\n";

int cmd_init(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"crs", required_argument, NULL, 'c'},
        {"measure-crs", required_argument, NULL, 'm'},
        {"with", required_argument, NULL, 'w'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct pk_store_opts opts = {0};
    const char *manifest_path = NULL;
    struct pk_manifest *manifest = NULL;
    struct pk_store *store = NULL;
    int opt, done = -1, rc;

    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, NULL, longopts, usage_init, &done)) != -1) {
        switch (opt) {
        case 'c': opts.crs = optarg; break;
        case 'm': opts.measure_crs = optarg; break;
        case 'w': manifest_path = optarg; break;
        default: return cli_usage_error("init", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (done >= 0)
        return done;
    if (optind < argc)
        return cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
    if (manifest_path) {
        if ((rc = pk_manifest_open(cli->ctx, manifest_path, &manifest)) != PK_OK)
            return cli_fail(cli, rc);
        if (!opts.crs)
            opts.crs = pk_manifest_crs(manifest);
        if (!opts.measure_crs)
            opts.measure_crs = pk_manifest_measure_crs(manifest);
    }
    rc = pk_store_create(cli->ctx, cli->store_path, &opts, &store);
    if (rc == PK_OK && manifest)
        rc = pk_manifest_load(store, manifest, cli_progress, cli);
    if (rc != PK_OK) {
        int code = cli_fail(cli, rc);
        if (store) {
            pk_store_close(store);
            unlink(cli->store_path);
        }
        pk_manifest_free(manifest);
        return code;
    }
    cli_progress_done(cli);
    if (!cli->quiet) {
        fprintf(stderr, "plankit: created store '%s' (CRS EPSG:%d", cli->store_path, pk_store_srid(store));
        if (pk_store_measure_srid(store))
            fprintf(stderr, ", metric CRS EPSG:%d", pk_store_measure_srid(store));
        fprintf(stderr, ")");
        if (manifest)
            fprintf(stderr, " with %d layers from '%s'", pk_manifest_layer_count(manifest), manifest_path);
        fprintf(stderr, "\n");
    }
    pk_store_close(store);
    pk_manifest_free(manifest);
    return EXIT_OK;
}
