/* pyfmt — numbers and strings as Python writes them (see pyfmt.h). */
#include "results/pyfmt.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pyfmt_float(strbuf_t *sb, double v)
{
    if (isnan(v)) {
        sb_puts(sb, "nan");
        return;
    }
    if (isinf(v)) {
        sb_puts(sb, v > 0 ? "inf" : "-inf");
        return;
    }
    if (signbit(v))
        sb_putc(sb, '-');
    v = fabs(v);
    char buf[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* buf is "d.ddde[+-]XX": the digits without the point, and the exponent */
    char digits[24];
    int nd = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int e = atoi(p + 1);
    if (e >= -4 && e < 16) {
        if (e < 0) {
            sb_puts(sb, "0.");
            for (int i = 0; i < -e - 1; i++)
                sb_putc(sb, '0');
            sb_puts(sb, digits);
            return;
        }
        for (int i = 0; i <= e; i++)
            sb_putc(sb, i < nd ? digits[i] : '0');
        sb_putc(sb, '.');
        sb_puts(sb, nd > e + 1 ? digits + e + 1 : "0");
        return;
    }
    sb_putc(sb, digits[0]);
    if (nd > 1) {
        sb_putc(sb, '.');
        sb_puts(sb, digits + 1);
    }
    sb_printf(sb, "e%c%02d", e < 0 ? '-' : '+', abs(e));
}

/* The code point of the UTF-8 sequence at s (*len its bytes), U+FFFD for a bad one. */
static unsigned long s_utf8(const unsigned char *s, int *len)
{
    int n = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    unsigned long c = n == 4 ? s[0] & 0x07u : n == 3 ? s[0] & 0x0fu : s[0] & 0x1fu;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            n = 0;
            break;
        }
        c = (c << 6) | (s[i] & 0x3fu);
    }
    if (n == 0 || (n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c < 0xe000)) {
        *len = 1;
        return 0xfffd;
    }
    *len = n;
    return c;
}

void pyfmt_json_str(strbuf_t *sb, const char *s)
{
    static const char esc[] = "\"\"\\\\\bb\ff\nn\rr\tt";
    sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const char *e = *p < 0x80 ? strchr(esc, *p) : NULL;
        if (e && *p && (e - esc) % 2 == 0) {
            sb_putc(sb, '\\');
            sb_putc(sb, e[1]);
            p++;
        } else if (*p >= 0x20 && *p < 0x7f) {
            sb_putc(sb, (char)*p++);
        } else if (*p < 0x80) {
            sb_printf(sb, "\\u%04x", *p++);
        } else {
            int len;
            unsigned long c = s_utf8(p, &len);
            p += len;
            if (c >= 0x10000) {
                c -= 0x10000;
                sb_printf(sb, "\\u%04lx\\u%04lx", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
            } else
                sb_printf(sb, "\\u%04lx", c);
        }
    }
    sb_putc(sb, '"');
}

/* ------------------------------------------------------------------ self-test */

static void s_test_float(double v, const char *want)
{
    strbuf_t sb;
    sb_init(&sb);
    pyfmt_float(&sb, v);
    if (strcmp(sb.buf, want) != 0)
        fprintf(stderr, "pyfmt_float: %s, want %s\n", sb.buf, want);
    assert(strcmp(sb.buf, want) == 0);
    sb_free(&sb);
}

void pyfmt_test(bool verbose)
{
    (void)verbose;
    /* the values are what CPython's repr() gives */
    s_test_float(0.0, "0.0");
    s_test_float(-0.0, "-0.0");
    s_test_float(1.0, "1.0");
    s_test_float(100.0, "100.0");
    s_test_float(0.001, "0.001");
    s_test_float(0.0001, "0.0001");
    s_test_float(1e-05, "1e-05");
    s_test_float(1.5e-07, "1.5e-07");
    s_test_float(0.1, "0.1");
    s_test_float(1.0 / 3, "0.3333333333333333");
    s_test_float(123456.789, "123456.789");
    s_test_float(1e15, "1000000000000000.0");
    s_test_float(1e16, "1e+16");
    s_test_float(1.2345678901234568e+17, "1.2345678901234568e+17");
    s_test_float(-2.5, "-2.5");
    s_test_float(1e300, "1e+300");
    s_test_float(5e-324, "5e-324");
    s_test_float(NAN, "nan");
    s_test_float(-INFINITY, "-inf");
    strbuf_t sb;
    sb_init(&sb);
    pyfmt_json_str(&sb, "a\"b\\c\n\x01\xc3\xa9\xf0\x9f\x98\x80\xff/");
    assert(strcmp(sb.buf, "\"a\\\"b\\\\c\\n\\u0001\\u00e9\\ud83d\\ude00\\ufffd/\"") == 0);
    sb_free(&sb);
}
