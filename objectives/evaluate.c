/* evaluate — the model objectives (logreg, ridge, mlp, xgboost): one driver that owns
 * data loading, splits, feature transforms, metrics and strategies, and asks a model
 * (objectives/model.h) only to fit and predict.
 *
 * A trial: load the CSV, carve the independent test split, then per strategy
 * (core/strategy.h) fit features + model on the fit rows and score the held-out rows:
 *   quick, balanced   one validation holdout from the training part -> val_score
 *   rigorous          k folds of the training part; each fold's running mean is
 *                     REPORTed (step = fold index) so a pruner can stop the trial
 *   final             refit on the whole training part, score once on the test split
 * Feature transforms are refitted on each fit part (no leakage); the costly text
 * tokenising is cached by content in ctx->cache_dir (objectives/features.h).
 *
 * Hyperparameters are the model's (model_ops_t.hparams) plus the text feature options
 * hash_bits, ngram_max, min_df and sublinear_tf, fixed in `objective:` or searched in
 * `space:` like any other. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dataset.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/split.h"
#include "core/strategy.h"
#include "objectives/features.h"
#include "objectives/model.h"
#include "objectives/objective.h"

/* Salts that give the test split, the validation holdout and the folds their own
 * streams from the one study split seed. */
#define SALT_TEST 0x74657374ULL
#define SALT_VAL 0x76616cULL
#define SALT_FOLDS 0x666f6c6473ULL

static const char *const s_feature_keys[] = {"hash_bits", "ngram_max", "min_df",
                                             "sublinear_tf", NULL};

/* The data section, with list values gathered into arrays (strings borrowed). */
typedef struct {
    const char *path, *label, *target;
    const char **text, **numeric; /* owned arrays */
    int n_text, n_numeric;
} s_data_t;

/* A string or a list of strings at data[key] into *out (owned array). */
static void s_str_list(const cfg_node_t *data, const char *key, const char ***out, int *n,
                       cfg_errs_t *errs)
{
    const cfg_node_t *v = cfg_get(data, key);
    *out = NULL;
    *n = 0;
    if (!v || v->type == CFG_NULL)
        return;
    if (v->type == CFG_SCALAR) {
        *out = xmalloc(sizeof **out);
        (*out)[(*n)++] = v->value;
        return;
    }
    if (v->type != CFG_SEQ) {
        cfg_error(errs, v, "data.%s: expected a list of column names", key);
        return;
    }
    *out = xmalloc((size_t)(v->n + 1) * sizeof **out);
    for (int i = 0; i < v->n; i++) {
        if (v->items[i]->type == CFG_SCALAR)
            (*out)[(*n)++] = v->items[i]->value;
        else
            cfg_error(errs, v->items[i], "data.%s: expected a column name", key);
    }
}

static int s_data_parse(const study_config_t *study, s_data_t *d, cfg_errs_t *errs)
{
    int before = errs->n;
    memset(d, 0, sizeof *d);
    const cfg_node_t *data = study->data;
    if (!data) {
        cfg_error(errs, study->objective, "objective: a model needs a `data:` section");
        return -1;
    }
    cfg_str(data, "path", NULL, &d->path, errs);
    cfg_str(data, "label", NULL, &d->label, errs);
    cfg_str(data, "target", NULL, &d->target, errs);
    if (d->label && d->target)
        cfg_error(errs, cfg_get(data, "target"), "data: give label or target, not both");
    s_str_list(data, "text", &d->text, &d->n_text, errs);
    s_str_list(data, "numeric", &d->numeric, &d->n_numeric, errs);
    return errs->n > before ? -1 : 0;
}

static void s_data_free(s_data_t *d)
{
    free(d->text);
    free(d->numeric);
    memset(d, 0, sizeof *d);
}

static const model_ops_t *s_model_of(const study_config_t *study)
{
    const char *type = NULL;
    cfg_str(study->objective, "type", NULL, &type, NULL);
    return type ? model_find(type) : NULL;
}

