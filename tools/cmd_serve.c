/* cmd_serve.c — `plankit serve OUT|DIR`: serve vector tiles, the styles and
 * the web map page on a loopback port until Ctrl-C. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webmap_cli.h"

const char usage_serve[] =
    "usage: plankit serve OUT|DIR [--port N] [--host ADDRESS] [-v]\n"
    "\n"
    "Serve the vector tiles OUT (an .mbtiles or .pmtiles file) or DIR (a z/x/y folder), read-only,\n"
    "with the web map, until Ctrl-C:\n"
    "  /                           the web map page (styles zones, coverage, tasks)\n"
    "  /tiles/{z}/{x}/{y}.pbf      a tile of any of them (gzip; 204 No Content where there is none)\n"
    "  /tiles.pmtiles              the .pmtiles file itself, with HTTP Range requests\n"
    "  /styles/NAME.json           a MapLibre style whose tile URL points at this server\n"
    "Prints the URL on stdout once listening; with -v one line per request on stderr.\n"
    "\n"
    "Options:\n"
    "  -p, --port N        port (default 8080; 0 picks a free one)\n"
    "      --host ADDRESS  IPv4 address to listen on (default 127.0.0.1, this machine only)\n"
    "      --styles DIR    the MapLibre styles (default: plankit's styles/, or $PLANKIT_STYLES_DIR)\n"
    "      --maplibre DIR  maplibre-gl.js and .css (default: installed by scripts/setup.sh,\n"
    "                      or $PLANKIT_MAPLIBRE_DIR)\n"
    "  -q, -v, -h          quiet, one line per request, this help\n"
    "\n"
    "Example:\n"
    "  plankit serve kunshan.mbtiles --port 8080    then open http://127.0.0.1:8080/\n";

enum { OPT_HOST = 1000, OPT_STYLES, OPT_MAPLIBRE };

static void log_request(const char *line, void *arg)
{
    (void)arg;
    fprintf(stderr, "plankit serve: %s\n", line);
}

static int parse_port(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535)
        return cli_usage_error("serve", "port '%s' is not a number in 0-65535", s);
    *port = (int)v;
    return 0;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'}, {"host", required_argument, NULL, OPT_HOST},
        {"styles", required_argument, NULL, OPT_STYLES}, {"maplibre", required_argument, NULL, OPT_MAPLIBRE},
        CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
    };
    struct pk_serve_opts opts = {.port = 8080, .host = "127.0.0.1"};
    const char *styles = NULL, *maplibre = NULL;
    int opt, done = -1;
    optind = 1;
    while ((opt = cli_getopt(cli, argc, argv, "p:", longopts, usage_serve, &done)) != -1) {
        switch (opt) {
        case 'p':
            if (parse_port(optarg, &opts.port))
                return EXIT_USAGE;
            break;
        case OPT_HOST: opts.host = optarg; break;
        case OPT_STYLES: styles = optarg; break;
        case OPT_MAPLIBRE: maplibre = optarg; break;
        default: return cli_usage_error("serve", "unknown option");
        }
    }
    if (done >= 0)
        return done;
    if (optind + 1 != argc)
        return cli_usage_error("serve", "give one tile file or folder to serve");
    opts.tiles = argv[optind];
    cli_webmap_assets(&opts.assets, styles, maplibre);
    if (cli->verbose)
        opts.log = log_request;
    struct pk_server *server = NULL;
    int rc = pk_serve_start(cli->ctx, &opts, &server);
    if (rc != PK_OK)
        return cli_fail(cli, rc);
    printf("http://%s:%d/\n", opts.host, pk_server_port(server));
    fflush(stdout);
    if (!cli->quiet)
        fprintf(stderr, "plankit: serving %s at http://%s:%d/ (Ctrl-C stops)\n", opts.tiles, opts.host,
                pk_server_port(server));
    const struct timespec tick = {0, 100 * 1000 * 1000};
    while (!cli_interrupted)
        nanosleep(&tick, NULL);
    pk_serve_stop(server);
    if (!cli->quiet)
        fprintf(stderr, "plankit: stopped\n");
    return EXIT_OK;
}
