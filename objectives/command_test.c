/* command_test — the command objective's self-test (objectives/command.c): outputs and
 * reports, kills and timeouts, the inputs a program sees, a declared metric. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/metrics.h"
#include "core/study.h"
#include "core/util.h"
#include "objectives/command.h"
#include "objectives/objective.h"
typedef struct {
    long prune_at;    /* the report callback answers 1 at this step */
    long n_reports;
    double last_value;
    double secs;      /* how long the run took */
} cmd_test_t;

static int s_test_report(void *arg, long step, double value)
{
    cmd_test_t *t = arg;
    t->n_reports++;
    t->last_value = value;
    return step == t->prune_at;
}

/* Run an objective section over the space {learning-rate: 0.5, opt: adam}, trial 7. */
static void s_test_run(const char *yaml, cmd_test_t *t, objective_result_t *res, bool verbose)
{
    char *choices[] = {"sgd", "adam"};
    bool is_str[] = {true, true};
    param_t params[] = {
        {.name = "learning-rate", .kind = PARAM_FLOAT, .low = 0, .high = 1},
        {.name = "opt", .kind = PARAM_CAT, .high = 1, .step = 1, .n_choices = 2, .choices = choices,
         .choice_is_str = is_str},
    };
    space_t space = {.n = 2, .params = params};
    const double x[] = {0.5, 1};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *obj = cfg_parse(yaml, strlen(yaml), "c.yaml", &errs);
    assert(obj);
    study_config_t study = {.direction = DIR_MINIMIZE, .space = &space, .objective = obj};
    assert(command_objective.check(&study, &errs) == 0 && errs.n == 0);
    objective_ctx_t ctx = {.study = &study, .x = x, .trial = 7, .number = 3, .attempt = 1, .seed = 42,
                           .report = s_test_report, .report_arg = t};
    double start = now_secs();
    command_objective.run(&ctx, res);
    t->secs = now_secs() - start;
    if (verbose)
        printf("command: state %s value %g error '%s' (%.2f s)\n",
               trial_state_name(res->state), res->value, res->error, t->secs);
    cfg_free(&obj);
    cfg_errs_free(&errs);
}

/* The score is the last non-empty line; report lines are intermediate values. */
static void s_test_outputs(bool verbose)
{
    cmd_test_t t = {.prune_at = -1};
    objective_result_t res;
    s_test_run("run: \"printf '1\\\\n2\\\\n\\\\n  3.5  \\\\n\\\\n'; echo report 1 0.25\"", &t,
               &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value == 3.5);
    assert(t.n_reports == 1 && t.last_value == 0.25);
    s_test_run("run: [/bin/echo, '7.5']", &t, &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value == 7.5);
    s_test_run("run: echo hello", &t, &res, verbose);
    assert(res.state == TRIAL_FAIL && isnan(res.value));
    assert(strcmp(res.error, "command printed no score (last line: 'hello')") == 0);
    s_test_run("run: echo 0x10", &t, &res, verbose); /* hex is text, as in Python */
    assert(res.state == TRIAL_FAIL && strstr(res.error, "(last line: '0x10')"));
    s_test_run("run: 'true'", &t, &res, verbose);
    assert(strcmp(res.error, "command printed no score") == 0);
    s_test_run("run: echo oops >&2; exit 3", &t, &res, verbose);
    assert(strcmp(res.error, "exit status 3: oops") == 0);
    s_test_run("run: head -c 3000 /dev/zero | tr '\\0' x >&2; echo END >&2; exit 2", &t,
               &res, verbose);
    assert(strncmp(res.error, "exit status 2: xxx", 18) == 0 && strlen(res.error) < 430);
    assert(strcmp(res.error + strlen(res.error) - 4, "xEND") == 0);
    s_test_run("run: kill -SEGV $$", &t, &res, verbose);
    assert(strncmp(res.error, "killed by signal 11", 19) == 0);
    s_test_run("run: [/nonexistent/prog]", &t, &res, verbose);
    assert(strcmp(res.error, "cannot run '/nonexistent/prog': No such file or directory") == 0);
    s_test_run("{run: pwd, cwd: /nonexistent}", &t, &res, verbose);
    assert(strncmp(res.error, "cannot chdir to '/nonexistent'", 30) == 0);
}

/* Timeouts, prunes and leftover children end the whole process group, promptly. */
static void s_test_kills(bool verbose)
{
    cmd_test_t t = {.prune_at = 3};
    objective_result_t res;
    s_test_run("{run: 'sleep 10 & sleep 10', timeout: 0.3}", &t, &res, verbose);
    assert(strcmp(res.error, "timeout after 0.3 s") == 0 && t.secs < 3);
    s_test_run("run: for i in 1 2 3 4 5; do echo report $i $i.5; done; sleep 10; echo 1", &t,
               &res, verbose);
    assert(res.state == TRIAL_PRUNED && res.value == 3.5 && t.secs < 3);
    assert(t.n_reports == 3);
    t = (cmd_test_t){.prune_at = -1};
    s_test_run("run: (sleep 10 &); echo 2", &t, &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value == 2 && t.secs < 3);
}

