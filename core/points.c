/* points — given points: files of them, their encoding into a space, and whether two
 * spaces are the same (see points.h). JSON is read by the config parser (libyaml: JSON
 * is YAML, with line and column marks); CSV by libcsv, one physical line at a time so
 * that a row's error names the line it starts on. */
#include "core/points.h"

#include <assert.h>
#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#define POINTS_FILE_MAX ((size_t)64 << 20) /* bytes of a points file */

void points_destroy(points_t **self_p)
{
    assert(self_p);
    points_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->n; i++) {
        point_t *p = &self->items[i];
        for (int k = 0; k < p->n; k++)
            free(p->names[k]), free(p->texts[k]);
        free(p->names), free(p->texts), free(p->quoted), free(p->where);
    }
    free(self->items);
    free(self);
    *self_p = NULL;
}

static point_t *s_add_point(points_t *pts, char *where)
{
    pts->items = xrealloc(pts->items, sizeof *pts->items * (size_t)(pts->n + 1));
    point_t *p = &pts->items[pts->n++];
    *p = (point_t){.where = where};
    return p;
}

/* Append name = text to p: 0, or -1 with err when p has the name already. */
static int s_add_value(point_t *p, const char *name, const char *text, bool quoted, char *err)
{
    for (int k = 0; k < p->n; k++)
        if (strcmp(p->names[k], name) == 0)
            return set_err(err, "%s: param '%s' given twice", p->where, name);
    p->names = xrealloc(p->names, sizeof *p->names * (size_t)(p->n + 1));
    p->texts = xrealloc(p->texts, sizeof *p->texts * (size_t)(p->n + 1));
    p->quoted = xrealloc(p->quoted, sizeof *p->quoted * (size_t)(p->n + 1));
    p->names[p->n] = xstrdup(name);
    p->texts[p->n] = xstrdup(text);
    p->quoted[p->n] = quoted;
    p->n++;
    return 0;
}

/* ---- JSON ------------------------------------------------------------------------- */

static int s_json_point(points_t *pts, const cfg_node_t *map, char *err)
{
    char *where = xasprintf("%s:%d:%d", map->file, map->line, map->col);
    if (map->type != CFG_MAP) {
        set_err(err, "%s: expected an object {\"param\": value, ...}", where);
        free(where);
        return -1;
    }
    point_t *p = s_add_point(pts, where);
    for (int i = 0; i < map->n; i++) {
        const cfg_node_t *v = map->items[i];
        if (v->type != CFG_SCALAR)
            return set_err(err, "%s:%d:%d: param '%s': expected a number or a string", v->file,
                           v->line, v->col, map->keys[i]);
        if (s_add_value(p, map->keys[i], v->value, v->quoted, err) != 0)
            return -1;
    }
    return 0;
}

points_t *points_parse_json(const char *text, const char *name, char *err)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(text, strlen(text), name, &errs);
    points_t *pts = xcalloc(1, sizeof *pts);
    int rc = 0;
    if (!root)
        rc = set_err(err, "%s", errs.n ? errs.msgs[0] : "unreadable JSON");
    else if (root->type == CFG_SEQ)
        for (int i = 0; rc == 0 && i < root->n; i++)
            rc = s_json_point(pts, root->items[i], err);
    else
        rc = s_json_point(pts, root, err);
    if (rc == 0 && pts->n == 0)
        rc = set_err(err, "%s: no point (an object, or an array of objects)", name);
    cfg_free(&root);
    cfg_errs_free(&errs);
    if (rc != 0)
        points_destroy(&pts);
    return pts;
}

points_t *points_from_wire(char *const *json, char *const *where, int n, char *err)
{
    points_t *all = xcalloc(1, sizeof *all);
    for (int i = 0; i < n; i++) {
        points_t *one = points_parse_json(json[i], where[i], err);
        if (!one || one->n != 1) {
            if (one)
                set_err(err, "%s: expected one object", where[i]);
            points_destroy(&one);
            points_destroy(&all);
            return NULL;
        }
        point_t *p = s_add_point(all, xstrdup(where[i]));
        point_t *q = &one->items[0];
        *p = (point_t){p->where, q->n, q->names, q->texts, q->quoted};
        q->n = 0, q->names = NULL, q->texts = NULL, q->quoted = NULL;
        points_destroy(&one);
    }
    return all;
}

/* ---- CSV -------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    points_t *pts;
    char **header;
    int n_header;   /* -1 until the header is read */
    char **row;     /* the fields of the record being read */
    int n_row;
    int line, rec_line;
    char *err;
    bool failed;
} s_csv_t;

