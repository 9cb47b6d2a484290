/* plots — one study's SVG plots (see plots.h). */
#include "results/plots.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/html.h"

/* ---- shared ------------------------------------------------------------------------ */

static double s_x(const rstudy_t *r, int t, int i)
{
    return r->x[(size_t)t * (size_t)r->nx + (size_t)i];
}

/* "#12: 0.8123" and the parameters, for a mark's hover text. Caller frees. */
static char *s_tip(const rstudy_t *r, int t)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb, "#%ld %s: %.6g", r->number[t], trial_state_name(r->state[t]), r->value[t]);
    for (int i = 0; i < r->nx; i++) {
        char *v = rstudy_param_text(r, t, i);
        sb_printf(&sb, "\n%s=%s", r->space->params[i].name, v);
        free(v);
    }
    return sb_take(&sb);
}

/* A trial's mark at (px, py); none outside the data area of f. */
static void s_point(strbuf_t *sb, const rstudy_t *r, int t, double px, double py,
                    const html_frame_t *f)
{
    if (!(py <= f->y.p0 + 1 && py >= f->y.p1 - 1))
        return;
    char *tip = s_tip(r, t);
    html_circle(sb, px, py, t == r->best ? 5 : 2.5,
                t == r->best                  ? "best"
                : r->state[t] == TRIAL_PRUNED ? "pr"
                                              : "pt",
                tip);
    free(tip);
}

/* Fit s to the values of the drawn COMPLETE trials (of the drawn PRUNED ones when no
 * trial completed): a pruned trial's value is an early, worse step that would squash
 * the complete ones (those out of range are not drawn). */
static void s_fit_values(const rstudy_t *r, html_scale_t *s)
{
    double *v = xcalloc((size_t)r->n + 1, sizeof *v);
    int n = 0;
    for (int t = 0; t < r->n; t++)
        if (r->shown[t] && (r->state[t] == TRIAL_COMPLETE || r->counts[TRIAL_COMPLETE] == 0))
            v[n++] = r->value[t];
    html_scale_fit(s, HTML_LIN, v, n);
    free(v);
}

/* Scale of parameter i over its declared range (categories for a categorical one). */
static void s_fit_param(const rstudy_t *r, int i, html_scale_t *s)
{
    const param_t *p = &r->space->params[i];
    if (p->kind == PARAM_CAT) {
        html_scale_cats(s, (const char *const *)p->choices, p->n_choices);
        return;
    }
    double range[2] = {p->low, p->high};
    html_scale_fit(s, p->log ? HTML_LOG : HTML_LIN, range, 2);
}

/* Close a plot: the note when there is nothing to show (empty, NULL = none), the
 * legend at the top right (our own words: nothing to escape), the end tag. */
static void s_end(strbuf_t *sb, const html_frame_t *f, const char *empty, const char *legend)
{
    if (empty)
        html_empty(sb, f, empty);
    sb_printf(sb, "<text class=\"lbl\" x=\"%d\" y=\"17\" text-anchor=\"end\">%s</text>", f->w - 8,
              legend);
    html_svg_end(sb);
}

/* ---- history ---------------------------------------------------------------------- */

/* The best-so-far step line over every trial (exact: it changes only at improvements). */
static void s_best_line(strbuf_t *sb, const rstudy_t *r, const html_frame_t *f)
{
    double *px = xcalloc(2 * (size_t)r->n + 2, sizeof *px);
    double *py = xcalloc(2 * (size_t)r->n + 2, sizeof *py);
    int n = 0;
    double best = NAN;
    for (int t = 0; t < r->n; t++) {
        if (r->state[t] != TRIAL_COMPLETE || !rstudy_better(r->dir, r->value[t], best))
            continue;
        double x = html_px(&f->x, (double)r->number[t]);
        if (n)
            px[n] = x, py[n] = py[n - 1], n++;
        best = r->value[t];
        px[n] = x, py[n] = html_px(&f->y, best), n++;
    }
    if (n) {
        px[n] = html_px(&f->x, (double)r->number[r->n - 1]), py[n] = py[n - 1], n++;
        html_polyline(sb, px, py, n, "bestline");
    }
    free(px);
    free(py);
}

void plots_history(strbuf_t *sb, const rstudy_t *r)
{
    html_frame_t f;
    html_frame(&f, 560, 300);
    double nums[2] = {r->n ? (double)r->number[0] : 0, r->n ? (double)r->number[r->n - 1] : 1};
    html_scale_fit(&f.x, HTML_LIN, nums, 2);
    s_fit_values(r, &f.y);
    html_svg_begin(sb, &f, "history", "Optimisation history");
    html_axes(sb, &f, "trial", r->metric);
    int drawn = 0;
    for (int t = 0; t < r->n; t++)
        if (r->shown[t] && t != r->best && isfinite(r->value[t])) {
            s_point(sb, r, t, html_px(&f.x, (double)r->number[t]), html_px(&f.y, r->value[t]), &f);
            drawn++;
        }
    s_best_line(sb, r, &f);
    if (r->best >= 0)
        s_point(sb, r, r->best, html_px(&f.x, (double)r->number[r->best]),
                html_px(&f.y, r->value[r->best]), &f);
    s_end(sb, &f, r->best >= 0 || drawn ? NULL : "no trial with a value yet",
          "blue complete, orange pruned (in range), red best so far");
}

