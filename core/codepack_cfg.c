/* codepack_cfg — a command objective's `code:` / `code_dir:` options: their checks and
 * the archive they name (see codepack.h). Paths are relative to the directory of the
 * config file that sets them, as data.path is, so a config runs from any directory. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/codepack.h"
#include "core/util.h"

/* Whether a `code:` item is a relative path inside the config's directory. */
static bool s_item_ok(const char *s)
{
    if (!*s || s[0] == '/')
        return false;
    for (const char *c = s; *c;) {
        size_t k = strcspn(c, "/");
        if (k == 2 && c[0] == '.' && c[1] == '.')
            return false;
        c += k;
        if (*c)
            c++;
    }
    return true;
}

void codepack_check(const cfg_node_t *obj, cfg_errs_t *errs)
{
    const cfg_node_t *code = cfg_get(obj, "code"), *dir = cfg_get(obj, "code_dir");
    const cfg_node_t *sha = cfg_get(obj, "code_sha256"), *cwd = cfg_get(obj, "cwd");
    if (code && code->type == CFG_NULL)
        code = NULL;
    if (dir && dir->type == CFG_NULL)
        dir = NULL;
    if (code && dir)
        cfg_error(errs, dir, "code_dir: give code (a list of files and directories) or "
                             "code_dir, not both");
    if ((code || dir) && cwd && cwd->type != CFG_NULL)
        cfg_error(errs, cwd, "cwd: a command with code runs in the worker's copy of it; "
                             "drop cwd");
    if (dir && (dir->type != CFG_SCALAR || !dir->value[0]))
        cfg_error(errs, dir, "code_dir: expected a directory path");
    if (code && code->type != CFG_SCALAR && (code->type != CFG_SEQ || code->n == 0))
        cfg_error(errs, code, "code: expected a path or a non-empty list of paths");
    for (int i = 0; code && i < (code->type == CFG_SEQ ? code->n : 1); i++) {
        const cfg_node_t *it = code->type == CFG_SEQ ? code->items[i] : code;
        if (it->type != CFG_SCALAR)
            cfg_error(errs, it, "code: each item must be a path");
        else if (!s_item_ok(it->value))
            cfg_error(errs, it, "code: '%s': give paths inside the config's directory, "
                      "relative to it (for code elsewhere use code_dir)", it->value);
    }
    if (sha && sha->type != CFG_NULL && (sha->type != CFG_SCALAR || !is_sha256_hex(sha->value)))
        cfg_error(errs, sha, "code_sha256: expected 64 hex digits (set by run and submit)");
}

/* path resolved against the directory of node's file (the current directory when an
 * override set it). Caller frees. */
static char *s_resolve(const cfg_node_t *node, const char *path)
{
    if (path[0] == '/' || node->line == 0)
        return xstrdup(path);
    char *file = xstrdup(node->file);
    char *out = xasprintf("%s/%s", dirname(file), path);
    free(file);
    return out;
}

/* A `code:` item as its archive path: "./a//b/" is "a/b"; "." is "" (the top). */
static char *s_archive_name(const char *item)
{
    strbuf_t sb;
    sb_init(&sb);
    for (const char *c = item; *c;) {
        size_t k = strcspn(c, "/");
        if (k > 0 && !(k == 1 && c[0] == '.')) {
            if (sb.len)
                sb_putc(&sb, '/');
            sb_putn(&sb, c, k);
        }
        c += k;
        if (*c)
            c++;
    }
    return sb_take(&sb);
}

int codepack_of_config(const cfg_node_t *obj, char **data, size_t *len, cfg_errs_t *errs)
{
    *data = NULL;
    *len = 0;
    const cfg_node_t *code = cfg_get(obj, "code"), *dir = cfg_get(obj, "code_dir");
    const cfg_node_t *at = code && code->type != CFG_NULL ? code : dir;
    if (!at || at->type == CFG_NULL)
        return 0;
    int before = errs->n;
    codepack_check(obj, errs);
    if (errs->n > before)
        return -1;
    int n = at == dir ? 1 : code->type == CFG_SEQ ? code->n : 1;
    codepack_root_t *roots = xcalloc((size_t)n, sizeof *roots);
    for (int i = 0; i < n; i++) {
        const cfg_node_t *it = at == dir || code->type == CFG_SCALAR ? at : code->items[i];
        roots[i].src = s_resolve(it, it->value);
        roots[i].name = at == dir ? xstrdup("") : s_archive_name(it->value);
    }
    char err[HPS_ERR_LEN];
    *data = codepack_pack(roots, n, len, err);
    if (!*data)
        cfg_error(errs, at, "%s: %s", at == dir ? "code_dir" : "code", err);
    for (int i = 0; i < n; i++) {
        free((char *)roots[i].src);
        free((char *)roots[i].name);
    }
    free(roots);
    return *data ? 0 : -1;
}
