/* tiler_read_int.h — the tiler's features in memory (tiler_read.c,
 * tiler_extra.c). */
#ifndef PLANKIT_TILER_READ_INT_H
#define PLANKIT_TILER_READ_INT_H

#include "pool_int.h"
#include "tiler_layers_int.h"
#include "worker_int.h"

struct tl_features {
    struct tl_feature *f;   /* owned */
    size_t n;
};

void tl_features_free(struct tl_features *F);

/* Append every feature of L's store layers to F (layer then fid order),
 * read across pool (main_w is the calling thread's worker). Features
 * without geometry are not tiled. Errors name the layer. */
int tl_read_features(struct pk_store *S, struct pk_pool *pool, struct pk_worker *main_w, const struct tl_layers *L,
                     const struct tl_grid *grid, struct tl_features *F);

/* Add the coverage fields (tasks, task_ids, share: pk_coverage's numbers)
 * to the features of layer L->coverage. */
int tl_add_coverage(struct pk_store *S, const struct tl_layers *L, struct tl_features *F);
/* Append one labels-layer point per polygon feature of the store layers. */
int tl_add_labels(struct pk_ctx *ctx, const struct tl_layers *L, struct tl_features *F);
/* Append one tasks-layer feature per (task, covering geometry). */
int tl_add_tasks(struct pk_store *S, struct pk_worker *w, const struct tl_layers *L, const struct tl_grid *grid,
                 struct tl_features *F);

#endif
