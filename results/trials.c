/* trials — the trial listing of `hps trials` and `hps export --format csv|json` (see
 * trials.h).
 *
 * One pass over store_trial_rows: each row is decoded with the study's space and
 * rendered at once into a buffer that is written out every TRIALS_FLUSH bytes (csv,
 * json), or kept as text cells until the column widths are known (table). The space
 * comes from the stored config through cfg_parse, not study_config_from_json: a listing
 * must work for a file moved away from its data, which full validation would refuse. */
#include "results/trials.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/limits.h"
#include "core/report.h"
#include "core/space.h"

enum { TRIALS_FLUSH = 1 << 16 }; /* bytes of output buffered before a write */

typedef enum { F_TABLE, F_CSV, F_JSON } s_format_t;

static const char *const s_formats[] = {"table", "csv", "json"};

/* The fixed columns around the parameters; S_COL_OPT onwards show in a table only
 * when some row has them. */
enum { S_COL_NUMBER, S_COL_STATE, S_COL_VALUE, S_COL_NFRONT };
enum {
    S_COL_DURATION,
    S_COL_WORKER,
    S_COL_ATTEMPT,
    S_COL_CV_MEAN,
    S_COL_CV_STD,
    S_COL_TEST,
    S_COL_ERROR,
    S_COL_STEPS,
    S_COL_NBACK,
    S_COL_OPT = S_COL_CV_MEAN
};
static const char *const s_front_names[S_COL_NFRONT] = {"number", "state", "value"};
static const char *const s_back_names[S_COL_NBACK] = {
    "duration", "worker", "attempt", "cv_mean", "cv_std", "test_score", "error", "steps"};

typedef struct {
    s_format_t format;
    bool steps;
    const space_t *space; /* NULL when the config has none that parses */
    FILE *out;            /* borrowed */
    strbuf_t sb;          /* output not yet written */
    strbuf_t cell;        /* scratch for one csv cell */
    long rows;
    int write_errno;      /* 0, or the errno of a failed write */
    /* table: every row's cells, ncols each, in column order; owned */
    char **cells;
    size_t n_cells, cap_cells;
    bool shown[S_COL_NBACK]; /* back columns some row has (table) */
} s_ctx_t;

bool trials_format_valid(const char *format)
{
    for (size_t i = 0; i < ARRAY_SIZE(s_formats); i++)
        if (strcmp(format, s_formats[i]) == 0)
            return true;
    return false;
}

static int s_ncols(const s_ctx_t *c)
{
    return S_COL_NFRONT + (c->space ? c->space->n : 0) + S_COL_NBACK;
}

/* Write what is buffered (all of it when force, else once TRIALS_FLUSH is reached). */
static void s_flush(s_ctx_t *c, bool force)
{
    if (c->sb.len == 0 || (!force && c->sb.len < TRIALS_FLUSH))
        return;
    if (!c->write_errno && fwrite(c->sb.buf, 1, c->sb.len, c->out) != c->sb.len)
        c->write_errno = errno ? errno : EIO;
    c->sb.len = 0;
    c->sb.buf[0] = '\0';
}

/* ---- one row, decoded ------------------------------------------------------------- */

/* Whether t's point decodes with the space: the right size, each value legal. */
static bool s_decodes(const s_ctx_t *c, const store_trial_row_t *t)
{
    return c->space && t->trial.nx == c->space->n && space_point_ok(c->space, t->trial.x);
}

/* The seconds a trial took: what the objective reported, else its wall time. */
static double s_duration(const store_trial_row_t *t)
{
    if (!isnan(t->secs))
        return t->secs;
    return isnan(t->started) || isnan(t->finished) ? NAN : t->finished - t->started;
}

/* A number as csv/json cell text (shortest round trip); nothing for NaN in csv. */
static void s_num(strbuf_t *sb, double v, bool csv)
{
    if (!(csv && isnan(v)))
        sb_json_num(sb, v);
}

/* A parameter's plain text: the number, or the choice as written in the config. */
static void s_param_text(strbuf_t *sb, const param_t *p, double x)
{
    if (p->kind == PARAM_CAT)
        sb_puts(sb, p->choices[lround(x)]);
    else
        sb_json_num(sb, p->kind == PARAM_INT ? round(x) : x);
}

