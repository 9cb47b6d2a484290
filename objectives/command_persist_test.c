/* command_persist_test — the persistent command objective's self-test
 * (objectives/command_persist.c) against a /bin/sh program speaking the protocol: one
 * program serves trial after trial (its pid is its score), restart_every, prunes
 * answered and ended or ignored, timeouts, crashes, a bad line, another study. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/study.h"
#include "core/util.h"
#include "objectives/command_priv.h"

/* The program: a trial's "mode" parameter says what to do; `@hps result $$` makes the
 * program's pid the score. */
static const char s_program[] =
    "echo '@hps ready'\n"
    "while read -r line; do\n"
    "  case $line in\n"
    "  *'\"final\": true'*'\"artifact_dir\": \"/tmp/art\"'*) echo '@hps result 7' ;;\n"
    "  *'\"ok\"'*) echo 'log line'; echo \"@hps result $$\"; echo 'after the result' ;;\n"
    "  *'\"prune\"'*) echo '@hps report 1 0.5'; read -r a; echo '@hps report 2 0.25';\n"
    "    read -r a; case $a in *true*) echo '@hps pruned' ;; *) echo \"@hps result $$\" ;; esac "
    ";;\n"
    "  *'\"ignore\"'*) echo '@hps report 2 0.75'; read -r a; sleep 30 ;;\n"
    "  *'\"hang\"'*) sleep 30 ;;\n"
    "  *'\"crash\"'*) echo oops >&2; exit 4 ;;\n"
    "  *'\"fail\"'*) echo '@hps fail no luck' ;;\n"
    "  *'\"bad\"'*) echo '@hps result x' ;;\n"
    "  *'\"quit\"'*) echo '@hps result 1'; exit 0 ;;\n"
    "  *'\"leave\"'*) echo '@hps result 2'; read -r line; exit 0 ;;\n"
    "  esac\n"
    "done\n";

enum { OK, PRUNE, IGNORE, HANG, CRASH, FAIL, BAD, QUIT, LEAVE };

static int s_report(void *arg, long step, double value)
{
    (void)arg, (void)value;
    return step == 2;
}

/* Run one trial of mode under the objective section yaml; the result in res. */
static void s_trial(const char *yaml, int mode, objective_result_t *res, bool verbose)
{
    char *choices[] = {"ok", "prune", "ignore", "hang", "crash", "fail", "bad", "quit", "leave"};
    bool is_str[] = {true, true, true, true, true, true, true, true, true};
    param_t params[] = {{.name = "mode",
                         .kind = PARAM_CAT,
                         .high = 8,
                         .step = 1,
                         .n_choices = 9,
                         .choices = choices,
                         .choice_is_str = is_str}};
    space_t space = {.n = 1, .params = params};
    const double x[] = {mode < 0 ? OK : mode};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *obj = cfg_parse(yaml, strlen(yaml), "p.yaml", &errs);
    assert(obj);
    study_config_t study = {.name = "p",
                            .direction = DIR_MINIMIZE,
                            .space = &space,
                            .objective = obj};
    assert(command_objective.check(&study, &errs) == 0 && errs.n == 0);
    objective_ctx_t ctx = {.study = &study, .x = x, .trial = 1, .seed = 3, .report = s_report};
    if (mode < 0) /* a final refit */
        ctx.final = true, ctx.artifact_dir = "/tmp/art";
    command_objective.run(&ctx, res);
    if (verbose)
        printf("command_persist: %s -> %s %g '%s'\n", mode < 0 ? "final" : choices[mode],
               trial_state_name(res->state), res->value, res->error);
    fflush(stdout);
    cfg_free(&obj);
    cfg_errs_free(&errs);
}

/* yaml_t: the same program with a trial timeout of 0.3 s (not part of what the program
 * is started as: the same program goes on serving). */
