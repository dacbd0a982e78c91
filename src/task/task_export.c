/* task_export.c — `plankit task export`: every task with its classifications,
 * links and footprints in the format `task import` reads (JSON as in
 * layers/TASKS.md, or CSV), so a planner can edit the tasks elsewhere (Excel)
 * and import them back. Links name features by the layer's key value (the
 * fid when the layer has no key), so they survive a reload of the layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "layer_int.h"
#include "task_int.h"

/* Columns of the CSV, in order; the task columns use pk_task_columns names
 * except classification, written as pillar (both are read). */
static const char *const csv_header[] = {
    "id", "title", "title_en", "description", "pillar", "section", "source", "lead", "partners",
    "start_year", "end_year", "status", "progress", "indicators", "tags", "citywide", "links", NULL,
};

/* Growing text buffer. */
struct text {
    char *s;
    size_t len, cap;
    int oom;
};

/* Append n bytes of s (kept NUL-terminated); on failure t->oom is set and
 * later puts do nothing, so callers check once at the end. */
static void put(struct text *t, const char *s, size_t n)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            t->oom = 1;
            return;
        }
        t->s = grown, t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* One CSV field, quoted when it holds a comma, quote, line break or edge space. */
static void put_csv(struct text *t, const char *v, int first)
{
    if (!first)
        put(t, ",", 1);
    if (!v)
        return;
    size_t n = strlen(v);
    int quote = strpbrk(v, ",\"\r\n") || (n && (v[0] == ' ' || v[n - 1] == ' '));
    if (!quote) {
        put(t, v, n);
        return;
    }
    put(t, "\"", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            put(t, "\"\"", 2);
        else
            put(t, p, 1);
    }
    put(t, "\"", 1);
}

/* A JSON array of strings as "a;b;c"; an error when an item holds ';'. */
static int join_list(struct pk_ctx *ctx, const char *id, const char *what, const char *json, struct text *out)
{
    json_object *arr = json ? json_tokener_parse(json) : NULL;
    int rc = PK_OK;
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        const char *item = json_object_get_string(json_object_array_get_idx(arr, i));
        if (item && strchr(item, ';')) {
            rc = pk_error(ctx, PK_ERR_DATA, "task export: task '%s': %s '%s' holds ';', which separates items "
                          "in CSV: use --format json", id, what, item);
            break;
        }
        if (i)
            put(out, ";", 1);
        put(out, item ? item : "", strlen(item ? item : ""));
    }
    json_object_put(arr);
    return rc;
}

/* Indicators as "name=target unit;..." (what the CSV import reads). */
static int join_indicators(struct pk_ctx *ctx, const char *id, const char *json, struct text *out)
{
    json_object *arr = json ? json_tokener_parse(json) : NULL, *v;
    int rc = PK_OK;
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        const char *name = json_object_object_get_ex(o, "name", &v) ? json_object_get_string(v) : "";
        const char *unit = json_object_object_get_ex(o, "unit", &v) ? json_object_get_string(v) : "";
        double target = json_object_object_get_ex(o, "target", &v) ? json_object_get_double(v) : 0;
        if (strpbrk(name, ";=") || strchr(unit, ';')) {
            rc = pk_error(ctx, PK_ERR_DATA, "task export: task '%s': indicator '%s' holds ';' or '=', which CSV "
                          "uses as separators: use --format json", id, name);
            break;
        }
        char buf[64];
        snprintf(buf, sizeof buf, "=%.15g%s", target, *unit ? " " : "");
        if (i)
            put(out, ";", 1);
        put(out, name, strlen(name));
        put(out, buf, strlen(buf));
        put(out, unit, strlen(unit));
    }
    json_object_put(arr);
    return rc;
}

static const char *link_select =
    "SELECT l.name, coalesce(k.feature_key, CAST(k.fid AS TEXT)), k.role FROM pk_task_links k"
    " JOIN pk_layers l ON l.id=k.layer_id WHERE k.task_id=? ORDER BY l.name, 2, k.role";

