/* tpe — Optuna 3.x's TPE sampler, kept cheap for large studies, plus a local
 * refinement step.
 *
 * Options (the `sampler:` map): type: tpe, seed (0), n_startup_trials (10),
 * n_ei_candidates (24), prior_weight (1.0), consider_magic_clip (true),
 * consider_endpoints (false), multivariate (false), constant_liar (true),
 * deterministic (false), parallelism (4), normalized_kernels (false: densities exactly
 * as Optuna 3.1.0 computes them, whose truncated-normal logpdf leaves out -log sigma;
 * true gives proper densities, as Optuna >= 3.5 after its issue #5109),
 * refine_every (2; 0 = never, which is Optuna 3.1's TPE unchanged), refine_scale
 * (0.05), refine_candidates (4), refine_start (n_startup_trials + 4 per parameter):
 * every refine_every-th proposal from refine_start on is a small step from the best
 * trial instead (tpe_refine.c); refine_taper (40; past 5 parameters 200 / d, 20 in
 * 10-D; 0 = off): from refine_start + that many proposals on, every 2 * refine_every-th.
 *
 * Behaviour and defaults follow optuna.samplers.TPESampler: the first
 * n_startup_trials (10) proposals are random draws (the random sampler, same seed);
 * then the finished trials split into a good set, the gamma(n) = min(ceil(n / 10), 25)
 * best, and a bad set, the rest, whose weights ramp up from old to recent trials
 * (default_weights); n_ei_candidates (24) draws from the good density l(x) are scored
 * by log l(x) - log g(x) and the best one wins. Pruned trials count with their last
 * value, ranked after every complete trial (hps gets no step, so unlike Optuna a
 * pruned trial's step does not order it among pruned ones); failed trials are ignored.
 * Running trials enter the bad set as constant liars (on by default), which is what
 * keeps parallel workers apart. One density per parameter by default (univariate, as
 * Optuna's default); multivariate: true models the parameters jointly. A conditional
 * parameter (`when:`) is modelled apart, on the trials where it is active (tpe_cond.c).
 *
 * Why it stays fast: every trial is one entry of the bad estimator's columns, appended
 * in trial order when it starts and never rebuilt; a proposal only rewrites the weight
 * of each entry (0 for the good set, failures and future trials), which the estimator
 * turns into bandwidths with its cached normalisers. The ranking needs only the best
 * 25 finished trials, kept in a small sorted array updated on each finish, so the
 * good/bad split costs nothing per proposal. Failed entries are compacted away in
 * batches. What remains per proposal is evaluating g at the candidates: O(24 n d) in
 * the joint mode; in the univariate one, whose kernels the estimator keeps sorted per
 * parameter, only the kernels within reach of each candidate count (parzen_1d.c).
 *
 * Reproducibility: proposal k draws from a generator seeded by (seed, k), so a study
 * replayed through started()/finished() proposes the same points. With deterministic:
 * true, proposal k sees exactly the trials 0 .. k-P-1 (P = parallelism) as finished
 * and k-P .. k-1 as running liars, whatever their actual state, and returns
 * SAMPLER_WAIT until trials 0 .. k-P-1 have all finished: results do not depend on
 * which worker was faster. */
#include "samplers/tpe.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/tpe_priv.h"

/* ---------------------------------------------------------------------------------- */
/* Options                                                                            */

static const char *const s_keys[] = {
    "type", "seed", "n_startup_trials", "n_ei_candidates", "prior_weight",
    "consider_magic_clip", "consider_endpoints", "multivariate", "constant_liar",
    "deterministic", "parallelism", "normalized_kernels", "refine_every", "refine_scale",
    "refine_candidates", "refine_start", "refine_taper", "max_history", NULL};

/* Read (and range-check) the options; 0 or -1 with errors added. */
/* A count whose default (-1, absent or null) s_create derives from the space. */
static void s_check_count(const cfg_node_t *opts, const char *key, long v, cfg_errs_t *errs)
{
    const cfg_node_t *n = cfg_get(opts, key);
    if (n && cfg_kind(n) != CFG_K_NULL && (v < 0 || v > 1000000000))
        cfg_error(errs, n, "%s: must be in 0..1000000000", key);
}

