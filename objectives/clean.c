/* clean — the data section's cleaning options: parsing, checking against the data, and
 * the statistics the feature transform fits with them (see clean.h). */
#include "objectives/clean.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_strategies[] = {"mean", "median", "most_frequent", "constant",
                                           "category", "none", NULL};
static const char *const s_impute_keys[] = {"strategy", "value", "add_indicator",
                                            "columns", NULL};
static const char *const s_column_keys[] = {"strategy", "value", "add_indicator", NULL};
static const char *const s_clip_keys[] = {"low", "high", "columns", NULL};

/* "file:line:col: " of a position, as cfg_error writes it; caller frees. */
static char *s_where_at(const char *file, int line, int col)
{
    if (file && line > 0)
        return xasprintf("%s:%d:%d: ", file, line, col);
    return xasprintf("%s%s", file ? file : "", file ? ": " : "");
}

/* The location of map entry i's key (its value's when the key has none). */
static char *s_key_where(const cfg_node_t *map, int i)
{
    const cfg_node_t *v = map->items[i];
    if (map->key_line && map->key_line[i] > 0)
        return s_where_at(v->file, map->key_line[i], map->key_col[i]);
    return s_where_at(v->file, v->line, v->col);
}

/* A string or a list of strings at data[key] into *out (owned array, borrowed names). */
static void s_str_list(const cfg_node_t *data, const char *key, const char ***out, int *n,
                       cfg_errs_t *errs)
{
    const cfg_node_t *v = cfg_get(data, key);
    *out = NULL;
    *n = 0;
    if (!v || v->type == CFG_NULL)
        return;
    if (v->type == CFG_SCALAR) {
        *out = xmalloc(sizeof **out);
        (*out)[(*n)++] = v->value;
        return;
    }
    if (v->type != CFG_SEQ) {
        cfg_error(errs, v, "data.%s: expected a list", key);
        return;
    }
    *out = xmalloc((size_t)(v->n + 1) * sizeof **out);
    for (int i = 0; i < v->n; i++) {
        if (v->items[i]->type == CFG_SCALAR)
            (*out)[(*n)++] = v->items[i]->value;
        else
            cfg_error(errs, v->items[i], "data.%s: expected a string%s", key,
                      v->items[i]->type == CFG_NULL ? " (quote it: \"\" is the empty cell)"
                                                    : "");
    }
}

/* One impute rule: a strategy name, or a map {strategy, value, add_indicator}. *set
 * says whether a strategy was given, *ind_set whether add_indicator was. */
static void s_rule(const cfg_node_t *v, const char *what, const char *const *keys,
                   clean_impute_t *r, bool *set, bool *ind_set, cfg_errs_t *errs)
{
    const char *name = NULL;
    const cfg_node_t *sv = v;
    if (v->type == CFG_MAP) {
        cfg_check_keys(v, keys, errs);
        sv = cfg_get(v, "strategy");
        cfg_str(v, "strategy", NULL, &name, errs);
        cfg_bool(v, "add_indicator", false, &r->add_indicator, errs);
        *ind_set = cfg_get(v, "add_indicator") != NULL;
        const char *value = NULL;
        const cfg_node_t *vv = cfg_get(v, "value");
        if (vv && vv->type != CFG_SCALAR && vv->type != CFG_NULL)
            cfg_error(errs, vv, "%s.value: expected a number or a string", what);
        else if (vv && vv->type == CFG_SCALAR)
            value = vv->value;
        if (value) {
            r->value = xstrdup(value);
            if (parse_double(value, &r->num) != 0 || !isfinite(r->num))
                r->num = NAN;
        }
    } else if (v->type == CFG_SCALAR) {
        name = v->value;
    } else {
        cfg_error(errs, v, "%s: expected a strategy or a map", what);
        return;
    }
    *set = name != NULL;
    for (int s = 0; name && s_strategies[s]; s++)
        if (strcmp(name, s_strategies[s]) == 0) {
            r->strategy = (clean_strategy_t)s;
            name = NULL;
        }
    if (name) {
        char *hint = did_you_mean(name, s_strategies, "strategies");
        cfg_error(errs, sv, "%s: unknown strategy '%s'%s", what, name, hint);
        free(hint);
    } else if (*set && r->strategy == CLEAN_CONSTANT && !r->value) {
        cfg_error(errs, v, "%s: strategy constant needs a `value:`", what);
    } else if (r->value && (!*set || r->strategy != CLEAN_CONSTANT)) {
        cfg_error(errs, cfg_get(v, "value"), "%s.value: only with strategy constant", what);
    }
}

