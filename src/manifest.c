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

static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

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

int pk_manifest_open(struct pk_ctx *ctx, const char *path, struct pk_manifest **out)
{
    json_object *layers;
    *out = NULL;
    if (access(path, R_OK) != 0)
        return pk_error(ctx, PK_ERR_NOTFOUND, "manifest '%s': file not found", path);
    struct pk_manifest *m = calloc(1, sizeof *m);
    if (!m)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    m->root = json_object_from_file(path);
    char *copy = strdup(path);
    m->dir = strdup(dirname(copy));
    free(copy);
    int rc = PK_OK;
    if (!m->root || !json_object_is_type(m->root, json_type_object)) {
        char why[256]; /* json-c's message ends with a newline: errors are one line */
        snprintf(why, sizeof why, "%s", !m->root && json_util_get_last_err() ? json_util_get_last_err()
                                        : m->root ? "the top level is not an object" : "syntax error");
        why[strcspn(why, "\r\n")] = '\0';
        rc = pk_error(ctx, PK_ERR_DATA, "manifest '%s': not a JSON object (%s)", path, why);
        goto done;
    }
    if (!json_object_object_get_ex(m->root, "layers", &layers) ||
        !json_object_is_type(layers, json_type_array)) {
        rc = pk_error(ctx, PK_ERR_DATA, "manifest '%s': no \"layers\" array", path);
        goto done;
    }
    if (get_str(m->root, "tasks")) {
        m->tasks = resolve(m->dir, get_str(m->root, "tasks"));
        if (access(m->tasks, R_OK) != 0) {
            rc = pk_error(ctx, PK_ERR_NOTFOUND, "manifest '%s': task file '%s' not found", path, m->tasks);
            goto done;
        }
    }
    m->nlayers = (int)json_object_array_length(layers);
    m->layers = calloc((size_t)(m->nlayers ? m->nlayers : 1), sizeof *m->layers);
    for (int i = 0; m->layers && i < m->nlayers; i++) {
        json_object *e = json_object_array_get_idx(layers, (size_t)i);
        struct manifest_layer *L = &m->layers[i];
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
        if (!file || !L->name || !L->kind) {
            rc = pk_error(ctx, PK_ERR_DATA, "manifest '%s' layer %d: \"file\", \"name\" and \"kind\" "
                          "are required", path, i + 1);
            goto done;
        }
        L->file = resolve(m->dir, file);
        if (strcmp(L->kind, "district") && strcmp(L->kind, "zone") && strcmp(L->kind, "line") &&
            strcmp(L->kind, "point")) {
            rc = pk_error(ctx, PK_ERR_DATA, "manifest '%s' layer '%s': invalid kind '%s' (district, zone, "
                          "line or point)", path, L->name, L->kind);
            goto done;
        }
        if (!pk_layer_name_valid(L->name)) {
            rc = pk_error(ctx, PK_ERR_DATA, "manifest '%s' layer %d: invalid name '%s'", path, i + 1,
                          L->name);
            goto done;
        }
        if (strncmp(L->file, "/vsi", 4) != 0 && access(L->file, R_OK) != 0) {
            rc = pk_error(ctx, PK_ERR_NOTFOUND, "manifest '%s' layer '%s': file '%s' not found", path,
                          L->name, L->file);
            goto done;
        }
    }
done:
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

struct scaled {
    pk_progress_fn fn;
    void *arg;
    double start, span;
};

static int scaled_progress(double frac, const char *msg, void *arg)
{
    struct scaled *s = arg;
    return s->fn ? s->fn(s->start + frac * s->span, msg, s->arg) : 1;
}

int pk_manifest_load(struct pk_store *store, const struct pk_manifest *m, pk_progress_fn progress,
                     void *arg)
{
    struct pk_ctx *ctx = pk_store_ctx(store);
    int rc = pk_store_begin(store);
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
