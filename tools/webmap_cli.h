/* webmap_cli.h — the CLI side of the web map: `plankit serve` (cmd_serve.c)
 * and `plankit tiles preview` (cmd_tiles_preview.c, a verb the tiles command
 * dispatches to), and where both find the styles and maplibre-gl. */
#ifndef PLANKIT_WEBMAP_CLI_H
#define PLANKIT_WEBMAP_CLI_H

#include "cli.h"
#include "plankit/webmap.h"

int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_tiles_preview(struct cli *cli, int argc, char **argv);
extern const char usage_serve[], usage_tiles_preview[];

/* Fill in the asset folders: the --styles/--maplibre values when given,
 * else $PLANKIT_STYLES_DIR / $PLANKIT_MAPLIBRE_DIR, else the build's
 * defaults (the source tree's styles/ and tests/js/node_modules). */
void cli_webmap_assets(struct pk_webmap_assets *a, const char *styles, const char *maplibre);

#endif
