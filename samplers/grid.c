/* grid — every point of the Cartesian product exactly once.
 *
 * The grid is enumerated by space_grid_point (mixed radix, first parameter slowest);
 * `shuffle: true` visits it in a seeded pseudo-random order instead. The only state is
 * a bitmap of the grid indexes already started, so replaying started() over the trial
 * table after a restart rebuilds it exactly, and propose() (the first unused index in
 * visiting order) is a pure function of that bitmap. Trials the sampler did not
 * propose (replayed, enqueued by hand) count too when they fall on the grid.
 *
 * The shuffled order is a keyed Feistel permutation of [0, 2^2h) narrowed to [0, N)
 * by cycle walking: a bijection that needs no N-entry table, so a 10^7-point grid
 * costs 1.25 MB (the bitmap), not 40 MB more for a permutation array.
 *
 * A conditional space (space_cond.c) has fewer distinct points than its product: a
 * point whose inactive parameters are all at their first value stands for every point
 * that differs from it only there, and the others are skipped, so each combination of
 * active values is proposed once, with its inactive parameters absent (NaN).
 *
 * Options: type, seed (default 0), shuffle (default false). */
#include "samplers/sampler.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GRID_MAX_POINTS 10000000L /* beyond this a grid search is a mistake */
#define FEISTEL_ROUNDS 4

typedef struct {
    const space_t *space; /* borrowed */
    long size;            /* number of grid points */
    uint8_t *used;        /* size bits: index started */
    long n_used;
    long cursor;          /* every visiting position below it is used */
    bool shuffle;
    uint64_t key;         /* Feistel key from the seed */
    int half_bits;        /* Feistel works on 2 * half_bits bits */
} grid_t;

static const char *const s_keys[] = {"type", "seed", "shuffle", NULL};

/* Number of grid values of param p; 0 for a continuous float (a float with low ==
 * high is a constant: one value). */
static long s_count(const param_t *p)
{
    if (p->kind == PARAM_CAT)
        return p->n_choices;
    if (p->step <= 0)
        return p->low == p->high ? 1 : 0;
    return (long)floor((p->high - p->low) / p->step + 0.5) + 1;
}

/* Grid index of x, the inverse of space_grid_point; -1 when x is not on the grid. */
static long s_index(const space_t *space, const double *x)
{
    long index = 0;
    for (int i = 0; i < space->n; i++) {
        const param_t *p = &space->params[i];
        long count = s_count(p);
        assert(count > 0);
        if (isnan(x[i])) { /* inactive: the representative at the first value */
            index *= count;
            continue;
        }
        double origin = p->kind == PARAM_CAT ? 0 : p->low;
        double step = p->kind == PARAM_CAT || p->step <= 0 ? 1 : p->step;
        double d = floor((x[i] - origin) / step + 0.5);
        if (!(d >= 0 && d < (double)count))
            return -1;
        /* off-grid values (a hand-enqueued trial) must not claim a neighbour */
        if (fabs(origin + d * step - x[i]) > 1e-6 * step)
            return -1;
        index = index * count + (long)d;
    }
    return index;
}

static int s_check(const cfg_node_t *opts, const space_t *space, cfg_errs_t *errs)
{
    int before = errs->n;
    if (opts) {
        long seed;
        bool shuffle;
        cfg_check_keys(opts, s_keys, errs);
        cfg_long(opts, "seed", 0, &seed, errs);
        cfg_bool(opts, "shuffle", false, &shuffle, errs);
    }
    double size = 1;
    bool continuous = false;
    for (int i = 0; space && i < space->n; i++) {
        long count = s_count(&space->params[i]);
        if (count == 0) {
            cfg_error(errs, opts,
                      "grid sampler: parameter '%s' is a continuous float; give it a step",
                      space->params[i].name);
            continuous = true;
        }
        size *= (double)count;
    }
    if (!continuous && size > (double)GRID_MAX_POINTS)
        cfg_error(errs, opts, "grid sampler: the grid has %.0f points, more than %ld", size,
                  GRID_MAX_POINTS);
    return errs->n > before ? -1 : 0;
}

/* One Feistel round function value for half `v` in round `round`. */
static uint64_t s_round(uint64_t key, int round, uint64_t v)
{
    return hash_mix64(key ^ hash_mix64(v * 4 + (uint64_t)round));
}

