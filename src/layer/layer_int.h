/* layer_int.h — registry look-ups shared by the layer, task, query and
 * overlay modules. */
#ifndef PLANKIT_LAYER_INT_H
#define PLANKIT_LAYER_INT_H

#include "store_int.h"
#include "plankit/layer.h"

struct pk_layer_ref {
    long long id;
    char name[128];
    char table[32];     /* lyr_<id>: never user text */
    char kind[16];
    char geometry_type[32];
    long long count;
    char key[128];      /* key field name, "" when the layer has none */
    char name_field[128]; /* field naming features (name, 名称, ...), "" when none */
};

/* Find a layer by name. PK_ERR_NOTFOUND (message names it and suggests
 * 'plankit layer list') when absent. */
int pk_layer_find(struct pk_store *store, const char *name, struct pk_layer_ref *ref);

/* Create the table of a registered layer (ref->id set): ref->table becomes
 * lyr_<id> (recorded in the registry), with fid, the given columns (types
 * INTEGER, REAL, TEXT or BLOB) and a geometry column in the store CRS; the
 * columns are registered in pk_fields. Inside the caller's transaction; the
 * spatial index is the caller's to create once the rows are in. */
int pk_layer_create_table(struct pk_store *store, struct pk_layer_ref *ref, int ncols, const char *const *names,
                          const char *const *types);

/* Drop a layer's table, index, view and registry row (inside the caller's transaction). */
int pk_layer_drop_tables(struct pk_store *store, const struct pk_layer_ref *ref, int keep_registry);

/* The display name of feature fid (its layer's name field) in *out, NULL
 * when the layer has no name field or the feature no name; caller frees
 * *out with free(). PK_OK, or an error (out of memory, a read that failed):
 * a missing name and a failure are told apart. */
int pk_layer_feature_label(struct pk_store *store, const struct pk_layer_ref *ref, long long fid, char **out);

/* Resolve a feature of a layer by its key value (when the layer has a key),
 * fid, code or name (fields named code, name or name_en). Errors: not found;
 * ambiguous (the message lists every match with its fid). */
int pk_feature_resolve(struct pk_store *store, const struct pk_layer_ref *ref, const char *text,
                       long long *fid);
/* Parse "LAYER:FEATURE" and resolve both. */
int pk_feature_ref(struct pk_store *store, const char *spec, struct pk_layer_ref *ref, long long *fid);

/* The key field for a layer whose rows are in its table: `requested` (an
 * error unless it exists and every row has a distinct non-empty value),
 * else `previous` when it still is a key, else the first field named code,
 * id, 编码 or 行政区划代码 (any case) that is one. out is "" when none is. */
int pk_layer_key_choose(struct pk_store *store, const struct pk_layer_ref *ref, const char *requested,
                        const char *previous, char *out, size_t size);
/* Record key ("" or NULL = none) in the registry and refresh every link's
 * feature_key from it (inside the caller's transaction). */
int pk_layer_key_set(struct pk_store *store, const struct pk_layer_ref *ref, const char *key);

/* The field that names the layer's features: `requested` (an error unless
 * it is a field), else the first field called name, 名称, mc, name_zh or
 * 名字 (any case); recorded in the registry ("" = none) and in ref. */
int pk_layer_name_field_set(struct pk_store *store, struct pk_layer_ref *ref, const char *requested);

struct pk_relink {
    long long kept; /* links re-matched to a feature of the new rows */
    long long lost; /* links removed (with force) */
};
/* After a layer's rows were replaced: move each link to the row whose value
 * of old_key equals the link's feature_key. Links without exactly one such
 * row are lost: an error naming them (label prefixes it) unless force, when
 * they are removed with a history row each. Then new_key becomes the key. */
int pk_layer_relink(struct pk_store *store, const struct pk_layer_ref *ref, const char *old_key,
                    const char *new_key, int force, const char *label, struct pk_relink *out);
/* Remove the links of a layer matching the SQL condition `where` (plankit's
 * own text, on pk_task_links columns), logging a warning and a history row
 * under `command` for each ("towns:ZP 周庄镇 (located-in)": the key, else
 * the fid; the feature's name when with_label and the rows are the linked
 * ones); *removed counts them. */
int pk_layer_links_remove(struct pk_store *store, const struct pk_layer_ref *ref, const char *command,
                          const char *where, int with_label, long long *removed);

/* The layer's read-only view named after it (lower case), over its table,
 * registered in views_geometry_columns and as a vector coverage with the
 * layer's title, so SQL, GDAL and QGIS see the layer by name (layer_view.c).
 * Reads name, title and table from the registry row layer_id. Inside the
 * caller's transaction. PK_ERR_EXISTS when another object of the store has
 * that name. */
int pk_layer_view_create(struct pk_store *store, long long layer_id);
/* PK_ERR_EXISTS when an object of the store other than a layer's view is
 * called name (the view of a layer called so would clash): checked early by
 * the verbs that name a layer, before they do their work. */
int pk_layer_view_name_free(struct pk_store *store, const char *name);
/* Drop the views over table (lyr_<id>) and their registrations, if any. */
int pk_layer_view_drop(struct pk_store *store, const char *table);

#endif
