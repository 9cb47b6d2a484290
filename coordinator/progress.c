/* progress — progress lines of an embedded run (see progress.h).
 *
 * The printer keeps, per study, when it first saw it and how many trials were done
 * then, so a resumed study's ETA uses only the rate of this process. Studies are
 * matched by their index in the scheduler, which only ever appends. */
#include "coordinator/progress.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum {
    TTY_EVERY_MS = 500,   /* rewrite the TTY line this often */
    EVAL_EVERY_MS = 250,  /* look for a 10% step this often (plain lines) */
    LINE_MIN_MS = 1000,   /* at most one plain line a second */
    LINE_MAX_MS = 5000,   /* and at least one every 5 s */
};

struct progress_s {
    progress_mode_t mode;
    FILE *out;            /* borrowed */
    int64_t last_print;   /* now_ms() of the last line; 0 = none yet */
    int64_t last_eval;    /* now_ms() of the last look at the counts */
    uint64_t last_key;    /* deciles and phases at the last line */
    int n;                /* studies seen */
    int64_t *t0;          /* per study: now_ms() when first seen */
    long *n0;             /* per study: trials done when first seen */
};

progress_t *progress_new(progress_mode_t mode, FILE *out)
{
    progress_t *self = xcalloc(1, sizeof *self);
    self->mode = mode;
    self->out = out;
    return self;
}

void progress_destroy(progress_t **self_p)
{
    assert(self_p);
    progress_t *self = *self_p;
    if (!self)
        return;
    free(self->t0);
    free(self->n0);
    free(self);
    *self_p = NULL;
}

static long s_done(const sched_progress_t *p) { return p->complete + p->pruned + p->fail; }

double progress_eta(const sched_progress_t *p, long finished, double elapsed)
{
    long left = p->n_trials - s_done(p);
    /* Until as many trials ended as run at once, the first ones say little. */
    long enough = p->running > 2 ? p->running : 2;
    if (strcmp(p->state, "running") != 0 || left <= 0 || finished < enough || elapsed <= 0)
        return -1;
    return (double)left * elapsed / (double)finished;
}

void progress_duration(strbuf_t *out, double secs)
{
    long s = (long)(secs + 0.5);
    if (s < 60)
        sb_printf(out, "%lds", s);
    else if (s < 3600)
        sb_printf(out, "%ldm%02lds", s / 60, s % 60);
    else
        sb_printf(out, "%ldh%02ldm", s / 3600, s % 3600 / 60);
}

/* What comes after the elapsed time: the ETA, or the phase after the search. */
static void s_phase(const sched_progress_t *p, double eta, strbuf_t *out)
{
    if (strcmp(p->state, "stopped") == 0)
        sb_puts(out, "stopped");
    else if (strcmp(p->state, "done") == 0)
        sb_puts(out, p->refit == SCHED_REFIT_DONE ? "refit done" : "finished");
    else if (p->refit == SCHED_REFIT_RUNNING)
        sb_puts(out, "refit running");
    else {
        sb_puts(out, "ETA ");
        if (eta < 0)
            sb_puts(out, "--");
        else
            progress_duration(out, eta);
        if (p->refit == SCHED_REFIT_PENDING)
            sb_puts(out, " + refit");
    }
}

void progress_line(const sched_progress_t *p, long prefetched, double elapsed, double eta,
                   strbuf_t *out)
{
    sb_printf(out, "%s: %ld/%ld done, ", p->name, s_done(p), p->n_trials);
    progress_duration(out, elapsed);
    sb_puts(out, " elapsed, ");
    s_phase(p, eta, out);
    sb_printf(out, " | %ld complete, %ld pruned, %ld fail, %ld running", p->complete, p->pruned,
              p->fail, p->running);
    if (prefetched > 0)
        sb_printf(out, " (+%ld prefetched)", prefetched);
    if (p->has_best)
        sb_printf(out, " | best %.6g", p->best);
}

