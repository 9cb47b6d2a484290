/* textcounts — tokenise and hash text columns into per-row term counts, with a file
 * cache keyed by content (see features.h for why this is the part worth caching).
 *
 * Cache file layout (native endianness; the cache is local to one machine):
 *   header  s_header_t
 *   indptr  (n_rows + 1) x int64
 *   ids     nnz x uint32
 *   counts  nnz x int32
 *   trailer 64 hex chars: SHA-256 of everything before it
 * A file whose size, header or checksum does not match is ignored and rebuilt. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "objectives/features.h"

#define TC_MAGIC "HPSTC001"

typedef struct {
    char magic[8];
    int64_t n_rows, nnz;
    int32_t n_text, hash_bits, ngram_max, pad;
} s_header_t;

typedef struct {
    uint64_t *v;
    size_t n, cap;
} s_u64vec_t;

static void s_push(s_u64vec_t *vec, uint64_t x)
{
    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? 2 * vec->cap : 256;
        vec->v = xrealloc(vec->v, vec->cap * sizeof *vec->v);
    }
    vec->v[vec->n++] = x;
}

static bool s_word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c >= 0x80;
}

static bool s_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

/* Length of an HTML tag ("<br />", "</p>") or entity ("&amp;", "&#39;") at s, or 0. */
static size_t s_markup_len(const char *s, size_t left)
{
    size_t i = 1, max = left < 100 ? left : 100;
    if (s[0] == '<') {
        if (i < max && s[i] == '/')
            i++;
        if (i >= max || !s_alpha((unsigned char)s[i]))
            return 0;
        while (i < max && s[i] != '>' && s[i] != '<')
            i++;
        return i < max && s[i] == '>' ? i + 1 : 0;
    }
    if (s[0] == '&') {
        if (i < max && s[i] == '#')
            i++;
        size_t start = i;
        while (i < max && i - start <= 10 && s_word_byte((unsigned char)s[i]) &&
               (unsigned char)s[i] < 0x80)
            i++;
        return i > start && i < max && s[i] == ';' ? i + 1 : 0;
    }
    return 0;
}

/* FNV-1a hashes of the tokens of s, in order, appended to out. */
static void s_tokens(const char *s, s_u64vec_t *out)
{
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t skip = (c == '<' || c == '&') ? s_markup_len(s + i, len - i) : 0;
        if (skip) {
            i += skip;
            continue;
        }
        if (!s_word_byte(c)) {
            i++;
            continue;
        }
        uint64_t h = 0xcbf29ce484222325ULL;
        size_t start = i;
        while (i < len && s_word_byte((unsigned char)s[i])) {
            unsigned char b = (unsigned char)s[i++];
            if (b >= 'A' && b <= 'Z')
                b = (unsigned char)(b - 'A' + 'a');
            h = (h ^ b) * 0x100000001b3ULL;
        }
        if (i - start >= 2) /* single characters are not tokens, as in scikit-learn */
            s_push(out, h);
    }
}

static uint32_t s_unigram(uint64_t h, uint32_t mask) { return (uint32_t)(hash_mix64(h) & mask); }

static uint32_t s_bigram(uint64_t a, uint64_t b, uint32_t mask)
{
    return (uint32_t)(hash_mix64(a * 0x9E3779B97F4A7C15ULL + b + 1) & mask);
}

static int s_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Term ids of one row (all text columns), sorted, duplicates kept. */
static void s_row_ids(const textcounts_t *tc, const dataset_t *ds, int r, s_u64vec_t *tok,
                      s_u64vec_t *ids)
{
    uint32_t mask = (1u << tc->hash_bits) - 1;
    ids->n = 0;
    for (int t = 0; t < tc->n_text; t++) {
        uint64_t base = (uint64_t)t << tc->hash_bits;
        tok->n = 0;
        s_tokens(ds->cols[tc->text_cols[t]].str[r], tok);
        for (size_t i = 0; i < tok->n; i++) {
            s_push(ids, base | s_unigram(tok->v[i], mask));
            if (tc->ngram_max >= 2 && i + 1 < tok->n)
                s_push(ids, base | s_bigram(tok->v[i], tok->v[i + 1], mask));
        }
    }
}

