/* mlp_net — layers, backprop and Adam for the mlp model (see mlp_net.h).
 *
 * It follows scikit-learn's MLPClassifier/MLPRegressor where that is cheap to do, so a
 * user's intuition (and a search space tuned there) carries over: Glorot-uniform
 * initialisation of weights and biases, the penalty scaled by the batch size, Adam with
 * the bias correction folded into the step size, a shuffled pass per epoch whose last
 * batch may be short, and a stop once the epoch loss has not improved by tol for
 * no_change epochs.
 *
 * All weights and biases live in one block `theta`, so Adam and the gradient check run
 * over a single vector. Layers are GEMMs on row-major batches (cblas_dgemm), which take
 * over half the training time on digits-sized data; a CSR input multiplies the first
 * layer sparsely, so TF-IDF features never need densifying, and trains it lazily (see
 * mlp_net.h). Everything is double
 * precision, so the gradient check can demand agreement to 1e-5. Deterministic for a
 * seed and a BLAS thread count. */
#include <assert.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objectives/mlp_net.h"

#define MLP_PREDICT_ROWS 512 /* rows per forward pass in mlp_net_forward */

struct mlp_net_s {
    int n_layers;                         /* weight layers = hidden layers + 1 */
    int sizes[MLP_NET_MAX_HIDDEN + 2];    /* units: [0] inputs ... [n_layers] outputs */
    size_t w_off[MLP_NET_MAX_HIDDEN + 1]; /* offset of layer k's weights in theta */
    size_t b_off[MLP_NET_MAX_HIDDEN + 1]; /* offset of layer k's biases in theta */
    size_t n_params;
    double *theta;   /* all parameters; owned */
    mlp_act_t act;   /* hidden activation */
    bool softmax;    /* softmax output and cross-entropy, else identity and squared error */
};

/* Which rows of X a batch holds: rows[i], or start + i when rows is NULL. */
typedef struct {
    const fmatrix_t *X;
    const int *rows;
    int start, n;
} mlp_batch_t;

/* Scratch for batches of up to cap rows. */
typedef struct {
    int cap;
    const double *in;                  /* dense input of the current batch (X or xb) */
    double *xb;                        /* gathered dense input rows, cap x sizes[0] */
    double *a[MLP_NET_MAX_HIDDEN + 2]; /* per layer output (after activation); [0] unused */
    double *delta[2];                  /* back-propagated errors, ping-pong, cap x widest */
    double *grad;                      /* gradient of the batch loss, n_params */
    double *ones;                      /* cap ones */
    /* Lazy first-layer updates (CSR training): the input features of the current batch. */
    int *touched;                      /* their indexes; NULL = update every row */
    int n_touched;
    uint32_t *stamp;                   /* per input feature: last batch that had it */
    uint32_t batch_no;
} mlp_work_t;

/* ---------------------------------------------------------------- construction */

/* Glorot uniform, as scikit-learn: weights and biases in +-sqrt(f / (fan_in + fan_out)),
 * f = 2 for logistic units and 6 otherwise. */
static void s_init(mlp_net_t *m, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed);
    double factor = m->act == MLP_LOGISTIC ? 2.0 : 6.0;
    for (int k = 0; k < m->n_layers; k++) {
        double bound = sqrt(factor / (m->sizes[k] + m->sizes[k + 1]));
        size_t end = m->b_off[k] + (size_t)m->sizes[k + 1];
        for (size_t i = m->w_off[k]; i < end; i++)
            m->theta[i] = bound * (2.0 * rng_uniform(&rng) - 1.0);
    }
}

