/* study_check_test — the self-test of whole study configs as a coordinator loads them
 * (core/study.c with study_check_all): groups and overrides, validation that reports
 * every error at its node (the plugins' included), the round trip through the stored
 * JSON, and the bad study files under tests/bad_configs/. */
#include "coordinator/study_check.h"

#include <assert.h>
#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    study_config_t *s = study_config_load(path, n, ov, &study_check_all, &e);
    if (sub)
        assert(!s && cfg_errs_has(&e, sub, verbose));
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
    assert(study_config_load(path, 0, NULL, &study_check_all, &e) == NULL);
    assert(cfg_errs_has(&e, "many.yaml:1:8: study: the name is empty", verbose));
    assert(cfg_errs_has(&e, "many.yaml:2:11: n_trials: must be >= 1, got -1", verbose));
    assert(cfg_errs_has(&e, "many.yaml:3:14: max_retries: expected an integer", verbose));
    assert(cfg_errs_has(&e, "many.yaml:4:12: direction: expected minimize or maximize, got 'up'",
                 verbose));
    assert(cfg_errs_has(&e, "many.yaml:5:12: objective: missing 'type'", verbose));
    assert(cfg_errs_has(&e, "many.yaml:7:10: sampler: expected a map", verbose));
    assert(cfg_errs_has(&e, "many.yaml:8:16: unknown pruner type 'nope'", verbose));
    assert(cfg_errs_has(&e, "many.yaml:9:21: unknown key 'colums'", verbose));
    assert(cfg_errs_has(&e, "many.yaml:10:11: strategy: expected a map", verbose));
    assert(cfg_errs_has(&e, "many.yaml:11:7: seed: must be >= 0", verbose));
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
    study_config_t *t = study_config_from_json(s->json, &study_check_all, &e);
    assert(t && e.n == 0);
    assert(strcmp(s->json, t->json) == 0 && cfg_equal(s->root, t->root));
    assert(strcmp(t->name, s->name) == 0 && t->n_trials == s->n_trials);
    assert(t->space->n == 2 && t->direction == s->direction);
    study_config_destroy(&t);
    study_config_destroy(&s);
    assert(study_config_from_json("{\"study\": 1", &study_check_all, &e) == NULL);
    assert(cfg_errs_has(&e, "<stored study>:2:1: did not find expected", verbose));
    cfg_errs_free(&e);
}

/* Every tests/bad_configs/NN-*.yaml must fail with its "# expect: ..." line. */
static void s_test_bad_configs(bool verbose)
{
    const char *dirname = "tests/bad_configs";
    DIR *d = opendir(dirname);
    if (!d) {
        printf("study_check_test: %s not found from the current directory; skipped\n", dirname);
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
        study_config_t *s = study_config_load(path, 0, NULL, &study_check_all, &e);
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
            assert(!s && cfg_errs_has(&e, want, verbose));
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
    assert(!study_config_load(path, 0, NULL, &study_check_all, &e) && e.n == 1);
    assert(cfg_errs_has(&e, "alone/main.yaml:2:15: defaults: no group folder strategy/, sampler/ in '",
                 verbose));
    assert(cfg_errs_has(&e, "/alone/' (group files <group>/<name>.yaml are looked up", verbose));
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

void study_check_test(bool verbose)
{
    printf(" * study_check: ");
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
    printf("OK\n");
}
