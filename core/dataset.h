/* dataset — a CSV file with a header loaded into typed columns.
 *
 * The tokenising is libcsv's (RFC 4180: quoted fields, doubled quotes, embedded
 * newlines); this module feeds it one physical line at a time so every error can say
 * "file:line: message" with the line on which the offending record starts.
 *
 * Column roles:
 *   - the label (classification) or target (regression) column: becomes y;
 *   - text columns (declared): kept as strings, turned into TF-IDF features later;
 *   - numeric columns: declared, or detected (every value that is not a missing marker
 *     parses as a number);
 *   - any other column holds strings: categorical features, or a split column
 *     (`split: train|test`) that evaluation reads and never uses as a feature.
 *
 * Missing values: a feature-side numeric or string cell equal to one of the missing
 * markers (exact, case-sensitive match; DATASET_MISSING_DEFAULT unless the caller gives
 * its own list) is missing: a numeric column keeps its type, the cell is NaN and
 * flagged in `missing`; a string cell keeps its text and is flagged. Text columns and
 * the label/target are never missing (an empty label is an error). A column that is
 * mostly numbers (more numbers than other non-missing strings) but holds some other
 * strings is an error naming the first lines, unless declared a string column: it is a
 * typo or an unlisted marker far more often than a categorical column.
 *
 * Classification labels that are all integers keep their numeric order (class k is
 * the k-th smallest value); otherwise labels are strings in byte order, as sklearn's
 * LabelEncoder does. For binary tasks class index 1 is the positive class.
 *
 * All strings live in one arena owned by the dataset, so a 50k-row file costs a few
 * allocations, not one per cell. */
#ifndef HPS_DATASET_H
#define HPS_DATASET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

typedef enum { COL_NUMERIC = 0, COL_TEXT, COL_STRING } col_kind_t;

typedef struct {
    char *name;      /* owned */
    col_kind_t kind;
    double *num;     /* COL_NUMERIC: n_rows values; owned */
    char **str;      /* COL_TEXT / COL_STRING: n_rows pointers into the arena; owned array */
    bool *missing;   /* n_rows flags, NULL when no cell is missing; owned. A missing numeric
                        cell is also NaN (every other numeric cell is finite) */
    int n_missing;   /* cells flagged */
} dataset_col_t;

typedef struct {
    char *path;            /* as given; owned */
    char sha256[65];       /* of the file bytes: the content key for caches */
    int n_rows;
    int n_cols;            /* feature-side columns (label/target excluded) */
    dataset_col_t *cols;   /* owned, n_cols, in file order */
    bool classification;   /* label column (true) or target column (false) */
    char *y_name;          /* name of the label/target column; owned */
    double *y;             /* class index 0..n_classes-1, or the target; owned */
    int n_classes;         /* 0 for regression */
    char **class_names;    /* n_classes label texts, pointers into the arena; owned array */
    char *arena;           /* every field's bytes, NUL-terminated; owned */
    int *row_line;         /* the file line each data row starts on (for errors); owned */
} dataset_t;

/* Which columns play which role. Names are borrowed for the duration of the load. */
typedef struct {
    const char *label;            /* classification column; NULL = none */
    const char *target;           /* regression column; NULL = none */
    const char *const *text;      /* declared text columns */
    int n_text;
    const char *const *numeric;   /* declared numeric columns (a bad value is an error) */
    int n_numeric;
    const char *const *strings;   /* declared string (categorical) columns: never typed
                                     numeric even when every value is a number */
    int n_strings;
    bool no_y;                    /* no label/target: every column is a feature column,
                                     y is NULL (data to predict on) */
    const char *const *missing;   /* missing-value markers; NULL = DATASET_MISSING_DEFAULT
                                     (n_missing 0 with a non-NULL list: no markers) */
    int n_missing;
} dataset_opts_t;

/* The markers of a missing value when none are configured: the empty cell and the usual
 * spellings of R, pandas, SQL and JSON dumps. */
#define DATASET_MISSING_DEFAULT {"", "NA", "N/A", "NaN", "nan", "null", "NULL"}
/* The default markers (a static list of *n entries). */
const char *const *dataset_missing_default(int *n);

/* Load a CSV file. With neither label nor target given, a column named "label" makes a
 * classification task, else one named "target" a regression task. NULL with err
 * "file:line: message" on any bad input (the caller exits 2). Caller frees. */
dataset_t *dataset_load(const char *path, const dataset_opts_t *opts, char *err);
/* The same from bytes in memory; name is used in messages and as path. */
dataset_t *dataset_parse(const char *buf, size_t len, const char *name,
                         const dataset_opts_t *opts, char *err);
void dataset_destroy(dataset_t **self_p);

/* Index of a feature-side column by name; -1 when absent. */
int dataset_col_index(const dataset_t *ds, const char *name);

void dataset_test(bool verbose);

#endif
