/* bbob_bench — `hps-bench bbob MODE ...` (see bbob_bench.h). */
#include "bench/bbob_bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bbob.h"
#include "bench/loop.h"
#include "core/util.h"

#define S_MAXDIM 40
#define S_MAXLIST 64

typedef struct {
    int fns[S_MAXLIST], n_fns, dims[S_MAXLIST], n_dims, budgets[S_MAXLIST], n_budgets;
    long instances, seeds, workers, seed0;
    long cats, levels; /* the first `cats` parameters categorical with `levels` choices */
    const char *sampler, *opts, *label;
} s_args_t;

/* "1-5,7" or "2,5,10" into out (at most S_MAXLIST values in lo..hi): its count, or -1. */
static int s_list(const char *text, int lo, int hi, int *out)
{
    int n = 0;
    char *copy = xstrdup(text), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long a, b;
        char *dash = strchr(tok, '-');
        if (dash)
            *dash = '\0';
        if (parse_long(tok, &a) != 0 || (dash ? parse_long(dash + 1, &b) : (b = a, 0)) != 0 ||
            a < lo || b > hi || a > b || n + (b - a + 1) > S_MAXLIST) {
            n = -1;
            break;
        }
        for (long v = a; v <= b; v++)
            out[n++] = (int)v;
    }
    free(copy);
    return n;
}

static int s_parse(int argc, char **argv, s_args_t *a)
{
    *a = (s_args_t){.instances = 5, .seeds = 6, .workers = 1, .levels = 4, .sampler = "tpe",
                    .opts = ""};
    a->n_fns = s_list("1-24", 1, 24, a->fns);
    a->n_dims = s_list("2,5", 2, S_MAXDIM, a->dims);
    a->n_budgets = s_list("50,100", 1, 100000, a->budgets);
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *num = strcmp(f, "--instances") == 0 ? &a->instances
                    : strcmp(f, "--seeds") == 0   ? &a->seeds
                    : strcmp(f, "--workers") == 0 ? &a->workers
                    : strcmp(f, "--seed0") == 0   ? &a->seed0
                    : strcmp(f, "--cats") == 0    ? &a->cats
                    : strcmp(f, "--levels") == 0  ? &a->levels
                                                  : NULL;
        const char **str = strcmp(f, "--sampler") == 0 ? &a->sampler
                           : strcmp(f, "--opts") == 0  ? &a->opts
                           : strcmp(f, "--label") == 0 ? &a->label
                                                       : NULL;
        int *n = strcmp(f, "--functions") == 0 ? &a->n_fns
                 : strcmp(f, "--dims") == 0    ? &a->n_dims
                 : strcmp(f, "--budgets") == 0 ? &a->n_budgets
                                               : NULL;
        int *list = n == &a->n_fns ? a->fns : n == &a->n_dims ? a->dims : a->budgets;
        bool ok = v && ((num && parse_long(v, num) == 0 &&
                         *num >= (num == &a->seed0 || num == &a->cats ? 0 : 1)) ||
                        str ||
                        (n && (*n = s_list(v, n == &a->n_fns ? 1 : n == &a->n_dims ? 2 : 1,
                                           n == &a->n_fns ? 24 : n == &a->n_dims ? S_MAXDIM
                                                                                  : 100000,
                                           list)) > 0));
        if (!ok) {
            fprintf(stderr, "hps-bench bbob: bad argument '%s'\n", f);
            return -1;
        }
        if (str)
            *str = v;
        i++;
    }
    if (a->levels < 2 || a->levels > 64) {
        fprintf(stderr, "hps-bench bbob: --levels must be 2..64\n");
        return -1;
    }
    for (int d = 0; d < a->n_dims; d++)
        if (a->cats > a->dims[d]) {
            fprintf(stderr, "hps-bench bbob: --cats %ld is more than dimension %d\n", a->cats,
                    a->dims[d]);
            return -1;
        }
    return 0;
}

/* A problem as the samplers see it: the first `cats` coordinates are categorical, choice
 * k standing for -5 + 10 k / (levels - 1) (bench/bbob_optuna.py maps them alike). */
typedef struct {
    bbob_t *p;
    int dim, cats, levels;
} s_prob_t;

static double s_eval(void *arg, const double *x)
{
    const s_prob_t *pr = arg;
    double y[S_MAXDIM];
    for (int j = 0; j < pr->dim; j++)
        y[j] = j < pr->cats ? -5.0 + 10.0 * (double)(long)x[j] / (double)(pr->levels - 1) : x[j];
    return bbob_eval(pr->p, y);
}

/* The space [-5, 5]^dim, parameters x0 .. x{dim-1}, in params[dim], the first cats of
 * them categorical with `levels` choices. */
