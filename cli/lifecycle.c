/* lifecycle — resume (on a file), delete, rename and copy a study (see lifecycle.h).
 *
 * Every command checks its input on the file opened read-only (store_open_read writes
 * nothing), so bad input exits 2 with the file untouched; only then does it take the
 * coordinator's lock (coordinator/dblock.h: a coordinator serving the file would keep
 * the study in memory and write it back), open the file for writing and make its
 * change in one transaction. */
#include "cli/lifecycle.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "coordinator/blobs.h"
#include "coordinator/dblock.h"
#include "coordinator/study_check.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/points.h"
#include "core/store.h"
#include "core/study.h"
#include "core/study_diff.h"

typedef struct {
    const char *cmd, *usage;
    const char *db, *to_db, *as;
    bool yes;
    char *args[3];
    int n_args;
} life_flags_t;

static const char s_delete_usage[] =
    "usage: hps delete STUDY --db FILE [--yes]\n"
    "Remove a study from a study file: the study, its trials, intermediate values, tells\n"
    "and promotions, and its dataset blob in FILE.blobs/ when no other study uses it.\n"
    "Refused while a coordinator (or hps run) serves the file.\n"
    "  --db FILE    the study file\n"
    "  --yes        do not ask (needed when stdin is not a terminal)\n";

static const char s_rename_usage[] =
    "usage: hps rename OLD NEW --db FILE\n"
    "Rename a study (refused when NEW exists, or while a coordinator serves the file).\n"
    "  --db FILE    the study file\n";

static const char s_copy_usage[] =
    "usage: hps copy STUDY --db FILE --to-db FILE2 [--as NAME]\n"
    "Copy a study with every trial, intermediate value, tell and promotion (Optuna's\n"
    "copy_study) into FILE2, created 0600 when missing; its dataset blob goes along.\n"
    "Refused when FILE2 has a study of that name.\n"
    "  --db FILE      the study file to copy from\n"
    "  --to-db FILE2  the study file to copy into (another file)\n"
    "  --as NAME      the copy's name (default: STUDY)\n";

static int s_bad(const life_flags_t *f, const char *fmt, const char *arg)
{
    fprintf(stderr, "hps %s: ", f->cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", f->usage);
    return 2;
}

/* 0 parsed, -1 after --help, else the exit code. n_args operands exactly. */
static int s_parse(int argc, char **argv, int n_args, life_flags_t *f)
{
    static const struct option longopts[] = {
        {"db", required_argument, 0, 'd'}, {"to-db", required_argument, 0, 't'},
        {"as", required_argument, 0, 'a'}, {"yes", no_argument, 0, 'y'},
        {"help", no_argument, 0, 'h'},     {0, 0, 0, 0}};
    bool copy = strcmp(f->cmd, "copy") == 0, del = strcmp(f->cmd, "delete") == 0;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "-yh", longopts, NULL)) != -1) {
        if (((opt == 't' || opt == 'a') && !copy) || (opt == 'y' && !del))
            return s_bad(f, "%s is not a flag of this command", argv[optind - 1]);
        switch (opt) {
        case 1:
            if (f->n_args == n_args)
                return s_bad(f, "unexpected argument '%s'", optarg);
            f->args[f->n_args++] = optarg;
            break;
        case 'd': f->db = optarg; break;
        case 't': f->to_db = optarg; break;
        case 'a': f->as = optarg; break;
        case 'y': f->yes = true; break;
        case 'h': fputs(f->usage, stdout); return -1;
        default: fputs(f->usage, stderr); return 2;
        }
    }
    if (f->n_args != n_args || !f->db || (copy && !f->to_db))
        return s_bad(f, "%s", copy ? "STUDY, --db and --to-db are required"
                                   : "the study name(s) and --db FILE are required");
    if (access(f->db, F_OK) != 0) {
        fprintf(stderr, "hps %s: %s: no such study database\n", f->cmd, f->db);
        return 2;
    }
    return 0;
}

