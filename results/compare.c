/* compare — the leaderboard as a picture (see compare.h). */
#include "results/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "results/html.h"

/* ---- reading the board ------------------------------------------------------------ */

static const char *s_str(const cfg_node_t *row, const char *key)
{
    const cfg_node_t *n = NULL;
    for (int i = 0; row->type == CFG_MAP && i < row->n; i++)
        if (strcmp(row->keys[i], key) == 0)
            n = row->items[i];
    return n && n->type == CFG_SCALAR ? n->value : NULL;
}

static double s_num(const cfg_node_t *row, const char *key, cfg_errs_t *errs)
{
    double v = NAN;
    if (cfg_double(row, key, NAN, &v, errs) != 0)
        v = NAN;
    return v;
}

static bool s_named(const char *study, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], study) == 0)
            return true;
    return n == 0;
}

int compare_load(store_t *st, const char *const *names, int n_names,
                 bool (*is_model)(const char *objective_type), compare_t *out, char *err)
{
    *out = (compare_t){0};
    strbuf_t sb;
    sb_init(&sb);
    report_board_opts_t o = {.format = "json",
                             .studies = names,
                             .n_studies = n_names,
                             .is_model = is_model};
    if (report_board(st, &o, &sb, err) != 0) {
        sb_free(&sb);
        return -1;
    }
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    out->tree = cfg_parse(sb.buf, sb.len, "leaderboard", &errs);
    sb_free(&sb);
    int rc = 0;
    if (!out->tree || out->tree->type != CFG_SEQ)
        rc = set_err(err, "reading the leaderboard: %s", errs.n ? errs.msgs[0] : "not a list");
    out->rows = xcalloc(out->tree && rc == 0 ? (size_t)out->tree->n + 1 : 1, sizeof *out->rows);
    for (int i = 0; rc == 0 && i < out->tree->n; i++) {
        const cfg_node_t *row = out->tree->items[i];
        compare_row_t r = {.study = s_str(row, "study"),
                           .metric = s_str(row, "metric"),
                           .direction = s_str(row, "direction"),
                           .model = s_str(row, "model"),
                           .strategy = s_str(row, "strategy"),
                           .state = s_str(row, "state"),
                           .best = s_num(row, "best", &errs),
                           .std = s_num(row, "best_std", &errs),
                           .test = s_num(row, "test_score", &errs)};
        double rank = s_num(row, "rank", &errs), done = s_num(row, "complete", &errs);
        double n_trials = s_num(row, "n_trials", &errs);
        r.rank = isfinite(rank) ? (long)rank : 0;
        r.complete = isfinite(done) ? (long)done : 0;
        r.n_trials = isfinite(n_trials) ? (long)n_trials : 0;
        if (r.study && r.metric && s_named(r.study, names, n_names))
            out->rows[out->n++] = r; /* an exact name may hold glob characters */
    }
    cfg_errs_free(&errs);
    if (rc != 0)
        compare_free(out);
    return rc;
}

const compare_row_t *compare_find(const compare_t *c, const char *study)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->rows[i].study, study) == 0)
            return &c->rows[i];
    return NULL;
}

void compare_free(compare_t *c)
{
    cfg_free(&c->tree);
    free(c->rows);
    *c = (compare_t){0};
}

/* ---- drawing ---------------------------------------------------------------------- */

