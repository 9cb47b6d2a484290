/* lifecycle — the study lifecycle on a study file: `hps resume --db` (resume_main in
 * cli/client.c handles --to and calls lifecycle_resume_db), `hps delete`, `hps rename`,
 * `hps copy`. Each returns the exit code: 0 success, 1 runtime failure (a coordinator
 * holds the file, an I/O error, a question answered no), 2 bad input, with the file
 * left byte for byte as it was. */
#ifndef HPS_CLI_LIFECYCLE_H
#define HPS_CLI_LIFECYCLE_H

/* Resume study in the file db for the next coordinator or `hps run` on it (n_trials > 0:
 * raised to that first). */
int lifecycle_resume_db(const char *db, const char *study, long n_trials);
/* Enqueue pts (checked first on the file opened read-only) into study in db, under the
 * coordinator's lock: the exit code (2 for a bad point, nothing stored). */
struct points_s;
int lifecycle_enqueue_db(const char *db, const char *study, const struct points_s *pts);
int delete_main(int argc, char **argv);
int rename_main(int argc, char **argv);
int copy_main(int argc, char **argv);

#endif
