/* rstudy — a study's trials read for the HTML report, and the samples its plots draw
 * (see rstudy.h).
 *
 * Samples are spread evenly over trial numbers (s_pick), not drawn at random: the same
 * file gives the same page, and a study's early and late phases are both seen. */
#include "results/rstudy.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "results/importance.h"

/* ---- reading ---------------------------------------------------------------------- */

typedef struct {
    rstudy_t *r;
    int cap;
} s_load_t;

static void s_grow(rstudy_t *r, int cap)
{
    r->number = xrealloc(r->number, sizeof *r->number * (size_t)cap);
    r->state = xrealloc(r->state, sizeof *r->state * (size_t)cap);
    r->value = xrealloc(r->value, sizeof *r->value * (size_t)cap);
    r->x = xrealloc(r->x, sizeof *r->x * (size_t)cap * (size_t)(r->nx ? r->nx : 1));
    r->attempt = xrealloc(r->attempt, sizeof *r->attempt * (size_t)cap);
    r->worker = xrealloc(r->worker, sizeof *r->worker * (size_t)cap);
}

static int s_trial_cb(void *arg, const store_trial_t *t)
{
    s_load_t *l = arg;
    rstudy_t *r = l->r;
    if (t->final)
        return 0;
    if (r->n == l->cap)
        s_grow(r, l->cap = l->cap ? 2 * l->cap : 1024);
    int i = r->n++;
    r->number[i] = t->number;
    r->state[i] = t->state;
    r->value[i] = t->value;
    r->attempt[i] = t->attempt;
    r->worker[i] = t->worker ? xstrdup(t->worker) : NULL;
    double *x = &r->x[(size_t)i * (size_t)r->nx];
    for (int k = 0; k < r->nx; k++) {
        /* a point of another size, or a value the space would not produce: not drawn */
        double v = t->nx == r->nx ? t->x[k] : NAN;
        x[k] = isfinite(v) && space_valid(&r->space->params[k], v) ? v : NAN;
    }
    r->counts[t->state]++;
    return 0;
}

bool rstudy_better(direction_t dir, double v, double b)
{
    return isfinite(v) && (isnan(b) || v * (double)dir < b * (double)dir);
}

/* ---- samples ---------------------------------------------------------------------- */

/* Mark budget of the n indices idx[] in keep, evenly spaced (all when n <= budget). */
static void s_pick(const int *idx, int n, int budget, bool *keep)
{
    for (int j = 0; j < n; j++)
        if (n <= budget || (long)j * budget / n != (long)(j + 1) * budget / n)
            keep[idx[j]] = true;
}

/* Indices of trials in state s with a finite value (*n of them; caller frees). */
static int *s_with_value(const rstudy_t *r, trial_state_t s, int *n)
{
    int *idx = xcalloc((size_t)r->n + 1, sizeof *idx);
    *n = 0;
    for (int i = 0; i < r->n; i++)
        if (r->state[i] == s && isfinite(r->value[i]))
            idx[(*n)++] = i;
    return idx;
}

/* The point plots' sample: improvements and the best, then COMPLETE and PRUNED trials
 * evenly spaced, PRUNED getting at least a quarter of the budget when there are that
 * many. */
static void s_sample_points(rstudy_t *r)
{
    r->shown = xcalloc((size_t)r->n + 1, sizeof *r->shown);
    double best = NAN;
    int kept = 0;
    for (int i = 0; i < r->n; i++)
        if (r->state[i] == TRIAL_COMPLETE && rstudy_better(r->dir, r->value[i], best)) {
            best = r->value[i];
            r->shown[i] = true;
            kept++;
        }
    int nc, np;
    int *c = s_with_value(r, TRIAL_COMPLETE, &nc), *p = s_with_value(r, TRIAL_PRUNED, &np);
    int budget = RSTUDY_POINTS > kept ? RSTUDY_POINTS - kept : 0;
    int bp = np, bc = nc;
    if (nc + np > budget) {
        bp = (int)((long)budget * np / (nc + np));
        bp = bp < budget / 4 ? (np < budget / 4 ? np : budget / 4) : bp;
        bc = budget - bp;
    }
    s_pick(c, nc, bc, r->shown);
    s_pick(p, np, bp, r->shown);
    free(c);
    free(p);
}

/* ---- intermediate values ---------------------------------------------------------- */

