/* trial — the states a trial moves through, shared by storage, samplers and workers.
 *
 *   WAITING --lease--> RUNNING --TELL--> COMPLETE | PRUNED | FAIL
 *      ^                  |
 *      +--lease expired---+   (attempt + 1; FAIL once attempts exceed max_retries + 1)
 */
#ifndef HPS_TRIAL_H
#define HPS_TRIAL_H

typedef enum {
    TRIAL_WAITING = 0,
    TRIAL_RUNNING = 1,
    TRIAL_COMPLETE = 2,
    TRIAL_PRUNED = 3,
    TRIAL_FAIL = 4,
} trial_state_t;

#define TRIAL_NSTATES 5

/* "WAITING", "RUNNING", ... This function can't fail for a valid state. */
const char *trial_state_name(trial_state_t s);
/* Inverse of trial_state_name; -1 when unknown. */
int trial_state_parse(const char *name);

/* Study direction: the sign that turns a value into something to minimise. */
typedef enum { DIR_MINIMIZE = 1, DIR_MAXIMIZE = -1 } direction_t;

#endif
