/* store_schema.c — the store's schema as an ordered list of migrations.
 *
 * PRAGMA user_version holds the number of migrations applied. A store made by
 * an older plankit is upgraded on open by running the missing steps in one
 * transaction. Never edit a released step: append a new one.
 */
#include <stdio.h>

#include <stdlib.h>

#include "layer_int.h"

struct migration {
    const char *sql;
    int (*step)(struct pk_store *store); /* runs after sql; may be NULL */
};

/* Task footprints are geometries in the store CRS, with an R*Tree index. */
static int add_footprint_geometry(struct pk_store *store)
{
    char *sql = sqlite3_mprintf("SELECT AddGeometryColumn('pk_task_footprints', 'geom', %d, 'GEOMETRY', 'XY');"
                                "SELECT CreateSpatialIndex('pk_task_footprints', 'geom');",
                                store->srid);
    int rc = pk_sql_exec(store, sql);
    sqlite3_free(sql);
    return rc;
}

/* The names of every registered layer, in id order: *names (caller frees
 * each with sqlite3_free and the array with free; also on error) and *n.
 * A read that ends other than SQLITE_DONE is an error. */
static int layer_names(struct pk_store *store, char ***names, size_t *n)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = pk_sql_prepare(store, "SELECT name FROM pk_layers ORDER BY id", &st), step = SQLITE_DONE;
    *names = NULL;
    *n = 0;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            char **grown = realloc(*names, (cap = cap ? cap * 2 : 16) * sizeof **names);
            if (!grown) {
                rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            *names = grown;
        }
        if (!((*names)[(*n)++] = sqlite3_mprintf("%s", sqlite3_column_text(st, 0))))
            rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(store, "cannot read the layer registry");
    sqlite3_finalize(st);
    return rc;
}

/* Each existing layer gets its stable key field (pk_layer_key_choose: a
 * unique id/code field, else none) and every link the key value of the
 * feature it points at; and its default name field (name, 名称, mc, ...). */
static int add_identity_fields(struct pk_store *store)
{
    char **names;
    size_t n;
    int rc = layer_names(store, &names, &n);
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        struct pk_layer_ref ref;
        char key[128];
        if (pk_layer_find(store, names[i], &ref) != PK_OK) { /* damaged: `check` reports it */
            pk_error_clear(store->ctx);
            continue;
        }
        if (pk_layer_key_choose(store, &ref, NULL, NULL, key, sizeof key) != PK_OK)
            key[0] = '\0';
        pk_error_clear(store->ctx);
        if ((rc = pk_layer_key_set(store, &ref, key)) != PK_OK)
            break;
        if (pk_layer_find(store, names[i], &ref) != PK_OK) { /* (read again: the key is set) */
            pk_error_clear(store->ctx);
            continue;
        }
        rc = pk_layer_name_field_set(store, &ref, NULL);
    }
    for (size_t i = 0; i < n; i++)
        sqlite3_free(names[i]);
    free(names);
    return rc;
}

/* pk_layers.kind may be 'table' (a layer loaded without geometry). SQLite
 * cannot alter a CHECK constraint, and rebuilding pk_layers would cascade
 * deletes to its referencing tables: the constraint's text is edited in
 * sqlite_master as SQLite documents for such changes (writable_schema,
 * schema_version + 1), inside the migration's transaction. */
static int allow_table_kind(struct pk_store *store)
{
    static const char old_check[] = "CHECK(kind IN ('district','zone','line','point'))";
    long long version = 0;
    int rc = pk_sql_int(store, "PRAGMA schema_version", NULL, &version, NULL);
    char *sql = rc == PK_OK ? sqlite3_mprintf(
        "PRAGMA writable_schema=ON;"
        "UPDATE sqlite_master SET sql=replace(sql, '%q', '%q') WHERE type='table' AND name='pk_layers';"
        "PRAGMA schema_version=%lld;"
        "PRAGMA writable_schema=OFF;", old_check, "CHECK(kind IN ('district','zone','line','point','table'))",
        version + 1) : NULL;
    if (rc == PK_OK && !sql)
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK)
        rc = pk_sql_exec(store, sql);
    sqlite3_free(sql);
    long long ok = 0;
    if (rc == PK_OK)
        rc = pk_sql_int(store, "SELECT count(*) FROM sqlite_master WHERE name='pk_layers' AND sql LIKE"
                        " '%''point'',''table''))%'", NULL, &ok, NULL);
    if (rc == PK_OK && ok != 1)
        rc = pk_error(store->ctx, PK_ERR_DB, "pk_layers does not have the expected kind constraint");
    return rc;
}

/* Every existing layer gets its view named after it. A layer whose name an
 * object of the store already has keeps none (`check` reports it). */
static int add_layer_views(struct pk_store *store)
{
    sqlite3_stmt *st;
    long long *ids = NULL;
    size_t n = 0, cap = 0;
    int rc = pk_sql_exec(store, "SELECT CreateVectorCoveragesTables()");
    if (rc == PK_OK)
        rc = pk_sql_prepare(store, "SELECT id FROM pk_layers ORDER BY id", &st);
    else
        return rc;
    int step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            long long *grown = realloc(ids, (cap = cap ? cap * 2 : 16) * sizeof *ids);
            if (!grown) {
                rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            ids = grown;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (rc == PK_OK)
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        int one = pk_layer_view_create(store, ids[i]);
        if (one == PK_ERR_EXISTS || one == PK_ERR_DATA)
            pk_error_clear(store->ctx);
        else
            rc = one;
    }
    free(ids);
    return rc;
}

