/* cli_accuracy.c — the once-per-command note on stderr that a result rests on
 * schematic layers (accuracy class "schematic ±km" in `plankit layer list`):
 * coverage, query and overlay print it so that a number read from a drawn or
 * estimated outline is not taken for a surveyed one. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int in_list(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && !strcmp(names[i], name))
            return 1;
    return 0;
}

/* Does a task link to a feature of this layer? (looked up in LINKED, the
 * layer names of pk_task_links; NULL = not asked) */
static int is_linked(const struct pk_table *linked, const char *name)
{
    for (size_t r = 0; linked && r < linked->nrows; r++) {
        const char *v = pk_table_get(linked, r, 0);
        if (v && !strcmp(v, name))
            return 1;
    }
    return 0;
}

void cli_note_schematic(struct cli *cli, struct pk_store *store, const char *const *layers, size_t n,
                        int with_linked)
{
    if (cli->quiet)
        return;
    struct pk_table *list = NULL, *linked = NULL;
    if (pk_layer_list(store, &list) != PK_OK)
        return; /* a note, not a result: no note rather than an error */
    if (with_linked && pk_sql_readonly(store, "SELECT DISTINCT l.name FROM pk_task_links k"
                                              " JOIN pk_layers l ON l.id = k.layer_id", &linked) != PK_OK)
        linked = NULL;
    int cname = pk_table_col(list, "name"), cacc = pk_table_col(list, "accuracy");
    char names[1024] = "";
    size_t used = 0;
    for (size_t r = 0; cname >= 0 && cacc >= 0 && r < list->nrows; r++) {
        const char *name = pk_table_get(list, r, cname), *acc = pk_table_get(list, r, cacc);
        if (!name || !acc || strncmp(acc, "schematic", 9) != 0)
            continue;
        if (!in_list(name, layers, n) && !is_linked(linked, name))
            continue;
        int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", name);
        if (w < 0 || (size_t)w >= sizeof names - used)
            break;
        used += (size_t)w;
    }
    if (used)
        fprintf(stderr, "plankit: note: this result uses schematic layers (drawn or estimated geometry, "
                        "errors of up to several km; see 'plankit layer list'): %s\n", names);
    pk_table_free(linked);
    pk_table_free(list);
}
