/* blobcache — dataset blobs fetched in chunks and kept by sha256 (see blobcache.h).
 *
 * Chunks are accepted strictly in order (offset == bytes written so far): the worker
 * asks for one chunk at a time, so anything else is a late duplicate of a resent
 * FETCH and is dropped. The hash is checked once the last byte is written, before the
 * rename, so a blob under its final name is always whole and correct. */
#include "worker/blobcache.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

typedef struct {
    char sha[65];
    char *part;      /* part file path; owned */
    int fd;          /* open part file */
    int64_t offset;  /* bytes written */
    int64_t total;   /* blob size; -1 until the first CHUNK */
    int64_t sent_at; /* when the last FETCH went out; 0 = due now */
    int errors;      /* ERROR answers so far */
} fetch_t;

struct blobcache_s {
    char *blobs;     /* dir/blobs; owned */
    char *features;  /* dir/features; owned */
    fetch_t *fetches;
    int n_fetches;
    char (*verified)[65]; /* blobs hashed OK in this process */
    int n_verified;
};

blobcache_t *blobcache_new(const char *dir, char *err)
{
    blobcache_t *self = xcalloc(1, sizeof *self);
    self->blobs = xasprintf("%s/blobs", dir);
    self->features = xasprintf("%s/features", dir);
    if (mkdir_p(self->blobs, err) != 0 || mkdir_p(self->features, err) != 0) {
        blobcache_destroy(&self);
        return NULL;
    }
    /* Datasets and what is fitted on them are private to the worker's user, as the
     * coordinator's blob folder is (0700), whatever the umask or an older hps made. */
    const char *const dirs[] = {dir, self->blobs, self->features};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (chmod(dirs[i], 0700) != 0) {
            set_err(err, "%s: %s", dirs[i], strerror(errno));
            blobcache_destroy(&self);
            return NULL;
        }
    return self;
}

/* Close and remove the part file of fetch i and drop it from the list. */
static void s_drop(blobcache_t *self, int i)
{
    fetch_t *f = &self->fetches[i];
    if (f->fd >= 0 && close(f->fd) != 0)
        log_debug("close %s: %s", f->part, strerror(errno));
    if (unlink(f->part) != 0 && errno != ENOENT)
        log_warn("cannot remove %s: %s", f->part, strerror(errno));
    free(f->part);
    self->fetches[i] = self->fetches[--self->n_fetches];
}

void blobcache_destroy(blobcache_t **self_p)
{
    assert(self_p);
    blobcache_t *self = *self_p;
    if (!self)
        return;
    while (self->n_fetches > 0)
        s_drop(self, 0);
    free(self->fetches);
    free(self->verified);
    free(self->blobs);
    free(self->features);
    free(self);
    *self_p = NULL;
}

const char *blobcache_features_dir(const blobcache_t *self) { return self->features; }
int blobcache_pending(const blobcache_t *self) { return self->n_fetches; }

char *blobcache_path(const blobcache_t *self, const char *sha)
{
    assert(is_sha256_hex(sha));
    return xasprintf("%s/%s", self->blobs, sha);
}

static bool s_verified(const blobcache_t *self, const char *sha)
{
    for (int i = 0; i < self->n_verified; i++)
        if (strcmp(self->verified[i], sha) == 0)
            return true;
    return false;
}

static void s_mark_verified(blobcache_t *self, const char *sha)
{
    if (s_verified(self, sha))
        return;
    size_t n = (size_t)self->n_verified + 1;
    self->verified = xrealloc(self->verified, sizeof *self->verified * n);
    snprintf(self->verified[self->n_verified++], 65, "%s", sha);
}

