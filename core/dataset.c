/* dataset — CSV loading through libcsv callbacks (see dataset.h).
 *
 * Parsing happens in two passes over memory: libcsv tokenises every field into one
 * arena (offsets, since the arena grows), recording the starting line of each row;
 * then each column is typed and converted. Line numbers come from feeding libcsv one
 * physical line per call: a record starts on the line fed while the parser was
 * between records. */
#include "core/dataset.h"

#include <assert.h>
#include <errno.h>
#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DATASET_MAX_CLASSES 1000 /* more distinct labels is surely a regression target */

typedef struct {
    const char *name;      /* file name for messages */
    strbuf_t arena;        /* field bytes, each NUL-terminated */
    size_t *cells;         /* arena offsets, row-major, n_header per row */
    size_t n_cells, cap_cells;
    int *row_line;         /* starting line of each data row */
    int n_rows, cap_rows;
    int n_header;          /* -1 until the header record is complete */
    int n_fields;          /* fields seen in the current record */
    int cur_line, rec_line;
    char *err;
    bool failed;
} s_loader_t;

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static bool s_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1;
        if (n < 0 || c > 0xF4 || i + (size_t)n >= len) /* bad lead byte or truncated */
            return false;
        unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (int k = 2; k <= n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += (size_t)n + 1;
    }
    return true;
}

static void s_fail(s_loader_t *ld, int line, const char *msg, const char *arg)
{
    if (ld->failed)
        return;
    ld->failed = true;
    if (arg)
        set_err(ld->err, "%s:%d: %s '%.80s'", ld->name, line, msg, arg);
    else
        set_err(ld->err, "%s:%d: %s", ld->name, line, msg);
}

static void s_on_field(void *data, size_t len, void *arg)
{
    s_loader_t *ld = arg;
    if (ld->failed)
        return;
    if (!s_utf8_valid(data, len)) {
        s_fail(ld, ld->rec_line, "invalid UTF-8", NULL);
        return;
    }
    if (len && memchr(data, '\0', len)) { /* fields are C strings from here on */
        s_fail(ld, ld->rec_line, "a NUL byte in a field", NULL);
        return;
    }
    if (ld->n_cells == ld->cap_cells) {
        ld->cap_cells = ld->cap_cells ? 2 * ld->cap_cells : 1024;
        ld->cells = xrealloc(ld->cells, ld->cap_cells * sizeof *ld->cells);
    }
    ld->cells[ld->n_cells++] = ld->arena.len;
    sb_putn(&ld->arena, data ? data : "", data ? len : 0);
    sb_putc(&ld->arena, '\0');
    ld->n_fields++;
}

static void s_on_record(int term, void *arg)
{
    (void)term;
    s_loader_t *ld = arg;
    if (ld->failed)
        return;
    if (ld->n_header < 0) {
        ld->n_header = ld->n_fields;
    } else if (ld->n_fields != ld->n_header) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected %d fields, got %d", ld->n_header, ld->n_fields);
        s_fail(ld, ld->rec_line, msg, NULL);
        return;
    } else {
        if (ld->n_rows == ld->cap_rows) {
            ld->cap_rows = ld->cap_rows ? 2 * ld->cap_rows : 1024;
            ld->row_line = xrealloc(ld->row_line, (size_t)ld->cap_rows * sizeof(int));
        }
        ld->row_line[ld->n_rows++] = ld->rec_line;
    }
    ld->n_fields = 0;
}

