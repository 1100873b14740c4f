/*
 * loaddef.h - a view's load definition: the part of the definitions that
 * decides which online rows a materialization of the view writes, so that
 * a load can record what it was made with and a later one can tell whether
 * the definitions changed since, and how.
 *
 * It is a slice of the model (the view, its source and a push source's
 * batch source, its entities, and the on-demand views stored from its
 * rows), kept as a registry image (regfile.h), so it is written and read
 * by the one registry encoder and says in the registry's own terms what a
 * load read. The online store keeps one per view with its loaded range
 * (online/loads.h).
 */
#ifndef LR_REGISTRY_LOADDEF_H
#define LR_REGISTRY_LOADDEF_H

#include "model.h"

/* Appends the registry image of batch view v's load definition (v taken
 * from model m) to `out`. Returns 0 or LR_ENOMEM. */
int lr__loaddef_encode(const lr__model *m, const lr__view *v, lr__buf *out);

/* Fills the empty model `slice` from an image lr__loaddef_encode wrote.
 * Returns 0, or LR_ECORRUPT / LR_EVERSION (another registry format) with
 * the reason in `err`. */
int lr__loaddef_decode(const void *data, size_t len, lr__model *slice,
                       lr__buf *err);

/*
 * lr__loaddef_diff - what differs, between view `was` of model `mw` (a
 * recorded slice, or the registry applied before) and view `now` of `mn`,
 * in the rows a load of the view writes: a feature added (or defined
 * again, in another slot), retyped, or read from another source column; a
 * join key read from another column; the source's kind, path, query,
 * timestamp columns (any attribute but its name, description, tags and
 * field_mapping, which counts per column); the online rows dropped (another
 * layout epoch); and the same for each on-demand view stored from the
 * view's rows (added, dropped, a feature added, retyped or with another
 * expression). A removed feature, a description, tags and the ttl (which
 * lookups apply) change no row, so they are not differences; nor are the
 * view's checks and max_failed, which apply from the next load on.
 *
 * Each difference is appended to `why` (may be NULL) as a short phrase
 * ("feature f1 added"), separated by ", ". Returns how many there are.
 */
int lr__loaddef_diff(const lr__model *mw, const lr__view *was,
                     const lr__model *mn, const lr__view *now, lr__buf *why);

#endif
