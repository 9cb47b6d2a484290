/* synthetic — closed-form test functions as an objective (see synthetic.h).
 *
 * Options: function (required), sleep_ms (>= 0: time a trial takes), fail_rate and
 * crash_rate (0..1: the fraction of trials that fail or abort(), drawn from the
 * trial seed so a rerun fails the same trials), steps (>= 0: report a learning curve
 * at steps 1..steps that decays to the final value, for pruner tests), leak_kb (>= 0:
 * memory each trial allocates, touches and never frees: a leaking objective, for the
 * worker's recycling of trial processes).
 *
 * The curve is f + dir * (|f| + 1) * (1/step - 1/steps): it reaches f at the last
 * step, approaches it from the worse side for the study's direction, and keeps the
 * trials' order at every step, so a pruner that compares steps compares finals. */
#include "objectives/synthetic.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "objectives/objective.h"

/* ---- the functions ----------------------------------------------------------------- */

static double s_sphere(const double *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += x[i] * x[i];
    return s;
}

static double s_rosenbrock(const double *x, int n)
{
    double s = 0;
    for (int i = 0; i + 1 < n; i++)
        s += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2);
    return s;
}

static double s_branin(const double *x, int n)
{
    assert(n == 2);
    const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    return pow(x[1] - b * x[0] * x[0] + c * x[0] - 6, 2) + 10 * (1 - t) * cos(x[0]) + 10;
}

