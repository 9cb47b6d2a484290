/* features — fitted TF-IDF, standardisation and one-hot encoding (see features.h).
 *
 * Output column order: the active text terms (in term id order, so CSR rows stay
 * sorted), then the numeric columns, then each categorical column's categories. */
#include "objectives/features.h"
#include "objectives/features_priv.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void text_opts_default(text_opts_t *o)
{
    o->hash_bits = 18;
    o->ngram_max = 2;
    o->min_df = 1;
    o->sublinear_tf = true;
}

void fmat_free(fmat_t *f)
{
    free(f->dense);
    free(f->indptr);
    free(f->indices);
    free(f->values);
    memset(f, 0, sizeof *f);
}

void fmat_densify(const fmatrix_t *src, fmat_t *out)
{
    memset(out, 0, sizeof *out);
    size_t cells = (size_t)src->n_rows * (size_t)src->n_cols;
    out->dense = xcalloc(cells ? cells : 1, sizeof(double));
    if (src->dense) {
        memcpy(out->dense, src->dense, cells * sizeof(double));
    } else {
        for (int r = 0; r < src->n_rows; r++)
            for (int64_t k = src->indptr[r]; k < src->indptr[r + 1]; k++)
                out->dense[(size_t)r * src->n_cols + src->indices[k]] = src->values[k];
    }
    out->m = (fmatrix_t){.n_rows = src->n_rows, .n_cols = src->n_cols, .dense = out->dense};
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool s_excluded(const char *name, const char *const *exclude, int n)
{
    for (int i = 0; i < n; i++)
        if (exclude[i] && strcmp(exclude[i], name) == 0)
            return true;
    return false;
}

/* Document frequencies over the fit rows -> active terms and their idf. */
static void s_fit_text(features_t *f, const int *rows, int n)
{
    const textcounts_t *tc = f->tc;
    f->n_ids = (size_t)tc->n_text << tc->hash_bits;
    f->col_map = xmalloc((f->n_ids ? f->n_ids : 1) * sizeof *f->col_map);
    int32_t *df = xcalloc(f->n_ids ? f->n_ids : 1, sizeof *df);
    for (int i = 0; i < n; i++)
        for (int64_t k = tc->indptr[rows[i]]; k < tc->indptr[rows[i] + 1]; k++)
            df[tc->ids[k]]++; /* each id occurs once per row */
    int min_df = f->o.min_df > 1 ? f->o.min_df : 1;
    f->n_terms = 0;
    for (size_t id = 0; id < f->n_ids; id++)
        f->col_map[id] = df[id] >= min_df ? f->n_terms++ : -1;
    f->idf = xmalloc((size_t)(f->n_terms ? f->n_terms : 1) * sizeof *f->idf);
    f->df = xmalloc((size_t)(f->n_terms ? f->n_terms : 1) * sizeof *f->df);
    for (size_t id = 0; id < f->n_ids; id++) {
        int32_t k = f->col_map[id];
        if (k < 0)
            continue;
        f->df[k] = df[id];
        f->idf[k] = log((1.0 + n) / (1.0 + df[id])) + 1.0;
    }
    free(df);
}

/* A numeric cell as the model sees it before standardisation: a missing one filled (NaN
 * under impute none: it stays missing), the others clipped to the winsorising bounds. */
static double s_cleaned(const features_t *f, int j, double v)
{
    if (isnan(v))
        return f->fill[j];
    return v < f->lo[j] ? f->lo[j] : v > f->hi[j] ? f->hi[j] : v;
}

/* Clipping bounds and fill value of numeric column j from its fit rows' observed values;
 * *seen_missing when a fit row misses it. */
static void s_fit_cleaning(features_t *f, int j, const int *rows, int n, bool *seen_missing)
{
    const dataset_col_t *col = &f->ds->cols[f->num_cols[j]];
    clean_impute_t rule = clean_rule(f->clean, col->name, true);
    bool clip = clean_clips(f->clean, col->name);
    double *obs = xmalloc((size_t)(n + 1) * sizeof *obs);
    int m = 0;
    for (int i = 0; i < n; i++) {
        double v = col->num[rows[i]];
        if (isnan(v))
            *seen_missing = true;
        else
            obs[m++] = v;
    }
    if (clip || rule.strategy == CLEAN_MEDIAN || rule.strategy == CLEAN_MOST_FREQUENT)
        qsort(obs, (size_t)m, sizeof *obs, cmp_double);
    f->lo[j] = -INFINITY;
    f->hi[j] = INFINITY;
    if (clip) {
        f->lo[j] = clean_quantile(obs, m, f->clean->q_low);
        f->hi[j] = clean_quantile(obs, m, f->clean->q_high);
        for (int i = 0; i < m; i++) /* still sorted */
            obs[i] = s_cleaned(f, j, obs[i]);
    }
    f->fill[j] = clean_fill(&rule, obs, m);
    f->ind[j] = rule.add_indicator && *seen_missing ? 0 : -1; /* columns given later */
    free(obs);
}

static void s_fit_numeric(features_t *f, int c, const int *rows, int n)
{
    int j = f->n_num++;
    f->num_cols[j] = c;
    bool seen_missing = false;
    s_fit_cleaning(f, j, rows, n, &seen_missing);
    const double *v = f->ds->cols[c].num;
    /* Sums of x / a, a = the largest |x|: a plain sum overflows past ~1e308 / n, and
     * the squares past ~1e154, where every value still is a finite number. */
    double a = 0, mean = 0, var = 0;
    int m = 0; /* cells with a value (all, unless impute none leaves some NaN) */
    for (int i = 0; i < n; i++) {
        double x = fabs(s_cleaned(f, j, v[rows[i]]));
        a = x > a ? x : a; /* NaN compares false: skipped */
    }
    for (int i = 0; a > 0 && i < n; i++) {
        double x = s_cleaned(f, j, v[rows[i]]);
        if (!isnan(x)) {
            mean += x / a;
            m++;
        }
    }
    mean = m ? mean / m : 0;
    for (int i = 0; m && i < n; i++) {
        double d = s_cleaned(f, j, v[rows[i]]) / a - mean;
        var += isnan(d) ? 0 : d * d;
    }
    double std = m ? fmin(a * sqrt(var / m), DBL_MAX) : 0; /* rounding can pass DBL_MAX */
    mean *= a;
    f->mean[j] = mean;
    f->std[j] = std > 0 ? std : 1.0; /* a constant column stays at zero */
}

/* What categorical column j's missing cells become under its rule; vals are its
 * observed fit values, sorted. */
static void s_fit_cat_missing(features_t *f, int j, const char **vals, int m, int n_miss)
{
    const dataset_col_t *col = &f->ds->cols[f->cat_cols[j]];
    clean_impute_t rule = clean_rule(f->clean, col->name, false);
    f->cat_miss[j] = n_miss > 0 ? FEATURES_MISS_OWN : FEATURES_MISS_ZEROS;
    f->cat_fill[j] = NULL;
    if (rule.strategy == CLEAN_CONSTANT) {
        f->cat_miss[j] = FEATURES_MISS_FILL;
        f->cat_fill[j] = rule.value;
    } else if (rule.strategy == CLEAN_MOST_FREQUENT) {
        int best_n = 0;
        for (int i = 0, k; i < m; i = k) {
            for (k = i; k < m && strcmp(vals[k], vals[i]) == 0; k++)
                ;
            if (k - i > best_n) { /* strictly more: the first in byte order of ties */
                best_n = k - i;
                f->cat_fill[j] = vals[i];
            }
        }
        f->cat_miss[j] = m > 0 ? FEATURES_MISS_FILL : FEATURES_MISS_ZEROS;
    }
    /* indicators of categorical columns wait after the numeric ones' room (features_fit) */
    f->ind[f->ds->n_cols + j] = rule.add_indicator && n_miss > 0 ? 0 : -1;
}

/* Categories of column c seen in the fit rows, appended to f->cats; *width grows by the
 * column's output columns. */
static void s_fit_categorical(features_t *f, int c, const int *rows, int n, int *n_cats,
                              int *width)
{
    const dataset_col_t *col = &f->ds->cols[c];
    const char **vals = xmalloc((size_t)(n ? n : 1) * sizeof *vals);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!col->missing || !col->missing[rows[i]])
            vals[m++] = col->str[rows[i]];
    int j = f->n_cat++;
    f->cat_cols[j] = c;
    qsort(vals, (size_t)m, sizeof *vals, s_cmp_str);
    s_fit_cat_missing(f, j, vals, m, n - m);
    int k = 0;
    for (int i = 0; i < m; i++)
        if (k == 0 || strcmp(vals[i], vals[k - 1]) != 0)
            vals[k++] = vals[i];
    f->cats = xrealloc(f->cats, (size_t)(*n_cats + k + 1) * sizeof *f->cats);
    memcpy(f->cats + *n_cats, vals, (size_t)k * sizeof *vals);
    f->cat_first[j] = *n_cats;
    f->cat_off[j] = *width; /* made absolute once the numeric count is known */
    f->cat_n[j] = k;
    *n_cats += k;
    *width += k + (f->cat_miss[j] == FEATURES_MISS_OWN);
    free(vals);
}

