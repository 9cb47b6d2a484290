/* importance — how much each parameter matters to a study's value, estimated in the
 * style of PED-ANOVA (Watanabe et al. 2023; described in Optuna 3.x's
 * PedAnovaImportanceEvaluator): per parameter, the Pearson divergence between the
 * density of the parameter over the top-quantile trials and its density over all
 * trials. A parameter that does not matter has the same distribution among the good
 * trials as among all of them (divergence ~ 0); one that matters concentrates the good
 * trials in part of its range. Divergences are normalised to sum to 1.
 *
 * Densities: numeric parameters on [0, 1] after the space's transform (log10 for a
 * log parameter), a Gaussian kernel estimate with Scott's bandwidth per set, evaluated
 * on a fixed grid; categorical parameters, counts per choice with add-one smoothing.
 * Method, choices and limits: docs/report.md. */
#ifndef HPS_IMPORTANCE_H
#define HPS_IMPORTANCE_H

#include <stdbool.h>

#include "core/space.h"
#include "core/trial.h"

/* The fewest trials an estimate is made from. */
#define IMPORTANCE_MIN_TRIALS 10
/* The share of trials that counts as "top" (at least IMPORTANCE_TOP_MIN of them). */
#define IMPORTANCE_TOP_QUANTILE 0.1
#define IMPORTANCE_TOP_MIN 5

/* Importance of each parameter of space from n COMPLETE trials: x holds n rows of
 * space->n internal values (row-major; NaN = the parameter was absent), y their
 * values, dir the study's direction. Rows with a non-finite y are skipped. out gets
 * space->n shares summing to 1 (all 0 when no parameter shows any divergence). Returns
 * the number of trials used, or -1 when fewer than IMPORTANCE_MIN_TRIALS (out all 0).
 * This function can't fail otherwise. */
int importance_ped(const space_t *space, const double *x, const double *y, int n, direction_t dir,
                   double *out);

void importance_test(bool verbose);

#endif
