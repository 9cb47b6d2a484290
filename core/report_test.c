/* report_test — self-test of status and leaderboard against a small hand-built study
 * file: three studies (minimise, maximise with a final refit and a promotion, empty),
 * trials in every state, one worker. */
#include "core/report.h"

#include <assert.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/store_priv.h"

static const char *const s_cfg_a =
    "{\"study\":\"a\",\"n_trials\":3,\"objective\":{\"type\":\"synthetic\","
    "\"function\":\"sphere\"},\"space\":{\"x\":{\"type\":\"float\",\"low\":-1,\"high\":1}}}";
/* A name with a comma, to exercise CSV quoting. */
static const char *const s_cfg_b =
    "{\"study\":\"b,c\",\"n_trials\":4,\"objective\":{\"type\":\"logreg\"},"
    "\"strategy\":{\"type\":\"balanced\"},\"space\":{\"C\":{\"type\":\"float\","
    "\"low\":0.001,\"high\":10,\"log\":true},\"p\":{\"type\":\"categorical\","
    "\"choices\":[\"l1\",\"l2\"]}}}";
static const char *const s_cfg_z =
    "{\"study\":\"z\",\"n_trials\":2,\"objective\":{\"type\":\"synthetic\","
    "\"function\":\"branin\"},\"space\":{\"x\":{\"type\":\"float\",\"low\":0,\"high\":1}}}";

/* Study y: a's objective and space, one trial. */
static const char *const s_cfg_y =
    "{\"study\":\"y\",\"n_trials\":1,\"objective\":{\"type\":\"synthetic\","
    "\"function\":\"sphere\"},\"space\":{\"x\":{\"type\":\"float\",\"low\":-1,\"high\":1}}}";

/* A study stored as the scheduler stores it: its config, stating its direction. */
int64_t store_test_study(store_t *s, const char *name, const char *config, direction_t dir)
{
    char err[HPS_ERR_LEN];
    char *json = store_study_config(config, dir, err);
    assert(json);
    int64_t id;
    int rc = store_study_insert(s, name, json, &id, err);
    assert(rc == 0);
    free(json);
    return id;
}

/* A trial in `state`: WAITING is never leased, RUNNING stays leased, the rest finish. */
static int64_t s_trial(store_t *s, int64_t sid, long number, bool final, const double *x,
                       int nx, trial_state_t state, double value, double cv_std)
{
    char err[HPS_ERR_LEN];
    int64_t id;
    const char *worker = state == TRIAL_WAITING ? NULL : "w1";
    int rc = store_trial_create(s, sid, number, final, x, nx, worker, &id, err);
    assert(rc == 0);
    if (state == TRIAL_WAITING || state == TRIAL_RUNNING)
        return id;
    store_result_t r = {.state = state, .value = value, .secs = 1, .cv_mean = NAN,
                        .cv_std = cv_std, .val_score = NAN, .test_score = NAN};
    rc = store_trial_finish(s, id, 1, &r, err);
    assert(rc == 0);
    return id;
}