static void s_test_serve(const char *yaml, const char *yaml_t, bool verbose)
{
    objective_result_t res;
    s_trial(yaml, OK, &res, verbose);
    assert(res.state == TRIAL_COMPLETE);
    double pid = res.value;
    s_trial(yaml, OK, &res, verbose); /* the same program; "after the result" was log */
    assert(res.state == TRIAL_COMPLETE && res.value == pid && isnan(res.test_score));
    s_trial(yaml, -1, &res, verbose); /* a final refit: its score is the test score */
    assert(res.state == TRIAL_COMPLETE && res.value == 7 && res.test_score == 7);
    s_trial(yaml, PRUNE, &res, verbose); /* pruned at step 2 and ended: no restart */
    assert(res.state == TRIAL_PRUNED && res.value == 0.25);
    s_trial(yaml, FAIL, &res, verbose);
    assert(res.state == TRIAL_FAIL &&
           strcmp(res.error, "the program failed the trial: no luck") == 0);
    s_trial(yaml, OK, &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value == pid);
    s_trial(yaml, CRASH, &res, verbose);
    assert(strncmp(res.error, "the program ended during the trial: exit status 4: ", 51) == 0);
    assert(strstr(res.error, "oops")); /* its stderr (and any log after the last result) */
    s_trial(yaml, OK, &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value != pid);
    pid = res.value;
    double start = now_secs();
    s_trial(yaml_t, IGNORE, &res, verbose); /* the trial's timeout cuts the prune grace */
    assert(res.state == TRIAL_PRUNED && res.value == 0.75 && now_secs() - start < 3);
    s_trial(yaml_t, HANG, &res, verbose);
    assert(strncmp(res.error, "timeout after 0.3 s during the trial", 36) == 0);
    s_trial(yaml, BAD, &res, verbose);
    assert(strstr(res.error, "protocol error: bad protocol line '@hps result x'"));
    s_trial(yaml, OK, &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value != pid);
    pid = res.value;
    s_trial(yaml, QUIT, &res, verbose); /* a result, then it exits between trials */
    assert(res.state == TRIAL_COMPLETE && res.value == 1);
    s_trial(yaml, OK, &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value != pid);
    pid = res.value;
    s_trial(yaml, LEAVE, &res, verbose); /* it exits, quietly, on the next trial's line: */
    assert(res.state == TRIAL_COMPLETE && res.value == 2);
    s_trial(yaml, OK, &res, verbose); /* that trial goes to a fresh program */
    assert(res.state == TRIAL_COMPLETE && res.value != pid);
}

void command_persist_test(bool verbose)
{
    char tmpl[] = "/tmp/hps-persist-XXXXXX", dir[4096];
    assert(mkdtemp(tmpl) && realpath(tmpl, dir));
    char *script = xasprintf("%s/p.sh", dir), err[HPS_ERR_LEN];
    assert(file_write_atomic(script, s_program, strlen(s_program), err) == 0);
    char *yaml = xasprintf("{type: command, run: [/bin/sh, %s], persistent: true}", script);
    char *yaml_t = xasprintf("{type: command, run: [/bin/sh, %s], persistent: true, "
                             "timeout: 0.3}",
                             script);
    s_test_serve(yaml, yaml_t, verbose);
    free(yaml);
    free(yaml_t);
    command_persist_stop();
    /* restart_every: 2 -> a new program every second trial; another study: new too */
    yaml = xasprintf("{type: command, run: [/bin/sh, %s], persistent: true, "
                     "restart_every: 2}",
                     script);
    objective_result_t res;
    double pids[3];
    for (int i = 0; i < 3; i++) {
        s_trial(yaml, OK, &res, verbose);
        pids[i] = res.value;
    }
    assert(pids[0] == pids[1] && pids[2] != pids[1]);
    free(yaml);
    yaml = xasprintf("{type: command, run: [/bin/sh, %s], persistent: true, "
                     "env: {X: '1'}}",
                     script);
    s_trial(yaml, OK, &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value != pids[2]);
    free(yaml);
    /* a program that never says ready; one that exits first */
    s_trial("{type: command, run: [cat], persistent: true, start_timeout: 0.2}", OK, &res, verbose);
    assert(strncmp(res.error,
                   "timeout after 0.2 s before '@hps ready' (persistent: true "
                   "needs",
                   60) == 0);
    s_trial("{type: command, run: 'echo 0.5; exit 1', persistent: true}", OK, &res, verbose);
    assert(strcmp(res.error, "the program ended before '@hps ready': exit status 1: 0.5") == 0);
    command_persist_stop();
    /* config errors */
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    const char *bad = "{type: command, run: x, persistent: maybe, restart_every: -1, "
                      "start_timeout: 0}";
    cfg_node_t *obj = cfg_parse(bad, strlen(bad), "b.yaml", &errs);
    assert(command_check_options(obj, &errs) == -1 && errs.n == 3);
    cfg_free(&obj);
    bad = "{type: command, run: x, start_timeout: 5}";
    obj = cfg_parse(bad, strlen(bad), "b.yaml", &errs);
    assert(command_check_options(obj, &errs) == -1 && errs.n == 4);
    assert(strstr(errs.msgs[3], "start_timeout: only with persistent: true"));
    if (verbose)
        cfg_errs_print(&errs, stdout);
    cfg_free(&obj);
    cfg_errs_free(&errs);
    assert(unlink(script) == 0 && rmdir(dir) == 0);
    free(script);
}
