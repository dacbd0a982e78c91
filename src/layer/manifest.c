/* manifest.c — reading layer manifests with json-c and loading the layers
 * (and task file) they list in one transaction. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctx_int.h"
#include "plankit/layer.h"
#include "plankit/manifest.h"
#include "plankit/task.h"

struct manifest_layer {
    char *file;  /* resolved path */
    const char *name, *kind, *title, *provenance, *accuracy, *where, *layer, *s_srs, *encoding;
};

struct pk_manifest {
    json_object *root;
    char *dir;
    char *tasks;
    int nlayers;
    struct manifest_layer *layers;
};

/* The string member key of o (borrowed from o), NULL when absent or not a
 * string. */
static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* file relative to dir unless absolute or a GDAL /vsi path. Caller frees;
 * NULL when out of memory. */
static char *resolve(const char *dir, const char *file)
{
    char *out = NULL;
    if (file[0] == '/' || strncmp(file, "/vsi", 4) == 0)
        return strdup(file);
    if (asprintf(&out, "%s/%s", dir, file) < 0)
        return NULL;
    return out;
}

void pk_manifest_free(struct pk_manifest *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nlayers; i++)
        free(m->layers[i].file);
    free(m->layers);
    free(m->tasks);
    free(m->dir);
    json_object_put(m->root);
    free(m);
}

/* Parse the file into m->root, which must be a JSON object; its folder
 * into m->dir (relative paths in the manifest are relative to it). */
static int read_root(struct pk_ctx *ctx, const char *path, struct pk_manifest *m)
{
    char *copy = strdup(path);
    m->dir = copy ? strdup(dirname(copy)) : NULL;
    free(copy);
    if (!m->dir)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    m->root = json_object_from_file(path);
    if (m->root && json_object_is_type(m->root, json_type_object))
        return PK_OK;
    char why[256]; /* json-c's message ends with a newline: errors are one line */
    snprintf(why, sizeof why, "%s", !m->root && json_util_get_last_err() ? json_util_get_last_err()
                                    : m->root ? "the top level is not an object" : "syntax error");
    why[strcspn(why, "\r\n")] = '\0';
    return pk_error(ctx, PK_ERR_DATA, "manifest '%s': not a JSON object (%s)", path, why);
}

/* The optional "tasks" member: a task file that must exist. */
static int read_tasks(struct pk_ctx *ctx, const char *path, struct pk_manifest *m)
{
    const char *tasks = get_str(m->root, "tasks");
    if (!tasks)
        return PK_OK;
    if (!(m->tasks = resolve(m->dir, tasks)))
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (access(m->tasks, R_OK) != 0)
        return pk_error(ctx, PK_ERR_NOTFOUND, "manifest '%s': task file '%s' not found", path, m->tasks);
    return PK_OK;
}

/* Entry i of "layers" into L: "file", "name" and "kind" required, the kind
 * one of the four, the name valid, the file readable (GDAL's /vsi paths are
 * left for GDAL to open). L's strings are borrowed from the JSON tree but
 * L->file, which L owns. */
static int read_layer(struct pk_ctx *ctx, const char *path, const struct pk_manifest *m, json_object *e, int i,
                      struct manifest_layer *L)
{
    const char *file = get_str(e, "file");
    L->name = get_str(e, "name");
    L->kind = get_str(e, "kind");
    L->title = get_str(e, "title");
    L->provenance = get_str(e, "provenance");
    L->accuracy = get_str(e, "accuracy");
    L->where = get_str(e, "where");
    L->layer = get_str(e, "layer");
    L->s_srs = get_str(e, "s_srs");
    L->encoding = get_str(e, "encoding");
    if (!file || !L->name || !L->kind)
        return pk_error(ctx, PK_ERR_DATA, "manifest '%s' layer %d: \"file\", \"name\" and \"kind\" "
                        "are required", path, i + 1);
    if (!(L->file = resolve(m->dir, file)))
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (strcmp(L->kind, "district") && strcmp(L->kind, "zone") && strcmp(L->kind, "line") &&
        strcmp(L->kind, "point"))
        return pk_error(ctx, PK_ERR_DATA, "manifest '%s' layer '%s': invalid kind '%s' (district, zone, "
                        "line or point)", path, L->name, L->kind);
    if (!pk_layer_name_valid(L->name))
        return pk_error(ctx, PK_ERR_DATA, "manifest '%s' layer %d: invalid name '%s'", path, i + 1, L->name);
    if (strncmp(L->file, "/vsi", 4) != 0 && access(L->file, R_OK) != 0)
        return pk_error(ctx, PK_ERR_NOTFOUND, "manifest '%s' layer '%s': file '%s' not found", path, L->name,
                        L->file);
    return PK_OK;
}

