/* gp — Bayesian optimisation with a Gaussian process (samplers/gp_model.h).
 *
 * Space: every parameter maps to [0, 1] (log parameters in log space, ints and steps
 * rounded when decoded), a categorical to a one-hot block. The first n_startup_trials
 * (default 10) are random; then each proposal fits the GP to the finished trials
 * (COMPLETE only, minimising: values negated for maximize), adds the running trials
 * at the GP's mean there (a kriging believer: liar: mean; liar: worst puts them at the
 * worst value seen) so that parallel workers spread out, and
 * maximises log expected improvement over the incumbent: 1000 random points and 200
 * around the best trials, then a pattern search from the three best. The incumbent is
 * the lowest posterior mean at a finished trial (incumbent: mean), not the lowest
 * value observed (incumbent: observed): once the fit explains part of the values as
 * noise, a lucky low value lies below what the GP expects anywhere, and improving on
 * it looks so unlikely that expected improvement follows the variance alone and the
 * search wanders (BBOB 5-D: Schaffer f18, Griewank-Rosenbrock f19, where the warped
 * fits call 5-35% of the variance noise: docs/bench-bbob.md). The kernel's
 * hyperparameters are refitted at every proposal while fewer than 30 trials finished,
 * then only each time the count grows by 10% (in between, the last fit's values on the
 * new data): a fit is a function of the trials only (lowest numbers first), so a
 * restarted coordinator proposes what the first would have. Past max_trials finished
 * trials (default 300) the embedded TPE, fed every trial from the start, proposes
 * instead: the GP's cost grows as n^3.
 *
 * Before the fit the values go through an increasing power transform fitted by
 * likelihood (gp_warp.h; warp: false turns it off), so a few very bad values do not
 * flatten the rest of the landscape into noise.
 *
 * Every tpe_every-th proposal (3; 0 = never) after the startup ones comes from the
 * embedded TPE instead: a hedge on rugged landscapes (many local minima), where the
 * GP's expected improvement digs into one basin. On the BBOB tuning seeds (2-4
 * dimensions, docs/bench-bbob.md) it turned the GP's worst median ratio against
 * Optuna's TPE (or hps's TPE without refinement, the same algorithm) from 2.2 into
 * 1.5 and its significant losses from 2-8 per dimension into none, at little cost on
 * the problems the GP wins.
 *
 * Options: type, seed, n_startup_trials, max_trials, warp (true), tpe_every (3),
 * liar (mean), warp_by (likelihood; loo: leave-one-out density of the values, gp_model_loo),
 * incumbent (mean). */
#include "samplers/sampler.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/gp_model.h"
#include "samplers/gp_warp.h"

typedef struct {
    long number;
    double y;   /* minimised: the value, negated for maximize */
    double *u;  /* encoded point */
} s_obs_t;

typedef struct {
    long seed, n_startup, max_trials, tpe_every;
    bool warp, believer, warp_loo, inc_obs;
} s_opts_t;

typedef struct {
    const space_t *space;
    direction_t dir;
    uint64_t seed;
    long n_startup, max_trials, tpe_every;
    bool warp;         /* may warp the values */
    bool believer;     /* running trials at the GP's mean there, not at the worst value */
    bool warp_loo;     /* warp or not by leave-one-out density, not marginal likelihood */
    bool inc_obs;      /* improve on the best value observed, not the best mean */
    bool warped;       /* the last refit chose to */
    int denc;          /* encoded dimensions */
    bool cat[GP_MODEL_MAXDIM]; /* which of them are one-hot (a categorical's choices) */
    void *rnd, *tpe;   /* random (startup) and TPE (past max_trials), fed every trial */
    s_obs_t *obs;      /* finished COMPLETE trials */
    int n_obs, cap_obs;
    s_obs_t *run;      /* started, not finished (y unused) */
    int n_run, cap_run;
    double *theta;     /* cached hyperparameters and the count they were fitted on */
    int theta_n;
} gp_t;

static const char *const s_keys[] = {"type", "seed", "n_startup_trials", "max_trials", "warp",
                                     "tpe_every", "liar", "warp_by", "incumbent", NULL};

