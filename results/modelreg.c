/* modelreg — references, promotion rules and model cards (see registry.h). */
#include "results/modelreg.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/promote.h"
#include "core/util.h"

static const char *const s_stages[] = {"staging", "production", "archived", NULL};

static const char *s_stage(const char *s)
{
    for (int i = 0; s_stages[i]; i++)
        if (strcmp(s, s_stages[i]) == 0)
            return s_stages[i];
    return NULL;
}

int modelreg_parse_ref(const char *ref, char **name, long *version, const char **stage,
                       char *err)
{
    *name = NULL;
    *version = 0;
    *stage = NULL;
    if (!ref || !*ref)
        return set_err(err, "empty model reference (NAME, NAME:VERSION or NAME@STAGE)");
    const char *at = strrchr(ref, '@'), *colon = strrchr(ref, ':');
    size_t len = strlen(ref);
    if (at && at > ref) {
        if (!(*stage = s_stage(at + 1)))
            return set_err(err, "%s: unknown stage '%s' (staging, production or archived)", ref,
                           at + 1);
        len = (size_t)(at - ref);
    } else if (colon && colon > ref && colon[1]) {
        const char *p = colon + 1;
        while (isdigit((unsigned char)*p))
            p++;
        long v;
        if (!*p && parse_long(colon + 1, &v) == 0 && v > 0) {
            *version = v;
            len = (size_t)(colon - ref);
        }
    }
    *name = xstrndup(ref, len);
    return 0;
}

/* The index in list of the version ref asks for, or -1. */
static int s_pick(const store_model_t *list, int n, long version, const char *stage)
{
    int found = -1;
    for (int i = 0; i < n; i++) {
        if (version ? list[i].version == version
                    : !stage || strcmp(list[i].stage, stage) == 0)
            found = i; /* by version order: the last match is the latest */
    }
    return found;
}

int modelreg_find(store_t *st, const char *ref, store_model_t *out, char *err)
{
    memset(out, 0, sizeof *out);
    char *name;
    long version;
    const char *stage;
    if (modelreg_parse_ref(ref, &name, &version, &stage, err) != 0)
        return 1;
    store_model_t *list;
    int n, rc = store_models(st, name, &list, &n, err);
    int i = rc == 0 ? s_pick(list, n, version, stage) : -1;
    if (rc == 0 && n == 0) {
        set_err(err, "no registered model '%s' (hps models lists them)", name);
        rc = 1;
    } else if (rc == 0 && i < 0 && version) {
        set_err(err, "model '%s' has no version %ld (versions 1 to %ld)", name, version,
                list[n - 1].version);
        rc = 1;
    } else if (rc == 0 && i < 0) {
        set_err(err, "model '%s' has no version in %s (hps models history %s)", name, stage,
                name);
        rc = 1;
    }
    if (rc == 0) {
        *out = list[i];
        memset(&list[i], 0, sizeof list[i]);
    }
    store_models_free(&list, n);
    free(name);
    return rc;
}

char *modelreg_blob_path(const char *db_path, const char *sha)
{
    return xasprintf("%s.blobs/%s", db_path, sha);
}

char *modelreg_artifact_path(store_t *st, const char *db_path, const char *ref, int *code,
                             char *err)
{
    store_model_t m;
    int rc = modelreg_find(st, ref, &m, err);
    *code = rc == 1 ? 2 : 1;
    if (rc != 0)
        return NULL;
    char *path = modelreg_blob_path(db_path, m.sha256);
    if (access(path, R_OK) != 0) {
        set_err(err, "%s version %ld: its model file %s is missing", m.name, m.version, path);
        free(path);
        path = NULL;
    }
    store_model_clear(&m);
    return path;
}

/* ---- promotion ---------------------------------------------------------------------- */

/* Fill out (HPS_ERR_LEN) like set_err; returns code (1 refused, 2 bad input). */
static int s_say(int code, char *out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int s_say(int code, char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, HPS_ERR_LEN, fmt, ap);
    va_end(ap);
    return code;
}

