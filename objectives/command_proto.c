/* command_proto — the persistent command objective's line protocol (see command_proto.h
 * and docs/command-protocol.md). A protocol line is recognised by its first word alone,
 * so a program's ordinary output ("epoch 3: loss 0.2", a bare number) stays log, and an
 * `@hps` line that does not parse is an error the trial fails with, never a hang. */
#include "objectives/command_proto.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "@hps"

/* The next word of *s (skipping blanks) into word (NUL-terminated, at most cap - 1
 * bytes; a longer one is cut); *s moves past it. Its length. */
static size_t s_word(const char **s, char *word, size_t cap)
{
    const char *p = *s;
    while (isspace((unsigned char)*p))
        p++;
    size_t n = 0;
    while (*p && !isspace((unsigned char)*p)) {
        if (n + 1 < cap)
            word[n++] = *p;
        p++;
    }
    word[n] = '\0';
    *s = p;
    return n;
}

static bool s_rest_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* A number word: finite or not (strtod's "nan", "inf" included); -1 when not one. */
static int s_number(const char *word, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(word, &end);
    return end != word && *end == '\0' && errno != ERANGE && !num_text_is_hex(word) ? 0 : -1;
}

static command_msg_kind_t s_bad(char *err, const char *line, const char *why)
{
    set_err(err, "bad protocol line '%.80s': %s", line, why);
    return COMMAND_MSG_BAD;
}

static command_msg_kind_t s_report(const char *line, const char *rest, command_msg_t *m, char *err)
{
    char step[64], value[64];
    s_word(&rest, step, sizeof step);
    s_word(&rest, value, sizeof value);
    char *end;
    errno = 0;
    m->step = strtol(step, &end, 10);
    if (!step[0] || *end || errno || m->step < 0)
        return s_bad(err, line, "expected '@hps report STEP VALUE' with an integer STEP >= 0");
    if (s_number(value, &m->value) != 0 || !s_rest_blank(rest))
        return s_bad(err, line, "expected '@hps report STEP VALUE' with a number VALUE");
    if (!isfinite(m->value))
        return s_bad(err, line, "a reported VALUE must be finite");
    return m->kind = COMMAND_MSG_REPORT;
}

command_msg_kind_t command_msg_parse(const char *line, command_msg_t *m, char *err)
{
    assert(line && m && err);
    memset(m, 0, sizeof *m);
    err[0] = '\0';
    const char *rest = line;
    char word[16];
    s_word(&rest, word, sizeof word);
    if (strcmp(word, PREFIX) != 0)
        return m->kind = COMMAND_MSG_LOG;
    s_word(&rest, word, sizeof word);
    if (strcmp(word, "report") == 0)
        return s_report(line, rest, m, err);
    if (strcmp(word, "result") == 0) {
        char value[64];
        s_word(&rest, value, sizeof value);
        if (s_number(value, &m->value) != 0 || !s_rest_blank(rest))
            return s_bad(err, line, "expected '@hps result VALUE' with a number VALUE");
        return m->kind = COMMAND_MSG_RESULT;
    }
    if (strcmp(word, "fail") == 0) {
        while (isspace((unsigned char)*rest))
            rest++;
        m->text = rest;
        return m->kind = COMMAND_MSG_FAIL;
    }
    if (strcmp(word, "pruned") == 0 || strcmp(word, "ready") == 0) {
        if (!s_rest_blank(rest))
            return s_bad(err, line, "nothing may follow the word");
        return m->kind = word[0] == 'p' ? COMMAND_MSG_PRUNED : COMMAND_MSG_READY;
    }
    return s_bad(err, line, "unknown message (ready, report, result, pruned, fail)");
}

void command_trial_line(strbuf_t *sb, const objective_ctx_t *ctx)
{
    assert(sb && ctx && ctx->study);
    sb_printf(sb, "{\"trial\": %ld, \"number\": %ld, \"attempt\": %d, \"seed\": %llu, "
                  "\"final\": %s, \"params\": ",
              ctx->trial, ctx->number, ctx->attempt, (unsigned long long)ctx->seed,
              ctx->final ? "true" : "false");
    space_point_json(sb, ctx->study->space, ctx->x);
    const char *names[] = {"data", "cache_dir", "artifact_dir"};
    const char *values[] = {ctx->data_path, ctx->cache_dir, ctx->artifact_dir};
    for (int i = 0; i < 3; i++) {
        if (!values[i])
            continue;
        sb_printf(sb, ", \"%s\": ", names[i]);
        sb_json_str(sb, values[i]);
    }
    sb_puts(sb, "}\n");
}

void command_prune_line(strbuf_t *sb, bool prune)
{
    sb_puts(sb, prune ? "{\"prune\": true}\n" : "{\"prune\": false}\n");
}

/* ---- self-test --------------------------------------------------------------------- */

static command_msg_kind_t s_parse(const char *line, command_msg_t *m, bool verbose)
{
    char err[HPS_ERR_LEN];
    command_msg_kind_t k = command_msg_parse(line, m, err);
    assert((k == COMMAND_MSG_BAD) == (err[0] != '\0'));
    if (verbose)
        printf("command_proto: '%s' -> %d %s\n", line, (int)k, err);
    return k;
}

void command_proto_test(bool verbose)
{
    command_msg_t m;
    /* log: anything whose first word is not exactly @hps */
    const char *logs[] = {"",
                          "0.5",
                          "report 1 0.3",
                          "epoch 3 loss 0.2",
                          "@hpsx result 1",
                          "@HPS result 1",
                          "x @hps result 1"};
    for (size_t i = 0; i < sizeof logs / sizeof *logs; i++)
        assert(s_parse(logs[i], &m, verbose) == COMMAND_MSG_LOG);
    assert(s_parse("@hps ready", &m, verbose) == COMMAND_MSG_READY);
    assert(s_parse("  @hps\tready  ", &m, verbose) == COMMAND_MSG_READY);
    assert(s_parse("@hps report 3 0.25", &m, verbose) == COMMAND_MSG_REPORT);
    assert(m.step == 3 && m.value == 0.25);
    assert(s_parse("@hps report 0 -1e-3 ", &m, verbose) == COMMAND_MSG_REPORT);
    assert(m.step == 0 && m.value == -1e-3);
    assert(s_parse("@hps result 0.9712", &m, verbose) == COMMAND_MSG_RESULT);
    assert(m.value == 0.9712);
    assert(s_parse("@hps result nan", &m, verbose) == COMMAND_MSG_RESULT && isnan(m.value));
    assert(s_parse("@hps pruned", &m, verbose) == COMMAND_MSG_PRUNED);
    assert(s_parse("@hps fail ValueError: bad C", &m, verbose) == COMMAND_MSG_FAIL);
    assert(strcmp(m.text, "ValueError: bad C") == 0);
    assert(s_parse("@hps fail", &m, verbose) == COMMAND_MSG_FAIL && strcmp(m.text, "") == 0);
    const char *bad[] = {"@hps",
                         "@hps hello",
                         "@hps result",
                         "@hps result abc",
                         "@hps result 1 2",
                         "@hps result 1e999",
                         "@hps report 1",
                         "@hps report x 1",
                         "@hps report -1 0.5",
                         "@hps report 1.5 2",
                         "@hps report 1 inf",
                         "@hps report 1 2 3",
                         "@hps pruned now",
                         "@hps ready 2",
                         "@hps report 99999999999999999999 1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert(s_parse(bad[i], &m, verbose) == COMMAND_MSG_BAD);
    char err[HPS_ERR_LEN];
    command_msg_parse("@hps result abc", &m, err);
    assert(strstr(err, "'@hps result abc'") && strstr(err, "number"));

    /* the lines hps writes */
    char *choices[] = {"rbf", "linear"};
    bool is_str[] = {true, true};
    param_t params[] = {
        {.name = "C", .kind = PARAM_FLOAT, .low = 0, .high = 10},
        {.name = "kernel",
         .kind = PARAM_CAT,
         .high = 1,
         .step = 1,
         .n_choices = 2,
         .choices = choices,
         .choice_is_str = is_str},
    };
    space_t space = {.n = 2, .params = params};
    study_config_t study = {.space = &space};
    const double x[] = {2.5, 1};
    objective_ctx_t ctx = {.study = &study,
                           .x = x,
                           .trial = 7,
                           .number = 3,
                           .attempt = 1,
                           .seed = 42,
                           .data_path = "/d/a \"b\".csv"};
    strbuf_t sb;
    sb_init(&sb);
    command_trial_line(&sb, &ctx);
    if (verbose)
        printf("command_proto: %s", sb.buf);
    assert(strcmp(sb.buf, "{\"trial\": 7, \"number\": 3, \"attempt\": 1, \"seed\": 42, \"final\": false, "
                          "\"params\": {\"C\": 2.5, \"kernel\": \"linear\"}, "
                          "\"data\": \"/d/a \\\"b\\\".csv\"}\n") == 0);
    sb.len = 0;
    command_prune_line(&sb, true);
    command_prune_line(&sb, false);
    assert(strcmp(sb.buf, "{\"prune\": true}\n{\"prune\": false}\n") == 0);
    sb_free(&sb);
}
