/* cli_output.c — printing result tables: aligned text for terminals (CJK
 * characters are two columns wide), CSV (RFC 4180), JSON and GeoJSON. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"

/* Decode one UTF-8 code point; returns bytes consumed (1 on bad input). */
static int utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    if ((s[0] & 0xE0) == 0xC0 && s[1]) { *cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu); return 2; }
    if ((s[0] & 0xF0) == 0xE0 && s[1] && s[2]) {
        *cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return 3;
    }
    if ((s[0] & 0xF8) == 0xF0 && s[1] && s[2] && s[3]) {
        *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
        return 4;
    }
    *cp = '?';
    return 1;
}

/* East Asian Wide and Fullwidth ranges (Unicode UAX #11, main blocks). */
static int is_wide(unsigned cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
           (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

int cli_char_width(const char *s, int *width)
{
    unsigned cp;
    int n = utf8_next((const unsigned char *)s, &cp);
    *width = is_wide(cp) ? 2 : 1;
    return n;
}

int cli_text_width(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        p += utf8_next(p, &cp);
        w += is_wide(cp) ? 2 : 1;
    }
    return w;
}

static void print_padded(const char *s, int width, int right)
{
    int pad = width - cli_text_width(s);
    if (right)
        for (int i = 0; i < pad; i++)
            putchar(' ');
    fputs(s, stdout);
    if (!right)
        for (int i = 0; i < pad; i++)
            putchar(' ');
}

/* The text a terminal table shows for a cell: numbers of REAL columns,
 * which the library gives with all their digits, rounded to 6 decimals, and
 * shares (fractions, in columns named "share" or ending in "_share") as
 * percentages. CSV and JSON keep the full value. Returns the cell's text or
 * buf. */
static const char *display_cell(const struct pk_table *t, size_t r, int c, char *buf, size_t size)
{
    const char *v = pk_table_get(t, r, c);
    double d;
    if (!v || t->types[c] != PK_COL_REAL || !pk_table_get_real(t, r, c, &d))
        return v ? v : "";
    size_t len = strlen(t->names[c]);
    if (!strcmp(t->names[c], "share") || (len > 6 && !strcmp(t->names[c] + len - 6, "_share")))
        snprintf(buf, size, "%.2f %%", 100.0 * d);
    else
        snprintf(buf, size, "%.6f", d);
    return buf;
}

static int print_text(const struct pk_table *t)
{
    char buf[64];
    int *w = calloc(t->ncols > 0 ? (size_t)t->ncols : 1, sizeof *w);
    if (!w)
        return EXIT_FAIL;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = cli_text_width(t->names[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            int cw = cli_text_width(display_cell(t, r, c, buf, sizeof buf));
            if (t->types[c] == PK_COL_GEOJSON)
                cw = 0;
            if (cw > w[c])
                w[c] = cw > 80 ? 80 : cw;
        }
    }
    for (int c = 0; c < t->ncols; c++) {
        if (t->types[c] == PK_COL_GEOJSON)
            continue;
        print_padded(t->names[c], w[c], t->types[c] == PK_COL_INT || t->types[c] == PK_COL_REAL);
        fputs(c + 1 < t->ncols ? "  " : "", stdout);
    }
    putchar('\n');
    for (int c = 0; c < t->ncols; c++) {
        if (t->types[c] == PK_COL_GEOJSON)
            continue;
        for (int i = 0; i < w[c]; i++)
            putchar('-');
        fputs(c + 1 < t->ncols ? "  " : "", stdout);
    }
    putchar('\n');
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            if (t->types[c] == PK_COL_GEOJSON)
                continue;
            print_padded(display_cell(t, r, c, buf, sizeof buf), w[c],
                         t->types[c] == PK_COL_INT || t->types[c] == PK_COL_REAL);
            fputs(c + 1 < t->ncols ? "  " : "", stdout);
        }
        putchar('\n');
    }
    free(w);
    return EXIT_OK;
}

static void csv_field(const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static int print_csv(const struct pk_table *t)
{
    for (int c = 0; c < t->ncols; c++) {
        csv_field(t->names[c]);
        putchar(c + 1 < t->ncols ? ',' : '\n');
    }
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            csv_field(pk_table_get(t, r, c));
            putchar(c + 1 < t->ncols ? ',' : '\n');
        }
    return EXIT_OK;
}

/* Cell (r, c) as JSON into *out (NULL for a null cell: JSON null); 0, or -1
 * when out of memory. */
