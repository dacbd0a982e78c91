/* overlay_output.c — the overlay's output side: the columns of the result
 * (parents' attributes, prefixed on clashes), writing a piece to the sink,
 * and the A × B summary table (every allocation checked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "overlay_int.h"


static int wanted(const char *fields, char side, const char *name)
{
    if (!fields)
        return 1;
    char buf[512];
    snprintf(buf, sizeof buf, ",%s,", fields);
    char key[300];
    snprintf(key, sizeof key, ",%c.%s,", side, name);
    if (strstr(buf, key))
        return 1;
    snprintf(key, sizeof key, ",%s,", name);
    return strstr(buf, key) != NULL;
}

/* Append a column; on out of memory, oc->oom is set and nothing added. */
static void add_col(struct pk_ov_cols *oc, const char *name, const char *type, int side, int col)
{
    size_t n = (size_t)oc->n + 1;
    struct pk_column *cols = realloc(oc->cols, sizeof *cols * n);
    oc->cols = cols ? cols : oc->cols;
    int *sides = cols ? realloc(oc->src_side, sizeof *sides * n) : NULL;
    oc->src_side = sides ? sides : oc->src_side;
    int *srcs = sides ? realloc(oc->src_col, sizeof *srcs * n) : NULL;
    oc->src_col = srcs ? srcs : oc->src_col;
    char *copy = srcs ? strdup(name) : NULL;
    if (!copy) {
        oc->oom = 1;
        return;
    }
    oc->cols[oc->n].name = copy;
    oc->cols[oc->n].type = type;
    oc->src_side[oc->n] = side;
    oc->src_col[oc->n] = col;
    oc->n++;
}

static int has_col(const struct pk_ov_input *in, const char *name)
{
    for (int i = 0; i < in->ncols; i++)
        if (!strcasecmp(in->colnames[i], name))
            return 1;
    return !strcasecmp(name, "a_fid") || !strcasecmp(name, "b_fid") || !strcasecmp(name, "area_m2");
}

void pk_ov_plan_columns(const struct pk_ov_input *A, const struct pk_ov_input *B, const char *f, int with_b,
                        struct pk_ov_cols *oc)
{
    add_col(oc, "a_fid", "INTEGER", 0, 0);
    if (with_b)
        add_col(oc, "b_fid", "INTEGER", 1, 0);
    for (int i = 0; i < A->ncols; i++) {
        const char *n = A->colnames[i];
        if (!wanted(f, 'a', n))
            continue;
        char name[300];
        snprintf(name, sizeof name, "%s%s", with_b && has_col(B, n) ? "a_" : "", n);
        add_col(oc, name, A->coltypes[i], 2, i);
    }
    for (int i = 0; with_b && i < B->ncols; i++) {
        const char *n = B->colnames[i];
        if (!wanted(f, 'b', n))
            continue;
        char name[300];
        snprintf(name, sizeof name, "%s%s", has_col(A, n) ? "b_" : "", n);
        add_col(oc, name, B->coltypes[i], 3, i);
    }
    add_col(oc, "area_m2", "REAL", 4, 0);
}

void pk_ov_cols_release(struct pk_ov_cols *oc)
{
    for (int i = 0; i < oc->n; i++)
        free(oc->cols[i].name);
    free(oc->cols);
    free(oc->src_side);
    free(oc->src_col);
}

