/* plankit.c — main: global options, the command table, help and dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "cli.h"
#include "webmap_cli.h"

struct command {
    const char *name;
    int (*fn)(struct cli *cli, int argc, char **argv);
    const char *usage;
    const char *summary;
};

/* Only commands that exist: the main help lists exactly these, and
 * tests/cli/t0005-help-verbs.sh walks each one and its verbs. */
static const struct command commands[] = {
    {"init", cmd_init, usage_init, "create a project store (optionally loading a layer manifest)"},
    {"layer", cmd_layer, usage_layer, "load, list, inspect, export, drop and rename layers"},
    {"task", cmd_task, usage_task, "plan tasks: import, add, update, attach to zones, history"},
    {"coverage", cmd_coverage, usage_coverage, "which features have which tasks, and the share covered"},
    {"query", cmd_query, usage_query, "tasks in/at/near a place, gaps without tasks, zones of a task"},
    {"overlay", cmd_overlay, usage_overlay, "intersection, union, difference, identity, clip, erase of two layers"},
    {"buffer", cmd_buffer, usage_buffer, "buffer a layer by a distance in metres (metric CRS)"},
    {"dissolve", cmd_dissolve, usage_dissolve, "merge a layer's features by a field"},
    {"tiles", cmd_tiles, usage_tiles, "vector and raster tiles (MBTiles, PMTiles, z/x/y folder) and their web map page"},
    {"map", cmd_map, usage_map, "a printed map or atlas (PDF, SVG, PNG) drawn with a MapLibre style"},
    {"sql", cmd_sql, usage_sql, "run a read-only SQL query (with SpatiaLite functions) on the store"},
    {"serve", cmd_serve, usage_serve, "serve vector tiles, their styles and a web map on this machine"},
    {"check", cmd_check, usage_check, "check the store's integrity and plankit's invariants"},
    {"version", cmd_version, usage_version, "print plankit's version and its libraries'"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char main_usage_head[] =
    "usage: plankit [-s STORE] [-q] [-v] <command> [<verb>] [options] [args]\n"
    "\n"
    "plankit keeps a spatial-planning project in one SpatiaLite store: layers of\n"
    "districts and zones, plan tasks attached to them, and the queries, overlays,\n"
    "vector tiles and web maps made from them.\n"
    "\n"
    "Global options (also accepted after the command):\n"
    "  -s, --store PATH   the project store (default $PLANKIT_STORE, else ./plan.sqlite)\n"
    "  -q, --quiet        no progress bar and no warnings\n"
    "  -v, --verbose      also print informational messages\n"
    "      --user NAME    name recorded in the change history (default $USER)\n"
    "      --version      print versions and exit\n"
    "  -h, --help         this help; 'plankit help CMD' or 'plankit CMD --help' for a command\n"
    "\n"
    "Commands:\n";

static const char main_usage_tail[] =
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n"
    "Example:\n"
    "  plankit init --with layers/kunshan.json && plankit layer list\n";

static void print_main_usage(FILE *out)
{
    fputs(main_usage_head, out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs(main_usage_tail, out);
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

/* Damerau-free Levenshtein distance, for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = c < del ? (c < ins ? c : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

const char *cli_closest(const char *name, const char *const *names, size_t n)
{
    const char *best = NULL;
    int best_d = 99;
    for (size_t i = 0; i < n; i++) {
        int dist = edit_distance(name, names[i]);
        if (strncmp(name, names[i], strlen(name)) == 0 && strlen(name) >= 2)
            dist = 1;
        if (dist < best_d) {
            best_d = dist;
            best = names[i];
        }
    }
    return best_d <= 3 ? best : NULL;
}

static int unknown_command(const char *name)
{
    const char *names[N_COMMANDS];
    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    const char *best = cli_closest(name, names, N_COMMANDS);
    fprintf(stderr, "plankit: error: '%s' is not a plankit command", name);
    if (best)
        fprintf(stderr, "; did you mean '%s'?", best);
    fprintf(stderr, " (see 'plankit --help')\n");
    return EXIT_USAGE;
}

static void on_interrupt(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

static int help_command(int argc, char **argv)
{
    if (argc < 2) {
        print_main_usage(stdout);
        return EXIT_OK;
    }
    const struct command *c = find_command(argv[1]);
    if (!c)
        return unknown_command(argv[1]);
    fputs(c->usage, stdout);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    struct cli cli = {0};
    int i = 1, rc;

    cli.store_path = getenv("PLANKIT_STORE");
    /* the environment is read here, never in the library: it becomes options */
    const char *threads = getenv("PLANKIT_THREADS"), *verify = getenv("PLANKIT_OVERLAY_VERIFY");
    if (threads && *threads) {
        char *end;
        long n = strtol(threads, &end, 10);
        if (*end || n < 1 || n > 256) {
            fprintf(stderr, "plankit: error: PLANKIT_THREADS='%.20s': give a whole number from 1 to 256\n", threads);
            return EXIT_USAGE;
        }
        cli.threads = (int)n;
    }
    cli.overlay_verify = verify && !strcmp(verify, "1");
    if (!cli.store_path || !*cli.store_path)
        cli.store_path = "plan.sqlite";
    /* global options before the command */
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            print_main_usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "--version")) {
            return cmd_version(&cli, 1, (char *[]){"version", NULL});
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            cli.quiet = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            cli.verbose++;
        } else if ((!strcmp(a, "-s") || !strcmp(a, "--store") || !strcmp(a, "--user")) && i + 1 < argc) {
            if (!strcmp(a, "--user"))
                setenv("USER", argv[++i], 1);
            else
                cli.store_path = argv[++i];
        } else if (!strncmp(a, "--store=", 8)) {
            cli.store_path = a + 8;
        } else {
            fprintf(stderr, "plankit: error: unknown option '%s' (see 'plankit --help')\n", a);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        print_main_usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[i], "help"))
        return help_command(argc - i, argv + i);
    const struct command *c = find_command(argv[i]);
    if (!c)
        return unknown_command(argv[i]);

    cli.ctx = pk_ctx_new();
    if (!cli.ctx) {
        fprintf(stderr, "plankit: error: out of memory\n");
        return EXIT_FAIL;
    }
    const char *user = getenv("USER"); /* --user before the command sets it too */
    if (user && *user)
        pk_ctx_set_user(cli.ctx, user);
    cli.progress_tty = isatty(STDERR_FILENO) && !cli.quiet;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C stops at once; the store stays safe */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cli_apply_log_level(&cli);
    snprintf(cli.cmd, sizeof cli.cmd, "%s", c->name);
    rc = c->fn(&cli, argc - i, argv + i);
    cli_progress_done(&cli);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "plankit: error: cannot write the output\n");
        rc = EXIT_FAIL;
    }
    pk_ctx_free(cli.ctx);
    return rc;
}
