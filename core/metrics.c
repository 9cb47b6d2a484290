/* metrics — classification and regression scores (see metrics.h). */
#include "core/metrics.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const struct {
    const char *name;
    direction_t dir;
    bool classification;
} s_metrics[] = {
    [METRIC_ACCURACY] = {"accuracy", DIR_MAXIMIZE, true},
    [METRIC_F1] = {"f1", DIR_MAXIMIZE, true},
    [METRIC_ROC_AUC] = {"roc_auc", DIR_MAXIMIZE, true},
    [METRIC_LOGLOSS] = {"logloss", DIR_MINIMIZE, true},
    [METRIC_RMSE] = {"rmse", DIR_MINIMIZE, false},
    [METRIC_MAE] = {"mae", DIR_MINIMIZE, false},
    [METRIC_R2] = {"r2", DIR_MAXIMIZE, false},
};

int metric_lookup(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_SIZE(s_metrics); i++)
        if (strcmp(s_metrics[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *metric_name(metric_t m)
{
    assert(m >= 0 && (size_t)m < ARRAY_SIZE(s_metrics));
    return s_metrics[m].name;
}

direction_t metric_direction(const char *name)
{
    int m = metric_lookup(name);
    return m < 0 ? DIR_MINIMIZE : s_metrics[m].dir;
}

bool metric_is_classification(metric_t m)
{
    assert(m >= 0 && (size_t)m < ARRAY_SIZE(s_metrics));
    return s_metrics[m].classification;
}

int metric_argmax(const double *p, int k)
{
    int best = 0;
    for (int c = 1; c < k; c++)
        if (p[c] > p[best])
            best = c;
    return best;
}

/* F1 of class c from the confusion counts; 0 when it has no true or predicted rows. */
static double s_f1_class(const double *y, const double *p, int n, int k, int c, bool *present)
{
    long tp = 0, fp = 0, fn = 0;
    for (int i = 0; i < n; i++) {
        bool truth = (int)y[i] == c, pred = metric_argmax(p + (size_t)i * k, k) == c;
        tp += truth && pred;
        fp += !truth && pred;
        fn += truth && !pred;
    }
    *present = tp + fp + fn > 0;
    return tp == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
}

static double s_f1(const double *y, const double *p, int n, int k)
{
    bool present;
    if (k == 2)
        return s_f1_class(y, p, n, k, 1, &present);
    double sum = 0;
    int classes = 0;
    for (int c = 0; c < k; c++) {
        double f = s_f1_class(y, p, n, k, c, &present);
        if (present) {
            sum += f;
            classes++;
        }
    }
    return classes ? sum / classes : NAN;
}

typedef struct {
    double score;
    bool pos;
} s_scored_t;

static int s_cmp_scored(const void *a, const void *b)
{
    double x = ((const s_scored_t *)a)->score, y = ((const s_scored_t *)b)->score;
    return (x > y) - (x < y);
}

/* Binary AUC of column c of p (class c against the rest) by the rank-sum formula,
 * tied scores sharing their average rank. NaN when only one side occurs. */
static double s_auc_class(const double *y, const double *p, int n, int k, int c)
{
    s_scored_t *s = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *s);
    long n_pos = 0;
    for (int i = 0; i < n; i++) {
        s[i].score = p[(size_t)i * k + c];
        s[i].pos = (int)y[i] == c;
        n_pos += s[i].pos;
    }
    long n_neg = n - n_pos;
    qsort(s, (size_t)n, sizeof *s, s_cmp_scored);
    double rank_sum = 0;
    for (int i = 0; i < n;) {
        int j = i;
        long pos = 0;
        while (j < n && s[j].score == s[i].score)
            pos += s[j++].pos;
        rank_sum += pos * (i + 1 + j) / 2.0; /* average of ranks i+1 .. j */
        i = j;
    }
    free(s);
    if (n_pos == 0 || n_neg == 0)
        return NAN;
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / ((double)n_pos * (double)n_neg);
}

static double s_auc(const double *y, const double *p, int n, int k)
{
    if (k == 2)
        return s_auc_class(y, p, n, k, 1);
    double sum = 0;
    for (int c = 0; c < k; c++)
        sum += s_auc_class(y, p, n, k, c); /* NaN propagates: a class is missing */
    return sum / k;
}

static double s_classification(metric_t m, const double *y, const double *p, int n, int k)
{
    double sum = 0;
    switch (m) {
    case METRIC_ACCURACY:
        for (int i = 0; i < n; i++)
            sum += metric_argmax(p + (size_t)i * k, k) == (int)y[i];
        return sum / n;
    case METRIC_F1:
        return s_f1(y, p, n, k);
    case METRIC_ROC_AUC:
        return s_auc(y, p, n, k);
    case METRIC_LOGLOSS:
        for (int i = 0; i < n; i++) {
            /* Renormalise the clipped row, as scikit-learn does. */
            double row = 0, pt = 0;
            for (int c = 0; c < k; c++) {
                double q = fmin(fmax(p[(size_t)i * k + c], DBL_EPSILON), 1 - DBL_EPSILON);
                row += q;
                if (c == (int)y[i])
                    pt = q;
            }
            sum -= log(pt / row);
        }
        return sum / n;
    default:
        assert(0 && "not a classification metric");
        return NAN;
    }
}

static double s_regression(metric_t m, const double *y, const double *pred, int n)
{
    double sse = 0, sae = 0, mean = 0, sst = 0;
    for (int i = 0; i < n; i++) {
        double e = y[i] - pred[i];
        sse += e * e;
        sae += fabs(e);
        mean += y[i];
    }
    mean /= n;
    for (int i = 0; i < n; i++)
        sst += (y[i] - mean) * (y[i] - mean);
    switch (m) {
    case METRIC_RMSE:
        return sqrt(sse / n);
    case METRIC_MAE:
        return sae / n;
    case METRIC_R2:
        /* scikit-learn: a constant y scores 1 when predicted exactly, else 0. */
        return sst > 0 ? 1 - sse / sst : (sse == 0 ? 1.0 : 0.0);
    default:
        assert(0 && "not a regression metric");
        return NAN;
    }
}

double metric_eval(metric_t m, const double *y, const double *pred, int n, int n_classes)
{
    assert(y && pred && n >= 0);
    if (n == 0)
        return NAN;
    if (metric_is_classification(m)) {
        assert(n_classes >= 2);
        return s_classification(m, y, pred, n, n_classes);
    }
    return s_regression(m, y, pred, n);
}

static bool s_near(double a, double b) { return fabs(a - b) < 1e-12; }

void metrics_test(bool verbose)
{
    if (verbose)
        printf(" * metrics:\n");
    assert(metric_lookup("accuracy") == METRIC_ACCURACY && metric_lookup("r2") == METRIC_R2);
    assert(metric_lookup("acc") == -1 && metric_lookup(NULL) == -1);
    assert(metric_direction("accuracy") == DIR_MAXIMIZE);
    assert(metric_direction("logloss") == DIR_MINIMIZE);
    assert(metric_direction("rmse") == DIR_MINIMIZE && metric_direction("r2") == DIR_MAXIMIZE);
    assert(!strcmp(metric_name(METRIC_ROC_AUC), "roc_auc"));

    /* Binary: y = 1 1 0 0 1, p(1) = .9 .4 .35 .1 .8 -> predictions 1 0 0 0 1. */
    double y[] = {1, 1, 0, 0, 1};
    double p[] = {.1, .9, .6, .4, .65, .35, .9, .1, .2, .8};
    assert(s_near(metric_eval(METRIC_ACCURACY, y, p, 5, 2), 0.8));
    assert(s_near(metric_eval(METRIC_F1, y, p, 5, 2), 0.8)); /* tp 2, fp 0, fn 1 */
    /* Pairs (pos, neg) ranked right: .9>.35 .9>.1 .4>.35 .4>.1 .8>.35 .8>.1 = 6/6. */
    assert(s_near(metric_eval(METRIC_ROC_AUC, y, p, 5, 2), 1.0));
    double ll = -(log(.9) + log(.4) + log(.65) + log(.9) + log(.8)) / 5;
    assert(s_near(metric_eval(METRIC_LOGLOSS, y, p, 5, 2), ll));
    /* A tie between a positive and a negative counts one half. */
    double pt[] = {.5, .5, .5, .5, .5, .5, .9, .1, .1, .9}; /* pos .5 .5 .9, neg .5 .1 */
    assert(s_near(metric_eval(METRIC_ROC_AUC, y, pt, 5, 2), (.5 + 1 + .5 + 1 + 1 + 1) / 6));
    double y0[] = {0, 0};
    assert(isnan(metric_eval(METRIC_ROC_AUC, y0, p, 2, 2)));

    /* Three classes: y = 0 1 2 2, predicted 0 2 2 1. */
    double y3[] = {0, 1, 2, 2};
    double p3[] = {.8, .1, .1, .2, .3, .5, .1, .1, .8, .3, .4, .3};
    assert(s_near(metric_eval(METRIC_ACCURACY, y3, p3, 4, 3), 0.5));
    /* Per class f1: 0 -> 1, 1 -> 0 (tp 0), 2 -> 2*1/(2+1+1) = .5; macro = .5. */
    assert(s_near(metric_eval(METRIC_F1, y3, p3, 4, 3), 0.5));
    /* OvR: class 0 scores .8 vs .2 .1 .3 -> 1; class 1: .3 vs .1 .1 .4 -> 2/3;
     * class 2: {.8, .3} vs {.1, .5} -> 3/4 pairs right. */
    assert(s_near(metric_eval(METRIC_ROC_AUC, y3, p3, 4, 3), (1 + 2.0 / 3 + 0.75) / 3));

    double t[] = {3, -0.5, 2, 7}, q[] = {2.5, 0.0, 2, 8};
    assert(s_near(metric_eval(METRIC_RMSE, t, q, 4, 0), sqrt(1.5 / 4)));
    assert(s_near(metric_eval(METRIC_MAE, t, q, 4, 0), 0.5));
    /* sklearn's r2_score example: 0.948... = 1 - 1.5 / 29.1875 */
    assert(s_near(metric_eval(METRIC_R2, t, q, 4, 0), 1 - 1.5 / 29.1875));
}
