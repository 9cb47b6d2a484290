/* proto — msgpack encoding and schema validation of protocol messages (see proto.h).
 *
 * Decoding copies everything out of the msgpack zone into the record, so a decoded
 * message owns its memory and outlives the frame. Validation is table-driven: one
 * schema row per message type lists its fields, their types and whether required. */
#include "core/proto.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <string.h>

#include "core/util.h"

typedef enum { PV_INT, PV_DBL, PV_STR, PV_BIN, PV_DBLS, PV_INTS, PV_STRS } pv_type_t;

typedef struct {
    char key[16];
    pv_type_t type;
    int64_t i;
    double d;
    char *s;     /* STR (NUL-terminated) or BIN; owned */
    size_t len;  /* STR/BIN byte length */
    int n;       /* array length */
    double *dv;  /* owned */
    int64_t *iv; /* owned */
    char **sv;   /* owned */
} field_t;

struct proto_msg_s {
    char type[16];
    int n;
    field_t f[PROTO_MAX_FIELDS];
};

/* Schema: "key:T" entries, T one of I D S B DD II SS, '?' suffix = optional. */
typedef struct {
    const char *type;
    const char *fields[PROTO_MAX_FIELDS];
} schema_t;

static const schema_t s_schema[] = {
    {"HELLO", {"worker:S", "host:S", "pid:I", "slots:I", "objectives:SS?", "prefetch:I?",
               "command:S?", "allow:S?", "allow_env:S?", "allow_cwd:I?", "resources:SS?",
               "labels:SS?"}},
    {"WELCOME", {"heartbeat_ms:I", "lease_ms:I"}},
    {"ASK", {"slots_free:I"}},
    {"TRIAL", {"study:S", "trial:I", "attempt:I", "number:I", "x:DD", "config:S", "data:S",
               "seed:I", "kind:S", "timeout:D?", "more:I?", "gpus:I?", "code:S?"}},
    {"WAIT", {"ms:I"}},
    {"BYE", {NULL}},
    {"RESET", {NULL}},
    {"HEARTBEAT", {"running:II"}},
    {"HB_ACK", {"cancel:II?"}},
    {"REPORT", {"trial:I", "attempt:I", "step:I", "value:D"}},
    {"CONTINUE", {"trial:I", "attempt:I"}},
    {"PRUNE", {"trial:I", "attempt:I"}},
    {"TASK", {"trial:I", "number:I?", "attempt:I", "x:DD", "seed:I", "final:I", "config:S?", "data:S?",
              "artifact_dir:S?", "env:SS?", "code_dir:S?"}},
    {"TELL", {"trial:I", "attempt:I", "state:S", "value:D", "secs:D", "folds:DD?", "error:S?",
              "cv_mean:D?", "cv_std:D?", "val:D?", "test:D?", "ask:I?", "artifact:S?",
              "artifact_name:S?", "artifact_size:I?"}},
    {"ACK", {"trial:I", "attempt:I", "stale:I?"}},
    {"FETCH", {"sha256:S", "offset:I"}},
    {"CHUNK", {"sha256:S", "offset:I", "total:I", "data:B"}},
    {"PUT", {"sha256:S", "offset:I", "total:I", "data:B", "trial:I?", "attempt:I?"}},
    {"PUT_ACK", {"sha256:S", "offset:I"}},
    {"SUBMIT", {"config:S"}},
    {"SUBMITTED", {"study:S", "created:I", "outcome:S?", "text:S?"}},
    {"RESUME", {"study:S", "n_trials:I?"}},
    {"ENQUEUE", {"study:S", "points:SS", "where:SS"}},
    {"STATUS", {"study:S?"}},
    {"STATUS_REPLY", {"json:S", "text:S?"}},
    {"STOP", {"study:S"}},
    {"STOPPED", {"study:S"}},
    {"ERROR", {"msg:S", "bad:I?", "sha256:S?", "re:S?", "trial:I?", "attempt:I?"}},
    {"SETUP", {"log_level:I", "log_component:S", "cache_dir:S?", "objective:S?", "policy:I?",
               "allow_command:S?", "allow_env:S?", "allow_cwd:S?", "no_command:I?"}},
};

