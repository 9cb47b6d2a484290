/* cli_report — `hps report` (see report.h). */
#include "cli/report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "core/store.h"
#include "objectives/model.h"
#include "results/report_html.h"

static const char s_usage[] =
    "usage: hps report [STUDY...] [--db FILE] [-o FILE]\n"
    "  STUDY        a study to report on (repeatable; default: every study, by name)\n"
    "  --db FILE    study database (default hps.db), opened read-only\n"
    "  -o, --out FILE  the HTML file to write (default report.html)\n"
    "One self-contained HTML file (inline SVG and CSS, no script, nothing fetched):\n"
    "for several studies the comparison (best value ± fold std and test score per\n"
    "study, by metric); per study the optimisation history with the best so far,\n"
    "intermediate values with pruned trials marked, parameter importance (PED-ANOVA\n"
    "style), parallel coordinates, a slice plot per parameter, and the best and latest\n"
    "trials. Large studies are sampled for drawing (docs/report.md).\n";

static int s_bad(const char *fmt, const char *arg)
{
    return cli_usage_error("report", s_usage, fmt, arg);
}

/* The report of the parsed flags into out: exit code. */
static int s_run(const char *db, const char *const *studies, int n, const char *out)
{
    if (cli_check_output("report", out, db, NULL, 0, true) != 0)
        return 2;
    char err[HPS_ERR_LEN];
    store_t *st = store_open_read(db, err);
    if (!st) {
        fprintf(stderr, "hps report: %s\n", err);
        return access(db, F_OK) == 0 ? 1 : 2;
    }
    strbuf_t sb;
    sb_init(&sb);
    report_html_opts_t o = {.studies = studies,
                            .n_studies = n,
                            .is_model = model_known,
                            .source = db};
    int rc = report_html(st, &o, &sb, err);
    store_close(&st);
    if (rc == 0 && file_write_atomic(out, sb.buf, sb.len, err) != 0)
        rc = -1;
    if (rc == 0)
        fprintf(stderr, "hps report: wrote %s (%zu KB)\n", out, (sb.len + 1023) / 1024);
    else
        fprintf(stderr, "hps report: %s\n", err);
    sb_free(&sb);
    return rc == 0 ? 0 : rc == 1 ? 2 : 1;
}

int report_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, 0, 'd'},
                                             {"out", required_argument, 0, 'o'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *db = "hps.db", *out = "report.html";
    const char **studies = xcalloc((size_t)argc + 1, sizeof *studies);
    int n = 0, opt, code = -1;
    optind = 1;
    opterr = 0;
    while (code < 0 && (opt = getopt_long(argc, argv, "-o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(s_usage, stdout);
            code = 0;
            break;
        case 'd': db = optarg; break;
        case 'o': out = optarg; break;
        case 1: studies[n++] = optarg; break;
        default: code = s_bad("unknown or incomplete option '%s'", argv[optind - 1]); break;
        }
    }
    if (code < 0)
        code = s_run(db, studies, n, out);
    free(studies);
    return code;
}
