/* schedule_test — the scheduler's state machines driven through sched_* directly, with
 * no sockets: a real SQLite file in a temp dir and a hand-moved clock (sched_set_clock).
 * Leases and round-robin, heartbeats, expiry and retries up to max_retries, stale and
 * repeated TELLs, release of a restarted worker's leases, stop and done, the final refit
 * created once after the search, a grid's points each run exactly once, and a new
 * scheduler on the same file replaying what the old one left. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/schedule.h"
#include "coordinator/study_check.h"
#include "core/log.h"

#define LEASE_MS 1000

typedef struct {
    char path[64];  /* the study file */
    store_t *store;
    sched_t *sched;
    int64_t now;    /* the scheduler's clock, ms */
    char err[HPS_ERR_LEN];
} fx_t;

/* A search space of one float in [0, 1]; extra is more top-level YAML keys. */
#define STUDY(name, extra)                                                                   \
    "{study: " name ", objective: {type: synthetic, function: sphere}, "                     \
    "space: {x: {type: float, low: 0, high: 1}}, sampler: {type: random, seed: 7}, " extra "}"

static void s_open(fx_t *f)
{
    f->store = store_open(f->path, true, false, f->err);
    assert(f->store);
    f->sched = sched_new(f->store, LEASE_MS, NULL, f->err);
    if (!f->sched)
        fprintf(stderr, "schedule_test: %s\n", f->err);
    assert(f->sched);
    sched_set_clock(f->sched, &f->now);
}

/* A fresh study file in dir, named name. */
static void s_fixture(fx_t *f, const char *dir, const char *name)
{
    memset(f, 0, sizeof *f);
    f->now = 1000000;
    snprintf(f->path, sizeof f->path, "%s/%s.db", dir, name);
    s_open(f);
}

static void s_close(fx_t *f)
{
    sched_destroy(&f->sched);
    store_close(&f->store);
}

/* A coordinator restart: a new scheduler on the same file. */
static void s_reopen(fx_t *f)
{
    s_close(f);
    s_open(f);
}

static void s_submit(fx_t *f, const char *yaml)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *cfg = study_config_from_json(yaml, &study_check_all, &errs);
    if (!cfg)
        fprintf(stderr, "schedule_test: %s\n", errs.n ? errs.msgs[0] : "?");
    cfg_errs_free(&errs);
    assert(cfg);
    sched_outcome_t out;
    assert(sched_submit(f->sched, &cfg, &out, f->err) == 0 && !cfg);
    assert(out.kind == STORE_PLAN_CREATE);
    sched_outcome_clear(&out);
}

/* Submit yaml again: sched_submit's result rc and outcome kind. */
static void s_resubmit(fx_t *f, const char *yaml, int rc, store_plan_kind_t kind)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *cfg = study_config_from_json(yaml, &study_check_all, &errs);
    cfg_errs_free(&errs);
    sched_outcome_t out;
    assert(cfg && sched_submit(f->sched, &cfg, &out, f->err) == rc && out.kind == kind);
    assert(rc == 0 ? !cfg : cfg != NULL);
    study_config_destroy(&cfg);
    sched_outcome_clear(&out);
}

/* A lease as the test keeps it: sched_lease_t's pointers are borrowed until the next
 * sched_* call, so the study name and the (single) parameter are copied. */
typedef struct {
    int64_t trial;
    int attempt;
    long number;
    bool final;
    char study[16];
    double x;
} lease_t;

/* Lease the next trial to worker (there must be one). */
static lease_t s_lease(fx_t *f, const char *worker)
{
    sched_lease_t l;
    int rc = sched_next(f->sched, worker, &l, f->err);
    assert(rc == SCHED_LEASED && l.nx == 1 && strlen(l.study) < 16);
    lease_t out = {l.trial, l.attempt, l.number, l.final, "", l.x[0]};
    snprintf(out.study, sizeof out.study, "%s", l.study);
    return out;
}