bool blobcache_ready(blobcache_t *self, const char *sha)
{
    if (s_verified(self, sha))
        return true;
    char *path = blobcache_path(self, sha);
    char got[65], err[HPS_ERR_LEN];
    bool ok = false;
    if (access(path, F_OK) != 0)
        ok = false;
    else if (sha256_file(path, got, err) != 0)
        log_warn("cached blob unreadable, fetching again: %s", err);
    else if (strcmp(got, sha) != 0) {
        log_warn("cached blob %s is corrupt (sha256 %s), fetching again", sha, got);
        if (unlink(path) != 0)
            log_warn("cannot remove %s: %s", path, strerror(errno));
    }
    else
        ok = true;
    if (ok)
        s_mark_verified(self, sha);
    free(path);
    return ok;
}

static int s_find(const blobcache_t *self, const char *sha)
{
    for (int i = 0; i < self->n_fetches; i++)
        if (strcmp(self->fetches[i].sha, sha) == 0)
            return i;
    return -1;
}

void blobcache_want(blobcache_t *self, const char *sha)
{
    assert(is_sha256_hex(sha));
    if (s_find(self, sha) >= 0)
        return;
    size_t n = (size_t)self->n_fetches + 1;
    self->fetches = xrealloc(self->fetches, sizeof *self->fetches * n);
    fetch_t *f = &self->fetches[self->n_fetches++];
    memset(f, 0, sizeof *f);
    snprintf(f->sha, sizeof f->sha, "%s", sha);
    f->part = xasprintf("%s/.%s.%d.part", self->blobs, sha, (int)getpid());
    f->fd = -1;
    f->total = -1;
}

proto_msg_t *blobcache_due(blobcache_t *self, int64_t now)
{
    for (int i = 0; i < self->n_fetches; i++) {
        fetch_t *f = &self->fetches[i];
        if (f->sent_at != 0 && now - f->sent_at < BLOB_RESEND_MS)
            continue;
        if (f->sent_at != 0)
            log_info("no chunk of blob %.12s at %lld for %d ms, asking again", f->sha,
                     (long long)f->offset, BLOB_RESEND_MS);
        f->sent_at = now ? now : 1;
        proto_msg_t *m = proto_new("FETCH");
        proto_set_str(m, "sha256", f->sha);
        proto_set_int(m, "offset", f->offset);
        return m;
    }
    return NULL;
}

static int s_write_all(int fd, const char *buf, size_t len, char *err)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return set_err(err, "write blob: %s", strerror(errno));
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* All bytes are in: sync, close, hash, rename into place. */
static int s_finish(blobcache_t *self, fetch_t *f, char *err)
{
    int rc = fsync(f->fd) != 0 ? set_err(err, "fsync %s: %s", f->part, strerror(errno)) : 0;
    if (close(f->fd) != 0 && rc == 0)
        rc = set_err(err, "close %s: %s", f->part, strerror(errno));
    f->fd = -1;
    char got[65];
    if (rc == 0 && sha256_file(f->part, got, err) != 0)
        rc = -1;
    if (rc == 0 && strcmp(got, f->sha) != 0)
        rc = set_err(err, "blob %s failed verification (received data hashes to %s)", f->sha,
                     got);
    char *path = blobcache_path(self, f->sha);
    if (rc == 0 && rename(f->part, path) != 0)
        rc = set_err(err, "rename %s: %s", path, strerror(errno));
    free(path);
    if (rc == 0)
        s_mark_verified(self, f->sha);
    return rc;
}

