/* util — allocation that aborts on OOM, time, hashing, small file and string helpers.
 *
 * Like Redis zmalloc, xmalloc() and friends never return NULL: running out of memory
 * is not an error the rest of hps tries to survive. Everything else here is either
 * infallible or returns 0 / -1 with a message in the caller's err buffer. */
#ifndef HPS_UTIL_H
#define HPS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HPS_ERR_LEN 512
#define HPS_VERSION "0.1.0"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fill err (HPS_ERR_LEN bytes) printf-style; returns -1 so callers can `return set_err(...)`. */
int set_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

double now_secs(void);   /* wall clock, seconds since the epoch */
int64_t now_ms(void);    /* monotonic clock, milliseconds */

/* SHA-256 (libsodium) as 64 lowercase hex chars + NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);
/* SHA-256 of a whole regular file; -1 with err when it cannot be read. */
int sha256_file(const char *path, char out[65], char *err);
bool is_sha256_hex(const char *s);

/* The largest file read whole (a dataset; a config is bounded tighter, config.c). */
#define HPS_FILE_MAX ((size_t)2 << 30)
/* path opened for reading if it is a regular file of at most max bytes (a FIFO, a
 * device or a directory is refused without blocking); NULL with err. */
FILE *file_open_regular(const char *path, size_t max, char *err);
/* Read a whole regular file of at most max bytes into a NUL-terminated buffer (caller
 * frees); NULL with err on failure. file_read: max HPS_FILE_MAX. */
char *file_read_max(const char *path, size_t max, size_t *len_out, char *err);
char *file_read(const char *path, size_t *len_out, char *err);
/* Write atomically (temp file + fsync + rename); -1 with err on failure, and when path
 * exists and is not a regular file (a device, FIFO or directory is never replaced). */
int file_write_atomic(const char *path, const void *data, size_t len, char *err);
/* Write all len bytes to fd (retrying short writes and EINTR): 0, or -1 with errno. */
int write_all(int fd, const void *data, size_t len);
/* mkdir -p; -1 with err on failure. */
int mkdir_p(const char *path, char *err);

/* Strict number parsing: whole string must be a decimal number (strtod's hex floats such
 * as 0x10 are not: Python and pandas read them as text). 0 ok, -1 otherwise. */
int parse_double(const char *s, double *out);
/* Whether s (after blanks and a sign) starts as a hex number: 0x / 0X. */
bool num_text_is_hex(const char *s);
int parse_long(const char *s, long *out);

/* Growable string buffer, for building JSON and tables. */
typedef struct {
    char *buf;   /* NUL-terminated; owned */
    size_t len;
    size_t cap;
} strbuf_t;
void sb_init(strbuf_t *sb);
void sb_free(strbuf_t *sb);
void sb_putc(strbuf_t *sb, char c);
void sb_puts(strbuf_t *sb, const char *s);
void sb_putn(strbuf_t *sb, const char *s, size_t n);
void sb_printf(strbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf_t *sb, const char *fmt, va_list ap);
/* Append s as a JSON string literal with quotes and escapes. */
void sb_json_str(strbuf_t *sb, const char *s);
/* Append s as a CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break, quotes doubled. */
void sb_csv_str(strbuf_t *sb, const char *s);
/* Append a double as JSON: shortest round-trip text, null for NaN/inf. */
void sb_json_num(strbuf_t *sb, double v);
/* Detach the buffer (caller frees) and reset sb. */
char *sb_take(strbuf_t *sb);

/* splitmix64-seeded xoshiro256** generator: reproducible across platforms. */
typedef struct {
    uint64_t s[4];
} rng_t;
void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
double rng_uniform(rng_t *r);             /* [0, 1) */
double rng_normal(rng_t *r);              /* standard normal */
uint64_t rng_below(rng_t *r, uint64_t n); /* [0, n), unbiased; n > 0 */
uint64_t hash_mix64(uint64_t x);          /* splitmix64 finaliser */

/* The entry called name in a NULL-terminated table of pointers to structs whose first
 * member is `const char *name` (the ops tables of samplers, pruners, objectives and
 * models); NULL when none. */
const void *registry_find(const void *const *table, const char *name);
/* The names of such a table, NULL-terminated. Caller frees the array (not the names). */
const char **registry_names(const void *const *table);

/* Edit distance counting a swap of neighbours as one edit (n_trail -> n_trials is 2);
 * strings over 63 bytes are "far" (99). Can't fail. */
int edit_distance(const char *a, const char *b);
/* The name in names (NULL-terminated) that word is a near miss of (a typo: at most
 * 2 edits, and at most half the longer of the two: CC -> C, not x -> y), or NULL.
 * Borrowed from names. */
const char *closest_name(const char *word, const char *const *names);
/* " (did you mean 'x'? LABEL: a, b, c)" for an unknown word: the question only for a
 * near miss, the sorted list of names only when label is not NULL; "" when there is
 * nothing to say. For "unknown model 'xgbost'%s" messages; caller frees. */
char *did_you_mean(const char *word, const char *const *names, const char *label);

/* qsort/bsearch order of doubles (ascending; not for NaN). */
int cmp_double(const void *a, const void *b);
/* Sorts v[0..n) in place and returns its median (the mean of the middle two when n is
 * even); n > 0. */
double median_sort(double *v, size_t n);

void util_test(bool verbose);

#endif