/* The grid index visited at position `pos` (identity unless shuffled). A bijection
 * of [0, size): Feistel networks are invertible whatever the round function, and
 * cycle walking keeps a bijection of a superset a bijection of the subset. */
static long s_visit(const grid_t *self, long pos)
{
    assert(pos >= 0 && pos < self->size);
    if (!self->shuffle)
        return pos;
    uint64_t mask = ((uint64_t)1 << self->half_bits) - 1;
    uint64_t v = (uint64_t)pos;
    do {
        uint64_t l = (v >> self->half_bits) & mask, r = v & mask;
        for (int k = 0; k < FEISTEL_ROUNDS; k++) {
            uint64_t t = (l ^ s_round(self->key, k, r)) & mask;
            l = r;
            r = t;
        }
        v = (l << self->half_bits) | r;
    } while (v >= (uint64_t)self->size);
    return (long)v;
}

static void *s_create(const space_t *space, const cfg_node_t *opts, direction_t dir, char *err)
{
    assert(space);
    (void)dir;
    long seed = 0;
    bool shuffle = false;
    if (opts) {
        cfg_errs_t errs;
        cfg_errs_init(&errs);
        if (cfg_long(opts, "seed", 0, &seed, &errs) != 0 ||
            cfg_bool(opts, "shuffle", false, &shuffle, &errs) != 0) {
            set_err(err, "%s", errs.n ? errs.msgs[0] : "grid sampler: bad options");
            cfg_errs_free(&errs);
            return NULL;
        }
        cfg_errs_free(&errs);
    }
    long size = space_grid_size(space);
    if (size < 0) {
        set_err(err, "grid sampler: the space has a continuous parameter or is too large");
        return NULL;
    }
    if (size > GRID_MAX_POINTS) {
        set_err(err, "grid sampler: the grid has %ld points, more than %ld", size,
                GRID_MAX_POINTS);
        return NULL;
    }
    grid_t *self = xcalloc(1, sizeof *self);
    self->space = space;
    self->size = size;
    self->used = xcalloc((size_t)size / 8 + 1, 1);
    self->shuffle = shuffle;
    self->key = hash_mix64((uint64_t)seed ^ 0x6772696453554646ULL);
    int bits = 0;
    while (bits < 62 && ((long)1 << bits) < size)
        bits++;
    self->half_bits = (bits + 1) / 2;
    return self;
}

static bool s_used(const grid_t *self, long index)
{
    return self->used[index >> 3] & (1u << (index & 7));
}

/* Whether grid point x represents its combination of active values: every inactive
 * parameter at its first value (conditional spaces). Sets the inactive ones to NaN. */
static bool s_representative(const space_t *space, double *x)
{
    if (!space_conditional(space))
        return true;
    bool first = true;
    for (int k = 0; k < space->n; k++) {
        int i = space_order(space, k);
        if (space_active(space, x, i))
            continue;
        first = first && x[i] == space->params[i].low;
        x[i] = NAN;
    }
    return first;
}

static int s_propose(void *vself, long number, double *x, char *err)
{
    grid_t *self = vself;
    assert(self && x);
    (void)number, (void)err;
    /* The cursor only moves past used positions and the points standing for none, so
     * each is skipped once overall. */
    for (; self->cursor < self->size; self->cursor++) {
        long index = s_visit(self, self->cursor);
        if (s_used(self, index))
            continue;
        space_grid_point(self->space, index, x);
        if (s_representative(self->space, x))
            return SAMPLER_OK;
    }
    return SAMPLER_DONE;
}

static void s_started(void *vself, long number, const double *x)
{
    grid_t *self = vself;
    assert(self && x);
    (void)number;
    long index = s_index(self->space, x);
    if (index < 0 || s_used(self, index))
        return;
    assert(index < self->size);
    self->used[index >> 3] |= (uint8_t)(1u << (index & 7));
    self->n_used++;
}

/* Results do not matter to a grid: a failed point is not retried (as in Optuna). */
static void s_finished(void *self, long number, trial_state_t state, double value)
{
    (void)self, (void)number, (void)state, (void)value;
}

static size_t s_memory(const void *vself)
{
    const grid_t *self = vself;
    return sizeof *self + (size_t)self->size / 8 + 1;
}

