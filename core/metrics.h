/* metrics — scores of predictions against labels or targets.
 *
 * Classification metrics take class probabilities (n rows x n_classes, row-major),
 * so one prediction serves every metric: accuracy and f1 use the argmax (ties go to
 * the lowest class), roc_auc and logloss the probabilities. Definitions follow
 * scikit-learn: f1 is binary with class 1 positive, else macro over the classes that
 * occur in y or in the predictions; roc_auc is binary, else one-vs-rest macro; logloss
 * clips probabilities to [1e-15, 1 - 1e-15]. */
#ifndef HPS_METRICS_H
#define HPS_METRICS_H

#include <stdbool.h>

#include "core/trial.h"

typedef enum {
    METRIC_ACCURACY = 0,
    METRIC_F1,
    METRIC_ROC_AUC,
    METRIC_LOGLOSS,
    METRIC_RMSE,
    METRIC_MAE,
    METRIC_R2,
} metric_t;

/* Metric by name ("accuracy", "f1", "roc_auc", "logloss", "rmse", "mae", "r2");
 * -1 when unknown. */
int metric_lookup(const char *name);
const char *metric_name(metric_t m);
/* DIR_MAXIMIZE for scores, DIR_MINIMIZE for losses; unknown names minimise. */
direction_t metric_direction(const char *name);
bool metric_is_classification(metric_t m);

/* Score pred against y over n rows. Classification: y holds class indexes, pred is
 * n x n_classes probabilities. Regression: pred holds n values, n_classes = 0.
 * NaN when undefined (e.g. roc_auc with a single class present). */
double metric_eval(metric_t m, const double *y, const double *pred, int n, int n_classes);

/* The predicted class of one row of probabilities: the argmax, ties to the lowest. */
int metric_argmax(const double *p, int k);

void metrics_test(bool verbose);

#endif
