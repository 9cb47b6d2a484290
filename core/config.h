/* config — study configs: YAML (libyaml) into a tree with source marks, Hydra-style
 * groups and key=value overrides, and a canonical JSON form that is stored in the DB
 * and shipped to workers (JSON is YAML, so the same parser reads it back). Validation
 * into a study_config_t is core/study.h.
 *
 * Errors read like compiler errors, "configs/a.yaml:14:5: n_trials: must be >= 1",
 * and are all collected (cfg_errs_t), not only the first. */
#ifndef HPS_CONFIG_H
#define HPS_CONFIG_H

#include <stdbool.h>

#include "core/space.h"
#include "core/trial.h"

typedef enum { CFG_NULL = 0, CFG_SCALAR, CFG_MAP, CFG_SEQ } cfg_type_t;

/* One YAML node. Plain record: modules read it directly, only the config module
 * (core/config*.c, core/study.c) builds it. Plain null, ~ and empty values are CFG_NULL
 * nodes (value NULL). */
typedef struct cfg_node_s {
    cfg_type_t type;
    char *file;                /* owned copy: the source path, or "override 'k=v'" */
    int line, col;             /* 1-based source position; line 0 = none (overrides) */
    char *value;               /* CFG_SCALAR: text; owned */
    bool quoted;               /* scalar was quoted: always a string */
    int n;                     /* CFG_MAP / CFG_SEQ: entry count */
    char **keys;               /* CFG_MAP: n keys; owned */
    int *key_line, *key_col;   /* CFG_MAP: positions of the keys, in items[i]->file
                                  (a key and its value always come from one source) */
    struct cfg_node_s **items; /* n children; owned */
} cfg_node_t;

/* Collected errors, each "file:line:col: message". */
typedef struct cfg_errs_s {
    int n;
    char **msgs; /* owned */
} cfg_errs_t;

void cfg_errs_init(cfg_errs_t *e);
void cfg_errs_free(cfg_errs_t *e);
/* Add an error located at node (NULL node: no location). */
void cfg_error(cfg_errs_t *e, const cfg_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add an error with an explicit location. */
void cfg_error_at(cfg_errs_t *e, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Add an error located at the key of map entry i (or its value when the key has no
 * position, as for keys created by overrides). */
void cfg_key_error(cfg_errs_t *e, const cfg_node_t *map, int i, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cfg_errs_print(const cfg_errs_t *e, FILE *f); /* one per line */
/* Whether some error contains sub (for tests): prints every error on stdout when verbose,
 * and on stderr what was wanted when none matches. */
bool cfg_errs_has(const cfg_errs_t *e, const char *sub, bool verbose);

/* Parse YAML text or a file. NULL (and errors) on a syntax error, a duplicate key,
 * an anchor or alias (not supported), or a second document. Plain null, ~ and empty
 * values become CFG_NULL nodes; an empty document is a CFG_NULL root. Caller frees. */
cfg_node_t *cfg_parse(const char *text, size_t len, const char *file, cfg_errs_t *errs);
/* The largest config file read (a larger one is an error, not an allocation). */
#define CFG_FILE_MAX ((size_t)1 << 20)
cfg_node_t *cfg_load(const char *path, cfg_errs_t *errs);
void cfg_free(cfg_node_t **node_p);

/* Apply one override value: set root's dotted path ("space.C.high") to yaml_value,
 * parsed as a YAML scalar or flow node, creating intermediate maps. New nodes are
 * located at "override 'dotted=value'". 0 ok; -1 with errors (bad path, a non-map in
 * the way, a YAML syntax error in the value). */
int cfg_set_path(cfg_node_t *root, const char *dotted, const char *yaml_value,
                 cfg_errs_t *errs);

/* Child by dotted path ("strategy.test.fraction"); NULL when absent or not a map. */
const cfg_node_t *cfg_get(const cfg_node_t *node, const char *path);

/* Typed reads of map[key] (key may be dotted; map may be NULL). Absent key or a null
 * value (`key:`, `key: ~`, `key: null`): *out = def, returns 0. Present but wrong type
 * or out of range: adds an error at the value, returns -1. */
int cfg_str(const cfg_node_t *map, const char *key, const char *def, const char **out,
            cfg_errs_t *errs);
int cfg_double(const cfg_node_t *map, const char *key, double def, double *out,
               cfg_errs_t *errs);
int cfg_long(const cfg_node_t *map, const char *key, long def, long *out, cfg_errs_t *errs);
int cfg_bool(const cfg_node_t *map, const char *key, bool def, bool *out, cfg_errs_t *errs);
/* Whether override arg ("key=value", "+key=value") sets key. */
bool cfg_override_sets(const char *arg, const char *key);
/* Every key of map must be in allowed (NULL-terminated); others get "unknown key 'x'". */
int cfg_check_keys(const cfg_node_t *map, const char *const *allowed, cfg_errs_t *errs);
/* The same, with more names (NULL = none) to suggest for keys set by an override: the
 * top level suggests group names there ("modle=logreg": did you mean 'model'?). */
int cfg_check_keys_hint(const cfg_node_t *map, const char *const *allowed,
                        const char *const *override_hints, cfg_errs_t *errs);

/* How a scalar reads: plain text (also every quoted scalar), a number (YAML 1.2 core:
 * 1, -2.5, 1e-3, 1.0e-4), true/false (any case style), or null (a CFG_NULL node). */
typedef enum { CFG_K_TEXT = 0, CFG_K_NUMBER, CFG_K_BOOL, CFG_K_NULL } cfg_kind_t;
cfg_kind_t cfg_kind(const cfg_node_t *node); /* node is CFG_NULL or CFG_SCALAR */
cfg_kind_t cfg_text_kind(const char *text, bool quoted);
/* Append the JSON form of a scalar's text (see cfg_to_json). Can't fail. */
void cfg_json_scalar(strbuf_t *sb, const char *text, bool quoted);
/* Whether two trees hold the same data (positions and number spelling ignored:
 * 1.0e-4 equals 0.0001, a plain `abc` equals "abc"). */
bool cfg_equal(const cfg_node_t *a, const cfg_node_t *b);

/* The `type` of a section (sampler:, pruner:, ...) or def when absent. Borrowed. */
const char *cfg_type_or(const cfg_node_t *section, const char *def);

/* Canonical JSON text of a tree (caller frees). Unquoted scalars that read as numbers,
 * true/false or null are emitted as such; everything else as a string. */
char *cfg_to_json(const cfg_node_t *node);

void config_test(bool verbose);

#endif