typedef struct {
    rstudy_t *r;
    int *curve_of; /* by trial number: curve index + 1, 0 = not sampled */
    long max_number;
    int cap; /* of steps/vals */
    int n_vals;
    int *count; /* values per curve */
} s_inter_t;

static int s_inter_cb(void *arg, int64_t trial_id, long number, long step, double value)
{
    (void)trial_id;
    s_inter_t *in = arg;
    if (number < 0 || number > in->max_number || !in->curve_of[number])
        return 0;
    if (in->n_vals == in->cap) {
        in->cap = in->cap ? 2 * in->cap : 1024;
        in->r->steps = xrealloc(in->r->steps, sizeof *in->r->steps * (size_t)in->cap);
        in->r->vals = xrealloc(in->r->vals, sizeof *in->r->vals * (size_t)in->cap);
        in->count = xrealloc(in->count, sizeof *in->count * (size_t)in->cap);
    }
    /* rows come ordered by number then step: a curve's values are contiguous */
    in->r->steps[in->n_vals] = step;
    in->r->vals[in->n_vals] = value;
    in->count[in->n_vals++] = in->curve_of[number] - 1;
    return 0;
}

/* The trials whose curves are drawn: the best, PRUNED ones (at least half the budget
 * when there are that many) and COMPLETE ones, evenly spaced, in number order. */
static int *s_curve_trials(const rstudy_t *r, int *n)
{
    bool *keep = xcalloc((size_t)r->n + 1, sizeof *keep);
    int nc, np;
    int *c = s_with_value(r, TRIAL_COMPLETE, &nc), *p = s_with_value(r, TRIAL_PRUNED, &np);
    int budget = RSTUDY_CURVES - 1;
    int bp = np < budget / 2 ? np : (nc < budget / 2 ? budget - nc : budget / 2);
    s_pick(p, np, bp, keep);
    s_pick(c, nc, budget - bp, keep);
    if (r->best >= 0)
        keep[r->best] = true;
    int *idx = xcalloc((size_t)RSTUDY_CURVES + 1, sizeof *idx);
    *n = 0;
    for (int i = 0; i < r->n; i++)
        if (keep[i])
            idx[(*n)++] = i;
    free(keep);
    free(c);
    free(p);
    return idx;
}

static int s_load_curves(store_t *st, int64_t id, rstudy_t *r, char *err)
{
    int n;
    int *idx = s_curve_trials(r, &n);
    s_inter_t in = {.r = r, .max_number = -1};
    for (int i = 0; i < r->n; i++)
        in.max_number = r->number[i] > in.max_number ? r->number[i] : in.max_number;
    in.curve_of = xcalloc((size_t)in.max_number + 2, sizeof *in.curve_of);
    for (int k = 0; k < n; k++)
        in.curve_of[r->number[idx[k]]] = k + 1;
    int rc = store_intermediates_each(st, id, s_inter_cb, &in, err);
    r->n_curves = n;
    r->curve_trial = idx;
    r->curve_off = xcalloc((size_t)n + 1, sizeof *r->curve_off);
    for (int v = 0; v < in.n_vals; v++)
        r->curve_off[in.count[v] + 1]++;
    for (int k = 0; k < n; k++)
        r->curve_off[k + 1] += r->curve_off[k];
    free(in.curve_of);
    free(in.count);
    return rc;
}

/* ---- the table -------------------------------------------------------------------- */

typedef struct {
    rstudy_t *r;
    int next; /* the next row to fill (rows are in number order, as notes come) */
} s_notes_t;

static int s_note_cb(void *arg, const store_trial_row_t *row)
{
    s_notes_t *nt = arg;
    rstudy_t *r = nt->r;
    long number = row->trial.number; /* in number order; the final refit (-1) comes last */
    while (nt->next < r->n_rows && r->number[r->rows[nt->next]] < number)
        nt->next++;
    if (nt->next < r->n_rows && r->number[r->rows[nt->next]] == number) {
        r->row_secs[nt->next] = row->secs;
        r->row_error[nt->next] = row->error && *row->error ? xstrdup(row->error) : NULL;
    }
    return 0;
}

static int s_value_cmp(const void *pa, const void *pb, void *arg)
{
    const rstudy_t *r = arg;
    int a = *(const int *)pa, b = *(const int *)pb;
    double va = r->value[a] * (double)r->dir, vb = r->value[b] * (double)r->dir;
    return va != vb ? (va < vb ? -1 : 1) : a - b;
}

