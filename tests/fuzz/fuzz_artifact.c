/* fuzz_artifact — libFuzzer target for the model artifact's payload reader
 * (objectives/model_io.c, model_artifact_parse: the msgpack map after the container's
 * header and checksum, as hps predict and the registry read it). An input either gives
 * a consistent artifact (a known family, labels matching the task, a model that fits
 * the pipeline) or fails with a message; never a crash or a leak. Inputs that mention
 * the xgboost family are skipped: their model is XGBoost's own JSON, which its library
 * parses (and it keeps caches that a leak check would flag). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "objectives/features.h"
#include "objectives/model_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memmem(data, size, "xgboost", 7))
        return 0;
    char err[HPS_ERR_LEN];
    err[0] = '\0';
    model_artifact_t *a = model_artifact_parse((const char *)data, size, "fuzz", err);
    if (!a) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    if (!a->ops || !a->model || !a->pipeline || features_n_cols(a->pipeline) < 0 ||
        a->classification != (a->n_classes >= 2))
        abort();
    size_t total = strlen(a->y_name) + strlen(a->metric);
    for (int k = 0; k < a->n_classes; k++)
        total += strlen(a->classes[k]);
    if (total == SIZE_MAX)
        abort();
    model_artifact_destroy(&a);
    return 0;
}