static int s_read_opts(const cfg_node_t *opts, tpe_opts_t *o, cfg_errs_t *errs)
{
    int before = errs->n;
    long seed;
    if (opts)
        cfg_check_keys(opts, s_keys, errs);
    cfg_long(opts, "seed", 0, &seed, errs);
    o->seed = (uint64_t)seed;
    cfg_long(opts, "n_startup_trials", 10, &o->n_startup, errs);
    cfg_long(opts, "n_ei_candidates", 24, &o->n_ei, errs);
    cfg_double(opts, "prior_weight", 1.0, &o->prior_weight, errs);
    cfg_bool(opts, "consider_magic_clip", true, &o->magic_clip, errs);
    cfg_bool(opts, "consider_endpoints", false, &o->endpoints, errs);
    cfg_bool(opts, "multivariate", false, &o->multivariate, errs);
    cfg_bool(opts, "constant_liar", true, &o->constant_liar, errs);
    cfg_bool(opts, "deterministic", false, &o->deterministic, errs);
    cfg_long(opts, "parallelism", 4, &o->parallelism, errs);
    cfg_bool(opts, "normalized_kernels", false, &o->normalized, errs);
    cfg_long(opts, "refine_every", 2, &o->refine_every, errs);
    cfg_double(opts, "refine_scale", 0.05, &o->refine_scale, errs);
    cfg_long(opts, "refine_candidates", 4, &o->refine_cands, errs);
    cfg_long(opts, "refine_start", -1, &o->refine_start, errs);
    cfg_long(opts, "refine_taper", -1, &o->refine_taper, errs);
    cfg_long(opts, "max_history", 20000, &o->max_history, errs);
    if (errs->n > before)
        return -1;
    if (o->n_startup < 0)
        cfg_error(errs, cfg_get(opts, "n_startup_trials"), "n_startup_trials: must be >= 0");
    if (o->n_ei < 1 || o->n_ei > 100000)
        cfg_error(errs, cfg_get(opts, "n_ei_candidates"), "n_ei_candidates: must be in 1..100000");
    if (!(o->prior_weight > 0) || !isfinite(o->prior_weight))
        cfg_error(errs, cfg_get(opts, "prior_weight"), "prior_weight: must be > 0");
    if (o->parallelism < 0 || o->parallelism > 1000000)
        cfg_error(errs, cfg_get(opts, "parallelism"), "parallelism: must be in 0..1000000");
    if (o->refine_every < 0 || o->refine_every > 1000000)
        cfg_error(errs, cfg_get(opts, "refine_every"), "refine_every: must be in 0..1000000");
    if (!(o->refine_scale > 0 && o->refine_scale <= 1))
        cfg_error(errs, cfg_get(opts, "refine_scale"), "refine_scale: must be in (0, 1]");
    if (o->refine_cands < 1 || o->refine_cands > 100000)
        cfg_error(errs, cfg_get(opts, "refine_candidates"), "refine_candidates: must be in 1..100000");
    s_check_count(opts, "refine_start", o->refine_start, errs);
    s_check_count(opts, "refine_taper", o->refine_taper, errs);
    if (o->max_history != 0 && (o->max_history < 100 || o->max_history > 100000000))
        cfg_error(errs, cfg_get(opts, "max_history"), "max_history: must be 0 (all) or in 100..100000000");
    return errs->n > before ? -1 : 0;
}

static int s_check(const cfg_node_t *opts, const space_t *space, cfg_errs_t *errs)
{
    (void)space;
    tpe_opts_t o;
    return s_read_opts(opts, &o, errs);
}

/* ---------------------------------------------------------------------------------- */
/* Lifecycle                                                                          */

