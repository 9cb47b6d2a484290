/* watch — `hps status --watch` (see watch.h).
 *
 * Each refresh reads the stable status JSON (core/report.h) back with cfg_parse (JSON is
 * YAML), so a study file and a live coordinator are watched through the same object.
 * Per study the watch keeps when it first saw it and how many trials were done then:
 * the rate, and so the ETA, are those of this watch, as hps run's are of its process. */
#include "cli/watch.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "coordinator/progress.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/report.h"

static volatile sig_atomic_t s_stop; /* set by SIGINT/SIGTERM: main's only signal state */

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* Where the watch first saw a study. */
typedef struct {
    char *name; /* owned */
    double t0;  /* now_secs() */
    long n0;    /* trials done then */
} s_seen_t;

typedef struct {
    s_seen_t *seen;
    int n_seen;
} s_watch_t;

int watch_db_fetch(void *arg, char **json, char *err)
{
    const watch_db_t *d = arg;
    strbuf_t sb;
    sb_init(&sb);
    int rc = report_status_json(d->st, d->study, &sb, err);
    *json = rc == 0 ? sb_take(&sb) : NULL;
    sb_free(&sb);
    return rc;
}

/* The first sighting of study name (done trials then), remembered from now on. */
static const s_seen_t *s_seen(s_watch_t *w, const char *name, long done, double now)
{
    for (int i = 0; i < w->n_seen; i++)
        if (strcmp(w->seen[i].name, name) == 0)
            return &w->seen[i];
    w->seen = xrealloc(w->seen, sizeof *w->seen * (size_t)(w->n_seen + 1));
    w->seen[w->n_seen] = (s_seen_t){.name = xstrdup(name), .t0 = now, .n0 = done};
    return &w->seen[w->n_seen++];
}

/* map's scalar at key, else def: the reply is read leniently (a coordinator's JSON is
 * input, never asserted on). */
static const char *s_str(const cfg_node_t *map, const char *key, const char *def)
{
    const cfg_node_t *n = cfg_get(map, key);
    return n && n->type == CFG_SCALAR ? n->value : def;
}

static long s_long(const cfg_node_t *map, const char *key)
{
    long v = 0;
    const cfg_node_t *n = cfg_get(map, key);
    if (n && n->type == CFG_SCALAR && parse_long(n->value, &v) != 0)
        v = 0;
    return v;
}

/* One study's row: name, state, done/n, best, rate, ETA. */
static void s_study_row(s_watch_t *w, const cfg_node_t *s, double now, strbuf_t *out)
{
    const char *name = s_str(s, "study", "?"), *state = s_str(s, "state", "?");
    const char *best_text = s_str(s, "best.value", NULL);
    double best = NAN;
    if (best_text && parse_double(best_text, &best) != 0)
        best = NAN;
    sched_progress_t p = {.name = name, .state = state, .n_trials = s_long(s, "n_trials"),
                          .complete = s_long(s, "trials.COMPLETE"),
                          .pruned = s_long(s, "trials.PRUNED"),
                          .fail = s_long(s, "trials.FAIL"),
                          .running = s_long(s, "trials.RUNNING")};
    long done = p.complete + p.pruned + p.fail;
    const s_seen_t *seen = s_seen(w, name, done, now);
    double elapsed = now - seen->t0;
    double eta = progress_eta(&p, done - seen->n0, elapsed);
    char *shown = limits_escape(name, false), *shown_state = limits_escape(state, false);
    sb_printf(out, "%-16s %-8s %7ld/%-7ld ", shown, shown_state, done, p.n_trials);
    free(shown);
    free(shown_state);
    if (isnan(best))
        sb_printf(out, "%-12s ", "-");
    else
        sb_printf(out, "%-12.6g ", best);
    if (elapsed > 0 && done > seen->n0)
        sb_printf(out, "%8.3g  ", (double)(done - seen->n0) / elapsed);
    else
        sb_printf(out, "%8s  ", "-");
    if (strcmp(state, "running") == 0 && eta >= 0)
        progress_duration(out, eta);
    else if (strcmp(state, "running") == 0)
        sb_puts(out, "--");
    else
        sb_puts(out, "-");
    sb_putc(out, '\n');
}

