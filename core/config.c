/* config — the YAML tree: error collection, parsing with libyaml's event API, typed
 * reads (see config.h). The canonical JSON form is in config_json.c.
 *
 * Every node keeps its own copy of its file name, so subtrees can move between trees
 * (group files merged into a study, override values set into it) without a shared
 * string table to keep alive. Config trees are small, so the copies cost nothing. */
#include "core/config.h"
#include "core/config_priv.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_MAX_DEPTH 64 /* deeper nesting is refused rather than risking the stack */
/* Keys of one map: each new key is looked for among the others, so a 1 MiB config of
 * 100k keys would take minutes (one SUBMIT holding the coordinator); 4096 take ~0.1 s. */
#define CFG_MAX_KEYS 4096

/* ------------------------------------------------------------------ errors */

void cfg_errs_init(cfg_errs_t *e)
{
    assert(e);
    e->n = 0;
    e->msgs = NULL;
}

void cfg_errs_free(cfg_errs_t *e)
{
    assert(e);
    for (int i = 0; i < e->n; i++)
        free(e->msgs[i]);
    free(e->msgs);
    e->n = 0;
    e->msgs = NULL;
}

static void s_errs_add(cfg_errs_t *e, const char *file, int line, int col, const char *fmt,
                       va_list ap)
{
    strbuf_t sb;
    sb_init(&sb);
    if (file && line > 0)
        sb_printf(&sb, "%s:%d:%d: ", file, line, col);
    else if (file)
        sb_printf(&sb, "%s: ", file);
    sb_vprintf(&sb, fmt, ap);
    e->msgs = xrealloc(e->msgs, (size_t)(e->n + 1) * sizeof *e->msgs);
    e->msgs[e->n++] = sb_take(&sb);
}

void cfg_error(cfg_errs_t *e, const cfg_node_t *node, const char *fmt, ...)
{
    assert(e);
    va_list ap;
    va_start(ap, fmt);
    if (node)
        s_errs_add(e, node->file, node->line, node->col, fmt, ap);
    else
        s_errs_add(e, NULL, 0, 0, fmt, ap);
    va_end(ap);
}

void cfg_error_at(cfg_errs_t *e, const char *file, int line, int col, const char *fmt, ...)
{
    assert(e);
    va_list ap;
    va_start(ap, fmt);
    s_errs_add(e, file, line, col, fmt, ap);
    va_end(ap);
}

void cfg_key_error(cfg_errs_t *e, const cfg_node_t *map, int i, const char *fmt, ...)
{
    assert(e && map && map->type == CFG_MAP && i >= 0 && i < map->n);
    const cfg_node_t *item = map->items[i];
    va_list ap;
    va_start(ap, fmt);
    if (map->key_line[i] > 0)
        s_errs_add(e, item->file, map->key_line[i], map->key_col[i], fmt, ap);
    else
        s_errs_add(e, item->file, item->line, item->col, fmt, ap);
    va_end(ap);
}

void cfg_errs_print(const cfg_errs_t *e, FILE *f)
{
    for (int i = 0; i < e->n; i++)
        fprintf(f, "%s\n", e->msgs[i]);
}

bool cfg_errs_has(const cfg_errs_t *e, const char *sub, bool verbose)
{
    bool found = false;
    for (int i = 0; i < e->n; i++) {
        if (verbose)
            printf("    %s\n", e->msgs[i]);
        found = found || strstr(e->msgs[i], sub) != NULL;
    }
    if (!found)
        for (int i = 0; i < e->n; i++)
            fprintf(stderr, "wanted '%s', have: %s\n", sub, e->msgs[i]);
    return found;
}

/* ------------------------------------------------------------------ nodes */

cfg_node_t *cfg_node_new(cfg_type_t type, const char *file, int line, int col)
{
    cfg_node_t *n = xcalloc(1, sizeof *n);
    n->type = type;
    n->file = xstrdup(file ? file : "");
    n->line = line;
    n->col = col;
    return n;
}

