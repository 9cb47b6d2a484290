/* tpe_bench — suggestion cost, search quality and memory of the TPE sampler (see
 * tpe.h). Everything runs in-process against the sampler_ops_t interface, the
 * way the coordinator drives it: propose, started, finished, in trial order. Parallel
 * workers are simulated by keeping `workers` trials outstanding and finishing the
 * oldest first, which is also what bench/tpe_optuna.py does with ask/tell. */
#include "bench/tpe.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/loop.h"
#include "objectives/synthetic.h"
#include "samplers/tpe.h"

#define B_MAXD 9

typedef struct {
    const char *name; /* a synthetic.h function, or "mixed" */
    int d;
    param_t params[B_MAXD];
    bool extra;       /* quality: only when named by --functions (not in the suite) */
} bench_fn_t;

#define B_F(n, lo, hi) {.name = n, .kind = PARAM_FLOAT, .low = lo, .high = hi}

static const bench_fn_t s_fns[] = {
    {"branin", 2, {B_F("x0", -5, 10), B_F("x1", 0, 15)}, false},
    {"hartmann3", 3, {B_F("x0", 0, 1), B_F("x1", 0, 1), B_F("x2", 0, 1)}, false},
    {"ackley", 4, {B_F("x0", -32.768, 32.768), B_F("x1", -32.768, 32.768),
                   B_F("x2", -32.768, 32.768), B_F("x3", -32.768, 32.768)}, false},
    {"rastrigin", 4, {B_F("x0", -5.12, 5.12), B_F("x1", -5.12, 5.12), B_F("x2", -5.12, 5.12),
                      B_F("x3", -5.12, 5.12)}, false},
    {"camel", 2, {B_F("x0", -3, 3), B_F("x1", -2, 2)}, false},
    {"mixed", 5,
     {{.name = "lr", .kind = PARAM_FLOAT, .low = 1e-5, .high = 1, .log = true},
      {.name = "n", .kind = PARAM_INT, .low = 1, .high = 100, .step = 1},
      {.name = "c", .kind = PARAM_CAT, .low = 0, .high = 4, .step = 1, .n_choices = 5},
      B_F("x", -1, 1),
      {.name = "s", .kind = PARAM_FLOAT, .low = 0, .high = 1, .step = 0.05}}, false},
    /* Outside the suite: checks that tuning on the six above did not overfit them
     * (and "cost" is the space of the cost benchmark). */
    {"rosenbrock", 4, {B_F("x0", -5, 10), B_F("x1", -5, 10), B_F("x2", -5, 10),
                       B_F("x3", -5, 10)}, true},
    {"sphere", 8, {B_F("x0", -5.12, 5.12), B_F("x1", -5.12, 5.12), B_F("x2", -5.12, 5.12),
                   B_F("x3", -5.12, 5.12), B_F("x4", -5.12, 5.12), B_F("x5", -5.12, 5.12),
                   B_F("x6", -5.12, 5.12), B_F("x7", -5.12, 5.12)}, true},
    {"cost", 9,
     {B_F("a", -5, 5), B_F("b", -5, 5), B_F("c", -5, 5), B_F("d", -5, 5), B_F("e", -5, 5),
      B_F("f", -5, 5),
      {.name = "lr", .kind = PARAM_FLOAT, .low = 1e-4, .high = 1, .log = true},
      {.name = "n", .kind = PARAM_INT, .low = 1, .high = 100, .step = 1},
      {.name = "k", .kind = PARAM_CAT, .low = 0, .high = 3, .step = 1, .n_choices = 4}}, true},
};

/* The 9-parameter space of the cost benchmark (6 floats, a log float, an int, a
 * categorical): the "cost" entry above. */
static const bench_fn_t *s_cost_fn(void)
{
    for (size_t f = 0; f < ARRAY_SIZE(s_fns); f++)
        if (strcmp(s_fns[f].name, "cost") == 0)
            return &s_fns[f];
    abort();
}

/* The mixed int / categorical / log / step function; minimum 0 at lr = 10^-2.5,
 * n = 37, c = 2, x = 0.3, s = 0.65. bench/tpe_optuna.py has the same. */
