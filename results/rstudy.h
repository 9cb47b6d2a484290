/* rstudy — one study as the HTML report draws it: every search trial read once from
 * the store (columns of numbers, parameters as internal values), with the samples the
 * plots draw already chosen, so that a 100,000-trial study becomes a page a browser
 * renders quickly.
 *
 * Downsampling (docs/report.md): the point plots draw at most RSTUDY_POINTS trials
 * (every trial that improved the best so far and the best itself always; the rest
 * evenly spaced by number, PRUNED trials getting at least a quarter of the budget);
 * the parallel coordinates at most RSTUDY_LINES of the drawn COMPLETE trials; the
 * intermediate values of at most RSTUDY_CURVES trials (the best, then evenly spaced,
 * PRUNED ones at least half); the table RSTUDY_ROWS best and RSTUDY_ROWS latest trials.
 * The best-so-far line uses every trial. Importance uses every COMPLETE trial. */
#ifndef HPS_RSTUDY_H
#define HPS_RSTUDY_H

#include <stdbool.h>

#include "core/space.h"
#include "core/store.h"
#include "core/trial.h"

#define RSTUDY_POINTS 2000
#define RSTUDY_LINES 1000
#define RSTUDY_CURVES 300
#define RSTUDY_ROWS 50

typedef struct {
    char *name; /* owned */
    direction_t dir;
    char *metric;   /* what value measures ("value" when unknown); owned */
    space_t *space; /* NULL when the stored space does not parse; owned */
    int nx;         /* parameters per trial (space->n; 0 without a space) */
    int n;          /* search trials (the final refit is not one) */
    long *number;   /* n each; owned */
    trial_state_t *state;
    double *value; /* NaN = none */
    double *x;     /* n * nx internal values, NaN = absent or unreadable */
    int *attempt;
    char **worker; /* owned strings; NULL = none */
    long counts[TRIAL_NSTATES];
    int best;    /* index of the best COMPLETE trial; -1 = none */
    bool *shown; /* n: drawn in the point plots */
    /* intermediate values of the sampled trials, curve k holding
     * steps/vals[off[k] .. off[k+1]) of trial index curve_trial[k] */
    int n_curves;
    int *curve_trial, *curve_off;
    long *steps;
    double *vals;
    /* the table: n_rows trial indices in number order, with their notes */
    int n_rows;
    int *rows;
    double *row_secs;
    char **row_error; /* owned strings; NULL = none */
    /* importance per parameter (nx); n_importance trials used, -1 = too few */
    double *importance;
    int n_importance;
} rstudy_t;

/* Load study s (its name, id, direction and config) into out. metric NULL = "value".
 * 0 ok, -1 with err on a DB error (out freed). */
int rstudy_load(store_t *st, const store_study_t *s, const char *metric, rstudy_t *out, char *err);
void rstudy_free(rstudy_t *r);

/* Whether v (signed by dir) is better than the best so far b; NaN b = none yet. */
bool rstudy_better(direction_t dir, double v, double b);
/* The text of parameter i of trial t ("0.0123", "8", "adam"): caller frees. */
char *rstudy_param_text(const rstudy_t *r, int t, int i);

void rstudy_test(bool verbose);

#endif
