/* task.c — plan tasks: add, update (upsert with field-level history),
 * remove, show, list and history.
 *
 * A task is one row of pk_tasks keyed by its id; its fields travel as an
 * array of TASK_NCOLS text values (enum task_col order, NULL = not given),
 * so the CLI, task files (task_import.c) and links (task_link.c) share one
 * validation and one upsert. Every change is recorded in pk_history field
 * by field (old and new value), so a task's history shows who changed
 * what. SQL text is built from the fixed column names only; every value is
 * a bound parameter. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_string.h>
#include <json-c/json.h>

#include "layer_int.h"
#include "task_int.h"
#include "sql_int.h"

/* Task columns in the order of enum task_col; never user text. */
const char *const pk_task_columns[TASK_NCOLS] = {
    "title", "title_en", "description", "classification", "section", "source", "lead",
    "partners", "start_year", "end_year", "status", "progress", "indicators", "tags", "citywide",
};

/* Numbers at -1 mean "not given" (0 is a valid progress and a valid
 * citywide flag). */
void pk_task_fields_init(struct pk_task_fields *f)
{
    memset(f, 0, sizeof *f);
    f->start_year = f->end_year = -1;
    f->progress = -1;
    f->citywide = -1;
}

/* Ids are typed on command lines and appear in file names and URLs: ASCII
 * letters, digits, '-', '_', '.' and any non-ASCII UTF-8 (Chinese ids). */
int pk_task_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64 || !CPLIsUTF8(id, -1))
        return 0;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (!(*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
            return 0;
    return 1;
}

void pk_task_values_release(char *vals[TASK_NCOLS])
{
    for (int i = 0; i < TASK_NCOLS; i++) {
        free(vals[i]);
        vals[i] = NULL;
    }
}

/* A copy of s (caller frees), NULL for NULL; *oom set when the copy fails. */
static char *dup_or_null(const char *s, int *oom)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        *oom = 1;
    return copy;
}

/* v as text (caller frees); *oom set when out of memory. */
static char *fmt_int(int v, int *oom)
{
    char *s = NULL;
    if (asprintf(&s, "%d", v) < 0) {
        *oom = 1;
        return NULL;
    }
    return s;
}

int pk_task_values_from_fields(const struct pk_task_fields *f, char *vals[TASK_NCOLS])
{
    int oom = 0;
    memset(vals, 0, sizeof(char *) * TASK_NCOLS);
    vals[COL_TITLE] = dup_or_null(f->title, &oom);
    vals[COL_TITLE_EN] = dup_or_null(f->title_en, &oom);
    vals[COL_DESCRIPTION] = dup_or_null(f->description, &oom);
    vals[COL_CLASSIFICATION] = dup_or_null(f->classification, &oom);
    vals[COL_SECTION] = dup_or_null(f->section, &oom);
    vals[COL_SOURCE] = dup_or_null(f->source, &oom);
    vals[COL_LEAD] = dup_or_null(f->lead, &oom);
    vals[COL_PARTNERS] = dup_or_null(f->partners_json, &oom);
    vals[COL_STATUS] = dup_or_null(f->status, &oom);
    vals[COL_INDICATORS] = dup_or_null(f->indicators_json, &oom);
    vals[COL_TAGS] = dup_or_null(f->tags_json, &oom);
    if (f->start_year >= 0)
        vals[COL_START_YEAR] = fmt_int(f->start_year, &oom);
    if (f->end_year >= 0)
        vals[COL_END_YEAR] = fmt_int(f->end_year, &oom);
    /* any progress but the -1 of "not given" goes on, for validation to refuse */
    if ((f->progress >= 0 || f->progress < -1 || isnan(f->progress)) &&
        asprintf(&vals[COL_PROGRESS], "%.10g", f->progress) < 0) {
        vals[COL_PROGRESS] = NULL;
        oom = 1;
    }
    if (f->citywide >= 0)
        vals[COL_CITYWIDE] = fmt_int(f->citywide ? 1 : 0, &oom);
    if (oom) {
        pk_task_values_release(vals);
        return PK_ERR_NOMEM;
    }
    return PK_OK;
}

