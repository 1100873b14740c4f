/*
 * dtype.h - the value types moved to util/dtype.h (below the transform,
 * which must not depend on the registry). Kept only for online/store.c,
 * lookup.c and write.c, being rewritten on another branch: once they
 * include "../util/dtype.h", delete this file.
 */
#include "../util/dtype.h"
