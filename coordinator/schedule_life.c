/* schedule_life — a study's lifecycle in the scheduler: submit (create, resume, take a
 * compatible change) and stop (see schedule.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/schedule.h"
#include "coordinator/schedule_priv.h"
#include "coordinator/study_check.h"
#include "core/log.h"
#include "core/study_diff.h"

/* Slot of the study of this name in memory, or -1. */
static int s_find(const sched_t *self, const char *name)
{
    for (int i = 0; i < self->n_studies; i++)
        if (strcmp(self->studies[i]->cfg->name, name) == 0)
            return i;
    return -1;
}

/* Store plan p for the new config *cfg_p and bring memory along: a study held and not
 * done takes the change in place (the three keys study_diff.h allows, and the JSON
 * workers get); any other is built anew from the file by a replay (a done one has no
 * lease or queue to lose). The runtime is made before anything is stored, so a config
 * this build cannot run changes nothing. */
static int s_continue(sched_t *self, const store_plan_t *p, study_config_t **cfg_p, char *err)
{
    int i = s_find(self, (*cfg_p)->name);
    study_t *held = i >= 0 ? self->studies[i] : NULL, *s = NULL;
    if (held && held->state != ST_DONE) {
        if (p->kind != STORE_PLAN_UNCHANGED &&
            store_plan_apply(self->store, p, (*cfg_p)->json, err) != 0)
            return -1;
        held->cfg->n_trials = (*cfg_p)->n_trials;
        held->cfg->max_retries = (*cfg_p)->max_retries;
        held->cfg->max_fail_streak = (*cfg_p)->max_fail_streak;
        held->cfg->trial_timeout = (*cfg_p)->trial_timeout;
        free(held->cfg->json);
        held->cfg->json = xstrdup((*cfg_p)->json);
        study_config_destroy(cfg_p);
        held->state = ST_RUNNING;
        return sched__check_done(self, held, err);
    }
    if (!(s = sched__study_new(cfg_p, p->id, err)))
        return -1;
    if (p->kind != STORE_PLAN_UNCHANGED && store_plan_apply(self->store, p, s->cfg->json, err) != 0) {
        sched__study_free(&s);
        return -1;
    }
    if (held) {
        assert(held->n_leased == 0 && held->qlen == 0);
        sched__study_free(&self->studies[i]);
        self->studies[i] = s;
    } else
        sched__add_study(self, s);
    return sched__replay(self, s, err);
}

/* Set key (a JSON value) in *cfg_p, rebuilt with it. */
static int s_set(study_config_t **cfg_p, const char *key, const char *value, char *err)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    char *json = study_json_set((*cfg_p)->json, key, value, err);
    study_config_t *cfg = json ? study_config_from_json(json, &study_check_all, &errs) : NULL;
    if (json && !cfg)
        set_err(err, "%s", errs.n ? errs.msgs[0] : "invalid config");
    if (cfg) {
        study_config_destroy(cfg_p);
        *cfg_p = cfg;
    }
    free(json);
    cfg_errs_free(&errs);
    return cfg ? 0 : -1;
}

/* What a config leaves out of its sampler is filled from the stored study of its name,
 * so a resubmitted config is the same study, or for a fresh one:
 * - sampler.seed (hps submit leaves it out): the stored study's, else a new seed;
 * - sampler.type: the stored study's; a fresh study gets "auto" (the default of new
 *   configs), a stored one without a type keeps it absent, so it resumes with the
 *   sampler it had (random, the default before auto). */
static int s_adopt_sampler(sched_t *self, study_config_t **cfg_p, char *err)
{
    bool has_seed = cfg_get((*cfg_p)->root, "sampler.seed") != NULL;
    bool has_type = cfg_get((*cfg_p)->root, "sampler.type") != NULL;
    if (has_seed && has_type)
        return 0;
    store_study_t old;
    int found = store_study_get(self->store, (*cfg_p)->name, &old, err);
    if (found < 0)
        return -1;
    int rc = 0;
    if (!has_type) {
        char *type = found == 0 ? study_json_get(old.config, "sampler.type") : NULL;
        strbuf_t sb;
        sb_init(&sb);
        if (type || found != 0)
            sb_json_str(&sb, type ? type : "auto");
        rc = sb.len ? s_set(cfg_p, "sampler.type", sb.buf, err) : 0;
        sb_free(&sb);
        free(type);
    }
    if (rc == 0 && !has_seed) {
        char *value = found == 0 ? study_json_get(old.config, "sampler.seed") : NULL;
        if (!value)
            value = xasprintf("%ld", (long)((now_ms() ^ ((int64_t)getpid() << 16)) & 0x7fffffff));
        rc = s_set(cfg_p, "sampler.seed", value, err);
        free(value);
    }
    if (found == 0)
        store_study_clear(&old);
    return rc;
}

/* The observations warm_start names, from this file or warm_start.db: 0, 1 (bad input,
 * err says why), -1 with err. */
