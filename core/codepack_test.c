/* codepack_test — packing is deterministic and round-trips; unpacking refuses what
 * could escape the code directory or surprise it (`..`, absolute paths, links,
 * devices, oversize, damaged headers), each with its own message, leaving nothing. */
#include "core/codepack.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

int codepack__header(strbuf_t *sb, const char *path, char type, unsigned mode, size_t size,
                     char *err);

static void s_put(const char *dir, const char *rel, const char *text, mode_t mode)
{
    char *p = xasprintf("%s/%s", dir, rel), err[HPS_ERR_LEN];
    assert(file_write_atomic(p, text, strlen(text), err) == 0 && chmod(p, mode) == 0);
    free(p);
}

/* An archive of one crafted entry (and data of size bytes) unpacked into dest: must be
 * refused with a message containing want, and leave no dest. */
static void s_refused(const char *dest, const char *path, char type, size_t size,
                      size_t claimed, size_t max, const char *want, bool verbose)
{
    strbuf_t sb;
    sb_init(&sb);
    char err[HPS_ERR_LEN];
    assert(codepack__header(&sb, path, type, 0644, claimed, err) == 0);
    for (size_t i = 0; i < size; i++)
        sb_putc(&sb, 'x');
    while (sb.len % 512)
        sb_putc(&sb, '\0');
    for (int i = 0; i < 1024; i++)
        sb_putc(&sb, '\0');
    int rc = codepack_unpack(sb.buf, sb.len, max, dest, err);
    if (verbose)
        printf("  %s: %s\n", path, err);
    assert(rc == -1 && strstr(err, want));
    assert(access(dest, F_OK) != 0);
    sb_free(&sb);
}

void codepack_test(bool verbose)
{
    char dir[] = "/tmp/hps-codepack-XXXXXX", err[HPS_ERR_LEN];
    assert(mkdtemp(dir));
    char *src = xasprintf("%s/src", dir), *lib = xasprintf("%s/src/lib", dir);
    char *cache = xasprintf("%s/src/lib/__pycache__", dir);
    assert(mkdir(src, 0755) == 0 && mkdir(lib, 0755) == 0 && mkdir(cache, 0755) == 0);
    s_put(src, "train.py", "print(1)\n", 0755);
    s_put(src, "lib/util.py", "X = 2\n", 0644);
    s_put(src, "lib/__pycache__/util.pyc", "junk", 0644);

    /* Deterministic: same bytes twice, and after a touch. */
    codepack_root_t roots[] = {{src, ""}};
    size_t len1, len2;
    char *a = codepack_pack(roots, 1, &len1, err);
    if (!a)
        fprintf(stderr, "%s\n", err);
    assert(a && len1 % 512 == 0);
    s_put(src, "train.py", "print(1)\n", 0755); /* new mtime, same content */
    char *b = codepack_pack(roots, 1, &len2, err);
    assert(b && len1 == len2 && memcmp(a, b, len1) == 0);
    assert(!memmem(a, len1, "__pycache__", 11));
    free(b);

    /* Round trip: what is unpacked packs to the same bytes; the exec bit is kept. */
    char *out = xasprintf("%s/out", dir);
    assert(codepack_unpack(a, len1, CODEPACK_MAX_BYTES, out, err) == 0);
    codepack_root_t again[] = {{out, ""}};
    b = codepack_pack(again, 1, &len2, err);
    assert(b && len1 == len2 && memcmp(a, b, len1) == 0);
    char *train = xasprintf("%s/train.py", out);
    struct stat st;
    assert(stat(train, &st) == 0 && (st.st_mode & 0100));
    /* A second unpack to the same place (another worker was first) keeps it. */
    assert(codepack_unpack(a, len1, CODEPACK_MAX_BYTES, out, err) == 0);
    free(a);
    free(b);

    /* Named items keep their path; the same file listed twice is packed once. */
    char *util = xasprintf("%s/util.py", lib);
    codepack_root_t named[] = {{lib, "lib"}, {util, "lib/util.py"}};
    a = codepack_pack(named, 2, &len1, err);
    assert(a && memmem(a, len1, "lib/util.py", 11) && !memmem(a, len1, "train.py", 8));
    free(a);

    /* Packing refuses a symlink and a file as code_dir. */
    char *link = xasprintf("%s/link.py", src);
    assert(symlink("train.py", link) == 0);
    assert(!codepack_pack(roots, 1, &len1, err) && strstr(err, "symlink"));
    codepack_root_t file_root[] = {{train, ""}};
    assert(!codepack_pack(file_root, 1, &len1, err) && strstr(err, "not a directory"));

    /* Unpacking refuses each of these, naming it. */
    char *dest = xasprintf("%s/bad", dir);
    s_refused(dest, "../x", '0', 1, 1, CODEPACK_MAX_BYTES, "'..' refused", verbose);
    s_refused(dest, "a/../../x", '0', 1, 1, CODEPACK_MAX_BYTES, "'..' refused", verbose);
    s_refused(dest, "/etc/x", '0', 1, 1, CODEPACK_MAX_BYTES, "absolute path", verbose);
    s_refused(dest, "ln", '2', 0, 0, CODEPACK_MAX_BYTES, "symbolic link", verbose);
    s_refused(dest, "hl", '1', 0, 0, CODEPACK_MAX_BYTES, "hard link", verbose);
    s_refused(dest, "dev", '3', 0, 0, CODEPACK_MAX_BYTES, "type '3' refused", verbose);
    s_refused(dest, "big", '0', 10, 1 << 20, CODEPACK_MAX_BYTES, "beyond the end", verbose);
    s_refused(dest, "big", '0', 3000, 3000, 2048, "more than", verbose);
    /* A damaged header, and an archive cut short. */
    strbuf_t sb;
    sb_init(&sb);
    assert(codepack__header(&sb, "ok.py", '0', 0644, 0, err) == 0);
    sb.buf[0] = 'O';
    assert(codepack_unpack(sb.buf, sb.len, 4096, dest, err) == -1 && strstr(err, "bad header"));
    sb.buf[0] = 'o';
    assert(codepack_unpack(sb.buf, sb.len, 4096, dest, err) == -1 && strstr(err, "truncated"));
    assert(access(dest, F_OK) != 0);
    /* Two entries of one path: the second is refused, not written over the first. */
    assert(codepack__header(&sb, "ok.py", '0', 0644, 0, err) == 0);
    for (int i = 0; i < 1024; i++)
        sb_putc(&sb, '\0');
    assert(codepack_unpack(sb.buf, sb.len, 4096, dest, err) == -1 && strstr(err, "second"));
    sb_free(&sb);

    char *cmd = xasprintf("rm -rf %s", dir);
    assert(system(cmd) == 0);
    free(cmd);
    free(dest);
    free(link);
    free(util);
    free(train);
    free(out);
    free(cache);
    free(lib);
    free(src);
}
