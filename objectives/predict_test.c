/* predict_test — a model artifact end to end on a small table with a text, a numeric and
 * a categorical column: a final refit through the objective registry writes it, and
 * model_predict_file on the test rows scores exactly what the refit recorded, also when
 * a categorical column of the new rows holds only numbers. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "objectives/objective.h"
#include "objectives/predict.h"

static const char *const s_words[] = {"good", "bad", "fine", "awful", "great", "meh"};

/* Row i of the table: text, x, grade, split, label. Test rows (every 4th) have a
 * numeric-looking grade only; training rows also the grade "A". */
static void s_row(strbuf_t *sb, int i, bool with_label)
{
    int label = (i * 7 + i / 3) % 2;
    const char *grade = i % 4 == 0 ? (i % 8 ? "3" : "4") : i % 3 ? "A" : "3";
    sb_printf(sb, "\"%s %s, %s\",%d.%d,%s,%s", s_words[(label * 2 + i) % 6],
              s_words[(i * 5) % 6], s_words[label * 4], i % 9, i % 7, grade,
              i % 4 == 0 ? "test" : "train");
    if (with_label)
        sb_printf(sb, ",%s", label ? "pos" : "neg");
    sb_putc(sb, '\n');
}

static char *s_write(const char *dir, const char *name, bool test_only, bool with_label)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb, "text,x,grade,split%s\n", with_label ? ",label" : "");
    for (int i = 0; i < 60; i++)
        if (!test_only || i % 4 == 0)
            s_row(&sb, i, with_label);
    char *path = xasprintf("%s/%s", dir, name), err[HPS_ERR_LEN];
    assert(file_write_atomic(path, sb.buf, sb.len, err) == 0);
    sb_free(&sb);
    return path;
}

static study_config_t *s_study(const char *dir, const char *data)
{
    char *yaml = xasprintf("study: t\nn_trials: 1\ndata: {path: %s, label: label, text: "
                           "[text]}\nobjective: {type: logreg, C: 3}\nstrategy: {type: quick, "
                           "metric: logloss, test: {column: split, value: test}}\nspace: "
                           "{ngram_max: {type: int, low: 1, high: 2}}\n", data);
    char *path = xasprintf("%s/study.yaml", dir), err[HPS_ERR_LEN];
    assert(file_write_atomic(path, yaml, strlen(yaml), err) == 0);
    static const study_checks_t checks = {objective_check_study, NULL, NULL};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *s = study_config_load(path, 0, NULL, &checks, &errs);
    if (!s)
        cfg_errs_print(&errs, stderr);
    assert(s);
    cfg_errs_free(&errs);
    assert(unlink(path) == 0);
    free(path);
    free(yaml);
    return s;
}

void predict_test(bool verbose)
{
    if (verbose)
        printf(" * predict:\n");
    char dir[] = "/tmp/hps-predict-XXXXXX";
    assert(mkdtemp(dir));
    char *data = s_write(dir, "all.csv", false, true);
    study_config_t *s = s_study(dir, data);
    objective_ctx_t ctx = {.study = s, .seed = 3, .final = true, .artifact_dir = dir};
    objective_result_t res;
    objective_find("logreg")->run(&ctx, &res);
    assert(res.state == TRIAL_COMPLETE && isfinite(res.test_score));
    char *art = xasprintf("%s/%s", dir, MODEL_ARTIFACT_NAME), err[HPS_ERR_LEN];
    char *test = s_write(dir, "test.csv", true, true), *out = xasprintf("%s/p.csv", dir);
    predict_opts_t o = {.out = out, .score = true, .proba = true};
    predict_result_t pr;
    assert(model_predict_file(art, test, &o, &pr, err) == 0);
    assert(pr.n_rows == 15 && pr.score == res.test_score && !strcmp(pr.metric, "logloss"));
    size_t len = 0;
    char *text = file_read(out, &len, err);
    assert(text && !strncmp(text, "label,p_neg,p_pos\n", 18));
    free(text);
    /* Without the label: predictions still; --score is an error. */
    char *nolabel = s_write(dir, "nolabel.csv", true, false);
    o.score = false;
    assert(model_predict_file(art, nolabel, &o, &pr, err) == 0);
    o.score = true;
    assert(model_predict_file(art, nolabel, &o, &pr, err) == 2 && strstr(err, "'label'"));
    /* Without an artifact written when artifact_dir is NULL: the search trials. */
    assert(unlink(art) == 0);
    ctx.artifact_dir = NULL;
    objective_find("logreg")->run(&ctx, &res);
    assert(res.state == TRIAL_COMPLETE && access(art, F_OK) != 0);
    assert(model_predict_file(art, test, &o, &pr, err) == 2);
    char *paths[] = {data, test, nolabel, out, art};
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    assert(rmdir(dir) == 0);
    evaluate_cache_clear();
    study_config_destroy(&s);
}