static void s_fixture(store_t *s)
{
    char err[HPS_ERR_LEN];
    int64_t a = store_test_study(s, "a", s_cfg_a, DIR_MINIMIZE), b, z;
    double x[2] = {0.3, 0};
    s_trial(s, a, 0, false, x, 1, TRIAL_COMPLETE, 0.5, NAN);
    x[0] = -0.1;
    s_trial(s, a, 1, false, x, 1, TRIAL_COMPLETE, 0.2, NAN);
    s_trial(s, a, 2, false, x, 1, TRIAL_FAIL, NAN, NAN);
    s_trial(s, a, 3, false, x, 1, TRIAL_PRUNED, 0.1, NAN); /* pruned: never best */
    s_trial(s, a, 4, false, x, 1, TRIAL_RUNNING, NAN, NAN);
    s_trial(s, a, 5, false, x, 1, TRIAL_WAITING, NAN, NAN);

    b = store_test_study(s, "b,c", s_cfg_b, DIR_MAXIMIZE);
    double y[2] = {1.0, 0};
    s_trial(s, b, 0, false, y, 2, TRIAL_COMPLETE, 0.8, 0.01);
    y[0] = 2.5, y[1] = 1;
    int64_t best = s_trial(s, b, 1, false, y, 2, TRIAL_COMPLETE, 0.9, 0.02);
    s_trial(s, b, -1, true, y, 2, TRIAL_COMPLETE, 0.95, NAN); /* the refit: not a search */
    int rc = store_study_set_final(s, b, best, 0.88, "standard", err);
    assert(rc == 0);
    rc = store_study_set_state(s, b, "done", err);
    assert(rc == 0);
    rc = store_promotion(s, b, "staging", "standard", false, 0.88, err);
    assert(rc == 0);

    z = store_test_study(s, "z", s_cfg_z, DIR_MINIMIZE);
    (void)z;
    rc = store_worker_seen(s, "w1", "h", 42, 2, 10000, err);
    assert(rc == 0);
}

static int s_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void s_check_status(store_t *s, bool verbose)
{
    char err[HPS_ERR_LEN];
    strbuf_t sb;
    sb_init(&sb);
    int rc = report_status_json(s, NULL, &sb, err);
    assert(rc == 0);
    if (verbose)
        printf("%s", sb.buf);
    assert(strncmp(sb.buf, "{\"studies\": [{\"study\": \"a\", \"state\": \"running\"", 45) == 0);
    assert(strstr(sb.buf, "\"n_trials\": 3, \"trials\": {\"COMPLETE\": 2, \"RUNNING\": 1,"
                          " \"WAITING\": 1, \"FAIL\": 1, \"PRUNED\": 1}"));
    assert(strstr(sb.buf, "\"best\": {\"trial\": 1, \"value\": 0.2, \"params\": {\"x\""));
    assert(strstr(sb.buf, "-0.1}}"));
    assert(strstr(sb.buf, "\"study\": \"b,c\", \"state\": \"done\", \"n_trials\": 4,"
                          " \"trials\": {\"COMPLETE\": 2, \"RUNNING\": 0, \"WAITING\": 0"));
    assert(strstr(sb.buf, "\"best\": {\"trial\": 1, \"value\": 0.9, \"params\": {\"C\""));
    assert(strstr(sb.buf, "\"l2\"}}"));
    assert(strstr(sb.buf, "\"study\": \"z\"") && strstr(sb.buf, "\"best\": null}"));
    assert(strstr(sb.buf, "\"workers\": [{\"name\": \"w1\", \"host\": \"h\", \"pid\": 42,"
                          " \"slots\": 2, \"last_seen\": "));
    assert(strstr(sb.buf, ", \"state\": \"alive\"}], \"workers_total\": 1}"));
    assert(sb.buf[sb.len - 1] == '\n' && s_count(sb.buf, "\n") == 1);
    sb_free(&sb);

    sb_init(&sb);
    rc = report_status_json(s, "b,c", &sb, err);
    assert(rc == 0 && strstr(sb.buf, "b,c") && !strstr(sb.buf, "\"study\": \"a\""));
    assert(report_status_json(s, "nope", &sb, err) == 1);
    assert(strcmp(err, "no study 'nope' (studies: a, b,c, z)") == 0);
    assert(report_status_text(s, "nope", &sb, err) == 1);
    sb_free(&sb);

    sb_init(&sb);
    rc = report_status_text(s, NULL, &sb, err);
    assert(rc == 0 && strstr(sb.buf, "STUDY") && strstr(sb.buf, "w1") && strstr(sb.buf, "4/3"));
    assert(strstr(sb.buf, "COMPLETE") && strstr(sb.buf, " alive "));
    if (verbose)
        printf("%s", sb.buf);
    sb_free(&sb);
}

/* The model objectives of these tests (the registry is objectives/model.c's). */
static bool s_is_model(const char *type) { return strcmp(type, "logreg") == 0; }