/* Which rule the move of m to stage breaks: 0 none; 1 with why. -1 with why. */
static int s_rule(store_t *st, const store_model_t *m, const char *stage, char *why)
{
    if (strcmp(stage, "archived") == 0)
        return 0;
    if (strcmp(stage, "staging") == 0 && strcmp(m->stage, "production") == 0)
        return s_say(1, why, "version %ld is in production: staging it would leave '%s' "
                        "without a production version (promote another version to "
                        "production, or archive this one)", m->version, m->name);
    if (strcmp(stage, "production") == 0) {
        int was = store_model_was_in(st, m->name, m->version, "staging", why);
        if (was < 0)
            return -1;
        if (!was)
            return s_say(1, why, "version %ld was never in staging: production takes a "
                            "version from staging", m->version);
    }
    const char *tier = m->tier ? m->tier : "none";
    return promote_check(tier, stage, why) == 0 ? 0 : 1;
}

/* Why name has no version to promote: a study of that name without one (1), or
 * nothing of that name (2). */
static int s_no_model(store_t *st, const char *name, char *msg)
{
    store_study_t s;
    int rc = store_study_get(st, name, &s, msg);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return s_say(2, msg, "no registered model or study '%s' (hps models lists "
                                "them)", name);
    if (!s.tier)
        s_say(1, msg, "study '%s' has no final refit (not finished, or no strategy with a "
                 "test split), so it has no tier and no model to promote", name);
    else
        s_say(1, msg, "study '%s' registered no model under its name (its final refit "
                 "handed back no artifact, or its config says `register: NAME`: hps models "
                 "lists the names)", name);
    store_study_clear(&s);
    return 1;
}

/* The version of name now holding stage other than m, or 0. */
static long s_holder(store_t *st, const store_model_t *m, const char *stage)
{
    store_model_t *list;
    int n;
    char err[HPS_ERR_LEN];
    long v = 0;
    if (store_models(st, m->name, &list, &n, err) != 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (list[i].version != m->version && strcmp(list[i].stage, stage) == 0)
            v = list[i].version;
    store_models_free(&list, n);
    return v;
}

/* The move itself, once the rules said yes (or were forced past). */
static int s_move(store_t *st, const store_model_t *m, const char *stage, bool forced,
                  const char *who, const char *why, char *msg)
{
    long holder = strcmp(stage, "archived") == 0 ? 0 : s_holder(st, m, stage);
    if (store_model_move(st, m->name, m->version, stage, forced, who, msg) != 0)
        return -1;
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb, "%s version %ld: %s -> %s", m->name, m->version, m->stage, stage);
    if (forced)
        sb_printf(&sb, ", FORCED past the rule: %s", why);
    else
        sb_printf(&sb, " (tier %s, test score %.5g)", m->tier ? m->tier : "none", m->test_score);
    if (holder)
        sb_printf(&sb, "; version %ld: %s -> archived", holder, stage);
    char *text = sb_take(&sb);
    snprintf(msg, HPS_ERR_LEN, "%s", text);
    free(text);
    return 0;
}

int modelreg_promote(store_t *st, const char *ref, const char *stage, bool force,
                     const char *who, char *msg)
{
    if (!stage || !s_stage(stage))
        return s_say(2, msg, "unknown stage '%s' (staging, production or archived)",
                                stage ? stage : "");
    char *name;
    long version;
    const char *at;
    if (modelreg_parse_ref(ref, &name, &version, &at, msg) != 0 || at) {
        if (at)
            s_say(1, msg, "%s: promote takes NAME or NAME:VERSION", ref);
        free(name);
        return 2;
    }
    store_model_t m;
    int rc = modelreg_find(st, ref, &m, msg);
    if (rc == 1)
        rc = version ? 2 : s_no_model(st, name, msg);
    free(name);
    if (rc != 0)
        return rc;
    char why[HPS_ERR_LEN] = "";
    if (strcmp(m.stage, stage) == 0)
        snprintf(msg, HPS_ERR_LEN, "%s version %ld is already in %s", m.name, m.version, stage);
    else if ((rc = s_rule(st, &m, stage, why)) < 0)
        snprintf(msg, HPS_ERR_LEN, "%s", why);
    else if (rc == 1 && !force)
        snprintf(msg, HPS_ERR_LEN, "%s (--force moves it anyway, recorded as forced)", why);
    else
        rc = s_move(st, &m, stage, rc == 1, who, why, msg);
    store_model_clear(&m);
    return rc;
}

