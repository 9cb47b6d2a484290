/* report_html — `hps report`: one self-contained HTML file about the studies of a file.
 *
 * Self-contained: inline CSS and inline SVG only, no script, no font, no image or link
 * to anything outside the file (a Content-Security-Policy of default-src 'none' says so
 * to the browser too), so it reads the same offline, mailed, or years later. Every
 * string from the study file is escaped (results/html.h).
 *
 * Content: with more than one study, the comparison (results/compare.h); then per
 * study a summary line, the plots of results/plots.h, and a table of its best and
 * latest trials (results/rstudy.h says what is sampled). docs/report.md has the
 * details. Everything is read in one store snapshot. */
#ifndef HPS_REPORT_HTML_H
#define HPS_REPORT_HTML_H

#include <stdbool.h>

#include "core/store.h"
#include "core/util.h"

typedef struct {
    const char *const *studies; /* n_studies exact names, in page order; 0 = all by name */
    int n_studies;
    /* Which objective types are models (report_board_opts_t.is_model); NULL = none. */
    bool (*is_model)(const char *objective_type);
    const char *source; /* shown as where the data came from (the DB path) */
} report_html_opts_t;

/* The page into out. 0 ok; 1 an unknown study (err: "no study 'x' (studies: a, b)");
 * -1 with err on a DB error. */
int report_html(store_t *st, const report_html_opts_t *opts, strbuf_t *out, char *err);

void report_html_test(bool verbose);

#endif