static bool s_in(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

/* Text feature options from hyperparameters; -1 with err when out of range. */
static int s_text_opts(const hparams_t *hp, text_opts_t *o, char *err)
{
    text_opts_default(o);
    o->hash_bits = (int)hp_long(hp, "hash_bits", o->hash_bits);
    o->ngram_max = (int)hp_long(hp, "ngram_max", o->ngram_max);
    o->min_df = (int)hp_long(hp, "min_df", o->min_df);
    o->sublinear_tf = hp_long(hp, "sublinear_tf", o->sublinear_tf) != 0;
    if (o->hash_bits < 10 || o->hash_bits > 24)
        return set_err(err, "hash_bits: must be between 10 and 24, got %d", o->hash_bits);
    if (o->ngram_max < 1 || o->ngram_max > 2)
        return set_err(err, "ngram_max: must be 1 or 2, got %d", o->ngram_max);
    if (o->min_df < 1)
        return set_err(err, "min_df: must be >= 1, got %d", o->min_df);
    return 0;
}

/* Objective keys and space names against the model's hyperparameters. */
static void s_check_names(const study_config_t *study, const model_ops_t *m, cfg_errs_t *errs)
{
    int n = 0;
    while (m->hparams[n])
        n++;
    const char **allowed = xmalloc((size_t)(n + ARRAY_SIZE(s_feature_keys) + 1) * sizeof(char *));
    allowed[0] = "type";
    memcpy(allowed + 1, m->hparams, (size_t)n * sizeof(char *));
    memcpy(allowed + 1 + n, s_feature_keys, sizeof s_feature_keys);
    cfg_check_keys(study->objective, allowed, errs);
    const cfg_node_t *space = cfg_get(study->root, "space");
    for (int i = 0; space && space->type == CFG_MAP && i < space->n; i++) {
        if (s_in(allowed + 1, space->keys[i]))
            continue;
        char *hint = did_you_mean(space->keys[i], allowed + 1, "parameters");
        cfg_key_error(errs, space, i, "space.%s: %s takes no parameter '%s'%s", space->keys[i],
                      m->name, space->keys[i], hint);
        free(hint);
    }
    free(allowed);
    /* Fixed feature options are checked now rather than failing every trial. */
    hparams_t *hp = hparams_from_study(study, NULL);
    text_opts_t o;
    char err[HPS_ERR_LEN];
    if (s_text_opts(hp, &o, err) != 0)
        cfg_error(errs, study->objective, "objective: %s", err);
    hparams_destroy(&hp);
}

static int s_check(const study_config_t *study, cfg_errs_t *errs)
{
    int before = errs->n;
    const model_ops_t *m = s_model_of(study);
    const char *type = NULL;
    cfg_str(study->objective, "type", NULL, &type, NULL);
    if (!m) {
        cfg_error(errs, cfg_get(study->objective, "type"),
                  "objective: this build of hps has no '%s' model", type ? type : "");
        return -1;
    }
    s_check_names(study, m, errs);
    s_data_t d;
    if (s_data_parse(study, &d, errs) == 0 && !d.path)
        cfg_error(errs, study->data, "data: missing required key 'path'");
    s_data_free(&d);
    task_t task = strategy_task(study);
    if ((task == TASK_CLASSIFICATION && !m->classification) ||
        (task == TASK_REGRESSION && !m->regression))
        cfg_error(errs, cfg_get(study->objective, "type"), "objective: %s does not do %s",
                  m->name, task == TASK_REGRESSION ? "regression" : "classification");
    strategy_t st;
    strategy_parse(study, task, &st, errs);
    return errs->n > before ? -1 : 0;
}

static const char *s_metric_of(const study_config_t *study)
{
    strategy_t st;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    task_t task = strategy_task(study);
    int metric = strategy_parse(study, task, &st, &errs) == 0 ? strategy_metric(&st, task)
                                                               : METRIC_ACCURACY;
    cfg_errs_free(&errs);
    return metric_name((metric_t)metric);
}

static direction_t s_direction(const study_config_t *study)
{
    return metric_direction(s_metric_of(study));
}

static void s_run(const objective_ctx_t *ctx, objective_result_t *res);

static int s_check_data(const study_config_t *study, const char *path, char *err);

const objective_ops_t logreg_objective = {"logreg", s_check, s_direction, s_run, s_check_data,
                                          s_metric_of};
const objective_ops_t ridge_objective = {"ridge", s_check, s_direction, s_run, s_check_data,
                                         s_metric_of};
const objective_ops_t mlp_objective = {"mlp", s_check, s_direction, s_run, s_check_data,
                                       s_metric_of};
const objective_ops_t xgboost_objective = {"xgboost", s_check, s_direction, s_run,
                                           s_check_data, s_metric_of};

/* ---- running a trial ---- */

/* Everything one trial needs, set up once and shared by its folds. */
typedef struct {
    const objective_ctx_t *ctx;
    const model_ops_t *model;
    hparams_t *hp;       /* owned */
    strategy_t st;
    int metric;
    dataset_t *ds;       /* owned */
    text_opts_t topts;
    textcounts_t *tc;    /* owned */
    const char *exclude; /* the test split column: never a feature */
    rowset_t train, test;
} s_trial_t;

static double *s_gather(const double *v, const rowset_t *rows)
{
    double *out = xmalloc((size_t)(rows->n + 1) * sizeof *out);
    for (int i = 0; i < rows->n; i++)
        out[i] = v[rows->idx[i]];
    return out;
}

/* Fit features and model on fit, score eval. 0 ok, -1 with err. */
static int s_score(const s_trial_t *t, const rowset_t *fit, const rowset_t *eval,
                   double *score, char *err)
{
    const dataset_t *ds = t->ds;
    double t0 = now_secs();
    features_t *f = features_fit(ds, t->tc, &t->topts, fit->idx, fit->n, &t->exclude,
                                 t->exclude ? 1 : 0);
    fmat_t a, b, da, db;
    features_transform(f, fit->idx, fit->n, &a);
    features_transform(f, eval->idx, eval->n, &b);
    features_destroy(&f);
    bool densify = !t->model->sparse_ok && !a.m.dense;
    if (densify) {
        fmat_densify(&a.m, &da);
        fmat_densify(&b.m, &db);
    }
    double t1 = now_secs();
    double *y = s_gather(ds->y, fit), *yv = s_gather(ds->y, eval);
    int k = ds->n_classes > 0 ? ds->n_classes : 1;
    double *pred = xmalloc((size_t)(eval->n + 1) * k * sizeof *pred);
    void *m = t->model->fit(densify ? &da.m : &a.m, y, ds->n_classes, t->hp, t->ctx->seed, err);
    int rc = m ? t->model->predict(m, densify ? &db.m : &b.m, pred, err) : -1;
    if (rc == 0) {
        *score = metric_eval((metric_t)t->metric, yv, pred, eval->n, ds->n_classes);
        if (isnan(*score))
            rc = set_err(err, "%s is undefined on this split (a single class?)",
                         metric_name((metric_t)t->metric));
    }
    log_debug("%s: %d fit rows, %d eval rows, %d features: features %.3f s, model %.3f s",
              t->model->name, fit->n, eval->n, a.m.n_cols, t1 - t0, now_secs() - t1);
    if (m)
        t->model->destroy(&m);
    if (densify) {
        fmat_free(&da);
        fmat_free(&db);
    }
    fmat_free(&a);
    fmat_free(&b);
    free(y);
    free(yv);
    free(pred);
    return rc;
}

/* The independent test split: rows where column == value, or a seeded fraction. */
static int s_test_split(s_trial_t *t, char *err)
{
    const dataset_t *ds = t->ds;
    int n = ds->n_rows;
    int *all = xmalloc((size_t)n * sizeof *all);
    for (int i = 0; i < n; i++)
        all[i] = i;
    if (!t->st.test_column) {
        split_holdout(all, n, ds->y, ds->n_classes, t->st.test_fraction,
                      hash_mix64(t->st.seed ^ SALT_TEST), &t->train, &t->test);
        free(all);
        return 0;
    }
    int c = dataset_col_index(ds, t->st.test_column);
    free(all);
    if (c < 0)
        return set_err(err, "%s: strategy.test.column: no column '%s'", ds->path,
                       t->st.test_column);
    const dataset_col_t *col = &ds->cols[c];
    double want = 0;
    if (col->kind == COL_NUMERIC && parse_double(t->st.test_value, &want) != 0)
        return set_err(err, "%s: column '%s' is numeric, test value '%s' is not", ds->path,
                       col->name, t->st.test_value);
    t->exclude = col->name;
    t->train.idx = xmalloc((size_t)n * sizeof(int));
    t->test.idx = xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) {
        bool is_test = col->kind == COL_NUMERIC ? col->num[i] == want
                                                : strcmp(col->str[i], t->st.test_value) == 0;
        rowset_t *into = is_test ? &t->test : &t->train;
        into->idx[into->n++] = i;
    }
    if (t->test.n == 0 || t->train.n == 0)
        return set_err(err, "%s: %s == '%s' leaves %s", ds->path, col->name,
                       t->st.test_value, t->test.n ? "no training rows" : "no test rows");
    return 0;
}

