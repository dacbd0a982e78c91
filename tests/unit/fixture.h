/* fixture.h — what the unit tests share: a temporary folder with a store
 * made in it, files written there, and layers loaded from them. Include it
 * once per test program (its functions are static). */
#ifndef PLANKIT_TEST_FIXTURE_H
#define PLANKIT_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plankit/layer.h"
#include "plankit/store.h"

/* A GeoJSON "crs" member naming EPSG:4549 (CGCS2000 / 3-degree GK zone 40). */
#define FX_CRS_4549 "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::4549\"}},"

struct fixture {
    struct pk_ctx *ctx;
    struct pk_store *store;
    char dir[256];
};

/* name inside the fixture's folder */
static inline void fx_path(const struct fixture *f, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", f->dir, name);
}

/* Write text to the file name in the fixture's folder; 0 on success. */
static inline int fx_write(const struct fixture *f, const char *name, const char *text)
{
    char p[400];
    fx_path(f, name, p, sizeof p);
    FILE *fp = fopen(p, "w");
    if (!fp)
        return -1;
    fputs(text, fp);
    return fclose(fp);
}

/* A temporary folder named after the test, a context, and a store
 * "plan.sqlite" with storage and metric CRS crs (no store when crs is
 * NULL); 0 on success. */
static inline int fx_open(struct fixture *f, const char *test, const char *crs)
{
    memset(f, 0, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/plankit-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", test);
    if (!mkdtemp(f->dir) || !(f->ctx = pk_ctx_new()))
        return -1;
    if (!crs)
        return 0;
    char p[400];
    fx_path(f, "plan.sqlite", p, sizeof p);
    struct pk_store_opts o = {.crs = crs, .measure_crs = crs};
    return pk_store_create(f->ctx, p, &o, &f->store) == PK_OK ? 0 : -1;
}

/* Load file (in the folder) as layer name; returns the status. */
static inline int fx_load(struct fixture *f, const char *file, const char *name, const char *kind)
{
    char p[400];
    fx_path(f, file, p, sizeof p);
    struct pk_load_opts lo = {.source = p, .name = name, .kind = kind};
    return pk_layer_load(f->store, &lo, NULL, NULL, NULL);
}

/* Close the store and context and remove the folder with what is in it. */
static inline void fx_close(struct fixture *f)
{
    pk_store_close(f->store);
    pk_ctx_free(f->ctx);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    f->store = NULL;
    f->ctx = NULL;
}

#endif