/* The board of o, which must succeed. Caller frees. */
static char *s_board_opts(store_t *s, const report_board_opts_t *o, bool verbose)
{
    char err[HPS_ERR_LEN];
    strbuf_t sb;
    sb_init(&sb);
    int rc = report_board(s, o, &sb, err);
    assert(rc == 0);
    if (verbose)
        printf("--- %s, sort %s\n%s", o->format, o->sort ? o->sort : "-", sb.buf);
    return sb_take(&sb);
}

static char *s_board(store_t *s, const char *format, bool verbose)
{
    report_board_opts_t o = {.format = format, .is_model = s_is_model};
    return s_board_opts(s, &o, verbose);
}

/* Whether lines starting with each of starts[] come in that order. */
static bool s_in_order(const char *text, const char *const *starts, int n)
{
    const char *at = text;
    for (int i = 0; i < n && at; i++) {
        char *line = xasprintf("\n%s", starts[i]);
        at = strstr(at, line);
        at = at ? at + 1 : NULL;
        free(line);
    }
    return at != NULL;
}

/* Study y ties a (0.2, up to rounding) and finishes last, for ranks and --sort created. */
static void s_add_tie(store_t *s)
{
    char err[HPS_ERR_LEN];
    int64_t y = store_test_study(s, "y", s_cfg_y, DIR_MINIMIZE);
    double x[1] = {0.5};
    s_trial(s, y, 0, false, x, 1, TRIAL_COMPLETE, 0.2 * (1 + 1e-15), NAN);
    int rc = store_study_set_state(s, y, "done", err);
    assert(rc == 0);
}

static void s_check_board_csv_json(store_t *s, bool verbose)
{
    char *csv = s_board(s, "csv", verbose);
    assert(s_count(csv, "\n") == 5);
    assert(strncmp(csv, "rank,study,metric,direction,state,model,strategy,complete,pruned,"
                        "fail,n_trials,best_trial,best,best_std,test_score,tier,stage,forced,"
                        "created,wall_secs,params.C,params.p,params.x\n", 155) == 0);
    assert(strstr(csv, "\n1,\"b,c\",accuracy,maximize,done,logreg,balanced,2,0,0,4,1,0.9,0.02,"
                       "0.88,standard,staging,false,"));
    assert(strstr(csv, ",2.5,l2,\n1,a,value,minimize,running,synthetic,,2,1,1,3,1,0.2,,,,,"
                       "false,"));
    assert(strstr(csv, ",,,-0.1\n1,y,value,minimize,done,"));
    assert(strstr(csv, ",,,0.5\n,z,value,minimize,running,synthetic,,0,0,0,2,,,,,,,false,"));
    free(csv);

    char *json = s_board(s, "json", verbose);
    assert(json[0] == '[' && s_count(json, "\"study\": ") == 4);
    assert(strstr(json, "[\n  {\"rank\": 1, \"study\": \"b,c\", \"metric\": \"accuracy\","
                        " \"direction\": \"maximize\", \"state\": \"done\""));
    assert(strstr(json, "\"test_score\": 0.88, \"tier\": \"standard\", \"stage\": \"staging\","
                        " \"forced\": false"));
    assert(strstr(json, "\"params\": {\"C\": 2.5, \"p\": \"l2\"}},\n"));
    assert(strstr(json, "{\"rank\": null, \"study\": \"z\"") && strstr(json, "\"params\": null}"));
    assert(strstr(json, "\"strategy\": null"));
    free(json);
}