/* Checks that need no database: status, progress, years, JSON lists. */
int pk_task_validate(struct pk_ctx *ctx, const char *id, char *vals[TASK_NCOLS])
{
    if (!pk_task_id_valid(id))
        return pk_error(ctx, PK_ERR_ARGS, "invalid task id '%s': use letters, digits, '-', '_' or '.'", id);
    if (vals[COL_STATUS]) {
        const char *status = pk_task_status_canonical(vals[COL_STATUS]);
        if (!status)
            return pk_error(ctx, PK_ERR_ARGS, "task '%s': invalid status '%s': use %s", id, vals[COL_STATUS],
                            pk_task_status_help());
        char *copy = strdup(status);
        if (!copy)
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        free(vals[COL_STATUS]);
        vals[COL_STATUS] = copy;
    }
    if (vals[COL_PROGRESS]) {
        char *end;
        double p = strtod(vals[COL_PROGRESS], &end);
        if (*end || !(p >= 0 && p <= 100))
            return pk_error(ctx, PK_ERR_ARGS, "task '%s': progress '%s' is not a number from 0 to 100",
                            id, vals[COL_PROGRESS]);
    }
    for (int c = COL_START_YEAR; c <= COL_END_YEAR; c++)
        if (vals[c]) {
            char *end;
            long y = strtol(vals[c], &end, 10);
            if (*end || y < 1900 || y > 2200)
                return pk_error(ctx, PK_ERR_ARGS, "task '%s': %s '%s' is not a year", id,
                                pk_task_columns[c], vals[c]);
        }
    if (vals[COL_START_YEAR] && vals[COL_END_YEAR] && atoi(vals[COL_START_YEAR]) > atoi(vals[COL_END_YEAR]))
        return pk_error(ctx, PK_ERR_ARGS, "task '%s': start year %s is after end year %s", id,
                        vals[COL_START_YEAR], vals[COL_END_YEAR]);
    static const int lists[] = {COL_PARTNERS, COL_INDICATORS, COL_TAGS};
    for (size_t i = 0; i < 3; i++) {
        const char *v = vals[lists[i]];
        if (!v)
            continue;
        json_object *j = json_tokener_parse(v);
        int ok = j && json_object_is_type(j, json_type_array);
        json_object_put(j);
        if (!ok)
            return pk_error(ctx, PK_ERR_ARGS, "task '%s': %s is not a JSON array", id,
                            pk_task_columns[lists[i]]);
    }
    if (vals[COL_TITLE] && !*vals[COL_TITLE])
        return pk_error(ctx, PK_ERR_ARGS, "task '%s': empty title", id);
    return PK_OK;
}

/* "title, title_en, ..." : the task columns for a SELECT (fixed names).
 * Caller frees with sqlite3_free; NULL when out of memory. */
static char *column_list(void)
{
    char *cols = sqlite3_mprintf("%s", pk_task_columns[0]);
    for (int i = 1; cols && i < TASK_NCOLS; i++) {
        char *next = sqlite3_mprintf("%s, %s", cols, pk_task_columns[i]);
        sqlite3_free(cols);
        cols = next;
    }
    return cols;
}

/* Read a task's columns as text into vals (caller releases them with
 * pk_task_values_release; all NULL on error); *exists = 0 when there is no
 * such task. A failed read is an error, never "no such task". */
static int read_task(struct pk_store *store, const char *id, char *vals[TASK_NCOLS], int *exists)
{
    memset(vals, 0, sizeof(char *) * TASK_NCOLS);
    *exists = 0;
    char *cols = column_list();
    char *sql = cols ? sqlite3_mprintf("SELECT %s FROM pk_tasks WHERE id=?", cols) : NULL;
    sqlite3_free(cols);
    if (!sql)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, sql, &st);
    sqlite3_free(sql);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, id);
    int step = sqlite3_step(st), oom = 0;
    if (step == SQLITE_ROW) {
        *exists = 1;
        for (int i = 0; i < TASK_NCOLS; i++)
            vals[i] = dup_or_null((const char *)sqlite3_column_text(st, i), &oom);
    } else if (step != SQLITE_DONE) {
        rc = pk_error_db(store, "cannot read task");
    }
    sqlite3_finalize(st);
    if (rc == PK_OK && oom)
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc != PK_OK) {
        pk_task_values_release(vals);
        *exists = 0;
    }
    return rc;
}

