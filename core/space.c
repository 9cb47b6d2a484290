/* space — search spaces parsed from a config's `space:` map (see space.h).
 *
 * Parameters follow Optuna's distributions: a stepped range has its high trimmed to
 * low + k*step so that every grid point is a legal value and `high` itself is one,
 * int parameters always step (default 1), log excludes step, categorical values are
 * choice indexes. Grid points of a stepped float are low + d*step rounded to 15
 * significant digits, so 0.1 steps give 0.3 rather than 0.30000000000000004. */
#include "core/space.h"
#include "core/config.h"
#include "core/config_priv.h" /* the self-test builds a tree by hand */
#include "core/limits.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_param_keys[] = {"type", "low", "high", "log", "step", "choices",
                                           "when", NULL};

/* ------------------------------------------------------------------ parsing */

/* Round to 15 significant digits: removes the noise of low + d*step. */
static double s_tidy(double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    double t;
    return parse_double(buf, &t) == 0 ? t : v;
}

/* Number of steps from low to high (k in high = low + k*step); 0 without a step. */
static long s_steps(const param_t *p)
{
    if (p->step <= 0)
        return 0;
    return (long)llround((p->high - p->low) / p->step);
}

/* Optuna trims high to the last low + k*step that does not exceed it. */
static double s_trim_high(double low, double high, double step)
{
    double q = (high - low) / step;
    double k = floor(q);
    if (q - k > 1 - 1e-9) /* (0.3 - 0) / 0.1 is 2.9999999999999996: divisible */
        k += 1;
    if (fabs(q - k) <= 1e-9 * fmax(1.0, q))
        return high;
    return s_tidy(low + k * step);
}

static bool s_in_list(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(*list, key) == 0)
            return true;
    return false;
}

/* Keys valid for the type but meant for another one. */
static void s_inapplicable(const cfg_node_t *node, const char *name, bool categorical,
                           cfg_errs_t *errs)
{
    for (int i = 0; i < node->n; i++) {
        bool is_choices = strcmp(node->keys[i], "choices") == 0;
        bool known = s_in_list(node->keys[i], s_param_keys);
        if (!known || strcmp(node->keys[i], "type") == 0 || strcmp(node->keys[i], "when") == 0 ||
            is_choices == categorical)
            continue;
        if (categorical)
            cfg_key_error(errs, node, i, "%s: '%s' does not apply to categorical parameters",
                          name, node->keys[i]);
        else
            cfg_key_error(errs, node, i, "%s: 'choices' applies to categorical parameters only",
                          name);
    }
}

/* Required presence of a bound; reports it missing at the parameter's map. */
static bool s_has(const cfg_node_t *node, const char *name, const char *key,
                  cfg_errs_t *errs)
{
    const cfg_node_t *v = cfg_get(node, key);
    if (v && v->type != CFG_NULL)
        return true;
    cfg_error(errs, node, "%s: missing '%s'", name, key);
    return false;
}

/* True when high - low is not a finite number (±1.7e308 bounds: every sample would be
 * inf or high) or does not fit a long (int bounds). */
static bool s_width_overflows(const param_t *p, bool is_int, long l_low, long l_high)
{
    long width;
    if (is_int)
        return __builtin_sub_overflow(l_high, l_low, &width);
    return !isfinite(p->high - p->low) || !isfinite(p->low) || !isfinite(p->high);
}