void cfg_free(cfg_node_t **node_p)
{
    assert(node_p);
    cfg_node_t *n = *node_p;
    if (!n)
        return;
    for (int i = 0; i < n->n; i++) {
        cfg_free(&n->items[i]);
        if (n->keys)
            free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->key_line);
    free(n->key_col);
    free(n->value);
    free(n->file);
    free(n);
    *node_p = NULL;
}

cfg_node_t *cfg_dup(const cfg_node_t *src)
{
    assert(src);
    cfg_node_t *n = cfg_node_new(src->type, src->file, src->line, src->col);
    n->value = src->value ? xstrdup(src->value) : NULL;
    n->quoted = src->quoted;
    for (int i = 0; i < src->n; i++) {
        cfg_node_t *child = cfg_dup(src->items[i]);
        if (src->type == CFG_MAP)
            cfg_map_push(n, src->keys[i], src->key_line[i], src->key_col[i], child);
        else
            cfg_seq_push(n, child);
    }
    return n;
}

/* The room for entry n + 1 of a node's arrays: they hold the next power of two >= n
 * entries, so n pushes copy O(n) (a realloc by one each time copied O(n^2) where the
 * allocator cannot grow in place: 100k choices took 30 s under ASan). 0: there is room. */
static size_t s_room(int n)
{
    return n & (n - 1) ? 0 : n ? 2 * (size_t)n : 1;
}

void cfg_seq_push(cfg_node_t *seq, cfg_node_t *item)
{
    assert(seq && seq->type == CFG_SEQ && item);
    size_t cap = s_room(seq->n);
    if (cap)
        seq->items = xrealloc(seq->items, cap * sizeof *seq->items);
    seq->items[seq->n++] = item;
}

void cfg_map_push(cfg_node_t *map, const char *key, int key_line, int key_col,
                  cfg_node_t *item)
{
    assert(map && map->type == CFG_MAP && key && item);
    size_t cap = s_room(map->n);
    if (cap) {
        map->items = xrealloc(map->items, cap * sizeof *map->items);
        map->keys = xrealloc(map->keys, cap * sizeof *map->keys);
        map->key_line = xrealloc(map->key_line, cap * sizeof *map->key_line);
        map->key_col = xrealloc(map->key_col, cap * sizeof *map->key_col);
    }
    map->items[map->n] = item;
    map->keys[map->n] = xstrdup(key);
    map->key_line[map->n] = key_line;
    map->key_col[map->n] = key_col;
    map->n++;
}

int cfg_map_find(const cfg_node_t *map, const char *key)
{
    assert(map && key);
    if (map->type != CFG_MAP)
        return -1;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return i;
    return -1;
}

cfg_node_t *cfg_map_take(cfg_node_t *map, int i)
{
    assert(map && map->type == CFG_MAP && i >= 0 && i < map->n);
    cfg_node_t *item = map->items[i];
    free(map->keys[i]);
    int tail = map->n - i - 1;
    memmove(map->items + i, map->items + i + 1, (size_t)tail * sizeof *map->items);
    memmove(map->keys + i, map->keys + i + 1, (size_t)tail * sizeof *map->keys);
    memmove(map->key_line + i, map->key_line + i + 1, (size_t)tail * sizeof(int));
    memmove(map->key_col + i, map->key_col + i + 1, (size_t)tail * sizeof(int));
    map->n--;
    return item;
}

void cfg_relocate(cfg_node_t *node, const char *file, int line, int col)
{
    assert(node && file);
    free(node->file);
    node->file = xstrdup(file);
    node->line = line;
    node->col = col;
    for (int i = 0; i < node->n; i++) {
        if (node->type == CFG_MAP)
            node->key_line[i] = node->key_col[i] = 0;
        cfg_relocate(node->items[i], file, line, col);
    }
}

/* ------------------------------------------------------------------ parser */

