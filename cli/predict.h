/* cli_predict — `hps predict ARTIFACT data.csv`: a saved model (objectives/predict.h)
 * applied to a CSV. Exit 0 predicted, 2 bad flags, a refused artifact or a CSV that does
 * not fit the model, 1 when the predictions cannot be written. */
#ifndef HPS_CLI_PREDICT_H
#define HPS_CLI_PREDICT_H

/* hps predict ARTIFACT DATA.csv [-o FILE] [--proba] [--ignore-extra] [--score] */
int predict_main(int argc, char **argv);

#endif