/* Learn the studies added since the last call. */
static void s_sync(progress_t *self, const sched_t *sched, int64_t now)
{
    int n = sched_n_studies(sched);
    if (n <= self->n)
        return;
    self->t0 = xrealloc(self->t0, sizeof(int64_t) * (size_t)n);
    self->n0 = xrealloc(self->n0, sizeof(long) * (size_t)n);
    for (int i = self->n; i < n; i++) {
        sched_progress_t p;
        sched_study_progress(sched, i, &p);
        self->t0[i] = now;
        self->n0[i] = s_done(&p);
    }
    self->n = n;
}

/* Every study's line, joined by sep; *key summarises deciles and phases. Of the leases,
 * as many as there are worker slots are running, the rest prefetched (short trials). */
static void s_render(progress_t *self, const sched_t *sched, long slots, int64_t now,
                     const char *sep, strbuf_t *out, uint64_t *key)
{
    s_sync(self, sched, now);
    *key = 0;
    for (int i = 0; i < self->n; i++) {
        sched_progress_t p;
        sched_study_progress(sched, i, &p);
        long leases = p.running;
        p.running = leases < slots ? leases : slots;
        slots -= p.running;
        long done = s_done(&p);
        double elapsed = (double)(now - self->t0[i]) / 1000.0;
        if (i > 0)
            sb_puts(out, sep);
        progress_line(&p, leases - p.running, elapsed,
                      progress_eta(&p, done - self->n0[i], elapsed), out);
        uint64_t decile = p.n_trials > 0 ? (uint64_t)(done * 10 / p.n_trials) : 0;
        *key = *key * 1000003u + decile * 16 + (uint64_t)p.refit * 4 + (uint64_t)p.state[0];
    }
}

/* Cut a TTY line to the terminal's width, so that \r and a clear rewrite all of it. */
static void s_fit(progress_t *self, strbuf_t *sb)
{
    struct winsize ws;
    if (ioctl(fileno(self->out), TIOCGWINSZ, &ws) != 0 || ws.ws_col < 2)
        return;
    size_t n = ws.ws_col - 1;
    while (n > 0 && n < sb->len && ((unsigned char)sb->buf[n] & 0xC0) == 0x80)
        n--; /* not inside a UTF-8 sequence */
    if (n < sb->len) {
        sb->buf[n] = '\0';
        sb->len = n;
    }
}

/* Whether a plain line is due: at least one a second, at most every LINE_MAX_MS, and
 * sooner when a study crossed a 10% step or changed phase. */
static bool s_line_due(const progress_t *self, uint64_t key, int64_t now)
{
    if (!self->last_print)
        return true;
    int64_t since = now - self->last_print;
    return since >= LINE_MAX_MS || (key != self->last_key && since >= LINE_MIN_MS);
}

static void s_print(progress_t *self, const sched_t *sched, long slots, int64_t now, bool force,
                    bool end)
{
    strbuf_t sb;
    sb_init(&sb);
    uint64_t key;
    bool tty = self->mode == PROGRESS_TTY;
    s_render(self, sched, slots, now, tty ? " ; " : "\n", &sb, &key);
    /* A log needs no repeat of its last line at the end: only a change is printed. */
    bool repeat = end && !tty && self->last_print && key == self->last_key;
    if (!repeat && (force || tty || s_line_due(self, key, now))) {
        if (tty) {
            s_fit(self, &sb);
            fprintf(self->out, "\r\033[K%s%s", sb.buf, end ? "\n" : "");
        } else if (sb.len)
            fprintf(self->out, "%s\n", sb.buf);
        fflush(self->out);
        self->last_print = now ? now : 1;
        self->last_key = key;
    }
    sb_free(&sb);
}

void progress_tick(progress_t *self, const sched_t *sched, long slots, int64_t now)
{
    if (self->mode == PROGRESS_OFF)
        return;
    if (self->mode == PROGRESS_TTY) {
        if (!self->last_print || now - self->last_print >= TTY_EVERY_MS)
            s_print(self, sched, slots, now, true, false);
        return;
    }
    if (self->last_eval && now - self->last_eval < EVAL_EVERY_MS)
        return;
    self->last_eval = now;
    s_print(self, sched, slots, now, false, false);
}

