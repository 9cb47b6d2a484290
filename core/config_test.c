/* config_test — the self-test of the config tree (config.c, config_json.c): parsing
 * and positions, typed reads, canonical JSON, overrides. It lives in its own file to
 * keep config.c about the tree alone. Loading whole studies (groups, validation, the
 * bad study files) needs the plugins' checks: coordinator/study_check_test.c. */
#include "core/config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

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
    assert(e.n >= 1 && cfg_errs_has(&e, sub, verbose));
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
    assert(cfg_errs_has(&e, "/nonexistent/x.yaml: No such file", verbose));
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
    assert(cfg_errs_has(&e, "t.yaml:9:6: map: expected a string, got a map", verbose));
    assert(cfg_double(m, "s", 1, &d, &e) == -1 && d == 1);
    assert(cfg_errs_has(&e, "t.yaml:1:4: s: expected a number, got 'abc'", verbose));
    assert(cfg_double(m, "q", 1, &d, &e) == -1); /* quoted numbers are strings */
    assert(cfg_errs_has(&e, "q: expected a number, got the string \"5\"", verbose));
    assert(cfg_long(m, "f", 1, &l, &e) == -1 && l == 1);
    assert(cfg_errs_has(&e, "t.yaml:5:4: f: expected an integer, got '2.5'", verbose));
    assert(cfg_long(m, "huge", 1, &l, &e) == -1);
    assert(cfg_bool(m, "i", false, &b, &e) == -1);
    assert(cfg_errs_has(&e, "i: expected true or false, got '42'", verbose));
    /* A map or a list where a number or a bool is wanted (these aborted; fuzz_config). */
    assert(cfg_double(m, "map", 1, &d, &e) == -1 && d == 1);
    assert(cfg_errs_has(&e, "map: expected a number, got a map", verbose));
    assert(cfg_long(m, "map", 1, &l, &e) == -1);
    assert(cfg_errs_has(&e, "map: expected an integer, got a map", verbose));
    assert(cfg_bool(m, "map", false, &b, &e) == -1);
    assert(cfg_errs_has(&e, "map: expected true or false, got a map", verbose));
    int n = e.n;
    static const char *const allowed[] = {"s", "q", "i", "k", "f", "t", "n", "negs",
                                          "map", "huge", NULL};
    assert(cfg_check_keys(m, allowed, &e) == -1 && e.n == n + 1);
    assert(cfg_errs_has(&e, "t.yaml:8:1: unknown key 'neg' (did you mean 'negs'?)", verbose));
    static const char *const few[] = {"zzzzzz", NULL};
    assert(cfg_check_keys(cfg_get(m, "map"), few, &e) == -1);
    assert(cfg_errs_has(&e, "t.yaml:9:7: unknown key 'a'", verbose));
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
    assert(cfg_errs_has(&e, "override 'strategy.test.fraction=0.2': unknown key 'strategy'", verbose));

    assert(cfg_set_path(root, "s.x", "1", &e) == -1);
    assert(cfg_errs_has(&e, "override 's.x=1': 's' is not a map", verbose));
    assert(cfg_set_path(root, "a..b", "1", &e) == -1);
    assert(cfg_errs_has(&e, "override 'a..b=1': bad key path 'a..b'", verbose));
    assert(cfg_set_path(root, "a.", "1", &e) == -1 && cfg_set_path(root, "", "1", &e) == -1);
    assert(cfg_set_path(root, "a", "[1, 2", &e) == -1);
    assert(cfg_errs_has(&e, "override 'a=[1, 2': did not find expected ',' or ']'", verbose));
    assert(cfg_set_path(root, "a", "*x", &e) == -1);
    cfg_free(&root);
    cfg_errs_free(&e);
}

void config_test(bool verbose)
{
    printf(" * config: ");
    s_test_parse(verbose);
    s_test_reads(verbose);
    s_test_json();
    s_test_set_path(verbose);
    printf("OK\n");
}