/* The block for the status json (or its error). */
static void s_block(s_watch_t *w, const watch_opts_t *o, const cfg_node_t *root, strbuf_t *out)
{
    double now = now_secs();
    time_t t = (time_t)now;
    struct tm tm;
    char clock[16] = "?";
    if (localtime_r(&t, &tm))
        strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    sb_printf(out, "hps status --watch  every %gs, %s (Ctrl-C stops)\n", o->interval, clock);
    sb_printf(out, "%-16s %-8s %15s %-12s %8s  %s\n", "STUDY", "STATE", "DONE     ", "BEST",
              "TRIALS/S", "ETA");
    const cfg_node_t *studies = cfg_get(root, "studies");
    for (int i = 0; studies && studies->type == CFG_SEQ && i < studies->n; i++)
        s_study_row(w, studies->items[i], now, out);
    const cfg_node_t *workers = cfg_get(root, "workers");
    long alive = 0;
    for (int i = 0; workers && workers->type == CFG_SEQ && i < workers->n; i++) {
        if (strcmp(s_str(workers->items[i], "state", ""), "alive") == 0)
            alive++;
    }
    sb_printf(out, "workers: %ld alive (%ld known)\n", alive, s_long(root, "workers_total"));
}

/* Cut each line of sb to the terminal's width, so that a redraw moves up exactly as
 * many lines as it printed. Returns the number of lines. */
static int s_fit_lines(const watch_opts_t *o, strbuf_t *sb)
{
    struct winsize ws;
    size_t width = SIZE_MAX;
    if (ioctl(fileno(o->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        width = (size_t)ws.ws_col - 1;
    strbuf_t cut;
    sb_init(&cut);
    int lines = 0;
    for (char *line = sb->buf, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        size_t len = (size_t)(nl - line); /* s_block ends every line */
        sb_putn(&cut, line, len < width ? len : width);
        sb_putc(&cut, '\n');
        lines++;
    }
    sb_free(sb);
    *sb = cut;
    return lines;
}

/* Sleep secs, waking early on a signal. */
static void s_sleep(double secs)
{
    double end = now_secs() + secs;
    while (!s_stop) {
        double left = end - now_secs();
        if (left <= 0)
            break;
        if (left > 0.1)
            left = 0.1;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* One refresh: fetch, render, print. 0 ok, else the exit code. */
static int s_refresh(s_watch_t *w, const watch_opts_t *o, watch_fetch_fn fetch, void *arg,
                     int *last_lines, bool first)
{
    char err[HPS_ERR_LEN] = "";
    char *json = NULL;
    int rc = fetch(arg, &json, err);
    if (rc != 0) {
        if (s_stop)
            return 0; /* the fetch was cut short by Ctrl-C */
        fprintf(stderr, "hps status: %s\n", err);
        return rc == 1 && first ? 2 : 1;
    }
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(json, strlen(json), "status", &errs);
    free(json);
    cfg_errs_free(&errs);
    if (!root) {
        fprintf(stderr, "hps status: an unreadable status reply\n");
        return 1;
    }
    strbuf_t sb;
    sb_init(&sb);
    s_block(w, o, root, &sb);
    cfg_free(&root);
    if (o->tty) {
        int lines = s_fit_lines(o, &sb);
        if (*last_lines > 0)
            fprintf(o->out, "\033[%dA\r\033[J", *last_lines);
        *last_lines = lines;
    } else if (!first)
        fputc('\n', o->out);
    fputs(sb.buf, o->out);
    sb_free(&sb);
    if (fflush(o->out) != 0) {
        fprintf(stderr, "hps status: writing the status: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

int watch_run(const watch_opts_t *o, watch_fetch_fn fetch, void *arg)
{
    struct sigaction sa = {.sa_handler = s_on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, &old_int) != 0 || sigaction(SIGTERM, &sa, &old_term) != 0) {
        fprintf(stderr, "hps status: sigaction: %s\n", strerror(errno));
        return 1;
    }
    s_watch_t w = {0};
    int code = 0, last_lines = 0;
    for (bool first = true; !s_stop && code == 0; first = false) {
        code = s_refresh(&w, o, fetch, arg, &last_lines, first);
        if (code == 0)
            s_sleep(o->interval);
    }
    for (int i = 0; i < w.n_seen; i++)
        free(w.seen[i].name);
    free(w.seen);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return code;
}