static void s_check_board_human(store_t *s, bool verbose)
{
    char *md = s_board(s, "md", verbose);
    assert(s_count(md, "\n") == 6);
    assert(strncmp(md, "| rank | study | metric | dir | state | model | strategy | trials |",
                   67) == 0);
    assert(strstr(md, "\n| ---: | --- | --- | --- | --- | --- | --- | ---: |"));
    assert(strstr(md, "| 1 | b,c | accuracy | max | done | logreg | balanced | 2/4 | 0.9 ± 0.02"
                      " | 0.88 | standard | staging |"));
    assert(strstr(md, "| C=2.5, p=l2 |\n| 1 | a | value | min | running |"));
    assert(strstr(md, "| x=-0.1 |\n| 1 | y |") && strstr(md, "| - | z | value | min |"));
    free(md);

    char *table = s_board(s, "table", verbose);
    assert(s_count(table, "\n") == 6 && strncmp(table, "rank  study", 11) == 0);
    assert(strstr(table, "0.9 ± 0.02") && strstr(table, " - "));
    assert(strstr(table, "\n\n   1  a ")); /* a blank line between the metric groups */
    static const char *const order[] = {"   1  b,c ", "   1  a ", "   1  y ", "   -  z "};
    assert(s_in_order(table, order, 4));
    free(table);
}

static void s_check_board_opts(store_t *s, bool verbose)
{
    /* Newest first within each group; the rank stays by best value. */
    report_board_opts_t o = {.format = "csv", .sort = "created", .is_model = s_is_model};
    char *csv = s_board_opts(s, &o, verbose);
    static const char *const created[] = {"1,\"b,c\",", "1,y,", ",z,", "1,a,"};
    assert(s_in_order(csv, created, 4));
    free(csv);

    static const char *const pats[] = {"?", "b,c"};
    o = (report_board_opts_t){.format = "csv", .sort = "name", .studies = pats, .n_studies = 1,
                              .is_model = s_is_model};
    csv = s_board_opts(s, &o, verbose);
    assert(s_count(csv, "\n") == 4 && !strstr(csv, "b,c") && !strstr(csv, "params.C"));
    free(csv);
    o.studies = pats + 1;
    csv = s_board_opts(s, &o, verbose);
    assert(s_count(csv, "\n") == 2 && strstr(csv, "\"b,c\""));
    free(csv);

    char err[HPS_ERR_LEN];
    strbuf_t sb;
    sb_init(&sb);
    static const char *const none[] = {"a", "nope*"};
    o = (report_board_opts_t){.studies = none, .n_studies = 2};
    assert(report_board(s, &o, &sb, err) == -1 && strstr(err, "no study matches 'nope*'"));
    o = (report_board_opts_t){.sort = "speed"};
    assert(report_board(s, &o, &sb, err) == 1 && strstr(err, "speed") && strstr(err, "wall"));
    assert(report_leaderboard(s, "xml", s_is_model, &sb, err) == 1 && strstr(err, "xml"));
    assert(!report_format_valid("xml") && report_format_valid("md"));
    assert(!report_sort_valid("speed") && report_sort_valid("test") && !report_sort_valid(NULL));
    assert(sb.len == 0);
    sb_free(&sb);
}

static void s_check_board(store_t *s, bool verbose)
{
    s_add_tie(s);
    s_check_board_csv_json(s, verbose);
    s_check_board_human(s, verbose);
    s_check_board_opts(s, verbose);
}

