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

/* Drop a layer's table, index and registry row (inside the caller's transaction). */
int pk_layer_drop_tables(struct pk_store *store, const struct pk_layer_ref *ref, int keep_registry);

/* The display name of feature fid: its name-like attribute, else NULL.
 * Caller frees with free(). */
char *pk_layer_feature_label(struct pk_store *store, const struct pk_layer_ref *ref, long long fid);

/* Resolve a feature of a layer by fid, code or name (fields named code,
 * name or name_en). Errors: not found; ambiguous (the message lists every
 * match with its fid). */
int pk_feature_resolve(struct pk_store *store, const struct pk_layer_ref *ref, const char *text,
                       long long *fid);
/* Parse "LAYER:FEATURE" and resolve both. */
int pk_feature_ref(struct pk_store *store, const char *spec, struct pk_layer_ref *ref, long long *fid);

#endif
