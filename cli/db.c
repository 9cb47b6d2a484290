/* cli_db — `hps status --db`, `hps leaderboard`, `hps keygen` (see db.h).
 *
 * The commands share one flag parser: a single getopt_long table for every flag,
 * and a per-command mask of the flags it accepts, so `hps status --force` is rejected
 * with the status usage rather than silently ignored. */
#include "cli/db.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "core/report.h"
#include "objectives/model.h"

/* ---- flags ------------------------------------------------------------------------ */

enum {
    O_DB = 1 << 0,
    O_JSON = 1 << 1,
    O_FORMAT = 1 << 2,
    O_STAGE = 1 << 3,
    O_FORCE = 1 << 4,
    O_OUT = 1 << 5,
    O_NAME = 1 << 6,
    O_OPERAND = 1 << 7, /* one positional argument (STUDY) */
    O_SORT = 1 << 8,
    O_STUDY = 1 << 9,   /* --study PATTERN, repeatable */
};

typedef struct {
    const char *db, *format, *stage, *dir, *name, *sort;
    const char *operand; /* NULL when not given */
    bool json, force;
    const char **studies; /* n_studies --study patterns (argv strings); array owned */
    int n_studies;
} s_flags_t;

static const struct option s_longopts[] = {
    {"db", required_argument, 0, 'd'},    {"json", no_argument, 0, 'J'},
    {"format", required_argument, 0, 'f'}, {"stage", required_argument, 0, 's'},
    {"force", no_argument, 0, 'F'},       {"out", required_argument, 0, 'o'},
    {"name", required_argument, 0, 'n'},  {"help", no_argument, 0, 'h'},
    {"sort", required_argument, 0, 'S'},  {"study", required_argument, 0, 'y'},
    {0, 0, 0, 0}};

static unsigned s_flag_bit(int opt)
{
    switch (opt) {
    case 'd': return O_DB;
    case 'J': return O_JSON;
    case 'f': return O_FORMAT;
    case 's': return O_STAGE;
    case 'F': return O_FORCE;
    case 'o': return O_OUT;
    case 'n': return O_NAME;
    case 'S': return O_SORT;
    case 'y': return O_STUDY;
    case 1: return O_OPERAND;
    default: return 0;
    }
}

/* Parse argv (argv[0] = the subcommand) into f, accepting only the flags in allowed.
 * Returns -1 to go on, or the exit code: 0 after --help, 2 on bad flags. The caller
 * frees f->studies whatever the result. */