/* A key with two allowed words: whether it holds `other` (absent: `def`). */
static bool s_pick(const cfg_node_t *opts, const char *key, const char *def, const char *other,
                   cfg_errs_t *errs)
{
    const char *v = def;
    if (cfg_str(opts, key, def, &v, errs) != 0)
        return false;
    if (strcmp(v, def) != 0 && strcmp(v, other) != 0)
        cfg_error(errs, cfg_get(opts, key), "%s: '%s' is not one of %s, %s", key, v, def, other);
    return strcmp(v, other) == 0;
}

static int s_read(const cfg_node_t *opts, s_opts_t *o, cfg_errs_t *errs)
{
    int before = errs->n;
    if (opts)
        cfg_check_keys(opts, s_keys, errs);
    cfg_long(opts, "seed", 0, &o->seed, errs);
    cfg_long(opts, "n_startup_trials", 10, &o->n_startup, errs);
    cfg_long(opts, "max_trials", 300, &o->max_trials, errs);
    cfg_bool(opts, "warp", true, &o->warp, errs);
    cfg_long(opts, "tpe_every", 3, &o->tpe_every, errs);
    o->believer = !s_pick(opts, "liar", "mean", "worst", errs);
    o->warp_loo = s_pick(opts, "warp_by", "likelihood", "loo", errs);
    o->inc_obs = s_pick(opts, "incumbent", "mean", "observed", errs);
    if (errs->n == before && (o->tpe_every < 0 || o->tpe_every > 1000000))
        cfg_error(errs, cfg_get(opts, "tpe_every"), "tpe_every: must be in 0..1000000");
    if (errs->n == before && (o->n_startup < 1 || o->n_startup > 100000))
        cfg_error(errs, cfg_get(opts, "n_startup_trials"), "n_startup_trials: must be in 1..100000");
    if (errs->n == before && (o->max_trials < 1 || o->max_trials > 5000))
        cfg_error(errs, cfg_get(opts, "max_trials"), "max_trials: must be in 1..5000 (past it "
                  "TPE proposes)");
    return errs->n > before ? -1 : 0;
}

/* Encoded width of a space: one per numeric parameter, n_choices per categorical. */
static int s_width(const space_t *space)
{
    int w = 0;
    for (int i = 0; i < space->n; i++)
        w += space->params[i].kind == PARAM_CAT ? space->params[i].n_choices : 1;
    return w;
}

static int s_check(const cfg_node_t *opts, const space_t *space, cfg_errs_t *errs)
{
    s_opts_t o;
    int rc = s_read(opts, &o, errs);
    if (rc == 0 && space && s_width(space) > GP_MODEL_MAXDIM) {
        cfg_error(errs, opts, "sampler gp: the space is %d wide (a categorical counts one per "
                  "choice), at most %d: use tpe", s_width(space), GP_MODEL_MAXDIM);
        rc = -1;
    }
    return rc;
}

static void *s_create(const space_t *space, const cfg_node_t *opts, direction_t dir, char *err)
{
    s_opts_t o;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    if (s_read(opts, &o, &errs) != 0 ||
        s_width(space) > GP_MODEL_MAXDIM) {
        set_err(err, "%s", errs.n ? errs.msgs[0] : "gp: the space is too wide");
        cfg_errs_free(&errs);
        return NULL;
    }
    cfg_errs_free(&errs);
    gp_t *g = xcalloc(1, sizeof *g);
    *g = (gp_t){.space = space, .dir = dir, .seed = (uint64_t)o.seed, .n_startup = o.n_startup,
                .max_trials = o.max_trials, .tpe_every = o.tpe_every, .warp = o.warp,
                .believer = o.believer, .warp_loo = o.warp_loo, .inc_obs = o.inc_obs,
                .denc = s_width(space)};
    int j = 0; /* the one-hot flags, laid out as s_encode lays out a point */
    for (int i = 0; i < space->n; i++) {
        bool c = space->params[i].kind == PARAM_CAT;
        for (int k = 0; k < (c ? space->params[i].n_choices : 1); k++)
            g->cat[j++] = c;
    }
    assert(j == g->denc);
    g->rnd = sampler_create_seeded(&random_sampler, space, o.seed, NULL, dir, err);
    /* The hedge refines from its first model-based proposal on, as when the GP's figures
     * were measured (TPE's own default waits 4 trials per parameter), and halves its
     * rate from trial 100 on (TPE's own: 40 proposals after refine_start): untapered, on
     * BBOB f17 at 10-D the GP ended 300 trials 1.36x behind Optuna's TPE; from 100, every
     * study up to 100 trials is as before (bench/data/bbob/tuning/gp-hedge). */
    g->tpe = g->rnd ? sampler_create_seeded(&tpe_sampler, space, o.seed,
                                            "refine_start: 0, refine_taper: 100", dir, err)
                    : NULL;
    if (!g->tpe) {
        void *p = g;
        g->rnd ? random_sampler.destroy(&g->rnd) : (void)0;
        free(p);
        return NULL;
    }
    return g;
}