static void s_csv_field(void *data, size_t len, void *arg)
{
    s_csv_t *c = arg;
    if (c->failed)
        return;
    if (data && memchr(data, '\0', len)) { /* the value would end there, unseen */
        c->failed = true;
        set_err(c->err, "%s:%d: a NUL byte in a field", c->name, c->line + 1);
        return;
    }
    c->row = xrealloc(c->row, sizeof *c->row * (size_t)(c->n_row + 1));
    c->row[c->n_row++] = xstrndup(data ? data : "", data ? len : 0);
}

static void s_csv_clear_row(s_csv_t *c)
{
    for (int i = 0; i < c->n_row; i++)
        free(c->row[i]);
    c->n_row = 0;
}

static void s_csv_record(int term, void *arg)
{
    (void)term;
    s_csv_t *c = arg;
    if (c->failed) {
        s_csv_clear_row(c);
        return;
    }
    if (c->n_header < 0) {
        c->header = c->row, c->n_header = c->n_row;
        c->row = NULL, c->n_row = 0;
        return;
    }
    if (c->n_row != c->n_header) {
        c->failed = true;
        set_err(c->err, "%s:%d: expected %d fields, got %d", c->name, c->rec_line, c->n_header,
                c->n_row);
        s_csv_clear_row(c);
        return;
    }
    point_t *p = s_add_point(c->pts, xasprintf("%s:%d", c->name, c->rec_line));
    for (int i = 0; i < c->n_row && !c->failed; i++)
        c->failed = s_add_value(p, c->header[i], c->row[i], false, c->err) != 0;
    s_csv_clear_row(c);
}

static points_t *s_parse_csv(const char *buf, size_t len, const char *name, char *err)
{
    s_csv_t c = {.name = name, .pts = xcalloc(1, sizeof(points_t)), .n_header = -1, .err = err};
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        set_err(err, "%s: csv_init failed", name);
        c.failed = true;
    }
    for (size_t pos = 0; pos < len && !c.failed; c.line++) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
        if (p.pstate == 0) /* libcsv's ROW_NOT_BEGUN: a record starts on this line */
            c.rec_line = c.line + 1;
        if (csv_parse(&p, buf + pos, n, s_csv_field, s_csv_record, &c) != n && !c.failed) {
            set_err(err, "%s:%d: %s", name, c.line + 1, csv_strerror(csv_error(&p)));
            c.failed = true;
        }
        pos += n;
    }
    if (!c.failed && csv_fini(&p, s_csv_field, s_csv_record, &c) != 0) {
        set_err(err, "%s:%d: unterminated quoted field", name, c.rec_line);
        c.failed = true;
    }
    csv_free(&p);
    s_csv_clear_row(&c);
    free(c.row);
    for (int i = 0; i < c.n_header; i++)
        free(c.header[i]);
    free(c.header);
    if (!c.failed && c.pts->n == 0) {
        set_err(err, "%s:%d: no point (a header line of names, then one row per point)", name,
                c.line > 0 ? c.line : 1);
        c.failed = true;
    }
    if (c.failed)
        points_destroy(&c.pts);
    return c.pts;
}

points_t *points_load(const char *path, char *err)
{
    size_t len;
    char *buf = file_read_max(path, POINTS_FILE_MAX, &len, err);
    if (!buf)
        return NULL;
    size_t n = strlen(path);
    points_t *pts = n > 4 && strcmp(path + n - 4, ".csv") == 0 ? s_parse_csv(buf, len, path, err)
                                                              : points_parse_json(buf, path, err);
    free(buf);
    return pts;
}

char *points_json(const point_t *p)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_putc(&sb, '{');
    for (int k = 0; k < p->n; k++) {
        sb_puts(&sb, k ? ", " : "");
        sb_json_str(&sb, p->names[k]);
        sb_puts(&sb, ": ");
        cfg_json_scalar(&sb, p->texts[k], p->quoted[k]);
    }
    sb_putc(&sb, '}');
    return sb_take(&sb);
}

/* ---- encoding --------------------------------------------------------------------- */

/* Whether text reads as an empty value: a CSV cell left empty, null or ~. */
static bool s_blank(const char *text, bool quoted)
{
    return cfg_text_kind(text, quoted) == CFG_K_NULL;
}

/* Parameter i of p into x[i]: 0, or -1 with err. Absent (or, for a conditional
 * parameter, blank and no legal value) leaves NaN, checked against the conditions by
 * the caller. */
