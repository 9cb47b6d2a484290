/* features_io — a fitted feature transform into a model artifact and back (the
 * "pipeline" map of docs/artifacts.md), and a read one bound to new data.
 *
 * What is saved: the text options (hash_bits, ngram_max, min_df, sublinear_tf), the text
 * columns by name, the active hashed term ids with their idf and document frequency,
 * the numeric columns with their training mean and std, the categorical columns with
 * their categories in order, the output width, and the cleaning (format version 2):
 * missing markers, fill values, clipping bounds, what a missing category becomes and the
 * missing indicators. Values are saved bit for bit, so a bound transform gives the same
 * matrix as the fitted one on the same rows. */
#ifndef HPS_FEATURES_IO_H
#define HPS_FEATURES_IO_H

#include <msgpack.h>

#include "objectives/features.h"

/* Pack f as one msgpack map. */
void features_pack(const features_t *f, msgpack_packer *pk);
/* Read a pipeline map: an unbound transform (usable by features_bind and the
 * accessors below only), or NULL with err. Caller frees with features_destroy. */
features_t *features_unpack(const msgpack_object *map, char *err);
/* The columns a read pipeline needs, by role (borrowed names). */
void features_columns(const features_t *f, const char *const **text, int *n_text,
                      const char *const **numeric, int *n_numeric,
                      const char *const **categorical, int *n_categorical);
/* Bind a read pipeline to ds (loaded with the text, numeric and categorical columns
 * declared) and its text counts (made with features_text_opts): column indexes by
 * name, kinds checked. 0, or -1 with err. Then features_transform works on ds's rows. */
int features_bind(features_t *f, const dataset_t *ds, const textcounts_t *tc, char *err);
const text_opts_t *features_text_opts(const features_t *f);
/* The missing-value markers of the training data (the loader's defaults for a version 1
 * artifact): a predict CSV is read with them. Borrowed. */
const char *const *features_missing_markers(const features_t *f, int *n);

void features_io_test(bool verbose);

#endif