static void s_build(textcounts_t *tc, const dataset_t *ds)
{
    s_u64vec_t tok = {0}, ids = {0};
    size_t cap = 1024, nnz = 0;
    tc->ids = xmalloc(cap * sizeof *tc->ids);
    tc->counts = xmalloc(cap * sizeof *tc->counts);
    tc->indptr[0] = 0;
    uint32_t *row = NULL;
    size_t row_cap = 0;
    for (int r = 0; r < ds->n_rows; r++) {
        s_row_ids(tc, ds, r, &tok, &ids);
        if (ids.n > row_cap) {
            row_cap = ids.n;
            row = xrealloc(row, row_cap * sizeof *row);
        }
        for (size_t i = 0; i < ids.n; i++)
            row[i] = (uint32_t)ids.v[i];
        if (ids.n > 1)
            qsort(row, ids.n, sizeof *row, s_cmp_u32);
        if (nnz + ids.n > cap) {
            cap = 2 * (nnz + ids.n);
            tc->ids = xrealloc(tc->ids, cap * sizeof *tc->ids);
            tc->counts = xrealloc(tc->counts, cap * sizeof *tc->counts);
        }
        for (size_t i = 0; i < ids.n; i++) {
            if (i > 0 && row[i] == row[i - 1]) {
                tc->counts[nnz - 1]++;
                continue;
            }
            tc->ids[nnz] = row[i];
            tc->counts[nnz++] = 1;
        }
        tc->indptr[r + 1] = (int64_t)nnz;
    }
    free(row);
    free(tok.v);
    free(ids.v);
}

/* Cache file path for tc over ds; caller frees. */
static char *s_cache_path(const textcounts_t *tc, const dataset_t *ds, const char *dir)
{
    strbuf_t key;
    sb_init(&key);
    sb_printf(&key, "textcounts v1|%s|bits=%d|ngram=%d", ds->sha256, tc->hash_bits,
              tc->ngram_max);
    for (int t = 0; t < tc->n_text; t++)
        sb_printf(&key, "|%s", ds->cols[tc->text_cols[t]].name);
    char hex[65];
    sha256_hex(key.buf, key.len, hex);
    sb_free(&key);
    return xasprintf("%s/textcounts-%s.bin", dir, hex);
}

/* Read a cache file into tc; 0 ok, -1 when absent or invalid (tc left unfilled). */
static int s_cache_read(textcounts_t *tc, const char *path)
{
    char err[HPS_ERR_LEN];
    size_t len = 0;
    char *buf = file_read(path, &len, err);
    if (!buf)
        return -1;
    s_header_t h;
    int rc = -1;
    if (len < sizeof h + 64)
        goto done;
    memcpy(&h, buf, sizeof h);
    size_t rows = (size_t)tc->n_rows;
    size_t need = sizeof h + (rows + 1) * 8 + (size_t)h.nnz * 8 + 64;
    if (memcmp(h.magic, TC_MAGIC, 8) != 0 || h.n_rows != tc->n_rows || h.nnz < 0 ||
        h.n_text != tc->n_text || h.hash_bits != tc->hash_bits ||
        h.ngram_max != tc->ngram_max || len != need)
        goto done;
    char hex[65];
    sha256_hex(buf, len - 64, hex);
    if (memcmp(hex, buf + len - 64, 64) != 0)
        goto done;
    const char *p = buf + sizeof h;
    memcpy(tc->indptr, p, (rows + 1) * 8);
    p += (rows + 1) * 8;
    if (tc->indptr[0] != 0 || tc->indptr[rows] != h.nnz)
        goto done;
    tc->ids = xmalloc((size_t)(h.nnz ? h.nnz : 1) * 4);
    tc->counts = xmalloc((size_t)(h.nnz ? h.nnz : 1) * 4);
    memcpy(tc->ids, p, (size_t)h.nnz * 4);
    memcpy(tc->counts, p + (size_t)h.nnz * 4, (size_t)h.nnz * 4);
    rc = 0;
done:
    free(buf);
    return rc;
}