/* ---- encoding ----------------------------------------------------------------------- */

static void s_encode(const space_t *space, const double *x, double *u)
{
    for (int i = 0, k = 0; i < space->n; i++) {
        const param_t *p = &space->params[i];
        if (p->kind == PARAM_CAT) {
            for (int c = 0; c < p->n_choices; c++)
                u[k + c] = !isnan(x[i]) && (int)x[i] == c;
            k += p->n_choices;
            continue;
        }
        double lo = p->log ? log(p->low) : p->low, hi = p->log ? log(p->high) : p->high;
        double v = p->log ? log(x[i]) : x[i];
        u[k++] = isnan(x[i]) ? 0.5 : hi > lo ? (v - lo) / (hi - lo) : 0.5;
    }
}

static void s_decode(const space_t *space, const double *u, double *x)
{
    for (int i = 0, k = 0; i < space->n; i++) {
        const param_t *p = &space->params[i];
        if (p->kind == PARAM_CAT) {
            int best = 0;
            for (int c = 1; c < p->n_choices; c++)
                best = u[k + c] > u[k + best] ? c : best;
            x[i] = best;
            k += p->n_choices;
            continue;
        }
        double lo = p->log ? log(p->low) : p->low, hi = p->log ? log(p->high) : p->high;
        double v = lo + u[k++] * (hi - lo);
        x[i] = p->log ? exp(v) : v;
    }
    space_snap(space, x);
}

/* Round u to a point the space can hold (what the trial will really be). */
static void s_legalise(const space_t *space, double *u, int denc)
{
    double x[GP_MODEL_MAXDIM];
    assert(space->n <= GP_MODEL_MAXDIM && denc <= GP_MODEL_MAXDIM);
    s_decode(space, u, x);
    s_encode(space, x, u);
}

/* ---- events ------------------------------------------------------------------------- */

static void s_push(s_obs_t **list, int *n, int *cap, long number, double y, const double *u,
                   int denc)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 32;
        *list = xrealloc(*list, (size_t)*cap * sizeof **list);
    }
    double *copy = xmalloc((size_t)denc * sizeof *copy);
    memcpy(copy, u, (size_t)denc * sizeof *copy);
    (*list)[(*n)++] = (s_obs_t){number, y, copy};
}

static void s_started(void *vself, long number, const double *x)
{
    gp_t *g = vself;
    double u[GP_MODEL_MAXDIM];
    s_encode(g->space, x, u);
    s_push(&g->run, &g->n_run, &g->cap_run, number, 0, u, g->denc);
    random_sampler.started(g->rnd, number, x);
    tpe_sampler.started(g->tpe, number, x);
}

static int s_by_number(const void *a, const void *b)
{
    long x = ((const s_obs_t *)a)->number, y = ((const s_obs_t *)b)->number;
    return (x > y) - (x < y);
}

