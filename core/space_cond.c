/* space_cond — conditional parameters (see space.h): `when: {kernel: rbf}` or
 * `when: {kernel: [rbf, poly], degree: 3}`.
 *
 * Rules, chosen to keep a condition exact and cheap to test:
 * - `when` is a map from parameter names to one value or a non-empty list of values;
 *   every entry must hold (AND); a list means any of its values (OR).
 * - Only categorical and int parameters can be tested: a float equal to a listed value
 *   would be an accident of rounding. A value must be one of the parent's choices, or
 *   an int value within its range and on its step, so a typo is an error, not a
 *   condition that never holds.
 * - Conditions nest: a parent may itself be conditional, and a child of an inactive
 *   parent is inactive. Parents may be declared before or after their children: the
 *   parameters are put in dependency order (space->order, config order where the
 *   conditions allow), and a cycle is a config error at the `when` of each parameter
 *   on it.
 * x keeps config order; only the evaluation follows space->order. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/space.h"

bool space_conditional(const space_t *space) { return space->order != NULL; }

int space_order(const space_t *space, int i)
{
    assert(i >= 0 && i < space->n);
    return space->order ? space->order[i] : i;
}

bool space_active(const space_t *space, const double *x, int i)
{
    assert(space && x && i >= 0 && i < space->n);
    const param_t *p = &space->params[i];
    for (int c = 0; c < p->n_when; c++) {
        const space_cond_t *w = &p->when[c];
        double v = x[w->parent];
        bool hit = false;
        for (int k = 0; k < w->n_vals && !hit; k++)
            hit = !isnan(v) && lround(v) == lround(w->vals[k]);
        if (!hit)
            return false;
    }
    return true;
}

void space_deactivate(const space_t *space, double *x)
{
    assert(space && x);
    if (!space->order)
        return;
    for (int k = 0; k < space->n; k++) {
        int i = space->order[k];
        if (!space_active(space, x, i))
            x[i] = NAN;
    }
}

bool space_point_ok(const space_t *space, const double *x)
{
    assert(space && x);
    for (int k = 0; k < space->n; k++) {
        int i = space_order(space, k);
        if (space_active(space, x, i) ? !space_valid(&space->params[i], x[i]) : !isnan(x[i]))
            return false;
    }
    return true;
}

void space_cond_free(param_t *p)
{
    for (int c = 0; c < p->n_when; c++)
        free(p->when[c].vals);
    free(p->when);
    p->when = NULL;
    p->n_when = 0;
}

int space_parse_value(const param_t *q, const char *text, bool quoted, double *x,
                      const char **why)
{
    bool number = cfg_text_kind(text, quoted) == CFG_K_NUMBER;
    double d = 0;
    if (number && parse_double(text, &d) != 0)
        number = false;
    if (q->kind == PARAM_CAT) {
        for (int c = 0; c < q->n_choices; c++) {
            double e;
            cfg_kind_t ck = cfg_text_kind(q->choices[c], q->choice_is_str[c]);
            bool same = number && ck == CFG_K_NUMBER && parse_double(q->choices[c], &e) == 0
                            ? d == e
                            : !number && strcmp(text, q->choices[c]) == 0 &&
                                  ck == cfg_text_kind(text, quoted);
            if (same) {
                *x = c;
                return 0;
            }
        }
        *why = "not one of the choices";
        return -1;
    }
    if (!number) {
        *why = "expected a number";
        return -1;
    }
    if (q->kind == PARAM_INT && d != floor(d)) {
        *why = "expected an integer";
        return -1;
    }
    *x = d;
    if (!space_valid(q, d)) {
        *why = d < q->low || d > q->high ? "out of range" : "not on the step grid";
        return -1;
    }
    return 0;
}

/* ---- parsing ------------------------------------------------------------------------ */

/* One value of a condition on parent q into *v: 0, or -1 with an error at node. */
static int s_cond_value(const param_t *p, const param_t *q, const cfg_node_t *node,
                        double *v, cfg_errs_t *errs)
{
    if (node->type != CFG_SCALAR && node->type != CFG_NULL) {
        cfg_error(errs, node, "%s: when: each value of '%s' must be a scalar", p->name,
                  q->name);
        return -1;
    }
    const char *why = NULL;
    const char *text = node->type == CFG_NULL ? "null" : node->value;
    if (space_parse_value(q, text, node->quoted, v, &why) == 0)
        return 0;
    cfg_error(errs, node, "%s: when: %s: '%s' %s", p->name, q->name, text, why);
    return -1;
}

