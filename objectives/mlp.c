/* mlp — the `mlp` model: a multilayer perceptron (objectives/mlp_net.c) behind the
 * model_ops_t interface, for classification (softmax, cross-entropy) and regression
 * (identity output, squared loss).
 *
 * Hyperparameters (names chosen to work as numeric search-space parameters):
 *   hidden_layers (1, 0..8), hidden_size (100; units per hidden layer), hidden1..hidden4
 *   (override hidden_size for that layer), activation (relu | tanh | logistic),
 *   learning_rate (1e-3, Adam), epochs (200), batch_size (200, clamped to the rows),
 *   weight_decay (1e-4, L2 alpha), beta1 (0.9), beta2 (0.999), epsilon (1e-8),
 *   tol (1e-4) and n_iter_no_change (10): scikit-learn's MLPClassifier defaults.
 *
 * Differences from scikit-learn, on purpose: binary problems use a 2-way softmax (so
 * predict always returns n_classes columns), and regression targets are standardised
 * internally, because raw targets such as prices in the thousands would make the
 * default learning rate useless. Input features are expected standardised (the
 * evaluation driver does it). */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objectives/artifact.h"
#include "objectives/mlp_net.h"
#include "objectives/model.h"

/* Training keeps four arrays of this many floats (weights, gradient, two Adam moments):
 * 512 MiB. Hashed text features with a wide first layer reach it quickly. */
#define MLP_MAX_PARAMS (1 << 25)

static const char *const s_act_names[] = {"relu", "tanh", "logistic"};
/* Per-layer size overrides of hidden_size, so tapering shapes are searchable too. */
static const char *const s_layer_names[] = {"hidden1", "hidden2", "hidden3", "hidden4"};

typedef struct {
    mlp_net_t *net; /* owned */
    int n_classes;  /* 0 = regression */
    double y_mean;  /* regression: the net fits (y - y_mean) / y_scale */
    double y_scale;
    int n_hidden;   /* the net's shape, for the artifact */
    int sizes[MLP_NET_MAX_HIDDEN + 2];
    mlp_act_t act;
} mlp_t;

static const char *const s_hparams[] = {
    "hidden_layers", "hidden_size", "hidden1", "hidden2", "hidden3", "hidden4",
    "activation", "learning_rate", "epochs", "batch_size", "weight_decay", "beta1",
    "beta2", "epsilon", "tol", "n_iter_no_change", NULL};

/* Read and check the architecture (sizes[1..n_hidden]) and the training options. */
static int s_read_hparams(const hparams_t *hp, int *n_hidden, int *sizes, mlp_act_t *act,
                          mlp_opts_t *o, char *err)
{
    long layers = hp_long(hp, "hidden_layers", 1), width = hp_long(hp, "hidden_size", 100);
    if (layers < 0 || layers > MLP_NET_MAX_HIDDEN)
        return set_err(err, "mlp: hidden_layers %ld not in 0..%d", layers, MLP_NET_MAX_HIDDEN);
    for (int k = 0; k < layers; k++) {
        long units = k < (int)ARRAY_SIZE(s_layer_names) ? hp_long(hp, s_layer_names[k], width)
                                                         : width;
        if (units < 1 || units > 100000)
            return set_err(err, "mlp: hidden layer %d size %ld not in 1..100000", k + 1, units);
        sizes[k + 1] = (int)units;
    }
    *n_hidden = (int)layers;
    const char *name = hp_str(hp, "activation", "relu");
    size_t a = 0;
    while (a < ARRAY_SIZE(s_act_names) && strcmp(name, s_act_names[a]) != 0)
        a++;
    if (a == ARRAY_SIZE(s_act_names))
        return set_err(err, "mlp: activation '%s' is not relu, tanh or logistic", name);
    *act = (mlp_act_t)a;
    *o = (mlp_opts_t){hp_double(hp, "learning_rate", 1e-3), hp_double(hp, "weight_decay", 1e-4),
                      hp_double(hp, "beta1", 0.9), hp_double(hp, "beta2", 0.999),
                      hp_double(hp, "epsilon", 1e-8), hp_double(hp, "tol", 1e-4),
                      hp_long(hp, "epochs", 200), hp_long(hp, "batch_size", 200),
                      hp_long(hp, "n_iter_no_change", 10), NULL, NULL};
    if (!(o->lr > 0.0) || !(o->alpha >= 0.0) || !(o->eps > 0.0) || !(o->tol >= 0.0))
        return set_err(err, "mlp: learning_rate and epsilon must be > 0, weight_decay and "
                            "tol >= 0");
    if (!(o->beta1 >= 0.0 && o->beta1 < 1.0) || !(o->beta2 >= 0.0 && o->beta2 < 1.0))
        return set_err(err, "mlp: beta1 and beta2 must be in [0, 1)");
    if (o->epochs < 1 || o->batch < 1 || o->no_change < 1)
        return set_err(err, "mlp: epochs, batch_size and n_iter_no_change must be >= 1");
    return 0;
}


