/* xstudy — a stored study as exports read it (see xstudy.h). */
#include "results/xstudy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int xstudy_open(store_t *st, const char *name, xstudy_t *out, char *err)
{
    memset(out, 0, sizeof *out);
    int rc = store_study_get(st, name, &out->row, err);
    if (rc == 1)
        set_err(err, "no study '%s' in the database", name);
    if (rc != 0)
        return rc;
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    out->root = cfg_parse(out->row.config, strlen(out->row.config), name, &errs);
    if (out->root)
        out->space = space_from_cfg(cfg_get(out->root, "space"), &errs);
    if (!out->space) {
        set_err(err, "study '%s': stored config: %s", name,
                errs.n ? errs.msgs[0] : "no search space");
        rc = -1;
    }
    cfg_errs_free(&errs);
    if (rc != 0)
        xstudy_clear(out);
    return rc;
}

void xstudy_clear(xstudy_t *r)
{
    store_study_clear(&r->row);
    cfg_free(&r->root);
    space_destroy(&r->space);
}

bool xstudy_x_ok(const xstudy_t *r, const double *x, int nx)
{
    if (nx != r->space->n)
        return false;
    for (int i = 0; i < nx; i++)
        if (!isnan(x[i]) && !space_valid(&r->space->params[i], x[i]))
            return false;
    return true;
}

int xstudy_each(const xstudy_t *r, store_t *st, store_trial_row_fn cb, void *arg, char *err)
{
    bool own;
    if (store_snapshot_begin(st, &own, err) != 0)
        return -1;
    store_trial_query_t q = {.state = -1, .steps = true};
    int rc = store_trial_rows(st, r->row.id, &q, cb, arg, err);
    char err2[HPS_ERR_LEN];
    if (store_snapshot_end(st, own, err2) != 0 && rc == 0)
        rc = set_err(err, "%s", err2);
    return rc == 0 ? 0 : -1;
}
