/* report — read-only views of a study file: `hps status --db` and `hps leaderboard`.
 *
 * Everything here is read through the store's read functions inside one store snapshot,
 * so a report is consistent even while a coordinator keeps writing (WAL lets readers
 * and the writer run side by side). Nothing is written.
 *
 * Return convention of every function: 0 ok (text appended to out), 1 bad input (an
 * unknown study, format or sort key; err says which), -1 a runtime failure in err (a
 * database error, or a leaderboard pattern that matches no study). The CLI maps these
 * to exit codes 0, 2 and 1. */
#ifndef HPS_REPORT_H
#define HPS_REPORT_H

#include <stdbool.h>

#include "core/store.h"
#include "core/util.h"

/* DESIGN's stable `hps status --json` object, one line:
 * {"studies": [{"study", "state", "n_trials", "trials": {"COMPLETE", "RUNNING",
 *  "WAITING", "FAIL", "PRUNED"}, "best": {"trial", "value", "params"} | null}],
 *  "workers": [{"name", "host", "pid", "slots", "last_seen", "state"}],
 *  "workers_total": N}   (workers lists the REPORT_WORKERS_MAX heard from last)
 * Counts and best cover search trials only (the final refit is not a search trial);
 * best follows the study's direction; params is null when the stored config cannot
 * render the point. study NULL = every study (ordered by name); an unknown one is
 * bad input: "no study 'x' (studies: a, b)". A worker's last_seen is when the
 * coordinator last heard from it (epoch seconds; in the file up to a quarter lease
 * late), state is "alive", "gone" (silent for longer than its lease and that
 * quarter) or "left" (told BYE when an embedded run ended). */
int report_status_json(store_t *st, const char *study, strbuf_t *out, char *err);

/* The same content as aligned tables for a terminal. */
int report_status_text(store_t *st, const char *study, strbuf_t *out, char *err);

/* The leaderboard: one row per study, grouped by what the value measures (metric and
 * direction: accuracy studies together, rmse studies together, a synthetic or command
 * objective's plain "value" apart; groups in metric name order, maximising first), and
 * within a group in the --sort order. Columns: the rank within the group by best value
 * (competition ranking, 1 1 3; none without a complete trial; over every study of the
 * file, so a --study selection keeps each study's rank), study, metric, direction,
 * state (running, done, stopped), model, strategy, trial counts, best value ± its CV
 * std, the final refit's test score, tier, latest promotion stage, wall time, and in
 * csv/json/md the best trial's parameters.
 *
 * format: "table" (aligned, a blank line between groups, no parameters), "md" (Markdown,
 * parameters as one "name=value, ..." cell), "csv" (RFC 4180, machine values, one
 * params.NAME column per parameter name of any shown study) or "json" (an array of
 * objects in board order, machine values, "params": {name: value} or null).
 *
 * sort (NULL = best), each within a group, ties by study name:
 *   best     best value, best first by the study's direction; none last
 *   test     final test score, best first by direction; none last
 *   trials   most completed trials first
 *   wall     shortest wall time first
 *   study    study name (also: name)
 *   created  newest first
 *
 * studies: shell globs (fnmatch) on study names, a row shows when any matches (an
 * exact name always matches itself); n_studies = 0 shows every study. A pattern that
 * matches no study is a failure (-1, err "no study matches 'X'"), so a script asking
 * for one study never mistakes an empty board for it. */
typedef struct {
    const char *format;         /* NULL = table */
    const char *sort;           /* NULL = best */
    const char *const *studies; /* n_studies patterns; borrowed */
    int n_studies;
    /* Which objective types are models, scored by a metric with a strategy (core knows
     * no objectives: objectives/model.h's model_known); NULL = none. */
    bool (*is_model)(const char *objective_type);
} report_board_opts_t;

int report_board(store_t *st, const report_board_opts_t *opts, strbuf_t *out, char *err);

/* Every study, sorted by best, in format; is_model as in report_board_opts_t. */
int report_leaderboard(store_t *st, const char *format,
                       bool (*is_model)(const char *objective_type), strbuf_t *out, char *err);

/* The error for an unknown study, naming every study: "no study 'x' (studies: a, b)"
 * in err. Returns 1 (bad input), or -1 when even the names cannot be read. */
int report_no_study(store_t *st, const char *study, char *err);

/* Whether format / sort is one report_board accepts. */
bool report_format_valid(const char *format);
bool report_sort_valid(const char *sort);

/* The accepted sort keys, for messages: "best, test, trials, wall, study, name, created". */
extern const char report_sort_keys[];

void report_test(bool verbose);

#endif
