/* capable — worker capabilities against study needs (see capable.h). */
#include "core/capable.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/util.h"

#define SHELL_PREFIX "sh -c "

/* ---- lists ------------------------------------------------------------------------- */

void capable_list_clear(capable_list_t *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    *l = (capable_list_t){0};
}

void capable_add(capable_list_t *l, const char *key, const char *value, int64_t amount)
{
    l->v = xrealloc(l->v, sizeof *l->v * (size_t)(l->n + 1));
    l->v[l->n++] = (capable_kv_t){xstrdup(key), value ? xstrdup(value) : NULL, amount};
}

const capable_kv_t *capable_find(const capable_list_t *l, const char *key)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return &l->v[i];
    return NULL;
}

static int64_t s_amount_of(const capable_list_t *l, const char *key)
{
    const capable_kv_t *kv = capable_find(l, key);
    return kv ? kv->amount : 0;
}

void capable_machine(capable_list_t *l)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES),
         page = sysconf(_SC_PAGESIZE);
    if (!capable_find(l, "cpu") && cpus > 0)
        capable_add(l, "cpu", NULL, cpus);
    if (!capable_find(l, "mem") && pages > 0 && page > 0)
        capable_add(l, "mem", NULL, (int64_t)pages * page);
}

void capable_list_text(const capable_list_t *l, char *out, size_t size)
{
    strbuf_t sb;
    sb_init(&sb);
    for (int i = 0; i < l->n; i++) {
        if (l->v[i].value)
            sb_printf(&sb, "%s%s=%s", i ? ", " : "", l->v[i].key, l->v[i].value);
        else
            sb_printf(&sb, "%s%s=%" PRId64, i ? ", " : "", l->v[i].key, l->v[i].amount);
    }
    snprintf(out, size, "%s", sb.buf ? sb.buf : "");
    sb_free(&sb);
}

void capable_clear(capable_t *c)
{
    for (int i = 0; i < c->n_objectives; i++)
        free(c->objectives[i]);
    free(c->objectives);
    free(c->pattern);
    free(c->allow_env);
    capable_list_clear(&c->res);
    capable_list_clear(&c->labels);
    *c = (capable_t){0};
}

void capable_need_clear(capable_need_t *n)
{
    free(n->objective);
    for (char **a = n->argv; a && *a; a++)
        free(*a);
    free(n->argv);
    for (int i = 0; i < n->n_env; i++)
        free(n->env[i]);
    free(n->env);
    capable_list_clear(&n->res);
    capable_list_clear(&n->constraints);
    *n = (capable_need_t){0};
}

void capable_usage_clear(capable_usage_t *u) { capable_list_clear(&u->used); }

/* ---- parsing ----------------------------------------------------------------------- */

/* A resource name: [a-z][a-z0-9_]*; a label key also takes [A-Z0-9.-/] after the first. */
static bool s_key_ok(const char *k, bool resource)
{
    size_t n = strlen(k);
    if (n == 0 || n > CAPABLE_KEY_MAX || !(islower((unsigned char)k[0]) ||
                                          (!resource && isalnum((unsigned char)k[0]))))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        bool ok = islower(c) || isdigit(c) || c == '_' ||
                  (!resource && (isupper(c) || c == '.' || c == '-' || c == '/'));
        if (!ok)
            return false;
    }
    return true;
}

static bool s_value_ok(const char *v)
{
    return !limits_name_problem(v, CAPABLE_VALUE_MAX) && !strpbrk(v, ",=");
}

