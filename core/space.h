/* space — a search space: named float, int and categorical parameters.
 *
 * Every parameter value travels as one double in "internal" form: the number
 * itself for float and int, the choice index for categorical. Samplers work on
 * internal values; space_value_json() renders the user-facing value. Semantics
 * follow Optuna's distributions: float {low, high, log, step}, int {low, high,
 * log, step (default 1)}, categorical {choices}; step and log are exclusive, and
 * high is trimmed to low + k*step. */
#ifndef HPS_SPACE_H
#define HPS_SPACE_H

#include <stdbool.h>

#include "core/util.h"

struct cfg_node_s;
struct cfg_errs_s;

typedef enum { PARAM_FLOAT = 0, PARAM_INT = 1, PARAM_CAT = 2 } param_kind_t;

typedef struct {
    char *name;        /* owned */
    param_kind_t kind;
    double low, high;  /* float/int bounds, inclusive; categorical: 0, n_choices-1 */
    double step;       /* 0 = continuous (float only); int: >= 1 */
    bool log;
    int n_choices;     /* categorical only */
    char **choices;    /* owned; the YAML scalar text of each choice */
    bool *choice_is_str; /* owned; true when the choice renders as a JSON string */
} param_t;

typedef struct {
    int n;
    param_t *params;   /* owned, n entries, in config order */
} space_t;

/* Parse a `space:` map. Appends every problem to errs; NULL when any was found. */
space_t *space_from_cfg(const struct cfg_node_s *map, struct cfg_errs_s *errs);
/* The space of a stored study config (JSON text; name for messages): NULL when it has
 * none that parses. Problems are dropped: a listing shows what it can. */
space_t *space_from_config_text(const char *config, const char *name);
void space_destroy(space_t **self_p);
int space_index(const space_t *space, const char *name); /* -1 when absent */

/* Grid size (product of the number of points per parameter); -1 when some
 * parameter is continuous (float without step) or the product overflows. */
long space_grid_size(const space_t *space);
/* Grid point `index` (0 <= index < grid size) into x, mixed-radix, first param slowest. */
void space_grid_point(const space_t *space, long index, double *x);

/* Snap x[i] to a legal value (clip, round int/step, round categorical). Can't fail. */
void space_snap(const space_t *space, double *x);
/* Whether x[i] is a legal value of param i. */
bool space_valid(const param_t *p, double x);

/* Append the user-facing value of param p as JSON (number or choice). */
void space_value_json(strbuf_t *sb, const param_t *p, double x);
/* Append {"name": value, ...} for a whole point. */
void space_point_json(strbuf_t *sb, const space_t *space, const double *x);

void space_test(bool verbose);

#endif
