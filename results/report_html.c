/* report_html — the HTML report page (see report_html.h). */
#include "results/report_html.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "results/compare.h"
#include "results/html.h"
#include "results/plots.h"
#include "results/rstudy.h"

/* ---- selection -------------------------------------------------------------------- */

static int s_name_cmp(const void *a, const void *b)
{
    return strcmp(((const store_study_t *)a)->name, ((const store_study_t *)b)->name);
}

/* "no study 'x' (studies: a, b, ...)" */
static int s_unknown(const char *name, const store_study_t *list, int n, char *err)
{
    strbuf_t sb;
    sb_init(&sb);
    for (int i = 0; i < n && i < 10; i++)
        sb_printf(&sb, "%s%s", i ? ", " : "", list[i].name);
    if (n > 10)
        sb_puts(&sb, ", ...");
    set_err(err, "no study '%s' (studies: %s)", name, n ? sb.buf : "none");
    sb_free(&sb);
    return 1;
}

/* Indices into list (sorted by name) of the studies to show, in page order (*n). 0 ok,
 * 1 with err for an unknown name. Caller frees *pick. */
static int s_select(const report_html_opts_t *o, const store_study_t *list, int n, int **pick,
                    int *npick, char *err)
{
    *pick = xcalloc((size_t)(o->n_studies ? o->n_studies : n) + 1, sizeof **pick);
    *npick = 0;
    for (int i = 0; i < o->n_studies; i++) {
        int k = 0;
        while (k < n && strcmp(list[k].name, o->studies[i]) != 0)
            k++;
        if (k == n)
            return s_unknown(o->studies[i], list, n, err);
        (*pick)[(*npick)++] = k;
    }
    for (int k = 0; !o->n_studies && k < n; k++)
        (*pick)[(*npick)++] = k;
    return 0;
}

/* ---- one study -------------------------------------------------------------------- */

static void s_summary(strbuf_t *sb, const rstudy_t *r)
{
    static const trial_state_t order[] = {TRIAL_COMPLETE, TRIAL_PRUNED, TRIAL_FAIL, TRIAL_RUNNING,
                                          TRIAL_WAITING};
    sb_printf(sb, "<p class=\"meta\">Direction: %s; %d trials%s",
              r->dir == DIR_MAXIMIZE ? "maximize" : "minimize", r->n, r->n ? ":" : "");
    for (size_t k = 0; k < ARRAY_SIZE(order); k++)
        if (r->counts[order[k]])
            sb_printf(sb, " %ld %s", r->counts[order[k]], trial_state_name(order[k]));
    if (r->best >= 0) {
        sb_printf(sb, ". Best: trial #%ld, ", r->number[r->best]);
        html_esc(sb, r->metric);
        sb_printf(sb, " %.6g", r->value[r->best]);
        for (int i = 0; i < r->nx; i++) {
            char *v = rstudy_param_text(r, r->best, i);
            sb_puts(sb, i ? ", " : " with ");
            html_esc(sb, r->space->params[i].name);
            sb_putc(sb, '=');
            html_esc(sb, v);
            free(v);
        }
    }
    sb_puts(sb, ".</p>\n");
}

static void s_table_head(strbuf_t *sb, const rstudy_t *r)
{
    sb_puts(sb, "<table><tr><th>#</th><th>state</th><th>");
    html_esc(sb, r->metric);
    sb_puts(sb, "</th>");
    for (int i = 0; i < r->nx; i++) {
        sb_puts(sb, "<th>");
        html_esc(sb, r->space->params[i].name);
        sb_puts(sb, "</th>");
    }
    sb_puts(sb, "<th>secs</th><th>attempt</th><th>worker</th><th>error</th></tr>\n");
}

static void s_table(strbuf_t *sb, const rstudy_t *r)
{
    sb_printf(sb,
              "<h3>Trials</h3><p class=\"meta\">%d of %d shown: the %d best complete "
              "and the %d latest, by number.</p>",
              r->n_rows, r->n, RSTUDY_ROWS, RSTUDY_ROWS);
    s_table_head(sb, r);
    for (int k = 0; k < r->n_rows; k++) {
        int t = r->rows[k];
        sb_printf(sb, "<tr class=\"%s%s\"><td class=\"n\">%ld</td><td>%s</td><td class=\"n\">",
                  trial_state_name(r->state[t]), t == r->best ? " best" : "", r->number[t],
                  trial_state_name(r->state[t]));
        html_num(sb, r->value[t]);
        sb_puts(sb, "</td>");
        for (int i = 0; i < r->nx; i++) {
            char *v = rstudy_param_text(r, t, i);
            sb_puts(sb, "<td class=\"n\">");
            html_esc_max(sb, v, 40);
            sb_puts(sb, "</td>");
            free(v);
        }
        sb_puts(sb, "<td class=\"n\">");
        html_num(sb, r->row_secs[k]);
        sb_printf(sb, "</td><td class=\"n\">%d</td><td>", r->attempt[t]);
        html_esc_max(sb, r->worker[t] ? r->worker[t] : "-", 40);
        sb_puts(sb, "</td><td>");
        html_esc_max(sb, r->row_error[k] ? r->row_error[k] : "", 300);
        sb_puts(sb, "</td></tr>\n");
    }
    sb_puts(sb, "</table>\n");
}