/* ---- parallel coordinates --------------------------------------------------------- */

typedef struct {
    double key; /* value signed so that smaller is better */
    int t;
} s_line_t;

static int s_line_cmp(const void *pa, const void *pb)
{
    const s_line_t *a = pa, *b = pb;
    return a->key != b->key ? (a->key > b->key ? -1 : 1) : a->t - b->t; /* worst first */
}

/* The COMPLETE drawn trials, at most RSTUDY_LINES evenly spaced, worst first (*n). */
static s_line_t *s_lines(const rstudy_t *r, int *n)
{
    int total = 0;
    for (int t = 0; t < r->n; t++)
        total += r->shown[t] && r->state[t] == TRIAL_COMPLETE && isfinite(r->value[t]);
    s_line_t *l = xcalloc((size_t)RSTUDY_LINES + 2, sizeof *l);
    int j = 0;
    *n = 0;
    for (int t = 0; t < r->n; t++) {
        if (!r->shown[t] || r->state[t] != TRIAL_COMPLETE || !isfinite(r->value[t]))
            continue;
        if (total <= RSTUDY_LINES ||
            (long)j * RSTUDY_LINES / total != (long)(j + 1) * RSTUDY_LINES / total || t == r->best)
            l[(*n)++] = (s_line_t){.key = r->value[t] * (double)r->dir, .t = t};
        j++;
        if (*n > RSTUDY_LINES)
            break;
    }
    qsort(l, (size_t)*n, sizeof *l, s_line_cmp);
    return l;
}

/* One vertical axis at pixel column px: its scale's pixel range and labels. */
static void s_pc_axis(strbuf_t *sb, html_scale_t *s, double px, const html_frame_t *f,
                      const char *name)
{
    s->p0 = f->h - f->bottom, s->p1 = f->top;
    html_line(sb, px, s->p0, px, s->p1, "ax");
    sb_printf(sb, "<text class=\"lbl\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", px,
              f->h - f->bottom + 16);
    html_esc_max(sb, name, 16);
    sb_puts(sb, "</text>");
    int nt = s->kind == HTML_CAT ? s->n_cats : 2;
    for (int k = 0; k < nt && k < 12; k++) {
        double v = s->kind == HTML_CAT ? k : k ? s->dhi : s->dlo;
        sb_printf(sb, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">", px + 3,
                  html_px(s, v) + (s->kind == HTML_CAT ? 4
                                   : k                 ? 11
                                                       : -3));
        if (s->kind == HTML_CAT)
            html_esc_max(sb, s->cats[k], 10);
        else
            html_num(sb, v);
        sb_puts(sb, "</text>");
    }
}

void plots_parallel(strbuf_t *sb, const rstudy_t *r)
{
    int axes = r->nx + 1, n;
    html_frame_t f;
    html_frame(&f, axes * 130 < 600 ? 600 : axes * 130 > 1100 ? 1100 : axes * 130, 300);
    f.left = 30, f.right = 70;
    html_svg_begin(sb, &f, "parallel", "Parallel coordinates (COMPLETE trials)");
    html_scale_t *sc = xcalloc((size_t)axes, sizeof *sc);
    double *px = xcalloc((size_t)axes, sizeof *px), *py = xcalloc((size_t)axes, sizeof *py);
    for (int a = 0; a < axes; a++) {
        px[a] = f.left + (f.w - f.left - f.right) * (axes > 1 ? (double)a / (axes - 1) : 0.5);
        if (a < r->nx)
            s_fit_param(r, a, &sc[a]);
        else
            s_fit_values(r, &sc[a]);
        s_pc_axis(sb, &sc[a], px[a], &f, a < r->nx ? r->space->params[a].name : r->metric);
    }
    s_line_t *l = s_lines(r, &n);
    for (int k = 0; k < n; k++) {
        int t = l[k].t;
        for (int a = 0; a < axes; a++)
            py[a] = html_px(&sc[a], a < r->nx ? s_x(r, t, a) : r->value[t]);
        char cls[16];
        snprintf(cls, sizeof cls, t == r->best ? "pc b" : "pc q%d", (int)(5L * k / n));
        html_polyline(sb, px, py, axes, cls);
    }
    s_end(sb, &f, n ? NULL : "no complete trial yet", "dark worse, yellow better, red best");
    free(l);
    free(sc);
    free(px);
    free(py);
}

/* ---- slice ------------------------------------------------------------------------ */

/* A categorical point's offset within its category, from the trial number: spreads
 * the points of one choice so that their number shows. */
static double s_jitter(long number)
{
    return ((double)(hash_mix64((uint64_t)number) % 1001) / 1000 - 0.5) * 0.5;
}

