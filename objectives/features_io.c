/* features_io — saving and restoring a fitted transform (see features_io.h). */
#include "objectives/features_io.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objectives/artifact.h"
#include "objectives/features_priv.h"

#define FEATURES_MAP_LEN 22

/* Column names of f's columns in ds by index list. Caller frees the array. */
static const char **s_names(const dataset_t *ds, const int *cols, int n)
{
    const char **v = xmalloc((size_t)(n + 1) * sizeof *v);
    for (int i = 0; i < n; i++)
        v[i] = ds->cols[cols[i]].name;
    return v;
}

/* The 7 cleaning keys (format version 2): markers, per numeric column the fill value and
 * clipping bounds, per categorical column what a missing cell becomes, the indicators. */
static void s_pack_cleaning(const features_t *f, msgpack_packer *pk)
{
    assert(f->cleaned);
    int32_t *miss = xmalloc((size_t)(f->n_cat + 1) * sizeof *miss);
    int32_t *ind = xmalloc((size_t)(f->n_num + f->n_cat + 1) * sizeof *ind);
    const char **fill = xmalloc((size_t)(f->n_cat + 1) * sizeof *fill);
    for (int j = 0; j < f->n_cat; j++) {
        miss[j] = f->cat_miss[j];
        fill[j] = f->cat_miss[j] == FEATURES_MISS_FILL ? f->cat_fill[j] : "";
    }
    for (int j = 0; j < f->n_num + f->n_cat; j++)
        ind[j] = f->ind[j] >= 0;
    art_put_strs(pk, "missing", f->markers, (size_t)f->n_markers);
    art_put_doubles(pk, "fill", f->fill, (size_t)f->n_num);
    art_put_doubles(pk, "clip_low", f->lo, (size_t)f->n_num);
    art_put_doubles(pk, "clip_high", f->hi, (size_t)f->n_num);
    art_put_int32s(pk, "category_missing", miss, (size_t)f->n_cat);
    art_put_strs(pk, "category_fill", fill, (size_t)f->n_cat);
    art_put_int32s(pk, "indicators", ind, (size_t)(f->n_num + f->n_cat));
    free(miss);
    free(ind);
    free(fill);
}

void features_pack(const features_t *f, msgpack_packer *pk)
{
    assert(f && f->ds && f->tc);
    int32_t *ids = xmalloc((size_t)(f->n_terms + 1) * sizeof *ids);
    for (size_t id = 0; id < f->n_ids; id++)
        if (f->col_map[id] >= 0)
            ids[f->col_map[id]] = (int32_t)id; /* ids < 2^31 (textcounts asserts it) */
    const char **text = s_names(f->ds, f->tc->text_cols, f->tc->n_text);
    const char **num = s_names(f->ds, f->num_cols, f->n_num);
    const char **cat = s_names(f->ds, f->cat_cols, f->n_cat);
    int n_cats = f->n_cat ? f->cat_first[f->n_cat - 1] + f->cat_n[f->n_cat - 1] : 0;
    msgpack_pack_map(pk, FEATURES_MAP_LEN);
    art_put_long(pk, "hash_bits", f->o.hash_bits);
    art_put_long(pk, "ngram_max", f->o.ngram_max);
    art_put_long(pk, "min_df", f->o.min_df);
    art_put_long(pk, "sublinear_tf", f->o.sublinear_tf);
    art_put_strs(pk, "text", text, (size_t)f->tc->n_text);
    art_put_int32s(pk, "terms", ids, (size_t)f->n_terms);
    art_put_doubles(pk, "idf", f->idf, (size_t)f->n_terms);
    art_put_int32s(pk, "df", f->df, (size_t)f->n_terms);
    art_put_strs(pk, "numeric", num, (size_t)f->n_num);
    art_put_doubles(pk, "mean", f->mean, (size_t)f->n_num);
    art_put_doubles(pk, "std", f->std, (size_t)f->n_num);
    art_put_strs(pk, "categorical", cat, (size_t)f->n_cat);
    art_put_int32s(pk, "category_counts", f->cat_n, (size_t)f->n_cat);
    art_put_strs(pk, "categories", f->cats, (size_t)n_cats);
    art_put_long(pk, "n_cols", f->n_cols);
    s_pack_cleaning(f, pk);
    free(ids);
    free(text);
    free(num);
    free(cat);
}