static int s_tell(fx_t *f, int64_t trial, int attempt, trial_state_t state, double value)
{
    store_result_t r = {.state = state, .value = value, .secs = 0.1, .cv_mean = NAN,
                        .cv_std = NAN, .val_score = NAN, .test_score = value};
    return sched_tell(f->sched, trial, attempt, &r, f->err);
}

static void s_complete(fx_t *f, const lease_t *l, double value)
{
    assert(s_tell(f, l->trial, l->attempt, TRIAL_COMPLETE, value) == TELL_RECORDED);
}

/* State and attempt of a stored trial. */
static void s_stored(fx_t *f, int64_t trial, trial_state_t state, int attempt)
{
    trial_state_t st;
    int at;
    assert(store_trial_state(f->store, trial, &st, &at, f->err) == 0);
    assert(st == state && at == attempt);
}

static void s_progress(fx_t *f, int i, sched_progress_t *p)
{
    assert(i < sched_n_studies(f->sched));
    sched_study_progress(f->sched, i, p);
}

/* The stored state of study name: "running", "done" or "stopped". */
static void s_study_state(fx_t *f, const char *name, const char *state)
{
    store_study_t s;
    assert(store_study_get(f->store, name, &s, f->err) == 0);
    assert(strcmp(s.state, state) == 0);
    store_study_clear(&s);
}

/* Stored trials of a study, by kind and state, and their parameters. */
typedef struct {
    int n, n_final;
    int by_state[TRIAL_NSTATES];
    double x[64];
    double value[64];
    long number[64];
} census_t;

static int s_census_cb(void *arg, const store_trial_t *t)
{
    census_t *c = arg;
    if (t->final) {
        c->n_final++;
        return 0;
    }
    assert(c->n < 64 && t->nx == 1);
    c->x[c->n] = t->x[0];
    c->value[c->n] = t->value;
    c->number[c->n] = t->number;
    c->by_state[t->state]++;
    c->n++;
    return 0;
}

static census_t s_census(fx_t *f, const char *name)
{
    store_study_t s;
    assert(store_study_get(f->store, name, &s, f->err) == 0);
    census_t c = {0};
    assert(store_trials_each(f->store, s.id, s_census_cb, &c, f->err) == 0);
    store_study_clear(&s);
    return c;
}

/* How many TELLs the file logged as stale. */
static int s_stale_tells(fx_t *f)
{
    long n;
    assert(store_stale_tells(f->store, &n, f->err) == 0);
    return (int)n;
}

/* ---- leases, heartbeats, done -------------------------------------------------------- */

