/* schedule — studies, queue and leases of the coordinator (see schedule.h). */
#include "coordinator/schedule.h"
#include "coordinator/schedule_priv.h"

#include <assert.h>
#include <czmq.h>
#include <math.h>
#include <string.h>

#include "coordinator/study_check.h"
#include "core/log.h"
#include "core/promote.h"
#include "objectives/command.h"
#include "samplers/pruner.h"
#include "samplers/sampler.h"

static int64_t s_now(const sched_t *self) { return self->clock ? *self->clock : now_ms(); }

/* ---- study lifecycle ----------------------------------------------------------------- */

void sched__study_free(study_t **sp)
{
    study_t *s = *sp;
    if (!s)
        return;
    if (s->sampler)
        s->sops->destroy(&s->sampler);
    if (s->pruner)
        s->pops->destroy(&s->pruner);
    for (int i = s->qhead; i < s->qhead + s->qlen; i++)
        free(s->queue[i].x);
    free(s->queue);
    free(s->best_x);
    capable_need_clear(&s->need);
    study_config_destroy(&s->cfg);
    free(s);
    *sp = NULL;
}

static int s_nx(const study_t *s) { return s->cfg->space->n; }

static void s_enqueue(study_t *s, int64_t trial, int attempt, long number, bool final,
                      const double *x)
{
    if (s->qhead + s->qlen == s->qcap) {
        if (s->qhead > 0) {
            memmove(s->queue, s->queue + s->qhead, sizeof(qitem_t) * (size_t)s->qlen);
            s->qhead = 0;
        }
        if (s->qlen == s->qcap) {
            s->qcap = s->qcap ? 2 * s->qcap : 16;
            s->queue = xrealloc(s->queue, sizeof(qitem_t) * (size_t)s->qcap);
        }
    }
    qitem_t *q = &s->queue[s->qhead + s->qlen++];
    q->trial = trial;
    q->attempt = attempt;
    q->number = number;
    q->final = final;
    q->x = xmalloc(sizeof(double) * (size_t)s_nx(s));
    memcpy(q->x, x, sizeof(double) * (size_t)s_nx(s));
}

/* A new study runtime for a validated config; NULL with err. */
study_t *sched__study_new(study_config_t **cfg_p, int64_t id, char *err)
{
    study_t *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg_p;
    *cfg_p = NULL;
    s->id = id;
    const char *sname = sampler_name_of(s->cfg->sampler);
    const char *pname = pruner_name_of(s->cfg->pruner);
    s->sops = sampler_find(sname);
    s->pops = pruner_find(pname);
    if (!s->sops || !s->pops) {
        set_err(err, "study '%s': unknown %s '%s'", s->cfg->name, s->sops ? "pruner" : "sampler",
                s->sops ? pname : sname);
        sched__study_free(&s);
        return NULL;
    }
    s->sampler = s->sops->create(s->cfg->space, s->cfg->sampler, s->cfg->direction, err);
    s->pruner = s->sampler ? s->pops->create(s->cfg->pruner, s->cfg->direction, err) : NULL;
    if (!s->sampler || !s->pruner) {
        sched__study_free(&s);
        return NULL;
    }
    double seed = 0;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    if (s->cfg->sampler)
        cfg_double(s->cfg->sampler, "seed", 0, &seed, &errs);
    cfg_errs_free(&errs);
    s->seed = (uint64_t)(int64_t)seed;
    const cfg_node_t *sha = s->cfg->data ? cfg_get(s->cfg->data, "sha256") : NULL;
    snprintf(s->data, sizeof s->data, "%s", sha && sha->type == CFG_SCALAR ? sha->value : "");
    const cfg_node_t *code = cfg_get(s->cfg->objective, "code_sha256");
    snprintf(s->code, sizeof s->code, "%s", code && code->type == CFG_SCALAR ? code->value : "");
    s->has_final = s->cfg->strategy != NULL;
    char **argv = strcmp(cfg_type_or(s->cfg->objective, ""), "command") == 0
                      ? command_argv(s->cfg->objective)
                      : NULL;
    capable_need_from_study(s->cfg->root, (const char *const *)argv, &s->need);
    command_argv_free(&argv);
    return s;
}

/* Whether value a is better than b in the study's direction. */
static bool s_better(const study_t *s, double a, double b)
{
    return (double)s->cfg->direction * a < (double)s->cfg->direction * b;
}

