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
    NULL, /* the end */
};

const pruner_ops_t *pruner_find(const char *name)
{
    return registry_find((const void *const *)s_pruners, name);
}

const char **pruner_names(void) { return registry_names((const void *const *)s_pruners); }

const char *pruner_name_of(const cfg_node_t *opts) { return cfg_type_or(opts, "none"); }

void pruner_check_study(const study_config_t *s, cfg_errs_t *errs)
{
    assert(s && errs);
    if (!study_type_ok(s->pruner, errs))
        return;
    const char *name = pruner_name_of(s->pruner);
    const pruner_ops_t *ops = pruner_find(name);
    if (!ops && strcmp(name, "none") != 0) /* "none" needs no registered pruner */
        study_unknown_type(errs, study_type_node(s, s->pruner), "pruner", name,
                           pruner_names());
    else if (ops && ops->check)
        ops->check(s->pruner, errs);
}

/* ---- shared helpers ---------------------------------------------------------------- */

/* Read every option of table into obj; -1 when one is bad (errors added). */
static int s_opts_read(const cfg_node_t *opts, const pruner_opt_t *table, void *obj,
                       cfg_errs_t *errs)
{
    int rc = 0;
    for (const pruner_opt_t *o = table; o->key; o++) {
        long *out = (long *)((char *)obj + o->offset);
        *out = o->def;
        if (!opts)
            continue;
        if (cfg_long(opts, o->key, o->def, out, errs) != 0)
            rc = -1;
        else if (*out < o->min) {
            cfg_error(errs, cfg_get(opts, o->key), "%s: must be >= %ld", o->key, o->min);
            *out = o->def;
            rc = -1;
        }
    }
    return rc;
}

int pruner_opts_check(const cfg_node_t *opts, const pruner_opt_t *table, cfg_errs_t *errs)
{
    const char *keys[16] = {"type"};
    size_t n = 1;
    for (const pruner_opt_t *o = table; o->key && n + 1 < ARRAY_SIZE(keys); o++)
        keys[n++] = o->key;
    keys[n] = NULL;
    int before = errs->n;
    if (opts)
        cfg_check_keys(opts, keys, errs);
    /* Values are read into scratch space: offsets stay below 256 longs' worth. */
    long scratch[256];
    for (const pruner_opt_t *o = table; o->key; o++)
        assert(o->offset + sizeof(long) <= sizeof scratch);
    s_opts_read(opts, table, scratch, errs);
    return errs->n > before ? -1 : 0;
}

void *pruner_opts_new(const cfg_node_t *opts, const pruner_opt_t *table, size_t size,
                      char *err)
{
    void *obj = xcalloc(1, size);
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    if (s_opts_read(opts, table, obj, &errs) != 0) {
        set_err(err, "%s", errs.n ? errs.msgs[0] : "bad pruner options");
        free(obj);
        obj = NULL;
    }
    cfg_errs_free(&errs);
    return obj;
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