/* Check that db has study, reading only: 0 with its config in *config (caller frees;
 * config may be NULL) and its number of search trials in *n (may be NULL), or the exit
 * code after a message. */
static int s_find(const char *cmd, const char *db, const char *study, char **config, long *n,
                  long *models)
{
    char err[HPS_ERR_LEN];
    store_t *st = store_open_read(db, err);
    store_study_t s;
    long counts[TRIAL_NSTATES];
    int found = st ? store_study_get(st, study, &s, err) : -1;
    if (found == 0 && ((n && store_trial_counts(st, s.id, counts, err) != 0) ||
                       (models && store_study_model_count(st, s.id, models, err) != 0))) {
        store_study_clear(&s);
        found = -1;
    }
    store_close(&st);
    if (found == 0) {
        for (int i = 0; n && i < TRIAL_NSTATES; i++)
            *n = (i ? *n : 0) + counts[i];
        if (config)
            *config = s.config, s.config = NULL;
        store_study_clear(&s);
        return 0;
    }
    if (found == 1)
        fprintf(stderr, "hps %s: no study '%s' in %s\n", cmd, study, db);
    else
        fprintf(stderr, "hps %s: %s\n", cmd, err);
    return found == 1 ? 2 : 1;
}

/* Whether db has study, silently: 0 yes, 1 no, -1 with err (not a study file). */
static int s_has(const char *db, const char *study, char *err)
{
    store_t *st = store_open_read(db, err);
    store_study_t s;
    int found = st ? store_study_get(st, study, &s, err) : -1;
    if (found == 0)
        store_study_clear(&s);
    store_close(&st);
    return found;
}

/* The writable file under the coordinator's lock: NULL after a message (exit 1). */
static store_t *s_open_locked(const char *cmd, const char *db, bool create, dblock_t **lock)
{
    char err[HPS_ERR_LEN];
    *lock = dblock_acquire(db, err);
    store_t *st = *lock ? store_open(db, create, false, err) : NULL;
    if (st && dblock_pin(*lock, db, err) != 0)
        store_close(&st);
    if (!st) {
        bool asks = !*lock && (strcmp(cmd, "resume") == 0 || strcmp(cmd, "enqueue") == 0);
        fprintf(stderr, "hps %s: %s%s%s%s\n", cmd, err,
                *lock ? "" : asks ? " (hps " : " (stop it first)", asks ? cmd : "",
                asks ? " --to ENDPOINT asks it)" : "");
        dblock_release(lock);
    }
    return st;
}

static int s_done(const char *cmd, store_t **st, dblock_t **lock, int rc, const char *err)
{
    if (rc < 0)
        fprintf(stderr, "hps %s: %s\n", cmd, err);
    store_close(st);
    dblock_release(lock);
    return rc < 0 ? 1 : rc;
}

/* ---- enqueue ------------------------------------------------------------------------ */

/* Check pts for study on st, and when st is writable enqueue them: the exit code. */
static int s_enqueue_on(store_t *st, const char *study, const points_t *pts, bool apply)
{
    char err[HPS_ERR_LEN];
    double *xs = NULL;
    int nx;
    int64_t id;
    long first;
    int rc = store_enqueue_check(st, study, pts, &xs, &nx, &id, err);
    if (rc == 0 && apply && store_enqueue(st, id, xs, nx, pts->n, &first, NULL, err) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "hps enqueue: %s\n", err);
    else if (apply)
        printf("enqueued %d trials into study '%s' (numbers %ld to %ld)\n", pts->n, study, first,
               first + pts->n - 1);
    free(xs);
    return rc < 0 ? 1 : rc == 1 ? 2 : 0;
}

