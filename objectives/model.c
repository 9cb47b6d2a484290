/* model — the model registry and trial hyperparameters (see model.h). */
#include "objectives/model.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const model_ops_t logreg_model, ridge_model, mlp_model, xgboost_model;

static const model_ops_t *const s_models[] = {
    &logreg_model,
    &ridge_model,
    &mlp_model,
    &xgboost_model,
    NULL, /* the end */
};

const model_ops_t *model_find(const char *name)
{
    return name ? registry_find((const void *const *)s_models, name) : NULL;
}

bool model_known(const char *name) { return model_find(name) != NULL; }

typedef struct {
    char *name;  /* owned */
    char *text;  /* owned: the value as written */
    double num;  /* the value as a number; NaN when it is not one */
} s_hp_t;

struct hparams_s {
    int n;
    s_hp_t *items; /* owned */
};

hparams_t *hparams_new(void) { return xcalloc(1, sizeof(hparams_t)); }

void hparams_destroy(hparams_t **hp_p)
{
    assert(hp_p);
    hparams_t *hp = *hp_p;
    if (!hp)
        return;
    for (int i = 0; i < hp->n; i++) {
        free(hp->items[i].name);
        free(hp->items[i].text);
    }
    free(hp->items);
    free(hp);
    *hp_p = NULL;
}

static s_hp_t *s_find(const hparams_t *hp, const char *name)
{
    for (int i = 0; hp && i < hp->n; i++)
        if (strcmp(hp->items[i].name, name) == 0)
            return &hp->items[i];
    return NULL;
}

void hparams_set(hparams_t *hp, const char *name, const char *text)
{
    assert(hp && name && text);
    s_hp_t *it = s_find(hp, name);
    if (!it) {
        hp->items = xrealloc(hp->items, (size_t)(hp->n + 1) * sizeof *hp->items);
        it = &hp->items[hp->n++];
        it->name = xstrdup(name);
    } else {
        free(it->text);
    }
    it->text = xstrdup(text);
    if (parse_double(text, &it->num) == 0)
        return;
    if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0)
        it->num = 1;
    else if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0)
        it->num = 0;
    else
        it->num = NAN;
}

hparams_t *hparams_from_study(const study_config_t *study, const double *x)
{
    hparams_t *hp = hparams_new();
    const cfg_node_t *obj = study->objective;
    for (int i = 0; obj && obj->type == CFG_MAP && i < obj->n; i++)
        if (strcmp(obj->keys[i], "type") != 0 && obj->items[i]->type == CFG_SCALAR)
            hparams_set(hp, obj->keys[i], obj->items[i]->value);
    for (int i = 0; x && study->space && i < study->space->n; i++) {
        const param_t *p = &study->space->params[i];
        char buf[64];
        if (isnan(x[i]))
            continue; /* inactive: not set, the model keeps its default */
        if (p->kind == PARAM_CAT) {
            int k = (int)lround(x[i]);
            assert(k >= 0 && k < p->n_choices);
            hparams_set(hp, p->name, p->choices[k]);
            continue;
        }
        if (p->kind == PARAM_INT)
            snprintf(buf, sizeof buf, "%ld", lround(x[i]));
        else
            snprintf(buf, sizeof buf, "%.17g", x[i]);
        hparams_set(hp, p->name, buf);
    }
    return hp;
}

double hp_double(const hparams_t *hp, const char *name, double def)
{
    const s_hp_t *it = s_find(hp, name);
    return it && !isnan(it->num) ? it->num : def;
}

long hp_long(const hparams_t *hp, const char *name, long def)
{
    const s_hp_t *it = s_find(hp, name);
    return it && !isnan(it->num) ? lround(it->num) : def;
}

const char *hp_str(const hparams_t *hp, const char *name, const char *def)
{
    const s_hp_t *it = s_find(hp, name);
    return it ? it->text : def;
}

char *hparams_describe(const hparams_t *hp)
{
    strbuf_t sb;
    sb_init(&sb);
    for (int i = 0; hp && i < hp->n; i++)
        sb_printf(&sb, "%s%s=%s", i ? ", " : "", hp->items[i].name, hp->items[i].text);
    return sb_take(&sb);
}

void model_test(bool verbose)
{
    if (verbose)
        printf(" * model:\n");
    assert(model_find("logreg") == &logreg_model && model_find("ridge") == &ridge_model);
    assert(model_find("svm") == NULL && model_find(NULL) == NULL);
    for (size_t i = 0; s_models[i]; i++)
        assert(s_models[i]->fit && s_models[i]->predict && s_models[i]->destroy &&
               s_models[i]->hparams && s_models[i]->save && s_models[i]->load);
    hparams_t *hp = hparams_new();
    hparams_set(hp, "C", "0.5");
    hparams_set(hp, "max_iter", "100");
    hparams_set(hp, "penalty", "l2");
    hparams_set(hp, "sublinear_tf", "false");
    hparams_set(hp, "C", "2"); /* a later value wins */
    assert(hp_double(hp, "C", 1) == 2 && hp_long(hp, "max_iter", 5) == 100);
    assert(!strcmp(hp_str(hp, "penalty", "x"), "l2") && hp_double(hp, "penalty", 7) == 7);
    assert(hp_long(hp, "sublinear_tf", 1) == 0 && hp_long(hp, "absent", 9) == 9);
    assert(!strcmp(hp_str(hp, "absent", "d"), "d") && hp_str(NULL, "C", NULL) == NULL);
    char *d = hparams_describe(hp);
    assert(!strcmp(d, "C=2, max_iter=100, penalty=l2, sublinear_tf=false"));
    free(d);
    hparams_destroy(&hp);
    assert(hp == NULL);
}
