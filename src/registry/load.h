/*
 * load.h - reading a repo's YAML (feature_store.yaml and the definition
 * files) into a model, and checking the definitions against each other.
 */
#ifndef LR_REGISTRY_LOAD_H
#define LR_REGISTRY_LOAD_H

#include "model.h"

/* Reads feature_store.yaml of `repo_dir` into m->config, filling defaults.
 * Returns 0, LR_ENOTFOUND (no feature_store.yaml) or LR_EDEFINITION (the
 * problems are in `diag`). */
int lr__load_config(lr__model *m, const char *repo_dir, lr__diag *diag);

/* Reads every definition file of the repo (recursively; skipping data/,
 * dot-folders, feature_store.yaml and what .larderignore lists) into `m`.
 * Returns 0 or LR_EDEFINITION. */
int lr__load_definitions(lr__model *m, const char *repo_dir, lr__diag *diag);

/* Checks names, references and types across all definitions (not the
 * data: the offline layer's source check reads that). Returns 0 or
 * LR_EDEFINITION. */
int lr__validate(const lr__model *m, lr__diag *diag);

#endif
