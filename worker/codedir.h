/* codedir — a study's packed `code:` unpacked in the worker's cache, once per sha256.
 *
 * Layout: <cache>/code/<sha256>/ holds the tree a command runs in (its working
 * directory, HPS_CODE_DIR). The blob is unpacked by core/codepack (no path escapes,
 * no links) beside that name and renamed into place, so a directory under its final
 * name is always complete; later trials of the study find it and unpack nothing. */
#ifndef HPS_CODEDIR_H
#define HPS_CODEDIR_H

#include <stdbool.h>

/* The unpacked directory of code blob sha (read from blob_path), under cache_dir
 * (caller frees); unpacks it first when absent. NULL with err (a refused archive
 * names the entry: "code archive: entry '../x': '..' refused ..."). */
char *codedir_get(const char *cache_dir, const char *blob_path, const char *sha, char *err);

void codedir_test(bool verbose);

#endif