int lifecycle_enqueue_db(const char *db, const char *study, const points_t *pts)
{
    char err[HPS_ERR_LEN];
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "hps enqueue: %s: no such study database\n", db);
        return 2;
    }
    store_t *st = store_open_read(db, err);
    int rc = st ? s_enqueue_on(st, study, pts, false) : 1;
    if (!st)
        fprintf(stderr, "hps enqueue: %s\n", err);
    store_close(&st);
    dblock_t *lock = NULL;
    if (rc == 0) {
        st = s_open_locked("enqueue", db, false, &lock);
        rc = st ? s_enqueue_on(st, study, pts, true) : 1;
    }
    return s_done("enqueue", &st, &lock, rc, "");
}

/* ---- resume ------------------------------------------------------------------------- */

/* Plan json on st; when apply and the plan changes the file, carry it out. The exit
 * code: 0 the study will run (line on stdout), 1 done already, 2 refused (on stderr). */
static int s_resume_on(store_t *st, const char *study, const char *json, bool apply,
                       bool *changes)
{
    char err[HPS_ERR_LEN];
    store_plan_t p;
    if (store_plan(st, json, &p, err) != 0) {
        fprintf(stderr, "hps resume: %s\n", err);
        return 1;
    }
    *changes = p.kind == STORE_PLAN_CHANGE || p.kind == STORE_PLAN_RESUME;
    int rc = p.kind == STORE_PLAN_REFUSED ? 2
             : p.kind == STORE_PLAN_FINISHED || p.kind == STORE_PLAN_BUSY ? 1 : 0;
    if (apply && *changes && store_plan_apply(st, &p, json, err) != 0) {
        fprintf(stderr, "hps resume: %s\n", err);
        rc = 1;
    } else if (apply || !*changes) {
        strbuf_t sb;
        sb_init(&sb);
        store_plan_describe(&p, study, &sb);
        char *shown = limits_escape(sb.buf, true);
        fprintf(rc == 0 ? stdout : stderr, "%s%s\n", rc == 0 ? "" : "hps resume: ", shown);
        free(shown);
        sb_free(&sb);
    }
    store_plan_clear(&p);
    return rc;
}

int lifecycle_resume_db(const char *db, const char *study, long n_trials)
{
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "hps resume: %s: no such study database\n", db);
        return 2;
    }
    char *config = NULL, err[HPS_ERR_LEN], num[32];
    int rc = s_find("resume", db, study, &config, NULL, NULL);
    if (rc != 0)
        return rc;
    snprintf(num, sizeof num, "%ld", n_trials);
    char *json = n_trials > 0 ? study_json_set(config, "n_trials", num, err) : xstrdup(config);
    free(config);
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *cfg = json ? study_config_from_json(json, &study_check_all, &errs) : NULL;
    if (!cfg) {
        if (json)
            cfg_errs_print(&errs, stderr);
        else
            fprintf(stderr, "hps resume: %s\n", err);
        rc = 2;
    }
    study_config_destroy(&cfg);
    cfg_errs_free(&errs);
    bool changes = false;
    store_t *st = rc == 0 ? store_open_read(db, err) : NULL;
    if (rc == 0 && !st)
        fprintf(stderr, "hps resume: %s\n", err), rc = 1;
    if (st)
        rc = s_resume_on(st, study, json, false, &changes);
    store_close(&st);
    dblock_t *lock = NULL;
    if (rc == 0 && changes) {
        st = s_open_locked("resume", db, false, &lock);
        rc = st ? s_resume_on(st, study, json, true, &changes) : 1;
    }
    free(json);
    return s_done("resume", &st, &lock, rc, "");
}

/* ---- delete ------------------------------------------------------------------------- */

/* The dataset sha256 a study config names, or NULL. Caller frees. */
static char *s_data_sha(const char *config)
{
    char *sha = study_json_get(config, "data.sha256");
    if (sha && !is_sha256_hex(sha)) {
        free(sha);
        sha = NULL;
    }
    return sha;
}

