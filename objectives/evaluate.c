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
 * A model with epochs (the mlp) REPORTs its held-out score after every epoch instead
 * (step = epoch; f * EPOCH_STEPS + epoch in fold f), so a pruner stops it mid-fit.
 * Feature transforms are refitted on each fit part (no leakage); the costly text
 * tokenising is cached by content in ctx->cache_dir (objectives/features.h).
 *
 * The trial process is reused for trial after trial, so what does not depend on the
 * trial's parameters (the loaded dataset, the strategy, the test split, the folds or
 * holdout, the text counts) is kept in memory per study, for the two most recently used
 * studies (s_cache): the next trial of the study starts at the fit.
 *
 * Hyperparameters are the model's (model_ops_t.hparams) plus the text feature options
 * hash_bits, ngram_max, min_df and sublinear_tf, the chi2 feature selection select_k
 * (objectives/select.h) and report_every, fixed in `objective:` or searched in
 * `space:` like any other. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/dataset.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/split.h"
#include "core/strategy.h"
#include "objectives/clean.h"
#include "objectives/features.h"
#include "objectives/model.h"
#include "objectives/model_io.h"
#include "objectives/objective.h"
#include "objectives/select.h"

/* Salts that give the test split, the validation holdout and the folds their own
 * streams from the one study split seed. */
#define SALT_TEST 0x74657374ULL
#define SALT_VAL 0x76616cULL
#define SALT_FOLDS 0x666f6c6473ULL

/* The driver's own keys besides the model's: text feature options, select_k (keep the
 * k features with the largest chi2 against the labels, fitted per fit part:
 * objectives/select.h; 0 = all) and report_every (a model with epochs reports every
 * that many; see EPOCH_STEPS). */
static const char *const s_feature_keys[] = {"hash_bits", "ngram_max", "min_df",
                                             "sublinear_tf", "select_k", "report_every",
                                             NULL};

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
    if (hp_long(hp, "select_k", 0) < 0)
        return set_err(err, "select_k: must be >= 0 (0 = every feature), got %ld",
                       hp_long(hp, "select_k", 0));
    if (hp_long(hp, "report_every", 1) < 1)
        return set_err(err, "report_every: must be >= 1, got %ld",
                       hp_long(hp, "report_every", 1));
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
    clean_data_t d;
    if (clean_data_parse(study, &d, errs) == 0 && !d.path)
        cfg_error(errs, study->data, "data: missing required key 'path'");
    const cfg_node_t *none = clean_none_at(study->data);
    if (none && !m->missing_ok)
        cfg_error(errs, none, "data.impute: none leaves missing cells as they are, which "
                  "only xgboost takes; %s needs them filled (mean, median, most_frequent "
                  "or constant)", m->name);
    clean_data_free(&d);
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

/* A study made ready for its trials: model, strategy, dataset, test split, folds and
 * text counts. None of it depends on the trial's parameters (the text counts only on
 * hash_bits and ngram_max), so a trial process keeps it for the next trial of the same
 * study (see s_cache). Self-contained: nothing borrows from the study config. */
typedef struct {
    char *key;           /* data file identity + study JSON (s_key); owned */
    const model_ops_t *model;
    strategy_t st;       /* test_column/test_value point at the copies below */
    char *test_column, *test_value; /* owned */
    int metric;
    dataset_t *ds;       /* owned */
    clean_opts_t clean;  /* missing values, imputation, clipping: fitted per fit part */
    const char *exclude; /* the test split column: never a feature; borrowed from ds */
    rowset_t train, test;
    rowset_t *fold_fit, *fold_held; /* rigorous: st.folds of each; NULL until asked */
    rowset_t hold_fit, hold_val;    /* quick, balanced: the validation holdout */
    bool holdout;                   /* hold_fit/hold_val are made */
    textcounts_t *tc;    /* of tc_bits/tc_ngram; owned, NULL until asked */
    int tc_bits, tc_ngram;
    uint64_t used;       /* LRU clock */
} s_prep_t;

/* Everything one trial needs: the prepared study and the trial's own parameters. */
typedef struct {
    const objective_ctx_t *ctx;
    s_prep_t *p;         /* borrowed from the cache */
    hparams_t *hp;       /* owned */
    text_opts_t topts;
    const textcounts_t *tc; /* borrowed from p */
} s_trial_t;
static double *s_gather(const double *v, const rowset_t *rows)
{
    double *out = xmalloc((size_t)(rows->n + 1) * sizeof *out);
    for (int i = 0; i < rows->n; i++)
        out[i] = v[rows->idx[i]];
    return out;
}

