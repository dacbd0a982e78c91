/* task_import.c — `plankit task import`: tasks from JSON (plankit's task
 * format, see layers/TASKS.md) or CSV (read with GDAL's CSV tokenizer), upserted
 * by id in one transaction. Any bad row stops the import with its line (CSV)
 * or position (JSON) and nothing is written. The file (or standard input) is
 * read whole, recoded from --encoding, and must then be valid UTF-8. */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_csv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <json-c/json.h>

#include "crs_int.h"
#include "layer_int.h"
#include "task_int.h"

/* One task read from a file, before it is written. */
struct row {
    char where[64];       /* "line 12" or "task 7" */
    char *id;
    char *vals[TASK_NCOLS];
    char **links;         /* "layer", "feature", "role" triples, NULL-terminated CSL */
    int has_links;
    char **footprints;    /* GeoJSON geometry, label, role, crs quadruples (JSON only) */
    int has_footprints;
};

/* Free what r holds (r itself is the caller's). */
static void row_release(struct row *r)
{
    free(r->id);
    pk_task_values_release(r->vals);
    CSLDestroy(r->links);
    CSLDestroy(r->footprints);
}

/* Compact JSON text of v. Caller frees; NULL when out of memory. */
static char *json_text(json_object *v)
{
    const char *s = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                      : NULL; /* (json-c writes a NULL object as "null") */
    return s ? strdup(s) : NULL;
}

/* Add item to array arr (taking it); 0, or -1 when item is NULL or the
 * array cannot grow (out of memory; item freed). */
static int array_add(json_object *arr, json_object *item)
{
    if (item && json_object_array_add(arr, item) == 0)
        return 0;
    json_object_put(item);
    return -1;
}

/* Add member key = value to object o (taking value); 0, or -1 as array_add. */
static int object_add(json_object *o, const char *key, json_object *value)
{
    if (value && json_object_object_add(o, key, value) == 0)
        return 0;
    json_object_put(value);
    return -1;
}

/* A JSON value of a task field as the text stored: strings as they are,
 * booleans 1/0, numbers in full, arrays as compact JSON. Caller frees;
 * NULL when out of memory. */
static char *json_value_text(json_object *v)
{
    char *s = NULL;
    switch (json_object_get_type(v)) {
    case json_type_string: return strdup(json_object_get_string(v));
    case json_type_boolean: return strdup(json_object_get_boolean(v) ? "1" : "0");
    case json_type_int: return asprintf(&s, "%lld", (long long)json_object_get_int64(v)) < 0 ? NULL : s;
    case json_type_double: return asprintf(&s, "%.10g", json_object_get_double(v)) < 0 ? NULL : s;
    default: return json_text(v);
    }
}

/* The task fields of JSON task o into r->vals, each of the type its key
 * needs (a whole number will do for a number; null is "not given"). */
static int json_fields(struct pk_ctx *ctx, const char *path, json_object *o, struct row *r)
{
    static const struct { const char *key; int col; json_type type; } keys[] = {
        {"title", COL_TITLE, json_type_string}, {"title_en", COL_TITLE_EN, json_type_string},
        {"description", COL_DESCRIPTION, json_type_string}, {"pillar", COL_CLASSIFICATION, json_type_string},
        {"classification", COL_CLASSIFICATION, json_type_string}, {"section", COL_SECTION, json_type_string},
        {"source", COL_SOURCE, json_type_string}, {"lead", COL_LEAD, json_type_string},
        {"partners", COL_PARTNERS, json_type_array}, {"start_year", COL_START_YEAR, json_type_int},
        {"end_year", COL_END_YEAR, json_type_int}, {"status", COL_STATUS, json_type_string},
        {"progress", COL_PROGRESS, json_type_double}, {"indicators", COL_INDICATORS, json_type_array},
        {"tags", COL_TAGS, json_type_array}, {"citywide", COL_CITYWIDE, json_type_boolean},
    };
    json_object *v;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!json_object_object_get_ex(o, keys[i].key, &v) || json_object_is_type(v, json_type_null))
            continue;
        json_type t = json_object_get_type(v);
        if (!(t == keys[i].type || (keys[i].type == json_type_double && t == json_type_int)))
            return pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: \"%s\" must be a %s", path, r->where,
                            keys[i].key, json_type_to_name(keys[i].type));
        free(r->vals[keys[i].col]); /* ("pillar" and "classification" share a column: the last wins) */
        if (!(r->vals[keys[i].col] = json_value_text(v)))
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    return PK_OK;
}