/* Unknown classification: an error when the store defines classifications
 * (a task file may declare them); the message lists the known ones (as many
 * as fit: it is a message, a short read only shortens it). */
static int check_classification(struct pk_store *store, const char *id, const char *cls)
{
    long long n = 0, known = 0;
    if (!cls)
        return PK_OK;
    int rc = pk_sql_int(store, "SELECT count(*) FROM pk_classifications", NULL, &n, NULL);
    if (rc != PK_OK || n == 0)
        return rc;
    rc = pk_sql_int(store, "SELECT count(*) FROM pk_classifications WHERE name=?", cls, &known, NULL);
    if (rc == PK_OK && !known) {
        char list[512] = "";
        sqlite3_stmt *st;
        if ((rc = pk_sql_prepare(store, "SELECT name FROM pk_classifications ORDER BY rowid", &st)) != PK_OK)
            return rc;
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW && strlen(list) < 400) {
            strcat(list, *list ? ", " : "");
            strncat(list, (const char *)sqlite3_column_text(st, 0), 100);
        }
        rc = step == SQLITE_ROW ? PK_OK : pk_sql_done(store, step); /* a failed read is that error */
        sqlite3_finalize(st);
        if (rc == PK_OK)
            rc = pk_error(store->ctx, PK_ERR_ARGS, "task '%s': unknown classification '%s' (known: %s)",
                          id, cls, list);
    }
    return rc;
}

/* The plan period (pk_meta plan_period, "2026-2030", set by a task file
 * that declares it): 1 with *from and *to, 0 when the store has none. */
static int plan_period(struct pk_store *store, int *from, int *to)
{
    char *period = pk_meta_get(store, "plan_period");
    int ok = period && sscanf(period, "%d-%d", from, to) == 2;
    free(period);
    return ok;
}

int pk_task_starts_before_period(struct pk_store *store, char *vals[TASK_NCOLS], int *from, int *to)
{
    return vals[COL_START_YEAR] && plan_period(store, from, to) && atoi(vals[COL_START_YEAR]) < *from;
}

/* A warning for each year outside the plan period; with quiet_earlier, not
 * for the years before it of a task that starts before it (the caller
 * summarises those tasks in one line). */
static void warn_outside_period(struct pk_store *store, const char *id, char *vals[TASK_NCOLS], int quiet_earlier)
{
    int from, to;
    if (!plan_period(store, &from, &to))
        return;
    int earlier = quiet_earlier && vals[COL_START_YEAR] && atoi(vals[COL_START_YEAR]) < from;
    for (int c = COL_START_YEAR; c <= COL_END_YEAR; c++)
        if (vals[c] && (atoi(vals[c]) > to || (atoi(vals[c]) < from && !earlier)))
            pk_log(store->ctx, PK_LOG_WARN, "task '%s': %s %s is outside the plan period %d-%d", id,
                   pk_task_columns[c], vals[c], from, to);
}

/* Whether the upsert may go on, given whether the task exists (old: its
 * stored values) and the mode: a new task needs a title; a year given alone
 * is checked against the other, kept. */
static int check_upsert(struct pk_store *store, const char *id, char *vals[TASK_NCOLS], char *old[TASK_NCOLS],
                        int exists, int mode)
{
    if (exists && mode == TASK_MUST_BE_NEW)
        return pk_error(store->ctx, PK_ERR_EXISTS, "task '%s' already exists (use 'plankit task update')", id);
    if (!exists && mode == TASK_MUST_EXIST)
        return pk_error(store->ctx, PK_ERR_NOTFOUND, "no task '%s' ('plankit task list' shows the tasks)", id);
    if (!exists && !vals[COL_TITLE])
        return pk_error(store->ctx, PK_ERR_ARGS, "task '%s': a new task needs a title", id);
    if (exists) {
        const char *start = vals[COL_START_YEAR] ? vals[COL_START_YEAR] : old[COL_START_YEAR];
        const char *end = vals[COL_END_YEAR] ? vals[COL_END_YEAR] : old[COL_END_YEAR];
        if (start && end && atoi(start) > atoi(end))
            return pk_error(store->ctx, PK_ERR_ARGS, "task '%s': start year %s is after end year %s", id, start,
                            end);
    }
    return PK_OK;
}