void features_alloc_columns(features_t *f, int n_num, int n_cat)
{
    size_t nn = (size_t)n_num + 1, nc = (size_t)n_cat + 1;
    f->num_cols = xmalloc(nn * sizeof(int));
    f->mean = xmalloc(nn * sizeof(double));
    f->std = xmalloc(nn * sizeof(double));
    f->fill = xmalloc(nn * sizeof(double));
    f->lo = xmalloc(nn * sizeof(double));
    f->hi = xmalloc(nn * sizeof(double));
    f->cat_cols = xmalloc(nc * sizeof(int));
    f->cat_off = xmalloc(nc * sizeof(int));
    f->cat_n = xmalloc(nc * sizeof(int));
    f->cat_first = xmalloc(nc * sizeof(int));
    f->cat_miss = xmalloc(nc * sizeof(int));
    f->cat_fill = xcalloc(nc, sizeof(char *));
    f->ind = xmalloc((nn + nc) * sizeof(int));
}

void features_place(features_t *f, int cat_width)
{
    for (int j = 0; j < f->n_cat; j++)
        f->cat_off[j] += f->n_terms + f->n_num;
    int next = f->n_terms + f->n_num + cat_width;
    f->n_ind = 0;
    for (int j = 0; j < f->n_num + f->n_cat; j++)
        if (f->ind[j] >= 0) {
            f->ind[j] = next++;
            f->n_ind++;
        }
    f->n_cols = next;
}