/* The "links" array of JSON task o into r->links (layer, feature, role;
 * role "located-in" when not given). */
static int json_links(struct pk_ctx *ctx, const char *path, json_object *o, struct row *r)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "links", &v))
        return PK_OK;
    if (!json_object_is_type(v, json_type_array))
        return pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: \"links\" must be an array", path, r->where);
    r->has_links = 1;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *l = json_object_array_get_idx(v, i), *layer, *feature, *role;
        if (!json_object_object_get_ex(l, "layer", &layer) || !json_object_object_get_ex(l, "feature", &feature))
            return pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: link %zu needs \"layer\" and \"feature\"",
                            path, r->where, i + 1);
        r->links = CSLAddString(r->links, json_object_get_string(layer));
        r->links = CSLAddString(r->links, json_object_get_string(feature));
        r->links = CSLAddString(r->links, json_object_object_get_ex(l, "role", &role)
                                              ? json_object_get_string(role) : "located-in");
    }
    return PK_OK;
}

/* The "footprints" array of JSON task o into r->footprints (GeoJSON
 * geometry text, label, role, crs; defaults "", "site", EPSG:4326). */
static int json_footprints(struct pk_ctx *ctx, const char *path, json_object *o, struct row *r)
{
    static const char *fp_keys[] = {"label", "role", "crs"};
    static const char *defaults[] = {"", "site", "EPSG:4326"};
    json_object *v;
    if (!json_object_object_get_ex(o, "footprints", &v))
        return PK_OK;
    if (!json_object_is_type(v, json_type_array))
        return pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: \"footprints\" must be an array", path, r->where);
    r->has_footprints = 1;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *fp = json_object_array_get_idx(v, i), *geom, *x;
        if (!json_object_object_get_ex(fp, "geometry", &geom) || !json_object_is_type(geom, json_type_object))
            return pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: footprint %zu needs a GeoJSON \"geometry\"",
                            path, r->where, i + 1);
        r->footprints = CSLAddString(r->footprints, json_object_to_json_string_ext(geom, JSON_C_TO_STRING_PLAIN));
        for (int k = 0; k < 3; k++)
            r->footprints = CSLAddString(r->footprints, json_object_object_get_ex(fp, fp_keys[k], &x) &&
                                                            json_object_is_type(x, json_type_string)
                                                        ? json_object_get_string(x) : defaults[k]);
    }
    return PK_OK;
}

/* Fill a row from one JSON task object: its id (named in r->where from
 * here on), fields, links and footprints. (CSL lists allocate with
 * CPLMalloc, which aborts when memory runs out rather than return NULL.) */
static int json_row(struct pk_ctx *ctx, const char *path, json_object *o, struct row *r)
{
    json_object *v;
    if (!json_object_is_type(o, json_type_object))
        return pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: not a JSON object", path, r->where);
    if (!json_object_object_get_ex(o, "id", &v) || !json_object_is_type(v, json_type_string))
        return pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: no \"id\" string", path, r->where);
    if (!(r->id = strdup(json_object_get_string(v))))
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    snprintf(r->where + strlen(r->where), sizeof r->where - strlen(r->where), " (%.30s)", r->id);
    int rc = json_fields(ctx, path, o, r);
    if (rc == PK_OK)
        rc = json_links(ctx, path, o, r);
    if (rc == PK_OK)
        rc = json_footprints(ctx, path, o, r);
    return rc;
}

/* Rows from JSON text: an array of tasks, or an object with "tasks" and
 * optionally "plan_period" (recorded in pk_meta) and "classifications"
 * (upserted by name) — those two are written here, inside the import's
 * transaction. *rows (caller releases each of the *n and frees) holds the
 * rows read so far even on error. */
