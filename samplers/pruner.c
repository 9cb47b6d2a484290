/* pruner — the registry of pruners (see pruner.h), the `none` pruner, and the small
 * pieces the pruners share: checked integer options and a sorted vector of values. */
#include "samplers/pruner.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- none: never prunes ------------------------------------------------------------ */

static const char *const s_none_keys[] = {"type", NULL};

static int s_none_check(const cfg_node_t *opts, cfg_errs_t *errs)
{
    return opts ? cfg_check_keys(opts, s_none_keys, errs) : 0;
}

/* A non-NULL token: the interface reserves NULL for failure. */
static void *s_none_create(const cfg_node_t *opts, direction_t dir, char *err)
{
    (void)opts, (void)dir, (void)err;
    return xmalloc(1);
}

static int s_none_report(void *self, long number, long step, double value)
{
    (void)self, (void)number, (void)step, (void)value;
    return 0;
}

static void s_none_finished(void *self, long number, trial_state_t state)
{
    (void)self, (void)number, (void)state;
}

static void s_none_destroy(void **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

const pruner_ops_t none_pruner = {
    .name = "none",
    .check = s_none_check,
    .create = s_none_create,
    .report = s_none_report,
    .finished = s_none_finished,
    .destroy = s_none_destroy,
};

/* ---- registry ---------------------------------------------------------------------- */

static const pruner_ops_t *const s_pruners[] = {
    &none_pruner,
    &median_pruner,
    &halving_pruner,
    NULL, /* placeholder so the table is never empty; skipped by lookups */
};

const pruner_ops_t *pruner_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(s_pruners); i++)
        if (s_pruners[i] && strcmp(s_pruners[i]->name, name) == 0)
            return s_pruners[i];
    return NULL;
}

const char *pruner_name_of(const cfg_node_t *opts)
{
    const cfg_node_t *t = opts ? cfg_get(opts, "type") : NULL;
    return t && t->type == CFG_SCALAR ? t->value : "none";
}

/* ---- shared helpers ---------------------------------------------------------------- */

int pruner_opt_long(const cfg_node_t *opts, const char *key, long def, long min, long *out,
                    cfg_errs_t *errs)
{
    *out = def;
    if (!opts)
        return 0;
    if (cfg_long(opts, key, def, out, errs) != 0)
        return -1;
    if (*out < min) {
        cfg_error(errs, cfg_get(opts, key), "%s: must be >= %ld", key, min);
        *out = def;
        return -1;
    }
    return 0;
}

void sortvec_insert(sortvec_t *s, double x)
{
    assert(!isnan(x));
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    size_t lo = 0, hi = s->n; /* first element > x: equal values keep arrival order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof *s->v);
    s->v[lo] = x;
    s->n++;
}

double sortvec_quantile(const sortvec_t *s, double q)
{
    assert(q >= 0 && q <= 1);
    if (s->n == 0)
        return NAN;
    double pos = q * (double)(s->n - 1);
    size_t i = (size_t)floor(pos);
    if (i + 1 >= s->n)
        return s->v[s->n - 1];
    double frac = pos - (double)i;
    return s->v[i] + frac * (s->v[i + 1] - s->v[i]);
}

void sortvec_free(sortvec_t *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

void pruner_test(bool verbose)
{
    (void)verbose;
    assert(pruner_find("none") == &none_pruner && pruner_find("median") == &median_pruner);
    assert(pruner_find("halving") == &halving_pruner && pruner_find("hyperband") == NULL);
    assert(strcmp(pruner_name_of(NULL), "none") == 0);
    char err[HPS_ERR_LEN];
    void *p = none_pruner.create(NULL, DIR_MINIMIZE, err);
    assert(p && none_pruner.report(p, 0, 1, 1e9) == 0);
    none_pruner.finished(p, 0, TRIAL_COMPLETE);
    none_pruner.destroy(&p);
    assert(p == NULL);

    sortvec_t s = {0};
    assert(isnan(sortvec_quantile(&s, 0.5)));
    const double in[] = {5, 1, 4, 2, 3, 2};
    for (size_t i = 0; i < ARRAY_SIZE(in); i++)
        sortvec_insert(&s, in[i]);
    for (size_t i = 1; i < s.n; i++)
        assert(s.v[i - 1] <= s.v[i]);
    assert(sortvec_quantile(&s, 0.5) == 2.5); /* numpy: median of 1 2 2 3 4 5 */
    assert(sortvec_quantile(&s, 0) == 1 && sortvec_quantile(&s, 1) == 5);
    assert(fabs(sortvec_quantile(&s, 0.25) - 2) < 1e-12);
    sortvec_insert(&s, 9);
    assert(sortvec_quantile(&s, 0.5) == 3);
    sortvec_free(&s);
    assert(s.v == NULL && s.n == 0);
}