/* A final refit's model with its pipeline into ctx->artifact_dir (objectives/model_io.h). */
static int s_save_artifact(const s_trial_t *t, const void *model, const features_t *f,
                           const select_t *sel, int n_fit, char *err)
{
    const s_prep_t *p = t->p;
    model_fitted_t fitted = {.ops = p->model, .model = model, .pipeline = f,
                             .select = sel, .ds = p->ds,
                             .n_train = n_fit, .ignored = &p->exclude,
                             .n_ignored = p->exclude ? 1 : 0,
                             .metric = metric_name((metric_t)p->metric)};
    char *path = xasprintf("%s/%s", t->ctx->artifact_dir, MODEL_ARTIFACT_NAME);
    int rc = model_artifact_save(path, &fitted, err);
    free(path);
    return rc;
}

/* A model with epochs (model_ops_t.fit_progress) reports the held-out score after each
 * epoch (or every report_every epochs), at step step0 + epoch: a pruner can stop a poor
 * run after a few epochs instead of after a whole fit. A report costs a forward pass
 * over the held-out rows and a round trip to the coordinator, which stores it (about
 * 0.2 ms: a quarter more time on digits, whose epochs take half a millisecond; see
 * docs/bench-models-ladder.md). A rigorous trial's fold f reports at f * EPOCH_STEPS + epoch, so
 * the steps of different folds never meet and a step means the same in every trial;
 * epochs from EPOCH_STEPS on are not reported. */
#define EPOCH_STEPS 1000

typedef struct {
    const s_trial_t *t;
    const fmatrix_t *X; /* the held-out rows */
    const double *y;    /* their labels or targets */
    double *pred;       /* scratch for the predictions */
    long step0;
    double last;        /* the score of the last epoch reported; NaN = none */
} s_epochs_t;

static int s_on_epoch(void *arg, long epoch, const void *model)
{
    s_epochs_t *e = arg;
    const s_prep_t *p = e->t->p;
    char err[HPS_ERR_LEN];
    if (epoch >= EPOCH_STEPS || epoch % hp_long(e->t->hp, "report_every", 1) != 0 ||
        p->model->predict(model, e->X, e->pred, err) != 0)
        return 0;
    double v = metric_eval((metric_t)p->metric, e->y, e->pred, e->X->n_rows, p->ds->n_classes);
    if (isnan(v))
        return 0;
    e->last = v;
    return e->t->ctx->report(e->t->ctx->report_arg, e->step0 + epoch, v) == 1;
}

/* Whether the trial's model reports its epochs (and the fold means are not reported). */
static bool s_reports_epochs(const s_trial_t *t)
{
    return t->ctx->report && t->p->model->fit_progress && !t->ctx->final;
}

/* Fit the model on X, y; with epochs reported from step step0 on (< 0: none) against
 * the held-out Xe, ye. *pruned (when reported epochs stopped it) gets the last score. */
static void *s_fit(const s_trial_t *t, const fmatrix_t *X, const double *y,
                   const fmatrix_t *Xe, const double *ye, double *pred, long step0,
                   double *pruned, char *err)
{
    const s_prep_t *p = t->p;
    *pruned = NAN;
    if (step0 < 0 || !s_reports_epochs(t))
        return p->model->fit(X, y, p->ds->n_classes, t->hp, t->ctx->seed, err);
    s_epochs_t e = {t, Xe, ye, pred, step0, NAN};
    model_progress_t progress = {s_on_epoch, &e};
    bool stopped = false;
    void *m = p->model->fit_progress(X, y, p->ds->n_classes, t->hp, t->ctx->seed, &progress,
                                     &stopped, err);
    if (m && stopped)
        *pruned = e.last;
    return m;
}

/* select_k > 0: keep the k columns of a with the largest chi2 against the fit rows'
 * labels y, in a and b alike: the selection sees the fit rows only. The selection
 * (a final refit's artifact saves it), or NULL when every column is kept. */