static void s_study(strbuf_t *sb, const rstudy_t *r, int k)
{
    sb_printf(sb, "<section class=\"study\" id=\"study-%d\"><h2>Study: ", k);
    html_esc(sb, r->name);
    sb_puts(sb, "</h2>\n");
    s_summary(sb, r);
    if (!r->space)
        sb_puts(sb, "<p class=\"meta\">The stored search space could not be read: the "
                    "parameters are not shown.</p>\n");
    sb_puts(sb, "<div class=\"plots\">\n");
    plots_history(sb, r);
    plots_intermediate(sb, r);
    if (r->space) {
        plots_importance(sb, r);
        plots_parallel(sb, r);
        for (int i = 0; i < r->nx; i++)
            plots_slice(sb, r, i);
    }
    sb_puts(sb, "</div>\n");
    s_table(sb, r);
    sb_puts(sb, "</section>\n");
}

/* ---- the page --------------------------------------------------------------------- */

static void s_head(strbuf_t *sb, const report_html_opts_t *o, const store_study_t *list,
                   const int *pick, int n)
{
    sb_puts(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
                " style-src 'unsafe-inline'\">\n<title>hps report</title>\n<style>");
    sb_puts(sb, html_css);
    sb_puts(sb, "</style></head><body>\n<h1>hps report</h1>\n<p class=\"meta\">");
    if (o->source) {
        html_esc(sb, o->source);
        sb_puts(sb, " &middot; ");
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) && strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm))
        sb_printf(sb, "%s &middot; ", when);
    sb_printf(sb, "%d %s:", n, n == 1 ? "study" : "studies");
    for (int k = 0; k < n; k++) {
        sb_printf(sb, "%s <a href=\"#study-%d\">", k ? "," : "", k);
        html_esc(sb, list[pick[k]].name);
        sb_puts(sb, "</a>");
    }
    sb_puts(sb, "</p>\n");
}

/* The page body after the head: comparison and studies. 0 or -1 with err. */
static int s_body(store_t *st, const report_html_opts_t *o, const store_study_t *list,
                  const int *pick, int n, strbuf_t *out, char *err)
{
    const char **names = xcalloc((size_t)n + 1, sizeof *names);
    for (int k = 0; k < n; k++)
        names[k] = list[pick[k]].name;
    compare_t c;
    int rc = compare_load(st, names, n, o->is_model, &c, err);
    free(names);
    if (rc != 0)
        return -1;
    if (n > 1)
        compare_html(out, &c);
    for (int k = 0; rc == 0 && k < n; k++) {
        const compare_row_t *row = compare_find(&c, list[pick[k]].name);
        rstudy_t r;
        rc = rstudy_load(st, &list[pick[k]], row ? row->metric : NULL, &r, err);
        if (rc == 0) {
            s_study(out, &r, k);
            rstudy_free(&r);
        }
    }
    compare_free(&c);
    return rc;
}

int report_html(store_t *st, const report_html_opts_t *opts, strbuf_t *out, char *err)
{
    bool own;
    if (store_snapshot_begin(st, &own, err) != 0)
        return -1;
    store_study_t *list = NULL;
    int n = 0, npick = 0, *pick = NULL;
    int rc = store_studies(st, &list, &n, err);
    if (rc == 0) {
        qsort(list, (size_t)n, sizeof *list, s_name_cmp);
        rc = s_select(opts, list, n, &pick, &npick, err);
    }
    if (rc == 0) {
        s_head(out, opts, list, pick, npick);
        rc = s_body(st, opts, list, pick, npick, out, err);
        sb_printf(out,
                  "<p class=\"meta\">Made by hps %s report: inline SVG, no script."
                  " Plots of large studies show samples (docs/report.md).</p>\n"
                  "</body></html>\n",
                  HPS_VERSION);
    }
    char err2[HPS_ERR_LEN];
    if (store_snapshot_end(st, own, rc == 0 ? err : err2) != 0 && rc == 0)
        rc = -1;
    if (list)
        store_studies_free(&list, n);
    free(pick);
    return rc;
}
