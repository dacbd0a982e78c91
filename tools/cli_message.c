/* cli_message.c — messages on stderr as one readable line: control
 * characters (a newline in a feature's name, GDAL's trailing newlines)
 * become spaces, and a name or word wider than 80 columns is cut in the
 * middle ("aaaa…aaaa"), whatever the data or the arguments hold. */
#include <string.h>

#include "cli.h"

#define MAX_COLUMNS 80
#define HEAD_COLUMNS 50
#define TAIL_COLUMNS 25

/* Does a quote at s[i] open a quoted name (start, or after a space or an
 * opening bracket), as in "layer 'towns'", and not an apostrophe (store's)? */
static int opens_quote(const char *s, size_t i)
{
    return s[i] == '\'' && (i == 0 || strchr(" ([{\"=:", s[i - 1]));
}

/* Length in bytes of the segment at s: a quoted name up to its closing
 * quote (one followed by the end, a space or punctuation), else a run of
 * non-spaces. */
static size_t segment_length(const char *s)
{
    if (opens_quote(s, 0))
        for (size_t i = 1; s[i]; i++)
            if (s[i] == '\'' && (!s[i + 1] || strchr(" ,.;:)]}\"", s[i + 1])))
                return i + 1;
    return strcspn(s, " ");
}

/* Print n bytes of s, control characters as spaces. */
static void put_clean(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], out);
}

/* Print the segment s[0..n), cut in the middle when wider than MAX_COLUMNS. */
static void put_segment(FILE *out, const char *s, size_t n)
{
    int total = 0, w;
    for (size_t i = 0; i < n; total += w)
        i += (size_t)cli_char_width(s + i, &w);
    if (total <= MAX_COLUMNS) {
        put_clean(out, s, n);
        return;
    }
    size_t head = 0, tail = n;
    for (int cols = 0; head < n;) {
        int bytes = cli_char_width(s + head, &w);
        if ((cols += w) > HEAD_COLUMNS)
            break;
        head += (size_t)bytes;
    }
    /* the tail: back from the end, a whole character at a time */
    for (int cols = 0; tail > head;) {
        size_t start = tail - 1;
        while (start > head && ((unsigned char)s[start] & 0xC0) == 0x80)
            start--;
        cli_char_width(s + start, &w);
        if ((cols += w) > TAIL_COLUMNS)
            break;
        tail = start;
    }
    put_clean(out, s, head);
    fputs("…", out);
    put_clean(out, s + tail, n - tail);
}

void cli_message(FILE *out, const char *prefix, const char *msg)
{
    fputs(prefix, out);
    for (size_t i = 0; msg[i];) {
        if (msg[i] == ' ') {
            fputc(' ', out);
            i++;
            continue;
        }
        size_t n = segment_length(msg + i);
        put_segment(out, msg + i, n);
        i += n;
    }
    fputc('\n', out);
}