/* An amount: digits, then optionally K, M, G or T (powers of 1024). -1 when not one. */
static int s_amount(const char *text, int64_t *out)
{
    if (!isdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    static const char units[] = "KMGT";
    int shift = 0;
    if (*end) {
        const char *u = strchr(units, toupper((unsigned char)*end));
        if (!u || end[1])
            return -1;
        shift = 10 * (int)(u - units + 1);
    }
    if (errno || v > ((unsigned long long)INT64_MAX >> shift))
        return -1;
    *out = (int64_t)(v << shift);
    return 0;
}

/* One "key=value" into l. */
static int s_parse_one(const char *item, bool resources, capable_list_t *l, char *err)
{
    const char *eq = strchr(item, '=');
    const char *what = resources ? "resource" : "label";
    if (!eq)
        return set_err(err, "%s '%s': expected NAME=VALUE", what, item);
    char *key = xstrndup(item, (size_t)(eq - item));
    int64_t amount = 0;
    int rc = 0;
    if (!s_key_ok(key, resources))
        rc = set_err(err, "%s '%s': bad name (%s, at most %d bytes)", what, key,
                     resources ? "[a-z][a-z0-9_]*" : "letters, digits, _ . - /",
                     CAPABLE_KEY_MAX);
    else if (capable_find(l, key))
        rc = set_err(err, "%s '%s' given twice", what, key);
    else if (resources && s_amount(eq + 1, &amount) != 0)
        rc = set_err(err, "resource %s: '%s' is not a whole amount (digits, then "
                          "optionally K, M, G or T)", key, eq + 1);
    else if (!resources && !s_value_ok(eq + 1))
        rc = set_err(err, "label %s: bad value '%s' (printable, no ',' or '=', at most %d "
                          "bytes)", key, eq + 1, CAPABLE_VALUE_MAX);
    else if (l->n >= CAPABLE_MAX_KV)
        rc = set_err(err, "more than %d %ss", CAPABLE_MAX_KV, what);
    else
        capable_add(l, key, resources ? NULL : eq + 1, amount);
    free(key);
    return rc;
}

int capable_parse(const char *text, bool resources, capable_list_t *l, char *err)
{
    char *copy = xstrdup(text), *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
         item = strtok_r(NULL, ",", &save))
        rc = s_parse_one(item, resources, l, err);
    free(copy);
    return rc;
}

/* ---- HELLO ------------------------------------------------------------------------- */

static void s_list_to_hello(const capable_list_t *l, proto_msg_t *m, const char *field)
{
    char **items = xcalloc((size_t)l->n + 1, sizeof *items);
    for (int i = 0; i < l->n; i++)
        items[i] = l->v[i].value ? xasprintf("%s=%s", l->v[i].key, l->v[i].value)
                                 : xasprintf("%s=%" PRId64, l->v[i].key, l->v[i].amount);
    proto_set_strs(m, field, (const char *const *)items, l->n);
    for (int i = 0; i < l->n; i++)
        free(items[i]);
    free(items);
}

void capable_to_hello(const capable_t *c, proto_msg_t *m)
{
    static const char *const modes[] = {"none", "any", "match"};
    if (c->n_objectives >= 0)
        proto_set_strs(m, "objectives", (const char *const *)c->objectives, c->n_objectives);
    proto_set_str(m, "command", modes[c->command]);
    if (c->command == CAPABLE_CMD_MATCH) {
        proto_set_str(m, "allow", c->pattern);
        if (c->allow_env)
            proto_set_str(m, "allow_env", c->allow_env);
        proto_set_int(m, "allow_cwd", c->allow_cwd);
    }
    s_list_to_hello(&c->res, m, "resources");
    s_list_to_hello(&c->labels, m, "labels");
}

static int s_list_from_hello(const proto_msg_t *m, const char *field, bool resources,
                             capable_list_t *l, char *err)
{
    int n = 0;
    char *const *items = proto_get_strs(m, field, &n);
    for (int i = 0; items && i < n; i++)
        if (s_parse_one(items[i], resources, l, err) != 0)
            return -1;
    return 0;
}

/* The command fields of a HELLO that has them. */
static int s_command_from_hello(const proto_msg_t *m, const char *mode, capable_t *c, char *err)
{
    const char *pattern = proto_get_str(m, "allow"), *env = proto_get_str(m, "allow_env");
    if (strcmp(mode, "none") == 0 || strcmp(mode, "any") == 0) {
        c->command = mode[0] == 'n' ? CAPABLE_CMD_NONE : CAPABLE_CMD_ANY;
        return 0;
    }
    if (strcmp(mode, "match") != 0)
        return set_err(err, "HELLO command must be none, any or match");
    if (!pattern || !*pattern || strlen(pattern) > CAPABLE_PATTERN_MAX)
        return set_err(err, "HELLO allow: a pattern of 1 to %d bytes", CAPABLE_PATTERN_MAX);
    if (env && strlen(env) > CAPABLE_PATTERN_MAX)
        return set_err(err, "HELLO allow_env is too long");
    c->command = CAPABLE_CMD_MATCH;
    c->pattern = xstrdup(pattern);
    c->allow_env = env ? xstrdup(env) : NULL;
    c->allow_cwd = proto_int_or(m, "allow_cwd", 0) != 0;
    return 0;
}

