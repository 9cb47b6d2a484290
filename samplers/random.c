/* random — independent uniform draws, one generator per trial.
 *
 * The generator for trial `number` is seeded from a hash of (seed, number), so a
 * proposal is a pure function of those two values: the sampler keeps no state, a
 * restarted coordinator proposes exactly what the first one would have, and trials
 * handed out in any order or re-proposed after a lost store get the same point.
 *
 * Distributions follow Optuna's RandomSampler: log params are uniform in log space
 * (an int's range widened by half a unit each side so the end points get their
 * share), stepped params are uniform over their grid points, categoricals uniform over
 * the choice indexes. Options: type, seed (default 0). */
#include "samplers/sampler.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const space_t *space; /* borrowed */
    uint64_t seed;
} random_t;

static const char *const s_keys[] = {"type", "seed", NULL};

static int s_check(const cfg_node_t *opts, const space_t *space, cfg_errs_t *errs)
{
    (void)space;
    if (!opts)
        return 0;
    int before = errs->n;
    long seed;
    cfg_check_keys(opts, s_keys, errs);
    cfg_long(opts, "seed", 0, &seed, errs);
    return errs->n > before ? -1 : 0;
}

static void *s_create(const space_t *space, const cfg_node_t *opts, direction_t dir, char *err)
{
    assert(space);
    (void)dir;
    long seed = 0;
    if (opts) {
        cfg_errs_t errs;
        cfg_errs_init(&errs);
        int rc = cfg_long(opts, "seed", 0, &seed, &errs);
        if (rc != 0) {
            set_err(err, "%s", errs.n ? errs.msgs[0] : "random sampler: bad seed");
            cfg_errs_free(&errs);
            return NULL;
        }
        cfg_errs_free(&errs);
    }
    random_t *self = xcalloc(1, sizeof *self);
    self->space = space;
    self->seed = (uint64_t)seed;
    return self;
}

/* One draw of param p, before snapping. */
static double s_draw(const param_t *p, rng_t *r)
{
    if (p->kind == PARAM_CAT) {
        assert(p->n_choices > 0);
        return (double)rng_below(r, (uint64_t)p->n_choices);
    }
    if (p->log) {
        assert(p->low > 0);
        double lo = p->low, hi = p->high;
        if (p->kind == PARAM_INT) { /* log ints have step 1: widen to reach the ends */
            lo -= 0.5;
            hi += 0.5;
        }
        return exp(log(lo) + rng_uniform(r) * (log(hi) - log(lo)));
    }
    if (p->step > 0) {
        double k = floor((p->high - p->low) / p->step + 0.5);
        assert(k >= 0 && k < SPACE_MAX_STEPS); /* core/space.c refuses more steps */
        return p->low + (double)rng_below(r, (uint64_t)k + 1) * p->step;
    }
    return p->low + rng_uniform(r) * (p->high - p->low);
}

/* Seed of trial `number`'s generator: both inputs mixed so nearby seeds and numbers
 * give unrelated streams. */
static uint64_t s_trial_seed(uint64_t seed, long number)
{
    return hash_mix64(hash_mix64(seed) ^ hash_mix64((uint64_t)number + 0x9e3779b97f4a7c15ULL));
}

static int s_propose(void *vself, long number, double *x, char *err)
{
    random_t *self = vself;
    assert(self && x && number >= 0);
    (void)err;
    rng_t r;
    rng_seed(&r, s_trial_seed(self->seed, number));
    for (int i = 0; i < self->space->n; i++)
        x[i] = s_draw(&self->space->params[i], &r);
    space_snap(self->space, x);
    return SAMPLER_OK;
}

/* Nothing to remember: proposals depend on (seed, number) only. */
static void s_started(void *self, long number, const double *x)
{
    (void)self, (void)number, (void)x;
}

static void s_finished(void *self, long number, trial_state_t state, double value)
{
    (void)self, (void)number, (void)state, (void)value;
}

static size_t s_memory(const void *self)
{
    (void)self;
    return sizeof(random_t);
}

