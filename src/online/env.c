/*
 * env.c - the process-wide table of open LMDB environments (see env.h).
 *
 * The table is a short list under one mutex, walked only when a store
 * opens, moves to a new generation or closes; lookups reach their
 * environment through the pointer their store or result already holds.
 */
#include "env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/fs.h"
#include "filecheck.h"
#include "generation.h"
#include "larder.h"

/* The address space reserved for a data file. The file itself grows only
 * as data is written; readers adopt a larger size set by a writer. */
static const size_t env_map_size = (size_t)256 << 30;

/* Reader slots per environment: generous, since every open result holds
 * one; stale slots of dead processes are cleared on open. */
enum { ENV_MAX_READERS = 4096 };

typedef struct named_dbi {
  char *name;
  MDB_dbi dbi;
} named_dbi;

struct lr__env {
  lr__env *next;
  char *root;
  unsigned long long gen;
  dev_t dev; /* of the generation's in-use file: who it is */
  ino_t ino;
  int refs;
  int in_use_fd;
  MDB_env *mdb;
  int bulk;
  int writable;
  int opening;              /* being opened, outside table_lock */
  pthread_mutex_t dbi_lock; /* mdb_dbi_open: one transaction at a time */
  pthread_mutex_t gate;     /* the writers' gate: this process's side */
  named_dbi *dbis;
  int n_dbis, cap_dbis;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t table_changed = PTHREAD_COND_INITIALIZER;
static lr__env *table;
static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

/* A child of fork() must not use its parent's environments (LMDB's rule):
 * it starts with an empty table, so a store it opens opens its own. It
 * closes its copies of the in-use descriptors (a flock belongs to the open
 * file, which the child shares), or the generations would stay in use
 * until it exits; the parent's own hold is untouched. The rest of the
 * parent's entries are left as they are in the child's copy of memory. */
static void fork_prepare(void) { pthread_mutex_lock(&table_lock); }
static void fork_parent(void) { pthread_mutex_unlock(&table_lock); }
static void fork_child(void) {
  for (lr__env *e = table; e; e = e->next)
    close(e->in_use_fd);
  table = NULL;
  pthread_mutex_unlock(&table_lock);
}
static void add_fork_handlers(void) {
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

MDB_env *lr__env_mdb(const lr__env *env) { return env->mdb; }
unsigned long long lr__env_gen(const lr__env *env) { return env->gen; }
int lr__env_is_bulk(const lr__env *env) { return env->bulk; }
int lr__env_is_writable(const lr__env *env) { return env->writable; }

/* Makes the data file as long as the map (a bulk environment writes pages
 * through the map: past the end of the file they would fault). */
static int grow_file(lr__env *env) {
  int fd;
  MDB_envinfo info;
  struct stat st;
  if (mdb_env_get_fd(env->mdb, &fd) || mdb_env_info(env->mdb, &info) ||
      fstat(fd, &st))
    return EIO;
  if ((size_t)st.st_size < info.me_mapsize &&
      ftruncate(fd, (off_t)info.me_mapsize) != 0)
    return errno;
  return 0;
}

/* The writers' gate: one thread of all processes at a time waits for
 * LMDB's write mutex. That mutex is a robust process-shared pthread mutex
 * in lock.mdb, and a waiter SIGKILLed as it was woken can take the wake-up
 * with it: the mutex is then free with another waiter asleep on it for
 * good (seen here, kernel 6.18, glibc 2.36, LMDB 0.9.24: 1 run in 30-60
 * of test o050, a writer of three killed). With one waiter at a time
 * there is no other to strand. The gate is this env's mutex (the threads
 * of this process) and then an OFD write lock on byte GATE_BYTE of the
 * generation's in-use file (the processes), which the kernel queues and
 * drops when its holder dies; both are held only while the transaction
 * begins. The in-use file's flock is a lock of another kind: the two
 * never meet. Without OFD locks the gate is this process's mutex alone. */
enum { GATE_BYTE = 1 };

static void gate_enter(lr__env *env, int *locked) {
  pthread_mutex_lock(&env->gate);
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                    .l_start = GATE_BYTE, .l_len = 1};
  int r;
  while ((r = fcntl(env->in_use_fd, F_OFD_SETLKW, &l)) != 0 && errno == EINTR)
    ;
  *locked = r == 0;
}

static void gate_leave(lr__env *env, int locked) {
  struct flock l = {.l_type = F_UNLCK, .l_whence = SEEK_SET,
                    .l_start = GATE_BYTE, .l_len = 1};
  if (locked)
    (void)fcntl(env->in_use_fd, F_OFD_SETLK, &l);
  pthread_mutex_unlock(&env->gate);
}

/* mdb_txn_begin of a write transaction, through the gate. */
static int begin_write(lr__env *env, MDB_txn **txn) {
  int locked;
  gate_enter(env, &locked);
  int mrc = mdb_txn_begin(env->mdb, NULL, 0, txn);
  gate_leave(env, locked);
  return mrc;
}

int lr__env_write_begin(lr__env *env, MDB_txn **txn) {
  int mrc = begin_write(env, txn);
  if (mrc == 0 && env->bulk && (mrc = grow_file(env)) != 0)
    mdb_txn_abort(*txn);
  return mrc;
}

/* Cuts a bulk environment's data file back to its last page (and the
 * margin filecheck.h keeps after it), inside a
 * write transaction so that no writer uses the pages cut. Readers never
 * read past the last page of their snapshot, and other bulk environments
 * grow the file again before writing. */
static void trim_file(lr__env *env) {
  MDB_txn *txn;
  int fd;
  MDB_envinfo info;
  MDB_stat st;
  if (begin_write(env, &txn))
    return;
  if (mdb_env_get_fd(env->mdb, &fd) == 0 &&
      mdb_env_info(env->mdb, &info) == 0 &&
      mdb_env_stat(env->mdb, &st) == 0)
    (void)!ftruncate(fd, (off_t)(info.me_last_pgno + 1) * st.ms_psize +
                             LR__MDB_TAIL_MARGIN); /* filecheck.h */
  mdb_txn_abort(txn); /* a failed trim leaves the file long and sparse */
}

/* Opens the LMDB environment in `dir`; returns an LMDB code. */
static int open_mdb(lr__env *env, const char *dir, unsigned maxdbs) {
  int mrc = mdb_env_create(&env->mdb);
  if (!mrc)
    mrc = mdb_env_set_maxdbs(env->mdb, maxdbs);
  if (!mrc)
    mrc = mdb_env_set_mapsize(env->mdb, env_map_size);
  if (!mrc)
    mrc = mdb_env_set_maxreaders(env->mdb, ENV_MAX_READERS);
  unsigned flags = MDB_NOTLS | (env->writable ? 0 : MDB_RDONLY) |
                   (env->bulk ? MDB_WRITEMAP : 0);
  if (!mrc)
    mrc = mdb_env_open(env->mdb, dir, flags, 0644);
  if (mrc && env->mdb)
    mdb_env_close(env->mdb);
  if (mrc)
    env->mdb = NULL;
  return mrc;
}

/* Opens env's environment in `dir`. A bulk environment whose file cannot
 * span the map opens as a plain one. */
static int open_env(lr__env *env, const char *dir, unsigned maxdbs,
                    lr__buf *err) {
  lr__buf file; /* LMDB would fault on a damaged file: check it first */
  lr__buf_init(&file);
  lr__fs_join(&file, dir, "data.mdb");
  int rc = lr__mdb_file_check(lr__buf_str(&file), err);
  lr__buf_free(&file);
  if (rc)
    return rc;
  int mrc = open_mdb(env, dir, maxdbs);
  if (mrc && env->bulk) {
    env->bulk = 0;
    mrc = open_mdb(env, dir, maxdbs);
  }
  if (mrc) {
    lr__buf_printf(err, "cannot open the online store at %s: %s", dir,
                   mdb_strerror(mrc));
    return mrc == MDB_INVALID || mrc == MDB_CORRUPTED ? LR_ECORRUPT
           : mrc == ENOMEM                           ? LR_ENOMEM
                                                     : LR_EIO;
  }
  int dead;
  mdb_reader_check(env->mdb, &dead); /* slots of processes that died */
  if (env->writable) {
    int locked; /* the pad's transaction begins behind the gate too */
    gate_enter(env, &locked);
    (void)lr__mdb_file_pad(env->mdb); /* best effort, see filecheck.h */
    gate_leave(env, locked);
  }
  return 0;
}

/* The open environment whose in-use file is (dev, ino), or NULL. */
static lr__env *find(dev_t dev, ino_t ino) {
  for (lr__env *e = table; e; e = e->next)
    if (e->dev == dev && e->ino == ino)
      return e;
  return NULL;
}

static void env_free(lr__env *env) {
  for (int i = 0; i < env->n_dbis; i++)
    free(env->dbis[i].name);
  free(env->dbis);
  free(env->root);
  pthread_mutex_destroy(&env->dbi_lock);
  pthread_mutex_destroy(&env->gate);
  free(env);
}

/* A new entry for generation `gen`, holding `in_use_fd`, not open yet
 * (opening: other acquirers wait for it). */
static lr__env *env_new(const char *root, unsigned long long gen,
                        unsigned flags, int in_use_fd, const struct stat *st) {
  lr__env *env = calloc(1, sizeof *env);
  char *root_copy = strdup(root);
  if (!env || !root_copy) {
    free(env);
    free(root_copy);
    return NULL;
  }
  *env = (lr__env){.root = root_copy, .gen = gen, .dev = st->st_dev,
                   .ino = st->st_ino, .refs = 1, .in_use_fd = in_use_fd,
                   .bulk = (flags & LR__ENV_BULK) != 0, .opening = 1};
  pthread_mutex_init(&env->dbi_lock, NULL);
  pthread_mutex_init(&env->gate, NULL);
  return env;
}

/* Opens a new entry's environment (no lock of ours held: LMDB takes its
 * own). */
static int env_open(lr__env *env, unsigned flags, unsigned maxdbs,
                    lr__buf *err) {
  lr__buf dir;
  lr__buf_init(&dir);
  lr__gen_dir(&dir, env->root, env->gen);
  env->writable = access(lr__buf_str(&dir), W_OK) == 0;
  int rc = 0;
  if ((flags & LR__ENV_WRITE) && !env->writable) {
    lr__buf_printf(err, "cannot write the online store at %s: %s",
                   lr__buf_str(&dir), strerror(errno));
    rc = LR_EREADONLY;
  }
  if (rc == 0)
    rc = open_env(env, lr__buf_str(&dir), maxdbs, err);
  lr__buf_free(&dir);
  return rc;
}

/* The entry of (dev, ino), once no other thread is opening it; under
 * table_lock. */
static lr__env *find_opened(dev_t dev, ino_t ino) {
  lr__env *env;
  while ((env = find(dev, ino)) != NULL && env->opening)
    pthread_cond_wait(&table_changed, &table_lock);
  return env;
}

/* Takes env off the table; under table_lock. */
static void unlink_env(lr__env *env) {
  for (lr__env **p = &table; *p; p = &(*p)->next)
    if (*p == env) {
      *p = env->next;
      return;
    }
}

/* Enters a new environment for `fd`'s generation and opens it, with the
 * table unlocked meanwhile (so no LMDB lock is ever taken under ours);
 * threads after the same one wait until it is open. Takes `fd` over. */
static int enter_new(const char *root, unsigned long long gen, unsigned flags,
                     unsigned maxdbs, int fd, const struct stat *st,
                     lr__env **out, lr__buf *err) {
  lr__env *env = env_new(root, gen, flags, fd, st);
  if (!env) {
    pthread_mutex_unlock(&table_lock);
    close(fd);
    return LR_ENOMEM;
  }
  env->next = table;
  table = env;
  pthread_mutex_unlock(&table_lock);
  int rc = env_open(env, flags, maxdbs, err);
  pthread_mutex_lock(&table_lock);
  env->opening = 0;
  if (rc)
    unlink_env(env);
  pthread_cond_broadcast(&table_changed);
  pthread_mutex_unlock(&table_lock);
  if (rc) {
    close(env->in_use_fd);
    env_free(env);
    return rc;
  }
  *out = env;
  return 0;
}

int lr__env_acquire(const char *root, unsigned long long gen, unsigned flags,
                    unsigned maxdbs, lr__env **out, lr__buf *err) {
  *out = NULL;
  pthread_once(&fork_handlers_once, add_fork_handlers);
  int fd;
  int rc = lr__gen_hold(root, gen, &fd);
  if (rc) {
    if (rc != LR_ENOTFOUND)
      lr__buf_printf(err, "cannot mark generation %llu of %s in use: %s",
                     gen, root, strerror(errno));
    return rc;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    lr__buf_printf(err, "cannot read generation %llu of %s", gen, root);
    return LR_EIO;
  }
  pthread_mutex_lock(&table_lock);
  lr__env *env = find_opened(st.st_dev, st.st_ino);
  if (!env)
    return enter_new(root, gen, flags, maxdbs, fd, &st, out, err);
  if ((flags & LR__ENV_WRITE) && !env->writable) {
    lr__buf_printf(err, "the online store at %s is open read-only in this "
                   "process", root);
    rc = LR_EREADONLY;
  } else {
    env->refs++;
  }
  pthread_mutex_unlock(&table_lock);
  close(fd); /* our own extra hold; env keeps its own */
  if (rc == 0)
    *out = env;
  return rc;
}

void lr__env_retain(lr__env *env) {
  pthread_mutex_lock(&table_lock);
  env->refs++;
  pthread_mutex_unlock(&table_lock);
}

/* After the last reference to a generation that is no longer live: delete
 * it (and any other unused one) unless somebody else reads it (a sweep:
 * it never waits, see lr__gen_sweep). */
static void collect_after_close(const char *root, unsigned long long gen) {
  unsigned long long live;
  if (lr__gen_read_current(root, &live, NULL) != 0 || live == gen ||
      (gen != LR__GEN_LEGACY && live < gen))
    return;
  lr__gen_sweep(root);
}

void lr__env_release(lr__env *env) {
  if (!env)
    return;
  pthread_mutex_lock(&table_lock);
  int last = --env->refs == 0;
  if (last)
    unlink_env(env);
  pthread_mutex_unlock(&table_lock);
  if (!last)
    return;
  if (env->bulk)
    trim_file(env);
  mdb_env_close(env->mdb);
  close(env->in_use_fd); /* this process no longer reads the generation */
  collect_after_close(env->root, env->gen);
  env_free(env);
}

/* The handle of `name` among those env keeps, or NULL; under dbi_lock. */
static named_dbi *known_dbi(lr__env *env, const char *name) {
  for (int i = 0; i < env->n_dbis; i++)
    if (strcmp(env->dbis[i].name, name) == 0)
      return &env->dbis[i];
  return NULL;
}

/* Keeps `name` -> dbi; under dbi_lock. Returns 0 or LR_ENOMEM. */
static int remember_dbi(lr__env *env, const char *name, MDB_dbi dbi) {
  if (env->n_dbis == env->cap_dbis) {
    int cap = env->cap_dbis ? env->cap_dbis * 2 : 8;
    named_dbi *grown = realloc(env->dbis, (size_t)cap * sizeof *grown);
    if (!grown)
      return LR_ENOMEM;
    env->dbis = grown;
    env->cap_dbis = cap;
  }
  named_dbi *slot = &env->dbis[env->n_dbis];
  slot->name = strdup(name);
  if (!slot->name)
    return LR_ENOMEM;
  slot->dbi = dbi;
  env->n_dbis++;
  return 0;
}

int lr__env_dbi(lr__env *env, const char *name, int create, MDB_dbi *dbi) {
  pthread_mutex_lock(&env->dbi_lock);
  named_dbi *known = known_dbi(env, name);
  int found = known != NULL;
  if (known) {
    *dbi = known->dbi;
  } else if (!create || env->writable) {
    MDB_txn *txn;
    if ((create ? lr__env_write_begin(env, &txn)
                : mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &txn)) == 0) {
      found = mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, dbi) == 0 &&
              mdb_txn_commit(txn) == 0;
      if (!found)
        mdb_txn_abort(txn);
      else
        found = remember_dbi(env, name, *dbi) == 0;
    }
  }
  pthread_mutex_unlock(&env->dbi_lock);
  return found;
}

