/* auto — the sampler a new config gets when it names none (`sampler: {type: auto}`):
 * the Gaussian process (gp.c) where it is known to be strong, TPE elsewhere.
 *
 * The rule, decided once from the space (so a restarted coordinator decides the same):
 * GP when the space has no conditional parameter (`when:`) and is at most AUTO_MAX_WIDTH
 * (16) wide once encoded (a numeric parameter counts one, a categorical one per choice,
 * as the GP one-hot encodes it); TPE otherwise.
 * A GP study still hands over to TPE past gp's max_trials (300) finished trials, where
 * its cubic cost stops paying. Why: on the BBOB tuning seeds (docs/bench-bbob.md) the
 * GP's median regret at 50 and 100 trials was far below TPE's on most numeric problems
 * of 2 to 4 dimensions; a conditional parameter is NaN when inactive, which a GP can
 * only encode as a made-up value. Categoricals were once held to half of the width (a
 * one-hot kernel has no notion of which choices are alike, where TPE models each
 * choice's frequency); measured on mixed 5-D BBOB spaces (1 to 5 categoricals of 3 to
 * 8 choices, 50-100% of the width; a 14-choice one in 2-D) the GP was significantly
 * better than TPE on 18-36 of 48 problems each and worse on at most 1 (0 after Holm's
 * correction), so only the width and conditions decide.
 *
 * Options: type, seed (passed on to the sampler chosen). */
#include "samplers/auto.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

typedef struct {
    const sampler_ops_t *ops;
    void *inner;
} s_auto_t;

static const char *const s_keys[] = {"type", "seed", NULL};

const sampler_ops_t *auto_choice(const space_t *space)
{
    int width = 0;
    for (int i = 0; i < space->n; i++) {
        const param_t *p = &space->params[i];
        if (p->n_when > 0)
            return &tpe_sampler;
        width += p->kind == PARAM_CAT ? p->n_choices : 1;
    }
    return width <= AUTO_MAX_WIDTH ? &gp_sampler : &tpe_sampler;
}

static int s_check(const cfg_node_t *opts, const space_t *space, cfg_errs_t *errs)
{
    (void)space;
    int before = errs->n;
    long seed;
    if (opts)
        cfg_check_keys(opts, s_keys, errs);
    cfg_long(opts, "seed", 0, &seed, errs);
    return errs->n > before ? -1 : 0;
}

static void *s_create(const space_t *space, const cfg_node_t *opts, direction_t dir, char *err)
{
    long seed = 0;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_long(opts, "seed", 0, &seed, &errs);
    cfg_errs_free(&errs);
    const sampler_ops_t *ops = auto_choice(space);
    void *inner = sampler_create_seeded(ops, space, seed, NULL, dir, err);
    if (!inner)
        return NULL;
    s_auto_t *a = xmalloc(sizeof *a);
    *a = (s_auto_t){ops, inner};
    return a;
}

static int s_propose(void *self, long number, double *x, char *err)
{
    s_auto_t *a = self;
    return a->ops->propose(a->inner, number, x, err);
}

static void s_started(void *self, long number, const double *x)
{
    s_auto_t *a = self;
    a->ops->started(a->inner, number, x);
}

static void s_finished(void *self, long number, trial_state_t state, double value)
{
    s_auto_t *a = self;
    a->ops->finished(a->inner, number, state, value);
}

static size_t s_memory(const void *self)
{
    const s_auto_t *a = self;
    return sizeof *a + (a->ops->memory ? a->ops->memory(a->inner) : 0);
}

static void s_destroy(void **self_p)
{
    s_auto_t *a = *self_p;
    if (!a)
        return;
    a->ops->destroy(&a->inner);
    free(a);
    *self_p = NULL;
}

const sampler_ops_t auto_sampler = {
    .name = "auto",
    .check = s_check,
    .create = s_create,
    .propose = s_propose,
    .started = s_started,
    .finished = s_finished,
    .memory = s_memory,
    .destroy = s_destroy,
};

/* ---- self-test ---------------------------------------------------------------------- */