void progress_end(progress_t *self, const sched_t *sched, long slots, int64_t now)
{
    if (self->mode != PROGRESS_OFF)
        s_print(self, sched, slots, now, true, true);
}

/* ---- tests ------------------------------------------------------------------------ */

static void s_expect_line(const sched_progress_t *p, long prefetched, double elapsed, double eta,
                          const char *want)
{
    strbuf_t sb;
    sb_init(&sb);
    progress_line(p, prefetched, elapsed, eta, &sb);
    if (strcmp(sb.buf, want) != 0) {
        fprintf(stderr, "progress line:\n  got  %s\n  want %s\n", sb.buf, want);
        assert(!"progress line");
    }
    sb_free(&sb);
}

void progress_test(bool verbose)
{
    (void)verbose;
    sched_progress_t p = {.name = "emb", .state = "running", .n_trials = 40, .complete = 21,
                          .pruned = 1, .fail = 1, .running = 2, .has_best = true,
                          .best = 0.0123};
    /* 17 ended in 7 s here, 17 left: 7 s more */
    assert(fabs(progress_eta(&p, 17, 7.0) - 7.0) < 1e-9);
    assert(progress_eta(&p, 1, 7.0) < 0);   /* too few to say */
    assert(progress_eta(&p, 17, 0.0) < 0);
    s_expect_line(&p, 0, 7.0, 5.0,
                  "emb: 23/40 done, 7s elapsed, ETA 5s | 21 complete, 1 pruned, 1 fail, "
                  "2 running | best 0.0123");
    s_expect_line(&p, 2, 7.0, 5.0,
                  "emb: 23/40 done, 7s elapsed, ETA 5s | 21 complete, 1 pruned, 1 fail, "
                  "2 running (+2 prefetched) | best 0.0123");
    p.has_best = false;
    p.refit = SCHED_REFIT_PENDING;
    s_expect_line(&p, 0, 125.0, -1, "emb: 23/40 done, 2m05s elapsed, ETA -- + refit | 21 complete, "
                                 "1 pruned, 1 fail, 2 running");
    p.running = 8; /* 8 at once: the first 7 to end say little */
    assert(progress_eta(&p, 7, 10.0) < 0 && progress_eta(&p, 8, 10.0) > 0);
    p = (sched_progress_t){.name = "r", .state = "running", .n_trials = 5, .complete = 5,
                           .running = 1, .refit = SCHED_REFIT_RUNNING};
    assert(progress_eta(&p, 5, 3.0) < 0);
    s_expect_line(&p, 0, 3730.0, -1, "r: 5/5 done, 1h02m elapsed, refit running | 5 complete, "
                                  "0 pruned, 0 fail, 1 running");
    p.state = "done";
    p.running = 0;
    p.refit = SCHED_REFIT_DONE;
    s_expect_line(&p, 0, 59.97, -1, "r: 5/5 done, 1m00s elapsed, refit done | 5 complete, "
                                 "0 pruned, 0 fail, 0 running");
    p.refit = SCHED_REFIT_NONE;
    s_expect_line(&p, 0, 0.2, -1, "r: 5/5 done, 0s elapsed, finished | 5 complete, 0 pruned, "
                               "0 fail, 0 running");
    p.state = "stopped";
    s_expect_line(&p, 0, 0, -1, "r: 5/5 done, 0s elapsed, stopped | 5 complete, 0 pruned, 0 fail, "
                             "0 running");
    /* plain lines: the first at once, then on a new 10% step after 1 s, or after 5 s */
    progress_t *pr = progress_new(PROGRESS_LINES, stderr);
    assert(s_line_due(pr, 1, 1000));
    pr->last_print = 1000;
    pr->last_key = 1;
    assert(!s_line_due(pr, 1, 1999) && !s_line_due(pr, 2, 1999));
    assert(s_line_due(pr, 2, 2000) && !s_line_due(pr, 1, 2000));
    assert(!s_line_due(pr, 1, 5999) && s_line_due(pr, 1, 6000));
    progress_destroy(&pr);
    assert(pr == NULL);
}