/* STEP:VALUE pairs joined by sep; values to 6 digits for people, else exact. */
static void s_steps_text(strbuf_t *sb, const store_trial_row_t *t, const char *sep, bool human)
{
    for (int i = 0; i < t->n_steps; i++) {
        sb_printf(sb, "%s%ld:", i ? sep : "", t->steps[i]);
        if (human)
            sb_printf(sb, "%.6g", t->step_values[i]);
        else
            s_num(sb, t->step_values[i], false);
    }
}

/* ---- csv -------------------------------------------------------------------------- */

/* A csv field after a comma unless first; nothing for NULL. */
static void s_csv_field(strbuf_t *sb, const char *s, bool first)
{
    if (!first)
        sb_putc(sb, ',');
    if (s)
        sb_csv_str(sb, s);
}

static void s_csv_header(s_ctx_t *c)
{
    for (int i = 0; i < S_COL_NFRONT; i++)
        s_csv_field(&c->sb, s_front_names[i], i == 0);
    for (int i = 0; c->space && i < c->space->n; i++) {
        c->cell.len = 0;
        sb_printf(&c->cell, "param.%s", c->space->params[i].name);
        s_csv_field(&c->sb, c->cell.buf, false);
    }
    for (int i = 0; i < S_COL_NBACK - (c->steps ? 0 : 1); i++)
        s_csv_field(&c->sb, s_back_names[i], false);
    sb_putc(&c->sb, '\n');
}

static void s_csv_row(s_ctx_t *c, const store_trial_row_t *t)
{
    strbuf_t *sb = &c->sb;
    bool ok = s_decodes(c, t);
    sb_printf(sb, "%ld,%s,", t->trial.number, trial_state_name(t->trial.state));
    s_num(sb, t->trial.value, true);
    for (int i = 0; c->space && i < c->space->n; i++) {
        c->cell.len = 0;
        c->cell.buf[0] = '\0';
        if (ok && !isnan(t->trial.x[i])) /* inactive: an empty cell */
            s_param_text(&c->cell, &c->space->params[i], t->trial.x[i]);
        s_csv_field(sb, c->cell.buf, false); /* a choice may hold a comma */
    }
    sb_putc(sb, ',');
    s_num(sb, s_duration(t), true);
    s_csv_field(sb, t->trial.worker, false);
    sb_printf(sb, ",%d,", t->trial.attempt);
    s_num(sb, t->cv_mean, true);
    sb_putc(sb, ',');
    s_num(sb, t->cv_std, true);
    sb_putc(sb, ',');
    s_num(sb, t->test_score, true);
    s_csv_field(sb, t->error && *t->error ? t->error : NULL, false);
    if (c->steps) {
        sb_putc(sb, ',');
        s_steps_text(sb, t, ";", false);
    }
    sb_putc(sb, '\n');
}

/* ---- json ------------------------------------------------------------------------- */

static void s_json_key_num(strbuf_t *sb, const char *key, double v)
{
    sb_printf(sb, ", \"%s\": ", key);
    sb_json_num(sb, v);
}

static void s_json_row(s_ctx_t *c, const store_trial_row_t *t)
{
    strbuf_t *sb = &c->sb;
    sb_puts(sb, c->rows ? ",\n" : "[\n");
    sb_printf(sb, "{\"number\": %ld, \"state\": \"%s\"", t->trial.number,
              trial_state_name(t->trial.state));
    s_json_key_num(sb, "value", t->trial.value);
    sb_puts(sb, ", \"params\": ");
    if (s_decodes(c, t))
        space_point_json(sb, c->space, t->trial.x);
    else
        sb_puts(sb, "null");
    s_json_key_num(sb, "duration", s_duration(t));
    sb_puts(sb, ", \"worker\": ");
    if (t->trial.worker)
        sb_json_str(sb, t->trial.worker);
    else
        sb_puts(sb, "null");
    sb_printf(sb, ", \"attempt\": %d", t->trial.attempt);
    s_json_key_num(sb, "cv_mean", t->cv_mean);
    s_json_key_num(sb, "cv_std", t->cv_std);
    s_json_key_num(sb, "test_score", t->test_score);
    sb_puts(sb, ", \"error\": ");
    if (t->error && *t->error)
        sb_json_str(sb, t->error);
    else
        sb_puts(sb, "null");
    if (c->steps) {
        sb_puts(sb, ", \"steps\": [");
        for (int i = 0; i < t->n_steps; i++) {
            sb_printf(sb, "%s{\"step\": %ld, \"value\": ", i ? ", " : "", t->steps[i]);
            sb_json_num(sb, t->step_values[i]);
            sb_putc(sb, '}');
        }
        sb_putc(sb, ']');
    }
    sb_putc(sb, '}');
}

