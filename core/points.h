/* points — given points of a search space, for `hps enqueue` (Optuna's enqueue_trial)
 * and for a warm start from another study.
 *
 * A points file is JSON (an object {name: value}, or an array of such objects) or CSV
 * (a header of parameter names, one row per point). Each point keeps where it came
 * from ("params.csv:3", "params.json:2:3"), so every error names the file and line.
 * Values are read as YAML scalars read them (a JSON string is always text; a CSV cell
 * reads as a number, true/false or text, as a plain YAML scalar).
 *
 * points_encode turns a point into the internal x of a space (space.h): every
 * parameter must be given (a missing one is refused rather than sampled), no unknown
 * name, a float or int within [low, high] and on its step, an int integral, a
 * categorical value equal to one of the choices (numbers compared as numbers). */
#ifndef HPS_POINTS_H
#define HPS_POINTS_H

#include <stdbool.h>

#include "core/space.h"

typedef struct {
    char *where;   /* "file:line" or "file:line:col"; owned */
    int n;
    char **names;  /* owned */
    char **texts;  /* owned: the scalar text of each value */
    bool *quoted;  /* a quoted scalar: always text */
} point_t;

typedef struct points_s {
    int n;
    point_t *items; /* owned */
} points_t;

/* Read a points file: .csv by its name, anything else as JSON. NULL with err
 * ("file:line: message") on bad input (a syntax error, a value that is a map or a
 * list, a row with a different number of fields, a repeated name, no point at all). */
points_t *points_load(const char *path, char *err);
/* Points from JSON text (an object, or an array of objects), located in `name`. */
points_t *points_parse_json(const char *text, const char *name, char *err);
/* Points as they travel (ENQUEUE): n JSON objects and where each came from. NULL with
 * err ("WHERE: ...") when one is not a single object. */
points_t *points_from_wire(char *const *json, char *const *where, int n, char *err);
void points_destroy(points_t **self_p);

/* Point p as a JSON object {"name": value, ...} (caller frees). Can't fail. */
char *points_json(const point_t *p);

/* Encode p into x[space->n]: 0, or -1 with err "WHERE: param 'name': why". */
int points_encode(const space_t *space, const point_t *p, double *x, char *err);

/* Whether the source space holds the same parameters as target (same names, kinds,
 * bounds, log, step and choices; order may differ): 0 with map[i] the source index of
 * target's parameter i, or -1 with err naming the first differing parameter. */
int points_space_map(const space_t *target, const space_t *source, int *map, char *err);

/* The space of a stored study config (canonical JSON): caller frees; NULL with err. */
space_t *points_config_space(const char *config, char *err);

void points_test(bool verbose);

#endif
