/* sink.c — the feature-sink front: opens a sink of the kind its output
 * names, keeps the state every kind shares (columns, feature count,
 * geometry families and the registry kind they give) and calls the kind's
 * ops (sink_store.c, sink_file.c). Also the file-name helpers the file sink
 * and layer export share: the format of an extension, moving a finished
 * temporary folder into place. */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "geom_int.h"
#include "sink_int.h"

/* Layer names are letters, digits, '_' and '-' (pk_layer_name_problem), so
 * a '/' or a '.' can only be a path: "result" is a layer, "result.gpkg" and
 * "./result" are files. */
int pk_sink_is_file(const char *out)
{
    return strchr(out, '/') || strchr(out, '.');
}

/* By the last extension only ("a.tar.gpkg" is a GeoPackage), any case;
 * .json is GeoJSON, as people name it. */
const char *pk_format_for_path(const char *path)
{
    static const char *map[][2] = {
        {".gpkg", "GPKG"}, {".geojson", "GeoJSON"}, {".json", "GeoJSON"}, {".shp", "ESRI Shapefile"},
        {".csv", "CSV"}, {".fgb", "FlatGeobuf"}, {".kml", "KML"}, {".gml", "GML"}, {".sqlite", "SQLite"},
        {".dxf", "DXF"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(dot, map[i][0]))
            return map[i][1];
    return NULL;
}

/* Free the shared state (the kind's impl must be gone already). */
static void sink_free(struct pk_sink *s)
{
    for (int i = 0; s->cols && i < s->ncols; i++)
        free(s->cols[i].name);
    free(s->cols);
    free(s->out);
    free(s->title);
    free(s->source);
    free(s);
}

/* A sink with copies of the arguments, or NULL when out of memory. */
static struct pk_sink *sink_new(const struct pk_sink_ops *ops, struct pk_store *store, const char *out,
                                const char *title, const char *source, const struct pk_column *cols, int ncols)
{
    struct pk_sink *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ops = ops;
    s->store = store;
    s->ctx = pk_store_ctx(store);
    s->ncols = ncols;
    s->out = strdup(out);
    s->title = title ? strdup(title) : NULL;
    s->source = strdup(source ? source : "analysis");
    s->cols = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *s->cols);
    int ok = s->out && s->source && s->cols && (!title || s->title);
    for (int i = 0; ok && i < ncols; i++) {
        s->cols[i].type = cols[i].type;
        ok = (s->cols[i].name = strdup(cols[i].name)) != NULL;
    }
    if (!ok) {
        sink_free(s);
        return NULL;
    }
    return s;
}

/* begin's contract is that it cleaned up after itself; abort is still
 * called (it accepts s->impl == NULL) so a kind that half-began cannot
 * leak. */
int pk_sink_open_ops(const struct pk_sink_ops *ops, struct pk_store *store, const char *out, const char *title,
                     const char *source, const struct pk_column *cols, int ncols, struct pk_sink **sinkp)
{
    *sinkp = NULL;
    struct pk_sink *s = sink_new(ops, store, out, title, source, cols, ncols);
    if (!s)
        return pk_error(pk_store_ctx(store), PK_ERR_NOMEM, "out of memory");
    int rc = ops->begin(s);
    if (rc != PK_OK) {
        ops->abort(s);
        sink_free(s);
        return rc;
    }
    *sinkp = s;
    return PK_OK;
}

int pk_sink_open(struct pk_store *store, const char *out, const char *title, const char *source,
                 const struct pk_column *cols, int ncols, struct pk_sink **sinkp)
{
    const struct pk_sink_ops *ops = pk_sink_is_file(out) ? &pk_sink_file_ops : &pk_sink_store_ops;
    return pk_sink_open_ops(ops, store, out, title, source, cols, ncols, sinkp);
}

/* The PK_FAMILY_* bits of a geometry's non-empty parts. */
static unsigned families_of(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    if (GEOSisEmpty_r(h, g) != 0)
        return 0;
    switch (GEOSGeomTypeId_r(h, g)) {
    case GEOS_POLYGON:
    case GEOS_MULTIPOLYGON:
        return PK_FAMILY_AREA;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
    case GEOS_MULTILINESTRING:
        return PK_FAMILY_LINE;
    case GEOS_POINT:
    case GEOS_MULTIPOINT:
        return PK_FAMILY_POINT;
    default: {
        unsigned f = 0;
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++)
            f |= families_of(h, GEOSGetGeometryN_r(h, g, i));
        return f;
    }
    }
}

/* Families and the count follow what was written, so a feature the kind
 * refused does not change the layer's registered kind. */
