/*
 * repo.h - what the offline layer learns of a repo handle beyond the public
 * API, so that it checks a repo's sources (src/offline/schema_check.c)
 * without reaching into struct lr_repo: the definitions as loaded from
 * YAML, with their positions, the folder and the handle's message.
 */
#ifndef LR_REGISTRY_REPO_H
#define LR_REGISTRY_REPO_H

#include "../util/buf.h"
#include "larder.h"
#include "model.h"

/* Whether the repo's definitions loaded, after resetting its message: 0,
 * or the error loading failed with (the message then says to fix that
 * first). */
int lr__repo_loaded(lr_repo *repo);

/* The definitions, the folder and the message buffer of a repo. */
const lr__model *lr__repo_model(const lr_repo *repo);
const char *lr__repo_dir(const lr_repo *repo);
lr__buf *lr__repo_err(lr_repo *repo);

#endif
