/* optuna_priv — what results/optuna*.c share: the version rows of an Optuna 3.1 file and
 * the distributions (optuna_dist.c), Optuna's name for a search-space parameter. */
#ifndef HPS_OPTUNA_PRIV_H
#define HPS_OPTUNA_PRIV_H

#include "core/config.h"
#include "core/space.h"
#include "results/optuna.h"

#define OPTUNA_SCHEMA_VERSION 12
#define OPTUNA_LIBRARY_VERSION "3.1.0"
#define OPTUNA_ALEMBIC_HEAD "v3.0.0.d"

/* A parameter's distribution as read from an Optuna file. */
typedef struct {
    char *name;         /* parameter name; owned */
    char *json;         /* distribution_json as stored (the first trial's); owned */
    param_kind_t kind;
    double low, high, step; /* step 0 = none (float); int: >= 1 */
    bool log;
    int n_choices;
    char **choices;     /* categorical: each choice as Python's json.dumps writes it; owned */
} optuna_dist_t;

/* distribution_json of p, as optuna.distributions.distribution_to_json writes it.
 * Caller frees. This function can't fail. */
char *optuna_dist_json(const param_t *p);
/* Parse distribution_json (FloatDistribution, IntDistribution, CategoricalDistribution,
 * and the pre-3.0 Uniform, LogUniform, DiscreteUniform, IntUniform, IntLogUniform) into
 * out (name and json are the caller's to set). 0, or -1 with err. */
int optuna_dist_parse(const char *json, optuna_dist_t *out, char *err);
void optuna_dist_clear(optuna_dist_t *d);
/* Append d as a YAML space entry ("  name: {type: float, low: ..., high: ...}\n"). */
void optuna_dist_yaml(strbuf_t *sb, const optuna_dist_t *d);
/* Add to errs each way p differs from d (kind, bounds, log, step, choices); at is the
 * config node to report at. */
void optuna_dist_compare(const optuna_dist_t *d, const param_t *p, const cfg_node_t *at,
                         cfg_errs_t *errs);

#endif