int pk_manifest_open(struct pk_ctx *ctx, const char *path, struct pk_manifest **out)
{
    json_object *layers = NULL;
    *out = NULL;
    if (access(path, R_OK) != 0)
        return pk_error(ctx, PK_ERR_NOTFOUND, "manifest '%s': file not found", path);
    struct pk_manifest *m = calloc(1, sizeof *m);
    if (!m)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    int rc = read_root(ctx, path, m);
    if (rc == PK_OK && (!json_object_object_get_ex(m->root, "layers", &layers) ||
                        !json_object_is_type(layers, json_type_array)))
        rc = pk_error(ctx, PK_ERR_DATA, "manifest '%s': no \"layers\" array", path);
    if (rc == PK_OK)
        rc = read_tasks(ctx, path, m);
    if (rc == PK_OK) {
        int n = (int)json_object_array_length(layers);
        if (!(m->layers = calloc((size_t)(n ? n : 1), sizeof *m->layers)))
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        else
            m->nlayers = n; /* (from here pk_manifest_free frees each layer's file) */
    }
    for (int i = 0; rc == PK_OK && i < m->nlayers; i++)
        rc = read_layer(ctx, path, m, json_object_array_get_idx(layers, (size_t)i), i, &m->layers[i]);
    if (rc != PK_OK)
        pk_manifest_free(m);
    else
        *out = m;
    return rc;
}

const char *pk_manifest_crs(const struct pk_manifest *m) { return get_str(m->root, "crs"); }
const char *pk_manifest_measure_crs(const struct pk_manifest *m) { return get_str(m->root, "measure_crs"); }
int pk_manifest_layer_count(const struct pk_manifest *m) { return m->nlayers; }
const char *pk_manifest_layer_name(const struct pk_manifest *m, int i) { return m->layers[i].name; }
const char *pk_manifest_tasks_path(const struct pk_manifest *m) { return m->tasks; }

/* One layer's progress as its share [start, start + span) of the whole
 * manifest's. */
struct scaled {
    pk_progress_fn fn;
    void *arg;
    double start, span;
};

/* pk_progress_fn for one layer: reports to the manifest's callback. */
static int scaled_progress(double frac, const char *msg, void *arg)
{
    struct scaled *s = arg;
    return s->fn ? s->fn(s->start + frac * s->span, msg, s->arg) : 1;
}

/* Every layer, then the task file, in one transaction: a manifest loads
 * whole or not at all. */
int pk_manifest_load(struct pk_store *store, const struct pk_manifest *m, pk_progress_fn progress,
                     void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    int rc = pk_store_begin(store);
    if (rc != PK_OK) /* (nothing begun: nothing to roll back) */
        return rc;
    int steps = m->nlayers;
    for (int i = 0; rc == PK_OK && i < m->nlayers; i++) {
        const struct manifest_layer *L = &m->layers[i];
        struct pk_load_opts o = {
            .source = L->file, .name = L->name, .kind = L->kind, .title = L->title,
            .provenance = L->provenance, .accuracy = L->accuracy, .where = L->where,
            .src_layer = L->layer, .s_srs = L->s_srs, .encoding = L->encoding,
            .mode = PK_LOAD_CREATE,
        };
        struct scaled s = {progress, arg, (double)i / steps, 1.0 / steps};
        rc = pk_layer_load(store, &o, NULL, progress ? scaled_progress : NULL, &s);
        if (rc == PK_OK)
            pk_log(ctx, PK_LOG_INFO, "loaded layer '%s' from %s", L->name, L->file);
    }
    if (rc == PK_OK && m->tasks) {
        struct pk_task_import_result res;
        rc = pk_task_import(store, m->tasks, &res);
        if (rc == PK_OK)
            pk_log(ctx, PK_LOG_INFO, "imported %lld tasks with %lld links from %s", res.created + res.updated,
                   res.links, m->tasks);
    }
    if (rc == PK_OK && progress)
        progress(1.0, NULL, arg);
    if (rc == PK_OK)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    return rc;
}
