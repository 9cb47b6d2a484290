/* codepack — deterministic ustar archives of a command objective's code (see codepack.h).
 *
 * Only the subset hps writes is read back: a header block per entry (name split into
 * prefix/name when longer than 100 bytes), file data padded to 512, two zero blocks at
 * the end. Unpacking writes below a directory opened once (openat/mkdirat), never
 * follows a link (none is created, O_NOFOLLOW on every file), and creates every file
 * with O_EXCL, so a second entry of the same path is an error, not an overwrite. */
#include "core/codepack.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

#define BLOCK 512

typedef struct {
    char *name;  /* archive path, no trailing '/'; owned */
    char *src;   /* path on disk; owned */
    bool dir;
    bool exec;
} entry_t;

typedef struct {
    entry_t *v;
    int n;
    size_t bytes; /* file sizes so far */
} list_t;

/* ---- writing ------------------------------------------------------------------------ */

/* Append a ustar header for path (a directory's ends in '/'). -1 with err when the
 * path does not fit the name and prefix fields. */
static int s_header(strbuf_t *sb, const char *path, char type, unsigned mode, size_t size,
                    char *err)
{
    unsigned char h[BLOCK];
    memset(h, 0, sizeof h);
    size_t n = strlen(path), cut = 0;
    if (n > 100) { /* prefix "/" name: the rightmost '/' that leaves both fields fitting */
        for (size_t i = n - 1; i > 0 && !cut; i--)
            if (path[i] == '/' && i <= 155 && n - i - 1 <= 100 && n - i - 1 > 0)
                cut = i;
        if (!cut)
            return set_err(err, "%s: path too long for the code archive", path);
        memcpy(h + 345, path, cut);
        memcpy(h, path + cut + 1, n - cut - 1);
    } else {
        memcpy(h, path, n);
    }
    snprintf((char *)h + 100, 8, "%07o", mode & 07777u);
    snprintf((char *)h + 108, 8, "%07o", 0u);
    snprintf((char *)h + 116, 8, "%07o", 0u);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)h + 136, 12, "%011o", 0u);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 7, "%06o", sum & 0777777u);
    h[155] = ' ';
    sb_putn(sb, (const char *)h, BLOCK);
    return 0;
}

static const char s_zero[2 * BLOCK];

static void s_pad(strbuf_t *sb, size_t size)
{
    if (size % BLOCK)
        sb_putn(sb, s_zero, BLOCK - size % BLOCK);
}

static void s_list_free(list_t *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].src);
    }
    free(l->v);
}

static int s_cmp_names(const void *a, const void *b)
{
    return strcmp(((const entry_t *)a)->name, ((const entry_t *)b)->name);
}

static int s_cmp_strs(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int s_add(list_t *l, const char *src, const char *name, char *err);

/* The entries of directory src (sorted, .git and __pycache__ skipped) under name. */
static int s_add_dir(list_t *l, const char *src, const char *name, char *err)
{
    DIR *d = opendir(src);
    if (!d)
        return set_err(err, "%s: %s", src, strerror(errno));
    char **kids = NULL;
    int n = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *k = e->d_name;
        if (strcmp(k, ".") == 0 || strcmp(k, "..") == 0 || strcmp(k, ".git") == 0 ||
            strcmp(k, "__pycache__") == 0)
            continue;
        kids = xrealloc(kids, sizeof *kids * (size_t)(n + 1));
        kids[n++] = xstrdup(k);
    }
    closedir(d);
    qsort(kids, (size_t)n, sizeof *kids, s_cmp_strs);
    for (int i = 0; i < n; i++) {
        char *ksrc = xasprintf("%s/%s", src, kids[i]);
        char *kname = *name ? xasprintf("%s/%s", name, kids[i]) : xstrdup(kids[i]);
        if (rc == 0)
            rc = s_add(l, ksrc, kname, err);
        free(ksrc);
        free(kname);
        free(kids[i]);
    }
    free(kids);
    return rc;
}