mlp_net_t *mlp_net_new(int n_hidden, const int *sizes, mlp_act_t act, bool softmax,
                       uint64_t seed)
{
    assert(n_hidden >= 0 && n_hidden <= MLP_NET_MAX_HIDDEN);
    mlp_net_t *m = xcalloc(1, sizeof *m);
    m->n_layers = n_hidden + 1;
    m->act = act;
    m->softmax = softmax;
    for (int k = 0; k <= m->n_layers; k++) {
        assert(sizes[k] > 0);
        m->sizes[k] = sizes[k];
    }
    size_t off = 0;
    for (int k = 0; k < m->n_layers; k++) {
        m->w_off[k] = off;
        off += (size_t)sizes[k] * (size_t)sizes[k + 1];
        m->b_off[k] = off;
        off += (size_t)sizes[k + 1];
    }
    assert(off <= INT_MAX); /* BLAS takes int lengths */
    m->n_params = off;
    m->theta = xmalloc(off * sizeof(double));
    s_init(m, seed);
    return m;
}

void mlp_net_destroy(mlp_net_t **self_p)
{
    assert(self_p);
    mlp_net_t *m = *self_p;
    if (m) {
        free(m->theta);
        free(m);
    }
    *self_p = NULL;
}

int mlp_net_inputs(const mlp_net_t *net) { return net->sizes[0]; }
int mlp_net_outputs(const mlp_net_t *net) { return net->sizes[net->n_layers]; }

double *mlp_net_params(mlp_net_t *net, size_t *n)
{
    *n = net->n_params;
    return net->theta;
}

static int s_widest(const mlp_net_t *m)
{
    int w = 0;
    for (int k = 0; k <= m->n_layers; k++)
        w = m->sizes[k] > w ? m->sizes[k] : w;
    return w;
}

/* Scratch for batches of up to cap rows; gather when the batches are scattered rows of
 * a dense X (not for CSR input, whose n_cols may be a million hashed features); lazy
 * for training on CSR input (see mlp_net_train). */
static void s_work_init(mlp_work_t *w, const mlp_net_t *m, int cap, bool gather, bool lazy)
{
    memset(w, 0, sizeof *w);
    w->cap = cap;
    if (gather)
        w->xb = xmalloc((size_t)cap * (size_t)m->sizes[0] * sizeof(double));
    for (int k = 1; k <= m->n_layers; k++)
        w->a[k] = xmalloc((size_t)cap * (size_t)m->sizes[k] * sizeof(double));
    size_t widest = (size_t)cap * (size_t)s_widest(m);
    w->delta[0] = xmalloc(widest * sizeof(double));
    w->delta[1] = xmalloc(widest * sizeof(double));
    w->grad = xmalloc(m->n_params * sizeof(double));
    w->ones = xmalloc((size_t)cap * sizeof(double));
    for (int i = 0; i < cap; i++)
        w->ones[i] = 1.0;
    if (lazy) {
        w->touched = xmalloc((size_t)m->sizes[0] * sizeof(int));
        w->stamp = xcalloc((size_t)m->sizes[0], sizeof(uint32_t));
    }
}

static void s_work_free(mlp_work_t *w)
{
    free(w->xb);
    for (int k = 0; k < MLP_NET_MAX_HIDDEN + 2; k++)
        free(w->a[k]);
    free(w->delta[0]);
    free(w->delta[1]);
    free(w->grad);
    free(w->ones);
    free(w->touched);
    free(w->stamp);
    memset(w, 0, sizeof *w);
}

/* ---------------------------------------------------------------- forward and backward */

static inline int s_row(const mlp_batch_t *b, int i)
{
    return b->rows ? b->rows[i] : b->start + i;
}

/* Dense input of the batch as a contiguous row-major block: X itself when the rows are
 * contiguous, else a copy gathered into w->xb. */
static const double *s_dense_input(const mlp_batch_t *b, mlp_work_t *w)
{
    size_t nc = (size_t)b->X->n_cols;
    if (!b->rows)
        return b->X->dense + (size_t)b->start * nc;
    assert(w->xb);
    for (int i = 0; i < b->n; i++)
        memcpy(w->xb + (size_t)i * nc, b->X->dense + (size_t)b->rows[i] * nc,
               nc * sizeof(double));
    return w->xb;
}