static void s_test_lease_done(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "lease");
    s_submit(&f, STUDY("a", "n_trials: 3"));
    lease_t l[3];
    for (int i = 0; i < 3; i++) {
        l[i] = s_lease(&f, i == 2 ? "w2" : "w1");
        assert(l[i].number == i && l[i].attempt == 1 && !l[i].final);
        assert(strcmp(l[i].study, "a") == 0 && l[i].x >= 0 && l[i].x <= 1);
        s_stored(&f, l[i].trial, TRIAL_RUNNING, 1);
    }
    assert(l[0].trial != l[1].trial && l[1].trial != l[2].trial);
    sched_lease_t none;
    assert(sched_next(f.sched, "w1", &none, f.err) == SCHED_NOTHING); /* n_trials reached */
    assert(sched_leases_of(f.sched, "w1") == 2 && sched_leases_of(f.sched, "w2") == 1);
    assert(!sched_idle(f.sched));

    /* Heartbeats renew the holder's leases; anything else comes back to cancel. */
    int64_t pairs[] = {l[0].trial, 1, l[1].trial, 2, l[2].trial, 1, 999, 1};
    int64_t *cancel;
    int n_cancel;
    sched_heartbeat(f.sched, "w1", pairs, 8, &cancel, &n_cancel);
    assert(n_cancel == 6); /* wrong attempt, another worker's lease, no such trial */
    assert(cancel[0] == l[1].trial && cancel[1] == 2 && cancel[2] == l[2].trial);
    assert(cancel[4] == 999);
    free(cancel);
    sched_heartbeat(f.sched, "w2", pairs + 4, 2, &cancel, &n_cancel);
    assert(n_cancel == 0 && !cancel);

    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(p.running == 3 && p.complete == 0 && !p.has_best && strcmp(p.state, "running") == 0);
    assert(p.refit == SCHED_REFIT_NONE && p.n_trials == 3);
    s_complete(&f, &l[1], 0.25);
    assert(s_tell(&f, l[0].trial, 1, TRIAL_PRUNED, 0.5) == TELL_RECORDED);
    s_progress(&f, 0, &p);
    assert(p.complete == 1 && p.pruned == 1 && p.running == 1 && p.has_best && p.best == 0.25);
    s_study_state(&f, "a", "running");
    s_complete(&f, &l[2], 0.125);
    s_progress(&f, 0, &p);
    assert(strcmp(p.state, "done") == 0 && p.running == 0 && p.best == 0.125);
    s_study_state(&f, "a", "done");
    s_stored(&f, l[2].trial, TRIAL_COMPLETE, 1);
    assert(sched_idle(f.sched));
    assert(sched_next(f.sched, "w1", &none, f.err) == SCHED_ALL_DONE);

    /* Done: the same config has nothing to run, a lower n_trials is refused; a raised
     * one continues the numbering, in place of the done study. */
    s_resubmit(&f, STUDY("a", "n_trials: 3"), 1, STORE_PLAN_FINISHED);
    s_resubmit(&f, STUDY("a", "n_trials: 2"), 1, STORE_PLAN_REFUSED);
    s_study_state(&f, "a", "done");
    s_resubmit(&f, STUDY("a", "n_trials: 4"), 0, STORE_PLAN_RESUME);
    assert(sched_n_studies(f.sched) == 1);
    s_study_state(&f, "a", "running");
    lease_t l3 = s_lease(&f, "w1");
    assert(l3.number == 3);
    s_complete(&f, &l3, 0.5);
    s_study_state(&f, "a", "done");
    s_progress(&f, 0, &p);
    assert(p.complete == 3 && p.pruned == 1 && p.n_trials == 4 && p.best == 0.125);
    s_close(&f);
}

/* ---- expiry and retries ---------------------------------------------------------------- */

static void s_test_expiry(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "expiry");
    s_submit(&f, STUDY("e", "n_trials: 1, max_retries: 1"));
    lease_t a = s_lease(&f, "w1");
    f.now += LEASE_MS;
    assert(sched_expire(f.sched, f.err) == 0); /* at the deadline, not past it */
    int64_t pair[] = {a.trial, 1}, *cancel;
    int n_cancel;
    sched_heartbeat(f.sched, "w1", pair, 2, &cancel, &n_cancel); /* renewed from now */
    assert(n_cancel == 0);
    f.now += LEASE_MS;
    assert(sched_expire(f.sched, f.err) == 0);
    f.now += 1;
    assert(sched_expire(f.sched, f.err) == 1);
    s_stored(&f, a.trial, TRIAL_WAITING, 2);
    assert(sched_leases_of(f.sched, "w1") == 0);
    sched_heartbeat(f.sched, "w1", pair, 2, &cancel, &n_cancel); /* the lease is gone */
    assert(n_cancel == 2 && cancel[0] == a.trial);
    free(cancel);

    /* The retry: the same trial, number and point as the next attempt. */
    lease_t b = s_lease(&f, "w2");
    assert(b.trial == a.trial && b.attempt == 2 && b.number == 0 && b.x == a.x);
    s_stored(&f, a.trial, TRIAL_RUNNING, 2);
    f.now += LEASE_MS + 1;
    /* max_retries 1: a second lost lease fails the trial, which ends the study. */
    assert(sched_expire(f.sched, f.err) == 1);
    s_stored(&f, a.trial, TRIAL_FAIL, 2);
    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(p.fail == 1 && p.running == 0 && !p.has_best && strcmp(p.state, "done") == 0);
    assert(s_tell(&f, a.trial, 2, TRIAL_COMPLETE, 1) == TELL_DUPLICATE); /* too late */
    s_stored(&f, a.trial, TRIAL_FAIL, 2);
    s_close(&f);
}