/* Names read into f->owned (appended), as a borrowed view array in *view. */
static int s_take_strs(features_t *f, const msgpack_object *map, const char *key,
                       const char ***view, int *n, char *err)
{
    char **s = NULL;
    if (art_get_strs(map, key, &s, n, err) != 0)
        return -1;
    f->owned = xrealloc(f->owned, (size_t)(f->n_owned + *n + 1) * sizeof *f->owned);
    *view = xmalloc((size_t)(*n + 1) * sizeof **view);
    for (int i = 0; i < *n; i++)
        (*view)[i] = f->owned[f->n_owned++] = s[i];
    free(s);
    return 0;
}

static int s_unpack_opts(features_t *f, const msgpack_object *map, char *err)
{
    long v[4];
    const char *keys[] = {"hash_bits", "ngram_max", "min_df", "sublinear_tf"};
    for (int i = 0; i < 4; i++)
        if (art_get_long(map, keys[i], &v[i], err) != 0)
            return -1;
    f->o = (text_opts_t){.hash_bits = (int)v[0], .ngram_max = (int)v[1], .min_df = (int)v[2],
                         .sublinear_tf = v[3] != 0};
    if (v[0] < 10 || v[0] > 24 || v[1] < 1 || v[1] > 2)
        return set_err(err, "artifact: text options out of range");
    return 0;
}

static int s_unpack_text(features_t *f, const msgpack_object *map, char *err)
{
    long n = art_get_count(map, "terms", 4, err);
    if (n < 0 || s_take_strs(f, map, "text", &f->text_names, &f->n_text, err) != 0)
        return -1;
    f->n_terms = (int)n;
    f->term_ids = xmalloc((size_t)(n + 1) * sizeof *f->term_ids);
    f->idf = xmalloc((size_t)(n + 1) * sizeof *f->idf);
    f->df = xmalloc((size_t)(n + 1) * sizeof *f->df);
    if (art_get_int32s(map, "terms", f->term_ids, (size_t)n, err) != 0 ||
        art_get_doubles(map, "idf", f->idf, (size_t)n, err) != 0 ||
        art_get_int32s(map, "df", f->df, (size_t)n, err) != 0)
        return -1;
    int64_t limit = (int64_t)f->n_text << f->o.hash_bits;
    for (long i = 0; i < n; i++)
        if (f->term_ids[i] < 0 || f->term_ids[i] >= limit ||
            (i > 0 && f->term_ids[i] <= f->term_ids[i - 1]))
            return set_err(err, "artifact: terms: ids out of order or range");
    return 0;
}

/* The cleaning keys; a pipeline without them (format version 1) has none: a missing
 * numeric cell is refused at bind, a categorical one is its text. */