/* map[key] when it is a node of type type; NULL when absent or null, or (with an error
 * "WHAT: expected SHAPE") of another type. */
static const cfg_node_t *s_optional(const cfg_node_t *map, const char *key, cfg_type_t type,
                                    const char *what, const char *shape, cfg_errs_t *errs)
{
    const cfg_node_t *v = cfg_get(map, key);
    if (!v || v->type == CFG_NULL)
        return NULL;
    if (v->type == type)
        return v;
    cfg_error(errs, v, "%s: expected %s", what, shape);
    return NULL;
}

static void s_parse_impute(const cfg_node_t *data, clean_opts_t *o, cfg_errs_t *errs)
{
    const cfg_node_t *imp = cfg_get(data, "impute");
    if (!imp || imp->type == CFG_NULL)
        return;
    bool ind_set = false;
    s_rule(imp, "data.impute", s_impute_keys, &o->all, &o->all_set, &ind_set, errs);
    const cfg_node_t *v = cfg_get(imp, "value");
    o->all_where = s_where_at(imp->file, (v ? v : imp)->line, (v ? v : imp)->col);
    const cfg_node_t *cols = imp->type != CFG_MAP ? NULL
                             : s_optional(imp, "columns", CFG_MAP, "data.impute.columns",
                                          "a map of column: strategy", errs);
    if (!cols)
        return;
    o->cols = xcalloc((size_t)cols->n + 1, sizeof *o->cols);
    for (int i = 0; i < cols->n; i++) {
        clean_column_t *c = &o->cols[o->n_cols++];
        c->name = xstrdup(cols->keys[i]);
        c->where = s_key_where(cols, i);
        char *what = xasprintf("data.impute.columns.%s", c->name);
        s_rule(cols->items[i], what, s_column_keys, &c->imp, &c->strategy_set,
               &c->indicator_set, errs);
        free(what);
    }
}

static void s_parse_clip(const cfg_node_t *data, clean_opts_t *o, cfg_errs_t *errs)
{
    const cfg_node_t *clip = s_optional(data, "clip", CFG_MAP, "data.clip",
                                        "a map {low: Q, high: Q}", errs);
    if (!clip)
        return;
    cfg_check_keys(clip, s_clip_keys, errs);
    o->clip = true;
    if (cfg_double(clip, "low", 0, &o->q_low, errs) != 0 ||
        cfg_double(clip, "high", 1, &o->q_high, errs) != 0)
        return;
    if (!(o->q_low >= 0 && o->q_low < o->q_high && o->q_high <= 1)) {
        /* at the bound that is wrong (high, once low is in [0, 1)) */
        const cfg_node_t *at = cfg_get(clip, o->q_low >= 0 && o->q_low < 1 ? "high" : "low");
        cfg_error(errs, at ? at : clip, "data.clip: quantiles must satisfy 0 <= low < high "
                  "<= 1, got low %g, high %g", o->q_low, o->q_high);
    }
    const cfg_node_t *cols = s_optional(clip, "columns", CFG_SEQ, "data.clip.columns",
                                        "a list of column names", errs);
    if (!cols)
        return;
    o->clip_cols = xcalloc((size_t)cols->n + 1, sizeof *o->clip_cols);
    for (int i = 0; i < cols->n; i++) {
        const cfg_node_t *c = cols->items[i];
        if (c->type != CFG_SCALAR) {
            cfg_error(errs, c, "data.clip.columns: expected a column name");
            continue;
        }
        o->clip_cols[o->n_clip_cols].name = xstrdup(c->value);
        o->clip_cols[o->n_clip_cols++].where = s_where_at(c->file, c->line, c->col);
    }
}

