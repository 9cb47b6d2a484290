/* config_merge — Hydra-style composition of a study tree: config groups from the
 * `defaults:` list, "group=name" overrides that change those choices, and
 * "a.b.c=value" overrides that set single values.
 *
 * Precedence, lowest first: the groups in list order, then the study file itself,
 * then value overrides in argument order. Groups are merged *under* the study tree
 * (missing keys added, maps merged recursively, existing values kept), last group
 * first, which gives that precedence while keeping the study file's key order. */
#include "core/config.h"
#include "core/config_priv.h"

#include <assert.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One group choice: from a `defaults:` entry or an override. */
typedef struct {
    char *group;  /* owned */
    char *name;   /* owned; NULL = the group is switched off (`group: null`) */
    char *file;   /* owned; where the choice was made, for errors */
    int line, col; /* 0 for overrides */
} s_choice_t;

typedef struct {
    int n;
    s_choice_t *items; /* owned */
} s_choices_t;

static void s_choices_free(s_choices_t *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->items[i].group);
        free(c->items[i].name);
        free(c->items[i].file);
    }
    free(c->items);
    c->n = 0;
    c->items = NULL;
}

/* Set group's choice: replace it where it is, or append it (highest precedence). */
static void s_choose(s_choices_t *c, const char *group, const char *name, const char *file,
                     int line, int col)
{
    s_choice_t *ch = NULL;
    for (int i = 0; i < c->n && !ch; i++)
        if (strcmp(c->items[i].group, group) == 0)
            ch = &c->items[i];
    if (!ch) {
        c->items = xrealloc(c->items, (size_t)(c->n + 1) * sizeof *c->items);
        ch = &c->items[c->n++];
        ch->group = xstrdup(group);
    } else {
        free(ch->name);
        free(ch->file);
    }
    ch->name = name ? xstrdup(name) : NULL;
    ch->file = xstrdup(file);
    ch->line = line;
    ch->col = col;
}

/* One `defaults:` entry: a single-key map {group: name} (name may be null). */
static void s_defaults_entry(const cfg_node_t *item, s_choices_t *c, cfg_errs_t *errs)
{
    if (item->type == CFG_SCALAR && strcmp(item->value, "_self_") == 0) {
        cfg_error(errs, item, "defaults: '_self_' is not supported (the study file always "
                              "overrides its groups)");
        return;
    }
    if (item->type != CFG_MAP || item->n != 1) {
        cfg_error(errs, item, "defaults: each entry must be a single 'group: name' pair");
        return;
    }
    const char *group = item->keys[0];
    const cfg_node_t *v = item->items[0];
    if (!*group || strchr(group, '.') || strchr(group, '/')) {
        cfg_key_error(errs, item, 0, "defaults: bad group name '%s'", group);
        return;
    }
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->items[i].group, group) == 0) {
            cfg_key_error(errs, item, 0, "defaults: group '%s' chosen twice", group);
            return;
        }
    if (v->type == CFG_SCALAR && *v->value)
        s_choose(c, group, v->value, v->file, v->line, v->col);
    else if (v->type == CFG_NULL)
        s_choose(c, group, NULL, v->file, v->line, v->col);
    else
        cfg_error(errs, v, "defaults: group '%s' needs a config name", group);
}

/* Take `defaults:` out of root into c. */
static void s_read_defaults(cfg_node_t *root, s_choices_t *c, cfg_errs_t *errs)
{
    int i = cfg_map_find(root, "defaults");
    if (i < 0)
        return;
    cfg_node_t *list = cfg_map_take(root, i);
    if (list->type == CFG_SEQ) {
        for (int k = 0; k < list->n; k++)
            s_defaults_entry(list->items[k], c, errs);
    } else if (list->type != CFG_NULL) {
        cfg_error(errs, list, "defaults: expected a list of 'group: name' entries");
    }
    cfg_free(&list);
}

