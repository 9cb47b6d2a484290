/* coord_test — the parts of the coordinator's message handling that need no socket. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "coordinator/coord.h"
#include "coordinator/coord_priv.h"

static proto_msg_t *s_test_tell(const char *state, double value, int64_t attempt)
{
    proto_msg_t *m = proto_new("TELL");
    proto_set_int(m, "trial", 7);
    proto_set_int(m, "attempt", attempt);
    proto_set_str(m, "state", state);
    proto_set_dbl(m, "value", value);
    proto_set_dbl(m, "secs", 0.5);
    return m;
}

void coord_test(bool verbose)
{
    (void)verbose;
    store_result_t r;
    int64_t trial;
    int attempt;
    char err[HPS_ERR_LEN];
    proto_msg_t *m = s_test_tell("COMPLETE", 0.25, 2);
    const double folds[] = {0.2, 0.3};
    proto_set_dbls(m, "folds", folds, 2);
    proto_set_dbl(m, "test", 0.5);
    assert(coord__tell_result(m, &r, &trial, &attempt, err) == 0);
    assert(trial == 7 && attempt == 2 && r.state == TRIAL_COMPLETE && r.value == 0.25);
    assert(r.secs == 0.5 && r.test_score == 0.5 && isnan(r.cv_mean) && isnan(r.val_score));
    assert(r.n_folds == 2 && r.folds[1] == 0.3 && !r.error);
    proto_destroy(&m);
    /* A COMPLETE without a finite value is stored as the FAIL it is; a FAIL's NaN is fine. */
    m = s_test_tell("COMPLETE", INFINITY, 1);
    assert(coord__tell_result(m, &r, &trial, &attempt, err) == 0);
    assert(r.state == TRIAL_FAIL && strstr(r.error, "non-finite"));
    proto_destroy(&m);
    m = s_test_tell("FAIL", NAN, 1);
    proto_set_str(m, "error", "boom");
    assert(coord__tell_result(m, &r, &trial, &attempt, err) == 0);
    assert(r.state == TRIAL_FAIL && strcmp(r.error, "boom") == 0);
    proto_destroy(&m);
    /* Only end states, and attempts the scheduler could have handed out. */
    const char *states[] = {"RUNNING", "WAITING", "complete", "PRUNED", "PRUNED", "PRUNED"};
    const int64_t attempts[] = {1, 1, 1, 0, 1000001, (int64_t)1 << 40};
    for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
        m = s_test_tell(states[i], 1, attempts[i]);
        assert(coord__tell_result(m, &r, &trial, &attempt, err) == -1);
        assert(strstr(err, i < 3 ? "state" : "attempt"));
        proto_destroy(&m);
    }
}