/* Check the labels, or standardise the targets into a new array (*ys, caller frees). */
static int s_prepare_targets(mlp_t *m, const double *y, int n, double **ys, char *err)
{
    *ys = NULL;
    if (m->n_classes > 0) {
        for (int i = 0; i < n; i++)
            if (!(y[i] >= 0 && y[i] < m->n_classes && y[i] == floor(y[i])))
                return set_err(err, "mlp: row %d: label %g not in 0..%d", i, y[i],
                               m->n_classes - 1);
        return 0;
    }
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return set_err(err, "mlp: row %d: target is not a finite number", i);
        sum += y[i];
    }
    m->y_mean = sum / n;
    for (int i = 0; i < n; i++)
        sq += (y[i] - m->y_mean) * (y[i] - m->y_mean);
    m->y_scale = sq > 0.0 ? sqrt(sq / n) : 1.0;
    *ys = xmalloc((size_t)n * sizeof(double));
    for (int i = 0; i < n; i++)
        (*ys)[i] = (y[i] - m->y_mean) / m->y_scale;
    return 0;
}

static void s_destroy(void **model_p)
{
    assert(model_p);
    mlp_t *m = *model_p;
    if (m) {
        mlp_net_destroy(&m->net);
        free(m);
    }
    *model_p = NULL;
}

/* What mlp_net_train's per-epoch hook needs to hand the model to the caller's. */
typedef struct {
    const model_progress_t *progress;
    const mlp_t *model;
} s_epoch_t;

static int s_epoch(void *arg, long epoch)
{
    const s_epoch_t *e = arg;
    return e->progress->fn(e->progress->arg, epoch, e->model);
}

static void *s_fit_progress(const fmatrix_t *X, const double *y, int n_classes,
                            const hparams_t *hp, uint64_t seed,
                            const model_progress_t *progress, bool *stopped, char *err)
{
    assert(X && y && n_classes >= 0);
    if (stopped)
        *stopped = false;
    if (X->n_rows < 1 || X->n_cols < 1) {
        set_err(err, "mlp: empty training data (%d x %d)", X->n_rows, X->n_cols);
        return NULL;
    }
    if (n_classes == 1) {
        set_err(err, "mlp: classification needs at least 2 classes");
        return NULL;
    }
    int sizes[MLP_NET_MAX_HIDDEN + 2], n_hidden = 0;
    mlp_act_t act = MLP_RELU;
    mlp_opts_t o = {0};
    if (s_read_hparams(hp, &n_hidden, sizes, &act, &o, err) < 0)
        return NULL;
    mlp_t *m = xcalloc(1, sizeof *m);
    *m = (mlp_t){.n_classes = n_classes, .y_mean = 0.0, .y_scale = 1.0};
    double *ys;
    if (s_prepare_targets(m, y, X->n_rows, &ys, err) < 0) {
        free(m);
        return NULL;
    }
    sizes[0] = X->n_cols;
    sizes[n_hidden + 1] = n_classes > 0 ? n_classes : 1;
    double n_params = 0.0;
    for (int k = 0; k <= n_hidden; k++)
        n_params += ((double)sizes[k] + 1.0) * sizes[k + 1];
    if (n_params > MLP_MAX_PARAMS) {
        free(ys);
        free(m);
        set_err(err, "mlp: %.0f weights (%d inputs) exceed %d; lower hidden_size, or the "
                "text features' hash_bits", n_params, X->n_cols, MLP_MAX_PARAMS);
        return NULL;
    }
    m->net = mlp_net_new(n_hidden, sizes, act, n_classes > 0, seed);
    m->n_hidden = n_hidden;
    memcpy(m->sizes, sizes, sizeof m->sizes);
    m->act = act;
    s_epoch_t e = {progress, m};
    if (progress && progress->fn) {
        o.progress = s_epoch;
        o.progress_arg = &e;
    }
    /* Another stream than the initialisation's, for the shuffling. */
    int halted = mlp_net_train(m->net, X, ys ? ys : y, &o, hash_mix64(seed ^ 0x6d6c70u));
    if (stopped)
        *stopped = halted == 1;
    free(ys);
    return m;
}