/* Merge src under dst (dst wins), consuming src. */
static void s_merge_under(cfg_node_t *dst, cfg_node_t *src)
{
    assert(dst->type == CFG_MAP && src->type == CFG_MAP);
    for (int i = 0; i < src->n; i++) {
        int j = cfg_map_find(dst, src->keys[i]);
        if (j < 0) {
            cfg_map_push(dst, src->keys[i], src->key_line[i], src->key_col[i],
                         src->items[i]);
            src->items[i] = NULL; /* moved */
        } else if (dst->items[j]->type == CFG_MAP && src->items[i]->type == CFG_MAP) {
            s_merge_under(dst->items[j], src->items[i]);
            src->items[i] = NULL; /* consumed by the recursion */
        }
    }
    cfg_free(&src);
}

static bool s_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool s_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void cfg_names_free(char ***names_p)
{
    assert(names_p);
    for (char **n = *names_p; n && *n; n++)
        free(*n);
    free(*names_p);
    *names_p = NULL;
}

/* Entries of dir that are group folders (want_dirs: subfolders holding a .yaml file)
 * or group files (NAME.yaml files, listed as NAME). NULL-terminated, never NULL (an
 * unreadable dir lists nothing); free with cfg_names_free(). */
static char **s_list(const char *dir, bool want_dirs)
{
    char **names = xcalloc(1, sizeof *names);
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        char *full = xasprintf("%s/%s", dir, e->d_name);
        char *name = NULL;
        if (want_dirs && e->d_name[0] != '.' && s_is_dir(full)) {
            char **inside = s_list(full, false);
            if (inside[0])
                name = xstrdup(e->d_name);
            cfg_names_free(&inside);
        } else if (!want_dirs && len > 5 && !strcmp(e->d_name + len - 5, ".yaml") &&
                   s_is_file(full)) {
            name = xstrndup(e->d_name, len - 5);
        }
        free(full);
        if (!name)
            continue;
        names = xrealloc(names, (size_t)(n + 2) * sizeof *names);
        names[n++] = name;
        names[n] = NULL;
    }
    if (d)
        closedir(d);
    return names;
}

/* The folder of a config file ("." for a bare file name). Caller frees. */
static char *s_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

char **cfg_group_names(const char *config_path)
{
    char *dir = s_dirname(config_path);
    char **names = s_list(dir, true);
    free(dir);
    return names;
}

/* "unknown model 'xgbost' (did you mean 'xgboost'? choices in configs/model/: ...)"
 * for a chosen group file that does not exist. */
static void s_unknown_name(const char *gdir, const s_choice_t *ch, cfg_errs_t *errs)
{
    char **names = s_list(gdir, false);
    char *label = xasprintf("choices in %s/", gdir);
    char *hint = did_you_mean(ch->name, (const char *const *)names, label);
    cfg_error_at(errs, ch->file, ch->line, ch->col, "unknown %s '%s'%s", ch->group, ch->name,
                 names[0] ? hint : " (the folder has no .yaml files)");
    free(hint);
    free(label);
    cfg_names_free(&names);
}

/* Load one chosen group file and merge it under root. */
static void s_apply_group(cfg_node_t *root, const char *dir, const s_choice_t *ch,
                          cfg_errs_t *errs)
{
    if (!ch->name)
        return;
    char *gdir = xasprintf("%s/%s", dir, ch->group);
    char *path = xasprintf("%s/%s.yaml", gdir, ch->name);
    cfg_node_t *g = NULL;
    if (!s_is_file(path))
        s_unknown_name(gdir, ch, errs);
    else
        g = cfg_load(path, errs);
    free(path);
    free(gdir);
    if (!g)
        return;
    int d = cfg_map_find(g, "defaults");
    if (g->type != CFG_MAP && g->type != CFG_NULL)
        cfg_error(errs, g, "a group file must be a map of study keys");
    else if (d >= 0)
        cfg_key_error(errs, g, d, "defaults: not supported inside group files");
    else if (g->type == CFG_MAP) {
        s_merge_under(root, g);
        return; /* g consumed */
    }
    cfg_free(&g);
}

/* Choices whose group folder is missing beside the config (it was copied alone) get
 * one error naming them all and where they were looked for; they are then dropped. */
