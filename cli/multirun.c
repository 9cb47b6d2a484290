/* multirun — expanding swept overrides into combinations (see multirun.h). */
#include "cli/multirun.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"

/* The values of one override: 1 when it does not sweep, else the comma-separated
 * parts (each a fresh string in *parts, caller frees). -1 with err for an empty part. */
static int s_split(const char *over, char ***parts, char *err)
{
    const char *eq = strchr(over, '=');
    const char *v = eq ? eq + 1 : over;
    *parts = NULL;
    int n = 0, depth = 0;
    char quote = 0;
    const char *start = v;
    for (const char *c = v;; c++) {
        if (*c && quote) {
            quote = *c == quote ? 0 : quote;
            continue;
        }
        if (*c == '\'' || *c == '"')
            quote = *c;
        else if (*c == '[' || *c == '{')
            depth++;
        else if ((*c == ']' || *c == '}') && depth > 0)
            depth--;
        if (*c && (*c != ',' || depth > 0))
            continue;
        if (c == start && (n > 0 || *c)) { /* "k=" alone is the config's error */
            for (int i = 0; i < n; i++)
                free((*parts)[i]);
            free(*parts);
            *parts = NULL;
            return set_err(err, "override '%s': value %d is empty", over, n + 1);
        }
        *parts = xrealloc(*parts, sizeof **parts * (size_t)(n + 1));
        (*parts)[n++] = xstrndup(start, (size_t)(c - start));
        if (!*c)
            break;
        start = c + 1;
    }
    return n;
}

bool multirun_sweeps(const char *override)
{
    char **parts, err[HPS_ERR_LEN];
    int n = s_split(override, &parts, err);
    for (int i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
    return n != 1; /* an empty part also sweeps: multirun_expand says what is wrong */
}

/* Whether key names a config group: a folder beside the config. */
static bool s_is_group(const char *config, const char *key)
{
    const char *slash = strrchr(config, '/');
    char *dir = slash ? xstrndup(config, (size_t)(slash - config)) : xstrdup(".");
    char *path = xasprintf("%s/%s", dir, key);
    struct stat st;
    bool group = !strchr(key, '.') && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    free(path);
    free(dir);
    return group;
}

typedef struct {
    char *key;    /* owned; the key as written (a leading '+' kept) */
    int n;        /* values; 1 = not swept */
    char **vals;  /* owned */
    bool group;
} s_axis_t;

static void s_axes_free(s_axis_t *a, int n)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < a[i].n; k++)
            free(a[i].vals[k]);
        free(a[i].vals);
        free(a[i].key);
    }
    free(a);
}

/* Read every override into an axis; -1 with err on an empty or repeated value or too
 * many combinations. *count: the number of combinations. */
static int s_axes(const char *config, int n_over, char *const *over, s_axis_t *ax, long *count,
                  char *err)
{
    *count = 1;
    for (int i = 0; i < n_over; i++) {
        const char *eq = strchr(over[i], '=');
        if (!eq)
            return set_err(err, "override '%s': expected key=value", over[i]);
        ax[i].key = xstrndup(over[i], (size_t)(eq - over[i]));
        ax[i].n = s_split(over[i], &ax[i].vals, err);
        if (ax[i].n < 0) {
            ax[i].n = 0;
            return -1;
        }
        for (int k = 0; k < ax[i].n; k++)
            for (int j = 0; j < k; j++)
                if (strcmp(ax[i].vals[j], ax[i].vals[k]) == 0)
                    return set_err(err, "override '%s': value '%s' is given twice", over[i],
                                   ax[i].vals[k]);
        const char *key = ax[i].key;
        while (*key == '+')
            key++;
        ax[i].group = s_is_group(config, key);
        *count *= ax[i].n;
        if (*count > MULTIRUN_MAX)
            return set_err(err, "--multirun: more than %d combinations", MULTIRUN_MAX);
    }
    return 0;
}