/* float and int: low, high, log, step. */
static int s_numeric(param_t *p, const cfg_node_t *node, cfg_errs_t *errs)
{
    bool is_int = p->kind == PARAM_INT;
    int before = errs->n;
    bool have = s_has(node, p->name, "low", errs);
    have = s_has(node, p->name, "high", errs) && have; /* report both when both miss */
    long l_low = 0, l_high = 0, l_step = 0;
    double step = 0;
    if (is_int) {
        cfg_long(node, "low", 0, &l_low, errs);
        cfg_long(node, "high", 0, &l_high, errs);
        cfg_long(node, "step", 1, &l_step, errs);
        p->low = (double)l_low, p->high = (double)l_high, step = (double)l_step;
    } else {
        cfg_double(node, "low", 0, &p->low, errs);
        cfg_double(node, "high", 0, &p->high, errs);
        cfg_double(node, "step", 0, &step, errs);
    }
    cfg_bool(node, "log", false, &p->log, errs);
    const cfg_node_t *step_n = cfg_get(node, "step"), *low_n = cfg_get(node, "low");
    bool has_step = step_n && step_n->type != CFG_NULL;
    if (errs->n > before || !have)
        return -1;
    if (has_step && step <= 0)
        cfg_error(errs, step_n, "%s: step must be > 0", p->name);
    else if (p->log && has_step && !(is_int && step == 1))
        cfg_error(errs, step_n, "%s: step cannot be combined with log: true", p->name);
    if (p->low > p->high)
        cfg_error(errs, low_n, "%s: low (%s) must be <= high (%s)", p->name, low_n->value,
                  cfg_get(node, "high")->value);
    else if (p->log && p->low <= 0)
        cfg_error(errs, low_n, "%s: low must be > 0 when log is true", p->name);
    else if (s_width_overflows(p, is_int, l_low, l_high))
        cfg_error(errs, low_n, "%s: the range from low (%s) to high (%s) is too wide to sample",
                  p->name, low_n->value, cfg_get(node, "high")->value);
    else if (is_int && (l_low < -SPACE_INT_MAX || l_high > SPACE_INT_MAX))
        cfg_error(errs, low_n, "%s: int bounds must lie within -2^53 .. 2^53 (%ld): a larger "
                  "integer has no exact double", p->name, SPACE_INT_MAX);
    else if (has_step && step > 0 && !((p->high - p->low) / step < SPACE_MAX_STEPS))
        cfg_error(errs, step_n, "%s: the range holds 1e18 steps or more: use a larger step",
                  p->name);
    if (errs->n > before)
        return -1;
    p->step = is_int ? step : (has_step ? step : 0);
    if (is_int)
        p->high = (double)(l_low + (l_high - l_low) / l_step * l_step);
    else if (has_step)
        p->high = s_trim_high(p->low, p->high, step);
    return 0;
}

/* A choice as its kind and value, for sorting: equal choices (as cfg_equal has them:
 * 1 and 1.0, true and True) sort next to each other. */
typedef struct {
    cfg_kind_t kind;
    double num; /* bool: 0/1; number: its value */
    const char *text;
    int idx;
} s_choice_t;

