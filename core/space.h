/* space — a search space: named float, int and categorical parameters.
 *
 * Every parameter value travels as one double in "internal" form: the number
 * itself for float and int, the choice index for categorical. Samplers work on
 * internal values; space_value_json() renders the user-facing value. Semantics
 * follow Optuna's distributions: float {low, high, log, step}, int {low, high,
 * log, step (default 1)}, categorical {choices}; step and log are exclusive, and
 * high is trimmed to low + k*step.
 *
 * A parameter may be conditional (`when: {kernel: [rbf, poly]}`, space_cond.c): it
 * is active only when every parameter its `when` names is active and holds one of the
 * listed values. An inactive parameter has no value: NaN in x, absent from the JSON
 * of a point, from the stored trial and from what the objective sees. */
#ifndef HPS_SPACE_H
#define HPS_SPACE_H

#include <stdbool.h>

#include "core/util.h"

struct cfg_node_s;
struct cfg_errs_s;

/* 2^53: int bounds lie within -+this, so every int is an exact double. */
#define SPACE_INT_MAX 9007199254740992L
/* A stepped range holds fewer points than this (the samplers draw a step index). */
#define SPACE_MAX_STEPS 1e18

typedef enum { PARAM_FLOAT = 0, PARAM_INT = 1, PARAM_CAT = 2 } param_kind_t;

typedef struct {
    int parent;        /* index of the parameter tested (categorical or int) */
    int n_vals;
    double *vals;      /* owned: the parent's internal values that satisfy it */
} space_cond_t;

typedef struct {
    char *name;        /* owned */
    param_kind_t kind;
    double low, high;  /* float/int bounds, inclusive; categorical: 0, n_choices-1 */
    double step;       /* 0 = continuous (float only); int: >= 1 */
    bool log;
    int n_choices;     /* categorical only */
    char **choices;    /* owned; the YAML scalar text of each choice */
    bool *choice_is_str; /* owned; true when the choice renders as a JSON string */
    int n_when;        /* conditions, all of which must hold; 0 = always active */
    space_cond_t *when; /* owned */
} param_t;

typedef struct {
    int n;
    param_t *params;   /* owned, n entries, in config order */
    int *order;        /* owned: n indexes, every parent before its children (config
                          order where conditions allow); NULL when nothing is
                          conditional */
} space_t;

/* Parse a `space:` map. Appends every problem to errs; NULL when any was found. */
space_t *space_from_cfg(const struct cfg_node_s *map, struct cfg_errs_s *errs);
/* The space of a YAML (or JSON) text holding only the `space:` map (name for messages):
 * parse errors and space errors go to errs, NULL when any. */
space_t *space_from_yaml(const char *text, const char *name, struct cfg_errs_s *errs);
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

/* Snap x[i] to a legal value (clip, round int/step, round categorical; NaN to low),
 * then set the inactive parameters to NaN. Can't fail. */
void space_snap(const space_t *space, double *x);
/* Whether x[i] is a legal value of param i. */
bool space_valid(const param_t *p, double x);

/* ---- conditions (space_cond.c) ---- */

/* Whether some parameter has a `when`. */
bool space_conditional(const space_t *space);
/* Whether param i is active at x: every condition's parent active (not NaN) and at one
 * of its values. Assumes the parents' own activity is already reflected in x (as
 * space_deactivate leaves it); can't fail. */
bool space_active(const space_t *space, const double *x, int i);
/* Set x[i] = NaN for every inactive parameter, parents first. Can't fail. */
void space_deactivate(const space_t *space, double *x);
/* Whether x is a point of the space: every active parameter legal, every inactive NaN. */
bool space_point_ok(const space_t *space, const double *x);
/* The i-th parameter in dependency order (i itself when nothing is conditional). */
int space_order(const space_t *space, int i);
/* Parse the `when:` maps of the space map (after every parameter parsed): resolves
 * parents by name, checks their kinds and values, orders the parameters; a cycle is an
 * error. 0, or -1 with errors added. */
int space_cond_parse(space_t *space, const struct cfg_node_s *map, struct cfg_errs_s *errs);
/* Free the conditions of p. */
void space_cond_free(param_t *p);
/* The internal value of a scalar (text, quoted as in YAML) for param q: 0, or -1 with
 * why, a short phrase ("not one of the choices", "out of range", ...). */
int space_parse_value(const param_t *q, const char *text, bool quoted, double *x,
                      const char **why);
/* Append "kernel in [rbf, poly]"-like text for p's conditions (nothing when none). */
void space_cond_text(strbuf_t *sb, const space_t *space, const param_t *p);

/* Append the user-facing value of param p as JSON (number or choice). */
void space_value_json(strbuf_t *sb, const param_t *p, double x);
/* Append {"name": value, ...} for a whole point; inactive (NaN) parameters are left
 * out. */
void space_point_json(strbuf_t *sb, const space_t *space, const double *x);

void space_test(bool verbose);
void space_cond_test(bool verbose);

#endif