static void *s_fit(const fmatrix_t *X, const double *y, int n_classes, const hparams_t *hp,
                   uint64_t seed, char *err)
{
    return s_fit_progress(X, y, n_classes, hp, seed, NULL, NULL, err);
}

static int s_predict(const void *model, const fmatrix_t *X, double *out, char *err)
{
    const mlp_t *m = model;
    assert(m && X && out);
    if (X->n_cols != mlp_net_inputs(m->net))
        return set_err(err, "mlp: %d features given, model was fitted on %d", X->n_cols,
                       mlp_net_inputs(m->net));
    mlp_net_forward(m->net, X, out);
    for (int i = 0; m->n_classes == 0 && i < X->n_rows; i++)
        out[i] = out[i] * m->y_scale + m->y_mean;
    return 0;
}

/* Artifact map: n_classes, y_mean, y_scale, activation (mlp_act_t), sizes (inputs,
 * hidden layers, outputs) and params (mlp_net_params' float32 block). */
static int s_save(const void *model, msgpack_packer *pk, char *err)
{
    (void)err;
    const mlp_t *m = model;
    _Static_assert(sizeof(mlp_real) == sizeof(float), "the artifact holds float32 weights");
    size_t n = 0;
    const mlp_real *params = mlp_net_params(m->net, &n);
    int32_t sizes[MLP_NET_MAX_HIDDEN + 2];
    for (int k = 0; k < m->n_hidden + 2; k++)
        sizes[k] = m->sizes[k];
    msgpack_pack_map(pk, 6);
    art_put_long(pk, "n_classes", m->n_classes);
    art_put_double(pk, "y_mean", m->y_mean);
    art_put_double(pk, "y_scale", m->y_scale);
    art_put_long(pk, "activation", m->act);
    art_put_int32s(pk, "sizes", sizes, (size_t)m->n_hidden + 2);
    art_put_floats(pk, "params", params, n);
    return 0;
}

/* Whether the saved shape is one this build makes, fits the artifact's pipeline and
 * labels, and holds as many weights as params. */
static bool s_shape_ok(const int32_t *sizes, long n_sizes, long k, long act, int n_cols,
                       int n_classes, long n_params)
{
    bool ok = k == n_classes && act >= 0 && act < (long)ARRAY_SIZE(s_act_names) &&
              sizes[0] == n_cols && sizes[n_sizes - 1] == (k > 0 ? k : 1);
    double count = 0.0;
    for (long i = 0; i < n_sizes; i++) {
        ok = ok && sizes[i] >= 1;
        if (i > 0)
            count += ((double)sizes[i - 1] + 1.0) * sizes[i];
    }
    return ok && count <= MLP_MAX_PARAMS && count == (double)n_params;
}

static void *s_load(const msgpack_object *map, int n_cols, int n_classes, char *err)
{
    long k = 0, act = 0, n_sizes = art_get_count(map, "sizes", 4, err);
    long n_params = art_get_count(map, "params", 4, err);
    int32_t sizes[MLP_NET_MAX_HIDDEN + 2];
    if (n_sizes < 2 || n_sizes > MLP_NET_MAX_HIDDEN + 2 || n_params < 0 ||
        art_get_int32s(map, "sizes", sizes, (size_t)n_sizes, err) != 0 ||
        art_get_long(map, "n_classes", &k, err) != 0 ||
        art_get_long(map, "activation", &act, err) != 0 ||
        !s_shape_ok(sizes, n_sizes, k, act, n_cols, n_classes, n_params)) {
        set_err(err, "artifact: mlp: its layer sizes, classes, activation or weights do not "
                "fit a network for %d features and %d classes", n_cols, n_classes);
        return NULL;
    }
    mlp_t *m = xcalloc(1, sizeof *m);
    *m = (mlp_t){.n_classes = (int)k, .n_hidden = (int)n_sizes - 2, .act = (mlp_act_t)act};
    for (long i = 0; i < n_sizes; i++)
        m->sizes[i] = sizes[i];
    m->net = mlp_net_new(m->n_hidden, m->sizes, m->act, k > 0, 0);
    size_t n = 0;
    mlp_real *params = mlp_net_params(m->net, &n);
    if (art_get_floats(map, "params", params, n, err) != 0 ||
        art_get_double(map, "y_mean", &m->y_mean, err) != 0 ||
        art_get_double(map, "y_scale", &m->y_scale, err) != 0) {
        void *p = m;
        s_destroy(&p);
        return NULL;
    }
    return m;
}