void modelreg_transition_json(strbuf_t *sb, const store_transition_t *t, bool with_name)
{
    sb_puts(sb, "{");
    if (with_name) {
        sb_puts(sb, "\"name\": ");
        sb_json_str(sb, t->name);
        sb_printf(sb, ", \"version\": %ld, ", t->version);
    }
    sb_puts(sb, "\"from\": ");
    sb_json_str(sb, t->from_stage);
    sb_puts(sb, ", \"to\": ");
    sb_json_str(sb, t->to_stage);
    sb_printf(sb, ", \"forced\": %s, \"who\": ", t->forced ? "true" : "false");
    t->who ? sb_json_str(sb, t->who) : sb_puts(sb, "null");
    sb_puts(sb, ", \"at\": ");
    sb_json_num(sb, t->at);
    sb_puts(sb, "}");
}

/* ---- model card --------------------------------------------------------------------- */

char *modelreg_card_json(store_t *st, const store_model_t *m, char *err)
{
    store_transition_t *t;
    int n;
    if (store_model_history(st, m->name, &t, &n, err) != 0)
        return NULL;
    strbuf_t sb;
    sb_init(&sb);
    sb_puts(&sb, "{\"name\": ");
    sb_json_str(&sb, m->name);
    sb_printf(&sb, ", \"version\": %ld, \"stage\": ", m->version);
    sb_json_str(&sb, m->stage);
    sb_puts(&sb, ", \"artifact\": {\"file\": ");
    sb_json_str(&sb, m->file);
    sb_puts(&sb, ", \"sha256\": ");
    sb_json_str(&sb, m->sha256);
    sb_printf(&sb, ", \"size\": %lld}, \"metrics\": {\"cv_mean\": ", (long long)m->size);
    sb_json_num(&sb, m->cv_mean);
    sb_puts(&sb, ", \"cv_std\": ");
    sb_json_num(&sb, m->cv_std);
    sb_puts(&sb, ", \"test_score\": ");
    sb_json_num(&sb, m->test_score);
    sb_puts(&sb, "}, \"tier\": ");
    m->tier ? sb_json_str(&sb, m->tier) : sb_puts(&sb, "null");
    sb_puts(&sb, ", \"data_sha256\": ");
    m->data_sha ? sb_json_str(&sb, m->data_sha) : sb_puts(&sb, "null");
    sb_puts(&sb, ", \"created\": ");
    sb_json_num(&sb, m->created);
    sb_printf(&sb, ", \"lineage\": %s, \"history\": [", m->lineage ? m->lineage : "null");
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (t[i].version != m->version)
            continue;
        sb_puts(&sb, k++ ? ", " : "");
        modelreg_transition_json(&sb, &t[i], false);
    }
    sb_puts(&sb, "]}\n");
    store_transitions_free(&t, n);
    return sb_take(&sb);
}

/* ---- self-test ---------------------------------------------------------------------- */

static void s_test_refs(void)
{
    char *name, err[HPS_ERR_LEN];
    long v;
    const char *stage;
    assert(modelreg_parse_ref("a:b@production", &name, &v, &stage, err) == 0);
    assert(strcmp(name, "a:b") == 0 && v == 0 && strcmp(stage, "production") == 0);
    free(name);
    assert(modelreg_parse_ref("x:12", &name, &v, &stage, err) == 0 && v == 12 && !stage);
    assert(strcmp(name, "x") == 0);
    free(name);
    assert(modelreg_parse_ref("x:y", &name, &v, &stage, err) == 0 && v == 0);
    assert(strcmp(name, "x:y") == 0);
    free(name);
    assert(modelreg_parse_ref("x@prod", &name, &v, &stage, err) == -1 && strstr(err, "prod"));
    free(name);
}

