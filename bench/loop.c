/* loop — a sampler from YAML and one simulated study (see loop.h). */
#include "bench/loop.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"

void *bench_sampler_new(const sampler_ops_t *ops, const space_t *space, const char *yaml,
                        const char *who)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "<bench>", &errs);
    void *smp = NULL;
    char err[HPS_ERR_LEN] = "";
    if (opts && ops->check(opts, space, &errs) == 0)
        smp = ops->create(space, opts, DIR_MINIMIZE, err);
    if (!smp) {
        cfg_errs_print(&errs, stderr);
        fprintf(stderr, "%s: bad sampler options '%s' %s\n", who, yaml, err);
    }
    cfg_free(&opts);
    cfg_errs_free(&errs);
    return smp;
}

double bench_study(const sampler_ops_t *ops, void *smp, int d, long trials, long workers,
                   bench_eval_t eval, void *arg, double *best)
{
    double *xs = xmalloc(sizeof *xs * (size_t)(trials * d + 1)), top = INFINITY;
    char err[HPS_ERR_LEN];
    long oldest = 0;
    for (long t = 0; t <= trials; t++) {
        while (oldest < t && (t - oldest >= workers || t == trials)) {
            double v = eval(arg, xs + oldest * d);
            ops->finished(smp, oldest, TRIAL_COMPLETE, v);
            top = v < top ? v : top;
            if (best)
                best[oldest] = top;
            oldest++;
        }
        if (t == trials)
            break;
        int rc = ops->propose(smp, t, xs + t * d, err);
        assert(rc == SAMPLER_OK);
        ops->started(smp, t, xs + t * d);
    }
    free(xs);
    return top;
}
