/* predict — a model artifact applied to a CSV (see predict.h). */
#include "objectives/predict.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dataset.h"
#include "core/log.h"
#include "core/metrics.h"
#include "objectives/features_io.h"
#include "objectives/model_io.h"

/* The pipeline's columns by role. */
typedef struct {
    const char *const *text, *const *num, *const *cat;
    int n_text, n_num, n_cat;
} s_cols_t;

static bool s_listed(const char *name, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* Whether name is a column the model knows: a feature, the label/target, ignored. */
static bool s_known(const model_artifact_t *a, const s_cols_t *c, const char *name)
{
    return s_listed(name, c->text, c->n_text) || s_listed(name, c->num, c->n_num) ||
           s_listed(name, c->cat, c->n_cat) || strcmp(name, a->y_name) == 0 ||
           s_listed(name, (const char *const *)a->ignored, a->n_ignored);
}

/* After a failed load: when feature columns are missing, name them all in err. */
static void s_name_missing(const char *csv, const s_cols_t *c, const dataset_opts_t *o,
                           char *err)
{
    char err2[HPS_ERR_LEN];
    dataset_t *ds = dataset_load(csv, &(dataset_opts_t){.no_y = true, .missing = o->missing,
                                                        .n_missing = o->n_missing}, err2);
    if (!ds)
        return; /* the first error stands */
    strbuf_t sb;
    sb_init(&sb);
    int n = 0;
    for (int i = 0; i < c->n_text + c->n_num + c->n_cat; i++) {
        const char *name = i < c->n_text ? c->text[i]
                           : i < c->n_text + c->n_num ? c->num[i - c->n_text]
                                                      : c->cat[i - c->n_text - c->n_num];
        if (dataset_col_index(ds, name) < 0)
            sb_printf(&sb, "%s'%s'", n++ ? ", " : "", name);
    }
    if (n > 0)
        set_err(err, "%s:1: missing column%s the model needs: %s", csv, n > 1 ? "s" : "",
                sb.buf);
    sb_free(&sb);
    dataset_destroy(&ds);
}

static dataset_t *s_load(const model_artifact_t *a, const s_cols_t *c, const char *csv,
                         bool ignore_extra, char *err)
{
    dataset_opts_t o = {.text = c->text, .n_text = c->n_text, .numeric = c->num,
                        .n_numeric = c->n_num, .strings = c->cat, .n_strings = c->n_cat,
                        .no_y = true};
    o.missing = features_missing_markers(a->pipeline, &o.n_missing);
    dataset_t *ds = dataset_load(csv, &o, err);
    if (!ds) {
        s_name_missing(csv, c, &o, err);
        return NULL;
    }
    strbuf_t sb;
    sb_init(&sb);
    int n = 0;
    for (int j = 0; j < ds->n_cols; j++)
        if (!s_known(a, c, ds->cols[j].name))
            sb_printf(&sb, "%s'%s'", n++ ? ", " : "", ds->cols[j].name);
    if (n > 0 && !ignore_extra) {
        set_err(err, "%s:1: column%s the model was not trained on: %s (--ignore-extra "
                "predicts without %s)", csv, n > 1 ? "s" : "", sb.buf, n > 1 ? "them" : "it");
        dataset_destroy(&ds);
    } else if (n > 0) {
        log_info("%s: ignoring column%s %s", csv, n > 1 ? "s" : "", sb.buf);
    }
    sb_free(&sb);
    return ds;
}

/* Predictions for every row of ds: n_rows x max(n_classes, 1). NULL with err. */
static double *s_predict(model_artifact_t *a, const dataset_t *ds, char *err)
{
    textcounts_t *tc = textcounts_get(ds, features_text_opts(a->pipeline), NULL);
    double *pred = NULL;
    if (features_bind(a->pipeline, ds, tc, err) == 0) {
        int *rows = xmalloc((size_t)(ds->n_rows + 1) * sizeof *rows);
        for (int i = 0; i < ds->n_rows; i++)
            rows[i] = i;
        fmat_t m, d;
        features_transform(a->pipeline, rows, ds->n_rows, &m);
        free(rows);
        if (a->select) { /* the columns select_k kept when the model was fitted */
            fmat_t s;
            select_apply(a->select, &m.m, &s);
            fmat_free(&m);
            m = s;
        }
        bool densify = !a->ops->sparse_ok && !m.m.dense;
        if (densify)
            fmat_densify(&m.m, &d);
        int k = a->n_classes > 0 ? a->n_classes : 1;
        pred = xmalloc(((size_t)ds->n_rows * k + 1) * sizeof *pred);
        if (a->ops->predict(a->model, densify ? &d.m : &m.m, pred, err) != 0) {
            free(pred);
            pred = NULL;
        }
        if (densify)
            fmat_free(&d);
        fmat_free(&m);
    }
    textcounts_destroy(&tc);
    return pred;
}

static int s_write(const model_artifact_t *a, const dataset_t *ds, const double *pred,
                   const predict_opts_t *o, char *err)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_csv_str(&sb, a->y_name);
    for (int c = 0; o->proba && c < a->n_classes; c++) {
        char *name = xasprintf("p_%s", a->classes[c]);
        sb_putc(&sb, ',');
        sb_csv_str(&sb, name);
        free(name);
    }
    sb_putc(&sb, '\n');
    int k = a->n_classes;
    for (int i = 0; i < ds->n_rows; i++) {
        if (k == 0) {
            sb_json_num(&sb, pred[i]);
        } else {
            const double *p = pred + (size_t)i * k;
            sb_csv_str(&sb, a->classes[metric_argmax(p, k)]);
            for (int c = 0; o->proba && c < k; c++) {
                sb_putc(&sb, ',');
                sb_json_num(&sb, p[c]);
            }
        }
        sb_putc(&sb, '\n');
    }
    int rc = 0;
    if (o->out && strcmp(o->out, "-") != 0)
        rc = file_write_atomic(o->out, sb.buf, sb.len, err);
    else if (fwrite(sb.buf, 1, sb.len, stdout) != sb.len || fflush(stdout) != 0)
        rc = set_err(err, "writing the predictions to stdout failed");
    sb_free(&sb);
    return rc;
}