int pk_ov_write(const struct pk_ov_input *A, const struct pk_ov_input *B, struct pk_sink *sink,
                const struct pk_ov_cols *oc, size_t ai, size_t bi, const GEOSGeometry *g, double area_m2)
{
    const char **vals = calloc((size_t)(oc->n > 0 ? oc->n : 1), sizeof *vals);
    if (!vals)
        return pk_error(sink->ctx, PK_ERR_NOMEM, "out of memory");
    char afid[32], bfid[32], area[64];
    if (ai != (size_t)-1)
        snprintf(afid, sizeof afid, "%lld", A->fids[ai]);
    if (bi != (size_t)-1)
        snprintf(bfid, sizeof bfid, "%lld", B->fids[bi]);
    for (int prec = 15; prec <= 17; prec++) /* all its digits: the shortest text that reads back */
        if (snprintf(area, sizeof area, "%.*g", prec, area_m2) > 0 && strtod(area, NULL) == area_m2)
            break;
    for (int c = 0; c < oc->n; c++) {
        int col = oc->src_col[c];
        switch (oc->src_side[c]) {
        case 0: vals[c] = ai != (size_t)-1 ? afid : NULL; break;
        case 1: vals[c] = bi != (size_t)-1 ? bfid : NULL; break;
        case 2: vals[c] = ai != (size_t)-1 ? A->attrs[ai * (size_t)A->ncols + (size_t)col] : NULL; break;
        case 3: vals[c] = bi != (size_t)-1 ? B->attrs[bi * (size_t)B->ncols + (size_t)col] : NULL; break;
        default: vals[c] = area;
        }
    }
    int rc = pk_sink_write(sink, g, vals);
    free(vals);
    return rc;
}

/* The summary's end: the table if complete, else an out-of-memory error. */
static int summary_done(struct pk_ctx *ctx, struct pk_table *t, struct pk_table **out)
{
    if (!t || t->failed) {
        pk_table_free(t);
        return pk_error(ctx, PK_ERR_NOMEM, "overlay: out of memory for the summary");
    }
    *out = t;
    return PK_OK;
}

/* Long form: one row per (A, B) pair with an overlap: the pair, the overlap's
 * area in m² and its share of A's area (a fraction). */
static int summary_long(struct pk_ctx *ctx, const struct pk_ov_input *A, const struct pk_ov_input *B,
                        const double *m, const double *a_area, struct pk_table **out)
{
    size_t nA = A->n, nB = B->n;
    const char *names[] = {"a_fid", "a_name", "b_fid", "b_name", "area_m2", "a_share"};
    enum pk_col_type types[] = {PK_COL_INT, PK_COL_TEXT, PK_COL_INT, PK_COL_TEXT, PK_COL_REAL, PK_COL_REAL};
    struct pk_table *t = pk_table_new(6, names, types);
    for (size_t i = 0; t && !t->failed && i < nA; i++)
        for (size_t j = 0; j < nB && !t->failed; j++) {
            double v = m[i * nB + j];
            long r = v > 0 ? pk_table_add_row(t) : -1;
            if (r < 0)
                continue; /* (no overlap, or out of memory: t->failed) */
            pk_table_set_int(t, (size_t)r, 0, A->fids[i]);
            pk_table_set(t, (size_t)r, 1, A->labels[i]);
            pk_table_set_int(t, (size_t)r, 2, B->fids[j]);
            pk_table_set(t, (size_t)r, 3, B->labels[j]);
            pk_table_set_real(t, (size_t)r, 4, v);
            if (a_area[i] > 0)
                pk_table_set_real(t, (size_t)r, 5, v / a_area[i]);
        }
    return summary_done(ctx, t, out);
}

/* The wide table's columns: a, area_m2, outside_share, then one per B
 * feature that any A feature meets (used[j] set), named after it. NULL when
 * out of memory. */
static struct pk_table *wide_table(const struct pk_ov_input *A, const struct pk_ov_input *B, const double *m,
                                   int *used)
{
    size_t nA = A->n, nB = B->n;
    int nused = 0;
    for (size_t j = 0; j < nB; j++)
        for (size_t i = 0; i < nA && !used[j]; i++)
            if (m[i * nB + j] > 0)
                used[j] = 1, nused++;
    int ncols = 3 + nused;
    const char **names = calloc((size_t)ncols, sizeof *names);
    enum pk_col_type *types = calloc((size_t)ncols, sizeof *types);
    char **owned = calloc((size_t)ncols, sizeof *owned);
    struct pk_table *t = NULL;
    int ok = names && types && owned;
    if (ok) {
        names[0] = "a", names[1] = "area_m2", names[2] = "outside_share";
        for (int c = 1; c < ncols; c++)
            types[c] = PK_COL_REAL;
    }
    for (size_t j = 0, c = 3; ok && j < nB; j++) {
        if (!used[j])
            continue;
        int n = B->labels[j] ? asprintf(&owned[c], "%s", B->labels[j]) : asprintf(&owned[c], "fid %lld", B->fids[j]);
        if (n < 0)
            owned[c] = NULL, ok = 0;
        names[c] = owned[c];
        c++;
    }
    if (ok)
        t = pk_table_new(ncols, names, types);
    for (int k = 0; owned && k < ncols; k++)
        free(owned[k]);
    free(owned);
    free(names);
    free(types);
    return t;
}