/* List the input features present in batch b (CSR) in w->touched, each once. */
static void s_mark_touched(mlp_work_t *w, const mlp_batch_t *b)
{
    assert(w->touched && !b->X->dense);
    const fmatrix_t *X = b->X;
    w->n_touched = 0;
    if (++w->batch_no == 0) { /* wrapped: forget stamps from 2^32 batches ago */
        memset(w->stamp, 0, (size_t)X->n_cols * sizeof(uint32_t));
        w->batch_no = 1;
    }
    for (int i = 0; i < b->n; i++) {
        int r = s_row(b, i);
        for (int64_t p = X->indptr[r]; p < X->indptr[r + 1]; p++) {
            int j = X->indices[p];
            if (w->stamp[j] != w->batch_no) {
                w->stamp[j] = w->batch_no;
                w->touched[w->n_touched++] = j;
            }
        }
    }
}

/* out (n x n_out) += X_batch (n x n_in, CSR) * W (n_in x n_out). */
static void s_csr_times(const mlp_batch_t *b, const double *W, int n_out, double *out)
{
    const fmatrix_t *X = b->X;
    for (int i = 0; i < b->n; i++) {
        int r = s_row(b, i);
        for (int64_t p = X->indptr[r]; p < X->indptr[r + 1]; p++)
            cblas_daxpy(n_out, X->values[p], W + (size_t)X->indices[p] * n_out, 1,
                        out + (size_t)i * n_out, 1);
    }
}

/* gW (n_in x n_out) += X_batch^T (CSR) * delta (n x n_out). */
static void s_csr_t_times(const mlp_batch_t *b, const double *delta, int n_out, double *gW)
{
    const fmatrix_t *X = b->X;
    for (int i = 0; i < b->n; i++) {
        int r = s_row(b, i);
        for (int64_t p = X->indptr[r]; p < X->indptr[r + 1]; p++)
            cblas_daxpy(n_out, X->values[p], delta + (size_t)i * n_out, 1,
                        gW + (size_t)X->indices[p] * n_out, 1);
    }
}

/* relu works on the bits because the signs of hidden units are coin flips: the compiler
 * turns every comparison form (?:, *(x > 0)) into a branch that mispredicts half the
 * time, which cost a quarter of the training time. Negative inputs give -0.0, so the
 * backward pass can tell a clamped unit by its sign bit alone. */
static inline uint64_t s_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double s_from_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* All ones when the sign bit of x is clear, else zero. */
static inline uint64_t s_nonneg_mask(double x)
{
    return ~(uint64_t)((int64_t)s_bits(x) >> 63);
}

static inline double s_relu(double x)
{
    return s_from_bits(s_bits(x) & (s_nonneg_mask(x) | (UINT64_C(1) << 63)));
}

/* delta where the relu output a passed its input through, else +0.0. */
static inline double s_relu_grad(double a, double delta)
{
    return s_from_bits(s_bits(delta) & s_nonneg_mask(a));
}

/* One loop per activation, not a switch per element: they touch every hidden unit of
 * every batch. */
static void s_activate(mlp_act_t act, double *z, size_t n)
{
    switch (act) {
    case MLP_RELU:
        for (size_t i = 0; i < n; i++)
            z[i] = s_relu(z[i]);
        break;
    case MLP_TANH:
        for (size_t i = 0; i < n; i++)
            z[i] = tanh(z[i]);
        break;
    case MLP_LOGISTIC:
        for (size_t i = 0; i < n; i++)
            z[i] = 1.0 / (1.0 + exp(-z[i]));
        break;
    }
}

/* delta *= f'(z), written in terms of the activation a = f(z) that the forward pass kept. */
static void s_activate_grad(mlp_act_t act, const double *a, double *delta, size_t n)
{
    switch (act) {
    case MLP_RELU:
        for (size_t i = 0; i < n; i++)
            delta[i] = s_relu_grad(a[i], delta[i]);
        break;
    case MLP_TANH:
        for (size_t i = 0; i < n; i++)
            delta[i] *= 1.0 - a[i] * a[i];
        break;
    case MLP_LOGISTIC:
        for (size_t i = 0; i < n; i++)
            delta[i] *= a[i] * (1.0 - a[i]);
        break;
    }
}

