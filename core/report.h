/* report — read-only views of a study file: `hps status --db` and `hps leaderboard`.
 *
 * Everything here is a plain SELECT through store_db() inside one read transaction, so
 * a report is a consistent snapshot even while a coordinator keeps writing (WAL lets
 * readers and the writer run side by side). Nothing is written.
 *
 * Return convention of every function: 0 ok (text appended to out), 1 bad input (an
 * unknown study or format; err says which), -1 a database error in err. The CLI maps
 * these to exit codes 0, 2 and 1. */
#ifndef HPS_REPORT_H
#define HPS_REPORT_H

#include <stdbool.h>

#include "core/store.h"
#include "core/util.h"

/* DESIGN's stable `hps status --json` object, one line:
 * {"studies": [{"study", "state", "n_trials", "trials": {"COMPLETE", "RUNNING",
 *  "WAITING", "FAIL", "PRUNED"}, "best": {"trial", "value", "params"} | null}],
 *  "workers": [{"name", "host", "pid", "slots", "last_seen", "state"}]}
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

/* One row per study (ordered by name): model, strategy, completed/n_trials, best value
 * ± its CV std, the final refit's test score, tier, latest promotion stage, wall time.
 * format: "table" (aligned), "csv" (RFC 4180 quoting, machine columns), "json" (array
 * of objects, machine columns) or "md" (Markdown table). */
int report_leaderboard(store_t *st, const char *format, strbuf_t *out, char *err);

/* Whether format is one report_leaderboard accepts. */
bool report_format_valid(const char *format);

void report_test(bool verbose);

#endif