static int s_cmp_choice(const void *pa, const void *pb)
{
    const s_choice_t *a = pa, *b = pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c = 0;
    if (a->kind == CFG_K_TEXT)
        c = strcmp(a->text, b->text);
    else if (a->kind != CFG_K_NULL && !(isnan(a->num) || isnan(b->num)))
        c = (a->num > b->num) - (a->num < b->num);
    else if (a->kind != CFG_K_NULL)
        c = isnan(a->num) - isnan(b->num); /* NaN equals nothing: after, by position */
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* Each choice equal to an earlier one is an error at it: sorted, so 100k choices cost
 * milliseconds (one SUBMIT must not hold the coordinator for minutes). */
static void s_duplicate_choices(const param_t *p, const cfg_node_t *list, cfg_errs_t *errs)
{
    s_choice_t *k = xcalloc((size_t)list->n, sizeof *k);
    for (int i = 0; i < list->n; i++) {
        const cfg_node_t *c = list->items[i];
        k[i] = (s_choice_t){.kind = cfg_kind(c), .text = c->value ? c->value : "", .idx = i};
        if (k[i].kind == CFG_K_BOOL)
            k[i].num = c->value[0] == 't' || c->value[0] == 'T';
        else if (k[i].kind == CFG_K_NUMBER && parse_double(c->value, &k[i].num) != 0)
            k[i].num = NAN;
    }
    qsort(k, (size_t)list->n, sizeof *k, s_cmp_choice);
    for (int i = 1; i < list->n; i++) {
        const s_choice_t *a = &k[i - 1], *b = &k[i];
        bool same = a->kind == b->kind &&
                    (a->kind == CFG_K_NULL ||
                     (a->kind == CFG_K_TEXT ? strcmp(a->text, b->text) == 0 : a->num == b->num));
        if (same)
            cfg_error(errs, list->items[b->idx], "%s: duplicate choice '%s'", p->name,
                      p->choices[b->idx]);
    }
    free(k);
}

static int s_categorical(param_t *p, const cfg_node_t *node, cfg_errs_t *errs)
{
    const cfg_node_t *list = cfg_get(node, "choices");
    if (!list || list->type == CFG_NULL) {
        cfg_error(errs, node, "%s: missing 'choices'", p->name);
        return -1;
    }
    if (list->type != CFG_SEQ || list->n == 0) {
        cfg_error(errs, list, "%s: choices must be a non-empty list", p->name);
        return -1;
    }
    int before = errs->n;
    p->choices = xcalloc((size_t)list->n, sizeof *p->choices);
    p->choice_is_str = xcalloc((size_t)list->n, sizeof *p->choice_is_str);
    p->n_choices = list->n;
    for (int i = 0; i < list->n; i++) {
        const cfg_node_t *c = list->items[i];
        if (c->type != CFG_SCALAR && c->type != CFG_NULL) {
            cfg_error(errs, c, "%s: each choice must be a string, number, bool or null",
                      p->name);
            p->choices[i] = xstrdup("null");
            continue;
        }
        p->choices[i] = xstrdup(c->type == CFG_NULL ? "null" : c->value);
        p->choice_is_str[i] = cfg_kind(c) == CFG_K_TEXT;
        const char *why = *p->choices[i] ? limits_name_problem(p->choices[i],
                                                               LIMITS_CHOICE_MAX) : NULL;
        if (why) {
            cfg_error(errs, c, "%s: choice %d %s (at most %d bytes of printable UTF-8)",
                      p->name, i + 1, why, LIMITS_CHOICE_MAX);
            continue;
        }
    }
    if (errs->n == before)
        s_duplicate_choices(p, list, errs);
    p->low = 0;
    p->high = list->n - 1;
    p->step = 1;
    return errs->n > before ? -1 : 0;
}

/* One entry of the space map. */
static int s_param(param_t *p, const cfg_node_t *space, int i, cfg_errs_t *errs)
{
    const cfg_node_t *node = space->items[i];
    p->name = xstrdup(space->keys[i]);
    const char *why = limits_name_problem(p->name, LIMITS_NAME_MAX);
    if (why) {
        char *shown = limits_escape(p->name, false);
        cfg_key_error(errs, space, i, "space: parameter name '%.40s' %s (at most %d bytes "
                      "of printable UTF-8)", shown, why, LIMITS_NAME_MAX);
        free(shown);
        return -1;
    }
    if (node->type != CFG_MAP) {
        cfg_error(errs, node, "%s: expected a map like {type: float, low: 0, high: 1}",
                  p->name);
        return -1;
    }
    int rc = cfg_check_keys(node, s_param_keys, errs);
    const char *type = NULL;
    if (cfg_str(node, "type", NULL, &type, errs) != 0)
        return -1;
    if (!type) {
        cfg_error(errs, node, "%s: missing 'type' (float, int or categorical)", p->name);
        return -1;
    }
    if (strcmp(type, "float") == 0 || strcmp(type, "int") == 0) {
        p->kind = type[0] == 'f' ? PARAM_FLOAT : PARAM_INT;
        s_inapplicable(node, p->name, false, errs);
        rc |= s_numeric(p, node, errs);
    } else if (strcmp(type, "categorical") == 0) {
        p->kind = PARAM_CAT;
        s_inapplicable(node, p->name, true, errs);
        rc |= s_categorical(p, node, errs);
    } else {
        cfg_error(errs, cfg_get(node, "type"),
                  "%s: unknown parameter type '%s' (expected float, int or categorical)",
                  p->name, type);
        rc = -1;
    }
    return rc;
}

space_t *space_from_yaml(const char *text, const char *name, cfg_errs_t *errs)
{
    cfg_node_t *root = cfg_parse(text, strlen(text), name, errs);
    space_t *s = root ? space_from_cfg(root, errs) : NULL;
    cfg_free(&root);
    return s;
}

space_t *space_from_config_text(const char *config, const char *name)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(config, strlen(config), name, &errs);
    space_t *space = root ? space_from_cfg(cfg_get(root, "space"), &errs) : NULL;
    cfg_free(&root);
    cfg_errs_free(&errs);
    return space;
}

