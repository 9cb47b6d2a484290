/* coord_clients — the coordinator's answers to clients (see coord_priv.h): SUBMIT and
 * RESUME (a study planned against the file: created, resumed, changed or refused),
 * STATUS (cached, see guard.h) and STOP, and who may submit. */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "coordinator/coord.h"
#include "coordinator/blobs.h"
#include "coordinator/coord_priv.h"
#include "coordinator/guard.h"
#include "coordinator/progress.h"
#include "coordinator/schedule.h"
#include "coordinator/study_check.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/proto.h"
#include "core/report.h"
#include "core/store.h"
#include "core/study_diff.h"

/* An ERROR that says whether the request itself was bad (the client exits 2). */
void coord__error_bad(ctx_t *c, const char *msg, bool bad)
{
    proto_msg_t *m = proto_new("ERROR");
    proto_set_str(m, "msg", msg);
    proto_set_int(m, "bad", bad);
    coord__send(c, &m);
}

/* SUBMIT, RESUME, PUT, STOP, ENQUEUE: open on plain loopback, submitters' keys only under CURVE. */
bool coord__may_submit(ctx_t *c)
{
    if (!c->self->auth)
        return true;
    if (c->self->submitters && *c->user_id &&
        zcertstore_lookup(c->self->submitters, c->user_id))
        return true;
    coord__error(c, "this key may not submit or stop studies");
    return false;
}

int coord_submit(coord_t *self, study_config_t **cfg_p, sched_outcome_t *out, char *err)
{
    *out = (sched_outcome_t){0};
    const cfg_node_t *sha = (*cfg_p)->data ? cfg_get((*cfg_p)->data, "sha256") : NULL;
    if ((*cfg_p)->data && (!sha || sha->type != CFG_SCALAR || !is_sha256_hex(sha->value)))
        return set_err(err, "study %s: data.sha256 is missing (submit uploads the dataset)",
                       (*cfg_p)->name);
    if (sha && !blob_exists(self->blob_dir, sha->value))
        return set_err(err, "study %s: dataset %s was not uploaded", (*cfg_p)->name, sha->value);
    const cfg_node_t *code = cfg_get((*cfg_p)->objective, "code_sha256");
    if ((cfg_get((*cfg_p)->objective, "code") || cfg_get((*cfg_p)->objective, "code_dir")) &&
        !code)
        return set_err(err, "study %s: objective.code_sha256 is missing (submit uploads the "
                       "code)", (*cfg_p)->name);
    if (code && (code->type != CFG_SCALAR || !is_sha256_hex(code->value)))
        return set_err(err, "study %s: objective.code_sha256 is not a sha256", (*cfg_p)->name);
    if (code && !blob_exists(self->blob_dir, code->value))
        return set_err(err, "study %s: code %s was not uploaded", (*cfg_p)->name, code->value);
    return sched_submit(self->sched, cfg_p, out, err);
}

/* SUBMITTED's text: the outcome, and "; waiting: no capable worker (why)" when workers
 * are connected and none of them can run the study (the submitter learns it at once). */
static void s_submitted_text(coord_t *self, const char *study, const char *outcome,
                             proto_msg_t *m)
{
    strbuf_t tb, jb;
    sb_init(&tb);
    sb_init(&jb);
    coord__waiting(self, study, &tb, &jb);
    const char *waiting = strstr(tb.buf, "waiting: no capable worker");
    if (waiting) {
        tb.buf[strcspn(tb.buf, "\n")] = '\0';
        char *text = xasprintf("%s; %s", outcome, waiting);
        proto_set_str(m, "text", text);
        free(text);
    } else
        proto_set_str(m, "text", outcome);
    sb_free(&tb);
    sb_free(&jb);
}

/* Submit cfg (owned) and answer: SUBMITTED when the study will run, else an ERROR that
 * says why (bad: a refused difference, or a config the coordinator cannot run). */
static void s_submit_reply(ctx_t *c, study_config_t **cfg_p)
{
    char *name = xstrdup((*cfg_p)->name), err[HPS_ERR_LEN];
    sched_outcome_t out;
    int rc = coord_submit(c->self, cfg_p, &out, err);
    study_config_destroy(cfg_p);
    if (rc == 0) {
        proto_msg_t *m = proto_new("SUBMITTED");
        proto_set_str(m, "study", name);
        proto_set_int(m, "created", out.kind == STORE_PLAN_CREATE);
        proto_set_str(m, "outcome", store_plan_name(out.kind));
        s_submitted_text(c->self, name, out.text, m);
        coord__send(c, &m);
        c->self->added_work = true;
    } else {
        log_warn("%s: %s", proto_type(c->msg), rc > 0 ? out.text : err);
        coord__error_bad(c, rc > 0 ? out.text : err, rc < 0 || out.kind == STORE_PLAN_REFUSED);
    }
    sched_outcome_clear(&out);
    free(name);
}

