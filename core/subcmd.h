/* subcmd — the `PROG COMMAND [options]` front door shared by hps and hps-bench: the
 * command table, help, "did you mean", --version, and -h/--help anywhere. */
#ifndef HPS_SUBCMD_H
#define HPS_SUBCMD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command's name */
    const char *help;                 /* one line for PROG --help */
} subcmd_t;

/* Dispatch argv[1] among the n commands of table and return the exit code: 0 ok, 1
 * runtime failure, 2 bad input. `PROG`, `PROG --help`, `PROG help [COMMAND]` and
 * `PROG --version` are answered here; -h or --help anywhere before "--" prints the
 * command's help and runs nothing (a parser would otherwise take `-o -h` as a value). */
int subcmd_main(const char *prog, const subcmd_t *table, size_t n, int argc, char **argv);

void subcmd_test(bool verbose);

#endif
