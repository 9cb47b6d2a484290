/* fixture — scikit-learn reference solutions for the model tests (see fixture.h). */
#include "objectives/fixture.h"

#include <stdlib.h>
#include <string.h>

/* Next whitespace-separated number of *p; -1 at the end or on a bad token. */
static int s_next(char **p, double *out)
{
    char *s = *p + strspn(*p, " \t\r\n");
    size_t len = strcspn(s, " \t\r\n");
    if (len == 0)
        return -1;
    char save = s[len];
    s[len] = '\0';
    int rc = parse_double(s, out);
    s[len] = save;
    *p = s + len;
    return rc;
}

int fixture_load(const char *path, fixture_t *fx, char *err)
{
    memset(fx, 0, sizeof *fx);
    char *text = file_read(path, NULL, err);
    if (!text)
        return -1;
    char *p = text;
    double h[4];
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = s_next(&p, &h[i]);
    fx->n = (int)h[0];
    fx->d = (int)h[1];
    fx->n_classes = (int)h[2];
    fx->reg = h[3];
    if (rc != 0 || fx->n < 1 || fx->d < 1 || fx->n_classes < 0) {
        free(text);
        return set_err(err, "%s: bad header", path);
    }
    fx->n_vec = fx->n_classes > 2 ? fx->n_classes : 1;
    fx->X = xmalloc((size_t)fx->n * fx->d * sizeof(double));
    fx->y = xmalloc((size_t)fx->n * sizeof(double));
    fx->coef = xmalloc((size_t)fx->n_vec * (fx->d + 1) * sizeof(double));
    for (int i = 0; i < fx->n && rc == 0; i++) {
        for (int j = 0; j < fx->d && rc == 0; j++)
            rc = s_next(&p, &fx->X[(size_t)i * fx->d + j]);
        if (rc == 0)
            rc = s_next(&p, &fx->y[i]);
    }
    for (int i = 0; i < fx->n_vec * (fx->d + 1) && rc == 0; i++)
        rc = s_next(&p, &fx->coef[i]);
    free(text);
    if (rc != 0) {
        fixture_free(fx);
        return set_err(err, "%s: truncated or malformed", path);
    }
    return 0;
}

void fixture_free(fixture_t *fx)
{
    free(fx->X);
    free(fx->y);
    free(fx->coef);
    memset(fx, 0, sizeof *fx);
}

void fixture_csr(const fixture_t *fx, fmat_t *out)
{
    memset(out, 0, sizeof *out);
    size_t cells = (size_t)fx->n * fx->d;
    out->indptr = xmalloc((size_t)(fx->n + 1) * sizeof *out->indptr);
    out->indices = xmalloc(cells * sizeof *out->indices);
    out->values = xmalloc(cells * sizeof *out->values);
    int64_t nnz = 0;
    out->indptr[0] = 0;
    for (int i = 0; i < fx->n; i++) {
        for (int j = 0; j < fx->d; j++) {
            double v = fx->X[(size_t)i * fx->d + j];
            if (v == 0)
                continue;
            out->indices[nnz] = j;
            out->values[nnz++] = v;
        }
        out->indptr[i + 1] = nnz;
    }
    out->m = (fmatrix_t){.n_rows = fx->n, .n_cols = fx->d, .indptr = out->indptr,
                         .indices = out->indices, .values = out->values};
}