/* The true y of the CSV's label/target column in the artifact's encoding. NULL with
 * err when the column is absent or holds a value the model never saw. */
static double *s_truth(const model_artifact_t *a, const dataset_t *ds, char *err)
{
    int c = dataset_col_index(ds, a->y_name);
    if (c < 0) {
        set_err(err, "%s: --score needs the %s column '%s'", ds->path,
                a->classification ? "label" : "target", a->y_name);
        return NULL;
    }
    const dataset_col_t *col = &ds->cols[c];
    double *y = xmalloc((size_t)(ds->n_rows + 1) * sizeof *y);
    for (int r = 0; r < ds->n_rows; r++) {
        int hit = -1;
        for (int k = 0; k < a->n_classes && hit < 0; k++) {
            double v;
            bool same = col->kind == COL_NUMERIC
                            ? parse_double(a->classes[k], &v) == 0 && v == col->num[r]
                            : strcmp(col->str[r], a->classes[k]) == 0;
            hit = same ? k : -1;
        }
        y[r] = a->classification ? hit : col->kind == COL_NUMERIC ? col->num[r] : NAN;
        if (a->classification ? hit < 0 : col->kind != COL_NUMERIC) {
            set_err(err, "%s:%d: %s column '%s' holds %s", ds->path,
                    ds->row_line ? ds->row_line[r] : r + 2,
                    a->classification ? "label" : "target", a->y_name,
                    a->classification ? "a class the model does not know" : "a non-number");
            free(y);
            return NULL;
        }
    }
    return y;
}

int model_predict_file(const char *artifact, const char *csv, const predict_opts_t *o,
                       predict_result_t *res, char *err)
{
    assert(artifact && csv && o && res);
    memset(res, 0, sizeof *res);
    res->score = NAN;
    double t0 = now_secs();
    model_artifact_t *a = model_artifact_load(artifact, err);
    if (!a)
        return 2;
    snprintf(res->metric, sizeof res->metric, "%s", a->metric);
    s_cols_t c;
    features_columns(a->pipeline, &c.text, &c.n_text, &c.num, &c.n_num, &c.cat, &c.n_cat);
    dataset_t *ds = s_load(a, &c, csv, o->ignore_extra, err);
    double *pred = ds ? s_predict(a, ds, err) : NULL;
    double *y = pred && o->score ? s_truth(a, ds, err) : NULL;
    int rc = !pred || (o->score && !y) ? 2 : 0;
    if (rc == 0 && o->score)
        res->score = metric_eval((metric_t)metric_lookup(a->metric), y, pred, ds->n_rows,
                                 a->n_classes);
    if (rc == 0 && s_write(a, ds, pred, o, err) != 0)
        rc = 1;
    res->n_rows = ds ? ds->n_rows : 0;
    res->secs = now_secs() - t0;
    free(y);
    free(pred);
    dataset_destroy(&ds);
    model_artifact_destroy(&a);
    return rc;
}
