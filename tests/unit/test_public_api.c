/* test_public_api.c — a second front end, written against the public
 * headers alone (plankit/plankit.h; nothing from src/): open a store, load
 * a layer, add and link a task, run a coverage and read its numbers as
 * numbers. It is also the example docs/LIBRARY.md shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plankit/plankit.h"

#ifdef PLANKIT_CTX_INT_H
#error "this test must use the public headers only"
#endif

static const char squares[] =
    "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
    "\"urn:ogc:def:crs:EPSG::4549\"}},\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"A\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[600000,3430000],[601000,3430000],[601000,3431000],[600000,3431000],[600000,3430000]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"B\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[601000,3430000],[602000,3430000],[602000,3431000],[601000,3431000],[601000,3430000]]]}}]}";

/* The example: the share of square A that task T1's footprint covers, and
 * the share of both squares (from the totals). */
static int example(const char *dir, double *share_out, double *total_share_out)
{
    char store_path[512], layer_path[512];
    snprintf(store_path, sizeof store_path, "%s/plan.sqlite", dir);
    snprintf(layer_path, sizeof layer_path, "%s/squares.geojson", dir);
    FILE *fp = fopen(layer_path, "w");
    if (!fp)
        return PK_ERR_IO;
    fputs(squares, fp);
    fclose(fp);

    struct pk_ctx *ctx = pk_ctx_new();
    struct pk_store *store = NULL;
    struct pk_table *t = NULL;
    struct pk_store_opts so = {.crs = "EPSG:4549", .measure_crs = "EPSG:4549"};
    struct pk_load_opts lo = {.source = layer_path, .name = "squares", .kind = "district"};
    struct pk_task_fields task;
    pk_task_fields_init(&task);
    task.id = "T1";
    task.title = "a park in the south-west quarter of A";
    /* the footprint: the south-west quarter of square A, 0.25 km² */
    struct pk_attach_opts ao = {.geom = "POLYGON((600000 3430000, 600500 3430000, 600500 3430500, "
                                        "600000 3430500, 600000 3430000))",
                                .s_srs = "EPSG:4549"};
    struct pk_coverage_opts co = {.by_layer = "squares"};
    struct pk_coverage_totals totals;
    long long linked = 0;
    int rc = ctx ? pk_store_create(ctx, store_path, &so, &store) : PK_ERR_NOMEM;
    if (rc == PK_OK)
        rc = pk_layer_load(store, &lo, NULL, NULL, NULL);
    if (rc == PK_OK)
        rc = pk_task_add(store, &task);
    if (rc == PK_OK)
        rc = pk_task_attach(store, "T1", &ao, &linked);
    if (rc == PK_OK)
        rc = pk_coverage_with_totals(store, &co, &t, &totals, NULL, NULL);
    if (rc == PK_OK) {
        /* one row per feature, in fid order; numbers with all their digits */
        int name = pk_table_col(t, "name"), share = pk_table_col(t, "share");
        const char *a = pk_table_get(t, 0, name);
        double v = -1;
        *share_out = t->nrows == 2 && a && !strcmp(a, "A") && pk_table_get_real(t, 0, share, &v) ? v : -1;
        /* the whole layer: numbers in a struct, areas in m² */
        *total_share_out = totals.features == 2 && totals.tasks == 1 ? totals.covered_m2 / totals.area_m2 : -1;
        pk_coverage_totals_release(&totals);
    } else if (ctx) {
        fprintf(stderr, "plankit: %s\n", pk_errmsg(ctx));
    }
    pk_table_free(t);
    pk_store_close(store);
    pk_ctx_free(ctx);
    return rc;
}

static void test_example(void **state)
{
    (void)state;
    char dir[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/plankit-test_public_api.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    double share = -1, total_share = -1;
    assert_int_equal(example(dir, &share, &total_share), PK_OK);
    assert_true(fabs(share - 0.25) < 1e-12);
    assert_true(fabs(total_share - 0.125) < 1e-12);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_example)};
    return cmocka_run_group_tests_name("public_api", tests, NULL, NULL);
}