static int s_warm_obs(sched_t *self, const study_config_t *cfg, store_obs_t **obs, int *n,
                      char *err)
{
    const char *name = NULL, *db = NULL;
    cfg_str(cfg->warm_start, "study", NULL, &name, NULL);
    cfg_str(cfg->warm_start, "db", NULL, &db, NULL);
    assert(name);
    store_t *src = db ? store_open_read(db, err) : self->store;
    if (!src) {
        char why[HPS_ERR_LEN];
        snprintf(why, sizeof why, "%s", err);
        set_err(err, "warm_start.db: %s", why);
        return 1;
    }
    int rc = store_warm_source(src, name, cfg->space, cfg->direction, obs, n, err);
    if (src != self->store)
        store_close(&src);
    return rc;
}

/* A new study: its row and, with warm_start, the source's observations (one
 * transaction), replayed into its sampler. 0, 1 when the warm start is refused (out
 * says why; nothing stored), -1 with err. */
static int s_create(sched_t *self, study_config_t **cfg_p, sched_outcome_t *out, char *err)
{
    study_config_t *cfg = *cfg_p;
    store_obs_t *obs = NULL;
    const char *why = study_name_problem(cfg->name);
    if (why)
        set_err(err, "its name %s: model references use them (NAME@STAGE, NAME:VERSION)", why);
    int n = 0, rc = why ? 1 : cfg->warm_start ? s_warm_obs(self, cfg, &obs, &n, err) : 0;
    if (rc == 1) {
        out->kind = STORE_PLAN_REFUSED;
        free(out->text);
        out->text = xasprintf("study '%s' not created: %s", cfg->name, err);
        return 1;
    }
    int64_t id;
    study_t *s = NULL;
    if (rc == 0 && store_study_insert_warm(self->store, cfg->name, cfg->json, obs, n, &id, err) == 0 &&
        (s = sched__study_new(cfg_p, id, err)) != NULL) {
        sched__add_study(self, s);
        rc = n ? sched__replay(self, s, err) : 0;
        if (n && rc == 0)
            log_info("study %s: warm start from %d trials", s->cfg->name, n);
    } else
        rc = -1;
    store_obs_free(&obs, n);
    return rc;
}

int sched_submit(sched_t *self, study_config_t **cfg_p, sched_outcome_t *out, char *err)
{
    *out = (sched_outcome_t){0};
    if (s_adopt_sampler(self, cfg_p, err) != 0)
        return -1;
    study_config_t *cfg = *cfg_p;
    /* The stored config states the direction (cli_load_study's configs do already). */
    char *json = store_study_config(cfg->json, cfg->direction, err);
    if (!json)
        return -1;
    free(cfg->json);
    cfg->json = json;
    store_plan_t p;
    if (store_plan(self->store, cfg->json, &p, err) != 0)
        return -1;
    strbuf_t sb;
    sb_init(&sb);
    store_plan_describe(&p, cfg->name, &sb);
    out->kind = p.kind;
    out->text = sb.buf;
    int rc = p.kind == STORE_PLAN_FINISHED || p.kind == STORE_PLAN_BUSY ||
                     p.kind == STORE_PLAN_REFUSED ? 1 : 0;
    if (rc == 0 && p.kind != STORE_PLAN_CREATE)
        rc = s_continue(self, &p, cfg_p, err);
    else if (rc == 0)
        rc = s_create(self, cfg_p, out, err);
    if (rc == 0)
        log_info("%s", out->text);
    store_plan_clear(&p);
    return rc;
}

void sched_outcome_clear(sched_outcome_t *o)
{
    free(o->text);
    *o = (sched_outcome_t){0};
}

int sched__fail_streak(sched_t *self, study_t *s, char *err)
{
    long most = s->cfg->max_fail_streak;
    if (most <= 0 || s->fail_streak < most || s->state != ST_RUNNING)
        return 0;
    /* a program that cannot start, a path the workers lack: stop rather than burn the
     * rest of the budget (only live results count: a resumed study gets one more
     * failure before it stops again) */
    log_warn("study %s: %ld trials in a row failed (max_consecutive_failures %ld): stopped; "
             "fix the cause and `hps resume` it", s->cfg->name, s->fail_streak, most);
    return sched__set_state(self, s, ST_STOPPED, err);
}

int sched_stop(sched_t *self, const char *name, char *err)
{
    for (int i = 0; i < self->n_studies; i++) {
        study_t *s = self->studies[i];
        if (strcmp(s->cfg->name, name) == 0)
            return s->state == ST_RUNNING ? sched__set_state(self, s, ST_STOPPED, err) : 0;
    }
    return 1;
}

/* sched_check_holder, and the attempt running now (schedule.h): for model uploads. */
int sched_check_running(sched_t *self, const char *worker, int64_t trial, int attempt,
                        char *err)
{
    int rc = sched_check_holder(self, worker, trial, attempt, err);
    if (rc != 0)
        return rc;
    trial_state_t state;
    int current;
    if ((rc = store_trial_state(self->store, trial, &state, &current, err)) < 0)
        return -1;
    if (rc == 0 && state == TRIAL_RUNNING && current == attempt)
        return 0;
    set_err(err, "trial %lld attempt %d is not running", (long long)trial, attempt);
    return 1;
}
