/* mlflow — a study as an MLflow FileStore tree (see mlflow.h).
 *
 * The experiment is built in a hidden folder beside its final place and renamed into
 * it when complete, so a failed export leaves no half experiment for MLflow to read.
 * YAML is written by hand: meta.yaml files are flat maps of scalars, keys sorted as
 * MLflow's write_yaml sorts them, strings single-quoted (YAML reads them back as
 * strings whatever they look like). */
#include "results/mlflow.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/pyfmt.h"
#include "results/xstudy.h"

/* MLflow's RunStatus numbers, by hps trial state (WAITING, RUNNING, COMPLETE, PRUNED,
 * FAIL): SCHEDULED 2, RUNNING 1, FINISHED 3, KILLED 5, FAILED 4. */
static const int s_status[TRIAL_NSTATES] = {2, 1, 3, 5, 4};

typedef struct {
    const xstudy_t *study;
    char *exp_id;     /* decimal; owned */
    char *tmp;        /* the experiment folder being built; owned */
    char *final_uri;  /* file:// URI of the experiment's final folder; owned */
    char *user;       /* user_id of the runs; owned */
    char *err;
} s_export_t;

/* ---- files ------------------------------------------------------------------------ */

static int s_write(const char *path, const char *text, const char *mode, char *err)
{
    FILE *f = fopen(path, mode);
    if (!f)
        return set_err(err, "%s: %s", path, strerror(errno));
    int rc = fputs(text, f) < 0 ? -1 : 0;
    if (fclose(f) != 0 || rc != 0)
        return set_err(err, "%s: write: %s", path, strerror(errno));
    return 0;
}

/* Write text to dir/sub/name (sub may be NULL). */
static int s_put(const char *dir, const char *sub, const char *name, const char *text,
                 const char *mode, char *err)
{
    char *path = sub ? xasprintf("%s/%s/%s", dir, sub, name) : xasprintf("%s/%s", dir, name);
    int rc = s_write(path, text, mode, err);
    free(path);
    return rc;
}

static int s_mkdir(const char *path, char *err)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return set_err(err, "mkdir %s: %s", path, strerror(errno));
    return 0;
}

static int s_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