static void s_missing_folders(const char *dir, s_choices_t *c, cfg_errs_t *errs)
{
    strbuf_t sb;
    sb_init(&sb);
    const s_choice_t *first = NULL;
    for (int i = 0; i < c->n; i++) {
        s_choice_t *ch = &c->items[i];
        char *gdir = xasprintf("%s/%s", dir, ch->group);
        if (ch->name && !s_is_dir(gdir)) {
            sb_printf(&sb, "%s%s/", first ? ", " : "", ch->group);
            first = first ? first : ch;
            free(ch->name);
            ch->name = NULL;
        }
        free(gdir);
    }
    if (first) {
        char *abs = realpath(dir, NULL);
        char **groups = s_list(dir, true); /* a typo (modl) rather than a lone copy? */
        char *hint = did_you_mean(first->group, (const char *const *)groups, NULL);
        cfg_error_at(errs, first->file, first->line, first->col,
                     "defaults: no group folder %s in '%s/'%s (group files "
                     "<group>/<name>.yaml are looked up beside the config file: copy those "
                     "folders along)", sb.buf, abs ? abs : dir, hint);
        free(hint);
        cfg_names_free(&groups);
        free(abs);
    }
    sb_free(&sb);
}

/* Split "key=value" (a leading '+' on the key, Hydra's "add", is accepted). Returns
 * the key (caller frees) and points *value into arg; NULL with an error when bad. */
static char *s_split(const char *arg, const char **value, cfg_errs_t *errs)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        cfg_error_at(errs, NULL, 0, 0, "override '%s': expected key=value", arg);
        return NULL;
    }
    const char *key = arg;
    while (*key == '+' && key < eq)
        key++;
    if (key == eq) {
        cfg_error_at(errs, NULL, 0, 0, "override '%s': empty key", arg);
        return NULL;
    }
    if (!eq[1]) {
        cfg_error_at(errs, NULL, 0, 0, "override '%s': empty value", arg);
        return NULL;
    }
    *value = eq + 1;
    return xstrndup(key, (size_t)(eq - key));
}

enum { S_OV_BAD = 0, S_OV_VALUE, S_OV_GROUP };

/* Classify the overrides (S_OV_*) into kind[], noting the group choices. */
static void s_group_overrides(const char *dir, int n, char *const *overrides,
                              s_choices_t *c, char *kind, cfg_errs_t *errs)
{
    for (int i = 0; i < n; i++) {
        const char *value;
        char *key = s_split(overrides[i], &value, errs);
        kind[i] = key ? S_OV_VALUE : S_OV_BAD;
        if (!key)
            continue;
        char *gdir = xasprintf("%s/%s", dir, key);
        if (!strchr(key, '.') && s_is_dir(gdir)) {
            char *label = xasprintf("override '%s'", overrides[i]);
            bool none = !*value || strcmp(value, "null") == 0 || strcmp(value, "~") == 0;
            s_choose(c, key, none ? NULL : value, label, 0, 0);
            free(label);
            kind[i] = S_OV_GROUP;
        }
        free(gdir);
        free(key);
    }
}

/* The key of override arg (after any leading '+'), its length into *n; NULL without '='. */
static const char *s_key_of(const char *arg, size_t *n)
{
    const char *eq = strchr(arg, '=');
    while (eq && *arg == '+' && arg < eq)
        arg++;
    *n = eq ? (size_t)(eq - arg) : 0;
    return eq ? arg : NULL;
}

bool cfg_override_sets(const char *arg, const char *key)
{
    size_t n;
    const char *k = s_key_of(arg, &n);
    return k && n == strlen(key) && strncmp(k, key, n) == 0;
}

/* A key given twice would silently take the last value (and a multirun would name its
 * studies after values they never used): an error. */
static void s_check_repeats(int n, char *const *overrides, cfg_errs_t *errs)
{
    for (int i = 0; i < n; i++) {
        size_t li, lj;
        const char *ki = s_key_of(overrides[i], &li);
        for (int j = 0; ki && j < i; j++) {
            const char *kj = s_key_of(overrides[j], &lj);
            if (kj && li == lj && strncmp(ki, kj, li) == 0) {
                cfg_error_at(errs, NULL, 0, 0, "override '%s': '%.*s' is given twice (also "
                             "'%s')", overrides[i], (int)li, ki, overrides[j]);
                break;
            }
        }
    }
}