static int read_json(struct pk_store *store, const char *path, const char *text, struct row **rows, size_t *n)
{
    struct pk_ctx *ctx = store->ctx;
    enum json_tokener_error jerr = json_tokener_success;
    json_object *root = json_tokener_parse_verbose(text, &jerr), *tasks = NULL, *cls;
    int rc = PK_OK;
    if (!root)
        return pk_error(ctx, PK_ERR_DATA, "task import '%s': invalid JSON: %s", path,
                        jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "cannot parse");
    if (json_object_is_type(root, json_type_array))
        tasks = root;
    else if (!json_object_object_get_ex(root, "tasks", &tasks) || !json_object_is_type(tasks, json_type_array))
        rc = pk_error(ctx, PK_ERR_DATA, "task import '%s': no \"tasks\" array", path);
    json_object *period;
    if (rc == PK_OK && tasks != root && json_object_object_get_ex(root, "plan_period", &period) &&
        json_object_is_type(period, json_type_array) && json_object_array_length(period) == 2) {
        long long from = json_object_get_int64(json_object_array_get_idx(period, 0));
        long long to = json_object_get_int64(json_object_array_get_idx(period, 1));
        char span[48];
        snprintf(span, sizeof span, "%lld-%lld", from, to);
        if (from < 1900 || to > 2200 || from > to)
            rc = pk_error(ctx, PK_ERR_DATA, "task import '%s': \"plan_period\" %s is not two years, first to last",
                          path, span);
        else
            rc = pk_meta_set(store, "plan_period", span);
    }
    if (rc == PK_OK && tasks != root && json_object_object_get_ex(root, "classifications", &cls) &&
        json_object_is_type(cls, json_type_array)) {
        sqlite3_stmt *st;
        rc = pk_sql_prepare(store, "INSERT INTO pk_classifications(name, name_en, code) VALUES(?,?,?)"
                                   " ON CONFLICT(name) DO UPDATE SET name_en=excluded.name_en, code=excluded.code", &st);
        for (size_t i = 0; rc == PK_OK && i < json_object_array_length(cls); i++) {
            json_object *c = json_object_array_get_idx(cls, i), *v;
            static const char *keys[] = {"name", "name_en", "code"};
            for (int k = 0; k < 3; k++)
                pk_sql_bind_text(st, k + 1, json_object_object_get_ex(c, keys[k], &v) &&
                                 json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = pk_error(ctx, PK_ERR_DATA, "task import '%s': classification %zu: %s", path, i + 1,
                              sqlite3_errmsg(store->db));
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
    }
    size_t count = rc == PK_OK ? json_object_array_length(tasks) : 0;
    *rows = calloc(count ? count : 1, sizeof **rows);
    if (rc == PK_OK && !*rows)
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == PK_OK && i < count; i++) {
        snprintf((*rows)[i].where, sizeof (*rows)[i].where, "task %zu", i + 1);
        *n = i + 1;
        rc = json_row(ctx, path, json_object_array_get_idx(tasks, i), &(*rows)[i]);
    }
    json_object_put(root);
    return rc;
}

/* The links cell of a CSV row, "layer:feature[:role];...", into r->links
 * (role "located-in" when not given; a feature may hold ':' when a role
 * follows). */
static int csv_links(struct pk_ctx *ctx, const char *path, const char *v, struct row *r)
{
    char **items = CSLTokenizeString2(v, ";", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES);
    r->has_links = 1;
    for (int k = 0; items && items[k]; k++) {
        char *first = strchr(items[k], ':'), *last = strrchr(items[k], ':');
        if (!first || first == items[k] || !first[1]) {
            int rc = pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: link '%s' is not layer:feature[:role]", path,
                              r->where, items[k]);
            CSLDestroy(items);
            return rc;
        }
        *first = '\0';
        const char *role = "located-in";
        if (last != first) {
            *last = '\0';
            role = last + 1;
        }
        r->links = CSLAddString(r->links, items[k]);
        r->links = CSLAddString(r->links, first + 1);
        r->links = CSLAddString(r->links, role);
    }
    CSLDestroy(items);
    return PK_OK;
}