space_t *space_from_cfg(const cfg_node_t *map, cfg_errs_t *errs)
{
    assert(errs);
    if (!map || map->type != CFG_MAP) {
        cfg_error(errs, map, "space: expected a map of parameters");
        return NULL;
    }
    if (map->n == 0) {
        cfg_error(errs, map, "space: needs at least one parameter");
        return NULL;
    }
    int before = errs->n;
    space_t *s = xcalloc(1, sizeof *s);
    s->params = xcalloc((size_t)map->n, sizeof *s->params);
    for (int i = 0; i < map->n; i++) {
        s_param(&s->params[i], map, i, errs);
        s->n++;
        /* The parser refuses duplicate keys, but merged or hand-built trees may not. */
        for (int j = 0; j < i; j++)
            if (strcmp(map->keys[j], map->keys[i]) == 0)
                cfg_key_error(errs, map, i, "space: duplicate parameter '%s'", map->keys[i]);
    }
    if (errs->n == before)
        space_cond_parse(s, map, errs);
    if (errs->n > before)
        space_destroy(&s);
    return s;
}

void space_destroy(space_t **self_p)
{
    assert(self_p);
    space_t *s = *self_p;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        param_t *p = &s->params[i];
        for (int c = 0; c < p->n_choices && p->choices; c++)
            free(p->choices[c]);
        free(p->choices);
        free(p->choice_is_str);
        free(p->name);
        space_cond_free(p);
    }
    free(s->params);
    free(s->order);
    free(s);
    *self_p = NULL;
}