/* Ask on the terminal: 0 yes, else the exit code after a message. */
static int s_confirm(const life_flags_t *f, long n)
{
    if (f->yes)
        return 0;
    if (!isatty(0)) {
        fprintf(stderr, "hps delete: stdin is not a terminal: give --yes to delete study '%s'\n",
                f->args[0]);
        return 2;
    }
    fprintf(stderr, "delete study '%s' and its %ld trials from %s? [y/N] ", f->args[0], n,
            f->db);
    char line[16];
    if (fgets(line, sizeof line, stdin) && (strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0))
        return 0;
    fprintf(stderr, "hps delete: not deleted\n");
    return 1;
}

int delete_main(int argc, char **argv)
{
    life_flags_t f = {.cmd = "delete", .usage = s_delete_usage};
    int rc = s_parse(argc, argv, 1, &f);
    char *config = NULL, err[HPS_ERR_LEN] = "";
    long n = 0, models = 0;
    if (rc == 0)
        rc = s_find("delete", f.db, f.args[0], &config, &n, &models);
    if (rc == 0)
        rc = s_confirm(&f, n);
    if (rc != 0) {
        free(config);
        return rc < 0 ? 0 : rc;
    }
    dblock_t *lock;
    store_t *st = s_open_locked("delete", f.db, false, &lock);
    char *sha = s_data_sha(config), *dir = xasprintf("%s.blobs", f.db), *blob = NULL;
    long users = 1;
    rc = !st ? 1 : store_study_delete(st, f.args[0], err);
    if (rc == 0 && sha && store_blob_users(st, sha, &users, err) != 0)
        rc = -1;
    if (rc == 0 && sha && users == 0 && blob_exists(dir, sha)) {
        blob = blob_path(dir, sha);
        if (unlink(blob) != 0)
            rc = set_err(err, "study deleted, but its dataset %s stays: %s", blob,
                         strerror(errno));
    }
    if (rc == 0)
        printf("deleted study '%s' (%ld trials)%s%s\n", f.args[0], n, blob ? "; removed " : "",
               blob ? blob : "");
    if (rc == 0 && models > 0)
        printf("kept the %ld model version%s registered from it (hps models --db %s)\n",
               models, models > 1 ? "s" : "", f.db);
    free(config);
    free(sha);
    free(dir);
    free(blob);
    return st ? s_done("delete", &st, &lock, rc, err) : 1;
}

/* ---- rename ------------------------------------------------------------------------- */

/* A study name as core/limits.c allows it: 0, or 2 after a message. */
static int s_check_name(const life_flags_t *f, const char *name)
{
    const char *why = study_name_problem(name);
    if (!why)
        return 0;
    char *shown = limits_escape(name, false);
    fprintf(stderr, "hps %s: study name '%s' %s (at most %d bytes of printable UTF-8, no '@' or "
            "':')\n", f->cmd, shown, why, LIMITS_NAME_MAX);
    free(shown);
    return 2;
}

int rename_main(int argc, char **argv)
{
    life_flags_t f = {.cmd = "rename", .usage = s_rename_usage};
    int rc = s_parse(argc, argv, 2, &f);
    if (rc == 0)
        rc = s_check_name(&f, f.args[1]);
    if (rc == 0)
        rc = s_find("rename", f.db, f.args[0], NULL, NULL, NULL);
    char err[HPS_ERR_LEN] = "";
    if (rc == 0 && s_has(f.db, f.args[1], err) == 0) {
        fprintf(stderr, "hps rename: %s already has a study '%s'\n", f.db, f.args[1]);
        rc = 2;
    }
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    dblock_t *lock;
    store_t *st = s_open_locked("rename", f.db, false, &lock);
    if (!st)
        return 1;
    rc = store_study_rename(st, f.args[0], f.args[1], err);
    if (rc > 0)
        fprintf(stderr, "hps rename: study '%s' %s\n", f.args[rc == 1 ? 0 : 1],
                rc == 1 ? "is gone" : "exists already");
    else if (rc == 0)
        printf("renamed study '%s' to '%s'\n", f.args[0], f.args[1]);
    return s_done("rename", &st, &lock, rc > 0 ? 2 : rc, err);
}

