/* config_json — how scalars read (number, bool, null or text) and the canonical JSON
 * form of a config tree (see config.h).
 *
 * The JSON is what the DB stores and workers receive, and it is read back with the
 * YAML parser, so it must parse to an equal tree: numbers that are already JSON are
 * emitted as written (1.0e-4 stays 1.0e-4), other YAML number spellings (+1, .5, 007)
 * are rewritten, and every string is quoted so that "1.5" stays a string. */
#include "core/config.h"
#include "core/config_priv.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ scalars and JSON */

/* YAML 1.2 core schema numbers: [-+]? ( digits | digits.digits? | .digits ) exponent?
 * Infinity and NaN spellings are left as text: JSON cannot carry them. */
static bool s_is_number(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    size_t int_digits = strspn(p, "0123456789");
    p += int_digits;
    size_t frac_digits = 0;
    if (*p == '.') {
        p++;
        frac_digits = strspn(p, "0123456789");
        p += frac_digits;
    }
    if (int_digits + frac_digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        size_t exp_digits = strspn(p, "0123456789");
        if (exp_digits == 0)
            return false;
        p += exp_digits;
    }
    double d;
    return *p == '\0' && parse_double(s, &d) == 0 && isfinite(d);
}

/* Whether s is already a JSON number, so it can be emitted as written. */
static bool s_is_json_number(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        p += strspn(p, "0123456789");
    else
        return false;
    if (*p == '.') {
        p++;
        size_t n = strspn(p, "0123456789");
        if (n == 0)
            return false;
        p += n;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        size_t n = strspn(p, "0123456789");
        if (n == 0)
            return false;
        p += n;
    }
    return *p == '\0';
}

cfg_kind_t cfg_text_kind(const char *text, bool quoted)
{
    assert(text);
    if (quoted)
        return CFG_K_TEXT;
    if (cfg_is_null_text(text))
        return CFG_K_NULL;
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
    for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
        if (strcmp(text, bools[i]) == 0)
            return CFG_K_BOOL;
    return s_is_number(text) ? CFG_K_NUMBER : CFG_K_TEXT;
}

cfg_kind_t cfg_kind(const cfg_node_t *node)
{
    assert(node && (node->type == CFG_NULL || node->type == CFG_SCALAR));
    return node->type == CFG_NULL ? CFG_K_NULL : cfg_text_kind(node->value, node->quoted);
}

void cfg_json_scalar(strbuf_t *sb, const char *text, bool quoted)
{
    double d;
    switch (cfg_text_kind(text, quoted)) {
    case CFG_K_NULL:
        sb_puts(sb, "null");
        break;
    case CFG_K_BOOL:
        sb_puts(sb, text[0] == 't' || text[0] == 'T' ? "true" : "false");
        break;
    case CFG_K_NUMBER:
        if (s_is_json_number(text)) {
            sb_puts(sb, text);
        } else {
            int rc = parse_double(text, &d);
            assert(rc == 0);
            (void)rc;
            sb_json_num(sb, d);
        }
        break;
    case CFG_K_TEXT:
        sb_json_str(sb, text);
        break;
    }
}

static void s_json(strbuf_t *sb, const cfg_node_t *n)
{
    switch (n->type) {
    case CFG_NULL:
        sb_puts(sb, "null");
        break;
    case CFG_SCALAR:
        cfg_json_scalar(sb, n->value, n->quoted);
        break;
    case CFG_MAP:
    case CFG_SEQ:
        /* ", " and ": " with spaces: libyaml reads "a":1 in flow maps only as of
         * recent versions, and the spaces cost little. */
        sb_putc(sb, n->type == CFG_MAP ? '{' : '[');
        for (int i = 0; i < n->n; i++) {
            if (i)
                sb_puts(sb, ", ");
            if (n->type == CFG_MAP) {
                sb_json_str(sb, n->keys[i]);
                sb_puts(sb, ": ");
            }
            s_json(sb, n->items[i]);
        }
        sb_putc(sb, n->type == CFG_MAP ? '}' : ']');
        break;
    }
}

char *cfg_to_json(const cfg_node_t *node)
{
    assert(node);
    strbuf_t sb;
    sb_init(&sb);
    s_json(&sb, node);
    return sb_take(&sb);
}

static bool s_scalar_equal(const cfg_node_t *a, const cfg_node_t *b)
{
    cfg_kind_t ka = cfg_kind(a), kb = cfg_kind(b);
    if (ka != kb)
        return false;
    double da, db;
    switch (ka) {
    case CFG_K_NULL:
        return true;
    case CFG_K_BOOL:
        return (a->value[0] == 't' || a->value[0] == 'T') ==
               (b->value[0] == 't' || b->value[0] == 'T');
    case CFG_K_NUMBER:
        return parse_double(a->value, &da) == 0 && parse_double(b->value, &db) == 0 &&
               da == db;
    case CFG_K_TEXT:
        return strcmp(a->value, b->value) == 0;
    }
    return false;
}

bool cfg_equal(const cfg_node_t *a, const cfg_node_t *b)
{
    assert(a && b);
    bool a_scalar = a->type == CFG_NULL || a->type == CFG_SCALAR;
    bool b_scalar = b->type == CFG_NULL || b->type == CFG_SCALAR;
    if (a_scalar || b_scalar)
        return a_scalar && b_scalar && s_scalar_equal(a, b);
    if (a->type != b->type || a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++) {
        if (a->type == CFG_MAP && strcmp(a->keys[i], b->keys[i]) != 0)
            return false;
        if (!cfg_equal(a->items[i], b->items[i]))
            return false;
    }
    return true;
}