static void *s_create(const space_t *space, const cfg_node_t *opts, direction_t dir, char *err)
{
    assert(space && (dir == DIR_MINIMIZE || dir == DIR_MAXIMIZE));
    tpe_opts_t o;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    if (s_read_opts(opts, &o, &errs) != 0) {
        set_err(err, "%s", errs.n ? errs.msgs[0] : "tpe: bad options");
        cfg_errs_free(&errs);
        return NULL;
    }
    cfg_errs_free(&errs);
    /* The random sampler reads only `seed` from the same map. */
    void *rnd = random_sampler.create(space, opts, dir, err);
    if (!rnd)
        return NULL;
    tpe_t *self = xcalloc(1, sizeof *self);
    self->space = space;
    self->dir = dir;
    self->o = o;
    self->d = space->n;
    if (self->o.refine_start < 0)
        self->o.refine_start = o.n_startup + TPE_REFINE_WAIT * (long)self->d;
    if (self->o.refine_taper < 0)
        self->o.refine_taper = tpe_default_taper(self->d);
    self->rnd = rnd;
    parzen_dim_t *dims = xmalloc(sizeof *dims * (size_t)(self->d ? self->d : 1));
    for (int p = 0; p < self->d; p++)
        parzen_dim_init(&dims[p], &space->params[p]);
    parzen_opts_t po = {.prior_weight = o.prior_weight, .magic_clip = o.magic_clip,
                        .endpoints = o.endpoints, .multivariate = o.multivariate,
                        .normalized = o.normalized};
    tpe_cond_init(self, dims, &po);
    self->bad = parzen_new(self->d, dims, &po);
    self->good = parzen_new(self->d, dims, &po);
    free(dims);
    self->n_scratch = o.n_ei > o.refine_cands ? o.n_ei : o.refine_cands;
    size_t m = (size_t)self->n_scratch * (size_t)(self->d ? self->d : 1);
    self->cand = xmalloc(sizeof *self->cand * m);
    self->lg = xmalloc(sizeof *self->lg * m);
    self->lb = xmalloc(sizeof *self->lb * m);
    self->aux = xmalloc(sizeof *self->aux * 3 * (size_t)self->n_scratch);
    return self;
}

static void s_destroy(void **self_p)
{
    assert(self_p);
    tpe_t *self = *self_p;
    if (!self)
        return;
    random_sampler.destroy(&self->rnd);
    tpe_cond_free(self);
    parzen_destroy(&self->bad);
    parzen_destroy(&self->good);
    free(self->number), free(self->state), free(self->seen), free(self->key), free(self->w);
    free(self->cand), free(self->lg), free(self->lb), free(self->aux);
    free(self);
    *self_p = NULL;
}

static size_t s_memory(const void *vself)
{
    const tpe_t *self = vself;
    size_t per = sizeof(long) + 2 + 2 * sizeof(double);
    return sizeof *self + per * (size_t)self->cap + parzen_memory(self->bad) +
           parzen_memory(self->good) + tpe_cond_memory(self) +
           3 * sizeof(double) * (size_t)self->n_scratch * (size_t)(self->d + 1);
}

long tpe_size(const void *vself) { return ((const tpe_t *)vself)->n; }

/* ---------------------------------------------------------------------------------- */
/* Trials                                                                             */

static void s_forget_old(tpe_t *self);