static void s_note_best(study_t *s, int64_t trial, const double *x, double value)
{
    /* Ties go to the earlier trial, so live runs and replays agree on the best. */
    bool better = !s->has_best || s_better(s, value, s->best_value) ||
                  (value == s->best_value && trial < s->best_trial);
    if (isnan(value) || !better)
        return;
    s->has_best = true;
    s->best_value = value;
    s->best_trial = trial;
    if (!s->best_x)
        s->best_x = xmalloc(sizeof(double) * (size_t)s_nx(s));
    memcpy(s->best_x, x, sizeof(double) * (size_t)s_nx(s));
}

/* ---- leases ---------------------------------------------------------------------------- */

static void s_lease_free(void **item)
{
    lease_t *l = *item;
    if (!l)
        return;
    free(l->worker);
    free(l->x);
    free(l);
    *item = NULL;
}

/* Leases are keyed by trial id itself: the key is a pointer to the lease's own id
 * field, hashed and compared as an integer (no formatting on the hot path). */
static size_t s_id_hash(const void *key)
{
    return (size_t)hash_mix64((uint64_t)*(const int64_t *)key);
}

static int s_id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void s_usage_free(void **item)
{
    capable_usage_t *u = *item;
    if (u)
        capable_usage_clear(u);
    free(u);
    *item = NULL;
}

/* Resources worker holds: a lease of study s starts (sign 1) or ends (-1). */
static void s_usage(sched_t *self, const char *worker, const study_t *s, int sign)
{
    if (s->need.res.n == 0)
        return;
    capable_usage_t *u = zhashx_lookup(self->usage, worker);
    if (!u) {
        u = xcalloc(1, sizeof *u);
        zhashx_insert(self->usage, worker, u);
    }
    capable_use(u, &s->need, sign);
}

static lease_t *s_lease_add(sched_t *self, study_t *s, int64_t trial, int attempt, long number,
                            bool final, const double *x, const char *worker)
{
    lease_t *l = xcalloc(1, sizeof *l);
    l->trial = trial;
    l->attempt = attempt;
    l->number = number;
    l->final = final;
    l->study = s;
    l->worker = xstrdup(worker);
    l->expires = s_now(self) + self->lease_ms;
    l->x = xmalloc(sizeof(double) * (size_t)s_nx(s));
    memcpy(l->x, x, sizeof(double) * (size_t)s_nx(s));
    int rc = zhashx_insert(self->leases, &l->trial, l);
    assert(rc == 0);
    (void)rc;
    s->n_leased++;
    intptr_t held = (intptr_t)zhashx_lookup(self->held, worker);
    zhashx_update(self->held, worker, (void *)(held + 1));
    s_usage(self, worker, s, 1);
    return l;
}

static lease_t *s_lease_get(sched_t *self, int64_t trial)
{
    return zhashx_lookup(self->leases, &trial);
}

static void s_lease_drop(sched_t *self, lease_t *l)
{
    int64_t key = l->trial;
    l->study->n_leased--;
    s_usage(self, l->worker, l->study, -1);
    intptr_t held = (intptr_t)zhashx_lookup(self->held, l->worker);
    assert(held > 0);
    if (held > 1)
        zhashx_update(self->held, l->worker, (void *)(held - 1));
    else
        zhashx_delete(self->held, l->worker);
    zhashx_delete(self->leases, &key); /* frees l */
}

/* ---- completion ------------------------------------------------------------------------ */

int sched__set_state(sched_t *self, study_t *s, study_state_t state, char *err)
{
    static const char *const names[] = {"running", "done", "stopped"};
    if (store_study_set_state(self->store, s->id, names[state], err) != 0)
        return -1;
    s->state = state;
    if (state == ST_DONE) { /* nothing is leased or queued any more: free the models */
        s->sops->destroy(&s->sampler);
        s->pops->destroy(&s->pruner);
    }
    log_info("study %s: %s", s->cfg->name, names[state]);
    return 0;
}