static const char *task_select =
    "SELECT id, title, title_en, description, classification, section, source, lead, partners,"
    " start_year, end_year, status, progress, indicators, tags, citywide FROM pk_tasks ORDER BY rowid";

/* One CSV row: the task columns of `st` (task_select) and its links. */
static int csv_task(struct pk_store *store, sqlite3_stmt *st, sqlite3_stmt *links, struct text *out)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    int rc = PK_OK;
    for (int c = 0; rc == PK_OK && c < 16; c++) {
        const char *v = (const char *)sqlite3_column_text(st, c);
        struct text part = {0};
        if (c == 8 || c == 14)
            rc = join_list(store->ctx, id, c == 8 ? "partner" : "tag", v, &part);
        else if (c == 13)
            rc = join_indicators(store->ctx, id, v, &part);
        else if (c == 15)
            put(&part, v && atoi(v) ? "true" : "false", v && atoi(v) ? 4 : 5);
        else if (c == 12 && v) {
            char num[32];
            snprintf(num, sizeof num, "%.10g", sqlite3_column_double(st, c));
            put(&part, num, strlen(num));
        } else if (v)
            put(&part, v, strlen(v));
        if (part.oom)
            out->oom = 1;
        put_csv(out, part.s ? part.s : "", c == 0);
        free(part.s);
    }
    struct text list = {0};
    int step = SQLITE_DONE;
    pk_sql_bind_text(links, 1, id);
    for (int i = 0; rc == PK_OK && (step = sqlite3_step(links)) == SQLITE_ROW; i++) {
        const char *parts[3];
        for (int k = 0; k < 3; k++)
            parts[k] = (const char *)sqlite3_column_text(links, k);
        if (strchr(parts[1], ';') || strchr(parts[2], ':') || strchr(parts[2], ';'))
            rc = pk_error(store->ctx, PK_ERR_DATA, "task export: task '%s': the link to %s:%s (%s) holds ';' or "
                          "':', which CSV uses as separators: use --format json", id, parts[0], parts[1], parts[2]);
        for (int k = 0; k < 3; k++) {
            if (k || i)
                put(&list, k ? ":" : ";", 1);
            put(&list, parts[k], strlen(parts[k]));
        }
    }
    sqlite3_reset(links);
    if (rc == PK_OK && step != SQLITE_DONE)
        rc = pk_error_db(store, "task export: cannot read the links");
    if (list.oom)
        out->oom = 1;
    put_csv(out, list.s ? list.s : "", 0);
    free(list.s);
    put(out, "\n", 1);
    return rc;
}

/* The task columns of `st` (task_select) as members of o, each as the
 * JSON type the import reads (lists and indicators parsed back from their
 * stored JSON). 0 when out of memory. */
static int json_task_fields(sqlite3_stmt *st, json_object *o)
{
    static const char *keys[] = {"id", "title", "title_en", "description", "pillar", "section", "source", "lead",
                                 "partners", "start_year", "end_year", "status", "progress", "indicators", "tags",
                                 "citywide"};
    for (int c = 0; c < 16; c++) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL)
            continue;
        const char *v = (const char *)sqlite3_column_text(st, c);
        json_object *j = c == 8 || c == 13 || c == 14 ? json_tokener_parse(v)
                         : c == 9 || c == 10 ? json_object_new_int64(sqlite3_column_int64(st, c))
                         : c == 12 ? json_object_new_double(sqlite3_column_double(st, c))
                         : c == 15 ? json_object_new_boolean(sqlite3_column_int(st, c))
                         : json_object_new_string(v);
        if (!j || json_object_object_add(o, keys[c], j) != 0) {
            json_object_put(j);
            return 0;
        }
    }
    return 1;
}

/* Add a string member (a copy of v, which may be NULL: "") to o; 0 when
 * out of memory. */
static int add_string(json_object *o, const char *key, const char *v)
{
    json_object *j = json_object_new_string(v ? v : "");
    if (!j || json_object_object_add(o, key, j) != 0) {
        json_object_put(j);
        return 0;
    }
    return 1;
}