/* The plot of the n rows of one metric group. */
static void s_group_plot(strbuf_t *sb, const compare_row_t *rows, int n)
{
    html_frame_t f;
    html_frame(&f, 640, 80 + 28 * n);
    f.left = 190;
    double *v = xcalloc(3 * (size_t)n + 1, sizeof *v);
    const char **names = xcalloc((size_t)n + 1, sizeof *names);
    for (int i = 0; i < n; i++) {
        double s = isfinite(rows[i].std) ? rows[i].std : 0;
        v[3 * i] = rows[i].best - s, v[3 * i + 1] = rows[i].best + s, v[3 * i + 2] = rows[i].test;
        names[n - 1 - i] = rows[i].study; /* the board's first row on top */
    }
    html_scale_fit(&f.x, HTML_LIN, v, 3 * n);
    char *title = xasprintf("%s (%s): best ± fold std, test score", rows[0].metric,
                            rows[0].direction ? rows[0].direction : "?");
    html_svg_begin(sb, &f, "board", title);
    free(title);
    html_scale_cats(&f.y, names, n);
    f.y.cat_chars = 28;
    html_axes(sb, &f, rows[0].metric, NULL);
    for (int i = 0; i < n; i++) {
        const compare_row_t *r = &rows[i];
        double y = html_px(&f.y, n - 1 - i);
        if (isfinite(r->std))
            html_line(sb, html_px(&f.x, r->best - r->std), y, html_px(&f.x, r->best + r->std), y,
                      "err");
        char *tip = isfinite(r->std)
                        ? xasprintf("%s: best %.5g ± %.2g (rank %ld)", r->study, r->best, r->std,
                                    r->rank)
                        : xasprintf("%s: best %.5g (rank %ld)", r->study, r->best, r->rank);
        html_circle(sb, html_px(&f.x, r->best), y, 5, "best", tip);
        free(tip);
        double tx = html_px(&f.x, r->test);
        if (isfinite(tx))
            sb_printf(sb,
                      "<rect class=\"test\" x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\">"
                      "<title>test %.5g</title></rect>",
                      tx - 4.5, y - 4.5, r->test);
    }
    html_svg_end(sb);
    free(v);
    free(names);
}

static void s_cell_num(strbuf_t *sb, double v, double pm)
{
    sb_puts(sb, "<td class=\"n\">");
    html_num(sb, v);
    if (isfinite(v) && isfinite(pm)) {
        sb_puts(sb, " ± ");
        html_num(sb, pm);
    }
    sb_puts(sb, "</td>");
}

static void s_cell(strbuf_t *sb, const char *text)
{
    sb_puts(sb, "<td>");
    html_esc(sb, text ? text : "-");
    sb_puts(sb, "</td>");
}

static void s_table(strbuf_t *sb, const compare_t *c)
{
    sb_puts(sb, "<table><tr><th>rank</th><th>study</th><th>metric</th><th>dir</th>"
                "<th>model</th><th>strategy</th><th>state</th><th>complete</th>"
                "<th>best ± std</th><th>test</th></tr>\n");
    for (int i = 0; i < c->n; i++) {
        const compare_row_t *r = &c->rows[i];
        sb_puts(sb, "<tr>");
        s_cell_num(sb, r->rank ? (double)r->rank : NAN, NAN);
        s_cell(sb, r->study);
        s_cell(sb, r->metric);
        s_cell(sb, r->direction);
        s_cell(sb, r->model);
        s_cell(sb, r->strategy);
        s_cell(sb, r->state);
        sb_printf(sb, "<td class=\"n\">%ld/%ld</td>", r->complete, r->n_trials);
        s_cell_num(sb, r->best, r->std);
        s_cell_num(sb, r->test, NAN);
        sb_puts(sb, "</tr>\n");
    }
    sb_puts(sb, "</table>\n");
}

void compare_html(strbuf_t *sb, const compare_t *c)
{
    sb_puts(sb, "<section id=\"compare\"><h2>Comparison</h2>"
                "<p class=\"meta legend\"><span><i class=\"sw\" style=\"background:#d62728\">"
                "</i>best value (bar: ± fold std of the best trial)</span><span>"
                "<i class=\"sw\" style=\"background:#2ca02c\"></i>test score of the final "
                "refit</span></p><div class=\"plots\">");
    for (int a = 0, b; a < c->n; a = b) {
        for (b = a + 1; b < c->n; b++)
            if (strcmp(c->rows[b].metric, c->rows[a].metric) != 0 ||
                strcmp(c->rows[b].direction ? c->rows[b].direction : "",
                       c->rows[a].direction ? c->rows[a].direction : "") != 0)
                break;
        s_group_plot(sb, &c->rows[a], b - a);
    }
    sb_puts(sb, "</div>");
    s_table(sb, c);
    sb_puts(sb, "</section>\n");
}