/* src (and, for a directory, everything below it) as archive path name. */
static int s_add(list_t *l, const char *src, const char *name, char *err)
{
    struct stat st;
    if (lstat(src, &st) != 0)
        return set_err(err, "%s: %s", src, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return set_err(err, "%s: is a symlink (code is packed as regular files and "
                       "directories only: copy what it points to)", src);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return set_err(err, "%s: not a regular file or directory", src);
    if (!*name && !S_ISDIR(st.st_mode))
        return set_err(err, "%s: not a directory", src);
    if (strlen(name) + 1 > CODEPACK_MAX_PATH)
        return set_err(err, "%s: archive path longer than %d bytes", src, CODEPACK_MAX_PATH);
    if (l->n >= CODEPACK_MAX_ENTRIES)
        return set_err(err, "code has more than %d files and directories", CODEPACK_MAX_ENTRIES);
    if (S_ISREG(st.st_mode))
        l->bytes += (size_t)st.st_size;
    if (l->bytes > CODEPACK_MAX_BYTES)
        return set_err(err, "code is larger than %zu MB", CODEPACK_MAX_BYTES >> 20);
    if (*name) {
        l->v = xrealloc(l->v, sizeof *l->v * (size_t)(l->n + 1));
        l->v[l->n++] = (entry_t){xstrdup(name), xstrdup(src), S_ISDIR(st.st_mode),
                                 (st.st_mode & 0111) != 0};
    }
    return S_ISDIR(st.st_mode) ? s_add_dir(l, src, name, err) : 0;
}

/* Append entry e (header and data). */
static int s_emit(strbuf_t *sb, const entry_t *e, char *err)
{
    if (e->dir) {
        char *path = xasprintf("%s/", e->name);
        int rc = s_header(sb, path, '5', 0755, 0, err);
        free(path);
        return rc;
    }
    size_t len;
    char *data = file_read_max(e->src, CODEPACK_MAX_BYTES, &len, err);
    if (!data)
        return -1;
    int rc = s_header(sb, e->name, '0', e->exec ? 0755 : 0644, len, err);
    if (rc == 0) {
        sb_putn(sb, data, len);
        s_pad(sb, len);
    }
    free(data);
    return rc;
}

char *codepack_pack(const codepack_root_t *roots, int n, size_t *len, char *err)
{
    list_t l = {0};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = s_add(&l, roots[i].src, roots[i].name, err);
    if (rc == 0 && l.n > 0)
        qsort(l.v, (size_t)l.n, sizeof *l.v, s_cmp_names);
    strbuf_t sb;
    sb_init(&sb);
    for (int i = 0; i < l.n && rc == 0; i++) {
        /* The same path twice: fine when it is the same thing listed twice. */
        if (i > 0 && strcmp(l.v[i].name, l.v[i - 1].name) == 0) {
            if (strcmp(l.v[i].src, l.v[i - 1].src) != 0)
                rc = set_err(err, "'%s' would be packed from both %s and %s", l.v[i].name,
                             l.v[i - 1].src, l.v[i].src);
            continue;
        }
        rc = s_emit(&sb, &l.v[i], err);
        if (rc == 0 && sb.len > CODEPACK_MAX_BYTES)
            rc = set_err(err, "code is larger than %zu MB", CODEPACK_MAX_BYTES >> 20);
    }
    s_list_free(&l);
    if (rc != 0) {
        sb_free(&sb);
        return NULL;
    }
    sb_putn(&sb, s_zero, sizeof s_zero); /* the end: two zero blocks */
    *len = sb.len;
    return sb_take(&sb);
}

/* ---- reading ------------------------------------------------------------------------ */

/* A name from the archive, printable for a message (into out). */
static const char *s_shown(const char *name, char out[CODEPACK_MAX_PATH + 2])
{
    size_t i = 0;
    for (; name[i] && i < CODEPACK_MAX_PATH + 1; i++)
        out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
    out[i] = '\0';
    return out;
}

/* An octal field of n bytes: digits, then NULs or spaces. -1 when it is not that. */
static int s_octal(const unsigned char *f, size_t n, unsigned long long *out)
{
    size_t i = 0;
    unsigned long long v = 0;
    while (i < n && f[i] == ' ')
        i++;
    size_t start = i;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60)
            return -1;
        v = v * 8 + (unsigned)(f[i] - '0');
    }
    if (i == start)
        return -1;
    for (; i < n; i++)
        if (f[i] != 0 && f[i] != ' ')
            return -1;
    *out = v;
    return 0;
}