/* ---- stale and repeated TELLs, REPORTs ---------------------------------------------- */

static void s_test_stale(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "stale");
    s_submit(&f, STUDY("s", "n_trials: 1, pruner: {type: median}"));
    lease_t a = s_lease(&f, "w1");
    bool prune = true;
    assert(sched_report(f.sched, a.trial, 1, 1, 0.5, &prune, f.err) == 0 && !prune);
    f.now += LEASE_MS + 1;
    assert(sched_expire(f.sched, f.err) == 1);
    lease_t b = s_lease(&f, "w2");
    assert(b.trial == a.trial && b.attempt == 2);
    /* The leased attempt is w2's alone; the superseded one is sched_tell's to judge. */
    assert(sched_check_holder(f.sched, "w2", b.trial, 2, f.err) == 0);
    assert(sched_check_holder(f.sched, "w1", b.trial, 2, f.err) == 1 && strstr(f.err, "another"));
    assert(sched_check_holder(f.sched, "w1", a.trial, 1, f.err) == 0);

    /* The old attempt still reports and tells: pruned, logged stale, nothing changes. */
    assert(sched_report(f.sched, a.trial, 1, 2, 0.4, &prune, f.err) == 0 && prune);
    assert(s_stale_tells(&f) == 0);
    assert(s_tell(&f, a.trial, 1, TRIAL_COMPLETE, 0.75) == TELL_STALE);
    assert(s_stale_tells(&f) == 1);
    s_stored(&f, a.trial, TRIAL_RUNNING, 2);
    assert(sched_leases_of(f.sched, "w2") == 1);
    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(p.complete == 0 && p.running == 1 && !p.has_best);

    /* An attempt never handed out, and a trial that does not exist, are errors. */
    assert(s_tell(&f, a.trial, 3, TRIAL_COMPLETE, 0.1) == -1 && strstr(f.err, "never"));
    assert(s_tell(&f, 12345, 1, TRIAL_COMPLETE, 0.1) == -1 && strstr(f.err, "no trial"));

    /* The current attempt is recorded once; its repeat (a lost ACK) is a duplicate. */
    s_complete(&f, &b, 0.5);
    assert(s_tell(&f, b.trial, 2, TRIAL_COMPLETE, 0.9) == TELL_DUPLICATE);
    assert(s_tell(&f, a.trial, 1, TRIAL_COMPLETE, 0.75) == TELL_STALE);
    census_t c = s_census(&f, "s");
    assert(c.n == 1 && c.by_state[TRIAL_COMPLETE] == 1 && c.value[0] == 0.5);
    s_progress(&f, 0, &p);
    assert(p.complete == 1 && p.best == 0.5 && strcmp(p.state, "done") == 0);
    s_close(&f);
}

/* ---- a restarted worker, an interrupted run ------------------------------------------ */

static void s_test_release(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "release");
    s_submit(&f, STUDY("r", "n_trials: 3, max_retries: 1"));
    lease_t a = s_lease(&f, "w1"), b = s_lease(&f, "w1"), c = s_lease(&f, "w2");
    assert(sched_release_worker(f.sched, "nobody", f.err) == 0);
    /* w1 came back as a new process: its trials are lost, each as one failed attempt. */
    assert(sched_release_worker(f.sched, "w1", f.err) == 2);
    assert(sched_leases_of(f.sched, "w1") == 0 && sched_leases_of(f.sched, "w2") == 1);
    s_stored(&f, a.trial, TRIAL_WAITING, 2);
    s_stored(&f, b.trial, TRIAL_WAITING, 2);
    s_stored(&f, c.trial, TRIAL_RUNNING, 1);
    /* Release order is the lease table's, so either comes first. */
    lease_t lost = s_lease(&f, "w1");
    assert((lost.trial == a.trial || lost.trial == b.trial) && lost.attempt == 2);
    assert(lost.number == (lost.trial == a.trial ? a.number : b.number));
    int64_t other = lost.trial == a.trial ? b.trial : a.trial;
    assert(sched_release_worker(f.sched, "w1", f.err) == 1); /* no retries left */
    s_stored(&f, lost.trial, TRIAL_FAIL, 2);

    /* Stopping every worker on purpose (hps run interrupted) costs no attempt. */
    assert(sched_release_all(f.sched, f.err) == 1);
    s_stored(&f, c.trial, TRIAL_WAITING, 1);
    assert(sched_leases_of(f.sched, "w2") == 0);
    lease_t b2 = s_lease(&f, "w3"), c2 = s_lease(&f, "w3");
    assert(b2.trial == other && b2.attempt == 2 && c2.trial == c.trial && c2.attempt == 1);
    s_complete(&f, &b2, 0.5);
    s_complete(&f, &c2, 0.25);
    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(p.complete == 2 && p.fail == 1 && strcmp(p.state, "done") == 0);
    s_close(&f);
}

