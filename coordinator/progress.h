/* progress — the per-study progress of an embedded run (`hps run`) on stderr.
 *
 * One line per study, most important first so a narrow terminal cuts the least:
 *
 *   emb: 23/40 done, 7s elapsed, ETA 5s | 21 complete, 1 pruned, 1 fail, 2 running | best 0.0123
 *
 * (with "(+2 prefetched)" after "running" when short trials are leased ahead). *
 * "done" counts search trials COMPLETE + PRUNED + FAIL, the same trials `hps status`
 * counts as done; the final refit of a study with a strategy is shown as "+ refit",
 * "refit running", "refit done". The ETA divides the trials left by the rate at which
 * trials finished since this process started serving the study ("ETA --" until enough
 * have). On a TTY the line is rewritten in place every 0.5 s; otherwise (a log, CI) a
 * plain line is written every 5 s and at each 10% step, at most one a second. */
#ifndef HPS_PROGRESS_H
#define HPS_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "coordinator/schedule.h"
#include "core/util.h"

typedef enum {
    PROGRESS_OFF = 0, /* nothing (hps coordinator, hps run -q) */
    PROGRESS_TTY,     /* one line rewritten in place (\r, cleared) */
    PROGRESS_LINES,   /* plain lines for logs */
} progress_mode_t;

typedef struct progress_s progress_t;

/* A progress printer writing to out (borrowed); NULL never (OFF prints nothing). */
progress_t *progress_new(progress_mode_t mode, FILE *out);
void progress_destroy(progress_t **self_p);
/* Call as often as convenient with now_ms(): prints when a line is due. slots: the
 * connected workers' slots; leases beyond them are shown as prefetched, not running. */
void progress_tick(progress_t *self, const sched_t *sched, long slots, int64_t now);
/* Print the state now and end the line (TTY); called once at the end of a run. */
void progress_end(progress_t *self, const sched_t *sched, long slots, int64_t now);

/* Seconds left for p at the rate of the `finished` trials ended in `elapsed` seconds
 * by this process, or -1 when it cannot be estimated yet. This function can't fail. */
double progress_eta(const sched_progress_t *p, long finished, double elapsed);
/* Append secs as 7s, 2m05s or 1h03m. This function can't fail. */
void progress_duration(strbuf_t *out, double secs);
/* Append the line of p (no newline); prefetched: leases beyond p->running, handed to
 * workers ahead of a free slot. eta < 0 prints "ETA --". */
void progress_line(const sched_progress_t *p, long prefetched, double elapsed, double eta,
                   strbuf_t *out);

void progress_test(bool verbose);

#endif
