/* median — Optuna's MedianPruner: stop a trial whose best intermediate value so far is
 * worse than the median of the completed trials' values at the same step.
 *
 * Options (Optuna's names and defaults): n_startup_trials 5 (no pruning until that
 * many trials completed), n_warmup_steps 0 (no pruning before that step),
 * interval_steps 1 (judge only the first report in each interval after the warm-up),
 * n_min_trials 1 (no pruning while fewer completed trials reported that step).
 *
 * State: the running trials' curves, and per step a sorted vector of the values
 * completed trials reported there, so a median costs O(log n) (the insert an O(n)
 * memmove) however large the study. Values are kept in minimise form (value * dir),
 * so one comparison serves both directions. Only COMPLETE trials feed the medians,
 * as in Optuna; their curves move there when finished() says so, which is why
 * replaying report()/finished() in trial order rebuilds the same state. */
#include "samplers/pruner.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long step;
    double value; /* minimise form */
} point_t;

typedef struct {
    point_t *pts; /* owned; in report order */
    int n, cap;
    long last, second; /* the largest and second largest step reported; -1 = none */
} curve_t;

typedef struct {
    long step;
    sortvec_t vals; /* completed trials' values at this step, minimise form */
} step_vals_t;

typedef struct {
    direction_t dir;
    long n_startup, n_warmup, interval, n_min;
    curve_t **curves;   /* indexed by trial number; NULL when none or finished */
    long n_curves;      /* capacity of curves */
    step_vals_t *steps; /* sorted by step */
    size_t n_steps, cap_steps;
    long n_complete;
} median_t;

static const pruner_opt_t s_opts[] = {
    {"n_startup_trials", 5, 0, offsetof(median_t, n_startup)},
    {"n_warmup_steps", 0, 0, offsetof(median_t, n_warmup)},
    {"interval_steps", 1, 1, offsetof(median_t, interval)},
    {"n_min_trials", 1, 1, offsetof(median_t, n_min)},
    {NULL, 0, 0, 0},
};

static int s_check(const cfg_node_t *opts, cfg_errs_t *errs)
{
    return pruner_opts_check(opts, s_opts, errs);
}

static void *s_create(const cfg_node_t *opts, direction_t dir, char *err)
{
    median_t *self = pruner_opts_new(opts, s_opts, sizeof *self, err);
    if (self)
        self->dir = dir;
    return self;
}

/* The curve of trial `number`, created on first use. */
static curve_t *s_curve(median_t *self, long number)
{
    assert(number >= 0);
    if (number >= self->n_curves) {
        long cap = self->n_curves ? self->n_curves : 64;
        while (cap <= number)
            cap *= 2;
        self->curves = xrealloc(self->curves, (size_t)cap * sizeof *self->curves);
        memset(self->curves + self->n_curves, 0,
               (size_t)(cap - self->n_curves) * sizeof *self->curves);
        self->n_curves = cap;
    }
    if (!self->curves[number]) {
        curve_t *c = xcalloc(1, sizeof *c);
        c->last = c->second = -1;
        self->curves[number] = c;
    }
    return self->curves[number];
}

/* Index of `step` in self->steps, or where it would be inserted. */
static size_t s_step_pos(const median_t *self, long step)
{
    size_t lo = 0, hi = self->n_steps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->steps[mid].step < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Values of completed trials at `step`; NULL when none reported it. */
static const sortvec_t *s_step_vals(const median_t *self, long step)
{
    size_t i = s_step_pos(self, step);
    return i < self->n_steps && self->steps[i].step == step ? &self->steps[i].vals : NULL;
}

static void s_add_completed(median_t *self, long step, double value)
{
    size_t i = s_step_pos(self, step);
    if (i == self->n_steps || self->steps[i].step != step) {
        if (self->n_steps == self->cap_steps) {
            self->cap_steps = self->cap_steps ? 2 * self->cap_steps : 16;
            self->steps = xrealloc(self->steps, self->cap_steps * sizeof *self->steps);
        }
        memmove(self->steps + i + 1, self->steps + i,
                (self->n_steps - i) * sizeof *self->steps);
        self->steps[i] = (step_vals_t){.step = step};
        self->n_steps++;
    }
    /* nanpercentile skips NaN in Optuna; a NaN also cannot be ordered */
    if (!isnan(value))
        sortvec_insert(&self->steps[i].vals, value);
}

/* Record a report in the curve; false when the step was already reported (Optuna
 * keeps the first value and ignores the repeat). */
static bool s_record(curve_t *c, long step, double value)
{
    for (int i = 0; i < c->n; i++)
        if (c->pts[i].step == step)
            return false;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 8;
        c->pts = xrealloc(c->pts, (size_t)c->cap * sizeof *c->pts);
    }
    c->pts[c->n++] = (point_t){step, value};
    if (step > c->last) {
        c->second = c->last;
        c->last = step;
    } else if (step > c->second) {
        c->second = step;
    }
    return true;
}

/* Optuna's decision for a curve whose latest step is c->last. */
static int s_judge(const median_t *self, const curve_t *c)
{
    if (self->n_complete == 0 || self->n_complete < self->n_startup)
        return 0;
    long step = c->last;
    if (step < self->n_warmup)
        return 0;
    /* judge only the first report at or after each interval boundary */
    long boundary = (step - self->n_warmup) / self->interval * self->interval + self->n_warmup;
    if (c->second >= boundary)
        return 0;
    double best = NAN;
    for (int i = 0; i < c->n; i++)
        if (!isnan(c->pts[i].value) && !(c->pts[i].value >= best))
            best = c->pts[i].value;
    if (isnan(best))
        return 1; /* only NaN so far: as hopeless as it gets */
    const sortvec_t *vals = s_step_vals(self, step);
    if (!vals || (long)vals->n < self->n_min)
        return 0;
    return best > sortvec_quantile(vals, 0.5);
}

