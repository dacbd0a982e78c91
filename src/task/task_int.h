/* task_int.h — task internals shared by task.c, task_import.c and
 * task_link.c: the column list, validation and the upsert with history. */
#ifndef PLANKIT_TASK_INT_H
#define PLANKIT_TASK_INT_H

#include "store_int.h"
#include "plankit/task.h"

enum task_col {
    COL_TITLE, COL_TITLE_EN, COL_DESCRIPTION, COL_CLASSIFICATION, COL_SECTION, COL_SOURCE,
    COL_LEAD, COL_PARTNERS, COL_START_YEAR, COL_END_YEAR, COL_STATUS, COL_PROGRESS,
    COL_INDICATORS, COL_TAGS, COL_CITYWIDE, TASK_NCOLS
};
extern const char *const pk_task_columns[TASK_NCOLS];

/* Upsert modes, and a flag: TASK_QUIET_EARLIER leaves out the warnings on
 * the years before the plan period of a task that starts before it (the
 * caller summarises them: pk_task_starts_before_period). */
enum { TASK_UPSERT = 0, TASK_MUST_BE_NEW = 1, TASK_MUST_EXIST = 2, TASK_QUIET_EARLIER = 4 };

/* Column values as text (NULL = not given): filled from fields, freed with
 * pk_task_values_release. PK_ERR_NOMEM (no message; every value NULL) when
 * out of memory. */
int pk_task_values_from_fields(const struct pk_task_fields *f, char *vals[TASK_NCOLS]);
void pk_task_values_release(char *vals[TASK_NCOLS]);
int pk_task_validate(struct pk_ctx *ctx, const char *id, char *vals[TASK_NCOLS]);

/* Insert or update one task inside the caller's transaction and record every
 * changed field in the history under `command`. */
int pk_task_upsert(struct pk_store *store, const char *id, char *vals[TASK_NCOLS],
                   const char *command, int mode, int *created, int *changed);
/* 1 when the store has a plan period (*from-*to) and the task's start year
 * is before it (a task of an earlier plan, or a wrong year), else 0. */
int pk_task_starts_before_period(struct pk_store *store, char *vals[TASK_NCOLS], int *from, int *to);
/* PK_ERR_NOTFOUND with a helpful message when the task does not exist. */
int pk_task_require(struct pk_store *store, const char *id);
/* Link a task to a feature named by layer and fid/code/name; *added is
 * incremented when the link is new. log: record it in the history. */
int pk_task_link_add(struct pk_store *store, const char *id, const char *layer, const char *feature,
                     const char *role, int *added, int log);

#include <ogr_api.h>
#include <ogr_srs_api.h>
#include "worker_int.h"

/* What storing footprints needs, made once per command (task attach, task
 * import), not per footprint: the store CRS as OGR sees it, its area of use,
 * and a worker whose PROJ transforms (from a footprint's CRS, to degrees)
 * are made on first use and kept. Release with pk_footprints_release (also
 * after a failed init). */
struct pk_footprints {
    struct pk_store *store;
    OGRSpatialReferenceH store_srs;
    struct pk_crs_area area;
    struct pk_worker worker;
};
int pk_footprints_init(struct pk_footprints *fp, struct pk_store *store);
void pk_footprints_release(struct pk_footprints *fp);

/* Store one footprint (any OGR geometry in srs) for a task: reprojected,
 * checked against the CRS bounds and repaired. log: record it in the history. */
int pk_task_footprint_add(struct pk_footprints *fp, const char *id, OGRGeometryH geom,
                          OGRSpatialReferenceH srs, const char *label, const char *role, int log);

#endif
