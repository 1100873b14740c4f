/*
 * registry.h - what the layers above (online, offline, serve) use of the
 * registry layer: loading the applied registry of a repo into a model.
 */
#ifndef LR_REGISTRY_REGISTRY_H
#define LR_REGISTRY_REGISTRY_H

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

#endif