/* rm -rf path; 0 also when it does not exist. */
static int s_rm_tree(const char *path, char *err)
{
    if (access(path, F_OK) != 0)
        return 0;
    if (nftw(path, s_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return set_err(err, "remove %s: %s", path, strerror(errno));
    return 0;
}

/* A YAML scalar string, single-quoted. */
static void s_yaml_str(strbuf_t *sb, const char *key, const char *s)
{
    sb_printf(sb, "%s: '", key);
    for (; *s; s++) {
        if (*s == '\'')
            sb_putc(sb, '\'');
        sb_putc(sb, *s);
    }
    sb_puts(sb, "'\n");
}

/* ---- runs ----------------------------------------------------------------------- */

/* A parameter's value as MLflow's str() of the Python value: repr of a float, an int,
 * a choice as its text (True/False/None for YAML booleans and null). */
static void s_param_text(strbuf_t *sb, const param_t *p, double x)
{
    if (p->kind == PARAM_FLOAT) {
        pyfmt_float(sb, x);
        return;
    }
    if (p->kind == PARAM_INT) {
        sb_printf(sb, "%.0f", x);
        return;
    }
    const char *text = p->choices[lround(x)];
    cfg_kind_t kind = p->choice_is_str[lround(x)] ? CFG_K_TEXT : cfg_text_kind(text, false);
    double d;
    if (kind == CFG_K_NULL)
        sb_puts(sb, "None");
    else if (kind == CFG_K_BOOL)
        sb_puts(sb, text[0] == 't' || text[0] == 'T' ? "True" : "False");
    else if (kind == CFG_K_NUMBER && strpbrk(text, ".eEinN") && parse_double(text, &d) == 0)
        pyfmt_float(sb, d);
    else
        sb_puts(sb, text);
}

/* The run id of trial number n (the final refit: -1). */
static void s_run_id(const s_export_t *x, long n, char out[33])
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = x->study->row.name; *s; s++)
        h = hash_mix64(h ^ (unsigned char)*s);
    uint64_t a = hash_mix64(h ^ (uint64_t)(n + 2)), b = hash_mix64(a ^ 0x6d6c666c6f77ULL);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

static long long s_ms(double t) { return isnan(t) ? 0 : (long long)llround(t * 1000); }

/* When a trial started: its lease, else its end (an imported trial may have no start),
 * else the study's creation. */
static double s_start(const s_export_t *x, const store_trial_row_t *t)
{
    return !isnan(t->started) ? t->started : !isnan(t->finished) ? t->finished
                                                                 : x->study->row.created;
}

static int s_meta(const s_export_t *x, const char *run_dir, const char *run_id,
                  const store_trial_row_t *t, const char *name)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb, "artifact_uri: '%s/%s/artifacts'\ndeleted_time: null\n", x->final_uri,
              run_id);
    if (t->trial.state >= TRIAL_COMPLETE)
        sb_printf(&sb, "end_time: %lld\n", s_ms(isnan(t->finished) ? s_start(x, t) : t->finished));
    else
        sb_puts(&sb, "end_time: null\n");
    sb_puts(&sb, "entry_point_name: ''\n");
    s_yaml_str(&sb, "experiment_id", x->exp_id);
    sb_puts(&sb, "lifecycle_stage: active\n");
    s_yaml_str(&sb, "run_id", run_id);
    s_yaml_str(&sb, "run_name", name);
    s_yaml_str(&sb, "run_uuid", run_id);
    sb_puts(&sb, "source_name: ''\nsource_type: 4\nsource_version: ''\n");
    sb_printf(&sb, "start_time: %lld\nstatus: %d\ntags: []\n",
              s_ms(s_start(x, t)), s_status[t->trial.state]);
    s_yaml_str(&sb, "user_id", x->user);
    int rc = s_put(run_dir, NULL, "meta.yaml", sb.buf, "w", x->err);
    sb_free(&sb);
    return rc;
}

/* Whether name is a valid MLflow param (file) name: letters, digits, _ - . space and /
 * (a "/" makes a sub-folder, as in MLflow), no empty, "." or ".." component. */
static bool s_name_ok(const char *name)
{
    if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_-. /") != strlen(name))
        return false;
    for (const char *c = name;;) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        if (!c[n])
            return true;
        c += n + 1;
    }
}

/* mkdir -p of the folder a param file name with "/" needs under run_dir/params. */
static int s_param_dir(const char *run_dir, const char *name, char *err)
{
    const char *slash = strrchr(name, '/');
    if (!slash)
        return 0;
    char *dir = xasprintf("%s/params/%.*s", run_dir, (int)(slash - name), name);
    int rc = mkdir_p(dir, err);
    free(dir);
    return rc;
}

static int s_params(const s_export_t *x, const char *run_dir, const store_trial_row_t *t)
{
    const space_t *space = x->study->space;
    int rc = 0;
    for (int i = 0; i < space->n && rc == 0; i++) {
        if (isnan(t->trial.x[i]))
            continue;
        strbuf_t sb;
        sb_init(&sb);
        s_param_text(&sb, &space->params[i], t->trial.x[i]);
        rc = s_param_dir(run_dir, space->params[i].name, x->err);
        if (rc == 0)
            rc = s_put(run_dir, "params", space->params[i].name, sb.buf, "w", x->err);
        sb_free(&sb);
    }
    return rc;
}

