/* model_io — the model artifact's payload: writing and reading (see model_io.h). */
#include "objectives/model_io.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/proto.h"
#include "objectives/artifact.h"
#include "objectives/features_io.h"

#define MODEL_FORMAT "hps-model"
#define MODEL_MAP_LEN 14

int model_artifact_save(const char *path, const model_fitted_t *fit, char *err)
{
    assert(path && fit && fit->ops && fit->model && fit->pipeline && fit->ds);
    const dataset_t *ds = fit->ds;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, MODEL_MAP_LEN);
    art_put_str(&pk, "format", MODEL_FORMAT);
    art_put_str(&pk, "family", fit->ops->name);
    art_put_str(&pk, "task", ds->classification ? "classification" : "regression");
    art_put_str(&pk, "metric", fit->metric);
    art_put_str(&pk, "y_name", ds->y_name);
    art_put_strs(&pk, "classes", (const char *const *)ds->class_names,
                 (size_t)ds->n_classes);
    art_put_strs(&pk, "ignored", fit->ignored, (size_t)fit->n_ignored);
    art_put_str(&pk, "data_sha256", ds->sha256);
    art_put_long(&pk, "n_train", fit->n_train);
    art_put_str(&pk, "hps_version", HPS_VERSION);
    art_pack_str(&pk, "pipeline");
    features_pack(fit->pipeline, &pk);
    /* select_k: the pipeline's columns kept, ascending (select_n_in 0: all of them) */
    const select_t *sel = fit->select;
    art_put_long(&pk, "select_n_in", sel ? sel->n_in : 0);
    art_put_int32s(&pk, "select_cols", sel ? sel->cols : NULL, sel ? (size_t)sel->n_keep : 0);
    art_pack_str(&pk, "model");
    int rc = fit->ops->save(fit->model, &pk, err);
    if (rc == 0)
        rc = artifact_write(path, sb.data, sb.size, err);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

void model_artifact_destroy(model_artifact_t **self_p)
{
    assert(self_p);
    model_artifact_t *a = *self_p;
    if (!a)
        return;
    if (a->model)
        a->ops->destroy(&a->model);
    features_destroy(&a->pipeline);
    select_destroy(&a->select);
    free(a->y_name);
    free(a->metric);
    free(a->data_sha256);
    art_strs_free(a->classes, a->n_classes);
    art_strs_free(a->ignored, a->n_ignored);
    free(a);
    *self_p = NULL;
}

/* The fields beside the pipeline and the model. 0, or -1 with err. */
static int s_read_meta(model_artifact_t *a, const msgpack_object *map, char *err)
{
    char *format = art_get_str(map, "format", err);
    bool ok = format && strcmp(format, MODEL_FORMAT) == 0;
    free(format);
    if (!ok)
        return set_err(err, "artifact: not an hps model (format is not '%s')", MODEL_FORMAT);
    char *family = art_get_str(map, "family", err), *task = art_get_str(map, "task", err);
    a->ops = family ? model_find(family) : NULL;
    if (family && !a->ops)
        set_err(err, "artifact: model family '%s' is unknown to this hps", family);
    a->classification = task && strcmp(task, "classification") == 0;
    if (task && !a->classification && strcmp(task, "regression") != 0)
        set_err(err, "artifact: task '%s' is neither classification nor regression", task);
    ok = a->ops && task && (a->classification || strcmp(task, "regression") == 0);
    free(family);
    free(task);
    if (!ok)
        return -1;
    a->y_name = art_get_str(map, "y_name", err);
    a->metric = a->y_name ? art_get_str(map, "metric", err) : NULL;
    a->data_sha256 = a->metric ? art_get_str(map, "data_sha256", err) : NULL;
    if (!a->data_sha256 || art_get_long(map, "n_train", &a->n_train, err) != 0 ||
        art_get_strs(map, "classes", &a->classes, &a->n_classes, err) != 0 ||
        art_get_strs(map, "ignored", &a->ignored, &a->n_ignored, err) != 0)
        return -1;
    if (metric_lookup(a->metric) < 0)
        return set_err(err, "artifact: unknown metric '%s'", a->metric);
    if (a->classification != (a->n_classes >= 2))
        return set_err(err, "artifact: %d classes for a %s task", a->n_classes,
                       a->classification ? "classification" : "regression");
    return 0;
}

/* The select_k columns, when the model saw a selection of the pipeline's. 0 or -1. */
static int s_read_select(model_artifact_t *a, const msgpack_object *map, char *err)
{
    long n_in;
    if (art_get_long(map, "select_n_in", &n_in, err) != 0)
        return -1;
    if (n_in == 0)
        return 0;
    if (n_in != features_n_cols(a->pipeline))
        return set_err(err, "artifact: a selection of %ld columns for a pipeline of %d", n_in,
                       features_n_cols(a->pipeline));
    long n = art_get_count(map, "select_cols", sizeof(int32_t), err);
    if (n < 1 || n > n_in)
        return n < 0 ? -1 : set_err(err, "artifact: %ld selected columns of %ld", n, n_in);
    int32_t *cols = xmalloc((size_t)n * sizeof *cols);
    int rc = art_get_int32s(map, "select_cols", cols, (size_t)n, err);
    if (rc == 0 && !(a->select = select_from_cols((int)n_in, cols, (int)n, err)))
        rc = -1;
    free(cols);
    return rc;
}

model_artifact_t *model_artifact_load(const char *path, char *err)
{
    size_t len = 0;
    char *payload = artifact_read(path, &len, err);
    model_artifact_t *a = payload ? model_artifact_parse(payload, len, path, err) : NULL;
    free(payload);
    return a;
}

model_artifact_t *model_artifact_parse(const char *payload, size_t len, const char *name,
                                       char *err)
{
    model_artifact_t *a = xcalloc(1, sizeof *a);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    int rc = 0;
    if (!proto_sizes_plausible(payload, len) ||
        msgpack_unpack_next(&up, payload, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        up.data.type != MSGPACK_OBJECT_MAP || off != len)
        rc = set_err(err, "%s: artifact payload is not one msgpack map", name);
    if (rc == 0)
        rc = s_read_meta(a, &up.data, err);
    if (rc == 0 && !(a->pipeline = features_unpack(art_get(&up.data, "pipeline"), err)))
        rc = -1;
    if (rc == 0 && !a->ops->missing_ok && features_leaves_missing(a->pipeline))
        rc = set_err(err, "artifact: the %s family cannot take the missing cells its "
                     "pipeline leaves (fill NaN: impute none is for xgboost)", a->ops->name);
    if (rc == 0)
        rc = s_read_select(a, &up.data, err);
    int n_cols = rc == 0 ? a->select ? a->select->n_keep : features_n_cols(a->pipeline) : 0;
    if (rc == 0 &&
        !(a->model = a->ops->load(art_get(&up.data, "model"), n_cols, a->n_classes, err)))
        rc = -1;
    msgpack_unpacked_destroy(&up);
    if (rc != 0 && strncmp(err, name, strlen(name)) != 0) { /* say which artifact */
        char why[HPS_ERR_LEN];
        snprintf(why, sizeof why, "%s", err);
        set_err(err, "%s: %s", name, why);
    }
    if (rc != 0)
        model_artifact_destroy(&a);
    return a;
}
