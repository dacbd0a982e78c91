/* tiler_layers.c — which tile layers an export has and which attributes
 * each carries: the store layers asked for (all when none), their fields
 * from the registry (pk_fields) restricted by --fields LAYER:f1,f2, plus
 * the coverage fields and the `tasks` and `labels` layers
 * (the tile contract of include/plankit/tiles.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiler_layers_int.h"

void tl_layers_free(struct tl_layers *L)
{
    for (int i = 0; i < L->n; i++) {
        struct tl_layer *l = &L->l[i];
        for (int k = 0; k < l->nfields; k++)
            free(l->fields[k]);
        free(l->fields);
        free(l->types);
    }
    free(L->l);
    memset(L, 0, sizeof *L);
}

static struct tl_layer *add_layer(struct pk_ctx *ctx, struct tl_layers *L, const char *name)
{
    struct tl_layer *grown = realloc(L->l, (size_t)(L->n + 1) * sizeof *grown);
    if (!grown) {
        pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        return NULL;
    }
    L->l = grown;
    struct tl_layer *l = &L->l[L->n++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    return l;
}

/* Append field name (MVT type t) to l. */
int tl_layer_add_field(struct pk_ctx *ctx, struct tl_layer *l, const char *name, enum pk_mvt_value_type t)
{
    char **f = realloc(l->fields, (size_t)(l->nfields + 1) * sizeof *f);
    if (f)
        l->fields = f;
    enum pk_mvt_value_type *ty = realloc(l->types, (size_t)(l->nfields + 1) * sizeof *ty);
    if (ty)
        l->types = ty;
    char *copy = strdup(name);
    if (!f || !ty || !copy) {
        free(copy);
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    l->fields[l->nfields] = copy;
    l->types[l->nfields++] = t;
    return PK_OK;
}

/* The restriction of --fields for layer name: the list after "name:", or
 * NULL when none names it. */
static const char *fields_for(const struct pk_tiles_opts *o, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < o->nfields; i++)
        if (strncmp(o->fields[i], name, n) == 0 && o->fields[i][n] == ':')
            return o->fields[i] + n + 1;
    return NULL;
}

/* Is field in the comma-separated list? */
static int in_list(const char *list, const char *field)
{
    size_t n = strlen(field);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, field, n) == 0)
            return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

/* Every name of the --fields list of layer l must be one of its fields. */
static int check_fields_list(struct pk_ctx *ctx, const struct tl_layer *l, const char *list, char **all, int nall)
{
    char *copy = strdup(list);
    if (!copy)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    int rc = PK_OK;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && rc == PK_OK; tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int i = 0; i < nall; i++)
            found |= strcmp(all[i], tok) == 0;
        if (!found)
            rc = pk_error(ctx, PK_ERR_NOTFOUND, "--fields: layer '%s' has no field '%s'", l->name, tok);
    }
    free(copy);
    return rc;
}

/* The registry fields of l (in order) that the --fields restriction keeps. */
static int read_fields(struct pk_store *S, struct tl_layer *l, const char *restrict_to)
{
    struct pk_ctx *ctx = pk_store_ctx(S);
    sqlite3_stmt *st = NULL;
    char *all[256];
    int nall = 0, rc = pk_sql_prepare(S, "SELECT name, type FROM pk_fields WHERE layer_id = ?1 ORDER BY position", &st);
    if (rc != PK_OK)
        return rc;
    sqlite3_bind_int64(st, 1, l->ref.id);
    int step;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0), *type = (const char *)sqlite3_column_text(st, 1);
        if (!name || !type || nall == 256)
            continue;
        if (!(all[nall++] = strdup(name)))
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        enum pk_mvt_value_type t = strcmp(type, "INTEGER") == 0 ? PK_MVT_INT
                                   : strcmp(type, "REAL") == 0  ? PK_MVT_DOUBLE
                                                                : PK_MVT_STRING;
        if (rc == PK_OK && (!restrict_to || in_list(restrict_to, name)))
            rc = tl_layer_add_field(ctx, l, name, t);
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(S, "reading the layer's fields");
    sqlite3_finalize(st);
    if (rc == PK_OK && restrict_to)
        rc = check_fields_list(ctx, l, restrict_to, all, nall);
    for (int i = 0; i < nall; i++)
        free(all[i]);
    return rc;
}

/* Every --fields entry is LAYER:list and names a layer of the export. */
static int check_fields_opts(struct pk_ctx *ctx, const struct pk_tiles_opts *o, const struct tl_layers *L)
{
    for (int i = 0; i < o->nfields; i++) {
        const char *colon = strchr(o->fields[i], ':');
        if (!colon || colon == o->fields[i] || !colon[1])
            return pk_error(ctx, PK_ERR_ARGS, "--fields '%s': expected LAYER:FIELD,FIELD", o->fields[i]);
        int found = 0;
        for (int k = 0; k < L->n; k++)
            found |= strlen(L->l[k].name) == (size_t)(colon - o->fields[i]) &&
                     strncmp(L->l[k].name, o->fields[i], (size_t)(colon - o->fields[i])) == 0;
        if (!found)
            return pk_error(ctx, PK_ERR_NOTFOUND, "--fields '%s': '%.*s' is not a layer of this export",
                            o->fields[i], (int)(colon - o->fields[i]), o->fields[i]);
    }
    return PK_OK;
}