static const schema_t *s_schema_find(const char *type)
{
    for (size_t i = 0; i < ARRAY_SIZE(s_schema); i++)
        if (strcmp(s_schema[i].type, type) == 0)
            return &s_schema[i];
    return NULL;
}

proto_msg_t *proto_new(const char *type)
{
    assert(s_schema_find(type));
    proto_msg_t *m = xcalloc(1, sizeof *m);
    snprintf(m->type, sizeof m->type, "%s", type);
    return m;
}

static void s_field_clear(field_t *f)
{
    free(f->s);
    free(f->dv);
    free(f->iv);
    if (f->sv)
        for (int i = 0; i < f->n; i++)
            free(f->sv[i]);
    free(f->sv);
    memset(f, 0, sizeof *f);
}

void proto_destroy(proto_msg_t **self_p)
{
    assert(self_p);
    proto_msg_t *m = *self_p;
    if (!m)
        return;
    for (int i = 0; i < m->n; i++)
        s_field_clear(&m->f[i]);
    free(m);
    *self_p = NULL;
}

const char *proto_type(const proto_msg_t *m) { return m->type; }

static const field_t *s_find(const proto_msg_t *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->f[i].key, key) == 0)
            return &m->f[i];
    return NULL;
}

/* A field slot for key, cleared: the existing one or a new one. */
static field_t *s_slot(proto_msg_t *m, const char *key, pv_type_t type)
{
    assert(strlen(key) < sizeof m->f[0].key);
    field_t *f = (field_t *)s_find(m, key);
    if (f)
        s_field_clear(f);
    else {
        assert(m->n < PROTO_MAX_FIELDS);
        f = &m->f[m->n++];
    }
    snprintf(f->key, sizeof f->key, "%s", key);
    f->type = type;
    return f;
}

void proto_set_int(proto_msg_t *m, const char *key, int64_t v) { s_slot(m, key, PV_INT)->i = v; }
void proto_set_dbl(proto_msg_t *m, const char *key, double v) { s_slot(m, key, PV_DBL)->d = v; }

void proto_set_str(proto_msg_t *m, const char *key, const char *s)
{
    field_t *f = s_slot(m, key, PV_STR);
    f->len = strlen(s);
    f->s = xstrndup(s, f->len);
}

void proto_set_bin(proto_msg_t *m, const char *key, const void *data, size_t len)
{
    field_t *f = s_slot(m, key, PV_BIN);
    f->s = xmalloc(len + 1);
    if (len)
        memcpy(f->s, data, len);
    f->s[len] = '\0';
    f->len = len;
}

void proto_set_dbls(proto_msg_t *m, const char *key, const double *v, int n)
{
    field_t *f = s_slot(m, key, PV_DBLS);
    f->n = n;
    f->dv = xmalloc(sizeof(double) * (size_t)n);
    if (n)
        memcpy(f->dv, v, sizeof(double) * (size_t)n);
}

void proto_set_ints(proto_msg_t *m, const char *key, const int64_t *v, int n)
{
    field_t *f = s_slot(m, key, PV_INTS);
    f->n = n;
    f->iv = xmalloc(sizeof(int64_t) * (size_t)n);
    if (n)
        memcpy(f->iv, v, sizeof(int64_t) * (size_t)n);
}

void proto_set_strs(proto_msg_t *m, const char *key, const char *const *v, int n)
{
    field_t *f = s_slot(m, key, PV_STRS);
    f->n = n;
    f->sv = xcalloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++)
        f->sv[i] = xstrdup(v[i]);
}

int proto_get_int(const proto_msg_t *m, const char *key, int64_t *out)
{
    const field_t *f = s_find(m, key);
    if (!f || f->type != PV_INT)
        return -1;
    *out = f->i;
    return 0;
}

