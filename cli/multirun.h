/* multirun — Hydra's `--multirun` for `hps run`: overrides with several values
 * (`model=logreg,xgboost strategy=quick,balanced n_trials=10,20`) expand into one
 * override list per combination (the Cartesian product, first swept key slowest).
 *
 * A value sweeps when it holds a comma outside brackets and quotes. A value that is
 * itself a list is written in brackets (`space.k.choices=[a,b]`) and a value with a
 * comma in it is quoted (`'key=a,b'` in the shell as "key='a,b'"): both stay one value,
 * as in Hydra. Each combination's study is named from its choices: the composed
 * config's study name, then for each swept key "-value" (a group choice: `model=logreg`
 * gives "-logreg") or "-key=value" (any other key: "-n_trials=10"), so
 * `reviews-logreg-quick` or `reviews-logreg-n_trials=10`. */
#ifndef HPS_MULTIRUN_H
#define HPS_MULTIRUN_H

#include <stdbool.h>

typedef struct {
    int n;          /* combinations */
    int n_over;     /* overrides per combination (as many as given) */
    char **over;    /* n x n_over strings, combination-major; owned */
    char **suffix;  /* n name suffixes ("-logreg-quick"); owned */
} multirun_t;

/* Whether the override's value holds several values (a comma outside brackets and
 * quotes). Can't fail. */
bool multirun_sweeps(const char *override);

/* Expand the overrides of config (its folder tells which keys are groups) into every
 * combination: 0, or -1 with err ("override 'model=a,,b': empty value 2", a repeated
 * value, more than MULTIRUN_MAX combinations). */
#define MULTIRUN_MAX 1000
int multirun_expand(const char *config, int n_over, char *const *over, multirun_t *out,
                    char *err);
void multirun_free(multirun_t *m);

void multirun_test(bool verbose);

#endif
