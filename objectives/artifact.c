/* artifact — the model container and its typed msgpack helpers (see artifact.h). */
#include "objectives/artifact.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

#define ART_MAX_LEN ((size_t)1 << 31) /* 2 GiB: far above any model hps fits */

static void s_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t s_from_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int artifact_write(const char *path, const void *payload, size_t len, char *err)
{
    unsigned char *buf = xmalloc(ARTIFACT_HEADER_LEN + len);
    memcpy(buf, ARTIFACT_MAGIC, 8);
    s_le(buf + 8, ARTIFACT_VERSION, 4);
    crypto_hash_sha256(buf + 12, payload, len);
    s_le(buf + 44, len, 8);
    memcpy(buf + ARTIFACT_HEADER_LEN, payload, len);
    int rc = file_write_atomic(path, buf, ARTIFACT_HEADER_LEN + len, err);
    free(buf);
    return rc;
}

char *artifact_read(const char *path, size_t *len, char *err)
{
    size_t n = 0;
    char *buf = file_read_max(path, ART_MAX_LEN, &n, err);
    if (!buf)
        return NULL;
    const unsigned char *u = (const unsigned char *)buf;
    unsigned char sum[crypto_hash_sha256_BYTES];
    int rc = 0;
    if (n < ARTIFACT_HEADER_LEN || memcmp(buf, ARTIFACT_MAGIC, 8) != 0) {
        rc = set_err(err, "%s: not an hps model artifact (no %s header)", path,
                     ARTIFACT_MAGIC);
    } else if (s_from_le(u + 8, 4) < ARTIFACT_VERSION_MIN ||
               s_from_le(u + 8, 4) > ARTIFACT_VERSION) {
        rc = set_err(err, "%s: artifact format version %llu is not supported by this hps "
                     "(it reads versions %u to %u)", path,
                     (unsigned long long)s_from_le(u + 8, 4), ARTIFACT_VERSION_MIN,
                     ARTIFACT_VERSION);
    } else if (s_from_le(u + 44, 8) != n - ARTIFACT_HEADER_LEN) {
        rc = set_err(err, "%s: truncated artifact (%llu payload bytes announced, %zu present)",
                     path, (unsigned long long)s_from_le(u + 44, 8), n - ARTIFACT_HEADER_LEN);
    } else {
        crypto_hash_sha256(sum, u + ARTIFACT_HEADER_LEN, n - ARTIFACT_HEADER_LEN);
        if (memcmp(sum, u + 12, sizeof sum) != 0)
            rc = set_err(err, "%s: artifact checksum mismatch: the file is corrupt", path);
    }
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    *len = n - ARTIFACT_HEADER_LEN;
    memmove(buf, buf + ARTIFACT_HEADER_LEN, *len);
    return buf;
}

/* ---- packing ---- */

void art_pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void art_put_str(msgpack_packer *pk, const char *key, const char *s)
{
    art_pack_str(pk, key);
    art_pack_str(pk, s);
}

void art_put_long(msgpack_packer *pk, const char *key, long v)
{
    art_pack_str(pk, key);
    msgpack_pack_int64(pk, v);
}

void art_put_double(msgpack_packer *pk, const char *key, double v)
{
    art_put_doubles(pk, key, &v, 1);
}

void art_put_bin(msgpack_packer *pk, const char *key, const void *v, size_t n)
{
    art_pack_str(pk, key);
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, v, n);
}

/* n values of width bytes each, little-endian, from the bit patterns bits(i). */
#define ART_PUT_LE(pk, key, v, n, width, utype)                                           \
    do {                                                                                  \
        unsigned char *b_ = xmalloc((n) * (width) + 1);                                   \
        for (size_t i_ = 0; i_ < (n); i_++) {                                             \
            utype u_;                                                                     \
            memcpy(&u_, &(v)[i_], sizeof u_);                                             \
            s_le(b_ + i_ * (width), u_, (width));                                         \
        }                                                                                 \
        art_put_bin((pk), (key), b_, (n) * (width));                                      \
        free(b_);                                                                         \
    } while (0)