/* Entry index of trial `number`, or -1. */
long tpe_find(const tpe_t *self, long number)
{
    long lo = 0, hi = self->n;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (self->number[mid] < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->n && self->number[lo] == number ? lo : -1;
}

static void s_started(void *vself, long number, const double *x)
{
    tpe_t *self = vself;
    assert(self && x);
    /* The coordinator reports trials in number order; a repeat changes nothing. */
    if (self->n > 0 && number <= self->number[self->n - 1]) {
        assert(tpe_find(self, number) >= 0);
        return;
    }
    if (self->n == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 64;
        self->number = xrealloc(self->number, sizeof *self->number * (size_t)self->cap);
        self->state = xrealloc(self->state, (size_t)self->cap);
        self->seen = xrealloc(self->seen, (size_t)self->cap);
        self->key = xrealloc(self->key, sizeof *self->key * (size_t)self->cap);
        self->w = xrealloc(self->w, sizeof *self->w * (size_t)self->cap);
        tpe_cond_grow(self);
    }
    long j = parzen_append(self->bad, x);
    assert(j == self->n);
    tpe_cond_store(self, j, x);
    self->number[j] = number;
    self->state[j] = TRIAL_RUNNING;
    self->seen[j] = 0;
    self->key[j] = INFINITY;
    self->w[j] = 0; /* the next proposal weighs it; until then defined (tpe_cond_test reads) */
    self->n++;
    self->n_warm += number < 0;
    s_forget_old(self);
}

/* Whether a ranks before b: complete before pruned, then by value, then by age. */
static bool s_before(const tpe_top_t *a, const tpe_top_t *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank;
    if (a->key != b->key)
        return a->key < b->key;
    return a->number < b->number;
}

static void s_top_insert(tpe_t *self, const tpe_top_t *t)
{
    int i = self->n_top;
    if (i == TPE_TOP) {
        if (!s_before(t, &self->top[TPE_TOP - 1]))
            return;
        i--;
    } else {
        self->n_top++;
    }
    for (; i > 0 && s_before(t, &self->top[i - 1]); i--)
        self->top[i] = self->top[i - 1];
    self->top[i] = *t;
}

bool tpe_too_old(const tpe_t *self, long j, long number)
{
    return self->o.max_history > 0 && self->number[j] < number - self->o.max_history;
}

static bool s_in_top(const tpe_t *self, long number)
{
    for (int i = 0; i < self->n_top; i++)
        if (self->top[i].number == number)
            return true;
    return false;
}

/* Drop the entries no proposal from `number` on can see: failures, and finished
 * trials that are too old (max_history) and not among the best. */
static void s_compact(tpe_t *self, long number)
{
    bool *keep = xmalloc(sizeof *keep * (size_t)(self->n ? self->n : 1));
    long k = 0, absorbed = 0;
    for (long j = 0; j < self->n; j++) {
        keep[j] = !(self->seen[j] && (self->state[j] == TRIAL_FAIL ||
                                      (tpe_too_old(self, j, number) &&
                                       !s_in_top(self, self->number[j]))));
        if (!keep[j])
            continue;
        absorbed += j < self->absorbed;
        self->number[k] = self->number[j], self->state[k] = self->state[j];
        self->seen[k] = self->seen[j], self->key[k] = self->key[j];
        tpe_cond_move(self, k, j);
        k++;
    }
    parzen_compact(self->bad, keep);
    free(keep);
    self->n = k;
    self->absorbed = absorbed;
    self->n_dead = 0;
}

/* max_history: free, now and then, the entries that no later proposal can see. Every
 * later proposal is numbered above the newest started trial. */
static void s_forget_old(tpe_t *self)
{
    long cap = self->o.max_history;
    if (cap == 0 || self->n <= self->forget_at || self->n == 0)
        return;
    s_compact(self, self->number[self->n - 1]);
    self->forget_at = (self->n > cap ? self->n : cap) + cap / 8 + 64;
}

/* Entry j's final state starts to count: immediately on finish, or in deterministic
 * mode once a proposal's window has moved past it. */
static void s_absorb(tpe_t *self, long j)
{
    assert(!self->seen[j] && self->state[j] != TRIAL_RUNNING);
    self->seen[j] = 1;
    if (self->state[j] == TRIAL_FAIL) {
        if (++self->n_dead > 64 && self->n_dead > self->n / 8)
            s_compact(self, 0); /* failures only: nothing is too old for proposal 0 */
        return;
    }
    self->n_fin++;
    tpe_top_t t = {.rank = self->state[j] == TRIAL_PRUNED, .key = self->key[j],
                   .number = self->number[j]};
    s_top_insert(self, &t);
    s_forget_old(self);
}

static void s_finished(void *vself, long number, trial_state_t state, double value)
{
    tpe_t *self = vself;
    assert(self && (state == TRIAL_COMPLETE || state == TRIAL_PRUNED || state == TRIAL_FAIL));
    long j = tpe_find(self, number);
    if (j < 0 || self->state[j] != TRIAL_RUNNING)
        return; /* never started here, or already final: nothing to learn */
    self->state[j] = (uint8_t)state;
    self->key[j] = isnan(value) ? INFINITY : (double)self->dir * value;
    if (!self->o.deterministic)
        s_absorb(self, j);
}

/* Deterministic mode: make the trials numbered below `limit` seen. -1 when one of them
 * is still running. */
static int s_absorb_until(tpe_t *self, long limit)
{
    while (self->absorbed < self->n && self->number[self->absorbed] < limit) {
        long j = self->absorbed;
        if (self->state[j] == TRIAL_RUNNING || self->state[j] == TRIAL_WAITING)
            return -1;
        self->absorbed++; /* before s_absorb, which may compact */
        s_absorb(self, j);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Proposals                                                                          */

/* Optuna's default_weights(n)[i]: flat for the 25 most recent, a ramp from 1/n before. */
double tpe_ramp(long i, long n)
{
    if (n < 25 || i >= n - 25)
        return 1;
    long num = n - 25;
    double start = 1.0 / (double)n;
    return num == 1 ? start : start + (1 - start) * (double)i / (double)(num - 1);
}

/* Deterministic mode: proposal `number` sees the trials numbered below this as finished
 * (and the warm-start observations, numbered below 0, always). */
static long s_window(const tpe_t *self, long number)
{
    long limit = number - self->o.parallelism;
    return limit > 0 ? limit : 0;
}

/* Whether entry j belongs to the bad set of proposal `number` (good set aside). */
static bool s_in_view(const tpe_t *self, long j, long number)
{
    if (self->o.deterministic) {
        long limit = s_window(self, number);
        if (self->number[j] >= number)
            return false;
        if (self->number[j] >= limit)
            return self->o.constant_liar; /* a liar whatever its real state */
    } else if (!self->seen[j]) {
        return self->o.constant_liar;
    }
    return self->state[j] != TRIAL_FAIL && !tpe_too_old(self, j, number);
}

/* Split the seen trials for proposal `number`: the good set's entries go to below[]
 * in trial order (their count is returned), the bad set's weights to self->w. */
static int s_split(tpe_t *self, long number, long *below)
{
    /* gamma(n) = min(ceil(0.1 n), 25), in floating point as Optuna computes it */
    long n_below = (long)ceil(0.1 * (double)self->n_fin);
    n_below = n_below < TPE_TOP ? n_below : TPE_TOP;
    assert(n_below <= self->n_top);
    int nb = 0;
    for (long i = 0; i < n_below; i++) {
        long j = tpe_find(self, self->top[i].number);
        assert(j >= 0 && self->seen[j]);
        int k = nb++;
        for (; k > 0 && below[k - 1] > j; k--)
            below[k] = below[k - 1];
        below[k] = j;
    }
    long n_above = 0;
    for (long j = 0; j < self->n; j++) {
        self->w[j] = s_in_view(self, j, number);
        n_above += self->w[j] > 0;
    }
    for (int i = 0; i < nb; i++) {
        if (self->w[below[i]] > 0) { /* 0: older than max_history, yet among the best */
            self->w[below[i]] = 0;
            n_above--;
        }
    }
    for (long j = 0, rank = 0; j < self->n; j++)
        if (self->w[j] > 0)
            self->w[j] = tpe_ramp(rank++, n_above);
    return nb;
}

enum { S_RANDOM = 100 }; /* s_view result: too few finished trials, draw at random */

/* Build l and g for proposal `number`: SAMPLER_OK, SAMPLER_WAIT or S_RANDOM. */
static int s_view(tpe_t *self, long number)
{
    if (self->o.deterministic) {
        long limit = s_window(self, number), visible = limit + self->n_warm;
        if (visible < self->o.n_startup || visible == 0)
            return S_RANDOM; /* fewer than n_startup trials can be visible */
        if (s_absorb_until(self, limit) != 0)
            return SAMPLER_WAIT;
    }
    if (self->n_fin < self->o.n_startup)
        return S_RANDOM;
    long *below = self->below;
    double ones[TPE_TOP];
    int nb = self->nb = s_split(self, number, below);
    parzen_clear(self->good);
    for (int i = 0; i < nb; i++) {
        parzen_append_from(self->good, self->bad, below[i]);
        ones[i] = 1; /* default_weights is flat below 26 entries */
    }
    parzen_prepare(self->good, ones);
    parzen_prepare(self->bad, self->w);
    return SAMPLER_OK;
}

/* The generator of proposal `number`: a pure function of (seed, number). */
static uint64_t s_trial_seed(uint64_t seed, long number)
{
    return hash_mix64(hash_mix64(seed ^ 0x7470655f73656564ULL) + hash_mix64((uint64_t)number));
}

int tpe_argmax(const double *lg, const double *lb, int m)
{
    int best = 0;
    double top = -INFINITY;
    for (int c = 0; c < m; c++) {
        double s = lg[c] - lb[c];
        if (s > top) {
            top = s;
            best = c;
        }
    }
    return best;
}

static int s_propose(void *vself, long number, double *x, char *err)
{
    tpe_t *self = vself;
    assert(self && x && number >= 0);
    int rc = s_view(self, number);
    if (rc == S_RANDOM)
        return random_sampler.propose(self->rnd, number, x, err);
    if (rc != SAMPLER_OK)
        return rc;
    rng_t r;
    rng_seed(&r, s_trial_seed(self->o.seed, number));
    int m = (int)self->o.n_ei, d = self->d;
    long centre = -1;
    if (tpe_is_refine(&self->o, number) && tpe_refine(self, number, &r, x) == 0) {
        /* a local step around the best trial (tpe_refine.c) */
        centre = tpe_find(self, self->top[0].number);
    } else if (self->o.multivariate) {
        parzen_sample(self->good, &r, m, self->cand);
        parzen_log_pdf(self->good, m, self->cand, self->lg);
        parzen_log_pdf(self->bad, m, self->cand, self->lb);
        int best = tpe_argmax(self->lg, self->lb, m);
        memcpy(x, self->cand + (size_t)best * (size_t)d, sizeof *x * (size_t)d);
    } else {
        for (int p = 0; p < d; p++) {
            if (self->n_cond > 0 && self->cond_of[p] >= 0)
                continue; /* conditional: tpe_cond_propose */
            parzen_sample_1d(self->good, p, &r, m, self->cand);
            parzen_log_pdf_1d(self->good, p, m, self->cand, self->lg);
            parzen_log_pdf_1d(self->bad, p, m, self->cand, self->lb);
            x[p] = self->cand[tpe_argmax(self->lg, self->lb, m)];
        }
    }
    if (self->n_cond > 0)
        tpe_cond_propose(self, &r, x, centre);
    space_snap(self->space, x);
    return SAMPLER_OK;
}

int tpe_log_densities(void *vself, long number, int m, const double *xs, double *l, double *g)
{
    tpe_t *self = vself;
    assert(self && xs && l && g && m >= 0);
    long startup = self->o.n_startup;
    self->o.n_startup = 0; /* densities exist from the first trial on */
    int rc = s_view(self, number);
    self->o.n_startup = startup;
    if (rc != SAMPLER_OK)
        return rc;
    if (self->o.multivariate) {
        parzen_log_pdf(self->good, m, xs, l);
        parzen_log_pdf(self->bad, m, xs, g);
        return SAMPLER_OK;
    }
    int d = self->d;
    double *col = xmalloc(sizeof *col * (size_t)(3 * m + 1)), *cl = col + m, *cg = cl + m;
    for (int p = 0; p < d; p++) {
        for (int c = 0; c < m; c++)
            col[c] = xs[(size_t)c * (size_t)d + (size_t)p];
        parzen_log_pdf_1d(self->good, p, m, col, cl);
        parzen_log_pdf_1d(self->bad, p, m, col, cg);
        for (int c = 0; c < m; c++) {
            l[(size_t)c * (size_t)d + (size_t)p] = cl[c];
            g[(size_t)c * (size_t)d + (size_t)p] = cg[c];
        }
    }
    free(col);
    return SAMPLER_OK;
}

const sampler_ops_t tpe_sampler = {
    .name = "tpe",
    .check = s_check,
    .create = s_create,
    .propose = s_propose,
    .started = s_started,
    .finished = s_finished,
    .memory = s_memory,
    .destroy = s_destroy,
};
