/* cli_flags — flag parsing shared by the command front-ends (see cli_flags.h). */
#include "cli/cli_flags.h"

#include <stdio.h>
#include <string.h>

#include "core/auth.h"
#include "core/util.h"

int cli_flag_long(const char *cmd, const char *flag, const char *arg, long lo, long hi, long *out)
{
    long v;
    if (parse_long(arg, &v) != 0 || v < lo || v > hi) {
        fprintf(stderr, "hps %s: %s: expected an integer in %ld..%ld, got '%s'\n", cmd, flag, lo,
                hi, arg);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_check_plain(const char *cmd, const char *endpoint, const char *cert)
{
    if (!endpoint || cert || auth_endpoint_local(endpoint))
        return 0;
    fprintf(stderr, "hps %s: %s is not a loopback address: CURVE keys are required "
                    "(--cert FILE --server-key FILE; see hps keygen)\n", cmd, endpoint);
    return -1;
}

void cli_coord_defaults(coord_opts_t *co)
{
    co->db_path = "hps.db";
    co->heartbeat_ms = 1000;
    co->lease_ms = 10000;
    co->sync_full = false;
}

int cli_coord_flag(const char *cmd, coord_opts_t *co, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case 'd': co->db_path = arg; return 0;
    case 'H':
        if (cli_flag_long(cmd, "--heartbeat-ms", arg, 10, 600000, &v) != 0)
            return -1;
        co->heartbeat_ms = (int)v;
        return 0;
    case 'L':
        if (cli_flag_long(cmd, "--lease-ms", arg, 50, 86400000, &v) != 0)
            return -1;
        co->lease_ms = (int)v;
        return 0;
    case 'S':
        if (strcmp(arg, "full") != 0 && strcmp(arg, "normal") != 0) {
            fprintf(stderr, "hps %s: --sync: expected full or normal, got '%s'\n", cmd, arg);
            return -1;
        }
        co->sync_full = strcmp(arg, "full") == 0;
        return 0;
    default: return 1;
    }
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "hps %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return 2;
}