/* The INSERT (a new task) or UPDATE statement for the given values: only
 * fixed column names in the text, one parameter per given value (the id
 * first for INSERT, last for UPDATE). Caller frees with sqlite3_free; NULL
 * when out of memory. */
static char *save_sql(char *vals[TASK_NCOLS], int exists)
{
    char *list = sqlite3_mprintf(exists ? "id=id" : "id"), *params = sqlite3_mprintf("?");
    for (int i = 0; list && params && i < TASK_NCOLS; i++) {
        if (!vals[i])
            continue;
        char *l2 = sqlite3_mprintf(exists ? "%s, %s=?" : "%s, %s", list, pk_task_columns[i]);
        char *p2 = sqlite3_mprintf("%s, ?", params);
        sqlite3_free(list);
        sqlite3_free(params);
        list = l2;
        params = p2;
    }
    char *sql = NULL;
    if (list && params)
        sql = exists ? sqlite3_mprintf("UPDATE pk_tasks SET %s WHERE id=?", list)
                     : sqlite3_mprintf("INSERT INTO pk_tasks(%s) VALUES(%s)", list, params);
    sqlite3_free(list);
    sqlite3_free(params);
    return sql;
}

/* Insert or update the task's row with the given values. */
static int save_task(struct pk_store *store, const char *id, char *vals[TASK_NCOLS], int exists)
{
    char *sql = save_sql(vals, exists);
    if (!sql)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, sql, &st);
    sqlite3_free(sql);
    if (rc != PK_OK)
        return rc;
    int p = 1;
    if (!exists)
        pk_sql_bind_text(st, p++, id);
    for (int i = 0; i < TASK_NCOLS; i++)
        if (vals[i])
            pk_sql_bind_text(st, p++, vals[i]);
    if (exists)
        pk_sql_bind_text(st, p++, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error(store->ctx, PK_ERR_DB, "task '%s': cannot save: %s", id, sqlite3_errmsg(store->db));
    sqlite3_finalize(st);
    return rc;
}

/* History rows for the save: "created" with the title for a new task, else
 * one row per field whose stored value changed (old -> now, as stored, so
 * a value given again unchanged leaves no row). */
static int record_changes(struct pk_store *store, const char *command, const char *id, int exists,
                          char *old[TASK_NCOLS], char *now[TASK_NCOLS], int *created, int *changed)
{
    if (!exists) {
        *created = *changed = 1;
        return pk_store_history(store, command, "task", id, "created", NULL, now[COL_TITLE]);
    }
    int rc = PK_OK;
    for (int i = 0; rc == PK_OK && i < TASK_NCOLS; i++) {
        const char *a = old[i] ? old[i] : "", *b = now[i] ? now[i] : "";
        if (strcmp(a, b) != 0) {
            *changed = 1;
            rc = pk_store_history(store, command, "task", id, pk_task_columns[i], old[i], now[i]);
        }
    }
    return rc;
}

/* (task_int.h) Validation, then the row, then the history, so a refused
 * task changes nothing; the caller's transaction makes it all or nothing. */
