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
 * over a single vector. Layers are GEMMs on row-major batches, which take most of the
 * training time on digits-sized data; a CSR input multiplies the first layer sparsely,
 * so TF-IDF features never need densifying, and trains it lazily (see mlp_net.h).
 *
 * The arithmetic is in mlp_real: float, or double when objectives/mlp_net_f64.c
 * compiles this file with MLP_NET_F64. One source serves both; <tgmath.h> picks expf or
 * exp by argument type, s_blas the BLAS routines of the precision. Sums that decide
 * something (the loss, which drives early stopping) are kept in double. Deterministic
 * for a seed and a BLAS thread count. */
#include <assert.h>
#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "objectives/mlp_net.h"

#define MLP_PREDICT_ROWS 512 /* rows per forward pass in mlp_net_forward */
/* -O2 vectorises a loop only if it knows the trip count to be a multiple of the vector
 * width, so the loops that touch every unit of a batch run in blocks of this many, then
 * a scalar tail (digits, 200 epochs: 0.19 s to 0.16 s a fit). */
#define MLP_BLOCK 8

/* ---------------------------------------------------------------- precision */

/* The BLAS routines used, in the precision of mlp_real (all row-major). */
typedef struct {
    void (*gemm)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint,
                 blasint, blasint, mlp_real, const mlp_real *, blasint, const mlp_real *,
                 blasint, mlp_real, mlp_real *, blasint);
    void (*gemv)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, blasint, blasint, mlp_real,
                 const mlp_real *, blasint, const mlp_real *, blasint, mlp_real, mlp_real *,
                 blasint);
    void (*axpy)(blasint, mlp_real, const mlp_real *, blasint, mlp_real *, blasint);
    void (*scal)(blasint, mlp_real, mlp_real *, blasint);
    mlp_real (*dot)(blasint, const mlp_real *, blasint, const mlp_real *, blasint);
} mlp_blas_t;

#if MLP_NET_F64
static const mlp_blas_t s_blas = {cblas_dgemm, cblas_dgemv, cblas_daxpy, cblas_dscal,
                                  cblas_ddot};
typedef uint64_t mlp_bits_t; /* the bits of an mlp_real */
typedef int64_t mlp_sbits_t;
#define MLP_REAL_MIN DBL_MIN
#else
static const mlp_blas_t s_blas = {cblas_sgemm, cblas_sgemv, cblas_saxpy, cblas_sscal,
                                  cblas_sdot};
typedef uint32_t mlp_bits_t;
typedef int32_t mlp_sbits_t;
#define MLP_REAL_MIN FLT_MIN
#endif
#define MLP_SIGN_SHIFT (sizeof(mlp_bits_t) * CHAR_BIT - 1)

/* ---------------------------------------------------------------- construction */

struct mlp_net_s {
    int n_layers;                         /* weight layers = hidden layers + 1 */
    int sizes[MLP_NET_MAX_HIDDEN + 2];    /* units: [0] inputs ... [n_layers] outputs */
    size_t w_off[MLP_NET_MAX_HIDDEN + 1]; /* offset of layer k's weights in theta */
    size_t b_off[MLP_NET_MAX_HIDDEN + 1]; /* offset of layer k's biases in theta */
    size_t n_params;
    mlp_real *theta; /* all parameters; owned */
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
    const mlp_real *in;                  /* dense input of the current batch, NULL for CSR */
    mlp_real *xb;                        /* its rows, converted: cap x sizes[0] (dense X) */
    mlp_real *a[MLP_NET_MAX_HIDDEN + 2]; /* per layer output (after activation); [0] unused */
    mlp_real *delta[2];                  /* back-propagated errors, ping-pong, cap x widest */
    mlp_real *grad;                      /* gradient of the batch loss, n_params */
    mlp_real *ones;                      /* cap ones */
    /* Lazy first-layer updates (CSR training): the input features of the current batch. */
    int *touched;                        /* their indexes; NULL = update every row */
    int n_touched;
    uint32_t *stamp;                     /* per input feature: last batch that had it */
    uint32_t batch_no;
} mlp_work_t;

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
            m->theta[i] = (mlp_real)(bound * (2.0 * rng_uniform(&rng) - 1.0));
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
    m->theta = xmalloc(off * sizeof(mlp_real));
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

