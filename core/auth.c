/* auth — CURVE rules shared by the coordinator and the clients (see auth.h). */
#include "core/auth.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

/* The host of a tcp:// endpoint without port, into out; -1 when it has none. */
static int s_tcp_host(const char *ep, char *out, size_t size)
{
    const char *host = ep + 6; /* after "tcp://" */
    const char *end;
    if (*host == '[') {
        host++;
        end = strchr(host, ']');
        if (!end || end[1] != ':')
            return -1;
    }
    else if (!(end = strrchr(host, ':')))
        return -1;
    if ((size_t)(end - host) >= size)
        return -1;
    memcpy(out, host, (size_t)(end - host));
    out[end - host] = '\0';
    return 0;
}

const char *auth_endpoint_problem(const char *ep)
{
    assert(ep);
    static const char *const other[] = {"ipc://", "inproc://", "ws://", "wss://", "tipc://",
                                        "vmci://"}; /* libzmq checks these itself */
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        if (strncmp(ep, other[i], strlen(other[i])) == 0)
            return NULL;
    if (strncmp(ep, "tcp://", 6) != 0)
        return "not an endpoint: expected tcp://HOST:PORT (or ipc://PATH)";
    char host[256];
    const char *colon = strrchr(ep + 6, ':');
    if (s_tcp_host(ep, host, sizeof host) != 0 || !colon || !*host)
        return "expected tcp://HOST:PORT";
    const char *port = colon + 1;
    if (strcmp(port, "*") == 0)
        return NULL;
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!isdigit((unsigned char)*port) || *end || errno || p < 1 || p > 65535)
        return "the port must be a number from 1 to 65535 (or * to bind any)";
    return NULL;
}

bool auth_endpoint_local(const char *ep)
{
    assert(ep);
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
        return true;
    char host[64];
    if (strncmp(ep, "tcp://", 6) != 0 || strchr(ep, ';') || s_tcp_host(ep, host, sizeof host))
        return false;
    if (strcmp(host, "localhost") == 0)
        return true;
    unsigned char a4[4], a6[16];
    if (inet_pton(AF_INET, host, a4) == 1)
        return a4[0] == 127;
    return inet_pton(AF_INET6, host, a6) == 1 && IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a6);
}

/* Whether dir holds a file that loads as a CURVE certificate with a public key. */
static bool s_has_key(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            zcert_t *cert = zcert_load(path);
            found = cert && strcmp(zcert_public_txt(cert),
                                   "0000000000000000000000000000000000000000") != 0;
            zcert_destroy(&cert);
        }
        free(path);
    }
    closedir(d);
    return found;
}

int auth_check_key_dir(const char *flag, const char *dir, char *err)
{
    assert(flag && dir);
    struct stat st;
    if (strcmp(dir, "*") == 0)
        return set_err(err, "%s '*' would admit any key: give a directory of public keys "
                            "(see hps keygen)", flag);
    if (stat(dir, &st) != 0)
        return set_err(err, "%s %s: %s", flag, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return set_err(err, "%s %s: not a directory", flag, dir);
    if (!s_has_key(dir))
        return set_err(err, "%s %s: no public key in it (it would admit nobody; copy "
                            "NAME.key files from hps keygen there)", flag, dir);
    return 0;
}

void auth_test(bool verbose)
{
    (void)verbose;
    static const char *const local[] = {
        "tcp://127.0.0.1:5555", "tcp://127.0.0.2:1", "tcp://127.255.0.9:*", "tcp://localhost:1",
        "tcp://[::1]:5555", "ipc:///tmp/x", "inproc://a"};
    static const char *const remote[] = {
        "tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://localhost.example.com:1", "udp://x",
        "tcp://127.evil.example:1", "tcp://128.0.0.1:1", "tcp://198.18.0.1:5555",
        "tcp://[::]:1", "tcp://127.0.0.1;198.18.0.1:5555", "tcp://eth0:1", "tcp://127.0.0.1",
        "tcp://[::1:1", "", "tcp://"};
    for (size_t i = 0; i < ARRAY_SIZE(local); i++)
        assert(auth_endpoint_local(local[i]));
    for (size_t i = 0; i < ARRAY_SIZE(remote); i++)
        assert(!auth_endpoint_local(remote[i]));
    for (size_t i = 0; i < ARRAY_SIZE(local); i++)
        assert(!auth_endpoint_problem(local[i]));
    static const char *const well[] = {"tcp://0.0.0.0:5555", "tcp://*:*", "tcp://eth0:1",
                                       "tcp://[::]:65535", "ws://127.0.0.1:80/x"};
    static const char *const bad[] = {"tcp://127.0.0.1:99999", "tcp://127.0.0.1:0",
                                      "tcp://127.0.0.1:", "tcp://127.0.0.1:-5",
                                      "tcp://127.0.0.1:+5", "tcp://127.0.0.1:5x",
                                      "tcp://127.0.0.1: 5",
                                      "tcp://127.0.0.1", "tcp://:5", "udp://x", "", "tcp://"};
    for (size_t i = 0; i < ARRAY_SIZE(well); i++)
        assert(!auth_endpoint_problem(well[i]));
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert(auth_endpoint_problem(bad[i]));
    char err[HPS_ERR_LEN];
    assert(auth_check_key_dir("--allow", "*", err) == -1 && strstr(err, "any key"));
    assert(auth_check_key_dir("--allow", "/nonexistent-hps", err) == -1 &&
           strstr(err, "No such file"));
    assert(auth_check_key_dir("--allow", "/dev/null", err) == -1 && strstr(err, "not a dir"));
    char dir[] = "/tmp/hps-auth-XXXXXX";
    assert(mkdtemp(dir));
    assert(auth_check_key_dir("--allow", dir, err) == -1 && strstr(err, "no public key"));
    zcert_t *cert = zcert_new();
    char *pub = xasprintf("%s/a.key", dir);
    assert(cert && zcert_save_public(cert, pub) == 0);
    assert(auth_check_key_dir("--allow", dir, err) == 0);
    assert(unlink(pub) == 0 && rmdir(dir) == 0);
    zcert_destroy(&cert);
    free(pub);
}