/* The final refit ended: record its test score and the promotion tier, finish. */
static int s_finish_final(sched_t *self, study_t *s, int64_t final_trial, char *err)
{
    store_scores_t best, final; /* all NaN for a trial not in the file */
    if (store_trial_scores(self->store, s->best_trial, &best, err) < 0 ||
        store_trial_scores(self->store, final_trial, &final, err) < 0)
        return -1;
    double cv_mean = best.cv_mean, cv_std = best.cv_std, test = final.test_score;
    const cfg_node_t *type = cfg_get(s->cfg->strategy, "type");
    double max_std = PROMOTE_MAX_FOLD_STD;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_double(s->cfg->strategy, "max_fold_std", PROMOTE_MAX_FOLD_STD, &max_std, &errs);
    cfg_errs_free(&errs);
    const char *tier = isnan(test) ? "none"
                                   : promote_tier(type ? type->value : "", cv_mean, cv_std, test,
                                                  max_std);
    if (store_study_set_final(self->store, s->id, s->best_trial, test, tier, err) != 0)
        return -1;
    log_info("study %s: test score %g, tier %s", s->cfg->name, test, tier);
    return sched__set_state(self, s, ST_DONE, err);
}

/* After any finished trial: start the final refit or mark the study done. */
int sched__check_done(sched_t *self, study_t *s, char *err)
{
    if (s->state != ST_RUNNING)
        return 0;
    long target = s->sampler_done ? s->next_number : s->cfg->n_trials;
    if (s->n_finished < target || s->n_finished < s->next_number)
        return 0;
    if (!s->has_final || !s->has_best)
        return sched__set_state(self, s, ST_DONE, err);
    if (s->final_created)
        return 0;
    int64_t id;
    if (store_trial_create(self->store, s->id, -1, true, s->best_x, s_nx(s), NULL, &id, err) != 0)
        return -1;
    s->final_created = true;
    s_enqueue(s, id, 1, -1, true, s->best_x);
    return 0;
}

/* A search trial ended (live or in a replay): counts, sampler, pruner and best. */
static void s_observe(study_t *s, int64_t trial, long number, const double *x,
                      trial_state_t state, double value)
{
    s->n_finished++;
    s->n_ended[state]++;
    s->fail_streak = state == TRIAL_FAIL ? s->fail_streak + 1 : 0;
    s->sops->finished(s->sampler, number, state, state == TRIAL_FAIL ? NAN : value);
    s->pops->finished(s->pruner, number, state);
    if (state == TRIAL_COMPLETE)
        s_note_best(s, trial, x, value);
}

/* A trial's result is committed: update sampler, pruner, best and completion. */
static int s_finished(sched_t *self, study_t *s, int64_t trial, long number, bool final,
                      const double *x, trial_state_t state, double value, char *err)
{
    if (final)
        return s_finish_final(self, s, trial, err);
    s_observe(s, trial, number, x, state, value);
    /* a study just stopped is not running: check_done leaves it */
    if (sched__fail_streak(self, s, err) != 0)
        return -1;
    return sched__check_done(self, s, err);
}

/* ---- replay ------------------------------------------------------------------------------ */

typedef struct {
    sched_t *self;
    study_t *s;
    char *err;
    int64_t final_done; /* id of a finished final trial, or 0 */
    long n;             /* trials replayed */
} replay_t;

static int s_replay_trial(void *arg, const store_trial_t *t)
{
    replay_t *r = arg;
    study_t *s = r->s;
    r->n++;
    if (t->nx != s_nx(s))
        return set_err(r->err, "study %s: trial %ld has %d params, space has %d", s->cfg->name,
                       t->number, t->nx, s_nx(s));
    if (!t->final) {
        s->sops->started(s->sampler, t->number, t->x);
        if (t->number >= s->next_number)
            s->next_number = t->number + 1;
    } else
        s->final_created = true;
    if (t->state == TRIAL_RUNNING)
        s_lease_add(r->self, s, t->id, t->attempt, t->number, t->final, t->x,
                    t->worker ? t->worker : "?");
    else if (t->state == TRIAL_WAITING)
        s_enqueue(s, t->id, t->attempt, t->number, t->final, t->x);
    else if (t->final)
        r->final_done = t->id;
    else
        s_observe(s, t->id, t->number, t->x, t->state, t->value);
    return 0;
}

static int s_replay_inter(void *arg, int64_t trial_id, long number, long step, double value)
{
    (void)trial_id;
    replay_t *r = arg;
    if (number >= 0)
        r->s->pops->report(r->s->pruner, number, step, value);
    return 0;
}

