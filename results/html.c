/* html — escaping and SVG primitives for the HTML report (see html.h).
 *
 * Coordinates are written with one decimal: a plot is a few hundred pixels wide, so a
 * tenth of a pixel is below what a screen shows and keeps a 2,000-point plot small. */
#include "results/html.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* ---- text ------------------------------------------------------------------------- */

void html_esc(strbuf_t *sb, const char *s) { html_esc_max(sb, s, (size_t)-1); }

void html_esc_max(strbuf_t *sb, const char *s, size_t max)
{
    if (!s)
        return;
    size_t i = 0;
    for (; s[i] && i < max; i++) {
        switch (s[i]) {
        case '&': sb_puts(sb, "&amp;"); break;
        case '<': sb_puts(sb, "&lt;"); break;
        case '>': sb_puts(sb, "&gt;"); break;
        case '"': sb_puts(sb, "&quot;"); break;
        case '\'': sb_puts(sb, "&#39;"); break;
        default: sb_putc(sb, s[i]); break;
        }
    }
    if (s[i]) {
        /* cut at max: drop a partial UTF-8 sequence (continuation bytes 10xxxxxx) */
        while (sb->len && ((unsigned char)sb->buf[sb->len - 1] & 0xC0) == 0x80)
            sb->buf[--sb->len] = '\0';
        if (sb->len && ((unsigned char)sb->buf[sb->len - 1] & 0xC0) == 0xC0)
            sb->buf[--sb->len] = '\0';
        sb_puts(sb, "\xE2\x80\xA6");
    }
}

void html_num(strbuf_t *sb, double v)
{
    if (!isfinite(v))
        sb_puts(sb, "-");
    else
        sb_printf(sb, "%.4g", v == 0 ? 0 : v); /* no "-0" */
}

const char html_css[] =
    "body{font:14px/1.4 sans-serif;margin:16px;color:#222;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 4px;"
    "border-bottom:1px solid #ccc}h3{font-size:15px;margin:12px 0 4px}"
    ".meta{color:#555;margin:2px 0}"
    ".plots{display:flex;flex-wrap:wrap;gap:8px}"
    "svg.plot{background:#fff;border:1px solid #ddd;font:11px sans-serif}"
    "svg .title{font-size:13px;font-weight:bold}"
    "svg .ax{stroke:#666;stroke-width:1;fill:none}svg .grid{stroke:#eee;stroke-width:1}"
    "svg .lbl{fill:#444}svg .empty{fill:#999;font-size:13px}"
    "svg .pt{fill:#3b75af;fill-opacity:.55}svg .pr{fill:#e6862c;fill-opacity:.7}"
    "svg .fl{fill:#c33}svg .best{fill:#d62728;stroke:#000;stroke-width:1}"
    "svg .bestline{stroke:#d62728;stroke-width:2;fill:none}"
    "svg .curve{stroke:#3b75af;stroke-opacity:.35;fill:none}"
    "svg .curve.p{stroke:#e6862c;stroke-opacity:.6}"
    "svg .pc{fill:none;stroke-opacity:.45}svg .pc.b{stroke:#d62728;stroke-width:2.5;"
    "stroke-opacity:1}"
    "svg .q0{stroke:#440154}svg .q1{stroke:#3b528b}svg .q2{stroke:#21918c}"
    "svg .q3{stroke:#5ec962}svg .q4{stroke:#c8b800}"
    "svg .bar{fill:#3b75af}svg .err{stroke:#222;stroke-width:1.5}"
    "svg .test{fill:#2ca02c;stroke:#000;stroke-width:.5}"
    "table{border-collapse:collapse;font-size:12px;margin-top:6px}"
    "td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}"
    "th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.PRUNED td{color:#a55a00}tr.FAIL td{color:#b00}tr.best td{background:#fdecea}"
    ".legend span{margin-right:12px}.sw{display:inline-block;width:10px;height:10px;"
    "margin-right:4px;vertical-align:middle}";

/* ---- scales ----------------------------------------------------------------------- */

void html_scale_fit(html_scale_t *s, html_kind_t kind, const double *v, int n)
{
    assert(kind != HTML_CAT);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        double t = kind == HTML_LOG ? (v[i] > 0 ? log10(v[i]) : NAN) : v[i];
        if (isfinite(t)) {
            lo = fmin(lo, t);
            hi = fmax(hi, t);
        }
    }
    if (!isfinite(lo))
        lo = 0, hi = 1;
    if (hi - lo < 1e-12 * fmax(1, fabs(lo)))
        lo -= fmax(0.5, fabs(lo) * 0.1), hi += fmax(0.5, fabs(hi) * 0.1);
    double pad = (hi - lo) * 0.04;
    *s = (html_scale_t){.kind = kind,
                        .lo = lo - pad,
                        .hi = hi + pad,
                        .dlo = lo,
                        .dhi = hi,
                        .p0 = s->p0,
                        .p1 = s->p1};
    if (kind == HTML_LOG) {
        s->lo = pow(10, s->lo), s->hi = pow(10, s->hi);
        s->dlo = pow(10, lo), s->dhi = pow(10, hi);
    }
}