static void s_softmax_rows(double *z, int n, int k)
{
    for (int i = 0; i < n; i++) {
        double *row = z + (size_t)i * k, mx = row[0], sum = 0.0;
        for (int j = 1; j < k; j++)
            mx = row[j] > mx ? row[j] : mx;
        for (int j = 0; j < k; j++) {
            row[j] = exp(row[j] - mx);
            sum += row[j];
        }
        for (int j = 0; j < k; j++)
            row[j] /= sum;
    }
}

/* Forward pass of a batch; the output layer ends in w->a[n_layers] (probabilities for
 * classification, standardised predictions for regression). */
static void s_forward(const mlp_net_t *m, mlp_work_t *w, const mlp_batch_t *b)
{
    assert(b->n > 0 && b->n <= w->cap);
    const double *in = w->in = b->X->dense ? s_dense_input(b, w) : NULL;
    for (int k = 0; k < m->n_layers; k++) {
        int n_in = m->sizes[k], n_out = m->sizes[k + 1];
        const double *W = m->theta + m->w_off[k], *bias = m->theta + m->b_off[k];
        double *z = w->a[k + 1];
        for (int i = 0; i < b->n; i++)
            memcpy(z + (size_t)i * n_out, bias, (size_t)n_out * sizeof(double));
        if (k == 0 && !in)
            s_csr_times(b, W, n_out, z);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b->n, n_out, n_in, 1.0,
                        k == 0 ? in : w->a[k], n_in, W, n_out, 1.0, z, n_out);
        if (k + 1 < m->n_layers)
            s_activate(m->act, z, (size_t)b->n * n_out);
        else if (m->softmax)
            s_softmax_rows(z, b->n, n_out);
    }
}

/* Output error dLoss/dz of the mean batch loss into delta; returns the mean data loss.
 * y holds class indices or standardised targets, indexed by row of X. */
static double s_output_delta(const mlp_net_t *m, const mlp_work_t *w, const mlp_batch_t *b,
                             const double *y, double *delta)
{
    int k = m->sizes[m->n_layers];
    const double *out = w->a[m->n_layers];
    double loss = 0.0, inv = 1.0 / b->n;
    for (int i = 0; i < b->n; i++) {
        const double *o = out + (size_t)i * k;
        double *d = delta + (size_t)i * k;
        double t = y[s_row(b, i)];
        if (m->softmax) {
            int c = (int)t;
            for (int j = 0; j < k; j++)
                d[j] = (o[j] - (j == c)) * inv;
            loss -= log(o[c] > 1e-300 ? o[c] : 1e-300);
        } else {
            d[0] = (o[0] - t) * inv;
            loss += 0.5 * (o[0] - t) * (o[0] - t);
        }
    }
    return loss * inv;
}

/* gW = reg * W over n values; returns |W|^2 of them. */
static double s_penalty(const double *W, double *gW, size_t n, double reg)
{
    memcpy(gW, W, n * sizeof(double));
    cblas_dscal((int)n, reg, gW, 1);
    return cblas_ddot((int)n, W, 1, W, 1);
}

/* Forward and backward pass of one batch: fills w->grad with the gradient of the
 * penalised mean batch loss and returns that loss. Lazy (w->touched): the first
 * layer's gradient and penalty cover only the rows of the batch's features. */