features_t *features_fit(const dataset_t *ds, const textcounts_t *tc, const text_opts_t *o,
                         const clean_opts_t *clean, const int *rows, int n,
                         const char *const *exclude, int n_exclude)
{
    assert(ds && tc && o && rows && tc->n_rows == ds->n_rows);
    features_t *f = xcalloc(1, sizeof *f);
    f->ds = ds;
    f->tc = tc;
    f->o = *o;
    f->clean = clean;
    f->cleaned = true;
    f->n_markers = clean ? clean->n_missing : 0;
    f->markers = clean && clean->missing ? (const char *const *)clean->missing
                                         : dataset_missing_default(&f->n_markers);
    s_fit_text(f, rows, n);
    features_alloc_columns(f, ds->n_cols, ds->n_cols);
    int n_cats = 0, width = 0;
    for (int c = 0; c < ds->n_cols; c++) {
        if (s_excluded(ds->cols[c].name, exclude, n_exclude))
            continue;
        if (ds->cols[c].kind == COL_NUMERIC)
            s_fit_numeric(f, c, rows, n);
        else if (ds->cols[c].kind == COL_STRING)
            s_fit_categorical(f, c, rows, n, &n_cats, &width);
    }
    /* the categorical columns' indicators were put after the numeric count at fit */
    memmove(f->ind + f->n_num, f->ind + ds->n_cols, (size_t)f->n_cat * sizeof *f->ind);
    features_place(f, width);
    return f;
}

