/*
 * registry.h - what the layers above (online, offline, serve) use of the
 * registry layer: loading the applied registry of a repo into a model, and
 * the plan and apply of a repo handle (whose public functions, in
 * online/reloads.c, add what the online store knows).
 */
#ifndef LR_REGISTRY_REGISTRY_H
#define LR_REGISTRY_REGISTRY_H

#include "larder.h"
#include "model.h"

/* Reads feature_store.yaml of `dir` (only) into m->config of the empty
 * model `m`. Returns 0, LR_ENOTFOUND (not a repo) or LR_EDEFINITION (a bad
 * file), with the reason in `err`. */
int lr__registry_config(const char *dir, lr__model *m, lr__buf *err);

/* Reads feature_store.yaml of `dir` and the registry file it names into the
 * empty model `m`. Returns 0, LR_ENOTFOUND, LR_ENOREGISTRY, LR_ECORRUPT,
 * LR_EVERSION, LR_EDEFINITION (a bad feature_store.yaml) or LR_EIO, with
 * the reason in `err`. */
int lr__registry_load(const char *dir, lr__model *m, lr__buf *err);

/* The version of the registry image `data` (a registry file's bytes, as
 * a snapshot carries them), once it decodes. Returns 0, LR_ECORRUPT or
 * LR_EVERSION, with the reason in `err`. */
int lr__registry_image_version(const void *data, size_t len,
                               unsigned long long *version, lr__buf *err);

/* The repo handle's definitions (planned: with the registry state that
 * lr__repo_plan_or_apply carried over), its folder and its message (what
 * the source check, offline/schema_check.c, reports into). */
const lr__model *lr__repo_model(const lr_repo *repo);
const char *lr__repo_dir(const lr_repo *repo);
lr__buf *lr__repo_err(lr_repo *repo);

/* Whether the repo's definitions loaded, after resetting its message: 0,
 * or the error loading failed with (the message then says to fix that
 * first). */
int lr__repo_loaded(lr_repo *repo);

/* Plans the repo's definitions against its applied registry into `text`
 * and, with `apply`, writes them: what lr_repo_plan / lr_repo_apply do
 * before the online store is asked (same codes; the message on the
 * handle). */
int lr__repo_plan_or_apply(lr_repo *repo, unsigned flags, int apply,
                           lr__buf *text);

#endif