static int s_cache_write(const textcounts_t *tc, const char *path, char *err)
{
    size_t rows = (size_t)tc->n_rows, nnz = (size_t)tc->indptr[rows];
    s_header_t h = {.n_rows = tc->n_rows, .nnz = (int64_t)nnz, .n_text = tc->n_text,
                    .hash_bits = tc->hash_bits, .ngram_max = tc->ngram_max};
    memcpy(h.magic, TC_MAGIC, 8);
    size_t len = sizeof h + (rows + 1) * 8 + nnz * 8;
    char *buf = xmalloc(len + 64);
    char *p = buf;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, tc->indptr, (rows + 1) * 8);
    p += (rows + 1) * 8;
    memcpy(p, tc->ids, nnz * 4);
    memcpy(p + nnz * 4, tc->counts, nnz * 4);
    char hex[65];
    sha256_hex(buf, len, hex);
    memcpy(buf + len, hex, 64);
    int rc = file_write_atomic(path, buf, len + 64, err);
    free(buf);
    return rc;
}

textcounts_t *textcounts_get(const dataset_t *ds, const text_opts_t *o, const char *cache_dir)
{
    assert(ds && o && o->hash_bits >= 10 && o->hash_bits <= 24);
    textcounts_t *tc = xcalloc(1, sizeof *tc);
    tc->n_rows = ds->n_rows;
    tc->hash_bits = o->hash_bits;
    tc->ngram_max = o->ngram_max;
    tc->text_cols = xmalloc((size_t)(ds->n_cols + 1) * sizeof(int));
    for (int c = 0; c < ds->n_cols; c++)
        if (ds->cols[c].kind == COL_TEXT)
            tc->text_cols[tc->n_text++] = c;
    /* Ids keep the text column number in the bits above the bucket. */
    assert(tc->n_text <= (1 << (31 - tc->hash_bits)));
    tc->indptr = xcalloc((size_t)ds->n_rows + 1, sizeof *tc->indptr);
    char *path = cache_dir && tc->n_text > 0 ? s_cache_path(tc, ds, cache_dir) : NULL;
    if (path && s_cache_read(tc, path) == 0) {
        tc->from_cache = true;
        free(path);
        return tc;
    }
    if (tc->n_text > 0) /* else indptr stays all zeros: no terms */
        s_build(tc, ds);
    if (path) {
        /* A cache that cannot be written costs time on the next trial, not correctness. */
        char err[HPS_ERR_LEN];
        if (mkdir_p(cache_dir, err) != 0 || s_cache_write(tc, path, err) != 0)
            log_warn("text feature cache not written: %s", err);
        free(path);
    }
    return tc;
}

void textcounts_destroy(textcounts_t **self_p)
{
    assert(self_p);
    textcounts_t *tc = *self_p;
    if (!tc)
        return;
    free(tc->text_cols);
    free(tc->indptr);
    free(tc->ids);
    free(tc->counts);
    free(tc);
    *self_p = NULL;
}

int64_t textcounts_term_id(const textcounts_t *tc, int t, const char *term)
{
    assert(t >= 0 && t < tc->n_text);
    s_u64vec_t tok = {0};
    s_tokens(term, &tok);
    uint32_t mask = (1u << tc->hash_bits) - 1;
    int64_t id = -1;
    if (tok.n == 1)
        id = s_unigram(tok.v[0], mask);
    else if (tok.n == 2)
        id = s_bigram(tok.v[0], tok.v[1], mask);
    free(tok.v);
    return id < 0 ? -1 : (int64_t)(((uint64_t)t << tc->hash_bits) | (uint64_t)id);
}