int proto_get_dbl(const proto_msg_t *m, const char *key, double *out)
{
    const field_t *f = s_find(m, key);
    if (!f || (f->type != PV_DBL && f->type != PV_INT))
        return -1;
    *out = f->type == PV_DBL ? f->d : (double)f->i;
    return 0;
}

const char *proto_get_str(const proto_msg_t *m, const char *key)
{
    const field_t *f = s_find(m, key);
    return f && f->type == PV_STR ? f->s : NULL;
}

const void *proto_get_bin(const proto_msg_t *m, const char *key, size_t *len)
{
    const field_t *f = s_find(m, key);
    if (!f || (f->type != PV_BIN && f->type != PV_STR))
        return NULL;
    *len = f->len;
    return f->s;
}

const double *proto_get_dbls(const proto_msg_t *m, const char *key, int *n)
{
    const field_t *f = s_find(m, key);
    if (!f || f->type != PV_DBLS)
        return NULL;
    *n = f->n;
    return f->dv;
}

const int64_t *proto_get_ints(const proto_msg_t *m, const char *key, int *n)
{
    const field_t *f = s_find(m, key);
    if (!f || f->type != PV_INTS)
        return NULL;
    *n = f->n;
    return f->iv;
}

char *const *proto_get_strs(const proto_msg_t *m, const char *key, int *n)
{
    const field_t *f = s_find(m, key);
    if (!f || f->type != PV_STRS)
        return NULL;
    *n = f->n;
    return f->sv;
}

int64_t proto_int_or(const proto_msg_t *m, const char *key, int64_t def)
{
    int64_t v;
    return proto_get_int(m, key, &v) == 0 ? v : def;
}

double proto_dbl_or(const proto_msg_t *m, const char *key, double def)
{
    double v;
    return proto_get_dbl(m, key, &v) == 0 ? v : def;
}

/* ---- encoding -------------------------------------------------------------------- */

static void s_pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

static void s_pack_field(msgpack_packer *pk, const field_t *f)
{
    s_pack_str(pk, f->key, strlen(f->key));
    switch (f->type) {
    case PV_INT: msgpack_pack_int64(pk, f->i); break;
    case PV_DBL: msgpack_pack_double(pk, f->d); break;
    case PV_STR: s_pack_str(pk, f->s, f->len); break;
    case PV_BIN:
        msgpack_pack_bin(pk, f->len);
        msgpack_pack_bin_body(pk, f->s, f->len);
        break;
    case PV_DBLS:
        msgpack_pack_array(pk, (size_t)f->n);
        for (int i = 0; i < f->n; i++)
            msgpack_pack_double(pk, f->dv[i]);
        break;
    case PV_INTS:
        msgpack_pack_array(pk, (size_t)f->n);
        for (int i = 0; i < f->n; i++)
            msgpack_pack_int64(pk, f->iv[i]);
        break;
    case PV_STRS:
        msgpack_pack_array(pk, (size_t)f->n);
        for (int i = 0; i < f->n; i++)
            s_pack_str(pk, f->sv[i], strlen(f->sv[i]));
        break;
    }
}

void proto_encode(const proto_msg_t *m, char **buf, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (size_t)m->n + 2);
    s_pack_str(&pk, "v", 1);
    msgpack_pack_int64(&pk, PROTO_VERSION);
    s_pack_str(&pk, "t", 1);
    s_pack_str(&pk, m->type, strlen(m->type));
    for (int i = 0; i < m->n; i++)
        s_pack_field(&pk, &m->f[i]);
    /* Hand the sbuffer's malloc'd storage to the caller (empty buffers have none). */
    *len = sb.size;
    *buf = sb.data ? sb.data : xmalloc(1);
}

/* ---- decoding -------------------------------------------------------------------- */

static bool s_is_str(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_STR;
}

static int s_obj_int(const msgpack_object *o, int64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX)
            return -1;
        *out = (int64_t)o->via.u64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return 0;
    }
    return -1;
}

