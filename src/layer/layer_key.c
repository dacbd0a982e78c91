/* layer_key.c — the fields that identify a layer's features: its stable key
 * and its name field; and keeping task links on the same features when a
 * layer's rows are replaced or dropped.
 *
 * A link stores the fid it points at (what the engines read) and the value
 * of the layer's key field at the time it was made (pk_task_links.feature_key).
 * Replacing a layer re-matches every link by that value; a link whose value
 * is gone (or no longer unique) is "lost": reported, refused unless forced,
 * and when forced removed with one history row per task so it can be restored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "layer_int.h"

/* Field names tried, in order, when no --key is given. */
static const char *const default_keys[] = {"code", "id", "编码", "行政区划代码", "xzqdm", "dm", NULL};

/* 1 when column `field` exists in the layer's table (its exact spelling
 * into out), 0 when not, -1 on error (in the context: never "no field"). */
static int field_exists(struct pk_store *store, const struct pk_layer_ref *ref, const char *field, char *out,
                        size_t size)
{
    sqlite3_stmt *st;
    int found = 0;
    if (pk_sql_prepare(store, "SELECT name FROM pk_fields WHERE layer_id=? AND lower(name)=lower(?)"
                              " ORDER BY position LIMIT 1", &st) != PK_OK)
        return -1;
    sqlite3_bind_int64(st, 1, ref->id);
    pk_sql_bind_text(st, 2, field);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        snprintf(out, size, "%s", sqlite3_column_text(st, 0));
        found = 1;
    } else if (pk_sql_done(store, step) != PK_OK) {
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

/* Number of rows whose value of field is empty or repeated (0 = usable key),
 * -1 on error (in the context). *example gets one such value (caller frees
 * with sqlite3_free), may be NULL. */
static long long key_conflicts(struct pk_store *store, const struct pk_layer_ref *ref, const char *field,
                               char **example)
{
    long long bad = -1;
    char *sql = sqlite3_mprintf("SELECT (SELECT count(*) FROM %s WHERE coalesce(CAST(\"%w\" AS TEXT), '')='')"
                                " + (SELECT count(*) - count(DISTINCT CAST(\"%w\" AS TEXT)) FROM %s"
                                "    WHERE coalesce(CAST(\"%w\" AS TEXT), '')<>'')",
                                ref->table, field, field, ref->table, field);
    if (pk_sql_int(store, sql, NULL, &bad, NULL) != PK_OK)
        bad = -1;
    sqlite3_free(sql);
    if (example && bad > 0) {
        sqlite3_stmt *st;
        sql = sqlite3_mprintf("SELECT coalesce(CAST(\"%w\" AS TEXT), '') AS v FROM %s GROUP BY v"
                              " HAVING count(*) > 1 OR v='' ORDER BY v LIMIT 1", field, ref->table);
        *example = NULL;
        if (sql && pk_sql_prepare(store, sql, &st) == PK_OK) { /* (a message's example: best effort) */
            if (sqlite3_step(st) == SQLITE_ROW)
                *example = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
        sqlite3_free(sql);
    }
    return bad;
}

/* 1 when the layer has field `name` (its spelling into field) and it is a
 * key, 0 when not, -1 on error (in the context). */
static int usable_key(struct pk_store *store, const struct pk_layer_ref *ref, const char *name, char *field,
                      size_t size)
{
    int has = field_exists(store, ref, name, field, size);
    long long bad = has > 0 ? key_conflicts(store, ref, field, NULL) : 0;
    return has < 0 || bad < 0 ? -1 : has && bad == 0;
}

int pk_layer_key_choose(struct pk_store *store, const struct pk_layer_ref *ref, const char *requested,
                        const char *previous, char *out, size_t size)
{
    char field[128];
    out[0] = '\0';
    if (requested) {
        int has = field_exists(store, ref, requested, field, sizeof field);
        if (has < 0)
            return pk_errcode(store->ctx);
        if (!has)
            return pk_error(store->ctx, PK_ERR_ARGS, "layer '%s' has no field '%s'", ref->name, requested);
        char *example = NULL;
        long long bad = key_conflicts(store, ref, field, &example);
        int rc = bad < 0 ? pk_errcode(store->ctx) : PK_OK;
        if (bad > 0)
            rc = pk_error(store->ctx, PK_ERR_DATA, "field '%s' is not a key of layer '%s': %lld feature(s) "
                          "repeat another's value or have none%s%s%s", field, ref->name, bad, example ? " (e.g. '" : "",
                          example ? (*example ? example : "(empty)") : "", example ? "')" : "");
        sqlite3_free(example);
        if (rc == PK_OK)
            snprintf(out, size, "%s", field);
        return rc;
    }
    for (int i = -1; i < 0 || default_keys[i]; i++) { /* the previous key first */
        const char *name = i < 0 ? previous : default_keys[i];
        int ok = name && *name ? usable_key(store, ref, name, field, sizeof field) : 0;
        if (ok < 0)
            return pk_errcode(store->ctx); /* never "no key": links would not follow a reload */
        if (ok) {
            snprintf(out, size, "%s", field);
            return PK_OK;
        }
    }
    return PK_OK;
}

int pk_layer_name_field_set(struct pk_store *store, struct pk_layer_ref *ref, const char *requested)
{
    static const char *const defaults[] = {"name", "名称", "mc", "name_zh", "名字", NULL};
    char field[128] = "";
    int has = requested ? field_exists(store, ref, requested, field, sizeof field) : 0;
    if (requested && !has)
        return pk_error(store->ctx, PK_ERR_ARGS, "--name-field: layer '%s' has no field '%s'", ref->name, requested);
    for (int i = 0; has >= 0 && !requested && !*field && defaults[i]; i++)
        has = field_exists(store, ref, defaults[i], field, sizeof field);
    if (has < 0)
        return pk_errcode(store->ctx);
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "UPDATE pk_layers SET name_field=? WHERE id=?", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, *field ? field : NULL);
    sqlite3_bind_int64(st, 2, ref->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(store, "cannot record the name field");
    sqlite3_finalize(st);
    snprintf(ref->name_field, sizeof ref->name_field, "%s", field);
    return rc;
}

int pk_layer_key_set(struct pk_store *store, const struct pk_layer_ref *ref, const char *key)
{
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "UPDATE pk_layers SET key_field=? WHERE id=?", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, key && *key ? key : NULL);
    sqlite3_bind_int64(st, 2, ref->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(store, "cannot record the layer key");
    sqlite3_finalize(st);
    if (rc != PK_OK)
        return rc;
    char *sql = key && *key
                    ? sqlite3_mprintf("UPDATE pk_task_links SET feature_key=(SELECT CAST(\"%w\" AS TEXT) FROM %s t"
                                      " WHERE t.fid=pk_task_links.fid) WHERE layer_id=%lld",
                                      key, ref->table, ref->id)
                    : sqlite3_mprintf("UPDATE pk_task_links SET feature_key=NULL WHERE layer_id=%lld", ref->id);
    rc = sql ? pk_sql_exec(store, sql) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    return rc;
}

/* "towns:ZP 周庄镇 (located-in)": how a removed link is written in the
 * history, so that `task attach --to towns:ZP --role located-in` restores it. */
static char *link_text(struct pk_store *store, const struct pk_layer_ref *ref, sqlite3_stmt *row, int with_label)
{
    long long fid = sqlite3_column_int64(row, 1);
    const char *role = (const char *)sqlite3_column_text(row, 2);
    const char *key = (const char *)sqlite3_column_text(row, 3);
    char *label = NULL;
    if (with_label && pk_layer_feature_label(store, ref, fid, &label) != PK_OK)
        return NULL; /* the caller reports a NULL text as out of memory or a failed read */
    char *text = key ? sqlite3_mprintf("%s:%s%s%s (%s)", ref->name, key, label ? " " : "", label ? label : "", role)
                     : sqlite3_mprintf("%s:%lld%s%s (%s)", ref->name, fid, label ? " " : "", label ? label : "",
                                       role);
    free(label);
    return text;
}

int pk_layer_links_remove(struct pk_store *store, const struct pk_layer_ref *ref, const char *command,
                          const char *where, int with_label, long long *removed)
{
    sqlite3_stmt *st;
    *removed = 0;
    char *sql = sqlite3_mprintf("SELECT task_id, fid, role, feature_key FROM pk_task_links WHERE layer_id=%lld"
                                " AND (%s) ORDER BY task_id, fid, role", ref->id, where);
    int rc = sql ? pk_sql_prepare(store, sql, &st) : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc != PK_OK)
        return rc;
    int step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *task = (const char *)sqlite3_column_text(st, 0);
        char *text = link_text(store, ref, st, with_label);
        if (!text) {
            rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
            break;
        }
        pk_log(store->ctx, PK_LOG_WARN, "task '%s': link to %s removed (kept in 'plankit task history %s')",
               task, text, task);
        rc = pk_store_history(store, command, "task", task, "link", text, NULL);
        sqlite3_free(text);
        (*removed)++;
    }
    if (rc == PK_OK) /* every link removed must be in the history first */
        rc = pk_sql_done(store, step);
    sqlite3_finalize(st);
    if (rc != PK_OK)
        return rc;
    sql = sqlite3_mprintf("DELETE FROM pk_task_links WHERE layer_id=%lld AND (%s)", ref->id, where);
    rc = pk_sql_exec(store, sql);
    sqlite3_free(sql);
    return rc;
}

