/* tpe_cond — TPE on conditional parameters (space_cond.c).
 *
 * A conditional parameter is modelled as Optuna's univariate TPE models a parameter
 * that some trials lack: the good/bad split is the study's (made on every finished
 * trial, whatever it holds), then each of the two densities is fitted on the trials of
 * its set where the parameter is active, the bad set's weights ramped over those trials
 * alone (default_weights of their count). Values of trials where it was inactive would
 * otherwise pull its density toward whatever the other branch happened to hold.
 *
 * So the main estimators (tpe.c) see a conditional parameter as a constant (its dim is
 * marked `single`, not modelled), and this file keeps each trial's values of the
 * conditional parameters (cx, NaN when inactive) and, per proposal, refills two small
 * 1-D estimators per conditional parameter from the active entries: O(n) per proposal
 * and parameter, rather than the main estimators' incremental cost. The parameters
 * are proposed parents first, each only when active given the values already chosen;
 * multivariate: true models the unconditional parameters jointly and the conditional
 * ones so, one at a time (Optuna's multivariate TPE without `group` likewise models
 * jointly only the parameters every trial has). A refinement step (tpe_refine.c)
 * keeps the best trial's value of a conditional parameter that stays active, and
 * draws by TPE one that its step made active. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/tpe_priv.h"

void tpe_cond_init(tpe_t *self, parzen_dim_t *dims, const parzen_opts_t *po)
{
    const space_t *space = self->space;
    self->cond_of = xmalloc(sizeof *self->cond_of * (size_t)(space->n ? space->n : 1));
    for (int p = 0; p < space->n; p++) {
        self->cond_of[p] = -1;
        if (space->params[p].n_when > 0)
            self->cond_of[p] = self->n_cond++;
    }
    if (self->n_cond == 0)
        return;
    self->cond = xmalloc(sizeof *self->cond * (size_t)self->n_cond);
    self->cgood = xmalloc(sizeof *self->cgood * (size_t)self->n_cond);
    self->cbad = xmalloc(sizeof *self->cbad * (size_t)self->n_cond);
    parzen_opts_t one = *po;
    one.multivariate = false; /* Optuna's sample_independent: the univariate kernels */
    for (int p = 0; p < space->n; p++) {
        int c = self->cond_of[p];
        if (c < 0)
            continue;
        self->cond[c] = p;
        self->cgood[c] = parzen_new(1, &dims[p], &one);
        self->cbad[c] = parzen_new(1, &dims[p], &one);
        dims[p].single = true; /* the main estimators leave it out */
    }
}

void tpe_cond_free(tpe_t *self)
{
    for (int c = 0; c < self->n_cond; c++) {
        parzen_destroy(&self->cgood[c]);
        parzen_destroy(&self->cbad[c]);
    }
    free(self->cgood), free(self->cbad), free(self->cond), free(self->cond_of);
    free(self->cx), free(self->cw);
}

void tpe_cond_grow(tpe_t *self)
{
    if (self->n_cond == 0)
        return;
    self->cx = xrealloc(self->cx, sizeof *self->cx * (size_t)self->cap * (size_t)self->n_cond);
    self->cw = xrealloc(self->cw, sizeof *self->cw * (size_t)self->cap);
}

void tpe_cond_store(tpe_t *self, long j, const double *x)
{
    for (int c = 0; c < self->n_cond; c++)
        self->cx[(size_t)j * (size_t)self->n_cond + (size_t)c] = x[self->cond[c]];
}

void tpe_cond_move(tpe_t *self, long to, long from)
{
    if (self->n_cond > 0 && to != from)
        memmove(self->cx + (size_t)to * (size_t)self->n_cond,
                self->cx + (size_t)from * (size_t)self->n_cond,
                sizeof *self->cx * (size_t)self->n_cond);
}

size_t tpe_cond_memory(const tpe_t *self)
{
    size_t bytes = (size_t)self->cap * sizeof(double) * (size_t)(self->n_cond + 1);
    for (int c = 0; c < self->n_cond; c++)
        bytes += parzen_memory(self->cgood[c]) + parzen_memory(self->cbad[c]);
    return self->n_cond ? bytes : 0;
}

/* Entry j's value of conditional parameter c (NaN: inactive). */
static double s_cx(const tpe_t *self, long j, int c)
{
    return self->cx[(size_t)j * (size_t)self->n_cond + (size_t)c];
}

/* Refill conditional parameter c's estimators for the current view: the good set's
 * active entries (flat weights), and the bad set's (self->w > 0) with the ramp over
 * their own count. */
static void s_fit(tpe_t *self, int c)
{
    parzen_t *good = self->cgood[c], *bad = self->cbad[c];
    parzen_clear(good);
    parzen_clear(bad);
    double ones[TPE_TOP];
    for (int b = 0; b < self->nb; b++) {
        double v = s_cx(self, self->below[b], c);
        if (!isnan(v)) {
            ones[parzen_size(good)] = 1;
            parzen_append(good, &v);
        }
    }
    parzen_prepare(good, ones);
    long n_above = 0;
    for (long j = 0; j < self->n; j++)
        n_above += self->w[j] > 0 && !isnan(s_cx(self, j, c));
    for (long j = 0, rank = 0; j < self->n; j++) {
        double v = s_cx(self, j, c);
        if (self->w[j] > 0 && !isnan(v)) {
            self->cw[parzen_size(bad)] = tpe_ramp(rank++, n_above);
            parzen_append(bad, &v);
        }
    }
    parzen_prepare(bad, self->cw);
}

void tpe_cond_propose(tpe_t *self, rng_t *r, double *x, long centre)
{
    const space_t *space = self->space;
    int m = (int)self->o.n_ei;
    for (int k = 0; k < space->n; k++) {
        int p = space_order(space, k), c = self->cond_of[p];
        if (!space_active(space, x, p)) {
            x[p] = NAN;
            continue;
        }
        if (c < 0)
            continue; /* modelled by the main estimators */
        if (centre >= 0 && !isnan(s_cx(self, centre, c))) {
            x[p] = s_cx(self, centre, c); /* a refinement keeps the best trial's value */
            continue;
        }
        s_fit(self, c);
        parzen_sample_1d(self->cgood[c], 0, r, m, self->cand);
        parzen_log_pdf_1d(self->cgood[c], 0, m, self->cand, self->lg);
        parzen_log_pdf_1d(self->cbad[c], 0, m, self->cand, self->lb);
        x[p] = self->cand[tpe_argmax(self->lg, self->lb, m)];
    }
}
