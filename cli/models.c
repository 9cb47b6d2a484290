/* cli_models — `hps models`, `hps models history`, `hps promote`, `hps model export`,
 * `hps model path` (see models.h). The rules and references are results/modelreg.c;
 * here flags, output formats and files. */
#include "cli/models.h"

#include <assert.h>
#include <getopt.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "cli/trials.h"
#include "core/limits.h"
#include "core/store.h"
#include "core/util.h"
#include "results/modelreg.h"

enum { F_FORMAT = 1, F_STAGE = 2, F_FORCE = 4, F_OUT = 8 };

typedef struct {
    const char *db, *format, *stage, *out;
    bool force;
    const char *args[2]; /* operands */
    int n_args;
} flags_t;

/* Parse argv (argv[0] the command) into f, with the flags of mask. -1 to go on, else
 * the exit code (0 after --help, 2 after a message and the usage). */
static int s_parse(const char *cmd, const char *usage, int mask, int argc, char **argv,
                   flags_t *f)
{
    static const struct option longopts[] = {
        {"db", required_argument, 0, 'd'},    {"format", required_argument, 0, 'f'},
        {"stage", required_argument, 0, 's'}, {"force", no_argument, 0, 'F'},
        {"out", required_argument, 0, 'o'},   {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    *f = (flags_t){.db = "hps.db", .format = "table"};
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "-ho:", longopts, NULL)) != -1) {
        int need = opt == 'f' ? F_FORMAT : opt == 's' ? F_STAGE : opt == 'F' ? F_FORCE
                 : opt == 'o' ? F_OUT : 0;
        if (opt == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (opt == 1 && f->n_args < 2)
            f->args[f->n_args++] = optarg;
        else if (opt == 'd')
            f->db = optarg;
        else if (need && (mask & need) && opt == 'F')
            f->force = true;
        else if (need && (mask & need))
            *(opt == 'f' ? &f->format : opt == 's' ? &f->stage : &f->out) = optarg;
        else {
            fprintf(stderr, "hps %s: unexpected argument '%s'\n%s", cmd, argv[optind - 1],
                    usage);
            return 2;
        }
    }
    if (strcmp(f->format, "table") != 0 && strcmp(f->format, "json") != 0) {
        fprintf(stderr, "hps %s: --format: table or json, not '%s'\n%s", cmd, f->format, usage);
        return 2;
    }
    return -1;
}

static void s_time(double at, char *out, size_t size)
{
    time_t t = (time_t)at;
    struct tm tm;
    if (isnan(at) || !gmtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, size, "-");
}

/* ---- hps models ----------------------------------------------------------------------- */

static void s_models_json(const store_model_t *m, int n)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_puts(&sb, "[");
    for (int i = 0; i < n; i++) {
        sb_puts(&sb, i ? ",\n {\"name\": " : "{\"name\": ");
        sb_json_str(&sb, m[i].name);
        sb_printf(&sb, ", \"version\": %ld, \"stage\": ", m[i].version);
        sb_json_str(&sb, m[i].stage);
        sb_puts(&sb, ", \"study\": ");
        m[i].study ? sb_json_str(&sb, m[i].study) : sb_puts(&sb, "null");
        sb_printf(&sb, ", \"trial\": %lld, \"test_score\": ", (long long)m[i].trial_id);
        sb_json_num(&sb, m[i].test_score);
        sb_puts(&sb, ", \"cv_mean\": ");
        sb_json_num(&sb, m[i].cv_mean);
        sb_puts(&sb, ", \"cv_std\": ");
        sb_json_num(&sb, m[i].cv_std);
        sb_puts(&sb, ", \"tier\": ");
        m[i].tier ? sb_json_str(&sb, m[i].tier) : sb_puts(&sb, "null");
        sb_puts(&sb, ", \"data_sha256\": ");
        m[i].data_sha ? sb_json_str(&sb, m[i].data_sha) : sb_puts(&sb, "null");
        sb_puts(&sb, ", \"created\": ");
        sb_json_num(&sb, m[i].created);
        sb_puts(&sb, ", \"file\": ");
        sb_json_str(&sb, m[i].file);
        sb_puts(&sb, ", \"sha256\": ");
        sb_json_str(&sb, m[i].sha256);
        sb_printf(&sb, ", \"size\": %lld}", (long long)m[i].size);
    }
    sb_puts(&sb, "]\n");
    fputs(sb.buf ? sb.buf : "[]\n", stdout);
    sb_free(&sb);
}

