/*
 * definitions.h - whether a replica's own definitions are the primary's.
 *
 * A replica serves the primary's definitions: each snapshot carries the
 * primary's registry file, and installing one replaces the replica's. A
 * replica set up with definitions of its own (applied before it first
 * took a snapshot) would otherwise have them replaced without a word, or,
 * worse, be read by clients that expect them; the follower checks them
 * once, before its first bootstrap, and stops with the difference.
 */
#ifndef LR_REPLICATION_DEFINITIONS_H
#define LR_REPLICATION_DEFINITIONS_H

#include "../util/buf.h"

/* Compares the definitions of the registry file at `replica_registry`
 * with those of `primary_registry` (a snapshot's copy of the primary's),
 * as `larder plan` would: versions and apply times do not count. Returns
 * 0 when they define the same objects; LR_EDEFINITION when they differ,
 * with the objects that differ and the fix in `err` (emptied first);
 * LR_ECORRUPT, LR_EVERSION or LR_EIO when a file cannot be read; LR_ENOMEM.
 * `replica` names the replica's repo in the message. */
int lr__definitions_match(const char *replica, const char *replica_registry,
                          const char *primary_registry, lr__buf *err);

#endif