void coord__on_submit(ctx_t *c)
{
    if (!coord__may_submit(c))
        return;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *cfg = study_config_from_json(proto_get_str(c->msg, "config"),
                                                 &study_check_all, &errs);
    if (!cfg)
        coord__error(c, errs.n ? errs.msgs[0] : "invalid study config");
    else
        s_submit_reply(c, &cfg);
    cfg_errs_free(&errs);
}

/* The stored config of study, with n_trials replaced when given (> 0); caller frees.
 * NULL with err (*bad: there is no such study, or n_trials is not a valid change). */
static char *s_stored_for_resume(coord_t *self, const char *study, int64_t n_trials, bool *bad,
                                 char *err)
{
    store_study_t s;
    int found = store_study_get(self->store, study, &s, err);
    *bad = found == 1;
    if (found != 0)
        return found == 1 ? (set_err(err, "no study '%s' in this database", study), NULL) : NULL;
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, n_trials);
    char *json = n_trials > 0 ? study_json_set(s.config, "n_trials", num, err)
                              : xstrdup(s.config);
    store_study_clear(&s);
    return json;
}

/* RESUME {study, n_trials?}: SUBMIT of the stored config (with n_trials raised). */
void coord__on_resume(ctx_t *c)
{
    if (!coord__may_submit(c))
        return;
    char err[HPS_ERR_LEN];
    bool bad;
    char *json = s_stored_for_resume(c->self, proto_get_str(c->msg, "study"),
                                     proto_int_or(c->msg, "n_trials", 0), &bad, err);
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *cfg = json ? study_config_from_json(json, &study_check_all, &errs) : NULL;
    if (json && !cfg)
        set_err(err, "stored config: %s", errs.n ? errs.msgs[0] : "invalid");
    if (cfg)
        s_submit_reply(c, &cfg);
    else
        coord__error_bad(c, err, bad);
    cfg_errs_free(&errs);
    free(json);
}

/* STATUS {study?}: an unknown study is the client's bad input, flagged `bad` so that
 * `hps status` exits 2 as with --db. */
/* A STATUS reply from the strings of a report. */
static void s_status_reply(ctx_t *c, const char *json, const char *text)
{
    proto_msg_t *m = proto_new("STATUS_REPLY");
    proto_set_str(m, "json", json);
    if (text)
        proto_set_str(m, "text", text);
    coord__send(c, &m);
}

/* The studies no live worker can run (coord__waiting): a "waiting" list in the JSON
 * (before its closing brace) and their lines after the text. */
static void s_add_waiting(coord_t *self, const char *study, strbuf_t *json, strbuf_t *text)
{
    strbuf_t tb, jb;
    sb_init(&tb);
    sb_init(&jb);
    coord__waiting(self, study, &tb, &jb);
    char *end = jb.len && json->len ? strrchr(json->buf, '}') : NULL;
    if (end) {
        char *tail = xstrdup(end);
        json->len = (size_t)(end - json->buf);
        sb_printf(json, ", \"waiting\": [%s]%s", jb.buf, tail);
        free(tail);
    }
    if (text && tb.len)
        sb_printf(text, "\n%s", tb.buf);
    sb_free(&tb);
    sb_free(&jb);
}

void coord__on_status(ctx_t *c)
{
    const char *study = proto_get_str(c->msg, "study");
    study = study && *study ? study : NULL;
    const char *json, *text;
    if (guard_status_get(c->self->guard, study, now_ms(), &json, &text) == 0) {
        s_status_reply(c, json, text);
        return;
    }
    coord__flush_heard(c->self); /* live status is exact: every time heard so far */
    strbuf_t sb;
    sb_init(&sb);
    char err[HPS_ERR_LEN];
    int rc = report_status_json(c->self->store, study, &sb, err);
    if (rc != 0) {
        sb_free(&sb);
        coord__error_bad(c, err, rc == 1);
        return;
    }
    strbuf_t tb;
    sb_init(&tb);
    bool have_text = report_status_text(c->self->store, study, &tb, err) == 0;
    s_add_waiting(c->self, study, &sb, have_text ? &tb : NULL);
    guard_status_put(c->self->guard, study, sb.buf, have_text ? tb.buf : NULL, now_ms());
    s_status_reply(c, sb.buf, have_text ? tb.buf : NULL);
    sb_free(&sb);
    sb_free(&tb);
}

void coord__on_stop(ctx_t *c)
{
    if (!coord__may_submit(c))
        return;
    const char *name = proto_get_str(c->msg, "study");
    char err[HPS_ERR_LEN];
    int rc = sched_stop(c->self->sched, name, err);
    if (rc != 0) {
        coord__error(c, rc == 1 ? "no running study of that name" : err);
        return;
    }
    proto_msg_t *m = proto_new("STOPPED");
    proto_set_str(m, "study", name);
    coord__send(c, &m);
}
