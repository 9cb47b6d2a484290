/* halving — Optuna's SuccessiveHalvingPruner (asynchronous successive halving).
 *
 * Rung k sits at step min_resource * reduction_factor^(min_early_stopping_rate + k).
 * When a trial reports at or past its next rung, its value is recorded there and it
 * goes on only if the value is among the best 1/reduction_factor of all the values
 * ever recorded at that rung (its own included); while fewer than reduction_factor
 * values are there, it must be the best of them. A report may pass several rungs
 * at once (sparse steps); each is judged in turn.
 *
 * Options (Optuna's names and defaults): min_resource 1 ("auto" is not supported),
 * reduction_factor 4, min_early_stopping_rate 0, bootstrap_count 0 (prune while a
 * rung holds no more than that many values).
 *
 * State: per trial the number of rungs it has passed, per rung a sorted vector of
 * the values recorded there (minimise form: value * dir). A value is recorded whatever
 * the decision, exactly as Optuna stores its rung attribute before deciding, so
 * replaying the reports in trial order rebuilds the same rungs. */
#include "samplers/pruner.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HALVING_MAX_RUNGS 62 /* rung steps beyond 2^62 cannot be reported */

typedef struct {
    direction_t dir;
    long min_resource, factor, rate, bootstrap;
    unsigned char *passed; /* indexed by trial number: rungs recorded so far */
    long n_passed;         /* capacity of passed */
    sortvec_t rungs[HALVING_MAX_RUNGS];
} halving_t;

static const pruner_opt_t s_opts[] = {
    {"min_resource", 1, 1, offsetof(halving_t, min_resource)},
    {"reduction_factor", 4, 2, offsetof(halving_t, factor)},
    {"min_early_stopping_rate", 0, 0, offsetof(halving_t, rate)},
    {"bootstrap_count", 0, 0, offsetof(halving_t, bootstrap)},
    {NULL, 0, 0, 0},
};

static int s_check(const cfg_node_t *opts, cfg_errs_t *errs)
{
    return pruner_opts_check(opts, s_opts, errs);
}

static void *s_create(const cfg_node_t *opts, direction_t dir, char *err)
{
    halving_t *self = pruner_opts_new(opts, s_opts, sizeof *self, err);
    if (self)
        self->dir = dir;
    return self;
}

/* The step of rung k; +inf once it no longer fits (no report can reach it). */
static double s_rung_step(const halving_t *self, int k)
{
    return (double)self->min_resource * pow((double)self->factor, (double)(self->rate + k));
}

static unsigned char *s_passed(halving_t *self, long number)
{
    assert(number >= 0);
    if (number >= self->n_passed) {
        long cap = self->n_passed ? self->n_passed : 256;
        while (cap <= number)
            cap *= 2;
        self->passed = xrealloc(self->passed, (size_t)cap);
        memset(self->passed + self->n_passed, 0, (size_t)(cap - self->n_passed));
        self->n_passed = cap;
    }
    return &self->passed[number];
}

/* Whether v (minimise form, already recorded in r) is in the top 1/factor of r. */
static bool s_promotable(const halving_t *self, const sortvec_t *r, double v)
{
    size_t idx = r->n / (size_t)self->factor;
    /* fewer than `factor` values: no trial can wait for better company, so only the
     * best of them goes on (Optuna's rule for the first eta - 1 trials) */
    idx = idx ? idx - 1 : 0;
    return v <= r->v[idx];
}

static int s_report(void *vself, long number, long step, double value)
{
    halving_t *self = vself;
    assert(self);
    unsigned char *passed = s_passed(self, number);
    double v = value * (double)self->dir;
    while (*passed < HALVING_MAX_RUNGS && (double)step >= s_rung_step(self, *passed)) {
        if (isnan(v))
            return 1;
        sortvec_t *r = &self->rungs[*passed];
        sortvec_insert(r, v);
        (*passed)++;
        if ((long)r->n <= self->bootstrap || !s_promotable(self, r, v))
            return 1;
    }
    return 0;
}

/* Rung values outlive their trials: later trials compete with them. A retried
 * attempt starts again from the first rung. */
static void s_finished(void *vself, long number, trial_state_t state)
{
    halving_t *self = vself;
    if (state == TRIAL_WAITING && number < self->n_passed)
        self->passed[number] = 0;
}