/* Model, data, strategy and the test split of a study. 0 ok, -1 with err. */
static int s_prepare(s_trial_t *t, const study_config_t *study, const char *data_path,
                     char *err)
{
    t->model = s_model_of(study);
    if (!t->model)
        return set_err(err, "objective: no such model in this build");
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    s_data_t d;
    int rc = s_data_parse(study, &d, &errs);
    if (rc == 0) {
        dataset_opts_t o = {.label = d.label, .target = d.target, .text = d.text,
                            .n_text = d.n_text, .numeric = d.numeric, .n_numeric = d.n_numeric};
        const char *path = data_path ? data_path : d.path;
        t->ds = path ? dataset_load(path, &o, err) : NULL;
        if (!path)
            set_err(err, "data: no path");
        rc = t->ds ? 0 : -1;
    }
    s_data_free(&d);
    task_t task = !t->ds ? TASK_UNKNOWN : t->ds->classification ? TASK_CLASSIFICATION
                                                                : TASK_REGRESSION;
    if (rc == 0 && strategy_parse(study, task, &t->st, &errs) != 0)
        rc = -1;
    if (errs.n > 0)
        set_err(err, "%s", errs.msgs[0]);
    cfg_errs_free(&errs);
    if (rc != 0)
        return -1;
    t->metric = strategy_metric(&t->st, task);
    if (task == TASK_CLASSIFICATION ? !t->model->classification : !t->model->regression)
        return set_err(err, "%s does not do %s", t->model->name,
                       task == TASK_CLASSIFICATION ? "classification" : "regression");
    return s_test_split(t, err);
}