/* The "links" array of task id (rows of `links`, link_select) into o. */
static int json_task_links(struct pk_store *store, const char *id, sqlite3_stmt *links, json_object *o)
{
    json_object *arr = json_object_new_array();
    int ok = arr && json_object_object_add(o, "links", arr) == 0, step = SQLITE_DONE;
    if (!ok)
        json_object_put(arr);
    pk_sql_bind_text(links, 1, id);
    while (ok && (step = sqlite3_step(links)) == SQLITE_ROW) {
        json_object *l = json_object_new_object();
        ok = l && json_object_array_add(arr, l) == 0;
        if (!ok)
            json_object_put(l);
        ok = ok && add_string(l, "layer", (const char *)sqlite3_column_text(links, 0)) &&
             add_string(l, "feature", (const char *)sqlite3_column_text(links, 1)) &&
             add_string(l, "role", (const char *)sqlite3_column_text(links, 2));
    }
    sqlite3_reset(links);
    if (!ok)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    return step == SQLITE_DONE ? PK_OK : pk_error_db(store, "task export: cannot read the links");
}

/* The "footprints" array of task id (rows of `fps`: GeoJSON in the store
 * CRS, label, role) into o, when the task has any; each names the store CRS
 * (srid), as the import reads it. */
static int json_task_footprints(struct pk_store *store, const char *id, sqlite3_stmt *fps, int srid, json_object *o)
{
    char crs[32];
    snprintf(crs, sizeof crs, "EPSG:%d", srid);
    json_object *arr = json_object_new_array();
    int ok = arr != NULL, step = SQLITE_DONE;
    pk_sql_bind_text(fps, 1, id);
    while (ok && (step = sqlite3_step(fps)) == SQLITE_ROW) {
        /* (a footprint without geometry is written with "geometry": null) */
        const char *text = (const char *)sqlite3_column_text(fps, 0);
        json_object *f = json_object_new_object(), *geom = text ? json_tokener_parse(text) : NULL;
        ok = f && (geom || !text) && json_object_array_add(arr, f) == 0;
        if (!ok) {
            json_object_put(f);
            json_object_put(geom);
            break;
        }
        ok = json_object_object_add(f, "geometry", geom) == 0;
        if (!ok)
            json_object_put(geom);
        if (ok && sqlite3_column_type(fps, 1) != SQLITE_NULL)
            ok = add_string(f, "label", (const char *)sqlite3_column_text(fps, 1));
        ok = ok && add_string(f, "role", (const char *)sqlite3_column_text(fps, 2)) && add_string(f, "crs", crs);
    }
    sqlite3_reset(fps);
    if (ok && step == SQLITE_DONE && json_object_array_length(arr) > 0) {
        ok = json_object_object_add(o, "footprints", arr) == 0;
        arr = ok ? NULL : arr;
    }
    json_object_put(arr);
    if (!ok)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    return step == SQLITE_DONE ? PK_OK : pk_error_db(store, "task export: cannot read the footprints");
}

/* One task of `st` (task_select) as a JSON object appended to tasks: its
 * fields, links and footprints. */
static int json_task(struct pk_store *store, sqlite3_stmt *st, sqlite3_stmt *links, sqlite3_stmt *fps,
                     json_object *tasks)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    json_object *o = json_object_new_object();
    if (!o || json_object_array_add(tasks, o) != 0) {
        json_object_put(o);
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (!json_task_fields(st, o))
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    int rc = json_task_links(store, id, links, o);
    if (rc == PK_OK)
        rc = json_task_footprints(store, id, fps, pk_store_srid(store), o);
    return rc;
}