/* Names of every layer of the store, in registry order. */
static int all_layer_names(struct pk_store *S, char ***names, int *n)
{
    sqlite3_stmt *st = NULL;
    int rc = pk_sql_prepare(S, "SELECT name FROM pk_layers ORDER BY id", &st), step;
    *names = NULL, *n = 0;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        char **g = realloc(*names, (size_t)(*n + 1) * sizeof *g);
        char *s = g ? strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
        if (g)
            *names = g;
        if (!s)
            rc = pk_error(pk_store_ctx(S), PK_ERR_NOMEM, "out of memory");
        else
            (*names)[(*n)++] = s;
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(S, "listing the layers");
    sqlite3_finalize(st);
    return rc;
}

static int add_store_layer(struct pk_store *S, const struct pk_tiles_opts *o, struct tl_layers *L, const char *name)
{
    struct pk_layer_ref ref;
    int rc = pk_layer_find(S, name, &ref);
    if (rc != PK_OK)
        return rc;
    for (int k = 0; k < L->n; k++)
        if (strcmp(L->l[k].name, name) == 0)
            return PK_OK; /* named twice */
    struct tl_layer *l = add_layer(pk_store_ctx(S), L, ref.name);
    if (!l)
        return PK_ERR_NOMEM;
    l->ref = ref;
    l->store = 1;
    rc = read_fields(S, l, fields_for(o, ref.name));
    l->nstore_fields = l->nfields;
    return rc;
}

int tl_layers_resolve(struct pk_store *S, const struct pk_tiles_opts *o, struct tl_layers *L)
{
    struct pk_ctx *ctx = pk_store_ctx(S);
    char **names = NULL;
    int n = 0, rc = PK_OK;
    if (o->nlayers > 0)
        for (int i = 0; rc == PK_OK && i < o->nlayers; i++)
            rc = add_store_layer(S, o, L, o->layers[i]);
    else if ((rc = all_layer_names(S, &names, &n)) == PK_OK)
        for (int i = 0; rc == PK_OK && i < n; i++)
            rc = add_store_layer(S, o, L, names[i]);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == PK_OK && L->n == 0)
        rc = pk_error(ctx, PK_ERR_NOTFOUND, "the store has no layers to tile (load one with 'plankit layer load')");
    if (rc == PK_OK)
        rc = check_fields_opts(ctx, o, L);
    L->coverage = -1, L->tasks = -1, L->labels = -1;
    if (rc == PK_OK && o->coverage_layer) {
        for (int k = 0; k < L->n; k++)
            if (strcmp(L->l[k].name, o->coverage_layer) == 0)
                L->coverage = k;
        if (L->coverage < 0)
            rc = pk_error(ctx, PK_ERR_NOTFOUND, "--coverage: '%s' is not a layer of this export", o->coverage_layer);
        struct tl_layer *c = rc == PK_OK ? &L->l[L->coverage] : NULL;
        if (c && ((rc = tl_layer_add_field(ctx, c, "tasks", PK_MVT_INT)) != PK_OK ||
                  (rc = tl_layer_add_field(ctx, c, "task_ids", PK_MVT_STRING)) != PK_OK ||
                  (rc = tl_layer_add_field(ctx, c, "share", PK_MVT_DOUBLE)) != PK_OK))
            return rc;
    }
    static const char *const task_fields[] = {"id", "title", "pillar", "status", "progress", "kind", "layer"};
    static const enum pk_mvt_value_type task_types[] = {PK_MVT_STRING, PK_MVT_STRING, PK_MVT_STRING, PK_MVT_STRING,
                                                        PK_MVT_INT, PK_MVT_STRING, PK_MVT_STRING};
    if (rc == PK_OK && o->tasks) {
        struct tl_layer *t = add_layer(ctx, L, "tasks");
        L->tasks = L->n - 1;
        for (int i = 0; t && rc == PK_OK && i < 7; i++)
            rc = tl_layer_add_field(ctx, t, task_fields[i], task_types[i]);
        rc = t ? rc : PK_ERR_NOMEM;
    }
    static const char *const label_fields[] = {"layer", "fid", "name"};
    static const enum pk_mvt_value_type label_types[] = {PK_MVT_STRING, PK_MVT_INT, PK_MVT_STRING};
    if (rc == PK_OK && o->labels) {
        struct tl_layer *t = add_layer(ctx, L, "labels");
        L->labels = L->n - 1;
        for (int i = 0; t && rc == PK_OK && i < 3; i++)
            rc = tl_layer_add_field(ctx, t, label_fields[i], label_types[i]);
        rc = t ? rc : PK_ERR_NOMEM;
    }
    return rc;
}