int capable_from_hello(const proto_msg_t *m, capable_t *c, char *err)
{
    *c = (capable_t){.n_objectives = -1};
    int n = 0;
    char *const *objectives = proto_get_strs(m, "objectives", &n);
    if (n > CAPABLE_MAX_OBJECTIVES)
        return set_err(err, "HELLO lists more than %d objectives", CAPABLE_MAX_OBJECTIVES);
    if (objectives) {
        c->objectives = xcalloc((size_t)n + 1, sizeof *c->objectives);
        for (c->n_objectives = 0; c->n_objectives < n; c->n_objectives++)
            c->objectives[c->n_objectives] = xstrdup(objectives[c->n_objectives]);
    }
    const char *mode = proto_get_str(m, "command");
    if (!mode)
        return 0; /* an older worker: no command, no resources, no labels */
    c->declared = true;
    if (s_command_from_hello(m, mode, c, err) != 0 ||
        s_list_from_hello(m, "resources", true, &c->res, err) != 0 ||
        s_list_from_hello(m, "labels", false, &c->labels, err) != 0) {
        capable_clear(c);
        return -1;
    }
    return 0;
}

/* ---- studies ----------------------------------------------------------------------- */

/* A scalar's amount, or an error at it. */
static int s_node_amount(const cfg_node_t *v, const char *key, int64_t *out, cfg_errs_t *errs)
{
    if (v->type == CFG_SCALAR && s_amount(v->value, out) == 0)
        return 0;
    cfg_error(errs, v, "resources.%s: expected a whole amount >= 0 (digits, then optionally "
              "K, M, G or T)", key);
    return -1;
}

static void s_check_value(const cfg_node_t *v, const char *key, cfg_errs_t *errs)
{
    if (v->type != CFG_SCALAR || !s_value_ok(v->value))
        cfg_error(errs, v, "constraints.%s: expected a label value (printable, no ',' or '=', "
                  "at most %d bytes) or a list of them", key, CAPABLE_VALUE_MAX);
}

void capable_check_study(const cfg_node_t *root, cfg_errs_t *errs)
{
    static const char *const sections[] = {"resources", "constraints"};
    for (int s = 0; s < 2; s++) {
        const cfg_node_t *map = cfg_get(root, sections[s]);
        if (!map || map->type == CFG_NULL)
            continue;
        if (map->type != CFG_MAP || map->n > CAPABLE_MAX_KV) {
            cfg_error(errs, map, "%s: expected a map of at most %d names", sections[s],
                      CAPABLE_MAX_KV);
            continue;
        }
        for (int i = 0; i < map->n; i++) {
            const char *key = map->keys[i];
            const cfg_node_t *v = map->items[i];
            int64_t amount;
            if (!s_key_ok(key, s == 0))
                cfg_key_error(errs, map, i, "%s: bad name '%s'", sections[s], key);
            else if (s == 0)
                s_node_amount(v, key, &amount, errs);
            else if (v->type == CFG_SEQ && v->n > 0)
                for (int k = 0; k < v->n; k++)
                    s_check_value(v->items[k], key, errs);
            else
                s_check_value(v, key, errs);
        }
    }
}

