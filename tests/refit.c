/* refit — the final refit of a model study, run in-process for the artifact tests
 * (tests/t_predict.sh): what a worker runs for a `kind: final` task, with the model
 * artifact written to OUTDIR/model.hpsm. Also writes the study's test split as
 * OUTDIR/test.csv (the rows the refit scored, every column as in the data file, in file
 * order) and prints the recorded test score on stdout as `hps predict --score` does (the
 * shortest text that reads back as the same double). Not installed.
 *
 *   refit CONFIG.yaml OUTDIR     (fixed parameters: the objective section's; no search)
 *
 * Exit 0, 1 when the refit fails, 2 on bad arguments or a bad config. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/dataset.h"
#include "core/util.h"
#include "objectives/clean.h"
#include "objectives/objective.h"
#include "results/pyfmt.h"

/* Rows of the data file (as read with the study's missing markers and categorical
 * columns, every column kept, nothing typed away; a missing number as the first marker)
 * to path. */
static int s_write_rows(const study_config_t *s, const int *rows, int n, const char *path,
                        char *err)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    clean_data_t d;
    dataset_opts_t o;
    clean_data_parse(s, &d, &errs);
    cfg_errs_free(&errs);
    clean_data_opts(&d, &o);
    o = (dataset_opts_t){.no_y = true, .strings = o.strings, .n_strings = o.n_strings,
                         .missing = o.missing, .n_missing = o.n_missing};
    int n_marks = o.n_missing;
    const char *const *marks = o.missing ? o.missing : dataset_missing_default(&n_marks);
    dataset_t *ds = dataset_load(s->data_file, &o, err);
    if (!ds) {
        clean_data_free(&d);
        return -1;
    }
    strbuf_t sb;
    sb_init(&sb);
    for (int c = 0; c < ds->n_cols; c++) {
        if (c)
            sb_putc(&sb, ',');
        sb_csv_str(&sb, ds->cols[c].name);
    }
    sb_putc(&sb, '\n');
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < ds->n_cols; c++) {
            if (c)
                sb_putc(&sb, ',');
            if (ds->cols[c].kind == COL_NUMERIC && isnan(ds->cols[c].num[rows[i]]))
                sb_csv_str(&sb, n_marks ? marks[0] : "");
            else if (ds->cols[c].kind == COL_NUMERIC)
                sb_json_num(&sb, ds->cols[c].num[rows[i]]); /* shortest round trip */
            else
                sb_csv_str(&sb, ds->cols[c].str[rows[i]]);
        }
        sb_putc(&sb, '\n');
    }
    int rc = file_write_atomic(path, sb.buf, sb.len, err);
    sb_free(&sb);
    dataset_destroy(&ds);
    clean_data_free(&d);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: refit CONFIG.yaml OUTDIR\n");
        return 2;
    }
    static const study_checks_t checks = {objective_check_study, NULL, NULL};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *s = study_config_load(argv[1], 0, NULL, &checks, &errs);
    if (!s) {
        cfg_errs_print(&errs, stderr);
        cfg_errs_free(&errs);
        return 2;
    }
    cfg_errs_free(&errs);
    const char *type = NULL;
    cfg_str(s->objective, "type", NULL, &type, NULL);
    objective_ctx_t ctx = {.study = s, .seed = 99, .data_path = s->data_file, .final = true,
                           .artifact_dir = argv[2]};
    objective_result_t res;
    objective_find(type)->run(&ctx, &res);
    char err[HPS_ERR_LEN];
    int *rows = NULL, n = 0, rc = 0;
    char *test = xasprintf("%s/test.csv", argv[2]);
    if (res.state != TRIAL_COMPLETE) {
        fprintf(stderr, "refit: %s\n", res.error);
        rc = 1;
    } else if (evaluate_test_rows(s, s->data_file, &rows, &n, err) != 0 ||
               s_write_rows(s, rows, n, test, err) != 0) {
        fprintf(stderr, "refit: %s\n", err);
        rc = 1;
    } else {
        strbuf_t sb;
        sb_init(&sb);
        pyfmt_float(&sb, res.test_score);
        printf("%s\n", sb.buf);
        sb_free(&sb);
    }
    free(test);
    free(rows);
    evaluate_cache_clear();
    study_config_destroy(&s);
    return rc;
}
