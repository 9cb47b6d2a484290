/* cli_predict — `hps predict` (see predict.h). */
#include "cli/predict.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_flags.h"
#include "cli/trials.h"
#include "core/store.h"
#include "core/util.h"
#include "objectives/predict.h"
#include "results/modelreg.h"
#include "results/pyfmt.h"

static const char s_usage[] =
    "usage: hps predict ARTIFACT|NAME[:VERSION|@STAGE] DATA.csv [--db FILE] [-o FILE] [--proba]\n"
    "                   [--ignore-extra] [--score]\n"
    "Apply a saved model (the model.hpsm a final refit writes: the model with its whole\n"
    "preprocessing pipeline) to a CSV and write one prediction per row: the class label\n"
    "as in the training data, or the regression value. The CSV needs every column the\n"
    "model was trained on (in any order; text columns in their training order); its\n"
    "label/target column and the training's test split column are allowed and are not\n"
    "features. A registered model is named as in `hps models`: NAME (its latest version),\n"
    "NAME:VERSION or NAME@STAGE (e.g. reviews@production), from the study file --db.\n"
    "  --db FILE           the study file of a registered model (default hps.db)\n"
    "  -o, --output FILE   write the predictions CSV to FILE (default, or -: stdout)\n"
    "  --proba             add a probability column p_CLASS per class (classification)\n"
    "  --ignore-extra      ignore columns the model was not trained on (default: error)\n"
    "  --score             score the predictions against the CSV's label/target column\n"
    "                      with the study's metric; printed on stderr as METRIC=VALUE\n"
    "Exit 2 for an artifact of another format version or with a bad checksum, and for a\n"
    "CSV with missing or unknown columns (the message names them).\n";

static int s_bad(const char *fmt, const char *arg)
{
    return cli_usage_error("predict", s_usage, fmt, arg);
}

/* Parse argv: -1 to go on, else the exit code. */
static int s_parse(int argc, char **argv, predict_opts_t *o, const char *pos[2],
                   const char **db)
{
    static const struct option longopts[] = {
        {"db", required_argument, 0, 'd'},
        {"output", required_argument, 0, 'o'}, {"proba", no_argument, 0, 'p'},
        {"ignore-extra", no_argument, 0, 'i'}, {"score", no_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    *o = (predict_opts_t){0};
    int n = 0, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "-ho:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': fputs(s_usage, stdout); return 0;
        case 'o': o->out = optarg; break;
        case 'd': *db = optarg; break;
        case 'p': o->proba = true; break;
        case 'i': o->ignore_extra = true; break;
        case 's': o->score = true; break;
        case 1:
            if (n == 2)
                return s_bad("unexpected argument '%s'", optarg);
            pos[n++] = optarg;
            break;
        default: return s_bad("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    return n == 2 ? -1 : s_bad("%s", "ARTIFACT and DATA.csv are required");
}

int predict_main(int argc, char **argv)
{
    predict_opts_t o;
    const char *pos[2] = {NULL, NULL}, *db = "hps.db";
    int code = s_parse(argc, argv, &o, pos, &db);
    if (code >= 0)
        return code;
    if (cli_check_output("predict", o.out, db, pos, 2, true) != 0)
        return 2;
    predict_result_t res;
    char err[HPS_ERR_LEN];
    char *resolved = NULL;
    if (access(pos[0], F_OK) != 0) { /* not a file: a registered model's name */
        store_t *st;
        if ((code = cli_open_read("predict", db, &st)) != 0)
            return code;
        resolved = modelreg_artifact_path(st, db, pos[0], &code, err);
        store_close(&st);
        if (!resolved) {
            fprintf(stderr, "hps predict: %s\n", err);
            return code;
        }
    }
    int rc = model_predict_file(resolved ? resolved : pos[0], pos[1], &o, &res, err);
    free(resolved);
    if (rc != 0) {
        fprintf(stderr, "hps predict: %s\n", err);
        return rc;
    }
    if (o.score) { /* the shortest text that reads back as the score: exact and short */
        strbuf_t sb;
        sb_init(&sb);
        pyfmt_float(&sb, res.score);
        fprintf(stderr, "%s=%s\n", res.metric, sb.buf);
        sb_free(&sb);
    }
    fprintf(stderr, "hps predict: %ld rows in %.3f s (%.0f rows/s)\n", res.n_rows, res.secs,
            res.secs > 0 ? res.n_rows / res.secs : 0.0);
    return 0;
}