static const char s_test_script[] =
    "import json, os, sys\n"
    "d = json.load(sys.stdin)\n"
    "assert d == {'learning-rate': 0.5, 'opt': 'adam'}, d\n"
    "e = os.environ\n"
    "assert e['HPS_PARAM_LEARNING_RATE'] == '0.5' and e['HPS_PARAM_OPT'] == 'adam', e\n"
    "assert (e['HPS_TRIAL'], e['HPS_ATTEMPT'], e['HPS_SEED']) == ('7', '1', '42'), e\n"
    "assert e['HPS_TRIAL_NUMBER'] == '3', e\n"
    "assert e['MY_VAR'] == 'hello world' and os.getcwd() == e['WANT_CWD'], e\n"
    "print('training...')\n"
    "print(d['learning-rate'] * 3)\n";

/* Parameters arrive as JSON on stdin and in the environment; env and cwd apply. */
static void s_test_inputs(bool verbose)
{
    char tmpl[] = "/tmp/hps-command-XXXXXX", dir[4096];
    assert(mkdtemp(tmpl) && realpath(tmpl, dir));
    char *script = xasprintf("%s/check.py", dir);
    char err[HPS_ERR_LEN];
    assert(file_write_atomic(script, s_test_script, strlen(s_test_script), err) == 0);
    char *yaml = xasprintf("run: [/usr/bin/python3, check.py]\ncwd: %s\n"
                           "env: {MY_VAR: hello world, WANT_CWD: %s}\n",
                           dir, dir);
    cmd_test_t t = {.prune_at = -1};
    objective_result_t res;
    s_test_run(yaml, &t, &res, verbose);
    assert(res.state == TRIAL_COMPLETE && res.value == 1.5);
    assert(unlink(script) == 0 && rmdir(dir) == 0);
    free(yaml);
    free(script);
}

/* `metric:` says what the score is: the direction rule and the leaderboard use it, and
 * a final refit's score becomes the test score; an unknown metric is a config error. */
static void s_test_metric(void)
{
    const char *yaml = "type: command\nrun: [/bin/echo, '0.75']\nmetric: accuracy\n"
                       "model: tiny\n";
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *obj = cfg_parse(yaml, strlen(yaml), "c.yaml", &errs);
    space_t space = {.n = 0};
    study_config_t study = {.direction = DIR_MAXIMIZE, .space = &space, .objective = obj};
    assert(command_objective.check(&study, &errs) == 0 && errs.n == 0);
    assert(strcmp(command_objective.metric_of(&study), "accuracy") == 0);
    const double x[1] = {0};
    objective_ctx_t ctx = {.study = &study, .x = x, .trial = -1, .attempt = 1, .final = true};
    objective_result_t res;
    command_objective.run(&ctx, &res);
    assert(res.state == TRIAL_COMPLETE && res.value == 0.75 && res.test_score == 0.75);
    ctx.final = false;
    command_objective.run(&ctx, &res);
    assert(res.state == TRIAL_COMPLETE && isnan(res.test_score));
    cfg_free(&obj);
    yaml = "type: command\nrun: 'true'\nmetric: acuracy\n";
    obj = cfg_parse(yaml, strlen(yaml), "c.yaml", &errs);
    study.objective = obj;
    assert(command_objective.check(&study, &errs) == -1 && errs.n == 1);
    assert(strstr(errs.msgs[0], "c.yaml:3:9: metric: unknown metric 'acuracy'"));
    cfg_free(&obj);
    cfg_errs_free(&errs);
}

void command_test(bool verbose)
{
    s_test_outputs(verbose);
    s_test_metric();
    s_test_kills(verbose);
    s_test_inputs(verbose);
    const char *yaml = "type: command\ntimeout: -1\nenv: [a]\nrnu: x\n";
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *obj = cfg_parse(yaml, strlen(yaml), "c.yaml", &errs);
    study_config_t study = {.objective = obj};
    assert(command_objective.check(&study, &errs) == -1 && errs.n == 4);
    assert(strstr(errs.msgs[0], "c.yaml:4:1: unknown key 'rnu'"));
    assert(strstr(errs.msgs[1], "c.yaml:1:1: command objective: 'run' is required"));
    assert(strstr(errs.msgs[2], "c.yaml:2:10: timeout: must be >= 0"));
    assert(strstr(errs.msgs[3], "c.yaml:3:6: env: expected a map"));
    if (verbose)
        cfg_errs_print(&errs, stdout);
    assert(command_objective.default_direction == NULL); /* studies must say */
    cfg_free(&obj);
    cfg_errs_free(&errs);
}