static void s_destroy(void **self_p)
{
    assert(self_p);
    halving_t *self = *self_p;
    if (self) {
        for (int k = 0; k < HALVING_MAX_RUNGS; k++)
            sortvec_free(&self->rungs[k]);
        free(self->passed);
        free(self);
    }
    *self_p = NULL;
}

const pruner_ops_t halving_pruner = {
    .name = "halving",
    .check = s_check,
    .create = s_create,
    .report = s_report,
    .finished = s_finished,
    .destroy = s_destroy,
};

/* ---------------------------------------------------------------------------------- */

/* Report steps 1..16 of a curve ending at `final`; the step it was pruned at, or 0. */
static long s_test_trial(void *p, long number, double final)
{
    for (long step = 1; step <= 16; step++)
        if (halving_pruner.report(p, number, step, final + 8.0 / (double)step))
            return step;
    return 0;
}

void halving_test(bool verbose)
{
    char err[HPS_ERR_LEN];
    void *p = halving_pruner.create(NULL, DIR_MINIMIZE, err);
    assert(p);
    /* rungs at steps 1, 4, 16 */
    assert(s_test_trial(p, 0, 10) == 0);  /* alone: the best everywhere */
    assert(s_test_trial(p, 1, 20) == 1);  /* worse than trial 0 at rung 0 */
    assert(s_test_trial(p, 2, 5) == 0);   /* better than everything */
    assert(s_test_trial(p, 3, 7) == 1);   /* rung 0 has {13, 18, 28}: 4 values, keep 1 */
    /* rung 0 now holds 18 13 28 15; 8 values keep the best 2 */
    for (long t = 4; t < 8; t++)
        assert(s_test_trial(p, t, 30 + (double)t) == 1);
    assert(s_test_trial(p, 8, 6) == 4); /* 2nd best of 9 at rung 0, but not at rung 1 */
    assert(halving_pruner.report(p, 9, 3, NAN) == 1);

    /* maximise: the same curves mirrored decide the same way */
    void *q = halving_pruner.create(NULL, DIR_MAXIMIZE, err);
    assert(halving_pruner.report(q, 0, 1, 5) == 0);
    assert(halving_pruner.report(q, 1, 1, 1) == 1);
    assert(halving_pruner.report(q, 2, 1, 9) == 0);
    /* a sparse report passes two rungs at once and is judged at both */
    assert(halving_pruner.report(q, 2, 5, 9) == 0);
    assert(halving_pruner.report(q, 3, 1, 10) == 0 && halving_pruner.report(q, 3, 4, 8) == 1);
    halving_pruner.destroy(&q);

    /* replay in trial order after a "restart" rebuilds the same rungs */
    void *r = halving_pruner.create(NULL, DIR_MINIMIZE, err);
    const double finals[] = {10, 20, 5, 7, 34, 35, 36, 37, 6};
    for (long t = 0; t < 9; t++)
        s_test_trial(r, t, finals[t]);
    halving_t *a = p, *b = r;
    for (int k = 0; k < 3; k++) {
        assert(a->rungs[k].n == b->rungs[k].n);
        assert(memcmp(a->rungs[k].v, b->rungs[k].v, a->rungs[k].n * sizeof(double)) == 0);
    }
    halving_pruner.destroy(&r);
    halving_pruner.destroy(&p);

    cfg_errs_t errs;
    cfg_errs_init(&errs);
    const char *yaml = "type: halving\nmin_resource: 2\nreduction_factor: 3\n"
                       "min_early_stopping_rate: 1\n";
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "h.yaml", &errs);
    assert(opts && halving_pruner.check(opts, &errs) == 0 && errs.n == 0);
    p = halving_pruner.create(opts, DIR_MINIMIZE, err);
    assert(halving_pruner.report(p, 0, 6, 1) == 0); /* first rung at 2 * 3^1 = 6 */
    assert(halving_pruner.report(p, 1, 5, 9) == 0);
    assert(halving_pruner.report(p, 1, 6, 9) == 1);
    halving_pruner.destroy(&p);
    cfg_free(&opts);
    yaml = "type: halving\nreduction_factor: 1\nmin_resource: auto\neta: 3\n";
    opts = cfg_parse(yaml, strlen(yaml), "h.yaml", &errs);
    assert(opts && halving_pruner.check(opts, &errs) == -1 && errs.n == 3);
    assert(strstr(errs.msgs[0], "h.yaml:4:1: unknown key 'eta'"));
    if (verbose)
        cfg_errs_print(&errs, stdout);
    cfg_errs_free(&errs);
    cfg_free(&opts);
}