/* ---- table ------------------------------------------------------------------------ */

static void s_cell(s_ctx_t *c, strbuf_t *text)
{
    if (c->n_cells == c->cap_cells) {
        c->cap_cells = c->cap_cells ? c->cap_cells * 2 : 256;
        c->cells = xrealloc(c->cells, sizeof *c->cells * c->cap_cells);
    }
    /* escaped: worker names and error text are shown on a terminal */
    c->cells[c->n_cells++] = limits_escape(text->buf, false);
    text->len = 0;
    text->buf[0] = '\0';
}

/* Text of a number for people: 6 significant digits, "-" for none. */
static void s_human_num(strbuf_t *sb, double v)
{
    if (isnan(v))
        sb_puts(sb, "-");
    else
        sb_printf(sb, "%.6g", v);
}

static void s_table_row(s_ctx_t *c, const store_trial_row_t *t)
{
    strbuf_t sb;
    sb_init(&sb);
    bool ok = s_decodes(c, t);
    if (t->trial.final)
        sb_puts(&sb, "refit");
    else
        sb_printf(&sb, "%ld", t->trial.number);
    s_cell(c, &sb);
    sb_puts(&sb, trial_state_name(t->trial.state));
    s_cell(c, &sb);
    s_human_num(&sb, t->trial.value);
    s_cell(c, &sb);
    for (int i = 0; c->space && i < c->space->n; i++) {
        const param_t *p = &c->space->params[i];
        if (!ok)
            sb_puts(&sb, "?");
        else if (isnan(t->trial.x[i]))
            sb_puts(&sb, "-"); /* inactive */
        else if (p->kind == PARAM_FLOAT)
            s_human_num(&sb, t->trial.x[i]);
        else
            s_param_text(&sb, p, t->trial.x[i]);
        s_cell(c, &sb);
    }
    double secs = s_duration(t);
    if (isnan(secs))
        sb_puts(&sb, "-");
    else
        sb_printf(&sb, "%.3gs", secs);
    s_cell(c, &sb);
    sb_puts(&sb, t->trial.worker ? t->trial.worker : "-");
    s_cell(c, &sb);
    sb_printf(&sb, "%d", t->trial.attempt);
    s_cell(c, &sb);
    const double opt[] = {t->cv_mean, t->cv_std, t->test_score};
    for (int i = 0; i < 3; i++) {
        c->shown[S_COL_CV_MEAN + i] |= !isnan(opt[i]);
        s_human_num(&sb, opt[i]);
        s_cell(c, &sb);
    }
    c->shown[S_COL_ERROR] |= t->error && *t->error;
    sb_puts(&sb, t->error && *t->error ? t->error : "");
    s_cell(c, &sb);
    s_steps_text(&sb, t, " ", true);
    s_cell(c, &sb);
    sb_free(&sb);
}

/* Display width of UTF-8 text (code points; names are printable, see limits.h). */
static size_t s_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void s_table_print(s_ctx_t *c)
{
    int ncols = s_ncols(c), np = ncols - S_COL_NFRONT - S_COL_NBACK;
    c->shown[S_COL_DURATION] = c->shown[S_COL_WORKER] = c->shown[S_COL_ATTEMPT] = true;
    c->shown[S_COL_STEPS] = c->steps;
    size_t *width = xcalloc((size_t)ncols, sizeof *width);
    strbuf_t *sb = &c->sb;
    for (int pass = 0; pass < 2; pass++) {
        for (long r = -1; r < c->rows; r++) {
            for (int k = 0; k < ncols; k++) {
                int back = k - S_COL_NFRONT - np;
                if (back >= 0 && !c->shown[back])
                    continue;
                const char *text = r >= 0 ? c->cells[(size_t)r * (size_t)ncols + (size_t)k]
                                   : k < S_COL_NFRONT ? s_front_names[k]
                                   : back < 0 ? c->space->params[k - S_COL_NFRONT].name
                                              : s_back_names[back];
                size_t w = s_width(text);
                if (pass == 0) {
                    width[k] = w > width[k] ? w : width[k];
                    continue;
                }
                sb_puts(sb, text);
                for (size_t pad = w; pad < width[k] + 2; pad++)
                    sb_putc(sb, ' ');
            }
            if (pass == 1) {
                while (sb->len > 0 && sb->buf[sb->len - 1] == ' ')
                    sb->buf[--sb->len] = '\0';
                sb_putc(sb, '\n');
                s_flush(c, false);
            }
        }
    }
    free(width);
}

