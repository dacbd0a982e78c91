/* task_filter.c — the values a task filter may take: statuses (with their
 * Chinese names), the store's pillars and leads. An unknown value is an
 * error listing the known ones, never a filter that silently matches
 * nothing (which made every town a "gap"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "task_int.h"

static const struct {
    const char *name;
    const char *aliases[7];
} statuses[] = {
    {"planned", {"计划中", "计划", "未开始", "拟实施", "规划中", NULL}},
    {"in_progress", {"进行中", "实施中", "推进中", "在建", "in-progress", NULL}},
    {"done", {"已完成", "完成", "竣工", "已竣工", NULL}},
    {"delayed", {"暂停", "已暂停", "延期", "滞后", "推迟", NULL}},
    {"cancelled", {"已取消", "取消", "canceled", NULL}},
};

#define N_STATUSES (sizeof statuses / sizeof statuses[0])

const char *pk_task_status_canonical(const char *text)
{
    for (size_t i = 0; text && i < N_STATUSES; i++) {
        if (!strcasecmp(text, statuses[i].name))
            return statuses[i].name;
        for (int k = 0; statuses[i].aliases[k]; k++)
            if (!strcasecmp(text, statuses[i].aliases[k]))
                return statuses[i].name;
    }
    return NULL;
}

const char *pk_task_status_help(void)
{
    return "planned (计划中), in_progress (进行中), done (已完成), delayed (暂停), cancelled (已取消)";
}

int pk_task_check_status(struct pk_ctx *ctx, const char *text, const char **canonical)
{
    *canonical = pk_task_status_canonical(text);
    if (!*canonical)
        return pk_error(ctx, PK_ERR_ARGS, "unknown status '%.60s': use %s", text, pk_task_status_help());
    return PK_OK;
}

/* The rows of a one-column query joined as "a, b, c" (at most max, then
 * "..."). Caller frees with sqlite3_free. NULL on error (recorded in the
 * context: out of memory or a failed read). */
static char *known_values(struct pk_store *store, const char *sql, int max)
{
    sqlite3_stmt *st;
    char *list = sqlite3_mprintf("%s", "");
    if (!list) {
        pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (pk_sql_prepare(store, sql, &st) != PK_OK) {
        sqlite3_free(list);
        return NULL;
    }
    int step = SQLITE_DONE;
    for (int n = 0; list && (step = sqlite3_step(st)) == SQLITE_ROW; n++) {
        char *next = n < max ? sqlite3_mprintf("%s%s%s", list, n ? ", " : "", sqlite3_column_text(st, 0))
                             : sqlite3_mprintf("%s, ...", list);
        sqlite3_free(list);
        list = next;
        if (n >= max)
            break;
    }
    if (!list)
        pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    else if (step != SQLITE_ROW && pk_sql_done(store, step) != PK_OK) {
        sqlite3_free(list);
        list = NULL;
    }
    sqlite3_finalize(st);
    return list;
}

int pk_task_check_pillar(struct pk_store *store, const char *text, char **canonical)
{
    sqlite3_stmt *st;
    *canonical = NULL;
    int rc = pk_sql_prepare(store, "SELECT name FROM pk_classifications WHERE name=?1 OR lower(name_en)=lower(?1)"
                                   " OR lower(code)=lower(?1) UNION SELECT classification FROM pk_tasks"
                                   " WHERE classification=?1 LIMIT 1", &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, text);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && !(*canonical = strdup((const char *)sqlite3_column_text(st, 0))))
        rc = pk_error(store->ctx, PK_ERR_NOMEM, "out of memory");
    else if (step != SQLITE_ROW)
        rc = pk_sql_done(store, step); /* a failed read is not "unknown pillar" */
    sqlite3_finalize(st);
    if (rc != PK_OK || *canonical)
        return rc;
    char *known = known_values(store, "SELECT v FROM (SELECT 1 AS k, rowid AS r, name || coalesce(' (' || code"
                                      " || ')', '') AS v FROM pk_classifications UNION ALL SELECT DISTINCT 2, 0,"
                                      " classification FROM pk_tasks WHERE classification IS NOT NULL AND"
                                      " classification NOT IN (SELECT name FROM pk_classifications))"
                                      " ORDER BY k, r, v", 20);
    if (!known)
        return pk_errcode(store->ctx);
    rc = pk_error(store->ctx, PK_ERR_ARGS, "unknown pillar '%.60s': %s%s", text,
                  known && *known ? "known pillars: " : "the store has no pillars yet", known ? known : "");
    sqlite3_free(known);
    return rc;
}

int pk_task_check_lead(struct pk_store *store, const char *text)
{
    long long n = 0;
    int rc = pk_sql_int(store, "SELECT count(*) FROM pk_tasks WHERE lead=?", text, &n, NULL);
    if (rc != PK_OK || n > 0)
        return rc;
    char *known = known_values(store, "SELECT DISTINCT lead FROM pk_tasks WHERE lead IS NOT NULL ORDER BY lead", 20);
    if (!known)
        return pk_errcode(store->ctx);
    rc = pk_error(store->ctx, PK_ERR_ARGS, "unknown lead '%.60s': %s%s", text,
                  known && *known ? "leads of the tasks: " : "no task has a lead yet", known ? known : "");
    sqlite3_free(known);
    return rc;
}