/* A warm-start observation (numbered below every trial): the sampler's alone. */
static int s_replay_warm(void *arg, const store_trial_t *t)
{
    replay_t *r = arg;
    study_t *s = r->s;
    if (t->nx != s_nx(s))
        return set_err(r->err, "study %s: warm trial %ld has %d params, space has %d",
                       s->cfg->name, t->number, t->nx, s_nx(s));
    s->sops->started(s->sampler, t->number, t->x);
    s->sops->finished(s->sampler, t->number, t->state, t->value);
    return 0;
}

int sched__replay(sched_t *self, study_t *s, char *err)
{
    replay_t r = {self, s, err, 0, 0};
    double t0 = now_secs();
    if (store_warm_each(self->store, s->id, s_replay_warm, &r, err) != 0 ||
        store_intermediates_each(self->store, s->id, s_replay_inter, &r, err) != 0 ||
        store_trials_each(self->store, s->id, s_replay_trial, &r, err) != 0)
        return -1;
    if (r.n) /* what a restart costs grows with the file (bench/scale.sh) */
        log_info("study %s: %ld stored trials replayed in %.2f s", s->cfg->name, r.n,
                 now_secs() - t0);
    if (r.final_done)
        return s_finish_final(self, s, r.final_done, err);
    return sched__check_done(self, s, err);
}

void sched__add_study(sched_t *self, study_t *s)
{
    self->studies = xrealloc(self->studies, sizeof(study_t *) * (size_t)(self->n_studies + 1));
    self->studies[self->n_studies++] = s;
}

sched_t *sched_new(store_t *store, int lease_ms, const char *only, char *err)
{
    sched_t *self = xcalloc(1, sizeof *self);
    self->store = store;
    self->lease_ms = lease_ms;
    self->leases = zhashx_new();
    assert(self->leases);
    zhashx_set_destructor(self->leases, s_lease_free);
    zhashx_set_key_hasher(self->leases, s_id_hash);
    zhashx_set_key_comparator(self->leases, s_id_cmp);
    zhashx_set_key_duplicator(self->leases, NULL);
    zhashx_set_key_destructor(self->leases, NULL);
    self->held = zhashx_new(); /* keys copied, values plain counts */
    assert(self->held);
    self->usage = zhashx_new();
    assert(self->usage);
    zhashx_set_destructor(self->usage, s_usage_free);
    store_study_t *list;
    int n;
    if (store_studies(store, &list, &n, err) != 0) {
        sched_destroy(&self);
        return NULL;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (strcmp(list[i].state, "running") != 0 || (only && strcmp(list[i].name, only) != 0))
            continue;
        cfg_errs_t errs;
        cfg_errs_init(&errs);
        study_config_t *cfg = study_config_from_json(list[i].config, &study_check_all, &errs);
        study_t *s = NULL;
        if (!cfg)
            set_err(err, "stored config: %s", errs.n ? errs.msgs[0] : "invalid");
        else
            s = sched__study_new(&cfg, list[i].id, err);
        cfg_errs_free(&errs);
        study_config_destroy(&cfg);
        if (!s) {
            /* One study this build cannot run (say, a sampler it lacks) must not keep
             * the others from running: it is stopped, with the reason in the log. */
            log_error("study %s cannot be resumed, stopping it: %s", list[i].name, err);
            rc = store_study_set_state(store, list[i].id, "stopped", err);
            continue;
        }
        sched__add_study(self, s);
        rc = sched__replay(self, s, err);
    }
    store_studies_free(&list, n);
    if (rc != 0)
        sched_destroy(&self);
    return self;
}

void sched_destroy(sched_t **self_p)
{
    assert(self_p);
    sched_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy(&self->leases);
    zhashx_destroy(&self->held);
    zhashx_destroy(&self->usage);
    for (int i = 0; i < self->n_studies; i++)
        sched__study_free(&self->studies[i]);
    free(self->studies);
    free(self);
    *self_p = NULL;
}

/* ---- operations ------------------------------------------------------------------------- */

static void s_fill(const lease_t *l, sched_lease_t *out)
{
    const study_t *s = l->study;
    out->trial = l->trial;
    out->attempt = l->attempt;
    out->number = l->number;
    out->final = l->final;
    out->study = s->cfg->name;
    out->x = l->x;
    out->nx = s_nx(s);
    out->config = s->cfg->json;
    out->data = s->data;
    out->code = s->code;
    out->seed = hash_mix64(s->seed ^ hash_mix64((uint64_t)l->number + 1));
    out->timeout = s->cfg->trial_timeout;
    out->gpus = (int)capable_need_amount(&s->need, "gpu");
}

