/* mlp_net — the network behind the mlp model (objectives/mlp.c): parameter layout,
 * forward and backward passes, and minibatch Adam training.
 *
 * Kept apart from the model_ops_t glue so the maths can be checked directly: the
 * self-test compares back-propagated gradients with finite differences. The loss is
 * the mean over a batch of cross-entropy after a softmax output, or of half the squared
 * error after an identity output, plus `0.5 * alpha * |W|^2 / batch` (weights only, as
 * scikit-learn).
 *
 * Precision: the network computes in mlp_real, float unless MLP_NET_F64 is 1 before
 * this header. Single-precision GEMMs run twice as fast as double ones and the
 * trained models score the same; objectives/mlp_net_f64.c compiles the same source
 * again in double (its functions are named mlp_net_f64_*) so that the self-test can
 * hold back-propagation to a gradient check as strict as double allows. */
#ifndef HPS_MLP_NET_H
#define HPS_MLP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objectives/model.h"

#define MLP_NET_MAX_HIDDEN 8 /* hidden layers */

#ifndef MLP_NET_F64
#define MLP_NET_F64 0
#endif
#if MLP_NET_F64
typedef double mlp_real;
#else
typedef float mlp_real;
#endif

typedef enum { MLP_RELU, MLP_TANH, MLP_LOGISTIC } mlp_act_t;

/* Training options; scikit-learn's names in brackets. */
typedef struct {
    double lr;       /* Adam step size [learning_rate_init] */
    double alpha;    /* L2 penalty [alpha] */
    double beta1, beta2, eps; /* Adam [beta_1, beta_2, epsilon] */
    double tol;      /* an epoch's loss must drop by this to count as progress [tol] */
    long epochs;     /* passes over the data at most [max_iter] */
    long batch;      /* rows per minibatch, clamped to the row count [batch_size] */
    long no_change;  /* stop after this many epochs without progress [n_iter_no_change] */
    /* Called after each epoch (1, 2, ...) with the network as it stands; returning 1
     * stops training there. NULL = no calls. */
    int (*progress)(void *arg, long epoch);
    void *progress_arg;
} mlp_opts_t;

typedef struct mlp_net_s mlp_net_t;

/* A network of n_hidden + 1 weight layers: sizes[0] inputs, sizes[1..n_hidden] hidden
 * units with activation act, sizes[n_hidden + 1] outputs through a softmax (softmax)
 * or the identity. Weights and biases are Glorot-uniform from seed. Can't fail. */
mlp_net_t *mlp_net_new(int n_hidden, const int *sizes, mlp_act_t act, bool softmax,
                       uint64_t seed);
void mlp_net_destroy(mlp_net_t **self_p);
int mlp_net_inputs(const mlp_net_t *net);
int mlp_net_outputs(const mlp_net_t *net);

/* All weights and biases in one block, layer by layer: W (inputs x outputs,
 * row-major) then b. Borrowed; writable, for checks. *n gets the count. */
mlp_real *mlp_net_params(mlp_net_t *net, size_t *n);

/* Train on X (dense or CSR, mlp_net_inputs columns) and y (class index for a softmax
 * output, else the target) with minibatch Adam; the shuffling is seeded. Returns 1 when
 * o->progress stopped it, else 0 (epochs done, or no progress for o->no_change).
 * With CSR input the first layer is updated lazily, as sparse optimisers do (PyTorch's
 * SparseAdam): a step changes only the rows of features present in the batch, penalty
 * and moments included, so a step costs what the batch holds, not n_inputs x hidden.
 * When every feature occurs in every batch this is exactly the dense update. */
int mlp_net_train(mlp_net_t *net, const fmatrix_t *X, const double *y,
                  const mlp_opts_t *o, uint64_t seed);

/* Outputs for every row of X into out[n_rows * outputs], computed in mlp_real.
 * Can't fail. */
void mlp_net_forward(const mlp_net_t *net, const fmatrix_t *X, double *out);

/* The penalised mean loss over rows[0..n) of X, and its gradient into
 * grad[n_params]. Allocates its own scratch: for checks, not for training loops. */
double mlp_net_loss_grad(const mlp_net_t *net, const fmatrix_t *X, const int *rows, int n,
                         const double *y, double alpha, mlp_real *grad);

/* mlp_net_test() runs its checks in float, then mlp_net_f64_test() runs them in double. */
void mlp_net_test(bool verbose);
void mlp_net_f64_test(bool verbose);

#endif
