/* mlflow — a study as an MLflow tracking FileStore tree (mlruns/), as MLflow's
 * FileStore (mlflow/store/tracking/file_store.py) lays it out and reads it back:
 *
 *   DIR/.trash/                          (FileStore's; created when missing)
 *   DIR/<experiment id>/meta.yaml        one experiment per study; the id is a decimal
 *                                        number derived from the study name
 *   DIR/<experiment id>/tags/<key>       hps.direction
 *   DIR/<experiment id>/<run id>/        one run per trial, the final refit its own run;
 *       meta.yaml                        the RunInfo (status as its number: FINISHED 3
 *                                        for COMPLETE, KILLED 5 for PRUNED, FAILED 4 for
 *                                        FAIL, RUNNING 1, SCHEDULED 2 for WAITING)
 *       params/<name>                    the decoded value as text, no newline
 *       metrics/<key>                    lines "<ms timestamp> <value> <step>": value,
 *                                        intermediate_value (one line per reported step),
 *                                        cv_mean, cv_std, val_score, test_score, secs
 *       tags/<key>                       mlflow.runName (trial-N, final-refit), hps.state,
 *                                        hps.number, hps.attempt, hps.worker, hps.error
 *       artifacts/                       empty
 *
 * Run ids are 32 hex digits derived from the study name and the trial number, so an
 * export run twice gives the same tree. */
#ifndef HPS_MLFLOW_H
#define HPS_MLFLOW_H

#include <stdbool.h>

#include "core/store.h"

/* Write study `study` of st under dir (created when missing; other experiments in it
 * are left alone). 0; 1 bad input with err (no such study; its experiment exists in dir
 * and not force); -1 with err. */
int mlflow_export(store_t *st, const char *study, const char *dir, bool force, char *err);

#endif