/* Worker states: alive, gone (silent past its lease and the flush period), left. */
static void s_check_workers(store_t *s, const char *path, bool verbose)
{
    char err[HPS_ERR_LEN];
    int rc = store_worker_seen(s, "gone", "h", 1, 1, 1000, err);
    assert(rc == 0);
    /* Age its row as 1.3 s of silence would (> 1 s lease + 0.25 s): through a second
     * connection, as another process would write the file; the store offers no way
     * to move last_seen back. */
    sqlite3 *db;
    rc = sqlite3_open(path, &db);
    assert(rc == SQLITE_OK);
    rc = sqlite3_exec(db, "UPDATE workers SET last_seen = last_seen - 1.3", NULL, NULL, NULL);
    assert(rc == SQLITE_OK);
    sqlite3_close(db);
    rc = store_worker_seen(s, "here", "h", 2, 1, 1000, err);
    assert(rc == 0);
    rc = store_worker_seen(s, "left", "h", 3, 1, 1000, err) || store_worker_left(s, "left", err);
    assert(rc == 0);
    strbuf_t sb;
    sb_init(&sb);
    rc = report_status_json(s, NULL, &sb, err);
    assert(rc == 0 && strstr(sb.buf, "\"pid\": 1, \"slots\": 1, \"last_seen\": "));
    assert(strstr(sb.buf, "\"state\": \"gone\"}, {\"name\": \"here\""));
    assert(strstr(sb.buf, "\"state\": \"alive\"}, {\"name\": \"left\""));
    assert(strstr(sb.buf, "\"state\": \"left\"}], \"workers_total\": 3}"));
    sb.len = 0;
    rc = report_status_text(s, NULL, &sb, err);
    if (verbose)
        printf("%s", sb.buf);
    assert(rc == 0 && strstr(sb.buf, "no studies\n") && strstr(sb.buf, " gone "));
    /* Silent for over ten minutes: summarised, not listed (every hps run leaves rows). */
    rc = sqlite3_open(path, &db);
    assert(rc == SQLITE_OK);
    rc = sqlite3_exec(db, "UPDATE workers SET last_seen = last_seen - 3600 WHERE name = 'gone'",
                      NULL, NULL, NULL);
    assert(rc == SQLITE_OK);
    sqlite3_close(db);
    sb.len = 0;
    rc = report_status_text(s, NULL, &sb, err);
    assert(rc == 0 && !strstr(sb.buf, " gone ") && strstr(sb.buf, " left "));
    assert(strstr(sb.buf, "(1 more worker not heard from for over 10 minutes; --json lists them)"));
    /* Capped lists keep the ones heard from last; forgetting deletes the silent. */
    store_worker_t *list;
    int n;
    long total;
    rc = store_workers(s, 2, &list, &n, &total, err);
    assert(rc == 0 && n == 2 && total == 3 && strcmp(list[0].name, "here") == 0);
    assert(strcmp(list[1].name, "left") == 0);
    store_workers_free(&list, n);
    assert(store_workers_forget(s, now_secs() - 600, err) == 1);
    assert(store_worker_seen(s, "gone", "h", 1, 1, 1000, err) == 0);

    assert(report_status_text(s, "x", &sb, err) == 1);
    assert(strcmp(err, "no study 'x' (the file has none)") == 0);
    sb.len = 0;
    rc = report_board(s, &(report_board_opts_t){.format = "table"}, &sb, err);
    assert(rc == 0 && strcmp(sb.buf, "no studies\n") == 0); /* not a bare header */
    sb.len = 0;
    rc = report_board(s, &(report_board_opts_t){.format = "csv"}, &sb, err);
    assert(rc == 0 && strncmp(sb.buf, "rank,study,", 11) == 0); /* machines keep the header */
    sb_free(&sb);
}

void report_test(bool verbose)
{
    char err[HPS_ERR_LEN], path[] = "/tmp/hps-report-XXXXXX";
    store_test_path(path);
    store_t *s = store_open(path, true, false, err);
    assert(s);
    s_fixture(s);
    s_check_status(s, verbose);
    s_check_board(s, verbose);

    /* An empty file still reports. */
    store_close(&s);
    char side[600];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
        snprintf(side, sizeof side, "%s%s", path, suffix[i]);
        unlink(side);
    }
    s = store_open(path, true, false, err);
    assert(s);
    strbuf_t sb;
    sb_init(&sb);
    assert(report_status_json(s, NULL, &sb, err) == 0);
    assert(strcmp(sb.buf, "{\"studies\": [], \"workers\": [], \"workers_total\": 0}\n") == 0);
    sb_free(&sb);
    sb_init(&sb);
    assert(report_leaderboard(s, "json", s_is_model, &sb, err) == 0 && strcmp(sb.buf, "[]\n") == 0);
    sb_free(&sb);
    s_check_workers(s, path, verbose);
    store_close(&s);
    for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
        snprintf(side, sizeof side, "%s%s", path, suffix[i]);
        unlink(side);
    }
}