typedef struct {
    yaml_parser_t parser;
    const char *file;
    cfg_errs_t *errs;
} s_reader_t;

/* Next event; on a syntax error adds "file:line:col: problem" and returns -1. */
static int s_next(s_reader_t *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev))
        return 0;
    yaml_parser_t *p = &r->parser;
    /* Reader errors (bad encoding) carry no problem mark; the current mark is close. */
    yaml_mark_t m = p->error == YAML_READER_ERROR ? p->mark : p->problem_mark;
    const char *problem = p->problem ? p->problem : "YAML syntax error";
    if (p->context)
        cfg_error_at(r->errs, r->file, (int)m.line + 1, (int)m.column + 1,
                     "%s (%s at line %d)", problem, p->context,
                     (int)p->context_mark.line + 1);
    else
        cfg_error_at(r->errs, r->file, (int)m.line + 1, (int)m.column + 1, "%s", problem);
    return -1;
}

bool cfg_is_null_text(const char *s)
{
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

static cfg_node_t *s_scalar(s_reader_t *r, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const char *text = (const char *)ev->data.scalar.value;
    const char *tag = (const char *)ev->data.scalar.tag;
    /* !!int, !!float, !!bool, !!null: the text read as a plain scalar, of that kind */
    static const char *const kinds[] = {YAML_INT_TAG, YAML_FLOAT_TAG, YAML_BOOL_TAG,
                                        YAML_NULL_TAG};
    static const cfg_kind_t want[] = {CFG_K_NUMBER, CFG_K_NUMBER, CFG_K_BOOL, CFG_K_NULL};
    int k = 0;
    while (tag && k < 4 && strcmp(tag, kinds[k]) != 0)
        k++;
    bool typed = tag && k < 4;
    bool quoted = !typed && (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                             (tag && strcmp(tag, YAML_STR_TAG) == 0));
    if (!quoted && cfg_is_null_text(text) && (!typed || want[k] == CFG_K_NULL))
        return cfg_node_new(CFG_NULL, r->file, line, col);
    cfg_node_t *n = cfg_node_new(CFG_SCALAR, r->file, line, col);
    n->value = xstrndup(text, ev->data.scalar.length);
    if (memchr(text, '\0', ev->data.scalar.length)) /* a "\0" escape: C strings end there */
        cfg_error(r->errs, n, "a NUL byte in a string");
    n->quoted = quoted;
    if (typed && (cfg_kind(n) != want[k] || (k == 0 && strpbrk(n->value, ".eEnN"))))
        cfg_error(r->errs, n, "'%.40s' does not read as !!%s", n->value, strrchr(tag, ':') + 1);
    return n;
}

static cfg_node_t *s_node(s_reader_t *r, const yaml_event_t *ev, int depth);

/* Reads the events after a SEQUENCE_START up to its end. NULL on a syntax error. */
static cfg_node_t *s_seq(s_reader_t *r, cfg_node_t *seq, int depth)
{
    for (;;) {
        yaml_event_t ev;
        if (s_next(r, &ev) != 0)
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return seq;
        }
        cfg_node_t *item = s_node(r, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!item)
            break;
        cfg_seq_push(seq, item);
    }
    cfg_free(&seq);
    return NULL;
}

/* Reads the events after a MAPPING_START up to its end. Duplicate and non-scalar keys
 * are reported and parsing goes on (so all are found); NULL on a syntax error. */