static select_t *s_select(const s_trial_t *t, const double *y, fmat_t *a, fmat_t *b)
{
    long k = hp_long(t->hp, "select_k", 0);
    if (k <= 0 || k >= a->m.n_cols)
        return NULL;
    select_t *s = select_fit(&a->m, y, t->p->ds->n_classes, (int)k);
    fmat_t sa, sb;
    select_apply(s, &a->m, &sa);
    select_apply(s, &b->m, &sb);
    fmat_free(a);
    fmat_free(b);
    *a = sa;
    *b = sb;
    return s;
}

/* Fit features and model on fit, score eval; epochs reported from step0 on (< 0: none);
 * a final refit saves what it fitted when ctx->artifact_dir is set. 0 ok, -1 with err.
 * A trial pruned at an epoch is 0 with *pruned set: its last score is in *score. */
static int s_score(const s_trial_t *t, const rowset_t *fit, const rowset_t *eval,
                   long step0, bool *pruned, double *score, char *err)
{
    const s_prep_t *p = t->p;
    const dataset_t *ds = p->ds;
    double t0 = now_secs();
    features_t *f = features_fit(ds, t->tc, &t->topts, &p->clean, fit->idx, fit->n,
                                 &p->exclude, p->exclude ? 1 : 0);
    fmat_t a, b, da, db;
    features_transform(f, fit->idx, fit->n, &a);
    features_transform(f, eval->idx, eval->n, &b);
    double *y = s_gather(ds->y, fit), *yv = s_gather(ds->y, eval);
    select_t *sel = s_select(t, y, &a, &b);
    bool densify = !p->model->sparse_ok && !a.m.dense;
    if (densify) {
        fmat_densify(&a.m, &da);
        fmat_densify(&b.m, &db);
    }
    double t1 = now_secs();
    int k = ds->n_classes > 0 ? ds->n_classes : 1;
    double *pred = xmalloc((size_t)(eval->n + 1) * k * sizeof *pred);
    double last = NAN;
    void *m = s_fit(t, densify ? &da.m : &a.m, y, densify ? &db.m : &b.m, yv, pred, step0,
                    &last, err);
    *pruned = !isnan(last);
    if (*pruned)
        *score = last;
    int rc = !m ? -1 : *pruned ? 0 : p->model->predict(m, densify ? &db.m : &b.m, pred, err);
    if (rc == 0 && !*pruned) {
        *score = metric_eval((metric_t)p->metric, yv, pred, eval->n, ds->n_classes);
        if (isnan(*score))
            rc = set_err(err, "%s is undefined on this split (a single class?)",
                         metric_name((metric_t)p->metric));
    }
    log_debug("%s: %d fit rows, %d eval rows, %d features: features %.3f s, model %.3f s",
              p->model->name, fit->n, eval->n, a.m.n_cols, t1 - t0, now_secs() - t1);
    if (rc == 0 && t->ctx->final && t->ctx->artifact_dir)
        rc = s_save_artifact(t, m, f, sel, fit->n, err);
    features_destroy(&f);
    select_destroy(&sel);
    if (m)
        p->model->destroy(&m);
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
static int s_test_split(s_prep_t *p, char *err)
{
    const dataset_t *ds = p->ds;
    int n = ds->n_rows;
    if (!p->st.test_column) {
        int *all = xmalloc((size_t)n * sizeof *all);
        for (int i = 0; i < n; i++)
            all[i] = i;
        split_holdout(all, n, ds->y, ds->n_classes, p->st.test_fraction,
                      hash_mix64(p->st.seed ^ SALT_TEST), &p->train, &p->test);
        free(all);
        return 0;
    }
    int c = dataset_col_index(ds, p->st.test_column);
    if (c < 0)
        return set_err(err, "%s: strategy.test.column: no column '%s'", ds->path,
                       p->st.test_column);
    const dataset_col_t *col = &ds->cols[c];
    double want = 0;
    if (col->kind == COL_NUMERIC && parse_double(p->st.test_value, &want) != 0)
        return set_err(err, "%s: column '%s' is numeric, test value '%s' is not", ds->path,
                       col->name, p->st.test_value);
    p->exclude = col->name;
    p->train.idx = xmalloc((size_t)n * sizeof(int));
    p->test.idx = xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) {
        bool is_test = col->kind == COL_NUMERIC ? col->num[i] == want
                                                : strcmp(col->str[i], p->st.test_value) == 0;
        rowset_t *into = is_test ? &p->test : &p->train;
        into->idx[into->n++] = i;
    }
    if (p->test.n == 0 || p->train.n == 0)
        return set_err(err, "%s: %s == '%s' leaves %s", ds->path, col->name,
                       p->st.test_value, p->test.n ? "no training rows" : "no test rows");
    return 0;
}