void html_scale_cats(html_scale_t *s, const char *const *cats, int n)
{
    *s = (html_scale_t){.kind = HTML_CAT,
                        .lo = -0.5,
                        .hi = n - 0.5,
                        .n_cats = n,
                        .cats = cats,
                        .p0 = s->p0,
                        .p1 = s->p1};
}

double html_px(const html_scale_t *s, double v)
{
    double lo = s->lo, hi = s->hi;
    if (s->kind == HTML_LOG) {
        if (!(v > 0))
            return NAN;
        v = log10(v), lo = log10(lo), hi = log10(hi);
    }
    if (!isfinite(v))
        return NAN;
    return s->p0 + (v - lo) / (hi - lo) * (s->p1 - s->p0);
}

/* ---- ticks ------------------------------------------------------------------------ */

#define S_TICKS_MAX 24

/* Round steps of 1, 2 or 5 times a power of ten, about 5 per axis. */
static int s_lin_ticks(double lo, double hi, double *t)
{
    double raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw))), norm = raw / mag;
    double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
    int n = 0;
    for (double v = ceil(lo / step) * step; v <= hi && n < S_TICKS_MAX; v += step)
        t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

/* Decades, with 2 and 5 between them when the range spans fewer than two. */
static int s_log_ticks(double lo, double hi, double *t)
{
    static const double mult[] = {1, 2, 5};
    int n = 0, k0 = (int)floor(log10(lo)), k1 = (int)ceil(log10(hi));
    bool fine = k1 - k0 <= 2;
    for (int k = k0; k <= k1; k++)
        for (int m = 0; m < (fine ? 3 : 1) && n < S_TICKS_MAX; m++) {
            double v = mult[m] * pow(10, k);
            if (v >= lo && v <= hi && (k1 - k0 <= 8 || k % 2 == 0))
                t[n++] = v;
        }
    return n >= 2 ? n : s_lin_ticks(lo, hi, t);
}

static int s_ticks(const html_scale_t *s, double *t)
{
    if (s->kind == HTML_LOG)
        return s_log_ticks(s->lo, s->hi, t);
    if (s->kind == HTML_LIN)
        return s_lin_ticks(s->lo, s->hi, t);
    int every = s->n_cats / S_TICKS_MAX + 1, n = 0;
    for (int i = 0; i < s->n_cats; i += every)
        t[n++] = i;
    return n;
}

static void s_tick_label(strbuf_t *sb, const html_scale_t *s, double v)
{
    if (s->kind == HTML_CAT)
        html_esc_max(sb, s->cats[(int)v], s->cat_chars ? (size_t)s->cat_chars : 12);
    else
        html_num(sb, v);
}

/* ---- frame and axes --------------------------------------------------------------- */

void html_frame(html_frame_t *f, int w, int h)
{
    *f = (html_frame_t){.w = w, .h = h, .left = 62, .right = 14, .top = 26, .bottom = 40};
}

void html_svg_begin(strbuf_t *sb, html_frame_t *f, const char *kind, const char *title)
{
    f->x.p0 = f->left, f->x.p1 = f->w - f->right;
    f->y.p0 = f->h - f->bottom, f->y.p1 = f->top;
    sb_printf(sb,
              "<svg class=\"plot\" data-plot=\"%s\" width=\"%d\" height=\"%d\""
              " viewBox=\"0 0 %d %d\">",
              kind, f->w, f->h, f->w, f->h);
    sb_puts(sb, "<text class=\"title\" x=\"8\" y=\"17\">");
    html_esc_max(sb, title, 90);
    sb_puts(sb, "</text>");
}

