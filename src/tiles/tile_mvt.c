/* tile_mvt.c — the vector tile encoder's tiles and layers: per-layer key and
 * value tables with deduplication, features encoded as they are added, and
 * the tile serialised as a Mapbox Vector Tile 2.1 protobuf message (written
 * by hand: Tile.layers = 3; Layer version 15, name 1, features 2, keys 3,
 * values 4, extent 5; Feature id 1, tags 2, type 3, geometry 4; Value
 * string 1, double 3, uint 5, sint 6, bool 7). */
#include "tile_mvt_int.h"

#include <stdlib.h>
#include <string.h>

#include "plankit/ctx.h"

/* A set of byte strings in insertion order with a hash index. */
struct intern {
    struct pk_tbuf bytes;   /* all strings, concatenated */
    size_t *off;            /* string k is bytes.data[off[k] .. off[k+1]) (off[n] = bytes.len) */
    size_t n, cap;
    uint32_t *slots;        /* open addressing: index + 1, 0 = empty */
    size_t nslots;
};

struct pk_mvt_layer {
    char *name;
    uint32_t extent;
    struct intern keys, values;
    struct pk_tbuf features;   /* encoded Layer.features fields */
    size_t nfeatures;
    struct pk_mvt_drops drops;
    struct pk_tbuf scratch;    /* one feature's body */
    struct pk_tbuf cmds;       /* its geometry commands */
    struct pk_tbuf tags;       /* its packed tags */
    struct pk_tbuf value;      /* one encoded Value */
};

struct pk_mvt_tile {
    struct pk_mvt_layer **layers;
    size_t n, cap;
};

static void intern_free(struct intern *t)
{
    pk_tbuf_free(&t->bytes);
    free(t->off);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static const uint8_t *intern_get(const struct intern *t, size_t k, size_t *len)
{
    size_t end = k + 1 < t->n ? t->off[k + 1] : t->bytes.len;
    *len = end - t->off[k];
    return t->bytes.data + t->off[k];
}

/* Rebuild the hash index with room for twice the strings. */
static int intern_rehash(struct intern *t)
{
    size_t nslots = t->nslots ? 2 * t->nslots : 64;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t k = 0; k < t->n; k++) {
        size_t len;
        const uint8_t *p = intern_get(t, k, &len);
        size_t s = pk_hash64(p, len) & (nslots - 1);
        while (slots[s])
            s = (s + 1) & (nslots - 1);
        slots[s] = (uint32_t)(k + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

/* The index of p[0..n) in t, added if new; -1 when out of memory. */
static long intern_add(struct intern *t, const void *p, size_t n)
{
    if (2 * (t->n + 1) > t->nslots && intern_rehash(t) != 0)
        return -1;
    size_t s = pk_hash64(p, n) & (t->nslots - 1);
    for (; t->slots[s]; s = (s + 1) & (t->nslots - 1)) {
        size_t len, k = t->slots[s] - 1;
        const uint8_t *q = intern_get(t, k, &len);
        if (len == n && memcmp(q, p, n) == 0)
            return (long)k;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 32;
        size_t *off = realloc(t->off, cap * sizeof *off);
        if (!off)
            return -1;
        t->off = off;
        t->cap = cap;
    }
    size_t at = t->bytes.len;
    pk_tbuf_append(&t->bytes, p, n);
    if (t->bytes.oom)
        return -1;
    t->off[t->n] = at;
    t->slots[s] = (uint32_t)(t->n + 1);
    return (long)t->n++;
}

struct pk_mvt_tile *pk_mvt_tile_new(void)
{
    return calloc(1, sizeof(struct pk_mvt_tile));
}

static void layer_free(struct pk_mvt_layer *l)
{
    if (!l)
        return;
    free(l->name);
    intern_free(&l->keys);
    intern_free(&l->values);
    pk_tbuf_free(&l->features);
    pk_tbuf_free(&l->scratch);
    pk_tbuf_free(&l->cmds);
    pk_tbuf_free(&l->tags);
    pk_tbuf_free(&l->value);
    free(l);
}

void pk_mvt_tile_free(struct pk_mvt_tile *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        layer_free(t->layers[i]);
    free(t->layers);
    free(t);
}

int pk_mvt_tile_add_layer(struct pk_mvt_tile *t, const char *name, uint32_t extent,
                          struct pk_mvt_layer **layer)
{
    *layer = NULL;
    if (!name || !*name)
        return PK_ERR_ARGS;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->layers[i]->name, name) == 0)
            return PK_ERR_EXISTS;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 4;
        struct pk_mvt_layer **p = realloc(t->layers, cap * sizeof *p);
        if (!p)
            return PK_ERR_NOMEM;
        t->layers = p;
        t->cap = cap;
    }
    struct pk_mvt_layer *l = calloc(1, sizeof *l);
    if (!l || !(l->name = strdup(name))) {
        free(l);
        return PK_ERR_NOMEM;
    }
    l->extent = extent ? extent : PK_MVT_EXTENT;
    t->layers[t->n++] = l;
    *layer = l;
    return PK_OK;
}

