/* dblock — one coordinator per study database (see dblock.h). */
#include "coordinator/dblock.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

struct dblock {
    int fd;    /* holds the flock on the lock file while open */
    int db_fd; /* holds the flock on the database file itself, or -1 (none yet) */
    int spare; /* an fd on the database file whose flock failed, or -1: closed only at
                * release, after the store (a close drops SQLite's POSIX locks) */
};

/* flock the database file itself (by identity, whatever name it is reached by) into
 * self: 0 (also when there is no regular file yet, which no other name can reach, or the
 * file system has no flock, as NFS may not), or -1 with err when another holds it. */
static int s_lock_db(dblock_t *self, const char *db_path, char *err)
{
    int fd = open(db_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd); /* not a database file: the store refuses it */
        fd = -1;
    }
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        self->db_fd = fd;
        return 0;
    }
    self->spare = fd;
    if (errno != EWOULDBLOCK)
        return 0; /* EBADF, ENOLCK, EOPNOTSUPP: the lock file alone guards this name */
    return set_err(err, "%s is in use by another coordinator that opened it by another name "
                        "(a link to it): one coordinator per database", db_path);
}

/* What the holder wrote into the lock file ("pid N on HOST"), for the refusal. */
static void s_holder(int fd, char *out, size_t size)
{
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long pid = 0;
    char host[200] = "";
    if (n > 0) {
        buf[n] = '\0';
        if (sscanf(buf, "%ld %199s", &pid, host) >= 1 && pid > 0) {
            snprintf(out, size, "pid %ld%s%s", pid, *host ? " on " : "", host);
            return;
        }
    }
    snprintf(out, size, "another process");
}

dblock_t *dblock_acquire(const char *db_path, char *err)
{
    char *dir = xasprintf("%s.blobs", db_path);
    char *path = xasprintf("%s/coordinator.lock", dir);
    int fd = -1;
    if (mkdir_p(dir, err) == 0) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            set_err(err, "%s: %s", path, strerror(errno));
    }
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char who[256];
        s_holder(fd, who, sizeof who);
        if (errno == EWOULDBLOCK)
            set_err(err, "%s is in use by another coordinator (%s): one coordinator per "
                         "database", db_path, who);
        else
            set_err(err, "%s: flock: %s", path, strerror(errno));
        close(fd);
        fd = -1;
    }
    if (fd >= 0) {
        char host[200] = "";
        if (gethostname(host, sizeof host - 1) != 0)
            snprintf(host, sizeof host, "?");
        char line[256];
        int len = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), host);
        /* The record is for the message only: failing to write it is no reason to stop. */
        if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len)
            line[0] = '\0';
    }
    free(path);
    free(dir);
    if (fd < 0)
        return NULL;
    dblock_t *self = xcalloc(1, sizeof *self);
    *self = (dblock_t){.fd = fd, .db_fd = -1, .spare = -1};
    if (s_lock_db(self, db_path, err) != 0) /* no store is open yet: closing is safe */
        dblock_release(&self);
    return self;
}

int dblock_pin(dblock_t *self, const char *db_path, char *err)
{
    assert(self);
    return self->db_fd >= 0 || self->spare >= 0 ? 0 : s_lock_db(self, db_path, err);
}

void dblock_release(dblock_t **self_p)
{
    assert(self_p);
    dblock_t *self = *self_p;
    if (!self)
        return;
    close(self->fd); /* releases the flock; the file stays for the next holder */
    if (self->db_fd >= 0)
        close(self->db_fd);
    if (self->spare >= 0)
        close(self->spare);
    free(self);
    *self_p = NULL;
}

void dblock_test(bool verbose)
{
    (void)verbose;
    char dir[] = "/tmp/hps-dblock-XXXXXX";
    assert(mkdtemp(dir));
    char *db = xasprintf("%s/s.db", dir), err[HPS_ERR_LEN];
    dblock_t *a = dblock_acquire(db, err);
    assert(a);
    /* A second open file description conflicts, even within one process, as another
     * coordinator's would. */
    dblock_t *b = dblock_acquire(db, err);
    assert(!b && strstr(err, "in use by another coordinator (pid "));
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert(strstr(err, pid));
    dblock_release(&a);
    assert(!a);
    dblock_release(&a); /* NULL is fine */
    b = dblock_acquire(db, err);
    assert(b);
    dblock_release(&b);
    /* Once the file exists, a symlink or hard link to it is the same database. */
    char *sym = xasprintf("%s/sym.db", dir), *hard = xasprintf("%s/hard.db", dir);
    a = dblock_acquire(db, err); /* no file yet: pinned once the store made it */
    int fd = open(db, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert(a && fd >= 0 && close(fd) == 0 && symlink(db, sym) == 0 && link(db, hard) == 0);
    assert(dblock_pin(a, db, err) == 0 && dblock_pin(a, db, err) == 0);
    for (int i = 0; i < 2; i++) {
        b = dblock_acquire(i ? hard : sym, err);
        assert(!b && strstr(err, "by another name (a link to it)"));
    }
    dblock_release(&a);
    b = dblock_acquire(hard, err);
    assert(b);
    dblock_release(&b);
    const char *names[] = {db, sym, hard};
    for (int i = 0; i < 3; i++) {
        char *lock = xasprintf("%s.blobs/coordinator.lock", names[i]);
        char *blobs = xasprintf("%s.blobs", names[i]);
        assert(unlink(lock) == 0 && rmdir(blobs) == 0 && unlink(names[i]) == 0);
        free(lock);
        free(blobs);
    }
    assert(rmdir(dir) == 0);
    free(sym);
    free(hard);
    free(db);
}
