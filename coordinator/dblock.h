/* dblock — one coordinator per study database.
 *
 * SQLite keeps two coordinators on one file from corrupting it, but not from fighting:
 * each would re-queue the other's running trials, number the same trials twice and
 * refuse the other's results. So a coordinator (standalone or inside `hps run`) holds an
 * exclusive flock(2) on <db>.blobs/coordinator.lock for its lifetime; a second one is
 * refused at once, naming the holder. The lock is the kernel's: it goes with the process
 * on any exit, kill -9 included, so a stale file never blocks a restart. flock, not
 * fcntl, so that SQLite's own POSIX locks on the database file are never disturbed.
 * The lock file goes by the name given, so a second flock is taken on the database file
 * itself when it exists: a symlink or a hard link to a served file is refused too. It
 * is opened before the store and closed after it (the callers' order), so its close
 * never drops SQLite's POSIX locks, which any close of the file would. */
#ifndef HPS_DBLOCK_H
#define HPS_DBLOCK_H

#include <stdbool.h>

typedef struct dblock dblock_t;

/* Take the lock for db_path (creating <db>.blobs/ if needed) and record our pid and host
 * in it. NULL with err when another process holds it ("in use by ... pid N") or on an
 * I/O error. */
dblock_t *dblock_acquire(const char *db_path, char *err);
/* After the store has opened (and so created) db_path: take the flock on the file itself
 * if acquire found no file. 0, or -1 with err when another coordinator holds it by
 * another name (then close the store, then release). */
int dblock_pin(dblock_t *self, const char *db_path, char *err);
/* Release and free; accepts *self_p == NULL. */
void dblock_release(dblock_t **self_p);

void dblock_test(bool verbose);

#endif