/* ---- stop, round-robin ----------------------------------------------------------------- */

/* max_consecutive_failures: a COMPLETE resets the count; the Nth FAIL in a row stops
 * the study (a running one may still report); without the key nothing stops. */
static void s_test_fail_streak(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "streak");
    s_submit(&f, STUDY("a", "n_trials: 20, max_consecutive_failures: 3"));
    const trial_state_t seq[] = {TRIAL_FAIL, TRIAL_FAIL, TRIAL_COMPLETE, TRIAL_FAIL,
                                 TRIAL_FAIL};
    for (size_t i = 0; i < sizeof seq / sizeof *seq; i++) {
        lease_t l = s_lease(&f, "w");
        assert(s_tell(&f, l.trial, l.attempt, seq[i], 0.5) == TELL_RECORDED);
    }
    s_study_state(&f, "a", "running");
    lease_t l = s_lease(&f, "w"), late = s_lease(&f, "w");
    assert(s_tell(&f, l.trial, l.attempt, TRIAL_FAIL, NAN) == TELL_RECORDED);
    s_study_state(&f, "a", "stopped");
    sched_lease_t none;
    assert(sched_next(f.sched, "w", &none, f.err) == SCHED_NOTHING);
    s_complete(&f, &late, 0.5);
    s_study_state(&f, "a", "stopped");
    s_close(&f);

    s_fixture(&f, dir, "nostreak");
    s_submit(&f, STUDY("b", "n_trials: 6"));
    for (int i = 0; i < 6; i++) {
        lease_t t = s_lease(&f, "w");
        assert(s_tell(&f, t.trial, t.attempt, TRIAL_FAIL, NAN) == TELL_RECORDED);
    }
    s_study_state(&f, "b", "done");
    s_close(&f);
}

static void s_test_stop(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "stop");
    s_submit(&f, STUDY("a", "n_trials: 5"));
    s_submit(&f, STUDY("b", "n_trials: 2"));
    lease_t a0 = s_lease(&f, "w"), b0 = s_lease(&f, "w"), a1 = s_lease(&f, "w");
    assert(strcmp(a0.study, "a") == 0 && strcmp(b0.study, "b") == 0); /* round-robin */
    assert(strcmp(a1.study, "a") == 0 && a1.number == 1);
    assert(sched_stop(f.sched, "nope", f.err) == 1);
    assert(sched_stop(f.sched, "a", f.err) == 0);
    assert(sched_stop(f.sched, "a", f.err) == 0); /* already stopped: nothing to do */
    s_study_state(&f, "a", "stopped");
    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(strcmp(p.state, "stopped") == 0 && p.running == 2);
    /* Only b hands out trials now; a's running trials may still report. */
    lease_t b1 = s_lease(&f, "w");
    assert(strcmp(b1.study, "b") == 0);
    sched_lease_t none;
    assert(sched_next(f.sched, "w", &none, f.err) == SCHED_NOTHING);
    s_complete(&f, &a0, 0.5);
    s_complete(&f, &b0, 0.5);
    s_complete(&f, &b1, 0.5);
    s_study_state(&f, "b", "done");
    assert(!sched_idle(f.sched)); /* a1 is still leased */
    assert(sched_next(f.sched, "w", &none, f.err) == SCHED_NOTHING);
    s_complete(&f, &a1, 0.5);
    s_progress(&f, 0, &p);
    assert(strcmp(p.state, "stopped") == 0 && p.complete == 2 && p.running == 0);
    assert(sched_idle(f.sched));
    assert(sched_next(f.sched, "w", &none, f.err) == SCHED_ALL_DONE);
    s_study_state(&f, "a", "stopped");
    /* A restart resumes running studies only. */
    s_reopen(&f);
    assert(sched_n_studies(f.sched) == 0 && sched_idle(f.sched));
    /* A stopped study resubmitted runs again, numbering on: from the file, then (stopped
     * again with a trial running) in memory. */
    s_resubmit(&f, STUDY("a", "n_trials: 5"), 0, STORE_PLAN_RESUME);
    s_study_state(&f, "a", "running");
    lease_t a2 = s_lease(&f, "w");
    assert(a2.number == 2);
    assert(sched_stop(f.sched, "a", f.err) == 0);
    s_resubmit(&f, STUDY("a", "n_trials: 5, trial_timeout: 9"), 0, STORE_PLAN_RESUME);
    s_resubmit(&f, STUDY("a", "n_trials: 5, trial_timeout: 9"), 0, STORE_PLAN_UNCHANGED);
    lease_t a3 = s_lease(&f, "w");
    assert(a3.number == 3 && sched_n_studies(f.sched) == 1);
    s_close(&f);
}

