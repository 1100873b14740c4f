/*
 * check.h - a view's checks run over its source rows, writing nothing
 * (check.c): lr_check_view and the checks of a training set.
 */
#ifndef LR_OFFLINE_CHECK_H
#define LR_OFFLINE_CHECK_H

#include "offline.h"

/* Runs view v's checks over its source rows with start <= event time <=
 * end in the open session, appending the report (flags: LR_FORMAT_JSON
 * or text; `samples` sample keys per rule) to `report`; *failed gets the
 * number of rules that did not pass. A view without checks appends
 * nothing. Returns 0, or a status with the message on off (a source that
 * cannot be read). */
int lr__check_window(lr_offline *off, const lr__view *v, int64_t start,
                     int64_t end, unsigned flags, int samples, lr__buf *report,
                     int *failed);

#endif