int multirun_expand(const char *config, int n_over, char *const *over, multirun_t *out,
                    char *err)
{
    assert(config && out && (n_over == 0 || over));
    *out = (multirun_t){0};
    s_axis_t *ax = xcalloc((size_t)n_over + 1, sizeof *ax);
    long count;
    if (s_axes(config, n_over, over, ax, &count, err) != 0) {
        s_axes_free(ax, n_over);
        return -1;
    }
    out->n = (int)count;
    out->n_over = n_over;
    out->over = xcalloc((size_t)count * (size_t)n_over + 1, sizeof *out->over);
    out->suffix = xcalloc((size_t)count, sizeof *out->suffix);
    for (long c = 0; c < count; c++) {
        strbuf_t sb;
        sb_init(&sb);
        sb_puts(&sb, "");
        long rest = c;
        for (int i = n_over - 1; i >= 0; i--) { /* mixed radix: the first axis slowest */
            const s_axis_t *a = &ax[i];
            const char *v = a->vals[rest % a->n];
            rest /= a->n;
            out->over[c * n_over + i] = xasprintf("%s=%s", a->key, v);
        }
        for (int i = 0; i < n_over; i++) {
            const s_axis_t *a = &ax[i];
            const char *kv = out->over[c * n_over + i];
            const char *key = a->key, *v = strchr(kv, '=') + 1;
            while (*key == '+')
                key++;
            if (a->n == 1 || strcmp(key, "study") == 0)
                continue; /* fixed, or the name itself */
            if (a->group)
                sb_printf(&sb, "-%s", v);
            else
                sb_printf(&sb, "-%s=%s", key, v);
        }
        out->suffix[c] = sb_take(&sb);
        /* '@' and ':' separate a model reference's parts (core/study.h): not in a name */
        for (char *p = out->suffix[c]; (p = strpbrk(p, "@:")); p++)
            *p = '_';
    }
    s_axes_free(ax, n_over);
    return 0;
}

void multirun_free(multirun_t *m)
{
    for (long i = 0; i < (long)m->n * m->n_over; i++)
        free(m->over[i]);
    for (int i = 0; i < m->n; i++)
        free(m->suffix[i]);
    free(m->over);
    free(m->suffix);
    *m = (multirun_t){0};
}

/* ---- self-test ----------------------------------------------------------------------- */

void multirun_test(bool verbose)
{
    (void)verbose;
    printf(" * multirun: ");
    assert(multirun_sweeps("model=a,b") && !multirun_sweeps("model=a"));
    assert(!multirun_sweeps("k=[a,b]") && !multirun_sweeps("k='a,b'"));
    assert(!multirun_sweeps("k={x: 1, y: 2}") && multirun_sweeps("k=[a,b],[c]"));
    assert(multirun_sweeps("k=a,") && !multirun_sweeps("k=\"a,b\"") && !multirun_sweeps("k="));
    assert(multirun_sweeps("k=,a"));
    multirun_t m;
    char err[HPS_ERR_LEN];
    char *over[] = {"model=logreg,xgboost", "sampler.seed=7", "n_trials=10,20,30"};
    /* configs/ has a model folder: "model" is a group, n_trials is not. */
    assert(multirun_expand("configs/reviews.yaml", 3, over, &m, err) == 0);
    assert(m.n == 6 && m.n_over == 3);
    assert(strcmp(m.over[0], "model=logreg") == 0 && strcmp(m.over[1], "sampler.seed=7") == 0);
    assert(strcmp(m.over[2], "n_trials=10") == 0 && strcmp(m.over[5], "n_trials=20") == 0);
    assert(strcmp(m.over[15], "model=xgboost") == 0 && strcmp(m.over[17], "n_trials=30") == 0);
    assert(strcmp(m.suffix[0], "-logreg-n_trials=10") == 0);
    assert(strcmp(m.suffix[5], "-xgboost-n_trials=30") == 0);
    multirun_free(&m);
    assert(multirun_expand("configs/reviews.yaml", 0, NULL, &m, err) == 0 && m.n == 1);
    assert(strcmp(m.suffix[0], "") == 0);
    multirun_free(&m);
    char *bad[] = {"model=logreg,,xgboost"};
    assert(multirun_expand("configs/reviews.yaml", 1, bad, &m, err) == -1);
    assert(strcmp(err, "override 'model=logreg,,xgboost': value 2 is empty") == 0);
    char *twice[] = {"n_trials=5,5"};
    assert(multirun_expand("x.yaml", 1, twice, &m, err) == -1);
    assert(strcmp(err, "override 'n_trials=5,5': value '5' is given twice") == 0);
    char *many[] = {"a=1,2,3,4,5,6,7,8,9,10", "b=1,2,3,4,5,6,7,8,9,10",
                    "c=1,2,3,4,5,6,7,8,9,10,11"};
    assert(multirun_expand("x.yaml", 3, many, &m, err) == -1 && strstr(err, "more than 1000"));
    printf("OK\n");
}
