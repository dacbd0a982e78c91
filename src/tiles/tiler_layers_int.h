/* tiler_layers_int.h — the tile layers of an export (tiler_layers.c). */
#ifndef PLANKIT_TILER_LAYERS_INT_H
#define PLANKIT_TILER_LAYERS_INT_H

#include "tiler_int.h"
#include "plankit/tiles.h"

struct tl_layer {
    char name[128];                /* the MVT layer name */
    struct pk_layer_ref ref;       /* the store layer (store = 1) */
    int store;
    char **fields;                 /* attributes in order (owned); the store's first, then added ones */
    enum pk_mvt_value_type *types;
    int nfields;
    int nstore_fields;             /* how many of fields are read from the store */
};

struct tl_layers {
    struct tl_layer *l;
    int n;
    int coverage, tasks, labels;   /* indices, -1 when absent */
};

/* The layers of export o: the store layers named (all when none), with their
 * fields restricted by o->fields, and the extra layers. Errors name the
 * layer or field (PK_ERR_NOTFOUND, PK_ERR_ARGS). Free with tl_layers_free
 * (also after a failure). */
int tl_layers_resolve(struct pk_store *S, const struct pk_tiles_opts *o, struct tl_layers *L);
void tl_layers_free(struct tl_layers *L);
int tl_layer_add_field(struct pk_ctx *ctx, struct tl_layer *l, const char *name, enum pk_mvt_value_type t);

#endif
