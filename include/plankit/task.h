/* task.h — plan tasks as first-class objects tied to the map.
 *
 * A task has a stable id (e.g. ZZ-03), title, classification (the plan's
 * pillars, which are data), plan section and source sentence, lead and
 * partners, years, status, progress, indicators and tags. Tasks link to
 * features of any layer (many to many, with a role) and may own footprints
 * (site polygons, road lines, points). Every change goes to the history.
 */
#ifndef PLANKIT_TASK_H
#define PLANKIT_TASK_H

#include "plankit/ctx.h"
#include "plankit/store.h"
#include "plankit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Task fields for add/update. NULL strings and negative numbers mean "not
 * given" (update keeps the old value). List fields are JSON arrays as text:
 * partners and tags are arrays of strings, indicators an array of
 * {"name", "target", "unit"} objects (pk_task_list_json builds them). */
struct pk_task_fields {
    const char *id;
    const char *title, *title_en, *description, *classification, *section, *source, *lead;
    const char *partners_json, *tags_json, *indicators_json;
    const char *status;     /* planned, in_progress, done, delayed, cancelled */
    int start_year, end_year; /* -1 = not given */
    double progress;        /* -1 = not given; else 0..100 */
    int citywide;           /* -1 = not given; 0 or 1 */
};
/* All fields "not given". */
void pk_task_fields_init(struct pk_task_fields *f);

/* Add task f->id (PK_ERR_EXISTS when it exists, PK_ERR_ARGS for an invalid
 * field), with every given field recorded in the history, in one
 * transaction. */
int pk_task_add(struct pk_store *store, const struct pk_task_fields *f);
/* Change the given fields of task f->id (PK_ERR_NOTFOUND when there is
 * none); each changed field is recorded with its old and new value. */
int pk_task_update(struct pk_store *store, const struct pk_task_fields *f);
/* Remove task id with its links and footprints; the removal is recorded in
 * the history. PK_ERR_NOTFOUND when there is none. */
int pk_task_remove(struct pk_store *store, const char *id);
/* One task, as data. *fields: property/value rows, the id then every field
 * as stored (text; null when not given). *links: one row per feature it
 * links to, in layer and fid order: layer, fid, name (the feature's, null
 * when it has none), role. *footprints: one row per footprint, in id order:
 * id, type (its geometry type), label ("" when none), role. links and
 * footprints may be NULL (not wanted). Caller frees each table with
 * pk_table_free; on an error none is returned. */
int pk_task_show(struct pk_store *store, const char *id, struct pk_table **fields, struct pk_table **links,
                 struct pk_table **footprints);
/* The change history of one task, oldest first. Caller frees *out. */
int pk_task_history(struct pk_store *store, const char *id, struct pk_table **out);

struct pk_task_filter {
    const char *classification; /* NULL = any */
    const char *status;         /* NULL = any */
    int year;                   /* 0 = any: else start_year <= year <= end_year */
    const char *layer;          /* with feature: tasks linked to that feature */
    const char *feature;        /* name, code or fid */
    const char *lead;           /* NULL = any */
};
/* The tasks the filter lets through (filter NULL: all), one row each, in the
 * order they were added. Caller frees *out with pk_table_free. */
int pk_task_list(struct pk_store *store, const struct pk_task_filter *filter, struct pk_table **out);

/* Filter values. A status is English (planned, in_progress, done, delayed,
 * cancelled, any case) or Chinese (计划中, 进行中, 已完成, 暂停, 已取消, ...):
 * the canonical English name, static, or NULL when unknown. */
const char *pk_task_status_canonical(const char *text);
/* "planned (计划中), in_progress (进行中), ...": for messages. Static. */
const char *pk_task_status_help(void);
/* Errors (PK_ERR_ARGS) list the known values. *canonical is static. */
int pk_task_check_status(struct pk_ctx *ctx, const char *text, const char **canonical);
/* A pillar by name, English name or code; *canonical: its name, caller frees with free(). */
int pk_task_check_pillar(struct pk_store *store, const char *text, char **canonical);
/* A lead department some task has. */
int pk_task_check_lead(struct pk_store *store, const char *text);

struct pk_task_import_result {
    long long created, updated, unchanged, links, footprints;
};
/* Import tasks from JSON (plankit's task format) or CSV, upserting by id, in
 * one transaction: a bad row is reported with its line (CSV) or index (JSON)
 * and nothing is imported. */
int pk_task_import(struct pk_store *store, const char *path, struct pk_task_import_result *res);
/* Same, from a file in `encoding` (any iconv name, e.g. GBK; NULL = UTF-8);
 * path "-" reads standard input. Text that is not valid in the encoding
 * (or not UTF-8 when none is given) is an error naming the line. */
int pk_task_import_encoded(struct pk_store *store, const char *path, const char *encoding,
                           struct pk_task_import_result *res);

/* Every task, with the classifications, links (features named by the
 * layer's key value, else fid) and footprints, in the format task import
 * reads: format "json" or "csv". CSV cannot hold footprints, nor ';' inside
 * list items or links: those are errors naming the task. *out: caller frees
 * with free(). */
int pk_task_export(struct pk_store *store, const char *format, char **out);

/* Turn "a,b,c" into a JSON array of strings. Caller frees with free();
 * NULL when out of memory. */
char *pk_task_list_json(const char *comma_list);
/* Turn "name=target unit;name2=target2 unit2" into a JSON indicators array;
 * NULL with a message in ctx when malformed. Caller frees with free(). */
char *pk_task_indicators_json(struct pk_ctx *ctx, const char *spec);

struct pk_attach_opts {
    const char *to;           /* LAYER:FEATURE (feature by name, code or fid) */
    const char *role;         /* located-in (default), serves, affects, ... */
    const char *geom;         /* footprint: a file OGR reads, WKT or a GeoJSON geometry */
    const char *s_srs;        /* CRS of geom (default: the file's, EPSG:4326 for GeoJSON, else store CRS) */
    const char *label;        /* footprint label */
    const char *where_layer;  /* with intersecting: attach to every feature of this layer ... */
    const char *intersecting; /* ... that overlaps this LAYER:FEATURE */
};
/* Attach a task in one transaction; *count = links or footprints added. */
int pk_task_attach(struct pk_store *store, const char *id, const struct pk_attach_opts *opts,
                   long long *count);
/* Detach links to LAYER:FEATURE (from), one footprint (footprint_id > 0), or
 * everything (all). *count = removed. */
int pk_task_detach(struct pk_store *store, const char *id, const char *from, long long footprint_id,
                   int all, long long *count);

/* 1 if text is acceptable as a task id (letters incl. CJK, digits, - _ .). */
int pk_task_id_valid(const char *id);

#ifdef __cplusplus
}
#endif
#endif
