/* mlp_net_f64 — objectives/mlp_net.c compiled a second time in double precision.
 *
 * The mlp model trains in float (mlp_real, mlp_net.h), where a finite-difference check
 * of back-propagation can only ask for agreement to about 1e-2. The same source in
 * double can ask for 1e-5, which catches much subtler mistakes; mlp_net_test() runs
 * this copy's self-test after its own. The public names are renamed here so both
 * copies link into one program; a public function added to mlp_net.c without a line
 * below shows up as a duplicate symbol at link time. */
#define MLP_NET_F64 1

#define mlp_net_s mlp_net_f64_s
#define mlp_net_new mlp_net_f64_new
#define mlp_net_destroy mlp_net_f64_destroy
#define mlp_net_inputs mlp_net_f64_inputs
#define mlp_net_outputs mlp_net_f64_outputs
#define mlp_net_params mlp_net_f64_params
#define mlp_net_train mlp_net_f64_train
#define mlp_net_forward mlp_net_f64_forward
#define mlp_net_loss_grad mlp_net_f64_loss_grad
#define mlp_net_test mlp_net_f64_test

#include "objectives/mlp_net.c"