/* A stopped study's running trial after a restart has no lease: the file names its
 * worker, and only that worker's result is taken. */
static void s_test_holder_unleased(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "holder");
    s_submit(&f, STUDY("h", "n_trials: 2"));
    lease_t a = s_lease(&f, "w1");
    assert(sched_stop(f.sched, "h", f.err) == 0);
    s_reopen(&f);
    assert(sched_check_holder(f.sched, "w2", a.trial, 1, f.err) == 1 && strstr(f.err, "another"));
    assert(sched_check_holder(f.sched, "w1", a.trial, 1, f.err) == 0);
    assert(sched_check_holder(f.sched, "w2", 12345, 1, f.err) == 0); /* sched_tell: no trial */
    s_complete(&f, &a, 0.5);
    assert(sched_check_holder(f.sched, "w2", a.trial, 1, f.err) == 0); /* a duplicate now */
    s_close(&f);
}

/* ---- the final refit ------------------------------------------------------------------- */

static void s_test_final(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "final");
    s_submit(&f, STUDY("f", "n_trials: 2, strategy: {type: quick}"));
    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(p.refit == SCHED_REFIT_PENDING);
    lease_t a = s_lease(&f, "w1"), b = s_lease(&f, "w2");
    s_complete(&f, &a, 0.5);
    s_complete(&f, &b, 0.25);
    assert(s_tell(&f, b.trial, 1, TRIAL_COMPLETE, 0.25) == TELL_DUPLICATE);
    s_progress(&f, 0, &p);
    assert(p.refit == SCHED_REFIT_RUNNING && strcmp(p.state, "running") == 0);
    assert(s_census(&f, "f").n_final == 1);

    /* The refit runs on the best point; a restart while it runs does not add another. */
    lease_t r = s_lease(&f, "w1");
    assert(r.final && r.number == -1 && r.attempt == 1 && r.x == b.x);
    s_reopen(&f);
    assert(sched_leases_of(f.sched, "w1") == 1);
    census_t c = s_census(&f, "f");
    assert(c.n == 2 && c.n_final == 1);
    sched_lease_t none;
    assert(sched_next(f.sched, "w2", &none, f.err) == SCHED_NOTHING);
    s_complete(&f, &r, 0.75); /* the replayed lease takes the worker's TELL */
    s_progress(&f, 0, &p);
    assert(p.refit == SCHED_REFIT_DONE && strcmp(p.state, "done") == 0);
    assert(p.complete == 2 && p.best == 0.25 && p.n_trials == 2); /* counts are search only */
    s_study_state(&f, "f", "done");
    assert(s_census(&f, "f").n_final == 1);
    assert(sched_next(f.sched, "w2", &none, f.err) == SCHED_ALL_DONE);
    s_close(&f);

    /* No complete trial, nothing to refit: done without one. */
    s_fixture(&f, dir, "nofinal");
    s_submit(&f, STUDY("g", "n_trials: 1, strategy: {type: quick}"));
    a = s_lease(&f, "w1");
    assert(s_tell(&f, a.trial, 1, TRIAL_FAIL, NAN) == TELL_RECORDED);
    s_study_state(&f, "g", "done");
    assert(s_census(&f, "g").n_final == 0);
    s_close(&f);
}