/* The text stored for CSV cell v of task column col: lists (';'
 * separated) as JSON arrays, indicators "name=target unit;..." as JSON,
 * citywide as 1/0, anything else as it is. */
static int csv_value(struct pk_ctx *ctx, const char *path, int col, const char *v, struct row *r)
{
    if (col == COL_PARTNERS || col == COL_TAGS) {
        char *list = strdup(v);
        for (char *p = list; p && *p; p++)
            if (*p == ';')
                *p = ',';
        r->vals[col] = list ? pk_task_list_json(list) : NULL;
        free(list);
        if (!r->vals[col])
            return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    } else if (col == COL_INDICATORS) {
        if (!(r->vals[col] = pk_task_indicators_json(ctx, v))) {
            if (pk_errcode(ctx) == PK_ERR_NOMEM)
                return PK_ERR_NOMEM;
            pk_error_prefix(ctx, "task import '%s' %s", path, r->where);
            return PK_ERR_DATA;
        }
    } else if (col == COL_CITYWIDE) {
        int yes = !strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes");
        if (!yes && strcasecmp(v, "0") && strcasecmp(v, "false") && strcasecmp(v, "no"))
            return pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: citywide '%s' is not true or false", path,
                            r->where, v);
        r->vals[col] = strdup(yes ? "1" : "0");
    } else {
        r->vals[col] = strdup(v);
    }
    return r->vals[col] ? PK_OK : pk_error(ctx, PK_ERR_NOMEM, "out of memory");
}

/* CSV: header names the columns (any case; "pillar" is classification);
 * empty cells are "not given". */
static int csv_row(struct pk_ctx *ctx, const char *path, char **header, char **fields, struct row *r)
{
    int rc = PK_OK;
    for (int i = 0; rc == PK_OK && header[i]; i++) {
        const char *h = header[i], *v = fields[i];
        if (!v || !*v)
            continue;
        if (!strcasecmp(h, "id")) {
            free(r->id);
            if (!(r->id = strdup(v)))
                rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
            continue;
        }
        if (!strcasecmp(h, "links")) {
            rc = csv_links(ctx, path, v, r);
            continue;
        }
        int col = -1;
        for (int c = 0; c < TASK_NCOLS; c++)
            if (!strcasecmp(h, pk_task_columns[c]))
                col = c;
        if (!strcasecmp(h, "pillar"))
            col = COL_CLASSIFICATION;
        if (col < 0)
            return pk_error(ctx, PK_ERR_DATA, "task import '%s': unknown column '%s'", path, h);
        free(r->vals[col]);
        r->vals[col] = NULL;
        rc = csv_value(ctx, path, col, v, r);
    }
    if (rc == PK_OK && !r->id)
        rc = pk_error(ctx, PK_ERR_DATA, "task import '%s' %s: no id", path, r->where);
    return rc;
}

/* Rows from CSV text (len bytes, read through a /vsimem file so GDAL's
 * tokenizer handles quotes and line breaks in cells); the header must name
 * an id column, and 'task list' output is refused (it would lose fields).
 * Blank lines are skipped; line numbers count the lines inside quoted
 * cells. *rows and *n as in read_json. */