void html_axes(strbuf_t *sb, const html_frame_t *f, const char *xlabel, const char *ylabel)
{
    double t[S_TICKS_MAX];
    double x0 = f->x.p0, x1 = f->x.p1, y0 = f->y.p0, y1 = f->y.p1;
    int n = s_ticks(&f->x, t);
    for (int i = 0; i < n; i++) {
        double px = html_px(&f->x, t[i]);
        html_line(sb, px, y0, px, y1, "grid");
        sb_printf(sb, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px,
                  y0 + 14);
        s_tick_label(sb, &f->x, t[i]);
        sb_puts(sb, "</text>");
    }
    n = s_ticks(&f->y, t);
    for (int i = 0; i < n; i++) {
        double py = html_px(&f->y, t[i]);
        html_line(sb, x0, py, x1, py, "grid");
        sb_printf(sb, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 4,
                  py + 4);
        s_tick_label(sb, &f->y, t[i]);
        sb_puts(sb, "</text>");
    }
    sb_printf(sb, "<path class=\"ax\" d=\"M%.1f %.1fV%.1fH%.1f\"/>", x0, y1, y0, x1);
    if (xlabel) {
        sb_printf(sb, "<text class=\"lbl\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                  (x0 + x1) / 2, f->h - 6);
        html_esc_max(sb, xlabel, 60);
        sb_puts(sb, "</text>");
    }
    if (ylabel) {
        sb_printf(sb,
                  "<text class=\"lbl\" transform=\"translate(12 %.1f) rotate(-90)\""
                  " text-anchor=\"middle\">",
                  (y0 + y1) / 2);
        html_esc_max(sb, ylabel, 40);
        sb_puts(sb, "</text>");
    }
}

void html_svg_end(strbuf_t *sb) { sb_puts(sb, "</svg>\n"); }

/* ---- marks ------------------------------------------------------------------------ */

void html_circle(strbuf_t *sb, double x, double y, double r, const char *cls, const char *tip)
{
    if (!isfinite(x) || !isfinite(y))
        return;
    sb_printf(sb, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"", cls, x, y, r);
    if (!tip) {
        sb_puts(sb, "/>");
        return;
    }
    sb_puts(sb, "><title>");
    html_esc(sb, tip);
    sb_puts(sb, "</title></circle>");
}

void html_line(strbuf_t *sb, double x0, double y0, double x1, double y1, const char *cls)
{
    if (isfinite(x0) && isfinite(y0) && isfinite(x1) && isfinite(y1))
        sb_printf(sb, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", cls,
                  x0, y0, x1, y1);
}

void html_polyline(strbuf_t *sb, const double *px, const double *py, int n, const char *cls)
{
    sb_printf(sb, "<polyline class=\"%s\" points=\"", cls);
    bool first = true;
    for (int i = 0; i < n; i++) {
        if (!isfinite(px[i]) || !isfinite(py[i]))
            continue;
        sb_printf(sb, "%s%.1f,%.1f", first ? "" : " ", px[i], py[i]);
        first = false;
    }
    sb_puts(sb, "\"/>");
}

void html_text(strbuf_t *sb, double x, double y, const char *cls, const char *text)
{
    sb_printf(sb, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\">", cls, x, y);
    html_esc(sb, text);
    sb_puts(sb, "</text>");
}

void html_empty(strbuf_t *sb, const html_frame_t *f, const char *text)
{
    sb_printf(sb, "<text class=\"empty\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", f->w / 2,
              f->h / 2);
    html_esc(sb, text);
    sb_puts(sb, "</text>");
}

/* ---- self-test -------------------------------------------------------------------- */

void html_test(bool verbose)
{
    (void)verbose;
    strbuf_t sb;
    sb_init(&sb);
    html_esc(&sb, "<a href=\"x\">'&'</a>");
    assert(strcmp(sb.buf, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;") == 0);
    sb_free(&sb);
    sb_init(&sb);
    html_esc_max(&sb, "ab\xC3\xA9z", 3); /* cut inside é: dropped whole */
    assert(strcmp(sb.buf, "ab\xE2\x80\xA6") == 0);
    sb_free(&sb);

    html_frame_t f;
    html_frame(&f, 400, 300);
    double v[] = {1e-4, 1e-2, 1, NAN, -1};
    html_scale_fit(&f.x, HTML_LOG, v, 5);
    assert(f.x.lo < 1e-4 && f.x.hi > 1 && f.x.lo > 0);
    double t[S_TICKS_MAX];
    int n = s_ticks(&f.x, t);
    assert(n == 5 && t[0] == 1e-4 && t[4] == 1);
    sb_init(&sb);
    html_svg_begin(&sb, &f, "x", "t<");
    assert(html_px(&f.x, -1) != html_px(&f.x, -1)); /* NaN: not on a log axis */
    assert(fabs(html_px(&f.x, 1e-2) - (f.x.p0 + f.x.p1) / 2) < 1e-6);
    html_scale_fit(&f.y, HTML_LIN, v, 1); /* one value: widened around it */
    assert(f.y.lo < 1e-4 && f.y.hi > 1e-4);
    html_axes(&sb, &f, "x", "y");
    html_svg_end(&sb);
    assert(strstr(sb.buf, "t&lt;") && !strstr(sb.buf, "nan"));
    sb_free(&sb);
    n = s_lin_ticks(-0.3, 1.2, t);
    assert(n >= 4 && t[0] > -0.3 && t[n - 1] <= 1.2);
}
