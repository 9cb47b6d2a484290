/* coord_enqueue — ENQUEUE {study, points, where}: given points become WAITING trials of
 * a study (hps enqueue --to), run before any the sampler proposes. The points are
 * checked against the stored study (store_enqueue_check) before anything is stored;
 * a bad one is the client's bad input (ERROR bad: it exits 2, naming file:line). */
#include <stdlib.h>

#include "coordinator/coord_priv.h"
#include "coordinator/schedule.h"
#include "core/log.h"
#include "core/points.h"

void coord__on_enqueue(ctx_t *c)
{
    if (!coord__may_submit(c))
        return;
    const char *study = proto_get_str(c->msg, "study");
    int n = 0, n_where = 0, nx = 0;
    char *const *json = proto_get_strs(c->msg, "points", &n);
    char *const *where = proto_get_strs(c->msg, "where", &n_where);
    char err[HPS_ERR_LEN] = "";
    double *xs = NULL;
    int64_t id = 0;
    long first = 0;
    points_t *pts = n == n_where && n > 0 ? points_from_wire(json, where, n, err) : NULL;
    int rc = !pts ? 1 : store_enqueue_check(c->self->store, study, pts, &xs, &nx, &id, err);
    if (!pts && !*err)
        set_err(err, "ENQUEUE: %d points, %d places", n, n_where);
    if (rc == 0)
        rc = sched_enqueue(c->self->sched, id, xs, nx, n, &first, err);
    if (rc == 0) {
        char *text = xasprintf("enqueued %d trials into study '%s' (numbers %ld to %ld)", n,
                               study, first, first + n - 1);
        log_info("%s", text);
        proto_msg_t *m = proto_new("SUBMITTED");
        proto_set_str(m, "study", study);
        proto_set_int(m, "created", 0);
        proto_set_str(m, "outcome", "enqueued");
        proto_set_str(m, "text", text);
        coord__send(c, &m);
        c->self->added_work = true;
        free(text);
    } else {
        log_warn("ENQUEUE: %s", err);
        coord__error_bad(c, err, rc > 0);
    }
    free(xs);
    points_destroy(&pts);
}