/* Store one in-order chunk. 1 complete, 0 more to come, -1 with err. */
static int s_store(blobcache_t *self, fetch_t *f, int64_t total, const char *data, size_t len,
                   char *err)
{
    if (total < 0 || (f->total >= 0 && total != f->total))
        return set_err(err, "blob %s: CHUNK total %lld disagrees", f->sha, (long long)total);
    if ((int64_t)len > total - f->offset || (len == 0 && f->offset < total))
        return set_err(err, "blob %s: CHUNK of %zu bytes at %lld overruns total %lld", f->sha,
                       len, (long long)f->offset, (long long)total);
    if (f->fd < 0) {
        f->fd = open(f->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (f->fd < 0)
            return set_err(err, "open %s: %s", f->part, strerror(errno));
    }
    f->total = total;
    if (s_write_all(f->fd, data, len, err) != 0)
        return -1;
    f->offset += (int64_t)len;
    f->sent_at = 0; /* the next chunk is due at once */
    if (f->offset < f->total)
        return 0;
    return s_finish(self, f, err) == 0 ? 1 : -1;
}

int blobcache_chunk(blobcache_t *self, const proto_msg_t *chunk, char sha_out[65], char *err)
{
    const char *sha = proto_get_str(chunk, "sha256");
    int i = sha ? s_find(self, sha) : -1;
    int64_t offset = proto_int_or(chunk, "offset", -1);
    if (i < 0 || offset != self->fetches[i].offset) {
        log_debug("ignoring CHUNK %.12s at %lld: not expected", sha ? sha : "?",
                  (long long)offset);
        return BLOB_MORE;
    }
    fetch_t *f = &self->fetches[i];
    snprintf(sha_out, 65, "%s", f->sha);
    size_t len = 0;
    const char *data = proto_get_bin(chunk, "data", &len);
    int rc = s_store(self, f, proto_int_or(chunk, "total", -1), data, len, err);
    if (rc == 0)
        return BLOB_MORE;
    s_drop(self, i);
    return rc > 0 ? BLOB_READY : BLOB_FAILED;
}

bool blobcache_fail_match(blobcache_t *self, const char *text, char sha_out[65])
{
    for (int i = 0; i < self->n_fetches; i++) {
        if (strstr(text, self->fetches[i].sha)) {
            snprintf(sha_out, 65, "%s", self->fetches[i].sha);
            s_drop(self, i);
            return true;
        }
    }
    return false;
}

bool blobcache_error(blobcache_t *self, const char *sha, const char *msg, int64_t now,
                     char *err)
{
    int i = s_find(self, sha);
    if (i < 0)
        return false;
    fetch_t *f = &self->fetches[i];
    if (++f->errors < BLOB_MAX_ERRORS) {
        f->sent_at = now ? now : 1; /* again after BLOB_RESEND_MS */
        return false;
    }
    set_err(err, "dataset %s: the coordinator cannot serve it (%d tries): %s", sha,
            f->errors, msg);
    s_drop(self, i);
    return true;
}

/* ---- self-test ------------------------------------------------------------------- */

static proto_msg_t *s_chunk(const char *sha, int64_t offset, int64_t total, const char *data,
                            size_t len)
{
    proto_msg_t *m = proto_new("CHUNK");
    proto_set_str(m, "sha256", sha);
    proto_set_int(m, "offset", offset);
    proto_set_int(m, "total", total);
    proto_set_bin(m, "data", data, len);
    return m;
}

/* Feed "hello world" in two chunks, the second replaced by bad when given. */
static int s_feed(blobcache_t *bc, const char *sha, const char *second, char *err)
{
    char out[65];
    proto_msg_t *fetch = blobcache_due(bc, 1000);
    assert(fetch && proto_int_or(fetch, "offset", -1) == 0);
    proto_destroy(&fetch);
    assert(blobcache_due(bc, 1500) == NULL); /* in flight, not yet overdue */
    proto_msg_t *c = s_chunk(sha, 0, 11, "hello", 5);
    assert(blobcache_chunk(bc, c, out, err) == BLOB_MORE);
    assert(blobcache_chunk(bc, c, out, err) == BLOB_MORE); /* duplicate: ignored */
    proto_destroy(&c);
    fetch = blobcache_due(bc, 1600);
    assert(fetch && proto_int_or(fetch, "offset", -1) == 5);
    proto_destroy(&fetch);
    assert(blobcache_due(bc, 1600 + BLOB_RESEND_MS - 1) == NULL);
    fetch = blobcache_due(bc, 1600 + BLOB_RESEND_MS); /* lost: asked again */
    assert(fetch && proto_int_or(fetch, "offset", -1) == 5);
    proto_destroy(&fetch);
    c = s_chunk(sha, 5, 11, second, 6);
    int rc = blobcache_chunk(bc, c, out, err);
    proto_destroy(&c);
    assert(rc == BLOB_FAILED || strcmp(out, sha) == 0);
    return rc;
}

void blobcache_test(bool verbose)
{
    if (verbose)
        printf(" * blobcache: ");
    char dir[] = "/tmp/hps-blobcache-XXXXXX";
    assert(mkdtemp(dir));
    char err[HPS_ERR_LEN], sha[65], other[65], out[65];
    sha256_hex("hello world", 11, sha);
    sha256_hex("other", 5, other);
    blobcache_t *bc = blobcache_new(dir, err);
    assert(bc && !blobcache_ready(bc, sha));

    /* Corrupted data is rejected: nothing under the blob's name, no part file left. */
    blobcache_want(bc, sha);
    blobcache_want(bc, sha);
    assert(blobcache_pending(bc) == 1);
    assert(s_feed(bc, sha, " wOrld", err) == BLOB_FAILED && strstr(err, "verification"));
    assert(blobcache_pending(bc) == 0 && !blobcache_ready(bc, sha));
    char *part = xasprintf("%s/blobs/.%s.%d.part", dir, sha, (int)getpid());
    assert(access(part, F_OK) != 0);

    blobcache_want(bc, sha);
    assert(s_feed(bc, sha, " world", err) == BLOB_READY);
    assert(blobcache_ready(bc, sha) && access(part, F_OK) != 0);
    char *path = blobcache_path(bc, sha);
    size_t len;
    char *text = file_read(path, &len, err);
    assert(text && len == 11 && memcmp(text, "hello world", 11) == 0);
    free(text);

    /* A chunk that overruns its total fails the fetch; an ERROR naming a blob too. */
    blobcache_want(bc, other);
    proto_msg_t *c = s_chunk(other, 0, 3, "other", 5);
    assert(blobcache_chunk(bc, c, out, err) == BLOB_FAILED && strcmp(out, other) == 0);
    proto_destroy(&c);
    blobcache_want(bc, other);
    assert(!blobcache_fail_match(bc, "unknown thing", out));
    char *msg = xasprintf("no blob %s", other);
    assert(blobcache_fail_match(bc, msg, out) && strcmp(out, other) == 0);
    assert(blobcache_pending(bc) == 0);
    free(msg);
    /* ERRORs that name the blob in a field (any text): retried, given up on the third */
    blobcache_want(bc, other);
    proto_msg_t *f = blobcache_due(bc, 5000);
    proto_destroy(&f);
    assert(!blobcache_error(bc, sha, "x", 5001, err)); /* not being fetched */
    assert(!blobcache_error(bc, other, "disk error", 5001, err));
    assert(!blobcache_due(bc, 5002) && (f = blobcache_due(bc, 5001 + BLOB_RESEND_MS)));
    proto_destroy(&f);
    for (int i = 2; i < BLOB_MAX_ERRORS; i++)
        assert(!blobcache_error(bc, other, "disk error", 9000, err));
    assert(blobcache_error(bc, other, "disk error", 9001, err) && blobcache_pending(bc) == 0);
    assert(strstr(err, other) && strstr(err, "cannot serve it (3 tries): disk error"));
    blobcache_destroy(&bc);

    /* A cached file that was corrupted on disk is noticed by a new process's cache. */
    assert(file_write_atomic(path, "hello w0rld", 11, err) == 0);
    bc = blobcache_new(dir, err);
    assert(bc && !blobcache_ready(bc, sha) && access(path, F_OK) != 0);
    blobcache_destroy(&bc);
    assert(bc == NULL);

    free(path);
    free(part);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert(system(cmd) == 0);
    free(cmd);
    if (verbose)
        printf("OK\n");
}
