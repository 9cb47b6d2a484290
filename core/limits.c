/* limits — name and string bounds (see limits.h). */
#include "core/limits.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h"

/* Decode one UTF-8 sequence at s (n bytes left): its length, or 0 when invalid
 * (truncated, overlong, surrogate, above U+10FFFF). */
static size_t s_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
               : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    uint32_t c = len == 1 ? s[0] : s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Characters a name may not hold: controls, and what reorders or breaks lines. */
static bool s_unprintable(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e || c == 0x200f ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 ||
           c == 0x2029 || c == 0xfeff;
}

const char *limits_name_problem(const char *s, size_t max)
{
    assert(s);
    size_t n = strlen(s);
    if (n == 0)
        return "is empty";
    if (n > max)
        return "is too long";
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t len = s_utf8(p + i, n - i, &c);
        if (len == 0)
            return "is not valid UTF-8";
        if (s_unprintable(c))
            return "contains a control, escape or bidi character";
        i += len;
    }
    return NULL;
}

typedef struct {
    const char *type, *key;
    size_t max;
    bool text; /* free text: length only */
} field_limit_t;

static const field_limit_t s_fields[] = {
    {"HELLO", "worker", LIMITS_NAME_MAX, false}, {"HELLO", "host", LIMITS_HOST_MAX, false},
    {"STATUS", "study", LIMITS_NAME_MAX, false}, {"STOP", "study", LIMITS_NAME_MAX, false},
    {"TELL", "state", LIMITS_NAME_MAX, false},   {"TELL", "error", LIMITS_TEXT_MAX, true},
    {"RESUME", "study", LIMITS_NAME_MAX, false}, {"TELL", "artifact_name", LIMITS_NAME_MAX, false},
};

int limits_check_msg(const proto_msg_t *m, char *err)
{
    const char *type = proto_type(m);
    for (size_t i = 0; i < ARRAY_SIZE(s_fields); i++) {
        const field_limit_t *f = &s_fields[i];
        const char *s = strcmp(f->type, type) == 0 ? proto_get_str(m, f->key) : NULL;
        if (!s || (strcmp(type, "STATUS") == 0 && !*s)) /* STATUS "": every study */
            continue;
        const char *why = f->text ? (strlen(s) > f->max ? "is too long" : NULL)
                                  : limits_name_problem(s, f->max);
        if (why)
            return set_err(err, "%s %s %s (at most %zu bytes of printable UTF-8)", type,
                           f->key, why, f->max);
    }
    int n = 0;
    char *const *objectives = strcmp(type, "HELLO") == 0 ? proto_get_strs(m, "objectives", &n)
                                                        : NULL;
    for (int i = 0; objectives && i < n; i++) {
        const char *why = limits_name_problem(objectives[i], LIMITS_NAME_MAX);
        if (why)
            return set_err(err, "HELLO objectives %s", why);
    }
    return 0;
}

char *limits_escape(const char *s, bool keep_newlines)
{
    strbuf_t sb;
    sb_init(&sb);
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t len = s_utf8(p + i, n - i, &c);
        if (len == 0)
            sb_printf(&sb, "\\x%02x", p[i++]);
        else if ((c == '\n' && keep_newlines) || !s_unprintable(c))
            sb_putn(&sb, (const char *)p + i, len), i += len;
        else if (c < 0x80)
            sb_printf(&sb, "\\x%02x", (unsigned)c), i += len;
        else
            sb_printf(&sb, "\\u{%04x}", (unsigned)c), i += len;
    }
    return sb_take(&sb);
}

void limits_test(bool verbose)
{
    (void)verbose;
    assert(!limits_name_problem("mnist-lr", LIMITS_NAME_MAX));
    assert(!limits_name_problem("étude größe 学习", LIMITS_NAME_MAX));
    assert(strstr(limits_name_problem("", LIMITS_NAME_MAX), "empty"));
    char big[LIMITS_NAME_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert(strstr(limits_name_problem(big, LIMITS_NAME_MAX), "too long"));
    big[LIMITS_NAME_MAX] = '\0';
    assert(!limits_name_problem(big, LIMITS_NAME_MAX));
    const char *bad[] = {"a\nb", "\x1b[31mred", "tab\there", "del\x7f", "c1\xc2\x9b",
                         "rtl\xe2\x80\xae", "iso\xe2\x81\xa6", "ls\xe2\x80\xa8", "\xff",
                         "trunc\xc3", "overlong\xc0\xaf", "surr\xed\xa0\x80"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert(limits_name_problem(bad[i], LIMITS_NAME_MAX));
    char *e = limits_escape("a\x1b[31m\xe2\x80\xae\xff\nz é", false);
    assert(strcmp(e, "a\\x1b[31m\\u{202e}\\xff\\x0az é") == 0);
    free(e);
    e = limits_escape("x\ny\r", true);
    assert(strcmp(e, "x\ny\\x0d") == 0);
    free(e);
    proto_msg_t *m = proto_new("HELLO");
    proto_set_str(m, "worker", "w1");
    proto_set_str(m, "host", "h");
    char err[HPS_ERR_LEN];
    assert(limits_check_msg(m, err) == 0);
    proto_set_str(m, "worker", "");
    assert(limits_check_msg(m, err) == -1 && strstr(err, "worker is empty"));
    proto_set_str(m, "worker", "w1");
    proto_set_str(m, "host", "h\x1b]0;x\x07");
    assert(limits_check_msg(m, err) == -1 && strstr(err, "host contains a control"));
    proto_destroy(&m);
    m = proto_new("STATUS");
    proto_set_str(m, "study", "");
    assert(limits_check_msg(m, err) == 0);
    proto_destroy(&m);
    m = proto_new("TELL");
    char *long_err = xcalloc(LIMITS_TEXT_MAX + 2, 1);
    memset(long_err, 'e', LIMITS_TEXT_MAX + 1);
    proto_set_str(m, "state", "FAIL");
    proto_set_str(m, "error", "line 1\nline 2");
    assert(limits_check_msg(m, err) == 0);
    proto_set_str(m, "error", long_err);
    assert(limits_check_msg(m, err) == -1 && strstr(err, "error is too long"));
    free(long_err);
    proto_destroy(&m);
}
