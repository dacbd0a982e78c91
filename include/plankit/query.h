/* query.h — spatial questions about plan tasks: coverage of a layer's
 * features, tasks at/in/near a place, features no task touches, the zones a
 * task concerns, and read-only SQL.
 *
 * What a task covers: the geometries of the features it is linked to and its
 * own footprints. A feature "has" a task when one of those overlaps it (area
 * >= 1 m² between polygons; any contact for lines and points) or the task is
 * linked to the feature itself. Areas are unioned (overlaps count once) and
 * measured in the store's metric CRS. City-wide tasks are reported apart and
 * count only with include_citywide.
 */
#ifndef PLANKIT_QUERY_H
#define PLANKIT_QUERY_H

#include "plankit/ctx.h"
#include "plankit/store.h"
#include "plankit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pk_coverage_opts {
    const char *by_layer;      /* required */
    const char *classification;
    const char *status;
    int year;                  /* 0 = any */
    int include_citywide;
    int with_geometry;         /* add a GeoJSON geometry column */
    int gaps_only;             /* only features no task touches */
    int threads;               /* 0 = one per CPU */
};

/* One row per feature (fid, name, tasks, task_ids, area_km2, covered_km2,
 * share_pct), then a city-wide row and a totals row. Caller frees *out. */
int pk_coverage(struct pk_store *store, const struct pk_coverage_opts *opts, struct pk_table **out,
                pk_progress_fn progress, void *arg);

enum pk_probe { PK_PROBE_IN = 1, PK_PROBE_AT, PK_PROBE_BBOX, PK_PROBE_NEAR };

struct pk_task_query {
    enum pk_probe probe;
    const char *feature;      /* IN and NEAR: LAYER:FEATURE */
    double x, y;              /* AT: longitude, latitude (WGS84) */
    double bbox[4];           /* BBOX: west, south, east, north (WGS84) */
    double distance_m;        /* NEAR */
    const char *classification, *status;
    int year;
    int include_citywide;
    int with_geometry;
};
/* Tasks touching a place: id, title, pillar, status, via, and for IN the
 * share of the place they cover (a fraction, with all its digits). */
int pk_query_tasks(struct pk_store *store, const struct pk_task_query *q, struct pk_table **out);

/* Features of every district and zone layer that a task concerns, with the
 * overlap area and share. */
int pk_query_zones(struct pk_store *store, const char *task_id, int with_geometry,
                   struct pk_table **out);

/* Run one read-only SQL statement (SpatiaLite functions available); any
 * statement that would write is refused with PK_ERR_READONLY. Geometry
 * BLOBs come out as WKT in the store CRS. */
int pk_sql_readonly(struct pk_store *store, const char *sql, struct pk_table **out);

/* How pk_sql_readonly_as writes geometry BLOBs: WKT in the store CRS (a text
 * column), or GeoJSON geometries in WGS84 rounded to 7 decimals (RFC 7946;
 * a PK_COL_GEOJSON column). Other BLOBs read "<blob N bytes>". */
enum pk_sql_geometry { PK_SQL_GEOM_WKT = 0, PK_SQL_GEOM_GEOJSON = 1 };
/* pk_sql_readonly with the geometry written as asked. A column is a
 * geometry column when one of its values is a geometry BLOB, or, in a result
 * without rows, when it is a table's geometry column (declared GEOMETRY,
 * POINT, MULTIPOLYGON, ...). *out: caller frees with pk_table_free. */
int pk_sql_readonly_as(struct pk_store *store, const char *sql, enum pk_sql_geometry geometry,
                       struct pk_table **out);

#ifdef __cplusplus
}
#endif
#endif
