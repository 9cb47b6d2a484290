/* xstudy — a stored study as exports read it: its row, its config tree and its search
 * space, read with cfg_parse as core/report.c does (no plugin checks, so a file moved
 * away from its data still exports). (results/rstudy.c is the report's: every trial in
 * memory, sampled for drawing; an export streams them.) */
#ifndef HPS_XSTUDY_H
#define HPS_XSTUDY_H

#include "core/config.h"
#include "core/space.h"
#include "core/store.h"

typedef struct {
    store_study_t row;  /* owned fields */
    cfg_node_t *root;   /* the stored config; owned */
    space_t *space;     /* owned */
} xstudy_t;

/* 0 filled; 1 no such study (err says so: bad input); -1 with err (a DB error or a
 * stored config without a readable space). Clear with xstudy_clear. */
int xstudy_open(store_t *st, const char *name, xstudy_t *out, char *err);
void xstudy_clear(xstudy_t *r);
/* Whether the search trial x (nx values) fits the space: one value per parameter, each
 * NaN (absent: a conditional parameter) or legal. This function can't fail. */
bool xstudy_x_ok(const xstudy_t *r, const double *x, int nx);

/* Every trial of the study with its steps (store_trial_rows: in number order, the
 * final refit last), from one snapshot of st. Stops at the first cb that returns
 * non-zero: -1 (err set by it), or -1 with err on a DB error. */
int xstudy_each(const xstudy_t *r, store_t *st, store_trial_row_fn cb, void *arg, char *err);

#endif