static cfg_node_t *s_map(s_reader_t *r, cfg_node_t *map, int depth)
{
    for (;;) {
        yaml_event_t kev, vev;
        if (s_next(r, &kev) != 0)
            break;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            return map;
        }
        cfg_node_t *key = s_node(r, &kev, depth + 1);
        yaml_event_delete(&kev);
        if (!key)
            break;
        if (s_next(r, &vev) != 0) {
            cfg_free(&key);
            break;
        }
        cfg_node_t *val = s_node(r, &vev, depth + 1);
        yaml_event_delete(&vev);
        if (!val) {
            cfg_free(&key);
            break;
        }
        if (key->type != CFG_SCALAR && key->type != CFG_NULL) {
            cfg_error(r->errs, key, "mapping keys must be scalars");
            cfg_free(&val);
        } else {
            const char *k = key->value ? key->value : "";
            int prev = map->n < CFG_MAX_KEYS ? cfg_map_find(map, k) : -1;
            if (map->n >= CFG_MAX_KEYS) {
                cfg_error(r->errs, key, "a map of more than %d keys", CFG_MAX_KEYS);
                cfg_free(&val);
                cfg_free(&key);
                break;
            }
            if (prev >= 0) {
                cfg_error(r->errs, key, "duplicate key '%s' (first at line %d)", k,
                          map->key_line[prev]);
                cfg_free(&val);
            } else {
                cfg_map_push(map, k, key->line, key->col, val);
            }
        }
        cfg_free(&key);
    }
    cfg_free(&map);
    return NULL;
}

/* Builds the node that starts with ev (a scalar, sequence or mapping start), reading
 * the rest of its events. NULL on a syntax error or an unsupported construct. */
static cfg_node_t *s_node(s_reader_t *r, const yaml_event_t *ev, int depth)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const yaml_char_t *anchor = NULL, *tag = NULL;
    if (ev->type == YAML_SCALAR_EVENT)
        anchor = ev->data.scalar.anchor, tag = ev->data.scalar.tag;
    else if (ev->type == YAML_SEQUENCE_START_EVENT)
        anchor = ev->data.sequence_start.anchor, tag = ev->data.sequence_start.tag;
    else if (ev->type == YAML_MAPPING_START_EVENT)
        anchor = ev->data.mapping_start.anchor, tag = ev->data.mapping_start.tag;
    /* The core schema's tags (s_scalar checks the kind); a value read past another tag
     * (!!binary, !!python/object, !!set) would not be what its author meant. */
    static const char *const core[] = {YAML_STR_TAG,  YAML_INT_TAG, YAML_FLOAT_TAG, YAML_BOOL_TAG,
                                       YAML_NULL_TAG, YAML_MAP_TAG, YAML_SEQ_TAG,   "!"};
    size_t t = 0;
    while (tag && t < sizeof core / sizeof *core && strcmp((const char *)tag, core[t]) != 0)
        t++;
    bool fits = !tag || (ev->type == YAML_SCALAR_EVENT ? t < 5 || t == 7
                         : ev->type == YAML_MAPPING_START_EVENT ? t == 5 || t == 7
                                                                 : t == 6 || t == 7);
    if (!fits) {
        cfg_error_at(r->errs, r->file, line, col, "YAML tag '%.60s' is not supported here (the "
                     "core schema's !!str, !!int, !!float, !!bool, !!null, !!map, !!seq are)",
                     (const char *)tag);
        return NULL;
    }
    /* Aliases would make a tree a graph (and allow exponential expansion); configs
     * share values through groups instead. */
    if (anchor || ev->type == YAML_ALIAS_EVENT) {
        cfg_error_at(r->errs, r->file, line, col, "YAML anchors and aliases are not supported");
        return NULL;
    }
    if (depth > CFG_MAX_DEPTH) {
        cfg_error_at(r->errs, r->file, line, col, "nesting deeper than %d levels",
                     CFG_MAX_DEPTH);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return s_scalar(r, ev);
    case YAML_SEQUENCE_START_EVENT:
        return s_seq(r, cfg_node_new(CFG_SEQ, r->file, line, col), depth);
    case YAML_MAPPING_START_EVENT:
        return s_map(r, cfg_node_new(CFG_MAP, r->file, line, col), depth);
    default:
        cfg_error_at(r->errs, r->file, line, col, "unexpected YAML event %d", (int)ev->type);
        return NULL;
    }
}