/* ---- the listing ------------------------------------------------------------------ */

static int s_row_cb(void *arg, const store_trial_row_t *t)
{
    s_ctx_t *c = arg;
    if (c->format == F_CSV)
        s_csv_row(c, t);
    else if (c->format == F_JSON)
        s_json_row(c, t);
    else
        s_table_row(c, t);
    c->rows++;
    s_flush(c, false);
    return c->write_errno ? 1 : 0;
}

/* The listing of study s into c, then the table or the json's closing bracket. */
static int s_list(store_t *st, const store_study_t *s, const trials_opts_t *o, s_ctx_t *c,
                  char *err)
{
    if (c->format == F_CSV)
        s_csv_header(c);
    store_trial_query_t q = {.state = o->state, .by_value = o->by_value, .dir = s->direction,
                             .limit = o->limit, .steps = o->steps};
    int rc = store_trial_rows(st, s->id, &q, s_row_cb, c, err);
    if (rc == 0 && c->format == F_TABLE)
        s_table_print(c);
    else if (rc == 0 && c->format == F_JSON)
        sb_puts(&c->sb, c->rows ? "\n]\n" : "[]\n");
    s_flush(c, true);
    if (rc == 0 && !c->write_errno && fflush(c->out) != 0)
        c->write_errno = errno;
    if (c->write_errno)
        rc = set_err(err, "writing the trials: %s", strerror(c->write_errno));
    return rc;
}

int trials_write(store_t *st, const char *study, const trials_opts_t *o, FILE *out,
                 char *err)
{
    const char *format = o->format ? o->format : "table";
    if (!trials_format_valid(format))
        return set_err(err, "unknown format '%s' (table, csv or json)", format), 1;
    s_ctx_t c = {.format = format[0] == 't' ? F_TABLE : format[0] == 'c' ? F_CSV : F_JSON,
                 .steps = o->steps, .out = out};
    sb_init(&c.sb);
    sb_init(&c.cell);
    bool own;
    if (store_snapshot_begin(st, &own, err) != 0)
        return -1;
    store_study_t s;
    int rc = store_study_get(st, study, &s, err);
    if (rc == 1)
        rc = report_no_study(st, study, err);
    else if (rc == 0) {
        space_t *space = space_from_config_text(s.config, s.name);
        c.space = space;
        rc = s_list(st, &s, o, &c, err);
        space_destroy(&space);
        store_study_clear(&s);
    }
    char ignore[HPS_ERR_LEN];
    if (store_snapshot_end(st, own, rc == 0 ? err : ignore) != 0 && rc == 0)
        rc = -1;
    for (size_t i = 0; i < c.n_cells; i++)
        free(c.cells[i]);
    free(c.cells);
    sb_free(&c.sb);
    sb_free(&c.cell);
    return rc;
}

/* ---- tests ------------------------------------------------------------------------ */

/* The listing of study "t" in o's format, as one string (caller frees). */
static char *s_listing(store_t *st, const char *study, trials_opts_t o, int want_rc)
{
    char *text = NULL, err[HPS_ERR_LEN];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert(f);
    int rc = trials_write(st, study, &o, f, err);
    if (rc != want_rc)
        fprintf(stderr, "trials_write: %d (%s)\n", rc, err);
    assert(rc == want_rc);
    assert(fclose(f) == 0);
    if (rc == 1)
        assert(strstr(err, "studies: t"));
    return text;
}