int space_index(const space_t *space, const char *name)
{
    assert(space && name);
    for (int i = 0; i < space->n; i++)
        if (strcmp(space->params[i].name, name) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------ values */

/* Value of grid point d (0 <= d <= s_steps) of a stepped parameter. */
static double s_point(const param_t *p, long d)
{
    assert(p->step > 0 && d >= 0 && d <= s_steps(p));
    if (p->kind != PARAM_FLOAT)
        return p->low + (double)d * p->step;
    if (d == 0)
        return p->low;
    if (d == s_steps(p))
        return p->high; /* exactly the (trimmed) bound, not low + k*step's rounding */
    return fmin(s_tidy(p->low + (double)d * p->step), p->high);
}

/* Number of grid points of p; -1 when continuous. */
static long s_points(const param_t *p)
{
    if (p->step > 0)
        return s_steps(p) + 1;
    return p->low == p->high ? 1 : -1;
}

long space_grid_size(const space_t *space)
{
    assert(space);
    long size = 1;
    for (int i = 0; i < space->n; i++) {
        long pts = s_points(&space->params[i]);
        if (pts < 1 || size > LONG_MAX / pts)
            return -1;
        size *= pts;
    }
    return size;
}

void space_grid_point(const space_t *space, long index, double *x)
{
    assert(space && x && index >= 0);
    for (int i = space->n - 1; i >= 0; i--) {
        const param_t *p = &space->params[i];
        long pts = s_points(p);
        assert(pts >= 1);
        long d = index % pts;
        index /= pts;
        x[i] = p->step > 0 ? s_point(p, d) : p->low;
    }
    assert(index == 0); /* index was below the grid size */
}

void space_snap(const space_t *space, double *x)
{
    assert(space && x);
    for (int i = 0; i < space->n; i++) {
        const param_t *p = &space->params[i];
        double v = isnan(x[i]) ? p->low : fmin(fmax(x[i], p->low), p->high);
        if (p->step > 0) {
            long k = s_steps(p);
            double d = round((v - p->low) / p->step);
            v = s_point(p, d < 0 ? 0 : d > (double)k ? k : (long)d);
        }
        x[i] = v;
    }
    space_deactivate(space, x);
}

bool space_valid(const param_t *p, double x)
{
    assert(p);
    if (!isfinite(x) || x < p->low || x > p->high)
        return false;
    if (p->step <= 0)
        return true;
    double q = (x - p->low) / p->step;
    if (p->kind != PARAM_FLOAT)
        return x == floor(x) && q == floor(q);
    return fabs(q - round(q)) <= 1e-9 * fmax(1.0, fabs(q));
}

void space_value_json(strbuf_t *sb, const param_t *p, double x)
{
    assert(sb && p);
    if (p->kind == PARAM_FLOAT) {
        sb_json_num(sb, x);
    } else if (p->kind == PARAM_INT) {
        sb_json_num(sb, round(x));
    } else {
        long i = lround(x);
        assert(i >= 0 && i < p->n_choices);
        cfg_json_scalar(sb, p->choices[i], p->choice_is_str[i]);
    }
}

void space_point_json(strbuf_t *sb, const space_t *space, const double *x)
{
    assert(sb && space && x);
    sb_putc(sb, '{');
    for (int i = 0, shown = 0; i < space->n; i++) {
        if (isnan(x[i]))
            continue; /* inactive */
        if (shown++)
            sb_puts(sb, ", ");
        sb_json_str(sb, space->params[i].name);
        sb_puts(sb, ": ");
        space_value_json(sb, &space->params[i], x[i]);
    }
    sb_putc(sb, '}');
}

/* ------------------------------------------------------------------ self-test */

static space_t *s_test_space(const char *yaml, cfg_errs_t *e)
{
    return space_from_yaml(yaml, "s.yaml", e);
}

/* yaml must be refused with an error containing sub (and exactly n errors if n > 0). */
static void s_test_fails(const char *yaml, const char *sub, int n, bool verbose)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    space_t *s = s_test_space(yaml, &e);
    assert(!s && e.n > 0);
    bool found = false;
    for (int i = 0; i < e.n; i++) {
        if (verbose)
            printf("    %s\n", e.msgs[i]);
        found = found || strstr(e.msgs[i], sub);
    }
    if (!found || (n > 0 && e.n != n))
        cfg_errs_print(&e, stderr);
    assert(found && (n == 0 || e.n == n));
    cfg_errs_free(&e);
}

static void s_test_parse(void)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    space_t *s = s_test_space("lr: {type: float, low: 1.0e-4, high: 1, log: true}\n"
                              "f: {type: float, low: 0, high: 1, step: 0.3}\n"
                              "g: {type: float, low: 0, high: 0.3, step: 0.1}\n"
                              "n: {type: int, low: 1, high: 10, step: 4}\n"
                              "m: {type: int, low: 1, high: 1024, log: true, step: ~}\n"
                              "c: {type: categorical, choices: [l2, 1, 2.5, true, null, '3']}\n",
                              &e);
    assert(s && e.n == 0 && s->n == 6);
    const param_t *p = s->params;
    assert(p[0].kind == PARAM_FLOAT && p[0].log && p[0].step == 0 && p[0].low == 1e-4);
    assert(p[1].step == 0.3 && p[1].high == 0.9); /* Optuna trims high to low + k*step */
    assert(p[2].high == 0.3);                     /* divisible, within rounding: kept */
    assert(p[3].kind == PARAM_INT && p[3].step == 4 && p[3].high == 9);
    assert(p[4].step == 1 && p[4].log && p[4].high == 1024);
    assert(p[5].kind == PARAM_CAT && p[5].n_choices == 6 && p[5].low == 0 && p[5].high == 5);
    static const bool is_str[] = {true, false, false, false, false, true};
    for (int i = 0; i < 6; i++)
        assert(p[5].choice_is_str[i] == is_str[i]);
    assert(strcmp(p[5].choices[5], "3") == 0 && strcmp(p[5].choices[4], "null") == 0);
    assert(space_index(s, "n") == 3 && space_index(s, "zz") == -1);
    assert(space_grid_size(s) == -1); /* lr is continuous */

    double x[6] = {0.01, 0.6, 0.2, 5, 100, 0};
    strbuf_t sb;
    sb_init(&sb);
    const char *want[] = {"\"l2\"", "1", "2.5", "true", "null", "\"3\""};
    for (int i = 0; i < 6; i++) {
        x[5] = i;
        sb.len = 0;
        space_value_json(&sb, &p[5], x[5]);
        assert(strcmp(sb.buf, want[i]) == 0);
    }
    sb.len = 0;
    x[5] = 0;
    space_point_json(&sb, s, x);
    assert(strcmp(sb.buf, "{\"lr\": 0.01, \"f\": 0.6, \"g\": 0.2, \"n\": 5, \"m\": 100, "
                          "\"c\": \"l2\"}") == 0);
    sb_free(&sb);

    /* Snapping clips, rounds to the step and maps NaN to low. */
    double y[6] = {5, 0.5, NAN, 6.9, 0.2, 7.4};
    space_snap(s, y);
    assert(y[0] == 1 && y[1] == 0.6 && y[2] == 0 && y[3] == 5 && y[4] == 1 && y[5] == 5);
    for (int i = 0; i < 6; i++)
        assert(space_valid(&p[i], y[i]));
    assert(!space_valid(&p[0], 1e-5) && !space_valid(&p[0], NAN) && space_valid(&p[0], 0.5));
    assert(!space_valid(&p[1], 0.5) && space_valid(&p[1], 0.9) && !space_valid(&p[1], 1.0));
    assert(!space_valid(&p[3], 3) && space_valid(&p[3], 9) && !space_valid(&p[3], 5.5));
    assert(!space_valid(&p[5], 6) && !space_valid(&p[5], 0.5) && space_valid(&p[5], 2));
    space_destroy(&s);
    assert(!s);
    space_destroy(&s);
    cfg_errs_free(&e);
}