/* The store's classifications (name, name_en, code) as the array "classifications" of root. */
static int json_classifications(struct pk_store *store, json_object *root)
{
    static const char *keys[] = {"name", "name_en", "code"};
    sqlite3_stmt *st;
    json_object *arr = json_object_new_array();
    if (!arr || json_object_object_add(root, "classifications", arr) != 0) {
        json_object_put(arr);
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    int rc = pk_sql_prepare(store, "SELECT name, name_en, code FROM pk_classifications ORDER BY rowid", &st);
    if (rc != PK_OK)
        return rc;
    int step, ok = 1;
    while (ok && (step = sqlite3_step(st)) == SQLITE_ROW) {
        json_object *c = json_object_new_object();
        ok = c && json_object_array_add(arr, c) == 0;
        if (!ok)
            json_object_put(c);
        for (int k = 0; ok && k < 3; k++)
            if (sqlite3_column_type(st, k) != SQLITE_NULL)
                ok = add_string(c, keys[k], (const char *)sqlite3_column_text(st, k));
    }
    sqlite3_finalize(st);
    if (!ok)
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    return step == SQLITE_DONE ? PK_OK : pk_error_db(store, "task export: cannot read the classifications");
}

/* The start of the JSON export: {"classifications": [...], "tasks": []};
 * *tasks borrowed from *root, which the caller frees with json_object_put. */
static int json_start(struct pk_store *store, json_object **root, json_object **tasks)
{
    *root = json_object_new_object();
    *tasks = json_object_new_array();
    if (!*root || !*tasks) {
        json_object_put(*tasks);
        return pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    int rc = json_classifications(store, *root);
    if (rc == PK_OK && json_object_object_add(*root, "tasks", *tasks) != 0) {
        json_object_put(*tasks);
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    }
    return rc;
}

int pk_task_export(struct pk_store *store, const char *format, char **out)
{
    struct pk_ctx *ctx = store->ctx;
    int csv = !strcmp(format, "csv");
    sqlite3_stmt *st = NULL, *links = NULL, *fps = NULL;
    *out = NULL;
    if (!csv && strcmp(format, "json"))
        return pk_error(ctx, PK_ERR_ARGS, "task export: format '%s': use csv or json", format);
    long long with_fp = 0;
    int rc = pk_sql_int(store, "SELECT count(DISTINCT task_id) FROM pk_task_footprints", NULL, &with_fp, NULL);
    if (rc == PK_OK && csv && with_fp > 0)
        return pk_error(ctx, PK_ERR_DATA, "task export: %lld task(s) have footprints, which CSV cannot hold: use "
                        "--format json", with_fp);
    if (rc == PK_OK)
        rc = pk_sql_prepare(store, task_select, &st);
    if (rc == PK_OK)
        rc = pk_sql_prepare(store, link_select, &links);
    if (rc == PK_OK)
        rc = pk_sql_prepare(store, "SELECT AsGeoJSON(geom, 15), label, role FROM pk_task_footprints"
                                   " WHERE task_id=? ORDER BY id", &fps);
    struct text text = {0};
    json_object *root = NULL, *tasks = NULL;
    if (rc == PK_OK && csv) {
        for (int i = 0; csv_header[i]; i++)
            put_csv(&text, csv_header[i], i == 0);
        put(&text, "\n", 1);
    } else if (rc == PK_OK) {
        rc = json_start(store, &root, &tasks);
    }
    int step = SQLITE_DONE;
    while (rc == PK_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = csv ? csv_task(store, st, links, &text) : json_task(store, st, links, fps, tasks);
    if (rc == PK_OK && step != SQLITE_DONE) /* a short export is never an answer */
        rc = pk_error_db(store, "task export: cannot read the tasks");
    if (rc == PK_OK && root) {
        const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
            rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
        else
            put(&text, s, strlen(s));
        put(&text, "\n", 1);
    }
    json_object_put(root);
    sqlite3_finalize(st);
    sqlite3_finalize(links);
    sqlite3_finalize(fps);
    if (rc == PK_OK && text.oom)
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (rc != PK_OK) {
        free(text.s);
        return rc;
    }
    *out = text.s ? text.s : strdup("");
    return *out ? PK_OK : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
}
