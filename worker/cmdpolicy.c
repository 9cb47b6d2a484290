/* cmdpolicy — which `command` objectives a worker runs (see cmdpolicy.h). */
#include "worker/cmdpolicy.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/capable.h"
#include "core/util.h"
#include "objectives/command.h"

bool cmdpolicy_argv_match(const char *pattern, char *const *argv)
{
    return capable_argv_match(pattern, argv); /* the coordinator's schedule uses it too */
}

/* Whether path is dir or below it, both resolved (symlinks, ..). */
static bool s_below(const char *dir, const char *path)
{
    char rdir[PATH_MAX], rpath[PATH_MAX];
    if (!dir || !realpath(dir, rdir) || !realpath(path, rpath))
        return false;
    size_t n = strlen(rdir);
    return strncmp(rpath, rdir, n) == 0 &&
           (rpath[n] == '\0' || rpath[n] == '/' || (n == 1 && rdir[0] == '/'));
}

/* The config's env and cwd against the worker's allow-lists. */
static bool s_env_cwd_ok(const cmdpolicy_t *p, const cfg_node_t *obj, char *why)
{
    const cfg_node_t *env = cfg_get(obj, "env");
    for (int i = 0; env && env->type == CFG_MAP && i < env->n; i++)
        if (!capable_listed(p->env, env->keys[i]))
            return set_err(why, "env %s is not allowed on this worker (hps worker "
                                "--allow-env NAME[,NAME])", env->keys[i]), false;
    /* Shipped code is the submitter's program under whatever argv was admitted. */
    if (cfg_get(obj, "code_sha256"))
        return set_err(why, "the study ships its code (code:), which a worker limited to "
                            "--allow-command programs does not run (--allow-any-command "
                            "does)"), false;
    const cfg_node_t *cwd = cfg_get(obj, "cwd");
    if (cwd && cwd->type == CFG_SCALAR && !s_below(p->cwd, cwd->value))
        return set_err(why, "cwd %s is not allowed on this worker (hps worker --allow-cwd "
                            "DIR)", cwd->value), false;
    return true;
}

bool cmdpolicy_allows(const cmdpolicy_t *p, const cfg_node_t *objective, char *why)
{
    if (p && p->none)
        return set_err(why, "command objectives are not allowed on this worker (a CURVE "
                            "worker runs them only with --allow-command PATTERN or "
                            "--allow-any-command)"), false;
    if (!p || !p->pattern)
        return true;
    char **argv = command_argv(objective);
    bool ok = argv && cmdpolicy_argv_match(p->pattern, argv);
    command_argv_free(&argv);
    if (!ok)
        return set_err(why, "command not allowed on this worker"), false;
    return s_env_cwd_ok(p, objective, why);
}

/* ---- self-test -------------------------------------------------------------------- */

static bool s_allows(const cmdpolicy_t *p, const char *objective, char *why)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *obj = cfg_parse(objective, strlen(objective), "t", &errs);
    assert(obj && errs.n == 0);
    bool ok = cmdpolicy_allows(p, obj, why);
    cfg_free(&obj);
    cfg_errs_free(&errs);
    return ok;
}

static void s_match_test(void)
{
    char *a1[] = {"python3", "train.py", NULL};
    char *a2[] = {"python3", "train_b.py", "--fast", "/data/x", NULL};
    char *a3[] = {"python3", "train/../../tmp/evil.py", NULL};
    char *a4[] = {"/bin/sh", "-c", "python3 train.py --x 1; touch f", NULL};
    char *a5[] = {"python3", "../train.py", "x", NULL};
    const char *pat = "python3 train*.py *";
    assert(cmdpolicy_argv_match(pat, a1) && cmdpolicy_argv_match(pat, a2));
    assert(!cmdpolicy_argv_match(pat, a3) && !cmdpolicy_argv_match(pat, a4));
    assert(!cmdpolicy_argv_match(pat, a5) && !cmdpolicy_argv_match("python3 * *", a5));
    assert(!cmdpolicy_argv_match("python3 *.py", a3) && cmdpolicy_argv_match("* *", a5));
    assert(cmdpolicy_argv_match("python3 train.py", a1));
    assert(!cmdpolicy_argv_match("python3 train.py", a2) && !cmdpolicy_argv_match("python3", a1));
    assert(!cmdpolicy_argv_match("python3 train.py x", a1));
    assert(cmdpolicy_argv_match("sh -c python3 train.py *", a4));
    assert(!cmdpolicy_argv_match("sh -c python3 train.py", a4) &&
           !cmdpolicy_argv_match("sh -c *", a1));
    assert(cmdpolicy_argv_match("python3 * * *", a2) && !cmdpolicy_argv_match("* * * * *", a2));
    assert(!cmdpolicy_argv_match("python3 * * * x", a2) && !cmdpolicy_argv_match("", a1));
}

void cmdpolicy_test(bool verbose)
{
    (void)verbose;
    char why[HPS_ERR_LEN];
    s_match_test();
    const char *str = "{type: command, run: 'python3 train.py'}";
    const char *env = "{type: command, run: [python3, train.py], env: {PYTHONPATH: /tmp}}";
    const char *cwd = "{type: command, run: [python3, train.py], cwd: /tmp/../etc}";
    assert(s_allows(NULL, str, why) && s_allows(NULL, env, why));
    cmdpolicy_t p = {.pattern = "python3 train*.py *"};
    assert(!s_allows(&p, str, why) && strcmp(why, "command not allowed on this worker") == 0);
    assert(!s_allows(&p, env, why) && strstr(why, "env PYTHONPATH is not allowed"));
    assert(!s_allows(&p, cwd, why) && strstr(why, "cwd /tmp/../etc is not allowed"));
    assert(!s_allows(&p, "{type: command, run: [python3, train.py], code_sha256: ab}", why) &&
           strstr(why, "ships its code"));
    p.env = "OMP_NUM_THREADS,PYTHONPATH";
    p.cwd = "/etc/";
    assert(s_allows(&p, env, why) && s_allows(&p, cwd, why));
    p.cwd = "/et";
    assert(!s_allows(&p, cwd, why));
    p.env = "PYTHONPAT,YTHONPATH";
    assert(!s_allows(&p, env, why));
    p = (cmdpolicy_t){.none = true};
    assert(!s_allows(&p, str, why) && strstr(why, "--allow-any-command"));
    assert(!s_allows(&p, "{type: command, run: [[x]]}", why));
    p = (cmdpolicy_t){.pattern = "*"};
    assert(!s_allows(&p, "{type: command, run: [[x]]}", why));
}