/* Expects an event of type want; adds an error otherwise. */
static int s_expect(s_reader_t *r, yaml_event_type_t want, const char *what)
{
    yaml_event_t ev;
    if (s_next(r, &ev) != 0)
        return -1;
    int rc = 0;
    if (ev.type != want) {
        cfg_error_at(r->errs, r->file, (int)ev.start_mark.line + 1,
                     (int)ev.start_mark.column + 1, "%s", what);
        rc = -1;
    }
    yaml_event_delete(&ev);
    return rc;
}

/* The stream: one document (or none: a null root). */
static cfg_node_t *s_stream(s_reader_t *r)
{
    if (s_expect(r, YAML_STREAM_START_EVENT, "expected the start of a YAML stream") != 0)
        return NULL;
    yaml_event_t ev;
    if (s_next(r, &ev) != 0)
        return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return cfg_node_new(CFG_NULL, r->file, 1, 1);
    }
    assert(ev.type == YAML_DOCUMENT_START_EVENT);
    yaml_event_delete(&ev);
    if (s_next(r, &ev) != 0)
        return NULL;
    cfg_node_t *root = s_node(r, &ev, 0);
    yaml_event_delete(&ev);
    if (!root)
        return NULL;
    if (s_expect(r, YAML_DOCUMENT_END_EVENT, "expected the end of the document") != 0 ||
        s_expect(r, YAML_STREAM_END_EVENT, "only one YAML document is allowed") != 0)
        cfg_free(&root);
    return root;
}