/* Whether path (no trailing '/') may be written below the unpack directory. */
static int s_path_ok(const char *path, char *err)
{
    char shown[CODEPACK_MAX_PATH + 2];
    if (!*path)
        return set_err(err, "code archive: an entry with an empty path");
    if (path[0] == '/')
        return set_err(err, "code archive: entry '%s': absolute path refused",
                       s_shown(path, shown));
    for (const char *c = path; *c;) {
        size_t k = strcspn(c, "/");
        if (k == 0 || (k == 1 && c[0] == '.'))
            return set_err(err, "code archive: entry '%s': empty or '.' path component "
                           "refused", s_shown(path, shown));
        if (k == 2 && c[0] == '.' && c[1] == '.')
            return set_err(err, "code archive: entry '%s': '..' refused (it would write "
                           "outside the code directory)", s_shown(path, shown));
        c += k;
        if (*c)
            c++;
    }
    return 0;
}

/* Parse and check header h: path (no trailing '/') into path, *dir, *size. */
static int s_parse(const unsigned char *h, char path[CODEPACK_MAX_PATH + 2], bool *dir,
                   unsigned long long *size, char *err)
{
    unsigned long long want;
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += i >= 148 && i < 156 ? ' ' : h[i];
    if (memcmp(h + 257, "ustar", 5) != 0 || s_octal(h + 148, 8, &want) != 0 || want != sum)
        return set_err(err, "code archive: bad header (not an hps code archive, or damaged)");
    size_t np = strnlen((const char *)h + 345, 155), nn = strnlen((const char *)h, 100);
    if (np)
        snprintf(path, CODEPACK_MAX_PATH + 2, "%.*s/%.*s", (int)np, h + 345, (int)nn, h);
    else
        snprintf(path, CODEPACK_MAX_PATH + 2, "%.*s", (int)nn, h);
    char type = (char)h[156], shown[CODEPACK_MAX_PATH + 2];
    size_t n = strlen(path);
    if (type == '5' && n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    if (type == '1' || type == '2')
        return set_err(err, "code archive: entry '%s': a %s link, refused (code archives "
                       "hold regular files and directories only)", s_shown(path, shown),
                       type == '2' ? "symbolic" : "hard");
    if (type != '0' && type != '\0' && type != '5')
        return set_err(err, "code archive: entry '%s': type '%c' refused (a device, FIFO or "
                       "extension header; only regular files and directories)",
                       s_shown(path, shown), type >= 0x20 && type < 0x7f ? type : '?');
    if (s_octal(h + 124, 12, size) != 0)
        return set_err(err, "code archive: entry '%s': bad size field", s_shown(path, shown));
    *dir = type == '5';
    return s_path_ok(path, err);
}

/* mkdir -p of path's parent directories below root. */
static int s_parents(int root, const char *path, char *err)
{
    char buf[CODEPACK_MAX_PATH + 2];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *c = strchr(buf, '/'); c; c = strchr(c + 1, '/')) {
        *c = '\0';
        if (mkdirat(root, buf, 0755) != 0 && errno != EEXIST)
            return set_err(err, "code archive: %s: %s", buf, strerror(errno));
        *c = '/';
    }
    return 0;
}