/* ---- copy --------------------------------------------------------------------------- */

/* What copy checks before writing: 0, or the exit code after a message. */
static int s_copy_check(const life_flags_t *f, const char *as, char **config, long *n,
                        long *models)
{
    char err[HPS_ERR_LEN];
    int rc = f->as ? s_check_name(f, as) : 0; /* a stored name is kept as it is */
    if (rc == 0 && cli_same_file(f->db, f->to_db))
        return s_bad(f, "--to-db %s is the file copied from: copy into another file", f->to_db);
    if (rc == 0)
        rc = s_find("copy", f->db, f->args[0], config, n, models);
    int has = rc == 0 && access(f->to_db, F_OK) == 0 ? s_has(f->to_db, as, err) : 1;
    if (has == 0)
        fprintf(stderr, "hps copy: %s already has a study '%s' (--as NAME copies under another "
                        "name)\n", f->to_db, as);
    else if (has < 0)
        fprintf(stderr, "hps copy: %s\n", err);
    return rc != 0 ? rc : has != 1 ? 2 : 0;
}

/* The dataset blob of config into to_db's folder, when the source has it. */
static int s_copy_blob(const life_flags_t *f, const char *config, char *err)
{
    char *sha = s_data_sha(config), *from = xasprintf("%s.blobs", f->db),
         *to = xasprintf("%s.blobs", f->to_db), *path = NULL, got[65];
    int rc = 0;
    if (sha && blob_exists(from, sha) && !blob_exists(to, sha)) {
        path = blob_path(from, sha);
        rc = blob_import(to, path, got, err);
    }
    free(sha);
    free(from);
    free(to);
    free(path);
    return rc;
}

int copy_main(int argc, char **argv)
{
    life_flags_t f = {.cmd = "copy", .usage = s_copy_usage};
    int rc = s_parse(argc, argv, 1, &f);
    const char *as = f.as ? f.as : f.args[0];
    char *config = NULL, err[HPS_ERR_LEN] = "";
    long n = 0, models = 0;
    if (rc == 0)
        rc = s_copy_check(&f, as, &config, &n, &models);
    if (rc != 0) {
        free(config);
        return rc < 0 ? 0 : rc;
    }
    bool created = access(f.to_db, F_OK) != 0;
    mode_t mask = umask(077); /* a new file (and its -wal, -shm) is the user's alone */
    dblock_t *lock;
    store_t *st = s_open_locked("copy", f.to_db, true, &lock);
    umask(mask);
    rc = st ? store_study_copy(st, f.db, f.args[0], as, err) : -1;
    if (rc == 2)
        fprintf(stderr, "hps copy: %s already has a study '%s'\n", f.to_db, as);
    if (rc == 1)
        fprintf(stderr, "hps copy: study '%s' is gone from %s\n", f.args[0], f.db);
    if (rc == 0 && s_copy_blob(&f, config, err) != 0)
        rc = -1;
    if (rc == 0)
        printf("copied study '%s' (%ld trials) from %s to %s as '%s'\n", f.args[0], n, f.db,
               f.to_db, as);
    if (rc == 0 && models > 0)
        printf("its %ld model version%s stay%s in %s's registry (hps model export takes "
               "one elsewhere)\n", models, models > 1 ? "s" : "", models > 1 ? "" : "s", f.db);
    free(config);
    if (!st)
        return 1;
    rc = s_done("copy", &st, &lock, rc > 0 ? 2 : rc, err);
    if (rc != 0 && created) /* nothing of it stays */
        for (int i = 0; i < 3; i++) {
            char *side = xasprintf("%s%s", f.to_db, (const char *[]){"", "-wal", "-shm"}[i]);
            unlink(side);
            free(side);
        }
    return rc;
}