void features_destroy(features_t **self_p)
{
    assert(self_p);
    features_t *f = *self_p;
    if (!f)
        return;
    free(f->col_map);
    free(f->idf);
    free(f->df);
    free(f->num_cols);
    free(f->mean);
    free(f->std);
    free(f->cat_cols);
    free(f->cat_off);
    free(f->cat_n);
    free(f->cat_first);
    free(f->cat_miss);
    free(f->cat_fill);
    free(f->fill);
    free(f->lo);
    free(f->hi);
    free(f->ind);
    free(f->cats);
    for (int i = 0; i < f->n_owned; i++)
        free(f->owned[i]);
    free(f->owned);
    free(f->term_ids);
    free(f->text_names);
    free(f->num_names);
    free(f->cat_names);
    free(f->markers_view);
    free(f);
    *self_p = NULL;
}

int features_n_cols(const features_t *f) { return f->n_cols; }

bool features_leaves_missing(const features_t *f)
{
    for (int j = 0; f->cleaned && j < f->n_num; j++)
        if (isnan(f->fill[j]))
            return true;
    return false;
}

int features_df(const features_t *f, int64_t term_id)
{
    if (term_id < 0 || (size_t)term_id >= f->n_ids || f->col_map[term_id] < 0)
        return 0;
    return f->df[f->col_map[term_id]];
}

/* Output column of row r's category in categorical column j; -1 when unseen. */
static int s_category(const features_t *f, int j, int r)
{
    const dataset_col_t *col = &f->ds->cols[f->cat_cols[j]];
    const char *v = col->str[r];
    if (col->missing && col->missing[r] && f->cat_miss[j] != FEATURES_MISS_RAW) {
        if (f->cat_miss[j] == FEATURES_MISS_OWN)
            return f->cat_off[j] + f->cat_n[j];
        if (f->cat_miss[j] != FEATURES_MISS_FILL)
            return -1;
        v = f->cat_fill[j];
    }
    const char **base = f->cats + f->cat_first[j];
    const char **hit = bsearch(&v, base, (size_t)f->cat_n[j], sizeof *base, s_cmp_str);
    return hit ? f->cat_off[j] + (int)(hit - base) : -1;
}

/* Whether row r misses numeric (j < n_num) or categorical column j - n_num. */
static bool s_missing(const features_t *f, int j, int r)
{
    if (j < f->n_num)
        return isnan(f->ds->cols[f->num_cols[j]].num[r]);
    const dataset_col_t *col = &f->ds->cols[f->cat_cols[j - f->n_num]];
    return col->missing && col->missing[r];
}

/* Standardised numeric column j of row r. */
static double s_numeric(const features_t *f, int j, int r)
{
    double x = s_cleaned(f, j, f->ds->cols[f->num_cols[j]].num[r]), d = x - f->mean[j];
    if (isinf(d) && isfinite(x)) /* x and the mean near -+DBL_MAX: halves cannot overflow */
        return (0.5 * x - 0.5 * f->mean[j]) / f->std[j] * 2;
    return d / f->std[j];
}

/* Append row r's text entries at *nnz (sorted, L2-normalised per text column). */
static void s_text_row(const features_t *f, int r, int32_t *ind, double *val, int64_t *nnz)
{
    const textcounts_t *tc = f->tc;
    int64_t block = *nnz; /* start of the current text column's entries */
    uint32_t block_col = 0;
    for (int64_t k = tc->indptr[r]; k <= tc->indptr[r + 1]; k++) {
        bool end = k == tc->indptr[r + 1];
        uint32_t col = end ? UINT32_MAX : tc->ids[k] >> tc->hash_bits;
        if (end || col != block_col) { /* close the block: L2 normalisation */
            double ss = 0;
            for (int64_t i = block; i < *nnz; i++)
                ss += val[i] * val[i];
            double inv = ss > 0 ? 1.0 / sqrt(ss) : 0;
            for (int64_t i = block; i < *nnz; i++)
                val[i] *= inv;
            block = *nnz;
            block_col = col;
        }
        if (end)
            break;
        int32_t out = f->col_map[tc->ids[k]];
        if (out < 0)
            continue;
        double tf = tc->counts[k];
        ind[*nnz] = out;
        val[(*nnz)++] = (f->o.sublinear_tf ? 1.0 + log(tf) : tf) * f->idf[out];
    }
}