static void s_finished(void *vself, long number, trial_state_t state, double value)
{
    gp_t *g = vself;
    random_sampler.finished(g->rnd, number, state, value);
    tpe_sampler.finished(g->tpe, number, state, value);
    for (int i = 0; i < g->n_run; i++) {
        if (g->run[i].number != number)
            continue;
        s_obs_t o = g->run[i];
        g->run[i] = g->run[--g->n_run];
        if (state == TRIAL_COMPLETE && isfinite(value)) {
            s_push(&g->obs, &g->n_obs, &g->cap_obs, number,
                   g->dir == DIR_MAXIMIZE ? -value : value, o.u, g->denc);
            /* lowest numbers first: the fits see the trials in a fixed order */
            qsort(g->obs, (size_t)g->n_obs, sizeof *g->obs, s_by_number);
        }
        free(o.u);
        return;
    }
}

/* ---- the acquisition ---------------------------------------------------------------- */

/* log of the expected improvement of N(mu, sd^2) below best, stable far in the tail. */
static double s_log_ei(double mu, double sd, double best)
{
    double z = (best - mu) / sd;
    if (z > -6) {
        double h = z * 0.5 * erfc(-z / sqrt(2)) + exp(-0.5 * z * z) / sqrt(2 * M_PI);
        return log(sd) + log(h > 1e-300 ? h : 1e-300);
    }
    /* h(z) ~ phi(z) / z^2 (1 - 3/z^2 + 15/z^4) for z -> -inf */
    double z2 = z * z;
    return log(sd) - 0.5 * z2 - 0.5 * log(2 * M_PI) - log(z2) + log1p(-3 / z2 + 15 / (z2 * z2));
}

typedef struct {
    const gp_t *g;
    const gp_model_t *m;
    double best;
} s_acq_t;

/* log EI at m encoded points (legalised first), into v. */
static void s_acq_eval(const s_acq_t *a, double *u, int m, double *v)
{
    double *mu = xmalloc((size_t)m * 2 * sizeof *mu), *sd = mu + m;
    for (int c = 0; c < m; c++)
        s_legalise(a->g->space, u + (size_t)c * a->g->denc, a->g->denc);
    gp_model_predict(a->m, u, m, mu, sd);
    for (int c = 0; c < m; c++)
        v[c] = s_log_ei(mu[c], sd[c], a->best);
    free(mu);
}

/* Keep trial if it beats *v: 1 when it did. */
static int s_try(const s_acq_t *a, double *u, double *v, double *trial)
{
    double tv;
    s_acq_eval(a, trial, 1, &tv);
    if (!(tv > *v + 1e-12))
        return 0;
    memcpy(u, trial, (size_t)a->g->denc * sizeof *u);
    *v = tv;
    return 1;
}

/* Pattern search from u (value *v): each numeric coordinate +-step, halving the step,
 * and every other choice of each categorical; u, *v updated to the best point met. */
static void s_local(const s_acq_t *a, double *u, double *v)
{
    const space_t *space = a->g->space;
    int d = a->g->denc;
    double trial[GP_MODEL_MAXDIM];
    for (double step = 0.1; step > 2e-3; step /= 2) {
        int moved = 1;
        for (int round = 0; moved && round < 8; round++) {
            moved = 0;
            for (int i = 0, k = 0; i < space->n; i++) {
                const param_t *p = &space->params[i];
                int w = p->kind == PARAM_CAT ? p->n_choices : 1;
                for (int c = 0; c < (p->kind == PARAM_CAT ? w : 2); c++) {
                    memcpy(trial, u, (size_t)d * sizeof *u);
                    if (p->kind == PARAM_CAT)
                        for (int o = 0; o < w; o++)
                            trial[k + o] = o == c;
                    else
                        trial[k] = fmin(1, fmax(0, trial[k] + (c ? step : -step)));
                    moved |= s_try(a, u, v, trial);
                }
                k += w;
            }
        }
    }
}

/* ---- proposing ---------------------------------------------------------------------- */

static uint64_t s_trial_seed(uint64_t seed, long number)
{
    return hash_mix64(hash_mix64(seed ^ 0x6770ULL) ^ hash_mix64((uint64_t)number));
}

/* The observation count the hyperparameters are fitted on: every count up to 30, then
 * counts 10% apart. */
static int s_schedule(int n)
{
    if (n <= 30)
        return n;
    int s = 30;
    while (1) {
        int next = (int)(s * 1.1);
        if (next <= s)
            next = s + 1;
        if (next > n)
            return s;
        s = next;
    }
}