/* Data, strategy and hyperparameters of the trial. 0 ok, -1 with err. */
static int s_setup(s_trial_t *t, const objective_ctx_t *ctx, char *err)
{
    t->ctx = ctx;
    if (s_prepare(t, ctx->study, ctx->data_path, err) != 0)
        return -1;
    t->hp = hparams_from_study(ctx->study, ctx->x);
    if (s_text_opts(t->hp, &t->topts, err) != 0)
        return -1;
    t->tc = textcounts_get(t->ds, &t->topts, ctx->cache_dir);
    return 0;
}

static void s_teardown(s_trial_t *t)
{
    hparams_destroy(&t->hp);
    textcounts_destroy(&t->tc);
    dataset_destroy(&t->ds);
    rowset_free(&t->train);
    rowset_free(&t->test);
}

/* k-fold CV on the training part, reporting the running mean after each fold. */
static void s_rigorous(const s_trial_t *t, objective_result_t *res)
{
    int k = t->st.folds, n = t->train.n;
    if (n < k) {
        set_err(res->error, "%d training rows cannot make %d folds", n, k);
        return;
    }
    int *fold_of = xmalloc((size_t)n * sizeof *fold_of);
    split_kfold(t->train.idx, n, t->ds->y, t->ds->n_classes, k,
                hash_mix64(t->st.seed ^ SALT_FOLDS), fold_of);
    double sum = 0, sum2 = 0;
    res->state = TRIAL_COMPLETE;
    for (int f = 0; f < k; f++) {
        rowset_t fit, held;
        split_fold_rows(t->train.idx, n, fold_of, f, &fit, &held);
        double score;
        int rc = s_score(t, &fit, &held, &score, res->error);
        rowset_free(&fit);
        rowset_free(&held);
        if (rc != 0) {
            res->state = TRIAL_FAIL;
            break;
        }
        res->fold_scores[res->n_folds++] = score;
        sum += score;
        sum2 += score * score;
        double mean = sum / res->n_folds;
        res->value = res->cv_mean = mean;
        res->cv_std = sqrt(fmax(sum2 / res->n_folds - mean * mean, 0));
        /* Every fold is reported; a prune after the last one changes nothing. */
        bool stop = t->ctx->report && t->ctx->report(t->ctx->report_arg, f, mean) == 1;
        if (stop && f + 1 < k) {
            res->state = TRIAL_PRUNED;
            break;
        }
    }
    if (res->state == TRIAL_FAIL)
        res->value = res->cv_mean = res->cv_std = NAN;
    free(fold_of);
}

static void s_run(const objective_ctx_t *ctx, objective_result_t *res)
{
    assert(ctx && ctx->study && res);
    objective_result_init(res);
    s_trial_t t = {0};
    if (s_setup(&t, ctx, res->error) != 0) {
        s_teardown(&t);
        return;
    }
    double score = NAN;
    if (ctx->final) {
        if (s_score(&t, &t.train, &t.test, &score, res->error) == 0) {
            res->state = TRIAL_COMPLETE;
            res->value = res->test_score = score;
        }
    } else if (t.st.kind == STRATEGY_RIGOROUS) {
        s_rigorous(&t, res);
    } else {
        rowset_t fit, val;
        split_holdout(t.train.idx, t.train.n, t.ds->y, t.ds->n_classes, t.st.val_fraction,
                      hash_mix64(t.st.seed ^ SALT_VAL), &fit, &val);
        if (s_score(&t, &fit, &val, &score, res->error) == 0) {
            res->state = TRIAL_COMPLETE;
            res->value = res->val_score = score;
        }
        rowset_free(&fit);
        rowset_free(&val);
    }
    s_teardown(&t);
}

/* Load the dataset and carve the test split as a trial would, then drop it all. */
static int s_check_data(const study_config_t *study, const char *path, char *err)
{
    s_trial_t t;
    memset(&t, 0, sizeof t);
    int rc = s_prepare(&t, study, path, err);
    /* With neither label nor target in the config, the direction was taken from
     * accuracy; a file whose header says regression would then maximise its rmse. */
    if (rc == 0 && strategy_task(study) == TASK_UNKNOWN && !t.ds->classification) {
        rc = set_err(err, "%s: a 'target' column (regression) but no 'target:' in data: "
                          "add 'target: target' so the study minimises its error", path);
    }
    s_teardown(&t);
    return rc;
}