static void s_transform_csr(const features_t *f, const int *rows, int n, fmat_t *out)
{
    const textcounts_t *tc = f->tc;
    int64_t cap = 0;
    for (int i = 0; i < n; i++)
        cap += tc->indptr[rows[i] + 1] - tc->indptr[rows[i]] + f->n_num + f->n_cat + f->n_ind;
    out->indptr = xmalloc((size_t)(n + 1) * sizeof *out->indptr);
    out->indices = xmalloc((size_t)(cap ? cap : 1) * sizeof *out->indices);
    out->values = xmalloc((size_t)(cap ? cap : 1) * sizeof *out->values);
    int64_t nnz = 0;
    out->indptr[0] = 0;
    for (int i = 0; i < n; i++) {
        int r = rows[i];
        s_text_row(f, r, out->indices, out->values, &nnz);
        for (int j = 0; j < f->n_num; j++) {
            out->indices[nnz] = f->n_terms + j;
            out->values[nnz++] = s_numeric(f, j, r);
        }
        for (int j = 0; j < f->n_cat; j++) {
            int c = s_category(f, j, r);
            if (c >= 0) {
                out->indices[nnz] = c;
                out->values[nnz++] = 1.0;
            }
        }
        for (int j = 0; f->n_ind && j < f->n_num + f->n_cat; j++) /* ascending columns */
            if (f->ind[j] >= 0 && s_missing(f, j, r)) {
                out->indices[nnz] = f->ind[j];
                out->values[nnz++] = 1.0;
            }
        out->indptr[i + 1] = nnz;
    }
    assert(nnz <= cap);
    out->m = (fmatrix_t){.n_rows = n, .n_cols = f->n_cols, .indptr = out->indptr,
                         .indices = out->indices, .values = out->values};
}

static void s_transform_dense(const features_t *f, const int *rows, int n, fmat_t *out)
{
    size_t w = (size_t)f->n_cols;
    out->dense = xcalloc((size_t)n * w + 1, sizeof(double));
    for (int i = 0; i < n; i++) {
        double *row = out->dense + (size_t)i * w;
        for (int j = 0; j < f->n_num; j++)
            row[j] = s_numeric(f, j, rows[i]);
        for (int j = 0; j < f->n_cat; j++) {
            int c = s_category(f, j, rows[i]);
            if (c >= 0)
                row[c] = 1.0;
        }
        for (int j = 0; f->n_ind && j < f->n_num + f->n_cat; j++)
            if (f->ind[j] >= 0 && s_missing(f, j, rows[i]))
                row[f->ind[j]] = 1.0;
    }
    out->m = (fmatrix_t){.n_rows = n, .n_cols = f->n_cols, .dense = out->dense};
}

void features_transform(const features_t *f, const int *rows, int n, fmat_t *out)
{
    assert(f && out && (rows || n == 0));
    memset(out, 0, sizeof *out);
    if (f->tc->n_text > 0)
        s_transform_csr(f, rows, n, out);
    else
        s_transform_dense(f, rows, n, out);
}

/* Value of output column col in row i of a CSR matrix; 0 when absent. */
static double s_at(const fmat_t *m, int i, int col)
{
    for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++)
        if (m->indices[k] == col)
            return m->values[k];
    return 0;
}

static dataset_t *s_test_data(void)
{
    const char *csv = "text,x,color,label\n"
                      "good good food,1,red,1\n"
                      "bad food,2,blue,0\n"
                      "nice<br />taste &amp; good,3,red,1\n"
                      "zebra zebra stripes,1000,green,0\n";
    const char *text_cols[] = {"text"};
    dataset_opts_t o = {.text = text_cols, .n_text = 1};
    char err[HPS_ERR_LEN];
    dataset_t *ds = dataset_parse(csv, strlen(csv), "f.csv", &o, err);
    assert(ds);
    return ds;
}