void capable_need_from_study(const cfg_node_t *root, const char *const *argv,
                             capable_need_t *need)
{
    *need = (capable_need_t){0};
    const cfg_node_t *obj = cfg_get(root, "objective");
    need->objective = xstrdup(cfg_type_or(obj, ""));
    int n = 0;
    while (argv && argv[n])
        n++;
    if (argv) {
        need->argv = xcalloc((size_t)n + 1, sizeof *need->argv);
        for (int i = 0; i < n; i++)
            need->argv[i] = xstrdup(argv[i]);
    }
    const cfg_node_t *env = cfg_get(obj, "env"), *cwd = cfg_get(obj, "cwd");
    for (int i = 0; env && env->type == CFG_MAP && i < env->n; i++) {
        need->env = xrealloc(need->env, sizeof *need->env * (size_t)(need->n_env + 1));
        need->env[need->n_env++] = xstrdup(env->keys[i]);
    }
    need->cwd = cwd && cwd->type == CFG_SCALAR;
    const cfg_node_t *res = cfg_get(root, "resources"), *cons = cfg_get(root, "constraints");
    for (int i = 0; res && res->type == CFG_MAP && i < res->n; i++) {
        int64_t amount = 0;
        if (res->items[i]->type == CFG_SCALAR && s_amount(res->items[i]->value, &amount) == 0 &&
            amount > 0)
            capable_add(&need->res, res->keys[i], NULL, amount);
    }
    for (int i = 0; cons && cons->type == CFG_MAP && i < cons->n; i++) {
        const cfg_node_t *v = cons->items[i];
        bool seq = v->type == CFG_SEQ;
        for (int k = 0; k < (seq ? v->n : 1); k++) {
            const cfg_node_t *one = seq ? v->items[k] : v;
            if (one->type == CFG_SCALAR)
                capable_add(&need->constraints, cons->keys[i], one->value, 0);
        }
    }
}

int64_t capable_need_amount(const capable_need_t *need, const char *key)
{
    return s_amount_of(&need->res, key);
}

/* ---- matching ---------------------------------------------------------------------- */

bool capable_argv_match(const char *pattern, char *const *argv)
{
    assert(pattern && argv);
    if (strncmp(pattern, SHELL_PREFIX, strlen(SHELL_PREFIX)) == 0)
        return argv[0] && strcmp(argv[0], "/bin/sh") == 0 && argv[1] &&
               strcmp(argv[1], "-c") == 0 && argv[2] && !argv[3] &&
               fnmatch(pattern + strlen(SHELL_PREFIX), argv[2], 0) == 0;
    char *words = xstrdup(pattern), *save = NULL;
    bool ok = true, rest = false;
    int i = 0;
    char *w = strtok_r(words, " ", &save);
    while (ok && w) {
        char *next = strtok_r(NULL, " ", &save);
        if (!next && strcmp(w, "*") == 0) {
            rest = true; /* a last `*`: any further arguments */
            break;
        }
        ok = argv[i] && fnmatch(w, argv[i], FNM_PATHNAME | FNM_PERIOD) == 0;
        i++;
        w = next;
    }
    free(words);
    return ok && (rest || !argv[i]);
}

bool capable_listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        if (strcspn(p, ",") == n && strncmp(p, name, n) == 0)
            return true;
    }
    return false;
}

/* Requirements, checked in this order: the objective type, the command, then one per
 * constraint entry (the first of its key), then one per resource. */
enum { REQ_OBJECTIVE, REQ_COMMAND, REQ_REST };

static bool s_command_ok(const capable_t *w, const capable_need_t *need, char *why, size_t size)
{
    if (strcmp(need->objective, "command") != 0 || w->command == CAPABLE_CMD_ANY)
        return true;
    if (w->command == CAPABLE_CMD_NONE)
        return snprintf(why, size, "runs no command objective"), false;
    if (!need->argv || !capable_argv_match(w->pattern, need->argv))
        return snprintf(why, size, "its --allow-command does not admit the command"), false;
    for (int i = 0; i < need->n_env; i++)
        if (!capable_listed(w->allow_env, need->env[i]))
            return snprintf(why, size, "env %s is not in its --allow-env", need->env[i]), false;
    if (need->cwd && !w->allow_cwd)
        return snprintf(why, size, "the command's cwd needs --allow-cwd"), false;
    return true;
}

/* Whether w's label satisfies the constraint key of entry i (any value of that key). */
static bool s_label_ok(const capable_t *w, const capable_need_t *need, int i)
{
    const capable_kv_t *have = capable_find(&w->labels, need->constraints.v[i].key);
    for (int k = 0; have && k < need->constraints.n; k++)
        if (strcmp(need->constraints.v[k].key, have->key) == 0 &&
            strcmp(need->constraints.v[k].value, have->value) == 0)
            return true;
    return false;
}

