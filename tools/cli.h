/* cli.h — shared state and helpers of the plankit command-line tool.
 *
 * Adding a command:
 *   1. write tools/cmd_<name>.c with `int cmd_<name>(struct cli *, int, char **)`
 *      and its usage text `extern const char usage_<name>[]`;
 *   2. declare both below and add a row to the table in tools/plankit.c;
 *   3. document it in README.md and add tests/cli/tNNNN-<name>-*.sh.
 * Commands parse options with getopt_long, call one library function, print
 * data on stdout and return an exit code (enum cli_exit).
 */
#ifndef PLANKIT_CLI_H
#define PLANKIT_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "plankit/plankit.h"

enum cli_exit { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

enum cli_format { FMT_TABLE = 0, FMT_CSV, FMT_JSON, FMT_GEOJSON };

struct cli {
    struct pk_ctx *ctx;
    const char *store_path;  /* -s/--store, $PLANKIT_STORE, ./plan.sqlite */
    int quiet;
    int verbose;
    enum cli_format format;
    int progress_tty;        /* stderr is a terminal and not -q */
    char cmd[64];            /* "layer load": the command (and verb) running, for messages */
    int threads;             /* $PLANKIT_THREADS (0: one per CPU), passed to the engines' options */
    int overlay_verify;      /* $PLANKIT_OVERLAY_VERIFY=1 */
};

/* Options every command accepts; append to a command's long option table. */
#define CLI_COMMON_LONGOPTS                                  \
    {"store", required_argument, NULL, 's'},                 \
    {"quiet", no_argument, NULL, 'q'},                       \
    {"verbose", no_argument, NULL, 'v'},                     \
    {"format", required_argument, NULL, 'F'},                \
    {"user", required_argument, NULL, 'U'},                  \
    {"help", no_argument, NULL, 'h'}
#define CLI_COMMON_SHORTOPTS "s:qvh"

/* Handle a common option; returns 1 if handled, -1 on a bad value
 * (message printed), 0 if the option is not a common one. `usage` is shown
 * for -h (then *exit_now is set). */
int cli_common_option(struct cli *cli, int opt, const char *usage, int *exit_now);

/* getopt_long over a command's options plus the common ones, which it
 * handles. Returns the next command option, or -1 at the end; when the
 * command must stop (after -h, or a bad common option) it returns -1 with
 * *done set to the exit code (leave *done at -1 before the loop). Reset
 * optind = 1 before the first call. */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *usage, int *done);

/* For commands that take a negative number as an argument (buffer LAYER
 * -100m): a copy of argv in which those arguments follow a "--", after the
 * options and their values, all arguments in their order, so that getopt
 * reads "-100m" as an argument, not as options -1, -0, ... (The options
 * come first either way, as getopt would permute them.) shortopts and longopts: the command's, as given to
 * cli_getopt. Returns the new array (caller frees it, not the strings) with
 * its count in *argc_out, or NULL when out of memory. */
char **cli_args_negative_ok(int argc, char **argv, const char *shortopts, const struct option *longopts,
                            int *argc_out);

/* Strict number options: the whole text is the number, in range, finite;
 * 0 on success, -1 otherwise. Years are 1900..2200. Metres: "500", "500m"
 * or "1.5km", at most 20 000 km either way (callers check the sign). */
int cli_parse_integer(const char *s, long long min, long long max, long long *out);
int cli_parse_year(const char *s, int *out);
int cli_parse_metres(const char *s, double *out);

/* For commands whose output has no geometry: a usage error when --format
 * geojson was asked for (returns EXIT_USAGE), else -1. */
int cli_refuse_geojson(struct cli *cli, const char *cmd);

/* Check --status, --pillar and --lead filter values (each may point at
 * NULL) against the store, replacing status and pillar by their canonical
 * names; *owned receives the pillar's copy (free it). PK_OK or the error. */
int cli_check_filters(struct pk_store *store, const char **status, const char **pillar, char **owned,
                      const char *lead);

/* Route library log messages to stderr at the level -q/-v ask for. */
void cli_apply_log_level(struct cli *cli);
/* Closest of names to name (edit distance), or NULL when none is close. */
const char *cli_closest(const char *name, const char *const *names, size_t n);

/* Open the store chosen by -s/$PLANKIT_STORE/./plan.sqlite. Prints the error. */
struct pk_store *cli_open_store(struct cli *cli);

/* Print "plankit: error: <ctx message>" and map the status to an exit code. */
int cli_fail(struct cli *cli, int status);
/* Print "plankit: error: <msg>" plus a hint to --help, return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress callback for the library: a bar on stderr when it is a terminal
 * and -q is not given; silent otherwise. arg is the struct cli. */
int cli_progress(double frac, const char *msg, void *arg);
/* Set by the SIGINT/SIGTERM handler; cli_progress then asks the library to stop. */
extern volatile sig_atomic_t cli_interrupted;
void cli_progress_done(struct cli *cli);

/* Print a result table on stdout in the chosen format. */
int cli_print_table(struct cli *cli, const struct pk_table *t);
/* Display width of a UTF-8 string (CJK characters count 2). */
int cli_text_width(const char *s);
/* The first character of s (not empty): returns its length in bytes (1
 * for a byte that is no valid UTF-8) and sets *width to its columns. */
int cli_char_width(const char *s, int *width);
/* Print "<prefix><msg>\n" as one line: control characters become spaces,
 * and a name or word wider than 80 columns is cut in the middle with "…"
 * (a layer name of 3000 characters does not flood the terminal). */
void cli_message(FILE *out, const char *prefix, const char *msg);

/* Parse a --format value; -1 if unknown. */
int cli_parse_format(const char *s);

/* Run the verb argv[1] of a command from parallel tables of names and
 * functions; prints usage or suggests the closest verb when unknown. */
int cli_dispatch_verb(struct cli *cli, const char *cmd, const char *usage, int argc, char **argv,
                      const char *const *names, int (*const *fns)(struct cli *, int, char **), size_t n);
/* Parse "a,b,c,d" into 4 doubles; returns 0 on success. */
int cli_parse_numbers(const char *s, double *out, int n);
/* Once per command, unless quiet: name on stderr the schematic layers (class
 * "schematic ±km" in `layer list`) among LAYERS (n names, NULL entries
 * skipped) and, when with_linked, the layers tasks link to. Prints nothing
 * when there are none or the store cannot say. */
void cli_note_schematic(struct cli *cli, struct pk_store *store, const char *const *layers, size_t n,
                        int with_linked);

/* Commands */
int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_layer(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_task(struct cli *cli, int argc, char **argv);
int cmd_coverage(struct cli *cli, int argc, char **argv);
int cmd_query(struct cli *cli, int argc, char **argv);
int cmd_sql(struct cli *cli, int argc, char **argv);
int cmd_overlay(struct cli *cli, int argc, char **argv);
int cmd_buffer(struct cli *cli, int argc, char **argv);
int cmd_dissolve(struct cli *cli, int argc, char **argv);
int cmd_tiles(struct cli *cli, int argc, char **argv);
int cmd_map(struct cli *cli, int argc, char **argv);
extern const char usage_init[], usage_layer[], usage_check[], usage_version[], usage_task[],
    usage_coverage[], usage_query[], usage_sql[], usage_overlay[], usage_buffer[], usage_dissolve[];
extern const char usage_tiles[], usage_map[];

#endif
