/* study_diff — key-by-key differences of two study configs (see study_diff.h). */
#include "core/study_diff.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

/* The keys an existing study accepts a change of (n_trials only upwards). */
static const char *const s_compatible[] = {"n_trials", "trial_timeout", "max_retries",
                                           "max_consecutive_failures"};

static cfg_node_t *s_parse(const char *json, const char *what, char *err)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(json, strlen(json), what, &errs);
    if (root && root->type != CFG_MAP) {
        cfg_free(&root);
        set_err(err, "%s config is not a map", what);
    } else if (!root)
        set_err(err, "%s", errs.n ? errs.msgs[0] : "config does not parse");
    cfg_errs_free(&errs);
    return root;
}

/* map[key], or NULL. */
static const cfg_node_t *s_child(const cfg_node_t *map, const char *key)
{
    for (int i = 0; map && map->type == CFG_MAP && i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

static bool s_is_compatible(const char *key, const cfg_node_t *a, const cfg_node_t *b)
{
    bool listed = false;
    for (size_t i = 0; i < ARRAY_SIZE(s_compatible); i++)
        listed = listed || strcmp(key, s_compatible[i]) == 0;
    if (!listed || strcmp(key, "n_trials") != 0)
        return listed;
    long was, now;
    return a && b && a->type == CFG_SCALAR && b->type == CFG_SCALAR &&
           parse_long(a->value, &was) == 0 && parse_long(b->value, &now) == 0 && now > was;
}

static void s_add(study_diff_t *d, const char *key, const cfg_node_t *a, const cfg_node_t *b)
{
    d->v = xrealloc(d->v, sizeof *d->v * (size_t)(d->n + 1));
    study_change_t *c = &d->v[d->n++];
    c->key = xstrdup(key);
    c->stored = a ? cfg_to_json(a) : NULL;
    c->now = b ? cfg_to_json(b) : NULL;
    c->compatible = s_is_compatible(key, a, b);
    d->compatible = d->compatible && c->compatible;
}

static void s_walk(study_diff_t *d, const char *prefix, const cfg_node_t *a, const cfg_node_t *b);

static void s_key(study_diff_t *d, const char *prefix, const char *key, const cfg_node_t *a,
                  const cfg_node_t *b)
{
    char *path = *prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
    if (a && b)
        s_walk(d, path, a, b);
    else
        s_add(d, path, a, b);
    free(path);
}

/* Both present: maps key by key, anything else as a whole. */
static void s_walk(study_diff_t *d, const char *prefix, const cfg_node_t *a, const cfg_node_t *b)
{
    if (a->type != CFG_MAP || b->type != CFG_MAP) {
        if (!cfg_equal(a, b))
            s_add(d, prefix, a, b);
        return;
    }
    for (int i = 0; i < a->n; i++)
        s_key(d, prefix, a->keys[i], a->items[i], s_child(b, a->keys[i]));
    for (int i = 0; i < b->n; i++)
        if (!s_child(a, b->keys[i]))
            s_key(d, prefix, b->keys[i], NULL, b->items[i]);
}

int study_diff(const char *stored, const char *now, study_diff_t *out, char *err)
{
    *out = (study_diff_t){.compatible = true};
    cfg_node_t *a = s_parse(stored, "stored", err), *b = a ? s_parse(now, "new", err) : NULL;
    if (a && b)
        s_walk(out, "", a, b);
    int rc = a && b ? 0 : -1;
    cfg_free(&a);
    cfg_free(&b);
    return rc;
}

void study_diff_free(study_diff_t *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->v[i].key);
        free(d->v[i].stored);
        free(d->v[i].now);
    }
    free(d->v);
    *d = (study_diff_t){.compatible = true};
}

void study_diff_print(const study_diff_t *d, bool only_refused, strbuf_t *sb)
{
    for (int i = 0; i < d->n; i++) {
        const study_change_t *c = &d->v[i];
        if (only_refused && c->compatible)
            continue;
        sb_printf(sb, "  %s: stored %s, new %s%s\n", c->key, c->stored ? c->stored : "(absent)",
                  c->now ? c->now : "(absent)",
                  strcmp(c->key, "n_trials") == 0 && !c->compatible ? " (it may only be raised)"
                                                                    : "");
    }
}

void study_diff_summary(const study_diff_t *d, strbuf_t *sb)
{
    for (int i = 0; i < d->n; i++)
        sb_printf(sb, "%s%s %s -> %s", i ? ", " : "", d->v[i].key,
                  d->v[i].stored ? d->v[i].stored : "(absent)",
                  d->v[i].now ? d->v[i].now : "(absent)");
}

