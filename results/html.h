/* html — the small drawing kit of the HTML report: HTML escaping and inline SVG
 * primitives (a plot frame with axes and ticks, scales, polylines, circles, text).
 *
 * Everything is appended to a strbuf_t as text; nothing can fail. Every string that
 * may come from a study file (names, parameter choices, errors) goes through
 * html_esc, which leaves no character that HTML or SVG could read as markup. Colours
 * and strokes are CSS classes (html_css), so the output stays small and consistent. */
#ifndef HPS_HTML_H
#define HPS_HTML_H

#include <stdbool.h>

#include "core/util.h"

/* Append s with &, <, >, " and ' escaped (safe in text and in quoted attributes). */
void html_esc(strbuf_t *sb, const char *s);
/* The same for at most max bytes of s, with "…" when cut (never inside a UTF-8
 * sequence). */
void html_esc_max(strbuf_t *sb, const char *s, size_t max);
/* A number as short text ("0.0123", "1.2e+05", "-"): 4 significant digits. */
void html_num(strbuf_t *sb, double v);

/* The report's style sheet (one <style> element's content). */
extern const char html_css[];

/* How a scale maps data to pixels. HTML_CAT: v is a category index 0..n_cats-1. */
typedef enum { HTML_LIN = 0, HTML_LOG, HTML_CAT } html_kind_t;

typedef struct {
    html_kind_t kind;
    double lo, hi;           /* range shown (HTML_LOG: both > 0) */
    double dlo, dhi;         /* html_scale_fit: the data's own range, before padding */
    int n_cats;              /* HTML_CAT */
    const char *const *cats; /* HTML_CAT labels; borrowed */
    int cat_chars;           /* HTML_CAT: label bytes shown (0 = 12) */
    double p0, p1;           /* pixel range: lo maps to p0 */
} html_scale_t;

/* A scale over the finite values of v (n of them; HTML_LOG ignores values <= 0),
 * padded by 4% so that no mark sits on an axis; a range of one value widens around it.
 * Pixel range from html_frame. */
void html_scale_fit(html_scale_t *s, html_kind_t kind, const double *v, int n);
/* A categorical scale of n labels. */
void html_scale_cats(html_scale_t *s, const char *const *cats, int n);
/* Pixel position of v; NaN when v cannot be shown (NaN, or <= 0 on a log scale). */
double html_px(const html_scale_t *s, double v);

/* A plot: an SVG element of fixed pixel size with a data area inside margins. */
typedef struct {
    int w, h;                     /* whole SVG, pixels */
    int left, right, top, bottom; /* margins */
    html_scale_t x, y;
} html_frame_t;

/* Frame of w x h pixels with default margins; the scales' pixel ranges are set when
 * html_svg_begin draws it (y grows upwards). */
void html_frame(html_frame_t *f, int w, int h);
/* Open <svg class="plot" data-plot="kind"> with a title line (escaped); set the
 * scales' pixel ranges. */
void html_svg_begin(strbuf_t *sb, html_frame_t *f, const char *kind, const char *title);
/* Grid, ticks with labels, and axis labels (escaped; NULL = none). */
void html_axes(strbuf_t *sb, const html_frame_t *f, const char *xlabel, const char *ylabel);
void html_svg_end(strbuf_t *sb);

/* Marks; cls is a class of html_css; tip (escaped, NULL = none) shows on hover. */
void html_circle(strbuf_t *sb, double x, double y, double r, const char *cls, const char *tip);
void html_line(strbuf_t *sb, double x0, double y0, double x1, double y1, const char *cls);
/* A polyline through n points, skipping points whose coordinates are NaN. */
void html_polyline(strbuf_t *sb, const double *px, const double *py, int n, const char *cls);
void html_text(strbuf_t *sb, double x, double y, const char *cls, const char *text);
/* A message in the middle of an empty data area ("no complete trial"). */
void html_empty(strbuf_t *sb, const html_frame_t *f, const char *text);

void html_test(bool verbose);

#endif
