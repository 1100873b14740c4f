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

/* Reports `name` unless it is an identifier of at most LR__NAME_MAX bytes;
 * `what` names it in the message ("feature", "check"). */
void lr__validate_identifier(lr__diag *diag, const char *name, lr__loc loc,
                             const char *what);

/* Reports that view `v` has no feature `fname` (named at `at`, in `owner`:
 * "feature service 's'"), suggesting the closest of its features. */
void lr__validate_unknown_feature(lr__diag *diag, lr__loc at,
                                  const lr__view *v, const char *fname,
                                  const char *owner);

#endif
