/* upload — a final refit's artifact to the coordinator (see upload.h). */
#include "worker/upload.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

void upload_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT)
            log_warn("%s: %s", dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        if (unlink(p) != 0 && rmdir(p) != 0)
            log_warn("cannot remove %s: %s", p, strerror(errno));
        free(p);
    }
    closedir(d);
    if (rmdir(dir) != 0)
        log_warn("cannot remove %s: %s", dir, strerror(errno));
}

int upload_dir_make(const char *dir, char *err)
{
    char *parent = xstrdup(dir), *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    int rc = slash ? mkdir_p(parent, err) : 0;
    if (rc == 0 && slash && chmod(parent, 0700) != 0)
        rc = set_err(err, "%s: %s", parent, strerror(errno));
    free(parent);
    if (rc != 0)
        return -1;
    upload_dir_remove(dir); /* a fresh folder: nothing of an earlier run counts */
    if (mkdir(dir, 0700) != 0)
        return set_err(err, "%s: %s", dir, strerror(errno));
    return 0;
}

/* The one entry of dir: 0 with *name (caller frees) or NULL when dir is empty; -1 with
 * err when there are more. */
static int s_only_entry(const char *dir, char **name, char *err)
{
    *name = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return set_err(err, "artifact folder %s: %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && n++ == 0)
            *name = xstrdup(e->d_name);
    closedir(d);
    if (n <= 1)
        return 0;
    free(*name);
    *name = NULL;
    return set_err(err, "the final refit left %d files in its artifact folder "
                   "(HPS_ARTIFACT_DIR): a model is exactly one file (pack several into one)",
                   n);
}

int upload_new(const char *dir, int64_t max_bytes, long trial, int attempt,
               proto_msg_t **tell_p, upload_t **u, char *err)
{
    assert(dir && tell_p && *tell_p && u);
    *u = NULL;
    char *name;
    if (s_only_entry(dir, &name, err) != 0)
        return -1;
    if (!name)
        return 0;
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    int rc = 0;
    if (lstat(path, &st) != 0)
        rc = set_err(err, "artifact %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = set_err(err, "artifact %s is not a regular file (a model is one plain file)", name);
    else if (st.st_size > max_bytes)
        rc = set_err(err, "artifact %s is %lld bytes, over this worker's --max-artifact-mb %lld",
                     name, (long long)st.st_size, (long long)(max_bytes >> 20));
    char sha[65];
    if (rc == 0 && sha256_file(path, sha, err) != 0)
        rc = -1;
    if (rc != 0) {
        free(path);
        free(name);
        return -1;
    }
    upload_t *up = xcalloc(1, sizeof *up);
    *up = (upload_t){.trial = trial, .attempt = attempt, .dir = xstrdup(dir), .path = path,
                     .name = name, .size = st.st_size, .tell = *tell_p};
    memcpy(up->sha, sha, sizeof up->sha);
    *tell_p = NULL;
    *u = up;
    return 0;
}

void upload_destroy(upload_t **u_p)
{
    upload_t *u = *u_p;
    if (!u)
        return;
    upload_dir_remove(u->dir);
    free(u->dir);
    free(u->path);
    free(u->name);
    proto_destroy(&u->tell);
    free(u);
    *u_p = NULL;
}

proto_msg_t *upload_due(upload_t *u, int64_t now, char *err)
{
    err[0] = '\0';
    if (u->sent_at && now - u->sent_at < UPLOAD_RESEND_MS)
        return NULL;
    size_t want = u->size - u->acked < PROTO_CHUNK ? (size_t)(u->size - u->acked) : PROTO_CHUNK;
    char *buf = xmalloc(want ? want : 1);
    int fd = open(u->path, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? pread(fd, buf, want, u->acked) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)want) {
        free(buf);
        set_err(err, "artifact %s: %s", u->path, got < 0 ? strerror(errno) : "file shrank");
        return NULL;
    }
    proto_msg_t *m = proto_new("PUT");
    proto_set_str(m, "sha256", u->sha);
    proto_set_int(m, "offset", u->acked);
    proto_set_int(m, "total", u->size);
    proto_set_bin(m, "data", buf, want);
    proto_set_int(m, "trial", u->trial);
    proto_set_int(m, "attempt", u->attempt);
    free(buf);
    u->sent_at = now;
    return m;
}

int upload_ack(upload_t *u, const proto_msg_t *ack)
{
    int64_t off = proto_int_or(ack, "offset", -1);
    if (off < 0 || off > u->size)
        return 0;
    u->acked = off;
    u->sent_at = 0; /* the next chunk is due at once */
    u->errors = 0;
    return off == u->size;
}

proto_msg_t *upload_tell(upload_t *u)
{
    proto_msg_t *tell = u->tell;
    u->tell = NULL;
    proto_set_str(tell, "artifact", u->sha);
    proto_set_str(tell, "artifact_name", u->name);
    proto_set_int(tell, "artifact_size", u->size);
    return tell;
}

/* ---- self-test ---------------------------------------------------------------------- */

static void s_write(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert(f);
    for (size_t i = 0; i < n; i++)
        fputc((int)(i * 7 % 251), f);
    assert(fclose(f) == 0);
}

void upload_test(bool verbose)
{
    (void)verbose;
    char root[] = "/tmp/hps_upload_XXXXXX", err[HPS_ERR_LEN];
    assert(mkdtemp(root));
    char *dir = xasprintf("%s/artifacts/5.1", root), *file = xasprintf("%s/m.pkl", dir);
    assert(upload_dir_make(dir, err) == 0);
    struct stat st;
    assert(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
    proto_msg_t *tell = proto_new("TELL");
    upload_t *u;
    assert(upload_new(dir, 1 << 20, 5, 1, &tell, &u, err) == 0 && !u && tell); /* empty */
    s_write(file, PROTO_CHUNK + 10);
    assert(upload_new(dir, 100, 5, 1, &tell, &u, err) == -1 && strstr(err, "--max-artifact"));
    char *two = xasprintf("%s/b", dir);
    s_write(two, 1);
    assert(upload_new(dir, 1 << 20, 5, 1, &tell, &u, err) == -1 && strstr(err, "2 files"));
    assert(unlink(two) == 0);
    free(two);
    assert(upload_new(dir, 1 << 20, 5, 1, &tell, &u, err) == 0 && u && !tell);
    char sha[65];
    assert(sha256_file(file, sha, err) == 0 && strcmp(sha, u->sha) == 0);
    proto_msg_t *put = upload_due(u, 1000, err);
    assert(put && proto_int_or(put, "offset", -1) == 0 && proto_int_or(put, "trial", 0) == 5);
    proto_destroy(&put);
    assert(!upload_due(u, 1500, err) && !err[0]);       /* in flight */
    put = upload_due(u, 1000 + UPLOAD_RESEND_MS, err);  /* resent */
    assert(put && proto_int_or(put, "offset", -1) == 0);
    proto_destroy(&put);
    proto_msg_t *ack = proto_new("PUT_ACK");
    proto_set_int(ack, "offset", PROTO_CHUNK);
    assert(upload_ack(u, ack) == 0);
    put = upload_due(u, 5000, err);
    size_t len;
    assert(put && proto_get_bin(put, "data", &len) && len == 10);
    proto_destroy(&put);
    proto_set_int(ack, "offset", PROTO_CHUNK + 10);
    assert(upload_ack(u, ack) == 1);
    proto_destroy(&ack);
    tell = upload_tell(u);
    assert(strcmp(proto_get_str(tell, "artifact"), sha) == 0);
    assert(strcmp(proto_get_str(tell, "artifact_name"), "m.pkl") == 0);
    proto_destroy(&tell);
    upload_destroy(&u);
    assert(access(dir, F_OK) != 0);
    free(file);
    free(dir);
    dir = xasprintf("%s/artifacts", root);
    assert(rmdir(dir) == 0 && rmdir(root) == 0);
    free(dir);
}
