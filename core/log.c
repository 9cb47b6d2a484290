/* log — see log.h. Process-wide level and component: set in main, read everywhere. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

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
    /* One fputs per line keeps lines from several processes from interleaving. */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    fputs(line, stderr);
}
