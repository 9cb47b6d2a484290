/* study — turns a composed config tree into a validated study_config_t (see study.h).
 *
 * Validation reports every problem it can find in one pass. The keys of the sections
 * owned by plugins (objective, sampler, pruner, strategy, and data beyond its key
 * names) are checked by those plugins, through the caller's study_checks_t, so adding
 * an option to an objective needs no edit here. */
#include "core/study.h"

#include "core/capable.h"
#include "core/limits.h"

#include "core/config_priv.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STUDY_MAX_RETRIES 1000 /* beyond this a lost lease is a bug, not bad luck */

static const char *const s_top_keys[] = {
    "defaults", "study",   "direction", "n_trials", "max_retries", "data", "objective",
    "space",    "sampler", "pruner",    "strategy", "seed",        "trial_timeout",
    "warm_start", "register", "resources", "constraints", "max_consecutive_failures", NULL};

static const char *const s_warm_keys[] = {"study", "db", NULL};

static const char *const s_data_keys[] = {"path", "sha256", "label",   "target",
                                          "text", "numeric", "categorical", "missing",
                                          "impute", "clip", NULL};

/* A required key: its value, or NULL with "missing required key" at the map. */
static const cfg_node_t *s_required(const cfg_node_t *map, const char *key,
                                    cfg_errs_t *errs)
{
    const cfg_node_t *v = cfg_get(map, key);
    if (v && v->type != CFG_NULL)
        return v;
    cfg_error(errs, map, "missing required key '%s'", key);
    return NULL;
}

/* An optional map section: the map, or NULL when absent (or null, or not a map, which
 * adds an error). */
static const cfg_node_t *s_section(const cfg_node_t *root, const char *key, cfg_errs_t *errs)
{
    const cfg_node_t *v = cfg_get(root, key);
    if (!v || v->type == CFG_NULL)
        return NULL;
    if (v->type == CFG_MAP)
        return v;
    cfg_error(errs, v, "%s: expected a map", key);
    return NULL;
}

const char *study_name_problem(const char *name)
{
    const char *why = limits_name_problem(name, LIMITS_NAME_MAX);
    return why ? why : strpbrk(name, "@:") ? "contains '@' or ':'" : NULL;
}

/* `register: NAME`, the model registry's name for the study's final models (default:
 * the study's name): a name as a study's. fresh: a config file's, not a stored one (a
 * study stored before '@' and ':' were refused keeps its name). */
static void s_register(const cfg_node_t *root, bool fresh, cfg_errs_t *errs)
{
    const char *reg = NULL;
    if (cfg_str(root, "register", NULL, &reg, errs) != 0 || !reg)
        return;
    const char *why = fresh ? study_name_problem(reg)
                            : limits_name_problem(reg, LIMITS_NAME_MAX);
    if (why)
        cfg_error(errs, cfg_get(root, "register"), "register: the name %s (at most %d bytes "
                  "of printable UTF-8, no '@' or ':', which model references use)", why,
                  LIMITS_NAME_MAX);
}

/* study, n_trials, max_retries, seed and an explicit direction (0 when absent). A new
 * study's name is also held to study_name_problem, where it is created (sched). fresh:
 * a config file's, not a stored one. */
