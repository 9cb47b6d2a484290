/* trials — every trial of a study, listed: `hps trials` and `hps export --format
 * csv|json`.
 *
 * Each trial shows its number (-1 is the final refit, "refit" in the table), state,
 * value, every parameter decoded by name with the study's own space (from its stored
 * config: a float or int as a number, a categorical as its choice), duration (the
 * seconds the objective reported, else finished - started), worker, attempt, cv_mean,
 * cv_std and test_score (a model's; none for others), the error text of a FAIL, and with
 * steps the intermediate values the trial reported.
 *
 * Formats (all on out, which the caller owns):
 *   table  aligned columns for a terminal; cv/test/error columns only when some shown
 *          trial has them; values to 6 significant digits; text escaped for a terminal.
 *   csv    RFC 4180 with a header: number,state,value,param.NAME...,duration,worker,
 *          attempt,cv_mean,cv_std,test_score,error[,steps]; every number in its
 *          shortest round-trip form, none = an empty cell; steps = "STEP:VALUE" pairs
 *          joined by ';' ("0:0.5;1:0.25").
 *   json   an array, one object per line: {"number", "state", "value", "params":
 *          {name: value} | null, "duration", "worker", "attempt", "cv_mean", "cv_std",
 *          "test_score", "error"[, "steps": [{"step", "value"}]]}, none = null.
 * A point the space cannot decode (another size or an illegal value: a file edited by
 * hand) has empty param cells and "params": null, never a wrong name.
 *
 * csv and json stream: rows are written as they are read, so memory stays flat however
 * large the study (the table, for people, collects its cells first). */
#ifndef HPS_RESULTS_TRIALS_H
#define HPS_RESULTS_TRIALS_H

#include <stdbool.h>
#include <stdio.h>

#include "core/store.h"

typedef struct {
    const char *format; /* table | csv | json; NULL = table */
    int state;          /* a trial_state_t, or -1 for all */
    bool by_value;      /* best value first by the study's direction, else by number */
    long limit;         /* <= 0 = all */
    bool steps;         /* the intermediate values too */
} trials_opts_t;

/* Whether format is one trials_write knows. This function can't fail. */
bool trials_format_valid(const char *format);

/* Write the trials of study in one read snapshot. 0 ok; 1 bad input (an unknown study:
 * err names the studies of the file; an unknown format); -1 a DB or write error in err. */
int trials_write(store_t *st, const char *study, const trials_opts_t *o, FILE *out,
                 char *err);

void trials_test(bool verbose);

#endif
