/* optuna_dist — Optuna's distributions and hps's parameters, one into the other (see
 * optuna_priv.h). distribution_json is json.dumps of {"name": class name, "attributes":
 * the distribution's fields in their declaration order}: FloatDistribution (step, low,
 * high, log), IntDistribution (log, step, low, high), CategoricalDistribution (choices).
 * Floats are written as Python's repr, ints as ints, so that the text matches what
 * Optuna itself would store for the same space. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/optuna_priv.h"
#include "results/pyfmt.h"

/* Whether text is a decimal integer (which Python's json reads as int). */
static bool s_is_int_text(const char *text)
{
    const char *p = text + (*text == '-' || *text == '+');
    if (!*p)
        return false;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* A choice scalar as json.dumps writes the Python value YAML or JSON text reads as. */
static void s_choice(strbuf_t *sb, const char *text, bool is_str)
{
    double d;
    cfg_kind_t kind = is_str ? CFG_K_TEXT : cfg_text_kind(text, false);
    if (kind == CFG_K_NULL)
        sb_puts(sb, "null");
    else if (kind == CFG_K_BOOL)
        sb_puts(sb, text[0] == 't' || text[0] == 'T' ? "true" : "false");
    else if (kind == CFG_K_NUMBER && s_is_int_text(text))
        sb_printf(sb, "%lld", strtoll(text, NULL, 10));
    else if (kind == CFG_K_NUMBER && parse_double(text, &d) == 0)
        pyfmt_float(sb, d);
    else
        pyfmt_json_str(sb, text);
}

char *optuna_dist_json(const param_t *p)
{
    strbuf_t sb;
    sb_init(&sb);
    if (p->kind == PARAM_FLOAT) {
        sb_puts(&sb, "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": ");
        if (p->step > 0)
            pyfmt_float(&sb, p->step);
        else
            sb_puts(&sb, "null");
        sb_puts(&sb, ", \"low\": ");
        pyfmt_float(&sb, p->low);
        sb_puts(&sb, ", \"high\": ");
        pyfmt_float(&sb, p->high);
        sb_printf(&sb, ", \"log\": %s}}", p->log ? "true" : "false");
    } else if (p->kind == PARAM_INT) {
        sb_printf(&sb, "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": %s, "
                       "\"step\": %.0f, \"low\": %.0f, \"high\": %.0f}}",
                  p->log ? "true" : "false", p->step, p->low, p->high);
    } else {
        sb_puts(&sb, "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [");
        for (int i = 0; i < p->n_choices; i++) {
            if (i)
                sb_puts(&sb, ", ");
            s_choice(&sb, p->choices[i], p->choice_is_str[i]);
        }
        sb_puts(&sb, "]}}");
    }
    return sb_take(&sb);
}

/* The kind and fixed traits of each distribution class Optuna has written. */
static const struct {
    const char *name;
    param_kind_t kind;
    int log;         /* -1: the "log" attribute says */
    const char *step; /* the attribute holding the step, or NULL */
} s_classes[] = {
    {"FloatDistribution", PARAM_FLOAT, -1, "step"},
    {"IntDistribution", PARAM_INT, -1, "step"},
    {"CategoricalDistribution", PARAM_CAT, 0, NULL},
    {"UniformDistribution", PARAM_FLOAT, 0, NULL},
    {"LogUniformDistribution", PARAM_FLOAT, 1, NULL},
    {"DiscreteUniformDistribution", PARAM_FLOAT, 0, "q"},
    {"IntUniformDistribution", PARAM_INT, 0, "step"},
    {"IntLogUniformDistribution", PARAM_INT, 1, "step"},
};

static int s_choices(const cfg_node_t *seq, optuna_dist_t *out, char *err)
{
    if (!seq || seq->type != CFG_SEQ || seq->n == 0)
        return set_err(err, "categorical: no list of choices");
    out->choices = xcalloc((size_t)seq->n, sizeof *out->choices);
    for (int i = 0; i < seq->n; i++) {
        const cfg_node_t *c = seq->items[i];
        if (c->type != CFG_SCALAR && c->type != CFG_NULL)
            return set_err(err, "categorical: choice %d is not a scalar", i + 1);
        strbuf_t sb;
        sb_init(&sb);
        s_choice(&sb, c->type == CFG_NULL ? "null" : c->value, c->type == CFG_SCALAR && c->quoted);
        out->choices[out->n_choices++] = sb_take(&sb);
    }
    return 0;
}

/* Bounds, log and step of a numeric distribution of class k. */
static int s_numeric(const cfg_node_t *attrs, int k, optuna_dist_t *out, char *err)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    bool log = s_classes[k].log == 1;
    double def_step = out->kind == PARAM_INT ? 1 : 0;
    int rc = cfg_double(attrs, "low", NAN, &out->low, &errs) |
             cfg_double(attrs, "high", NAN, &out->high, &errs);
    if (s_classes[k].log < 0)
        rc |= cfg_bool(attrs, "log", false, &log, &errs);
    out->step = def_step;
    if (s_classes[k].step)
        rc |= cfg_double(attrs, s_classes[k].step, def_step, &out->step, &errs);
    out->log = log;
    if (rc != 0)
        set_err(err, "%s", errs.msgs[0]);
    else if (isnan(out->low) || isnan(out->high) || out->low > out->high)
        rc = set_err(err, "bad bounds");
    else if (out->step < 0 || (out->kind == PARAM_INT && out->step < 1))
        rc = set_err(err, "bad step");
    cfg_errs_free(&errs);
    return rc == 0 ? 0 : -1;
}

int optuna_dist_parse(const char *json, optuna_dist_t *out, char *err)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(json, strlen(json), "distribution_json", &errs);
    const char *cls = NULL;
    int rc = root && cfg_str(root, "name", NULL, &cls, &errs) == 0 && cls ? 0 : -1;
    const cfg_node_t *attrs = root ? cfg_get(root, "attributes") : NULL;
    if (rc != 0 || !attrs || attrs->type != CFG_MAP)
        rc = set_err(err, "not a distribution: %s", json);
    int k = -1;
    for (int i = 0; rc == 0 && i < (int)ARRAY_SIZE(s_classes); i++)
        if (strcmp(cls, s_classes[i].name) == 0)
            k = i;
    if (rc == 0 && k < 0)
        rc = set_err(err, "distribution %s: hps has no such parameter type", cls);
    if (rc == 0) {
        out->kind = s_classes[k].kind;
        rc = out->kind == PARAM_CAT ? s_choices(cfg_get(attrs, "choices"), out, err)
                                    : s_numeric(attrs, k, out, err);
    }
    if (rc == 0 && out->kind == PARAM_CAT) {
        out->low = 0;
        out->high = out->n_choices - 1;
    }
    cfg_free(&root);
    cfg_errs_free(&errs);
    return rc;
}