/* Fit on rows 0-2; row 3 is held out and its terms, value and category must not
 * influence anything. */
static void s_test_leakage(void)
{
    dataset_t *ds = s_test_data();
    text_opts_t o;
    text_opts_default(&o);
    textcounts_t *tc = textcounts_get(ds, &o, NULL);
    int fit[] = {0, 1, 2}, held[] = {3};
    features_t *f = features_fit(ds, tc, &o, NULL, fit, 3, NULL, 0);
    assert(features_df(f, textcounts_term_id(tc, 0, "zebra")) == 0);
    assert(features_df(f, textcounts_term_id(tc, 0, "zebra stripes")) == 0);
    assert(features_df(f, textcounts_term_id(tc, 0, "good")) == 2);
    assert(features_df(f, textcounts_term_id(tc, 0, "food")) == 2);
    assert(features_df(f, textcounts_term_id(tc, 0, "br")) == 0);   /* tags dropped */
    assert(features_df(f, textcounts_term_id(tc, 0, "amp")) == 0);  /* entities too */
    assert(features_df(f, textcounts_term_id(tc, 0, "nice taste")) == 1);
    /* 3 rows: x mean 2, std sqrt(2/3); categories blue, red; terms from rows 0-2 only. */
    int n_terms = features_n_cols(f) - 1 - 2;
    fmat_t m;
    features_transform(f, held, 1, &m);
    assert(m.m.n_rows == 1 && m.m.n_cols == features_n_cols(f));
    /* The held-out row: no text entries at all (every term unseen), x standardised
     * with the fit rows' statistics, green unseen -> no one-hot entry. */
    assert(m.indptr[1] == 1 && m.indices[0] == n_terms);
    assert(fabs(m.values[0] - (1000 - 2) / sqrt(2.0 / 3)) < 1e-9);
    fmat_free(&m);
    /* TF-IDF of row 0 by hand: good tf 2, food tf 1, two bigrams tf 1. */
    features_transform(f, fit, 3, &m);
    double idf1 = log(4.0 / 2) + 1, idf2 = log(4.0 / 3) + 1; /* df 1 and df 2 */
    double g = (1 + log(2.0)) * idf2, fd = idf2, bi = idf1;
    double norm = sqrt(g * g + fd * fd + 2 * bi * bi);
    int64_t good = textcounts_term_id(tc, 0, "good");
    int col_good = f->col_map[good], col_food = f->col_map[textcounts_term_id(tc, 0, "food")];
    assert(fabs(s_at(&m, 0, col_good) - g / norm) < 1e-12);
    assert(fabs(s_at(&m, 0, col_food) - fd / norm) < 1e-12);
    assert(s_at(&m, 0, n_terms + 1) == 0 && s_at(&m, 0, n_terms + 2) == 1.0); /* red */
    fmat_t d;
    fmat_densify(&m.m, &d);
    assert(d.m.dense && d.dense[col_good] == s_at(&m, 0, col_good));
    fmat_free(&d);
    fmat_free(&m);
    features_destroy(&f);
    textcounts_destroy(&tc);
    dataset_destroy(&ds);
}