static void s_destroy(void **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

const sampler_ops_t random_sampler = {
    .name = "random",
    .check = s_check,
    .create = s_create,
    .propose = s_propose,
    .started = s_started,
    .finished = s_finished,
    .memory = s_memory,
    .destroy = s_destroy,
};

/* ---------------------------------------------------------------------------------- */

/* The seed option: checked, and it changes the stream. */
static void s_test_options(const space_t *space, bool verbose)
{
    char err[HPS_ERR_LEN];
    double x[6], y[6];
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    const char *yaml = "{type: random, seed: 7}";
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "r.yaml", &errs);
    assert(opts && random_sampler.check(opts, space, &errs) == 0);
    void *a = random_sampler.create(space, opts, DIR_MINIMIZE, err);
    void *b = random_sampler.create(space, NULL, DIR_MINIMIZE, err);
    assert(random_sampler.propose(a, 0, x, err) == SAMPLER_OK);
    assert(random_sampler.propose(b, 0, y, err) == SAMPLER_OK);
    assert(memcmp(x, y, sizeof x) != 0);
    random_sampler.destroy(&a);
    random_sampler.destroy(&b);
    cfg_free(&opts);
    yaml = "{type: random, seed: abc, sed: 1}";
    opts = cfg_parse(yaml, strlen(yaml), "r.yaml", &errs);
    assert(random_sampler.check(opts, space, &errs) == -1 && errs.n == 2);
    assert(strstr(errs.msgs[0], "r.yaml:1:") && strstr(errs.msgs[0], "unknown key 'sed'"));
    assert(strstr(errs.msgs[1], "seed: expected an integer"));
    if (verbose)
        cfg_errs_print(&errs, stdout);
    cfg_free(&opts);
    cfg_errs_free(&errs);
}

void random_test(bool verbose)
{
    param_t params[] = {
        {.name = "lr", .kind = PARAM_FLOAT, .low = 1e-4, .high = 1, .log = true},
        {.name = "x", .kind = PARAM_FLOAT, .low = -2, .high = 3},
        {.name = "n", .kind = PARAM_INT, .low = 50, .high = 500, .step = 50},
        {.name = "k", .kind = PARAM_INT, .low = 1, .high = 8, .step = 1, .log = true},
        {.name = "c", .kind = PARAM_CAT, .low = 0, .high = 2, .step = 1, .n_choices = 3},
        {.name = "f", .kind = PARAM_FLOAT, .low = 0, .high = 1, .step = 0.25},
    };
    space_t space = {.n = (int)ARRAY_SIZE(params), .params = params};
    char err[HPS_ERR_LEN];
    void *a = random_sampler.create(&space, NULL, DIR_MINIMIZE, err);
    void *b = random_sampler.create(&space, NULL, DIR_MINIMIZE, err);
    assert(a && b);
    enum { N = 20000 };
    double x[6], y[6];
    int below_1e2 = 0, n_counts[10] = {0}, k_counts[9] = {0}, c_counts[3] = {0};
    double xsum = 0;
    for (long t = 0; t < N; t++) {
        /* b proposes in reverse order: a proposal depends on the number only */
        assert(random_sampler.propose(a, t, x, err) == SAMPLER_OK);
        assert(random_sampler.propose(b, N - 1 - t, y, err) == SAMPLER_OK);
        for (int i = 0; i < space.n; i++)
            assert(space_valid(&params[i], x[i]));
        assert(x[0] >= 1e-4 && x[0] <= 1 && x[1] >= -2 && x[1] <= 3);
        below_1e2 += x[0] < 1e-2;
        xsum += x[1];
        n_counts[(int)((x[2] - 50) / 50)]++;
        k_counts[(int)x[3]]++;
        c_counts[(int)x[4]]++;
        assert(fmod(x[5], 0.25) == 0);
    }
    /* log-uniform: half the mass of [1e-4, 1] lies below 1e-2 */
    assert(fabs((double)below_1e2 / N - 0.5) < 0.02);
    assert(fabs(xsum / N - 0.5) < 0.05);
    for (int i = 0; i < 10; i++)
        assert(abs(n_counts[i] - N / 10) < N / 40);
    for (int i = 0; i < 3; i++)
        assert(abs(c_counts[i] - N / 3) < N / 30);
    /* log int: P(k=1) = log(1.5/0.5)/log(8.5/0.5) ~ 0.388 */
    assert(k_counts[0] == 0 && fabs((double)k_counts[1] / N - 0.388) < 0.02);
    assert(k_counts[8] > 0);
    /* reproducible: same (seed, number) -> same point, in any order */
    assert(random_sampler.propose(a, 123, x, err) == SAMPLER_OK);
    assert(random_sampler.propose(b, 123, y, err) == SAMPLER_OK);
    assert(memcmp(x, y, sizeof x) == 0);
    assert(random_sampler.propose(a, 124, y, err) == SAMPLER_OK);
    assert(memcmp(x, y, sizeof x) != 0);
    assert(random_sampler.memory(a) > 0);
    random_sampler.destroy(&a);
    random_sampler.destroy(&b);
    assert(a == NULL && b == NULL);
    /* a different seed gives a different stream */
    assert(s_trial_seed(0, 5) != s_trial_seed(1, 5) && s_trial_seed(0, 5) != s_trial_seed(0, 6));
    s_test_options(&space, verbose);
    if (verbose)
        printf("random: %d/%d log draws below 1e-2\n", below_1e2, N);
}
