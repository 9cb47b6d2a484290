/* store_check — that the study file is whole (store_priv.h): at open, that an hps file
 * of the current version holds the tables and columns of the schema
 * (store_schema_check); after each commit of a batch, that the WAL the commit went to
 * is still the file's (store_wal_check); that a file opened for writing is the owner's
 * only (store_tighten_modes).
 *
 * The schema: A file with a table dropped or a
 * column missing would open and then fail on every write of it, forever (a TELL that
 * cannot be stored is resent, its lease cycles); it is refused at open instead. The
 * reference is the schema text itself, created in a private in-memory database, so the
 * check cannot drift from what hps creates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/store_priv.h"

/* One row of a one-column query of db with text args a and b (b may be NULL): 1 when a
 * row came, 0 when none, -1 with err. */
static int s_exists(sqlite3 *db, const char *sql, const char *a, const char *b, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return set_err(err, "sqlite: schema check: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found < 0)
        set_err(err, "sqlite: schema check: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return found;
}

/* The file's table `table` has every column the reference's has, and its SQL keeps
 * `must` (a CHECK constraint) when the reference's does. */
static int s_check_table(sqlite3 *file, sqlite3 *ref, const char *table, const char *ref_sql,
                         const char *must, char *err)
{
    int rc = s_exists(file, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                      table, NULL, err);
    if (rc == 0)
        return set_err(err, "not a complete hps study database: table '%s' is missing", table);
    if (must && strstr(ref_sql, must) &&
        (rc = s_exists(file, "SELECT 1 FROM sqlite_master WHERE name = ?1 AND"
                             " instr(sql, ?2) > 0", table, must, err)) == 0)
        return set_err(err, "not a complete hps study database: table '%s' lacks its"
                       " constraint '%s'", table, must);
    sqlite3_stmt *cols = NULL;
    if (rc < 0)
        return -1;
    if (sqlite3_prepare_v2(ref, "SELECT name FROM pragma_table_info(?1)", -1, &cols, NULL) !=
        SQLITE_OK)
        return set_err(err, "sqlite: schema check: %s", sqlite3_errmsg(ref));
    sqlite3_bind_text(cols, 1, table, -1, SQLITE_STATIC);
    while (rc >= 0 && sqlite3_step(cols) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(cols, 0);
        rc = s_exists(file, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", table, col,
                      err);
        if (rc == 0)
            rc = set_err(err, "not a complete hps study database: table '%s' has no column"
                         " '%s'", table, col);
    }
    sqlite3_finalize(cols);
    return rc < 0 ? -1 : 0;
}

/* The file has every index and view of the reference, by name (the view trial_params is
 * what plain SQL reads parameters with; an index gone would turn the best-trial seek
 * back into a scan). */
static int s_check_others(sqlite3 *file, sqlite3 *ref, char *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ref, "SELECT type, name FROM sqlite_master WHERE type IN ('index',"
                           " 'view') AND name NOT LIKE 'sqlite_%'", -1, &st, NULL) != SQLITE_OK)
        return set_err(err, "sqlite: schema check: %s", sqlite3_errmsg(ref));
    int rc = 1;
    while (rc == 1 && sqlite3_step(st) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        rc = s_exists(file, "SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2", type,
                      name, err);
        if (rc == 0)
            rc = set_err(err, "not a complete hps study database: %s '%s' is missing", type,
                         name);
    }
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

int store_schema_check(store_t *self, const char *schema, const char *must, char *err)
{
    sqlite3 *ref = NULL;
    if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(ref, schema, NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, "sqlite: schema check: %s", ref ? sqlite3_errmsg(ref) : "no memory");
        sqlite3_close(ref);
        return -1;
    }
    sqlite3_stmt *tables = NULL;
    int rc = sqlite3_prepare_v2(ref, "SELECT name, sql FROM sqlite_master WHERE type = 'table'",
                                -1, &tables, NULL) == SQLITE_OK
                 ? 0
                 : set_err(err, "sqlite: schema check: %s", sqlite3_errmsg(ref));
    while (rc == 0 && sqlite3_step(tables) == SQLITE_ROW)
        rc = s_check_table(self->db, ref, (const char *)sqlite3_column_text(tables, 0),
                           (const char *)sqlite3_column_text(tables, 1), must, err);
    sqlite3_finalize(tables);
    if (rc == 0)
        rc = s_check_others(self->db, ref, err);
    sqlite3_close(ref);
    return rc;
}

/* ---- the WAL ---------------------------------------------------------------------- */

/* A commit in WAL mode goes to path-wal; a checkpoint copies it into the file later.
 * SQLite keeps that file (and its descriptor) while a connection is open, and only
 * truncates it: if it is gone or another file took its name, the commits since the
 * last checkpoint live in a deleted inode and are lost at the next open. */
int store_wal_check(store_t *self, char *err)
{
    if (!self->wal_path)
        return 0;
    struct stat sb;
    if (stat(self->wal_path, &sb) != 0)
        return set_err(err, "%s: %s: the study file's write-ahead log was removed while"
                       " in use; what was committed since the last checkpoint cannot be kept"
                       " (stopping before acknowledging more)", self->wal_path,
                       strerror(errno));
    if (self->wal_seen && (sb.st_dev != self->wal_dev || sb.st_ino != self->wal_ino))
        return set_err(err, "%s: the study file's write-ahead log was replaced by another file"
                       " while in use (stopping before acknowledging more)", self->wal_path);
    self->wal_seen = true;
    self->wal_dev = sb.st_dev;
    self->wal_ino = sb.st_ino;
    return 0;
}

void store_wal_watch(store_t *self, const char *path)
{
    free(self->wal_path);
    self->wal_path = xasprintf("%s-wal", path);
    self->wal_seen = false;
    char ignore[HPS_ERR_LEN];
    store_wal_check(self, ignore); /* not there yet: the first commit must make it */
}

/* ---- file modes ------------------------------------------------------------------- */

void store_tighten_modes(const char *path, bool tell)
{
    static const char *const sides[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
        char *p = xasprintf("%s%s", path, sides[i]);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
            (sb.st_mode & 077) != 0) {
            unsigned was = sb.st_mode & 07777, now = (sb.st_mode & 0700) | 0600;
            if (chmod(p, now) != 0)
                log_warn("%s: cannot make it owner-only (mode %04o): %s", p, was,
                         strerror(errno));
            else if (tell)
                log_info("%s: mode %04o changed to %04o (owner only: the study file holds"
                         " every config and result)", p, was, now);
        }
        free(p);
    }
}