/* ---- a grid: every point once ---------------------------------------------------------- */

static void s_test_grid(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "grid");
    s_submit(&f, "{study: g, n_trials: 100, objective: {type: synthetic, function: sphere}, "
                 "space: {x: {type: float, low: 0, high: 1, step: 0.2}}, sampler: {type: grid}}");
    lease_t l[6];
    for (int i = 0; i < 6; i++)
        l[i] = s_lease(&f, i % 2 ? "w1" : "w2");
    sched_lease_t none;
    assert(sched_next(f.sched, "w1", &none, f.err) == SCHED_NOTHING); /* grid exhausted */
    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(p.n_trials == 6 && p.running == 6);
    /* A lost point is run again as the same trial, not as a new point. */
    assert(sched_release_worker(f.sched, "w1", f.err) == 3);
    for (int k = 0; k < 3; k++) {
        lease_t again = s_lease(&f, "w3");
        int i = 1;
        while (i < 6 && again.trial != l[i].trial)
            i += 2; /* w1 held the odd ones, released in the lease table's order */
        assert(i < 6 && again.x == l[i].x && again.number == l[i].number);
        assert(again.attempt == 2);
        l[i] = again;
    }
    assert(sched_next(f.sched, "w3", &none, f.err) == SCHED_NOTHING);
    for (int i = 0; i < 6; i++)
        s_complete(&f, &l[i], l[i].x);
    census_t c = s_census(&f, "g");
    assert(c.n == 6 && c.by_state[TRIAL_COMPLETE] == 6);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < i; j++)
            assert(c.x[i] != c.x[j]);
    s_progress(&f, 0, &p);
    assert(strcmp(p.state, "done") == 0 && p.complete == 6);
    s_close(&f);
}

/* ---- replay after a coordinator restart ------------------------------------------------ */

static void s_test_replay(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "replay");
    s_submit(&f, STUDY("p", "n_trials: 5"));
    lease_t l[4];
    for (int i = 0; i < 4; i++)
        l[i] = s_lease(&f, i < 2 ? "w1" : "w2");
    s_complete(&f, &l[0], 0.5);
    f.now += LEASE_MS / 2;
    int64_t *cancel, hb1[] = {l[1].trial, 1}, hb2[] = {l[2].trial, 1};
    int n_cancel;
    sched_heartbeat(f.sched, "w1", hb1, 2, &cancel, &n_cancel);
    assert(n_cancel == 0);
    sched_heartbeat(f.sched, "w2", hb2, 2, &cancel, &n_cancel);
    assert(n_cancel == 0);
    f.now += LEASE_MS / 2 + 1;
    assert(sched_expire(f.sched, f.err) == 1); /* l[3] is WAITING at the restart */
    s_stored(&f, l[3].trial, TRIAL_WAITING, 2);
    s_reopen(&f);

    /* Counts, best and leases come back from the file, leases with a fresh grace period. */
    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(p.complete == 1 && p.best == 0.5 && p.running == 2 && strcmp(p.state, "running") == 0);
    assert(sched_leases_of(f.sched, "w1") == 1 && sched_leases_of(f.sched, "w2") == 1);
    s_complete(&f, &l[1], 0.25); /* w1 finished while the coordinator was down */
    f.now += LEASE_MS;
    assert(sched_expire(f.sched, f.err) == 0);
    f.now += 1;
    assert(sched_expire(f.sched, f.err) == 1); /* w2 never came back */
    s_stored(&f, l[2].trial, TRIAL_WAITING, 2);

    /* The queue as it was (l[3], then the lost l[2]), then numbering goes on from 4. */
    lease_t q3 = s_lease(&f, "w3"), q2 = s_lease(&f, "w3"), n4 = s_lease(&f, "w3");
    assert(q3.trial == l[3].trial && q3.attempt == 2 && q3.x == l[3].x);
    assert(q2.trial == l[2].trial && q2.attempt == 2 && q2.number == 2);
    assert(n4.number == 4 && n4.attempt == 1);
    sched_lease_t none;
    assert(sched_next(f.sched, "w3", &none, f.err) == SCHED_NOTHING);
    s_complete(&f, &q3, 0.125);
    s_complete(&f, &q2, 1);
    s_reopen(&f); /* once more, between two results */
    s_complete(&f, &n4, 1);
    census_t c = s_census(&f, "p");
    assert(c.n == 5 && c.by_state[TRIAL_COMPLETE] == 5);
    for (int i = 0; i < 5; i++)
        assert(c.number[i] == i);
    s_progress(&f, 0, &p);
    assert(strcmp(p.state, "done") == 0 && p.complete == 5 && p.best == 0.125);
    s_study_state(&f, "p", "done");
    s_close(&f);

    /* The replayed sampler goes on as one that never stopped would have. */
    s_fixture(&f, dir, "noreplay");
    s_submit(&f, STUDY("p", "n_trials: 5"));
    for (int i = 0; i < 5; i++)
        assert(s_lease(&f, "w").x == c.x[i]);
    s_close(&f);
}

