/* util — see util.h. */
#include "core/util.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <fcntl.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void s_oom(size_t n)
{
    fprintf(stderr, "hps: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        s_oom(n);
    return p;
}

void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        s_oom(count * n);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        s_oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert(n >= 0);
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int set_err(char *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, HPS_ERR_LEN, fmt, ap);
        va_end(ap);
    }
    return -1;
}

double now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_hex(const unsigned char *h, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[2 * n] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    s_hex(h, sizeof h, out);
}

int sha256_file(const char *path, char out[65], char *err)
{
    FILE *f = file_open_regular(path, SIZE_MAX, err);
    if (!f)
        return -1;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&st, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return set_err(err, "%s: read error", path);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    s_hex(h, sizeof h, out);
    return 0;
}

bool is_sha256_hex(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

FILE *file_open_regular(const char *path, size_t max, char *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    FILE *f = NULL;
    if (fstat(fd, &sb) != 0)
        set_err(err, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        set_err(err, "%s: not a regular file", path);
    else if ((uintmax_t)sb.st_size > (uintmax_t)max)
        set_err(err, "%s: larger than %zu bytes (%jd)", path, max, (intmax_t)sb.st_size);
    else if (fcntl(fd, F_SETFL, 0) != 0 || !(f = fdopen(fd, "rb")))
        set_err(err, "%s: %s", path, strerror(errno));
    if (!f)
        close(fd);
    return f;
}

char *file_read_max(const char *path, size_t max, size_t *len_out, char *err)
{
    FILE *f = file_open_regular(path, max, err);
    if (!f)
        return NULL;
    strbuf_t sb;
    sb_init(&sb);
    char buf[65536];
    size_t n;
    while (sb.len <= max && (n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_putn(&sb, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad || sb.len > max) { /* it grew since the check */
        sb_free(&sb);
        if (bad)
            set_err(err, "%s: read error", path);
        else
            set_err(err, "%s: larger than %zu bytes", path, max);
        return NULL;
    }
    if (len_out)
        *len_out = sb.len;
    return sb_take(&sb);
}

char *file_read(const char *path, size_t *len_out, char *err)
{
    return file_read_max(path, HPS_FILE_MAX, len_out, err);
}

int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, char *err)
{
    /* The rename would put a regular file in place of whatever is there: never of a
     * device, FIFO, socket or directory (hps run as root with -o /dev/full). */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return set_err(err, "%s: not a regular file (hps writes a whole new file there)", path);
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        set_err(err, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    if (write_all(fd, data, len) != 0) {
        set_err(err, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        set_err(err, "%s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int mkdir_p(const char *path, char *err)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            set_err(err, "%s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        rc = set_err(err, "%s: %s", p, strerror(errno));
    free(p);
    return rc;
}

bool num_text_is_hex(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    s += *s == '+' || *s == '-';
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

int parse_double(const char *s, double *out)
{
    if (!s || !*s || num_text_is_hex(s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* Underflow is still a number (1e-320 is a tiny score, not no score); overflow is not. */
    if (*end != '\0' || (errno == ERANGE && fabs(v) >= DBL_MIN))
        return -1;
    *out = v;
    return 0;
}

int parse_long(const char *s, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

#define S_SB_FIRST_CAP 64

void sb_init(strbuf_t *sb)
{
    sb->cap = S_SB_FIRST_CAP;
    sb->len = 0;
    sb->buf = xmalloc(sb->cap);
    sb->buf[0] = '\0';
}

void sb_free(strbuf_t *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

void sb_putn(strbuf_t *sb, const char *s, size_t n)
{
    if (sb->len + n + 1 > sb->cap) {
        if (sb->cap == 0) /* a zeroed buffer, not sb_init's: would double 0 forever */
            sb->cap = S_SB_FIRST_CAP;
        while (sb->len + n + 1 > sb->cap)
            sb->cap *= 2;
        sb->buf = xrealloc(sb->buf, sb->cap);
    }
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void sb_putc(strbuf_t *sb, char c) { sb_putn(sb, &c, 1); }
void sb_puts(strbuf_t *sb, const char *s) { sb_putn(sb, s, strlen(s)); }

void sb_vprintf(strbuf_t *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    assert(n >= 0);
    if (sb->len + (size_t)n + 1 > sb->cap) {
        while (sb->len + (size_t)n + 1 > sb->cap)
            sb->cap *= 2;
        sb->buf = xrealloc(sb->buf, sb->cap);
    }
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void sb_printf(strbuf_t *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

void sb_json_str(strbuf_t *sb, const char *s)
{
    sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sb_puts(sb, "\\\""); break;
        case '\\': sb_puts(sb, "\\\\"); break;
        case '\n': sb_puts(sb, "\\n"); break;
        case '\r': sb_puts(sb, "\\r"); break;
        case '\t': sb_puts(sb, "\\t"); break;
        default:
            if (*p < 0x20)
                sb_printf(sb, "\\u%04x", *p);
            else
                sb_putc(sb, (char)*p);
        }
    }
    sb_putc(sb, '"');
}

void sb_csv_str(strbuf_t *sb, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        sb_puts(sb, s);
        return;
    }
    sb_putc(sb, '"');
    for (; *s; s++) {
        if (*s == '"')
            sb_putc(sb, '"');
        sb_putc(sb, *s);
    }
    sb_putc(sb, '"');
}

void sb_json_num(strbuf_t *sb, double v)
{
    if (!isfinite(v)) {
        sb_puts(sb, "null");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        sb_printf(sb, "%.0f", v);
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    sb_puts(sb, buf);
}

char *sb_take(strbuf_t *sb)
{
    char *p = sb->buf;
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return p;
}

const void *registry_find(const void *const *table, const char *name)
{
    for (; *table; table++)
        if (strcmp(*(const char *const *)*table, name) == 0)
            return *table;
    return NULL;
}

const char **registry_names(const void *const *table)
{
    size_t n = 0;
    while (table[n])
        n++;
    const char **names = xmalloc((n + 1) * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = *(const char *const *)table[i];
    names[n] = NULL;
    return names;
}

int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int rows[3][64]; /* rolling rows i-2, i-1, i of the DP table */
    for (size_t j = 0; j <= lb; j++)
        rows[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int *row = rows[i % 3], *prev = rows[(i + 2) % 3], *prev2 = rows[(i + 1) % 3];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            row[j] = best;
        }
    }
    return rows[la % 3][lb];
}

const char *closest_name(const char *word, const char *const *names)
{
    assert(word);
    const char *best = NULL;
    int best_d = 3; /* hint only for near misses: typos, not other words */
    size_t lw = strlen(word);
    for (; names && *names; names++) {
        int d = edit_distance(*names, word);
        size_t longer = strlen(*names) > lw ? strlen(*names) : lw;
        if (d < best_d && 2 * (size_t)d <= longer) {
            best_d = d;
            best = *names;
        }
    }
    return best;
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *did_you_mean(const char *word, const char *const *names, const char *label)
{
    const char *near = closest_name(word, names);
    size_t n = 0;
    while (names && names[n])
        n++;
    if (!near && (!label || n == 0))
        return xstrdup("");
    strbuf_t sb;
    sb_init(&sb);
    sb_puts(&sb, " (");
    if (near)
        sb_printf(&sb, "did you mean '%s'?%s", near, label && n ? " " : "");
    if (label && n) {
        const char **sorted = xmalloc(n * sizeof *sorted);
        memcpy(sorted, names, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, s_cmp_str);
        sb_printf(&sb, "%s: ", label);
        for (size_t i = 0; i < n; i++)
            sb_printf(&sb, "%s%s", i ? ", " : "", sorted[i]);
        free(sorted);
    }
    sb_putc(&sb, ')');
    return sb_take(&sb);
}

int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median_sort(double *v, size_t n)
{
    assert(v && n > 0);
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

uint64_t hash_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void rng_seed(rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed = hash_mix64(seed);
        r->s[i] = seed;
    }
}

static inline uint64_t s_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = s_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl(s[3], 45);
    return result;
}

double rng_uniform(rng_t *r) { return (rng_next(r) >> 11) * 0x1.0p-53; }

double rng_normal(rng_t *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t rng_below(rng_t *r, uint64_t n)
{
    assert(n > 0);
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x >= limit);
    return x % n;
}

void util_test(bool verbose)
{
    (void)verbose;
    char h[65];
    sha256_hex("abc", 3, h);
    assert(strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    assert(is_sha256_hex(h) && !is_sha256_hex("abc"));
    strbuf_t sb;
    sb_init(&sb);
    sb_json_str(&sb, "a\"b\n");
    sb_putc(&sb, ' ');
    sb_json_num(&sb, 0.1);
    sb_putc(&sb, ' ');
    sb_json_num(&sb, 3);
    sb_putc(&sb, ' ');
    sb_json_num(&sb, NAN);
    assert(strcmp(sb.buf, "\"a\\\"b\\n\" 0.1 3 null") == 0);
    sb_free(&sb); /* leaves it zeroed, as `strbuf_t sb = {0}` would: still usable */
    sb_puts(&sb, "after");
    assert(strcmp(sb.buf, "after") == 0 && sb.len == 5);
    sb_free(&sb);
    double d;
    long l;
    assert(parse_double("1e-3", &d) == 0 && d == 1e-3);
    assert(parse_double("1x", &d) == -1 && parse_double("", &d) == -1);
    assert(parse_double("1e-320", &d) == 0 && d > 0 && d < 1e-300); /* subnormal: a number */
    assert(parse_double("1e309", &d) == -1);                      /* overflow: not */
    assert(parse_long("42", &l) == 0 && l == 42 && parse_long("4.2", &l) == -1);
    double odd[3] = {3, -1, 2}, even[4] = {4, 1, 3, 2};
    assert(median_sort(odd, 3) == 2 && odd[0] == -1 && odd[2] == 3);
    assert(median_sort(even, 4) == 2.5 && even[0] == 1 && even[3] == 4);
    rng_t a, b;
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    for (int i = 0; i < 100; i++)
        assert(rng_next(&a) == rng_next(&b));
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        double u = rng_uniform(&a);
        assert(u >= 0 && u < 1);
        sum += u;
        assert(rng_below(&a, 5) < 5);
    }
    assert(fabs(sum / 10000 - 0.5) < 0.02);
    char *s = xasprintf("%d-%s", 4, "x");
    assert(strcmp(s, "4-x") == 0);
    free(s);
    assert(edit_distance("n_trail", "n_trials") == 2 && edit_distance("ab", "ba") == 1);
    const char *const names[] = {"xgboost", "logreg", "mlp", "ridge", NULL};
    assert(closest_name("xgbost", names) == names[0] && !closest_name("svm", names));
    const char *const two[] = {"ab", "C", NULL};
    assert(!closest_name("xy", two) && !closest_name("D", two)); /* all of it changed */
    assert(closest_name("CC", two) == two[1] && closest_name("abc", two) == two[0]);
    s = did_you_mean("logregg", names, "choices");
    assert(!strcmp(s, " (did you mean 'logreg'? choices: logreg, mlp, ridge, xgboost)"));
    free(s);
    s = did_you_mean("svm", names, NULL);
    assert(!strcmp(s, ""));
    free(s);
    s = did_you_mean("svm", names, "choices");
    assert(!strcmp(s, " (choices: logreg, mlp, ridge, xgboost)"));
    free(s);
    const char *const *table[] = {&names[2], &names[0], NULL};
    const char **got = registry_names((const void *const *)table);
    assert(!strcmp(got[0], "mlp") && !strcmp(got[1], "xgboost") && !got[2]);
    free(got);
}
