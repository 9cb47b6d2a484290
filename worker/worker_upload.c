/* worker_upload — the worker's side of artifact uploads (worker/upload.h): a final
 * refit's TELL waits here while its model file goes to the coordinator in PUTs, and
 * leaves once the coordinator holds the whole blob. The uploads are listed in every
 * HEARTBEAT, so the trial's lease lives on while its process has already answered. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "worker/worker_priv.h"

/* Turn tell into a FAIL with why (the trial's artifact broke the rule). */
static void s_tell_fail(proto_msg_t *tell, const char *why)
{
    proto_set_str(tell, "state", "FAIL");
    proto_set_dbl(tell, "value", NAN);
    proto_set_str(tell, "error", why);
}

void worker__tell_artifact(worker_t *w, task_t *task, proto_msg_t **tell_p)
{
    char *dir = task->artifact_dir, err[HPS_ERR_LEN];
    if (!dir)
        return;
    task->artifact_dir = NULL;
    const char *state = proto_get_str(*tell_p, "state");
    upload_t *u = NULL;
    int64_t max_mb = w->opts->max_artifact_mb > 0 ? w->opts->max_artifact_mb
                                                  : UPLOAD_DEFAULT_MAX_MB;
    if (state && strcmp(state, "COMPLETE") == 0 &&
        upload_new(dir, max_mb << 20, task->id, task->attempt, tell_p, &u, err) != 0) {
        log_warn("trial %ld.%d: %s", task->id, task->attempt, err);
        s_tell_fail(*tell_p, err);
    }
    if (!u) { /* nothing to hand over */
        upload_dir_remove(dir);
        free(dir);
        return;
    }
    free(dir);
    log_info("trial %ld.%d: uploading its model %s (%lld bytes, sha256 %.12s)", u->trial,
             u->attempt, u->name, (long long)u->size, u->sha);
    u->next = w->uploads;
    w->uploads = u;
}

/* Unlink u from the list (not freed). */
static void s_unlink(worker_t *w, upload_t *u)
{
    for (upload_t **p = &w->uploads; *p; p = &(*p)->next)
        if (*p == u) {
            *p = u->next;
            return;
        }
}

/* The upload is over: its TELL goes out (taken from u), u is freed. */
static void s_done(worker_t *w, upload_t *u, const char *fail)
{
    s_unlink(w, u);
    proto_msg_t *tell = fail ? u->tell : upload_tell(u);
    u->tell = NULL;
    if (fail) {
        log_warn("trial %ld.%d: model upload failed: %s", u->trial, u->attempt, fail);
        s_tell_fail(tell, fail);
    } else
        log_info("trial %ld.%d: model %.12s uploaded", u->trial, u->attempt, u->sha);
    upload_destroy(&u);
    worker__queue_tell(w, &tell);
}

void worker__on_put_ack(worker_t *w, const proto_msg_t *m)
{
    const char *sha = proto_get_str(m, "sha256");
    for (upload_t *u = w->uploads; u; u = u->next)
        if (sha && strcmp(u->sha, sha) == 0) {
            if (upload_ack(u, m) == 1)
                s_done(w, u, NULL);
            return;
        }
}

bool worker__upload_error(worker_t *w, const char *sha, const char *msg)
{
    for (upload_t *u = w->uploads; u; u = u->next) {
        if (strcmp(u->sha, sha) != 0)
            continue;
        if (++u->errors >= UPLOAD_MAX_ERRORS) {
            char why[HPS_ERR_LEN];
            set_err(why, "the coordinator refused the model file: %s", msg);
            s_done(w, u, why);
        }
        return true; /* else resent when due */
    }
    return false;
}

bool worker__upload_cancel(worker_t *w, long trial, int attempt)
{
    for (upload_t *u = w->uploads; u; u = u->next) {
        if (u->trial != trial || u->attempt != attempt)
            continue;
        log_warn("trial %ld.%d: lease lost during the model upload; dropped", trial, attempt);
        s_unlink(w, u);
        upload_destroy(&u);
        return true;
    }
    return false;
}

void worker__uploads_due(worker_t *w, int64_t now)
{
    char err[HPS_ERR_LEN];
    upload_t *next;
    for (upload_t *u = w->uploads; u; u = next) {
        next = u->next;
        proto_msg_t *put = upload_due(u, now, err);
        if (put)
            worker__send(w, &put);
        else if (err[0])
            s_done(w, u, err);
    }
}

void worker__uploads_free(worker_t *w)
{
    while (w->uploads) {
        upload_t *u = w->uploads;
        w->uploads = u->next;
        upload_destroy(&u);
    }
}
