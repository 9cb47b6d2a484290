/* split — seeded row splits: stratified holdout and stratified k-fold.
 *
 * Both work on a list of row indexes (usually "the training part" of a dataset) and
 * are pure functions of (rows, labels, seed): every trial of a study that passes the
 * study's split seed sees the same splits, whichever worker runs it.
 *
 * Stratification: rows are grouped by class, shuffled within each class, and the
 * groups are laid end to end; a k-fold deals that sequence round-robin and a holdout
 * takes every row where floor(j*f + u) steps (u a seeded offset). Either way each
 * class's share of a part is within ±1 of its exact proportion. Without labels
 * (regression) the same runs over one group: a plain shuffled split. */
#ifndef HPS_SPLIT_H
#define HPS_SPLIT_H

#include <stdbool.h>
#include <stdint.h>

/* An owned list of row indexes. */
typedef struct {
    int n;
    int *idx; /* owned; sorted ascending */
} rowset_t;

void rowset_free(rowset_t *s);

/* Split rows[0..n) into a (1 - frac) part and a frac part (the holdout), stratified
 * by y (class indexes 0..n_classes-1) when n_classes > 0. 0 < frac < 1. Each output
 * is sorted; the two are disjoint and cover rows. Can't fail. */
void split_holdout(const int *rows, int n, const double *y, int n_classes, double frac,
                   uint64_t seed, rowset_t *keep, rowset_t *holdout);

/* Assign each of rows[0..n) to one of k folds: fold_of[i] in [0, k). Stratified by y
 * when n_classes > 0. Fold sizes differ by at most one. 2 <= k <= n. Can't fail. */
void split_kfold(const int *rows, int n, const double *y, int n_classes, int k,
                 uint64_t seed, int *fold_of);

/* Rows of fold f (holdout) and of all other folds (keep), from a fold_of array. */
void split_fold_rows(const int *rows, int n, const int *fold_of, int f, rowset_t *keep,
                     rowset_t *holdout);

void split_test(bool verbose);

#endif
