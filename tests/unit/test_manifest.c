/* test_manifest.c — layers/kunshan.json is a valid manifest whose files
 * exist; broken manifests are refused with a clear message; a manifest loads
 * all or nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "layer_int.h"
#include "plankit/manifest.h"
#include "fixture.h"

/* The shared fixture (a folder and a context, no store) and the source tree. */
struct fx {
    struct fixture x;
    char src[512];     /* the source tree */
    char kunshan[600]; /* layers/kunshan.json */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    const char *src = getenv("PLANKIT_SOURCE_DIR");
    if (!f || !src || fx_open(&f->x, "test_manifest", NULL) != 0)
        return -1;
    snprintf(f->src, sizeof f->src, "%s", src);
    snprintf(f->kunshan, sizeof f->kunshan, "%s/layers/kunshan.json", src);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    fx_close(&f->x);
    free(f);
    return 0;
}

static const char *write_tmp(struct fx *f, const char *name, const char *text)
{
    static char p[400];
    snprintf(p, sizeof p, "%s/%s", f->x.dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    return p;
}

static const char *const kunshan_layers[] = {"city", "region", "towns", "key_areas", "sci_zones",
                                             "demo_zone", "metro_line11", "metro_stations", "places",
                                             "plan_areas", "water", "rivers"};

static void test_kunshan_opens(void **state)
{
    struct fx *f = *state;
    struct pk_manifest *m = NULL;
    assert_int_equal(pk_manifest_open(f->x.ctx, f->kunshan, &m), PK_OK);
    assert_non_null(m);
    assert_string_equal(pk_manifest_crs(m), "EPSG:4326");
    assert_string_equal(pk_manifest_measure_crs(m), "EPSG:4549");
    assert_int_equal(pk_manifest_layer_count(m), 12);
    for (int i = 0; i < 12; i++)
        assert_string_equal(pk_manifest_layer_name(m, i), kunshan_layers[i]);
    const char *tasks = pk_manifest_tasks_path(m);
    assert_non_null(tasks);
    size_t n = strlen(tasks);
    assert_true(n > 19 && !strcmp(tasks + n - 19, "/kunshan-tasks.json"));
    assert_int_equal(access(tasks, R_OK), 0);
    pk_manifest_free(m);
    pk_manifest_free(NULL);
}

/* Check kunshan.json independently of manifest.c: every layer has file, name
 * and kind; kinds and names are valid and unique; files exist. */
static void test_kunshan_entries(void **state)
{
    struct fx *f = *state;
    json_object *root = json_object_from_file(f->kunshan), *layers;
    assert_non_null(root);
    assert_true(json_object_object_get_ex(root, "layers", &layers));
    size_t n = json_object_array_length(layers);
    assert_int_equal(n, 12);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(layers, i), *file, *name, *kind, *title;
        assert_true(json_object_object_get_ex(e, "file", &file));
        assert_true(json_object_object_get_ex(e, "name", &name));
        assert_true(json_object_object_get_ex(e, "kind", &kind));
        assert_true(json_object_object_get_ex(e, "title", &title));
        assert_true(json_object_is_type(file, json_type_string));
        assert_true(json_object_is_type(name, json_type_string));
        const char *k = json_object_get_string(kind);
        assert_true(!strcmp(k, "district") || !strcmp(k, "zone") || !strcmp(k, "line") ||
                    !strcmp(k, "point"));
        assert_true(pk_layer_name_valid(json_object_get_string(name)));
        for (size_t j = 0; j < i; j++) {
            json_object *other;
            json_object_object_get_ex(json_object_array_get_idx(layers, j), "name", &other);
            assert_string_not_equal(json_object_get_string(other), json_object_get_string(name));
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/layers/%s", f->src, json_object_get_string(file));
        if (access(path, R_OK) != 0)
            fail_msg("kunshan.json layer '%s': file %s missing", json_object_get_string(name), path);
    }
    json_object_put(root);
}

struct broken {
    const char *json;
    int code;
    const char *message; /* substring of the error */
};

static void test_broken_manifests(void **state)
{
    struct fx *f = *state;
    struct pk_manifest *m = (struct pk_manifest *)&m;
    char missing[400];
    snprintf(missing, sizeof missing, "%s/no-such.json", f->x.dir);
    assert_int_equal(pk_manifest_open(f->x.ctx, missing, &m), PK_ERR_NOTFOUND);
    assert_null(m);
    assert_non_null(strstr(pk_errmsg(f->x.ctx), "no-such.json"));

    char city[700];
    snprintf(city, sizeof city, "%s/layers/kunshan-city.geojson", f->src);
    char good_layer[900];
    snprintf(good_layer, sizeof good_layer,
             "{\"file\": \"%s\", \"name\": \"city\", \"kind\": \"district\"}", city);
    char buf[8][1200];
    snprintf(buf[0], sizeof buf[0], "{\"layers\": [%s, {\"name\": \"x\", \"kind\": \"zone\"}]}", good_layer);
    snprintf(buf[1], sizeof buf[1], "{\"layers\": [%s, {\"file\": \"%s\", \"kind\": \"zone\"}]}",
             good_layer, city);
    snprintf(buf[2], sizeof buf[2], "{\"layers\": [{\"file\": \"%s\", \"name\": \"x\"}]}", city);
    snprintf(buf[3], sizeof buf[3],
             "{\"layers\": [{\"file\": \"%s\", \"name\": \"bad name\", \"kind\": \"zone\"}]}", city);
    snprintf(buf[4], sizeof buf[4],
             "{\"layers\": [%s, {\"file\": \"nowhere.geojson\", \"name\": \"ghost\", \"kind\": \"zone\"}]}",
             good_layer);
    const struct broken cases[] = {
        {"{\"layers\": [", PK_ERR_DATA, "not a JSON object"},
        {"[1, 2, 3]", PK_ERR_DATA, "not a JSON object"},
        {"{\"name\": \"kunshan\"}", PK_ERR_DATA, "no \"layers\" array"},
        {"{\"layers\": {\"file\": \"a\"}}", PK_ERR_DATA, "no \"layers\" array"},
        {buf[0], PK_ERR_DATA, "layer 2"},                     /* no file */
        {buf[1], PK_ERR_DATA, "layer 2"},                     /* no name */
        {buf[2], PK_ERR_DATA, "\"kind\""},                    /* no kind */
        {buf[3], PK_ERR_DATA, "invalid name 'bad name'"},
        {buf[4], PK_ERR_NOTFOUND, "nowhere.geojson"},         /* file missing */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = write_tmp(f, "m.json", cases[i].json);
        m = (struct pk_manifest *)&m;
        int rc = pk_manifest_open(f->x.ctx, p, &m);
        if (rc != cases[i].code || !strstr(pk_errmsg(f->x.ctx), cases[i].message))
            fail_msg("case %zu: got %d '%s', want %d '%s'", i, rc, pk_errmsg(f->x.ctx), cases[i].code,
                     cases[i].message);
        assert_null(m);
        /* one line, names the manifest */
        assert_null(strchr(pk_errmsg(f->x.ctx), '\n'));
        assert_non_null(strstr(pk_errmsg(f->x.ctx), "m.json"));
    }
}

static struct pk_store *new_store(struct fx *f)
{
    char p[400];
    struct pk_store *s = NULL;
    snprintf(p, sizeof p, "%s/plan.sqlite", f->x.dir);
    struct pk_store_opts o = {.measure_crs = "EPSG:4549"};
    assert_int_equal(pk_store_create(f->x.ctx, p, &o, &s), PK_OK);
    return s;
}

static long long q(struct pk_store *s, const char *sql)
{
    long long v = -1;
    assert_int_equal(pk_sql_int(s, sql, NULL, &v, NULL), PK_OK);
    return v;
}

/* Relative file paths resolve against the manifest's folder; every listed
 * layer is loaded with its name, kind and title. */
static void test_load_layers(void **state)
{
    struct fx *f = *state;
    char json[4096];
    snprintf(json, sizeof json,
             "{\"name\": \"t\", \"layers\": ["
             "{\"file\": \"%s/layers/kunshan-towns.geojson\", \"name\": \"区镇\", \"kind\": \"district\","
             " \"title\": \"towns\", \"provenance\": \"generated\", \"accuracy\": \"schematic\"},"
             "{\"file\": \"%s/layers/kunshan-line11.geojson\", \"name\": \"line\", \"kind\": \"line\"},"
             "{\"file\": \"%s/layers/kunshan-places.geojson\", \"name\": \"places\", \"kind\": \"point\","
             " \"where\": \"code = 'DKU'\"}]}",
             f->src, f->src, f->src);
    struct pk_manifest *m = NULL;
    assert_int_equal(pk_manifest_open(f->x.ctx, write_tmp(f, "m.json", json), &m), PK_OK);
    assert_null(pk_manifest_tasks_path(m));
    assert_null(pk_manifest_crs(m));
    struct pk_store *s = new_store(f);
    assert_int_equal(pk_manifest_load(s, m, NULL, NULL), PK_OK);
    struct pk_layer_ref ref;
    assert_int_equal(pk_layer_find(s, "区镇", &ref), PK_OK);
    assert_int_equal(ref.count, 12);
    assert_string_equal(ref.kind, "district");
    assert_int_equal(pk_layer_find(s, "line", &ref), PK_OK);
    assert_string_equal(ref.kind, "line");
    assert_int_equal(pk_layer_find(s, "places", &ref), PK_OK);
    assert_int_equal(ref.count, 1); /* the manifest's where */
    assert_int_equal(q(s, "SELECT count(*) FROM pk_layers WHERE title='towns' AND provenance='generated'"
                          " AND accuracy='schematic'"), 1);
    pk_store_close(s);
    pk_manifest_free(m);
}

/* A layer that fails to load rolls back the layers before it. */
static void test_load_all_or_nothing(void **state)
{
    struct fx *f = *state;
    write_tmp(f, "broken.geojson", "{\"type\": \"FeatureCollection\", \"features\": [ {\"type\": ");
    char json[4096];
    snprintf(json, sizeof json,
             "{\"layers\": ["
             "{\"file\": \"%s/layers/kunshan-city.geojson\", \"name\": \"city\", \"kind\": \"district\"},"
             "{\"file\": \"%s/layers/kunshan-towns.geojson\", \"name\": \"towns\", \"kind\": \"district\"},"
             "{\"file\": \"broken.geojson\", \"name\": \"broken\", \"kind\": \"zone\"}]}",
             f->src, f->src);
    struct pk_manifest *m = NULL;
    assert_int_equal(pk_manifest_open(f->x.ctx, write_tmp(f, "m.json", json), &m), PK_OK);
    struct pk_store *s = new_store(f);
    long long tables = q(s, "SELECT count(*) FROM sqlite_master");
    assert_int_not_equal(pk_manifest_load(s, m, NULL, NULL), PK_OK);
    assert_non_null(strstr(pk_errmsg(f->x.ctx), "broken.geojson"));
    assert_int_equal(q(s, "SELECT count(*) FROM pk_layers"), 0);
    assert_int_equal(q(s, "SELECT count(*) FROM sqlite_master"), tables);
    pk_store_close(s);
    pk_manifest_free(m);

    /* an invalid kind is refused (when opening or when loading), and loads nothing */
    snprintf(json, sizeof json,
             "{\"layers\": ["
             "{\"file\": \"%s/layers/kunshan-city.geojson\", \"name\": \"city\", \"kind\": \"district\"},"
             "{\"file\": \"%s/layers/kunshan-towns.geojson\", \"name\": \"towns\", \"kind\": \"county\"}]}",
             f->src, f->src);
    m = NULL;
    int rc = pk_manifest_open(f->x.ctx, write_tmp(f, "m.json", json), &m);
    if (rc == PK_OK) {
        char p[400];
        snprintf(p, sizeof p, "%s/plan.sqlite", f->x.dir);
        assert_int_equal(pk_store_open(f->x.ctx, p, &s), PK_OK);
        assert_int_not_equal(pk_manifest_load(s, m, NULL, NULL), PK_OK);
        assert_int_equal(q(s, "SELECT count(*) FROM pk_layers"), 0);
        pk_store_close(s);
    }
    assert_non_null(strstr(pk_errmsg(f->x.ctx), "county"));
    pk_manifest_free(m);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_kunshan_opens),
        T(test_kunshan_entries),
        T(test_broken_manifests),
        T(test_load_layers),
        T(test_load_all_or_nothing),
    };
#undef T
    return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