static space_t s_space(int dim, int cats, int levels, param_t *params)
{
    static char names[S_MAXDIM][16], labels[64][8], *choices[64];
    for (int k = 0; k < levels && k < 64; k++) {
        snprintf(labels[k], sizeof labels[k], "c%d", k);
        choices[k] = labels[k];
    }
    for (int j = 0; j < dim && j < S_MAXDIM; j++) {
        snprintf(names[j], sizeof names[j], "x%d", j);
        params[j] = j < cats ? (param_t){.name = names[j], .kind = PARAM_CAT, .low = 0,
                                         .high = levels - 1, .n_choices = levels,
                                         .choices = choices}
                             : (param_t){.name = names[j], .kind = PARAM_FLOAT, .low = -5,
                                         .high = 5};
    }
    return (space_t){.n = dim, .params = params};
}

/* One problem (fn, dim) over instances x seeds studies: per budget, the summary line and
 * the per-study regrets (instance-major) for bench/tpe_quality_stats.py. */
static int s_problem(const s_args_t *a, int fn, int dim, const char *label)
{
    param_t params[S_MAXDIM];
    space_t space = s_space(dim, (int)a->cats, (int)a->levels, params);
    const sampler_ops_t *ops = sampler_find(a->sampler);
    long n = a->instances * a->seeds, top = 0;
    for (int b = 0; b < a->n_budgets; b++)
        top = a->budgets[b] > top ? a->budgets[b] : top;
    double *reg = xmalloc(sizeof *reg * (size_t)(n * a->n_budgets)), *best = xmalloc(sizeof *best * (size_t)top);
    for (long k = 0; k < n; k++) {
        long inst = 1 + k / a->seeds, seed = a->seed0 + k;
        char yaml[512];
        snprintf(yaml, sizeof yaml, "{type: %s, seed: %ld%s%s}", a->sampler, seed,
                 a->opts[0] ? ", " : "", a->opts);
        void *smp = ops ? bench_sampler_new(ops, &space, yaml, "hps-bench bbob") : NULL;
        bbob_t *p = bbob_new(fn, dim, (int)inst);
        if (!smp || !p) {
            bbob_destroy(&p);
            free(reg);
            free(best);
            return 2;
        }
        s_prob_t pr = {.p = p, .dim = dim, .cats = (int)a->cats, .levels = (int)a->levels};
        bench_study(ops, smp, dim, top, a->workers, s_eval, &pr, best);
        for (int b = 0; b < a->n_budgets; b++)
            reg[b * n + k] = best[a->budgets[b] - 1] - bbob_fopt(p);
        ops->destroy(&smp);
        bbob_destroy(&p);
    }
    for (int b = 0; b < a->n_budgets; b++) {
        double *r = reg + b * n, *sorted = xmalloc(sizeof *sorted * (size_t)n), mean = 0;
        memcpy(sorted, r, sizeof *r * (size_t)n);
        for (long k = 0; k < n; k++)
            mean += r[k] / (double)n;
        printf("quality fn=f%d-d%d-b%d sampler=%s workers=%ld seeds=%ld median_regret=%.6g "
               "mean_regret=%.6g\n", fn, dim, a->budgets[b], label, a->workers, n,
               median_sort(sorted, (size_t)n), mean);
        printf("seeds fn=f%d-d%d-b%d sampler=%s workers=%ld regrets=", fn, dim, a->budgets[b],
               label, a->workers);
        for (long k = 0; k < n; k++)
            printf("%s%.10g", k ? "," : "", r[k]);
        printf("\n");
        free(sorted);
    }
    fflush(stdout);
    free(reg);
    free(best);
    return 0;
}

static int s_quality(int argc, char **argv)
{
    s_args_t a;
    if (s_parse(argc, argv, &a) != 0)
        return 2;
    if (!sampler_find(a.sampler)) {
        fprintf(stderr, "hps-bench bbob: no sampler '%s'\n", a.sampler);
        return 2;
    }
    const char *label = a.label ? a.label : a.sampler;
    for (int d = 0; d < a.n_dims; d++)
        for (int f = 0; f < a.n_fns; f++)
            if (s_problem(&a, a.fns[f], a.dims[d], label) != 0)
                return 2;
    return 0;
}

/* Seconds of this process's CPU (all its threads): what a proposal costs whatever else
 * the machine is doing. */
static double s_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Cost per proposal of a sampler that has n finished trials of f15 (5-d, instance 1)
 * behind it: the first proposal after them (which refits the GP's hyperparameters when
 * the schedule says so) and the median of the next four. */