int cfg_compose(cfg_node_t *root, const char *path, int n_overrides,
                char *const *overrides, cfg_errs_t *errs)
{
    assert(root && root->type == CFG_MAP && path && errs);
    assert(n_overrides == 0 || overrides);
    int before = errs->n;
    s_check_repeats(n_overrides, overrides, errs);
    if (errs->n > before)
        return -1;
    s_choices_t choices = {0, NULL};
    s_read_defaults(root, &choices, errs);
    char *dir = s_dirname(path);
    char *kind = xcalloc((size_t)n_overrides + 1, 1);
    s_group_overrides(dir, n_overrides, overrides, &choices, kind, errs);
    s_missing_folders(dir, &choices, errs);
    for (int i = choices.n - 1; i >= 0; i--)
        s_apply_group(root, dir, &choices.items[i], errs);
    for (int i = 0; i < n_overrides; i++) {
        const char *value;
        if (kind[i] != S_OV_VALUE)
            continue;
        char *key = s_split(overrides[i], &value, errs);
        assert(key); /* it split in the first pass */
        cfg_set_path(root, key, value, errs);
        free(key);
    }
    free(kind);
    free(dir);
    s_choices_free(&choices);
    return errs->n > before ? -1 : 0;
}

/* Checks a dotted path has no empty segment. */
static bool s_path_ok(const char *dotted)
{
    if (!*dotted || dotted[0] == '.' || dotted[strlen(dotted) - 1] == '.')
        return false;
    return strstr(dotted, "..") == NULL;
}

/* Parse an override's value. Errors name the override without the line:col within the
 * value, which would read as a position in some file. */
static cfg_node_t *s_parse_value(const char *text, const char *label, cfg_errs_t *errs)
{
    cfg_errs_t tmp;
    cfg_errs_init(&tmp);
    cfg_node_t *value = cfg_parse(text, strlen(text), label, &tmp);
    size_t len = strlen(label);
    for (int i = 0; i < tmp.n; i++) {
        const char *msg = tmp.msgs[i];
        if (strncmp(msg, label, len) == 0 && msg[len] == ':') {
            msg += len + 1;
            msg += strspn(msg, "0123456789:");
            msg += strspn(msg, " ");
        }
        cfg_error_at(errs, label, 0, 0, "%s", msg);
    }
    cfg_errs_free(&tmp);
    return value;
}

int cfg_set_path(cfg_node_t *root, const char *dotted, const char *yaml_value,
                 cfg_errs_t *errs)
{
    assert(root && dotted && yaml_value && errs);
    char *label = xasprintf("override '%s=%s'", dotted, yaml_value);
    int rc = -1;
    cfg_node_t *value = NULL;
    if (!s_path_ok(dotted)) {
        cfg_error_at(errs, label, 0, 0, "bad key path '%s'", dotted);
        goto done;
    }
    if (root->type != CFG_MAP) {
        cfg_error_at(errs, label, 0, 0, "the config is not a map");
        goto done;
    }
    value = s_parse_value(yaml_value, label, errs);
    if (!value)
        goto done;
    /* The value's own line:col within the argument would mislead; name the override. */
    cfg_relocate(value, label, 0, 0);
    char *path = xstrdup(dotted);
    cfg_node_t *node = root;
    char *seg = path;
    for (char *dot; (dot = strchr(seg, '.')); seg = dot + 1) {
        *dot = '\0';
        int i = cfg_map_find(node, seg);
        if (i >= 0 && node->items[i]->type == CFG_NULL) {
            cfg_free(&node->items[i]);
            node->items[i] = cfg_node_new(CFG_MAP, label, 0, 0);
            node->key_line[i] = node->key_col[i] = 0;
        } else if (i < 0) {
            cfg_map_push(node, seg, 0, 0, cfg_node_new(CFG_MAP, label, 0, 0));
            i = node->n - 1;
        }
        if (node->items[i]->type != CFG_MAP) {
            cfg_error_at(errs, label, 0, 0, "'%s' is not a map", seg);
            free(path);
            goto done;
        }
        node = node->items[i];
    }
    int i = cfg_map_find(node, seg);
    if (i >= 0) {
        cfg_free(&node->items[i]);
        node->items[i] = value;
        node->key_line[i] = node->key_col[i] = 0; /* the key is the override's now */
    } else {
        cfg_map_push(node, seg, 0, 0, value);
    }
    value = NULL;
    free(path);
    rc = 0;
done:
    cfg_free(&value);
    free(label);
    return rc;
}
