/* features_priv — the fitted transform's state, shared by features.c (fit, transform)
 * and features_io.c (saving it into a model artifact and reading it back). */
#ifndef HPS_FEATURES_PRIV_H
#define HPS_FEATURES_PRIV_H

#include "objectives/features.h"

struct features_s {
    const dataset_t *ds;     /* borrowed */
    const textcounts_t *tc;  /* borrowed */
    text_opts_t o;
    int32_t *col_map;        /* term id -> output column, -1 when inactive */
    size_t n_ids;            /* n_text << hash_bits */
    double *idf;             /* per active term */
    int32_t *df;             /* per active term */
    int n_terms;             /* active terms = first output columns */
    int n_num;
    int *num_cols;           /* dataset column indexes */
    double *mean, *std;
    int n_cat;
    int *cat_cols;           /* dataset column indexes */
    int *cat_off;            /* first output column of each categorical column */
    int *cat_n;              /* categories of each */
    const char **cats;       /* sorted categories, concatenated; borrowed strings */
    int n_cols;
    /* A pipeline read from an artifact (features_io.c) owns its strings: the column
     * names below and the categories; NULL for a fitted one, which borrows from ds. */
    char **owned;
    int n_owned;
    const char **text_names, **num_names, **cat_names; /* n_text, n_num, n_cat */
    int n_text;
    int32_t *term_ids;       /* per active term, ascending (col_map is built on bind) */
};

#endif
