/* predict — apply a saved model artifact (objectives/model_io.h) to a CSV: exactly the
 * saved pipeline, then the model; the entry of `hps predict` (cli/predict.c).
 *
 * Columns: every feature column of the pipeline must be in the CSV (all missing ones
 * are named); the label/target column and the training's ignored columns (the test
 * split column) may be there and are not features; any other column is an error
 * unless ignore_extra. Rows are predicted in one batch, as the final refit scored its
 * test rows, so the scores agree to the last bit. */
#ifndef HPS_PREDICT_H
#define HPS_PREDICT_H

#include <stdbool.h>

typedef struct {
    const char *out;   /* predictions CSV; NULL or "-" = stdout */
    bool proba;        /* a probability column per class (classification) */
    bool ignore_extra; /* columns the model does not know are ignored, not an error */
    bool score;        /* score the predictions against the CSV's label/target column */
} predict_opts_t;

typedef struct {
    long n_rows;
    double score;      /* the artifact's metric on the CSV when opts.score; NaN otherwise */
    char metric[32];
    double secs;       /* wall time of loading, transforming, predicting and writing */
} predict_result_t;

/* 0 ok; 2 bad input (artifact refused, CSV unreadable or with missing/extra columns:
 * message in err); 1 when the output cannot be written. */
int model_predict_file(const char *artifact, const char *csv, const predict_opts_t *o,
                       predict_result_t *res, char *err);

void predict_test(bool verbose);

#endif