/* Encode one attribute value as a Value message into l->value. */
static int encode_value(struct pk_mvt_layer *l, const struct pk_mvt_attr *a)
{
    struct pk_tbuf *v = &l->value;
    v->len = 0;
    switch (a->type) {
    case PK_MVT_STRING:
        if (!a->v.s)
            return PK_ERR_ARGS;
        pk_tbuf_bytes_field(v, 1, a->v.s, strlen(a->v.s));
        break;
    case PK_MVT_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &a->v.d, sizeof bits);
        pk_tbuf_tag(v, 3, PK_PB_FIXED64);
        pk_tbuf_fixed64_le(v, bits);
        break;
    }
    case PK_MVT_INT:
        if (a->v.i >= 0)
            pk_tbuf_varint_field(v, 5, (uint64_t)a->v.i);
        else
            pk_tbuf_varint_field(v, 6, pk_zigzag64(a->v.i));
        break;
    case PK_MVT_BOOL:
        pk_tbuf_varint_field(v, 7, a->v.b ? 1 : 0);
        break;
    default:
        return PK_ERR_ARGS;
    }
    return v->oom ? PK_ERR_NOMEM : PK_OK;
}

/* PK_OK if attrs can be encoded: keys set and distinct (the spec: one value
 * per key in a feature), strings set, known types. Checked before anything
 * is added to the layer's tables. */
static int check_attrs(const struct pk_mvt_attr *attrs, size_t nattrs)
{
    for (size_t i = 0; i < nattrs; i++) {
        if (!attrs[i].key || (attrs[i].type == PK_MVT_STRING && !attrs[i].v.s) ||
            attrs[i].type < PK_MVT_STRING || attrs[i].type > PK_MVT_BOOL)
            return PK_ERR_ARGS;
        for (size_t j = 0; j < i; j++)
            if (strcmp(attrs[i].key, attrs[j].key) == 0)
                return PK_ERR_ARGS;
    }
    return PK_OK;
}

/* The packed tags of a feature (key index, value index pairs) into l->tags. */
static int encode_tags(struct pk_mvt_layer *l, const struct pk_mvt_attr *attrs, size_t nattrs)
{
    l->tags.len = 0;
    for (size_t i = 0; i < nattrs; i++) {
        int rc = encode_value(l, &attrs[i]);
        if (rc != PK_OK)
            return rc;
        long k = intern_add(&l->keys, attrs[i].key, strlen(attrs[i].key));
        long v = intern_add(&l->values, l->value.data, l->value.len);
        if (k < 0 || v < 0)
            return PK_ERR_NOMEM;
        pk_tbuf_varint(&l->tags, (uint64_t)k);
        pk_tbuf_varint(&l->tags, (uint64_t)v);
    }
    return l->tags.oom ? PK_ERR_NOMEM : PK_OK;
}

/* Append a feature message: id, l->tags, type, geometry commands cmds. */
static int append_feature(struct pk_mvt_layer *l, int has_id, uint64_t id, enum pk_mvt_geom_type type,
                          const void *cmds, size_t len)
{
    struct pk_tbuf *f = &l->scratch;
    f->len = 0;
    if (has_id)
        pk_tbuf_varint_field(f, 1, id);
    if (l->tags.len)
        pk_tbuf_bytes_field(f, 2, l->tags.data, l->tags.len);
    pk_tbuf_varint_field(f, 3, (uint64_t)type);
    pk_tbuf_bytes_field(f, 4, cmds, len);
    pk_tbuf_bytes_field(&l->features, 2, f->data, f->len);
    if (f->oom || l->features.oom)
        return PK_ERR_NOMEM;
    l->nfeatures++;
    return PK_OK;
}