/* Strategy of a study for the loaded data; its strings copied so that p outlives the
 * study config. 0 ok, -1 with errs. */
static int s_strategy(s_prep_t *p, const study_config_t *study, task_t task,
                      cfg_errs_t *errs)
{
    if (strategy_parse(study, task, &p->st, errs) != 0)
        return -1;
    p->test_column = p->st.test_column ? xstrdup(p->st.test_column) : NULL;
    p->test_value = p->st.test_value ? xstrdup(p->st.test_value) : NULL;
    p->st.test_column = p->test_column;
    p->st.test_value = p->test_value;
    p->metric = strategy_metric(&p->st, task);
    return 0;
}

/* Model, data, strategy and the test split of a study. 0 ok, -1 with err. */
static int s_prepare(s_prep_t *p, const study_config_t *study, const char *data_path,
                     char *err)
{
    p->model = s_model_of(study);
    if (!p->model)
        return set_err(err, "objective: no such model in this build");
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    clean_data_t d;
    int rc = clean_data_parse(study, &d, &errs);
    if (rc == 0) {
        dataset_opts_t o;
        clean_data_opts(&d, &o);
        const char *path = data_path ? data_path : d.path;
        p->ds = path ? dataset_load(path, &o, err) : NULL;
        if (!path)
            set_err(err, "data: no path");
        rc = p->ds ? 0 : -1;
        clean_opts_take(&d, &p->clean);
    }
    clean_data_free(&d);
    task_t task = !p->ds ? TASK_UNKNOWN : p->ds->classification ? TASK_CLASSIFICATION
                                                                : TASK_REGRESSION;
    if (rc == 0 && s_strategy(p, study, task, &errs) != 0)
        rc = -1;
    if (errs.n > 0)
        set_err(err, "%s", errs.msgs[0]);
    cfg_errs_free(&errs);
    if (rc == 0 && p->st.test_column) /* a rule for it would be silently ignored */
        rc = clean_opts_not_feature(&p->clean, p->st.test_column,
                                    "the test split column (strategy.test.column)", err);
    if (rc == 0)
        rc = clean_opts_check(&p->clean, p->ds, err);
    if (rc != 0)
        return -1;
    if (task == TASK_CLASSIFICATION ? !p->model->classification : !p->model->regression)
        return set_err(err, "%s does not do %s", p->model->name,
                       task == TASK_CLASSIFICATION ? "classification" : "regression");
    return s_test_split(p, err);
}

static void s_prep_destroy(s_prep_t **p_p)
{
    s_prep_t *p = *p_p;
    if (!p)
        return;
    for (int f = 0; p->fold_fit && f < p->st.folds; f++) {
        rowset_free(&p->fold_fit[f]);
        rowset_free(&p->fold_held[f]);
    }
    free(p->fold_fit);
    free(p->fold_held);
    rowset_free(&p->hold_fit);
    rowset_free(&p->hold_val);
    textcounts_destroy(&p->tc);
    dataset_destroy(&p->ds);
    clean_opts_free(&p->clean);
    rowset_free(&p->train);
    rowset_free(&p->test);
    free(p->test_column);
    free(p->test_value);
    free(p->key);
    free(p);
    *p_p = NULL;
}

/* ---- the per-process cache of prepared studies ---- */

/* A trial process runs trial after trial, mostly of one study: the dataset, splits and
 * text counts are made once per study and kept for the next trial. At most CACHE_SLOTS
 * studies are kept (least recently used goes), so memory does not grow with the number
 * of studies a worker has served. Only whole successes are kept: a failed preparation
 * is tried again by the next trial. */
#define CACHE_SLOTS 2
static s_prep_t *s_cache[CACHE_SLOTS];
static uint64_t s_clock;
static long s_loads; /* preparations made for trials (cache misses), for tests */

/* What a prepared study depends on: the data file (path, and its inode, size and mtime,
 * so that a file rewritten in place is read again) and the whole study config. NULL
 * when the file cannot be stat'ed (then nothing is cached; the load reports why). */