const model_ops_t mlp_model = {
    .name = "mlp",
    .classification = true,
    .regression = true,
    .sparse_ok = true,
    .hparams = s_hparams,
    .fit = s_fit,
    .predict = s_predict,
    .destroy = s_destroy,
    .save = s_save,
    .load = s_load,
    .fit_progress = s_fit_progress,
};

/* ---------------------------------------------------------------- self-test */

/* Hyperparameters from names and numbers, as a study's trial would give them. */
static hparams_t *s_hp(int n, const char *const *names, const double *values)
{
    hparams_t *hp = hparams_new();
    for (int i = 0; i < n; i++) {
        char text[32];
        snprintf(text, sizeof text, "%.17g", values[i]);
        hparams_set(hp, names[i], text);
    }
    return hp;
}

static double s_accuracy(const double *proba, const double *y, int n, int k)
{
    int right = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int j = 1; j < k; j++)
            best = proba[(size_t)i * k + j] > proba[(size_t)i * k + best] ? j : best;
        right += best == (int)y[i];
    }
    return (double)right / n;
}

/* Noisy XOR: the label is the sign agreement of two coordinates, so no linear model can
 * fit it; a tanh hidden layer must. Fitted again from the same matrix in CSR form, the
 * model predicts the same up to summation order. */
static void s_test_xor(bool verbose)
{
    enum { N = 400 };
    double x[N * 2], y[N], proba[N * 2], proba_csr[N * 2];
    int64_t indptr[N + 1];
    int32_t indices[N * 2];
    rng_t rng;
    rng_seed(&rng, 3);
    for (int i = 0; i < N; i++) {
        x[2 * i] = 2 * rng_uniform(&rng) - 1;
        x[2 * i + 1] = 2 * rng_uniform(&rng) - 1;
        y[i] = (x[2 * i] > 0) != (x[2 * i + 1] > 0);
        indptr[i] = 2 * i;
        indices[2 * i] = 0;
        indices[2 * i + 1] = 1;
    }
    indptr[N] = 2 * N;
    fmatrix_t X = {N, 2, x, NULL, NULL, NULL}, csr = {N, 2, NULL, indptr, indices, x};
    static const char *const names[] = {"hidden_size", "learning_rate", "epochs", "batch_size"};
    static const double values[] = {16, 0.02, 300, 32};
    hparams_t *hp = s_hp(4, names, values);
    hparams_set(hp, "activation", "tanh");
    char err[HPS_ERR_LEN];
    void *m = mlp_model.fit(&X, y, 2, hp, 1, err), *mc = mlp_model.fit(&csr, y, 2, hp, 1, err);
    assert(m && mc);
    assert(mlp_model.predict(m, &X, proba, err) == 0);
    assert(mlp_model.predict(mc, &X, proba_csr, err) == 0);
    for (int i = 0; i < 2 * N; i++)
        assert(fabs(proba[i] - proba_csr[i]) < 1e-6);
    double acc = s_accuracy(proba, y, N, 2);
    if (verbose)
        printf("  xor accuracy %.3f\n", acc);
    assert(acc > 0.95);
    mlp_model.destroy(&m);
    mlp_model.destroy(&mc);
    assert(m == NULL);
    hparams_destroy(&hp);
}

static int s_stop_at_3(void *arg, long epoch, const void *model)
{
    long *seen = arg;
    double out[10];
    double row[64] = {0};
    fmatrix_t one = {1, 64, row, NULL, NULL, NULL};
    char err[HPS_ERR_LEN];
    assert(epoch == *seen + 1 && mlp_model.predict(model, &one, out, err) == 0);
    *seen = epoch;
    return epoch == 3;
}