/* The first constraint entry of key (entries of one key share the requirement). */
static bool s_first_of_key(const capable_need_t *need, int i)
{
    for (int k = 0; k < i; k++)
        if (strcmp(need->constraints.v[k].key, need->constraints.v[i].key) == 0)
            return false;
    return true;
}

/* The text of constraint key of entry i: "zone=a|b". */
static void s_constraint_text(const capable_need_t *need, int i, char *out, size_t size)
{
    const char *key = need->constraints.v[i].key;
    int len = snprintf(out, size, "%s=", key);
    for (int k = i, first = 1; k < need->constraints.n && len >= 0 && (size_t)len < size; k++)
        if (strcmp(need->constraints.v[k].key, key) == 0) {
            len += snprintf(out + len, size - (size_t)len, "%s%s", first ? "" : "|",
                            need->constraints.v[k].value);
            first = 0;
        }
}

/* Whether w fails requirement r (false also for an index that is no requirement, or a
 * repeated constraint key); why says how. */
static bool s_fails(const capable_t *w, const capable_need_t *need, int r, char *why,
                    size_t size)
{
    if (r == REQ_OBJECTIVE) {
        for (int i = 0; i < w->n_objectives; i++)
            if (strcmp(w->objectives[i], need->objective) == 0)
                return false;
        return w->n_objectives >= 0 &&
               (snprintf(why, size, "runs no %s objective", need->objective), true);
    }
    if (r == REQ_COMMAND)
        return !s_command_ok(w, need, why, size);
    int i = r - REQ_REST;
    if (i < need->constraints.n) {
        if (!s_first_of_key(need, i) || s_label_ok(w, need, i))
            return false;
        char text[256];
        s_constraint_text(need, i, text, sizeof text);
        return snprintf(why, size, "needs label %s", text), true;
    }
    i -= need->constraints.n;
    const capable_kv_t *res = &need->res.v[i];
    if (s_amount_of(&w->res, res->key) >= res->amount)
        return false;
    return snprintf(why, size, "needs %s=%" PRId64, res->key, res->amount), true;
}

static int s_n_reqs(const capable_need_t *need)
{
    return REQ_REST + need->constraints.n + need->res.n;
}

bool capable_can_run(const capable_t *w, const capable_need_t *need, char *why, size_t size)
{
    for (int r = 0; r < s_n_reqs(need); r++)
        if (s_fails(w, need, r, why, size))
            return false;
    return true;
}

bool capable_fits(const capable_t *w, const capable_usage_t *u, const capable_need_t *need)
{
    for (int i = 0; i < need->res.n; i++) {
        const char *key = need->res.v[i].key;
        if (s_amount_of(&w->res, key) - s_amount_of(&u->used, key) < need->res.v[i].amount)
            return false;
    }
    return true;
}

void capable_use(capable_usage_t *u, const capable_need_t *need, int sign)
{
    for (int i = 0; i < need->res.n; i++) {
        capable_kv_t *kv = (capable_kv_t *)capable_find(&u->used, need->res.v[i].key);
        if (!kv) {
            capable_add(&u->used, need->res.v[i].key, NULL, 0);
            kv = &u->used.v[u->used.n - 1];
        }
        kv->amount += sign * need->res.v[i].amount;
        assert(kv->amount >= 0);
    }
}

/* Requirement r that every worker fails, said once for all of them. */
static void s_explain_all(const capable_t *const *w, int n, const capable_need_t *need, int r,
                          const char *why, char *out, size_t size)
{
    if (r == REQ_OBJECTIVE) {
        snprintf(out, size, "objective %s: no connected worker runs it", need->objective);
        return;
    }
    if (r == REQ_COMMAND) {
        snprintf(out, size, "command not allowed on any connected worker: %s%s",
                 n == 1 ? "" : "e.g. ", why);
        return;
    }
    int i = r - REQ_REST;
    char have[256] = "";
    size_t len = 0;
    bool label = i < need->constraints.n;
    const char *key = label ? need->constraints.v[i].key : need->res.v[i - need->constraints.n].key;
    int64_t most = 0;
    for (int k = 0; k < n; k++) {
        const capable_kv_t *kv = capable_find(label ? &w[k]->labels : &w[k]->res, key);
        if (kv && label && !strstr(have, kv->value) && len < sizeof have / 2)
            len += (size_t)snprintf(have + len, sizeof have - len, "%s%s=%s", len ? ", " : "",
                                    key, kv->value);
        if (kv && !label && kv->amount > most)
            most = kv->amount;
    }
    if (label)
        snprintf(out, size, "%s; connected workers have %s", why, len ? have : "none");
    else if (most == 0)
        snprintf(out, size, "%s; connected workers offer none", why);
    else
        snprintf(out, size, "%s; connected workers offer at most %s=%" PRId64, why, key, most);
}

