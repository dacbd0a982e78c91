/* style.h — MapLibre GL style documents (v8) read for plankit's renderer.
 *
 * A style's vector layers draw store layers: each style layer's
 * "source-layer" names a layer of the store (its source may be a vector
 * source with tile URLs or one naming no tiles at all). What the engine
 * does not support is logged as one warning (PK_LOG_WARN) per style layer
 * and property, at load.
 *     struct pk_style *style;
 *     if (pk_style_load(ctx, "styles/zones.json", store, &style) != PK_OK)
 *         fprintf(stderr, "%s\n", pk_errmsg(ctx));
 *     ...
 *     pk_style_free(style);
 */
#ifndef PLANKIT_STYLE_H
#define PLANKIT_STYLE_H

#include "plankit/ctx.h"
#include "plankit/store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pk_style;

/* Read the style file at path. When store is not NULL every source-layer
 * must be a layer of it. Errors (one line, naming the file and the style
 * layer): not JSON, not a v8 style, an unknown layer type, a missing source
 * or source layer. *out: caller frees with pk_style_free. */
int pk_style_load(struct pk_ctx *ctx, const char *path, struct pk_store *store, struct pk_style **out);
/* Same from JSON text; name is used in messages in place of a file name. */
int pk_style_parse(struct pk_ctx *ctx, const char *name, const char *text, struct pk_store *store,
                   struct pk_style **out);
/* Accepts NULL. */
void pk_style_free(struct pk_style *style);

#ifdef __cplusplus
}
#endif
#endif
