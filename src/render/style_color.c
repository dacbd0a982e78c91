/* style_color.c — CSS colours as the MapLibre style spec allows them:
 * #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(), rgba(), hsl(), hsla() and the CSS
 * named colours. Channels from percentages and hsl() are rounded to whole
 * 0..255 values, as CSS colour parsers do; alpha is clamped to 0..1. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "style_int.h"

struct named_color {
    const char *name;
    unsigned rgb;
};

/* The CSS Color Module Level 4 keywords, sorted for bsearch. */
static const struct named_color named[] = {
    {"aliceblue", 0xf0f8ff}, {"antiquewhite", 0xfaebd7}, {"aqua", 0x00ffff}, {"aquamarine", 0x7fffd4},
    {"azure", 0xf0ffff}, {"beige", 0xf5f5dc}, {"bisque", 0xffe4c4}, {"black", 0x000000},
    {"blanchedalmond", 0xffebcd}, {"blue", 0x0000ff}, {"blueviolet", 0x8a2be2}, {"brown", 0xa52a2a},
    {"burlywood", 0xdeb887}, {"cadetblue", 0x5f9ea0}, {"chartreuse", 0x7fff00}, {"chocolate", 0xd2691e},
    {"coral", 0xff7f50}, {"cornflowerblue", 0x6495ed}, {"cornsilk", 0xfff8dc}, {"crimson", 0xdc143c},
    {"cyan", 0x00ffff}, {"darkblue", 0x00008b}, {"darkcyan", 0x008b8b}, {"darkgoldenrod", 0xb8860b},
    {"darkgray", 0xa9a9a9}, {"darkgreen", 0x006400}, {"darkgrey", 0xa9a9a9}, {"darkkhaki", 0xbdb76b},
    {"darkmagenta", 0x8b008b}, {"darkolivegreen", 0x556b2f}, {"darkorange", 0xff8c00},
    {"darkorchid", 0x9932cc}, {"darkred", 0x8b0000}, {"darksalmon", 0xe9967a},
    {"darkseagreen", 0x8fbc8f}, {"darkslateblue", 0x483d8b}, {"darkslategray", 0x2f4f4f},
    {"darkslategrey", 0x2f4f4f}, {"darkturquoise", 0x00ced1}, {"darkviolet", 0x9400d3},
    {"deeppink", 0xff1493}, {"deepskyblue", 0x00bfff}, {"dimgray", 0x696969}, {"dimgrey", 0x696969},
    {"dodgerblue", 0x1e90ff}, {"firebrick", 0xb22222}, {"floralwhite", 0xfffaf0},
    {"forestgreen", 0x228b22}, {"fuchsia", 0xff00ff}, {"gainsboro", 0xdcdcdc}, {"ghostwhite", 0xf8f8ff},
    {"gold", 0xffd700}, {"goldenrod", 0xdaa520}, {"gray", 0x808080}, {"green", 0x008000},
    {"greenyellow", 0xadff2f}, {"grey", 0x808080}, {"honeydew", 0xf0fff0}, {"hotpink", 0xff69b4},
    {"indianred", 0xcd5c5c}, {"indigo", 0x4b0082}, {"ivory", 0xfffff0}, {"khaki", 0xf0e68c},
    {"lavender", 0xe6e6fa}, {"lavenderblush", 0xfff0f5}, {"lawngreen", 0x7cfc00},
    {"lemonchiffon", 0xfffacd}, {"lightblue", 0xadd8e6}, {"lightcoral", 0xf08080},
    {"lightcyan", 0xe0ffff}, {"lightgoldenrodyellow", 0xfafad2}, {"lightgray", 0xd3d3d3},
    {"lightgreen", 0x90ee90}, {"lightgrey", 0xd3d3d3}, {"lightpink", 0xffb6c1},
    {"lightsalmon", 0xffa07a}, {"lightseagreen", 0x20b2aa}, {"lightskyblue", 0x87cefa},
    {"lightslategray", 0x778899}, {"lightslategrey", 0x778899}, {"lightsteelblue", 0xb0c4de},
    {"lightyellow", 0xffffe0}, {"lime", 0x00ff00}, {"limegreen", 0x32cd32}, {"linen", 0xfaf0e6},
    {"magenta", 0xff00ff}, {"maroon", 0x800000}, {"mediumaquamarine", 0x66cdaa},
    {"mediumblue", 0x0000cd}, {"mediumorchid", 0xba55d3}, {"mediumpurple", 0x9370db},
    {"mediumseagreen", 0x3cb371}, {"mediumslateblue", 0x7b68ee}, {"mediumspringgreen", 0x00fa9a},
    {"mediumturquoise", 0x48d1cc}, {"mediumvioletred", 0xc71585}, {"midnightblue", 0x191970},
    {"mintcream", 0xf5fffa}, {"mistyrose", 0xffe4e1}, {"moccasin", 0xffe4b5},
    {"navajowhite", 0xffdead}, {"navy", 0x000080}, {"oldlace", 0xfdf5e6}, {"olive", 0x808000},
    {"olivedrab", 0x6b8e23}, {"orange", 0xffa500}, {"orangered", 0xff4500}, {"orchid", 0xda70d6},
    {"palegoldenrod", 0xeee8aa}, {"palegreen", 0x98fb98}, {"paleturquoise", 0xafeeee},
    {"palevioletred", 0xdb7093}, {"papayawhip", 0xffefd5}, {"peachpuff", 0xffdab9}, {"peru", 0xcd853f},
    {"pink", 0xffc0cb}, {"plum", 0xdda0dd}, {"powderblue", 0xb0e0e6}, {"purple", 0x800080},
    {"rebeccapurple", 0x663399}, {"red", 0xff0000}, {"rosybrown", 0xbc8f8f}, {"royalblue", 0x4169e1},
    {"saddlebrown", 0x8b4513}, {"salmon", 0xfa8072}, {"sandybrown", 0xf4a460}, {"seagreen", 0x2e8b57},
    {"seashell", 0xfff5ee}, {"sienna", 0xa0522d}, {"silver", 0xc0c0c0}, {"skyblue", 0x87ceeb},
    {"slateblue", 0x6a5acd}, {"slategray", 0x708090}, {"slategrey", 0x708090}, {"snow", 0xfffafa},
    {"springgreen", 0x00ff7f}, {"steelblue", 0x4682b4}, {"tan", 0xd2b48c}, {"teal", 0x008080},
    {"thistle", 0xd8bfd8}, {"tomato", 0xff6347}, {"turquoise", 0x40e0d0}, {"violet", 0xee82ee},
    {"wheat", 0xf5deb3}, {"white", 0xffffff}, {"whitesmoke", 0xf5f5f5}, {"yellow", 0xffff00},
    {"yellowgreen", 0x9acd32},
};