static int add_views_and_table_kind(struct pk_store *store)
{
    int rc = allow_table_kind(store);
    return rc == PK_OK ? add_layer_views(store) : rc;
}

static const struct migration migrations[] = {
    /* 1: layer registry, fields, load issues, history */
    {"CREATE TABLE pk_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE pk_layers("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  title TEXT,"
    "  kind TEXT NOT NULL CHECK(kind IN ('district','zone','line','point')),"
    "  source TEXT,"
    "  table_name TEXT NOT NULL UNIQUE,"
    "  geometry_type TEXT,"
    "  feature_count INTEGER NOT NULL DEFAULT 0,"
    "  min_x REAL, min_y REAL, max_x REAL, max_y REAL,"
    "  provenance TEXT, accuracy TEXT,"
    "  loaded_at TEXT NOT NULL);"
    "CREATE TABLE pk_fields("
    "  layer_id INTEGER NOT NULL REFERENCES pk_layers(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  PRIMARY KEY(layer_id, position));"
    "CREATE TABLE pk_load_issues("
    "  layer_id INTEGER NOT NULL REFERENCES pk_layers(id) ON DELETE CASCADE,"
    "  fid INTEGER,"
    "  source_fid INTEGER,"
    "  feature_name TEXT,"
    "  issue TEXT NOT NULL,"
    "  detail TEXT);"
    "CREATE INDEX pk_load_issues_layer ON pk_load_issues(layer_id);"
    "CREATE TABLE pk_history("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  user TEXT NOT NULL,"
    "  command TEXT NOT NULL,"
    "  object_type TEXT NOT NULL,"
    "  object_id TEXT,"
    "  field TEXT,"
    "  old_value TEXT,"
    "  new_value TEXT);"
    "CREATE INDEX pk_history_object ON pk_history(object_type, object_id);", NULL},
    /* 2: plan tasks, their classifications, links to features and footprints */
    {"CREATE TABLE pk_classifications("
     "  name TEXT PRIMARY KEY,"
     "  name_en TEXT,"
     "  code TEXT);"
     "CREATE TABLE pk_tasks("
     "  id TEXT PRIMARY KEY,"
     "  title TEXT NOT NULL,"
     "  title_en TEXT,"
     "  description TEXT,"
     "  classification TEXT,"
     "  section TEXT,"
     "  source TEXT,"
     "  lead TEXT,"
     "  partners TEXT NOT NULL DEFAULT '[]',"
     "  start_year INTEGER,"
     "  end_year INTEGER,"
     "  status TEXT NOT NULL DEFAULT 'planned'"
     "    CHECK(status IN ('planned','in_progress','done','delayed','cancelled')),"
     "  progress REAL NOT NULL DEFAULT 0 CHECK(progress >= 0 AND progress <= 100),"
     "  indicators TEXT NOT NULL DEFAULT '[]',"
     "  tags TEXT NOT NULL DEFAULT '[]',"
     "  citywide INTEGER NOT NULL DEFAULT 0,"
     "  CHECK(start_year IS NULL OR end_year IS NULL OR start_year <= end_year));"
     "CREATE INDEX pk_tasks_classification ON pk_tasks(classification);"
     "CREATE TABLE pk_task_links("
     "  task_id TEXT NOT NULL REFERENCES pk_tasks(id) ON DELETE CASCADE ON UPDATE CASCADE,"
     "  layer_id INTEGER NOT NULL REFERENCES pk_layers(id) ON DELETE CASCADE,"
     "  fid INTEGER NOT NULL,"
     "  role TEXT NOT NULL DEFAULT 'located-in',"
     "  PRIMARY KEY(task_id, layer_id, fid, role));"
     "CREATE INDEX pk_task_links_feature ON pk_task_links(layer_id, fid);"
     "CREATE TABLE pk_task_footprints("
     "  id INTEGER PRIMARY KEY,"
     "  task_id TEXT NOT NULL REFERENCES pk_tasks(id) ON DELETE CASCADE ON UPDATE CASCADE,"
     "  label TEXT,"
     "  role TEXT NOT NULL DEFAULT 'site');"
     "CREATE INDEX pk_task_footprints_task ON pk_task_footprints(task_id);",
     add_footprint_geometry},
    /* 3: a stable feature key per layer, kept with each task link, and the
     * field that names a layer's features */
    {"ALTER TABLE pk_layers ADD COLUMN key_field TEXT;"
     "ALTER TABLE pk_task_links ADD COLUMN feature_key TEXT;"
     "ALTER TABLE pk_layers ADD COLUMN name_field TEXT;", add_identity_fields},
    /* 4: each layer's read-only view named after it, registered for GDAL
     * and QGIS (layer_view.c); layers of kind table (without geometry) */
    {"", add_views_and_table_kind},
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int pk_store_latest_schema(void) { return N_MIGRATIONS; }

/* Bring the schema from version `from` to the latest, inside the caller's
 * transaction. Used by create (from 0) and open. */
int pk_store_migrate(struct pk_store *store, int from)
{
    char sql[64];
    for (int v = from; v < N_MIGRATIONS; v++) {
        int rc = pk_sql_exec(store, migrations[v].sql);
        if (rc == PK_OK && migrations[v].step)
            rc = migrations[v].step(store);
        if (rc != PK_OK) {
            pk_error_prefix(store->ctx, "schema migration %d", v + 1);
            return rc;
        }
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", N_MIGRATIONS);
    int rc = pk_sql_exec(store, sql);
    if (rc == PK_OK)
        store->schema_version = N_MIGRATIONS;
    return rc;
}