/* Up to ~10 lost links as "PZ-22 -> towns:ZP, ..." for the refusal message;
 * caller frees with sqlite3_free. */
static char *lost_list(struct pk_store *store, const struct pk_layer_ref *ref, const char *where)
{
    sqlite3_stmt *st;
    char *list = sqlite3_mprintf("%s", "");
    char *sql = sqlite3_mprintf("SELECT task_id, coalesce(feature_key, 'fid ' || fid) FROM pk_task_links"
                                " WHERE layer_id=%lld AND (%s) ORDER BY task_id, fid LIMIT 11", ref->id, where);
    if (sql && list && pk_sql_prepare(store, sql, &st) == PK_OK) {
        int step = SQLITE_DONE;
        for (int n = 0; list && (step = sqlite3_step(st)) == SQLITE_ROW; n++) {
            char *next = n < 10 ? sqlite3_mprintf("%s%s%s -> %s:%s", list, n ? ", " : "", sqlite3_column_text(st, 0),
                                                  ref->name, sqlite3_column_text(st, 1))
                                : sqlite3_mprintf("%s, ...", list);
            sqlite3_free(list);
            list = next;
        }
        if (list && step != SQLITE_DONE && step != SQLITE_ROW) { /* a short list would read as complete */
            sqlite3_free(list);
            list = sqlite3_mprintf("%s", "(the list could not be read)");
        }
        sqlite3_finalize(st);
    }
    sqlite3_free(sql);
    return list;
}