void capable_explain(const capable_t *const *w, int n, const capable_need_t *need, char *out,
                     size_t size)
{
    char why[HPS_ERR_LEN];
    if (n == 0) {
        snprintf(out, size, "no worker connected");
        return;
    }
    for (int r = 0; r < s_n_reqs(need); r++) {
        int k = 0;
        while (k < n && s_fails(w[k], need, r, why, sizeof why))
            k++;
        if (k == n) {
            s_fails(w[0], need, r, why, sizeof why);
            s_explain_all(w, n, need, r, why, out, size);
            return;
        }
    }
    /* Each worker lacks something else: name what the first ones lack. */
    size_t len = 0;
    for (int k = 0; k < n && k < 3 && len < size; k++) {
        capable_can_run(w[k], need, why, sizeof why);
        len += (size_t)snprintf(out + len, size - len, "%sa worker %s", k ? "; " : "", why);
    }
}

/* ---- self-test --------------------------------------------------------------------- */

static capable_need_t s_need(const char *yaml, const char *const *argv)
{
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    cfg_node_t *root = cfg_parse(yaml, strlen(yaml), "t", &errs);
    assert(root);
    capable_check_study(root, &errs);
    assert(errs.n == 0);
    capable_need_t need;
    capable_need_from_study(root, argv, &need);
    cfg_free(&root);
    cfg_errs_free(&errs);
    return need;
}

/* Parse errors and the HELLO round trip. */
static void s_parse_test(void)
{
    char err[HPS_ERR_LEN];
    capable_list_t l = {0};
    assert(capable_parse("cpu=4,gpu=2,mem=16G", true, &l, err) == 0 && l.n == 3);
    assert(s_amount_of(&l, "mem") == (int64_t)16 << 30 && s_amount_of(&l, "gpu") == 2);
    assert(capable_parse("gpu=1", true, &l, err) == -1 && strstr(err, "given twice"));
    assert(capable_parse("x=1.5", true, &l, err) == -1 && strstr(err, "whole amount"));
    assert(capable_parse("x=-1", true, &l, err) == -1 && capable_parse("X=1", true, &l, err));
    assert(capable_parse("y=99999999999T", true, &l, err) == -1);
    assert(capable_parse("nothing", true, &l, err) == -1 && strstr(err, "NAME=VALUE"));
    char text[128];
    capable_list_text(&l, text, sizeof text);
    assert(strcmp(text, "cpu=4, gpu=2, mem=17179869184") == 0);
    capable_list_t lab = {0};
    assert(capable_parse("zone=a,k8s.io/rack=r-3", false, &lab, err) == 0 && lab.n == 2);
    assert(capable_parse("bad=a\x1b", false, &lab, err) == -1);
    capable_t c = {.declared = true, .n_objectives = -1, .command = CAPABLE_CMD_MATCH,
                   .pattern = xstrdup("python3 *"), .allow_cwd = true, .res = l,
                   .labels = lab};
    proto_msg_t *m = proto_new("HELLO");
    capable_to_hello(&c, m);
    capable_t d;
    assert(capable_from_hello(m, &d, err) == 0 && d.declared && d.n_objectives == -1);
    assert(d.command == CAPABLE_CMD_MATCH && strcmp(d.pattern, "python3 *") == 0);
    assert(d.allow_cwd && !d.allow_env && d.res.n == 3 && d.labels.n == 2);
    assert(strcmp(capable_find(&d.labels, "k8s.io/rack")->value, "r-3") == 0);
    capable_clear(&d);
    proto_set_str(m, "command", "match");
    proto_set_str(m, "allow", "");
    assert(capable_from_hello(m, &d, err) == -1 && !d.pattern);
    proto_set_str(m, "command", "all");
    assert(capable_from_hello(m, &d, err) == -1);
    proto_destroy(&m);
    m = proto_new("HELLO"); /* an older worker */
    const char *objs[] = {"logreg", "command"};
    proto_set_strs(m, "objectives", objs, 2);
    assert(capable_from_hello(m, &d, err) == 0 && !d.declared && d.n_objectives == 2);
    assert(d.command == CAPABLE_CMD_NONE && d.res.n == 0);
    capable_clear(&d);
    proto_destroy(&m);
    capable_clear(&c);
}