static int s_cost(int argc, char **argv)
{
    s_args_t a;
    if (s_parse(argc, argv, &a) != 0)
        return 2;
    const sampler_ops_t *ops = sampler_find(a.sampler);
    int dim = a.dims[0];
    param_t params[S_MAXDIM];
    space_t space = s_space(dim, 0, 2, params);
    bbob_t *p = bbob_new(15, dim, 1);
    for (int b = 0; ops && b < a.n_budgets; b++) {
        char yaml[512], err[HPS_ERR_LEN];
        snprintf(yaml, sizeof yaml, "{type: %s, seed: 1%s%s}", a.sampler, a.opts[0] ? ", " : "",
                 a.opts);
        void *smp = bench_sampler_new(ops, &space, yaml, "hps-bench bbob cost");
        void *rnd = bench_sampler_new(&random_sampler, &space, "{type: random, seed: 7}",
                                      "hps-bench bbob cost");
        if (!smp || !rnd)
            return 2;
        long n = a.budgets[b];
        double x[S_MAXDIM], ms[5];
        for (long t = 0; t < n; t++) {
            random_sampler.propose(rnd, t, x, err);
            ops->started(smp, t, x);
            ops->finished(smp, t, TRIAL_COMPLETE, bbob_eval(p, x));
        }
        for (int r = 0; r < 5; r++) {
            double t0 = s_cpu();
            int rc = ops->propose(smp, n + r, x, err);
            ms[r] = 1e3 * (s_cpu() - t0);
            if (rc != SAMPLER_OK)
                return 2;
            ops->started(smp, n + r, x);
            ops->finished(smp, n + r, TRIAL_COMPLETE, bbob_eval(p, x));
        }
        double first = ms[0];
        printf("cost sampler=%s%s%s dim=%d n=%ld cpu_first_ms=%.2f cpu_median_ms=%.2f\n", a.sampler,
               a.opts[0] ? "+" : "", a.opts, dim, n, first, median_sort(ms + 1, 4));
        fflush(stdout);
        ops->destroy(&smp);
        random_sampler.destroy(&rnd);
    }
    bbob_destroy(&p);
    return ops ? 0 : 2;
}

/* Lines "FN DIM INSTANCE x0 ... x{DIM-1}" in, one regret f(x) - f_opt out per line. */
static int s_serve(void)
{
    char line[8192];
    bbob_t *p = NULL;
    int pf = 0, pd = 0, pi = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, stdin)) {
        char *s = line, *end;
        long fn = strtol(s, &end, 10), dim = strtol(end, &s, 10), inst = strtol(s, &end, 10);
        double x[S_MAXDIM];
        bool ok = dim >= 2 && dim <= S_MAXDIM;
        for (long j = 0; ok && j < dim; j++) {
            x[j] = strtod(end, &s);
            ok = s != end;
            end = s;
        }
        if (ok && (!p || fn != pf || dim != pd || inst != pi)) {
            bbob_destroy(&p);
            p = bbob_new((int)fn, (int)dim, (int)inst);
            pf = (int)fn, pd = (int)dim, pi = (int)inst;
        }
        if (!ok || !p) {
            fprintf(stderr, "hps-bench bbob serve: bad line: %s", line);
            rc = 2;
        } else if (printf("%.17g\n", bbob_eval(p, x) - bbob_fopt(p)) < 0 || fflush(stdout) != 0) {
            rc = 1;
        }
    }
    bbob_destroy(&p);
    return rc;
}

static int s_info(int argc, char **argv)
{
    long fn, dim, inst;
    bbob_t *p = argc == 5 && parse_long(argv[2], &fn) == 0 && parse_long(argv[3], &dim) == 0 &&
                        parse_long(argv[4], &inst) == 0 && fn > 0 && fn < 100 && dim > 0 &&
                        dim < 100 && inst > 0 && inst < 100000
                    ? bbob_new((int)fn, (int)dim, (int)inst)
                    : NULL;
    if (!p) {
        fprintf(stderr, "usage: hps-bench bbob info FN(1-24) DIM(2-40) INSTANCE(>=1)\n");
        return 2;
    }
    printf("f%ld %s dim=%ld instance=%ld fopt=%.2f xopt=", fn, bbob_name((int)fn), dim, inst,
           bbob_fopt(p));
    for (long j = 0; j < dim; j++)
        printf("%s%.17g", j ? "," : "", bbob_xopt(p)[j]);
    printf("\n");
    bbob_destroy(&p);
    return 0;
}

int bbob_bench_main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "quality") == 0)
        return s_quality(argc, argv);
    if (strcmp(mode, "cost") == 0)
        return s_cost(argc, argv);
    if (strcmp(mode, "serve") == 0 && argc == 2)
        return s_serve();
    if (strcmp(mode, "info") == 0)
        return s_info(argc, argv);
    fprintf(stderr, "usage: hps-bench bbob quality|cost|serve|info ... (see bench/bbob_bench.h)\n");
    return 2;
}