static void s_destroy(void **self_p)
{
    assert(self_p);
    grid_t *self = *self_p;
    if (self) {
        free(self->used);
        free(self);
    }
    *self_p = NULL;
}

const sampler_ops_t grid_sampler = {
    .name = "grid",
    .check = s_check,
    .create = s_create,
    .propose = s_propose,
    .started = s_started,
    .finished = s_finished,
    .memory = s_memory,
    .destroy = s_destroy,
};

/* ---------------------------------------------------------------------------------- */

/* Run `self` to exhaustion, proposing and starting trials from `number` on; the
 * indexes handed out go to seen[] (each must be new). Returns the next number. */
static long s_test_drain(grid_t *self, long number, int *seen)
{
    char err[HPS_ERR_LEN];
    double x[8];
    int rc;
    while ((rc = s_propose(self, number, x, err)) == SAMPLER_OK) {
        long index = s_index(self->space, x);
        assert(index >= 0 && index < self->size && seen[index] == 0);
        seen[index] = 1;
        s_started(self, number++, x);
    }
    assert(rc == SAMPLER_DONE && self->n_used == self->size);
    return number;
}

static void s_test_restart(const space_t *space, const cfg_node_t *opts)
{
    char err[HPS_ERR_LEN];
    grid_t *a = s_create(space, opts, DIR_MINIMIZE, err);
    assert(a);
    double hist[20][8], x[8], y[8];
    for (int t = 0; t < 7; t++) {
        assert(s_propose(a, t, hist[t], err) == SAMPLER_OK);
        s_started(a, t, hist[t]);
    }
    /* "restart": a new instance that only replays the trial table */
    grid_t *b = s_create(space, opts, DIR_MINIMIZE, err);
    for (int t = 0; t < 7; t++)
        s_started(b, t, hist[t]);
    for (long t = 7;; t++) {
        int ra = s_propose(a, t, x, err), rb = s_propose(b, t, y, err);
        assert(ra == rb);
        if (ra == SAMPLER_DONE)
            break;
        assert(memcmp(x, y, sizeof(double) * (size_t)space->n) == 0);
        s_started(a, t, x);
        s_started(b, t, y);
    }
    assert(a->n_used == a->size && b->n_used == b->size);
    void *pa = a, *pb = b;
    s_destroy(&pa);
    s_destroy(&pb);
}

/* The inverse holds on spaces parsed from YAML too (awkward float steps included). */
static void s_test_parsed_space(void)
{
    const char *yaml = "a: {type: float, low: 0, high: 0.3, step: 0.1}\n"
                       "b: {type: categorical, choices: [x, 2, true]}\n"
                       "c: {type: int, low: -3, high: 7, step: 5}\n"
                       "d: {type: float, low: 1.0e-3, high: 1.0e-3}\n";
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *node = cfg_parse(yaml, strlen(yaml), "space.yaml", &errs);
    space_t *space = node ? space_from_cfg(node, &errs) : NULL;
    assert(space && errs.n == 0);
    assert(grid_sampler.check(NULL, space, &errs) == 0);
    long size = space_grid_size(space);
    assert(size == 4 * 3 * 3 * 1);
    double x[4];
    for (long i = 0; i < size; i++) {
        space_grid_point(space, i, x);
        assert(s_index(space, x) == i);
    }
    char err[HPS_ERR_LEN];
    void *g = grid_sampler.create(space, NULL, DIR_MAXIMIZE, err);
    int seen[36] = {0};
    assert(s_test_drain(g, 0, seen) == 36 && grid_sampler.memory(g) > 0);
    grid_sampler.destroy(&g);
    space_destroy(&space);
    cfg_free(&node);
    cfg_errs_free(&errs);
}

/* The shuffled visiting order is a bijection for any size. */
static void s_test_bijection(void)
{
    for (long n = 1; n < 300; n++) {
        grid_t t = {.size = n, .shuffle = true, .key = hash_mix64((uint64_t)n)};
        while (((long)1 << (2 * t.half_bits)) < n)
            t.half_bits++;
        int *hit = xcalloc((size_t)n, sizeof *hit);
        for (long pos = 0; pos < n; pos++)
            hit[s_visit(&t, pos)]++;
        for (long i = 0; i < n; i++)
            assert(hit[i] == 1);
        free(hit);
    }
}

