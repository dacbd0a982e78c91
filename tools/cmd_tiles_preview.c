/* cmd_tiles_preview.c — `plankit tiles preview OUT -o DIR`: write the web map
 * page, the styles and a local maplibre-gl copy for the tiles OUT. */
#include <stdlib.h>
#include <string.h>

#include "webmap_cli.h"

const char usage_tiles_preview[] =
    "usage: plankit tiles preview OUT -o DIR [--base URL] [--styles DIR] [--maplibre DIR]\n"
    "\n"
    "Write a web map of the vector tiles OUT (.mbtiles, .pmtiles or a z/x/y folder) into DIR:\n"
    "index.html (the map with a style switcher - zones, coverage, tasks -, a switcher of the\n"
    "style's layer groups and a popup with a clicked feature's attributes and task ids),\n"
    "styles/NAME.json and a local copy of maplibre-gl (no CDN, no glyph server: Chinese\n"
    "labels are drawn with the browser's fonts). The tiles are read from URL/tiles/{z}/{x}/{y}.pbf,\n"
    "where `plankit serve OUT --port 8080` serves them; open DIR/index.html in a browser, or\n"
    "simply open the page that `plankit serve` itself serves at /.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR    the folder to write (created if missing)\n"
    "      --base URL      where the tiles are served (default http://127.0.0.1:8080)\n"
    "      --styles DIR    the MapLibre styles (default: plankit's styles/, or $PLANKIT_STYLES_DIR)\n"
    "      --maplibre DIR  maplibre-gl.js and .css (default: installed by scripts/setup.sh,\n"
    "                      or $PLANKIT_MAPLIBRE_DIR)\n"
    "  -q, -v, -h          quiet, verbose, this help\n"
    "\n"
    "Example:\n"
    "  plankit tiles preview kunshan.mbtiles -o kunshan-map && plankit serve kunshan.mbtiles --port 8080\n";

enum { OPT_BASE = 1000, OPT_STYLES, OPT_MAPLIBRE };

void cli_webmap_assets(struct pk_webmap_assets *a, const char *styles, const char *maplibre)
{
    const char *env_styles = getenv("PLANKIT_STYLES_DIR"), *env_maplibre = getenv("PLANKIT_MAPLIBRE_DIR");
    a->styles_dir = styles ? styles : env_styles && *env_styles ? env_styles : PLANKIT_STYLES_DIR;
    a->maplibre_dir = maplibre ? maplibre : env_maplibre && *env_maplibre ? env_maplibre : PLANKIT_MAPLIBRE_DIR;
}

int cmd_tiles_preview(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"base", required_argument, NULL, OPT_BASE},
        {"styles", required_argument, NULL, OPT_STYLES}, {"maplibre", required_argument, NULL, OPT_MAPLIBRE},
        CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
    };
    struct pk_preview_opts opts = {0};
    const char *styles = NULL, *maplibre = NULL;
    int opt, done = -1;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, "o:", longopts, usage_tiles_preview, &done)) !=
           -1) {
        switch (opt) {
        case 'o': opts.out_dir = optarg; break;
        case OPT_BASE: opts.base = optarg; break;
        case OPT_STYLES: styles = optarg; break;
        case OPT_MAPLIBRE: maplibre = optarg; break;
        default: return cli_usage_error("tiles preview", "unknown option");
        }
    }
    if (done >= 0)
        return done;
    if (optind + 1 != argc)
        return cli_usage_error("tiles preview", "give one tile file or folder OUT");
    if (!opts.out_dir)
        return cli_usage_error("tiles preview", "give the output folder with -o DIR");
    opts.tiles = argv[optind];
    cli_webmap_assets(&opts.assets, styles, maplibre);
    int rc = pk_tiles_preview(cli->ctx, &opts);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    if (!cli->quiet)
        fprintf(stderr, "plankit: wrote %s/index.html; serve the tiles with 'plankit serve %s --port 8080' "
                        "and open it\n", opts.out_dir, opts.tiles);
    return EXIT_OK;
}
