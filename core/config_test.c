/* config_test — the self-test of the config module (config.c, config_merge.c, study.c):
 * parsing and positions, typed reads, canonical JSON, overrides, groups, study
 * validation, and the bad study files under tests/bad_configs/. It lives in its own
 * file to keep config.c about the tree alone. */
#include "core/config.h"
#include "objectives/objective.h"
#include "samplers/sampler.h"

#include <assert.h>
#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether some error contains sub; prints them all when verbose. */
static bool s_has(const cfg_errs_t *e, const char *sub, bool verbose)
{
    bool found = false;
    for (int i = 0; i < e->n; i++) {
        if (verbose)
            printf("    %s\n", e->msgs[i]);
        found = found || strstr(e->msgs[i], sub) != NULL;
    }
    if (!found)
        for (int i = 0; i < e->n; i++)
            fprintf(stderr, "config_test: wanted '%s', have: %s\n", sub, e->msgs[i]);
    return found;
}

static cfg_node_t *s_parse(const char *text, cfg_errs_t *e)
{
    return cfg_parse(text, strlen(text), "t.yaml", e);
}

/* Parsing text must fail with an error containing sub. */
static void s_parse_fails(const char *text, const char *sub, bool verbose)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    cfg_node_t *n = s_parse(text, &e);
    assert(!n);
    assert(e.n >= 1 && s_has(&e, sub, verbose));
    cfg_errs_free(&e);
}

static void s_test_parse(bool verbose)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    const char *text = "# comment\n"
                       "a: 1\n"
                       "b:\n"
                       "  c: 'x y'\n"
                       "  d: [1, two, \"3\"]\n"
                       "e:\n"
                       "f: ~\n"
                       "g: !!str 12\n"
                       "h: |\n"
                       "  block\n";
    cfg_node_t *root = s_parse(text, &e);
    assert(root && e.n == 0);
    assert(root->type == CFG_MAP && root->n == 6);
    assert(strcmp(root->keys[0], "a") == 0 && root->key_line[0] == 2 && root->key_col[0] == 1);
    const cfg_node_t *a = cfg_get(root, "a");
    assert(a->type == CFG_SCALAR && strcmp(a->value, "1") == 0 && !a->quoted);
    assert(a->line == 2 && a->col == 4 && strcmp(a->file, "t.yaml") == 0);
    const cfg_node_t *c = cfg_get(root, "b.c");
    assert(c && c->quoted && strcmp(c->value, "x y") == 0 && c->line == 4 && c->col == 6);
    const cfg_node_t *d = cfg_get(root, "b.d");
    assert(d->type == CFG_SEQ && d->n == 3 && d->items[2]->quoted);
    assert(d->items[1]->line == 5 && d->items[1]->col == 10);
    assert(cfg_get(root, "e")->type == CFG_NULL && cfg_get(root, "f")->type == CFG_NULL);
    assert(cfg_get(root, "g")->quoted && cfg_kind(cfg_get(root, "g")) == CFG_K_TEXT);
    assert(strcmp(cfg_get(root, "h")->value, "block\n") == 0);
    assert(cfg_get(root, "b.x") == NULL && cfg_get(root, "a.b") == NULL);
    assert(cfg_get(root, "") == root);
    cfg_free(&root);
    assert(root == NULL);
    cfg_free(&root); /* NULL is fine */

    root = s_parse("", &e); /* an empty document is null */
    assert(root && root->type == CFG_NULL);
    cfg_free(&root);
    assert(e.n == 0);
    cfg_errs_free(&e);

    s_parse_fails("a: 1\nb: [1, 2\n", "t.yaml:3:1: did not find expected ',' or ']'", verbose);
    s_parse_fails("a: 1\n  b: 2\n", "t.yaml:2:4: mapping values are not allowed", verbose);
    s_parse_fails("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at line 1)",
                  verbose);
    s_parse_fails("m: {x: 1, x: 2}\n", "t.yaml:1:11: duplicate key 'x'", verbose);
    s_parse_fails("a: &x 1\nb: *x\n", "t.yaml:1:4: YAML anchors and aliases", verbose);
    s_parse_fails("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document", verbose);
    s_parse_fails("[1]: 2\n", "t.yaml:1:1: mapping keys must be scalars", verbose);
    s_parse_fails("a: \"\\xZZ\"\n", "t.yaml:1:", verbose);
    /* Deep nesting is refused, not recursed into. */
    strbuf_t deep;
    sb_init(&deep);
    for (int i = 0; i < 100; i++)
        sb_putc(&deep, '[');
    s_parse_fails(deep.buf, "nesting deeper than", verbose);
    sb_free(&deep);

    cfg_errs_init(&e);
    assert(cfg_load("/nonexistent/x.yaml", &e) == NULL);
    assert(s_has(&e, "/nonexistent/x.yaml: No such file", verbose));
    cfg_errs_free(&e);
}