static int s_encode_one(const space_t *space, const point_t *p, int i, double *x, char *err)
{
    const param_t *q = &space->params[i];
    int k = 0;
    while (k < p->n && strcmp(p->names[k], q->name) != 0)
        k++;
    x[i] = NAN;
    if (k == p->n)
        return 0;
    const char *why = NULL;
    if (space_parse_value(q, p->texts[k], p->quoted[k], &x[i], &why) == 0)
        return 0;
    x[i] = NAN;
    if (q->n_when > 0 && s_blank(p->texts[k], p->quoted[k]))
        return 0;
    strbuf_t sb;
    sb_init(&sb);
    cfg_json_scalar(&sb, p->texts[k], p->quoted[k]);
    set_err(err, "%s: param '%s': %.60s %s", p->where, q->name, sb.buf, why);
    sb_free(&sb);
    return -1;
}

int points_encode(const space_t *space, const point_t *p, double *x, char *err)
{
    assert(space && p && x);
    for (int k = 0; k < p->n; k++)
        if (space_index(space, p->names[k]) < 0)
            return set_err(err, "%s: param '%s' is not in the study's space", p->where,
                           p->names[k]);
    for (int i = 0; i < space->n; i++)
        if (s_encode_one(space, p, i, x, err) != 0)
            return -1;
    for (int k = 0; k < space->n; k++) {
        int i = space_order(space, k);
        const param_t *q = &space->params[i];
        bool active = space_active(space, x, i);
        if (active && isnan(x[i]))
            return set_err(err, "%s: param '%s' is missing (give every %sparameter)",
                           p->where, q->name, space_conditional(space) ? "active " : "");
        if (!active && !isnan(x[i])) {
            strbuf_t sb;
            sb_init(&sb);
            space_cond_text(&sb, space, q);
            set_err(err, "%s: param '%s' is inactive here (it needs %s): leave it out",
                    p->where, q->name, sb.buf);
            sb_free(&sb);
            return -1;
        }
    }
    return 0;
}

/* ---- compatible spaces ------------------------------------------------------------ */

/* Whether a (of space sa) and b (of sb) have the same conditions, in the same order. */
static bool s_same_when(const space_t *sa, const param_t *a, const space_t *sb,
                        const param_t *b)
{
    strbuf_t ta, tb;
    sb_init(&ta);
    sb_init(&tb);
    space_cond_text(&ta, sa, a);
    space_cond_text(&tb, sb, b);
    bool same = strcmp(ta.buf ? ta.buf : "", tb.buf ? tb.buf : "") == 0;
    sb_free(&ta);
    sb_free(&tb);
    return same;
}

/* Why two same-named params differ, or NULL. */
static const char *s_param_diff(const param_t *a, const param_t *b)
{
    if (a->kind != b->kind)
        return "type";
    if (a->low != b->low || a->high != b->high)
        return "low/high";
    if (a->log != b->log)
        return "log";
    if (a->step != b->step)
        return "step";
    if (a->kind == PARAM_CAT)
        for (int c = 0; c < a->n_choices; c++)
            if (strcmp(a->choices[c], b->choices[c]) != 0 ||
                a->choice_is_str[c] != b->choice_is_str[c])
                return "choices";
    return NULL;
}

int points_space_map(const space_t *target, const space_t *source, int *map, char *err)
{
    for (int j = 0; j < source->n; j++)
        if (space_index(target, source->params[j].name) < 0)
            return set_err(err, "param '%s' of the source study is not in this space",
                           source->params[j].name);
    for (int i = 0; i < target->n; i++) {
        map[i] = space_index(source, target->params[i].name);
        if (map[i] < 0)
            return set_err(err, "param '%s' is absent in the source study",
                           target->params[i].name);
        const char *why = s_param_diff(&target->params[i], &source->params[map[i]]);
        if (!why && !s_same_when(target, &target->params[i], source, &source->params[map[i]]))
            why = "conditions (when)";
        if (why)
            return set_err(err, "param '%s': its %s differ from the source study's",
                           target->params[i].name, why);
    }
    return 0;
}

space_t *points_config_space(const char *config, char *err)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(config, strlen(config), "<stored study>", &errs);
    const cfg_node_t *sp = root ? cfg_get(root, "space") : NULL;
    space_t *space = sp ? space_from_cfg(sp, &errs) : NULL;
    if (!space)
        set_err(err, "the stored study's space: %s", errs.n ? errs.msgs[0] : "missing");
    cfg_free(&root);
    cfg_errs_free(&errs);
    return space;
}

/* ---- tests ------------------------------------------------------------------------ */

static space_t *s_test_space(const char *yaml)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    cfg_node_t *n = cfg_parse(yaml, strlen(yaml), "t.yaml", &e);
    assert(n);
    space_t *s = space_from_cfg(n, &e);
    assert(s && e.n == 0);
    cfg_free(&n);
    cfg_errs_free(&e);
    return s;
}

