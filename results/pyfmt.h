/* pyfmt — numbers as Python writes them (repr(float), json.dumps), for the files of
 * other tools that Python reads and compares as text: Optuna's distribution_json
 * (results/optuna_export.c) and MLflow's param files (results/mlflow.c). */
#ifndef HPS_PYFMT_H
#define HPS_PYFMT_H

#include <stdbool.h>

#include "core/util.h"

/* Append repr(v) of a Python float: the shortest text that reads back as v, fixed
 * notation for exponents -4..15 ("0.001", "100.0"), else "1e-05", "1.5e+16"; "nan",
 * "inf", "-inf". This function can't fail. */
void pyfmt_float(strbuf_t *sb, double v);
/* Append a JSON string as json.dumps writes it (ensure_ascii: every non-ASCII code
 * point as \uXXXX, surrogate pairs above U+FFFF). s is UTF-8; a byte that is not valid
 * UTF-8 is written as U+FFFD. This function can't fail. */
void pyfmt_json_str(strbuf_t *sb, const char *s);

void pyfmt_test(bool verbose);

#endif