static int s_metrics(const s_export_t *x, const char *run_dir, const store_trial_row_t *t)
{
    const struct {
        const char *key;
        double v;
    } m[] = {{"value", t->trial.value},         {"cv_mean", t->cv_mean},
             {"cv_std", t->cv_std},       {"val_score", t->val_score},
             {"test_score", t->test_score}, {"secs", t->secs}};
    long long ts = s_ms(isnan(t->finished) ? s_start(x, t) : t->finished);
    int rc = 0;
    for (int i = 0; i < (int)ARRAY_SIZE(m) && rc == 0; i++) {
        if (isnan(m[i].v))
            continue;
        strbuf_t sb;
        sb_init(&sb);
        sb_printf(&sb, "%lld ", ts);
        pyfmt_float(&sb, m[i].v);
        sb_puts(&sb, " 0\n");
        rc = s_put(run_dir, "metrics", m[i].key, sb.buf, "w", x->err);
        sb_free(&sb);
    }
    return rc;
}

/* The steps, one line each of metrics/intermediate_value, timestamped in step order
 * from the trial's start (hps keeps no time per step). */
static int s_steps(const s_export_t *x, const char *run_dir, const store_trial_row_t *t)
{
    if (t->n_steps == 0)
        return 0;
    strbuf_t sb;
    sb_init(&sb);
    long long t0 = s_ms(s_start(x, t));
    for (int k = 0; k < t->n_steps; k++) {
        sb_printf(&sb, "%lld ", t0 + k);
        pyfmt_float(&sb, t->step_values[k]);
        sb_printf(&sb, " %ld\n", t->steps[k]);
    }
    int rc = s_put(run_dir, "metrics", "intermediate_value", sb.buf, "w", x->err);
    sb_free(&sb);
    return rc;
}

static int s_tags(const s_export_t *x, const char *run_dir, const store_trial_row_t *t,
                  const char *name)
{
    char number[32], attempt[32];
    snprintf(number, sizeof number, "%ld", t->trial.number);
    snprintf(attempt, sizeof attempt, "%d", t->trial.attempt);
    const struct {
        const char *key, *value;
    } tags[] = {{"mlflow.runName", name},  {"hps.state", trial_state_name(t->trial.state)},
                {"hps.number", number},    {"hps.attempt", attempt},
                {"hps.kind", t->trial.final ? "final" : "search"},
                {"hps.worker", t->trial.worker}, {"hps.error", t->error}};
    int rc = 0;
    for (int i = 0; i < (int)ARRAY_SIZE(tags) && rc == 0; i++)
        if (tags[i].value && *tags[i].value)
            rc = s_put(run_dir, "tags", tags[i].key, tags[i].value, "w", x->err);
    return rc;
}

static int s_trial(void *arg, const store_trial_row_t *t)
{
    s_export_t *x = arg;
    if (!xstudy_x_ok(x->study, t->trial.x, t->trial.nx))
        return set_err(x->err, "trial %ld: its %d parameter values do not fit the study's "
                               "space", t->trial.number, t->trial.nx);
    char id[33], name[48];
    s_run_id(x, t->trial.final ? -1 : t->trial.number, id);
    if (t->trial.final)
        snprintf(name, sizeof name, "final-refit");
    else
        snprintf(name, sizeof name, "trial-%ld", t->trial.number);
    char *dir = xasprintf("%s/%s", x->tmp, id);
    static const char *const subs[] = {"", "/params", "/metrics", "/tags", "/artifacts"};
    int rc = 0;
    for (int i = 0; i < (int)ARRAY_SIZE(subs) && rc == 0; i++) {
        char *p = xasprintf("%s%s", dir, subs[i]);
        rc = s_mkdir(p, x->err);
        free(p);
    }
    if (rc == 0)
        rc = s_meta(x, dir, id, t, name);
    if (rc == 0)
        rc = s_params(x, dir, t);
    if (rc == 0)
        rc = s_metrics(x, dir, t);
    if (rc == 0)
        rc = s_steps(x, dir, t);
    if (rc == 0)
        rc = s_tags(x, dir, t, name);
    free(dir);
    return rc;
}

/* ---- the experiment ------------------------------------------------------------- */