static void s_test_reads(bool verbose)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    cfg_node_t *m = s_parse("s: abc\nq: '5'\ni: 42\nk: 1e3\nf: 2.5\nt: True\nn: ~\n"
                            "neg: -7\nmap: {a: 1}\nhuge: 99999999999999999999\n",
                            &e);
    assert(m);
    const char *s;
    double d;
    long l;
    bool b;
    assert(cfg_str(m, "s", NULL, &s, &e) == 0 && strcmp(s, "abc") == 0);
    assert(cfg_str(m, "i", NULL, &s, &e) == 0 && strcmp(s, "42") == 0);
    assert(cfg_str(m, "absent", "def", &s, &e) == 0 && strcmp(s, "def") == 0);
    assert(cfg_str(m, "n", "def", &s, &e) == 0 && strcmp(s, "def") == 0); /* null = absent */
    assert(cfg_str(NULL, "s", "def", &s, &e) == 0 && strcmp(s, "def") == 0);
    assert(cfg_double(m, "f", 0, &d, &e) == 0 && d == 2.5);
    assert(cfg_double(m, "i", 0, &d, &e) == 0 && d == 42);
    assert(cfg_double(m, "map.a", 0, &d, &e) == 0 && d == 1); /* dotted keys */
    assert(cfg_long(m, "i", 0, &l, &e) == 0 && l == 42);
    assert(cfg_long(m, "k", 0, &l, &e) == 0 && l == 1000);
    assert(cfg_long(m, "neg", 0, &l, &e) == 0 && l == -7);
    assert(cfg_long(m, "absent", 9, &l, &e) == 0 && l == 9);
    assert(cfg_bool(m, "t", false, &b, &e) == 0 && b);
    assert(cfg_bool(m, "absent", true, &b, &e) == 0 && b);
    assert(e.n == 0);

    assert(cfg_str(m, "map", NULL, &s, &e) == -1 && s == NULL);
    assert(s_has(&e, "t.yaml:9:6: map: expected a string, got a map", verbose));
    assert(cfg_double(m, "s", 1, &d, &e) == -1 && d == 1);
    assert(s_has(&e, "t.yaml:1:4: s: expected a number, got 'abc'", verbose));
    assert(cfg_double(m, "q", 1, &d, &e) == -1); /* quoted numbers are strings */
    assert(s_has(&e, "q: expected a number, got the string \"5\"", verbose));
    assert(cfg_long(m, "f", 1, &l, &e) == -1 && l == 1);
    assert(s_has(&e, "t.yaml:5:4: f: expected an integer, got '2.5'", verbose));
    assert(cfg_long(m, "huge", 1, &l, &e) == -1);
    assert(cfg_bool(m, "i", false, &b, &e) == -1);
    assert(s_has(&e, "i: expected true or false, got '42'", verbose));
    int n = e.n;
    static const char *const allowed[] = {"s", "q", "i", "k", "f", "t", "n", "negs",
                                          "map", "huge", NULL};
    assert(cfg_check_keys(m, allowed, &e) == -1 && e.n == n + 1);
    assert(s_has(&e, "t.yaml:8:1: unknown key 'neg' (did you mean 'negs'?)", verbose));
    static const char *const few[] = {"zzzzzz", NULL};
    assert(cfg_check_keys(cfg_get(m, "map"), few, &e) == -1);
    assert(s_has(&e, "t.yaml:9:7: unknown key 'a'", verbose));
    assert(!strstr(e.msgs[e.n - 1], "did you mean"));
    cfg_free(&m);

    cfg_errs_free(&e);
    assert(e.n == 0);
    cfg_error(&e, NULL, "plain %d", 1);
    cfg_error_at(&e, "f.yaml", 3, 4, "at %s", "x");
    cfg_error_at(&e, "override 'a=b'", 0, 0, "no line");
    assert(strcmp(e.msgs[0], "plain 1") == 0 && strcmp(e.msgs[1], "f.yaml:3:4: at x") == 0);
    assert(strcmp(e.msgs[2], "override 'a=b': no line") == 0);
    cfg_errs_free(&e);
}

