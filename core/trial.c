/* trial — state names. */
#include "core/trial.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

static const char *const s_names[TRIAL_NSTATES] = {"WAITING", "RUNNING", "COMPLETE", "PRUNED",
                                                   "FAIL"};

const char *trial_state_name(trial_state_t s)
{
    assert(s >= 0 && s < TRIAL_NSTATES);
    return s_names[s];
}

int trial_state_parse(const char *name)
{
    for (int i = 0; i < TRIAL_NSTATES; i++)
        if (strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}

void trial_test(bool verbose)
{
    (void)verbose;
    for (int i = 0; i < TRIAL_NSTATES; i++)
        assert(trial_state_parse(trial_state_name((trial_state_t)i)) == i);
    assert(trial_state_parse("DONE") == -1);
}