void plots_slice(strbuf_t *sb, const rstudy_t *r, int i)
{
    const param_t *p = &r->space->params[i];
    html_frame_t f;
    html_frame(&f, 300, 240);
    s_fit_param(r, i, &f.x);
    s_fit_values(r, &f.y);
    char *title = xasprintf("Slice: %s%s", p->name, p->log ? " (log)" : "");
    html_svg_begin(sb, &f, "slice", title);
    free(title);
    html_axes(sb, &f, p->name, r->metric);
    int drawn = 0;
    for (int t = 0; t < r->n; t++) {
        double v = s_x(r, t, i);
        if (!r->shown[t] || t == r->best || isnan(v) || !isfinite(r->value[t]))
            continue;
        if (p->kind == PARAM_CAT)
            v += s_jitter(r->number[t]);
        s_point(sb, r, t, html_px(&f.x, v), html_px(&f.y, r->value[t]), &f);
        drawn++;
    }
    if (r->best >= 0)
        s_point(sb, r, r->best, html_px(&f.x, s_x(r, r->best, i)), html_px(&f.y, r->value[r->best]),
                &f);
    else if (!drawn)
        html_empty(sb, &f, "no trial with a value yet");
    html_svg_end(sb);
}

/* ---- importance ------------------------------------------------------------------- */

void plots_importance(strbuf_t *sb, const rstudy_t *r)
{
    html_frame_t f;
    html_frame(&f, 360, 70 + 24 * (r->nx ? r->nx : 1));
    f.left = 110, f.right = 40;
    double range[2] = {0, 1};
    html_scale_fit(&f.x, HTML_LIN, range, 2);
    f.x.lo = 0;
    html_svg_begin(sb, &f, "importance", "Parameter importance (PED-ANOVA)");
    if (r->n_importance < 0) {
        html_empty(sb, &f, "fewer than 10 complete trials");
        html_svg_end(sb);
        return;
    }
    html_scale_cats(&f.y, NULL, 0);
    html_axes(sb, &f, "share of importance", NULL);
    int *order = xcalloc((size_t)r->nx + 1, sizeof *order);
    for (int i = 0; i < r->nx; i++) {
        int k = i; /* insertion by importance, largest first */
        while (k > 0 && r->importance[order[k - 1]] < r->importance[i])
            order[k] = order[k - 1], k--;
        order[k] = i;
    }
    for (int k = 0; k < r->nx; k++) {
        int i = order[k];
        double y = f.top + 8 + 24 * k, x0 = f.x.p0, x1 = html_px(&f.x, r->importance[i]);
        sb_printf(sb,
                  "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\">"
                  "<title>%.3f</title></rect>",
                  x0, y, fmax(x1 - x0, 1), r->importance[i]);
        sb_printf(sb, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 4,
                  y + 12);
        html_esc_max(sb, r->space->params[i].name, 16);
        sb_printf(sb, "</text><text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">%.2f</text>", x1 + 3,
                  y + 12, r->importance[i]);
    }
    free(order);
    html_svg_end(sb);
}

/* ---- intermediate values ---------------------------------------------------------- */

void plots_intermediate(strbuf_t *sb, const rstudy_t *r)
{
    html_frame_t f;
    html_frame(&f, 560, 300);
    int nv = r->n_curves ? r->curve_off[r->n_curves] : 0;
    double *steps = xcalloc((size_t)nv + 1, sizeof *steps);
    for (int v = 0; v < nv; v++)
        steps[v] = (double)r->steps[v];
    html_scale_fit(&f.x, HTML_LIN, steps, nv);
    html_scale_fit(&f.y, HTML_LIN, r->vals, nv);
    html_svg_begin(sb, &f, "intermediate", "Intermediate values");
    html_axes(sb, &f, "step", r->metric);
    double *px = xcalloc((size_t)nv + 1, sizeof *px), *py = xcalloc((size_t)nv + 1, sizeof *py);
    int best_k = -1;
    for (int k = 0; k < r->n_curves; k++) {
        int t = r->curve_trial[k], o = r->curve_off[k], m = r->curve_off[k + 1] - o;
        for (int j = 0; j < m; j++)
            px[o + j] = html_px(&f.x, steps[o + j]), py[o + j] = html_px(&f.y, r->vals[o + j]);
        bool pruned = r->state[t] == TRIAL_PRUNED;
        if (t == r->best)
            best_k = k;
        else if (m)
            html_polyline(sb, px + o, py + o, m, pruned ? "curve p" : "curve");
        if (pruned && m) {
            char *tip = s_tip(r, t);
            html_circle(sb, px[o + m - 1], py[o + m - 1], 3, "pr", tip);
            free(tip);
        }
    }
    if (best_k >= 0) {
        int o = r->curve_off[best_k];
        html_polyline(sb, px + o, py + o, r->curve_off[best_k + 1] - o, "bestline");
    }
    s_end(sb, &f, nv ? NULL : "no intermediate values reported",
          "orange: pruned (dot where stopped), red: best");
    free(steps);
    free(px);
    free(py);
}
