/* wname — who may use a worker name (see wname.h).
 *
 * Plain binds exist only on loopback (coord.c refuses others), so a plain peer runs on
 * this host and the pid it states can be checked here. A local process can still state
 * the pid of a live worker; on plain loopback every local process is trusted that far,
 * and CURVE keys are what bind a name for real. */
#include "coordinator/wname.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

bool wname_pid_alive(long pid)
{
    if (pid <= 0 || pid != (long)(pid_t)pid)
        return false; /* kill(0 or -1, ...) would mean a group */
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return false;
    /* A killed child not yet reaped by its parent still answers kill(): "Z" in stat. */
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true; /* no /proc: kill() said it exists */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* the name in parentheses may hold spaces */
    return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

int wname_decide(const wname_holder_t *h, bool curve, const char *key, long pid, char *why)
{
    assert(h && key && why);
    if (h->known) {
        if (curve && strcmp(h->key, key) != 0)
            return set_err(why, "worker name is bound to another key"), WNAME_REFUSE;
        if (pid == h->pid)
            return WNAME_ACCEPT; /* the same process, reconnected */
        if (curve)
            return WNAME_RESTART; /* the name's own key: the same worker, restarted */
        if (h->live && wname_pid_alive(h->pid))
            return set_err(why, "worker name is in use by a live worker (pid %ld)", h->pid),
                   WNAME_REFUSE;
        return WNAME_RESTART;
    }
    /* Not connected here (we restarted, or it was silent for long): the file's key and
     * pid. */
    if (curve && h->stored_key && *h->stored_key && strcmp(h->stored_key, key) != 0)
        return set_err(why, "worker name is bound to another key"), WNAME_REFUSE;
    if (h->stored_pid <= 0 || h->stored_pid == pid)
        return WNAME_ACCEPT;
    if (!curve && wname_pid_alive(h->stored_pid))
        return set_err(why, "worker name is in use by a live worker (pid %ld)", h->stored_pid),
               WNAME_REFUSE;
    return WNAME_RESTART;
}

void wname_test(bool verbose)
{
    (void)verbose;
    char why[HPS_ERR_LEN];
    long me = (long)getpid(), dead = 0;
    /* A child that exited and was reaped: a pid nobody has (until reused). */
    pid_t child = fork();
    assert(child >= 0);
    if (child == 0)
        _exit(0);
    int status;
    assert(waitpid(child, &status, 0) == child);
    dead = (long)child;
    assert(wname_pid_alive(me) && !wname_pid_alive(0) && !wname_pid_alive(-1));
    assert(!wname_pid_alive(dead));
    wname_holder_t h = {.known = true, .key = "", .pid = me, .live = true};
    /* plain: a live holder keeps its name against another pid; the same pid is itself */
    assert(wname_decide(&h, false, "", me + 1, why) == WNAME_REFUSE && strstr(why, "live"));
    assert(wname_decide(&h, false, "", me, why) == WNAME_ACCEPT);
    h.live = false; /* silent for a lease: gone */
    assert(wname_decide(&h, false, "", me + 1, why) == WNAME_RESTART);
    h.live = true;
    h.pid = dead; /* heard from lately, but killed: its connection is closed */
    assert(wname_decide(&h, false, "", me, why) == WNAME_RESTART);
    /* CURVE: the key decides, whatever the pids */
    h = (wname_holder_t){.known = true, .key = "KEYA", .pid = me, .live = true};
    assert(wname_decide(&h, true, "KEYB", me, why) == WNAME_REFUSE && strstr(why, "key"));
    assert(wname_decide(&h, true, "KEYA", me + 1, why) == WNAME_RESTART);
    assert(wname_decide(&h, true, "KEYA", me, why) == WNAME_ACCEPT);
    /* not connected: the file's pid; a new name is simply accepted */
    h = (wname_holder_t){.key = ""};
    assert(wname_decide(&h, false, "", me, why) == WNAME_ACCEPT);
    h.stored_pid = me;
    assert(wname_decide(&h, false, "", me, why) == WNAME_ACCEPT);
    assert(wname_decide(&h, false, "", me + 1, why) == WNAME_REFUSE);
    assert(wname_decide(&h, true, "K", me + 1, why) == WNAME_RESTART);
    /* the file's key binds the name after our restart; plain ignores it */
    h.stored_key = "KEYA";
    assert(wname_decide(&h, true, "KEYB", me + 1, why) == WNAME_REFUSE && strstr(why, "key"));
    assert(wname_decide(&h, true, "KEYA", me + 1, why) == WNAME_RESTART);
    assert(wname_decide(&h, false, "", me, why) == WNAME_ACCEPT);
    h.stored_key = NULL;
    h.stored_pid = dead;
    assert(wname_decide(&h, false, "", me, why) == WNAME_RESTART);
}
