/* cluster — `hps cluster up|down|status|submit`: a coordinator and workers on a few
 * machines started over ssh, with CURVE keys made and copied, and stopped again from
 * the state file up leaves (docs/launchers.md). Exit codes: 0 done, 1 a host or process
 * failed (named on stderr; up stops what it had started), 2 bad flags or hosts file. */
#ifndef HPS_CLI_CLUSTER_H
#define HPS_CLI_CLUSTER_H

#include <stdbool.h>

int cluster_main(int argc, char **argv);

#endif
