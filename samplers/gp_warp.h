/* gp_warp — an increasing map of objective values fitted before the GP sees them: a
 * Box-Cox power transform of the values shifted above their minimum, its power chosen
 * by likelihood, so that heavy-tailed values (one bad region a thousand times worse
 * than the rest) do not flatten everything else into noise. */
#ifndef HPS_GP_WARP_H
#define HPS_GP_WARP_H

#include <stdbool.h>

typedef struct {
    double min, shift, lambda;
} gp_warp_t;

/* Fit the warping to n >= 1 values (minimised). */
void gp_warp_fit(gp_warp_t *w, const double *y, int n);
/* The warped value of y (increasing in y). */
double gp_warp(const gp_warp_t *w, double y);
/* log of the derivative of the warping at y (the Jacobian of a likelihood). */
double gp_warp_logderiv(const gp_warp_t *w, double y);

void gp_warp_test(bool verbose);

#endif
