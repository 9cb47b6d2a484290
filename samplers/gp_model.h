/* gp_model — a Gaussian process on points of [0, 1]^d: a Matérn-5/2 kernel with one
 * length scale per dimension (ARD), a signal variance and a noise variance, fitted to
 * standardised observations by maximising the log marginal likelihood (plus priors:
 * weak ones on signal and noise, a firmer one on the length scales) with L-BFGS
 * (liblbfgs) on the logs of the hyperparameters, from fixed starting points so a fit
 * is a pure function of its data. The Cholesky factor comes from LAPACK (OpenBLAS's dpotrf).
 *
 * Prediction gives the posterior mean and standard deviation of the latent function
 * (the noise-free value) in the original units. */
#ifndef HPS_GP_MODEL_H
#define HPS_GP_MODEL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gp_model_s gp_model_t;

#define GP_MODEL_MAXDIM 64

/* Fit to n points x (n x d, row-major) with values y: hyperparameters by maximising the
 * marginal likelihood, or theta (d + 2 values of gp_model_theta) as given when not
 * NULL. cat: NULL, or d flags marking the dimensions that are members of a
 * categorical's one-hot block (their length scales get a weaker prior; unused when
 * theta is given). NULL with err
 * when the kernel matrix cannot be factored. n >= 1, 1 <= d <= GP_MODEL_MAXDIM. */
gp_model_t *gp_model_fit(const double *x, const double *y, int n, int d, const bool *cat,
                         const double *theta, char *err);
void gp_model_destroy(gp_model_t **self_p);

/* Posterior mean and standard deviation at m points (m x d) into mu[m], sd[m] (sd NULL:
 * the means only, without the triangular solve). */
void gp_model_predict(const gp_model_t *self, const double *x, int m, double *mu, double *sd);

/* Fitted hyperparameters: length scales (d), signal and noise variances in
 * standardised units, and the log marginal likelihood reached (without priors). */
const double *gp_model_lengthscales(const gp_model_t *self);
/* The d + 2 hyperparameters as gp_model_fit takes them. */
const double *gp_model_theta(const gp_model_t *self);
double gp_model_signal(const gp_model_t *self);
double gp_model_noise(const gp_model_t *self);
double gp_model_lml(const gp_model_t *self);
/* The log predictive density of each value given all the others (leave-one-out, in
 * closed form from the fit), summed, in the units of the values given; -inf when the
 * kernel matrix cannot be inverted. */
double gp_model_loo(const gp_model_t *self);
/* The lowest posterior mean at the first n (>= 1) points the model was fitted to: the
 * incumbent of expected improvement when the values are noisy (a lucky value lies
 * below the mean there). */
double gp_model_min_mean(const gp_model_t *self, int n);
/* The standard deviation the values were divided by before the fit. */
double gp_model_ystd(const gp_model_t *self);

void gp_model_test(bool verbose);

#endif
