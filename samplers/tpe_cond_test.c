/* tpe_cond_test — samplers on a conditional space: every sampler's proposals keep the
 * conditions (inactive = NaN), grid proposes each active combination once, and TPE
 * fits a conditional parameter on the trials where it is active only. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/sampler.h"
#include "samplers/tpe_priv.h"

static space_t *s_space(const char *yaml)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    space_t *s = space_from_yaml(yaml, "<tpe_cond_test>", &errs);
    assert(s && errs.n == 0);
    cfg_errs_free(&errs);
    return s;
}

static void *s_new(const sampler_ops_t *ops, const space_t *space, const char *yaml)
{
    char err[HPS_ERR_LEN];
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "<tpe_cond_test>", &errs);
    assert(opts && ops->check(opts, space, &errs) == 0 && errs.n == 0);
    void *self = ops->create(space, opts, DIR_MINIMIZE, err);
    assert(self);
    cfg_free(&opts);
    cfg_errs_free(&errs);
    return self;
}

/* kernel linear scores 0.1 whatever; rbf scores 4 (gamma - 0.8)^2, 0 at its best.
 * The linear trials are the good set early on: were their (meaningless) gamma values
 * counted, l(gamma) would lean to wherever they lie instead of 0.8. C (unconditional)
 * matters a little, so refinement steps move it and keep gamma. */
static double s_objective(const double *x)
{
    double c = 0.01 * (x[2] - 0.5) * (x[2] - 0.5);
    return (x[0] == 0 ? 0.1 : 4 * (x[1] - 0.8) * (x[1] - 0.8)) + c;
}

/* After a proposal that fitted gamma: its good estimator holds exactly the good set's
 * rbf trials, its bad one the bad set's, each with that trial's own gamma. Returns
 * whether the bad one had any (so the check was not empty). */
static bool s_check_fit(const tpe_t *self, double out[][3])
{
    assert(self->n_cond == 1 && self->cond[0] == 1);
    long k = 0;
    double u;
    for (int b = 0; b < self->nb; b++) {
        const double *x = out[self->number[self->below[b]]];
        if (x[0] != 1)
            continue;
        parzen_entry(self->cgood[0], k++, &u);
        assert(u == x[1]);
    }
    assert(k == parzen_size(self->cgood[0]));
    k = 0;
    for (long j = 0; j < self->n; j++) {
        const double *x = out[self->number[j]];
        if (self->w[j] > 0 && x[0] == 1) {
            parzen_entry(self->cbad[0], k++, &u);
            assert(u == x[1]);
        }
    }
    assert(k == parzen_size(self->cbad[0]));
    return k > 0;
}

/* Run n trials; returns the median |gamma - 0.8| over the rbf proposals after startup. */
static double s_run(const char *opts, int n, double out[][3])
{
    space_t *s = s_space("kernel: {type: categorical, choices: [linear, rbf]}\n"
                         "gamma: {type: float, low: 0, high: 1, when: {kernel: rbf}}\n"
                         "C: {type: float, low: 0, high: 1}\n");
    void *tpe = s_new(&tpe_sampler, s, opts);
    char err[HPS_ERR_LEN];
    double dev[400];
    int nd = 0, n_checked = 0;
    for (int t = 0; t < n; t++) {
        double *x = out[t];
        assert(tpe_sampler.propose(tpe, t, x, err) == SAMPLER_OK);
        assert(space_point_ok(s, x));
        if (t >= 10 && x[0] == 1 && strstr(opts, "refine_every: 0"))
            n_checked += s_check_fit(tpe, out); /* a refinement may keep gamma, unfitted */
        tpe_sampler.started(tpe, t, x);
        /* with max_history, failures too: compactions must keep cx aligned */
        bool fail = strstr(opts, "max_history") && t % 5 == 4;
        tpe_sampler.finished(tpe, t, fail ? TRIAL_FAIL : TRIAL_COMPLETE,
                             fail ? NAN : s_objective(x));
        if (t >= 10 && x[0] == 1)
            dev[nd++] = fabs(x[1] - 0.8);
    }
    tpe_sampler.destroy(&tpe);
    space_destroy(&s);
    for (int i = 1; i < nd; i++) /* insertion sort: a few dozen values */
        for (int k = i; k > 0 && dev[k] < dev[k - 1]; k--) {
            double tmp = dev[k];
            dev[k] = dev[k - 1];
            dev[k - 1] = tmp;
        }
    assert(nd >= 5 && (n_checked > 10 || !strstr(opts, "refine_every: 0")));
    return dev[nd / 2];
}

static void s_test_tpe(bool verbose)
{
    static double a[400][3], b[400][3];
    double med = s_run("{seed: 3, refine_every: 0}", 120, a);
    double med2 = s_run("{seed: 3, refine_every: 0}", 120, b);
    assert(med == med2 && memcmp(a, b, sizeof a) == 0); /* same seed, same proposals */
    double medh = s_run("{seed: 3, refine_every: 0, max_history: 100}", 400, b);
    assert(medh < 0.1);
    double medr = s_run("{seed: 3}", 120, b);          /* with refinement steps */
    double medm = s_run("{seed: 3, multivariate: true}", 120, b);
    if (verbose)
        printf("median |gamma - 0.8|: %.4f, refine %.4f, multivariate %.4f ", med, medr, medm);
    assert(med < 0.1 && medr < 0.1 && medm < 0.1);
}

/* Grid: 2 linear points (C) + 2 x 3 rbf points, each once, inactive gamma absent. */
static void s_test_grid(void)
{
    space_t *s = s_space("kernel: {type: categorical, choices: [linear, rbf]}\n"
                         "gamma: {type: float, low: 0, high: 1, step: 0.5,"
                         " when: {kernel: rbf}}\n"
                         "C: {type: int, low: 1, high: 2}\n");
    char err[HPS_ERR_LEN];
    for (int shuffle = 0; shuffle < 2; shuffle++) {
        void *g = s_new(&grid_sampler, s, shuffle ? "{shuffle: true, seed: 5}" : "{}");
        double x[3], seen[16][3];
        int n = 0;
        while (grid_sampler.propose(g, n, x, err) == SAMPLER_OK) {
            assert(n < 8 && space_point_ok(s, x));
            for (int k = 0; k < n; k++)
                assert(memcmp(seen[k], x, sizeof x) != 0 || !"proposed twice");
            memcpy(seen[n], x, sizeof x);
            grid_sampler.started(g, n++, x);
        }
        assert(n == 8);
        grid_sampler.destroy(&g);
    }
    /* Random: conditions kept, both branches drawn. */
    void *r = s_new(&random_sampler, s, "{seed: 1}");
    int branch[2] = {0, 0};
    for (int t = 0; t < 50; t++) {
        double x[3];
        assert(random_sampler.propose(r, t, x, err) == SAMPLER_OK && space_point_ok(s, x));
        branch[(int)x[0]]++;
        assert(isnan(x[1]) == (x[0] == 0));
    }
    assert(branch[0] > 10 && branch[1] > 10);
    random_sampler.destroy(&r);
    space_destroy(&s);
}

void tpe_cond_test(bool verbose)
{
    printf(" * tpe_cond: ");
    s_test_grid();
    s_test_tpe(verbose);
    printf("OK\n");
}
