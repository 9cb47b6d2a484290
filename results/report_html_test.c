/* Self-tests of rstudy (what the plots of a large study draw) and report_html (the page:
 * escaping, selection, every plot present), on a temporary study file. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/store_priv.h"
#include "results/report_html.h"
#include "results/rstudy.h"

/* A study whose name, parameter choice and error text hold markup. */
static const char s_cfg[] =
    "{\"study\":\"s<i>\",\"n_trials\":5000,\"objective\":{\"type\":\"synthetic\","
    "\"function\":\"sphere\"},\"space\":{\"x\":{\"type\":\"float\",\"low\":-1,\"high\":1},"
    "\"c\":{\"type\":\"categorical\",\"choices\":[\"a\",\"<script>\"]}}}";

/* n trials: every 7th PRUNED (after two steps), every 50th FAIL with markup in its
 * error, the rest COMPLETE with three steps; values fall slowly, so the best so far
 * improves often. */
static void s_trials(store_t *s, int64_t sid, int n)
{
    char err[HPS_ERR_LEN];
    assert(store_batch_begin(s, err) == 0);
    for (int t = 0; t < n; t++) {
        double x[2] = {sin(t) * 0.9, (double)(t % 2)}, v = 1.0 / (1 + t) + fabs(x[0]);
        int64_t id;
        assert(store_trial_create(s, sid, t, false, x, 2, "w<1>", &id, err) == 0);
        trial_state_t state = t % 50 == 49 ? TRIAL_FAIL
                              : t % 7 == 6 ? TRIAL_PRUNED
                                           : TRIAL_COMPLETE;
        for (long step = 1; step <= (state == TRIAL_PRUNED ? 2 : 3); step++)
            assert(store_intermediate(s, id, step, v + 1.0 / (double)step, err) == 0);
        store_result_t r = {.state = state,
                            .value = state == TRIAL_FAIL ? NAN : v,
                            .secs = 0.5,
                            .cv_mean = NAN,
                            .cv_std = NAN,
                            .val_score = NAN,
                            .test_score = NAN,
                            .error = state == TRIAL_FAIL ? "bad <b>" : NULL};
        assert(store_trial_finish(s, id, 1, &r, err) == 0);
    }
    assert(store_batch_commit(s, err) == 0);
}

static store_t *s_fixture(char *path, int n)
{
    char err[HPS_ERR_LEN];
    int fd = mkstemp(path);
    assert(fd >= 0);
    close(fd);
    unlink(path);
    store_t *s = store_open(path, true, false, err);
    assert(s);
    s_trials(s, store_test_study(s, "s<i>", s_cfg, DIR_MINIMIZE), n);
    s_trials(s, store_test_study(s, "t", s_cfg, DIR_MINIMIZE), 30);
    return s;
}

static void s_unlink(const char *path)
{
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
        char *f = xasprintf("%s%s", path, suffix[i]);
        unlink(f);
        free(f);
    }
}

/* What a 5,000-trial study draws: bounded samples that keep what matters. */
static void s_check_samples(const rstudy_t *r)
{
    int shown = 0, pruned = 0, improvements = 0;
    double best = NAN;
    for (int t = 0; t < r->n; t++) {
        shown += r->shown[t];
        pruned += r->shown[t] && r->state[t] == TRIAL_PRUNED;
        if (r->state[t] == TRIAL_COMPLETE && rstudy_better(r->dir, r->value[t], best)) {
            best = r->value[t];
            improvements++;
            assert(r->shown[t]); /* every step of the best-so-far line is drawn */
        }
    }
    assert(r->best >= 0 && r->shown[r->best] && r->value[r->best] == best);
    /* the even spread may pick an improvement again: up to that many fewer */
    assert(shown <= RSTUDY_POINTS && shown >= RSTUDY_POINTS - improvements - 2);
    assert(pruned >= RSTUDY_POINTS / 8 && improvements > 10);
    assert(r->n_curves <= RSTUDY_CURVES && r->n_curves >= RSTUDY_CURVES - 2);
    bool best_curve = false;
    for (int k = 0; k < r->n_curves; k++) {
        int t = r->curve_trial[k], m = r->curve_off[k + 1] - r->curve_off[k];
        assert(m == (r->state[t] == TRIAL_PRUNED ? 2 : 3));
        best_curve |= t == r->best;
    }
    assert(best_curve);
    assert(r->n_rows <= 2 * RSTUDY_ROWS && r->n_rows > RSTUDY_ROWS);
    for (int k = 1; k < r->n_rows; k++)
        assert(r->number[r->rows[k - 1]] < r->number[r->rows[k]]);
}

void rstudy_test(bool verbose)
{
    (void)verbose;
    char path[] = "/tmp/hps-rstudy-XXXXXX", err[HPS_ERR_LEN];
    store_t *s = s_fixture(path, 5000);
    store_study_t st;
    assert(store_study_get(s, "s<i>", &st, err) == 0);
    rstudy_t r;
    assert(rstudy_load(s, &st, NULL, &r, err) == 0);
    assert(r.n == 5000 && r.nx == 2 && strcmp(r.metric, "value") == 0);
    assert(r.counts[TRIAL_FAIL] == 100);
    s_check_samples(&r);
    assert(r.n_importance > 1000 && r.importance[0] > r.importance[1]); /* x decides */
    char *text = rstudy_param_text(&r, 1, 1);
    assert(strcmp(text, "<script>") == 0); /* raw here: the page escapes it */
    free(text);
    rstudy_free(&r);
    store_study_clear(&st);
    store_close(&s);
    s_unlink(path);
}

void report_html_test(bool verbose)
{
    (void)verbose;
    char path[] = "/tmp/hps-rhtml-XXXXXX", err[HPS_ERR_LEN];
    store_t *s = s_fixture(path, 100);
    strbuf_t sb;
    sb_init(&sb);
    report_html_opts_t o = {.source = "db<x>"};
    assert(report_html(s, &o, &sb, err) == 0);
    static const char *const kinds[] = {"board",      "history",  "intermediate",
                                        "importance", "parallel", "slice"};
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        char *attr = xasprintf("data-plot=\"%s\"", kinds[k]);
        assert(strstr(sb.buf, attr));
        free(attr);
    }
    /* every string of the file escaped; nothing that loads or runs */
    assert(!strstr(sb.buf, "<script") && strstr(sb.buf, "&lt;script&gt;"));
    assert(!strstr(sb.buf, "s<i>") && strstr(sb.buf, "s&lt;i&gt;"));
    assert(!strstr(sb.buf, "bad <b>") && strstr(sb.buf, "bad &lt;b&gt;"));
    assert(!strstr(sb.buf, "w<1>") && !strstr(sb.buf, "db<x>"));
    assert(!strstr(sb.buf, "http:") && !strstr(sb.buf, "https:") && !strstr(sb.buf, "nan"));
    sb_free(&sb);

    sb_init(&sb);
    const char *one[] = {"t"};
    o = (report_html_opts_t){.studies = one, .n_studies = 1};
    assert(report_html(s, &o, &sb, err) == 0);
    assert(!strstr(sb.buf, "data-plot=\"board\"") && strstr(sb.buf, "Study: t<"));
    sb_free(&sb);
    sb_init(&sb);
    const char *bad[] = {"t", "nope"};
    o = (report_html_opts_t){.studies = bad, .n_studies = 2};
    assert(report_html(s, &o, &sb, err) == 1);
    assert(strcmp(err, "no study 'nope' (studies: s<i>, t)") == 0);
    sb_free(&sb);
    store_close(&s);
    s_unlink(path);
}
