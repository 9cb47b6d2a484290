/* compare — the strategy/model comparison of the HTML report: the leaderboard as a
 * picture. The board itself (groups by metric and direction, order, rank, best value
 * with its CV std, the final refit's test score) is core/report_board.c's: it is asked
 * for as JSON (report_board) and read back, not recomputed here.
 *
 * One plot per metric group (values of different metrics share no axis): a row per
 * study, its best value as a dot with a bar of ± the best trial's fold std (cv_std), and
 * its test score as a green square; then the board as a table. */
#ifndef HPS_COMPARE_H
#define HPS_COMPARE_H

#include <stdbool.h>

#include "core/config.h"
#include "core/store.h"

typedef struct {
    const char *study, *metric, *direction, *model, *strategy, *state; /* borrowed */
    double best, std, test;                                            /* NaN = none */
    long rank, complete, n_trials;                                     /* rank 0 = none */
} compare_row_t;

typedef struct {
    cfg_node_t *tree;    /* the board as parsed; owns the strings */
    compare_row_t *rows; /* board order; owned */
    int n;
} compare_t;

/* The board of the named studies (n_names = 0: all), in the board's order. is_model as
 * in report_board_opts_t. 0 ok, -1 with err (a DB error). */
int compare_load(store_t *st, const char *const *names, int n_names,
                 bool (*is_model)(const char *objective_type), compare_t *out, char *err);
/* The board row of a study; NULL when absent. */
const compare_row_t *compare_find(const compare_t *c, const char *study);
/* The comparison section: a plot per metric group and the table. Can't fail. */
void compare_html(strbuf_t *sb, const compare_t *c);
void compare_free(compare_t *c);

#endif
