/* gp_test — the GP sampler through the sampler interface: legal and deterministic
 * proposals, a restart proposes what the first run would have, better than random on
 * a smooth function, a running trial pushes the next proposal away (kriging believer
 * or worst-value liar),
 * TPE takes over past max_trials, and bad options are refused. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/gp_model.h"
#include "samplers/sampler.h"

static param_t s_params[] = {
    {.name = "lr", .kind = PARAM_FLOAT, .low = 1e-4, .high = 1, .log = true},
    {.name = "x", .kind = PARAM_FLOAT, .low = -2, .high = 3},
    {.name = "n", .kind = PARAM_INT, .low = 1, .high = 20, .step = 1},
    {.name = "c", .kind = PARAM_CAT, .low = 0, .high = 2, .step = 1, .n_choices = 3},
};
static const space_t s_space = {.n = 4, .params = s_params};

/* Minimum 0 at lr = 1e-2, x = 0.5, n = 7, c = 1. */
static double s_objective(const double *x)
{
    double l = log10(x[0]) + 2, n = (x[2] - 7) / 5;
    return l * l + (x[1] - 0.5) * (x[1] - 0.5) + n * n + (x[3] == 1 ? 0 : 0.5);
}

static void *s_new(const sampler_ops_t *ops, const char *yaml)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "gp.yaml", &errs);
    char err[HPS_ERR_LEN];
    assert(opts && ops->check(opts, &s_space, &errs) == 0);
    void *s = ops->create(&s_space, opts, DIR_MINIMIZE, err);
    assert(s);
    cfg_free(&opts);
    cfg_errs_free(&errs);
    return s;
}

/* n sequential trials; xs (n x 4) gets the proposals; returns the best value. */
static double s_run(void *smp, long from, long n, double *xs)
{
    char err[HPS_ERR_LEN];
    double best = INFINITY;
    for (long t = from; t < from + n; t++) {
        double *x = xs + t * 4;
        assert(gp_sampler.propose(smp, t, x, err) == SAMPLER_OK);
        for (int i = 0; i < 4; i++)
            assert(space_valid(&s_params[i], x[i]));
        gp_sampler.started(smp, t, x);
        double v = s_objective(x);
        gp_sampler.finished(smp, t, t % 7 == 6 ? TRIAL_FAIL : TRIAL_COMPLETE,
                            t % 7 == 6 ? NAN : v);
        best = t % 7 == 6 ? best : fmin(best, v);
    }
    return best;
}

/* The largest per-parameter distance between two points, in units of each range. */
static double s_gap(const double *a, const double *b)
{
    double g = fabs(log(a[0]) - log(b[0])) / log(1e4);
    g = fmax(g, fabs(a[1] - b[1]) / 5);
    g = fmax(g, fabs(a[2] - b[2]) / 19);
    return a[3] != b[3] ? 1 : g;
}

static void s_test_determinism(void)
{
    double a[25 * 4], b[25 * 4], c[26 * 4];
    void *g1 = s_new(&gp_sampler, "{type: gp, seed: 3}");
    void *g2 = s_new(&gp_sampler, "{type: gp, seed: 3}");
    s_run(g1, 0, 25, a);
    s_run(g2, 0, 25, b);
    assert(memcmp(a, b, sizeof a) == 0);
    /* A fresh sampler told the same 24 trials proposes trial 24 as g1 did. */
    void *g3 = s_new(&gp_sampler, "{type: gp, seed: 3}");
    for (long t = 0; t < 24; t++) {
        gp_sampler.started(g3, t, a + t * 4);
        gp_sampler.finished(g3, t, t % 7 == 6 ? TRIAL_FAIL : TRIAL_COMPLETE,
                            t % 7 == 6 ? NAN : s_objective(a + t * 4));
    }
    char err[HPS_ERR_LEN];
    assert(gp_sampler.propose(g3, 24, c + 24 * 4, err) == SAMPLER_OK);
    assert(memcmp(c + 24 * 4, a + 24 * 4, 4 * sizeof *c) == 0);
    /* A running trial (started, not finished) moves the next proposal away from it. */
    gp_sampler.started(g3, 24, c + 24 * 4);
    assert(gp_sampler.propose(g3, 25, c + 25 * 4, err) == SAMPLER_OK);
    assert(s_gap(c + 25 * 4, c + 24 * 4) > 0.05);
    /* So does the worst-value liar, and differently from the believer: over two more
     * proposals (25 and 27, each started; 26 is the TPE hedge's), some differ. */
    void *g4 = s_new(&gp_sampler, "{type: gp, seed: 3, liar: worst}");
    for (long t = 0; t < 24; t++) {
        gp_sampler.started(g4, t, a + t * 4);
        gp_sampler.finished(g4, t, t % 7 == 6 ? TRIAL_FAIL : TRIAL_COMPLETE,
                            t % 7 == 6 ? NAN : s_objective(a + t * 4));
    }
    gp_sampler.started(g4, 24, c + 24 * 4);
    assert(gp_sampler.propose(g4, 25, b, err) == SAMPLER_OK);
    assert(s_gap(b, c + 24 * 4) > 0.05);
    bool differ = memcmp(b, c + 25 * 4, 4 * sizeof *b) != 0;
    double b27[4], c27[4];
    gp_sampler.started(g3, 25, c + 25 * 4);
    gp_sampler.started(g4, 25, b);
    assert(gp_sampler.propose(g3, 27, c27, err) == SAMPLER_OK);
    assert(gp_sampler.propose(g4, 27, b27, err) == SAMPLER_OK);
    assert(differ || memcmp(b27, c27, sizeof b27) != 0);
    gp_sampler.destroy(&g4);
    gp_sampler.destroy(&g1);
    gp_sampler.destroy(&g2);
    gp_sampler.destroy(&g3);
}