void art_put_doubles(msgpack_packer *pk, const char *key, const double *v, size_t n)
{
    ART_PUT_LE(pk, key, v, n, 8, uint64_t);
}

void art_put_floats(msgpack_packer *pk, const char *key, const float *v, size_t n)
{
    ART_PUT_LE(pk, key, v, n, 4, uint32_t);
}

void art_put_int32s(msgpack_packer *pk, const char *key, const int32_t *v, size_t n)
{
    ART_PUT_LE(pk, key, v, n, 4, uint32_t);
}

void art_put_strs(msgpack_packer *pk, const char *key, const char *const *v, size_t n)
{
    art_pack_str(pk, key);
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        art_pack_str(pk, v[i]);
}

/* ---- reading ---- */

const msgpack_object *art_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
            memcmp(k->via.str.ptr, key, kl) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

int art_get_long(const msgpack_object *map, const char *key, long *out, char *err)
{
    const msgpack_object *v = art_get(map, key);
    if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= (uint64_t)INT32_MAX)
        *out = (long)v->via.u64;
    else if (v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && v->via.i64 >= INT32_MIN)
        *out = (long)v->via.i64;
    else
        return set_err(err, "artifact: %s: missing or not an integer", key);
    return 0;
}

const char *art_get_bin(const msgpack_object *map, const char *key, size_t *len, char *err)
{
    const msgpack_object *v = art_get(map, key);
    if (!v || v->type != MSGPACK_OBJECT_BIN) {
        set_err(err, "artifact: %s: missing or not binary", key);
        return NULL;
    }
    *len = v->via.bin.size;
    return v->via.bin.ptr;
}

long art_get_count(const msgpack_object *map, const char *key, size_t width, char *err)
{
    size_t len = 0;
    if (!art_get_bin(map, key, &len, err))
        return -1;
    if (len % width != 0)
        return set_err(err, "artifact: %s: %zu bytes is not a whole number of values", key,
                       len);
    return (long)(len / width);
}

#define ART_GET_LE(map, key, out, n, width, utype, err)                                   \
    do {                                                                                  \
        size_t len_ = 0;                                                                  \
        const unsigned char *b_ =                                                         \
            (const unsigned char *)art_get_bin((map), (key), &len_, (err));               \
        if (!b_)                                                                          \
            return -1;                                                                    \
        if (len_ != (n) * (width))                                                        \
            return set_err((err), "artifact: %s: %zu bytes, expected %zu", (key), len_,   \
                           (n) * (width));                                                \
        for (size_t i_ = 0; i_ < (n); i_++) {                                             \
            utype u_ = (utype)s_from_le(b_ + i_ * (width), (width));                      \
            memcpy(&(out)[i_], &u_, sizeof u_);                                           \
        }                                                                                 \
        return 0;                                                                         \
    } while (0)

int art_get_doubles(const msgpack_object *map, const char *key, double *out, size_t n,
                    char *err)
{
    ART_GET_LE(map, key, out, n, 8, uint64_t, err);
}

int art_get_floats(const msgpack_object *map, const char *key, float *out, size_t n, char *err)
{
    ART_GET_LE(map, key, out, n, 4, uint32_t, err);
}

int art_get_int32s(const msgpack_object *map, const char *key, int32_t *out, size_t n,
                   char *err)
{
    ART_GET_LE(map, key, out, n, 4, uint32_t, err);
}

int art_get_double(const msgpack_object *map, const char *key, double *out, char *err)
{
    return art_get_doubles(map, key, out, 1, err);
}

static char *s_str_copy(const msgpack_object *v)
{
    char *s = xmalloc(v->via.str.size + 1);
    memcpy(s, v->via.str.ptr, v->via.str.size);
    s[v->via.str.size] = '\0';
    return s;
}

