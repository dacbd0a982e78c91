/* manifest.h — layer manifests: a JSON file listing bundled layers (file,
 * name, kind, title, fields, provenance, accuracy) and optionally a task
 * file, loaded together by `plankit init --with MANIFEST`.
 *
 * Format (paths relative to the manifest's folder):
 *   {"name": "kunshan", "title": "…", "crs": "EPSG:4326", "measure_crs": "EPSG:4549",
 *    "tasks": "kunshan-tasks.json",
 *    "layers": [{"file": "kunshan-city.geojson", "name": "city", "kind": "district",
 *                "title": "…", "fields": ["name", …], "provenance": "…", "accuracy": "…"}]}
 */
#ifndef PLANKIT_MANIFEST_H
#define PLANKIT_MANIFEST_H

#include "plankit/ctx.h"
#include "plankit/store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pk_manifest;

/* Read and validate a manifest (every layer has file, name, kind; files
 * exist; names and kinds are valid). *out: caller frees with pk_manifest_free. */
int pk_manifest_open(struct pk_ctx *ctx, const char *path, struct pk_manifest **out);
void pk_manifest_free(struct pk_manifest *m);

/* Borrowed strings, NULL when the manifest does not say. */
const char *pk_manifest_crs(const struct pk_manifest *m);
const char *pk_manifest_measure_crs(const struct pk_manifest *m);
int pk_manifest_layer_count(const struct pk_manifest *m);
const char *pk_manifest_layer_name(const struct pk_manifest *m, int i);
/* Absolute or manifest-relative resolved path of the task file, or NULL. */
const char *pk_manifest_tasks_path(const struct pk_manifest *m);

/* Load every layer (and the task file when the store supports tasks) in one
 * transaction; on failure nothing is loaded. */
int pk_manifest_load(struct pk_store *store, const struct pk_manifest *m, pk_progress_fn progress,
                     void *arg);

#ifdef __cplusplus
}
#endif
#endif