static char *s_key(const study_config_t *study, const char *data_path)
{
    const char *path = data_path;
    if (!path && study->data)
        cfg_str(study->data, "path", NULL, &path, NULL);
    struct stat sb;
    if (!path || !study->json || stat(path, &sb) != 0)
        return NULL;
    return xasprintf("%s|%llu|%llu|%lld|%lld.%09ld\n%s", path, (unsigned long long)sb.st_dev,
                     (unsigned long long)sb.st_ino, (long long)sb.st_size,
                     (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec, study->json);
}

/* Keep p in the cache (it takes p), evicting the least recently used study. */
static void s_cache_put(s_prep_t *p)
{
    int slot = 0;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (!s_cache[i]) {
            slot = i;
            break;
        }
        if (s_cache[i]->used < s_cache[slot]->used)
            slot = i;
    }
    s_prep_destroy(&s_cache[slot]);
    s_cache[slot] = p;
}

/* The prepared study for a trial: cached, or made now (and cached when it has a key).
 * *owned is set when the caller must destroy it. NULL with err. */
static s_prep_t *s_prep_get(const study_config_t *study, const char *data_path, bool *owned,
                            char *err)
{
    char *key = s_key(study, data_path);
    for (int i = 0; key && i < CACHE_SLOTS; i++) {
        if (s_cache[i] && strcmp(s_cache[i]->key, key) == 0) {
            free(key);
            s_cache[i]->used = ++s_clock;
            *owned = false;
            return s_cache[i];
        }
    }
    s_prep_t *p = xcalloc(1, sizeof *p);
    if (s_prepare(p, study, data_path, err) != 0) {
        free(key);
        s_prep_destroy(&p);
        return NULL;
    }
    s_loads++;
    p->key = key;
    p->used = ++s_clock;
    *owned = !key;
    if (key)
        s_cache_put(p);
    return p;
}

void evaluate_cache_clear(void)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        s_prep_destroy(&s_cache[i]);
}

void evaluate_cache_stats(int *held, long *loads)
{
    *held = 0;
    for (int i = 0; i < CACHE_SLOTS; i++)
        *held += s_cache[i] != NULL;
    *loads = s_loads;
}

/* Text counts for the trial's options: kept with the study while hash_bits and
 * ngram_max stay the same (min_df and sublinear_tf apply at fit time). */
static const textcounts_t *s_textcounts(s_prep_t *p, const text_opts_t *o,
                                        const char *cache_dir)
{
    if (p->tc && p->tc_bits == o->hash_bits && p->tc_ngram == o->ngram_max)
        return p->tc;
    textcounts_destroy(&p->tc);
    p->tc = textcounts_get(p->ds, o, cache_dir);
    p->tc_bits = o->hash_bits;
    p->tc_ngram = o->ngram_max;
    return p->tc;
}

/* Data, strategy and hyperparameters of the trial. 0 ok, -1 with err. */
static int s_setup(s_trial_t *t, const objective_ctx_t *ctx, bool *owned, char *err)
{
    t->ctx = ctx;
    t->p = s_prep_get(ctx->study, ctx->data_path, owned, err);
    if (!t->p)
        return -1;
    t->hp = hparams_from_study(ctx->study, ctx->x);
    if (s_text_opts(t->hp, &t->topts, err) != 0)
        return -1;
    if (hp_long(t->hp, "select_k", 0) > 0 && t->p->ds->n_classes < 2)
        return set_err(err, "select_k: chi2 selection needs class labels (a `label:` "
                            "column), not a regression target");
    t->tc = s_textcounts(t->p, &t->topts, ctx->cache_dir);
    return 0;
}

/* The fold rows of rigorous CV (the same for every trial of the study), made once. */
static void s_folds(s_prep_t *p)
{
    if (p->fold_fit)
        return;
    int k = p->st.folds, n = p->train.n;
    int *fold_of = xmalloc((size_t)n * sizeof *fold_of);
    split_kfold(p->train.idx, n, p->ds->y, p->ds->n_classes, k,
                hash_mix64(p->st.seed ^ SALT_FOLDS), fold_of);
    p->fold_fit = xcalloc((size_t)k, sizeof *p->fold_fit);
    p->fold_held = xcalloc((size_t)k, sizeof *p->fold_held);
    for (int f = 0; f < k; f++)
        split_fold_rows(p->train.idx, n, fold_of, f, &p->fold_fit[f], &p->fold_held[f]);
    free(fold_of);
}

