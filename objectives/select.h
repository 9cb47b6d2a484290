/* select — supervised feature selection, fitted on a fold's training rows only: keep
 * the k columns whose chi-squared statistic against the class labels is largest
 * (scikit-learn's chi2 + SelectKBest). The statistic compares, per column, the sum of
 * its values within each class with what the class's share of the rows predicts.
 *
 * Why: a tree splits on one feature at a time, so on hashed TF-IDF text (tens of
 * thousands of sparse columns, most of them rare words) boosting spends its rounds and
 * its column samples on noise; the thousand most class-dependent terms make trees both
 * faster and as accurate as a linear model (docs/bench-models.md).
 *
 * chi2 is defined for non-negative features (counts, TF-IDF, one-hot); a column with a
 * negative value (a standardised numeric column) or a missing one (NaN, left by
 * impute none) is always kept. Ties go to the lower
 * column index, so the selection is deterministic. */
#ifndef HPS_SELECT_H
#define HPS_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "objectives/features.h"

typedef struct {
    int n_in;      /* columns of the matrix it was fitted on */
    int n_keep;    /* columns kept */
    int32_t *cols; /* the kept input columns, ascending; owned */
    int32_t *map;  /* input column -> output column, -1 when dropped; owned */
} select_t;

/* The k best columns of X (rows labelled y, class indexes 0..n_classes-1) by chi2.
 * k >= the column count keeps them all. Can't fail; caller frees with
 * select_destroy(). */
select_t *select_fit(const fmatrix_t *X, const double *y, int n_classes, int k);
/* X restricted to the kept columns (renumbered) into out, dense or CSR as X is; X must
 * have s->n_in columns. Caller frees with fmat_free(). */
void select_apply(const select_t *s, const fmatrix_t *X, fmat_t *out);
/* The selection a model artifact saved: n_keep ascending columns of n_in. NULL with err
 * when they are not. */
select_t *select_from_cols(int n_in, const int32_t *cols, int n_keep, char *err);
void select_destroy(select_t **self_p);

void select_test(bool verbose);

#endif
