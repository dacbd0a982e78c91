/* plankit.h — the whole public API of libplankit. */
#ifndef PLANKIT_H
#define PLANKIT_H

#include "plankit/ctx.h"
#include "plankit/layer.h"
#include "plankit/manifest.h"
#include "plankit/map.h"
#include "plankit/overlay.h"
#include "plankit/query.h"
#include "plankit/raster.h"
#include "plankit/store.h"
#include "plankit/table.h"
#include "plankit/task.h"
#include "plankit/tiles.h"

#endif