static int s_unpack_cleaning(features_t *f, const msgpack_object *map, char *err)
{
    for (int j = 0; j < f->n_num; j++) {
        f->fill[j] = NAN;
        f->lo[j] = -INFINITY;
        f->hi[j] = INFINITY;
    }
    for (int j = 0; j < f->n_num + f->n_cat; j++)
        f->ind[j] = -1;
    for (int j = 0; j < f->n_cat; j++)
        f->cat_miss[j] = FEATURES_MISS_RAW;
    if (!art_get(map, "fill")) {
        f->markers = dataset_missing_default(&f->n_markers);
        return 0;
    }
    f->cleaned = true;
    const char **fills = NULL;
    int n_fill = 0;
    if (s_take_strs(f, map, "missing", &f->markers_view, &f->n_markers, err) != 0 ||
        art_get_doubles(map, "fill", f->fill, (size_t)f->n_num, err) != 0 ||
        art_get_doubles(map, "clip_low", f->lo, (size_t)f->n_num, err) != 0 ||
        art_get_doubles(map, "clip_high", f->hi, (size_t)f->n_num, err) != 0 ||
        art_get_int32s(map, "category_missing", f->cat_miss, (size_t)f->n_cat, err) != 0 ||
        art_get_int32s(map, "indicators", f->ind, (size_t)(f->n_num + f->n_cat), err) != 0 ||
        s_take_strs(f, map, "category_fill", &fills, &n_fill, err) != 0) {
        free(fills);
        return -1;
    }
    f->markers = f->markers_view;
    memcpy(f->cat_fill, fills, (size_t)(n_fill < f->n_cat ? n_fill : f->n_cat) * sizeof *fills);
    free(fills);
    if (n_fill != f->n_cat)
        return set_err(err, "artifact: category_fill: %d values for %d columns", n_fill,
                       f->n_cat);
    for (int j = 0; j < f->n_num; j++)
        if (isinf(f->fill[j]) || isnan(f->lo[j]) || isnan(f->hi[j]) || f->lo[j] > f->hi[j])
            return set_err(err, "artifact: numeric column %d: bad fill or clipping bounds", j);
    /* (a NaN fill: impute none, the cell stays missing; model_io checks the family) */
    for (int j = 0; j < f->n_cat; j++)
        if (f->cat_miss[j] <= FEATURES_MISS_RAW || f->cat_miss[j] > FEATURES_MISS_FILL)
            return set_err(err, "artifact: category_missing: bad value %d", f->cat_miss[j]);
    for (int j = 0; j < f->n_num + f->n_cat; j++)
        f->ind[j] = f->ind[j] ? 0 : -1; /* numbered by features_place */
    return 0;
}

static int s_unpack_columns(features_t *f, const msgpack_object *map, char *err)
{
    int n_cats = 0;
    if (s_take_strs(f, map, "numeric", &f->num_names, &f->n_num, err) != 0 ||
        s_take_strs(f, map, "categorical", &f->cat_names, &f->n_cat, err) != 0 ||
        s_take_strs(f, map, "categories", &f->cats, &n_cats, err) != 0)
        return -1;
    features_alloc_columns(f, f->n_num, f->n_cat);
    long n_cols = 0;
    if (art_get_doubles(map, "mean", f->mean, (size_t)f->n_num, err) != 0 ||
        art_get_doubles(map, "std", f->std, (size_t)f->n_num, err) != 0 ||
        art_get_int32s(map, "category_counts", f->cat_n, (size_t)f->n_cat, err) != 0 ||
        art_get_long(map, "n_cols", &n_cols, err) != 0 || s_unpack_cleaning(f, map, err) != 0)
        return -1;
    for (int j = 0; j < f->n_num; j++)
        if (!isfinite(f->mean[j]) || !isfinite(f->std[j]) || !(f->std[j] > 0))
            return set_err(err, "artifact: numeric column %d: bad mean or std", j);
    int width = 0, first = 0;
    for (int j = 0; j < f->n_cat; j++) {
        if (f->cat_n[j] < 0 || f->cat_n[j] > n_cats - first)
            return set_err(err, "artifact: category_counts: bad count");
        f->cat_first[j] = first;
        f->cat_off[j] = width;
        first += f->cat_n[j];
        width += f->cat_n[j] + (f->cat_miss[j] == FEATURES_MISS_OWN);
    }
    features_place(f, width);
    if (first != n_cats || f->n_cols != n_cols)
        return set_err(err, "artifact: n_cols %ld does not match the pipeline's %d columns",
                       n_cols, f->n_cols);
    return 0;
}

