/*
 * store.c - opening a store: the applied registry, the live generation of
 * the online store folder (generation.h, env.h), and keeping the store on
 * the live generation as others replace it (see store.h).
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/dtype.h"
#include "../registry/registry.h"
#include "../util/fs.h"
#include "digest.h"
#include "freshness.h"
#include "apply.h"
#include "loads.h"
#include "rstore.h"
#include "version.h"

/* The messages of store calls, one per thread: a store is shared by
 * threads (a server's), so a failure lands in the failing thread's own
 * buffer, tagged with the store it is about, never in one another thread
 * may be resetting or growing at the same time. */
typedef struct thread_err {
  const lr_store *store;
  lr__buf buf;
  lr__buf report[2]; /* the last write's check report: text, JSON */
} thread_err;

static pthread_key_t err_key;
static pthread_once_t err_once = PTHREAD_ONCE_INIT;

static void free_thread_err(void *p) {
  thread_err *t = p;
  lr__buf_free(&t->buf);
  lr__buf_free(&t->report[0]);
  lr__buf_free(&t->report[1]);
  free(t);
}

static void make_err_key(void) {
  pthread_key_create(&err_key, free_thread_err);
}

static thread_err *this_thread_err(int create) {
  pthread_once(&err_once, make_err_key);
  thread_err *t = pthread_getspecific(err_key);
  if (!t && create && (t = calloc(1, sizeof *t)) != NULL) {
    lr__buf_init(&t->buf);
    lr__buf_init(&t->report[0]);
    lr__buf_init(&t->report[1]);
    if (pthread_setspecific(err_key, t) != 0) {
      free(t);
      t = NULL;
    }
  }
  return t;
}

lr__buf *lr__store_err(lr_store *store) {
  thread_err *t = this_thread_err(1);
  if (!t)
    return &store->errmsg; /* out of memory: shared, as a last resort */
  if (t->store != store) {
    lr__buf_reset(&t->buf);
    lr__buf_reset(&t->report[0]);
    lr__buf_reset(&t->report[1]);
    t->store = store;
  }
  return &t->buf;
}

lr__buf *lr__store_report(lr_store *store, int json) {
  static lr__buf none; /* out of memory: a report nobody reads */
  if (!this_thread_err(1))
    return &none;
  lr__store_err(store); /* tags the thread's buffers with this store */
  return &this_thread_err(0)->report[json != 0];
}

int lr_store_check_report(lr_store *store, unsigned flags, char **report) {
  if (report)
    *report = NULL;
  if (!store || !report)
    return LR_EINVAL;
  const lr__buf *r = lr__store_report(store, (flags & LR_FORMAT_JSON) != 0);
  if (!r->len)
    return 0;
  *report = strndup(r->data, r->len);
  return *report ? 0 : LR_ENOMEM;
}

const char *lr_store_errmsg(const lr_store *store) {
  if (!store)
    return "no store handle";
  thread_err *t = this_thread_err(0);
  return t && t->store == store ? lr__buf_str(&t->buf)
                                : lr__buf_str(&store->errmsg);
}

/* Forgets this thread's message about `store` (it closes, and its address
 * may be a later store's). */
static void forget_thread_err(const lr_store *store) {
  thread_err *t = this_thread_err(0);
  if (t && t->store == store) {
    lr__buf_reset(&t->buf);
    t->store = NULL;
  }
}

int lr__store_mdb_error(lr__buf *err, int mdb_rc, const char *doing) {
  lr__buf_printf(err, "%s: %s", doing, mdb_strerror(mdb_rc));
  if (mdb_rc == ENOMEM)
    return LR_ENOMEM;
  return mdb_rc == MDB_CORRUPTED || mdb_rc == MDB_INVALID ? LR_ECORRUPT
                                                         : LR_EIO;
}

lr__online_view *lr__store_view(lr_store *store, const char *name) {
  const lr__view *v = lr__model_view(&store->reg, name);
  return v ? &store->views[v - store->reg.views] : NULL;
}