static void s_test_cache(void)
{
    dataset_t *ds = s_test_data();
    text_opts_t o;
    text_opts_default(&o);
    char dir[] = "/tmp/hps-features-XXXXXX";
    assert(mkdtemp(dir));
    textcounts_t *a = textcounts_get(ds, &o, dir);
    textcounts_t *b = textcounts_get(ds, &o, dir);
    assert(!a->from_cache && b->from_cache);
    int64_t nnz = a->indptr[ds->n_rows];
    assert(b->indptr[ds->n_rows] == nnz && !memcmp(a->ids, b->ids, (size_t)nnz * 4));
    assert(!memcmp(a->counts, b->counts, (size_t)nnz * 4));
    textcounts_destroy(&b);
    /* Corrupt the file: it is ignored and rebuilt. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "for f in %s/*.bin; do printf 'X' | dd of=$f bs=1 seek=60 "
             "conv=notrunc 2>/dev/null; done", dir);
    assert(system(cmd) == 0);
    b = textcounts_get(ds, &o, dir);
    assert(!b->from_cache && !memcmp(a->ids, b->ids, (size_t)nnz * 4));
    textcounts_destroy(&b);
    b = textcounts_get(ds, &o, dir);
    assert(b->from_cache);
    textcounts_destroy(&b);
    textcounts_destroy(&a);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert(system(cmd) == 0);
    dataset_destroy(&ds);
}

/* Cleaning fitted on rows 0-3 only: rows 4-6 (an outlier, missing cells) must not move
 * the fill values, the clipping bounds or the most frequent category. */
static void s_test_clean_leakage(void)
{
    const char *csv = "x,c,label\n1,a,0\n2,a,1\n3,b,0\nNA,NA,1\n100,b,0\nNA,b,1\n,NA,0\n";
    char err[HPS_ERR_LEN];
    dataset_t *ds = dataset_parse(csv, strlen(csv), "m.csv", &(dataset_opts_t){0}, err);
    assert(ds && ds->cols[0].kind == COL_NUMERIC && ds->cols[1].kind == COL_STRING);
    text_opts_t o;
    text_opts_default(&o);
    textcounts_t *tc = textcounts_get(ds, &o, NULL);
    clean_column_t cols[] = {
        {.name = (char *)"x", .strategy_set = true, .indicator_set = true,
         .imp = {.strategy = CLEAN_MEAN, .add_indicator = true}},
        {.name = (char *)"c", .strategy_set = true, .indicator_set = true,
         .imp = {.strategy = CLEAN_MOST_FREQUENT, .add_indicator = true}}};
    clean_opts_t co = {.cols = cols, .n_cols = 2, .clip = true, .q_low = 0, .q_high = 0.5};
    int fit[] = {0, 1, 2, 3}, held[] = {4, 5, 6};
    features_t *f = features_fit(ds, tc, &o, &co, fit, 4, NULL, 0);
    /* Fit rows observe x = 1, 2, 3: median bound 2, clipped 1, 2, 2, mean 5/3 (all rows
     * would give 2.5 and 2); c = a, a, b: most frequent a (all rows: b). */
    assert(f->lo[0] == 1 && f->hi[0] == 2 && fabs(f->fill[0] - 5.0 / 3) < 1e-15);
    assert(f->cat_miss[0] == FEATURES_MISS_FILL && !strcmp(f->cat_fill[0], "a"));
    /* x, c = a, b, then the indicators of x and c (both missed by fit row 3). */
    assert(f->n_cols == 5 && f->n_ind == 2 && f->ind[0] == 3 && f->ind[1] == 4);
    fmat_t m;
    features_transform(f, held, 3, &m);
    const double *r = m.dense;
    assert(fabs(r[0] * f->std[0] + f->mean[0] - 2) < 1e-12);          /* 100 clipped to 2 */
    assert(r[2] == 1 && r[1] == 0 && r[3] == 0 && r[4] == 0);          /* b, present */
    assert(fabs(r[5] * f->std[0] + f->mean[0] - 5.0 / 3) < 1e-12);    /* filled */
    assert(r[8] == 1 && r[9] == 0);                                    /* x missed */
    assert(r[11] == 1 && r[13] == 1 && r[14] == 1);                    /* c -> a */
    fmat_free(&m);
    features_destroy(&f);
    /* The defaults: mean, and a missing category of its own (no indicators). */
    f = features_fit(ds, tc, &o, NULL, fit, 4, NULL, 0);
    assert(f->fill[0] == 2 && isinf(f->hi[0]) && f->cat_miss[0] == FEATURES_MISS_OWN);
    assert(f->n_cols == 4 && f->n_ind == 0);
    features_transform(f, held + 2, 1, &m);
    assert(m.dense[3] == 1 && m.dense[1] == 0 && m.dense[2] == 0);
    fmat_free(&m);
    features_destroy(&f);
    /* Fit rows that miss nothing: no own column, a missing cell later is all zeros. */
    f = features_fit(ds, tc, &o, NULL, fit, 3, NULL, 0);
    assert(f->n_cols == 3 && f->cat_miss[0] == FEATURES_MISS_ZEROS);
    features_destroy(&f);
    /* impute none: x's missing cells stay NaN; mean and std from the observed 1, 2, 3
     * (fit row 3 is missing: counting it would give a mean of 1.5). */
    clean_opts_t none = {.all = {.strategy = CLEAN_NONE}, .all_set = true};
    f = features_fit(ds, tc, &o, &none, fit, 4, NULL, 0);
    assert(isnan(f->fill[0]) && f->mean[0] == 2 && f->cat_miss[0] == FEATURES_MISS_OWN);
    assert(fabs(f->std[0] - sqrt(2.0 / 3)) < 1e-15 && features_leaves_missing(f));
    features_transform(f, held, 3, &m);
    assert(m.dense[0] == (100 - 2) / f->std[0] && isnan(m.dense[4]) && isnan(m.dense[8]));
    fmat_free(&m);
    features_destroy(&f);
    textcounts_destroy(&tc);
    dataset_destroy(&ds);
}

/* Fit the numeric columns of csv (label last) on its first n_fit rows, compare each
 * column's mean and std (relative 1e-14) and the first n_all rows' z-scores, row-major
 * (absolute 1e-12, all finite). */
static void s_check_numeric(const char *csv, int n_cols, int n_fit, int n_all,
                            const double *mean, const double *std, const double *z)
{
    char err[HPS_ERR_LEN];
    dataset_t *ds = dataset_parse(csv, strlen(csv), "n.csv", &(dataset_opts_t){0}, err);
    assert(ds);
    text_opts_t o;
    text_opts_default(&o);
    textcounts_t *tc = textcounts_get(ds, &o, NULL);
    int rows[8];
    for (int i = 0; i < n_all; i++)
        rows[i] = i;
    features_t *f = features_fit(ds, tc, &o, NULL, rows, n_fit, NULL, 0);
    for (int j = 0; j < n_cols; j++)
        assert(fabs(f->mean[j] / mean[j] - 1) < 1e-14 && fabs(f->std[j] / std[j] - 1) < 1e-14);
    fmat_t m;
    features_transform(f, rows, n_all, &m);
    for (int k = 0; k < n_all * n_cols; k++)
        assert(isfinite(m.dense[k]) && fabs(m.dense[k] - z[k]) < 1e-12);
    fmat_free(&m);
    features_destroy(&f);
    textcounts_destroy(&tc);
    dataset_destroy(&ds);
}

/* Values far from 1: 1e200 and 3e200 (squares overflow: a plain variance is inf),
 * 1.5e308 and 1.7e308 (their sum overflows: a plain mean is inf), and opposite signs
 * near DBL_MAX (x - mean overflows though the z-score is about -1.4). */
static void s_test_huge(void)
{
    s_check_numeric("x,y,label\n1e200,1.5e308,0\n3e200,1.7e308,1\n", 2, 2, 2,
                    (double[]){2e200, 1.6e308}, (double[]){1e200, 1e307},
                    (double[]){-1, -1, 1, 1});
    double mean = 1.7e308 / 3, std = mean * sqrt(8.0);
    s_check_numeric("x,label\n-1.7e308,0\n1.7e308,1\n1.7e308,0\n-1.79e308,1\n", 1, 3, 4,
                    &mean, &std,
                    (double[]){-sqrt(2.0), 1 / sqrt(2.0), 1 / sqrt(2.0),
                               (-0.895e308 - mean / 2) / std * 2});
}

void features_test(bool verbose)
{
    if (verbose)
        printf(" * features:\n");
    s_test_leakage();
    s_test_clean_leakage();
    s_test_cache();
    s_test_huge();
}
