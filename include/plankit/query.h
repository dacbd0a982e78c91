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

/* One row per feature of the layer, in fid order (with gaps_only, only the
 * features no task touches), and nothing else: fid, name, tasks (how many
 * touch it), task_ids (their ids, comma-separated, sorted), area_km2,
 * covered_km2 (numbers with all their digits) and share (covered / area, a
 * fraction 0..1; null when the feature has no area); with_geometry adds
 * accuracy and geometry (GeoJSON, WGS84). *out: caller frees with
 * pk_table_free. */
int pk_coverage(struct pk_store *store, const struct pk_coverage_opts *opts, struct pk_table **out,
                pk_progress_fn progress, void *arg);

/* What a coverage comes to over the whole layer, as numbers: a front end
 * prints these as it likes (the plankit command as its "(city-wide, not
 * counted)" and "(total)" rows). */
struct pk_coverage_totals {
    size_t features;       /* features of the layer (all of them, also with gaps_only) */
    long long tasks;       /* tasks that touch at least one feature, each counted once
                            * (city-wide tasks only with include_citywide) */
    double area_m2;        /* the features' areas, summed (m²) */
    double covered_m2;     /* their covered areas, summed (m²); share = covered_m2 / area_m2 */
    size_t ncitywide;      /* city-wide tasks that pass the filters (counted or not) */
    char **citywide_ids;   /* their ids, sorted; owned: pk_coverage_totals_release */
};

/* pk_coverage, and its totals in *totals (set in full on PK_OK, zeroed on
 * an error). Release *totals with pk_coverage_totals_release. */
int pk_coverage_with_totals(struct pk_store *store, const struct pk_coverage_opts *opts, struct pk_table **out,
                            struct pk_coverage_totals *totals, pk_progress_fn progress, void *arg);
/* Free what *totals owns and zero it; accepts a zeroed struct. */
void pk_coverage_totals_release(struct pk_coverage_totals *totals);

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