/* Write one entry below root. */
static int s_write(int root, const char *path, bool dir, unsigned mode, const void *data,
                   size_t size, char *err)
{
    if (s_parents(root, path, err) != 0)
        return -1;
    if (dir) {
        struct stat st;
        if (mkdirat(root, path, 0755) != 0 &&
            !(errno == EEXIST && fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISDIR(st.st_mode)))
            return set_err(err, "code archive: entry '%s': %s", path, strerror(errno));
        return 0;
    }
    int fd = openat(root, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    mode & 0111 ? 0755 : 0644);
    if (fd < 0)
        return set_err(err, "code archive: entry '%s': %s", path,
                       errno == EEXIST ? "a second entry of the same path" : strerror(errno));
    if (write_all(fd, data, size) != 0) {
        set_err(err, "code archive: entry '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (close(fd) != 0)
        return set_err(err, "code archive: entry '%s': %s", path, strerror(errno));
    return 0;
}

/* Every entry of the archive below root. */
static int s_extract(const unsigned char *p, size_t len, size_t max, int root, char *err)
{
    size_t off = 0, total = 0;
    int n = 0;
    while (off <= len && len - off >= BLOCK) {
        const unsigned char *h = p + off;
        if (memcmp(h, s_zero, BLOCK) == 0)
            return 0;
        char path[CODEPACK_MAX_PATH + 2], shown[CODEPACK_MAX_PATH + 2];
        bool dir = false;
        unsigned long long size = 0, mode = 0644;
        if (s_parse(h, path, &dir, &size, err) != 0)
            return -1;
        s_octal(h + 100, 8, &mode);
        off += BLOCK;
        if (size > len - off)
            return set_err(err, "code archive: entry '%s' claims %llu bytes, beyond the end "
                           "of the archive", s_shown(path, shown), size);
        total += (size_t)size;
        if (total > max)
            return set_err(err, "code archive: unpacks to more than %zu bytes (the bound)", max);
        if (++n > CODEPACK_MAX_ENTRIES)
            return set_err(err, "code archive: more than %d entries", CODEPACK_MAX_ENTRIES);
        if (s_write(root, path, dir, (unsigned)mode, p + off, (size_t)size, err) != 0)
            return -1;
        off += ((size_t)size + BLOCK - 1) / BLOCK * BLOCK;
    }
    return set_err(err, "code archive: truncated (no end marker)");
}

static int s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* rm -r path, not following links; a missing path is fine. */
static void s_rmtree(const char *path)
{
    if (nftw(path, s_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        fprintf(stderr, "hps: cannot remove %s: %s\n", path, strerror(errno));
}

int codepack_unpack(const void *data, size_t len, size_t max, const char *dest, char *err)
{
    if (len > max)
        return set_err(err, "code archive: %zu bytes, more than the %zu allowed", len, max);
    char *tmp = xasprintf("%s.tmp.%d", dest, (int)getpid());
    s_rmtree(tmp); /* left by a killed process that had our pid */
    int rc = 0, root = -1;
    if (mkdir(tmp, 0700) != 0 || (root = open(tmp, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0)
        rc = set_err(err, "%s: %s", tmp, strerror(errno));
    if (rc == 0)
        rc = s_extract(data, len, max, root, err);
    if (root >= 0 && close(root) != 0 && rc == 0)
        rc = set_err(err, "%s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, dest) != 0 && errno != EEXIST && errno != ENOTEMPTY)
        rc = set_err(err, "%s: %s", dest, strerror(errno));
    s_rmtree(tmp); /* gone after the rename; else a failure's or a lost race's leftovers */
    free(tmp);
    return rc;
}

/* For the unit test (codepack_test.c): append a raw header. */
int codepack__header(strbuf_t *sb, const char *path, char type, unsigned mode, size_t size,
                     char *err);
int codepack__header(strbuf_t *sb, const char *path, char type, unsigned mode, size_t size,
                     char *err)
{
    return s_header(sb, path, type, mode, size, err);
}