static double s_loss_grad(const mlp_net_t *m, mlp_work_t *w, const mlp_batch_t *b,
                          const double *y, double alpha)
{
    s_forward(m, w, b);
    double *delta = w->delta[0], *prev = w->delta[1];
    double loss = s_output_delta(m, w, b, y, delta), penalty = 0.0, reg = alpha / b->n;
    for (int k = m->n_layers - 1; k >= 0; k--) {
        int n_in = m->sizes[k], n_out = m->sizes[k + 1];
        size_t n_w = (size_t)n_in * n_out;
        const double *W = m->theta + m->w_off[k];
        double *gW = w->grad + m->w_off[k], *gb = w->grad + m->b_off[k];
        /* The penalty's gradient first, so the data term can accumulate onto it. */
        for (int t = 0; k == 0 && w->touched && t < w->n_touched; t++) {
            size_t row = (size_t)w->touched[t] * n_out;
            penalty += s_penalty(W + row, gW + row, (size_t)n_out, reg);
        }
        if (k > 0 || !w->touched)
            penalty += s_penalty(W, gW, n_w, reg);
        if (k == 0 && !b->X->dense)
            s_csr_t_times(b, delta, n_out, gW);
        else
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_in, n_out, b->n, 1.0,
                        k == 0 ? w->in : w->a[k], n_in, delta, n_out, 1.0,
                        gW, n_out);
        /* Bias gradient: column sums of delta, as a GEMV with a ones vector. */
        cblas_dgemv(CblasRowMajor, CblasTrans, b->n, n_out, 1.0, delta, n_out, w->ones, 1,
                    0.0, gb, 1);
        if (k == 0)
            break;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b->n, n_in, n_out, 1.0, delta,
                    n_out, W, n_out, 0.0, prev, n_in);
        s_activate_grad(m->act, w->a[k], prev, (size_t)b->n * n_in);
        double *t = delta;
        delta = prev;
        prev = t;
    }
    return loss + 0.5 * reg * penalty;
}

/* ---------------------------------------------------------------- training */

typedef struct {
    double *m1, *m2; /* first and second moment estimates, n_params each */
    long t;          /* steps taken */
} mlp_adam_t;

/* Adam on parameters [from, to), with step size lr (bias correction included).
 * Local restrict pointers let the compiler keep them in registers: through m->theta it
 * must assume each store may change the struct. */
static void s_adam_range(mlp_net_t *m, mlp_adam_t *st, const double *g, const mlp_opts_t *o,
                         double lr, size_t from, size_t to)
{
    double b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    double *restrict th = m->theta, *restrict m1 = st->m1, *restrict m2 = st->m2;
    const double *restrict gr = g;
    for (size_t i = from; i < to; i++) {
        m1[i] = b1 * m1[i] + (1.0 - b1) * gr[i];
        m2[i] = b2 * m2[i] + (1.0 - b2) * gr[i] * gr[i];
        th[i] -= lr * m1[i] / (sqrt(m2[i]) + eps);
    }
}

/* One Adam step, with scikit-learn's form of the bias correction (in the step size).
 * Lazy: first-layer rows of features absent from the batch keep weights and moments. */
static void s_adam_step(mlp_net_t *m, mlp_adam_t *st, const mlp_work_t *w,
                        const mlp_opts_t *o)
{
    st->t++;
    double lr = o->lr * sqrt(1.0 - pow(o->beta2, (double)st->t)) /
                (1.0 - pow(o->beta1, (double)st->t));
    size_t h = (size_t)m->sizes[1];
    assert(m->w_off[0] == 0 && m->b_off[0] == (size_t)m->sizes[0] * h);
    for (int t = 0; w->touched && t < w->n_touched; t++)
        s_adam_range(m, st, w->grad, o, lr, (size_t)w->touched[t] * h,
                     (size_t)(w->touched[t] + 1) * h);
    s_adam_range(m, st, w->grad, o, lr, w->touched ? m->b_off[0] : 0, m->n_params);
}

static void s_shuffle(int *perm, int n, rng_t *rng)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(rng, (uint64_t)i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* Minibatch Adam over epochs, stopping early when the epoch loss stalls. */
void mlp_net_train(mlp_net_t *m, const fmatrix_t *X, const double *y, const mlp_opts_t *o,
                   uint64_t seed)
{
    assert(m && X && y && o && X->n_rows > 0 && X->n_cols == m->sizes[0]);
    int n = X->n_rows, batch = (int)(o->batch < n ? o->batch : n);
    mlp_work_t w;
    s_work_init(&w, m, batch, X->dense != NULL, X->dense == NULL);
    mlp_adam_t st = {xcalloc(m->n_params, sizeof(double)),
                     xcalloc(m->n_params, sizeof(double)), 0};
    int *perm = xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++)
        perm[i] = i;
    rng_t rng;
    rng_seed(&rng, seed);
    double best = INFINITY;
    long stalled = 0;
    for (long epoch = 0; epoch < o->epochs && stalled <= o->no_change; epoch++) {
        s_shuffle(perm, n, &rng);
        double total = 0.0;
        for (int start = 0; start < n; start += batch) {
            mlp_batch_t b = {X, perm + start, 0, n - start < batch ? n - start : batch};
            if (w.touched)
                s_mark_touched(&w, &b);
            total += s_loss_grad(m, &w, &b, y, o->alpha) * b.n;
            s_adam_step(m, &st, &w, o);
        }
        double loss = total / n;
        stalled = loss > best - o->tol ? stalled + 1 : 0;
        best = loss < best ? loss : best;
    }
    free(perm);
    free(st.m1);
    free(st.m2);
    s_work_free(&w);
}