int clean_data_parse(const study_config_t *study, clean_data_t *d, cfg_errs_t *errs)
{
    int before = errs->n;
    memset(d, 0, sizeof *d);
    const cfg_node_t *data = study->data;
    if (!data) {
        cfg_error(errs, study->objective, "objective: a model needs a `data:` section");
        return -1;
    }
    cfg_str(data, "path", NULL, &d->path, errs);
    cfg_str(data, "label", NULL, &d->label, errs);
    cfg_str(data, "target", NULL, &d->target, errs);
    if (d->label && d->target)
        cfg_error(errs, cfg_get(data, "target"), "data: give label or target, not both");
    s_str_list(data, "text", &d->text, &d->n_text, errs);
    s_str_list(data, "numeric", &d->numeric, &d->n_numeric, errs);
    s_str_list(data, "categorical", &d->categorical, &d->n_categorical, errs);
    const char **marks = NULL;
    int n = 0;
    s_str_list(data, "missing", &marks, &n, errs);
    if (cfg_get(data, "missing") && cfg_get(data, "missing")->type != CFG_NULL) {
        d->clean.missing = xmalloc((size_t)(n + 1) * sizeof *d->clean.missing);
        for (int i = 0; i < n; i++)
            d->clean.missing[d->clean.n_missing++] = xstrdup(marks[i]);
    }
    free(marks);
    s_parse_impute(data, &d->clean, errs);
    s_parse_clip(data, &d->clean, errs);
    return errs->n > before ? -1 : 0;
}

/* rule's strategy node when it says none (a scalar rule, or a map's strategy). */
static const cfg_node_t *s_none_node(const cfg_node_t *rule)
{
    const cfg_node_t *sv = rule && rule->type == CFG_MAP ? cfg_get(rule, "strategy") : rule;
    return sv && sv->type == CFG_SCALAR && strcmp(sv->value, "none") == 0 ? sv : NULL;
}

const cfg_node_t *clean_none_at(const cfg_node_t *data)
{
    const cfg_node_t *imp = data ? cfg_get(data, "impute") : NULL;
    const cfg_node_t *at = s_none_node(imp);
    const cfg_node_t *cols = imp && imp->type == CFG_MAP ? cfg_get(imp, "columns") : NULL;
    for (int i = 0; !at && cols && cols->type == CFG_MAP && i < cols->n; i++)
        at = s_none_node(cols->items[i]);
    return at;
}

void clean_data_opts(const clean_data_t *d, dataset_opts_t *o)
{
    *o = (dataset_opts_t){.label = d->label, .target = d->target, .text = d->text,
                          .n_text = d->n_text, .numeric = d->numeric,
                          .n_numeric = d->n_numeric, .strings = d->categorical,
                          .n_strings = d->n_categorical,
                          .missing = (const char *const *)d->clean.missing,
                          .n_missing = d->clean.n_missing};
}

void clean_opts_take(clean_data_t *d, clean_opts_t *out)
{
    *out = d->clean;
    memset(&d->clean, 0, sizeof d->clean);
}

static void s_columns_free(clean_column_t *c, int n)
{
    for (int i = 0; i < n; i++) {
        free(c[i].name);
        free(c[i].where);
        free(c[i].imp.value);
    }
    free(c);
}

void clean_opts_free(clean_opts_t *o)
{
    for (int i = 0; i < o->n_missing; i++)
        free(o->missing[i]);
    free(o->missing);
    free(o->all.value);
    free(o->all_where);
    s_columns_free(o->cols, o->n_cols);
    s_columns_free(o->clip_cols, o->n_clip_cols);
    memset(o, 0, sizeof *o);
}

