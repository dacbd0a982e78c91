/* store_schema.c — the store's schema as an ordered list of migrations.
 *
 * PRAGMA user_version holds the number of migrations applied. A store made by
 * an older plankit is upgraded on open by running the missing steps in one
 * transaction. Never edit a released step: append a new one.
 */
#include <stdio.h>

#include "store_int.h"

static const char *const migrations[] = {
    /* 1: layer registry, fields, load issues, history */
    "CREATE TABLE pk_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
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
    "CREATE INDEX pk_history_object ON pk_history(object_type, object_id);",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int pk_store_latest_schema(void) { return N_MIGRATIONS; }

/* Bring the schema from version `from` to the latest, inside the caller's
 * transaction. Used by create (from 0) and open. */
int pk_store_migrate(struct pk_store *store, int from)
{
    char sql[64];
    for (int v = from; v < N_MIGRATIONS; v++) {
        int rc = pk_sql_exec(store, migrations[v]);
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
