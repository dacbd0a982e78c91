/* cli_util.c — option helpers, store opening, error reporting and the
 * terminal progress bar shared by all commands. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_parse_format(const char *s)
{
    if (!strcmp(s, "table"))
        return FMT_TABLE;
    if (!strcmp(s, "csv"))
        return FMT_CSV;
    if (!strcmp(s, "json"))
        return FMT_JSON;
    if (!strcmp(s, "geojson"))
        return FMT_GEOJSON;
    return -1;
}

int cli_common_option(struct cli *cli, int opt, const char *usage, int *exit_now)
{
    switch (opt) {
    case 's':
        cli->store_path = optarg;
        return 1;
    case 'q':
        cli->quiet = 1;
        cli->progress_tty = 0;
        cli_apply_log_level(cli);
        return 1;
    case 'v':
        cli->verbose++;
        cli_apply_log_level(cli);
        return 1;
    case 'U':
        pk_ctx_set_user(cli->ctx, optarg);
        return 1;
    case 'F': {
        int f = cli_parse_format(optarg);
        if (f < 0) {
            fprintf(stderr, "plankit: error: unknown --format '%s': use table, csv, json or geojson\n",
                    optarg);
            return -1;
        }
        cli->format = (enum cli_format)f;
        return 1;
    }
    case 'h':
        fputs(usage, stdout);
        *exit_now = 1;
        return 1;
    default:
        return 0;
    }
}

int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *usage, int *done)
{
    char so[64];
    snprintf(so, sizeof so, ":%s%s", CLI_COMMON_SHORTOPTS, shortopts ? shortopts : "");
    opterr = 0; /* reported below, in one line */
    for (;;) {
        int opt = getopt_long(argc, argv, so, longopts, NULL), exit_now = 0;
        if (opt == -1)
            return -1;
        if (opt == '?' || opt == ':') {
            /* a short option inside a cluster ("-x" of "-xyz") is optopt; argv[optind - 1] may be past it */
            char shortopt[3] = {'-', (char)optopt, '\0'};
            int is_short = optopt > 0 && optopt < 128 && argv[optind - 1][0] == '-' && argv[optind - 1][1] != '-';
            cli_usage_error(cli->cmd[0] ? cli->cmd : argv[0], "%s '%s'", opt == ':' ? "missing value for"
                            : "unknown option", is_short ? shortopt : argv[optind - 1]);
            *done = EXIT_USAGE;
            return -1;
        }
        int common = cli_common_option(cli, opt, usage, &exit_now);
        if (common < 0 || exit_now) {
            *done = common < 0 ? EXIT_USAGE : EXIT_OK;
            return -1;
        }
        if (!common)
            return opt;
    }
}

static void log_to_stderr(enum pk_log_level level, const char *msg, void *arg)
{
    struct cli *cli = arg;
    static const char *names[] = {"error", "warning", "info", "debug"};
    char prefix[32];
    cli_progress_done(cli);
    snprintf(prefix, sizeof prefix, "plankit: %s: ", names[level]);
    cli_message(stderr, prefix, msg);
}

void cli_apply_log_level(struct cli *cli)
{
    pk_ctx_set_log(cli->ctx, log_to_stderr, cli,
                   cli->quiet ? PK_LOG_ERROR : cli->verbose > 1 ? PK_LOG_DEBUG
                                             : cli->verbose ? PK_LOG_INFO : PK_LOG_WARN);
}

struct pk_store *cli_open_store(struct cli *cli)
{
    struct pk_store *store = NULL;
    if (pk_store_open(cli->ctx, cli->store_path, &store) != PK_OK) {
        cli_fail(cli, pk_errcode(cli->ctx));
        return NULL;
    }
    if (pk_store_access(store) != PK_STORE_WRITABLE && !cli->quiet)
        fprintf(stderr, "plankit: note: store '%s' is read-only (%s): opened for reading only\n", cli->store_path,
                pk_store_readonly_reason(store));
    return store;
}

int cli_fail(struct cli *cli, int status)
{
    cli_progress_done(cli);
    cli_message(stderr, "plankit: error: ", pk_errmsg(cli->ctx));
    return status == PK_ERR_ARGS ? EXIT_USAGE : EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    char msg[2048];
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n, " (see 'plankit %s --help')", cmd);
    cli_message(stderr, "plankit: error: ", msg);
    return EXIT_USAGE;
}

static int bar_shown;
static double bar_last_time = -1;
static int bar_last_pct = -1;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

volatile sig_atomic_t cli_interrupted;

int cli_progress(double frac, const char *msg, void *arg)
{
    struct cli *cli = arg;
    static long test_delay_ms = -1;
    if (test_delay_ms < 0) { /* test hook: slow long jobs down so tests can interrupt them mid-way */
        const char *d = getenv("PLANKIT_TEST_PROGRESS_DELAY_MS");
        test_delay_ms = d ? atol(d) : 0;
    }
    if (test_delay_ms > 0)
        usleep((useconds_t)test_delay_ms * 1000);
    if (cli_interrupted)
        return 0; /* Ctrl-C: the library cancels and rolls back */
    if (!cli || !cli->progress_tty)
        return 1;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    int pct = (int)(frac * 100.0);
    double t = now_seconds();
    if (pct == bar_last_pct || (t - bar_last_time < 0.1 && pct < 100))
        return 1;
    bar_last_pct = pct;
    bar_last_time = t;
    char bar[41];
    int fill = (int)(frac * 40.0);
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[40] = '\0';
    fprintf(stderr, "\r[%s] %3d%% %-30.30s", bar, pct, msg ? msg : "");
    fflush(stderr);
    bar_shown = 1;
    return 1;
}