/* The RSTUDY_ROWS best COMPLETE trials and the RSTUDY_ROWS latest, in number order. */
static int s_load_table(store_t *st, int64_t id, rstudy_t *r, char *err)
{
    int nc;
    int *c = s_with_value(r, TRIAL_COMPLETE, &nc);
    qsort_r(c, (size_t)nc, sizeof *c, s_value_cmp, r);
    bool *keep = xcalloc((size_t)r->n + 1, sizeof *keep);
    for (int j = 0; j < nc && j < RSTUDY_ROWS; j++)
        keep[c[j]] = true;
    for (int i = r->n - 1; i >= 0 && i >= r->n - RSTUDY_ROWS; i--)
        keep[i] = true;
    r->rows = xcalloc(2 * RSTUDY_ROWS + 1, sizeof *r->rows);
    for (int i = 0; i < r->n; i++)
        if (keep[i])
            r->rows[r->n_rows++] = i;
    r->row_secs = xcalloc((size_t)r->n_rows + 1, sizeof *r->row_secs);
    r->row_error = xcalloc((size_t)r->n_rows + 1, sizeof *r->row_error);
    for (int k = 0; k < r->n_rows; k++)
        r->row_secs[k] = NAN;
    free(keep);
    free(c);
    s_notes_t nt = {.r = r};
    store_trial_query_t q = {.state = -1};
    return store_trial_rows(st, id, &q, s_note_cb, &nt, err);
}

/* ---- entry points ----------------------------------------------------------------- */

static void s_importance(rstudy_t *r)
{
    r->importance = xcalloc((size_t)r->nx + 1, sizeof *r->importance);
    r->n_importance = -1;
    if (!r->space)
        return;
    double *y = xcalloc((size_t)r->n + 1, sizeof *y);
    for (int i = 0; i < r->n; i++)
        y[i] = r->state[i] == TRIAL_COMPLETE ? r->value[i] : NAN;
    r->n_importance = importance_ped(r->space, r->x, y, r->n, r->dir, r->importance);
    free(y);
}

int rstudy_load(store_t *st, const store_study_t *s, const char *metric, rstudy_t *out, char *err)
{
    rstudy_t *r = out;
    *r = (rstudy_t){.name = xstrdup(s->name),
                    .dir = s->direction,
                    .best = -1,
                    .metric = xstrdup(metric ? metric : "value")};
    r->space = space_from_config_text(s->config, s->name);
    r->nx = r->space ? r->space->n : 0;
    s_load_t l = {.r = r};
    s_grow(r, 1);
    int rc = store_trials_each(st, s->id, s_trial_cb, &l, err);
    double best = NAN;
    for (int i = 0; i < r->n; i++)
        if (r->state[i] == TRIAL_COMPLETE && rstudy_better(r->dir, r->value[i], best))
            best = r->value[i], r->best = i;
    s_sample_points(r);
    s_importance(r);
    if (rc == 0)
        rc = s_load_curves(st, s->id, r, err);
    if (rc == 0)
        rc = s_load_table(st, s->id, r, err);
    if (rc != 0)
        rstudy_free(r);
    return rc ? -1 : 0;
}

void rstudy_free(rstudy_t *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->worker[i]);
    for (int k = 0; k < r->n_rows; k++)
        free(r->row_error[k]);
    space_destroy(&r->space);
    void *owned[] = {r->name,    r->metric, r->number,   r->state,       r->value,     r->x,
                     r->attempt, r->worker, r->shown,    r->curve_trial, r->curve_off, r->steps,
                     r->vals,    r->rows,   r->row_secs, r->row_error,   r->importance};
    for (size_t k = 0; k < ARRAY_SIZE(owned); k++)
        free(owned[k]);
    memset(r, 0, sizeof *r);
}

char *rstudy_param_text(const rstudy_t *r, int t, int i)
{
    double v = r->x[(size_t)t * (size_t)r->nx + (size_t)i];
    const param_t *p = &r->space->params[i];
    if (isnan(v))
        return xstrdup("-");
    if (p->kind == PARAM_CAT)
        return xstrdup(p->choices[lround(v)]);
    return p->kind == PARAM_INT ? xasprintf("%.0f", v) : xasprintf("%.4g", v);
}