/* JSON of text must be want, and parsing it back must give an equal tree. */
static void s_json_is(const char *text, const char *want)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    cfg_node_t *t = s_parse(text, &e);
    assert(t);
    char *json = cfg_to_json(t);
    if (strcmp(json, want) != 0)
        fprintf(stderr, "config_test: json %s, want %s\n", json, want);
    assert(strcmp(json, want) == 0);
    cfg_node_t *back = cfg_parse(json, strlen(json), "<json>", &e);
    assert(back && e.n == 0 && cfg_equal(t, back) && cfg_equal(back, t));
    char *again = cfg_to_json(back);
    assert(strcmp(json, again) == 0); /* canonical: a fixed point */
    free(again);
    free(json);
    cfg_free(&back);
    cfg_free(&t);
    cfg_errs_free(&e);
}

static void s_test_json(void)
{
    s_json_is("a: 1\nb: -2.5\nc: 1e-3\nd: 1.0e-4\n",
              "{\"a\": 1, \"b\": -2.5, \"c\": 1e-3, \"d\": 1.0e-4}");
    s_json_is("z: true\ny: False\nx: null\nw: ~\nv:\n",
              "{\"z\": true, \"y\": false, \"x\": null, \"w\": null, \"v\": null}");
    s_json_is("s: hello world\nq: '1.5'\nr: \"true\"\nn: 'null'\ne: ''\n",
              "{\"s\": \"hello world\", \"q\": \"1.5\", \"r\": \"true\", \"n\": \"null\", "
              "\"e\": \"\"}");
    /* YAML numbers that are not JSON numbers are rewritten. */
    s_json_is("[+1, .5, 1., 007, -0.0, 0x1F, .inf, 1_000, 1e400]",
              "[1, 0.5, 1, 7, -0.0, \"0x1F\", \".inf\", \"1_000\", \"1e400\"]");
    s_json_is("{k: \"tab\\there \\\"q\\\" back\\\\slash\\n\", u: \"\\u00e9\\u0001\"}",
              "{\"k\": \"tab\\there \\\"q\\\" back\\\\slash\\n\", \"u\": \"\xc3\xa9\\u0001\"}");
    s_json_is("outer:\n  inner: [1, {a: [], b: {}}]\n  \"key with: colon\": x\n",
              "{\"outer\": {\"inner\": [1, {\"a\": [], \"b\": {}}], "
              "\"key with: colon\": \"x\"}}");
    s_json_is("plain", "\"plain\"");
    s_json_is("", "null");

    /* Equality is about data, not spelling. */
    cfg_errs_t e;
    cfg_errs_init(&e);
    cfg_node_t *a = s_parse("{x: 1.0, y: abc, z: [TRUE]}", &e);
    cfg_node_t *b = s_parse("{x: 1, y: \"abc\", z: [true]}", &e);
    cfg_node_t *c = s_parse("{x: 1, y: \"abc\", z: [false]}", &e);
    cfg_node_t *d = s_parse("{y: \"abc\", x: 1, z: [true]}", &e);
    cfg_node_t *f = s_parse("{x: '1', y: abc, z: [true]}", &e);
    assert(a && b && c && d && f && e.n == 0);
    assert(cfg_equal(a, b) && !cfg_equal(a, c) && !cfg_equal(a, d) && !cfg_equal(a, f));
    cfg_free(&a), cfg_free(&b), cfg_free(&c), cfg_free(&d), cfg_free(&f);
    cfg_errs_free(&e);
}