/* Entry k of p's `when` map: the parent and its values. */
static int s_cond(space_t *s, param_t *p, const cfg_node_t *when, int k, space_cond_t *out,
                  cfg_errs_t *errs)
{
    const char *name = when->keys[k];
    int parent = space_index(s, name);
    if (parent < 0) {
        const char **names = xcalloc((size_t)s->n + 1, sizeof *names);
        for (int i = 0; i < s->n; i++)
            names[i] = s->params[i].name;
        const char *best = closest_name(name, names);
        cfg_key_error(errs, when, k, "%s: when: unknown parameter '%s'%s%s%s", p->name, name,
                      best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
        free(names);
        return -1;
    }
    const param_t *q = &s->params[parent];
    if (q == p) {
        cfg_key_error(errs, when, k, "%s: when: a parameter cannot depend on itself", p->name);
        return -1;
    }
    if (q->kind == PARAM_FLOAT) {
        cfg_key_error(errs, when, k, "%s: when: '%s' is a float; conditions test categorical "
                      "or int parameters only", p->name, name);
        return -1;
    }
    const cfg_node_t *v = when->items[k];
    bool list = v->type == CFG_SEQ;
    if (list && v->n == 0) {
        cfg_error(errs, v, "%s: when: '%s' needs at least one value", p->name, name);
        return -1;
    }
    out->parent = parent;
    out->n_vals = list ? v->n : 1;
    out->vals = xcalloc((size_t)out->n_vals, sizeof *out->vals);
    int rc = 0;
    for (int i = 0; i < out->n_vals; i++)
        rc |= s_cond_value(p, q, list ? v->items[i] : v, &out->vals[i], errs);
    return rc;
}

/* Dependency order of the parameters (Kahn's algorithm, lowest config index first, so a
 * space whose parents come first keeps config order). -1 with an error per parameter
 * left on or behind a cycle. */
static int s_order(space_t *s, const cfg_node_t *map, cfg_errs_t *errs)
{
    s->order = xcalloc((size_t)s->n, sizeof *s->order);
    bool *placed = xcalloc((size_t)s->n, sizeof *placed);
    int n = 0;
    while (n < s->n) {
        int next = -1;
        for (int i = 0; i < s->n && next < 0; i++) {
            if (placed[i])
                continue;
            bool ready = true;
            for (int c = 0; c < s->params[i].n_when && ready; c++)
                ready = placed[s->params[i].when[c].parent];
            if (ready)
                next = i;
        }
        if (next < 0)
            break;
        placed[next] = true;
        s->order[n++] = next;
    }
    for (int i = 0; i < s->n && n < s->n; i++) {
        if (placed[i])
            continue;
        const cfg_node_t *node = map->items[i];
        const cfg_node_t *when = cfg_get(node, "when");
        cfg_error(errs, when ? when : node, "%s: when: the conditions form a cycle (through "
                  "'%s')", s->params[i].name, s->params[s->params[i].when[0].parent].name);
    }
    free(placed);
    return n == s->n ? 0 : -1;
}

int space_cond_parse(space_t *s, const cfg_node_t *map, cfg_errs_t *errs)
{
    assert(s && map && map->type == CFG_MAP && map->n == s->n);
    int rc = 0;
    bool any = false;
    for (int i = 0; i < s->n; i++) {
        const cfg_node_t *when = map->items[i]->type == CFG_MAP
                                     ? cfg_get(map->items[i], "when") : NULL;
        if (!when || when->type == CFG_NULL)
            continue;
        param_t *p = &s->params[i];
        if (when->type != CFG_MAP || when->n == 0) {
            cfg_error(errs, when, "%s: when: expected a map like {kernel: rbf} or "
                      "{kernel: [rbf, poly]}", p->name);
            rc = -1;
            continue;
        }
        p->when = xcalloc((size_t)when->n, sizeof *p->when);
        for (int k = 0; k < when->n; k++) {
            int r = s_cond(s, p, when, k, &p->when[p->n_when], errs);
            if (p->when[p->n_when].vals)
                p->n_when++; /* kept (and freed) even when a value was bad */
            rc |= r;
        }
        any = true;
    }
    if (rc == 0 && any)
        rc = s_order(s, map, errs);
    return rc;
}

void space_cond_text(strbuf_t *sb, const space_t *space, const param_t *p)
{
    for (int c = 0; c < p->n_when; c++) {
        const space_cond_t *w = &p->when[c];
        const param_t *q = &space->params[w->parent];
        sb_printf(sb, "%s%s %s ", c ? " and " : "", q->name, w->n_vals > 1 ? "in" : "=");
        for (int k = 0; k < w->n_vals; k++) {
            sb_puts(sb, k ? ", " : w->n_vals > 1 ? "[" : "");
            space_value_json(sb, q, w->vals[k]);
        }
        if (w->n_vals > 1)
            sb_putc(sb, ']');
    }
}