static void s_test_grid(void)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    space_t *s = s_test_space("a: {type: categorical, choices: [x, y]}\n"
                              "b: {type: int, low: 0, high: 2}\n"
                              "c: {type: float, low: 0, high: 1, step: 0.1}\n"
                              "d: {type: float, low: 2.5, high: 2.5}\n",
                              &e);
    assert(s && e.n == 0);
    long n = space_grid_size(s);
    assert(n == 2 * 3 * 11);
    double x[4], prev[4] = {-1, -1, -1, -1};
    for (long i = 0; i < n; i++) {
        space_grid_point(s, i, x);
        for (int k = 0; k < 4; k++)
            assert(space_valid(&s->params[k], x[k]));
        /* Mixed radix, first parameter slowest: points come in lexicographic order. */
        int k = 0;
        while (k < 4 && x[k] == prev[k])
            k++;
        assert(k < 3 && x[k] > prev[k]);
        memcpy(prev, x, sizeof x);
    }
    space_grid_point(s, 0, x);
    assert(x[0] == 0 && x[1] == 0 && x[2] == 0 && x[3] == 2.5);
    space_grid_point(s, 1 * 33 + 2 * 11 + 3, x);
    assert(x[0] == 1 && x[1] == 2 && x[2] == 0.3 && x[3] == 2.5); /* 0.3, not 0.30000000000000004 */
    space_grid_point(s, n - 1, x);
    assert(x[0] == 1 && x[1] == 2 && x[2] == 1.0);
    space_destroy(&s);

    s = s_test_space("a: {type: int, low: 0, high: 999999999}\n"
                     "b: {type: int, low: 0, high: 999999999}\n"
                     "c: {type: int, low: 0, high: 999999999}\n",
                     &e);
    assert(s && space_grid_size(s) == -1); /* overflow */
    space_destroy(&s);
    cfg_errs_free(&e);
}