static double s_mixed(const double *x)
{
    static const double pen[5] = {0.8, 0.3, 0, 0.5, 1.0};
    double l = log10(x[0]) + 2.5, n = (x[1] - 37) / 20;
    return l * l + n * n + pen[(int)x[2]] + (x[3] - 0.3) * (x[3] - 0.3) +
           (x[4] - 0.65) * (x[4] - 0.65);
}

static double s_cost_obj(const double *x)
{
    double v = 0;
    for (int i = 0; i < 6; i++)
        v += (x[i] - 1) * (x[i] - 1);
    double l = log10(x[6]) + 2, n = (x[7] - 30) / 30;
    return v + l * l + n * n + (x[8] == 1 ? 0 : 1);
}

static double s_eval(const bench_fn_t *fn, const double *x)
{
    if (strcmp(fn->name, "mixed") == 0)
        return s_mixed(x);
    if (strcmp(fn->name, "cost") == 0)
        return s_cost_obj(x);
    double v;
    int rc = synthetic_eval(fn->name, x, fn->d, &v);
    assert(rc == 0);
    return v;
}

static double s_optimum(const bench_fn_t *fn)
{
    return strcmp(fn->name, "mixed") == 0 || strcmp(fn->name, "cost") == 0
               ? 0
               : synthetic_optimum(fn->name, fn->d);
}

/* Seconds on a clock: CLOCK_MONOTONIC (wall) or CLOCK_THREAD_CPUTIME_ID (CPU, which
 * other processes on a shared machine do not inflate). */
static double s_clock(clockid_t id)
{
    struct timespec ts;
    int rc = clock_gettime(id, &ts);
    assert(rc == 0);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double s_now(void) { return s_clock(CLOCK_MONOTONIC); }

static void *s_sampler(const sampler_ops_t *ops, const space_t *space, const char *yaml)
{
    return bench_sampler_new(ops, space, yaml, "hps-bench tpe");
}

/* ---------------------------------------------------------------------------------- */
/* Arguments                                                                          */

typedef struct {
    const char *sizes, *functions, *sampler, *opts;
    long reps, seeds, trials, workers;
    long seed0; /* quality: first seed (tuning runs use seeds apart from the reported ones) */
    bool univariate;
    bool clustered; /* cost: 9 of 10 filled trials near the optimum */
} bench_args_t;

/* Parse --flags after the mode; -1 (message printed) on a bad one. */
static int s_args(int argc, char **argv, bench_args_t *a)
{
    *a = (bench_args_t){.sizes = "100,1000,2000,10000,20000", .functions = NULL,
                        .sampler = "tpe", .opts = "", .reps = 25, .seeds = 20,
                        .trials = 100, .workers = 1};
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *num = strcmp(f, "--reps") == 0      ? &a->reps
                    : strcmp(f, "--seeds") == 0   ? &a->seeds
                    : strcmp(f, "--trials") == 0  ? &a->trials
                    : strcmp(f, "--workers") == 0 ? &a->workers
                    : strcmp(f, "--seed0") == 0   ? &a->seed0
                                                  : NULL;
        const char **str = strcmp(f, "--sizes") == 0       ? &a->sizes
                           : strcmp(f, "--functions") == 0 ? &a->functions
                           : strcmp(f, "--sampler") == 0   ? &a->sampler
                           : strcmp(f, "--opts") == 0      ? &a->opts
                                                           : NULL;
        if (strcmp(f, "--univariate") == 0) {
            a->univariate = true;
        } else if (strcmp(f, "--clustered") == 0) {
            a->clustered = true;
        } else if (num && v && parse_long(v, num) == 0 && *num >= (num == &a->seed0 ? 0 : 1)) {
            i++;
        } else if (str && v) {
            *str = v;
            i++;
        } else {
            fprintf(stderr, "hps-bench tpe: bad argument '%s'\n", f);
            return -1;
        }
    }
    return 0;
}

/* The sampler options for one study. TPE's mode is always explicit (multivariate
 * unless --univariate), whatever the sampler's default. */
static void s_yaml(char *buf, size_t len, const bench_args_t *a, long seed)
{
    const char *mode = strcmp(a->sampler, "tpe") != 0 ? ""
                       : a->univariate              ? ", multivariate: false"
                                                    : ", multivariate: true";
    snprintf(buf, len, "{type: %s, seed: %ld%s%s%s}", a->sampler, seed, mode,
             a->opts[0] ? ", " : "", a->opts);
}