void clean_data_free(clean_data_t *d)
{
    free(d->text);
    free(d->numeric);
    free(d->categorical);
    clean_opts_free(&d->clean);
    memset(d, 0, sizeof *d);
}

/* The feature-side column named, or NULL with err naming the file's columns. */
static const dataset_col_t *s_col(const dataset_t *ds, const clean_column_t *c,
                                  const char *what, char *err)
{
    int k = dataset_col_index(ds, c->name);
    if (k >= 0)
        return &ds->cols[k];
    const char **names = xmalloc((size_t)(ds->n_cols + 1) * sizeof *names);
    for (int i = 0; i < ds->n_cols; i++)
        names[i] = ds->cols[i].name;
    names[ds->n_cols] = NULL;
    char *hint = did_you_mean(c->name, names, NULL);
    set_err(err, "%s%s.%s: no feature column '%s' in %s%s", c->where, what, c->name, c->name,
            ds->path, hint);
    free(hint);
    free(names);
    return NULL;
}

static int s_check_rule(const clean_impute_t *r, const dataset_col_t *col, const char *where,
                        const char *what, char *err)
{
    bool numeric = col->kind == COL_NUMERIC;
    if (col->kind == COL_TEXT)
        return set_err(err, "%s%s: '%s' is a text column (an empty text has no terms; "
                       "only numeric and categorical columns are imputed)", where, what,
                       col->name);
    if (!numeric && (r->strategy == CLEAN_MEAN || r->strategy == CLEAN_MEDIAN ||
                     r->strategy == CLEAN_NONE))
        return set_err(err, "%s%s: %s needs a numeric column, '%s' is categorical (use "
                       "most_frequent, constant or category)", where, what,
                       s_strategies[r->strategy], col->name);
    if (numeric && r->strategy == CLEAN_CATEGORY)
        return set_err(err, "%s%s: category is for categorical columns, '%s' is numeric",
                       where, what, col->name);
    if (numeric && r->strategy == CLEAN_CONSTANT && isnan(r->num))
        return set_err(err, "%s%s: value '%s' is not a finite number, and '%s' is numeric",
                       where, what, r->value, col->name);
    return 0;
}

int clean_opts_check(const clean_opts_t *o, const dataset_t *ds, char *err)
{
    for (int i = 0; i < o->n_cols; i++) {
        const clean_column_t *c = &o->cols[i];
        const dataset_col_t *col = s_col(ds, c, "data.impute.columns", err);
        char *what = xasprintf("data.impute.columns.%s", c->name);
        clean_impute_t r = clean_rule(o, c->name, col && col->kind == COL_NUMERIC);
        int rc = col ? s_check_rule(&r, col, c->where, what, err) : -1;
        free(what);
        if (rc != 0)
            return -1;
    }
    for (int i = 0; i < o->n_clip_cols; i++) {
        const dataset_col_t *col = s_col(ds, &o->clip_cols[i], "data.clip.columns", err);
        if (!col)
            return -1;
        if (col->kind != COL_NUMERIC)
            return set_err(err, "%sdata.clip.columns: '%s' is not a numeric column",
                           o->clip_cols[i].where, col->name);
    }
    /* The default constant reaches every numeric column without a rule of its own (a
     * missing cell may come with the rows to predict, so no column is exempt). */
    for (int c = 0; c < ds->n_cols; c++) {
        clean_impute_t r = clean_rule(o, ds->cols[c].name, true);
        if (ds->cols[c].kind == COL_NUMERIC && r.strategy == CLEAN_CONSTANT && isnan(r.num))
            return set_err(err, "%sdata.impute.value: '%s' is not a finite number, and '%s' "
                           "is numeric (give it a strategy in impute.columns)", o->all_where,
                           o->all.value, ds->cols[c].name);
    }
    return 0;
}