static int s_obj_dbl(const msgpack_object *o, double *out)
{
    int64_t i;
    if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32) {
        *out = o->via.f64;
        return 0;
    }
    if (s_obj_int(o, &i) == 0) {
        *out = (double)i;
        return 0;
    }
    return -1;
}

/* Convert one value into a field of the wanted type; -1 when the shape is wrong. */
static int s_decode_value(field_t *f, const char *want, const msgpack_object *o)
{
    if (strcmp(want, "I") == 0) {
        f->type = PV_INT;
        return s_obj_int(o, &f->i);
    }
    if (strcmp(want, "D") == 0) {
        f->type = PV_DBL;
        return s_obj_dbl(o, &f->d);
    }
    if (strcmp(want, "S") == 0 || strcmp(want, "B") == 0) {
        const char *p;
        size_t n;
        if (o->type == MSGPACK_OBJECT_STR) {
            p = o->via.str.ptr;
            n = o->via.str.size;
        } else if (o->type == MSGPACK_OBJECT_BIN) {
            p = o->via.bin.ptr;
            n = o->via.bin.size;
        } else
            return -1;
        /* Strings are C strings inside hps: an embedded NUL is malformed. */
        if (want[0] == 'S' && memchr(p, '\0', n))
            return -1;
        f->type = want[0] == 'S' ? PV_STR : PV_BIN;
        f->s = xmalloc(n + 1);
        if (n)
            memcpy(f->s, p, n);
        f->s[n] = '\0';
        f->len = n;
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > 1u << 20)
        return -1;
    int n = (int)o->via.array.size;
    f->n = n;
    if (strcmp(want, "DD") == 0) {
        f->type = PV_DBLS;
        f->dv = xmalloc(sizeof(double) * (size_t)n);
        for (int i = 0; i < n; i++)
            if (s_obj_dbl(&o->via.array.ptr[i], &f->dv[i]) != 0)
                return -1;
        return 0;
    }
    if (strcmp(want, "II") == 0) {
        f->type = PV_INTS;
        f->iv = xmalloc(sizeof(int64_t) * (size_t)n);
        for (int i = 0; i < n; i++)
            if (s_obj_int(&o->via.array.ptr[i], &f->iv[i]) != 0)
                return -1;
        return 0;
    }
    assert(strcmp(want, "SS") == 0);
    f->type = PV_STRS;
    f->sv = xcalloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (!s_is_str(e) || memchr(e->via.str.ptr, '\0', e->via.str.size))
            return -1;
        f->sv[i] = xstrndup(e->via.str.ptr, e->via.str.size);
    }
    return 0;
}

/* The map entry with this key, or NULL. */
static const msgpack_object *s_map_get(const msgpack_object_map *map, const char *key)
{
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key;
        if (s_is_str(k) && k->via.str.size == klen && memcmp(k->via.str.ptr, key, klen) == 0)
            return &map->ptr[i].val;
    }
    return NULL;
}

static proto_msg_t *s_decode_map(const msgpack_object_map *map, char *err)
{
    int64_t v;
    const msgpack_object *ov = s_map_get(map, "v"), *ot = s_map_get(map, "t");
    if (!ov || s_obj_int(ov, &v) != 0)
        return set_err(err, "missing protocol version"), NULL;
    if (v != PROTO_VERSION)
        return set_err(err, "unsupported protocol version %lld (this side speaks %d: run the "
                       "same hps release on both)", (long long)v, PROTO_VERSION), NULL;
    if (!ot || !s_is_str(ot) || ot->via.str.size >= 16)
        return set_err(err, "missing message type"), NULL;
    char type[16];
    snprintf(type, sizeof type, "%.*s", (int)ot->via.str.size, ot->via.str.ptr);
    const schema_t *sc = s_schema_find(type);
    if (!sc)
        return set_err(err, "unknown message type '%s'", type), NULL;
    proto_msg_t *m = proto_new(type);
    for (int i = 0; i < PROTO_MAX_FIELDS && sc->fields[i]; i++) {
        char key[16], want[4];
        const char *colon = strchr(sc->fields[i], ':');
        snprintf(key, sizeof key, "%.*s", (int)(colon - sc->fields[i]), sc->fields[i]);
        snprintf(want, sizeof want, "%s", colon + 1);
        bool optional = want[strlen(want) - 1] == '?';
        if (optional)
            want[strlen(want) - 1] = '\0';
        const msgpack_object *o = s_map_get(map, key);
        if (!o || o->type == MSGPACK_OBJECT_NIL) {
            if (optional)
                continue;
            set_err(err, "%s: missing field '%s'", type, key);
            proto_destroy(&m);
            return NULL;
        }
        field_t *f = &m->f[m->n++];
        snprintf(f->key, sizeof f->key, "%s", key);
        if (s_decode_value(f, want, o) != 0) {
            set_err(err, "%s: field '%s' has the wrong type", type, key);
            proto_destroy(&m);
            return NULL;
        }
    }
    return m;
}