int pk_task_upsert(struct pk_store *store, const char *id, char *vals[TASK_NCOLS],
                   const char *command, int mode, int *created, int *changed)
{
    char *old[TASK_NCOLS], *now[TASK_NCOLS];
    int exists, rc;
    *created = *changed = 0;
    if ((rc = pk_task_validate(store->ctx, id, vals)) != PK_OK)
        return rc;
    if ((rc = check_classification(store, id, vals[COL_CLASSIFICATION])) != PK_OK)
        return rc;
    warn_outside_period(store, id, vals, mode & TASK_QUIET_EARLIER);
    mode &= ~TASK_QUIET_EARLIER;
    if ((rc = read_task(store, id, old, &exists)) != PK_OK)
        return rc;
    rc = check_upsert(store, id, vals, old, exists, mode);
    if (rc == PK_OK)
        rc = save_task(store, id, vals, exists);
    /* the history compares what is stored now (status canonical, numbers as
     * SQLite keeps them) with what was */
    int found;
    if (rc == PK_OK)
        rc = read_task(store, id, now, &found);
    else
        memset(now, 0, sizeof now);
    if (rc == PK_OK)
        rc = record_changes(store, command, id, exists, old, now, created, changed);
    pk_task_values_release(old);
    pk_task_values_release(now);
    return rc;
}

/* task add / task update: one upsert in its own transaction. */
static int write_one(struct pk_store *store, const struct pk_task_fields *f, int mode, const char *command)
{
    char *vals[TASK_NCOLS];
    int created, changed;
    if (!f->id)
        return pk_error(store->ctx, PK_ERR_ARGS, "no task id given");
    if (pk_task_values_from_fields(f, vals) != PK_OK)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    int rc = pk_store_begin(store);
    if (rc == PK_OK) {
        rc = pk_task_upsert(store, f->id, vals, command, mode, &created, &changed);
        if (rc == PK_OK)
            rc = pk_store_commit(store);
        else
            pk_store_rollback(store);
    }
    pk_task_values_release(vals);
    return rc;
}

int pk_task_add(struct pk_store *store, const struct pk_task_fields *f)
{
    return write_one(store, f, TASK_MUST_BE_NEW, "task add");
}

int pk_task_update(struct pk_store *store, const struct pk_task_fields *f)
{
    return write_one(store, f, TASK_MUST_EXIST, "task update");
}

/* (task_int.h) */
int pk_task_require(struct pk_store *store, const char *id)
{
    long long n = 0;
    int rc = pk_sql_int(store, "SELECT count(*) FROM pk_tasks WHERE id=?", id, &n, NULL);
    if (rc == PK_OK && !n)
        rc = pk_error(store->ctx, PK_ERR_NOTFOUND, "no task '%s' ('plankit task list' shows the tasks)", id);
    return rc;
}

/* Remove the task (its links and footprints go with it, by the schema's
 * foreign keys) and record "removed" in its history; one transaction. */
int pk_task_remove(struct pk_store *store, const char *id)
{
    int rc = pk_task_require(store, id);
    if (rc != PK_OK || (rc = pk_store_begin(store)) != PK_OK)
        return rc;
    sqlite3_stmt *st;
    rc = pk_sql_prepare(store, "DELETE FROM pk_tasks WHERE id=?", &st);
    if (rc == PK_OK) {
        pk_sql_bind_text(st, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = pk_error_db(store, "cannot remove task");
        sqlite3_finalize(st);
    }
    if (rc == PK_OK)
        rc = pk_store_history(store, "task remove", "task", id, "removed", NULL, NULL);
    if (rc == PK_OK)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    return rc;
}

/* The features task id links to, in layer and fid order: layer, fid, name
 * (null when the feature has none), role. *out: caller frees. */
static int links_table(struct pk_store *store, const char *id, struct pk_table **out)
{
    static const char *const cols[] = {"layer", "fid", "name", "role"};
    static const enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT, PK_COL_TEXT};
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "SELECT l.name, k.layer_id, k.fid, k.role FROM pk_task_links k"
                                   " JOIN pk_layers l ON l.id=k.layer_id WHERE k.task_id=? ORDER BY l.id, k.fid",
                            &st);
    if (rc != PK_OK)
        return rc;
    struct pk_table *t = pk_table_new(4, cols, types);
    pk_sql_bind_text(st, 1, id);
    int step = SQLITE_DONE;
    while (t && !t->failed && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct pk_layer_ref ref;
        const char *lname = (const char *)sqlite3_column_text(st, 0);
        long long fid = sqlite3_column_int64(st, 2);
        char *label = NULL;
        if (pk_layer_find(store, lname, &ref) == PK_OK)
            pk_layer_feature_label(store, &ref, fid, &label); /* a name to show when there is one */
        pk_error_clear(store->ctx);
        long r = pk_table_add_row(t); /* (-1: t->failed, and the sets below are refused) */
        pk_table_set(t, (size_t)r, 0, lname);
        pk_table_set_int(t, (size_t)r, 1, fid);
        pk_table_set(t, (size_t)r, 2, label);
        pk_table_set(t, (size_t)r, 3, (const char *)sqlite3_column_text(st, 3));
        free(label);
    }
    if (!t || t->failed)
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    else if (step != SQLITE_DONE)
        rc = pk_error_db(store, "task show");
    sqlite3_finalize(st);
    if (rc != PK_OK)
        pk_table_free(t);
    else
        *out = t;
    return rc;
}

