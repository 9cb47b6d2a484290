/* codepack — a `command` objective's code as one deterministic archive, and back.
 *
 * `code: [train.py, lib/]` or `code_dir: DIR` (paths relative to the config file) are
 * packed by run/submit into one blob, uploaded like the dataset and named by its
 * sha256 (objective.code_sha256 in the stored study); a worker unpacks it into its
 * cache and runs the command there, so no shared file system is needed for code.
 *
 * The archive is POSIX ustar, written and read here for regular files and directories
 * only: entries sorted by path, uid/gid 0, mtime 0, modes 0644/0755 (the executable
 * bit kept), no user or group names. The same tree so packs to the same bytes (and
 * sha) on any machine, and `tar tvf` can list it. Reading refuses what could escape or
 * surprise: absolute paths, `..`, empty or `.` components, links, devices, FIFOs,
 * extension headers, a bad checksum, duplicate entries, sizes beyond the archive or
 * the bounds below. Packing refuses symlinks and special files, and skips `.git` and
 * `__pycache__` directories. */
#ifndef HPS_CODEPACK_H
#define HPS_CODEPACK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

#define CODEPACK_MAX_BYTES ((size_t)256 << 20) /* archive and unpacked size bound */
#define CODEPACK_MAX_ENTRIES 20000
#define CODEPACK_MAX_PATH 255                  /* bytes of an entry's path (ustar) */

/* One thing to pack: src on disk under the archive path name ("" = src is a
 * directory whose contents go at the top). */
typedef struct {
    const char *src;
    const char *name;
} codepack_root_t;

/* Pack roots into an archive (caller frees; *len its size). NULL with err naming the
 * file (a symlink, a special file, unreadable, a path too long, too large). */
char *codepack_pack(const codepack_root_t *roots, int n, size_t *len, char *err);

/* Unpack an archive of at most max bytes (unpacked alike) into dest, which must not
 * exist: the tree is built beside it and renamed into place, so dest is whole or
 * absent. A dest that appears meanwhile (another worker sharing the cache) is kept.
 * -1 with err ("code archive: entry '../x': ..."), leaving nothing behind. */
int codepack_unpack(const void *data, size_t len, size_t max, const char *dest, char *err);

/* Check the shape of a command objective's code options (code: a path or a list of
 * relative paths without `..`; code_dir: a path; not both; not with cwd;
 * code_sha256: 64 hex digits). Adds errors at the nodes. */
void codepack_check(const cfg_node_t *objective, cfg_errs_t *errs);

/* The archive of objective's code/code_dir, paths relative to the directory of the
 * config file that sets them (the current directory for an override). 0 with
 * *data NULL when the objective has no code; -1 with errors at the node. */
int codepack_of_config(const cfg_node_t *objective, char **data, size_t *len,
                       cfg_errs_t *errs);

void codepack_test(bool verbose);

#endif