/* The NAME column's width so far (20 at least) widened to fit name. */
static int s_wider(int w, const char *name)
{
    int len = (int)strlen(name);
    return len > w ? len : w;
}

static void s_models_table(const store_model_t *m, int n)
{
    int w = 20;
    for (int i = 0; i < n; i++)
        w = s_wider(w, m[i].name);
    printf("%-*s %4s %-10s %-9s %-17s %-15s %-12s %-20s %s\n", w, "NAME", "VER", "STAGE", "TEST",
           "CV", "TIER", "DATA", "CREATED", "FILE");
    for (int i = 0; i < n; i++) {
        char cv[32] = "-", test[32] = "-", when[32];
        if (!isnan(m[i].cv_mean))
            snprintf(cv, sizeof cv, "%.4f±%.4f", m[i].cv_mean,
                     isnan(m[i].cv_std) ? 0 : m[i].cv_std);
        if (!isnan(m[i].test_score))
            snprintf(test, sizeof test, "%.5g", m[i].test_score);
        s_time(m[i].created, when, sizeof when);
        int cvw = strstr(cv, "±") ? 18 : 17; /* ± is two bytes, one column */
        printf("%-*s %4ld %-10s %-9s %-*s %-15s %-12.12s %-20s %s\n", w, m[i].name, m[i].version,
               m[i].stage, test, cvw, cv, m[i].tier ? m[i].tier : "-",
               m[i].data_sha ? m[i].data_sha : "-", when, m[i].file);
    }
}

static void s_history_out(const store_transition_t *t, int n, bool json)
{
    strbuf_t sb;
    sb_init(&sb);
    int w = 20;
    for (int i = 0; i < n; i++)
        w = s_wider(w, t[i].name);
    if (!json)
        sb_printf(&sb, "%-*s %4s %-10s %-10s %-6s %-24s %s\n", w, "NAME", "VER", "FROM", "TO",
                  "FORCED", "WHO", "AT");
    for (int i = 0; i < n; i++) {
        char when[32];
        s_time(t[i].at, when, sizeof when);
        if (!json) {
            sb_printf(&sb, "%-*s %4ld %-10s %-10s %-6s %-24s %s\n", w, t[i].name, t[i].version,
                      t[i].from_stage, t[i].to_stage, t[i].forced ? "yes" : "no",
                      t[i].who ? t[i].who : "-", when);
            continue;
        }
        sb_puts(&sb, i ? ",\n " : "[");
        modelreg_transition_json(&sb, &t[i], true);
    }
    if (json)
        sb_puts(&sb, n ? "]\n" : "[]\n");
    fputs(sb.buf ? sb.buf : "", stdout);
    sb_free(&sb);
}

static const char s_models_usage[] =
    "usage: hps models [--db FILE] [--format table|json]\n"
    "       hps models history NAME [--db FILE] [--format table|json]\n"
    "The model registry: every version of every registered model (a final refit that\n"
    "handed back a model file), its stage (none, staging, production, archived), test\n"
    "score, CV mean±std, tier, dataset sha256 and when it was made; `history` lists every\n"
    "stage move of NAME with who made it, when, and whether it was forced.\n"
    "  --db FILE       study database (default hps.db)\n"
    "  --format FMT    table (default) or json\n";

