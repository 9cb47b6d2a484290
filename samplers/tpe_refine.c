/* tpe_refine — the local refinement step hps adds to TPE.
 *
 * TPE draws its candidates from l(x), whose kernels are at least range / (n_good + 1)
 * wide (the magic clip: a tenth of the range with ten good trials), so it finds the
 * basin of an optimum quickly but rarely its bottom. Every refine_every-th proposal
 * (2 by default; 0 turns this off and leaves Optuna 3.1's TPE unchanged) is instead
 * a small step from the best finished trial: refine_candidates (4) Gaussian
 * perturbations of its numeric parameters (categoricals keep its choice) with a
 * common step sigma, as a fraction of each (log-)range, and TPE's own score
 * log l(x) - log g(x) picks among them. No proposal before refine_start is one
 * (default n_startup_trials + 4 per parameter: TPE alone finds the basin first; from
 * the startup trials on, refinement spent half of the budget polishing one ripple of
 * BBOB's Schaffer F7 in 5-D and lost to Optuna there, docs/bench-bbob.md).
 * refine_taper W (default 40, 200 / d past 5 parameters; 0 = off) halves the rate
 * from proposal refine_start + W on: at 300 trials refinement every 2nd proposal fills
 * TPE's good set with points next to the best one, TPE stops exploring, and on some
 * functions the study ends worse than without refinement (2-5-D: 4 of 24 functions
 * each, up to 23x; bench/data/bbob/tuning/taper/README.md); a taper of 20-40 keeps
 * most of the gains.
 * Past 5 parameters the default is 200 / d (20 in 10-D): with 40, BBOB f17 in 10-D at
 * 300 trials still ended 1.16x worse than without refinement (tuning seeds; 1.27x
 * Optuna's TPE), with 20 level (1.05x) at the cost of a little of the gains at 100.
 * A step that would leave the range stops at its bound (censored, not redrawn): an
 * optimum on a bound (common in tuning: the best learning rate at the end of the
 * range) is then reached exactly, where TPE's truncated kernels only come near it
 * (BBOB f5, the linear slope, 2-D: median regret 1.01 -> 0 at 100 trials on the
 * tuning seeds; docs/bench-bbob.md).
 *
 * sigma follows the 1/5th success rule of evolution strategies, recomputed from the
 * history rather than kept as state, so a restarted coordinator and deterministic
 * mode agree with it: it starts at refine_scale (0.05) and is multiplied by e^0.6 for
 * each earlier refinement trial that beat the best value known when it was proposed
 * and by e^-0.15 for each that did not (an equilibrium at one success in five),
 * clamped to [1e-5, 0.5]. "Known when proposed" is the trials numbered below
 * t - lag: lag is the parallelism in deterministic mode, else the number of trials
 * now running — with P workers a trial was proposed while about P - 1 earlier ones
 * were still running, and a refinement that merely beats a sibling launched next to
 * it must not count as a success. Only trials within max_history count, as for the
 * densities, so the rule does not depend on when old entries were freed.
 *
 * Why this and not more EI candidates: drawing 64 or 128 candidates from l(x) sharpens
 * the argmax but not the kernels, and was worse than 24 on half of the benchmark
 * problems (docs/bench-tpe.md). */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "samplers/tpe_priv.h"

#define R_UP 0.6      /* log step growth after a success */
#define R_DOWN 0.15   /* log step shrink after a failure: R_UP / 4, the 1/5th rule */
#define R_MIN 1e-5
#define R_MAX 0.5
#define R_MAXD 4096   /* parameters a refinement handles (more: plain TPE) */

long tpe_default_taper(int d)
{
    long w = 200 / (d > 0 ? d : 1); /* at least 1: a taper of 0 would turn it off */
    return w > 40 ? 40 : w < 1 ? 1 : w;
}

bool tpe_is_refine(const tpe_opts_t *o, long number)
{
    long k = o->refine_every;
    if (o->refine_taper > 0 && number >= o->refine_start + o->refine_taper)
        k *= 2;
    return k > 0 && number >= o->n_startup && number >= o->refine_start &&
           number % k == k - 1;
}

