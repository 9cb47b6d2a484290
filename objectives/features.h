/* features — dataset columns into a feature matrix, fitted on training rows only.
 *
 *   text columns     TF-IDF over hashed word unigrams and bigrams: lowercase ASCII,
 *                    tokens are runs of letters, digits and non-ASCII bytes of two or
 *                    more bytes (scikit-learn's default token pattern), HTML tags
 *                    (`<br />`) and entities (`&amp;`) separate tokens; tf is 1 + log(tf)
 *                    when sublinear, idf = log((1 + n) / (1 + df)) + 1 (scikit-learn's
 *                    smooth_idf), each text column's block is L2-normalised per row.
 *   numeric columns  winsorised (optional) and missing cells imputed, then standardised
 *                    with the training rows' mean and std of the cleaned values (std 0
 *                    -> 1).
 *   string columns   one-hot over the categories seen in the training rows (an unseen
 *                    category is all zeros); a missing cell is its own category (when a
 *                    fit row misses the column), the most frequent or a constant
 *                    category. Columns in the exclude list (the split column) are never
 *                    features.
 *   indicators       with add_indicator, a 0/1 column per column a fit row misses.
 *
 * Leakage: document frequencies, means, stds, categories, clipping quantiles and
 * imputation values come from the fit rows alone; a hashed term that no fit row
 * contains gets no column at all.
 *
 * Cost and caching: the costly step is tokenising and hashing, which does not depend
 * on the fold, so its result (per-row term counts, `textcounts_t`) is cached once per
 * (data sha256, tokeniser options, text columns) in cache_dir and shared by every
 * fold, strategy and trial of a study. Fitting df/idf from the counts and producing
 * a fold's matrix is a linear pass over the non-zeros: milliseconds for reviews.csv. */
#ifndef HPS_FEATURES_H
#define HPS_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/dataset.h"
#include "objectives/model.h"

typedef struct {
    int hash_bits;     /* buckets per text column = 2^hash_bits; 10..24, default 18 */
    int ngram_max;     /* 1 = unigrams, 2 = unigrams and bigrams (default) */
    int min_df;        /* terms in fewer fit rows are dropped; default 1 */
    bool sublinear_tf; /* 1 + log(tf) instead of tf; default true */
} text_opts_t;

void text_opts_default(text_opts_t *o);

/* An owned feature matrix; `m` views the arrays below. */
typedef struct {
    fmatrix_t m;
    double *dense;   /* n_rows x n_cols, or NULL when CSR */
    int64_t *indptr;
    int32_t *indices;
    double *values;
} fmat_t;

void fmat_free(fmat_t *f);
/* Dense copy of a CSR matrix (a dense one is copied as is). Caller frees with fmat_free. */
void fmat_densify(const fmatrix_t *src, fmat_t *out);

/* Per-row hashed term counts of every text column: the fold-independent part of
 * TF-IDF. Plain record, read-only outside textcounts.c. Term ids are
 * (text column number << hash_bits) | bucket, ascending within a row. */
typedef struct textcounts_s {
    int n_rows;
    int n_text;        /* text columns */
    int *text_cols;    /* their dataset column indexes; owned */
    int hash_bits;
    int ngram_max;
    int64_t *indptr;   /* n_rows + 1; owned */
    uint32_t *ids;     /* owned */
    int32_t *counts;   /* occurrences of ids[i] in its row; owned */
    bool from_cache;   /* read from the cache file rather than built */
} textcounts_t;

/* Counts for ds under o: read from cache_dir when a valid cache file exists, else built
 * (and written there, atomically; a corrupt or truncated file is rebuilt; a cache that
 * cannot be written is logged and skipped). cache_dir NULL: no caching. A dataset
 * without text columns gives an empty table. Can't fail. Caller frees. */
textcounts_t *textcounts_get(const dataset_t *ds, const text_opts_t *o, const char *cache_dir);
void textcounts_destroy(textcounts_t **self_p);
/* Term id of one token or of a bigram "w1 w2" in text column number t (not the
 * dataset column index); -1 when term does not tokenise to one or two tokens. */
int64_t textcounts_term_id(const textcounts_t *tc, int t, const char *term);

struct clean_opts_s; /* objectives/clean.h */

/* A fitted transform. Borrows ds and tc, which must outlive it. */
typedef struct features_s features_t;

/* Fit on rows[0..n) of ds. clean: imputation and clipping (objectives/clean.h; NULL =
 * the defaults), borrowed for f's life. exclude: column names that are not features
 * (NULL-able). Can't fail. Caller frees. */
features_t *features_fit(const dataset_t *ds, const textcounts_t *tc, const text_opts_t *o,
                         const struct clean_opts_s *clean, const int *rows, int n,
                         const char *const *exclude, int n_exclude);
void features_destroy(features_t **self_p);
int features_n_cols(const features_t *f);
/* Whether some numeric column's missing cells stay NaN (impute none) in the output. */
bool features_leaves_missing(const features_t *f);
/* Document frequency in the fit rows of a term id (textcounts_term_id); 0 when no fit
 * row has it or it fell below min_df. For tests and diagnostics. */
int features_df(const features_t *f, int64_t term_id);

/* Transform rows[0..n) into out: CSR when the data has text columns, else dense.
 * Can't fail. */
void features_transform(const features_t *f, const int *rows, int n, fmat_t *out);

void features_test(bool verbose);

#endif