/* A seeded shuffle visits every point once, not in index order, and survives restarts. */
static void s_test_shuffle(const space_t *space)
{
    char err[HPS_ERR_LEN];
    double x[3];
    int seen[18] = {0};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    const char *yaml = "type: grid\nseed: 5\nshuffle: true\n";
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "s.yaml", &errs);
    assert(opts && grid_sampler.check(opts, space, &errs) == 0 && errs.n == 0);
    grid_t *g = s_create(space, opts, DIR_MINIMIZE, err);
    assert(g && g->shuffle);
    int in_order = 0;
    for (long t = 0; s_propose(g, t, x, err) == SAMPLER_OK; t++) {
        in_order += s_index(space, x) == t;
        s_started(g, t, x);
        seen[s_index(space, x)]++;
    }
    for (int i = 0; i < 18; i++)
        assert(seen[i] == 1);
    assert(in_order < 18);
    void *pg = g;
    s_destroy(&pg);
    s_test_restart(space, opts);
    cfg_free(&opts);
    cfg_errs_free(&errs);
}

/* check(): continuous floats and huge grids are config errors at the sampler node. */
static void s_test_check(bool verbose)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    const char *yaml = "type: grid\nshuffel: true\n";
    cfg_node_t *opts = cfg_parse(yaml, strlen(yaml), "s.yaml", &errs);
    assert(opts);
    param_t wide[] = {
        {.name = "u", .kind = PARAM_FLOAT, .low = 0, .high = 1},
        {.name = "k", .kind = PARAM_FLOAT, .low = 2, .high = 2}, /* a constant: 1 point */
        {.name = "v", .kind = PARAM_INT, .low = 0, .high = 99999, .step = 1},
        {.name = "w", .kind = PARAM_INT, .low = 0, .high = 999, .step = 1},
    };
    space_t bad = {.n = 1, .params = wide};
    assert(grid_sampler.check(opts, &bad, &errs) == -1);
    assert(errs.n == 2 && strstr(errs.msgs[0], "s.yaml:2:1: unknown key 'shuffel'"));
    assert(strstr(errs.msgs[1], "s.yaml:1:1:") && strstr(errs.msgs[1], "'u' is a continuous"));
    bad = (space_t){.n = 3, .params = wide + 1};
    assert(grid_sampler.check(opts, &bad, &errs) == -1);
    assert(errs.n == 4 && strstr(errs.msgs[3], "more than 10000000"));
    if (verbose)
        cfg_errs_print(&errs, stdout);
    cfg_errs_free(&errs);
    cfg_free(&opts);
}

void grid_test(bool verbose)
{
    param_t params[] = {
        {.name = "a", .kind = PARAM_INT, .low = 1, .high = 3, .step = 1},
        {.name = "c", .kind = PARAM_CAT, .low = 0, .high = 1, .step = 1, .n_choices = 2},
        {.name = "f", .kind = PARAM_FLOAT, .low = 0, .high = 1, .step = 0.5},
    };
    space_t space = {.n = 3, .params = params};
    assert(space_grid_size(&space) == 18);
    double x[3];
    for (long i = 0; i < 18; i++) { /* s_index inverts space_grid_point */
        space_grid_point(&space, i, x);
        assert(s_index(&space, x) == i);
    }
    assert(s_index(&space, (double[]){1, 0, 0.3}) == -1);
    assert(s_index(&space, (double[]){4, 0, 0}) == -1);

    char err[HPS_ERR_LEN];
    int seen[18] = {0};
    grid_t *g = s_create(&space, NULL, DIR_MINIMIZE, err);
    assert(g && g->size == 18);
    s_started(g, 0, (double[]){1, 0, 0.3}); /* off-grid: ignored */
    s_started(g, 1, (double[]){3, 1, 1});   /* the last point, started out of order */
    seen[17] = 1;
    assert(g->n_used == 1);
    s_started(g, 2, (double[]){3, 1, 1}); /* twice: counted once */
    assert(g->n_used == 1);
    assert(s_propose(g, 3, x, err) == SAMPLER_OK && s_index(&space, x) == 0);
    s_test_drain(g, 3, seen);
    assert(s_propose(g, 99, x, err) == SAMPLER_DONE);
    void *pg = g;
    s_destroy(&pg);

    s_test_bijection();
    s_test_restart(&space, NULL);
    s_test_parsed_space();
    s_test_shuffle(&space);
    s_test_check(verbose);
}