static int cell_json(const struct pk_table *t, size_t r, int c, json_object **out)
{
    const char *v = pk_table_get(t, r, c);
    long long n;
    double d;
    *out = NULL;
    if (!v)
        return 0;
    if (t->types[c] == PK_COL_GEOJSON)
        *out = json_tokener_parse(v);
    else if (t->types[c] == PK_COL_INT && pk_table_get_int(t, r, c, &n))
        *out = json_object_new_int64(n);
    else if ((t->types[c] == PK_COL_INT || t->types[c] == PK_COL_REAL) && pk_table_get_real(t, r, c, &d))
        *out = json_object_new_double_s(d, v);
    else
        *out = json_object_new_string(v);
    return *out ? 0 : -1;
}

/* Add member key = value to o (taking value, NULL = JSON null); 0, or -1
 * when out of memory (value freed). */
static int put_member(json_object *o, const char *key, json_object *value)
{
    if (json_object_object_add(o, key, value) == 0)
        return 0;
    json_object_put(value);
    return -1;
}

/* put_member for a value that must be there: NULL is a failed allocation. */
static int member(json_object *o, const char *key, json_object *value)
{
    return value ? put_member(o, key, value) : -1;
}

/* Add item to array a (taking it); 0, or -1 when item is NULL or out of memory. */
static int element(json_object *a, json_object *item)
{
    if (item && json_object_array_add(a, item) == 0)
        return 0;
    json_object_put(item);
    return -1;
}

/* Row r as a JSON object (without the geometry column when skip_geojson);
 * NULL when out of memory. */
static json_object *row_object(const struct pk_table *t, size_t r, int skip_geojson)
{
    json_object *o = json_object_new_object();
    for (int c = 0; o && c < t->ncols; c++) {
        json_object *v;
        if (skip_geojson && t->types[c] == PK_COL_GEOJSON)
            continue;
        if (cell_json(t, r, c, &v) || put_member(o, t->names[c], v)) {
            json_object_put(o);
            o = NULL;
        }
    }
    return o;
}

/* Row r as a GeoJSON Feature (geometry from column gcol, -1: none); NULL
 * when out of memory. */
static json_object *feature_object(const struct pk_table *t, size_t r, int gcol)
{
    json_object *f = json_object_new_object(), *geom = NULL;
    if (!f || member(f, "type", json_object_new_string("Feature")) ||
        member(f, "properties", row_object(t, r, 1)) || (gcol >= 0 && cell_json(t, r, gcol, &geom)) ||
        put_member(f, "geometry", geom)) {
        json_object_put(f);
        return NULL;
    }
    return f;
}

/* The table as a JSON array of row objects, or a GeoJSON FeatureCollection;
 * NULL when out of memory. */
static json_object *table_json(const struct pk_table *t, int geojson)
{
    json_object *root, *rows;
    int gcol = -1, bad;
    for (int c = 0; c < t->ncols; c++)
        if (t->types[c] == PK_COL_GEOJSON)
            gcol = c;
    rows = json_object_new_array();
    bad = !rows;
    for (size_t r = 0; !bad && r < t->nrows; r++)
        bad = element(rows, geojson ? feature_object(t, r, gcol) : row_object(t, r, 0));
    if (bad || !geojson) {
        if (bad)
            json_object_put(rows);
        return bad ? NULL : rows;
    }
    root = json_object_new_object();
    if (!root || member(root, "type", json_object_new_string("FeatureCollection"))) {
        json_object_put(root);
        json_object_put(rows);
        return NULL;
    }
    if (member(root, "features", rows)) {
        json_object_put(root);
        return NULL;
    }
    return root;
}

static int print_json(const struct pk_table *t, int geojson)
{
    json_object *root = table_json(t, geojson);
    const char *text = root ? json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
    if (!text) {
        json_object_put(root);
        fputs("plankit: error: out of memory writing the JSON output\n", stderr);
        return EXIT_FAIL;
    }
    fputs(text, stdout);
    putchar('\n');
    json_object_put(root);
    return EXIT_OK;
}

int cli_print_table(struct cli *cli, const struct pk_table *t)
{
    int geometry = 0;
    for (int c = 0; c < t->ncols; c++)
        geometry |= t->types[c] == PK_COL_GEOJSON;
    if (cli->format == FMT_GEOJSON && !geometry) /* (commands refuse it first; this guards the rest) */
        return cli_usage_error(cli->cmd, "--format geojson: this output has no geometries: use table, csv or json");
    switch (cli->format) {
    case FMT_CSV:
        return print_csv(t);
    case FMT_JSON:
        return print_json(t, 0);
    case FMT_GEOJSON:
        return print_json(t, 1);
    default:
        return print_text(t);
    }
}
