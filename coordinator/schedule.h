/* schedule — the coordinator's in-memory view of its studies: per-study sampler and
 * pruner, the queue of re-queued trials, and the leases of running trials.
 *
 * Every transition goes to the store first (one transaction) and only then changes
 * memory, so the in-memory state is always derivable from the DB: sched_new() rebuilds
 * it by replaying each running study's trials in number order. Trials are handed out
 * study by study in round-robin; a lease not renewed by a heartbeat for lease_ms puts
 * the trial back in the queue as the next attempt, or fails it after max_retries. */
#ifndef HPS_SCHEDULE_H
#define HPS_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/capable.h"
#include "core/study.h"
#include "core/store.h"

typedef struct sched_s sched_t;

/* Load every running study of the store (only the one named `only`, when not NULL) and
 * replay it. NULL with err on failure. */
sched_t *sched_new(store_t *store, int lease_ms, const char *only, char *err);
void sched_destroy(sched_t **self_p);

/* What a submit did, for the submitter. */
typedef struct {
    store_plan_kind_t kind; /* core/store.h: created, unchanged, changed, resumed, ... */
    char *text;             /* one line (store_plan_describe); owned */
} sched_outcome_t;
void sched_outcome_clear(sched_outcome_t *o);

/* Add a study, or take it again when one of its name is stored (store_plan): a stopped
 * or done one runs its missing trials, a compatible change (n_trials raised,
 * trial_timeout, max_retries) is stored. Takes ownership of *cfg_p on 0. 0 the study
 * will run (created, resumed, changed or already running), 1 nothing was stored and
 * out->text says why (done already: FINISHED, or a refused difference: REFUSED, with
 * each key), -1 with err. out is filled in both 0 and 1. */
int sched_submit(sched_t *self, study_config_t **cfg_p, sched_outcome_t *out, char *err);

/* A trial handed to a worker; pointers are borrowed until the next sched_* call. */
typedef struct {
    int64_t trial;
    int attempt;
    long number;
    bool final;
    const char *study;
    const double *x;
    int nx;
    const char *config; /* the study's canonical JSON */
    const char *data;   /* dataset sha256, or "" */
    const char *code;   /* packed `code:` sha256, or "" */
    uint64_t seed;
    double timeout;     /* seconds, 0 = none */
    int gpus;           /* GPU devices the trial holds (its study's resources.gpu) */
} sched_lease_t;

enum { SCHED_LEASED = 0, SCHED_NOTHING = 1, SCHED_ALL_DONE = 2 };
/* Lease the next trial to worker: SCHED_LEASED (out filled), SCHED_NOTHING (try later),
 * SCHED_ALL_DONE (no study will ever have work again), or -1 with err. */
int sched_next(sched_t *self, const char *worker, sched_lease_t *out, char *err);
/* sched_next among the studies worker can run (caps: capable_can_run) whose resources
 * per trial fit in what caps offers beyond its other leases' (capable_fits); caps NULL
 * = any study. */
int sched_next_for(sched_t *self, const char *worker, const capable_t *caps,
                   sched_lease_t *out, char *err);

enum { TELL_RECORDED = 0, TELL_DUPLICATE = 1, TELL_STALE = 2 };
/* A worker's final result for (trial, attempt): TELL_RECORDED (committed now),
 * TELL_DUPLICATE (committed before), TELL_STALE (a superseded attempt; logged), or -1
 * with err (no such trial, or an attempt that was never handed out). */
int sched_tell(sched_t *self, int64_t trial, int attempt, const store_result_t *r, char *err);

/* Whether worker may send a result or report for (trial, attempt): 0 yes, 1 no (err
 * names the holder), -1 with err. The leased attempt is the lease holder's alone; a
 * trial without a lease, the worker the file names for its running attempt. Other
 * attempts are for sched_tell to judge (a superseded one is logged stale). */
int sched_check_holder(sched_t *self, const char *worker, int64_t trial, int attempt,
                       char *err);
/* Stricter, for an upload that names its trial: 0 only when (trial, attempt) is running
 * now and held by worker; 1 otherwise (err says why), -1 with err. */
int sched_check_running(sched_t *self, const char *worker, int64_t trial, int attempt,
                        char *err);

/* An intermediate value: *prune says whether the trial should stop. A report for an
 * attempt that is not the leased one answers prune. -1 with err on a DB error. */
int sched_report(sched_t *self, int64_t trial, int attempt, long step, double value,
                 bool *prune, char *err);

/* Renew worker's leases named in pairs (trial, attempt, ...). Pairs that are not
 * leased to this worker any more are returned in *cancel (caller frees). */
void sched_heartbeat(sched_t *self, const char *worker, const int64_t *pairs, int n,
                     int64_t **cancel, int *n_cancel);
/* Requeue or fail every lease past its expiry; returns how many, or -1 with err. */
int sched_expire(sched_t *self, char *err);
/* Requeue (as the next attempt) every lease held by worker: a new process took its
 * name, so the old one and its trials are gone. Returns how many, or -1 with err. */
int sched_release_worker(sched_t *self, const char *worker, char *err);
/* Put every lease back in the queue as the same attempt (not a failure, no retry used
 * up), committed first: the caller stopped all workers (an interrupted `hps run`).
 * Returns how many, or -1 with err. */
int sched_release_all(sched_t *self, char *err);
/* True after a state change failed halfway (stored, but not all that follows from
 * it): the coordinator must stop, and a restart replays the file. */
bool sched_broken(const sched_t *self);
/* Number of leases held by worker. */
int sched_leases_of(sched_t *self, const char *worker);
/* Stop a study: no new trials; running ones may still report. 1 = no such study. */
int sched_stop(sched_t *self, const char *name, char *err);
/* Enqueue n points (nx internal values each, checked: store_enqueue_check) into study
 * study_id as WAITING search trials numbered from *first, stored first; a held study's
 * queue (served before any proposal) and sampler take them at once. 0 or -1 with err. */
int sched_enqueue(sched_t *self, int64_t study_id, const double *xs, int nx, int n, long *first,
                  char *err);
/* True when every study is done or stopped and nothing is leased. */
bool sched_idle(sched_t *self);
enum { SCHED_REFIT_NONE, SCHED_REFIT_PENDING, SCHED_REFIT_RUNNING, SCHED_REFIT_DONE };
/* Where a study stands, for progress lines. Counts are of search trials; the final
 * refit (kind: final) is the refit field alone. */
typedef struct {
    const char *name;          /* borrowed until the next sched_* call */
    const char *state;         /* running | done | stopped */
    long n_trials;             /* planned (what a grid had, when it ran out early) */
    long complete, pruned, fail; /* ended so far: "done" is their sum */
    long running;              /* leases held, the refit's included */
    bool has_best;
    double best;               /* raw value of the best COMPLETE trial */
    int refit;                 /* SCHED_REFIT_* */
    bool wants;                /* running, with trials to hand out now */
    const capable_need_t *need; /* what its trials need of a worker */
} sched_progress_t;
/* Studies known to this scheduler (running at start, or submitted since); never shrinks. */
int sched_n_studies(const sched_t *self);
/* Progress of study i (0 <= i < sched_n_studies). This function can't fail. */
void sched_study_progress(const sched_t *self, int i, sched_progress_t *out);

/* Read the time (ms) from *clock instead of the monotonic clock, so that a test moves
 * time by hand; NULL goes back to now_ms(). Every lease held expires lease_ms from the
 * new clock's now. This function can't fail. */
void sched_set_clock(sched_t *self, const int64_t *clock);

void schedule_test(bool verbose);

#endif
