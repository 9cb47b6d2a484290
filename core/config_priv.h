/* config_priv — tree building blocks shared by the config module's files (config.c
 * parses and reads trees, config_merge.c merges groups and applies overrides, study.c
 * validates). Not for use outside core/config*.c and core/study.c: everyone else reads
 * trees through config.h. */
#ifndef HPS_CONFIG_PRIV_H
#define HPS_CONFIG_PRIV_H

#include "core/config.h"

/* Whether an unquoted scalar's text means null: "", ~, null, Null, NULL. */
bool cfg_is_null_text(const char *s);
/* New empty node of a type at a position (file copied). Can't fail. */
cfg_node_t *cfg_node_new(cfg_type_t type, const char *file, int line, int col);
/* Deep copy, positions included. Can't fail. */
cfg_node_t *cfg_dup(const cfg_node_t *node);
/* Append item (ownership taken) to a sequence. */
void cfg_seq_push(cfg_node_t *seq, cfg_node_t *item);
/* Append key -> item (ownership taken) to a map; the caller checked key is new. */
void cfg_map_push(cfg_node_t *map, const char *key, int key_line, int key_col,
                  cfg_node_t *item);
/* Index of key in map, -1 when absent. */
int cfg_map_find(const cfg_node_t *map, const char *key);
/* Remove entry i of a map and return its value (caller owns it). */
cfg_node_t *cfg_map_take(cfg_node_t *map, int i);
/* Replace the file and line of a whole subtree (overrides: no line, just a label). */
void cfg_relocate(cfg_node_t *node, const char *file, int line, int col);

/* Compose a study tree loaded from path, Hydra style: resolve its `defaults:` list
 * (removed from root) with the "group=name" overrides, merge each group file
 * <dir of path>/<group>/<name>.yaml under root (root wins; a later group wins over an
 * earlier one), then apply the "a.b=value" overrides in order. 0 ok, -1 with errors. */
int cfg_compose(cfg_node_t *root, const char *path, int n_overrides,
                char *const *overrides, cfg_errs_t *errs);

/* The group folders beside a config file (subfolders holding a .yaml file), for "did
 * you mean" hints. NULL-terminated; free with cfg_names_free(). */
char **cfg_group_names(const char *config_path);
void cfg_names_free(char ***names_p);

#endif
