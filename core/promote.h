/* promote — the promotion tiers of the evaluation strategies, as pure functions.
 *
 *   quick     -> limited          (experiments)
 *   balanced  -> standard         (production)
 *   rigorous  -> high-confidence  (critical), but only when the folds agree
 *                (cv std < max_fold_std) and the independent test score falls within
 *                cv_mean ± 2·cv_std; otherwise standard.
 *
 * Stages: staging accepts limited or better, production standard or better. */
#ifndef HPS_PROMOTE_H
#define HPS_PROMOTE_H

#include <stdbool.h>

#define PROMOTE_MAX_FOLD_STD 0.02 /* default bound on the std of the fold scores */

/* The tier a finished study earns. strategy is "quick", "balanced" or "rigorous";
 * the numbers matter only for rigorous (NaN test_score: not yet refit -> standard).
 * Unknown strategies get "limited". Returns a static string; can't fail. */
const char *promote_tier(const char *strategy, double cv_mean, double cv_std,
                         double test_score, double max_fold_std);

/* Rank of a tier: limited 1, standard 2, high-confidence 3; 0 when unknown. */
int promote_tier_rank(const char *tier);

/* Whether a study of this tier may go to stage ("staging" or "production").
 * 0 allowed; -1 refused with the reason in why (HPS_ERR_LEN). */
int promote_check(const char *tier, const char *stage, char *why);

void promote_test(bool verbose);

#endif
