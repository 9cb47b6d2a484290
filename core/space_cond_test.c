/* space_cond_test — conditional parameters (space_cond.c): parsing, dependency order,
 * activation (nested, lists, int parents), the JSON of a point, given points
 * (points_encode) and the config errors, each with its file:line:col. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/points.h"
#include "core/space.h"

static space_t *s_parse(const char *yaml, cfg_errs_t *e)
{
    return space_from_yaml(yaml, "c.yaml", e);
}

/* yaml must be refused with an error containing sub. */
static void s_fails(const char *yaml, const char *sub, bool verbose)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    space_t *s = s_parse(yaml, &e);
    assert(!s);
    if (!cfg_errs_has(&e, sub, verbose)) {
        cfg_errs_print(&e, stderr);
        assert(!"expected error missing");
    }
    cfg_errs_free(&e);
}

static void s_point(const space_t *s, const double *x, const char *want)
{
    strbuf_t sb;
    sb_init(&sb);
    space_point_json(&sb, s, x);
    if (strcmp(sb.buf, want) != 0)
        fprintf(stderr, "got %s, want %s\n", sb.buf, want);
    assert(strcmp(sb.buf, want) == 0);
    sb_free(&sb);
}

static void s_test_activation(void)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    /* Children before their parents, a nested condition, an int parent, a list. */
    space_t *s = s_parse("coef0: {type: float, low: 0, high: 1, when: {degree: [2, 3]}}\n"
                         "degree: {type: int, low: 1, high: 5, when: {kernel: poly}}\n"
                         "gamma: {type: float, low: 1.0e-4, high: 1, log: true,"
                         " when: {kernel: [rbf, poly]}}\n"
                         "kernel: {type: categorical, choices: [linear, rbf, poly]}\n"
                         "C: {type: float, low: 0.1, high: 10}\n",
                         &e);
    assert(s && e.n == 0 && space_conditional(s));
    /* kernel (3) before degree (1) before coef0 (0); gamma after kernel. */
    int pos[5];
    for (int k = 0; k < 5; k++)
        pos[space_order(s, k)] = k;
    assert(pos[3] < pos[1] && pos[1] < pos[0] && pos[3] < pos[2]);
    assert(s->params[2].n_when == 1 && s->params[2].when[0].n_vals == 2);

    double lin[5] = {0.5, 3, 0.1, 0, 1}; /* kernel linear: only C stays */
    space_deactivate(s, lin);
    assert(isnan(lin[0]) && isnan(lin[1]) && isnan(lin[2]) && lin[3] == 0 && lin[4] == 1);
    assert(space_point_ok(s, lin));
    s_point(s, lin, "{\"kernel\": \"linear\", \"C\": 1}");

    double poly[5] = {0.5, 3, 0.1, 2, 1}; /* poly, degree 3: everything */
    space_deactivate(s, poly);
    assert(poly[0] == 0.5 && poly[1] == 3 && poly[2] == 0.1 && space_point_ok(s, poly));
    double poly4[5] = {0.5, 4, 0.1, 2, 1}; /* degree 4: coef0 goes */
    space_deactivate(s, poly4);
    assert(isnan(poly4[0]) && poly4[1] == 4);
    s_point(s, poly4, "{\"degree\": 4, \"gamma\": 0.1, \"kernel\": \"poly\", \"C\": 1}");

    /* A value where the parameter is inactive, or none where it is active: no point. */
    double bad[5] = {0.5, NAN, 0.1, 0, 1};
    assert(!space_point_ok(s, bad));
    double miss[5] = {NAN, NAN, NAN, 1, 1};
    assert(!space_point_ok(s, miss));
    miss[2] = 0.5;
    assert(space_point_ok(s, miss));

    /* Snapping keeps the conditions: inactive values become NaN. */
    double y[5] = {7, 7, 7, 1.2, 50};
    space_snap(s, y);
    assert(isnan(y[0]) && isnan(y[1]) && y[2] == 1 && y[3] == 1 && y[4] == 10);

    strbuf_t sb;
    sb_init(&sb);
    space_cond_text(&sb, s, &s->params[0]);
    assert(strcmp(sb.buf, "degree in [2, 3]") == 0);
    sb.len = 0;
    space_cond_text(&sb, s, &s->params[1]);
    assert(strcmp(sb.buf, "kernel = \"poly\"") == 0);
    sb_free(&sb);
    space_destroy(&s);

    /* Without conditions nothing changes: no order, nothing deactivated. */
    s = s_parse("a: {type: int, low: 0, high: 3}\n", &e);
    assert(s && !space_conditional(s) && space_order(s, 0) == 0);
    space_destroy(&s);
    cfg_errs_free(&e);
}