/* Big-endian unsigned of n bytes at p. */
static uint64_t s_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Whether every container in buf declares no more elements than bytes remain.
 * msgpack-c's C unpacker allocates a container's element array from its declared
 * count before reading the elements, so a 5-byte frame claiming 2^32 elements would
 * make it allocate tens of gigabytes; this header walk bounds that allocation by the
 * frame size. It only reads headers: decoding stays msgpack-c's job. */
static bool s_sizes_plausible(const unsigned char *p, size_t len)
{
    size_t pos = 0;
    uint64_t pending = 1; /* objects still to read */
    while (pending > 0) {
        if (pos >= len)
            return false;
        unsigned b = p[pos];
        uint64_t skip = 1, children = 0;
        if (b >= 0x80 && b <= 0x8f)
            children = 2 * (b & 0x0f);
        else if (b >= 0x90 && b <= 0x9f)
            children = b & 0x0f;
        else if (b >= 0xa0 && b <= 0xbf)
            skip = 1 + (b & 0x1f);
        else if (b == 0xc1)
            return false;
        else if (b >= 0xc4 && b <= 0xc9) { /* bin8/16/32, ext8/16/32 */
            int w = 1 << ((b - 0xc4) % 3), ext = b >= 0xc7;
            if (pos + 1 + (size_t)w > len)
                return false;
            skip = 1 + (uint64_t)w + (uint64_t)ext + s_be(p + pos + 1, w);
        } else if (b >= 0xca && b <= 0xd3) { /* float32/64, uint8..64, int8..64 */
            static const int sizes[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
            skip = 1 + (uint64_t)sizes[b - 0xca];
        } else if (b >= 0xd4 && b <= 0xd8) /* fixext 1..16 */
            skip = 2 + ((uint64_t)1 << (b - 0xd4));
        else if (b >= 0xd9 && b <= 0xdb) { /* str8/16/32 */
            int w = 1 << (b - 0xd9);
            if (pos + 1 + (size_t)w > len)
                return false;
            skip = 1 + (uint64_t)w + s_be(p + pos + 1, w);
        } else if (b >= 0xdc && b <= 0xdf) { /* array16/32, map16/32 */
            int w = b == 0xdc || b == 0xde ? 2 : 4;
            if (pos + 1 + (size_t)w > len)
                return false;
            skip = 1 + (uint64_t)w;
            children = s_be(p + pos + 1, w) * (b >= 0xde ? 2 : 1);
        }
        if (skip > len - pos)
            return false;
        pos += skip;
        pending = pending - 1 + children;
        if (pending > len - pos)
            return false;
    }
    return true;
}

proto_msg_t *proto_decode(const void *buf, size_t len, char *err)
{
    if (len == 0 || len > PROTO_MAX_FRAME)
        return set_err(err, "frame of %zu bytes", len), NULL;
    if (!s_sizes_plausible(buf, len))
        return set_err(err, "not a msgpack message"), NULL;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    proto_msg_t *m = NULL;
    msgpack_unpack_return rc = msgpack_unpack_next(&up, buf, len, &off);
    if (rc != MSGPACK_UNPACK_SUCCESS)
        set_err(err, "not a msgpack message");
    else if (off != len)
        set_err(err, "trailing bytes after message");
    else if (up.data.type != MSGPACK_OBJECT_MAP)
        set_err(err, "message is not a map");
    else
        m = s_decode_map(&up.data.via.map, err);
    msgpack_unpacked_destroy(&up);
    return m;
}

bool proto_sizes_plausible(const void *buf, size_t len)
{
    return s_sizes_plausible(buf, len);
}

/* ---- sockets --------------------------------------------------------------------- */

void proto_limit_socket(zsock_t *sock)
{
    assert(sock);
    zsock_set_maxmsgsize(sock, PROTO_MAX_FRAME);
}

int proto_send(proto_msg_t **m_p, zsock_t *sock, zframe_t *route)
{
    assert(m_p && *m_p);
    char *buf;
    size_t len;
    proto_encode(*m_p, &buf, &len);
    proto_destroy(m_p);
    if (len > PROTO_MAX_FRAME) {
        free(buf);
        errno = EMSGSIZE;
        return -1;
    }
    int rc = 0;
    if (route) {
        zframe_t *r = zframe_dup(route);
        rc = zframe_send(&r, sock, ZFRAME_MORE);
        zframe_destroy(&r);
    }
    if (rc == 0) {
        zframe_t *f = zframe_new(buf, len);
        rc = f ? zframe_send(&f, sock, 0) : -1;
        zframe_destroy(&f); /* czmq keeps a frame it could not send */
    }
    free(buf);
    return rc;
}

proto_msg_t *proto_recv(zsock_t *sock, zframe_t **route_out, char *err)
{
    return proto_recv_auth(sock, route_out, NULL, err);
}

proto_msg_t *proto_recv_auth(zsock_t *sock, zframe_t **route_out, char *user_id, char *err)
{
    err[0] = '\0';
    if (user_id)
        user_id[0] = '\0';
    if (route_out)
        *route_out = NULL;
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return NULL;
    if (route_out)
        *route_out = zmsg_pop(msg);
    proto_msg_t *m = NULL;
    if (zmsg_size(msg) != 1)
        set_err(err, "expected one frame, got %zu", zmsg_size(msg));
    else {
        zframe_t *f = zmsg_first(msg);
        const char *uid = user_id ? zframe_meta(f, "User-Id") : NULL;
        if (uid)
            snprintf(user_id, 64, "%s", uid);
        m = proto_decode(zframe_data(f), zframe_size(f), err);
    }
    zmsg_destroy(&msg);
    return m;
}

/* ---- self-test ------------------------------------------------------------------- */

static void s_roundtrip_test(void)
{
    char err[HPS_ERR_LEN];
    proto_msg_t *m = proto_new("TELL");
    proto_set_int(m, "trial", 42);
    proto_set_int(m, "attempt", 2);
    proto_set_str(m, "state", "COMPLETE");
    proto_set_dbl(m, "value", 0.25);
    proto_set_int(m, "secs", 3); /* int where D is wanted: accepted */
    double folds[3] = {0.1, 0.2, 0.3};
    proto_set_dbls(m, "folds", folds, 3);
    char *buf;
    size_t len;
    proto_encode(m, &buf, &len);
    proto_destroy(&m);
    m = proto_decode(buf, len, err);
    assert(m);
    free(buf);
    int64_t i;
    double d;
    int n;
    assert(strcmp(proto_type(m), "TELL") == 0);
    assert(proto_get_int(m, "trial", &i) == 0 && i == 42);
    assert(proto_get_dbl(m, "secs", &d) == 0 && d == 3.0);
    assert(strcmp(proto_get_str(m, "state"), "COMPLETE") == 0);
    const double *fv = proto_get_dbls(m, "folds", &n);
    assert(fv && n == 3 && fv[2] == 0.3);
    assert(proto_get_str(m, "error") == NULL);
    assert(proto_int_or(m, "nope", -5) == -5);
    proto_destroy(&m);
}

/* Encode a hand-made msgpack map: {v: ver, t: type, extra...}. */
static void s_pack_hdr(msgpack_packer *pk, int nfields, int ver, const char *type)
{
    msgpack_pack_map(pk, (size_t)nfields + 2);
    s_pack_str(pk, "v", 1);
    msgpack_pack_int(pk, ver);
    s_pack_str(pk, "t", 1);
    s_pack_str(pk, type, strlen(type));
}

static void s_reject_test(void)
{
    char err[HPS_ERR_LEN];
    msgpack_sbuffer sb;
    msgpack_packer pk;
    /* wrong version */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    s_pack_hdr(&pk, 0, 99, "STATUS");
    assert(!proto_decode(sb.data, sb.size, err) && strstr(err, "version 99"));
    msgpack_sbuffer_destroy(&sb);
    /* missing required field, and wrong type */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    s_pack_hdr(&pk, 1, 1, "ASK");
    s_pack_str(&pk, "slots_free", 10);
    s_pack_str(&pk, "x", 1);
    assert(!proto_decode(sb.data, sb.size, err) && strstr(err, "wrong type"));
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    s_pack_hdr(&pk, 0, 1, "ASK");
    assert(!proto_decode(sb.data, sb.size, err) && strstr(err, "missing field"));
    msgpack_sbuffer_destroy(&sb);
    /* unknown type, non-map, garbage, empty */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    s_pack_hdr(&pk, 0, 1, "LAUNCH");
    assert(!proto_decode(sb.data, sb.size, err) && strstr(err, "unknown message type"));
    msgpack_sbuffer_destroy(&sb);
    assert(!proto_decode("\x93\x01\x02\x03", 4, err) && strstr(err, "not a map"));
    /* A container claiming far more elements than the frame holds is refused before
     * msgpack-c would allocate for them. */
    assert(!proto_decode("\xdd\xff\xff\xff\xff\x01", 6, err));
    assert(!proto_decode("\x81\xa1v\xdf\x7f\xff\xff\xff", 8, err));
    assert(!proto_decode("\xc1", 1, err));
    assert(!proto_decode("", 0, err));
}

/* Random mutations of valid frames must never crash the decoder. */
static void s_fuzz_test(void)
{
    char err[HPS_ERR_LEN];
    proto_msg_t *m = proto_new("TRIAL");
    proto_set_str(m, "study", "s");
    proto_set_int(m, "trial", 1);
    proto_set_int(m, "attempt", 1);
    proto_set_int(m, "number", 0);
    double x[2] = {1.5, -2};
    proto_set_dbls(m, "x", x, 2);
    proto_set_str(m, "config", "{}");
    proto_set_str(m, "data", "");
    proto_set_int(m, "seed", 7);
    proto_set_str(m, "kind", "search");
    char *buf;
    size_t len;
    proto_encode(m, &buf, &len);
    proto_destroy(&m);
    proto_msg_t *ok = proto_decode(buf, len, err);
    assert(ok);
    proto_destroy(&ok);
    rng_t r;
    rng_seed(&r, 1);
    char *mut = xmalloc(len + 8);
    int accepted = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(mut, buf, len);
        size_t mlen = len - rng_below(&r, 3);
        int flips = 1 + (int)rng_below(&r, 4);
        for (int k = 0; k < flips; k++)
            mut[rng_below(&r, mlen)] = (char)rng_below(&r, 256);
        proto_msg_t *d = proto_decode(mut, mlen, err);
        accepted += d != NULL;
        proto_destroy(&d);
    }
    assert(accepted < 20000);
    free(mut);
    free(buf);
}

void proto_test(bool verbose)
{
    (void)verbose;
    s_roundtrip_test();
    s_reject_test();
    s_fuzz_test();
    (void)isnan;
}
