/* tpe_priv.h — the TPE sampler's state, shared by tpe.c (the sampler) and
 * tpe_refine.c (its local refinement step). Not a public interface. */
#ifndef HPS_TPE_PRIV_H
#define HPS_TPE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/space.h"
#include "core/trial.h"
#include "core/util.h"
#include "samplers/parzen.h"
#include "samplers/sampler.h"

#define TPE_TOP 25 /* gamma(n) never exceeds this: the most the good set needs */

typedef struct {
    uint64_t seed;
    long n_startup;     /* random proposals until this many trials finished */
    long n_ei;          /* candidates drawn from l(x) */
    double prior_weight;
    bool magic_clip, endpoints, multivariate, constant_liar, deterministic;
    bool normalized;    /* see parzen_opts_t; false = Optuna 3.1's densities */
    long parallelism;   /* deterministic mode: trials a proposal may not wait for */
    long refine_every;  /* every K-th proposal refines the best trial (0 = never) */
    double refine_scale; /* first step, as a fraction of each range */
    long refine_cands;   /* local candidates scored by l/g */
    long refine_start;   /* no refinement before this proposal; -1 until s_create sets
                            the default, n_startup + TPE_REFINE_WAIT per parameter */
    long refine_taper;   /* from refine_start + this many proposals on, refinement is
                            half as frequent (every 2 * refine_every-th); 0 = never;
                            -1 until s_create sets the default, tpe_default_taper */
    long max_history;    /* proposal k models trials numbered >= k - max_history (and the
                            best 25 of all); older ones are freed. 0 = all, as Optuna */
} tpe_opts_t;

typedef struct { /* one of the best finished trials */
    int rank;       /* 0 complete, 1 pruned */
    double key;     /* value to minimise */
    long number;
} tpe_top_t;

typedef struct {
    const space_t *space; /* borrowed */
    direction_t dir;
    tpe_opts_t o;
    int d;
    void *rnd;            /* random sampler for the startup proposals; owned */
    parzen_t *bad;        /* one entry per trial, in trial order: the columns of g */
    parzen_t *good;       /* refilled per proposal from the good set (<= 25 entries) */
    /* Trials, aligned with bad's entries. */
    long n, cap;
    long *number;         /* ascending */
    uint8_t *state;       /* trial_state_t */
    uint8_t *seen;        /* 1 once the finished state counts (see s_absorb) */
    double *key;          /* direction * value; NaN values rank last (+inf) */
    long absorbed;        /* deterministic: entries [0, absorbed) are seen */
    long n_fin;           /* seen complete + pruned trials */
    long n_warm;          /* warm-start observations (numbered < 0, before any trial) */
    long n_dead;          /* seen failures still in the columns */
    long forget_at;       /* max_history: free old entries once n exceeds this */
    tpe_top_t top[TPE_TOP];
    int n_top;
    double *w;            /* scratch: weights of bad's entries */
    double *cand, *lg, *lb; /* scratch: candidates and their log-densities */
    long n_scratch;       /* candidates the scratch holds */
    double *aux;          /* scratch: 3 * n_scratch (refinement, univariate scores) */
    long below[TPE_TOP];  /* the good set of the last view: entry indexes, ascending */
    int nb;
    /* Conditional parameters (tpe_cond.c), outside the main estimators. */
    int n_cond;
    int *cond;            /* [n_cond] their parameter indexes */
    int *cond_of;         /* [d] index into cond, or -1 */
    double *cx;           /* cap x n_cond: each entry's values, NaN where inactive */
    double *cw;           /* scratch, cap: weights of a 1-D bad estimator */
    parzen_t **cgood, **cbad; /* [n_cond] 1-D estimators, refilled per proposal */
} tpe_t;

/* Optuna's default_weights(n)[i] (tpe.c). */
double tpe_ramp(long i, long n);
/* tpe_cond.c: set up the conditional parameters (before the main estimators are made
 * from dims, whose conditional entries it marks single); free; grow cx and cw to cap;
 * store entry j's values; move an entry's values in a compaction; bytes held. */
void tpe_cond_init(tpe_t *self, parzen_dim_t *dims, const parzen_opts_t *po);
void tpe_cond_free(tpe_t *self);
void tpe_cond_grow(tpe_t *self);
void tpe_cond_store(tpe_t *self, long j, const double *x);
void tpe_cond_move(tpe_t *self, long to, long from);
size_t tpe_cond_memory(const tpe_t *self);
/* Fill the conditional parameters of x (the others chosen) in dependency order, NaN
 * where inactive, from the view the last s_view built; centre: the entry a refinement
 * stepped from, or -1. */
void tpe_cond_propose(tpe_t *self, rng_t *r, double *x, long centre);

/* Entry index of trial `number`, or -1 (tpe.c). */
long tpe_find(const tpe_t *self, long number);
/* Index of the best score log l - log g among m (the first on ties, as np.argmax). */
int tpe_argmax(const double *lg, const double *lb, int m);
/* Whether entry j is old enough for proposal `number` to ignore (max_history). */
bool tpe_too_old(const tpe_t *self, long j, long number);
/* Proposals per parameter that refinement waits past the startup ones by default. */
#define TPE_REFINE_WAIT 4
/* The default refine_taper for d parameters: 40, or 200 / d (at least 1) when fewer. */
long tpe_default_taper(int d);
/* Whether proposal `number` is a refinement step (tpe_refine.c). */
bool tpe_is_refine(const tpe_opts_t *o, long number);
/* The step sigma of refinement proposal `number`, from the refinement trials visible
 * to it (a fraction of each range). */
double tpe_refine_sigma(const tpe_t *self, long number);
/* Propose x near the best finished trial (tpe_refine.c): 0, or -1 when no local
 * candidate differs from it (the caller then runs plain TPE). l and g must be prepared. */
int tpe_refine(tpe_t *self, long number, rng_t *r, double *x);

#endif
