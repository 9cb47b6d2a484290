/* fuzz_config — libFuzzer target for study configs: the YAML loader (core/config*.c),
 * `defaults:` groups, key=value overrides and the whole validation with the
 * coordinator's plugin checks (study_check_all), as `hps run` and `hps submit` do.
 *
 * Input: YAML text, then optionally a NUL byte and overrides separated by NUL or
 * newline bytes. The text is written to study.yaml in a work directory (HPS_FUZZ_DIR,
 * else a new one under /tmp) in which model/, sampler/ and strategy/ link to the group
 * folders of configs/ (HPS_FUZZ_CONFIGS, default ./configs), so `defaults:` and
 * group overrides reach real group files. A config either loads or fails with errors;
 * one that loads must come back from its stored JSON, as the coordinator reloads it.
 * With HPS_FUZZ_VERBOSE set, each input's errors (or "loaded") go to stderr: run the
 * binary on a few files to see what the seeds reach. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/study_check.h"
#include "core/study.h"
#include "core/util.h"

#define MAX_OVERRIDES 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_path[PATH_MAX];

static void s_die(const char *what)
{
    fprintf(stderr, "fuzz_config: %s: %s\n", what, strerror(errno));
    exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static char tmpl[] = "/tmp/hps-fuzz-config-XXXXXX";
    const char *dir = getenv("HPS_FUZZ_DIR");
    if (dir && *dir) {
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            s_die(dir);
    } else if (!(dir = mkdtemp(tmpl))) {
        s_die("mkdtemp");
    }
    const char *configs = getenv("HPS_FUZZ_CONFIGS");
    char real[PATH_MAX];
    if (realpath(configs && *configs ? configs : "configs", real)) {
        static const char *const groups[] = {"model", "sampler", "strategy"};
        for (size_t i = 0; i < sizeof groups / sizeof *groups; i++) {
            char from[PATH_MAX * 2], to[PATH_MAX * 2];
            snprintf(from, sizeof from, "%s/%s", real, groups[i]);
            snprintf(to, sizeof to, "%s/%s", dir, groups[i]);
            if (symlink(from, to) != 0 && errno != EEXIST)
                s_die(to);
        }
    }
    snprintf(s_path, sizeof s_path, "%s/study.yaml", dir);
    return 0;
}

static void s_write(const uint8_t *data, size_t size)
{
    int fd = open(s_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        s_die(s_path);
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0)
            s_die(s_path);
        data += n;
        size -= (size_t)n;
    }
    if (close(fd) != 0)
        s_die(s_path);
}

/* The overrides after the first NUL: copies in ov (NULL-terminated pieces), count. */
static int s_overrides(const uint8_t *rest, size_t n, char *buf, char **ov)
{
    memcpy(buf, rest, n);
    buf[n] = '\0';
    int count = 0;
    for (char *p = buf; p <= buf + n && count < MAX_OVERRIDES;) {
        size_t len = strcspn(p, "\n");
        p[len] = '\0';
        if (len > 0)
            ov[count++] = p;
        p += len + 1;
    }
    return count;
}

static void s_check_errs(const cfg_errs_t *errs)
{
    if (errs->n == 0)
        abort(); /* a refused config always says why */
    for (int i = 0; i < errs->n; i++)
        if (!errs->msgs[i][0])
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    s_write(data, text_len);
    char *buf = NULL, *ov[MAX_OVERRIDES];
    int n_ov = 0;
    if (nul) {
        buf = malloc(size - text_len);
        if (!buf)
            abort();
        n_ov = s_overrides(nul + 1, size - text_len - 1, buf, ov);
    }
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    study_config_t *s = study_config_load(s_path, n_ov, ov, &study_check_all, &errs);
    if (getenv("HPS_FUZZ_VERBOSE")) {
        cfg_errs_print(&errs, stderr);
        fprintf(stderr, "%s\n", s ? "loaded" : "refused");
    }
    if (!s) {
        s_check_errs(&errs);
    } else {
        study_config_t *back = study_config_from_json(s->json, &study_check_all, &errs);
        if (!back || strcmp(back->json, s->json) != 0) {
            cfg_errs_print(&errs, stderr);
            abort(); /* a stored study must reload as it was */
        }
        study_config_destroy(&back);
        study_config_destroy(&s);
    }
    cfg_errs_free(&errs);
    free(buf);
    return 0;
}