/* k-fold CV on the training part, reporting the running mean after each fold. */
static void s_rigorous(const s_trial_t *t, objective_result_t *res)
{
    int k = t->p->st.folds, n = t->p->train.n;
    if (n < k) {
        set_err(res->error, "%d training rows cannot make %d folds", n, k);
        return;
    }
    s_folds(t->p);
    double sum = 0, sum2 = 0;
    res->state = TRIAL_COMPLETE;
    bool epochs = s_reports_epochs(t);
    for (int f = 0; f < k; f++) {
        double score;
        bool pruned = false;
        if (s_score(t, &t->p->fold_fit[f], &t->p->fold_held[f], (long)f * EPOCH_STEPS,
                    &pruned, &score, res->error) != 0) {
            res->state = TRIAL_FAIL;
            break;
        }
        if (pruned) { /* at an epoch of this fold: its value is that epoch's score */
            res->state = TRIAL_PRUNED;
            res->value = score;
            break;
        }
        res->fold_scores[res->n_folds++] = score;
        sum += score;
        sum2 += score * score;
        double mean = sum / res->n_folds;
        res->value = res->cv_mean = mean;
        res->cv_std = sqrt(fmax(sum2 / res->n_folds - mean * mean, 0));
        /* Every fold is reported (unless its epochs were); a prune after the last one
         * changes nothing. */
        bool stop = !epochs && t->ctx->report &&
                    t->ctx->report(t->ctx->report_arg, f, mean) == 1;
        if (stop && f + 1 < k) {
            res->state = TRIAL_PRUNED;
            break;
        }
    }
    if (res->state == TRIAL_FAIL)
        res->value = res->cv_mean = res->cv_std = NAN;
}

/* quick, balanced: one validation holdout from the training part (made once). */
static void s_holdout(const s_trial_t *t, objective_result_t *res)
{
    s_prep_t *p = t->p;
    if (!p->holdout) {
        split_holdout(p->train.idx, p->train.n, p->ds->y, p->ds->n_classes,
                      p->st.val_fraction, hash_mix64(p->st.seed ^ SALT_VAL), &p->hold_fit,
                      &p->hold_val);
        p->holdout = true;
    }
    double score = NAN;
    bool pruned = false;
    if (s_score(t, &p->hold_fit, &p->hold_val, 0, &pruned, &score, res->error) == 0) {
        res->state = pruned ? TRIAL_PRUNED : TRIAL_COMPLETE;
        res->value = res->val_score = score;
    }
}

static void s_run(const objective_ctx_t *ctx, objective_result_t *res)
{
    assert(ctx && ctx->study && res);
    objective_result_init(res);
    s_trial_t t = {0};
    bool owned = false;
    if (s_setup(&t, ctx, &owned, res->error) == 0) {
        double score = NAN;
        bool pruned = false;
        if (ctx->final) {
            if (s_score(&t, &t.p->train, &t.p->test, -1, &pruned, &score, res->error) == 0) {
                res->state = TRIAL_COMPLETE;
                res->value = res->test_score = score;
            }
        } else if (t.p->st.kind == STRATEGY_RIGOROUS) {
            s_rigorous(&t, res);
        } else {
            s_holdout(&t, res);
        }
    }
    hparams_destroy(&t.hp);
    if (owned)
        s_prep_destroy(&t.p);
}

/* Load the dataset and carve the test split as a trial would, then drop it all. */
static int s_check_data(const study_config_t *study, const char *path, char *err)
{
    s_prep_t *p = xcalloc(1, sizeof *p);
    int rc = s_prepare(p, study, path, err);
    /* With neither label nor target in the config, the direction was taken from
     * accuracy; a file whose header says regression would then maximise its rmse. */
    if (rc == 0 && strategy_task(study) == TASK_UNKNOWN && !p->ds->classification) {
        rc = set_err(err, "%s: a 'target' column (regression) but no 'target:' in data: "
                          "add 'target: target' so the study minimises its error", path);
    }
    s_prep_destroy(&p);
    return rc;
}

int evaluate_test_rows(const study_config_t *study, const char *data_path, int **rows, int *n,
                       char *err)
{
    s_prep_t *p = xcalloc(1, sizeof *p);
    int rc = s_prepare(p, study, data_path, err);
    if (rc == 0) {
        *n = p->test.n;
        *rows = xmalloc((size_t)(p->test.n + 1) * sizeof **rows);
        memcpy(*rows, p->test.idx, (size_t)p->test.n * sizeof **rows);
    }
    s_prep_destroy(&p);
    return rc;
}
