/* blobs — content-addressed dataset folder (see blobs.h). */
#include "coordinator/blobs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

char *blob_path(const char *dir, const char *sha) { return xasprintf("%s/%s", dir, sha); }

bool blob_exists(const char *dir, const char *sha)
{
    char *p = blob_path(dir, sha);
    bool ok = access(p, R_OK) == 0;
    free(p);
    return ok;
}

int blob_import(const char *dir, const char *file, char sha[65], char *err)
{
    if (sha256_file(file, sha, err) != 0 || mkdir_p(dir, err) != 0)
        return -1;
    if (blob_exists(dir, sha))
        return 0;
    size_t len;
    char *data = file_read(file, &len, err);
    if (!data)
        return -1;
    int rc = blob_import_mem(dir, data, len, sha, err);
    free(data);
    return rc;
}

int blob_import_mem(const char *dir, const void *data, size_t len, char sha[65], char *err)
{
    sha256_hex(data, len, sha);
    if (mkdir_p(dir, err) != 0)
        return -1;
    if (blob_exists(dir, sha))
        return 0;
    char *p = blob_path(dir, sha);
    int rc = file_write_atomic(p, data, len, err);
    if (rc == 0 && chmod(p, BLOB_FILE_MODE) != 0)
        rc = set_err(err, "%s: %s", p, strerror(errno));
    free(p);
    return rc;
}

int blob_read(const char *dir, const char *sha, int64_t offset, size_t max, char **data,
              size_t *len, int64_t *total, char *err)
{
    if (!is_sha256_hex(sha))
        return set_err(err, "bad blob name");
    char *p = blob_path(dir, sha);
    FILE *f = fopen(p, "rb");
    free(p);
    if (!f)
        return set_err(err, "no dataset %s on this coordinator", sha);
    struct stat stbuf;
    int rc = fstat(fileno(f), &stbuf);
    if (rc == 0 && (offset < 0 || offset > stbuf.st_size))
        rc = set_err(err, "offset %lld out of range", (long long)offset);
    if (rc == 0 && fseeko(f, offset, SEEK_SET) != 0)
        rc = set_err(err, "seek: %s", strerror(errno));
    if (rc == 0) {
        *total = stbuf.st_size;
        *data = xmalloc(max);
        *len = fread(*data, 1, max, f);
        if (ferror(f)) {
            free(*data);
            *data = NULL;
            rc = set_err(err, "read error");
        }
    }
    fclose(f);
    return rc;
}

int blob_put(const char *dir, const char *sha, int64_t offset, int64_t total, int64_t max_total,
             const void *data, size_t len, int64_t *next, char *err)
{
    if (!is_sha256_hex(sha) || total < 0 || offset < 0 || (int64_t)len > total - offset)
        return set_err(err, "bad upload chunk");
    if (total > max_total)
        return set_err(err, "upload (a dataset or a model) of %lld bytes is larger than this "
                       "coordinator's limit of %lld MB (--max-blob-mb)", (long long)total,
                       (long long)(max_total >> 20));
    if (mkdir_p(dir, err) != 0)
        return -1;
    if (blob_exists(dir, sha)) {
        *next = total;
        return 0;
    }
    char *part = xasprintf("%s/%s.part", dir, sha);
    struct stat stbuf;
    int64_t have = stat(part, &stbuf) == 0 ? stbuf.st_size : 0;
    int rc = 0;
    *next = have;
    if (offset == have) {
        FILE *f = fopen(part, offset == 0 ? "wb" : "ab");
        bool ok = f && fchmod(fileno(f), BLOB_FILE_MODE) == 0 && fwrite(data, 1, len, f) == len;
        /* complete: on disk before it is renamed into the folder the DB relies on */
        if (ok && offset + (int64_t)len == total)
            ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
        if (f && fclose(f) != 0)
            ok = false;
        if (!ok)
            rc = set_err(err, "%s: %s", part, strerror(errno));
        else
            *next = have + (int64_t)len;
    }
    if (rc == 0 && *next == total) {
        char got[65];
        rc = sha256_file(part, got, err);
        if (rc == 0 && strcmp(got, sha) != 0) {
            unlink(part);
            *next = 0;
            rc = set_err(err, "upload does not match sha256 %s", sha);
        } else if (rc == 0) {
            char *p = blob_path(dir, sha);
            if (rename(part, p) != 0)
                rc = set_err(err, "%s: %s", p, strerror(errno));
            free(p);
        }
    }
    free(part);
    return rc;
}

int blob_clean_parts(const char *dir, double max_age, char *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : set_err(err, "%s: %s", dir, strerror(errno));
    time_t now = time(NULL);
    int n = 0;
    struct stat ds;
    if (fstat(dirfd(d), &ds) == 0 && (ds.st_mode & 077) && ds.st_uid == geteuid() &&
        fchmod(dirfd(d), 0700) == 0)
        log_info("%s: mode %04o changed to 0700 (owner only)", dir,
                 (unsigned)(ds.st_mode & 07777));
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        bool part = len == 64 + 5 && strcmp(e->d_name + 64, ".part") == 0;
        if (len < 64 || e->d_name[0] == '.')
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        if (part && difftime(now, st.st_mtime) >= max_age && unlink(p) == 0)
            n++;
        else if ((st.st_mode & 077) && st.st_uid == geteuid() && chmod(p, BLOB_FILE_MODE) == 0)
            log_info("%s: mode %04o changed to %04o (owner only)", p,
                     (unsigned)(st.st_mode & 07777), (unsigned)BLOB_FILE_MODE);
        free(p);
    }
    closedir(d);
    return n;
}