void trials_test(bool verbose)
{
    char path[] = "/tmp/hps-trials-XXXXXX", err[HPS_ERR_LEN];
    int fd = mkstemp(path);
    assert(fd >= 0 && close(fd) == 0 && unlink(path) == 0); /* a fresh name */
    store_t *st = store_open(path, true, false, err);
    assert(st);
    int64_t sid, tid;
    const char *config = "{\"study\": \"t\", \"direction\": \"maximize\", \"space\": {"
                         "\"lr\": {\"type\": \"float\", \"low\": 0, \"high\": 1},"
                         " \"act\": {\"type\": \"categorical\", \"choices\": [\"relu\", \"a,b\"]}}}";
    assert(store_study_insert(st, "t", config, &sid, err) == 0);
    const double pts[3][2] = {{0.25, 0}, {0.5, 1}, {0.75, 7}}; /* 7: no such choice */
    for (int i = 0; i < 3; i++) {
        assert(store_trial_create(st, sid, i, false, pts[i], 2, "w1", &tid, err) == 0);
        store_result_t r = {.state = i == 1 ? TRIAL_FAIL : TRIAL_COMPLETE,
                            .value = i == 1 ? NAN : 0.1 * (i + 1), .secs = 2, .cv_mean = NAN,
                            .cv_std = NAN, .val_score = NAN, .test_score = NAN,
                            .error = i == 1 ? "bad \"x\"" : NULL};
        assert(store_trial_finish(st, tid, 1, &r, err) == 0);
    }
    assert(store_intermediate(st, tid, 0, 0.5, err) == 0);
    assert(store_intermediate(st, tid, 3, 0.25, err) == 0);
    char *csv = s_listing(st, "t", (trials_opts_t){.format = "csv", .state = -1, .steps = true}, 0);
    if (verbose)
        fputs(csv, stderr);
    assert(strcmp(csv, "number,state,value,param.lr,param.act,duration,worker,attempt,cv_mean,"
                       "cv_std,test_score,error,steps\n"
                       "0,COMPLETE,0.1,0.25,relu,2,w1,1,,,,,\n"
                       "1,FAIL,,0.5,\"a,b\",2,w1,1,,,,\"bad \"\"x\"\"\",\n"
                       "2,COMPLETE,0.30000000000000004,,,2,w1,1,,,,,0:0.5;3:0.25\n") == 0);
    free(csv);
    char *json = s_listing(st, "t", (trials_opts_t){.format = "json", .state = TRIAL_COMPLETE,
                                                   .by_value = true, .limit = 1}, 0);
    assert(strcmp(json, "[\n{\"number\": 2, \"state\": \"COMPLETE\", \"value\": "
                        "0.30000000000000004, \"params\": null, \"duration\": 2, \"worker\": "
                        "\"w1\", \"attempt\": 1, \"cv_mean\": null, \"cv_std\": null, "
                        "\"test_score\": null, \"error\": null}\n]\n") == 0);
    free(json);
    char *table = s_listing(st, "t", (trials_opts_t){.state = TRIAL_FAIL}, 0);
    assert(strcmp(table, "number  state  value  lr   act  duration  worker  attempt  error\n"
                         "1       FAIL   -      0.5  a,b  2s        w1      1        bad \"x\"\n")
           == 0);
    free(table);
    free(s_listing(st, "nope", (trials_opts_t){.state = -1}, 1));
    /* a model's trial: the cv and test columns show, with their values */
    const char *model = "{\"space\": {\"c\": {\"type\": \"int\", \"low\": 1, \"high\": 3}}}";
    assert(store_study_insert(st, "m", model, &sid, err) == 0);
    double c = 2;
    assert(store_trial_create(st, sid, 0, false, &c, 1, "w2", &tid, err) == 0);
    store_result_t r = {.state = TRIAL_COMPLETE, .value = 0.75, .secs = 1.5, .cv_mean = 0.75,
                        .cv_std = 0.125, .val_score = NAN, .test_score = 0.5};
    assert(store_trial_finish(st, tid, 1, &r, err) == 0);
    table = s_listing(st, "m", (trials_opts_t){.state = -1}, 0);
    assert(strcmp(table, "number  state     value  c  duration  worker  attempt  cv_mean  cv_std  "
                         "test_score\n"
                         "0       COMPLETE  0.75   2  1.5s      w2      1        0.75     0.125   "
                         "0.5\n") == 0);
    free(table);
    json = s_listing(st, "m", (trials_opts_t){.format = "json", .state = -1}, 0);
    assert(strstr(json, "\"params\": {\"c\": 2}, \"duration\": 1.5, \"worker\": \"w2\", "
                        "\"attempt\": 1, \"cv_mean\": 0.75, \"cv_std\": 0.125, "
                        "\"test_score\": 0.5, \"error\": null}"));
    free(json);
    store_close(&st);
    for (int i = 0; i < 3; i++) {
        char side[sizeof path + 8];
        snprintf(side, sizeof side, "%s%s", path, (const char *[]){"", "-wal", "-shm"}[i]);
        unlink(side);
    }
}