static int s_scalars(study_config_t *s, bool fresh, cfg_errs_t *errs)
{
    const cfg_node_t *root = s->root;
    int before = errs->n;
    const char *name = NULL, *dir = NULL;
    long retries = 3, seed = 0;
    if (s_required(root, "study", errs) && cfg_str(root, "study", NULL, &name, errs) == 0) {
        const char *why = limits_name_problem(name, LIMITS_NAME_MAX);
        if (why)
            cfg_error(errs, cfg_get(root, "study"), "study: the name %s (at most %d bytes of "
                      "printable UTF-8)", why, LIMITS_NAME_MAX);
        s->name = xstrdup(name);
    }
    if (s_required(root, "n_trials", errs) &&
        cfg_long(root, "n_trials", 0, &s->n_trials, errs) == 0 && s->n_trials < 1)
        cfg_error(errs, cfg_get(root, "n_trials"), "n_trials: must be >= 1, got %ld",
                  s->n_trials);
    if (cfg_long(root, "max_retries", 3, &retries, errs) == 0 &&
        (retries < 0 || retries > STUDY_MAX_RETRIES))
        cfg_error(errs, cfg_get(root, "max_retries"), "max_retries: must be between 0 and %d",
                  STUDY_MAX_RETRIES);
    s->max_retries = (int)retries;
    if (cfg_long(root, "max_consecutive_failures", 0, &s->max_fail_streak, errs) == 0 &&
        s->max_fail_streak < 0)
        cfg_error(errs, cfg_get(root, "max_consecutive_failures"),
                  "max_consecutive_failures: must be >= 0 (0 = never stop)");
    if (cfg_double(root, "trial_timeout", 0, &s->trial_timeout, errs) == 0 &&
        !(s->trial_timeout >= 0 && s->trial_timeout <= 30 * 86400.0))
        cfg_error(errs, cfg_get(root, "trial_timeout"),
                  "trial_timeout: seconds from 0 (none) to 2592000");
    if (cfg_long(root, "seed", 0, &seed, errs) == 0 && seed < 0)
        cfg_error(errs, cfg_get(root, "seed"), "seed: must be >= 0");
    s_register(root, fresh, errs);
    s->direction = 0;
    if (cfg_str(root, "direction", NULL, &dir, errs) == 0 && dir) {
        if (strcmp(dir, "minimize") == 0)
            s->direction = DIR_MINIMIZE;
        else if (strcmp(dir, "maximize") == 0)
            s->direction = DIR_MAXIMIZE;
        else
            cfg_error(errs, cfg_get(root, "direction"),
                      "direction: expected minimize or maximize, got '%s'", dir);
    }
    return errs->n > before ? -1 : 0;
}

/* warm_start: {study: NAME, db: FILE?} (the source is read when the study is created). */
static void s_warm_start(study_config_t *s, cfg_errs_t *errs)
{
    const char *name = NULL, *db = NULL;
    s->warm_start = s_section(s->root, "warm_start", errs);
    if (!s->warm_start)
        return;
    cfg_check_keys(s->warm_start, s_warm_keys, errs);
    if (s_required(s->warm_start, "study", errs) &&
        cfg_str(s->warm_start, "study", NULL, &name, errs) == 0 && !*name)
        cfg_error(errs, cfg_get(s->warm_start, "study"), "warm_start.study: expected a name");
    if (cfg_str(s->warm_start, "db", NULL, &db, errs) == 0 && db && !*db)
        cfg_error(errs, cfg_get(s->warm_start, "db"), "warm_start.db: expected a file name");
}

/* The plugins' checks, in the order objective, sampler, pruner (see study_checks_t). */
static void s_plugins(study_config_t *s, bool strict, const study_checks_t *checks,
                      cfg_errs_t *errs)
{
    if (checks && checks->objective)
        checks->objective(s, strict, errs);
    if (s->direction == 0)
        s->direction = DIR_MINIMIZE;
    if (checks && checks->sampler)
        checks->sampler(s, errs);
    if (checks && checks->pruner)
        checks->pruner(s, errs);
}

/* Validates root (taken over) into a study; NULL with errors. config_path: the file it
 * was loaded from (strict rules for new studies, group names in hints), or NULL for a
 * stored study. */
static study_config_t *s_validate(cfg_node_t *root, const char *config_path,
                                  const study_checks_t *checks, cfg_errs_t *errs)
{
    assert(root && errs);
    if (root->type != CFG_MAP) {
        cfg_error(errs, root, "expected a map of study keys at the top level");
        cfg_free(&root);
        return NULL;
    }
    int before = errs->n;
    study_config_t *s = xcalloc(1, sizeof *s);
    s->root = root;
    char **groups = config_path ? cfg_group_names(config_path) : NULL;
    cfg_check_keys_hint(root, s_top_keys, (const char *const *)groups, errs);
    cfg_names_free(&groups);
    s_scalars(s, config_path != NULL, errs);
    if (s_required(root, "objective", errs))
        s->objective = s_section(root, "objective", errs);
    s->sampler = s_section(root, "sampler", errs);
    s->pruner = s_section(root, "pruner", errs);
    s->data = s_section(root, "data", errs);
    s->strategy = s_section(root, "strategy", errs);
    cfg_check_keys(s->data, s_data_keys, errs);
    s_warm_start(s, errs);
    capable_check_study(root, errs);
    const cfg_node_t *space = s_required(root, "space", errs);
    if (space)
        s->space = space_from_cfg(space, errs);
    s->json = cfg_to_json(root);
    /* Every TRIAL frame carries it: beyond this it could not reach a worker. */
    if (strlen(s->json) > LIMITS_CONFIG_MAX)
        cfg_error(errs, root, "the study config is %zu bytes as JSON; at most %d", strlen(s->json),
                  LIMITS_CONFIG_MAX);
    s_plugins(s, config_path != NULL, checks, errs);
    if (errs->n > before)
        study_config_destroy(&s);
    assert(!s || (s->objective && s->space && s->name));
    return s;
}

