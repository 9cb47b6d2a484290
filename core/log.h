/* log — level-gated messages to stderr: "2026-11-25T10:00:00.123 INFO  coord: text",
 * one line each: the text's newlines and control characters are escaped (limits_escape).
 * stdout carries command results only. The level and component name are set once in
 * main (or a forked child) and are the only process-wide mutable state in hps. */
#ifndef HPS_LOG_H
#define HPS_LOG_H

#include <stdbool.h>

typedef enum { LL_ERROR = 0, LL_WARN, LL_INFO, LL_DEBUG } log_level_t;

void log_set_level(log_level_t level);
void log_set_component(const char *name); /* copied; e.g. "worker 3" */
log_level_t log_level(void);
const char *log_component(void); /* as last set; "hps" before */
void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)

void log_test(bool verbose);

#endif
