/* modelreg — the model registry as users see it: references to model versions, the
 * promotion rules, and the model card.
 *
 * A reference names a version of a registered model (core/store.h, model_versions):
 *   NAME            the latest version
 *   NAME:VERSION    that version
 *   NAME@STAGE      the version now in staging, production (or the latest archived)
 * A name is split at its last '@' or ':' only when what follows is a stage or a
 * number, so study names holding those characters still resolve.
 *
 * Promotion rules (modelreg_promote): one version per name holds staging and one
 * production; moving a version into a held stage archives the holder (its own
 * recorded move). Production takes a version that was in staging before and whose
 * tier passes promote_check; staging takes a tier that passes promote_check and never
 * the production version (that would leave the name without one: archive it, or
 * promote another version, explicitly). --force records a move past those rules,
 * marked forced. archived takes any version. Every move records who and when. */
#ifndef HPS_MODELREG_H
#define HPS_MODELREG_H

#include <stdbool.h>

#include "core/store.h"

/* Split ref: *name (caller frees), *version (0 = none) and *stage (a static string or
 * NULL). -1 with err when ref is empty or names an unknown stage after '@'. */
int modelreg_parse_ref(const char *ref, char **name, long *version, const char **stage,
                       char *err);
/* The version ref names, into *out (store_model_clear it). 0; 1 with err when there
 * is no such model or version (err lists what there is); -1 with err. */
int modelreg_find(store_t *st, const char *ref, store_model_t *out, char *err);
/* Where the artifact blob of sha lives beside study file db_path (caller frees). */
char *modelreg_blob_path(const char *db_path, const char *sha);
/* NAME@STAGE (or another reference) to the path of its artifact file (caller frees):
 * what `hps predict NAME@STAGE` loads. NULL with err; *code 2 for an unknown
 * reference, 1 for a failure or a registered blob missing from the folder. */
char *modelreg_artifact_path(store_t *st, const char *db_path, const char *ref, int *code,
                             char *err);

/* Move ref's version (NAME or NAME:VERSION) to stage (staging, production, archived)
 * by the rules above, recorded as done by who. 0 with msg saying what was done; 1
 * refused (msg says why and whether --force would do); 2 bad input (unknown stage,
 * model or version); -1 with msg. */
int modelreg_promote(store_t *st, const char *ref, const char *stage, bool force,
                     const char *who, char *msg);

/* One stage move as a JSON object {name?, version?, from, to, forced, who, at}. */
void modelreg_transition_json(strbuf_t *sb, const store_transition_t *t, bool with_name);

/* The model card of m as JSON (caller frees): name, version, stage, artifact (file,
 * sha256, size), metrics (cv_mean, cv_std, test_score), tier, data_sha256, created, the
 * lineage object, and the version's stage history. NULL with err. */
char *modelreg_card_json(store_t *st, const store_model_t *m, char *err);

void modelreg_test(bool verbose);

#endif