/* Leases only to capable workers, and no more at once than their resources cover. */
static void s_test_capable(const char *dir)
{
    fx_t f;
    s_fixture(&f, dir, "capable");
    s_submit(&f, STUDY("g", "n_trials: 5, resources: {gpu: 1}"));
    char err[HPS_ERR_LEN];
    capable_t none = {.declared = true, .n_objectives = -1}, two = none;
    assert(capable_parse("gpu=2", true, &two.res, err) == 0);
    sched_lease_t l[3];
    assert(sched_next_for(f.sched, "b", &none, &l[0], f.err) == SCHED_NOTHING);
    assert(sched_next_for(f.sched, "a", &two, &l[0], f.err) == SCHED_LEASED && l[0].gpus == 1);
    assert(sched_next_for(f.sched, "a", &two, &l[1], f.err) == SCHED_LEASED);
    assert(sched_next_for(f.sched, "a", &two, &l[2], f.err) == SCHED_NOTHING);
    lease_t done = {l[0].trial, l[0].attempt, l[0].number, false, "g", 0};
    s_complete(&f, &done, 0.5);
    assert(sched_next_for(f.sched, "a", &two, &l[2], f.err) == SCHED_LEASED);
    assert(sched_release_worker(f.sched, "a", f.err) == 2); /* its GPUs are free again */
    assert(sched_next_for(f.sched, "a", &two, &l[0], f.err) == SCHED_LEASED);
    assert(sched_next_for(f.sched, "a", &two, &l[1], f.err) == SCHED_LEASED);
    sched_progress_t p;
    s_progress(&f, 0, &p);
    assert(p.wants && capable_need_amount(p.need, "gpu") == 1);
    capable_clear(&two);
    s_close(&f);
}

void schedule_test(bool verbose)
{
    if (!verbose)
        log_set_level(LL_ERROR); /* lost leases and state changes are logged as they go */
    char dir[] = "/tmp/hps-schedule-XXXXXX";
    assert(mkdtemp(dir));
    s_test_lease_done(dir);
    s_test_expiry(dir);
    s_test_stale(dir);
    s_test_release(dir);
    s_test_stop(dir);
    s_test_fail_streak(dir);
    s_test_holder_unleased(dir);
    s_test_final(dir);
    s_test_grid(dir);
    s_test_replay(dir);
    s_test_capable(dir);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert(system(cmd) == 0);
    free(cmd);
    if (verbose)
        printf("schedule_test: ok\n");
}