static int named_cmp(const void *key, const void *elem)
{
    return strcasecmp(key, ((const struct named_color *)elem)->name);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* #rgb, #rgba, #rrggbb, #rrggbbaa */
static int parse_hex(const char *s, struct pk_color *out)
{
    size_t n = strlen(s);
    int v[8];
    for (size_t i = 0; i < n; i++)
        if (n > 8 || (v[i] = hexval((unsigned char)s[i])) < 0)
            return 0;
    double ch[4] = {0, 0, 0, 255};
    if (n == 3 || n == 4) {
        for (size_t i = 0; i < n; i++)
            ch[i] = v[i] * 17;
    } else if (n == 6 || n == 8) {
        for (size_t i = 0; i < n / 2; i++)
            ch[i] = v[2 * i] * 16 + v[2 * i + 1];
    } else {
        return 0;
    }
    *out = (struct pk_color){ch[0], ch[1], ch[2], ch[3] / 255.0};
    return 1;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Split "a, b, c" (or "a b c / d") into up to 4 numbers; pct[i] tells which
 * ended in '%'. Returns the count, or -1 when malformed. */
static int parse_args(const char *s, double num[4], int pct[4])
{
    int n = 0;
    for (;;) {
        while (isspace((unsigned char)*s) || *s == ',' || *s == '/')
            s++;
        if (*s == ')')
            return *(s + 1 + strspn(s + 1, " \t")) ? -1 : n;
        if (n == 4)
            return -1;
        char *end;
        num[n] = strtod(s, &end);
        if (end == s || !isfinite(num[n]))
            return -1;
        pct[n] = *end == '%';
        s = end + pct[n];
        if (pct[n] == 0 && !strncasecmp(s, "deg", 3))
            s += 3;
        n++;
    }
}

static double hue_to_rgb(double m1, double m2, double h)
{
    if (h < 0)
        h += 1;
    else if (h > 1)
        h -= 1;
    if (h * 6 < 1)
        return m1 + (m2 - m1) * h * 6;
    if (h * 2 < 1)
        return m2;
    if (h * 3 < 2)
        return m1 + (m2 - m1) * (2.0 / 3 - h) * 6;
    return m1;
}

static double alpha_of(double v, int pct) { return clampd(pct ? v / 100 : v, 0, 1); }

static int parse_hsl(const double num[4], const int pct[4], int n, struct pk_color *out)
{
    if (n < 3 || pct[0] || !pct[1] || !pct[2])
        return 0;
    double h = fmod(fmod(num[0], 360) + 360, 360) / 360;
    double s = clampd(num[1] / 100, 0, 1), l = clampd(num[2] / 100, 0, 1);
    double m2 = l <= 0.5 ? l * (s + 1) : l + s - l * s, m1 = l * 2 - m2;
    out->r = round(clampd(hue_to_rgb(m1, m2, h + 1.0 / 3) * 255, 0, 255));
    out->g = round(clampd(hue_to_rgb(m1, m2, h) * 255, 0, 255));
    out->b = round(clampd(hue_to_rgb(m1, m2, h - 1.0 / 3) * 255, 0, 255));
    out->a = n == 4 ? alpha_of(num[3], pct[3]) : 1;
    return 1;
}

static int parse_rgb(const double num[4], const int pct[4], int n, struct pk_color *out)
{
    if (n < 3)
        return 0;
    double ch[3];
    for (int i = 0; i < 3; i++)
        ch[i] = pct[i] ? round(clampd(num[i], 0, 100) * 255 / 100) : round(clampd(num[i], 0, 255));
    *out = (struct pk_color){ch[0], ch[1], ch[2], n == 4 ? alpha_of(num[3], pct[3]) : 1};
    return 1;
}

/* rgb(), rgba(), hsl(), hsla() */
static int parse_function(const char *s, struct pk_color *out)
{
    const char *open = strchr(s, '(');
    if (!open)
        return 0;
    size_t len = (size_t)(open - s);
    double num[4];
    int pct[4];
    int n = parse_args(open + 1, num, pct);
    if (n < 0)
        return 0;
    if ((len == 3 && !strncasecmp(s, "rgb", 3)) || (len == 4 && !strncasecmp(s, "rgba", 4)))
        return parse_rgb(num, pct, n, out);
    if ((len == 3 && !strncasecmp(s, "hsl", 3)) || (len == 4 && !strncasecmp(s, "hsla", 4)))
        return parse_hsl(num, pct, n, out);
    return 0;
}

int pk_color_parse(const char *text, struct pk_color *out)
{
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '#')
        return parse_hex(text + 1, out);
    if (strchr(text, '('))
        return parse_function(text, out);
    if (!strcasecmp(text, "transparent")) {
        *out = (struct pk_color){0, 0, 0, 0};
        return 1;
    }
    const struct named_color *c = bsearch(text, named, sizeof named / sizeof named[0], sizeof named[0], named_cmp);
    if (!c)
        return 0;
    *out = (struct pk_color){c->rgb >> 16, (c->rgb >> 8) & 0xff, c->rgb & 0xff, 1};
    return 1;
}