static int s_parse(const char *cmd, const char *usage, unsigned allowed, int argc,
                   char **argv, s_flags_t *f)
{
    *f = (s_flags_t){.db = "hps.db", .format = "table", .dir = ".", .name = "hps",
                     .sort = "best"};
    int opt;
    optind = 1;
    opterr = 0; /* our messages name the command and show its usage */
    /* '-': operands come back in order as opt 1, so STUDY may come before or after flags. */
    while ((opt = getopt_long(argc, argv, "-o:h", s_longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        unsigned bit = s_flag_bit(opt);
        if (opt == '?' || !(bit & allowed)) {
            const char *bad = opt == 1 ? optarg : argv[optind - 1];
            return cli_usage_error(cmd, usage, opt == 1 ? "unexpected argument '%s'"
                                                : "unknown or incomplete option '%s'", bad);
        }
        switch (opt) {
        case 'd': f->db = optarg; break;
        case 'J': f->json = true; break;
        case 'f': f->format = optarg; break;
        case 's': f->stage = optarg; break;
        case 'F': f->force = true; break;
        case 'o': f->dir = optarg; break;
        case 'n': f->name = optarg; break;
        case 'S': f->sort = optarg; break;
        case 'y':
            f->studies = xrealloc(f->studies, sizeof *f->studies * (size_t)(f->n_studies + 1));
            f->studies[f->n_studies++] = optarg;
            break;
        case 1:
            if (f->operand)
                return cli_usage_error(cmd, usage, "unexpected argument '%s'", optarg);
            f->operand = optarg;
            break;
        default: break;
        }
    }
    return -1;
}

/* ---- shared helpers --------------------------------------------------------------- */

/* Open an existing study file, for reading only unless write. 0 ok; else the exit code
 * after a message: 2 when the file does not exist (a typo), 1 when it cannot be opened. */
static int s_open(const char *cmd, const char *db, bool write, store_t **st)
{
    char err[HPS_ERR_LEN];
    *st = write ? store_open(db, false, false, err) : store_open_read(db, err);
    if (*st)
        return 0;
    fprintf(stderr, "hps %s: %s\n", cmd, err);
    return access(db, F_OK) == 0 ? 1 : 2;
}

/* Map a report_* result to the exit code, printing the output or the error. */
static int s_finish(const char *cmd, int rc, strbuf_t *sb, const char *err)
{
    int code = 0;
    if (rc != 0) {
        fprintf(stderr, "hps %s: %s\n", cmd, err);
        code = rc == 1 ? 2 : 1;
    } else if (fputs(sb->buf, stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "hps %s: writing the result: %s\n", cmd, strerror(errno));
        code = 1;
    }
    sb_free(sb);
    return code;
}

/* ---- status, leaderboard ---------------------------------------------------------- */

static const char s_status_usage[] =
    "usage: hps status [--db FILE] [--json] [STUDY]\n"
    "  --db FILE   study database (default hps.db)\n"
    "  --json      one JSON object: {\"studies\": [...], \"workers\": [...]}\n"
    "  STUDY       only this study\n";

int status_db_run(const char *db, bool json, const char *study)
{
    store_t *st;
    int code = s_open("status", db, false, &st);
    if (code != 0)
        return code;
    char err[HPS_ERR_LEN];
    strbuf_t sb;
    sb_init(&sb);
    int rc = json ? report_status_json(st, study, &sb, err)
                  : report_status_text(st, study, &sb, err);
    store_close(&st);
    return s_finish("status", rc, &sb, err);
}

int status_db_main(int argc, char **argv)
{
    s_flags_t f;
    int code = s_parse("status", s_status_usage, O_DB | O_JSON | O_OPERAND, argc, argv, &f);
    return code >= 0 ? code : status_db_run(f.db, f.json, f.operand);
}

static const char s_board_usage[] =
    "usage: hps leaderboard [--db FILE] [--format FMT] [--sort KEY] [--study PATTERN]...\n"
    "  --db FILE         study database (default hps.db)\n"
    "  --format FMT      table (default), csv, json or md (Markdown)\n"
    "  --sort KEY        order within each metric group (default best):\n"
    "                      best     best value first, by the study's direction\n"
    "                      test     final test score, best first\n"
    "                      trials   most completed trials first\n"
    "                      wall     shortest wall time first\n"
    "                      study    by name (also: name)\n"
    "                      created  newest first\n"
    "  --study PATTERN   only studies whose name matches the shell pattern (quote it;\n"
    "                    repeatable); a pattern matching no study is an error (exit 1)\n"
    "Studies are grouped by metric and direction (accuracy apart from rmse; a synthetic\n"
    "or command objective's plain value apart again); rank is by best value within the\n"
    "group, and a study with no complete trial comes last. csv, json and md add the best\n"
    "trial's parameters (csv: one params.NAME column per parameter).\n";

/* The leaderboard of parsed flags: exit code. */
static int s_board_run(const s_flags_t *f)
{
    /* Checked before opening, so a bad flag is reported as one even without a DB. */
    if (!report_format_valid(f->format))
        return cli_usage_error("leaderboard", s_board_usage,
                       "unknown format '%s' (table, csv, json or md)", f->format);
    if (!report_sort_valid(f->sort)) {
        fprintf(stderr, "hps leaderboard: unknown sort key '%s' (%s)\n", f->sort,
                report_sort_keys);
        return 2;
    }
    store_t *st;
    int code = s_open("leaderboard", f->db, false, &st);
    if (code != 0)
        return code;
    char err[HPS_ERR_LEN];
    strbuf_t sb;
    sb_init(&sb);
    report_board_opts_t o = {.format = f->format, .sort = f->sort, .studies = f->studies,
                             .n_studies = f->n_studies, .is_model = model_known};
    int rc = report_board(st, &o, &sb, err);
    store_close(&st);
    return s_finish("leaderboard", rc, &sb, err);
}

int leaderboard_main(int argc, char **argv)
{
    s_flags_t f;
    int code = s_parse("leaderboard", s_board_usage, O_DB | O_FORMAT | O_SORT | O_STUDY, argc,
                       argv, &f);
    if (code < 0)
        code = s_board_run(&f);
    free(f.studies);
    return code;
}

/* ---- keygen ----------------------------------------------------------------------- */

/* Write DIR/NAME.key (public) and DIR/NAME.key_secret (mode 0600) without overwriting
 * either. pub_path (caller frees) and z85 (41 bytes) describe the public half.
 * 0 ok; 1 with err (files exist, I/O). */
static int s_keygen(const char *dir, const char *name, char **pub_path, char *z85, char *err)
{
    if (mkdir_p(dir, err) != 0)
        return 1;
    char *pub = xasprintf("%s/%s.key", dir, name);
    char *sec = xasprintf("%s_secret", pub);
    zcert_t *cert = NULL;
    int ret = 1;
    /* czmq builds the secret file name in a 256-byte buffer. */
    if (strlen(sec) >= 255) {
        set_err(err, "%s: path too long", sec);
        goto done;
    }
    if (access(pub, F_OK) == 0 || access(sec, F_OK) == 0) {
        set_err(err, "%s or %s already exists; refusing to overwrite a key", pub, sec);
        goto done;
    }
    if (!(cert = zcert_new())) {
        set_err(err, "cannot create a CURVE key pair (libzmq built without CURVE?)");
        goto done;
    }
    zcert_set_meta(cert, "name", "%s", name);
    if (zcert_save(cert, pub) != 0) {
        set_err(err, "%s: cannot write: %s", pub, strerror(errno));
        goto done;
    }
    /* czmq writes the secret private and the public key by the umask; make both what
     * they should be whatever the umask or czmq version: the public key is for sharing. */
    if (chmod(sec, 0600) != 0 || chmod(pub, 0644) != 0) {
        set_err(err, "%s: chmod: %s", access(sec, F_OK) == 0 ? pub : sec, strerror(errno));
        goto done;
    }
    snprintf(z85, 41, "%s", zcert_public_txt(cert));
    *pub_path = pub;
    pub = NULL;
    ret = 0;
done:
    zcert_destroy(&cert);
    free(pub);
    free(sec);
    return ret;
}

static const char s_keygen_usage[] =
    "usage: hps keygen [-o DIR] [--name NAME]\n"
    "  -o, --out DIR   where to write NAME.key and NAME.key_secret (default .)\n"
    "  --name NAME     key name, also stored in the certificate (default hps)\n"
    "prints the public key file and its Z85 text; the secret file stays private (0600)\n";

int keygen_main(int argc, char **argv)
{
    s_flags_t f;
    int code = s_parse("keygen", s_keygen_usage, O_OUT | O_NAME, argc, argv, &f);
    if (code >= 0)
        return code;
    if (!*f.name || strchr(f.name, '/') || f.name[0] == '.')
        return cli_usage_error("keygen", s_keygen_usage, "--name: '%s' is not a plain file name",
                       f.name);
    char err[HPS_ERR_LEN], z85[41], *pub = NULL;
    if (s_keygen(f.dir, f.name, &pub, z85, err) != 0) {
        fprintf(stderr, "hps keygen: %s\n", err);
        return 1;
    }
    printf("%s\n%s\n", pub, z85);
    free(pub);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- self-test -------------------------------------------------------------------- */

static void s_test_keygen(const char *dir)
{
    char err[HPS_ERR_LEN], z85[41], *pub = NULL;
    assert(s_keygen(dir, "k", &pub, z85, err) == 0);
    assert(strlen(z85) == 40 && strstr(pub, "/k.key"));
    struct stat sb;
    char *sec = xasprintf("%s_secret", pub);
    assert(stat(sec, &sb) == 0 && (sb.st_mode & 077) == 0);
    zcert_t *cert = zcert_load(sec);
    assert(cert && strcmp(zcert_public_txt(cert), z85) == 0);
    assert(strcmp(zcert_meta(cert, "name"), "k") == 0);
    zcert_destroy(&cert);
    char *again = NULL;
    assert(s_keygen(dir, "k", &again, z85, err) == 1 && strstr(err, "overwrite"));
    assert(!again);
    unlink(pub);
    unlink(sec);
    free(pub);
    free(sec);
}

void cli_db_test(bool verbose)
{
    char dir[] = "/tmp/hps-clidb-XXXXXX";
    assert(mkdtemp(dir));
    char *path = xasprintf("%s/t.db", dir);
    char err[HPS_ERR_LEN];
    store_t *st = store_open(path, true, false, err);
    int64_t id;
    assert(st && store_study_insert(st, "s", "{\"n_trials\": 5}", &id, err) == 0);
    store_close(&st);
    s_test_keygen(dir);

    /* Flags: each command accepts only its own. The mains' messages go to stderr, which
     * only a verbose run shows. */
    int saved = dup(STDERR_FILENO);
    assert(saved >= 0);
    if (!verbose) {
        FILE *null = freopen("/dev/null", "w", stderr);
        assert(null);
    }
    char *bad[] = {"status", "--force", NULL};
    assert(status_db_main(2, bad) == 2);
    char *missing[] = {"leaderboard", "--db", "/nonexistent/x.db", NULL};
    assert(leaderboard_main(3, missing) == 2);
    char *fmt[] = {"leaderboard", "--db", path, "--format", "xml", NULL};
    assert(leaderboard_main(5, fmt) == 2);
    char *sort[] = {"leaderboard", "--study", "a", "--db", path, "--sort", "speed", NULL};
    assert(leaderboard_main(7, sort) == 2);
    char *nomatch[] = {"leaderboard", "--study", "s", "--db", path, "--study", "x*", NULL};
    assert(leaderboard_main(7, nomatch) == 1);
    char *instatus[] = {"status", "--db", path, "--study", "s", NULL};
    assert(status_db_main(5, instatus) == 2);
    char *two[] = {"status", "--db", path, "a", "b", NULL};
    assert(status_db_main(5, two) == 2);
    assert(status_db_run(path, true, "nope") == 2);
    fflush(stderr);
    int rc = dup2(saved, STDERR_FILENO);
    assert(rc >= 0);
    close(saved);

    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
        char *f = xasprintf("%s%s", path, suffix[i]);
        unlink(f);
        free(f);
    }
    free(path);
    rmdir(dir);
}