static double s_hartmann3(const double *x, int n)
{
    assert(n == 3);
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double a[4][3] = {{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
    static const double p[4][3] = {{0.3689, 0.1170, 0.2673},
                                   {0.4699, 0.4387, 0.7470},
                                   {0.1091, 0.8732, 0.5547},
                                   {0.0381, 0.5743, 0.8828}};
    double s = 0;
    for (int i = 0; i < 4; i++) {
        double e = 0;
        for (int j = 0; j < 3; j++)
            e += a[i][j] * pow(x[j] - p[i][j], 2);
        s -= alpha[i] * exp(-e);
    }
    return s;
}

static double s_ackley(const double *x, int n)
{
    double sq = 0, cs = 0;
    for (int i = 0; i < n; i++) {
        sq += x[i] * x[i];
        cs += cos(2 * M_PI * x[i]);
    }
    return -20 * exp(-0.2 * sqrt(sq / n)) - exp(cs / n) + 20 + M_E;
}

static double s_rastrigin(const double *x, int n)
{
    double s = 10.0 * n;
    for (int i = 0; i < n; i++)
        s += x[i] * x[i] - 10 * cos(2 * M_PI * x[i]);
    return s;
}

static double s_camel(const double *x, int n)
{
    assert(n == 2);
    double a = x[0], b = x[1];
    return (4 - 2.1 * a * a + pow(a, 4) / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b;
}

static double s_noop(const double *x, int n)
{
    (void)x, (void)n;
    return 0;
}

typedef struct {
    const char *name;
    int dim;        /* required dimension; 0 = any n >= 1; -1 = any n >= 0 */
    double optimum; /* global minimum */
    double (*fn)(const double *x, int n);
} synth_fn_t;

static const synth_fn_t s_fns[] = {
    {"sphere", 0, 0, s_sphere},
    {"rosenbrock", 0, 0, s_rosenbrock},
    {"branin", 2, 0.39788735772973816, s_branin},
    {"hartmann3", 3, -3.8627797873327, s_hartmann3},
    {"ackley", 0, 0, s_ackley},
    {"rastrigin", 0, 0, s_rastrigin},
    {"camel", 2, -1.0316284534898774, s_camel},
    {"noop", -1, 0, s_noop},
};

static const synth_fn_t *s_find(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_SIZE(s_fns); i++)
        if (strcmp(s_fns[i].name, name) == 0)
            return &s_fns[i];
    return NULL;
}

static bool s_takes(const synth_fn_t *f, int n)
{
    return f->dim > 0 ? n == f->dim : n >= (f->dim == 0 ? 1 : 0);
}

int synthetic_eval(const char *fn, const double *x, int n, double *out)
{
    const synth_fn_t *f = s_find(fn);
    if (!f || !s_takes(f, n))
        return -1;
    *out = f->fn(x, n);
    return 0;
}

double synthetic_optimum(const char *fn, int n)
{
    const synth_fn_t *f = s_find(fn);
    return f && s_takes(f, n) ? f->optimum : NAN;
}

/* ---- the objective ----------------------------------------------------------------- */

typedef struct {
    const synth_fn_t *fn;
    long sleep_ms, steps, leak_kb;
    double fail_rate, crash_rate;
} synth_opts_t;

static const char *const s_keys[] = {"type",       "function",   "sleep_ms", "fail_rate",
                                     "crash_rate", "steps",      "leak_kb",  NULL};

/* A number option that must lie in [lo, hi]; errors at the value. */
static void s_range(const cfg_node_t *obj, const char *key, double v, double lo, double hi,
                    cfg_errs_t *errs)
{
    if (!(v >= lo && v <= hi))
        cfg_error(errs, cfg_get(obj, key), "%s: must be in [%g, %g]", key, lo, hi);
}

/* Read the options of the objective section for an n-parameter space. 0 ok; -1 with
 * errors added. */
static int s_options(const cfg_node_t *obj, int n, synth_opts_t *o, cfg_errs_t *errs)
{
    int before = errs->n;
    const char *name = NULL;
    cfg_check_keys(obj, s_keys, errs);
    cfg_str(obj, "function", NULL, &name, errs);
    cfg_long(obj, "sleep_ms", 0, &o->sleep_ms, errs);
    cfg_long(obj, "steps", 0, &o->steps, errs);
    cfg_long(obj, "leak_kb", 0, &o->leak_kb, errs);
    s_range(obj, "leak_kb", (double)o->leak_kb, 0, 1 << 20, errs);
    cfg_double(obj, "fail_rate", 0, &o->fail_rate, errs);
    cfg_double(obj, "crash_rate", 0, &o->crash_rate, errs);
    s_range(obj, "sleep_ms", (double)o->sleep_ms, 0, 86400000, errs);
    s_range(obj, "steps", (double)o->steps, 0, 1000000, errs);
    s_range(obj, "fail_rate", o->fail_rate, 0, 1, errs);
    s_range(obj, "crash_rate", o->crash_rate, 0, 1, errs);
    o->fn = s_find(name);
    if (!name) {
        cfg_error(errs, obj, "synthetic objective: 'function' is required (sphere, "
                             "rosenbrock, branin, hartmann3, ackley, rastrigin, camel, noop)");
    } else if (!o->fn) {
        cfg_error(errs, cfg_get(obj, "function"), "function: unknown synthetic function '%s'",
                  name);
    } else if (!s_takes(o->fn, n)) {
        cfg_error(errs, cfg_get(obj, "function"),
                  "function: %s takes %d parameters, the space has %d", name,
                  o->fn->dim > 0 ? o->fn->dim : 1, n);
    }
    return errs->n > before ? -1 : 0;
}

static int s_check(const study_config_t *study, cfg_errs_t *errs)
{
    assert(study && study->objective);
    synth_opts_t o;
    int rc = s_options(study->objective, study->space ? study->space->n : 0, &o, errs);
    if (objective_refuse_cleaning(study, "the synthetic objective reads no data", errs) != 0)
        rc = -1;
    return rc;
}

static direction_t s_default_direction(const study_config_t *study)
{
    (void)study;
    return DIR_MINIMIZE;
}

/* Sleep ms milliseconds, resuming after signals. */
static void s_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        assert(errno == EINTR); /* EINVAL/EFAULT would be a bug here */
}

/* Allocate kb KiB, touch every page and drop the pointer: a leak, on purpose. */
static void s_leak(long kb)
{
    if (kb <= 0)
        return;
    volatile char *p = xmalloc((size_t)kb * 1024);
    for (long i = 0; i < kb * 1024; i += 4096)
        p[i] = 1;
}

/* Report the learning curve; true when the trial was pruned (res filled). */
static bool s_curve(const objective_ctx_t *ctx, const synth_opts_t *o, double f,
                    objective_result_t *res)
{
    double sign = (double)ctx->study->direction;
    for (long step = 1; step <= o->steps; step++) {
        s_sleep_ms(o->sleep_ms / o->steps + (step <= o->sleep_ms % o->steps));
        double v = f + sign * (fabs(f) + 1) * (1.0 / (double)step - 1.0 / (double)o->steps);
        if (ctx->report && ctx->report(ctx->report_arg, step, v) == 1) {
            res->state = TRIAL_PRUNED;
            res->value = v;
            return true;
        }
    }
    return false;
}

static void s_run(const objective_ctx_t *ctx, objective_result_t *res)
{
    assert(ctx && ctx->study && res);
    objective_result_init(res);
    const space_t *space = ctx->study->space;
    synth_opts_t o;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    if (s_options(ctx->study->objective, space->n, &o, &errs) != 0) {
        set_err(res->error, "%s", errs.msgs[0]);
        cfg_errs_free(&errs);
        return;
    }
    cfg_errs_free(&errs);
    /* both draws come first so the crash and fail sets do not depend on each other */
    rng_t r;
    rng_seed(&r, ctx->seed ^ 0x73796e7468657469ULL);
    double u_crash = rng_uniform(&r), u_fail = rng_uniform(&r);
    if (u_crash < o.crash_rate)
        abort(); /* on purpose: the worker must survive a crashing objective */
    s_leak(o.leak_kb);
    double f, *x = xmalloc(sizeof *x * (size_t)(space->n ? space->n : 1));
    for (int i = 0; i < space->n; i++)
        x[i] = isnan(ctx->x[i]) ? 0 : ctx->x[i]; /* an inactive parameter counts as 0 */
    int rc = synthetic_eval(o.fn->name, x, space->n, &f);
    free(x);
    assert(rc == 0); /* s_options checked the dimension */
    if (o.steps > 0 && s_curve(ctx, &o, f, res))
        return;
    if (o.steps == 0)
        s_sleep_ms(o.sleep_ms);
    if (u_fail < o.fail_rate) {
        set_err(res->error, "synthetic failure");
        return;
    }
    if (!isfinite(f)) {
        set_err(res->error, "%s is not finite at this point", o.fn->name);
        return;
    }
    res->state = TRIAL_COMPLETE;
    res->value = f;
}

const objective_ops_t synthetic_objective = {
    .name = "synthetic",
    .check = s_check,
    .default_direction = s_default_direction,
    .run = s_run,
};

/* ---------------------------------------------------------------------------------- */

static int s_test_report(void *arg, long step, double value)
{
    double *log = arg; /* log[0] = prune at this step; log[step] = value */
    log[step] = value;
    return step == (long)log[0];
}

/* Run `yaml` (an objective section) at x over a space of n params. */
static void s_test_run(const char *yaml, const double *x, int n, uint64_t seed, double *log,
                       objective_result_t *res)
{
    param_t params[3] = {{.name = "a"}, {.name = "b"}, {.name = "c"}};
    space_t space = {.n = n, .params = params};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *obj = cfg_parse(yaml, strlen(yaml), "o.yaml", &errs);
    assert(obj && errs.n == 0);
    study_config_t study = {.direction = DIR_MINIMIZE, .space = &space, .objective = obj};
    assert(synthetic_objective.check(&study, &errs) == 0);
    objective_ctx_t ctx = {.study = &study, .x = x, .seed = seed, .report = s_test_report,
                           .report_arg = log};
    synthetic_objective.run(&ctx, res);
    cfg_free(&obj);
    cfg_errs_free(&errs);
}

static void s_test_check_errors(bool verbose)
{
    const char *yaml = "type: synthetic\nfunction: branin\nfail_rate: 2\nsleep: 1\n";
    param_t params[3] = {{.name = "a"}, {.name = "b"}, {.name = "c"}};
    space_t space = {.n = 3, .params = params};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *obj = cfg_parse(yaml, strlen(yaml), "o.yaml", &errs);
    study_config_t study = {.direction = DIR_MINIMIZE, .space = &space, .objective = obj};
    assert(synthetic_objective.check(&study, &errs) == -1 && errs.n == 3);
    assert(strstr(errs.msgs[0], "o.yaml:4:1: unknown key 'sleep'"));
    assert(strstr(errs.msgs[1], "o.yaml:3:12: fail_rate: must be in [0, 1]"));
    assert(strstr(errs.msgs[2], "o.yaml:2:11: function: branin takes 2 parameters"));
    cfg_free(&obj);
    yaml = "type: synthetic\nfunction: nope\n";
    obj = cfg_parse(yaml, strlen(yaml), "o.yaml", &errs);
    study.objective = obj;
    assert(synthetic_objective.check(&study, &errs) == -1 && errs.n == 4);
    assert(strstr(errs.msgs[3], "o.yaml:2:11: function: unknown synthetic function 'nope'"));
    if (verbose)
        cfg_errs_print(&errs, stdout);
    assert(synthetic_objective.default_direction(&study) == DIR_MINIMIZE);
    cfg_free(&obj);
    cfg_errs_free(&errs);
}

void synthetic_test(bool verbose)
{
    /* known optima, at their known minimisers */
    static const struct {
        const char *fn;
        int n;
        double x[3];
    } at[] = {
        {"branin", 2, {-M_PI, 12.275}},          {"branin", 2, {M_PI, 2.275}},
        {"branin", 2, {9.42478, 2.475}},         {"hartmann3", 3, {0.114614, 0.555649, 0.852547}},
        {"camel", 2, {0.0898, -0.7126}},         {"camel", 2, {-0.0898, 0.7126}},
        {"sphere", 3, {0, 0, 0}},                {"rosenbrock", 3, {1, 1, 1}},
        {"ackley", 2, {0, 0}},                   {"rastrigin", 3, {0, 0, 0}},
        {"noop", 0, {0}},
    };
    for (size_t i = 0; i < ARRAY_SIZE(at); i++) {
        double f;
        assert(synthetic_eval(at[i].fn, at[i].x, at[i].n, &f) == 0);
        assert(fabs(f - synthetic_optimum(at[i].fn, at[i].n)) < 1e-4);
        if (verbose)
            printf("%s = %.6f\n", at[i].fn, f);
    }
    assert(fabs(synthetic_optimum("branin", 2) - 0.397887) < 1e-6);
    assert(fabs(synthetic_optimum("hartmann3", 3) + 3.86278) < 1e-5);
    assert(fabs(synthetic_optimum("camel", 2) + 1.0316) < 1e-4);
    double f, x[3] = {1, 2, 3};
    assert(synthetic_eval("branin", x, 3, &f) == -1 && synthetic_eval("nope", x, 1, &f) == -1);
    assert(synthetic_eval("sphere", x, 0, &f) == -1 && isnan(synthetic_optimum("camel", 3)));
    assert(synthetic_eval("sphere", x, 3, &f) == 0 && f == 14);
    assert(synthetic_eval("rastrigin", x, 2, &f) == 0 && fabs(f - 5) < 1e-9);

    /* the objective: a learning curve decaying to the value, pruned when told */
    objective_result_t res;
    double log[12] = {0};
    s_test_run("type: synthetic\nfunction: sphere\nsteps: 10\n", x, 3, 1, log, &res);
    assert(res.state == TRIAL_COMPLETE && res.value == 14 && log[10] == 14);
    for (int s = 2; s <= 10; s++)
        assert(log[s] < log[s - 1]);
    log[0] = 4;
    s_test_run("type: synthetic\nfunction: sphere\nsteps: 10\nsleep_ms: 20\n", x, 3, 1, log,
               &res);
    assert(res.state == TRIAL_PRUNED && res.value == log[4] && log[4] > 14);

    /* failures follow the seed: the same trials fail on every run */
    int fails = 0;
    for (uint64_t seed = 0; seed < 400; seed++) {
        objective_result_t again;
        s_test_run("{type: synthetic, function: noop, fail_rate: 0.25}", x, 0, seed, log, &res);
        s_test_run("{type: synthetic, function: noop, fail_rate: 0.25}", x, 0, seed, log,
                   &again);
        assert(res.state == again.state);
        if (res.state == TRIAL_FAIL) {
            assert(strcmp(res.error, "synthetic failure") == 0 && isnan(res.value));
            fails++;
        } else {
            assert(res.state == TRIAL_COMPLETE && res.value == 0);
        }
    }
    assert(fails > 60 && fails < 140);

    /* crash_rate 1 aborts: run it in a child, as the worker does */
    fflush(stdout);
    pid_t pid = fork();
    assert(pid >= 0);
    if (pid == 0) {
        s_test_run("{type: synthetic, function: noop, crash_rate: 1}", x, 0, 0, log, &res);
        _exit(0);
    }
    int status;
    assert(waitpid(pid, &status, 0) == pid);
    assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    s_test_check_errors(verbose);
}