/* The training set: the finished trials (values warped when `warped`, gp_warp.h), then
 * the running ones at the worst value seen (a pessimistic constant liar, as Optuna's
 * TPE: parallel workers spread out). x is (n_obs + n_run) x denc; returns the best
 * (warped) value. *logjac gets the log derivative of the warping summed over the
 * first s trials (0 unwarped). */
static double s_training(gp_t *g, bool warped, int s, double *x, double *y, double *logjac)
{
    double best = INFINITY, worst = -INFINITY;
    int d = g->denc;
    gp_warp_t w;
    for (int i = 0; i < g->n_obs; i++)
        y[i] = g->obs[i].y;
    if (warped)
        gp_warp_fit(&w, y, g->n_obs);
    *logjac = 0;
    for (int i = 0; i < g->n_obs; i++) {
        memcpy(x + (size_t)i * d, g->obs[i].u, (size_t)d * sizeof *x);
        *logjac += warped && i < s ? gp_warp_logderiv(&w, y[i]) : 0;
        y[i] = warped ? gp_warp(&w, y[i]) : y[i];
        best = fmin(best, y[i]);
        worst = fmax(worst, y[i]);
    }
    qsort(g->run, (size_t)g->n_run, sizeof *g->run, s_by_number);
    for (int i = 0; i < g->n_run; i++) {
        memcpy(x + (size_t)(g->n_obs + i) * d, g->run[i].u, (size_t)d * sizeof *x);
        y[g->n_obs + i] = worst;
    }
    return best;
}

/* Kriging believer: the running trials' values (rows n_obs.. of tx, ty) become the mean
 * of the GP fitted to the finished ones, so the model keeps its shape and only its
 * uncertainty there shrinks: parallel workers spread out without a made-up bad value
 * next to the best ones bending the whole fit (the worst-value liar did that). */
static void s_believe(gp_t *g, const double *tx, double *ty, char *err)
{
    gp_model_t *m0 = gp_model_fit(tx, ty, g->n_obs, g->denc, g->cat, g->theta, err);
    if (!m0)
        return; /* keep the worst-value liar */
    double *sd = xmalloc((size_t)g->n_run * sizeof *sd);
    gp_model_predict(m0, tx + (size_t)g->n_obs * g->denc, g->n_run, ty + g->n_obs, sd);
    free(sd);
    gp_model_destroy(&m0);
}

/* Refit the hyperparameters on the first s trials, and choose whether to warp the
 * values: the fit (warped or not) that makes the values as observed the more likely
 * wins, its marginal likelihood counted in the original units (the log derivatives of
 * the warping and of the standardisation added). tx, ty: room for the training set. */
static void s_refit(gp_t *g, int s, double *tx, double *ty, char *err)
{
    double best = -INFINITY;
    for (int warped = 0; warped <= (int)g->warp; warped++) {
        double logjac;
        s_training(g, warped, s, tx, ty, &logjac);
        gp_model_t *h = gp_model_fit(tx, ty, s, g->denc, g->cat, NULL, err);
        double score = !h ? -INFINITY
                       : (g->warp_loo ? gp_model_loo(h)
                                      : gp_model_lml(h) - s * log(gp_model_ystd(h))) + logjac;
        if (h && score > best) {
            best = score;
            free(g->theta);
            g->theta = xmalloc((size_t)(g->denc + 2) * sizeof *g->theta);
            memcpy(g->theta, gp_model_theta(h), (size_t)(g->denc + 2) * sizeof *g->theta);
            g->theta_n = s;
            g->warped = warped;
        }
        gp_model_destroy(&h);
    }
}

