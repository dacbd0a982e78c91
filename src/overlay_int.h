/* overlay_int.h — the inputs of overlay, buffer and dissolve: a store layer
 * (or a file loaded into a temporary layer) read into memory with its
 * attributes, in fid order. */
#ifndef PLANKIT_OVERLAY_INT_H
#define PLANKIT_OVERLAY_INT_H

#include "layer_int.h"
#include "plankit/overlay.h"

struct pk_ov_input {
    struct pk_layer_ref ref;
    int temp;               /* loaded from a file into a temporary layer */
    size_t n;
    long long *fids;
    GEOSGeometry **geoms;   /* store CRS; NULL for features without geometry */
    char **labels;          /* name field or NULL */
    int ncols;
    char **colnames;
    const char **coltypes;  /* static strings */
    char **attrs;           /* n * ncols text values */
};

/* Open a store layer by name, or load a file into the temporary layer
 * tmpname (inside the caller's transaction); keep features matching where
 * (an SQL condition on the attributes, run read-only). */
int pk_ov_input_open(struct pk_store *store, const char *name_or_path, const char *where,
                     const char *tmpname, struct pk_ov_input *in);
void pk_ov_input_release(struct pk_ctx *ctx, struct pk_ov_input *in);
/* Drop the temporary layer, if any (inside the caller's transaction). */
int pk_ov_input_drop_temp(struct pk_store *store, struct pk_ov_input *in);

#endif