/* ---------------------------------------------------------------- checks and inference */

void mlp_net_forward(const mlp_net_t *m, const fmatrix_t *X, double *out)
{
    assert(m && X && out && X->n_cols == m->sizes[0]);
    int k = m->sizes[m->n_layers];
    mlp_work_t w;
    s_work_init(&w, m, MLP_PREDICT_ROWS, false, false);
    for (int start = 0; start < X->n_rows; start += MLP_PREDICT_ROWS) {
        int n = X->n_rows - start < MLP_PREDICT_ROWS ? X->n_rows - start : MLP_PREDICT_ROWS;
        mlp_batch_t b = {X, NULL, start, n};
        s_forward(m, &w, &b);
        memcpy(out + (size_t)start * k, w.a[m->n_layers], (size_t)n * k * sizeof(double));
    }
    s_work_free(&w);
}

double mlp_net_loss_grad(const mlp_net_t *m, const fmatrix_t *X, const int *rows, int n,
                         const double *y, double alpha, double *grad)
{
    assert(m && X && rows && n > 0 && X->n_cols == m->sizes[0]);
    mlp_work_t w;
    s_work_init(&w, m, n, X->dense != NULL, false);
    mlp_batch_t b = {X, rows, 0, n};
    double loss = s_loss_grad(m, &w, &b, y, alpha);
    memcpy(grad, w.grad, m->n_params * sizeof(double));
    s_work_free(&w);
    return loss;
}

/* ---------------------------------------------------------------- self-test */

/* Largest relative difference between the analytic gradient of the batch loss and
 * central finite differences, over every parameter. */
static double s_grad_check(mlp_net_t *m, const mlp_batch_t *b, const double *y, double alpha)
{
    mlp_work_t w;
    s_work_init(&w, m, b->n, b->X->dense != NULL, false);
    s_loss_grad(m, &w, b, y, alpha);
    double *g = xmalloc(m->n_params * sizeof(double)), worst = 0.0, h = 1e-5;
    memcpy(g, w.grad, m->n_params * sizeof(double));
    for (size_t i = 0; i < m->n_params; i++) {
        double keep = m->theta[i];
        m->theta[i] = keep + h;
        double up = s_loss_grad(m, &w, b, y, alpha);
        m->theta[i] = keep - h;
        double down = s_loss_grad(m, &w, b, y, alpha);
        m->theta[i] = keep;
        double num = (up - down) / (2 * h);
        /* The floor keeps parameters with a (near) zero gradient from dividing noise. */
        double scale = fmax(fabs(num) + fabs(g[i]), 1e-4);
        worst = fmax(worst, fabs(num - g[i]) / scale);
    }
    free(g);
    s_work_free(&w);
    return worst;
}

/* Random data with about half the entries zero, held both dense and as CSR. */
typedef struct {
    double dense[7 * 4], values[7 * 4], y[7];
    int64_t indptr[7 + 1];
    int32_t indices[7 * 4];
    fmatrix_t X, csr;
} mlp_testdata_t;