static int read_csv(struct pk_store *store, const char *path, char *text, size_t len, struct row **rows,
                    size_t *n)
{
    struct pk_ctx *ctx = store->ctx;
    char mem[64];
    snprintf(mem, sizeof mem, "/vsimem/plankit-task-import-%p.csv", (void *)text);
    VSILFILE *fp = VSIFileFromMemBuffer(mem, (GByte *)text, (vsi_l_offset)len, FALSE);
    if (!fp)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    char **header = CSVReadParseLine3L(fp, 1 << 20, ",", 1, 0, 0, 1);
    int rc = PK_OK, line = 2, nh = CSLCount(header);
    size_t cap = 0;
    if (nh == 0 || CSLFindString(header, "id") < 0)
        rc = pk_error(ctx, PK_ERR_DATA, "task import '%s' line 1: the header must name an 'id' column", path);
    else if (CSLFindString(header, "links") >= 0 && CSLFindString(header, "start") >= 0)
        rc = pk_error(ctx, PK_ERR_DATA, "task import '%s' line 1: this is 'task list' output, whose links column "
                      "counts links and which lacks most fields: importing it would lose them; write the tasks "
                      "with 'plankit task export --format csv' instead", path);
    char **fields;
    while (rc == PK_OK && (fields = CSVReadParseLine3L(fp, 1 << 20, ",", 1, 0, 0, 0)) != NULL) {
        int nf = CSLCount(fields), lines = 1;
        for (int i = 0; i < nf; i++)
            for (const char *p = fields[i]; *p; p++)
                lines += *p == '\n';
        if (nf == 0 || (nf == 1 && !*fields[0])) {
            CSLDestroy(fields);
            line += lines;
            continue;
        }
        if (nf != nh) {
            rc = pk_error(ctx, PK_ERR_DATA, "task import '%s' line %d: expected %d fields, found %d "
                          "(an unbalanced quote or a stray comma?)", path, line, nh, nf);
            CSLDestroy(fields);
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct row *grown = realloc(*rows, cap * sizeof *grown);
            if (!grown) {
                CSLDestroy(fields);
                rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            *rows = grown;
        }
        struct row *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof *r);
        snprintf(r->where, sizeof r->where, "line %d", line);
        rc = csv_row(ctx, path, header, fields, r);
        CSLDestroy(fields);
        line += lines;
    }
    CSLDestroy(header);
    VSIFCloseL(fp);
    VSIUnlink(mem);
    return rc;
}

