/* slots — what this worker offers the coordinator (its HELLO capabilities: objective
 * types, command policy, resources, labels; core/capable.h), and which slot and GPU
 * devices each of its trials gets.
 *
 * Slots: a running trial holds the lowest slot number free, 0 .. slots-1, and its
 * process sees it as HPS_SLOT. GPUs (--gpus ID[,ID...], or 0..N-1 from --resources
 * gpu=N): a trial of a study asking gpu: k holds the k lowest-numbered devices of the
 * list that no other running trial holds, and sees them (their ids, comma-separated) as
 * CUDA_VISIBLE_DEVICES; the coordinator never leases more GPU trials than there are
 * devices. A trial asking no GPU on a worker with devices sees its slot's device,
 * ids[HPS_SLOT % number of ids], without holding it: so `--slots 2 --gpus 0,1` gives
 * each slot its own device for studies that say nothing about GPUs. On a worker
 * without devices CUDA_VISIBLE_DEVICES is left as the worker found it.
 *
 * Resources default to the machine: cpu to the online CPUs, mem to the physical memory
 * (bytes), gpu to the number of --gpus ids. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "objectives/objective.h"
#include "worker/worker_priv.h"

/* --gpus "0,1" into ids[*n] (owned copies, WORKER_MAX_GPUS at most; empty ids between
 * commas skipped); -1 with err. */
static int s_gpu_ids(const char *text, char **ids, int *n, char *err)
{
    char *copy = xstrdup(text), *save = NULL;
    int rc = 0;
    for (char *id = strtok_r(copy, ",", &save); id && rc == 0; id = strtok_r(NULL, ",", &save)) {
        if (*n >= WORKER_MAX_GPUS || strlen(id) > CAPABLE_VALUE_MAX ||
            strpbrk(id, " \t\n=") != NULL)
            rc = set_err(err, "--gpus: at most %d device ids, each without spaces or '='",
                         WORKER_MAX_GPUS);
        for (int j = 0; rc == 0 && j < *n; j++)
            if (strcmp(ids[j], id) == 0) /* two trials would share it, counted as two */
                rc = set_err(err, "--gpus: device id '%s' is given twice", id);
        if (rc == 0)
            ids[(*n)++] = xstrdup(id);
    }
    free(copy);
    if (rc == 0 && *n == 0)
        rc = set_err(err, "--gpus: no device id");
    return rc;
}

int worker_gpus_count(const char *text, int *n, char *err)
{
    char *ids[WORKER_MAX_GPUS];
    *n = 0;
    int rc = s_gpu_ids(text, ids, n, err);
    for (int i = 0; i < *n; i++)
        free(ids[i]);
    return rc;
}

/* --gpus "0,1" into w->gpus; -1 with err. */
static int s_parse_gpus(worker_t *w, const char *text, char *err)
{
    return s_gpu_ids(text, w->gpus, &w->n_gpus, err);
}

/* Resources from --resources, the defaults filled in, and the GPU ids agreeing. */
static int s_resources(worker_t *w, char *err)
{
    const worker_opts_t *o = w->opts;
    capable_list_t *res = &w->caps.res;
    if (o->resources && capable_parse(o->resources, true, res, err) != 0)
        return -1;
    if (o->gpus && s_parse_gpus(w, o->gpus, err) != 0)
        return -1;
    const capable_kv_t *gpu = capable_find(res, "gpu");
    if (gpu && o->gpus && gpu->amount != w->n_gpus)
        return set_err(err, "--resources gpu=%lld but --gpus names %d device(s)",
                       (long long)gpu->amount, w->n_gpus);
    if (gpu && gpu->amount > WORKER_MAX_GPUS)
        return set_err(err, "--resources gpu: at most %d", WORKER_MAX_GPUS);
    for (int i = 0; gpu && !o->gpus && i < gpu->amount; i++)
        w->gpus[w->n_gpus++] = xasprintf("%d", i);
    if (!gpu && w->n_gpus > 0)
        capable_add(res, "gpu", NULL, w->n_gpus);
    capable_machine(res);
    return 0;
}

int worker__caps_init(worker_t *w, char *err)
{
    capable_t *c = &w->caps;
    *c = (capable_t){.declared = true};
    const char **names = objective_names();
    for (int i = 0; names[i]; i++) { /* `command` too: c->command says which ones */
        c->objectives = xrealloc(c->objectives, sizeof *c->objectives * (size_t)(c->n_objectives + 1));
        c->objectives[c->n_objectives++] = xstrdup(names[i]);
    }
    free(names);
    c->command = w->policy.none      ? CAPABLE_CMD_NONE
                 : w->policy.pattern ? CAPABLE_CMD_MATCH
                                     : CAPABLE_CMD_ANY;
    if (c->command == CAPABLE_CMD_MATCH) {
        c->pattern = xstrdup(w->policy.pattern);
        c->allow_env = w->policy.env ? xstrdup(w->policy.env) : NULL;
        c->allow_cwd = w->policy.cwd != NULL;
    }
    if (w->opts->labels && capable_parse(w->opts->labels, false, &c->labels, err) != 0)
        return -1;
    w->slot_used = xcalloc((size_t)w->slots, sizeof *w->slot_used);
    return s_resources(w, err);
}

void worker__caps_fini(worker_t *w)
{
    capable_clear(&w->caps);
    for (int i = 0; i < w->n_gpus; i++)
        free(w->gpus[i]);
    w->n_gpus = 0;
    free(w->slot_used);
    w->slot_used = NULL;
}

int worker__slot_claim(worker_t *w, task_t *t, char *err)
{
    int want = (int)proto_int_or(t->trial, "gpus", 0), free_gpus = 0;
    if (want > w->n_gpus)
        return set_err(err, "the trial needs %d GPU(s), this worker has %d", want, w->n_gpus);
    for (int i = 0; i < w->n_gpus; i++)
        free_gpus += !(w->gpu_used & (1ull << i));
    int slot = 0;
    while (slot < w->slots && w->slot_used[slot])
        slot++;
    if (slot == w->slots || free_gpus < want)
        return 0; /* waits for a running trial to end */
    t->slot = slot;
    w->slot_used[slot] = 1;
    t->gpu_mask = 0;
    for (int i = 0; i < w->n_gpus && want > 0; i++)
        if (!(w->gpu_used & (1ull << i))) {
            t->gpu_mask |= 1ull << i;
            want--;
        }
    w->gpu_used |= t->gpu_mask;
    return 1;
}

void worker__slot_release(worker_t *w, task_t *t)
{
    if (t->slot < 0)
        return;
    w->slot_used[t->slot] = 0;
    w->gpu_used &= ~t->gpu_mask;
    t->slot = -1;
    t->gpu_mask = 0;
}

int worker__slot_env(const worker_t *w, const task_t *t, char *env[2])
{
    env[0] = xasprintf("HPS_SLOT=%d", t->slot);
    if (w->n_gpus == 0)
        return 1;
    strbuf_t sb;
    sb_init(&sb);
    sb_puts(&sb, "CUDA_VISIBLE_DEVICES=");
    if (!t->gpu_mask)
        sb_puts(&sb, w->gpus[t->slot % w->n_gpus]);
    for (int i = 0, n = 0; i < w->n_gpus; i++)
        if (t->gpu_mask & (1ull << i))
            sb_printf(&sb, "%s%s", n++ ? "," : "", w->gpus[i]);
    env[1] = sb_take(&sb);
    return 2;
}
