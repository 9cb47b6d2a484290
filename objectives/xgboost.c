/* xgboost — gradient-boosted trees through the libxgboost C API.
 *
 * The point of this file is to train exactly what Python's `xgboost.train` trains for
 * the same parameters, so results found with hps reproduce in a notebook and back. So
 * the matrices are handed over the way the Python package 1.7 hands over numpy and
 * scipy arrays: as JSON `__array_interface__` descriptions of our own float64 buffers
 * (XGDMatrixCreateFromDense / FromCSR), with NaN as the missing value; XGBoost casts to
 * float32 itself, as it does for Python. Like scipy CSR there, entries absent from a
 * CSR row are *missing*, not zero. Predictions come from XGBoosterPredictFromDMatrix
 * with the config Python's Booster.predict sends.
 *
 * Hyperparameters (XGBoost's names and defaults): max_depth (6), eta (0.3; also
 * accepted as learning_rate), subsample (1), colsample_bytree (1), min_child_weight (1),
 * lambda (1), alpha (0), gamma (0), max_bin (256), tree_method ("hist"), plus
 * n_rounds (100 boosting rounds) and nthread (1). The objective follows the task:
 * binary:logistic, multi:softprob with num_class, or reg:squarederror.
 *
 * Threads: `nthread` defaults to 1, because a worker slot is one core and fairness
 * between slots matters more than one trial's speed. XGBoost's seed is the fit seed
 * modulo 2^31 (XGBoost parses it as a signed int). Every C API call returns 0 or -1;
 * the message of a failure is XGBGetLastError(). */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#include "core/log.h"
#include "objectives/artifact.h"
#include "objectives/model.h"

#define XGB_IFACE_LEN 160 /* an __array_interface__ JSON string */

typedef struct {
    BoosterHandle booster; /* owned */
    int n_classes;         /* 0 = regression */
    int n_cols;            /* features seen by fit */
    int nthread;           /* threads for prediction: the fit's nthread; after a load, the
                            * online CPUs (set on the booster, never XGBoost's default) */
} xgb_t;

/* Numeric parameters passed through under their XGBoost name, with XGBoost's defaults. */
typedef struct {
    const char *name;
    double def;
    bool integer;
} xgb_param_t;

static const xgb_param_t s_params[] = {
    {"max_depth", 6, true},       {"eta", 0.3, false},      {"subsample", 1, false},
    {"colsample_bytree", 1, false}, {"min_child_weight", 1, false}, {"lambda", 1, false},
    {"alpha", 0, false},          {"gamma", 0, false},      {"max_bin", 256, true},
};

static const char *const s_hparams[] = {
    "max_depth", "eta", "learning_rate", "n_rounds", "subsample", "colsample_bytree",
    "min_child_weight", "lambda", "alpha", "gamma", "max_bin", "tree_method", "nthread",
    NULL};

/* Turn a C API return code into 0, or -1 with XGBoost's message in err. */
static int s_check(int rc, const char *what, char *err)
{
    if (rc == 0)
        return 0;
    return set_err(err, "xgboost: %s: %s", what, XGBGetLastError());
}

/* A 1-d or 2-d __array_interface__ (version 3) for a borrowed buffer; cols 0 = 1-d. */
static void s_iface(char out[XGB_IFACE_LEN], const void *data, size_t rows, size_t cols,
                    const char *typestr)
{
    char shape[48];
    if (cols)
        snprintf(shape, sizeof shape, "%zu, %zu", rows, cols);
    else
        snprintf(shape, sizeof shape, "%zu", rows);
    int n = snprintf(out, XGB_IFACE_LEN,
                     "{\"data\": [%" PRIuPTR ", true], \"shape\": [%s], \"typestr\": \"%s\", "
                     "\"version\": 3}",
                     (uintptr_t)data, shape, typestr);
    assert(n > 0 && n < XGB_IFACE_LEN);
}

/* A DMatrix over X (dense or CSR). 0 ok, -1 with err; *out is the caller's. */
static int s_dmatrix_new(const fmatrix_t *X, int nthread, DMatrixHandle *out, char *err)
{
    char config[64], data[XGB_IFACE_LEN];
    snprintf(config, sizeof config, "{\"missing\": NaN, \"nthread\": %d}", nthread);
    *out = NULL;
    if (X->dense) {
        s_iface(data, X->dense, (size_t)X->n_rows, (size_t)X->n_cols, "<f8");
        return s_check(XGDMatrixCreateFromDense(data, config, out), "dense matrix", err);
    }
    assert(X->indptr && X->indices && X->values);
    char indptr[XGB_IFACE_LEN], indices[XGB_IFACE_LEN];
    size_t nnz = (size_t)X->indptr[X->n_rows];
    s_iface(indptr, X->indptr, (size_t)X->n_rows + 1, 0, "<i8");
    s_iface(indices, X->indices, nnz, 0, "<i4");
    s_iface(data, X->values, nnz, 0, "<f8");
    int rc = XGDMatrixCreateFromCSR(indptr, indices, data, (bst_ulong)X->n_cols, config, out);
    return s_check(rc, "CSR matrix", err);
}