int pk_mvt_layer_add_feature(struct pk_mvt_layer *l, int has_id, uint64_t id,
                             const struct pk_mvt_geom *g, const struct pk_mvt_attr *attrs,
                             size_t nattrs, struct pk_mvt_drops *drops)
{
    struct pk_mvt_drops d = {0, 0, 0};
    size_t nparts = 0;
    l->cmds.len = 0;
    if (g->type < PK_MVT_POINT || g->type > PK_MVT_POLYGON || check_attrs(attrs, nattrs) != PK_OK)
        return PK_ERR_ARGS;
    int rc = pk_mvt_geom_encode(g, &l->cmds, &nparts, &d);
    if (rc == PK_OK && nparts == 0)
        d.features++;
    else if (rc == PK_OK)
        rc = encode_tags(l, attrs, nattrs);
    if (rc == PK_OK && nparts > 0)
        rc = append_feature(l, has_id, id, g->type, l->cmds.data, l->cmds.len);
    if (rc != PK_OK)
        return rc;
    l->drops.rings += d.rings;
    l->drops.lines += d.lines;
    l->drops.features += d.features;
    if (drops) {
        drops->rings += d.rings;
        drops->lines += d.lines;
        drops->features += d.features;
    }
    return PK_OK;
}

int pk_mvt_layer_add_encoded(struct pk_mvt_layer *l, int has_id, uint64_t id, enum pk_mvt_geom_type type,
                             const void *cmds, size_t len, const struct pk_mvt_attr *attrs, size_t nattrs)
{
    if (type < PK_MVT_POINT || type > PK_MVT_POLYGON || (len && !cmds) || check_attrs(attrs, nattrs) != PK_OK)
        return PK_ERR_ARGS;
    if (len == 0)
        return PK_OK;
    int rc = encode_tags(l, attrs, nattrs);
    return rc == PK_OK ? append_feature(l, has_id, id, type, cmds, len) : rc;
}

size_t pk_mvt_layer_nfeatures(const struct pk_mvt_layer *l) { return l->nfeatures; }
struct pk_mvt_drops pk_mvt_layer_drops(const struct pk_mvt_layer *l) { return l->drops; }
size_t pk_mvt_layer_nkeys(const struct pk_mvt_layer *l) { return l->keys.n; }
size_t pk_mvt_layer_nvalues(const struct pk_mvt_layer *l) { return l->values.n; }

size_t pk_mvt_tile_nfeatures(const struct pk_mvt_tile *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->layers[i]->nfeatures;
    return n;
}

/* One Layer message body into body (reset first). */
static void encode_layer(const struct pk_mvt_layer *l, struct pk_tbuf *body)
{
    body->len = 0;
    pk_tbuf_varint_field(body, 15, PK_MVT_VERSION);
    pk_tbuf_bytes_field(body, 1, l->name, strlen(l->name));
    pk_tbuf_append(body, l->features.data, l->features.len);
    for (size_t k = 0; k < l->keys.n; k++) {
        size_t len;
        const uint8_t *p = intern_get(&l->keys, k, &len);
        pk_tbuf_bytes_field(body, 3, p, len);
    }
    for (size_t k = 0; k < l->values.n; k++) {
        size_t len;
        const uint8_t *p = intern_get(&l->values, k, &len);
        pk_tbuf_bytes_field(body, 4, p, len);
    }
    pk_tbuf_varint_field(body, 5, l->extent);
}

int pk_mvt_tile_serialize(const struct pk_mvt_tile *t, int gzip, struct pk_tbuf *out)
{
    struct pk_tbuf raw = {0}, body = {0};
    for (size_t i = 0; i < t->n; i++) {
        if (t->layers[i]->nfeatures == 0)
            continue;
        encode_layer(t->layers[i], &body);
        pk_tbuf_bytes_field(&raw, 3, body.data, body.len);
    }
    int rc = (raw.oom || body.oom) ? PK_ERR_NOMEM : PK_OK;
    pk_tbuf_free(&body);
    if (rc == PK_OK && gzip)
        rc = pk_gzip(raw.data, raw.len, out) == 0 ? PK_OK : PK_ERR_NOMEM;
    else if (rc == PK_OK) {
        out->len = 0;
        pk_tbuf_append(out, raw.data, raw.len);
        rc = out->oom ? PK_ERR_NOMEM : PK_OK;
    }
    pk_tbuf_free(&raw);
    return rc;
}