/* Links of the layer whose stored key matches no single row of the new
 * table under old_key (all of them when there is no such key). */
static char *lost_condition(const struct pk_layer_ref *ref, const char *old_key)
{
    if (!old_key || !*old_key)
        return sqlite3_mprintf("1");
    return sqlite3_mprintf("feature_key IS NULL OR (SELECT count(*) FROM %s t WHERE CAST(t.\"%w\" AS TEXT)"
                           "=pk_task_links.feature_key) <> 1", ref->table, old_key);
}

int pk_layer_relink(struct pk_store *store, const struct pk_layer_ref *ref, const char *old_key,
                    const char *new_key, int force, const char *label, struct pk_relink *out)
{
    struct pk_ctx *ctx = store->ctx;
    char col[128];
    memset(out, 0, sizeof *out);
    /* the old key column must exist in the new rows to match on it */
    int has = old_key && *old_key ? field_exists(store, ref, old_key, col, sizeof col) : 0;
    if (has < 0)
        return pk_errcode(ctx); /* never "the key is gone": the links would be lost */
    const char *match = has ? col : NULL;
    char *lost = lost_condition(ref, match);
    char *sql = lost ? sqlite3_mprintf("SELECT count(*) FROM pk_task_links WHERE layer_id=%lld AND (%s)",
                                       ref->id, lost) : NULL;
    int rc = sql ? pk_sql_int(store, sql, NULL, &out->lost, NULL) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (rc == PK_OK && out->lost > 0 && !force) {
        char *list = lost_list(store, ref, lost);
        if (match)
            rc = pk_error(ctx, PK_ERR_DATA, "%s: replacing layer '%s' would remove %lld task link(s) whose "
                          "feature (by key '%s') is gone or repeated: %s; give --force to replace anyway (the "
                          "removed links are kept in each task's history)",
                          label, ref->name, out->lost, match, list ? list : "");
        else
            rc = pk_error(ctx, PK_ERR_DATA, "%s: replacing layer '%s' would remove %lld task link(s): %s; "
                          "they cannot be re-matched because %s; give --force to replace anyway (the removed "
                          "links are kept in each task's history)", label, ref->name, out->lost,
                          list ? list : "", old_key && *old_key ? "the new data lacks the layer's key field"
                                                                : "the layer has no key field (see --key)");
        sqlite3_free(list);
    }
    if (rc == PK_OK && out->lost > 0)
        rc = pk_layer_links_remove(store, ref, "layer load --replace", lost, 0, &out->lost);
    sqlite3_free(lost);
    if (rc == PK_OK && match) {
        /* two steps through negative fids: two links of one task may swap features */
        sql = sqlite3_mprintf("UPDATE pk_task_links SET fid=-(SELECT t.fid FROM %s t WHERE CAST(t.\"%w\" AS TEXT)"
                              "=pk_task_links.feature_key) WHERE layer_id=%lld;"
                              "UPDATE pk_task_links SET fid=-fid WHERE layer_id=%lld AND fid<0;",
                              ref->table, match, ref->id, ref->id);
        rc = sql ? pk_sql_exec(store, sql) : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        sqlite3_free(sql);
        long long n = 0;
        sql = sqlite3_mprintf("SELECT count(*) FROM pk_task_links WHERE layer_id=%lld", ref->id);
        if (rc == PK_OK && sql)
            rc = pk_sql_int(store, sql, NULL, &n, NULL);
        sqlite3_free(sql);
        out->kept = n;
    }
    if (rc == PK_OK)
        rc = pk_layer_key_set(store, ref, new_key);
    return rc;
}