int models_main(int argc, char **argv)
{
    flags_t f;
    int code = s_parse("models", s_models_usage, F_FORMAT, argc, argv, &f);
    if (code >= 0)
        return code;
    bool history = f.n_args >= 1 && strcmp(f.args[0], "history") == 0;
    if (f.n_args > (history ? 2 : 0) || (history && f.n_args != 2)) {
        fprintf(stderr, "hps models: %s\n%s", history ? "history needs NAME" : "unexpected operand",
                s_models_usage);
        return 2;
    }
    store_t *st;
    if ((code = cli_open_read("models", f.db, &st)) != 0)
        return code;
    char err[HPS_ERR_LEN];
    bool json = strcmp(f.format, "json") == 0;
    int n, rc;
    if (history) {
        store_model_t *m = NULL;
        if ((rc = store_models(st, f.args[1], &m, &n, err)) == 0 && n == 0) {
            char *shown = limits_escape(f.args[1], false);
            set_err(err, "no registered model '%s' (hps models lists them)", shown);
            free(shown);
            rc = 2;
        }
        store_models_free(&m, n);
        store_transition_t *t = NULL;
        if (rc == 0 && (rc = store_model_history(st, f.args[1], &t, &n, err)) == 0)
            s_history_out(t, n, json);
        store_transitions_free(&t, n);
    } else {
        store_model_t *m;
        if ((rc = store_models(st, NULL, &m, &n, err)) == 0)
            json ? s_models_json(m, n) : s_models_table(m, n);
        store_models_free(&m, n);
    }
    store_close(&st);
    if (rc != 0)
        fprintf(stderr, "hps models: %s\n", err);
    return rc == 0 ? 0 : rc == 2 ? 2 : 1;
}

/* ---- hps promote ---------------------------------------------------------------------- */

/* user@host of whoever runs this, for the record. */
static void s_who(char *out, size_t size)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    struct passwd *pw = getpwuid(geteuid());
    const char *user = pw && pw->pw_name ? pw->pw_name : getenv("USER");
    snprintf(out, size, "%s@%s", user ? user : "unknown", host);
}

static const char s_promote_usage[] =
    "usage: hps promote NAME[:VERSION] [--db FILE] --stage staging|production|archived "
    "[--force]\n"
    "Move a registered model version (default: the latest of NAME; a study's models are\n"
    "registered under its name, or its `register:` name) to a stage. One version holds\n"
    "staging and one production: the one there before is archived (recorded as its own\n"
    "move). Production takes a version that was in staging, with tier standard or better;\n"
    "staging takes tier limited or better and never the production version. Every move is\n"
    "recorded with who and when (hps models history NAME).\n"
    "  --db FILE       study database (default hps.db)\n"
    "  --stage STAGE   staging, production or archived\n"
    "  --force         move it even against those rules (recorded as forced)\n";

int promote_main(int argc, char **argv)
{
    flags_t f;
    int code = s_parse("promote", s_promote_usage, F_STAGE | F_FORCE, argc, argv, &f);
    if (code >= 0)
        return code;
    if (f.n_args != 1 || !f.stage) {
        fprintf(stderr, "hps promote: %s\n%s", f.n_args != 1 ? "one NAME[:VERSION] expected"
                                                              : "--stage is required",
                s_promote_usage);
        return 2;
    }
    char err[HPS_ERR_LEN], who[300];
    store_t *st = store_open(f.db, false, false, err);
    if (!st) {
        fprintf(stderr, "hps promote: %s\n", err);
        return access(f.db, F_OK) == 0 ? 1 : 2;
    }
    s_who(who, sizeof who);
    int rc = modelreg_promote(st, f.args[0], f.stage, f.force, who, err);
    store_close(&st);
    if (rc == 0) {
        printf("%s\n", err);
        return 0;
    }
    fprintf(stderr, "hps promote: %s%s\n", rc == 1 ? "refused: " : "", err);
    return rc == 2 ? 2 : 1;
}

/* ---- hps model export | path ------------------------------------------------------------ */

/* Copy the verified blob of m into dir under its file name and write its card beside
 * it; the two paths go to stdout. 0, 1 with err, or 2 with err when dir would
 * overwrite the study file or its blobs. */
static int s_export(store_t *st, const char *db, const store_model_t *m, const char *dir,
                    char *err)
{
    char *blob = modelreg_blob_path(db, m->sha256), sha[65];
    char *dest = xasprintf("%s/%s", dir, m->file);
    char *card_path = xasprintf("%s/model_card.json", dir);
    char *data = NULL, *card = NULL;
    size_t len;
    const char *const blob_in[] = {blob}, *const paths[] = {dir, dest, card_path};
    int rc = 0;
    for (int i = 0; rc == 0 && i < 3; i++) {
        const char *what = cli_output_clash(paths[i], db, blob_in, 1);
        if (what) {
            set_err(err, "-o %s: %s is %s: writing it would destroy it", dir, paths[i], what);
            rc = 2;
        }
    }
    if (rc == 0)
        rc = sha256_file(blob, sha, err);
    if (rc == 0 && strcmp(sha, m->sha256) != 0)
        rc = set_err(err, "%s: contents do not match its sha256 (damaged)", blob);
    if (rc == 0 && (mkdir_p(dir, err) != 0 || !(data = file_read(blob, &len, err)) ||
                    file_write_atomic(dest, data, len, err) != 0 ||
                    !(card = modelreg_card_json(st, m, err)) ||
                    file_write_atomic(card_path, card, strlen(card), err) != 0))
        rc = -1;
    if (rc == 0)
        printf("%s\n%s\n", dest, card_path);
    free(data);
    free(card);
    free(blob);
    free(dest);
    free(card_path);
    return rc == 2 ? 2 : rc ? 1 : 0;
}