void optuna_dist_clear(optuna_dist_t *d)
{
    for (int i = 0; i < d->n_choices; i++)
        free(d->choices[i]);
    free(d->choices);
    free(d->name);
    free(d->json);
    memset(d, 0, sizeof *d);
}

void optuna_dist_yaml(strbuf_t *sb, const optuna_dist_t *d)
{
    sb_puts(sb, "  ");
    char c0 = d->name[0];
    bool plain = (c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z');
    for (const char *c = d->name; plain && *c; c++)
        plain = *c == '_' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
                (*c >= 'A' && *c <= 'Z');
    if (plain)
        sb_puts(sb, d->name);
    else
        pyfmt_json_str(sb, d->name);
    if (d->kind == PARAM_CAT) {
        sb_puts(sb, ": {type: categorical, choices: [");
        for (int i = 0; i < d->n_choices; i++)
            sb_printf(sb, "%s%s", i ? ", " : "", d->choices[i]);
        sb_puts(sb, "]}\n");
        return;
    }
    if (d->kind == PARAM_INT)
        sb_printf(sb, ": {type: int, low: %.0f, high: %.0f", d->low, d->high);
    else {
        sb_puts(sb, ": {type: float, low: ");
        pyfmt_float(sb, d->low);
        sb_puts(sb, ", high: ");
        pyfmt_float(sb, d->high);
    }
    if (d->log)
        sb_puts(sb, ", log: true");
    if (d->step > 0 && !(d->kind == PARAM_INT && d->step == 1)) {
        sb_puts(sb, ", step: ");
        if (d->kind == PARAM_INT)
            sb_printf(sb, "%.0f", d->step);
        else
            pyfmt_float(sb, d->step);
    }
    sb_puts(sb, "}\n");
}

static const char *const s_kind_names[] = {"float", "int", "categorical"};

void optuna_dist_compare(const optuna_dist_t *d, const param_t *p, const cfg_node_t *at,
                         cfg_errs_t *errs)
{
    if (d->kind != p->kind) {
        cfg_error(errs, at, "space.%s: type is %s in the config, %s in the Optuna study",
                  p->name, s_kind_names[p->kind], s_kind_names[d->kind]);
        return;
    }
    if (p->kind == PARAM_CAT) {
        char *mine = optuna_dist_json(p);
        strbuf_t sb;
        sb_init(&sb);
        sb_puts(&sb, "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [");
        for (int i = 0; i < d->n_choices; i++)
            sb_printf(&sb, "%s%s", i ? ", " : "", d->choices[i]);
        sb_puts(&sb, "]}}");
        if (strcmp(mine, sb.buf) != 0)
            cfg_error(errs, at, "space.%s: the choices differ from the Optuna study's: %s",
                      p->name, sb.buf);
        free(mine);
        sb_free(&sb);
        return;
    }
    const struct {
        const char *what;
        double mine, theirs;
    } f[] = {{"low", p->low, d->low}, {"high", p->high, d->high},
             {"step", p->step, d->step}, {"log", p->log, d->log}};
    for (int i = 0; i < (int)ARRAY_SIZE(f); i++)
        if (f[i].mine != f[i].theirs)
            cfg_error(errs, at, "space.%s: %s is %.17g in the config, %.17g in the Optuna "
                                "study", p->name, f[i].what, f[i].mine, f[i].theirs);
}

/* ------------------------------------------------------------------ self-test */

/* The distribution_json of the YAML parameter line, checked against want (what Optuna
 * 3.1's distribution_to_json writes for it), parsed back and compared with itself. */
static void s_test_dist(const char *yaml, const char *want)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(yaml, strlen(yaml), "t.yaml", &errs);
    space_t *space = root ? space_from_cfg(root, &errs) : NULL;
    assert(space && space->n == 1);
    char *json = optuna_dist_json(&space->params[0]), err[HPS_ERR_LEN];
    if (strcmp(json, want) != 0)
        fprintf(stderr, "optuna_dist_json: %s\n  want %s\n", json, want);
    assert(strcmp(json, want) == 0);
    optuna_dist_t d = {0};
    assert(optuna_dist_parse(json, &d, err) == 0);
    optuna_dist_compare(&d, &space->params[0], root, &errs);
    assert(errs.n == 0);
    /* the YAML written for it reads back as the same parameter */
    strbuf_t sb;
    sb_init(&sb);
    d.name = xstrdup(space->params[0].name);
    optuna_dist_yaml(&sb, &d);
    cfg_node_t *back = cfg_parse(sb.buf, sb.len, "back.yaml", &errs);
    space_t *again = back ? space_from_cfg(back, &errs) : NULL;
    assert(again && again->n == 1);
    char *json2 = optuna_dist_json(&again->params[0]);
    assert(strcmp(json, json2) == 0);
    free(json2);
    space_destroy(&again);
    cfg_free(&back);
    sb_free(&sb);
    optuna_dist_clear(&d);
    free(json);
    space_destroy(&space);
    cfg_free(&root);
    cfg_errs_free(&errs);
}

