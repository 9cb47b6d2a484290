/* idle — `hps-bench idle --connect EP --workers N [--secs S]`: N idle fake workers
 * against a coordinator (see idle.c). Exit code: 0 done, 1 failure, 2 bad arguments. */
#ifndef HPS_BENCH_IDLE_H
#define HPS_BENCH_IDLE_H

int bench_idle_main(int argc, char **argv);

#endif