/* Resolve data.path into s->data_file: an absolute path as it is, one given on the
 * command line (an override) against the current directory, one written in a file
 * against that file's directory. Made absolute so that error messages show what was
 * tried. -1 when data.path is not a string. */
static int s_data_file(study_config_t *s, cfg_errs_t *errs)
{
    const cfg_node_t *path = s->data ? cfg_get(s->data, "path") : NULL;
    if (!path || path->type == CFG_NULL)
        return 0;
    if (path->type != CFG_SCALAR || !*path->value) {
        cfg_error(errs, path, "data.path: expected a file name");
        return -1;
    }
    char *rel = NULL;
    if (path->value[0] != '/' && path->line > 0 && strrchr(path->file, '/'))
        rel = xasprintf("%.*s/%s", (int)(strrchr(path->file, '/') - path->file), path->file,
                        path->value);
    else
        rel = xstrdup(path->value);
    char cwd[4096];
    if (rel[0] != '/' && getcwd(cwd, sizeof cwd)) {
        s->data_file = xasprintf("%s/%s", cwd, rel);
        free(rel);
    } else {
        s->data_file = rel; /* no current directory to name: relative is still right */
    }
    return 0;
}

study_config_t *study_config_load(const char *path, int n_overrides, char *const *overrides,
                                  const study_checks_t *checks, cfg_errs_t *errs)
{
    assert(path && errs && n_overrides >= 0);
    cfg_node_t *root = cfg_load(path, errs);
    if (!root)
        return NULL;
    if (root->type != CFG_MAP) {
        cfg_error(errs, root, "expected a map of study keys at the top level");
        cfg_free(&root);
        return NULL;
    }
    /* Validating a tree whose groups did not merge would bury the cause in noise. */
    if (cfg_compose(root, path, n_overrides, overrides, errs) != 0) {
        cfg_free(&root);
        return NULL;
    }
    study_config_t *s = s_validate(root, path, checks, errs);
    if (s && s_data_file(s, errs) != 0)
        study_config_destroy(&s);
    return s;
}

study_config_t *study_config_from_json(const char *json, const study_checks_t *checks,
                                       cfg_errs_t *errs)
{
    assert(json && errs);
    cfg_node_t *root = cfg_parse(json, strlen(json), "<stored study>", errs);
    return root ? s_validate(root, NULL, checks, errs) : NULL;
}

void study_config_destroy(study_config_t **self_p)
{
    assert(self_p);
    study_config_t *s = *self_p;
    if (!s)
        return;
    free(s->name);
    space_destroy(&s->space);
    cfg_free(&s->root);
    free(s->json);
    free(s->data_file);
    free(s->code);
    free(s);
    *self_p = NULL;
}

/* ---- for the plugin checks ---------------------------------------------------------- */

const cfg_node_t *study_type_node(const study_config_t *study, const cfg_node_t *section)
{
    const cfg_node_t *t = section ? cfg_get(section, "type") : NULL;
    return t ? t : section ? section : study->root;
}

bool study_type_ok(const cfg_node_t *section, cfg_errs_t *errs)
{
    const char *type;
    return cfg_str(section, "type", NULL, &type, errs) == 0;
}

void study_unknown_type(cfg_errs_t *errs, const cfg_node_t *node, const char *what,
                        const char *name, const char **names)
{
    char *hint = did_you_mean(name, names, "choices");
    cfg_error(errs, node, "unknown %s type '%s'%s", what, name, hint);
    free(hint);
    free(names);
}