features_t *features_unpack(const msgpack_object *map, char *err)
{
    features_t *f = xcalloc(1, sizeof *f);
    if (s_unpack_opts(f, map, err) != 0 || s_unpack_text(f, map, err) != 0 ||
        s_unpack_columns(f, map, err) != 0)
        features_destroy(&f);
    return f;
}

const char *const *features_missing_markers(const features_t *f, int *n)
{
    *n = f->n_markers;
    return f->markers;
}

void features_columns(const features_t *f, const char *const **text, int *n_text,
                      const char *const **numeric, int *n_numeric,
                      const char *const **categorical, int *n_categorical)
{
    *text = f->text_names;
    *n_text = f->n_text;
    *numeric = f->num_names;
    *n_numeric = f->n_num;
    *categorical = f->cat_names;
    *n_categorical = f->n_cat;
}

const text_opts_t *features_text_opts(const features_t *f) { return &f->o; }

/* Dataset index of name, which must have kind; -1 with err. */
static int s_column(const dataset_t *ds, const char *name, col_kind_t kind, char *err)
{
    static const char *const kinds[] = {"numeric", "text", "categorical"};
    int c = dataset_col_index(ds, name);
    if (c < 0)
        return set_err(err, "%s: no column '%s'", ds->path, name);
    if (ds->cols[c].kind != kind)
        return set_err(err, "%s: column '%s' is %s, the model was trained on it as %s",
                       ds->path, name, kinds[ds->cols[c].kind], kinds[kind]);
    return c;
}

int features_bind(features_t *f, const dataset_t *ds, const textcounts_t *tc, char *err)
{
    assert(f && f->owned && ds && tc);
    for (int j = 0; j < f->n_num; j++) {
        if ((f->num_cols[j] = s_column(ds, f->num_names[j], COL_NUMERIC, err)) < 0)
            return -1;
        if (!f->cleaned && ds->cols[f->num_cols[j]].n_missing > 0)
            return set_err(err, "%s: column '%s' has %d missing cells, and the model (an "
                           "artifact of format version 1) has no imputation for them",
                           ds->path, f->num_names[j], ds->cols[f->num_cols[j]].n_missing);
    }
    for (int j = 0; j < f->n_cat; j++)
        if ((f->cat_cols[j] = s_column(ds, f->cat_names[j], COL_STRING, err)) < 0)
            return -1;
    if (tc->n_text != f->n_text || tc->hash_bits != f->o.hash_bits ||
        tc->ngram_max != f->o.ngram_max)
        return set_err(err, "%s: %d text columns, the model has %d", ds->path, tc->n_text,
                       f->n_text);
    /* The CSV may hold the text columns in another order: a term id carries its column's
     * position, so each saved id is moved to where that column is in this CSV. */
    int *pos = xmalloc((size_t)(f->n_text + 1) * sizeof *pos);
    for (int t = 0; t < f->n_text; t++) {
        pos[t] = -1;
        for (int u = 0; u < tc->n_text && pos[t] < 0; u++)
            if (strcmp(ds->cols[tc->text_cols[u]].name, f->text_names[t]) == 0)
                pos[t] = u;
        if (pos[t] < 0) {
            free(pos);
            return set_err(err, "%s: no text column '%s', which the model needs", ds->path,
                           f->text_names[t]);
        }
    }
    free(f->col_map);
    f->n_ids = (size_t)f->n_text << f->o.hash_bits;
    f->col_map = xmalloc((f->n_ids + 1) * sizeof *f->col_map);
    memset(f->col_map, 0xff, (f->n_ids + 1) * sizeof *f->col_map); /* all -1 */
    uint64_t mask = ((uint64_t)1 << f->o.hash_bits) - 1;
    for (int k = 0; k < f->n_terms; k++) {
        uint64_t id = (uint64_t)f->term_ids[k], t = id >> f->o.hash_bits;
        f->col_map[((uint64_t)pos[t] << f->o.hash_bits) | (id & mask)] = k;
    }
    free(pos);
    f->ds = ds;
    f->tc = tc;
    return 0;
}

