/* store_report — what the HTML report reads beyond store_trials_each: each search
 * trial's duration, CV std and error text (see store.h). */
#include <stdlib.h>

#include "core/store.h"
#include "core/store_priv.h"

int store_trial_notes_each(store_t *self, int64_t study_id, store_note_fn cb, void *arg, char *err)
{
    sqlite3_stmt *st = store_prepare(self,
                                     "SELECT number, secs, cv_std, error FROM trials"
                                     " WHERE study_id = ?1 AND kind = 'search' ORDER BY number",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, study_id);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_trial_note_t n = {.number = (long)sqlite3_column_int64(st, 0),
                                .secs = store_col_real(st, 1),
                                .cv_std = store_col_real(st, 2),
                                .error = (const char *)sqlite3_column_text(st, 3)};
        if ((ret = cb(arg, &n)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_db_err(self, err, "trial notes");
    sqlite3_finalize(st);
    return ret;
}