/* Digits-like: 10 classes around random 64-pixel prototypes in 0..16 with noise;
 * trained on 800 rows, scored on 400 others. Also checks determinism per seed. */
static void s_test_digits_like(bool verbose)
{
    enum { K = 10, D = 64, N = 1200, NTR = 800 };
    double *x = xmalloc(sizeof(double) * N * D), y[N], proto[K * D];
    rng_t rng;
    rng_seed(&rng, 9);
    for (int i = 0; i < K * D; i++)
        proto[i] = 16 * rng_uniform(&rng);
    for (int i = 0; i < N; i++) {
        y[i] = (double)(i % K);
        for (int j = 0; j < D; j++) /* standardised, as the driver would do */
            x[(size_t)i * D + j] = (proto[(i % K) * D + j] + 8 * rng_normal(&rng) - 8) / 8;
    }
    fmatrix_t train = {NTR, D, x, NULL, NULL, NULL};
    fmatrix_t test = {N - NTR, D, x + (size_t)NTR * D, NULL, NULL, NULL};
    static const char *const names[] = {"hidden_size", "epochs"};
    static const double values[] = {64, 60};
    hparams_t *hp = s_hp(2, names, values);
    char err[HPS_ERR_LEN];
    double *p1 = xmalloc(sizeof(double) * N * K), *p2 = xmalloc(sizeof(double) * N * K);
    void *m1 = mlp_model.fit(&train, y, K, hp, 42, err);
    void *m2 = mlp_model.fit(&train, y, K, hp, 42, err);
    assert(m1 && m2);
    assert(mlp_model.predict(m1, &test, p1, err) == 0);
    assert(mlp_model.predict(m2, &test, p2, err) == 0);
    assert(memcmp(p1, p2, sizeof(double) * (N - NTR) * K) == 0);
    double acc = s_accuracy(p1, y + NTR, N - NTR, K);
    if (verbose)
        printf("  digits-like held-out accuracy %.3f\n", acc);
    assert(acc > 0.9);
    mlp_model.destroy(&m2);
    /* Per-epoch progress: called with a model predict() takes; a 1 stops it there. */
    long epochs_seen = 0;
    model_progress_t stop3 = {s_stop_at_3, &epochs_seen};
    bool stopped = false;
    m2 = mlp_model.fit_progress(&train, y, K, hp, 42, &stop3, &stopped, err);
    assert(m2 && stopped && epochs_seen == 3);
    mlp_model.destroy(&m2);
    m2 = mlp_model.fit(&train, y, K, hp, 43, err);
    assert(m2 && mlp_model.predict(m2, &test, p2, err) == 0);
    assert(memcmp(p1, p2, sizeof(double) * (N - NTR) * K) != 0);
    mlp_model.destroy(&m1);
    mlp_model.destroy(&m2);
    hparams_destroy(&hp);
    free(p1);
    free(p2);
    free(x);
}

/* Bag of words, as TF-IDF gives the model: 5000 features; each document has 3 of the
 * 40 words typical of its class (features 0..79) and 8 drawn from the other 4920, one
 * from each of 8 bands so a row's columns come out distinct and sorted. Trained on CSR
 * input, so the first layer is updated lazily; it must still generalise. */
static void s_test_sparse_text(bool verbose)
{
    enum { N = 600, NTR = 480, D = 5000, W = 11, BAND = (D - 80) / 8 };
    int64_t indptr[N + 1];
    int32_t indices[N * W];
    double values[N * W], y[N], proba[N * 2];
    rng_t rng;
    rng_seed(&rng, 17);
    for (int i = 0; i < N; i++) {
        y[i] = (double)(i % 2);
        indptr[i] = (int64_t)i * W;
        for (int k = 0; k < W; k++) {
            int32_t word = k < 3 ? (i % 2) * 40 + k * 13 + (int32_t)rng_below(&rng, 13)
                                 : 80 + (k - 3) * BAND + (int32_t)rng_below(&rng, BAND);
            indices[i * W + k] = word;
            values[i * W + k] = 1.0 / sqrt((double)W);
        }
    }
    indptr[N] = (int64_t)N * W;
    fmatrix_t train = {NTR, D, NULL, indptr, indices, values};
    /* The test rows: the same arrays, indptr shifted to start at row NTR. */
    fmatrix_t test = {N - NTR, D, NULL, indptr + NTR, indices, values};
    static const char *const names[] = {"hidden_size", "epochs", "batch_size", "learning_rate"};
    static const double hvals[] = {16, 30, 32, 0.01};
    hparams_t *hp = s_hp(4, names, hvals);
    char err[HPS_ERR_LEN];
    void *m = mlp_model.fit(&train, y, 2, hp, 3, err);
    assert(m && mlp_model.predict(m, &test, proba, err) == 0);
    double acc = s_accuracy(proba, y + NTR, N - NTR, 2);
    if (verbose)
        printf("  sparse bag-of-words held-out accuracy %.3f\n", acc);
    assert(acc > 0.9);
    mlp_model.destroy(&m);
    hparams_destroy(&hp);
}

