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
#include <unistd.h>

#include "core/util.h"

struct dblock {
    int fd; /* holds the flock while open */
};

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
    self->fd = fd;
    return self;
}

void dblock_release(dblock_t **self_p)
{
    assert(self_p);
    dblock_t *self = *self_p;
    if (!self)
        return;
    close(self->fd); /* releases the flock; the file stays for the next holder */
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
    char *lock = xasprintf("%s.blobs/coordinator.lock", db), *blobs = xasprintf("%s.blobs", db);
    assert(unlink(lock) == 0 && rmdir(blobs) == 0 && rmdir(dir) == 0);
    free(lock);
    free(blobs);
    free(db);
}