static void s_test_set_path(bool verbose)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    cfg_node_t *root = s_parse("n: 1\nspace:\n  C: {type: float, low: 0, high: 1}\ns: x\n"
                               "empty:\n",
                               &e);
    assert(root);
    assert(cfg_set_path(root, "n", "20", &e) == 0);
    assert(cfg_set_path(root, "space.C.high", "10", &e) == 0);
    assert(cfg_set_path(root, "strategy.test.fraction", "0.2", &e) == 0);
    assert(cfg_set_path(root, "list", "[1, b, {c: 2}]", &e) == 0);
    assert(cfg_set_path(root, "empty.x", "'7'", &e) == 0); /* null becomes a map */
    assert(cfg_set_path(root, "nothing", "", &e) == 0);
    assert(e.n == 0);
    char *json = cfg_to_json(root);
    const char *want = "{\"n\": 20, \"space\": {\"C\": {\"type\": \"float\", \"low\": 0, "
                       "\"high\": 10}}, \"s\": \"x\", \"empty\": {\"x\": \"7\"}, "
                       "\"strategy\": {\"test\": {\"fraction\": 0.2}}, "
                       "\"list\": [1, \"b\", {\"c\": 2}], \"nothing\": null}";
    if (strcmp(json, want) != 0)
        fprintf(stderr, "config_test: %s\n", json);
    assert(strcmp(json, want) == 0);
    free(json);
    /* Replaced and created nodes are located at the override. */
    const cfg_node_t *high = cfg_get(root, "space.C.high");
    assert(high->line == 0 && strcmp(high->file, "override 'space.C.high=10'") == 0);
    assert(cfg_get(root, "space.C.low")->line == 3);
    static const char *const keys[] = {"n", "space", "s", "empty", "list", "nothing", NULL};
    assert(cfg_check_keys(root, keys, &e) == -1);
    assert(s_has(&e, "override 'strategy.test.fraction=0.2': unknown key 'strategy'", verbose));

    assert(cfg_set_path(root, "s.x", "1", &e) == -1);
    assert(s_has(&e, "override 's.x=1': 's' is not a map", verbose));
    assert(cfg_set_path(root, "a..b", "1", &e) == -1);
    assert(s_has(&e, "override 'a..b=1': bad key path 'a..b'", verbose));
    assert(cfg_set_path(root, "a.", "1", &e) == -1 && cfg_set_path(root, "", "1", &e) == -1);
    assert(cfg_set_path(root, "a", "[1, 2", &e) == -1);
    assert(s_has(&e, "override 'a=[1, 2': did not find expected ',' or ']'", verbose));
    assert(cfg_set_path(root, "a", "*x", &e) == -1);
    cfg_free(&root);
    cfg_errs_free(&e);
}

/* ---- study files ------------------------------------------------------------------ */

static void s_write(const char *dir, const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    char err[HPS_ERR_LEN];
    int rc = mkdir_p(path, err);
    assert(rc == 0);
    *slash = '/';
    rc = file_write_atomic(path, text, strlen(text), err);
    assert(rc == 0);
    (void)rc;
    free(path);
}