/* Regression on a smooth function of three inputs with a large offset and scale, which
 * only works because targets are standardised internally. */
static void s_test_regression(bool verbose)
{
    enum { N = 300 };
    double x[N * 3], y[N], pred[N], mean = 0.0, sse = 0.0, sst = 0.0;
    rng_t rng;
    rng_seed(&rng, 21);
    for (int i = 0; i < N; i++) {
        double *r = x + 3 * i;
        r[0] = rng_normal(&rng), r[1] = rng_normal(&rng), r[2] = rng_normal(&rng);
        y[i] = 5000 + 1000 * (sin(r[0]) + 0.5 * r[1] * r[2]);
        mean += y[i] / N;
    }
    fmatrix_t X = {N, 3, x, NULL, NULL, NULL};
    static const char *const names[] = {"hidden_layers", "hidden_size", "epochs", "learning_rate"};
    static const double values[] = {2, 32, 300, 0.01};
    hparams_t *hp = s_hp(4, names, values);
    char err[HPS_ERR_LEN];
    void *m = mlp_model.fit(&X, y, 0, hp, 7, err);
    assert(m && mlp_model.predict(m, &X, pred, err) == 0);
    for (int i = 0; i < N; i++) {
        sse += (pred[i] - y[i]) * (pred[i] - y[i]);
        sst += (mean - y[i]) * (mean - y[i]);
    }
    if (verbose)
        printf("  regression training R^2 %.4f\n", 1 - sse / sst);
    assert(1 - sse / sst > 0.95);
    mlp_model.destroy(&m);
    hparams_destroy(&hp);
}

static void s_test_errors(void)
{
    double x[4] = {0, 1, 2, 3}, y[4] = {0, 1, 2, 1}, out[8];
    fmatrix_t X = {4, 1, x, NULL, NULL, NULL};
    char err[HPS_ERR_LEN];
    static const char *const names[] = {"hidden_layers", "epochs"};
    static const double bad_layers[] = {99, 5}, ok[] = {1, 5};
    hparams_t *hp = s_hp(2, names, bad_layers);
    assert(mlp_model.fit(&X, y, 3, hp, 1, err) == NULL && strstr(err, "hidden_layers"));
    hparams_destroy(&hp);
    hp = s_hp(2, names, ok);
    assert(mlp_model.fit(&X, y, 2, hp, 1, err) == NULL && strstr(err, "label 2"));
    hparams_set(hp, "activation", "swish");
    assert(mlp_model.fit(&X, y, 3, hp, 1, err) == NULL && strstr(err, "swish"));
    hparams_set(hp, "activation", "logistic");
    void *m = mlp_model.fit(&X, y, 3, hp, 1, err);
    assert(m);
    fmatrix_t wide = {2, 2, x, NULL, NULL, NULL};
    assert(mlp_model.predict(m, &wide, out, err) < 0 && strstr(err, "features"));
    mlp_model.destroy(&m);
    mlp_model.destroy(&m); /* NULL is fine */
    /* A million hashed features times 100 hidden units is refused, not allocated. */
    int64_t indptr[] = {0, 1, 1, 2, 2};
    int32_t indices[] = {7, 123456};
    fmatrix_t hashed = {4, 1 << 20, NULL, indptr, indices, x};
    assert(mlp_model.fit(&hashed, y, 3, hp, 1, err) == NULL && strstr(err, "hash_bits"));
    hparams_destroy(&hp);
}

void mlp_test(bool verbose)
{
    if (verbose)
        printf(" * mlp:\n");
    s_test_xor(verbose);
    s_test_digits_like(verbose);
    s_test_sparse_text(verbose);
    s_test_regression(verbose);
    s_test_errors();
}
