/* features_priv — the fitted transform's state, shared by features.c (fit, transform)
 * and features_io.c (saving it into a model artifact and reading it back). */
#ifndef HPS_FEATURES_PRIV_H
#define HPS_FEATURES_PRIV_H

#include "objectives/clean.h"
#include "objectives/features.h"

/* What a categorical column's missing cell becomes. */
enum {
    FEATURES_MISS_RAW = 0, /* its text, as any category (a version 1 artifact) */
    FEATURES_MISS_ZEROS,   /* nothing: all zeros, as an unseen category */
    FEATURES_MISS_OWN,     /* its own output column, after the column's categories */
    FEATURES_MISS_FILL,    /* the category cat_fill[j] */
};

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
    int *cat_first;          /* index in cats of each categorical column's first one */
    /* Cleaning (objectives/clean.h), fitted on the fit rows: */
    const clean_opts_t *clean; /* borrowed; NULL = defaults (and after unpacking) */
    bool cleaned;            /* the values below were fitted (false: version 1 artifact) */
    double *fill;            /* per numeric column: the value of a missing cell */
    double *lo, *hi;         /* per numeric column: winsorising bounds (-inf, inf: none) */
    int *cat_miss;           /* per categorical column: FEATURES_MISS_* */
    const char **cat_fill;   /* per categorical column: the FILL category; borrowed */
    int *ind;                /* per numeric then categorical column: the output column of
                                its missing indicator, -1 = none */
    int n_ind;               /* indicator columns: the last output columns */
    const char *const *markers; /* the training data's missing markers; borrowed */
    int n_markers;
    int n_cols;
    /* A pipeline read from an artifact (features_io.c) owns its strings: the column
     * names below and the categories; NULL for a fitted one, which borrows from ds. */
    char **owned;
    int n_owned;
    const char **text_names, **num_names, **cat_names; /* n_text, n_num, n_cat */
    const char **markers_view; /* the saved missing markers (markers points here) */
    int n_text;
    int32_t *term_ids;       /* per active term, ascending (col_map is built on bind) */
};

/* Column arrays for n_num numeric and n_cat categorical columns (features_fit,
 * features_unpack). */
void features_alloc_columns(features_t *f, int n_num, int n_cat);
/* Output columns once the numeric and categorical columns are known: categorical
 * offsets made absolute (cat_off relative to the block, whose width is cat_width), the
 * flagged indicators (ind[j] >= 0) numbered after, n_cols. */
void features_place(features_t *f, int cat_width);

#endif