char **lr__env_db_names(MDB_txn *txn, int *n) {
  MDB_dbi main_db;
  MDB_cursor *cur;
  char **names = NULL;
  int cap = 0;
  *n = 0;
  if (mdb_dbi_open(txn, NULL, 0, &main_db) || mdb_cursor_open(txn, main_db,
                                                              &cur))
    return NULL;
  MDB_val k, v;
  for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0;
       op = MDB_NEXT) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      char **grown = realloc(names, (size_t)cap * sizeof *names);
      if (!grown)
        break;
      names = grown;
    }
    names[*n] = strndup(k.mv_data, k.mv_size);
    if (names[*n])
      (*n)++;
  }
  mdb_cursor_close(cur);
  return names;
}

int lr__env_drop_dbs(lr__env *env, int (*is_stale)(void *ctx, const char *),
                     void (*dropped)(void *ctx, MDB_txn *txn, const char *),
                     void *ctx) {
  MDB_txn *txn;
  pthread_mutex_lock(&env->dbi_lock);
  int mrc = lr__env_write_begin(env, &txn);
  int n = 0;
  char **names = mrc ? NULL : lr__env_db_names(txn, &n);
  for (int i = 0; i < n; i++) {
    MDB_dbi dbi;
    if (is_stale(ctx, names[i]) && mdb_dbi_open(txn, names[i], 0, &dbi) == 0
        && mdb_drop(txn, dbi, 1) == 0) {
      dropped(ctx, txn, names[i]);
      named_dbi *known = known_dbi(env, names[i]);
      if (known) { /* mdb_drop closed the handle: forget it */
        free(known->name);
        *known = env->dbis[--env->n_dbis];
      }
    }
    free(names[i]);
  }
  free(names);
  if (mrc == 0)
    mrc = mdb_txn_commit(txn);
  pthread_mutex_unlock(&env->dbi_lock);
  return mrc;
}