/* Wide form: rows A features; area_m2 (A's area), outside_share (the
 * fraction of A no B feature covers), then per B feature met the overlap in
 * m² (null where none). */
static int summary_wide(struct pk_ctx *ctx, const struct pk_ov_input *A, const struct pk_ov_input *B,
                        const double *m, const double *a_area, struct pk_table **out)
{
    size_t nA = A->n, nB = B->n;
    int *used = calloc(nB ? nB : 1, sizeof *used);
    struct pk_table *t = used ? wide_table(A, B, m, used) : NULL;
    for (size_t i = 0; t && !t->failed && i < nA; i++) {
        long r = pk_table_add_row(t);
        if (r < 0)
            break; /* (t->failed) */
        double sum = 0;
        if (A->labels[i])
            pk_table_set(t, (size_t)r, 0, A->labels[i]);
        else
            pk_table_setf(t, (size_t)r, 0, "fid %lld", A->fids[i]);
        pk_table_set_real(t, (size_t)r, 1, a_area[i]);
        for (size_t j = 0, c = 3; j < nB; j++) {
            if (!used[j])
                continue;
            double v = m[i * nB + j];
            sum += v;
            if (v > 0)
                pk_table_set_real(t, (size_t)r, (int)c, v);
            c++;
        }
        if (a_area[i] > 0)
            pk_table_set_real(t, (size_t)r, 2, fmax(0, 1 - sum / a_area[i]));
    }
    free(used);
    return summary_done(ctx, t, out);
}

int pk_ov_summary(struct pk_ctx *ctx, const struct pk_ov_input *A, const struct pk_ov_input *B, int long_form,
                  const double *m, const double *a_area, struct pk_table **out)
{
    *out = NULL;
    return long_form ? summary_long(ctx, A, B, m, a_area, out) : summary_wide(ctx, A, B, m, a_area, out);
}

/* A derived layer inherits provenance and accuracy from its inputs: its
 * registry row gets "<what> of A (A's provenance) and B (...)" and
 * "inherited from A: <A's accuracy>; from B: <...>", so `layer list` gives it
 * the worst class of its inputs. B may be NULL (buffer, dissolve). Updates
 * only a store layer named out (nothing for a file output); inside the
 * caller's transaction. */
int pk_ov_inherit_accuracy(struct pk_store *store, const char *out, const char *what, const char *a,
                           const char *b)
{
    static const char *const sql =
        "UPDATE pk_layers SET"
        " provenance = ?2 || ' of ' || ?3 || ' ('"
        "   || coalesce(nullif((SELECT provenance FROM pk_layers WHERE name = ?3), ''), 'no provenance') || ')'"
        "   || CASE WHEN ?4 IS NULL THEN '' ELSE ' and ' || ?4 || ' ('"
        "   || coalesce(nullif((SELECT provenance FROM pk_layers WHERE name = ?4), ''), 'no provenance') || ')' END,"
        " accuracy = 'inherited from ' || ?3 || ': '"
        "   || coalesce(nullif((SELECT accuracy FROM pk_layers WHERE name = ?3), ''), 'unstated')"
        "   || CASE WHEN ?4 IS NULL THEN '' ELSE '; from ' || ?4 || ': '"
        "   || coalesce(nullif((SELECT accuracy FROM pk_layers WHERE name = ?4), ''), 'unstated') END"
        " WHERE name = ?1";
    sqlite3_stmt *st;
    int rc = pk_sql_prepare(store, sql, &st);
    if (rc != PK_OK)
        return rc;
    pk_sql_bind_text(st, 1, out);
    pk_sql_bind_text(st, 2, what);
    pk_sql_bind_text(st, 3, a);
    pk_sql_bind_text(st, 4, b);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = pk_error_db(store, "cannot record the provenance of the derived layer");
    sqlite3_finalize(st);
    return rc;
}
