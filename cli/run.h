/* run — `hps run CONFIG [key=value...] [-j N]`: the embedded cluster, a coordinator on
 * a private ipc endpoint and N local workers forked first. Exit code: 0 success, 1
 * runtime failure, 2 bad input, 130/143 interrupted. */
#ifndef HPS_CLI_RUN_H
#define HPS_CLI_RUN_H

int run_main(int argc, char **argv);

#endif