static const char s_model_usage[] =
    "usage: hps model export REF -o DIR [--db FILE]\n"
    "       hps model path REF [--db FILE]\n"
    "REF is NAME (the latest version), NAME:VERSION or NAME@STAGE (staging, production,\n"
    "archived). export writes the model file (checked against its sha256) and\n"
    "DIR/model_card.json (lineage, metrics, tier, stage history) and prints both paths;\n"
    "path prints where the model file is (<db>.blobs/<sha256>).\n"
    "  --db FILE       study database (default hps.db)\n"
    "  -o, --out DIR   export: the folder to write (made when missing)\n";

int model_main(int argc, char **argv)
{
    flags_t f;
    int code = s_parse("model", s_model_usage, F_OUT, argc, argv, &f);
    if (code >= 0)
        return code;
    bool export = f.n_args == 2 && strcmp(f.args[0], "export") == 0;
    bool path = f.n_args == 2 && strcmp(f.args[0], "path") == 0;
    if ((!export && !path) || (export && !f.out)) {
        fprintf(stderr, "hps model: %s\n%s", export ? "export needs -o DIR" : "export or path, "
                "and a REF", s_model_usage);
        return 2;
    }
    store_t *st;
    if ((code = cli_open_read("model", f.db, &st)) != 0)
        return code;
    char err[HPS_ERR_LEN];
    int rc = 0;
    if (path) {
        char *p = modelreg_artifact_path(st, f.db, f.args[1], &code, err);
        if (p)
            printf("%s\n", p);
        rc = p ? 0 : code;
        free(p);
    } else {
        store_model_t m;
        rc = modelreg_find(st, f.args[1], &m, err);
        rc = rc == 1 ? 2 : rc < 0 ? 1 : s_export(st, f.db, &m, f.out, err);
        store_model_clear(&m);
    }
    store_close(&st);
    if (rc != 0)
        fprintf(stderr, "hps model: %s\n", err);
    return rc;
}

/* ---- self-test ------------------------------------------------------------------------ */

void cli_models_test(bool verbose)
{
    flags_t f;
    int saved = dup(STDERR_FILENO);
    assert(saved >= 0);
    if (!verbose) {
        FILE *null = freopen("/dev/null", "w", stderr);
        assert(null);
    }
    char *a[] = {"promote", "m:2", "--stage", "production", "--force", "--db", "x.db", NULL};
    assert(s_parse("promote", "", F_STAGE | F_FORCE, 7, a, &f) == -1);
    assert(f.force && strcmp(f.stage, "production") == 0 && f.n_args == 1 &&
           strcmp(f.db, "x.db") == 0);
    char *b[] = {"models", "--stage", "x", NULL};
    assert(s_parse("models", "", F_FORMAT, 3, b, &f) == 2);
    char *c[] = {"models", "--format", "xml", NULL};
    assert(s_parse("models", "", F_FORMAT, 3, c, &f) == 2);
    char *d[] = {"model", "export", "m@production", "-o", "dir", NULL};
    assert(s_parse("model", "", F_OUT, 5, d, &f) == -1 && strcmp(f.out, "dir") == 0);
    char *e[] = {"promote", "m", NULL};
    assert(promote_main(2, e) == 2);
    char *g[] = {"model", "path", "m", "--db", "/nonexistent/x.db", NULL};
    assert(model_main(5, g) == 2);
    fflush(stderr);
    int rc = dup2(saved, STDERR_FILENO);
    assert(rc >= 0);
    close(saved);
    char who[300];
    s_who(who, sizeof who);
    assert(strchr(who, '@'));
}
