/* layer.h — loading layers from any OGR source into the store, and managing
 * them (list, info, export, drop, rename, issues).
 *
 * A layer is one registry row in pk_layers plus one SpatiaLite table
 * (lyr_<id>) with a stable integer fid, the source attributes, a geometry
 * column `geom` in the store CRS, and an R*Tree index on it. A layer of kind
 * "table" (loaded with no_geometry) has rows without geometry.
 */
#ifndef PLANKIT_LAYER_H
#define PLANKIT_LAYER_H

#include "plankit/ctx.h"
#include "plankit/store.h"
#include "plankit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pk_load_mode { PK_LOAD_CREATE = 0, PK_LOAD_REPLACE = 1, PK_LOAD_APPEND = 2 };

struct pk_load_opts {
    const char *source;     /* any path or /vsi path GDAL opens (required) */
    const char *name;       /* store layer name; NULL = from the source's file name */
    const char *title;      /* human title; NULL = the name */
    const char *kind;       /* district|zone|line|point; NULL = from geometry type */
    const char *src_layer;  /* which layer of a multi-layer source */
    const char *where;      /* OGR SQL attribute filter */
    const char *select;     /* comma-separated field names to keep */
    const char *s_srs;      /* source CRS override (required if the source has none) */
    const char *encoding;   /* source text encoding, e.g. GBK */
    const char *provenance; /* free text kept in the registry */
    const char *accuracy;   /* free text kept in the registry */
    const char *name_field; /* field naming the features; NULL = name, 名称, NAME, mc, ... */
    const char *key;        /* field whose values identify features across reloads; NULL = the
                               previous key, else a unique code/id/编码/行政区划代码 field */
    enum pk_load_mode mode;
    int force;              /* replace even when task links are lost (they go to the history) */
    int threads;            /* repair threads; 0 = one per CPU */
    int repair_structure;   /* 1 = MakeValid "structure" method (faster, changes areas) */
    int no_geometry;        /* the source has no geometry (a CSV of figures): load its rows as a
                               table, kind "table"; without it such a source is an error */
};

struct pk_load_result {
    long long read;       /* features read from the source */
    long long stored;     /* features written to the store */
    long long repaired;   /* invalid geometries repaired */
    long long empty;      /* features stored without geometry (empty or collapsed) */
    long long dropped;    /* degenerate rings/lines removed */
    char name[128];       /* the layer name used */
    int measure_srid_chosen; /* non-zero when this load chose the store's metric CRS */
    char key[128];        /* the layer's key field, "" when none */
    char name_field[128]; /* the field naming the features, "" when none */
    long long links_kept; /* replace: task links re-matched by key */
    long long links_lost; /* replace --force: task links removed (recorded in history) */
};

/* Load a layer in one transaction (nested in the caller's when one is open).
 * Repaired and empty features are logged as warnings and kept in
 * pk_load_issues. result may be NULL. Replacing a layer moves every task
 * link to the new feature with the same key value; it fails (store
 * unchanged) when a link would be lost, unless opts->force. */
int pk_layer_load(struct pk_store *store, const struct pk_load_opts *opts,
                  struct pk_load_result *result, pk_progress_fn progress, void *progress_arg);

/* Tables of layers and facts; *out: caller frees with pk_table_free.
 * pk_layer_list, one row per layer: name, kind, geometry, title, features,
 * its extent min_x, min_y, max_x, max_y (store CRS, all digits; null when
 * it has none), loaded_at and accuracy, the class read from the layer's
 * accuracy text: "schematic ±km", "web-map ~100 m", "surveyed",
 * "unclassified" or "unstated". */
int pk_layer_list(struct pk_store *store, struct pk_table **out);

/* One field of a layer: its name and SQLite type (TEXT, INTEGER, REAL). */
struct pk_layer_field {
    char *name, *type;
};

/* What pk_layer_info tells about one layer, as values (texts "" when the
 * registry has none; strings and arrays owned, freed by
 * pk_layer_info_release). A front end prints them as it likes. */
struct pk_layer_info {
    char *name, *title, *kind, *source, *table, *geometry_type;
    long long features;
    int has_extent;             /* the layer has an extent (not an empty or geometry-less one) */
    double extent[4];           /* min x, min y, max x, max y in the store CRS, all digits */
    int srid;                   /* the store CRS (EPSG code) */
    char *key, *name_field;     /* the key and name fields; "" when none */
    char *loaded_at;
    long long repaired, empty;  /* features repaired, features without geometry (pk_layer_issues) */
    char *provenance, *accuracy;
    struct pk_layer_field *fields; /* the attribute fields, in order */
    int nfields;
    int measure_srid;           /* the store's metric CRS; 0 when it has none (then no measures) */
    double area_m2, length_m;   /* the features' areas and lengths, summed, in the metric CRS */
};

/* The facts of layer name into *info (zeroed first; complete on PK_OK).
 * Release *info with pk_layer_info_release, on success or failure. */
int pk_layer_info(struct pk_store *store, const char *name, struct pk_layer_info *info);
/* Free what *info owns and zero it; accepts a zeroed struct. */
void pk_layer_info_release(struct pk_layer_info *info);
/* Load issues (repaired, empty) of one layer. */
int pk_layer_issues(struct pk_store *store, const char *name, struct pk_table **out);

struct pk_export_opts {
    const char *format; /* OGR driver name; NULL = guessed from the file extension */
    const char *t_srs;  /* target CRS; NULL = the store CRS */
};
/* Write a layer to a file with GDAL. The file is written under a temporary
 * name and renamed into place, so a failure leaves no partial output. */
int pk_layer_export(struct pk_store *store, const char *name, const char *out_path,
                    const struct pk_export_opts *opts, pk_progress_fn progress, void *arg);

/* Drop a layer. Fails when tasks are linked to it, unless force: the links
 * are then removed and recorded in each task's history. *links_removed
 * (may be NULL) counts them. */
int pk_layer_drop(struct pk_store *store, const char *name, int force, long long *links_removed);
int pk_layer_rename(struct pk_store *store, const char *old_name, const char *new_name);

/* 1 if name is acceptable as a layer name (letters incl. CJK, digits, _ -;
 * no invisible characters; not a name the store uses for its own tables). */
int pk_layer_name_valid(const char *name);
/* Why a name is not acceptable (static text), or NULL when it is. */
const char *pk_layer_name_problem(const char *name);

/* Consistency check of the whole store: SQLite integrity, registry vs
 * tables, spatial indexes, geometry validity, counts. Problems go into *out
 * (one row each; empty table = healthy). */
int pk_store_check(struct pk_store *store, struct pk_table **out, pk_progress_fn progress,
                   void *arg);

#ifdef __cplusplus
}
#endif
#endif