static void s_match_test(void)
{
    char why[HPS_ERR_LEN];
    const char *argv[] = {"python3", "train.py", "--fast", NULL};
    capable_need_t cmd = s_need("{objective: {type: command, env: {OMP: '1'}}, "
                                "resources: {gpu: 1, cpu: 0}, constraints: {zone: [a, b]}}",
                                argv);
    assert(cmd.res.n == 1 && capable_need_amount(&cmd, "gpu") == 1 && cmd.n_env == 1);
    capable_t w = {.declared = true, .n_objectives = -1, .command = CAPABLE_CMD_NONE};
    assert(!capable_can_run(&w, &cmd, why, sizeof why) && strstr(why, "runs no command"));
    w.command = CAPABLE_CMD_MATCH;
    w.pattern = xstrdup("python3 train*.py *");
    assert(!capable_can_run(&w, &cmd, why, sizeof why) && strstr(why, "env OMP"));
    w.allow_env = xstrdup("X,OMP");
    assert(!capable_can_run(&w, &cmd, why, sizeof why) && strcmp(why, "needs label zone=a|b") == 0);
    char err[HPS_ERR_LEN];
    assert(capable_parse("zone=b", false, &w.labels, err) == 0);
    assert(!capable_can_run(&w, &cmd, why, sizeof why) && strcmp(why, "needs gpu=1") == 0);
    const capable_t *all[] = {&w};
    char text[256];
    capable_explain(all, 1, &cmd, text, sizeof text);
    assert(strcmp(text, "needs gpu=1; connected workers offer none") == 0);
    assert(capable_parse("gpu=2", true, &w.res, err) == 0);
    assert(capable_can_run(&w, &cmd, why, sizeof why));
    capable_usage_t u = {0};
    assert(capable_fits(&w, &u, &cmd));
    capable_use(&u, &cmd, 1);
    assert(capable_fits(&w, &u, &cmd));
    capable_use(&u, &cmd, 1);
    assert(!capable_fits(&w, &u, &cmd)); /* gpu=2: two trials of gpu: 1 at once */
    capable_use(&u, &cmd, -1);
    assert(capable_fits(&w, &u, &cmd));
    capable_usage_clear(&u);
    free(w.pattern);
    w.pattern = xstrdup("python3 eval.py");
    assert(!capable_can_run(&w, &cmd, why, sizeof why) && strstr(why, "--allow-command"));
    capable_t old = {.n_objectives = -1};
    const capable_t *two[] = {&w, &old};
    capable_explain(two, 2, &cmd, text, sizeof text);
    assert(strstr(text, "command not allowed on any connected worker: e.g. its --allow-co"));
    capable_need_t plain = s_need("{objective: {type: logreg}}", NULL);
    assert(capable_can_run(&old, &plain, why, sizeof why));
    capable_clear(&old);
    capable_need_clear(&cmd);
    capable_need_clear(&plain);
    capable_clear(&w);
}

void capable_test(bool verbose)
{
    (void)verbose;
    s_parse_test();
    s_match_test();
    cfg_errs_t errs;
    cfg_errs_init(&errs);
    const char *bad = "{resources: {gpu: 1.5, Bad: 1}, constraints: {zone: {a: 1}}}";
    cfg_node_t *root = cfg_parse(bad, strlen(bad), "t", &errs);
    capable_check_study(root, &errs);
    assert(errs.n == 3 && cfg_errs_has(&errs, "resources.gpu: expected a whole amount", false));
    assert(cfg_errs_has(&errs, "bad name 'Bad'", false));
    cfg_free(&root);
    cfg_errs_free(&errs);
}
