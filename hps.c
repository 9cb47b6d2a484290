/* hps — main(): the subcommand table and exit codes (0 ok, 1 runtime failure, 2 bad
 * input). Each subcommand's *_main parses its own flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/client.h"
#include "cli/coordinator.h"
#include "cli/db.h"
#include "cli/run.h"
#include "cli/worker_main.h"
#include "core/util.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} command_t;

static const command_t s_commands[] = {
    {"run", run_main, "run a study with an embedded coordinator and local workers"},
    {"coordinator", coord_main, "serve studies to workers over ZeroMQ"},
    {"worker", worker_main, "run trials for a coordinator"},
    {"submit", submit_main, "add a study to a running coordinator"},
    {"status", status_main, "studies, trials and workers (default hps.db; --to ENDPOINT for live)"},
    {"stop", stop_main, "stop a study on a running coordinator"},
    {"leaderboard", leaderboard_main, "compare studies (table, csv, json, md)"},
    {"promote", promote_main, "promote a study's best model to staging or production"},
    {"keygen", keygen_main, "write a CURVE key pair"},
};

static void s_help(FILE *f)
{
    fprintf(f, "usage: hps COMMAND [options]   (hps COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++)
        fprintf(f, "  %-12s %s\n", s_commands[i].name, s_commands[i].help);
}

static const command_t *s_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++)
        if (strcmp(name, s_commands[i].name) == 0)
            return &s_commands[i];
    return NULL;
}

/* "hps: unknown command 'statsu' (did you mean 'status'?)" and the command list. */
static int s_unknown(const char *name)
{
    const char *names[ARRAY_SIZE(s_commands) + 1];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++)
        names[n++] = s_commands[i].name;
    names[n] = NULL;
    char *hint = NULL;
    for (size_t i = 0; i < n && !hint; i++) /* LEADERBOARD: the case only */
        if (strcasecmp(name, names[i]) == 0)
            hint = xasprintf(" (did you mean '%s'?)", names[i]);
    if (!hint)
        hint = did_you_mean(name, names, NULL);
    fprintf(stderr, "hps: unknown command '%s'%s\n", name, hint);
    free(hint);
    s_help(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        s_help(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("hps %s\n", HPS_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 && argc > 2 && strcmp(argv[2], "help") != 0) {
        const command_t *c = s_find(argv[2]);
        char *help_argv[] = {argv[2], "--help", NULL};
        return c ? c->fn(2, help_argv) : s_unknown(argv[2]);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        s_help(stdout);
        return 0;
    }
    const command_t *c = s_find(argv[1]);
    if (!c)
        return s_unknown(argv[1]);
    /* --version, -h and --help anywhere before "--" answer at once and nothing else runs:
     * a parser would otherwise take `-o -h` as a directory named -h. */
    for (int a = 2; a < argc && strcmp(argv[a], "--") != 0; a++) {
        if (strcmp(argv[a], "--version") == 0) {
            printf("hps %s\n", HPS_VERSION);
            return 0;
        }
        if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            char *help_argv[] = {argv[1], "--help", NULL};
            return c->fn(2, help_argv);
        }
    }
    return c->fn(argc - 1, argv + 1);
}