static void s_test_encode(bool verbose)
{
    char err[HPS_ERR_LEN];
    space_t *s = s_test_space("x: {type: float, low: -1, high: 1}\n"
                              "n: {type: int, low: 0, high: 10, step: 2}\n"
                              "k: {type: categorical, choices: [l1, l2, 3]}\n");
    points_t *pts = points_parse_json("[{\"x\": 0.5, \"n\": 4, \"k\": \"l2\"},\n"
                                      " {\"k\": 3, \"x\": -1, \"n\": 10},\n"
                                      " {\"x\": 2, \"n\": 4, \"k\": \"l2\"},\n"
                                      " {\"x\": 0, \"n\": 3, \"k\": \"l2\"},\n"
                                      " {\"x\": 0, \"n\": 4, \"k\": \"l3\"},\n"
                                      " {\"x\": 0, \"k\": \"l1\"},\n"
                                      " {\"x\": \"0\", \"n\": 4, \"k\": \"l1\"},\n"
                                      " {\"x\": 0, \"n\": 4, \"k\": \"l1\", \"z\": 1}]",
                                      "p.json", err);
    assert(pts && pts->n == 8);
    double x[3];
    assert(points_encode(s, &pts->items[0], x, err) == 0);
    assert(x[0] == 0.5 && x[1] == 4 && x[2] == 1);
    assert(points_encode(s, &pts->items[1], x, err) == 0);
    assert(x[0] == -1 && x[1] == 10 && x[2] == 2);
    static const char *const bad[] = {"p.json:3:2: param 'x': 2 out of range",
                                      "p.json:4:2: param 'n': 3 not on the step grid",
                                      "param 'k': \"l3\" not one of the choices",
                                      "param 'n' is missing",
                                      "param 'x': \"0\" expected a number",
                                      "param 'z' is not in the study's space"};
    for (int i = 0; i < 6; i++) {
        assert(points_encode(s, &pts->items[2 + i], x, err) == -1);
        if (verbose || !strstr(err, bad[i]))
            printf("  %s\n", err);
        assert(strstr(err, bad[i]));
    }
    char *json = points_json(&pts->items[1]);
    assert(strcmp(json, "{\"k\": 3, \"x\": -1, \"n\": 10}") == 0);
    free(json);
    points_destroy(&pts);
    assert(!points_parse_json("{\"x\": 1, \"x\": 2}", "d.json", err));
    assert(!points_parse_json("[]", "e.json", err) && strstr(err, "no point"));
    assert(!points_parse_json("[1]", "f.json", err) && strstr(err, "f.json:1:2: expected"));
    space_destroy(&s);
}

static void s_test_csv(void)
{
    char err[HPS_ERR_LEN];
    const char *ok = "x,n,k\n0.5,4,l2\n\"-1\",10,3\n";
    points_t *pts = s_parse_csv(ok, strlen(ok), "p.csv", err);
    assert(pts && pts->n == 2 && strcmp(pts->items[1].where, "p.csv:3") == 0);
    assert(strcmp(pts->items[1].texts[0], "-1") == 0 && !pts->items[1].quoted[0]);
    points_destroy(&pts);
    const char *short_row = "x,n,k\n0.5,4,l2\n1,2\n";
    assert(!s_parse_csv(short_row, strlen(short_row), "p.csv", err));
    assert(strcmp(err, "p.csv:3: expected 3 fields, got 2") == 0);
    assert(!s_parse_csv("x,n\n", 4, "h.csv", err) && strstr(err, "no point"));
}

static void s_test_map(void)
{
    char err[HPS_ERR_LEN];
    int map[3];
    space_t *a = s_test_space("x: {type: float, low: 0, high: 1}\n"
                              "k: {type: categorical, choices: [a, b]}\n");
    space_t *b = s_test_space("k: {type: categorical, choices: [a, b]}\n"
                              "x: {type: float, low: 0, high: 1}\n");
    space_t *c = s_test_space("k: {type: categorical, choices: [a, c]}\n"
                              "x: {type: float, low: 0, high: 1}\n");
    space_t *d = s_test_space("x: {type: float, low: 0, high: 1}\n");
    assert(points_space_map(a, b, map, err) == 0 && map[0] == 1 && map[1] == 0);
    assert(points_space_map(a, c, map, err) == -1 && strstr(err, "param 'k': its choices"));
    assert(points_space_map(a, d, map, err) == -1 && strstr(err, "'k' is absent in the source"));
    assert(points_space_map(d, a, map, err) == -1 && strstr(err, "'k' of the source study"));
    space_destroy(&a), space_destroy(&b), space_destroy(&c), space_destroy(&d);
}

void points_test(bool verbose)
{
    s_test_encode(verbose);
    s_test_csv();
    s_test_map();
}