static void s_dmatrix_free(DMatrixHandle *d)
{
    if (*d && XGDMatrixFree(*d) != 0)
        log_warn("xgboost: freeing a matrix: %s", XGBGetLastError());
    *d = NULL;
}

static void s_booster_free(BoosterHandle *b)
{
    if (*b && XGBoosterFree(*b) != 0)
        log_warn("xgboost: freeing a booster: %s", XGBGetLastError());
    *b = NULL;
}

static int s_set(BoosterHandle b, const char *name, const char *value, char *err)
{
    if (XGBoosterSetParam(b, name, value) == 0)
        return 0;
    return set_err(err, "xgboost: %s=%s: %s", name, value, XGBGetLastError());
}

/* Objective, threads, seed and the searched parameters. 0 ok, -1 with err. */
static int s_set_params(BoosterHandle b, const hparams_t *hp, int n_classes, int nthread,
                        uint64_t seed, char *err)
{
    char v[40];
    const char *objective = n_classes == 0   ? "reg:squarederror"
                            : n_classes == 2 ? "binary:logistic"
                                             : "multi:softprob";
    if (s_set(b, "objective", objective, err) < 0 || s_set(b, "verbosity", "0", err) < 0)
        return -1;
    snprintf(v, sizeof v, "%d", n_classes);
    if (n_classes > 2 && s_set(b, "num_class", v, err) < 0)
        return -1;
    snprintf(v, sizeof v, "%d", nthread);
    if (s_set(b, "nthread", v, err) < 0)
        return -1;
    snprintf(v, sizeof v, "%" PRIu64, seed % 2147483648u);
    if (s_set(b, "seed", v, err) < 0)
        return -1;
    if (s_set(b, "tree_method", hp_str(hp, "tree_method", "hist"), err) < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(s_params); i++) {
        const xgb_param_t *p = &s_params[i];
        double def = p->def;
        if (strcmp(p->name, "eta") == 0) /* learning_rate is the sklearn-API name */
            def = hp_double(hp, "learning_rate", def);
        if (p->integer)
            snprintf(v, sizeof v, "%ld", hp_long(hp, p->name, (long)def));
        else
            snprintf(v, sizeof v, "%.17g", hp_double(hp, p->name, def));
        if (s_set(b, p->name, v, err) < 0)
            return -1;
    }
    return 0;
}

/* Labels must be class indices; XGBoost would reject some but not all bad ones. */
static int s_check_labels(const double *y, int n, int n_classes, char *err)
{
    for (int i = 0; i < n; i++) {
        bool ok = n_classes > 0 ? y[i] >= 0 && y[i] < n_classes && y[i] == floor(y[i])
                                : isfinite(y[i]);
        if (!ok)
            return set_err(err, "xgboost: row %d: %s %g", i,
                           n_classes > 0 ? "label not a class index" : "target not finite",
                           y[i]);
    }
    return 0;
}

static void *s_fit(const fmatrix_t *X, const double *y, int n_classes, const hparams_t *hp,
                   uint64_t seed, char *err)
{
    assert(X && y && n_classes >= 0);
    long rounds = hp_long(hp, "n_rounds", 100), nthread = hp_long(hp, "nthread", 1);
    if (X->n_rows < 1 || X->n_cols < 1) {
        set_err(err, "xgboost: empty training data (%d x %d)", X->n_rows, X->n_cols);
        return NULL;
    }
    if (n_classes == 1 || rounds < 1 || rounds > 1000000 || nthread < 0 || nthread > 1024) {
        set_err(err, "xgboost: need n_classes != 1, n_rounds in 1..1e6, nthread in 0..1024");
        return NULL;
    }
    if (s_check_labels(y, X->n_rows, n_classes, err) < 0)
        return NULL;
    DMatrixHandle d = NULL;
    BoosterHandle b = NULL;
    char label[XGB_IFACE_LEN];
    s_iface(label, y, (size_t)X->n_rows, 0, "<f8");
    if (s_dmatrix_new(X, (int)nthread, &d, err) < 0 ||
        s_check(XGDMatrixSetInfoFromInterface(d, "label", label), "labels", err) < 0 ||
        s_check(XGBoosterCreate(&d, 1, &b), "booster", err) < 0 ||
        s_set_params(b, hp, n_classes, (int)nthread, seed, err) < 0)
        goto fail;
    for (long i = 0; i < rounds; i++)
        if (s_check(XGBoosterUpdateOneIter(b, (int)i, d), "training", err) < 0)
            goto fail;
    s_dmatrix_free(&d);
    xgb_t *m = xmalloc(sizeof *m);
    *m = (xgb_t){b, n_classes, X->n_cols, (int)nthread};
    return m;
fail:
    s_booster_free(&b);
    s_dmatrix_free(&d);
    return NULL;
}

