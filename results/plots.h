/* plots — the SVG plots of one study in the HTML report, each one <svg class="plot"
 * data-plot="KIND"> of fixed size (tests/t_report.sh finds them by KIND):
 *
 *   history       value per trial number (COMPLETE, PRUNED marked), best-so-far line
 *   parallel      parallel coordinates: one axis per parameter and one for the value,
 *                 a line per COMPLETE trial coloured by value, the best on top
 *   slice         value against one parameter (log axis for a log parameter,
 *                 categories for a categorical one)
 *   importance    PED-ANOVA-style importance per parameter (results/importance.h)
 *   intermediate  reported value per step, PRUNED trials' curves marked at their end
 *
 * Each draws only rstudy's samples (rstudy.h); none can fail. A plot with nothing to
 * show still appears, with a note saying why. */
#ifndef HPS_PLOTS_H
#define HPS_PLOTS_H

#include "core/util.h"
#include "results/rstudy.h"

void plots_history(strbuf_t *sb, const rstudy_t *r);
void plots_parallel(strbuf_t *sb, const rstudy_t *r);
void plots_slice(strbuf_t *sb, const rstudy_t *r, int param);
void plots_importance(strbuf_t *sb, const rstudy_t *r);
void plots_intermediate(strbuf_t *sb, const rstudy_t *r);

#endif