/* A study with n final refits, each registered (versions 1..n of its name). */
static void s_test_study(store_t *st, const char *name, double test, const char *tier, int n)
{
    char err[HPS_ERR_LEN], sha[65];
    int64_t id, trial;
    char *config = xasprintf("{\"study\": \"%s\"}", name);
    assert(store_study_insert(st, name, config, &id, err) == 0);
    free(config);
    assert(store_study_set_final(st, id, 0, test, tier, err) == 0);
    for (int i = 0; i < n; i++) {
        long v;
        assert(store_trial_create(st, id, -1 - i, true, NULL, 0, NULL, &trial, err) == 0);
        store_result_t r = {.state = TRIAL_COMPLETE, .value = test}; /* only these register */
        assert(store_trial_lease(st, trial, 1, "w", err) == 0 &&
               store_trial_finish(st, trial, 1, &r, err) == 0);
        sha256_hex(&i, sizeof i, sha);
        assert(store_model_register(st, trial, sha, "m.bin", 4, "t", &v, err) == 0);
        assert(v == i + 1);
    }
}

void modelreg_test(bool verbose)
{
    s_test_refs();
    char path[] = "/tmp/hps_modelreg_XXXXXX", err[HPS_ERR_LEN], msg[HPS_ERR_LEN];
    int fd = mkstemp(path);
    assert(fd >= 0);
    close(fd);
    unlink(path);
    store_t *st = store_open(path, true, false, err);
    assert(st);
    s_test_study(st, "m", 0.9, "standard", 3);
    s_test_study(st, "low", 0.5, "none", 1);
    s_test_study(st, "plain", NAN, "standard", 0);
    /* the rules */
    assert(modelreg_promote(st, "m", "prod", false, "u@h", msg) == 2);
    assert(modelreg_promote(st, "nope", "staging", false, "u@h", msg) == 2);
    assert(modelreg_promote(st, "plain", "staging", false, "u@h", msg) == 1);
    assert(strstr(msg, "no artifact"));
    assert(modelreg_promote(st, "m:9", "staging", false, "u@h", msg) == 2);
    assert(modelreg_promote(st, "m:1", "production", false, "u@h", msg) == 1);
    assert(strstr(msg, "never in staging") && strstr(msg, "--force"));
    assert(modelreg_promote(st, "m:1", "staging", false, "u@h", msg) == 0);
    assert(modelreg_promote(st, "m:1", "production", false, "u@h", msg) == 0);
    assert(modelreg_promote(st, "m:1", "staging", false, "u@h", msg) == 1);
    assert(strstr(msg, "in production"));                   /* no silent demotion */
    assert(modelreg_promote(st, "m:2", "staging", false, "u@h", msg) == 0);
    assert(modelreg_promote(st, "m:2", "production", false, "u@h", msg) == 0);
    assert(strstr(msg, "version 1: production -> archived"));
    if (verbose)
        printf("%s\n", msg);
    assert(modelreg_promote(st, "m", "production", true, "me@there", msg) == 0);
    assert(strstr(msg, "FORCED") && strstr(msg, "version 2: production -> archived"));
    assert(modelreg_promote(st, "low", "staging", false, "u@h", msg) == 1);
    assert(modelreg_promote(st, "low", "staging", true, "u@h", msg) == 0);
    /* references and the card */
    store_model_t m;
    assert(modelreg_find(st, "m@production", &m, err) == 0 && m.version == 3);
    char *card = modelreg_card_json(st, &m, err);
    assert(card && strstr(card, "\"forced\": true, \"who\": \"me@there\""));
    assert(strstr(card, "\"test_score\": 0.9"));
    free(card);
    store_model_clear(&m);
    assert(modelreg_find(st, "m@archived", &m, err) == 0 && m.version == 2);
    store_model_clear(&m);
    assert(modelreg_find(st, "m@staging", &m, err) == 1 && strstr(err, "no version in"));
    int code;
    char *p = modelreg_artifact_path(st, path, "m@production", &code, err);
    assert(!p && code == 1 && strstr(err, "missing"));
    assert(!modelreg_artifact_path(st, path, "zz@production", &code, err) && code == 2);
    store_close(&st);
    char *side[] = {xasprintf("%s-wal", path), xasprintf("%s-shm", path)};
    for (int i = 0; i < 2; i++) {
        unlink(side[i]);
        free(side[i]);
    }
    assert(unlink(path) == 0);
}