int clean_opts_not_feature(const clean_opts_t *o, const char *name, const char *why,
                           char *err)
{
    for (int i = 0; i < o->n_cols; i++)
        if (strcmp(o->cols[i].name, name) == 0)
            return set_err(err, "%sdata.impute.columns.%s: '%s' is %s, not a feature",
                           o->cols[i].where, name, name, why);
    for (int i = 0; i < o->n_clip_cols; i++)
        if (strcmp(o->clip_cols[i].name, name) == 0)
            return set_err(err, "%sdata.clip.columns: '%s' is %s, not a feature",
                           o->clip_cols[i].where, name, why);
    return 0;
}

clean_impute_t clean_rule(const clean_opts_t *o, const char *name, bool numeric)
{
    clean_impute_t r = {.strategy = numeric ? CLEAN_MEAN : CLEAN_CATEGORY, .num = NAN};
    if (o && o->all_set) {
        bool numeric_only = o->all.strategy == CLEAN_MEAN || o->all.strategy == CLEAN_MEDIAN ||
                            o->all.strategy == CLEAN_NONE;
        if (numeric || !numeric_only)
            r = o->all;
    }
    if (o)
        r.add_indicator = o->all.add_indicator;
    for (int i = 0; o && i < o->n_cols; i++) {
        const clean_column_t *c = &o->cols[i];
        if (strcmp(c->name, name) != 0)
            continue;
        bool ind = c->indicator_set ? c->imp.add_indicator : r.add_indicator;
        if (c->strategy_set)
            r = c->imp;
        r.add_indicator = ind;
    }
    return r;
}

bool clean_clips(const clean_opts_t *o, const char *name)
{
    if (!o || !o->clip)
        return false;
    if (!o->clip_cols)
        return true;
    for (int i = 0; i < o->n_clip_cols; i++)
        if (strcmp(o->clip_cols[i].name, name) == 0)
            return true;
    return false;
}

double clean_quantile(const double *sorted, int n, double q)
{
    if (n == 0)
        return 0;
    double pos = q * (n - 1);
    int lo = (int)floor(pos);
    if (lo >= n - 1)
        return sorted[n - 1];
    double frac = pos - lo, a = sorted[lo], b = sorted[lo + 1];
    if (frac == 0)
        return a;
    double d = b - a; /* inf for values of opposite signs near DBL_MAX: weigh them instead */
    return isfinite(d) ? a + frac * d : a * (1 - frac) + b * frac;
}

double clean_fill(const clean_impute_t *r, const double *sorted, int n)
{
    if (r->strategy == CLEAN_CONSTANT)
        return r->num;
    if (r->strategy == CLEAN_NONE)
        return NAN;
    if (n == 0) /* nothing observed in the fit rows */
        return 0;
    if (r->strategy == CLEAN_MEDIAN)
        return clean_quantile(sorted, n, 0.5);
    if (r->strategy == CLEAN_MOST_FREQUENT) {
        double best = sorted[0];
        int best_n = 0;
        for (int i = 0, j; i < n; i = j) {
            for (j = i; j < n && sorted[j] == sorted[i]; j++)
                ;
            if (j - i > best_n) { /* strictly more: the smallest of ties stays */
                best_n = j - i;
                best = sorted[i];
            }
        }
        return best;
    }
    double sum = 0, big = 0;
    for (int i = 0; i < n; i++) {
        sum += sorted[i];
        big = fmax(big, fabs(sorted[i]));
    }
    if (isfinite(sum))
        return sum / n;
    sum = 0; /* past DBL_MAX on the way: the mean of x / max|x|, scaled back */
    for (int i = 0; i < n; i++)
        sum += sorted[i] / big;
    return sum / n * big;
}

/* ---- tests ---- */

