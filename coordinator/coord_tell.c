/* coord_tell — what a TELL carries: its result, and a final refit's model file (see
 * coord_priv.h and worker/upload.h). The file itself came before, in PUTs from the
 * lease holder, into the blob folder under its sha256 (blobs.c publishes a blob only
 * whole and verified); the TELL names it, and the model version is registered in the
 * TELL's own transaction, so the registry never names a partial or missing file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coordinator/blobs.h"
#include "coordinator/coord_priv.h"
#include "core/log.h"
#include "core/util.h"

/* The result a TELL carries: 0 with r, trial and attempt filled (r's strings and folds
 * borrowed from msg), or -1 with err. A COMPLETE without a finite value is kept as what
 * it is, a FAIL: a retry would only send the same value again. */
int coord__tell_result(const proto_msg_t *msg, store_result_t *r, int64_t *trial,
                         int *attempt, char *err)
{
    int state = trial_state_parse(proto_get_str(msg, "state"));
    if (state != TRIAL_COMPLETE && state != TRIAL_PRUNED && state != TRIAL_FAIL)
        return set_err(err, "TELL: state must be COMPLETE, PRUNED or FAIL");
    *r = (store_result_t){
        .state = (trial_state_t)state,
        .value = proto_dbl_or(msg, "value", NAN),
        .secs = proto_dbl_or(msg, "secs", NAN),
        .cv_mean = proto_dbl_or(msg, "cv_mean", NAN),
        .cv_std = proto_dbl_or(msg, "cv_std", NAN),
        .val_score = proto_dbl_or(msg, "val", NAN),
        .test_score = proto_dbl_or(msg, "test", NAN),
        .error = proto_get_str(msg, "error"),
    };
    r->folds = proto_get_dbls(msg, "folds", &r->n_folds);
    if (state == TRIAL_COMPLETE && !isfinite(r->value)) {
        r->state = TRIAL_FAIL;
        r->error = "objective returned a non-finite value";
    }
    *trial = proto_int_or(msg, "trial", 0);
    int64_t at = proto_int_or(msg, "attempt", 0);
    if (at < 1 || at > 1000000)
        return set_err(err, "TELL: attempt out of range");
    *attempt = (int)at;
    return 0;
}

void coord__tell_artifact(ctx_t *c, store_result_t *r)
{
    const char *sha = proto_get_str(c->msg, "artifact");
    if (!sha || r->state != TRIAL_COMPLETE)
        return;
    const char *name = proto_get_str(c->msg, "artifact_name");
    /* a plain file name: `hps model export` writes it into the user's folder */
    if (!name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        r->state = TRIAL_FAIL;
        r->error = "the model file's name is not a plain file name";
    } else if (!is_sha256_hex(sha) || !blob_exists(c->self->blob_dir, sha)) {
        log_warn("TELL of trial %lld names a model file %.12s this coordinator does not hold",
                 (long long)proto_int_or(c->msg, "trial", 0), sha);
        r->state = TRIAL_FAIL;
        r->error = "the model file (artifact) did not reach the coordinator";
    }
}

/* Whether the sender of a TELL that repeats a recorded result is the worker that ran the
 * trial (the stored one): only it may still register its model (the first TELL's
 * registration may have been lost to a crash), not any worker that names the trial. */
static bool s_ran_it(ctx_t *c, int64_t trial)
{
    char *holder = NULL, err[HPS_ERR_LEN];
    bool same = c->worker && store_trial_worker(c->self->store, trial, &holder, err) == 0 &&
                holder && strcmp(holder, c->worker->name) == 0;
    free(holder);
    return same;
}

int coord__register_artifact(ctx_t *c, int64_t trial, const store_result_t *r, bool recorded,
                             char *err)
{
    const char *sha = proto_get_str(c->msg, "artifact");
    const char *name = proto_get_str(c->msg, "artifact_name");
    if (!sha || !name || r->state != TRIAL_COMPLETE)
        return 0;
    if (!recorded && !s_ran_it(c, trial)) {
        log_warn("trial %lld: a repeated TELL from %s, which did not run it: its artifact is "
                 "ignored", (long long)trial, c->worker ? c->worker->name : "?");
        return 0;
    }
    long version;
    char *path = blob_path(c->self->blob_dir, sha);
    struct stat st; /* the size of what arrived, whatever the TELL says */
    int64_t size = stat(path, &st) == 0 ? (int64_t)st.st_size : proto_int_or(c->msg,
                                                                           "artifact_size", 0);
    free(path);
    int rc = store_model_register(c->self->store, trial, sha, name, size, HPS_VERSION, &version,
                                  err);
    if (rc == 0)
        log_info("trial %lld: model %s (%.12s) registered as version %ld", (long long)trial,
                 name, sha, version);
    else if (rc > 0)
        log_warn("trial %lld is not a completed final refit: its artifact is ignored",
                 (long long)trial);
    return rc < 0 ? -1 : 0;
}
