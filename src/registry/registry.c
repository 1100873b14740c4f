/*
 * registry.c - the lr_registry_* functions of the public API: the applied
 * registry of a repo, loaded read-only for serving and for `ls`/`describe`.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "catalog.h"
#include "larder.h"
#include "load.h"
#include "registry.h"
#include "regfile.h"

struct lr_registry {
  lr__model model;
  lr__buf errmsg;
};

const char *lr_registry_errmsg(const lr_registry *reg) {
  return reg ? lr__buf_str(&reg->errmsg) : "no registry handle";
}

void lr_registry_close(lr_registry *reg) {
  if (!reg)
    return;
  lr__model_free(&reg->model);
  lr__buf_free(&reg->errmsg);
  free(reg);
}

int lr__registry_config(const char *dir, lr__model *m, lr__buf *err) {
  lr__diag diag;
  lr__diag_init(&diag);
  int rc = lr__load_config(m, dir, &diag);
  if (rc == LR_ENOTFOUND)
    lr__buf_printf(err, "%s is not a feature repo (no feature_store.yaml)",
                   dir);
  else if (rc != 0)
    lr__diag_format(&diag, err);
  lr__diag_free(&diag);
  return rc;
}

int lr__registry_load(const char *dir, lr__model *m, lr__buf *err) {
  lr__model config;
  lr__model_init(&config);
  int rc = lr__registry_config(dir, &config, err);
  if (rc == 0) {
    lr__buf path;
    lr__buf_init(&path);
    lr__fs_join(&path, dir, config.config.registry_path);
    rc = lr__regfile_read(lr__buf_str(&path), m, err);
    lr__buf_free(&path);
  }
  lr__model_free(&config);
  return rc;
}

int lr__registry_image_version(const void *data, size_t len,
                               unsigned long long *version, lr__buf *err) {
  lr__model m;
  lr__model_init(&m);
  int rc = lr__regfile_decode(data, len, &m, err);
  *version = m.version;
  lr__model_free(&m);
  return rc;
}

int lr_registry_open(const char *dir, lr_registry **out) {
  if (!out)
    return LR_EINVAL;
  lr_registry *reg = calloc(1, sizeof *reg);
  *out = reg;
  if (!reg)
    return LR_ENOMEM;
  lr__model_init(&reg->model);
  lr__buf_init(&reg->errmsg);
  if (!dir)
    return lr__errmsg_set(&reg->errmsg, LR_EINVAL, "no repo folder given");
  return lr__registry_load(dir, &reg->model, &reg->errmsg);
}

/* Hands `text` to the caller, or keeps the error. */
static int finish(lr_registry *reg, lr__buf *text, char **out, int rc) {
  if (rc == 0) {
    *out = lr__buf_steal(text);
    rc = *out ? 0 : LR_ENOMEM;
  }
  if (rc == LR_ENOMEM)
    lr__errmsg_set(&reg->errmsg, rc, "out of memory");
  lr__buf_free(text);
  return rc;
}

int lr_registry_list(lr_registry *reg, lr_kind kind, unsigned flags,
                     char **out) {
  if (!reg || !out)
    return LR_EINVAL;
  lr__buf_reset(&reg->errmsg);
  lr__buf text;
  lr__buf_init(&text);
  int rc = lr__catalog_list(&reg->model, kind, flags, &text);
  if (rc == LR_EINVAL)
    lr__errmsg_set(&reg->errmsg, rc, "unknown object kind %d", (int)kind);
  return finish(reg, &text, out, rc);
}

int lr_registry_describe(lr_registry *reg, const char *name, unsigned flags,
                         char **out) {
  if (!reg || !name || !out)
    return LR_EINVAL;
  lr__buf_reset(&reg->errmsg);
  lr__buf text;
  lr__buf_init(&text);
  int rc = lr__catalog_describe(&reg->model, name, flags, &text, &reg->errmsg);
  return finish(reg, &text, out, rc);
}

int lr_registry_version(const lr_registry *reg, unsigned long long *version) {
  if (!reg || !version)
    return LR_EINVAL;
  *version = reg->model.version;
  return 0;
}