static int s_predict(const void *model, const fmatrix_t *X, double *out, char *err)
{
    const xgb_t *m = model;
    assert(m && X && out);
    if (X->n_cols != m->n_cols)
        return set_err(err, "xgboost: %d features given, model was fitted on %d", X->n_cols,
                       m->n_cols);
    static const char config[] = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                                 "\"iteration_end\": 0, \"strict_shape\": false}";
    DMatrixHandle d = NULL;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL; /* owned by the booster, valid until its next call */
    if (s_dmatrix_new(X, m->nthread, &d, err) < 0)
        return -1;
    int rc = s_check(XGBoosterPredictFromDMatrix(m->booster, d, config, &shape, &dim, &res),
                     "prediction", err);
    s_dmatrix_free(&d);
    if (rc < 0)
        return -1;
    size_t n = (size_t)X->n_rows, width = m->n_classes > 2 ? (size_t)m->n_classes : 1, len = 1;
    for (bst_ulong i = 0; i < dim; i++)
        len *= (size_t)shape[i];
    if (len != n * width)
        return set_err(err, "xgboost: %zu predictions for %zu rows", len, n);
    for (size_t i = 0; i < n * width; i++) {
        if (m->n_classes == 2) { /* binary:logistic gives P(class 1) only */
            out[2 * i] = 1.0 - res[i];
            out[2 * i + 1] = res[i];
        } else {
            out[i] = res[i];
        }
    }
    return 0;
}

static void s_destroy(void **model_p)
{
    assert(model_p);
    xgb_t *m = *model_p;
    if (m) {
        s_booster_free(&m->booster);
        free(m);
    }
    *model_p = NULL;
}

/* Artifact map: n_classes, n_cols, and booster: XGBoost's own JSON model
 * (XGBoosterSaveModelToBuffer with format json), which it reads back exactly. */
static int s_save(const void *model, msgpack_packer *pk, char *err)
{
    const xgb_t *m = model;
    bst_ulong len = 0;
    const char *json = NULL; /* owned by the booster */
    if (s_check(XGBoosterSaveModelToBuffer(m->booster, "{\"format\": \"json\"}", &len, &json),
                "saving the model", err) < 0)
        return -1;
    msgpack_pack_map(pk, 3);
    art_put_long(pk, "n_classes", m->n_classes);
    art_put_long(pk, "n_cols", m->n_cols);
    art_put_bin(pk, "booster", json, (size_t)len);
    return 0;
}

static void *s_load(const msgpack_object *map, int n_cols, int n_classes, char *err)
{
    long k = 0, cols = 0;
    size_t len = 0;
    const char *json = art_get_bin(map, "booster", &len, err);
    if (!json || art_get_long(map, "n_classes", &k, err) != 0 ||
        art_get_long(map, "n_cols", &cols, err) != 0)
        return NULL;
    if (k != n_classes || cols != n_cols) {
        set_err(err, "artifact: xgboost: %ld features and %ld classes, the pipeline has %d "
                "and %d", cols, k, n_cols, n_classes);
        return NULL;
    }
    xgb_t *m = xcalloc(1, sizeof *m);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *m = (xgb_t){NULL, (int)k, (int)cols, cpus > 0 && cpus < 1024 ? (int)cpus : 1};
    char nt[16];
    snprintf(nt, sizeof nt, "%d", m->nthread);
    if (s_check(XGBoosterCreate(NULL, 0, &m->booster), "booster", err) < 0 ||
        s_check(XGBoosterLoadModelFromBuffer(m->booster, json, (bst_ulong)len),
                "loading the model", err) < 0 ||
        s_set(m->booster, "nthread", nt, err) < 0) {
        void *p = m;
        s_destroy(&p);
        return NULL;
    }
    return m;
}