/* Tokenise buf into ld. 0 ok, -1 with ld->err. */
static int s_tokenise(s_loader_t *ld, const char *buf, size_t len)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return set_err(ld->err, "%s: csv_init failed", ld->name);
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 byte order mark */
        buf += 3;
        len -= 3;
    }
    size_t pos = 0;
    ld->cur_line = 1;
    while (pos < len && !ld->failed) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
        /* pstate 0 is libcsv's ROW_NOT_BEGUN: the next record starts on this line. */
        if (p.pstate == 0)
            ld->rec_line = ld->cur_line;
        if (csv_parse(&p, buf + pos, n, s_on_field, s_on_record, ld) != n) {
            int code = csv_error(&p);
            s_fail(ld, ld->cur_line, code == CSV_EPARSE ? "bad quoting: a quote must open "
                   "a field, be doubled inside it, and close it" : csv_strerror(code), NULL);
            break;
        }
        pos += n;
        ld->cur_line++;
    }
    if (!ld->failed && csv_fini(&p, s_on_field, s_on_record, ld) != 0)
        s_fail(ld, ld->rec_line, "unterminated quoted field", NULL);
    csv_free(&p);
    if (ld->failed)
        return -1;
    if (ld->n_header < 0)
        return set_err(ld->err, "%s:1: empty file (a header line is required)", ld->name);
    if (ld->n_rows == 0)
        return set_err(ld->err, "%s:2: no data rows", ld->name);
    return 0;
}

static const char *s_cell(const s_loader_t *ld, int row, int col)
{
    /* Row -1 is the header. */
    return ld->arena.buf + ld->cells[(size_t)(row + 1) * (size_t)ld->n_header + (size_t)col];
}

static int s_find_header(const s_loader_t *ld, const char *name)
{
    for (int c = 0; c < ld->n_header; c++)
        if (strcmp(s_cell(ld, -1, c), name) == 0)
            return c;
    return -1;
}