static int s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Load dir/rel with overrides; expect success (sub NULL) or an error containing sub. */
static study_config_t *s_load(const char *dir, const char *rel, int n, char *const *ov,
                              const char *sub, bool verbose)
{
    cfg_errs_t e;
    cfg_errs_init(&e);
    char *path = xasprintf("%s/%s", dir, rel);
    study_config_t *s = study_config_load(path, n, ov, &e);
    if (sub)
        assert(!s && s_has(&e, sub, verbose));
    else if (!s)
        cfg_errs_print(&e, stderr);
    assert(sub || s);
    free(path);
    cfg_errs_free(&e);
    return s;
}

static const char *const s_main_yaml =
    "defaults:\n"
    "  - strategy: quick\n"
    "  - sampler: seeded\n"
    "study: demo\n"
    "n_trials: 5\n"
    "objective: {type: synthetic, function: sphere}\n"
    "space:\n"
    "  x: {type: float, low: -5, high: 5}\n"
    "  y: {type: float, low: -5, high: 5}\n"
    "strategy: {folds: 2}\n";

static void s_write_groups(const char *dir)
{
    s_write(dir, "main.yaml", s_main_yaml);
    s_write(dir, "strategy/quick.yaml", "strategy: {type: quick, folds: 9, metric: acc}\n");
    s_write(dir, "strategy/rigorous.yaml", "strategy: {type: rigorous, folds: 5}\n"
                                           "n_trials: 50\n");
    s_write(dir, "sampler/seeded.yaml", "sampler: {type: random, seed: 3}\n");
    s_write(dir, "sampler/other.yaml", "sampler: {type: random, seed: 4}\nstudy: other\n");
    s_write(dir, "sampler/broken.yaml", "sampler: {type: random\n");
    s_write(dir, "sampler/typo.yaml", "sampler: {type: random}\nn_trail: 3\n");
    s_write(dir, "model/nested.yaml", "defaults:\n  - sampler: seeded\n");
    s_write(dir, "bad_defaults.yaml", "defaults: [strategy: nope, _self_, {a: 1, b: 2}]\n");
    s_write(dir, "dup_defaults.yaml", "defaults: [strategy: quick, strategy: rigorous]\n");
}

static void s_test_groups(const char *dir, bool verbose)
{
    s_write_groups(dir);
    study_config_t *s = s_load(dir, "main.yaml", 0, NULL, NULL, verbose);
    /* The study file wins over its groups; groups fill in the rest. */
    assert(strcmp(s->name, "demo") == 0 && s->n_trials == 5);
    long folds = 0, seed = 0;
    const char *type = NULL;
    assert(cfg_long(s->strategy, "folds", 0, &folds, NULL) == 0 && folds == 2);
    assert(cfg_str(s->strategy, "type", NULL, &type, NULL) == 0 && strcmp(type, "quick") == 0);
    assert(cfg_long(s->sampler, "seed", 0, &seed, NULL) == 0 && seed == 3);
    assert(cfg_get(s->root, "defaults") == NULL);
    assert(strncmp(s->json, "{\"study\": \"demo\"", 16) == 0); /* study file's order first */
    assert(s->direction == DIR_MINIMIZE && s->max_retries == 3);
    study_config_destroy(&s);
    assert(!s);

    char *ov1[] = {"strategy=rigorous", "sampler=other", "sampler.seed=7", "strategy.folds=3",
                   "+max_retries=0", "direction=maximize"};
    s = s_load(dir, "main.yaml", 6, ov1, NULL, verbose);
    assert(cfg_str(s->strategy, "type", NULL, &type, NULL) == 0 && !strcmp(type, "rigorous"));
    assert(cfg_long(s->strategy, "folds", 0, &folds, NULL) == 0 && folds == 3);
    assert(cfg_get(s->strategy, "metric") == NULL); /* quick's keys are gone */
    assert(cfg_long(s->sampler, "seed", 0, &seed, NULL) == 0 && seed == 7);
    assert(s->n_trials == 5 && strcmp(s->name, "demo") == 0 && s->max_retries == 0);
    assert(s->direction == DIR_MAXIMIZE);
    study_config_destroy(&s);

    char *ov2[] = {"model=nested"};
    char *ov_none[] = {"strategy=null", "n_trials=7"};
    s = s_load(dir, "main.yaml", 2, ov_none, NULL, verbose);
    assert(s->n_trials == 7 && cfg_get(s->strategy, "type") == NULL);
    study_config_destroy(&s);

    s_load(dir, "main.yaml", 1, ov2, "defaults: not supported inside group files", verbose);
    char *ov3[] = {"strategy=nope"};
    s_load(dir, "main.yaml", 1, ov3, "override 'strategy=nope': unknown strategy 'nope' "
                                     "(choices in ",
           verbose);
    char *ov4[] = {"sampler=broken"};
    s_load(dir, "main.yaml", 1, ov4, "sampler/broken.yaml:2:1:", verbose);
    char *ov5[] = {"sampler=typo"};
    s_load(dir, "main.yaml", 1, ov5, "sampler/typo.yaml:2:1: unknown key 'n_trail'", verbose);
    s_load(dir, "bad_defaults.yaml", 0, NULL, "bad_defaults.yaml:1:22: unknown strategy 'nope'",
           verbose);
    s_load(dir, "bad_defaults.yaml", 0, NULL, "bad_defaults.yaml:1:28: defaults: '_self_'",
           verbose);
    s_load(dir, "bad_defaults.yaml", 0, NULL, "1:36: defaults: each entry must be a single",
           verbose);
    s_load(dir, "dup_defaults.yaml", 0, NULL, "1:29: defaults: group 'strategy' chosen twice",
           verbose);
}