/* Fills key names and types from the view's entities. */
static int describe_keys(lr_store *store, lr__online_view *ov) {
  int n = lr__model_view_keys(&store->reg, ov->view, NULL, NULL, 0);
  ov->key_names = lr__arena_array(&store->reg.arena, (size_t)n + 1,
                                  sizeof *ov->key_names);
  ov->key_types = lr__arena_array(&store->reg.arena, (size_t)n + 1, 1);
  if (!ov->key_names || !ov->key_types)
    return LR_ENOMEM;
  ov->n_keys = lr__model_view_keys(&store->reg, ov->view, ov->key_names,
                                   ov->key_types, n);
  return 0;
}

/* 1 when `name` (from the main database) is a view database that the
 * registry no longer uses: VIEW@EPOCH with another epoch, or of a view
 * that is gone or no longer online. */
static int is_stale(void *ctx, const char *name) {
  lr_store *store = ctx;
  const char *at = strchr(name, '@');
  if (!at)
    return 0;
  for (int i = 0; i < store->n_views; i++)
    if (lr__view_is_stored(store->views[i].view) &&
        strcmp(store->views[i].db_name, name) == 0)
      return 0;
  return 1;
}

/* A dropped view database's digest, interval and freshness records go
 * with it (a view added again later starts from an empty one, never
 * written, and a view taken offline and back online is loaded again from
 * the start). */
static void forget_records(void *ctx, MDB_txn *txn, const char *name) {
  (void)ctx;
  MDB_dbi meta;
  if (mdb_dbi_open(txn, LR__META_DB, 0, &meta) == 0) {
    lr__digest_forget(txn, meta, name);
    lr__loads_forget(txn, meta, name);
    lr__fresh_forget(txn, meta, name);
  }
}

static int setup_views(lr_store *store) {
  store->n_views = store->reg.n_views;
  store->views = calloc((size_t)store->n_views + 1, sizeof *store->views);
  if (!store->views)
    return LR_ENOMEM;
  for (int i = 0; i < store->n_views; i++) {
    lr__online_view *ov = &store->views[i];
    ov->view = &store->reg.views[i];
    lr__buf name;
    lr__buf_init(&name);
    lr__buf_printf(&name, "%s@%u", ov->view->name,
                   (unsigned)ov->view->layout_epoch);
    ov->db_name = lr__arena_strdup(&store->reg.arena, lr__buf_str(&name));
    lr__buf_free(&name);
    if (!ov->db_name)
      return LR_ENOMEM;
    int rc = describe_keys(store, ov);
    if (rc)
      return rc;
  }
  return 0;
}

int lr__store_encode_key(const lr__online_view *ov, const lr_value *values,
                         uint8_t *key, size_t *len, lr__buf *err,
                         const char *what, size_t index) {
  lr__keypart parts[16];
  if (ov->n_keys > 16) {
    lr__buf_printf(err, "view '%s' has more than 16 key columns",
                   ov->view->name);
    return LR_EINVAL;
  }
  for (int k = 0; k < ov->n_keys; k++) {
    const lr_value *v = &values[k];
    uint8_t want = ov->key_types[k];
    lr__keypart *p = &parts[k];
    p->dtype = want;
    int ok = v->type == want ||
             (want == LR__DT_INT64 && v->type == LR_TYPE_INT32);
    if (v->type == LR_TYPE_NULL) {
      lr__buf_printf(err, "%s %zu: key '%s' is null", what, index + 1,
                     ov->key_names[k]);
      return LR_EINVAL;
    }
    if (!ok) {
      char s1[32], s2[32];
      lr__buf_printf(err, "%s %zu: key '%s' must be %s, got %s", what,
                     index + 1, ov->key_names[k], lr__dtype_name(want, s1),
                     lr_type_name(v->type, s2));
      return LR_ETYPE;
    }
    if (want == LR__DT_INT32 || want == LR__DT_INT64) {
      p->i = v->type == LR_TYPE_INT32 ? v->v.i32 : v->v.i64;
    } else {
      p->ptr = v->v.str.ptr;
      p->len = v->v.str.len;
    }
  }
  *len = lr__key_encode(parts, ov->n_keys, key);
  if (*len)
    return 0;
  lr__buf_printf(err, "%s %zu: the key of view '%s' is empty or longer than "
                 "%d bytes", what, index + 1, ov->view->name, LR__KEY_MAX);
  return LR_EINVAL;
}