static bool s_in_list(const char *name, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

const char *const *dataset_missing_default(int *n)
{
    static const char *const markers[] = DATASET_MISSING_DEFAULT;
    *n = (int)ARRAY_SIZE(markers);
    return markers;
}

static bool s_is_missing(const dataset_opts_t *o, const char *v)
{
    int n = o->n_missing;
    const char *const *list = o->missing ? o->missing : dataset_missing_default(&n);
    return s_in_list(v, list, n);
}

#define DATASET_BAD_LINES 5 /* lines named in a "not a number" error */

/* The cells of a column that are neither numbers nor missing markers. */
typedef struct {
    int n_num, n_miss, n_other;         /* finite numbers, markers, the rest */
    int n_inf;                          /* of the rest: inf, nan text that parsed */
    int line[DATASET_BAD_LINES];        /* of the first n_other (at most 5) */
    const char *val[DATASET_BAD_LINES];
    bool nonfinite;                     /* the first is inf/nan text that parsed */
} s_census_t;

/* A number too large for a double (1e400): parse_double refuses it, but it is a number,
 * and a column of them is not text: *v becomes +-inf, which the column's check refuses. */
static bool s_overflows(const char *text, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    bool over = *text && *end == '\0' && errno == ERANGE && fabs(x) > 1 && !num_text_is_hex(text);
    if (over)
        *v = x;
    return over;
}

static int s_not_numeric(const s_loader_t *ld, const char *name, const s_census_t *k,
                         bool strict)
{
    char more[96] = "";
    size_t len = 0;
    for (int i = 1; i < k->n_other && i < DATASET_BAD_LINES; i++)
        len += (size_t)snprintf(more + len, sizeof more - len, "%s%d",
                                i > 1 ? ", " : k->n_other > 2 ? "; also lines " : "; also line ",
                                k->line[i]);
    if (k->n_other > DATASET_BAD_LINES)
        snprintf(more + len, sizeof more - len, ", ... (%d cells in all)", k->n_other);
    return set_err(ld->err, "%s:%d: column '%s': '%.40s' is not a %snumber%s%s", ld->name,
                   k->line[0], name, k->val[0], k->nonfinite ? "finite " : "", more,
                   strict ? "" : " (a column of numbers: fix the cells, list the marker in "
                   "data.missing, or declare the column in data.categorical)");
}

/* Type column c: numbers with missing markers (NaN in num[], flagged in *missing), 0;
 * not numeric (mostly strings, or nothing but markers), 1 (unless strict); -1 with
 * ld->err when strict or mostly numbers and some cell is another string. */
static int s_numeric_column(s_loader_t *ld, const dataset_opts_t *o, int c, double *num,
                            bool **missing, bool strict)
{
    s_census_t k = {0};
    for (int r = 0; r < ld->n_rows; r++) {
        const char *v = s_cell(ld, r, c);
        bool parsed = false;
        if (s_is_missing(o, v)) { /* first: a marker may read as a number (-999) */
            num[r] = NAN;
            k.n_miss++;
        } else if ((parsed = parse_double(v, &num[r]) == 0 || s_overflows(v, &num[r])) &&
                   isfinite(num[r])) {
            k.n_num++;
        } else {
            if (k.n_other < DATASET_BAD_LINES) {
                k.line[k.n_other] = ld->row_line[r];
                k.val[k.n_other] = v;
            }
            k.nonfinite |= k.n_other++ == 0 && parsed; /* nan, inf: no model takes them */
            k.n_inf += parsed;
        }
    }
    /* inf counts as a number for "mostly numbers", and is then refused */
    if (k.n_other > 0 && (strict || k.n_num + k.n_inf > k.n_other - k.n_inf))
        return s_not_numeric(ld, s_cell(ld, -1, c), &k, strict);
    if (k.n_other > 0 || (k.n_num == 0 && !strict))
        return 1;
    *missing = k.n_miss ? xcalloc((size_t)ld->n_rows, sizeof **missing) : NULL;
    for (int r = 0; k.n_miss && r < ld->n_rows; r++)
        (*missing)[r] = isnan(num[r]);
    return 0;
}

/* Flags of the missing cells of string column c; NULL when none. */
static bool *s_string_missing(const s_loader_t *ld, const dataset_opts_t *o, int c, int *n)
{
    bool *missing = NULL;
    *n = 0;
    for (int r = 0; r < ld->n_rows; r++) {
        if (!s_is_missing(o, s_cell(ld, r, c)))
            continue;
        if (!missing)
            missing = xcalloc((size_t)ld->n_rows, sizeof *missing);
        missing[r] = true;
        (*n)++;
    }
    return missing;
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Map labels to class indexes: integer labels in numeric order, else strings in byte
 * order. 0 ok, -1 with err. */
static int s_classes(s_loader_t *ld, int c, dataset_t *ds)
{
    int n = ld->n_rows;
    const char **txt = xmalloc((size_t)n * sizeof *txt);
    double *num = xmalloc((size_t)n * sizeof *num);
    bool ints = true;
    for (int r = 0; r < n; r++) {
        txt[r] = s_cell(ld, r, c);
        long v;
        if (!*txt[r]) {
            free(txt);
            free(num);
            return set_err(ld->err, "%s:%d: missing label", ld->name, ld->row_line[r]);
        }
        if (ints && parse_long(txt[r], &v) == 0)
            num[r] = (double)v;
        else
            ints = false;
    }
    /* Sorted distinct keys, then a binary search per row. */
    const char **skeys = xmalloc((size_t)n * sizeof *skeys);
    double *nkeys = xmalloc((size_t)n * sizeof *nkeys);
    memcpy(skeys, txt, (size_t)n * sizeof *skeys);
    memcpy(nkeys, num, (size_t)n * sizeof *nkeys);
    if (ints)
        qsort(nkeys, (size_t)n, sizeof *nkeys, cmp_double);
    else
        qsort(skeys, (size_t)n, sizeof *skeys, s_cmp_str);
    int k = 0;
    for (int r = 0; r < n; r++) {
        bool same = k > 0 && (ints ? nkeys[r] == nkeys[k - 1] : !strcmp(skeys[r], skeys[k - 1]));
        if (same)
            continue;
        nkeys[k] = nkeys[r];
        skeys[k++] = skeys[r];
    }
    int rc = 0;
    if (k < 2 && n > 0)
        rc = set_err(ld->err, "%s: label column '%s' has one class '%.40s'; classification "
                     "needs two", ld->name, ds->y_name, ints ? txt[0] : skeys[0]);
    else if (k > DATASET_MAX_CLASSES)
        rc = set_err(ld->err, "%s:1: label column '%s' has %d distinct values (max %d); "
                     "use `target:` for regression", ld->name, ds->y_name, k,
                     DATASET_MAX_CLASSES);
    for (int r = 0; r < n && rc == 0; r++) {
        void *hit = ints ? bsearch(&num[r], nkeys, (size_t)k, sizeof *nkeys, cmp_double)
                         : bsearch(&txt[r], skeys, (size_t)k, sizeof *skeys, s_cmp_str);
        assert(hit);
        ds->y[r] = (double)(ints ? (double *)hit - nkeys : (const char **)hit - skeys);
    }
    if (rc == 0) {
        ds->n_classes = k;
        ds->class_names = xmalloc((size_t)k * sizeof(char *));
        for (int i = 0; i < k; i++) {
            /* Integer labels take the text of one occurrence with that value. */
            const char *name = skeys[i];
            for (int r = 0; ints && r < n; r++)
                if (num[r] == nkeys[i]) {
                    name = txt[r];
                    break;
                }
            ds->class_names[i] = (char *)name;
        }
    }
    free(txt);
    free(num);
    free(skeys);
    free(nkeys);
    return rc;
}

static int s_target(s_loader_t *ld, int c, dataset_t *ds)
{
    for (int r = 0; r < ld->n_rows; r++) {
        const char *v = s_cell(ld, r, c);
        if (!*v)
            return set_err(ld->err, "%s:%d: missing target", ld->name, ld->row_line[r]);
        if (parse_double(v, &ds->y[r]) != 0 || !isfinite(ds->y[r]))
            return set_err(ld->err, "%s:%d: target '%.40s' is not a finite number", ld->name,
                           ld->row_line[r], v);
    }
    return 0;
}

/* Pick the y column; -1 with err when missing. */
static int s_pick_y(s_loader_t *ld, const dataset_opts_t *o, dataset_t *ds)
{
    const char *want = o->label ? o->label : o->target;
    if (o->label && o->target)
        return set_err(ld->err, "%s: give either a label or a target column, not both",
                       ld->name);
    ds->classification = o->label != NULL;
    if (!want) {
        ds->classification = s_find_header(ld, "label") >= 0;
        want = ds->classification ? "label" : "target";
    }
    int c = s_find_header(ld, want);
    if (c < 0)
        return set_err(ld->err, "%s:1: no %s column '%s'", ld->name,
                       ds->classification ? "label" : "target", want);
    ds->y_name = xstrdup(want);
    return c;
}

static int s_check_header(s_loader_t *ld, const dataset_opts_t *o)
{
    for (int c = 0; c < ld->n_header; c++) {
        const char *h = s_cell(ld, -1, c);
        if (!*h)
            return set_err(ld->err, "%s:1: column %d has an empty name", ld->name, c + 1);
        for (int d = 0; d < c; d++)
            if (strcmp(h, s_cell(ld, -1, d)) == 0)
                return set_err(ld->err, "%s:1: duplicate column '%s'", ld->name, h);
    }
    for (int i = 0; i < o->n_text + o->n_numeric + o->n_strings; i++) {
        const char *n = i < o->n_text ? o->text[i]
                        : i < o->n_text + o->n_numeric ? o->numeric[i - o->n_text]
                                                       : o->strings[i - o->n_text - o->n_numeric];
        if (s_find_header(ld, n) < 0)
            return set_err(ld->err, "%s:1: no column '%s'", ld->name, n);
    }
    return 0;
}

/* Type and convert every feature-side column. 0 ok, -1 with err. */
static int s_columns(s_loader_t *ld, const dataset_opts_t *o, int ycol, dataset_t *ds)
{
    ds->cols = xcalloc((size_t)ld->n_header, sizeof *ds->cols);
    for (int c = 0; c < ld->n_header; c++) {
        if (c == ycol)
            continue;
        dataset_col_t *col = &ds->cols[ds->n_cols++];
        col->name = xstrdup(s_cell(ld, -1, c));
        bool text = s_in_list(col->name, o->text, o->n_text);
        bool numeric = s_in_list(col->name, o->numeric, o->n_numeric);
        bool strings = s_in_list(col->name, o->strings, o->n_strings);
        if ((text || strings) && numeric)
            return set_err(ld->err, "%s:1: column '%s' is declared both %s and numeric",
                           ld->name, col->name, text ? "text" : "categorical");
        if (!text && !strings) {
            col->num = xmalloc((size_t)ld->n_rows * sizeof(double));
            int rc = s_numeric_column(ld, o, c, col->num, &col->missing, numeric);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                col->kind = COL_NUMERIC;
                for (int r = 0; col->missing && r < ld->n_rows; r++)
                    col->n_missing += col->missing[r];
                continue;
            }
            free(col->num);
            col->num = NULL;
        }
        col->kind = text ? COL_TEXT : COL_STRING;
        col->str = xmalloc((size_t)ld->n_rows * sizeof(char *));
        for (int r = 0; r < ld->n_rows; r++)
            col->str[r] = (char *)s_cell(ld, r, c);
        if (!text)
            col->missing = s_string_missing(ld, o, c, &col->n_missing);
    }
    return 0;
}

dataset_t *dataset_parse(const char *buf, size_t len, const char *name,
                         const dataset_opts_t *opts, char *err)
{
    assert(buf && name && opts);
    s_loader_t ld = {.name = name, .n_header = -1, .err = err};
    sb_init(&ld.arena);
    dataset_t *ds = xcalloc(1, sizeof *ds);
    ds->path = xstrdup(name);
    sha256_hex(buf, len, ds->sha256);
    int rc = s_tokenise(&ld, buf, len);
    if (rc == 0)
        rc = s_check_header(&ld, opts);
    int ycol = rc == 0 && !opts->no_y ? s_pick_y(&ld, opts, ds) : -1;
    if (rc == 0 && ycol < 0 && !opts->no_y)
        rc = -1;
    if (rc == 0) {
        ds->n_rows = ld.n_rows;
        if (ycol >= 0) {
            ds->y = xmalloc((size_t)ld.n_rows * sizeof(double));
            rc = ds->classification ? s_classes(&ld, ycol, ds) : s_target(&ld, ycol, ds);
        }
        if (rc == 0)
            rc = s_columns(&ld, opts, ycol, ds);
    }
    ds->arena = sb_take(&ld.arena); /* the columns point into it */
    free(ld.cells);
    ds->row_line = ld.row_line;
    if (rc != 0)
        dataset_destroy(&ds);
    return ds;
}

dataset_t *dataset_load(const char *path, const dataset_opts_t *opts, char *err)
{
    size_t len = 0;
    char *buf = file_read(path, &len, err);
    if (!buf)
        return NULL;
    dataset_t *ds = dataset_parse(buf, len, path, opts, err);
    free(buf);
    return ds;
}

void dataset_destroy(dataset_t **self_p)
{
    assert(self_p);
    dataset_t *ds = *self_p;
    if (!ds)
        return;
    for (int c = 0; c < ds->n_cols; c++) {
        free(ds->cols[c].name);
        free(ds->cols[c].num);
        free(ds->cols[c].str);
        free(ds->cols[c].missing);
    }
    free(ds->cols);
    free(ds->row_line);
    free(ds->path);
    free(ds->y_name);
    free(ds->y);
    free(ds->class_names);
    free(ds->arena);
    free(ds);
    *self_p = NULL;
}

int dataset_col_index(const dataset_t *ds, const char *name)
{
    for (int c = 0; c < ds->n_cols; c++)
        if (strcmp(ds->cols[c].name, name) == 0)
            return c;
    return -1;
}

/* Expect parsing text to fail with an error containing want. */
static void s_expect_error(const char *text, const dataset_opts_t *o, const char *want)
{
    char err[HPS_ERR_LEN] = "";
    dataset_t *ds = dataset_parse(text, strlen(text), "t.csv", o, err);
    if (ds || !strstr(err, want))
        fprintf(stderr, "dataset_test: want '%s', got '%s'\n", want, err);
    assert(!ds);
    assert(strstr(err, want));
}

static void s_test_errors(void)
{
    const char *text_cols[] = {"text"};
    const char *num_cols[] = {"x"};
    dataset_opts_t o = {0};
    s_expect_error("x,label\n1,0\n2,1,3\n", &o, "t.csv:3: expected 2 fields, got 3");
    s_expect_error("x,label\n1,0\n\n2\n", &o, "t.csv:4: expected 2 fields, got 1");
    s_expect_error("x,target\n1,0\n", &(dataset_opts_t){.label = "label"},
                   "t.csv:1: no label column 'label'");
    s_expect_error("x,y\n1,0\n", &o, "t.csv:1: no target column 'target'");
    s_expect_error("text,label\n\"ab,0\nc,1\n", &o, "t.csv:2: unterminated quoted field");
    s_expect_error("text,label\nab\"c\",0\n", &o, "t.csv:2: bad quoting");
    o.numeric = num_cols;
    o.n_numeric = 1;
    s_expect_error("x,label\n1,0\n2,1\nabc,0\n", &o, "t.csv:4: column 'x': 'abc' is not a number");
    s_expect_error("x,label\n1,0\n-0x1p3,1\n", &o, "t.csv:3: column 'x': '-0x1p3' is not a number");
    o.n_numeric = 0; /* a column of numbers past DBL_MAX is no text column */
    s_expect_error("x,label\n1e400,0\n-2e999,1\n", &o, "t.csv:2: column 'x': '1e400' is not a "
                   "finite number; also line 3");
    o.n_numeric = 1;
    s_expect_error("x,label\n1,0\n?,1\nNA,0\n", &o, "t.csv:3: column 'x': '?' is not a number");
    o.n_numeric = 0;
    s_expect_error("x,label\n1,0\n2,\n", &o, "t.csv:3: missing label");
    s_expect_error("x,target\n1,0\n2,zz\n", &o, "t.csv:3: target 'zz' is not a finite number");
    s_expect_error("x,target\n1,0\n2,inf\n", &o, "t.csv:3: target 'inf' is not a finite");
    s_expect_error("x,label\n1,0\ninf,1\n", &o, "t.csv:3: column 'x': 'inf' is not a finite");
    /* Mostly numbers with a few other strings: the first lines are named. */
    s_expect_error("x,label\n1,0\n2,1\nabc,0\n3,1\n,0\n?,1\n4,0\n", &o,
                   "t.csv:4: column 'x': 'abc' is not a number; also line 7 (a column of");
    s_expect_error("x,label\n1,0\na,1\n2,0\nb,1\n3,0\nc,1\n4,0\nd,0\n5,1\ne,1\n"
                   "6,0\nf,0\n7,1\n", &o, "t.csv:3: column 'x': 'a' is not a number; also "
                   "lines 5, 7, 9, 11, ... (6 cells in all)");
    s_expect_error("x,label\n1,a\n2,a\n", &o, "label column 'label' has one class 'a'");
    char err[HPS_ERR_LEN];
    assert(!dataset_parse("x,label\n1,0\n2\0,1\n", 19, "t.csv", &o, err));
    assert(strstr(err, "t.csv:3: a NUL byte in a field"));
    s_expect_error("x,label\n1,0\n\xC3\x28,1\n", &o, "t.csv:3: invalid UTF-8");
    s_expect_error("x,x,label\n1,2,0\n", &o, "t.csv:1: duplicate column 'x'");
    s_expect_error("", &o, "t.csv:1: empty file");
    s_expect_error("x,label\n", &o, "no data rows");
    o.text = text_cols;
    o.n_text = 1;
    s_expect_error("x,label\n1,0\n", &o, "t.csv:1: no column 'text'");
}

static void s_test_parse(void)
{
    const char *text_cols[] = {"text"};
    dataset_opts_t o = {.text = text_cols, .n_text = 1};
    /* Quoted comma, doubled quote, a record over two lines, CRLF, BOM. */
    const char *csv = "\xEF\xBB\xBFtext,x,split,label\n"
                      "\"a, b\",1.5,train,7\n"
                      "\"say \"\"hi\"\"\",-2,test,3\r\n"
                      "\"two\nlines\",1e3,train,7\n"
                      "caf\xC3\xA9,0,train,10\n";
    char err[HPS_ERR_LEN] = "";
    dataset_t *ds = dataset_parse(csv, strlen(csv), "t.csv", &o, err);
    if (!ds)
        fprintf(stderr, "dataset_test: %s\n", err);
    assert(ds && ds->n_rows == 4 && ds->n_cols == 3 && ds->classification);
    assert(strcmp(ds->y_name, "label") == 0);
    /* Integer labels in numeric order: 3 < 7 < 10. */
    assert(ds->n_classes == 3);
    assert(!strcmp(ds->class_names[0], "3") && !strcmp(ds->class_names[2], "10"));
    assert(ds->y[0] == 1 && ds->y[1] == 0 && ds->y[2] == 1 && ds->y[3] == 2);
    int t = dataset_col_index(ds, "text"), x = dataset_col_index(ds, "x");
    int s = dataset_col_index(ds, "split");
    assert(t == 0 && x == 1 && s == 2 && dataset_col_index(ds, "label") == -1);
    assert(ds->cols[t].kind == COL_TEXT && !strcmp(ds->cols[t].str[0], "a, b"));
    assert(!strcmp(ds->cols[t].str[1], "say \"hi\"") && !strcmp(ds->cols[t].str[2], "two\nlines"));
    assert(ds->cols[x].kind == COL_NUMERIC && ds->cols[x].num[2] == 1000.0);
    assert(ds->cols[s].kind == COL_STRING && !strcmp(ds->cols[s].str[1], "test"));
    dataset_destroy(&ds);
    assert(ds == NULL);
    /* String labels in byte order; the bad row after a multi-line record names its line. */
    ds = dataset_parse("a,label\n1,pos\n2,neg\n", 20, "t.csv", &(dataset_opts_t){0}, err);
    assert(ds && ds->n_classes == 2 && ds->y[0] == 1 && ds->y[1] == 0);
    dataset_destroy(&ds);
    s_expect_error("t,label\n\"x\ny\nz\",0\n1,2,3\n", &o, "t.csv:5: expected 2 fields");
    s_expect_error("t,label\n\"x\ny\",0,1\n", &o, "t.csv:2: expected 2 fields");
    /* Regression by target name. */
    ds = dataset_parse("a,target\n1,2.5\n", 15, "t.csv", &(dataset_opts_t){0}, err);
    assert(ds && !ds->classification && ds->n_classes == 0 && ds->y[0] == 2.5);
    dataset_destroy(&ds);
    /* Data to predict on: no y column; a declared string column stays a string. */
    const char *strs[] = {"c"};
    dataset_opts_t po = {.no_y = true, .strings = strs, .n_strings = 1};
    ds = dataset_parse("a,c\n1,2\n", 8, "t.csv", &po, err);
    assert(ds && !ds->y && ds->n_cols == 2 && ds->n_rows == 1 && !ds->y_name);
    assert(ds->cols[0].kind == COL_NUMERIC && ds->cols[1].kind == COL_STRING);
    assert(!strcmp(ds->cols[1].str[0], "2"));
    dataset_destroy(&ds);
}

/* Missing markers: numeric columns stay numeric, strings are flagged. */
static void s_test_missing(void)
{
    const char *csv = "a,b,c,d,e,label\n1,x,,NA,1,0\nNA,,y,2,?,1\n3.5,z,z,,2,0\n";
    const char *strs[] = {"e"}, *marks[] = {"?", "NA"};
    char err[HPS_ERR_LEN] = "";
    dataset_t *ds = dataset_parse(csv, strlen(csv), "t.csv",
                                  &(dataset_opts_t){.strings = strs, .n_strings = 1}, err);
    assert(ds && ds->n_cols == 5);
    const dataset_col_t *a = &ds->cols[0], *b = &ds->cols[1], *c = &ds->cols[2];
    const dataset_col_t *d = &ds->cols[3], *e = &ds->cols[4];
    assert(a->kind == COL_NUMERIC && a->n_missing == 1 && a->missing[1] && !a->missing[0]);
    assert(isnan(a->num[1]) && a->num[2] == 3.5);
    assert(b->kind == COL_STRING && b->n_missing == 1 && b->missing[1] && !b->missing[2]);
    assert(c->kind == COL_STRING && c->n_missing == 1 && !strcmp(c->str[1], "y"));
    assert(d->kind == COL_NUMERIC && d->n_missing == 2 && d->num[1] == 2);
    assert(e->kind == COL_STRING && !e->missing); /* declared: '?' is a category */
    dataset_destroy(&ds);
    /* Undeclared, e is numbers and one '?': an error unless '?' is a marker. */
    s_expect_error(csv, &(dataset_opts_t){0}, "t.csv:3: column 'e': '?' is not a number");
    s_expect_error(csv, &(dataset_opts_t){.strings = strs, .n_strings = 1, .numeric = strs,
                                          .n_numeric = 1},
                   "t.csv:1: column 'e' is declared both categorical and numeric");
    /* Own markers: '?' and NA are missing, the empty cell is not. */
    ds = dataset_parse(csv, strlen(csv), "t.csv",
                       &(dataset_opts_t){.missing = marks, .n_missing = 2}, err);
    assert(ds && ds->cols[4].kind == COL_NUMERIC && ds->cols[4].n_missing == 1);
    assert(ds->cols[0].kind == COL_NUMERIC && ds->cols[0].n_missing == 1);
    assert(ds->cols[2].n_missing == 0 && ds->cols[3].n_missing == 1);
    assert(ds->cols[3].kind == COL_STRING && ds->cols[2].kind == COL_STRING);
    dataset_destroy(&ds);
    /* A column of nothing but markers is a string column. */
    ds = dataset_parse("a,label\nNA,0\n,1\n", 16, "t.csv", &(dataset_opts_t){0}, err);
    assert(ds && ds->cols[0].kind == COL_STRING && ds->cols[0].n_missing == 2);
    dataset_destroy(&ds);
    /* A marker that reads as a number is missing all the same. */
    const char *m999[] = {"-999"};
    ds = dataset_parse("a,label\n-999,0\n3,1\n", 19, "t.csv",
                       &(dataset_opts_t){.missing = m999, .n_missing = 1}, err);
    assert(ds && ds->cols[0].kind == COL_NUMERIC && ds->cols[0].n_missing == 1);
    dataset_destroy(&ds);
    /* A declared numeric column with missing cells loads. */
    const char *nums[] = {"a"};
    ds = dataset_parse("a,label\nNA,0\n,1\n", 16, "t.csv",
                       &(dataset_opts_t){.numeric = nums, .n_numeric = 1}, err);
    assert(ds && ds->cols[0].kind == COL_NUMERIC && ds->cols[0].n_missing == 2);
    dataset_destroy(&ds);
}

/* The bundled data must load fast; skipped when run outside the repo. */
static void s_test_bundled(bool verbose)
{
    static const struct {
        const char *path;
        int rows, cols, classes;
    } files[] = {{"data/reviews.csv", 5000, 2, 2}, {"data/diamonds.csv", 53940, 9, 0},
                 {"data/digits.csv", 1797, 64, 10}, {"data/wine.csv", 178, 13, 3}};
    const char *text_cols[] = {"text"};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        FILE *f = fopen(files[i].path, "rb");
        if (!f)
            continue;
        fclose(f);
        dataset_opts_t o = {.text = text_cols, .n_text = i == 0};
        char err[HPS_ERR_LEN];
        double t0 = now_secs();
        dataset_t *ds = dataset_load(files[i].path, &o, err);
        double secs = now_secs() - t0;
        if (verbose)
            printf("  %s: %.3f s\n", files[i].path, secs);
        assert(ds && ds->n_rows == files[i].rows && ds->n_cols == files[i].cols);
        assert(ds->n_classes == files[i].classes && secs < 1.0);
        dataset_destroy(&ds);
    }
}

void dataset_test(bool verbose)
{
    if (verbose)
        printf(" * dataset:\n");
    s_test_errors();
    s_test_parse();
    s_test_missing();
    s_test_bundled(verbose);
}
