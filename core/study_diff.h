/* study_diff — how a study config differs from the stored one, key by key, and which
 * differences an existing study accepts.
 *
 * A study that exists keeps its search: the space, objective, sampler, data (by sha256)
 * and seed define which trials it ran, so a config that differs in any of them is a
 * different study. Three keys only say how long and how patiently it runs, and may
 * change on a stored study: n_trials (raised only: the trials run stay), trial_timeout
 * and max_retries. Both configs are canonical JSON (core/study.h); keys are compared
 * as data (cfg_equal: 1.0e-4 equals 0.0001), and named by dotted path ("space.lr.high"). */
#ifndef HPS_STUDY_DIFF_H
#define HPS_STUDY_DIFF_H

#include <stdbool.h>

#include "core/util.h"

typedef struct {
    char *key;        /* dotted path; owned */
    char *stored;     /* JSON of the stored value, or NULL when absent; owned */
    char *now;        /* JSON of the new value, or NULL when absent; owned */
    bool compatible;  /* a change an existing study accepts */
} study_change_t;

typedef struct {
    study_change_t *v; /* owned */
    int n;
    bool compatible;   /* every change is (true when there is none) */
} study_diff_t;

/* The differences between two config JSON texts, in the stored config's key order
 * (keys only in the new one after). 0, or -1 with err when one does not parse as a map. */
int study_diff(const char *stored, const char *now, study_diff_t *out, char *err);
void study_diff_free(study_diff_t *d);
/* One line per change, "  key: stored V, new V" (incompatible ones only when
 * only_refused), each value "(absent)" when missing. Can't fail. */
void study_diff_print(const study_diff_t *d, bool only_refused, strbuf_t *sb);
/* The changes as one phrase, "n_trials 10 -> 20, max_retries 3 -> 1". Can't fail. */
void study_diff_summary(const study_diff_t *d, strbuf_t *sb);

/* json with the top-level key set to value (JSON text, e.g. "20" or "\"name\""), in
 * canonical form. Caller frees; NULL with err. */
char *study_json_set(const char *json, const char *key, const char *value, char *err);
/* The scalar at dotted path of a config JSON ("sampler.seed"), or NULL when absent, not
 * a scalar or json does not parse. Caller frees. */
char *study_json_get(const char *json, const char *dotted);
/* Set: the study name of a config JSON (a JSON string, whatever its characters). */
char *study_json_rename(const char *json, const char *name, char *err);

void study_diff_test(bool verbose);

#endif