/* Named databases a generation is opened for: every view, the meta
 * database, and room for views that later applies add while it is open. */
static unsigned maxdbs_for(int n_views) {
  unsigned want = (unsigned)n_views + 256;
  return want < 512 ? 512 : want;
}

/* How many times an open retries when the generation it read from CURRENT
 * was deleted before it could hold it (CURRENT moved twice meanwhile). */
enum { GEN_RETRIES = 100 };

/* Holds the live generation: CURRENT's number, then its environment. On
 * success *env and *stamp are the generation held and CURRENT as read. */
static int hold_live(lr_store *store, lr__env **env, lr__gen_stamp *stamp,
                     lr__buf *err) {
  int rc = LR_ENOTFOUND;
  for (int i = 0; rc == LR_ENOTFOUND && i < GEN_RETRIES; i++) {
    unsigned long long gen;
    rc = lr__gen_open_layout(store->root, &gen, stamp, err);
    if (rc == 0)
      rc = lr__env_acquire(store->root, gen, store->env_flags, store->maxdbs,
                           env, err);
  }
  if (rc == LR_ENOTFOUND)
    lr__buf_printf(err, "the online store at %s keeps changing generation; "
                   "try again", store->root);
  return rc;
}

/* The store's live generation with CURRENT as the store last read it:
 * *env gets a reference. */
static lr__env *env_and_stamp(lr_store *store, lr__gen_stamp *stamp) {
  pthread_mutex_lock(&store->move_lock);
  lr__env *env = atomic_load(&store->env);
  lr__env_retain(env);
  *stamp = store->stamp;
  pthread_mutex_unlock(&store->move_lock);
  return env;
}

lr__env *lr__store_env(lr_store *store) {
  lr__gen_stamp unused;
  return env_and_stamp(store, &unused);
}

static long long coarse_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void lr__store_checked(lr_store *store, unsigned long long txnid) {
  atomic_store_explicit(&store->seen_txnid, txnid, memory_order_relaxed);
  atomic_store_explicit(&store->next_check_ms, coarse_ms() + 1000,
                        memory_order_relaxed);
}

int lr__store_refresh(lr_store *store, lr__buf *err) {
  if (store->redis)
    return 0; /* one shared store: no generations to move between */
  pthread_mutex_lock(&store->move_lock);
  int rc = 0;
  lr__env *old = atomic_load(&store->env);
  if (lr__gen_moved(store->root, &store->stamp)) {
    lr__env *env;
    lr__gen_stamp stamp;
    rc = hold_live(store, &env, &stamp, err);
    if (rc == 0) {
      store->stamp = stamp;
      rc = env != old;
      atomic_store(&store->env, env);
      lr__env_release(old); /* results still on it hold their own */
    }
  }
  pthread_mutex_unlock(&store->move_lock);
  return rc;
}

/* Opens the databases `names` in env, creating them. */
static int ensure_dbs(const lr_store *store, lr__env *env,
                      const char *const *names, int n, MDB_dbi *dbis,
                      lr__buf *err) {
  for (int i = 0; i < n; i++)
    if (!lr__env_dbi(env, names[i], 1, &dbis[i])) {
      lr__buf_printf(err, "cannot open the database of '%s' in the online "
                     "store at %s", names[i], store->root);
      return LR_EIO;
    }
  return 0;
}