/* ---------------------------------------------------------------------------------- */
/* Modes                                                                              */

/* Pull a random point of the cost space 20 times closer to the optimum of
 * s_cost_obj(), as a study that has converged fills most of its trials. */
static void s_cluster(double *x)
{
    for (int i = 0; i < 6; i++)
        x[i] = 1 + (x[i] - 1) * 0.05;
    x[6] = exp(log(1e-2) + (log(x[6]) - log(1e-2)) * 0.05);
    x[7] = round(30 + (x[7] - 30) * 0.05);
    x[8] = 1;
}

/* A study of fn's space (copied into params) with n random finished trials; with
 * clustered (cost space only), 9 of 10 of them near the optimum. */
static void *s_grown(const bench_fn_t *fn, param_t *params, space_t *space, const char *yaml,
                     long n, bool clustered)
{
    memcpy(params, fn->params, sizeof *params * (size_t)fn->d);
    *space = (space_t){.n = fn->d, .params = params};
    void *tpe = s_sampler(&tpe_sampler, space, yaml);
    void *rnd = s_sampler(&random_sampler, space, "{type: random, seed: 99}");
    if (!tpe || !rnd) {
        tpe_sampler.destroy(&tpe);
        random_sampler.destroy(&rnd);
        return NULL;
    }
    char err[HPS_ERR_LEN];
    double x[B_MAXD];
    for (long t = 0; t < n; t++) {
        int rc = random_sampler.propose(rnd, t, x, err);
        assert(rc == SAMPLER_OK);
        if (clustered && t % 10 != 0)
            s_cluster(x);
        tpe_sampler.started(tpe, t, x);
        tpe_sampler.finished(tpe, t, TRIAL_COMPLETE, s_eval(fn, x));
    }
    random_sampler.destroy(&rnd);
    return tpe;
}