cfg_node_t *cfg_parse(const char *text, size_t len, const char *file, cfg_errs_t *errs)
{
    assert(text && file && errs);
    s_reader_t r = {.file = file, .errs = errs};
    if (!yaml_parser_initialize(&r.parser)) {
        cfg_error_at(errs, file, 0, 0, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    int before = errs->n;
    cfg_node_t *root = s_stream(&r);
    yaml_parser_delete(&r.parser);
    if (errs->n > before)
        cfg_free(&root); /* duplicate keys and the like: the tree is not trustworthy */
    assert(root || errs->n > before);
    return root;
}

cfg_node_t *cfg_load(const char *path, cfg_errs_t *errs)
{
    assert(path && errs);
    char err[HPS_ERR_LEN];
    size_t len = 0;
    char *text = file_read_max(path, CFG_FILE_MAX, &len, err);
    if (!text) {
        cfg_error(errs, NULL, "%s", err);
        return NULL;
    }
    cfg_node_t *root = cfg_parse(text, len, path, errs);
    free(text);
    return root;
}

/* ------------------------------------------------------------------ reads */

const cfg_node_t *cfg_get(const cfg_node_t *node, const char *path)
{
    assert(path);
    const char *seg = path;
    while (node && *seg) {
        if (node->type != CFG_MAP)
            return NULL;
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        const cfg_node_t *next = NULL;
        for (int i = 0; i < node->n && !next; i++)
            if (strlen(node->keys[i]) == len && memcmp(node->keys[i], seg, len) == 0)
                next = node->items[i];
        node = next;
        seg = dot ? dot + 1 : seg + len;
    }
    return node;
}

/* Value of map[key] for a typed read; NULL when absent or null. */
static const cfg_node_t *s_value(const cfg_node_t *map, const char *key)
{
    if (!map || map->type != CFG_MAP)
        return NULL;
    const cfg_node_t *v = cfg_get(map, key);
    return v && v->type != CFG_NULL ? v : NULL;
}

/* "a map", "a list", 'text' or "text" (quoted), for "expected X, got Y" messages. */
static void s_describe(const cfg_node_t *v, char *buf, size_t size)
{
    if (v->type == CFG_MAP)
        snprintf(buf, size, "a map");
    else if (v->type == CFG_SEQ)
        snprintf(buf, size, "a list");
    else if (v->type == CFG_NULL)
        snprintf(buf, size, "null");
    else
        snprintf(buf, size, v->quoted ? "the string \"%.60s\"" : "'%.60s'", v->value);
}

static int s_type_error(const cfg_node_t *v, const char *key, const char *want,
                        cfg_errs_t *errs)
{
    char got[100];
    s_describe(v, got, sizeof got);
    if (errs)
        cfg_error(errs, v, "%s: expected %s, got %s", key, want, got);
    return -1;
}

/* Whether v (not null) is a scalar of that kind: a map or a list is of none (found by
 * fuzzing: `n_trials: [1]` reached cfg_kind's assertion). */
static bool s_scalar_is(const cfg_node_t *v, cfg_kind_t kind)
{
    return v->type == CFG_SCALAR && cfg_kind(v) == kind;
}

int cfg_str(const cfg_node_t *map, const char *key, const char *def, const char **out,
            cfg_errs_t *errs)
{
    const cfg_node_t *v = s_value(map, key);
    *out = def;
    if (!v)
        return 0;
    if (v->type != CFG_SCALAR)
        return s_type_error(v, key, "a string", errs);
    *out = v->value;
    return 0;
}

int cfg_double(const cfg_node_t *map, const char *key, double def, double *out,
               cfg_errs_t *errs)
{
    const cfg_node_t *v = s_value(map, key);
    *out = def;
    if (!v)
        return 0;
    double d;
    if (!s_scalar_is(v, CFG_K_NUMBER) || parse_double(v->value, &d) != 0)
        return s_type_error(v, key, "a number", errs);
    *out = d;
    return 0;
}

int cfg_long(const cfg_node_t *map, const char *key, long def, long *out, cfg_errs_t *errs)
{
    const cfg_node_t *v = s_value(map, key);
    *out = def;
    if (!v)
        return 0;
    long l;
    double d;
    if (!s_scalar_is(v, CFG_K_NUMBER))
        return s_type_error(v, key, "an integer", errs);
    if (parse_long(v->value, &l) == 0) {
        *out = l;
        return 0;
    }
    /* 1e3 and 5.0 are integers too, as long as the double holds them exactly. */
    if (parse_double(v->value, &d) != 0 || d != floor(d) || fabs(d) > 9007199254740992.0)
        return s_type_error(v, key, "an integer", errs);
    *out = (long)d;
    return 0;
}

int cfg_bool(const cfg_node_t *map, const char *key, bool def, bool *out, cfg_errs_t *errs)
{
    const cfg_node_t *v = s_value(map, key);
    *out = def;
    if (!v)
        return 0;
    if (!s_scalar_is(v, CFG_K_BOOL))
        return s_type_error(v, key, "true or false", errs);
    *out = v->value[0] == 't' || v->value[0] == 'T';
    return 0;
}

int cfg_check_keys_hint(const cfg_node_t *map, const char *const *allowed,
                       const char *const *override_hints, cfg_errs_t *errs)
{
    assert(allowed);
    if (!map || map->type != CFG_MAP)
        return 0;
    int rc = 0;
    for (int i = 0; i < map->n; i++) {
        const char *key = map->keys[i];
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (ok)
            continue;
        const char *best = closest_name(key, allowed);
        /* A key set by an override (no position of its own) may be a misspelt group. */
        const char *alt = map->key_line[i] == 0 ? closest_name(key, override_hints) : NULL;
        if (alt && (!best || edit_distance(alt, key) < edit_distance(best, key)))
            best = alt;
        if (best)
            cfg_key_error(errs, map, i, "unknown key '%s' (did you mean '%s'?)", key, best);
        else
            cfg_key_error(errs, map, i, "unknown key '%s'", key);
        rc = -1;
    }
    return rc;
}

int cfg_check_keys(const cfg_node_t *map, const char *const *allowed, cfg_errs_t *errs)
{
    return cfg_check_keys_hint(map, allowed, NULL, errs);
}

const char *cfg_type_or(const cfg_node_t *section, const char *def)
{
    const cfg_node_t *t = section ? cfg_get(section, "type") : NULL;
    return t && t->type == CFG_SCALAR ? t->value : def;
}