int pk_sink_write(struct pk_sink *s, const GEOSGeometry *g, const char *const *values)
{
    int rc = s->ops->add_feature(s, g, values);
    if (rc != PK_OK)
        return rc;
    if (g)
        s->families |= families_of(pk_geos(s->ctx), g);
    s->count++;
    return PK_OK;
}

/* The shared state is freed whatever commit returned: a failed commit has
 * already discarded the output (pk_sink_ops.commit). */
int pk_sink_finish(struct pk_sink *s, long long *count)
{
    if (count)
        *count = s->count;
    int rc = s->ops->commit(s);
    sink_free(s);
    return rc;
}

void pk_sink_abort(struct pk_sink *s)
{
    if (!s)
        return;
    s->ops->abort(s);
    sink_free(s);
}

/* The highest dimension wins: a layer of polygons with a stray line is
 * still a zone layer, which coverage and overlay measure by area. */
const char *pk_sink_kind(const struct pk_sink *s)
{
    return s->families & PK_FAMILY_AREA ? "zone" : s->families & PK_FAMILY_LINE ? "line"
           : s->families & PK_FAMILY_POINT ? "point" : "zone";
}

const char *pk_sink_geometry_type(const struct pk_sink *s)
{
    switch (s->families) {
    case PK_FAMILY_AREA: return "MULTIPOLYGON";
    case PK_FAMILY_LINE: return "LINESTRING";
    case PK_FAMILY_POINT: return "POINT";
    default: return "GEOMETRY";
    }
}

/* Rename from to to, failing with EEXIST rather than replacing a file that
 * appeared meanwhile (rename(2) itself where the file system has no
 * RENAME_NOREPLACE). */
static int rename_noreplace(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (access(to, F_OK) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

/* A shapefile is several files (.shp, .shx, .dbf, .prj, ...): they move
 * one by one, and when one cannot (its name was taken meanwhile) the ones
 * already moved go back, so the output appears whole or not at all. */
int pk_fs_move_all(struct pk_ctx *ctx, const char *dir, const char *dest_dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return pk_error(ctx, PK_ERR_IO, "cannot read the folder '%s': %s", dir, strerror(errno));
    struct dirent *e;
    int rc = PK_OK;
    char from[4096], to[4096];
    while (rc == PK_OK && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dest_dir, e->d_name);
        if (rename_noreplace(from, to) != 0)
            rc = pk_error(ctx, PK_ERR_IO, "cannot move '%s' into place: %s", to, strerror(errno));
    }
    if (rc != PK_OK) { /* put back what was moved: all the files or none */
        rewinddir(d);
        while ((e = readdir(d)) != NULL) {
            snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
            snprintf(to, sizeof to, "%s/%s", dest_dir, e->d_name);
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && access(from, F_OK) != 0)
                rename(to, from);
        }
    }
    closedir(d);
    return rc;
}

/* Remove the files of dir, then dir. One level only: the temporary
 * folders plankit makes hold files only. Errors are ignored (this is the
 * clean-up of a failure already reported). */
void pk_fs_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Beside the final path, not in /tmp: the move into place must be a
 * rename(2) on one file system, so the output appears whole at once. */
int pk_fs_temp_beside(struct pk_ctx *ctx, const char *path, char **tmpdir, char **tmpfile)
{
    char *dir = strdup(path), *base = strdup(path);
    char tmpl[4096];
    int rc = dir && base ? PK_OK : pk_error(ctx, PK_ERR_NOMEM, "out of memory"), made = 0;
    *tmpdir = *tmpfile = NULL;
    if (rc == PK_OK && (size_t)snprintf(tmpl, sizeof tmpl, "%s/.plankit-out-XXXXXX", dirname(dir)) >= sizeof tmpl)
        rc = pk_error(ctx, PK_ERR_ARGS, "the output path '%s' is too long", path);
    if (rc == PK_OK && !(made = mkdtemp(tmpl) != NULL))
        rc = pk_error(ctx, PK_ERR_IO, "cannot write in the folder of '%s': %s", path, strerror(errno));
    if (rc == PK_OK && (!(*tmpdir = strdup(tmpl)) || asprintf(tmpfile, "%s/%s", tmpl, basename(base)) < 0)) {
        *tmpfile = NULL;
        rc = pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    }
    if (rc != PK_OK) {
        if (made)
            rmdir(tmpl);
        free(*tmpdir);
        *tmpdir = NULL;
    }
    free(dir);
    free(base);
    return rc;
}

/* (dirname modifies its argument: it gets a copy.) */
int pk_fs_move_into_place(struct pk_ctx *ctx, const char *tmpdir, const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return pk_error(ctx, PK_ERR_NOMEM, "out of memory");
    int rc = pk_fs_move_all(ctx, tmpdir, dirname(dir));
    free(dir);
    return rc;
}
