/* raster_cli.h — `plankit tiles raster` (cmd_tiles_raster.c), a verb the
 * tiles command (cmd_tiles.c) dispatches to. */
#ifndef PLANKIT_RASTER_CLI_H
#define PLANKIT_RASTER_CLI_H

#include "cli.h"

int cmd_tiles_raster(struct cli *cli, int argc, char **argv);
extern const char usage_tiles_raster[];

#endif
