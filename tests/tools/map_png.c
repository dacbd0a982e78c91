/* map_png.c — image checks for the printed-map tests (tests/cli/t6110-map.sh),
 * independent of plankit's code (PNGs read with Cairo):
 *   map_png ssim A.png B.png      the mean SSIM of the two images' luminance
 *                                 (8x8 windows, stride 4); same size required
 *   map_png size A.png            "WIDTH HEIGHT"
 *   map_png darkrun A.png Y X0 X1 the first and last x in [X0, X1] of row Y
 *                                 whose luminance is under 96 ("-1 -1": none)
 * Exit 0, or 2 with a message on a bad argument or an unreadable file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

struct gray {
    int w, h;
    double *v; /* 0..255 */
};

static int load(const char *path, struct gray *g)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "map_png: %s: %s\n", path, cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return -1;
    }
    cairo_format_t f = cairo_image_surface_get_format(s);
    if (f != CAIRO_FORMAT_RGB24 && f != CAIRO_FORMAT_ARGB32) {
        fprintf(stderr, "map_png: %s: not an RGB image\n", path);
        cairo_surface_destroy(s);
        return -1;
    }
    g->w = cairo_image_surface_get_width(s), g->h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    g->v = malloc(sizeof *g->v * (size_t)g->w * (size_t)g->h + 1);
    if (!g->v) {
        cairo_surface_destroy(s);
        return -1;
    }
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) {
            unsigned px = *(const unsigned *)(d + (size_t)y * (size_t)stride + 4 * (size_t)x);
            double r = (px >> 16) & 255, gr = (px >> 8) & 255, b = px & 255;
            g->v[(size_t)y * (size_t)g->w + (size_t)x] = 0.299 * r + 0.587 * gr + 0.114 * b;
        }
    cairo_surface_destroy(s);
    return 0;
}

/* Mean SSIM over 8x8 windows every 4 pixels (Wang et al. 2004 constants). */
static double ssim(const struct gray *a, const struct gray *b)
{
    const double c1 = 6.5025, c2 = 58.5225;
    double sum = 0;
    long n = 0;
    for (int y = 0; y + 8 <= a->h; y += 4)
        for (int x = 0; x + 8 <= a->w; x += 4) {
            double ma = 0, mb = 0, va = 0, vb = 0, cov = 0;
            for (int j = 0; j < 8; j++)
                for (int i = 0; i < 8; i++) {
                    size_t k = (size_t)(y + j) * (size_t)a->w + (size_t)(x + i);
                    ma += a->v[k], mb += b->v[k];
                }
            ma /= 64, mb /= 64;
            for (int j = 0; j < 8; j++)
                for (int i = 0; i < 8; i++) {
                    size_t k = (size_t)(y + j) * (size_t)a->w + (size_t)(x + i);
                    double da = a->v[k] - ma, db = b->v[k] - mb;
                    va += da * da, vb += db * db, cov += da * db;
                }
            va /= 63, vb /= 63, cov /= 63;
            sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n++;
        }
    return n ? sum / (double)n : 0;
}

int main(int argc, char **argv)
{
    struct gray a = {0}, b = {0};
    int rc = 2;
    if (argc == 4 && !strcmp(argv[1], "ssim")) {
        if (load(argv[2], &a) == 0 && load(argv[3], &b) == 0) {
            if (a.w != b.w || a.h != b.h)
                fprintf(stderr, "map_png: sizes differ: %dx%d and %dx%d\n", a.w, a.h, b.w, b.h);
            else
                printf("%.4f\n", ssim(&a, &b)), rc = 0;
        }
    } else if (argc == 3 && !strcmp(argv[1], "size")) {
        if (load(argv[2], &a) == 0)
            printf("%d %d\n", a.w, a.h), rc = 0;
    } else if (argc == 6 && !strcmp(argv[1], "darkrun")) {
        int y = atoi(argv[3]), x0 = atoi(argv[4]), x1 = atoi(argv[5]), first = -1, last = -1;
        if (load(argv[2], &a) == 0 && y >= 0 && y < a.h) {
            for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < a.w; x++)
                if (a.v[(size_t)y * (size_t)a.w + (size_t)x] < 96) {
                    if (first < 0)
                        first = x;
                    last = x;
                }
            printf("%d %d\n", first, last), rc = 0;
        }
    } else {
        fprintf(stderr, "usage: map_png ssim A.png B.png | size A.png | darkrun A.png Y X0 X1\n");
    }
    free(a.v);
    free(b.v);
    return rc;
}