static void s_test_errors(bool verbose)
{
    s_test_fails("x: {type: float, high: 1}", "s.yaml:1:4: x: missing 'low'", 1, verbose);
    s_test_fails("x: {type: float, low: 1}", "x: missing 'high'", 1, verbose);
    s_test_fails("x: {type: float}", "x: missing 'high'", 2, verbose);
    s_test_fails("x: {type: float, low: 2, high: 1}", "1:23: x: low (2) must be <= high (1)", 1,
                 verbose);
    s_test_fails("x: {type: float, low: 0, high: 1, log: true}", "1:23: x: low must be > 0", 1,
                 verbose);
    s_test_fails("x: {type: float, low: -1, high: 1, log: true}", "low must be > 0", 1, verbose);
    s_test_fails("x: {type: float, low: 1, high: 2, log: true, step: 0.5}",
                 "1:52: x: step cannot be combined with log", 1, verbose);
    s_test_fails("x: {type: int, low: 1, high: 8, log: true, step: 2}", "cannot be combined", 1,
                 verbose);
    s_test_fails("x: {type: float, low: 0, high: 1, step: 0}", "1:41: x: step must be > 0", 1,
                 verbose);
    s_test_fails("x: {type: int, low: 0, high: 4, step: -1}", "x: step must be > 0", 1, verbose);
    s_test_fails("x: {type: int, low: 0.5, high: 4}", "1:21: low: expected an integer", 1,
                 verbose);
    s_test_fails("x: {type: int, low: 0, high: 4, step: 1.5}", "step: expected an integer", 1,
                 verbose);
    s_test_fails("x: {type: float, low: a, high: '1'}", "high: expected a number", 2, verbose);
    s_test_fails("x: {type: float, low: 0, high: 1, log: 1}", "log: expected true or false", 1,
                 verbose);
    s_test_fails("x: {type: categorical, choices: []}", "1:33: x: choices must be a non-empty",
                 1, verbose);
    s_test_fails("x: {type: categorical, choices: a}", "choices must be a non-empty list", 1,
                 verbose);
    s_test_fails("x: {type: categorical}", "x: missing 'choices'", 1, verbose);
    s_test_fails("x: {type: categorical, choices: [a, {b: 1}]}", "1:37: x: each choice must", 1,
                 verbose);
    s_test_fails("x: {type: categorical, choices: [1, 1.0]}", "1:37: x: duplicate choice '1.0'",
                 1, verbose);
    s_test_fails("x: {type: categorical, choices: [a], low: 0}",
                 "1:38: x: 'low' does not apply to categorical", 1, verbose);
    s_test_fails("x: {type: float, low: 0, high: 1, choices: [a]}",
                 "x: 'choices' applies to categorical parameters only", 1, verbose);
    s_test_fails("x: {type: float, low: 0, high: 1, hgih: 2}",
                 "1:35: unknown key 'hgih' (did you mean 'high'?)", 1, verbose);
    s_test_fails("x: {type: double}", "1:11: x: unknown parameter type 'double'", 1, verbose);
    s_test_fails("x: {type: [float]}", "type: expected a string", 1, verbose);
    s_test_fails("x: {low: 0, high: 1}", "x: missing 'type'", 1, verbose);
    s_test_fails("x: 0.5", "1:4: x: expected a map", 1, verbose);
    s_test_fails("[x, y]", "space: expected a map of parameters", 1, verbose);
    s_test_fails("{}", "space: needs at least one parameter", 1, verbose);
    s_test_fails("a: {type: float, low: 1, high: 0}\nb: {type: int, low: 0}\nc: {type: cat}",
                 "3:11: c: unknown parameter type 'cat'", 3, verbose);
    /* Duplicate names cannot be parsed, but merged trees are checked too. */
    cfg_errs_t e;
    cfg_errs_init(&e);
    const char *yaml = "x: {type: int, low: 0, high: 1}";
    cfg_node_t *root = cfg_parse(yaml, strlen(yaml), "s.yaml", &e);
    assert(root);
    cfg_map_push(root, "x", 2, 1, cfg_dup(root->items[0]));
    space_t *s = space_from_cfg(root, &e);
    assert(!s && e.n == 1 && strstr(e.msgs[0], "s.yaml:2:1: space: duplicate parameter 'x'"));
    cfg_free(&root);
    assert(space_from_cfg(NULL, &e) == NULL && e.n == 2);
    cfg_errs_free(&e);
}

void space_test(bool verbose)
{
    printf(" * space: ");
    s_test_parse();
    s_test_grid();
    s_test_errors(verbose);
    printf("OK\n");
}