static int s_cost(const bench_args_t *a)
{
    char *sizes = xstrdup(a->sizes), *save = NULL, yaml[256];
    double *ms = xmalloc(sizeof *ms * 2 * (size_t)a->reps), *cpu = ms + a->reps, x[B_MAXD];
    param_t params[B_MAXD];
    space_t space;
    int rc = 0;
    s_yaml(yaml, sizeof yaml, a, 1);
    for (char *tok = strtok_r(sizes, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long n;
        void *tpe = NULL;
        if (parse_long(tok, &n) != 0 || n < 0 ||
            !(tpe = s_grown(s_cost_fn(), params, &space, yaml, n, a->clustered))) {
            fprintf(stderr, "hps-bench tpe: bad size '%s'\n", tok);
            rc = 2;
            break;
        }
        char err[HPS_ERR_LEN];
        for (long r = 0; r < a->reps; r++) {
            double t0 = s_now(), c0 = s_clock(CLOCK_THREAD_CPUTIME_ID);
            int prc = tpe_sampler.propose(tpe, n + r, x, err);
            cpu[r] = 1e3 * (s_clock(CLOCK_THREAD_CPUTIME_ID) - c0);
            ms[r] = 1e3 * (s_now() - t0);
            assert(prc == SAMPLER_OK);
            tpe_sampler.started(tpe, n + r, x);
            tpe_sampler.finished(tpe, n + r, TRIAL_COMPLETE, s_eval(s_cost_fn(), x));
        }
        size_t mem = tpe_sampler.memory(tpe);
        double med = median_sort(ms, (size_t)a->reps), p90 = ms[(a->reps * 9) / 10];
        double cmed = median_sort(cpu, (size_t)a->reps), cp90 = cpu[(a->reps * 9) / 10];
        printf("cost %s%s n=%ld cpu_median_ms=%.4f cpu_p90_ms=%.4f wall_median_ms=%.4f "
               "wall_p90_ms=%.4f memory_bytes=%zu\n",
               a->univariate ? "univariate" : "multivariate", a->clustered ? "-clustered" : "",
               n, cmed, cp90, med, p90, mem);
        fflush(stdout);
        tpe_sampler.destroy(&tpe);
    }
    free(ms);
    free(sizes);
    return rc;
}

static double s_eval_fn(void *arg, const double *x) { return s_eval(arg, x); }

/* One study of fn (bench_study): the best value's regret, NaN when the sampler could not
 * be built. */
static double s_study(const bench_fn_t *fn, const bench_args_t *a, long seed)
{
    const sampler_ops_t *ops = sampler_find(a->sampler);
    param_t params[B_MAXD];
    memcpy(params, fn->params, sizeof params);
    space_t space = {.n = fn->d, .params = params};
    char yaml[256];
    s_yaml(yaml, sizeof yaml, a, seed);
    void *smp = ops ? s_sampler(ops, &space, yaml) : NULL;
    if (!smp)
        return NAN;
    double best = bench_study(ops, smp, fn->d, a->trials, a->workers, s_eval_fn, (void *)fn,
                              NULL);
    ops->destroy(&smp);
    return best - s_optimum(fn);
}

/* Per function: the summary line, then the per-seed regrets in seed order (for
 * bench/tpe_quality_stats.py), both labelled as bench/tpe_optuna.py does. */
static int s_quality(const bench_args_t *a)
{
    double *reg = xmalloc(sizeof *reg * 2 * (size_t)a->seeds), *sorted = reg + a->seeds;
    int rc = 0;
    char label[64];
    snprintf(label, sizeof label, "%s%s%s", a->sampler,
             strcmp(a->sampler, "tpe") ? "" : a->univariate ? "-uni" : "-multi",
             a->opts[0] ? "+opts" : "");
    for (size_t f = 0; f < ARRAY_SIZE(s_fns); f++) {
        const bench_fn_t *fn = &s_fns[f];
        if (a->functions ? !strstr(a->functions, fn->name) : fn->extra)
            continue;
        double mean = 0, t0 = s_now();
        for (long s = 0; s < a->seeds; s++) {
            reg[s] = s_study(fn, a, a->seed0 + s);
            mean += reg[s] / (double)a->seeds;
        }
        if (isnan(mean)) {
            rc = 2;
            break;
        }
        memcpy(sorted, reg, sizeof *reg * (size_t)a->seeds);
        printf("quality fn=%s sampler=%s workers=%ld seeds=%ld trials=%ld "
               "median_regret=%.6g mean_regret=%.6g secs=%.2f\n",
               fn->name, label, a->workers, a->seeds, a->trials,
               median_sort(sorted, (size_t)a->seeds), mean, s_now() - t0);
        printf("seeds fn=%s sampler=%s workers=%ld regrets=", fn->name, label, a->workers);
        for (long s = 0; s < a->seeds; s++)
            printf("%s%.10g", s ? "," : "", reg[s]);
        printf("\n");
        fflush(stdout);
    }
    free(reg);
    return rc;
}

static int s_memory(const bench_args_t *a)
{
    char yaml[256];
    param_t params[B_MAXD];
    space_t space;
    s_yaml(yaml, sizeof yaml, a, 1);
    double t0 = s_now();
    void *tpe = s_grown(s_cost_fn(), params, &space, yaml, a->trials, false);
    if (!tpe)
        return 2;
    double secs = s_now() - t0;
    size_t mem = tpe_sampler.memory(tpe);
    printf("memory %s trials=%ld params=%d memory_bytes=%zu bytes_per_trial=%.1f feed_secs=%.2f\n",
           a->univariate ? "univariate" : "multivariate", a->trials, space.n, mem,
           (double)mem / (double)a->trials, secs);
    tpe_sampler.destroy(&tpe);
    return 0;
}

int tpe_bench_main(int argc, char **argv)
{
    bench_args_t a;
    const char *mode = argc > 1 ? argv[1] : "";
    if (s_args(argc, argv, &a) != 0)
        return 2;
    if (strcmp(mode, "cost") == 0)
        return s_cost(&a);
    if (strcmp(mode, "quality") == 0)
        return s_quality(&a);
    if (strcmp(mode, "memory") == 0) {
        if (a.trials == 100)
            a.trials = 100000; /* the documented default for this mode */
        return s_memory(&a);
    }
    fprintf(stderr, "usage: hps-bench tpe cost|quality|memory [options] "
                    "(see bench/tpe.h)\n");
    return 2;
}
