/* fuzz_csv — libFuzzer target for the CSV loader (core/dataset.c, dataset_parse: the
 * bytes dataset_load reads from a file). Each input is loaded twice: with the roles
 * detected (a "label" or "target" column) and with them declared the way the bad-input
 * tests do (label, a text column, a numeric column). A load either succeeds with a
 * consistent dataset or fails with "name:line: message"; never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dataset.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every cell so that ASan sees a column shorter than n_rows or a string that is
 * not terminated. */
static void s_walk(const dataset_t *ds)
{
    size_t total = 0;
    for (int r = 0; r < ds->n_rows; r++) {
        if (ds->classification && (ds->y[r] < 0 || ds->y[r] >= ds->n_classes))
            abort(); /* a class index out of range */
        for (int c = 0; c < ds->n_cols; c++)
            total += ds->cols[c].kind == COL_NUMERIC ? (ds->cols[c].num[r] != 0)
                                                     : strlen(ds->cols[c].str[r]);
    }
    for (int k = 0; k < ds->n_classes; k++)
        total += strlen(ds->class_names[k]);
    if (total == SIZE_MAX)
        abort(); /* keeps the loop */
}

static void s_load(const uint8_t *data, size_t size, const dataset_opts_t *opts)
{
    char err[HPS_ERR_LEN];
    err[0] = '\0';
    dataset_t *ds = dataset_parse((const char *)data, size, "fuzz.csv", opts, err);
    if (!ds) {
        if (strncmp(err, "fuzz.csv", 8) != 0)
            abort(); /* every error names the file */
        return;
    }
    s_walk(ds);
    dataset_destroy(&ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const text[] = {"text"};
    static const char *const numeric[] = {"n"};
    const dataset_opts_t detect = {0};
    const dataset_opts_t declared = {.label = "label", .text = text, .n_text = 1,
                                     .numeric = numeric, .n_numeric = 1};
    s_load(data, size, &detect);
    s_load(data, size, &declared);
    return 0;
}