int lr__store_write_begin(lr_store *store, const char *const *names, int n,
                          MDB_dbi *dbis, lr__env **out, MDB_txn **txn,
                          lr__buf *err) {
  *out = NULL;
  int need = lr__store_need_lmdb(store, "an LMDB write transaction", err);
  if (need)
    return need;
  for (int i = 0; i < GEN_RETRIES; i++) {
    lr__gen_stamp stamp;
    lr__env *env = env_and_stamp(store, &stamp);
    int rc = ensure_dbs(store, env, names, n, dbis, err);
    int mrc = rc ? 0 : lr__env_write_begin(env, txn);
    if (mrc)
      rc = lr__store_mdb_error(err, mrc, "cannot begin a write");
    /* Holding the writer lock now: a build of a new generation either
     * finished (CURRENT moved: write there instead) or has not begun. Only
     * a stat here: no lock of ours is taken while LMDB's is held. */
    if (rc == 0 && !lr__gen_moved(store->root, &stamp)) {
      *out = env;
      return 0;
    }
    if (rc == 0)
      mdb_txn_abort(*txn);
    lr__env_release(env);
    if (rc == 0 && (rc = lr__store_refresh(store, err)) > 0)
      rc = 0; /* moved: begin again on the new generation */
    if (rc)
      return rc;
  }
  lr__buf_printf(err, "the online store at %s keeps changing generation; "
                 "try again", store->root);
  return LR_EIO;
}

int lr__store_meta_read(lr_store *store, const char *key, lr__buf *value) {
  if (store->redis)
    return lr__rstore_meta_read(store->redis, key, value,
                                lr__store_err(store));
  lr__env *env = lr__store_env(store);
  MDB_dbi meta;
  MDB_txn *txn = NULL;
  int mrc = lr__env_dbi(env, LR__META_DB, 0, &meta)
                ? mdb_txn_begin(lr__env_mdb(env), NULL, MDB_RDONLY, &txn)
                : MDB_NOTFOUND;
  MDB_val k = {strlen(key), (void *)key}, v;
  if (mrc == 0)
    mrc = mdb_get(txn, meta, &k, &v);
  if (mrc == 0) {
    lr__buf_reset(value);
    lr__buf_append(value, v.mv_data, v.mv_size);
  }
  if (txn)
    mdb_txn_abort(txn);
  lr__env_release(env);
  if (mrc == MDB_NOTFOUND)
    return LR_ENOTFOUND;
  if (mrc == 0 && lr__buf_failed(value))
    return LR_ENOMEM;
  return mrc ? lr__store_mdb_error(lr__store_err(store), mrc, "cannot read a record")
             : 0;
}

/* Frees the databases of removed views and of dropped layouts. */
static int drop_stale(lr_store *store) {
  lr__env *env = lr__store_env(store);
  int mrc = lr__env_drop_dbs(env, is_stale, forget_records, store);
  lr__env_release(env);
  return mrc ? lr__store_mdb_error(lr__store_err(store), mrc, "cannot drop old rows")
             : 0;
}

/* Opens the live generation; a read-write open first moves a store of the
 * old layout into a generation of its own. */
static int open_online(lr_store *store, const char *repo, unsigned flags) {
  lr__buf root;
  lr__buf_init(&root);
  lr__fs_join(&root, repo, store->reg.config.online_path);
  store->root = lr__buf_steal(&root);
  if (!store->root)
    return LR_ENOMEM;
  store->writable = (flags & LR_STORE_READWRITE) != 0;
  store->env_flags = (store->writable ? LR__ENV_WRITE : 0) |
                     (store->writable && (flags & LR__STORE_BULK)
                          ? LR__ENV_BULK : 0);
  store->maxdbs = maxdbs_for(store->n_views);
  lr__env *env;
  int rc = hold_live(store, &env, &store->stamp, lr__store_err(store));
  if (rc)
    return rc;
  atomic_store(&store->env, env);
  lr__store_checked(store, 0);
  if (store->writable && lr__env_gen(env) == LR__GEN_LEGACY)
    rc = lr__store_rebuild(store, NULL, NULL);
  if (rc == 0 && store->writable && store->repl.role != LR__ROLE_REPLICA)
    rc = drop_stale(store); /* a replica holds what its primary held */
  if (rc == 0 && store->writable && store->repl.role == LR__ROLE_PRIMARY)
    rc = lr__store_log_registry(store, lr__store_err(store));
  return rc;
}

int lr__store_need_lmdb(const lr_store *store, const char *what,
                        lr__buf *err) {
  if (!store->redis)
    return 0;
  return lr__errmsg_set(err, LR_EUNSUPPORTED, "%s needs an online store of "
                        "type lmdb: this repo's is on Redis (%s), which "
                        "every server shares", what,
                        lr__rstore_where(store->redis));
}

