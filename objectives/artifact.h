/* artifact — the container of a saved model (docs/artifacts.md): a fixed header, then
 * one msgpack map as the payload.
 *
 *   offset  size  field
 *   0       8     magic "HPSMODEL"
 *   8       4     format version, unsigned little-endian (ARTIFACT_VERSION)
 *   12      32    SHA-256 of the payload
 *   44      8     payload length, unsigned little-endian
 *   52      n     payload: a msgpack map (the pipeline and the model: objectives/model_io.c)
 *
 * Arrays of numbers are msgpack bin values holding IEEE-754 little-endian doubles (or
 * floats), so every value comes back bit for bit. This module has the container and
 * the typed pack/get helpers the models and the pipeline use; what goes in the map is
 * theirs. */
#ifndef HPS_ARTIFACT_H
#define HPS_ARTIFACT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARTIFACT_MAGIC "HPSMODEL"
#define ARTIFACT_VERSION 2u     /* written; 2 added the pipeline's cleaning keys */
#define ARTIFACT_VERSION_MIN 1u /* the oldest read */
#define ARTIFACT_HEADER_LEN 52

/* Write header + payload to path atomically. -1 with err. */
int artifact_write(const char *path, const void *payload, size_t len, char *err);
/* Read path and check its magic, version, length and checksum; the payload (owned,
 * caller frees) or NULL with err ("PATH: not an hps model artifact", "format version 7
 * is not supported by this hps (1)", "checksum mismatch: the file is corrupt"). */
char *artifact_read(const char *path, size_t *len, char *err);

/* Packing: a key then a value, into a map the caller opened with the right count. */
void art_pack_str(msgpack_packer *pk, const char *s);
void art_put_str(msgpack_packer *pk, const char *key, const char *s);
void art_put_long(msgpack_packer *pk, const char *key, long v);
void art_put_double(msgpack_packer *pk, const char *key, double v);
void art_put_doubles(msgpack_packer *pk, const char *key, const double *v, size_t n);
void art_put_floats(msgpack_packer *pk, const char *key, const float *v, size_t n);
void art_put_int32s(msgpack_packer *pk, const char *key, const int32_t *v, size_t n);
void art_put_bin(msgpack_packer *pk, const char *key, const void *v, size_t n);
/* An array of n strings. */
void art_put_strs(msgpack_packer *pk, const char *key, const char *const *v, size_t n);

/* Reading from a map; every getter fails with "artifact: KEY: ..." in err. */
const msgpack_object *art_get(const msgpack_object *map, const char *key);
int art_get_long(const msgpack_object *map, const char *key, long *out, char *err);
int art_get_double(const msgpack_object *map, const char *key, double *out, char *err);
/* A bin of exactly n values into out[n]. */
int art_get_doubles(const msgpack_object *map, const char *key, double *out, size_t n,
                    char *err);
int art_get_floats(const msgpack_object *map, const char *key, float *out, size_t n,
                   char *err);
int art_get_int32s(const msgpack_object *map, const char *key, int32_t *out, size_t n,
                   char *err);
/* The element count of a bin of 4- or 8-byte values (width), or -1 with err. */
long art_get_count(const msgpack_object *map, const char *key, size_t width, char *err);
/* A bin: borrowed bytes and length, or NULL with err. */
const char *art_get_bin(const msgpack_object *map, const char *key, size_t *len, char *err);
/* A string, copied (caller frees), or NULL with err. */
char *art_get_str(const msgpack_object *map, const char *key, char *err);
/* An array of strings: *n and an owned array of owned copies, or -1 with err. */
int art_get_strs(const msgpack_object *map, const char *key, char ***out, int *n, char *err);
void art_strs_free(char **v, int n);

void artifact_test(bool verbose);

#endif
