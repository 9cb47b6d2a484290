/* cli_flags — flag parsing shared by the command front-ends (see cli_flags.h). */
#include "cli/cli_flags.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/auth.h"
#include "core/util.h"

int cli_flag_long(const char *cmd, const char *flag, const char *arg, long lo, long hi, long *out)
{
    long v;
    if (parse_long(arg, &v) != 0 || v < lo || v > hi) {
        fprintf(stderr, "hps %s: %s: expected an integer in %ld..%ld, got '%s'\n", cmd, flag, lo,
                hi, arg);
        return -1;
    }
    *out = v;
    return 0;
}

bool cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Whether path lies in or is folder dir; a path not there yet counts by its nearest
 * existing ancestor (where mkdir -p would make it). */
static bool s_inside(const char *path, const char *dir)
{
    char rdir[PATH_MAX], rpath[PATH_MAX];
    if (!realpath(dir, rdir))
        return false;
    char *copy = xstrdup(path);
    bool found = realpath(copy, rpath) != NULL;
    while (!found) {
        char *slash = strrchr(copy, '/');
        if (!slash || slash == copy) {
            found = realpath(slash ? "/" : ".", rpath) != NULL;
            break;
        }
        *slash = '\0';
        found = realpath(copy, rpath) != NULL;
    }
    free(copy);
    size_t n = strlen(rdir);
    return found && strncmp(rpath, rdir, n) == 0 && (rpath[n] == '\0' || rpath[n] == '/');
}

const char *cli_output_clash(const char *out, const char *db, const char *const *inputs, int n)
{
    if (!out || strcmp(out, "-") == 0)
        return NULL;
    const char *what = NULL;
    if (db) {
        char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);
        char *blobs = xasprintf("%s.blobs", db);
        what = cli_same_file(out, db) || cli_same_file(out, wal) || cli_same_file(out, shm)
                   ? "the study file"
               : s_inside(out, blobs) ? "inside the study file's .blobs folder"
                                      : NULL;
        free(wal);
        free(shm);
        free(blobs);
    }
    for (int i = 0; !what && i < n; i++)
        if (cli_same_file(out, inputs[i]))
            what = "an input";
    return what;
}

/* For a file to write at path: what is wrong with where it goes, or NULL. */
static const char *s_file_place(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode) ? "is a folder: name a file" : NULL;
    char *copy = xstrdup(path), *slash = strrchr(copy, '/');
    const char *parent = !slash ? "." : slash == copy ? "/" : (*slash = '\0', copy);
    bool ok = stat(parent, &st) == 0 && S_ISDIR(st.st_mode);
    free(copy);
    return ok ? NULL : "in a folder that does not exist";
}

int cli_check_output(const char *cmd, const char *out, const char *db,
                     const char *const *inputs, int n, bool file)
{
    const char *what = cli_output_clash(out, db, inputs, n);
    if (what) {
        fprintf(stderr, "hps %s: -o %s is %s: writing it would destroy it\n", cmd, out, what);
        return 2;
    }
    what = file && out && strcmp(out, "-") != 0 ? s_file_place(out) : NULL;
    if (what)
        fprintf(stderr, "hps %s: -o %s %s\n", cmd, out, what);
    return what ? 2 : 0;
}

int cli_check_plain(const char *cmd, const char *endpoint, const char *cert)
{
    const char *bad = endpoint ? auth_endpoint_problem(endpoint) : NULL;
    if (bad) {
        fprintf(stderr, "hps %s: %s: %s\n", cmd, endpoint, bad);
        return -1;
    }
    if (!endpoint || cert || auth_endpoint_local(endpoint))
        return 0;
    fprintf(stderr, "hps %s: %s is not a loopback address: CURVE keys are required "
                    "(--cert FILE --server-key FILE; see hps keygen)\n", cmd, endpoint);
    return -1;
}

void cli_coord_defaults(coord_opts_t *co)
{
    co->db_path = "hps.db";
    co->heartbeat_ms = 1000;
    co->lease_ms = 10000;
    co->sync_full = false;
}

int cli_coord_flag(const char *cmd, coord_opts_t *co, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case 'd': co->db_path = arg; return 0;
    case 'H':
        if (cli_flag_long(cmd, "--heartbeat-ms", arg, 10, 600000, &v) != 0)
            return -1;
        co->heartbeat_ms = (int)v;
        return 0;
    case 'L':
        if (cli_flag_long(cmd, "--lease-ms", arg, 50, 86400000, &v) != 0)
            return -1;
        co->lease_ms = (int)v;
        return 0;
    case 'S':
        if (strcmp(arg, "full") != 0 && strcmp(arg, "normal") != 0) {
            fprintf(stderr, "hps %s: --sync: expected full or normal, got '%s'\n", cmd, arg);
            return -1;
        }
        co->sync_full = strcmp(arg, "full") == 0;
        return 0;
    default: return 1;
    }
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "hps %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return 2;
}