/* Parse yaml's data section into d; the config (which d borrows from) into *root. */
static void s_parse(const char *yaml, const char *want_error, clean_data_t *d,
                    cfg_node_t **root_p)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(yaml, strlen(yaml), "c.yaml", &errs);
    assert(root);
    study_config_t study = {.root = root, .data = cfg_get(root, "data")};
    int rc = clean_data_parse(&study, d, &errs);
    if (want_error ? !cfg_errs_has(&errs, want_error, false) : rc != 0)
        cfg_errs_print(&errs, stderr);
    assert(want_error ? rc != 0 && cfg_errs_has(&errs, want_error, false) : rc == 0);
    cfg_errs_free(&errs);
    if (root_p)
        *root_p = root;
    else
        cfg_free(&root);
}

static void s_test_parse(void)
{
    clean_data_t d;
    cfg_node_t *root = NULL;
    s_parse("data:\n  path: x.csv\n  missing: ['', NA, '?', -999]\n"
                             "  categorical: zip\n  impute:\n    strategy: median\n"
                             "    add_indicator: true\n    columns:\n"
                             "      age: {strategy: constant, value: -1}\n"
                             "      zip: most_frequent\n      bmi: {add_indicator: false}\n"
                             "  clip: {low: 0.05, high: 0.95, columns: [bmi]}\n", NULL, &d, &root);
    assert(d.clean.n_missing == 4 && !strcmp(d.clean.missing[0], "") &&
           !strcmp(d.clean.missing[3], "-999"));
    assert(d.n_categorical == 1 && !strcmp(d.categorical[0], "zip"));
    clean_opts_t o;
    clean_opts_take(&d, &o);
    clean_impute_t r = clean_rule(&o, "age", true);
    assert(r.strategy == CLEAN_CONSTANT && r.num == -1 && r.add_indicator);
    r = clean_rule(&o, "bmi", true); /* its own add_indicator: false wins */
    assert(r.strategy == CLEAN_MEDIAN && !r.add_indicator);
    r = clean_rule(&o, "zip", false);
    assert(r.strategy == CLEAN_MOST_FREQUENT);
    r = clean_rule(&o, "color", false); /* median is for numbers: own category */
    assert(r.strategy == CLEAN_CATEGORY && r.add_indicator);
    assert(clean_clips(&o, "bmi") && !clean_clips(&o, "age") && o.q_low == 0.05);
    assert(!strcmp(o.cols[0].where, "c.yaml:9:7: "));
    clean_opts_free(&o);
    clean_data_free(&d);
    cfg_free(&root);
    r = clean_rule(NULL, "x", true);
    assert(r.strategy == CLEAN_MEAN && !r.add_indicator);
    s_parse("data: {path: x.csv, impute: most_frequent}\n", NULL, &d, NULL); /* no names */
    assert(clean_rule(&d.clean, "c", false).strategy == CLEAN_MOST_FREQUENT);
    clean_data_free(&d);
    s_parse("data: {impute: {strategy: meen}}\n",
                "c.yaml:1:27: data.impute: unknown strategy 'meen' (did you mean 'mean'?", &d, NULL);
    clean_data_free(&d);
    s_parse("data:\n  impute: {columns: {a: {strategy: constant}}}\n",
                "c.yaml:2:25: data.impute.columns.a: strategy constant needs a `value:`", &d, NULL);
    clean_data_free(&d);
    s_parse("data:\n  clip: {low: 0.9, high: 0.1}\n",
                "c.yaml:2:26: data.clip: quantiles must satisfy 0 <= low < high <= 1", &d, NULL);
    clean_data_free(&d);
    s_parse("data: {clip: {high: 1.5}}\n", "data.clip: quantiles must satisfy", &d, NULL);
    clean_data_free(&d);
    s_parse("data: {missing: [NA, ~]}\n", "quote it", &d, NULL);
    clean_data_free(&d);
}