char *art_get_str(const msgpack_object *map, const char *key, char *err)
{
    const msgpack_object *v = art_get(map, key);
    if (!v || v->type != MSGPACK_OBJECT_STR) {
        set_err(err, "artifact: %s: missing or not a string", key);
        return NULL;
    }
    return s_str_copy(v);
}

int art_get_strs(const msgpack_object *map, const char *key, char ***out, int *n, char *err)
{
    const msgpack_object *v = art_get(map, key);
    *out = NULL;
    *n = 0;
    if (!v || v->type != MSGPACK_OBJECT_ARRAY)
        return set_err(err, "artifact: %s: missing or not a list", key);
    char **s = xcalloc(v->via.array.size + 1, sizeof *s);
    for (uint32_t i = 0; i < v->via.array.size; i++) {
        if (v->via.array.ptr[i].type != MSGPACK_OBJECT_STR) {
            art_strs_free(s, (int)i);
            return set_err(err, "artifact: %s: item %u is not a string", key, i);
        }
        s[i] = s_str_copy(&v->via.array.ptr[i]);
    }
    *out = s;
    *n = (int)v->via.array.size;
    return 0;
}

void art_strs_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void artifact_test(bool verbose)
{
    if (verbose)
        printf(" * artifact:\n");
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    double d[3] = {0.1, -1e-300, 1.0 / 3};
    float f[2] = {0.1f, 3.5f};
    const char *names[] = {"a", "b,c"};
    msgpack_pack_map(&pk, 5);
    art_put_doubles(&pk, "d", d, 3);
    art_put_floats(&pk, "f", f, 2);
    art_put_long(&pk, "n", -7);
    art_put_str(&pk, "s", "hi");
    art_put_strs(&pk, "names", names, 2);
    char path[] = "/tmp/hps-artifact-XXXXXX";
    int fd = mkstemp(path);
    assert(fd >= 0 && close(fd) == 0);
    char err[HPS_ERR_LEN];
    assert(artifact_write(path, sb.data, sb.size, err) == 0);
    msgpack_sbuffer_destroy(&sb);
    size_t len = 0;
    char *payload = artifact_read(path, &len, err);
    assert(payload);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    assert(msgpack_unpack_next(&up, payload, len, NULL) == MSGPACK_UNPACK_SUCCESS);
    double d2[3];
    float f2[2];
    long n = 0;
    char **s2 = NULL;
    int n2 = 0;
    assert(art_get_doubles(&up.data, "d", d2, 3, err) == 0 && !memcmp(d, d2, sizeof d));
    assert(art_get_floats(&up.data, "f", f2, 2, err) == 0 && !memcmp(f, f2, sizeof f));
    assert(art_get_long(&up.data, "n", &n, err) == 0 && n == -7);
    assert(art_get_doubles(&up.data, "d", d2, 2, err) < 0 && strstr(err, "expected 16"));
    assert(art_get_strs(&up.data, "names", &s2, &n2, err) == 0 && n2 == 2);
    assert(!strcmp(s2[1], "b,c"));
    art_strs_free(s2, n2);
    char *s = art_get_str(&up.data, "s", err);
    assert(s && !strcmp(s, "hi") && !art_get_str(&up.data, "x", err));
    free(s);
    msgpack_unpacked_destroy(&up);
    free(payload);
    /* A flipped payload byte, then another version: refused. */
    FILE *fp = fopen(path, "r+b");
    assert(fp && fseek(fp, ARTIFACT_HEADER_LEN + 3, SEEK_SET) == 0);
    int c = fgetc(fp);
    assert(c != EOF && fseek(fp, ARTIFACT_HEADER_LEN + 3, SEEK_SET) == 0);
    assert(fputc(c ^ 1, fp) != EOF && fseek(fp, 8, SEEK_SET) == 0);
    assert(!artifact_read(path, &len, err) && strstr(err, "checksum mismatch"));
    assert(fputc(9, fp) != EOF && fclose(fp) == 0);
    assert(!artifact_read(path, &len, err) && strstr(err, "format version 9"));
    assert(unlink(path) == 0);
    assert(!artifact_read(path, &len, err));
}