static int s_report(void *vself, long number, long step, double value)
{
    median_t *self = vself;
    assert(self);
    curve_t *c = s_curve(self, number);
    s_record(c, step, value * (double)self->dir);
    return s_judge(self, c);
}

static void s_finished(void *vself, long number, trial_state_t state)
{
    median_t *self = vself;
    assert(self && number >= 0);
    curve_t *c = number < self->n_curves ? self->curves[number] : NULL;
    if (state == TRIAL_COMPLETE) {
        self->n_complete++;
        for (int i = 0; c && i < c->n; i++)
            s_add_completed(self, c->pts[i].step, c->pts[i].value);
    }
    if (c) {
        free(c->pts);
        free(c);
        self->curves[number] = NULL;
    }
}

static void s_destroy(void **self_p)
{
    assert(self_p);
    median_t *self = *self_p;
    if (self) {
        for (long i = 0; i < self->n_curves; i++)
            if (self->curves[i]) {
                free(self->curves[i]->pts);
                free(self->curves[i]);
            }
        free(self->curves);
        for (size_t i = 0; i < self->n_steps; i++)
            sortvec_free(&self->steps[i].vals);
        free(self->steps);
        free(self);
    }
    *self_p = NULL;
}

const pruner_ops_t median_pruner = {
    .name = "median",
    .check = s_check,
    .create = s_create,
    .report = s_report,
    .finished = s_finished,
    .destroy = s_destroy,
};

/* ---------------------------------------------------------------------------------- */

/* Learning curve of a trial whose final loss is `final`: decays towards it. */
static double s_test_curve(double final, long step)
{
    return final + 10.0 / (double)step;
}

/* Run trial `number` for up to 10 steps; returns the step it was pruned at, or 0. */
static long s_test_trial(void *p, long number, double final, direction_t dir)
{
    for (long step = 1; step <= 10; step++) {
        if (median_pruner.report(p, number, step, s_test_curve(final, step) * (double)dir)) {
            median_pruner.finished(p, number, TRIAL_PRUNED);
            return step;
        }
    }
    median_pruner.finished(p, number, TRIAL_COMPLETE);
    return 0;
}

void median_test(bool verbose)
{
    char err[HPS_ERR_LEN];
    for (int d = 0; d < 2; d++) {
        direction_t dir = d ? DIR_MAXIMIZE : DIR_MINIMIZE;
        void *p = median_pruner.create(NULL, dir, err);
        assert(p);
        /* the 5 startup trials are never pruned, even the bad ones */
        for (long t = 0; t < 5; t++)
            assert(s_test_trial(p, t, (double)(t % 2 ? 100 : 1), dir) == 0);
        /* medians per step now come from finals {1, 100, 1, 100, 1}: median = 1 + 10/step */
        assert(s_test_trial(p, 5, 50, dir) == 1); /* bad: pruned at the first step */
        assert(s_test_trial(p, 6, 0, dir) == 0);  /* good: runs to the end */
        assert(s_test_trial(p, 7, 1, dir) == 0);  /* equal to the median: kept */
        /* a trial that starts well and degrades keeps its best value, as in Optuna */
        assert(median_pruner.report(p, 8, 1, -100 * (double)dir) == 0);
        assert(median_pruner.report(p, 8, 2, 1e6 * (double)dir) == 0);
        assert(median_pruner.report(p, 9, 1, NAN) == 1); /* NaN only: pruned */
        median_pruner.finished(p, 8, TRIAL_FAIL);
        median_pruner.finished(p, 9, TRIAL_PRUNED);
        median_pruner.destroy(&p);
        assert(p == NULL);
    }

    /* options: warm-up and interval postpone judgement */
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    const char *yaml = "type: median\nn_startup_trials: 1\nn_warmup_steps: 3\n"
                       "interval_steps: 2\n";
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "p.yaml", &errs);
    assert(opts && median_pruner.check(opts, &errs) == 0 && errs.n == 0);
    void *p = median_pruner.create(opts, DIR_MINIMIZE, err);
    assert(s_test_trial(p, 0, 0, DIR_MINIMIZE) == 0);
    assert(s_test_trial(p, 1, 100, DIR_MINIMIZE) == 3); /* steps 1, 2 are warm-up */
    assert(median_pruner.report(p, 2, 3, 3) == 0);      /* better than 10/3 */
    assert(median_pruner.report(p, 2, 4, 500) == 0);    /* 4 is inside the interval [3, 5) */
    assert(median_pruner.report(p, 2, 5, 500) == 1);    /* best 3 is worse than 10/5 */
    median_pruner.destroy(&p);
    cfg_free(&opts);

    yaml = "type: median\nn_startup_trial: 1\ninterval_steps: 0\nn_min_trials: x\n";
    opts = cfg_parse(yaml, strlen(yaml), "p.yaml", &errs);
    assert(opts && median_pruner.check(opts, &errs) == -1 && errs.n == 3);
    assert(strstr(errs.msgs[0], "p.yaml:2:1: unknown key 'n_startup_trial'"));
    assert(strstr(errs.msgs[1], "p.yaml:3:17: interval_steps: must be >= 1"));
    assert(strstr(errs.msgs[2], "p.yaml:4:"));
    if (verbose)
        cfg_errs_print(&errs, stdout);
    assert(median_pruner.create(opts, DIR_MINIMIZE, err) == NULL && strstr(err, "p.yaml:"));
    cfg_errs_free(&errs);
    cfg_free(&opts);
}