/* "layer:fid (role)" of every link of a task, for the history. */
static char *link_summary(struct pk_store *store, const char *id)
{
    sqlite3_stmt *st;
    char *out = NULL;
    if (pk_sql_prepare(store, "SELECT group_concat(s, ', ') FROM (SELECT l.name || ':' || k.fid || ' (' ||"
                              " k.role || ')' AS s FROM pk_task_links k JOIN pk_layers l ON l.id=k.layer_id"
                              " WHERE k.task_id=? ORDER BY l.id, k.fid, k.role)", &st) != PK_OK)
        return NULL;
    pk_sql_bind_text(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/* Replace a task's links by those of the file (when the row names links),
 * with one history row "links" listing before and after when they differ;
 * *nlinks counts the links added. */
static int write_links(struct pk_store *store, const char *path, struct row *r, long long *nlinks)
{
    char *before = link_summary(store, r->id);
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, "DELETE FROM pk_task_links WHERE task_id=?", &st);
    if (rc == PK_OK) {
        pk_sql_bind_text(st, 1, r->id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = pk_error_db(store, "task import");
        sqlite3_finalize(st);
    }
    for (int i = 0; rc == PK_OK && r->links && r->links[i]; i += 3) {
        int added = 0;
        rc = pk_task_link_add(store, r->id, r->links[i], r->links[i + 1], r->links[i + 2], &added, 0);
        if (rc != PK_OK)
            pk_error_prefix(store->ctx, "task import '%s' %s", path, r->where);
        *nlinks += added;
    }
    char *after = rc == PK_OK ? link_summary(store, r->id) : NULL;
    if (rc == PK_OK && strcmp(before ? before : "", after ? after : "") != 0)
        rc = pk_store_history(store, "task import", "task", r->id, "links", before, after);
    free(before);
    free(after);
    return rc;
}

/* Replace a task's footprints by those of the file. */
static int write_footprints(struct pk_footprints *fp, const char *path, struct row *r, long long *n)
{
    struct pk_store *store = fp->store;
    struct pk_ctx *ctx = store->ctx;
    sqlite3_stmt *st;
    long long before = 0;
    int rc = pk_sql_int(store, "SELECT count(*) FROM pk_task_footprints WHERE task_id=?", r->id, &before, NULL);
    if (rc == PK_OK && (rc = pk_sql_prepare(store, "DELETE FROM pk_task_footprints WHERE task_id=?", &st)) == PK_OK) {
        pk_sql_bind_text(st, 1, r->id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = pk_error_db(store, "task import");
        sqlite3_finalize(st);
    }
    long long added = 0;
    for (int i = 0; rc == PK_OK && r->footprints && r->footprints[i]; i += 4) {
        OGRGeometryH g = OGR_G_CreateGeometryFromJson(r->footprints[i]);
        OGRSpatialReferenceH srs = NULL;
        if (!g)
            rc = pk_error(ctx, PK_ERR_DATA, "invalid GeoJSON geometry");
        else if ((rc = pk_crs_from_user(ctx, r->footprints[i + 3], &srs)) == PK_OK)
            rc = pk_task_footprint_add(fp, r->id, g, srs, *r->footprints[i + 1] ? r->footprints[i + 1] : NULL,
                                       r->footprints[i + 2], 0);
        if (rc != PK_OK)
            pk_error_prefix(ctx, "task import '%s' %s footprint %d", path, r->where, i / 4 + 1);
        OGR_G_DestroyGeometry(g);
        OSRDestroySpatialReference(srs);
        added++;
    }
    if (rc == PK_OK && (before || added)) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%lld footprints", before);
        snprintf(b, sizeof b, "%lld footprints", added);
        rc = pk_store_history(store, "task import", "task", r->id, "footprints", a, b);
    }
    *n += added;
    return rc;
}

/* The whole file, or standard input for "-", NUL-terminated. *out: caller
 * frees with free(). */
static int read_all(struct pk_ctx *ctx, const char *path, char **out, size_t *len)
{
    int is_stdin = !strcmp(path, "-");
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    if (!fp) {
        free(buf);
        return pk_error(ctx, PK_ERR_NOTFOUND, "task import '%s': file not found", path);
    }
    while (buf && (got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    int failed = buf && ferror(fp);
    if (!is_stdin)
        fclose(fp);
    if (!buf)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    if (failed) {
        free(buf);
        return pk_error(ctx, PK_ERR_IO, "task import '%s': cannot read it", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return PK_OK;
}

/* Line number (from 1) of byte offset off. */
static int line_of(const char *text, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return line;
}

/* Offset of the first byte that is not well-formed UTF-8, or len. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        int more = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 1 : (c & 0xF0) == 0xE0 ? 2
                   : (c & 0xF8) == 0xF0 && c <= 0xF4 ? 3 : -1;
        if (more < 0 || i + (size_t)more >= len + (more ? 0 : 1))
            return i;
        for (int k = 1; k <= more; k++)
            if (i + (size_t)k >= len || (s[i + k] & 0xC0) != 0x80)
                return i;
        if ((more == 2 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0))) ||
            (more == 3 && ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90))))
            return i;
        i += (size_t)more + 1;
    }
    return len;
}

/* Recode *text from `encoding` to UTF-8 in place (a new buffer). */
static int recode(struct pk_ctx *ctx, const char *path, const char *encoding, char **text, size_t *len)
{
    iconv_t cd = iconv_open("UTF-8", encoding);
    if (cd == (iconv_t)-1)
        return pk_error(ctx, PK_ERR_ARGS, "task import: unknown --encoding '%s' (e.g. GBK, GB18030, BIG5, UTF-8)",
                        encoding);
    size_t cap = *len * 2 + 16, in_left = *len, out_left = cap - 1;
    char *out = malloc(cap), *in = *text, *o = out;
    int rc = PK_OK;
    if (!out)
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    while (rc == PK_OK && in_left > 0 && iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1) {
        if (errno == E2BIG) {
            size_t used = (size_t)(o - out);
            char *grown = realloc(out, cap *= 2);
            if (!grown) {
                rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
                break;
            }
            out = grown, o = out + used, out_left = cap - used - 1;
        } else {
            rc = pk_error(ctx, PK_ERR_DATA, "task import '%s' line %d: the text is not valid %s", path,
                          line_of(*text, (size_t)(in - *text)), encoding);
        }
    }
    iconv_close(cd);
    if (rc != PK_OK) {
        free(out);
        return rc;
    }
    *o = '\0';
    free(*text);
    *text = out;
    *len = (size_t)(o - out);
    return PK_OK;
}

/* The file's text as UTF-8 without a byte-order mark. *text: caller frees. */
static int read_text(struct pk_ctx *ctx, const char *path, const char *encoding, char **text, size_t *len)
{
    int rc = read_all(ctx, path, text, len);
    int utf8 = !encoding || !strcasecmp(encoding, "UTF-8") || !strcasecmp(encoding, "UTF8");
    if (rc == PK_OK && !utf8 && (rc = recode(ctx, path, encoding, text, len)) != PK_OK) {
        free(*text); /* (an unknown encoding or a byte it cannot read: the file's text is not kept) */
        *text = NULL;
    }
    if (rc != PK_OK)
        return rc;
    if (*len >= 3 && !memcmp(*text, "\xEF\xBB\xBF", 3)) {
        memmove(*text, *text + 3, *len - 2);
        *len -= 3;
    }
    size_t bad = utf8_invalid_at((const unsigned char *)*text, *len);
    if (bad < *len || strlen(*text) != *len) {
        int line = line_of(*text, bad < *len ? bad : strlen(*text));
        free(*text);
        *text = NULL;
        return bad < *len ? pk_error(ctx, PK_ERR_DATA, "task import '%s' line %d: the text is not UTF-8: give the "
                                     "file's encoding with --encoding, e.g. --encoding GBK", path, line)
                          : pk_error(ctx, PK_ERR_DATA, "task import '%s' line %d: a NUL byte: not a text file (or "
                                     "UTF-16: save it as UTF-8)", path, line);
    }
    return PK_OK;
}

/* The tasks of an import that start before the plan period: summarised in
 * one warning ("4 tasks start before the plan period 2026-2030 ...: KF-16
 * 2021-2025, ...") instead of a warning per year and task. */
#define EARLIER_LISTED 12
struct earlier {
    size_t n;
    int from, to;
    char ids[EARLIER_LISTED * 48];
};

static void note_earlier(struct pk_store *store, struct row *row, struct earlier *e)
{
    if (!pk_task_starts_before_period(store, row->vals, &e->from, &e->to))
        return;
    if (e->n++ < EARLIER_LISTED) {
        size_t used = strlen(e->ids);
        const char *end = row->vals[COL_END_YEAR];
        snprintf(e->ids + used, sizeof e->ids - used, "%s%.24s %.4s%s%.4s", used ? ", " : "", row->id,
                 row->vals[COL_START_YEAR], end ? "-" : "", end ? end : "");
    }
}

int pk_task_import(struct pk_store *store, const char *path, struct pk_task_import_result *res)
{
    return pk_task_import_encoded(store, path, NULL, res);
}

int pk_task_import_encoded(struct pk_store *store, const char *path, const char *encoding,
                           struct pk_task_import_result *res)
{
    struct pk_ctx *ctx = store->ctx;
    struct row *rows = NULL;
    size_t n = 0, len = 0;
    char *text = NULL;
    int rc;
    struct pk_task_import_result local = {0};
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if ((rc = read_text(ctx, path, encoding, &text, &len)) != PK_OK)
        return rc;
    const char *first = text + strspn(text, " \t\r\n");
    int is_json = *first == '{' || *first == '[';
    if ((rc = pk_store_begin(store)) != PK_OK) {
        free(text);
        return rc;
    }
    rc = is_json ? read_json(store, path, text, &rows, &n) : read_csv(store, path, text, len, &rows, &n);
    if (rc == PK_OK && n == 0)
        rc = pk_error(ctx, PK_ERR_DATA, "task import '%s': no tasks in the file", path);
    for (size_t i = 0; rc == PK_OK && i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(rows[i].id, rows[j].id)) {
                rc = pk_error(ctx, PK_ERR_DATA, "task import '%s': duplicate id '%s' (%s and %s)", path,
                              rows[i].id, rows[j].where, rows[i].where);
                break;
            }
    struct earlier earlier = {0};
    struct pk_footprints fp; /* (made for the first task with footprints) */
    int fp_made = 0;
    for (size_t i = 0; rc == PK_OK && i < n; i++) {
        int created, changed;
        note_earlier(store, &rows[i], &earlier);
        rc = pk_task_upsert(store, rows[i].id, rows[i].vals, "task import", TASK_UPSERT | TASK_QUIET_EARLIER,
                            &created, &changed);
        if (rc != PK_OK) {
            pk_error_prefix(ctx, "task import '%s' %s", path, rows[i].where);
            break;
        }
        if (rc == PK_OK && rows[i].has_links)
            rc = write_links(store, path, &rows[i], &res->links);
        if (rc == PK_OK && rows[i].has_footprints && !fp_made++)
            rc = pk_footprints_init(&fp, store);
        if (rc == PK_OK && rows[i].has_footprints)
            rc = write_footprints(&fp, path, &rows[i], &res->footprints);
        res->created += created;
        res->updated += !created && changed;
        res->unchanged += !changed;
    }
    if (fp_made)
        pk_footprints_release(&fp);
    for (size_t i = 0; i < n; i++)
        row_release(&rows[i]);
    free(rows);
    free(text);
    if (rc == PK_OK && earlier.n)
        pk_log(ctx, PK_LOG_WARN, "task import '%s': %zu task%s start%s before the plan period %d-%d (tasks of the "
               "previous plan? check the years): %s%s", path, earlier.n, earlier.n == 1 ? "" : "s",
               earlier.n == 1 ? "s" : "", earlier.from, earlier.to, earlier.ids,
               earlier.n > EARLIER_LISTED ? ", ..." : "");
    if (rc == PK_OK)
        rc = pk_store_commit(store);
    else
        pk_store_rollback(store);
    return rc;
}

char *pk_task_list_json(const char *comma_list)
{
    json_object *arr = json_object_new_array();
    char **items = CSLTokenizeString2(comma_list ? comma_list : "", ",", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES);
    int ok = arr != NULL;
    for (int i = 0; ok && items && items[i]; i++)
        if (*items[i])
            ok = array_add(arr, json_object_new_string(items[i])) == 0;
    CSLDestroy(items);
    char *s = ok ? json_text(arr) : NULL;
    json_object_put(arr);
    return s;
}

char *pk_task_indicators_json(struct pk_ctx *ctx, const char *spec)
{
    json_object *arr = json_object_new_array();
    char **items = CSLTokenizeString2(spec, ";", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES);
    char *out = NULL;
    int ok = 1, nomem = !arr;
    if (nomem)
        ok = 0;
    for (int i = 0; ok && items && items[i]; i++) {
        char *eq = strchr(items[i], '=');
        if (!eq || eq == items[i]) {
            pk_error(ctx, PK_ERR_ARGS, "indicator '%s' is not name=target [unit]", items[i]);
            ok = 0;
            break;
        }
        *eq = '\0';
        char *end;
        double target = strtod(eq + 1, &end);
        if (end == eq + 1) {
            pk_error(ctx, PK_ERR_ARGS, "indicator '%s': target '%s' is not a number", items[i], eq + 1);
            ok = 0;
            break;
        }
        while (*end == ' ')
            end++;
        json_object *o = json_object_new_object();
        /* whole numbers as JSON integers, as the JSON format writes them */
        int whole = target == (double)(long long)target && target > -1e15 && target < 1e15;
        int bad = !o || object_add(o, "name", json_object_new_string(items[i])) ||
                  object_add(o, "target", whole ? json_object_new_int64((long long)target)
                                                : json_object_new_double(target)) ||
                  object_add(o, "unit", json_object_new_string(end));
        if (bad)
            json_object_put(o);
        if (bad || array_add(arr, o)) /* (array_add frees o when it fails) */
            ok = 0, nomem = 1;
    }
    CSLDestroy(items);
    if ((ok && !(out = json_text(arr))) || nomem)
        pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    json_object_put(arr);
    return out;
}
