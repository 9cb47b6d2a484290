/* codedir — unpacked `code:` directories in the worker's cache (see codedir.h). */
#include "worker/codedir.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/codepack.h"
#include "core/log.h"
#include "core/util.h"

char *codedir_get(const char *cache_dir, const char *blob_path, const char *sha, char *err)
{
    assert(is_sha256_hex(sha));
    char *parent = xasprintf("%s/code", cache_dir);
    char *dir = xasprintf("%s/%s", parent, sha);
    struct stat st;
    if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        free(parent);
        return dir;
    }
    size_t len = 0;
    char *data = NULL;
    int rc = mkdir_p(parent, err);
    if (rc == 0 && chmod(parent, 0700) != 0) /* private, as the blobs are */
        rc = set_err(err, "%s: %s", parent, strerror(errno));
    if (rc == 0 && !(data = file_read_max(blob_path, CODEPACK_MAX_BYTES, &len, err)))
        rc = -1;
    if (rc == 0)
        rc = codepack_unpack(data, len, CODEPACK_MAX_BYTES, dir, err);
    if (rc == 0)
        log_info("code %.12s unpacked into %s (%zu bytes)", sha, dir, len);
    free(data);
    free(parent);
    if (rc != 0)
        free(dir);
    return rc == 0 ? dir : NULL;
}

void codedir_test(bool verbose)
{
    (void)verbose;
    char dir[] = "/tmp/hps-codedir-XXXXXX", err[HPS_ERR_LEN];
    assert(mkdtemp(dir));
    char *src = xasprintf("%s/src", dir), *file = xasprintf("%s/src/run.py", dir);
    assert(mkdir(src, 0755) == 0 && file_write_atomic(file, "pass\n", 5, err) == 0);
    codepack_root_t roots[] = {{src, ""}};
    size_t len;
    char *data = codepack_pack(roots, 1, &len, err), sha[65];
    assert(data);
    sha256_hex(data, len, sha);
    char *blob = xasprintf("%s/blob", dir);
    assert(file_write_atomic(blob, data, len, err) == 0);
    char *got = codedir_get(dir, blob, sha, err);
    char *want = xasprintf("%s/code/%s/run.py", dir, sha);
    assert(got && access(want, R_OK) == 0);
    assert(unlink(blob) == 0);
    char *again = codedir_get(dir, blob, sha, err); /* there already: the blob is not read */
    assert(again && strcmp(again, got) == 0);
    /* A blob that is not an archive: refused, nothing left under the name. */
    assert(file_write_atomic(blob, "junk", 4, err) == 0);
    sha[0] = sha[0] == 'a' ? 'b' : 'a';
    assert(!codedir_get(dir, blob, sha, err) && strstr(err, "code archive"));
    char *cmd = xasprintf("rm -rf %s", dir);
    assert(system(cmd) == 0);
    free(cmd);
    free(again);
    free(want);
    free(got);
    free(blob);
    free(data);
    free(file);
    free(src);
}