/* Try to lease one trial of study s: 1 leased, 0 nothing here, -1 error. */
static int s_next_of(sched_t *self, study_t *s, const char *worker, sched_lease_t *out,
                     char *err)
{
    if (s->qlen > 0) {
        qitem_t q = s->queue[s->qhead];
        if (store_trial_lease(self->store, q.trial, q.attempt, worker, err) != 0)
            return -1;
        s->qhead++;
        s->qlen--;
        s_fill(s_lease_add(self, s, q.trial, q.attempt, q.number, q.final, q.x, worker), out);
        free(q.x);
        return 1;
    }
    if (s->sampler_done || s->next_number >= s->cfg->n_trials)
        return 0;
    double *x = xmalloc(sizeof(double) * (size_t)s_nx(s));
    int rc = s->sops->propose(s->sampler, s->next_number, x, err);
    if (rc == SAMPLER_OK) {
        int64_t id;
        rc = store_trial_create(self->store, s->id, s->next_number, false, x, s_nx(s), worker,
                                &id, err);
        if (rc == 0) {
            s->sops->started(s->sampler, s->next_number, x);
            s_fill(s_lease_add(self, s, id, 1, s->next_number++, false, x, worker), out);
            rc = 1;
        }
    } else if (rc == SAMPLER_DONE) {
        s->sampler_done = true;
        rc = sched__check_done(self, s, err);
    } else if (rc == SAMPLER_WAIT)
        rc = 0;
    free(x);
    return rc;
}

/* Whether a worker of caps (NULL: any) can take one more trial of s now. */
static bool s_can_take(sched_t *self, const char *worker, const capable_t *caps,
                       const study_t *s)
{
    char why[HPS_ERR_LEN];
    if (!caps)
        return true;
    if (!capable_can_run(caps, &s->need, why, sizeof why))
        return false;
    capable_usage_t none = {0}, *u = zhashx_lookup(self->usage, worker);
    return capable_fits(caps, u ? u : &none, &s->need);
}

int sched_next(sched_t *self, const char *worker, sched_lease_t *out, char *err)
{
    return sched_next_for(self, worker, NULL, out, err);
}

int sched_next_for(sched_t *self, const char *worker, const capable_t *caps,
                   sched_lease_t *out, char *err)
{
    for (int k = 0; k < self->n_studies; k++) {
        int i = (self->rr + k) % self->n_studies;
        study_t *s = self->studies[i];
        if (s->state != ST_RUNNING || !s_can_take(self, worker, caps, s))
            continue;
        int rc = s_next_of(self, s, worker, out, err);
        if (rc < 0) {
            char why[HPS_ERR_LEN];
            snprintf(why, sizeof why, "%s", err);
            log_error("study %s: %s; stopping it", s->cfg->name, why);
            sched__set_state(self, s, ST_STOPPED, err);
            continue;
        }
        if (rc == 1) {
            self->rr = (i + 1) % self->n_studies;
            return SCHED_LEASED;
        }
    }
    return sched_idle(self) ? SCHED_ALL_DONE : SCHED_NOTHING;
}

/* Commit a result for the leased attempt and drop the lease. */
static int s_commit(sched_t *self, lease_t *l, const store_result_t *r, char *err)
{
    if (store_trial_finish(self->store, l->trial, l->attempt, r, err) != 0)
        return -1;
    study_t *s = l->study;
    int64_t trial = l->trial;
    long number = l->number;
    bool final = l->final;
    double *x = l->x;
    l->x = NULL; /* keep the params past the lease */
    s_lease_drop(self, l);
    int rc = s_finished(self, s, trial, number, final, x, r->state, r->value, err);
    free(x);
    if (rc != 0)
        self->broken = true; /* the result is stored, what follows from it is not */
    return rc;
}