static void s_testdata(mlp_testdata_t *d, bool classes, uint64_t seed)
{
    enum { N = 7, NC = 4 };
    rng_t rng;
    rng_seed(&rng, seed);
    memset(d, 0, sizeof *d);
    int64_t nnz = 0;
    for (int i = 0; i < N; i++) {
        d->indptr[i] = nnz;
        for (int j = 0; j < NC; j++) {
            if (rng_uniform(&rng) < 0.5)
                continue;
            d->dense[i * NC + j] = d->values[nnz] = rng_normal(&rng);
            d->indices[nnz++] = j;
        }
        d->y[i] = classes ? (double)rng_below(&rng, 3) : rng_normal(&rng);
    }
    d->indptr[N] = nnz;
    d->X = (fmatrix_t){N, NC, d->dense, NULL, NULL, NULL};
    d->csr = (fmatrix_t){N, NC, NULL, d->indptr, d->indices, d->values};
}

/* Backprop against finite differences for every activation, both losses, dense and CSR
 * input, two hidden layers, a penalty, and a batch of shuffled rows. */
static void s_test_gradients(bool verbose)
{
    static const char *const acts[] = {"relu", "tanh", "logistic"};
    static const int rows[] = {6, 1, 4, 0, 3};
    for (int softmax = 0; softmax <= 1; softmax++) {
        mlp_testdata_t d;
        s_testdata(&d, softmax, 11 + softmax);
        for (int act = MLP_RELU; act <= MLP_LOGISTIC; act++) {
            int sizes[] = {4, 5, 3, softmax ? 3 : 1};
            mlp_net_t *m = mlp_net_new(2, sizes, (mlp_act_t)act, softmax, 5 + act);
            for (int sparse = 0; sparse <= 1; sparse++) {
                mlp_batch_t b = {sparse ? &d.csr : &d.X, rows, 0, (int)ARRAY_SIZE(rows)};
                double worst = s_grad_check(m, &b, d.y, 0.3);
                if (verbose)
                    printf("  grad check %s %s %s: max rel err %.2e\n", acts[act],
                           softmax ? "softmax" : "squared", sparse ? "csr" : "dense", worst);
                assert(worst < 1e-5);
            }
            mlp_net_destroy(&m);
            assert(m == NULL);
        }
    }
}

/* The public entry points agree with the internals and with each other: dense and CSR
 * input give the same outputs and gradients; softmax rows sum to one; same seed, same
 * parameters. */
static void s_test_api(void)
{
    mlp_testdata_t d;
    s_testdata(&d, true, 3);
    int sizes[] = {4, 6, 3}, rows[] = {0, 1, 2, 3, 4, 5, 6};
    mlp_net_t *a = mlp_net_new(1, sizes, MLP_TANH, true, 9), *b = mlp_net_new(1, sizes,
                                                                              MLP_TANH, true, 9);
    size_t n, n2;
    double *pa = mlp_net_params(a, &n), *pb = mlp_net_params(b, &n2);
    assert(n == 4 * 6 + 6 + 6 * 3 + 3 && n2 == n && memcmp(pa, pb, n * sizeof(double)) == 0);
    assert(mlp_net_inputs(a) == 4 && mlp_net_outputs(a) == 3);
    double out[7 * 3], out_csr[7 * 3], g[64], g_csr[64];
    mlp_net_forward(a, &d.X, out);
    mlp_net_forward(a, &d.csr, out_csr);
    double l = mlp_net_loss_grad(a, &d.X, rows, 7, d.y, 0.1, g);
    double l_csr = mlp_net_loss_grad(a, &d.csr, rows, 7, d.y, 0.1, g_csr);
    assert(fabs(l - l_csr) < 1e-12);
    for (size_t i = 0; i < n; i++)
        assert(fabs(g[i] - g_csr[i]) < 1e-12);
    for (int i = 0; i < 7; i++) {
        double sum = 0.0;
        for (int k = 0; k < 3; k++) {
            assert(fabs(out[i * 3 + k] - out_csr[i * 3 + k]) < 1e-12);
            sum += out[i * 3 + k];
        }
        assert(fabs(sum - 1.0) < 1e-12);
    }
    mlp_net_destroy(&a);
    mlp_net_destroy(&b);
    mlp_net_destroy(&b);
}

void mlp_net_test(bool verbose)
{
    if (verbose)
        printf(" * mlp_net:\n");
    s_test_gradients(verbose);
    s_test_api();
}