mlp_real *mlp_net_params(mlp_net_t *net, size_t *n)
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

static mlp_real *s_reals(size_t n)
{
    return xmalloc(n * sizeof(mlp_real));
}

/* Scratch for batches of up to cap rows of X, dense or CSR (whose n_cols may be a
 * million hashed features, so it is never converted whole); lazy for training on CSR
 * input (see mlp_net_train). */
static void s_work_init(mlp_work_t *w, const mlp_net_t *m, int cap, bool dense, bool lazy)
{
    memset(w, 0, sizeof *w);
    w->cap = cap;
    if (dense)
        w->xb = s_reals((size_t)cap * (size_t)m->sizes[0]);
    for (int k = 1; k <= m->n_layers; k++)
        w->a[k] = s_reals((size_t)cap * (size_t)m->sizes[k]);
    size_t widest = (size_t)cap * (size_t)s_widest(m);
    w->delta[0] = s_reals(widest);
    w->delta[1] = s_reals(widest);
    w->grad = s_reals(m->n_params);
    w->ones = s_reals((size_t)cap);
    for (int i = 0; i < cap; i++)
        w->ones[i] = 1;
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
    for (int k = 0; k < 2; k++)
        free(w->delta[k]);
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

static void s_convert(mlp_real *restrict dst, const double *restrict src, size_t n)
{
    size_t j = 0;
    for (; j + MLP_BLOCK <= n; j += MLP_BLOCK)
        for (size_t u = 0; u < MLP_BLOCK; u++)
            dst[j + u] = (mlp_real)src[j + u];
    for (; j < n; j++)
        dst[j] = (mlp_real)src[j];
}

/* The batch's dense input rows, converted to mlp_real, as one row-major block in xb. */
static const mlp_real *s_dense_input(const mlp_batch_t *b, mlp_work_t *w)
{
    size_t nc = (size_t)b->X->n_cols;
    assert(w->xb);
    for (int i = 0; i < b->n; i++)
        s_convert(w->xb + (size_t)i * nc, b->X->dense + (size_t)s_row(b, i) * nc, nc);
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

/* The first layer on CSR input: out (n x n_out) += X_batch (n x n_in) * W (n_in x n_out)
 * in the forward pass, or (transposed) gW (n_in x n_out) += X_batch^T * delta (n x n_out)
 * in the backward pass; one axpy per stored value, so the cost is the batch's. */
static void s_csr_times(const mlp_batch_t *b, bool transposed, const mlp_real *src,
                        int n_out, mlp_real *dst)
{
    const fmatrix_t *X = b->X;
    for (int i = 0; i < b->n; i++) {
        int r = s_row(b, i);
        size_t row = (size_t)i * n_out;
        for (int64_t p = X->indptr[r]; p < X->indptr[r + 1]; p++) {
            size_t feature = (size_t)X->indices[p] * n_out;
            s_blas.axpy(n_out, (mlp_real)X->values[p], src + (transposed ? row : feature), 1,
                        dst + (transposed ? feature : row), 1);
        }
    }
}

/* relu works on the bits because the signs of hidden units are coin flips: the compiler
 * turns every comparison form (?:, *(x > 0)) into a branch that mispredicts half the
 * time, which cost a quarter of the training time. Negative inputs give -0.0, so the
 * backward pass can tell a clamped unit by its sign bit alone. */
static inline mlp_bits_t s_bits(mlp_real x)
{
    mlp_bits_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline mlp_real s_from_bits(mlp_bits_t b)
{
    mlp_real x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* All ones when the sign bit of x is clear, else zero. */
static inline mlp_bits_t s_nonneg_mask(mlp_real x)
{
    return ~(mlp_bits_t)((mlp_sbits_t)s_bits(x) >> MLP_SIGN_SHIFT);
}

static inline mlp_real s_relu(mlp_real x)
{
    return s_from_bits(s_bits(x) & (s_nonneg_mask(x) | (mlp_bits_t)1 << MLP_SIGN_SHIFT));
}

/* delta where the relu output a passed its input through, else +0.0. */
static inline mlp_real s_relu_grad(mlp_real a, mlp_real delta)
{
    return s_from_bits(s_bits(delta) & s_nonneg_mask(a));
}

/* z = f(z + bias) for n rows of k units: the bias and the hidden activation in one pass
 * over the GEMM's output. A loop per activation, not a switch per unit. */
static void s_bias_activate(mlp_act_t act, mlp_real *z, const mlp_real *restrict bias, int n,
                            int k)
{
    for (int i = 0; i < n; i++) {
        mlp_real *restrict r = z + (size_t)i * k;
        int j = 0;
        switch (act) {
        case MLP_RELU:
            for (; j + MLP_BLOCK <= k; j += MLP_BLOCK)
                for (int u = 0; u < MLP_BLOCK; u++)
                    r[j + u] = s_relu(r[j + u] + bias[j + u]);
            for (; j < k; j++)
                r[j] = s_relu(r[j] + bias[j]);
            break;
        case MLP_TANH:
            for (; j < k; j++)
                r[j] = tanh(r[j] + bias[j]);
            break;
        case MLP_LOGISTIC:
            for (; j < k; j++)
                r[j] = 1 / (1 + exp(-(r[j] + bias[j])));
            break;
        }
    }
}

/* delta *= f'(z), written in terms of the activation a = f(z) that the forward pass kept. */
static void s_activate_grad(mlp_act_t act, const mlp_real *restrict a,
                            mlp_real *restrict delta, size_t n)
{
    size_t i = 0;
    switch (act) {
    case MLP_RELU:
        for (; i + MLP_BLOCK <= n; i += MLP_BLOCK)
            for (size_t u = i; u < i + MLP_BLOCK; u++)
                delta[u] = s_relu_grad(a[u], delta[u]);
        for (; i < n; i++)
            delta[i] = s_relu_grad(a[i], delta[i]);
        break;
    case MLP_TANH:
        for (; i < n; i++)
            delta[i] *= 1 - a[i] * a[i];
        break;
    case MLP_LOGISTIC:
        for (; i < n; i++)
            delta[i] *= a[i] * (1 - a[i]);
        break;
    }
}

/* The output layer: z = z + bias for n rows of k units, then a softmax per row. */
static void s_output(mlp_real *z, const mlp_real *bias, int n, int k, bool softmax)
{
    for (int i = 0; i < n; i++) {
        mlp_real *restrict row = z + (size_t)i * k, mx = row[0] + bias[0], sum = 0;
        for (int j = 0; j < k; j++) {
            row[j] += bias[j];
            mx = row[j] > mx ? row[j] : mx;
        }
        if (!softmax)
            continue;
        /* Summed apart from the exp calls, which would otherwise spill sum each time. */
        for (int j = 0; j < k; j++)
            row[j] = exp(row[j] - mx);
        for (int j = 0; j < k; j++)
            sum += row[j];
        mlp_real inv = 1 / sum;
        for (int j = 0; j < k; j++)
            row[j] *= inv;
    }
}

/* OpenBLAS multiplies matrices of up to 100^3 multiply-adds without first packing them
 * into its blocked layout, which at that size is 22-33% faster (0.3.21, Skylake-X).
 * digits' batches of 200 rows through 64 x 100 weights need 1.28M, so a GEMM over the
 * batch that halving brings within the limit runs as two halves; larger ones gained
 * nothing from splitting (measured up to 16M). */
#define MLP_GEMM_UNPACKED 1e6

/* Rows per part of a GEMM over n batch rows that costs p * q multiply-adds per row. */
static int s_part_rows(int n, int p, int q)
{
    double mnk = (double)n * p * q;
    return mnk > MLP_GEMM_UNPACKED && mnk <= 2 * MLP_GEMM_UNPACKED ? (n + 1) / 2 : n;
}

/* c (n x q) = a (n x p) * op(wt), for n batch rows a, c and weights wt: p x q
 * (op = CblasNoTrans) or q x p (CblasTrans). */
static void s_rows_times(int n, int p, int q, const mlp_real *a, const mlp_real *wt,
                         enum CBLAS_TRANSPOSE op, mlp_real *c)
{
    int part = s_part_rows(n, p, q);
    for (int i = 0; i < n; i += part)
        s_blas.gemm(CblasRowMajor, CblasNoTrans, op, n - i < part ? n - i : part, q, p, 1,
                    a + (size_t)i * p, p, wt, op == CblasNoTrans ? q : p, 0,
                    c + (size_t)i * q, q);
}

/* g (p x q) = beta * g + a^T d, for n batch rows a (n x p) and d (n x q). */
static void s_rows_t_times(int n, int p, int q, const mlp_real *a, const mlp_real *d,
                           mlp_real beta, mlp_real *g)
{
    int part = s_part_rows(n, p, q);
    for (int i = 0; i < n; i += part)
        s_blas.gemm(CblasRowMajor, CblasTrans, CblasNoTrans, p, q, n - i < part ? n - i : part,
                    1, a + (size_t)i * p, p, d + (size_t)i * q, q, i == 0 ? beta : 1, g, q);
}

/* Forward pass of a batch; the output layer ends in w->a[n_layers] (probabilities for
 * classification, standardised predictions for regression). */
static void s_forward(const mlp_net_t *m, mlp_work_t *w, const mlp_batch_t *b)
{
    assert(b->n > 0 && b->n <= w->cap);
    w->in = b->X->dense ? s_dense_input(b, w) : NULL;
    for (int k = 0; k < m->n_layers; k++) {
        int n_in = m->sizes[k], n_out = m->sizes[k + 1];
        const mlp_real *W = m->theta + m->w_off[k], *bias = m->theta + m->b_off[k];
        mlp_real *z = w->a[k + 1];
        if (k == 0 && !w->in) {
            memset(z, 0, (size_t)b->n * n_out * sizeof(mlp_real));
            s_csr_times(b, false, W, n_out, z);
        } else {
            s_rows_times(b->n, n_in, n_out, k == 0 ? w->in : w->a[k], W, CblasNoTrans, z);
        }
        if (k + 1 < m->n_layers)
            s_bias_activate(m->act, z, bias, b->n, n_out);
        else
            s_output(z, bias, b->n, n_out, m->softmax);
    }
}

/* Output error dLoss/dz of the mean batch loss into delta; returns the mean data loss.
 * y holds class indices or standardised targets, indexed by row of X. */
static double s_output_delta(const mlp_net_t *m, const mlp_work_t *w, const mlp_batch_t *b,
                             const double *y, mlp_real *delta)
{
    int k = m->sizes[m->n_layers];
    const mlp_real *out = w->a[m->n_layers];
    double loss = 0.0;
    mlp_real inv = (mlp_real)(1.0 / b->n);
    for (int i = 0; i < b->n; i++) {
        const mlp_real *o = out + (size_t)i * k;
        mlp_real *d = delta + (size_t)i * k;
        double t = y[s_row(b, i)];
        if (m->softmax) {
            int c = (int)t;
            for (int j = 0; j < k; j++)
                d[j] = (o[j] - (j == c)) * inv;
            loss -= log(o[c] > MLP_REAL_MIN ? o[c] : MLP_REAL_MIN);
        } else {
            d[0] = (mlp_real)((o[0] - t) / b->n);
            loss += 0.5 * (o[0] - t) * (o[0] - t);
        }
    }
    return loss / b->n;
}

/* gW = reg * W over n values; returns |W|^2 of them. */
static double s_penalty(const mlp_real *W, mlp_real *gW, size_t n, mlp_real reg)
{
    memcpy(gW, W, n * sizeof(mlp_real));
    s_blas.scal((int)n, reg, gW, 1);
    return s_blas.dot((int)n, W, 1, W, 1);
}

/* Gradient of layer k's weights: gW = reg * W + input^T delta. Lazy (w->touched): the
 * penalty's part covers only the rows of the batch's features. Returns the |W|^2 that
 * was penalised. */
static double s_weight_grad(const mlp_net_t *m, mlp_work_t *w, const mlp_batch_t *b, int k,
                            const mlp_real *delta, mlp_real reg)
{
    int n_in = m->sizes[k], n_out = m->sizes[k + 1];
    const mlp_real *W = m->theta + m->w_off[k];
    mlp_real *gW = w->grad + m->w_off[k];
    double penalty = 0.0;
    if (k == 0 && !w->in) {
        for (int t = 0; w->touched && t < w->n_touched; t++) {
            size_t row = (size_t)w->touched[t] * n_out;
            penalty += s_penalty(W + row, gW + row, (size_t)n_out, reg);
        }
        if (!w->touched)
            penalty += s_penalty(W, gW, (size_t)n_in * n_out, reg);
        s_csr_times(b, true, delta, n_out, gW);
        return penalty;
    }
    /* The penalty's gradient rides on the GEMM's beta. */
    memcpy(gW, W, (size_t)n_in * n_out * sizeof(mlp_real));
    s_rows_t_times(b->n, n_in, n_out, k == 0 ? w->in : w->a[k], delta, reg, gW);
    return s_blas.dot(n_in * n_out, W, 1, W, 1);
}

/* Forward and backward pass of one batch: fills w->grad with the gradient of the
 * penalised mean batch loss and returns that loss. */
static double s_loss_grad(const mlp_net_t *m, mlp_work_t *w, const mlp_batch_t *b,
                          const double *y, double alpha)
{
    s_forward(m, w, b);
    mlp_real *delta = w->delta[0], *prev = w->delta[1], reg = (mlp_real)(alpha / b->n);
    double loss = s_output_delta(m, w, b, y, delta), penalty = 0.0;
    for (int k = m->n_layers - 1; k >= 0; k--) {
        int n_in = m->sizes[k], n_out = m->sizes[k + 1];
        penalty += s_weight_grad(m, w, b, k, delta, reg);
        /* Bias gradient: column sums of delta, as a GEMV with a ones vector. */
        s_blas.gemv(CblasRowMajor, CblasTrans, b->n, n_out, 1, delta, n_out, w->ones, 1, 0,
                    w->grad + m->b_off[k], 1);
        if (k == 0)
            break;
        s_rows_times(b->n, n_out, n_in, delta, m->theta + m->w_off[k], CblasTrans, prev);
        s_activate_grad(m->act, w->a[k], prev, (size_t)b->n * n_in);
        mlp_real *t = delta;
        delta = prev;
        prev = t;
    }
    return loss + 0.5 * reg * penalty;
}

/* ---------------------------------------------------------------- training */

typedef struct {
    mlp_real *m1, *m2; /* first and second moment estimates, n_params each */
    long t;            /* steps taken */
} mlp_adam_t;

/* Adam on parameters [from, to), with step size lr (bias correction included).
 * Local restrict pointers let the compiler keep them in registers: through m->theta it
 * must assume each store may change the struct. */
static void s_adam_range(mlp_net_t *m, mlp_adam_t *st, const mlp_real *g, const mlp_opts_t *o,
                         mlp_real lr, size_t from, size_t to)
{
    mlp_real b1 = (mlp_real)o->beta1, b2 = (mlp_real)o->beta2, eps = (mlp_real)o->eps;
    mlp_real c1 = (mlp_real)(1.0 - o->beta1), c2 = (mlp_real)(1.0 - o->beta2);
    mlp_real *restrict th = m->theta, *restrict m1 = st->m1, *restrict m2 = st->m2;
    const mlp_real *restrict gr = g;
    for (size_t i = from; i < to; i++) {
        m1[i] = b1 * m1[i] + c1 * gr[i];
        m2[i] = b2 * m2[i] + c2 * gr[i] * gr[i];
        th[i] -= lr * m1[i] / (sqrt(m2[i]) + eps);
    }
}

/* One Adam step, with scikit-learn's form of the bias correction (in the step size).
 * Lazy: first-layer rows of features absent from the batch keep weights and moments. */
static void s_adam_step(mlp_net_t *m, mlp_adam_t *st, const mlp_work_t *w,
                        const mlp_opts_t *o)
{
    st->t++;
    mlp_real lr = (mlp_real)(o->lr * sqrt(1.0 - pow(o->beta2, (double)st->t)) /
                             (1.0 - pow(o->beta1, (double)st->t)));
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
int mlp_net_train(mlp_net_t *m, const fmatrix_t *X, const double *y, const mlp_opts_t *o,
                  uint64_t seed)
{
    assert(m && X && y && o && X->n_rows > 0 && X->n_cols == m->sizes[0]);
    int n = X->n_rows, batch = (int)(o->batch < n ? o->batch : n);
    mlp_work_t w;
    s_work_init(&w, m, batch, X->dense != NULL, X->dense == NULL);
    mlp_adam_t st = {xcalloc(m->n_params, sizeof(mlp_real)),
                     xcalloc(m->n_params, sizeof(mlp_real)), 0};
    int *perm = xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++)
        perm[i] = i;
    rng_t rng;
    rng_seed(&rng, seed);
    double best = INFINITY;
    long stalled = 0;
    int stopped = 0;
    for (long epoch = 0; !stopped && epoch < o->epochs && stalled <= o->no_change; epoch++) {
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
        stopped = o->progress && o->progress(o->progress_arg, epoch + 1) == 1;
    }
    free(perm);
    free(st.m1);
    free(st.m2);
    s_work_free(&w);
    return stopped;
}

/* ---------------------------------------------------------------- checks and inference */

void mlp_net_forward(const mlp_net_t *m, const fmatrix_t *X, double *out)
{
    assert(m && X && out && X->n_cols == m->sizes[0]);
    size_t k = (size_t)m->sizes[m->n_layers];
    mlp_work_t w;
    s_work_init(&w, m, MLP_PREDICT_ROWS, X->dense != NULL, false);
    for (int start = 0; start < X->n_rows; start += MLP_PREDICT_ROWS) {
        int n = X->n_rows - start < MLP_PREDICT_ROWS ? X->n_rows - start : MLP_PREDICT_ROWS;
        mlp_batch_t b = {X, NULL, start, n};
        s_forward(m, &w, &b);
        for (size_t i = 0; i < (size_t)n * k; i++)
            out[(size_t)start * k + i] = w.a[m->n_layers][i];
    }
    s_work_free(&w);
}

double mlp_net_loss_grad(const mlp_net_t *m, const fmatrix_t *X, const int *rows, int n,
                         const double *y, double alpha, mlp_real *grad)
{
    assert(m && X && rows && n > 0 && X->n_cols == m->sizes[0]);
    mlp_work_t w;
    s_work_init(&w, m, n, X->dense != NULL, false);
    mlp_batch_t b = {X, rows, 0, n};
    double loss = s_loss_grad(m, &w, &b, y, alpha);
    memcpy(grad, w.grad, m->n_params * sizeof(mlp_real));
    s_work_free(&w);
    return loss;
}

/* ---------------------------------------------------------------- self-test */

/* The gradient check per precision: finite-difference step, floor under the scale of a
 * relative error (so parameters with a near-zero gradient do not divide noise), and the
 * largest relative error accepted. Float's rounding of the loss (~1e-7) limits its
 * check to about 1e-3, still far below the errors of a wrong derivative (~1e-1 and up;
 * try breaking s_relu_grad). Equal sums in another order agree to MLP_ROUNDOFF. */
#if MLP_NET_F64
static const double s_fd_step = 1e-5, s_fd_floor = 1e-4, s_fd_tol = 1e-5;
#define MLP_ROUNDOFF 1e-12
#else
static const double s_fd_step = 1e-2, s_fd_floor = 1e-3, s_fd_tol = 1e-2;
#define MLP_ROUNDOFF 1e-5
#endif

/* Largest relative difference between the analytic gradient of the batch loss and
 * central finite differences, over every parameter. */
static double s_grad_check(mlp_net_t *m, const mlp_batch_t *b, const double *y, double alpha)
{
    mlp_work_t w;
    s_work_init(&w, m, b->n, b->X->dense != NULL, false);
    s_loss_grad(m, &w, b, y, alpha);
    mlp_real *g = s_reals(m->n_params);
    memcpy(g, w.grad, m->n_params * sizeof(mlp_real));
    double worst = 0.0;
    for (size_t i = 0; i < m->n_params; i++) {
        mlp_real keep = m->theta[i], up = (mlp_real)(keep + s_fd_step);
        mlp_real down = (mlp_real)(keep - s_fd_step);
        m->theta[i] = up;
        double loss_up = s_loss_grad(m, &w, b, y, alpha);
        m->theta[i] = down;
        double loss_down = s_loss_grad(m, &w, b, y, alpha);
        m->theta[i] = keep;
        /* Divided by the step actually taken: in float, keep +- h rounds. */
        double num = (loss_up - loss_down) / ((double)up - (double)down);
        double scale = fmax(fabs(num) + fabs((double)g[i]), s_fd_floor);
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
                assert(worst < s_fd_tol);
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
    mlp_real *pa = mlp_net_params(a, &n), *pb = mlp_net_params(b, &n2);
    assert(n == 4 * 6 + 6 + 6 * 3 + 3 && n2 == n && memcmp(pa, pb, n * sizeof(mlp_real)) == 0);
    assert(mlp_net_inputs(a) == 4 && mlp_net_outputs(a) == 3);
    double out[7 * 3], out_csr[7 * 3];
    mlp_real g[64], g_csr[64];
    mlp_net_forward(a, &d.X, out);
    mlp_net_forward(a, &d.csr, out_csr);
    double l = mlp_net_loss_grad(a, &d.X, rows, 7, d.y, 0.1, g);
    double l_csr = mlp_net_loss_grad(a, &d.csr, rows, 7, d.y, 0.1, g_csr);
    assert(fabs(l - l_csr) < MLP_ROUNDOFF);
    for (size_t i = 0; i < n; i++)
        assert(fabs(g[i] - g_csr[i]) < MLP_ROUNDOFF);
    for (int i = 0; i < 7; i++) {
        double sum = 0.0;
        for (int k = 0; k < 3; k++) {
            assert(fabs(out[i * 3 + k] - out_csr[i * 3 + k]) < MLP_ROUNDOFF);
            sum += out[i * 3 + k];
        }
        assert(fabs(sum - 1.0) < MLP_ROUNDOFF);
    }
    mlp_net_destroy(&a);
    mlp_net_destroy(&b);
    mlp_net_destroy(&b);
}

void mlp_net_test(bool verbose)
{
    if (verbose)
        printf(" * mlp_net (%s):\n", MLP_NET_F64 ? "double" : "float");
    s_test_gradients(verbose);
    s_test_api();
#if !MLP_NET_F64
    mlp_net_f64_test(verbose); /* the same source in double, with the strict check */
#endif
}
