/* blobs — the coordinator's content-addressed dataset folder (<db>.blobs/<sha256>).
 * Datasets reach it by import (hps run, from a local file) or by chunked PUT (hps
 * submit), and leave it by chunked FETCH (workers). A blob is visible under its name
 * only once complete and verified, so a crash mid-upload leaves no bad blob. */
#ifndef HPS_BLOBS_H
#define HPS_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every blob file is the owner's only, as its folder is (0700): datasets. */
#define BLOB_FILE_MODE 0600

/* Path of blob sha in dir (caller frees). */
char *blob_path(const char *dir, const char *sha);
bool blob_exists(const char *dir, const char *sha);
/* Copy a local file into dir under its sha256 (written into sha[65]). -1 with err. */
int blob_import(const char *dir, const char *file, char sha[65], char *err);
/* The same for len bytes at data (a packed `code:`). */
int blob_import_mem(const char *dir, const void *data, size_t len, char sha[65], char *err);
/* Read up to max bytes of blob sha at offset into *data (caller frees); *total = size. */
int blob_read(const char *dir, const char *sha, int64_t offset, size_t max, char **data,
              size_t *len, int64_t *total, char *err);
/* Append a PUT chunk at offset (must equal the bytes received so far); when the blob
 * is complete (offset + len == total) it is verified and published. *next = bytes held
 * after this call (so a client resends from there). A total above max_total is refused
 * before anything is written. -1 with err. */
int blob_put(const char *dir, const char *sha, int64_t offset, int64_t total, int64_t max_total,
             const void *data, size_t len, int64_t *next, char *err);
/* Remove the partial uploads (<sha>.part) in dir untouched for max_age seconds or more:
 * uploads their client abandoned (every chunk touches its file). Returns how many were
 * removed; a file that cannot be removed is skipped. Blob files, and dir itself, that
 * group or others may read (written before the owner-only rule) are made the owner's
 * only, logged. -1 with err when dir cannot be read (a missing dir is not an error:
 * 0). */
int blob_clean_parts(const char *dir, double max_age, char *err);

#endif
