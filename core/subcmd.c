/* subcmd — the command-line front door shared by hps and hps-bench (see subcmd.h). */
#include "core/subcmd.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

static void s_help(FILE *f, const char *prog, const subcmd_t *table, size_t n)
{
    fprintf(f, "usage: %s COMMAND [options]   (%s COMMAND --help for its options)\n\n", prog,
            prog);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-12s %s\n", table[i].name, table[i].help);
}

static const subcmd_t *s_find(const subcmd_t *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, table[i].name) == 0)
            return &table[i];
    return NULL;
}

/* "hps: unknown command 'statsu' (did you mean 'status'?)" and the command list. */
static int s_unknown(const char *prog, const subcmd_t *table, size_t n, const char *name)
{
    const char **names = xcalloc(n + 1, sizeof *names);
    char *hint = NULL;
    for (size_t i = 0; i < n; i++) {
        names[i] = table[i].name;
        if (!hint && strcasecmp(name, names[i]) == 0) /* LEADERBOARD: the case only */
            hint = xasprintf(" (did you mean '%s'?)", names[i]);
    }
    if (!hint)
        hint = did_you_mean(name, names, NULL);
    fprintf(stderr, "%s: unknown command '%s'%s\n", prog, name, hint);
    free(hint);
    free(names);
    s_help(stderr, prog, table, n);
    return 2;
}

static int s_help_of(const subcmd_t *c)
{
    char *help_argv[] = {(char *)c->name, "--help", NULL};
    return c->fn(2, help_argv);
}

int subcmd_main(const char *prog, const subcmd_t *table, size_t n, int argc, char **argv)
{
    if (argc < 2) {
        s_help(stderr, prog, table, n);
        return 2;
    }
    const char *a1 = argv[1];
    if (strcmp(a1, "--version") == 0 || strcmp(a1, "version") == 0) {
        printf("%s %s\n", prog, HPS_VERSION);
        return 0;
    }
    if (strcmp(a1, "help") == 0 && argc > 2 && strcmp(argv[2], "help") != 0) {
        const subcmd_t *c = s_find(table, n, argv[2]);
        return c ? s_help_of(c) : s_unknown(prog, table, n, argv[2]);
    }
    if (strcmp(a1, "--help") == 0 || strcmp(a1, "-h") == 0 || strcmp(a1, "help") == 0) {
        s_help(stdout, prog, table, n);
        return 0;
    }
    const subcmd_t *c = s_find(table, n, a1);
    if (!c)
        return s_unknown(prog, table, n, a1);
    for (int a = 2; a < argc && strcmp(argv[a], "--") != 0; a++) {
        if (strcmp(argv[a], "--version") == 0) {
            printf("%s %s\n", prog, HPS_VERSION);
            return 0;
        }
        if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0)
            return s_help_of(c);
    }
    return c->fn(argc - 1, argv + 1);
}

/* ---- self-test ------------------------------------------------------------------------ */

static int s_seen_argc;
static char s_seen_last[32];

static int s_fake(int argc, char **argv)
{
    s_seen_argc = argc;
    snprintf(s_seen_last, sizeof s_seen_last, "%s", argv[argc - 1]);
    return 7;
}

void subcmd_test(bool verbose)
{
    (void)verbose;
    static const subcmd_t table[] = {{"status", s_fake, "x"}, {"run", s_fake, "y"}};
    char *run[] = {"p", "run", "-o", "v", NULL};
    assert(subcmd_main("p", table, 2, 4, run) == 7 && s_seen_argc == 3);
    char *help_as_value[] = {"p", "run", "-o", "-h", NULL};
    assert(subcmd_main("p", table, 2, 4, help_as_value) == 7 && s_seen_argc == 2);
    assert(strcmp(s_seen_last, "--help") == 0); /* help, not a value named -h */
    char *after_dashes[] = {"p", "run", "--", "-h", NULL};
    assert(subcmd_main("p", table, 2, 4, after_dashes) == 7 && s_seen_argc == 3);
    char *help_cmd[] = {"p", "help", "status", NULL};
    assert(subcmd_main("p", table, 2, 3, help_cmd) == 7 && strcmp(s_seen_last, "--help") == 0);
}
