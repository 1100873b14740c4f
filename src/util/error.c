/*
 * error.c - status codes to text, and the few functions of the public API
 * that belong to no layer (version, lr_free).
 *
 * The messages and names come from LR_ERRNO_MAP in larder.h, the single
 * list of codes, so a new code needs one line there and nothing here.
 */
#include <stdlib.h>

#include "larder.h"

const char *lr_strerror(int status) {
  switch (status) {
  case LR_OK:
    return "success";
#define LR__ERRNO_MSG(name, value, msg)                                        \
  case LR_E##name:                                                             \
    return msg;
    LR_ERRNO_MAP(LR__ERRNO_MSG)
#undef LR__ERRNO_MSG
  default:
    return "unknown error";
  }
}

const char *lr_err_name(int status) {
  switch (status) {
  case LR_OK:
    return "LR_OK";
#define LR__ERRNO_NAME(name, value, msg)                                       \
  case LR_E##name:                                                             \
    return "LR_E" #name;
    LR_ERRNO_MAP(LR__ERRNO_NAME)
#undef LR__ERRNO_NAME
  default:
    return "LR_EUNKNOWN";
  }
}

const char *lr_version(void) { return LR_VERSION_STRING; }

void lr_free(void *ptr) { free(ptr); }