void cli_progress_done(struct cli *cli)
{
    (void)cli;
    if (bar_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        bar_shown = 0;
        bar_last_pct = -1;
    }
}

int cli_dispatch_verb(struct cli *cli, const char *cmd, const char *usage, int argc, char **argv,
                      const char *const *names, int (*const *fns)(struct cli *, int, char **), size_t n)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(argv[1], names[i])) {
            snprintf(cli->cmd, sizeof cli->cmd, "%s %s", cmd, names[i]);
            return fns[i](cli, argc - 1, argv + 1);
        }
    const char *best = cli_closest(argv[1], names, n);
    fprintf(stderr, "plankit: error: '%s' is not a '%s' verb", argv[1], cmd);
    if (best)
        fprintf(stderr, "; did you mean '%s'?", best);
    fprintf(stderr, " (see 'plankit %s --help')\n", cmd);
    return EXIT_USAGE;
}


int cli_parse_numbers(const char *s, double *out, int n)
{
    char *end;
    for (int i = 0; i < n; i++) {
        errno = 0;
        out[i] = strtod(s, &end);
        if (end == s || errno == ERANGE || !isfinite(out[i]))
            return -1;
        s = end;
        if (i + 1 < n) {
            if (*s != ',')
                return -1;
            s++;
        }
    }
    return *s ? -1 : 0;
}

int cli_check_filters(struct pk_store *store, const char **status, const char **pillar, char **owned,
                      const char *lead)
{
    int rc = PK_OK;
    *owned = NULL;
    if (*status)
        rc = pk_task_check_status(pk_store_ctx(store), *status, status);
    if (rc == PK_OK && *pillar && (rc = pk_task_check_pillar(store, *pillar, owned)) == PK_OK)
        *pillar = *owned;
    if (rc == PK_OK && lead)
        rc = pk_task_check_lead(store, lead);
    return rc;
}

int cli_parse_integer(const char *s, long long min, long long max, long long *out)
{
    char *end;
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_year(const char *s, int *out)
{
    long long v;
    if (cli_parse_integer(s, 1900, 2200, &v))
        return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_metres(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v))
        return -1;
    if (!strcmp(end, "km"))
        v *= 1000;
    else if (*end && strcmp(end, "m"))
        return -1;
    if (!isfinite(v) || fabs(v) > 2e7) /* half the earth's circumference */
        return -1;
    *out = v;
    return 0;
}

int cli_refuse_geojson(struct cli *cli, const char *cmd)
{
    if (cli->format != FMT_GEOJSON)
        return -1;
    return cli_usage_error(cmd, "--format geojson: '%s' prints no geometries: use table, csv or json", cmd);
}

/* "-100m", "-1.5km", "-.5": a negative number, not an option. */
static int negative_number(const char *s)
{
    return s[0] == '-' && ((s[1] >= '0' && s[1] <= '9') || (s[1] == '.' && s[2] >= '0' && s[2] <= '9'));
}

/* Does the option token s (after its dashes) consume the next token as
 * its value? Long options by name or unique prefix, short ones by cluster. */
static int takes_next(const char *s, const char *shortopts, const struct option *longopts)
{
    if (s[0] == '-' && s[1] == '-') {
        const char *name = s + 2;
        size_t len = strcspn(name, "=");
        if (name[len] == '=')
            return 0;
        const struct option *hit = NULL;
        int hits = 0;
        for (const struct option *o = longopts; o && o->name; o++)
            if (!strncmp(o->name, name, len)) {
                if (strlen(o->name) == len) {
                    hit = o, hits = 1;
                    break;
                }
                hit = o, hits++;
            }
        return hits == 1 && hit->has_arg == required_argument;
    }
    for (const char *c = s + 1; *c; c++) {
        const char *p = strchr(shortopts, *c);
        if (p && p[1] == ':')
            return c[1] == '\0'; /* "-o OUT" takes the next; "-oOUT" does not */
    }
    return 0;
}

char **cli_args_negative_ok(int argc, char **argv, const char *shortopts, const struct option *longopts,
                            int *argc_out)
{
    char all_short[64];
    snprintf(all_short, sizeof all_short, "%s%s", CLI_COMMON_SHORTOPTS, shortopts ? shortopts : "");
    char **opts = calloc((size_t)argc + 2, sizeof *opts), **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!opts || !pos) {
        free(opts);
        free(pos);
        return NULL;
    }
    int no = 0, np = 0, dangling = 0;
    opts[no++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (++i < argc)
                pos[np++] = argv[i];
        } else if (a[0] == '-' && a[1] && !negative_number(a)) {
            opts[no++] = argv[i];
            if (takes_next(a, all_short, longopts) && !(dangling = i + 1 == argc))
                opts[no++] = argv[++i];
        } else {
            pos[np++] = argv[i];
        }
    }
    if (dangling) { /* "-o" at the end, without its value: as given, for getopt to say so */
        memcpy(opts, argv, (size_t)argc * sizeof *argv);
        no = argc, np = 0;
    } else if (np) {
        opts[no++] = "--"; /* getopt reads what follows as arguments, "-100m" too */
    }
    for (int i = 0; i < np; i++)
        opts[no++] = pos[i];
    opts[no] = NULL;
    free(pos);
    *argc_out = no;
    return opts;
}