static void s_test_overrides(const char *dir, bool verbose)
{
    char *bad1[] = {"n_trials"};
    s_load(dir, "main.yaml", 1, bad1, "override 'n_trials': expected key=value", verbose);
    char *bad2[] = {"=5"};
    s_load(dir, "main.yaml", 1, bad2, "override '=5': empty key", verbose);
    char *bad3[] = {"space..x=1"};
    s_load(dir, "main.yaml", 1, bad3, "bad key path 'space..x'", verbose);
    char *bad4[] = {"study.name=x"};
    s_load(dir, "main.yaml", 1, bad4, "override 'study.name=x': 'study' is not a map", verbose);
    char *bad5[] = {"n_trials=0"};
    s_load(dir, "main.yaml", 1, bad5, "override 'n_trials=0': n_trials: must be >= 1", verbose);
    char *bad6[] = {"n_trail=3"};
    s_load(dir, "main.yaml", 1, bad6, "override 'n_trail=3': unknown key 'n_trail' (did you "
                                      "mean 'n_trials'?)",
           verbose);
    char *bad7[] = {"space.x.high=[1"};
    s_load(dir, "main.yaml", 1, bad7, "override 'space.x.high=[1': did not find", verbose);
    char *bad8[] = {"space.x.high=-10"};
    s_load(dir, "main.yaml", 1, bad8, "main.yaml:8:25: x: low (-5) must be <= high (-10)",
           verbose);
    char *bad9[] = {"space.x.low=abc"};
    s_load(dir, "main.yaml", 1, bad9, "override 'space.x.low=abc': low: expected a number",
           verbose);
}