void optuna_test(bool verbose)
{
    (void)verbose;
    s_test_dist("x: {type: float, low: -2, high: 2}",
                "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": "
                "-2.0, \"high\": 2.0, \"log\": false}}");
    s_test_dist("lr: {type: float, low: 1.0e-5, high: 1, log: true}",
                "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": "
                "1e-05, \"high\": 1.0, \"log\": true}}");
    s_test_dist("q: {type: float, low: 0, high: 1, step: 0.25}",
                "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": 0.25, \"low\": "
                "0.0, \"high\": 1.0, \"log\": false}}");
    s_test_dist("n: {type: int, low: 1, high: 100, log: true}",
                "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": true, \"step\": 1, "
                "\"low\": 1, \"high\": 100}}");
    s_test_dist("w: {type: int, low: 0, high: 10, step: 2}",
                "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": false, \"step\": 2, "
                "\"low\": 0, \"high\": 10}}");
    s_test_dist("c: {type: categorical, choices: [x, 1, 2.5, null, true, \"1\"]}",
                "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [\"x\", "
                "1, 2.5, null, true, \"1\"]}}");
    /* the distributions of Optuna before 3.0 */
    char err[HPS_ERR_LEN];
    optuna_dist_t d = {0};
    assert(optuna_dist_parse("{\"name\": \"LogUniformDistribution\", \"attributes\": "
                             "{\"low\": 0.001, \"high\": 1.0}}", &d, err) == 0);
    assert(d.kind == PARAM_FLOAT && d.log && d.low == 0.001 && d.high == 1 && d.step == 0);
    optuna_dist_clear(&d);
    assert(optuna_dist_parse("{\"name\": \"IntUniformDistribution\", \"attributes\": "
                             "{\"low\": 0, \"high\": 9, \"step\": 3}}", &d, err) == 0);
    assert(d.kind == PARAM_INT && !d.log && d.step == 3);
    optuna_dist_clear(&d);
    assert(optuna_dist_parse("{\"name\": \"DiscreteUniformDistribution\", \"attributes\": "
                             "{\"low\": 0.0, \"high\": 1.0, \"q\": 0.5}}", &d, err) == 0);
    assert(d.kind == PARAM_FLOAT && d.step == 0.5);
    optuna_dist_clear(&d);
    assert(optuna_dist_parse("{\"name\": \"FancyDistribution\", \"attributes\": {}}", &d,
                             err) == -1 && strstr(err, "FancyDistribution"));
    optuna_dist_clear(&d);
    assert(optuna_dist_parse("[1, 2]", &d, err) == -1);
    optuna_dist_clear(&d);
}