char *study_json_set(const char *json, const char *key, const char *value, char *err)
{
    cfg_node_t *root = s_parse(json, "stored", err);
    if (!root)
        return NULL;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    char *out = NULL;
    if (cfg_set_path(root, key, value, &errs) == 0)
        out = cfg_to_json(root);
    else
        set_err(err, "%s", errs.n ? errs.msgs[0] : "cannot set the key");
    cfg_errs_free(&errs);
    cfg_free(&root);
    return out;
}

char *study_json_get(const char *json, const char *dotted)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(json, strlen(json), "<config>", &errs);
    cfg_errs_free(&errs);
    const cfg_node_t *node = root ? cfg_get(root, dotted) : NULL;
    char *out = node && node->type == CFG_SCALAR ? xstrdup(node->value) : NULL;
    cfg_free(&root);
    return out;
}

char *study_json_rename(const char *json, const char *name, char *err)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_json_str(&sb, name);
    char *out = study_json_set(json, "study", sb.buf, err);
    sb_free(&sb);
    return out;
}

void study_diff_test(bool verbose)
{
    (void)verbose;
    char err[HPS_ERR_LEN];
    const char *a = "{\"study\": \"s\", \"n_trials\": 10, \"space\": {\"lr\": {\"type\": "
                    "\"float\", \"low\": 0.0001, \"high\": 0.1}}, \"sampler\": {\"seed\": 3}}";
    study_diff_t d;
    assert(study_diff(a, a, &d, err) == 0 && d.n == 0 && d.compatible);
    study_diff_free(&d);
    /* Equal as data, spelled differently: no change. */
    const char *a2 = "{\"study\": \"s\", \"n_trials\": 10, \"space\": {\"lr\": {\"type\": "
                     "\"float\", \"low\": 1.0e-4, \"high\": 0.1}}, \"sampler\": {\"seed\": 3}}";
    assert(study_diff(a, a2, &d, err) == 0 && d.n == 0);
    study_diff_free(&d);
    /* Compatible: n_trials raised, a timeout added. */
    char *b = study_json_set(a, "n_trials", "20", err);
    char *b2 = b ? study_json_set(b, "trial_timeout", "5", err) : NULL;
    assert(b2 && study_diff(a, b2, &d, err) == 0 && d.n == 2 && d.compatible);
    assert(strcmp(d.v[0].key, "n_trials") == 0 && strcmp(d.v[0].now, "20") == 0);
    assert(strcmp(d.v[1].key, "trial_timeout") == 0 && !d.v[1].stored);
    strbuf_t sb;
    sb_init(&sb);
    study_diff_summary(&d, &sb);
    assert(strcmp(sb.buf, "n_trials 10 -> 20, trial_timeout (absent) -> 5") == 0);
    study_diff_free(&d);
    /* Lowered n_trials and a nested key: refused, each named with both values. */
    char *c = study_json_set(a, "n_trials", "5", err);
    char *c2 = c ? study_json_set(c, "space", "{lr: {type: float, low: 0.0001, high: 0.5}}",
                                  err) : NULL;
    assert(c2 && study_diff(a, c2, &d, err) == 0 && d.n == 2 && !d.compatible);
    sb_free(&sb);
    sb_init(&sb);
    study_diff_print(&d, true, &sb);
    if (verbose)
        printf("%s", sb.buf);
    assert(strstr(sb.buf, "  n_trials: stored 10, new 5 (it may only be raised)\n"));
    assert(strstr(sb.buf, "  space.lr.high: stored 0.1, new 0.5\n"));
    study_diff_free(&d);
    /* A renamed config keeps everything else; a name that reads as a number stays text. */
    char *r = study_json_rename(a, "123", err);
    assert(r && strstr(r, "\"study\": \"123\"") && study_diff(a, r, &d, err) == 0 && d.n == 1);
    assert(!d.compatible && strcmp(d.v[0].key, "study") == 0);
    study_diff_free(&d);
    assert(study_diff("[1]", a, &d, err) == -1 && strstr(err, "not a map"));
    char *seed = study_json_get(a, "sampler.seed");
    assert(seed && strcmp(seed, "3") == 0 && !study_json_get(a, "sampler.x"));
    assert(!study_json_get(a, "space") && !study_json_get("{", "study"));
    free(seed);
    sb_free(&sb);
    free(r);
    free(b);
    free(b2);
    free(c);
    free(c2);
}
