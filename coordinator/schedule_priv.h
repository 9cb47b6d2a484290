/* schedule_priv — what schedule.c and schedule_life.c share: the scheduler's studies,
 * queue and leases, and the study helpers the lifecycle (submit, resume, stop) calls.
 * Internal to coordinator/schedule*.c. */
#ifndef HPS_SCHEDULE_PRIV_H
#define HPS_SCHEDULE_PRIV_H

#include <czmq.h>

#include "coordinator/schedule.h"
#include "core/capable.h"
#include "samplers/pruner.h"
#include "samplers/sampler.h"

typedef enum { ST_RUNNING, ST_DONE, ST_STOPPED } study_state_t;

typedef struct {
    int64_t trial;
    int attempt;
    long number;
    bool final;
    double *x; /* owned */
} qitem_t;

typedef struct {
    int64_t id;
    study_config_t *cfg;        /* owned */
    const sampler_ops_t *sops;
    void *sampler;
    const pruner_ops_t *pops;
    void *pruner;
    uint64_t seed;
    char data[65];              /* dataset sha256 or "" */
    char code[65];              /* packed `code:` sha256 or "" */
    study_state_t state;
    long next_number;           /* search trials created so far */
    long n_finished;            /* search trials COMPLETE, PRUNED or FAIL */
    long n_ended[TRIAL_NSTATES]; /* n_finished by state (progress lines) */
    long fail_streak;           /* search trials ended FAIL since the last that did not */
    long n_leased;              /* leases held (search + final) */
    bool sampler_done;          /* the sampler has no more points (grid) */
    bool has_final;             /* a final refit on the test split follows the search */
    bool final_created;
    bool has_best;
    double best_value;          /* raw value of the best COMPLETE search trial */
    int64_t best_trial;
    double *best_x;             /* owned */
    qitem_t *queue;             /* WAITING trials, FIFO from qhead; owned */
    int qhead, qlen, qcap;
    capable_need_t need;        /* what one trial needs of a worker (core/capable.h) */
} study_t;

typedef struct {
    int64_t trial;
    int attempt;
    long number;
    bool final;
    study_t *study;
    char *worker;   /* owned */
    int64_t expires; /* deadline, ms of s_now() */
    double *x;      /* owned */
} lease_t;

struct sched_s {
    store_t *store;   /* borrowed */
    int lease_ms;
    study_t **studies;
    int n_studies;
    int rr;           /* round-robin cursor */
    zhashx_t *leases; /* trial id -> lease_t */
    zhashx_t *held;   /* worker name -> leases it holds (intptr_t, > 0): an ASK's room
                         without a walk over every lease */
    zhashx_t *usage;  /* worker name -> capable_usage_t: resources its leases hold */
    bool broken;      /* a state change failed after memory moved: restart to replay */
    const int64_t *clock; /* ms; NULL = now_ms() (see sched_set_clock) */
};

/* A new study runtime for a validated config (takes *cfg_p); NULL with err. */
study_t *sched__study_new(study_config_t **cfg_p, int64_t id, char *err);
void sched__study_free(study_t **sp);
void sched__add_study(sched_t *self, study_t *s);
/* Rebuild s from the file: its values into the pruner, its trials into the sampler. */
int sched__replay(sched_t *self, study_t *s, char *err);
/* After any finished trial (or a change of n_trials): start the final refit or mark
 * the study done. */
int sched__check_done(sched_t *self, study_t *s, char *err);
int sched__set_state(sched_t *self, study_t *s, study_state_t state, char *err);
/* After a live search result: stop s when its last max_consecutive_failures trials all
 * failed. -1 with err. */
int sched__fail_streak(sched_t *self, study_t *s, char *err);

#endif
