/*
 * registry.h - what the layers above (online, offline, serve) use of the
 * registry layer: loading the applied registry of a repo into a model.
 */
#ifndef LR_REGISTRY_REGISTRY_H
#define LR_REGISTRY_REGISTRY_H

#include "model.h"

/* Reads feature_store.yaml of `dir` and the registry file it names into the
 * empty model `m`. Returns 0, LR_ENOTFOUND, LR_ENOREGISTRY, LR_ECORRUPT,
 * LR_EVERSION, LR_EDEFINITION (a bad feature_store.yaml) or LR_EIO, with
 * the reason in `err`. */
int lr__registry_load(const char *dir, lr__model *m, lr__buf *err);

#endif