/* The footprints of task id, in id order: id, type, label, role. */
static int footprints_table(struct pk_store *store, const char *id, struct pk_table **out)
{
    const char *params[] = {id, NULL};
    static const enum pk_col_type types[] = {PK_COL_INT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT};
    return pk_sql_table(store,
                        "SELECT id, GeometryType(geom) AS type, coalesce(label, '') AS label, role"
                        " FROM pk_task_footprints WHERE task_id=? ORDER BY id",
                        params, types, "task show", out);
}

/* The property/value rows of task id: the id, then its fields. *exists
 * is 0 (and *out NULL) when there is no such task. */
static int fields_table(struct pk_store *store, const char *id, struct pk_table **out)
{
    char *vals[TASK_NCOLS];
    int exists;
    int rc = read_task(store, id, vals, &exists);
    if (rc != PK_OK)
        return rc;
    if (!exists)
        return pk_error(store->ctx, PK_ERR_NOTFOUND, "no task '%s' ('plankit task list' shows the tasks)", id);
    static const char *cols[] = {"property", "value"};
    struct pk_table *t = pk_table_new(2, cols, NULL);
    long r = t ? pk_table_add_row(t) : -1; /* (-1: t->failed, and the sets are refused) */
    if (t) {
        pk_table_set(t, (size_t)r, 0, "id");
        pk_table_set(t, (size_t)r, 1, id);
    }
    for (int i = 0; t && i < TASK_NCOLS; i++) {
        r = pk_table_add_row(t);
        pk_table_set(t, (size_t)r, 0, pk_task_columns[i]);
        pk_table_set(t, (size_t)r, 1, vals[i]);
    }
    pk_task_values_release(vals);
    if (!t || t->failed) {
        pk_table_free(t);
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    *out = t;
    return PK_OK;
}

int pk_task_show(struct pk_store *store, const char *id, struct pk_table **fields, struct pk_table **links,
                 struct pk_table **footprints)
{
    *fields = NULL;
    if (links)
        *links = NULL;
    if (footprints)
        *footprints = NULL;
    int rc = fields_table(store, id, fields);
    if (rc == PK_OK && links)
        rc = links_table(store, id, links);
    if (rc == PK_OK && footprints)
        rc = footprints_table(store, id, footprints);
    if (rc != PK_OK) {
        pk_table_free(*fields);
        *fields = NULL;
        if (links) {
            pk_table_free(*links);
            *links = NULL;
        }
    }
    return rc;
}

/* The task's history rows, oldest first; also for a removed task. */
int pk_task_history(struct pk_store *store, const char *id, struct pk_table **out)
{
    int rc = pk_task_require(store, id);
    if (rc == PK_ERR_NOTFOUND) {
        /* a removed task still has a history */
        long long n = 0;
        rc = pk_sql_int(store, "SELECT count(*) FROM pk_history WHERE object_type='task' AND object_id=?", id, &n,
                        NULL);
        if (rc == PK_OK && n == 0)
            rc = pk_error(store->ctx, PK_ERR_NOTFOUND, "no task '%s' and no history for it", id);
    }
    if (rc != PK_OK)
        return rc;
    const char *params[] = {id, NULL};
    static const enum pk_col_type text[] = {PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT,
                                            PK_COL_TEXT};
    return pk_sql_table(store,
                        "SELECT at, user, command, field, old_value AS old, new_value AS new FROM pk_history"
                        " WHERE object_type='task' AND object_id=? ORDER BY id",
                        params, text, "task history", out);
}

/* Append " AND cond" to *where (cond: plankit's own text, with ?N
 * parameters and numbers only). *where becomes NULL when out of memory, and
 * stays NULL. */
static void and_where(char **where, const char *cond)
{
    char *w = *where ? sqlite3_mprintf("%s AND %s", *where, cond) : NULL;
    sqlite3_free(*where);
    *where = w;
}

/* The WHERE condition of pk_task_list for filter f, its text values bound
 * as params[0..*np) (year: a buffer for the year's text). Caller frees
 * *where with sqlite3_free. */
static int list_condition(struct pk_store *store, const struct pk_task_filter *f, const char *params[6], int *np,
                          char year[16], char **where)
{
    char cond[256];
    *where = sqlite3_mprintf("1");
    *np = 0;
    const char *by_text[3][2] = {{"classification", f ? f->classification : NULL},
                                 {"status", f ? f->status : NULL}, {"lead", f ? f->lead : NULL}};
    for (int i = 0; i < 3; i++)
        if (by_text[i][1]) {
            snprintf(cond, sizeof cond, "t.%s=?%d", by_text[i][0], *np + 1);
            and_where(where, cond);
            params[(*np)++] = by_text[i][1];
        }
    if (f && f->year) { /* tasks running that year; an open start or end runs forever */
        snprintf(year, 16, "%d", f->year);
        snprintf(cond, sizeof cond, "coalesce(t.start_year, 0) <= CAST(?%d AS INTEGER)"
                 " AND coalesce(t.end_year, 9999) >= CAST(?%d AS INTEGER)", *np + 1, *np + 1);
        and_where(where, cond);
        params[(*np)++] = year;
    }
    if (f && f->layer) {
        struct pk_layer_ref ref;
        long long fid;
        int rc;
        if (!f->feature)
            return pk_error(store->ctx, PK_ERR_ARGS, "task list: --layer needs --feature");
        if ((rc = pk_layer_find(store, f->layer, &ref)) != PK_OK ||
            (rc = pk_feature_resolve(store, &ref, f->feature, &fid)) != PK_OK)
            return rc;
        snprintf(cond, sizeof cond, "t.id IN (SELECT task_id FROM pk_task_links WHERE layer_id=%lld AND fid=%lld)",
                 ref.id, fid);
        and_where(where, cond);
    }
    return *where ? PK_OK : pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
}

/* One row per task (filtered by f, which may be NULL) in the order they
 * were added, with its number of links and footprints. */
int pk_task_list(struct pk_store *store, const struct pk_task_filter *f, struct pk_table **out)
{
    static const enum pk_col_type types[] = {PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT, PK_COL_TEXT,
                                             PK_COL_REAL, PK_COL_INT, PK_COL_INT, PK_COL_TEXT, PK_COL_INT};
    const char *params[6] = {0};
    int np = 0;
    char year[16] = "", *where = NULL;
    int rc = list_condition(store, f, params, &np, year, &where);
    char *sql = rc != PK_OK ? NULL : sqlite3_mprintf(
        "SELECT t.id, t.title, coalesce(t.classification,'') AS pillar, t.status, t.progress,"
        " t.start_year AS start, t.end_year AS end, coalesce(t.lead,'') AS lead,"
        " (SELECT count(*) FROM pk_task_links k WHERE k.task_id=t.id)"
        "  + (SELECT count(*) FROM pk_task_footprints p WHERE p.task_id=t.id) AS links"
        " FROM pk_tasks t WHERE %s ORDER BY t.rowid", where);
    sqlite3_free(where);
    if (rc == PK_OK && !sql)
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    if (rc == PK_OK)
        rc = pk_sql_table(store, sql, params, types, "task list", out);
    sqlite3_free(sql);
    return rc;
}