const model_ops_t xgboost_model = {
    .name = "xgboost",
    .classification = true,
    .regression = true,
    .sparse_ok = true,
    .missing_ok = true,
    .hparams = s_hparams,
    .fit = s_fit,
    .predict = s_predict,
    .destroy = s_destroy,
    .save = s_save,
    .load = s_load,
};

/* ---------------------------------------------------------------- self-test */

#define XGB_FIXTURE_PARAMS 16

/* A reference case written by scripts/xgb_fixtures.py: data, parameters, seed and the
 * predictions of Python's xgboost on the training rows. */
typedef struct {
    int rows, cols, classes, sparse, n_params;
    uint64_t seed;
    char names[XGB_FIXTURE_PARAMS][32];
    char values[XGB_FIXTURE_PARAMS][32]; /* as written, as a config would give them */
    double *x, *y, *pred; /* rows x cols, rows, rows x width */
} xgb_fixture_t;

/* Next whitespace-separated token, skipping '#' comments; false at the end. */
static bool s_token(char **p, char *buf, size_t size)
{
    for (;;) {
        *p += strspn(*p, " \t\r\n");
        if (**p != '#')
            break;
        *p += strcspn(*p, "\n");
    }
    size_t n = strcspn(*p, " \t\r\n");
    if (n == 0 || n >= size)
        return false;
    memcpy(buf, *p, n);
    buf[n] = '\0';
    *p += n;
    return true;
}

static double s_number(char **p)
{
    char tok[64];
    double v = 0;
    bool ok = s_token(p, tok, sizeof tok) && parse_double(tok, &v) == 0;
    assert(ok);
    return v;
}

/* `key value` with the expected key. */
static double s_keyed(char **p, const char *key)
{
    char tok[64];
    bool ok = s_token(p, tok, sizeof tok) && strcmp(tok, key) == 0;
    assert(ok);
    return s_number(p);
}

static void s_fixture_load(xgb_fixture_t *f, const char *path)
{
    char err[HPS_ERR_LEN], tok[64];
    char *text = file_read(path, NULL, err), *p = text;
    if (!text)
        fprintf(stderr, "xgboost_test: %s (run from the source root)\n", err);
    assert(text);
    f->rows = (int)s_keyed(&p, "rows");
    f->cols = (int)s_keyed(&p, "cols");
    f->classes = (int)s_keyed(&p, "classes");
    f->sparse = (int)s_keyed(&p, "sparse");
    f->seed = (uint64_t)s_keyed(&p, "seed");
    f->n_params = (int)s_keyed(&p, "params");
    assert(f->n_params <= XGB_FIXTURE_PARAMS);
    for (int i = 0; i < f->n_params; i++) {
        bool ok = s_token(&p, f->names[i], sizeof f->names[i]) &&
                  s_token(&p, f->values[i], sizeof f->values[i]);
        assert(ok);
    }
    size_t width = f->classes > 2 ? (size_t)f->classes : 1, rows = (size_t)f->rows;
    f->x = xmalloc(rows * (size_t)f->cols * sizeof(double));
    f->y = xmalloc(rows * sizeof(double));
    f->pred = xmalloc(rows * width * sizeof(double));
    assert(s_token(&p, tok, sizeof tok) && strcmp(tok, "data") == 0);
    for (size_t i = 0; i < rows; i++) {
        for (int j = 0; j < f->cols; j++)
            f->x[i * f->cols + j] = s_number(&p);
        f->y[i] = s_number(&p);
    }
    assert(s_token(&p, tok, sizeof tok) && strcmp(tok, "pred") == 0);
    for (size_t i = 0; i < rows * width; i++)
        f->pred[i] = s_number(&p);
    assert(!s_token(&p, tok, sizeof tok));
    free(text);
}

/* The CSR form of a dense matrix, keeping only its non-zero entries. */
typedef struct {
    int64_t *indptr;
    int32_t *indices;
    double *values;
} xgb_csr_t;

static fmatrix_t s_to_csr(const double *x, int rows, int cols, xgb_csr_t *c)
{
    c->indptr = xmalloc(((size_t)rows + 1) * sizeof(int64_t));
    c->indices = xmalloc((size_t)rows * cols * sizeof(int32_t));
    c->values = xmalloc((size_t)rows * cols * sizeof(double));
    int64_t nnz = 0;
    for (int i = 0; i < rows; i++) {
        c->indptr[i] = nnz;
        for (int j = 0; j < cols; j++) {
            if (x[(size_t)i * cols + j] == 0.0)
                continue;
            c->indices[nnz] = j;
            c->values[nnz++] = x[(size_t)i * cols + j];
        }
    }
    c->indptr[rows] = nnz;
    return (fmatrix_t){rows, cols, NULL, c->indptr, c->indices, c->values};
}