/* Random candidates: c_rand uniform points, then c_near around the 5 best trials. */
static void s_candidates(const gp_t *g, rng_t *r, double *u, int c_rand, int c_near)
{
    int d = g->denc, top = g->n_obs < 5 ? g->n_obs : 5;
    int *order = xmalloc((size_t)g->n_obs * sizeof *order);
    for (int i = 0; i < g->n_obs; i++)
        order[i] = i;
    for (int i = 0; i < top; i++) /* partial selection sort: the best `top` first */
        for (int j = i + 1; j < g->n_obs; j++)
            if (g->obs[order[j]].y < g->obs[order[i]].y) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    for (int c = 0; c < c_rand + c_near; c++) {
        double *p = u + (size_t)c * d;
        const double *base = c < c_rand ? NULL : g->obs[order[(c - c_rand) % top]].u;
        for (int j = 0; j < d; j++)
            p[j] = base ? fmin(1, fmax(0, base[j] + 0.05 * rng_normal(r))) : rng_uniform(r);
    }
    free(order);
}

static int s_propose(void *vself, long number, double *x, char *err)
{
    gp_t *g = vself;
    if (g->n_obs < g->n_startup)
        return random_sampler.propose(g->rnd, number, x, err);
    if (g->n_obs >= g->max_trials || (g->tpe_every && number % g->tpe_every == g->tpe_every - 1))
        return tpe_sampler.propose(g->tpe, number, x, err);
    int d = g->denc, n = g->n_obs + g->n_run, s = s_schedule(g->n_obs);
    double *tx = xmalloc((size_t)n * d * sizeof *tx), *ty = xmalloc((size_t)n * sizeof *ty);
    if (!g->theta || g->theta_n != s)
        s_refit(g, s, tx, ty, err);
    double logjac, best = s_training(g, g->warped, s, tx, ty, &logjac);
    if (g->believer && g->theta && g->n_run)
        s_believe(g, tx, ty, err);
    gp_model_t *m = g->theta ? gp_model_fit(tx, ty, n, d, g->cat, g->theta, err) : NULL;
    free(tx);
    free(ty);
    if (!m) /* a degenerate kernel: TPE proposes this one */
        return tpe_sampler.propose(g->tpe, number, x, err);
    enum { C_RAND = 1000, C_NEAR = 200, C_TOTAL = C_RAND + C_NEAR };
    rng_t r;
    rng_seed(&r, s_trial_seed(g->seed, number));
    double *u = xmalloc((size_t)C_TOTAL * d * sizeof *u), *v = xmalloc(C_TOTAL * sizeof *v);
    s_candidates(g, &r, u, C_RAND, C_NEAR);
    if (!g->inc_obs)
        best = gp_model_min_mean(m, g->n_obs);
    s_acq_t a = {g, m, best};
    s_acq_eval(&a, u, C_TOTAL, v);
    int top[3] = {-1, -1, -1}; /* the three best candidates, best first */
    for (int c = 0; c < C_TOTAL; c++)
        for (int t = 0; t < 3; t++)
            if (top[t] < 0 || v[c] > v[top[t]]) {
                memmove(top + t + 1, top + t, (size_t)(2 - t) * sizeof *top);
                top[t] = c;
                break;
            }
    int win = top[0];
    for (int t = 0; t < 3; t++) {
        s_local(&a, u + (size_t)top[t] * d, &v[top[t]]);
        win = v[top[t]] > v[win] ? top[t] : win;
    }
    s_decode(g->space, u + (size_t)win * d, x);
    free(u);
    free(v);
    gp_model_destroy(&m);
    return SAMPLER_OK;
}

static size_t s_memory(const void *vself)
{
    const gp_t *g = vself;
    return sizeof *g + (size_t)(g->cap_obs + g->cap_run) * (sizeof(s_obs_t) + g->denc * 8) +
           tpe_sampler.memory(g->tpe);
}

static void s_destroy(void **self_p)
{
    gp_t *g = *self_p;
    if (!g)
        return;
    for (int i = 0; i < g->n_obs; i++)
        free(g->obs[i].u);
    for (int i = 0; i < g->n_run; i++)
        free(g->run[i].u);
    free(g->obs);
    free(g->run);
    free(g->theta);
    random_sampler.destroy(&g->rnd);
    tpe_sampler.destroy(&g->tpe);
    free(g);
    *self_p = NULL;
}

const sampler_ops_t gp_sampler = {
    .name = "gp",
    .check = s_check,
    .create = s_create,
    .propose = s_propose,
    .started = s_started,
    .finished = s_finished,
    .memory = s_memory,
    .destroy = s_destroy,
};