int sched_tell(sched_t *self, int64_t trial, int attempt, const store_result_t *r, char *err)
{
    lease_t *l = s_lease_get(self, trial);
    if (l && attempt == l->attempt)
        return s_commit(self, l, r, err) == 0 ? TELL_RECORDED : -1;
    trial_state_t state;
    int current;
    int rc = store_trial_state(self->store, trial, &state, &current, err);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return set_err(err, "no trial %lld", (long long)trial);
    if (attempt < current)
        return store_tell_stale(self->store, trial, attempt, r, err) == 0 ? TELL_STALE : -1;
    if (attempt == current && state >= TRIAL_COMPLETE)
        return TELL_DUPLICATE;
    /* RUNNING without a lease: its study is not live (stopped); keep the result. */
    if (attempt == current && state == TRIAL_RUNNING)
        return store_trial_finish(self->store, trial, attempt, r, err) == 0 ? TELL_RECORDED : -1;
    return set_err(err, "trial %lld attempt %d was never handed out", (long long)trial, attempt);
}

int sched_check_holder(sched_t *self, const char *worker, int64_t trial, int attempt,
                       char *err)
{
    lease_t *l = s_lease_get(self, trial);
    if (l) {
        if (l->attempt != attempt || strcmp(l->worker, worker) == 0)
            return 0;
        set_err(err, "trial %lld attempt %d is leased to another worker", (long long)trial,
                attempt);
        return 1;
    }
    trial_state_t state;
    int current;
    int rc = store_trial_state(self->store, trial, &state, &current, err);
    if (rc != 0 || state != TRIAL_RUNNING || attempt != current)
        return rc < 0 ? -1 : 0; /* no such trial, or not running: sched_tell says so */
    char *holder;
    if ((rc = store_trial_worker(self->store, trial, &holder, err)) < 0)
        return -1;
    bool other = rc == 0 && holder && strcmp(holder, worker) != 0;
    free(holder);
    if (other)
        set_err(err, "trial %lld attempt %d ran on another worker", (long long)trial, attempt);
    return other ? 1 : 0;
}

int sched_report(sched_t *self, int64_t trial, int attempt, long step, double value,
                 bool *prune, char *err)
{
    lease_t *l = s_lease_get(self, trial);
    *prune = true;
    if (!l || l->attempt != attempt)
        return 0;
    if (store_intermediate(self->store, trial, step, value, err) != 0)
        return -1;
    *prune = !l->final && l->study->pops->report(l->study->pruner, l->number, step, value) == 1;
    return 0;
}

void sched_heartbeat(sched_t *self, const char *worker, const int64_t *pairs, int n,
                     int64_t **cancel, int *n_cancel)
{
    *cancel = NULL;
    *n_cancel = 0;
    int64_t now = s_now(self);
    for (int i = 0; i + 1 < n; i += 2) {
        lease_t *l = s_lease_get(self, pairs[i]);
        if (l && l->attempt == pairs[i + 1] && strcmp(l->worker, worker) == 0) {
            l->expires = now + self->lease_ms;
            continue;
        }
        *cancel = xrealloc(*cancel, sizeof(int64_t) * (size_t)(*n_cancel + 2));
        (*cancel)[(*n_cancel)++] = pairs[i];
        (*cancel)[(*n_cancel)++] = pairs[i + 1];
    }
}

/* Lease l goes back in the queue as attempt (the next one for a lost lease, the same
 * one for a released lease), committed first; the lease is dropped. */
static int s_requeue(sched_t *self, lease_t *l, int attempt, char *err)
{
    study_t *s = l->study;
    int rc = attempt == l->attempt ? store_trial_release(self->store, l->trial, attempt, err)
                                   : store_trial_requeue(self->store, l->trial, attempt, err);
    if (rc != 0)
        return -1;
    if (!l->final)
        s->pops->finished(s->pruner, l->number, TRIAL_WAITING); /* its curve starts anew */
    s_enqueue(s, l->trial, attempt, l->number, l->final, l->x);
    s_lease_drop(self, l);
    return 0;
}

/* One expired lease: the next attempt goes back in the queue, or the trial fails. */
static int s_expire_one(sched_t *self, lease_t *l, char *err)
{
    study_t *s = l->study;
    int next = l->attempt + 1;
    log_warn("study %s: trial %ld attempt %d lost its lease (worker %s)", s->cfg->name,
             l->number, l->attempt, l->worker);
    if (next > s->cfg->max_retries + 1) {
        char why[HPS_ERR_LEN];
        snprintf(why, sizeof why, "lease lost %d times", l->attempt);
        store_result_t r = {.state = TRIAL_FAIL, .value = NAN, .secs = NAN, .cv_mean = NAN,
                            .cv_std = NAN, .val_score = NAN, .test_score = NAN, .error = why};
        return s_commit(self, l, &r, err);
    }
    return s_requeue(self, l, next, err);
}