double tpe_refine_sigma(const tpe_t *self, long number)
{
    long lag = 0;
    if (self->o.deterministic)
        lag = self->o.parallelism;
    else
        for (long j = 0; j < self->n; j++)
            lag += !self->seen[j];
    double lsig = log(self->o.refine_scale), best = INFINITY;
    long i = 0; /* entries [0, i) are numbered below t - lag; best is their minimum */
    for (long j = 0; j < self->n; j++) {
        long t = self->number[j];
        if (t >= number)
            break;
        if (!self->seen[j] || self->state[j] != TRIAL_COMPLETE || tpe_too_old(self, j, number))
            continue;
        for (; i < self->n && self->number[i] < t - lag; i++)
            if (self->seen[i] && self->state[i] == TRIAL_COMPLETE && self->key[i] < best &&
                !tpe_too_old(self, i, number))
                best = self->key[i];
        if (tpe_is_refine(&self->o, t))
            lsig += self->key[j] < best ? R_UP : -R_DOWN;
    }
    double sg = exp(lsig);
    return sg < R_MIN ? R_MIN : sg > R_MAX ? R_MAX : sg;
}

/* One perturbation of the centre u (kernel coordinates) into x (internal values).
 * Returns whether x differs from the centre once rounded to legal values. */
static bool s_perturb(const tpe_t *self, const double *u, double sg, rng_t *r, double *x)
{
    bool moved = false;
    for (int p = 0; p < self->d; p++) {
        const parzen_dim_t *dim = parzen_dim(self->bad, p);
        double c = parzen_from_u(dim, u[p]);
        x[p] = c;
        if (dim->single || dim->kind == PARAM_CAT)
            continue;
        double w = dim->high - dim->low, t = u[p] + sg * w * rng_normal(r);
        t = t < dim->low ? dim->low : t > dim->high ? dim->high : t; /* censored */
        x[p] = parzen_from_u(dim, t);
        moved |= x[p] != c;
    }
    return moved;
}

/* Scores log l - log g of the m candidates into lg and lb (their difference counts). */
static void s_score(tpe_t *self, int m)
{
    int d = self->d;
    if (self->o.multivariate) {
        parzen_log_pdf(self->good, m, self->cand, self->lg);
        parzen_log_pdf(self->bad, m, self->cand, self->lb);
        return;
    }
    double *col = self->aux, *a = col + m, *b = a + m;
    for (int c = 0; c < m; c++)
        self->lg[c] = self->lb[c] = 0;
    for (int p = 0; p < d; p++) { /* univariate: the product of the per-parameter ratios */
        for (int c = 0; c < m; c++)
            col[c] = self->cand[(size_t)c * (size_t)d + (size_t)p];
        parzen_log_pdf_1d(self->good, p, m, col, a);
        parzen_log_pdf_1d(self->bad, p, m, col, b);
        for (int c = 0; c < m; c++)
            self->lg[c] += a[c], self->lb[c] += b[c];
    }
}

int tpe_refine(tpe_t *self, long number, rng_t *r, double *x)
{
    assert(self && r && x);
    if (self->n_top == 0 || self->d > R_MAXD)
        return -1;
    long j = tpe_find(self, self->top[0].number);
    assert(j >= 0);
    double u[R_MAXD];
    parzen_entry(self->bad, j, u);
    double sg = tpe_refine_sigma(self, number);
    int m = (int)self->o.refine_cands, d = self->d, kept = 0;
    for (int c = 0; c < m; c++) /* candidates equal to the centre are dropped */
        kept += s_perturb(self, u, sg, r, self->cand + (size_t)kept * (size_t)d);
    if (kept == 0)
        return -1; /* only discrete steps, all too small: let TPE propose */
    s_score(self, kept);
    int best = tpe_argmax(self->lg, self->lb, kept);
    memcpy(x, self->cand + (size_t)best * (size_t)d, sizeof *x * (size_t)d);
    return 0;
}