/* ---- tests ---- */

/* The map m without the keys of version 2 (what a version 1 writer wrote). */
static msgpack_object s_without_cleaning(const msgpack_object *m, msgpack_object_kv *kv)
{
    static const char *const v2[] = {"missing", "fill", "clip_low", "clip_high",
                                     "category_missing", "category_fill", "indicators"};
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object_str *k = &m->via.map.ptr[i].key.via.str;
        bool drop = false;
        for (size_t j = 0; j < ARRAY_SIZE(v2); j++)
            drop |= k->size == strlen(v2[j]) && !memcmp(k->ptr, v2[j], k->size);
        if (!drop)
            kv[n++] = m->via.map.ptr[i];
    }
    return (msgpack_object){.type = MSGPACK_OBJECT_MAP, .via.map = {.size = n, .ptr = kv}};
}

void features_io_test(bool verbose)
{
    if (verbose)
        printf(" * features_io:\n");
    const char *csv = "x,c,label\n1,a,0\n2,a,1\n3,b,0\nNA,NA,1\n100,b,0\n";
    char err[HPS_ERR_LEN];
    dataset_t *ds = dataset_parse(csv, strlen(csv), "m.csv", &(dataset_opts_t){0}, err);
    text_opts_t o;
    text_opts_default(&o);
    textcounts_t *tc = textcounts_get(ds, &o, NULL);
    clean_opts_t co = {.all = {.strategy = CLEAN_MEDIAN, .add_indicator = true},
                       .all_set = true, .clip = true, .q_low = 0.1, .q_high = 0.9};
    int rows[] = {0, 1, 2, 3, 4};
    features_t *f = features_fit(ds, tc, &o, &co, rows, 4, NULL, 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    features_pack(f, &pk);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    assert(msgpack_unpack_next(&up, sb.data, sb.size, NULL) == MSGPACK_UNPACK_SUCCESS);
    /* Read back and bound to the same data: the same matrix, to the last bit. */
    features_t *g = features_unpack(&up.data, err);
    assert(g && g->cleaned && features_bind(g, ds, tc, err) == 0);
    assert(g->n_cols == f->n_cols && g->n_ind == 2 && g->hi[0] == f->hi[0]);
    fmat_t a, b;
    features_transform(f, rows, 5, &a);
    features_transform(g, rows, 5, &b);
    assert(!memcmp(a.dense, b.dense, (size_t)5 * (size_t)f->n_cols * sizeof(double)));
    fmat_free(&a);
    fmat_free(&b);
    features_destroy(&g);
    /* A version 1 pipeline: no cleaning; a missing number is refused at bind. */
    msgpack_object_kv kv[64];
    assert(up.data.via.map.size <= ARRAY_SIZE(kv));
    msgpack_object v1 = s_without_cleaning(&up.data, kv);
    g = features_unpack(&v1, err);
    assert(!g); /* n_cols counts the indicators and the missing category */
    features_destroy(&f);
    co = (clean_opts_t){0};
    f = features_fit(ds, tc, &o, &co, rows, 3, NULL, 0); /* fit rows miss nothing */
    msgpack_sbuffer_clear(&sb);
    features_pack(f, &pk);
    assert(msgpack_unpack_next(&up, sb.data, sb.size, NULL) == MSGPACK_UNPACK_SUCCESS);
    v1 = s_without_cleaning(&up.data, kv);
    g = features_unpack(&v1, err);
    assert(g && !g->cleaned && isnan(g->fill[0]) && g->cat_miss[0] == FEATURES_MISS_RAW);
    assert(features_bind(g, ds, tc, err) != 0);
    assert(strstr(err, "m.csv: column 'x' has 1 missing cells, and the model (an artifact of "
                       "format version 1) has no imputation for them"));
    features_destroy(&g);
    features_destroy(&f);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    textcounts_destroy(&tc);
    dataset_destroy(&ds);
}