/* Expire the leases of worker (NULL = any) that expire before `before`: collected
 * first, as expiring one changes the table. Count expired, or -1 with err. */
static int s_expire_where(sched_t *self, const char *worker, int64_t before, char *err)
{
    int64_t *ids = NULL;
    int n = 0;
    for (lease_t *l = zhashx_first(self->leases); l; l = zhashx_next(self->leases))
        if (l->expires < before && (!worker || strcmp(l->worker, worker) == 0)) {
            ids = xrealloc(ids, sizeof(int64_t) * (size_t)(n + 1));
            ids[n++] = l->trial;
        }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = s_expire_one(self, s_lease_get(self, ids[i]), err);
    free(ids);
    return rc == 0 ? n : -1;
}

int sched_expire(sched_t *self, char *err) { return s_expire_where(self, NULL, s_now(self), err); }

bool sched_broken(const sched_t *self) { return self->broken; }

int sched_release_all(sched_t *self, char *err)
{
    int n = 0;
    lease_t *l;
    while ((l = zhashx_first(self->leases))) {
        if (s_requeue(self, l, l->attempt, err) != 0)
            return -1;
        n++;
    }
    return n;
}

int sched_release_worker(sched_t *self, const char *worker, char *err)
{
    assert(worker);
    return s_expire_where(self, worker, INT64_MAX, err);
}

int sched_leases_of(sched_t *self, const char *worker)
{
    return (int)(intptr_t)zhashx_lookup(self->held, worker);
}

int sched_enqueue(sched_t *self, int64_t study_id, const double *xs, int nx, int n, long *first,
                  char *err)
{
    int64_t *ids = xcalloc((size_t)n, sizeof *ids);
    int rc = store_enqueue(self->store, study_id, xs, nx, n, first, ids, err);
    for (int i = 0; rc == 0 && i < self->n_studies; i++) {
        study_t *s = self->studies[i];
        if (s->id != study_id || s->state == ST_DONE)
            continue; /* a done study is rebuilt from the file when it runs again */
        if (*first != s->next_number || nx != s_nx(s)) {
            self->broken = true;
            rc = set_err(err, "study %s: enqueued as trial %ld, expected %ld", s->cfg->name,
                         *first, s->next_number);
            break;
        }
        for (int k = 0; k < n; k++) {
            const double *x = xs + (size_t)k * (size_t)nx;
            s->sops->started(s->sampler, *first + k, x);
            s_enqueue(s, ids[k], 1, *first + k, false, x);
        }
        s->next_number = *first + n;
    }
    free(ids);
    return rc;
}

bool sched_idle(sched_t *self)
{
    if (zhashx_size(self->leases) > 0)
        return false;
    for (int i = 0; i < self->n_studies; i++)
        if (self->studies[i]->state == ST_RUNNING)
            return false;
    return true;
}

int sched_n_studies(const sched_t *self) { return self->n_studies; }

void sched_study_progress(const sched_t *self, int i, sched_progress_t *out)
{
    assert(i >= 0 && i < self->n_studies);
    const study_t *s = self->studies[i];
    static const char *const names[] = {"running", "done", "stopped"};
    *out = (sched_progress_t){
        .name = s->cfg->name,
        .state = names[s->state],
        .n_trials = s->sampler_done ? s->next_number : s->cfg->n_trials,
        .complete = s->n_ended[TRIAL_COMPLETE],
        .pruned = s->n_ended[TRIAL_PRUNED],
        .fail = s->n_ended[TRIAL_FAIL],
        .running = s->n_leased,
        .has_best = s->has_best,
        .best = s->best_value,
        .wants = s->state == ST_RUNNING &&
                 (s->qlen > 0 || (!s->sampler_done && s->next_number < s->cfg->n_trials)),
        .need = &s->need,
    };
    if (s->has_final && s->final_created)
        out->refit = s->state == ST_DONE ? SCHED_REFIT_DONE : SCHED_REFIT_RUNNING;
    else if (s->has_final && s->state == ST_RUNNING)
        out->refit = SCHED_REFIT_PENDING;
}

void sched_set_clock(sched_t *self, const int64_t *clock)
{
    self->clock = clock;
    int64_t expires = s_now(self) + self->lease_ms;
    for (lease_t *l = zhashx_first(self->leases); l; l = zhashx_next(self->leases))
        l->expires = expires;
}