/* Several errors in one file are all reported, each at its node. */
static void s_test_validation(const char *dir, bool verbose)
{
    s_write(dir, "many.yaml", "study: ''\n"
                              "n_trials: -1\n"
                              "max_retries: x\n"
                              "direction: up\n"
                              "objective: {function: sphere}\n"
                              "space: {x: {type: float, low: 0, high: 1}}\n"
                              "sampler: random\n"
                              "pruner: {type: nope}\n"
                              "data: {path: a.csv, colums: [x]}\n"
                              "strategy: [1]\n"
                              "seed: -3\n");
    cfg_errs_t e;
    cfg_errs_init(&e);
    char *path = xasprintf("%s/many.yaml", dir);
    assert(study_config_load(path, 0, NULL, &e) == NULL);
    assert(s_has(&e, "many.yaml:1:8: study: the name must not be empty", verbose));
    assert(s_has(&e, "many.yaml:2:11: n_trials: must be >= 1, got -1", verbose));
    assert(s_has(&e, "many.yaml:3:14: max_retries: expected an integer", verbose));
    assert(s_has(&e, "many.yaml:4:12: direction: expected minimize or maximize, got 'up'",
                 verbose));
    assert(s_has(&e, "many.yaml:5:12: objective: missing 'type'", verbose));
    assert(s_has(&e, "many.yaml:7:10: sampler: expected a map", verbose));
    assert(s_has(&e, "many.yaml:8:16: unknown pruner type 'nope'", verbose));
    assert(s_has(&e, "many.yaml:9:21: unknown key 'colums'", verbose));
    assert(s_has(&e, "many.yaml:10:11: strategy: expected a map", verbose));
    assert(s_has(&e, "many.yaml:11:7: seed: must be >= 0", verbose));
    assert(e.n == 10);
    cfg_errs_free(&e);
    free(path);

    s_write(dir, "empty.yaml", "# nothing\n");
    s_load(dir, "empty.yaml", 0, NULL, "empty.yaml:1:1: expected a map of study keys", verbose);
    s_write(dir, "bare.yaml", "study: s\n");
    s_load(dir, "bare.yaml", 0, NULL, "bare.yaml:1:1: missing required key 'n_trials'", verbose);
    s_load(dir, "bare.yaml", 0, NULL, "missing required key 'objective'", verbose);
    s_load(dir, "bare.yaml", 0, NULL, "missing required key 'space'", verbose);
}

/* The full round trip through the stored JSON. */
static void s_test_from_json(const char *dir, bool verbose)
{
    study_config_t *s = s_load(dir, "main.yaml", 0, NULL, NULL, verbose);
    cfg_errs_t e;
    cfg_errs_init(&e);
    study_config_t *t = study_config_from_json(s->json, &e);
    assert(t && e.n == 0);
    assert(strcmp(s->json, t->json) == 0 && cfg_equal(s->root, t->root));
    assert(strcmp(t->name, s->name) == 0 && t->n_trials == s->n_trials);
    assert(t->space->n == 2 && t->direction == s->direction);
    study_config_destroy(&t);
    study_config_destroy(&s);
    assert(study_config_from_json("{\"study\": 1", &e) == NULL);
    assert(s_has(&e, "<stored study>:2:1: did not find expected", verbose));
    cfg_errs_free(&e);
}

/* Every tests/bad_configs/NN-*.yaml must fail with its "# expect: ..." line. */
static void s_test_bad_configs(bool verbose)
{
    const char *dirname = "tests/bad_configs";
    DIR *d = opendir(dirname);
    if (!d) {
        printf("config_test: %s not found from the current directory; skipped\n", dirname);
        return;
    }
    int count = 0;
    for (struct dirent *ent; (ent = readdir(d));) {
        size_t len = strlen(ent->d_name);
        if (len < 5 || strcmp(ent->d_name + len - 5, ".yaml") != 0)
            continue;
        char *path = xasprintf("%s/%s", dirname, ent->d_name);
        char err[HPS_ERR_LEN];
        char *text = file_read(path, NULL, err);
        assert(text);
        cfg_errs_t e;
        cfg_errs_init(&e);
        study_config_t *s = study_config_load(path, 0, NULL, &e);
        if (strcmp(ent->d_name, "good.yaml") == 0) {
            if (!s)
                cfg_errs_print(&e, stderr);
            assert(s);
        } else {
            assert(strncmp(text, "# expect: ", 10) == 0);
            char *want = text + 10;
            want[strcspn(want, "\n")] = '\0';
            if (verbose)
                printf("  %s\n", ent->d_name);
            assert(!s && s_has(&e, want, verbose));
            count++;
        }
        study_config_destroy(&s);
        cfg_errs_free(&e);
        free(text);
        free(path);
    }
    closedir(d);
    assert(count >= 22);
}

/* "Did you mean" for group names and override keys; group folders missing beside a
 * config; data.path resolved against the file that sets it. Runs after s_test_groups. */