/* A space that must parse. */
static space_t *s_parse_ok(const char *yaml)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    space_t *s = s_parse(yaml, &e);
    assert(s && e.n == 0);
    cfg_errs_free(&e);
    return s;
}

static void s_test_points(void)
{
    space_t *s = s_parse_ok("kernel: {type: categorical, choices: [linear, rbf]}\n"
                            "gamma: {type: float, low: 0, high: 1, when: {kernel: rbf}}\n");
    char err[HPS_ERR_LEN];
    double x[2];
    points_t *p = points_parse_json("[{\"kernel\": \"linear\"}, {\"kernel\": \"rbf\", "
                                    "\"gamma\": 0.5}, {\"kernel\": \"rbf\"}, "
                                    "{\"kernel\": \"linear\", \"gamma\": 0.5}]",
                                    "p.json", err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    assert(p && p->n == 4);
    assert(points_encode(s, &p->items[0], x, err) == 0 && x[0] == 0 && isnan(x[1]));
    assert(points_encode(s, &p->items[1], x, err) == 0 && x[0] == 1 && x[1] == 0.5);
    assert(points_encode(s, &p->items[2], x, err) == -1);
    assert(strstr(err, "param 'gamma' is missing (give every active parameter)"));
    assert(points_encode(s, &p->items[3], x, err) == -1);
    assert(strstr(err, "param 'gamma' is inactive here (it needs kernel = \"rbf\")"));
    points_destroy(&p);
    /* A CSV cell left empty (as `hps export --format csv` writes it) is absent. */
    char path[] = "/tmp/hps-cond-XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert(f && fputs("kernel,gamma\nlinear,\nrbf,0.25\n", f) >= 0 && fclose(f) == 0);
    p = points_load(path, err);
    assert(p && p->n == 2 && unlink(path) == 0);
    assert(points_encode(s, &p->items[0], x, err) == 0 && x[0] == 0 && isnan(x[1]));
    assert(points_encode(s, &p->items[1], x, err) == 0 && x[0] == 1 && x[1] == 0.25);
    points_destroy(&p);
    space_destroy(&s);
}

static void s_test_errors(bool verbose)
{
    s_fails("a: {type: float, low: 0, high: 1, when: {b: x}}\n"
            "b: {type: categorical, choices: [x, y]}\n"
            "c: {type: float, low: 0, high: 1, when: {bb: x}}\n",
            "c.yaml:3:42: c: when: unknown parameter 'bb' (did you mean 'b'?)", verbose);
    s_fails("a: {type: float, low: 0, high: 1}\n"
            "b: {type: int, low: 0, high: 1, when: {a: 0.5}}\n",
            "c.yaml:2:40: b: when: 'a' is a float; conditions test categorical or int", verbose);
    s_fails("a: {type: categorical, choices: [x, y]}\n"
            "b: {type: int, low: 0, high: 1, when: {a: [x, z]}}\n",
            "c.yaml:2:47: b: when: a: 'z' not one of the choices", verbose);
    s_fails("a: {type: int, low: 0, high: 10, step: 2}\n"
            "b: {type: int, low: 0, high: 1, when: {a: 3}}\n",
            "b: when: a: '3' not on the step grid", verbose);
    s_fails("a: {type: int, low: 0, high: 1, when: {b: 1}}\n"
            "b: {type: int, low: 0, high: 1, when: {a: 1}}\n"
            "c: {type: int, low: 0, high: 1}\n",
            "c.yaml:1:39: a: when: the conditions form a cycle (through 'b')", verbose);
    s_fails("a: {type: int, low: 0, high: 1, when: {a: 1}}\n",
            "a: when: a parameter cannot depend on itself", verbose);
    s_fails("a: {type: int, low: 0, high: 1, when: b}\nb: {type: int, low: 0, high: 1}\n",
            "c.yaml:1:39: a: when: expected a map like {kernel: rbf}", verbose);
    s_fails("a: {type: int, low: 0, high: 1, when: {b: []}}\nb: {type: int, low: 0, high: 1}\n",
            "a: when: 'b' needs at least one value", verbose);
    s_fails("a: {type: int, low: 0, high: 1, when: {b: [{x: 1}]}}\n"
            "b: {type: int, low: 0, high: 1}\n",
            "a: when: each value of 'b' must be a scalar", verbose);
    s_fails("a: {type: categorical, choices: [x], when: {b: 0}}\n"
            "b: {type: int, low: 0, high: 1, when: {a: x}}\n",
            "form a cycle", verbose);
}

void space_cond_test(bool verbose)
{
    printf(" * space_cond: ");
    s_test_activation();
    s_test_points();
    s_test_errors(verbose);
    printf("OK\n");
}