/* Opens the Redis store the repo's online_store block names; a read-write
 * open sweeps the keys of view databases the registry no longer uses, as
 * drop_stale does on LMDB. Replication ships LMDB generations: a Redis
 * store is shared already. */
static int open_redis(lr_store *store, const char *repo, unsigned flags) {
  if (store->repl.role != LR__ROLE_NONE)
    return lr__errmsg_set(lr__store_err(store), LR_EUNSUPPORTED,
                          "feature_store.yaml has a replication block and "
                          "an online store of type redis: replication ships "
                          "LMDB stores to each host, a Redis store is shared "
                          "by every server already; drop one of the two");
  lr__buf root;
  lr__buf_init(&root);
  lr__fs_join(&root, repo, store->reg.config.online_path);
  store->root = lr__buf_steal(&root); /* the quarantine's folder */
  store->writable = (flags & LR_STORE_READWRITE) != 0;
  int rc = store->root ? lr__rstore_open_repo(repo, &store->redis,
                                              lr__store_err(store))
                       : LR_ENOMEM;
  if (rc == 0 && store->writable)
    rc = lr__rstore_sweep(store->redis, is_stale, store,
                          lr__store_err(store));
  return rc;
}

/* Reads the repo's replication block: a primary logs every change, a
 * replica takes writes only from its log. */
static int load_replication(lr_store *store, const char *repo) {
  lr__diag diag;
  lr__diag_init(&diag);
  int rc = lr__replication_load(repo, &store->repl, &diag);
  if (rc)
    lr__diag_format(&diag, lr__store_err(store));
  lr__diag_free(&diag);
  return rc;
}

int lr_store_open(const char *repo, unsigned flags, lr_store **out) {
  if (!out)
    return LR_EINVAL;
  lr_store *store = calloc(1, sizeof *store);
  *out = store;
  if (!store)
    return LR_ENOMEM;
  lr__model_init(&store->reg);
  lr__buf_init(&store->errmsg);
  forget_thread_err(store); /* a message about an earlier store here */
  pthread_mutex_init(&store->move_lock, NULL);
  if (!repo) {
    lr__buf_puts(lr__store_err(store), "no repo folder given");
    return LR_EINVAL;
  }
  int rc = lr__registry_load(repo, &store->reg, lr__store_err(store));
  if (rc == 0)
    rc = load_replication(store, repo);
  if (rc == 0)
    rc = setup_views(store);
  if (rc == 0)
    rc = lr__online_is_redis(store->reg.config.online_type)
             ? open_redis(store, repo, flags)
             : open_online(store, repo, flags);
  return rc;
}

void lr_store_close(lr_store *store) {
  if (!store)
    return;
  lr__env_release(atomic_load(&store->env));
  lr__rstore_close(store->redis);
  free(store->root);
  free(store->views);
  pthread_mutex_destroy(&store->move_lock);
  lr__model_free(&store->reg);
  lr__replication_free(&store->repl);
  forget_thread_err(store);
  lr__buf_free(&store->errmsg);
  free(store);
}

int lr_store_version(lr_store *store, lr_data_version *version) {
  if (!store || !version)
    return LR_EINVAL;
  lr__buf ignored; /* shared handles get no message from this call */
  lr__buf_init(&ignored);
  if (store->redis) {
    unsigned long long seq;
    int rrc = lr__rstore_seq(store->redis, &seq, &ignored);
    lr__buf_free(&ignored);
    if (rrc == 0)
      *version = (lr_data_version){LR__RSTORE_GENERATION, seq};
    return rrc;
  }
  lr__logpos pos;
  int rc = lr__store_refresh(store, &ignored);
  if (rc >= 0)
    rc = lr__store_logpos(store, &pos, &ignored) ? LR_EIO : 0;
  lr__buf_free(&ignored);
  if (rc == 0)
    *version = (lr_data_version){pos.generation, pos.seq};
  return rc;
}