/* 30 trials: the GP's best beats random's on most seeds. */
static void s_test_quality(bool verbose)
{
    int wins = 0;
    double xs[30 * 4];
    for (int seed = 0; seed < 5; seed++) {
        char yaml[64];
        snprintf(yaml, sizeof yaml, "{type: gp, seed: %d}", seed);
        void *g = s_new(&gp_sampler, yaml);
        snprintf(yaml, sizeof yaml, "{type: random, seed: %d}", seed);
        void *r = s_new(&random_sampler, yaml);
        double bg = s_run(g, 0, 30, xs), br = INFINITY;
        char err[HPS_ERR_LEN];
        for (long t = 0; t < 30; t++) {
            assert(random_sampler.propose(r, t, xs, err) == SAMPLER_OK);
            br = fmin(br, s_objective(xs));
        }
        wins += bg < br;
        if (verbose)
            printf("  seed %d: gp %.4g random %.4g\n", seed, bg, br);
        gp_sampler.destroy(&g);
        random_sampler.destroy(&r);
    }
    assert(wins >= 4);
}

/* Past max_trials finished trials the proposals are TPE's own. */
static void s_test_handover(void)
{
    void *g = s_new(&gp_sampler, "{type: gp, seed: 9, n_startup_trials: 4, max_trials: 12}");
    void *t = s_new(&tpe_sampler, "{type: tpe, seed: 9}");
    char err[HPS_ERR_LEN];
    double xs[20 * 4], y[4];
    for (long n = 0; n < 14; n++) {
        double *x = xs + n * 4;
        assert(gp_sampler.propose(g, n, x, err) == SAMPLER_OK);
        gp_sampler.started(g, n, x);
        tpe_sampler.started(t, n, x);
        gp_sampler.finished(g, n, TRIAL_COMPLETE, s_objective(x));
        tpe_sampler.finished(t, n, TRIAL_COMPLETE, s_objective(x));
    }
    assert(gp_sampler.propose(g, 14, xs, err) == SAMPLER_OK);
    assert(tpe_sampler.propose(t, 14, y, err) == SAMPLER_OK);
    assert(memcmp(xs, y, sizeof y) == 0);
    gp_sampler.destroy(&g);
    tpe_sampler.destroy(&t);
}

static void s_test_options(void)
{
    static const char *const bad[] = {"{type: gp, seeds: 1}", "{type: gp, n_startup_trials: 0}",
                                      "{type: gp, max_trials: 10000}", "{type: gp, liar: bogus}",
                                      "{type: gp, warp_by: bogus}", "{type: gp, incumbent: best}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cfg_errs_t errs;
        cfg_errs_init(&errs);
        cfg_node_t *opts = cfg_parse(bad[i], strlen(bad[i]), "gp.yaml", &errs);
        assert(opts && gp_sampler.check(opts, &s_space, &errs) == -1 && errs.n == 1);
        assert(strstr(errs.msgs[0], "gp.yaml:1:"));
        cfg_free(&opts);
        cfg_errs_free(&errs);
    }
    param_t wide[GP_MODEL_MAXDIM + 1];
    for (int i = 0; i <= GP_MODEL_MAXDIM; i++)
        wide[i] = (param_t){.name = "w", .kind = PARAM_FLOAT, .low = 0, .high = 1};
    space_t ws = {.n = GP_MODEL_MAXDIM + 1, .params = wide};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    assert(gp_sampler.check(NULL, &ws, &errs) == -1 && strstr(errs.msgs[0], "use tpe"));
    cfg_errs_free(&errs);
}

void gp_test(bool verbose)
{
    if (verbose)
        printf(" * gp:\n");
    s_test_determinism();
    s_test_quality(verbose);
    s_test_handover();
    s_test_options();
}