static void s_test_check(void)
{
    const char *csv = "age,zip,txt,label\n1,a,x y,0\nNA,b,z,1\n3,NA,w,0\n";
    const char *text[] = {"txt"};
    char err[HPS_ERR_LEN];
    dataset_t *ds = dataset_parse(csv, strlen(csv), "d.csv",
                                  &(dataset_opts_t){.text = text, .n_text = 1}, err);
    assert(ds);
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"data: {impute: {columns: {agee: mean}}}\n",
         "c.yaml:1:27: data.impute.columns.agee: no feature column 'agee' in d.csv (did you "
         "mean 'age'?)"},
        {"data: {impute: {columns: {zip: median}}}\n",
         "data.impute.columns.zip: median needs a numeric column, 'zip' is categorical"},
        {"data: {impute: {columns: {age: category}}}\n", "category is for categorical"},
        {"data: {impute: {columns: {txt: mean}}}\n", "'txt' is a text column"},
        {"data: {impute: {strategy: constant, value: none}}\n",
         "c.yaml:1:44: data.impute.value: 'none' is not a finite number, and 'age' is "
         "numeric (give it a strategy in impute.columns)"},
        {"data: {clip: {columns: [zip]}}\n", "c.yaml:1:25: data.clip.columns: 'zip' is not a"},
        {"data: {clip: {columns: [nope]}}\n", "data.clip.columns.nope: no feature column"},
        {"data: {impute: {columns: {age: {strategy: constant, value: 0}, zip: constant}}}\n",
         "strategy constant needs"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cfg_errs_t errs;
        cfg_errs_init(&errs);
        cfg_node_t *root = cfg_parse(cases[i].yaml, strlen(cases[i].yaml), "c.yaml", &errs);
        study_config_t study = {.root = root, .data = cfg_get(root, "data")};
        clean_data_t d;
        int rc = clean_data_parse(&study, &d, &errs);
        err[0] = '\0';
        if (rc == 0)
            rc = clean_opts_check(&d.clean, ds, err);
        const char *got = rc == 0 ? "" : errs.n ? errs.msgs[0] : err;
        if (!strstr(got, cases[i].want))
            fprintf(stderr, "clean_test: want '%s', got '%s'\n", cases[i].want, got);
        assert(strstr(got, cases[i].want));
        clean_data_free(&d);
        cfg_errs_free(&errs);
        cfg_free(&root);
    }
    dataset_destroy(&ds);
}

static void s_test_stats(void)
{
    double v[] = {1, 2, 2, 3, 3, 10};
    assert(clean_quantile(v, 6, 0) == 1 && clean_quantile(v, 6, 1) == 10);
    assert(clean_quantile(v, 6, 0.5) == 2.5 && clean_quantile(v, 6, 0.9) == 6.5);
    clean_impute_t r = {.strategy = CLEAN_MEAN};
    assert(clean_fill(&r, v, 6) == 21.0 / 6 && clean_fill(&r, v, 0) == 0);
    r.strategy = CLEAN_MEDIAN;
    assert(clean_fill(&r, v, 5) == 2);
    r.strategy = CLEAN_MOST_FREQUENT; /* 2 and 3 tie: the smaller */
    assert(clean_fill(&r, v, 6) == 2);
    r = (clean_impute_t){.strategy = CLEAN_CONSTANT, .num = -7};
    assert(clean_fill(&r, v, 6) == -7);
    /* near DBL_MAX: a plain sum and an order statistics' difference overflow */
    double big[] = {-1.7e308, -1.7e308, 1.7e308, 1.7e308, 1.7e308};
    r.strategy = CLEAN_MEAN;
    assert(fabs(clean_fill(&r, big, 5) / (1.7e308 / 5) - 1) < 1e-15);
    assert(fabs(clean_quantile(big, 5, 0.3125) + 0.85e308) < 1e293);
    double same[] = {1.5e308, 1.7e308};
    assert(fabs(clean_fill(&r, same, 2) / 1.6e308 - 1) < 1e-15);
}

void clean_test(bool verbose)
{
    if (verbose)
        printf(" * clean:\n");
    s_test_parse();
    s_test_check();
    s_test_stats();
}