static int s_experiment(const s_export_t *x)
{
    const store_study_t *row = &x->study->row;
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb, "artifact_location: '%s'\ncreation_time: %lld\n", x->final_uri,
              s_ms(row->created));
    s_yaml_str(&sb, "experiment_id", x->exp_id);
    sb_printf(&sb, "last_update_time: %lld\nlifecycle_stage: active\n",
              s_ms(isnan(row->finished) ? now_secs() : row->finished));
    s_yaml_str(&sb, "name", row->name);
    int rc = s_mkdir(x->tmp, x->err);
    char *tags = xasprintf("%s/tags", x->tmp);
    if (rc == 0)
        rc = s_put(x->tmp, NULL, "meta.yaml", sb.buf, "w", x->err);
    if (rc == 0)
        rc = s_mkdir(tags, x->err);
    if (rc == 0)
        rc = s_put(tags, NULL, "hps.direction",
                   row->direction == DIR_MAXIMIZE ? "maximize" : "minimize", "w", x->err);
    free(tags);
    sb_free(&sb);
    return rc;
}

/* Every file of the experiment into x->tmp, from one snapshot of the store. */
static int s_fill(s_export_t *x, store_t *st)
{
    if (s_experiment(x) != 0)
        return -1;
    return xstudy_each(x->study, st, s_trial, x, x->err);
}

/* The experiment id of a study: a decimal number from its name (MLflow's own are
 * random integers of this size). */
static char *s_exp_id(const char *name)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (const char *s = name; *s; s++)
        h = hash_mix64(h ^ (unsigned char)*s);
    return xasprintf("%llu", (unsigned long long)(h % 1000000000000000000ULL));
}

static char *s_user(void)
{
    struct passwd *pw = getpwuid(getuid());
    return xstrdup(pw && pw->pw_name ? pw->pw_name : "unknown");
}

/* Create dir and dir/.trash; the absolute path of dir in *abs (caller frees). */
static int s_root(const char *dir, char **abs, char *err)
{
    *abs = NULL;
    if (mkdir_p(dir, err) != 0)
        return -1;
    char *trash = xasprintf("%s/.trash", dir);
    int rc = s_mkdir(trash, err);
    free(trash);
    if (rc == 0 && !(*abs = realpath(dir, NULL)))
        rc = set_err(err, "%s: %s", dir, strerror(errno));
    return rc;
}

int mlflow_export(store_t *st, const char *study, const char *dir, bool force, char *err)
{
    xstudy_t r;
    int rc = xstudy_open(st, study, &r, err);
    if (rc != 0)
        return rc;
    for (int i = 0; i < r.space->n; i++)
        if (!s_name_ok(r.space->params[i].name)) {
            set_err(err, "parameter '%s': an MLflow param name has only letters, digits, "
                         "_ - . space and / (and no '..')", r.space->params[i].name);
            xstudy_clear(&r);
            return 1;
        }
    s_export_t x = {.study = &r, .exp_id = s_exp_id(study), .user = s_user(), .err = err};
    char *abs = NULL, *final = NULL;
    rc = s_root(dir, &abs, err);
    if (rc == 0) {
        final = xasprintf("%s/%s", abs, x.exp_id);
        x.final_uri = xasprintf("file://%s", final);
        x.tmp = xasprintf("%s/.%s.tmp-%d", abs, x.exp_id, (int)getpid());
        if (!force && access(final, F_OK) == 0) {
            set_err(err, "%s: study '%s' was exported there already (--force replaces it)",
                    final, study);
            rc = 1;
        }
    }
    if (rc == 0 && (s_rm_tree(x.tmp, err) != 0 || s_fill(&x, st) != 0))
        rc = -1;
    if (rc == 0 && force && s_rm_tree(final, err) != 0)
        rc = -1;
    if (rc == 0 && rename(x.tmp, final) != 0)
        rc = set_err(err, "rename %s to %s: %s", x.tmp, final, strerror(errno));
    if (rc != 0 && x.tmp) {
        char ignore[HPS_ERR_LEN];
        s_rm_tree(x.tmp, ignore);
    }
    free(abs);
    free(final);
    free(x.final_uri);
    free(x.tmp);
    free(x.exp_id);
    free(x.user);
    xstudy_clear(&r);
    return rc;
}
