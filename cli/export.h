/* cli_export — `hps export STUDY --format FMT [-o OUT]`: a study's trials in a format
 * other tools read. The formats are one table in cli/export.c (name -> function), so a
 * new format is one function and one row. Returns the exit code: 0 written, 1 a DB or
 * write error, 2 bad flags, a missing file or an unknown study or format. */
#ifndef HPS_CLI_EXPORT_H
#define HPS_CLI_EXPORT_H

#include <stdbool.h>

#include "core/store.h"

/* One export format: write study's trials from st (open for reading) to out (a path;
 * NULL = stdout, only for formats without needs_out). force: --force was given (a format
 * that refuses to replace what exists at out honours it). 0 ok, 1 bad input (an unknown
 * study, an existing out; err says which), -1 a failure in err. */
typedef int (*export_fn)(store_t *st, const char *study, const char *out, bool force,
                         char *err);

/* hps export STUDY [--db FILE] --format FMT [-o OUT] [--force] */
int export_main(int argc, char **argv);

#endif
