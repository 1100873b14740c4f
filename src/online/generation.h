/*
 * generation.h - the online store folder's layout: one LMDB environment per
 * generation (`gen-N/`), a pointer to the live one (`CURRENT`), and the
 * locks that keep processes from pulling a generation out from under each
 * other. See docs/internals/online.md, "Generations".
 *
 *   ONLINE/CURRENT        "N\n": the live generation, replaced atomically
 *   ONLINE/layout.lock    flock: held exclusive while a generation is
 *                         built, a store is upgraded or CURRENT made,
 *                         shared while old generations are deleted
 *   ONLINE/gen-N/data.mdb, lock.mdb   the environment
 *   ONLINE/gen-N/in-use   flock(LOCK_SH) by every process that has gen N
 *                         open; a generation is deleted only by whoever
 *                         gets LOCK_EX on it, i.e. when no process reads it
 *   ONLINE/gen-N.gone/    a generation being deleted (renamed first)
 *
 * A store written before generations existed has data.mdb directly in
 * ONLINE: it is generation 0, read in place (its in-use file is
 * ONLINE/in-use), and the first read-write open copies it into a new
 * generation, as compaction does; the old files go once nobody reads them.
 */
#ifndef LR_ONLINE_GENERATION_H
#define LR_ONLINE_GENERATION_H

#include <sys/types.h>

#include "../util/buf.h"

/* Generation 0: a store of the old layout, read in place. */
#define LR__GEN_LEGACY 0ull

/* What identifies one version of CURRENT: replacing it (rename) gives a
 * new inode, so a stat tells a reader whether to read it again. */
typedef struct lr__gen_stamp {
  dev_t dev;
  ino_t ino;
} lr__gen_stamp;

/* The live generation of the store folder `root` (created if missing).
 * With no CURRENT: LR__GEN_LEGACY when a store of the old layout is there
 * (the caller upgrades it by building a generation from it), else an empty
 * gen-1 is made and published. *stamp (may be NULL) identifies CURRENT as
 * read (zeroes for a legacy store). Returns 0, LR_ECORRUPT (CURRENT
 * malformed) or LR_EIO, with the reason in `err`. */
int lr__gen_open_layout(const char *root, unsigned long long *gen,
                        lr__gen_stamp *stamp, lr__buf *err);

/* Reads CURRENT: 0 and *gen; LR_ENOTFOUND when there is none; LR_ECORRUPT.
 * *stamp (may be NULL) gets the file's identity. */
int lr__gen_read_current(const char *root, unsigned long long *gen,
                         lr__gen_stamp *stamp);

/* 1 when CURRENT is no longer the file `stamp` names (one stat). */
int lr__gen_moved(const char *root, const lr__gen_stamp *stamp);

/* Points CURRENT at generation `gen`: a temporary file, fsync, rename,
 * fsync of the folder. Returns 0 or LR_EIO. */
int lr__gen_publish(const char *root, unsigned long long gen, lr__buf *err);

/* The folder of generation `gen` ("ROOT/gen-N"; ROOT itself for 0). */
void lr__gen_dir(lr__buf *out, const char *root, unsigned long long gen);

/* A number no generation of `root` has used: one more than the largest. */
unsigned long long lr__gen_next(const char *root);

/* Takes the layout lock (flock LOCK_EX on ROOT/layout.lock), waiting for
 * whoever holds it: a change of the layout (a generation built or
 * installed, CURRENT created or moved) holds it. *fd receives the
 * descriptor for lr__gen_unlock. Returns 0 or LR_EIO. */
int lr__gen_lock(const char *root, int *fd, lr__buf *err);

/* Releases the layout lock, then sweeps (lr__gen_sweep): a generation
 * whose last reader stopped while the lock was held goes now. */
void lr__gen_unlock(const char *root, int fd);

/* Deletes the generations nobody reads (lr__gen_collect) unless a change
 * of the layout is under way: under the layout lock taken shared, without
 * waiting. Sweeps never wait and never stop one another, so of two
 * processes that stop reading a generation at once, the later one's sweep
 * finds it free; and one that finds a change under way leaves its
 * generation to that change's own sweep (lr__gen_unlock), which comes
 * after. Whoever stops reading a generation last, it goes. */
void lr__gen_sweep(const char *root);

/* Marks generation `gen` in use by this process: flock(LOCK_SH) on its
 * in-use file, held on *fd until closed. Returns 0, or LR_ENOTFOUND when
 * the generation is gone or was being deleted (CURRENT moved after the
 * caller read it: read CURRENT again), or LR_EIO. A hold taken is on a
 * whole generation: never on one whose files a deletion has begun to
 * remove. */
int lr__gen_hold(const char *root, unsigned long long gen, int *fd);

/* Deletes every generation of `root` that is not CURRENT and that no
 * process holds, leftovers of builds and of deletions that never finished
 * among them (a deletion renames gen-N to gen-N.gone first). The caller
 * holds the layout lock (shared is enough: lr__gen_sweep); other sweeps
 * may delete the same generations at the same time. Returns how many it
 * deleted. */
int lr__gen_collect(const char *root);

/* Removes the store folder `root` whole, unless a process uses it: under
 * the layout lock (not waited for), with every generation's in-use file
 * and the replicator lock taken exclusively (not waited for either), it
 * removes CURRENT first, then each generation, then the folder's own
 * files and the folder. With `check_only`, it takes and lets go of the
 * locks and removes nothing. *kept is set when the folder stays (it holds
 * files Larder did not write). Returns 0; LR_ENOTFOUND when there is no
 * folder; LR_EEXISTS when a process has the store open, runs a
 * replicator on it or is rebuilding it (named in `err`); LR_EIO. */
int lr__gen_teardown(const char *root, int check_only, int *kept,
                     lr__buf *err);

#endif