static void s_test_hints_and_paths(const char *dir, bool verbose)
{
    char *ov1[] = {"strategy=quik"};
    s_load(dir, "main.yaml", 1, ov1, "override 'strategy=quik': unknown strategy 'quik' (did "
                                     "you mean 'quick'? choices in ", verbose);
    s_load(dir, "main.yaml", 1, ov1, "/strategy/: quick, rigorous)", verbose);
    char *ov2[] = {"stratgey=quick"};
    s_load(dir, "main.yaml", 1, ov2, "unknown key 'stratgey' (did you mean 'strategy'?)",
           verbose);
    char *ov3[] = {"sampelr=seeded"}; /* a group only: no such top-level key */
    char *ov4[] = {"modle=nested"};
    s_load(dir, "main.yaml", 1, ov3, "unknown key 'sampelr' (did you mean 'sampler'?)", verbose);
    s_load(dir, "main.yaml", 1, ov4, "override 'modle=nested': unknown key 'modle' (did you mean "
                                     "'model'?)", verbose);
    /* A config copied without its group folders: one error naming them and the folder. */
    s_write(dir, "alone/main.yaml", s_main_yaml);
    cfg_errs_t e;
    cfg_errs_init(&e);
    char *path = xasprintf("%s/alone/main.yaml", dir);
    assert(!study_config_load(path, 0, NULL, &e) && e.n == 1);
    assert(s_has(&e, "alone/main.yaml:2:15: defaults: no group folder strategy/, sampler/ in '",
                 verbose));
    assert(s_has(&e, "/alone/' (group files <group>/<name>.yaml are looked up", verbose));
    cfg_errs_free(&e);
    free(path);
    /* data.path: relative to the file that sets it, or to the current directory when an
     * override does; absolute paths as written. The tree keeps the text as written. */
    s_write(dir, "sub/d.yaml", "study: d\nn_trials: 1\ndata: {path: ../x.csv}\n"
                               "objective: {type: synthetic, function: sphere}\n"
                               "space: {x: {type: float, low: 0, high: 1}}\n");
    study_config_t *s = s_load(dir, "sub/d.yaml", 0, NULL, NULL, verbose);
    char *want = xasprintf("%s/sub/../x.csv", dir);
    assert(!strcmp(s->data_file, want) && !strcmp(cfg_get(s->data, "path")->value, "../x.csv"));
    free(want);
    study_config_destroy(&s);
    char *ov5[] = {"data.path=y.csv"}, *ov6[] = {"data.path=/abs/z.csv"}, cwd[4096];
    s = s_load(dir, "sub/d.yaml", 1, ov5, NULL, verbose);
    assert(getcwd(cwd, sizeof cwd));
    want = xasprintf("%s/y.csv", cwd);
    assert(!strcmp(s->data_file, want));
    free(want);
    study_config_destroy(&s);
    s = s_load(dir, "sub/d.yaml", 1, ov6, NULL, verbose);
    assert(!strcmp(s->data_file, "/abs/z.csv"));
    study_config_destroy(&s);
}

void config_test(bool verbose)
{
    printf(" * config: ");
    s_test_parse(verbose);
    s_test_reads(verbose);
    s_test_json();
    s_test_set_path(verbose);
    if (!objective_find("synthetic") || !sampler_find("random")) {
        printf("(objective 'synthetic' or sampler 'random' not registered: study tests "
               "skipped) ");
    } else {
        char tmpl[] = "/tmp/hps-config-XXXXXX";
        char *dir = mkdtemp(tmpl);
        assert(dir);
        s_test_groups(dir, verbose);
        s_test_hints_and_paths(dir, verbose);
        s_test_overrides(dir, verbose);
        s_test_validation(dir, verbose);
        s_test_from_json(dir, verbose);
        int rc = nftw(dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
        assert(rc == 0);
        (void)rc;
        s_test_bad_configs(verbose);
    }
    printf("OK\n");
}