/* Fit and predict the fixture's case through the C API; the largest difference from
 * Python's predictions must be within float32 noise. */
static void s_test_fixture(const char *path, bool verbose)
{
    xgb_fixture_t f;
    s_fixture_load(&f, path);
    xgb_csr_t c = {NULL, NULL, NULL};
    fmatrix_t X = {f.rows, f.cols, f.x, NULL, NULL, NULL};
    if (f.sparse)
        X = s_to_csr(f.x, f.rows, f.cols, &c);
    hparams_t *hp = hparams_new();
    for (int i = 0; i < f.n_params; i++)
        hparams_set(hp, f.names[i], f.values[i]);
    char err[HPS_ERR_LEN];
    void *m = xgboost_model.fit(&X, f.y, f.classes, hp, f.seed, err);
    if (!m)
        fprintf(stderr, "xgboost_test: %s\n", err);
    assert(m);
    int width = f.classes > 0 ? f.classes : 1, py_width = f.classes > 2 ? f.classes : 1;
    double *out = xmalloc((size_t)f.rows * width * sizeof(double)), worst = 0.0;
    assert(xgboost_model.predict(m, &X, out, err) == 0);
    for (int i = 0; i < f.rows; i++)
        for (int j = 0; j < py_width; j++) {
            /* Binary: Python gives P(class 1), our column 1. */
            double ours = out[(size_t)i * width + (f.classes == 2 ? 1 : j)];
            worst = fmax(worst, fabs(ours - f.pred[(size_t)i * py_width + j]));
        }
    if (verbose)
        printf("  %s: max |C - Python| = %.3g\n", path, worst);
    assert(worst <= 1e-6);
    xgboost_model.destroy(&m);
    assert(m == NULL);
    hparams_destroy(&hp);
    free(c.indptr);
    free(c.indices);
    free(c.values);
    free(out);
    free(f.x);
    free(f.y);
    free(f.pred);
}

/* Same seed, same model; another seed changes the row and column sampling; bad
 * parameters and shapes come back as errors carrying XGBoost's words. */
static void s_test_seed_and_errors(void)
{
    enum { N = 100 };
    double x[N * 3], y[N], p1[N * 2], p2[N * 2];
    rng_t rng;
    rng_seed(&rng, 1);
    for (int i = 0; i < N * 3; i++)
        x[i] = rng_normal(&rng);
    for (int i = 0; i < N; i++)
        y[i] = x[3 * i] + 0.5 * rng_normal(&rng) > 0;
    fmatrix_t X = {N, 3, x, NULL, NULL, NULL};
    hparams_t *hp = hparams_new();
    hparams_set(hp, "subsample", "0.5");
    hparams_set(hp, "n_rounds", "10");
    char err[HPS_ERR_LEN];
    void *a = xgboost_model.fit(&X, y, 2, hp, 5, err), *b = xgboost_model.fit(&X, y, 2, hp, 5, err);
    assert(a && b && xgboost_model.predict(a, &X, p1, err) == 0);
    assert(xgboost_model.predict(b, &X, p2, err) == 0 && memcmp(p1, p2, sizeof p1) == 0);
    xgboost_model.destroy(&b);
    b = xgboost_model.fit(&X, y, 2, hp, 6, err);
    assert(b && xgboost_model.predict(b, &X, p2, err) == 0 && memcmp(p1, p2, sizeof p1) != 0);
    fmatrix_t narrow = {N, 2, x, NULL, NULL, NULL};
    assert(xgboost_model.predict(b, &narrow, p2, err) < 0 && strstr(err, "features"));
    xgboost_model.destroy(&a);
    xgboost_model.destroy(&b);
    xgboost_model.destroy(&b);
    hparams_set(hp, "subsample", "2");
    assert(xgboost_model.fit(&X, y, 2, hp, 5, err) == NULL && strstr(err, "subsample"));
    y[7] = 2;
    assert(xgboost_model.fit(&X, y, 2, hp, 5, err) == NULL && strstr(err, "row 7"));
    hparams_destroy(&hp);
}

void xgboost_test(bool verbose)
{
    if (verbose)
        printf(" * xgboost:\n");
    static const char *const fixtures[] = {
        "tests/fixtures/xgb_binary.txt", "tests/fixtures/xgb_multi.txt",
        "tests/fixtures/xgb_sparse.txt", "tests/fixtures/xgb_reg.txt"};
    for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++)
        s_test_fixture(fixtures[i], verbose);
    s_test_seed_and_errors();
}
