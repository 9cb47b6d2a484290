/* objserve — a study's objective as a service for another optimiser (bench/hpo.sh:
 * Optuna drives exactly hps's models, trial for trial). See objserve.h. */
#include "bench/objserve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/points.h"
#include "core/util.h"
#include "objectives/objective.h"

static const char s_usage[] =
    "usage: hps-bench objective CONFIG [KEY=VALUE ...]\n"
    "Prints the study's direction and space as one JSON line, then answers each line of\n"
    "parameter values on stdin (a JSON object) with the trial's value (%.17g; nan when the\n"
    "trial failed, its error on stderr). Line k is trial number k: it gets the seed the\n"
    "coordinator gives trial k of the study (from sampler.seed).\n";

/* {"direction": ..., "params": [...]}: what the driver needs to ask for values. */
static void s_print_space(const study_config_t *s)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_printf(&sb, "{\"direction\": \"%s\", \"params\": [",
              s->direction == DIR_MAXIMIZE ? "maximize" : "minimize");
    for (int i = 0; i < s->space->n; i++) {
        const param_t *p = &s->space->params[i];
        static const char *const kinds[] = {"float", "int", "categorical"};
        sb_printf(&sb, "%s{\"name\": ", i ? ", " : "");
        sb_json_str(&sb, p->name);
        sb_printf(&sb, ", \"type\": \"%s\"", kinds[p->kind]);
        if (p->kind == PARAM_CAT) {
            sb_puts(&sb, ", \"choices\": [");
            for (int c = 0; c < p->n_choices; c++) {
                if (c)
                    sb_puts(&sb, ", ");
                if (p->choice_is_str[c])
                    sb_json_str(&sb, p->choices[c]);
                else
                    sb_puts(&sb, p->choices[c]);
            }
            sb_putc(&sb, ']');
        } else {
            sb_printf(&sb, ", \"low\": %.17g, \"high\": %.17g, \"log\": %s, \"step\": %.17g",
                      p->low, p->high, p->log ? "true" : "false", p->step);
        }
        sb_putc(&sb, '}');
    }
    sb_puts(&sb, "]}\n");
    fputs(sb.buf, stdout);
    fflush(stdout);
    sb_free(&sb);
}

/* The value of trial number k at the point on line (nan when it fails). */
static double s_trial(const study_config_t *s, const objective_ops_t *ops, uint64_t seed0,
                      long k, const char *line)
{
    char err[HPS_ERR_LEN], where[32];
    snprintf(where, sizeof where, "stdin:%ld", k + 1);
    points_t *pts = points_parse_json(line, where, err);
    double *x = xcalloc((size_t)s->space->n, sizeof *x);
    double value = NAN;
    if (!pts || pts->n != 1 || points_encode(s->space, &pts->items[0], x, err) != 0) {
        fprintf(stderr, "%s\n", pts ? (pts->n != 1 ? "one point per line" : err) : err);
    } else {
        /* as coordinator/schedule.c and coord.c derive and send a trial's seed */
        uint64_t seed = hash_mix64(seed0 ^ hash_mix64((uint64_t)k + 1)) >> 1;
        objective_ctx_t ctx = {.study = s, .x = x, .trial = k + 1, .number = k,
                               .attempt = 1, .seed = seed, .data_path = s->data_file};
        objective_result_t res;
        objective_result_init(&res);
        ops->run(&ctx, &res);
        if (res.state == TRIAL_COMPLETE)
            value = res.value;
        else
            fprintf(stderr, "trial %ld: %s: %s\n", k, trial_state_name(res.state), res.error);
    }
    free(x);
    points_destroy(&pts);
    return value;
}

int objserve_main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fputs(s_usage, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    static const study_checks_t checks = {objective_check_study, NULL, NULL};
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *s = study_config_load(argv[1], argc - 2, argv + 2, &checks, &errs);
    if (!s) {
        cfg_errs_print(&errs, stderr);
        cfg_errs_free(&errs);
        return 2;
    }
    double seed0 = 0;
    if (s->sampler)
        cfg_double(s->sampler, "seed", 0, &seed0, &errs);
    cfg_errs_free(&errs);
    for (int i = 0; i < s->space->n; i++)
        if (s->space->params[i].n_when) {
            fprintf(stderr, "hps-bench objective: conditional parameters are not served\n");
            study_config_destroy(&s);
            return 2;
        }
    const char *type = NULL;
    cfg_str(s->objective, "type", NULL, &type, NULL);
    const objective_ops_t *ops = objective_find(type);
    s_print_space(s);
    char *line = NULL;
    size_t cap = 0;
    for (long k = 0; getline(&line, &cap, stdin) > 0; k++) {
        printf("%.17g\n", s_trial(s, ops, (uint64_t)(int64_t)seed0, k, line));
        fflush(stdout);
    }
    free(line);
    study_config_destroy(&s);
    return 0;
}