/* The space of a YAML `space:` map (the caller destroys it). */
static space_t *s_space(const char *yaml, cfg_node_t **root)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    *root = cfg_parse(yaml, strlen(yaml), "<auto_test>", &errs);
    assert(*root);
    space_t *space = space_from_cfg(*root, &errs);
    assert(space && errs.n == 0);
    cfg_errs_free(&errs);
    return space;
}

static const sampler_ops_t *s_choice_of(const char *yaml)
{
    cfg_node_t *root;
    space_t *space = s_space(yaml, &root);
    const sampler_ops_t *ops = auto_choice(space);
    space_destroy(&space);
    cfg_free(&root);
    return ops;
}

void auto_test(bool verbose)
{
    (void)verbose;
    /* numeric spaces: GP, up to the width limit */
    assert(s_choice_of("{x: {type: float, low: 0, high: 1}, n: {type: int, low: 1, "
                       "high: 9}}") == &gp_sampler);
    for (int n = AUTO_MAX_WIDTH; n <= AUTO_MAX_WIDTH + 1; n++) {
        strbuf_t sb;
        sb_init(&sb);
        for (int i = 0; i < n; i++)
            sb_printf(&sb, "%sx%d: {type: float, low: 0, high: 1}", i ? ", " : "{", i);
        sb_putc(&sb, '}');
        assert(s_choice_of(sb.buf) == (n > AUTO_MAX_WIDTH ? &tpe_sampler : &gp_sampler));
        sb_free(&sb);
    }
    /* categoricals: each choice counts one; any share of the width */
    assert(s_choice_of("{a: {type: float, low: 0, high: 1}, "
                       "c: {type: categorical, choices: [p, q]}}") == &gp_sampler);
    assert(s_choice_of("{c: {type: categorical, choices: [a, b, c, d, e, f, g, h]}, "
                       "d: {type: categorical, choices: [a, b, c, d, e, f, g, h]}}") ==
           &gp_sampler);
    assert(s_choice_of("{c: {type: categorical, choices: [a, b, c, d, e, f, g, h]}, "
                       "d: {type: categorical, choices: [a, b, c, d, e, f, g, h, i]}}") ==
           &tpe_sampler);
    /* a conditional parameter: TPE */
    assert(s_choice_of("{k: {type: categorical, choices: [rbf, poly, lin, sig, a, b, c]}, "
                       "x: {type: float, low: 0, high: 1}, y: {type: float, low: 0, high: 1}, "
                       "z: {type: float, low: 0, high: 1}, w: {type: float, low: 0, high: 1}, "
                       "u: {type: float, low: 0, high: 1}, v: {type: float, low: 0, high: 1}, "
                       "d: {type: int, low: 1, high: 5, when: {k: [poly]}}}") == &tpe_sampler);
    /* the chosen sampler proposes: deterministic given the seed */
    cfg_node_t *root, *opts;
    space_t *space = s_space("{x: {type: float, low: 0, high: 1}}", &root);
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    opts = cfg_parse("{type: auto, seed: 4}", 21, "<auto_test>", &errs);
    assert(opts && auto_sampler.check(opts, space, &errs) == 0);
    char err[HPS_ERR_LEN];
    double x[2][1];
    for (int k = 0; k < 2; k++) {
        void *s = auto_sampler.create(space, opts, DIR_MINIMIZE, err);
        assert(s && ((s_auto_t *)s)->ops == &gp_sampler);
        for (long t = 0; t < 12; t++) {
            assert(auto_sampler.propose(s, t, x[k], err) == SAMPLER_OK);
            auto_sampler.started(s, t, x[k]);
            auto_sampler.finished(s, t, TRIAL_COMPLETE, (x[k][0] - 0.3) * (x[k][0] - 0.3));
        }
        assert(auto_sampler.memory(s) > sizeof(s_auto_t));
        auto_sampler.destroy(&s);
        assert(!s);
    }
    assert(x[0][0] == x[1][0]);
    cfg_free(&opts);
    cfg_errs_free(&errs);
    space_destroy(&space);
    cfg_free(&root);
}
