/* log — see log.h. Process-wide level and component: set in main, read everywhere. */
#include "core/log.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"

static log_level_t s_level = LL_INFO;
static char s_component[64] = "hps";

void log_set_level(log_level_t level) { s_level = level; }
log_level_t log_level(void) { return s_level; }

const char *log_component(void) { return s_component; }

void log_set_component(const char *name)
{
    snprintf(s_component, sizeof s_component, "%s", name);
}

void log_msg(log_level_t level, const char *fmt, ...)
{
    static const char *names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
    if (level > s_level)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char line[2048];
    int n = snprintf(line, sizeof line, "%s.%03ld %s %s: ", stamp, (long)tv.tv_usec / 1000,
                     names[level], s_component);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* A message may carry a peer's text (a message type, a study name): its newlines and
     * control characters are escaped, so it can forge no log line nor drive a terminal. */
    char *text = limits_escape(n > 0 && (size_t)n < sizeof line ? line + n : "", false);
    if (n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "%s", text);
    free(text);
    /* One fputs per line keeps lines from several processes from interleaving. */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    fputs(line, stderr);
}

/* A message's newlines and escape bytes are escaped: one line, nothing forged. */
void log_test(bool verbose)
{
    (void)verbose;
    char path[] = "/tmp/hps-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    assert(fd >= 0 && saved >= 0 && fflush(stderr) == 0 && dup2(fd, 2) == 2);
    log_warn("study '%s'", "x\n2026-01-01T00:00:00.000 ERROR coord: forged \x1b[31m");
    assert(fflush(stderr) == 0 && dup2(saved, 2) == 2 && close(saved) == 0);
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    assert(n > 0 && close(fd) == 0 && unlink(path) == 0);
    buf[n] = '\0';
    assert(strchr(buf, '\n') == buf + n - 1 && !strchr(buf, '\x1b'));
    assert(strstr(buf, "WARN  ") && strstr(buf, "study 'x\\x0a2026-01-01"));
}
