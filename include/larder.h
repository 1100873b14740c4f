/*
 * larder.h - the public interface of Larder, a feature store in C.
 *
 * This header is the specification. Every function is documented at its
 * declaration: what it does, its parameters, the status codes it returns and
 * who owns any memory it hands back.
 *
 * Conventions
 *  - Every function that can fail returns an int status: 0 on success or a
 *    negative LR_E* code. lr_strerror() and lr_err_name() describe a code.
 *  - Handles are opaque. A handle keeps the message of its last failure,
 *    with context (file, line, object name), readable through its *_errmsg()
 *    function until the next call on that handle.
 *  - Functions that create a handle hand it back even when they fail (as
 *    sqlite3_open does), so the caller can read the reason; the caller closes
 *    it either way. Only LR_ENOMEM may leave the handle NULL.
 *  - Strings returned through `char **` are allocated by Larder and owned by
 *    the caller, who releases them with lr_free().
 *  - A feature repo is a folder holding feature_store.yaml and definitions in
 *    the other *.yaml / *.yml files below it (see docs/repo-format.md).
 *
 * Threads and processes
 *  - Every function says at its declaration what may run at the same time
 *    as it on the same handle in other threads, and in other processes on
 *    the same store or repo where that matters. What it does not allow,
 *    do not do: the calls of one handle are then one thread's at a time.
 *  - Any number of processes may open one store, read-only or read-write,
 *    at once. Writers (lr_write_rows, lr_write_file, lr_materialize, the
 *    online side of lr_push, the server's writes) are serialized by the
 *    store's writer lock, across processes; readers never wait for them
 *    and never see half a write. Pushes to the offline store add whole
 *    files, which readers see complete or not at all.
 *  - The online store is a series of generations (docs/internals/online.md):
 *    lr_store_compact builds a new one while every writer waits, and every
 *    open store, in any process, moves to it at its next lookup. No
 *    process loses a write or reads a partial store because another one
 *    compacted, crashed or was killed at any point.
 *  - Within a process, a store may be opened any number of times: the
 *    opens share one LMDB environment (LMDB forbids opening one twice).
 *  - A store handle may be used from many threads at once for
 *    lr_request_prepare*, lr_get_online_features (each thread with its own
 *    result), lr_write_rows, lr_write_file, lr_store_version,
 *    lr_store_digests, lr_store_verify, lr_store_compare and
 *    lr_materialize on other handles; lr_store_compact and lr_store_close
 *    need the handle to themselves. A request is read-only once prepared and may be shared
 *    by threads; a result belongs to one thread at a time.
 *    The message of a failed lookup is on its result; that of another call
 *    on a store is the calling thread's own (lr_store_errmsg()).
 *  - fork(): a child must not use stores, requests or results its parent
 *    opened; it may open its own (the library forgets the parent's
 *    environments in the child).
 *  - The library installs no signal handlers and changes no process-wide
 *    state (locale, signal masks) except where a call says so.
 */
#ifndef LARDER_H
#define LARDER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LR_VERSION_MAJOR 0
#define LR_VERSION_MINOR 1
#define LR_VERSION_PATCH 0
#define LR_VERSION_STRING "0.1.0"

/*
 * The error codes, as one list: the enum, lr_strerror() and lr_err_name()
 * are all generated from it, so they cannot drift apart.
 * X(NAME, value, message)
 */
#define LR_ERRNO_MAP(X)                                                        \
  X(INVAL, -1, "invalid argument")                                             \
  X(NOMEM, -2, "out of memory")                                                \
  X(IO, -3, "input/output error")                                              \
  X(NOTFOUND, -4, "not found")                                                 \
  X(DEFINITION, -5, "the feature definitions are not valid")                   \
  X(CORRUPT, -6, "file is corrupt")                                            \
  X(VERSION, -7, "unsupported file format version")                            \
  X(NEEDFORCE, -8, "the change drops stored data and needs --force")           \
  X(EXISTS, -9, "already exists")                                              \
  X(NOREGISTRY, -10, "no registry: run `larder apply` first")              \
  X(TYPE, -11, "a value has the wrong type")                                   \
  X(READONLY, -12, "the store was opened read-only")                           \
  X(UNSUPPORTED, -13, "not supported yet")                                     \
  X(CHECK, -14, "a data quality check refused the rows")

/* Status codes. 0 is success; every error is negative. */
typedef enum {
  LR_OK = 0,
#define LR__ERRNO_ENUM(name, value, msg) LR_E##name = (value),
  LR_ERRNO_MAP(LR__ERRNO_ENUM)
#undef LR__ERRNO_ENUM
} lr_status;

/*
 * lr_strerror - a one-line English description of a status code.
 * Returns a static string (owned by Larder, never freed); an unknown code
 * gives "unknown error". Any thread, at any time.
 */
const char *lr_strerror(int status);

/*
 * lr_err_name - the symbolic name of a status code, e.g. "LR_ENOTFOUND".
 * Returns a static string (owned by Larder); an unknown code gives
 * "LR_EUNKNOWN". Any thread, at any time.
 */
const char *lr_err_name(int status);

/*
 * lr_version - the library's version string, e.g. "0.1.0". Static string;
 * any thread, at any time.
 */
const char *lr_version(void);

/*
 * lr_free - releases memory that Larder returned through a `char **`
 * parameter. NULL is allowed and does nothing. Any thread, whichever
 * thread's call returned the memory.
 */
void lr_free(void *ptr);

/* ------------------------------------------------------------------------ */
/* Feature repos: definitions on disk, plan and apply                        */
/* ------------------------------------------------------------------------ */

/* A feature repo's definitions as read from its YAML files. */
typedef struct lr_repo lr_repo;

/*
 * lr_repo_open - reads feature_store.yaml and every definition file of the
 * repo at `dir` and validates them.
 *
 * dir:  the repo folder.
 * out:  receives the handle, also on failure (read lr_repo_errmsg()); NULL
 *       only on LR_ENOMEM. The caller owns it and closes it with
 *       lr_repo_close().
 * Returns 0; LR_EDEFINITION when a definition is invalid (the message lists
 * every error as `file:line:col: message` with a hint line); LR_ENOTFOUND
 * when `dir` or its feature_store.yaml is missing; LR_EIO on a read error;
 * LR_EINVAL when an argument is NULL.
 *
 * Threads: a repo handle belongs to one thread at a time (each call on it
 * sets its message; plan and apply change its definitions).
 * Processes: reads the repo's files and takes no lock.
 */
int lr_repo_open(const char *dir, lr_repo **out);

/*
 * lr_repo_errmsg - the message of the last failed call on `repo`, or "" when
 * it has none. Owned by the handle; valid until its next call or close, so
 * read it in the thread that made the call.
 */
const char *lr_repo_errmsg(const lr_repo *repo);

/*
 * lr_repo_close - releases the handle and all it owns. NULL is allowed.
 * Once, with no other call on the handle under way.
 */
void lr_repo_close(lr_repo *repo);

/* Flags for lr_repo_plan() and lr_repo_apply(). */
enum {
  /* Allow changes that invalidate stored online rows (a retyped feature, a
   * changed entity key); the affected views' online rows are dropped. */
  LR_APPLY_FORCE = 1u << 0
};

/*
 * lr_repo_plan - compares the definitions with the registry last applied
 * and describes the difference without writing anything.
 *
 * flags: 0 or LR_APPLY_FORCE (the plan then says which rows would be dropped).
 * plan:  receives the plan as human-readable text (objects created, changed,
 *        removed; features added, removed, retyped; what needs
 *        re-materialization; then, from the online store's records of past
 *        loads, the views the next incremental materialization reloads
 *        with these definitions because they differ from those the views
 *        were loaded with: "Next materialize-incremental reloads:" and a
 *        line per view, "  VIEW from START (why)"). Owned by the caller:
 *        lr_free().
 * Returns 0; LR_EDEFINITION when the repo did not load; LR_ENEEDFORCE when a
 * change needs LR_APPLY_FORCE (the plan is still returned); LR_ECORRUPT or
 * LR_EVERSION when the existing registry cannot be read; LR_EIO.
 *
 * Threads: one call at a time on the handle.
 * Processes: writes nothing; plans against the registry as it reads it,
 * whole (an apply elsewhere replaces the file by rename), and the online
 * store's records of past loads, each as last committed (a read-only
 * open; a store that does not exist yet is not created).
 */
int lr_repo_plan(lr_repo *repo, unsigned flags, char **plan);

/*
 * lr_repo_apply - writes the definitions into the registry atomically (a
 * temporary file, fsync, rename, fsync of the folder): any failure leaves the
 * previous registry as it was. Same parameters and codes as lr_repo_plan();
 * on LR_ENEEDFORCE nothing is written. LR_EREADONLY on a replica (a
 * `replication: {role: replica}` block) that already has a registry: a
 * replica serves the primary's definitions, which its snapshots bring; it
 * applies only once, to set itself up.
 *
 * Threads: one call at a time on the handle; two applies of one repo from
 * one process at once would share the temporary file: do not.
 * Processes: takes no lock. A process that loads the registry meanwhile
 * (lr_registry_open, lr_store_open, lr_offline_open) gets the old or the
 * new one, whole, also when the apply is killed at any point; handles
 * opened before keep the registry they loaded (a server reloads within a
 * second). Two applies at once are not serialized: the last rename wins,
 * and both may write the same version number.
 */
int lr_repo_apply(lr_repo *repo, unsigned flags, char **plan);

/*
 * lr_repo_check_sources - checks every file and sql source of the
 * definitions against its data, as DuckDB describes it without reading the
 * rows (a Parquet footer, a sample of a CSV file, a query bound but not
 * run): a file source's path matches files DuckDB reads; the columns that
 * timestamp_field, created_timestamp_column and field_mapping name exist,
 * the first two holding times; and each feature view that reads the source
 * (directly or through a push source) finds its join keys and features as
 * columns (after field_mapping) of types that load as their dtypes
 * (docs/repo-format.md lists them). `larder plan` and `larder apply` run
 * it first; lr_repo_plan() and lr_repo_apply() read no source, so a host
 * that cannot reach the data may still apply.
 *
 * Returns 0; LR_EDEFINITION when a source does not match (the message
 * lists every problem as `file:line:col: message` with a hint line, as
 * lr_repo_open() does: a missing column with the source's columns, a close
 * name and the field_mapping that would read it; a type that does not
 * load, with both types); the code lr_repo_open() returned when the repo
 * did not load; LR_EUNSUPPORTED when libduckdb cannot be loaded;
 * LR_EINVAL (a NULL repo); LR_ENOMEM.
 *
 * Threads: one call at a time on the handle (it sets the handle's
 * message); it opens a DuckDB database of its own, shared with no one.
 * Processes: reads the sources' metadata only, writes nothing and takes
 * no lock; a source rewritten meanwhile is described as DuckDB finds it.
 */
int lr_repo_check_sources(lr_repo *repo);

/*
 * lr_repo_init - creates a working example repo in `dir` (created if
 * missing; it must not already hold a feature_store.yaml): definitions like
 * Feast's quickstart and example data for a few hundred drivers over two
 * weeks, hourly, ending at the current hour, as Parquet (written through
 * DuckDB, which this call loads), plus the last hour as CSV in the feature
 * names `larder write` takes.
 *
 * errmsg: on failure receives a message (caller frees with lr_free()); may be
 *         NULL.
 * Returns 0; LR_EEXISTS when `dir` already holds a repo; LR_EIO; LR_EINVAL;
 * LR_EUNSUPPORTED when libduckdb cannot be loaded.
 *
 * Threads and processes: any thread (no handle), but one call per folder at
 * a time, in all processes: the check for an existing repo and the writes
 * that follow are not one step.
 */
int lr_repo_init(const char *dir, char **errmsg);

/* Flags for lr_repo_teardown(). */
enum {
  /* Check that the teardown can be done and say what it would remove;
   * remove nothing. */
  LR_TEARDOWN_CHECK = 1u << 0
};

/*
 * lr_repo_teardown - removes what `apply`, writes and materializations made
 * in the repo at `dir`: its online store (the folder online_store.path,
 * every generation in it) and its registry file. The definition files,
 * feature_store.yaml and the offline data stay, and so do a replicated
 * repo's write log and snapshots. The store goes first, the registry last:
 * a teardown cut short leaves the registry with an empty store (never
 * stored rows without their registry); run it again to finish.
 *
 * flags:  0, or LR_TEARDOWN_CHECK.
 * report: receives what was removed (or would be), a sentence a line, ""
 *         when the repo has neither, then a note for a replicated repo;
 *         caller frees with lr_free(). May be NULL.
 * errmsg: on failure receives the reason (lr_free()); may be NULL.
 * Returns 0; LR_EEXISTS when a process has the online store open (a
 * server, a replicator, a command under way, or a handle in this process)
 * or is rebuilding it (a compaction): then nothing is removed;
 * LR_ENOTFOUND when `dir` is not a repo; LR_EDEFINITION for a bad
 * feature_store.yaml; LR_EIO; LR_EINVAL.
 *
 * Threads and processes: no handle; close this process's stores of the
 * repo first. It takes the store's layout lock, the replicator lock and
 * every generation's in-use lock (which each process reading a generation
 * holds shared), all without waiting, before it removes anything, and
 * holds them until it is done: a running reader is never left with its
 * files removed under it (LMDB would go on serving the unlinked files, and
 * rows written there would be lost). A process that starts to open the
 * store meanwhile fails, or finds a new, empty store once the teardown is
 * done (a command started then may so leave a store folder behind: run
 * the teardown again).
 *
 * A store on Redis (online_store type redis) is removed key by key: every
 * key under its key_prefix, on every master (SCAN, UNLINK); the report
 * says how many. Redis cannot say who else uses it, so nothing is locked:
 * stop every writer first (keys written during the teardown may stay).
 * Redis down or refusing fails it with LR_EIO naming the server, and the
 * registry stays; a failure part way leaves some keys: run it again.
 */
int lr_repo_teardown(const char *dir, unsigned flags, char **report,
                     char **errmsg);

/* ------------------------------------------------------------------------ */
/* The registry: what was applied                                            */
/* ------------------------------------------------------------------------ */

/* The applied registry of a repo, loaded read-only. */
typedef struct lr_registry lr_registry;

/*
 * lr_registry_open - loads the registry that `larder apply` wrote for the repo
 * at `dir` (its path comes from the repo's feature_store.yaml).
 *
 * out: receives the handle, also on failure (read lr_registry_errmsg());
 *      NULL only on LR_ENOMEM. Close it with lr_registry_close().
 * Returns 0; LR_ENOREGISTRY when nothing was applied yet; LR_ENOTFOUND when
 * `dir` is not a repo; LR_ECORRUPT when the file fails its checksum;
 * LR_EVERSION when it was written by an incompatible version; LR_EIO.
 *
 * Threads: lr_registry_list and lr_registry_describe set the handle's
 * message: one of them at a time per handle. lr_registry_version may run
 * in any thread beside them.
 * Processes: reads the registry file once; an apply elsewhere meanwhile
 * gives the old registry or the new one, whole. The handle keeps what it
 * read: open again to see a later apply.
 */
int lr_registry_open(const char *dir, lr_registry **out);

/*
 * lr_registry_errmsg - the message of the last failed call on `reg`, or "".
 * Owned by the handle; valid until its next list or describe, so read it
 * in the thread that made the call.
 */
const char *lr_registry_errmsg(const lr_registry *reg);

/*
 * lr_registry_close - releases the handle. NULL is allowed. Once, with no
 * other call on the handle under way.
 */
void lr_registry_close(lr_registry *reg);

/* Kinds of registry objects, for lr_registry_list(). */
typedef enum {
  LR_KIND_ENTITY = 1,
  LR_KIND_SOURCE,         /* data sources and request sources */
  LR_KIND_FEATURE_VIEW,
  LR_KIND_ON_DEMAND_VIEW,
  LR_KIND_FEATURE_SERVICE
} lr_kind;

/* Output format flags for lr_registry_list() and lr_registry_describe(). */
enum {
  LR_FORMAT_JSON = 1u << 0 /* JSON for scripts; the default is a text table */
};

/*
 * lr_registry_list - lists the objects of one kind, sorted by name.
 *
 * flags: 0 for an aligned text table, LR_FORMAT_JSON for a JSON array of the
 *        objects (each as lr_registry_describe() prints it).
 * out:   receives the text; owned by the caller: lr_free().
 * Returns 0; LR_EINVAL for an unknown kind.
 * Threads: not beside another list or describe on the same handle.
 */
int lr_registry_list(lr_registry *reg, lr_kind kind, unsigned flags,
                     char **out);

/*
 * lr_registry_describe - describes every object named `name` (names are
 * unique within a kind, not across kinds), with where it was defined.
 *
 * flags: 0 for text, LR_FORMAT_JSON for a JSON array of objects.
 * out:   receives the text; owned by the caller: lr_free().
 * Returns 0; LR_ENOTFOUND when no object has that name (the message lists
 * close names).
 * Threads: not beside another list or describe on the same handle.
 */
int lr_registry_describe(lr_registry *reg, const char *name, unsigned flags,
                         char **out);

/*
 * lr_registry_version - the registry's version: 1 after the first apply,
 * incremented by every apply that changed something; that of the registry
 * the handle loaded. Returns 0 and sets *version; LR_EINVAL on NULL
 * arguments.
 * Threads: reads the handle only; any thread, beside any call but close.
 */
int lr_registry_version(const lr_registry *reg, unsigned long long *version);

/* ------------------------------------------------------------------------ */
/* Values                                                                    */
/* ------------------------------------------------------------------------ */

/* Value types. An array type is LR_TYPE_ARRAY | element type. */
typedef enum {
  LR_TYPE_NULL = 0, /* in lr_write_rows(): this cell is null */
  LR_TYPE_BOOL = 1,
  LR_TYPE_INT32 = 2,
  LR_TYPE_INT64 = 3,
  LR_TYPE_FLOAT32 = 4,
  LR_TYPE_FLOAT64 = 5,
  LR_TYPE_STRING = 6,
  LR_TYPE_BYTES = 7,
  LR_TYPE_TIMESTAMP = 8, /* microseconds since 1970-01-01T00:00:00Z */
  LR_TYPE_ARRAY = 0x80
} lr_type;

/* The status of one feature value of one entity (Feast's numbering). */
typedef enum {
  LR_STATUS_PRESENT = 1,
  LR_STATUS_NULL_VALUE = 2,      /* stored, and null */
  LR_STATUS_NOT_FOUND = 3,       /* no row, or a feature added since */
  LR_STATUS_OUTSIDE_MAX_AGE = 4  /* older than the view's ttl: withheld */
} lr_feature_status;

/*
 * lr_status_name - "PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE",
 * or "INVALID" for another number. Static string; any thread.
 */
const char *lr_status_name(int feature_status);

/*
 * lr_type_name - "float32", "array<int64>", ... or "null"; `buf` (at least
 * 32 bytes) may be used to build the text, and is what is returned then
 * (otherwise a static string). Any thread, each with its own `buf`.
 */
const char *lr_type_name(int type, char *buf);

/* A string or byte string: `len` bytes at `ptr`, not NUL-terminated. */
typedef struct lr_str {
  const char *ptr;
  size_t len;
} lr_str;

/*
 * A typed value: an entity key given to a lookup, a cell written with
 * lr_write_rows(), or a feature value read by lr_result_cell().
 * Arrays: `v.array.data` points at `v.array.n` elements of the element type
 * (int32_t, int64_t, float, double, or lr_str for strings).
 */
typedef struct lr_value {
  int type;         /* an lr_type */
  int status;       /* read results only: an lr_feature_status */
  long long event_ts; /* read results only: the row's event time (µs) */
  union {
    int b;
    int i32;
    long long i64;
    float f32;
    double f64;
    long long ts; /* LR_TYPE_TIMESTAMP: microseconds since the epoch */
    lr_str str;   /* LR_TYPE_STRING, LR_TYPE_BYTES */
    struct {
      const void *data;
      size_t n;
    } array;
  } v;
} lr_value;

/* ------------------------------------------------------------------------ */
/* The online store: in-process reads and writes                             */
/* ------------------------------------------------------------------------ */

/*
 * A repo's registry and online store, opened: an LMDB environment on this
 * host (online_store type lmdb, the default), or a Redis server or Redis
 * Cluster that many hosts share (type redis). Every call below works on
 * both, with the same rows, statuses and values; where the Redis store
 * differs, its call says so. What holds on Redis, for every call:
 *
 *  - Writes: each row is stored newer-wins atomically on the server (a
 *    script compares its times with the stored row's), so writers in any
 *    number of processes and hosts never lose a newer row, whatever the
 *    order their rows arrive in. There is no transaction across rows: a
 *    write's rows are visible as each put sends them, not at its commit,
 *    and a write that fails part way has stored some of its rows (the
 *    message says how many; writing them again is safe). A view whose
 *    checks may refuse the batch (reject, max_failed) holds its rows until
 *    the verdict, so a refused batch writes nothing.
 *  - Versions: (1, N), N counting the writes that changed a row. A lookup
 *    reads N in the same round trip as its rows; Redis has no snapshot
 *    across keys, so a lookup during a write may see some of its rows and
 *    not others (each row whole), and the version says "at least these
 *    writes".
 *  - Failures (Redis down, a timeout, OOM at maxmemory, a wrong password,
 *    a cluster resharding past the redirections) are LR_EIO with a message
 *    naming the server and the setting to change.
 *  - The calls that read a whole LMDB store or its files (compact,
 *    digests, verify, compare, samples, copy, publish and replication)
 *    answer LR_EUNSUPPORTED, naming the Redis store.
 */
typedef struct lr_store lr_store;

enum {
  LR_STORE_READONLY = 0,
  LR_STORE_READWRITE = 1u << 0
};

/*
 * lr_store_open - opens the applied registry and the online store of the
 * repo at `repo`. Cheap: no data is read until a lookup. Many processes may
 * open one store; one writer at a time writes (LMDB serializes writers) and
 * readers never wait for it nor see half of a write.
 *
 * flags: LR_STORE_READONLY, or LR_STORE_READWRITE to write rows (a
 *        read-write open also frees the rows of views removed from the
 *        registry or dropped by `apply --force`).
 * out:   receives the handle, also on failure (read lr_store_errmsg()); NULL
 *        only on LR_ENOMEM. Close it with lr_store_close() after every
 *        request and result made from it.
 * Returns 0; LR_ENOREGISTRY, LR_ENOTFOUND, LR_ECORRUPT, LR_EVERSION as
 * lr_registry_open(); LR_EIO when the online store cannot be opened.
 *
 * Threads: any thread may open a store, also while others use other
 * handles of it (the opens share one environment; see above).
 * Processes: any number, read-only or read-write, at once. The registry is
 * read once, as lr_registry_open() reads it: the handle keeps it (an apply
 * elsewhere is seen by a new open). A read-write open writes (the rows of
 * removed views; the upgrade of a store of the old layout) and so waits
 * for the writers of every process.
 *
 * On Redis the open connects (a cluster: reads its slot map) and loads the
 * write script, so Redis down or a wrong password fails it with LR_EIO;
 * the handle keeps a pool of connections, one per thread at a time, and
 * opens no file of the store (any number of hosts may open it). A repo
 * with both a Redis store and a replication block is LR_EUNSUPPORTED.
 */
int lr_store_open(const char *repo, unsigned flags, lr_store **out);

/*
 * lr_store_errmsg - the message of the calling thread's last failed call
 * on `store`, or "". Messages are kept per thread: threads sharing a store
 * each read their own failures, and none writes another's. Owned by the
 * library; valid until this thread's next call on the store or its close.
 * (Failures of lookups are on their result instead.) Any thread, beside
 * any call on the store but its close.
 */
const char *lr_store_errmsg(const lr_store *store);

/*
 * lr_store_close - closes the store. NULL is allowed. Needs the handle to
 * itself: free its requests and results first, and let no call on it be
 * under way. Other handles of the store, here or in other processes, are
 * not affected; the last process to stop reading an old generation
 * deletes it.
 */
void lr_store_close(lr_store *store);

/* A prepared lookup: features resolved once, executed many times. */
typedef struct lr_request lr_request;

/*
 * lr_request_prepare - resolves feature references `view:feature` (n of
 * them) into a request. The result's features are in exactly this order.
 *
 * out: receives the request (NULL on failure; the reason is on the store).
 *      Free it with lr_request_free() after the results made from it and
 *      before closing the store. A request is read-only once prepared: many
 *      threads may use it at once.
 * A reference may name a feature of an on-demand view: the request then
 * also reads the features its expressions use, and takes the request-data
 * fields they use as extra key columns (lr_request_join_keys()).
 * Returns 0; LR_EINVAL for a malformed reference; LR_ENOTFOUND for an
 * unknown view or feature (the message suggests close names).
 * Threads: any number at once on one store, beside lookups and writes on
 * it; a failure's message is the calling thread's own (lr_store_errmsg()).
 * Resolves against the registry the store opened with: reads no file.
 */
int lr_request_prepare(lr_store *store, const char *const *refs, int n,
                       lr_request **out);

/*
 * lr_request_prepare_service - the same for the features of a feature
 * service, in the service's order. LR_ENOTFOUND for an unknown service.
 * Threads and ownership as lr_request_prepare().
 */
int lr_request_prepare_service(lr_store *store, const char *service,
                               lr_request **out);

/*
 * lr_request_free - frees a request. NULL is allowed. Once no thread uses
 * it and the results made from it are freed.
 */
void lr_request_free(lr_request *req);

/*
 * lr_request_shape - how many key columns a lookup takes and how many
 * features it returns. Returns 0 or LR_EINVAL. Reads the request only: any
 * number of threads at once (so do the three calls below).
 */
int lr_request_shape(const lr_request *req, int *n_keys, int *n_features);

/*
 * lr_request_key - the i-th key column: its name and lr_type. The first
 * columns are the join keys of the request's views, each once, in order of
 * first use; after them come the request-data fields its on-demand views
 * read (see lr_request_join_keys()). Strings are owned by the request
 * (valid until it is freed). Returns 0 or LR_EINVAL. Any thread.
 */
int lr_request_key(const lr_request *req, int i, const char **name,
                   int *type);

/*
 * lr_request_join_keys - how many of the request's key columns are join
 * keys. Columns n_join_keys .. n_keys-1 are request-data fields: values that
 * come with each lookup (Feast's request sources), such as `val_to_add`.
 * They are given like keys, one per entity, may be null (LR_TYPE_NULL), and
 * are not echoed by lr_result_format(). Returns 0 or LR_EINVAL. Any
 * thread.
 */
int lr_request_join_keys(const lr_request *req, int *n_join_keys);

/*
 * lr_request_feature - the i-th feature: its view, name and lr_type.
 * Strings are owned by the request (valid until it is freed). Returns 0 or
 * LR_EINVAL. Any thread.
 */
int lr_request_feature(const lr_request *req, int i, const char **view,
                       const char **name, int *type);

/* Where lookups write: owned by the caller, reused across lookups. */
typedef struct lr_result lr_result;

/*
 * lr_result_create - a result able to hold `max_entities` entities of
 * `req`. A result belongs to one thread at a time; give each thread its own.
 *
 * out: receives the result; free it with lr_result_free() before its
 *      request.
 * Returns 0; LR_EINVAL (max_entities < 1); LR_ENOMEM.
 * Threads: any number of threads may create results of one request at
 * once; every call below that takes a result is that result's thread's.
 */
int lr_result_create(const lr_request *req, int max_entities,
                     lr_result **out);

/*
 * lr_result_free - frees a result. NULL is allowed. In the result's
 * thread, with no lookup into it under way.
 */
void lr_result_free(lr_result *res);

/*
 * lr_result_errmsg - the message of the last failed lookup into `res`, or
 * "". Owned by the result; valid until its next lookup. The result's
 * thread.
 */
const char *lr_result_errmsg(const lr_result *res);

/*
 * lr_get_online_features - looks up `n_entities` entities. `keys` holds
 * n_entities rows of n_keys values (row-major, columns as lr_request_key()
 * lists them). For each entity and feature the result gets a value and
 * a status: PRESENT; NULL_VALUE; NOT_FOUND (no row, or a feature added after
 * the row was written); OUTSIDE_MAX_AGE (now - event_ts > the view's ttl;
 * the value is withheld). Entities that repeat are read once. Allocation-free
 * once the result has grown to the largest strings it has held.
 * Features of on-demand views are computed from the inputs just read and
 * the request-data columns: PRESENT, or NULL_VALUE when the expression is
 * null; their event time is the newest of the input rows'. A request-data
 * value may be of a narrower type (int32 for int64, an integer for a float).
 *
 * Threads and processes: any number of threads may look up through one
 * request and store at once, each into its own result (never two into one
 * result). A lookup reads one snapshot and never waits for writers; when
 * another process compacted the store, the lookup reads the new generation
 * (it looks at the store's CURRENT pointer when a commit happened or a
 * second passed: a compare and a coarse clock read otherwise).
 *
 * Returns 0; LR_EINVAL (n_entities outside 0..max_entities, or a null join
 * key); LR_ETYPE (a key or request value of the wrong type; the message
 * names the column and entity); LR_ECORRUPT (a damaged row); LR_EIO.
 * Failures leave their message on the result.
 */
int lr_get_online_features(const lr_request *req, const lr_value *keys,
                           int n_entities, lr_result *res);

/*
 * lr_result_cell - the value of feature `feature` for entity `entity` from
 * the last lookup. Strings and arrays point into the result: valid until its
 * next lookup or free. Returns 0 or LR_EINVAL (out of range). The
 * result's thread.
 */
int lr_result_cell(const lr_result *res, int entity, int feature,
                   lr_value *out);

/*
 * lr_result_count - how many entities the last lookup returned. The
 * result's thread.
 */
int lr_result_count(const lr_result *res, int *n_entities);

/* Flags for lr_result_format(); LR_FORMAT_JSON is shared with listing. */
enum {
  LR_FULL_FEATURE_NAMES = 1u << 1 /* name features `view__feature` */
};

/*
 * lr_result_format - the last lookup as an aligned text table (one row per
 * entity, keys first), or with LR_FORMAT_JSON in the shape of Feast's
 * feature server response (column-major: metadata.feature_names, results
 * of values, statuses and event_timestamps), whose metadata also holds
 * "larder_version": "G.S", lr_result_version() as text. `keys` are the
 * lookup's keys.
 * out: receives the text (caller frees with lr_free()).
 * The result's thread.
 */
int lr_result_format(const lr_result *res, const lr_value *keys,
                     unsigned flags, char **out);

/* Counts from a write. */
typedef struct lr_write_stats {
  size_t rows_written;  /* stored */
  size_t rows_skipped;  /* older than the row already stored: kept out */
} lr_write_stats;

/* One column of a write: `name` and one value per row (LR_TYPE_NULL for a
 * null). */
typedef struct lr_column {
  const char *name;
  const lr_value *values;
} lr_column;

/*
 * lr_write_rows - writes `n_rows` rows into the online store of `view`, in
 * one transaction: readers see all of them or none. Columns: every join key
 * of the view, `event_timestamp` (LR_TYPE_TIMESTAMP, not null), optionally
 * `created_timestamp`, and every feature of the view (nulls allowed). Each
 * value must have the feature's type; int32 widens to int64 and float32 to
 * float64. Event and created times must lie within 9999-12-31 of 1970 on
 * either side. Newer wins: a row replaces the stored one only if its
 * (event_timestamp, created_timestamp) is not older; an older row is
 * counted in rows_skipped. On-demand views stored on write
 * (`write_to_online_store: true`) that read `view` are computed from the
 * same rows and written in the same transaction, with the same keys and
 * times (not counted in stats).
 *
 * stats: may be NULL.
 * Threads and processes: may run on one handle from several threads, beside
 * lookups; writers queue behind one another (LMDB's writer lock, across
 * processes too) and wait while a compaction copies the store, then write
 * into the new generation. A committed write is durable (synced) when the
 * call returns. A failure's message is the calling thread's own.
 *
 * Checks: when the view has `checks` (docs/repo-format.md), they run over
 * the rows before newer-wins: a `drop` rule's failing rows are not
 * stored (rows_written does not count them) and are copied first to a
 * Parquet file in the quarantine folder beside the online store
 * (data/quarantine/VIEW/ by default; a file that cannot be written fails
 * the write); a `null` rule stores that feature null; `warn` only counts;
 * a failing `reject` rule, or more failing rows than `max_failed`, refuses
 * the whole write with LR_ECHECK. lr_store_check_report() gives what the
 * checks found.
 *
 * Returns 0; LR_EREADONLY; LR_ENOTFOUND (unknown view); LR_EINVAL (a missing
 * or unknown column, a null key or timestamp, or `view` is an on-demand
 * view; the message names it and the row, counted from 0); LR_ETYPE (a value
 * of the wrong type); LR_ECHECK (the view's checks refused the rows: the
 * message names each failing rule with its counts); LR_EIO. On failure
 * nothing is written (on Redis, see above: an LR_EIO may leave rows
 * stored, and `stats` counts them).
 */
int lr_write_rows(lr_store *store, const char *view, const lr_column *columns,
                  int n_columns, size_t n_rows, lr_write_stats *stats);

/*
 * lr_store_check_report - what the view's checks found in the calling
 * thread's last write on `store` (lr_write_rows, lr_write_file, a push to
 * the online store), committed or refused: the rows checked, failed,
 * dropped and set null, the quarantine file, and per rule the rows
 * checked and failing, whether it passed and up to 5 sample keys with
 * the value tested. flags: 0 for lines of text, LR_FORMAT_JSON for one
 * JSON object ({"view", "rows", "rows_failed", "rows_dropped",
 * "rows_nulled", "rejected", "quarantine", "checks": [{"name", "kind",
 * "feature", "on_fail", "rows_checked", "rows_failed", "share_failed",
 * "passed", "detail", "samples": [{"key": {...}, "value": ...}]}]}).
 *
 * report: receives a NUL-terminated string the caller frees with
 *         lr_free(), or NULL when that write ran no checks (its view has
 *         none, or it failed before they ran).
 * Threads and processes: each thread has its own last write; any thread
 * may ask at any time. Returns 0; LR_EINVAL (NULL arguments); LR_ENOMEM.
 */
int lr_store_check_report(lr_store *store, unsigned flags, char **report);

/*
 * lr_write_file - writes the rows of a file into `view` as lr_write_rows()
 * does, in one transaction. Formats by extension: `.csv` (a header row;
 * empty cells are null; arrays as JSON arrays; bytes as base64),
 * `.jsonl`/`.json` (one JSON object per line), `.parquet`. Timestamps are ISO 8601 (`2024-01-01T10:00:00Z`,
 * offsets allowed, naive = UTC) or integers (seconds since the epoch).
 * `.parquet` is read through DuckDB, loaded on first use (a process that
 * never writes Parquet never loads it): bytes, lists and timestamps are
 * converted as in CSV. A column the view does not have is refused (all
 * such columns named); lr_write_file_flags() can skip them instead.
 * Returns as lr_write_rows(), plus LR_ENOTFOUND for a missing file,
 * LR_EINVAL for a malformed one (the message names the file, the place in
 * it, FILE:LINE for CSV and JSON lines, `FILE: row N` for Parquet, rows
 * counted from 1 at the first data row, and the column; or quotes DuckDB),
 * and
 * LR_EUNSUPPORTED when Parquet is asked for and libduckdb cannot be
 * loaded.
 * Threads and processes: as lr_write_rows(). The file is read and checked
 * before the write transaction begins: other writers wait only for the
 * write itself.
 */
int lr_write_file(lr_store *store, const char *view, const char *path,
                  lr_write_stats *stats);

/* Flags for lr_write_file_flags(). */
enum {
  /* Skip the file's columns that are not the view's (a wide file written
   * into a narrower view); without it they are refused, named. */
  LR_WRITE_IGNORE_EXTRA_COLUMNS = 1u << 0
};

/*
 * lr_write_file_flags - lr_write_file() with `flags` (0 or
 * LR_WRITE_IGNORE_EXTRA_COLUMNS); lr_write_file() is this with 0. Same
 * codes, threads and processes.
 */
int lr_write_file_flags(lr_store *store, const char *view, const char *path,
                        unsigned flags, lr_write_stats *stats);

/*
 * lr_store_compact - rewrites the online store into a compact copy (every
 * page full, free pages dropped) as a new generation beside the live one,
 * then makes it live atomically (CURRENT is replaced with rename()): the
 * store is never half-compacted, and a crash at any point leaves the old
 * or the new generation live, both complete. The store must be open
 * read-write.
 *
 * Other processes and threads: writers (lr_write_rows, materialization,
 * in any process) wait while the copy is made, then write into the new
 * generation; none fails and none is lost. Readers never wait: every open
 * store moves to the new generation at its next lookup (results move
 * between lookups), and the old generation is deleted by the last process
 * that stops reading it. One compaction runs at a time per store folder;
 * a second waits for the first. No lookup or write may run on this handle
 * during the call.
 *
 * before, after: may be NULL; receive the bytes the data holds before and
 * after (pages up to the last used; the file may be longer by a sparse
 * margin of zeros, see docs/internals/online.md).
 * Returns 0; LR_EREADONLY; LR_EIO (nothing was swapped in).
 */
int lr_store_compact(lr_store *store, unsigned long long *before,
                     unsigned long long *after);

/*
 * A version of the online store's contents (G, S): the generation G (each
 * compaction or upgrade makes a new one, with a greater number) and the
 * sequence number S of the last change committed (one more per committed
 * write, compaction or upgrade; on a replica, the last entry of the
 * primary's write log applied). S alone orders versions: it never goes
 * back, and a new generation takes a new S. Two stores at the same version
 * of one primary hold the same rows; a replica reports the primary's G
 * and S (docs/internals/replication.md). Its text form, as `larder
 * version` and the server print it, is "G.S", e.g. "3.1042".
 */
typedef struct lr_data_version {
  unsigned long long generation;
  unsigned long long seq;
} lr_data_version;

/*
 * lr_store_version - the version of the store's live generation now (it
 * looks at CURRENT first, so a store another process compacted reports the
 * new generation). Thread-safe, also beside lookups and writes on the same
 * handle; costs a stat and a short read transaction, and leaves the
 * store's message alone. Sees the commits of every process. Returns 0;
 * LR_EINVAL; LR_EIO.
 */
int lr_store_version(lr_store *store, lr_data_version *version);

/*
 * lr_result_version - the version the last lookup into `res` read: every
 * value of that lookup comes from this one snapshot. Zeroes before the
 * first lookup. Returns 0 or LR_EINVAL. The result's thread.
 */
int lr_result_version(const lr_result *res, lr_data_version *version);

/*
 * lr_store_digests - each online view's content digest, as JSON:
 * {"VIEW": {"rows": N, "digest": "32 hex digits"}, ...}, views in registry
 * order. A digest is the sum modulo 2^128 of SipHash-2-4-128 over every
 * stored (key, row) pair, kept in the same transaction as every write:
 * two stores that hold the same rows have the same digests, whatever their
 * history, compactions or generation (docs/internals/online.md). Read from
 * one snapshot of the live generation; thread-safe beside lookups (a read
 * transaction of its own: writers in any process are not held up).
 * json: receives the text (caller frees with lr_free()).
 * Returns 0; LR_EINVAL; LR_EIO; LR_ECORRUPT (a damaged record).
 */
int lr_store_digests(lr_store *store, char **json);

/*
 * lr_store_verify - walks every online view of the live generation: each
 * key must decode under the view's entity keys and each row under its
 * layout, and the digest of the rows found must be the one recorded.
 * Reads one snapshot (writers in any process are not held up); costs a
 * pass over the store. Threads: as lr_store_digests().
 * report: on success receives one line per view ("VIEW: N rows, digest
 * HEX: ok"); caller frees with lr_free().
 * Returns 0; LR_ECORRUPT naming the view and the key (or the two digests)
 * where it failed, on the store's message; LR_EINVAL; LR_EIO.
 */
int lr_store_verify(lr_store *store, char **report);

/* Flags for lr_store_compare(); LR_FORMAT_JSON is shared with listing. */
enum {
  LR_COMPARE_FULL = 1u << 2 /* count every view from its rows on both
                               sides, also where the records agree */
};

/*
 * lr_store_compare - compares the online contents of two stores (two
 * repos: a primary and a replica, two replicas, a store and its restored
 * copy): their versions and, per view (matched by name), their rows. A
 * view whose recorded digests (lr_store_digests) agree holds the same
 * rows on both sides, and is not read unless LR_COMPARE_FULL asks for it;
 * otherwise both views are walked together in key order, which counts
 * each side's digest again, split into 256 buckets of the key space (a
 * key's bucket is a hash of the key alone, the same in every store), and
 * finds every key that is on one side only or holds another row. Views
 * stored on one side only differ too, and so does a view whose rows were
 * counted on a side whose recorded digest is not what they give (a
 * damaged store; LR_COMPARE_FULL counts every view).
 *
 * identical: receives 1 when every view is on both sides with the same
 *   rows (and no record counted was wrong), else 0. Versions are reported, not judged: two stores may hold
 *   the same rows at different versions (rows rewritten with equal ones,
 *   two stores loaded apart), and are then identical.
 * report: receives the text (caller frees with lr_free()): each side's
 *   online folder and version, one line per view (identical, with its rows
 *   and digest; different, with each side's; only in one of them), under
 *   a differing view each bucket that differs (rows and digest per side)
 *   and the first 10 keys that differ, written as their entity key values
 *   (`user_id=5`) with each side's event time, then "Identical: N views."
 *   or "Different: K of N views.". With LR_FORMAT_JSON one object:
 *   {"identical", "views_differing", "same_version", "store" and "other"
 *   ({"path", "version": "G.S", "generation", "seq"}), "views": [{"view",
 *   "identical", "counted", "store"/"other" ({"rows", "digest"}, plus
 *   "recorded" when the record is not what the rows give), when counted
 *   "keys_differing", "buckets": [{"bucket", "store", "other"}], "keys":
 *   [{"key", "bucket", "difference": "only_in_store" | "only_in_other" |
 *   "rows_differ", "store_event_timestamp", "other_event_timestamp"}]; or
 *   "only_in": "store" | "other"}]}.
 *
 * Snapshots: each store is read in one read transaction of its live
 * generation (the store's taken first, then the other's), so each side is
 * the whole of one committed version, the one the report prints: never
 * half a write, also while other processes write either store, compact it
 * or (a replica) install a snapshot into it. The report compares those
 * two versions. When a side is written meanwhile, the two snapshots are
 * taken at different moments and may differ although the stores will
 * agree once quiet: compare when the writers are quiet, or at versions
 * known to match (a replica caught up: both print the primary's G.S).
 * A walk holds both transactions for its length: pages freed meanwhile by
 * writers in other processes are reused only after it ends.
 * Threads: as lr_store_digests() on both handles (they may be the same).
 * `other` may be opened read-only. A failure's message is on `store`,
 * naming the side ("the other store at PATH: ...").
 * Returns 0 (whatever the outcome); LR_EINVAL; LR_EIO; LR_ECORRUPT (a
 * damaged record); LR_ENOMEM.
 */
int lr_store_compare(lr_store *store, lr_store *other, unsigned flags,
                     int *identical, char **report);

/*
 * lr_parse_time - parses a time as the command line takes it: ISO 8601
 * (`2024-01-01`, `2024-01-01T10:00:00Z`, offsets such as `+02:00`; naive
 * times are UTC), `now`, or relative to now (`-7d`, `+1h`, `-90m`, units
 * s m h d w). `now_us` is the current time in microseconds since the epoch.
 * Returns 0 and sets *us; LR_EINVAL when the text is none of these.
 * Any thread.
 */
int lr_parse_time(const char *text, long long now_us, long long *us);

/* ------------------------------------------------------------------------ */
/* The offline store: training sets and materialization (DuckDB)             */
/* ------------------------------------------------------------------------ */

/* A repo's registry and its offline sources, read through DuckDB. DuckDB is
 * loaded on the first call that needs it, never by the online path. */
typedef struct lr_offline lr_offline;

/*
 * lr_offline_open - opens the applied registry of the repo at `repo` for
 * offline work. Source paths resolve inside the repo; naive timestamps are
 * UTC.
 * out: receives the handle, also on failure (read lr_offline_errmsg());
 *      close it with lr_offline_close().
 * Returns 0, or the codes of lr_registry_open().
 * Threads: an offline handle belongs to one thread at a time (its DuckDB
 * session and its message are its own).
 * Processes: the registry is read once, as lr_registry_open() reads it.
 */
int lr_offline_open(const char *repo, lr_offline **out);

/*
 * lr_offline_errmsg - the message of the last failed call, or "". Owned by
 * the handle; valid until its next call, so read it in the thread that
 * made the call.
 */
const char *lr_offline_errmsg(const lr_offline *off);

/*
 * lr_offline_set_verbose - with `on`, a message about a query DuckDB could
 * not run (lr_materialize, lr_get_historical_features) ends with DuckDB's
 * own message ("DuckDB said: ...") and the query Larder built ("The query:
 * ..."), for a bug report; without, messages name the file, row, column
 * and fix in Larder's terms only (the default).
 * Returns 0, or LR_EINVAL for a NULL handle.
 *
 * Threads: not while another call runs on the handle.
 * Processes: affects this handle only.
 */
int lr_offline_set_verbose(lr_offline *off, int on);

/*
 * lr_offline_close - closes the handle. NULL is allowed. Once, with no
 * other call on it under way.
 */
void lr_offline_close(lr_offline *off);

/* Progress of a long call, at most a few times a second: what is being
 * done (a view's name, or "training set"), the rows done so far, and
 * their total when it is known, else 0. lr_materialize counts the source
 * rows of each view's interval read so far, of a total it counts first
 * (its last call for a view has done == total); lr_get_historical_features
 * the rows DuckDB's join has processed, whose total is not known. It
 * calls from a thread of its own while the join runs; lr_materialize in
 * the calling thread. Calls never overlap, and none comes after the call
 * returns. */
typedef void (*lr_progress_fn)(void *ctx, const char *what,
                               unsigned long long done,
                               unsigned long long total);

/* What a training set is made of. */
typedef struct lr_historical_spec {
  const char *entities_file;   /* .parquet or .csv ... */
  const char *entities_sql;    /* ... or a DuckDB query (exactly one) */
  const char *const *features; /* `view:feature` references ... */
  int n_features;
  const char *service;         /* ... or a feature service (exactly one) */
  int full_feature_names;      /* name columns `view__feature` */
  const char *output;          /* .parquet or .csv, replaced if present */
  lr_progress_fn progress;     /* may be NULL */
  void *progress_ctx;
  const char *timestamp_unit;  /* the unit of epoch numbers in the entity
                                  rows' timestamp column: "s" (NULL: the
                                  default), "ms", "us" or "ns" */
  int checks;                  /* the joined views' checks: LR_CHECKS_FAIL
                                  (0, the default), _WARN or _OFF */
  void (*note)(void *ctx, const char *text); /* LR_CHECKS_WARN's reports;
                                                may be NULL */
  void *note_ctx;
} lr_historical_spec;

/* What lr_get_historical_features does with the joined views' checks,
 * run over the source rows the training set reads from (each view's rows
 * from the earliest entity time minus its ttl, or from the start when
 * ttl is 0, to the latest entity time): a training set is never filtered
 * by them. */
enum {
  LR_CHECKS_FAIL = 0, /* a rule that does not pass fails the call */
  LR_CHECKS_WARN = 1, /* the reports go to spec->note; the set is written */
  LR_CHECKS_OFF = 2   /* not run */
};

/*
 * lr_get_historical_features - writes a point-in-time-correct training set.
 * For each entity row and each feature view, among the view's source rows
 * with equal join keys and event_ts <= the row's timestamp (and >= it minus
 * the view's ttl when ttl > 0, both bounds inclusive), the one with the
 * greatest (event_ts, created_ts) gives the features; none gives nulls.
 * The row's timestamp is its `event_timestamp` column, or its only
 * timestamp column. It is read as every time Larder reads is: a
 * TIMESTAMP or DATE as it is; text as ISO 8601 (no zone: UTC); an integer
 * as an epoch time in spec->timestamp_unit. Anything else (`12/05/2026`)
 * is an error naming the row (1-based, the header not counted), never a
 * guess; such a column comes out as the times read (TIMESTAMPTZ). Output: every entity column in input order, then the
 * features in request order, those of on-demand views last; exactly one
 * row per entity row, in input order, duplicates kept. On-demand features
 * are computed by the same compiled expressions as online, from the joined
 * features (ttl applied) and the request fields, which are columns of the
 * entity rows; now() is the row's timestamp.
 *
 * rows: may be NULL; receives the number of rows written.
 * Returns 0; LR_EINVAL (a bad spec, a missing key, timestamp or request
 * column, a name collision, a source DuckDB cannot read; the message names
 * it); LR_ENOTFOUND (unknown view, feature or service); LR_ECHECK (with
 * LR_CHECKS_FAIL, a joined view's check did not pass: the message names
 * the view and has its report; nothing is written); LR_EUNSUPPORTED (no
 * libduckdb); LR_EIO.
 *
 * Threads: one call at a time on the handle.
 * Processes: reads the offline sources only, never the online store. The
 * output is written beside it (OUTPUT.tmp.PID) and renamed over it: other
 * processes see the old file or the whole new one.
 */
int lr_get_historical_features(lr_offline *off, const lr_historical_spec *spec,
                               unsigned long long *rows);

/* A line for the user about what a call does beyond what it was asked:
 * lr_materialize says which views it reloads, and why. Called in the
 * calling thread; `text` (one line, no newline) is valid during the call. */
typedef void (*lr_note_fn)(void *ctx, const char *text);

/* What to materialize. */
typedef struct lr_materialize_spec {
  long long start_us;         /* ignored when incremental */
  long long end_us;
  int incremental;            /* start where the last load of each view
                                 ended; first time: end - ttl, or from the
                                 beginning when ttl is 0; a view whose
                                 definitions changed since it was loaded:
                                 the whole range loaded (see below) */
  const char *const *views;   /* NULL: every online feature view */
  int n_views;
  lr_progress_fn progress;    /* may be NULL */
  void *progress_ctx;
  lr_note_fn note;            /* may be NULL */
  void *note_ctx;
} lr_materialize_spec;

/* Counts from a materialization, over all its views. */
typedef struct lr_materialize_stats {
  int views;
  unsigned long long rows_read;    /* latest row per entity in the window */
  unsigned long long rows_written;
  unsigned long long rows_skipped; /* older than what the store holds */
} lr_materialize_stats;

/*
 * lr_materialize - loads each view's latest row per entity with
 * start <= event_ts <= end (ties broken by created_ts) from its source into
 * the online store, newer wins. Each view's load is one transaction, which
 * also records the interval loaded (read back by incremental runs) and the
 * definitions it loaded with: a failure leaves that view's online rows and
 * records as they were.
 *
 * Definitions that change the rows a load writes (a feature added or
 * retyped, field_mapping, the source's path, query or timestamp columns,
 * on-demand views stored on write; not a removed feature or a description)
 * make an incremental run reload the view: from the start of the range
 * loaded so far (or from end - ttl when a longer ttl reaches before it)
 * through end, its rows replacing stored rows of equal times (newer stored
 * rows, pushed or written, still win). spec->note is told of each reload
 * ("VIEW: definition changed since its last load (feature f1 added):
 * reloading START..END"), and of a full load that replaced only part of
 * such a range. lr_repo_plan lists the reloads the next run makes.
 *
 * stats: may be NULL.
 * Returns 0; LR_ENOTFOUND (an unknown view); LR_EINVAL (bad interval, an
 * offline-only view, a source that cannot be read or has the wrong types);
 * LR_EUNSUPPORTED; LR_EIO.
 *
 * Threads: one call at a time on the handle. It opens a read-write store
 * handle of its own (sharing this process's environment), so other threads
 * may use other handles of the store meanwhile.
 * Processes: each view's load holds the store's writer lock until it
 * commits: writers in every process (lr_write_rows, servers, compaction,
 * another materialization) wait meanwhile; readers do not, and see the
 * view's old rows until the commit, also if the load is killed.
 */
int lr_materialize(lr_offline *off, const lr_materialize_spec *spec,
                   lr_materialize_stats *stats);

/* How many sample keys lr_check_view reports per rule. */
#define LR_CHECK_SAMPLES 20

/*
 * lr_check_view - runs the checks of feature view `view` over its source
 * rows with start_us <= event time <= end_us (LLONG_MIN and LLONG_MAX for
 * no bound), writing nothing: what a materialization of those rows would
 * find, by the same code. Per rule: the rows checked, failing, the share,
 * whether it passed (`mostly` applied; freshness against the current
 * time), up to LR_CHECK_SAMPLES sample keys and values; the rows a load
 * would drop and set null. flags: 0 for lines of text, LR_FORMAT_JSON for
 * the object lr_store_check_report() describes.
 *
 * report: receives a NUL-terminated string (free with lr_free()).
 * rules_failed: may be NULL; receives the number of rules that did not
 *               pass (0: every rule passed).
 * Threads and processes: one call at a time per handle; the source files
 * are only read, so writers and servers elsewhere go on.
 * Returns 0 (whatever the rules found); LR_ENOTFOUND (no such view);
 * LR_EINVAL (an on-demand view, a view without checks, start after end,
 * a source that cannot be read: the message says which); LR_ENOMEM.
 */
int lr_check_view(lr_offline *off, const char *view, long long start_us,
                  long long end_us, unsigned flags, char **report,
                  int *rules_failed);

/* Where a push goes (Feast's PushMode): the online store, the offline
 * store, or both. */
enum {
  LR_PUSH_ONLINE = 1u << 0,
  LR_PUSH_OFFLINE = 1u << 1,
  LR_PUSH_ONLINE_AND_OFFLINE = LR_PUSH_ONLINE | LR_PUSH_OFFLINE
};

/* Counts from a push. */
typedef struct lr_push_stats {
  int views;                /* online views written */
  size_t rows_written;      /* online, over those views */
  size_t rows_skipped;      /* online: older than the stored row */
  size_t offline_rows;      /* rows appended to the offline store (in one
                               new file); 0 when it was not pushed to */
} lr_push_stats;

/*
 * lr_push - pushes rows through push source `push_source` (Feast's push):
 * `to` LR_PUSH_ONLINE writes them into every online feature view whose
 * `source` is the push source, as lr_write_rows() writes (one transaction
 * per view, newer wins); LR_PUSH_OFFLINE appends them to the push source's
 * offline folder (its offline_path, by default data/pushed/PUSH_SOURCE/ in
 * the repo) as one new Parquet file, which lr_get_historical_features()
 * and lr_materialize() read together with the batch source for every view
 * that reads the push source (no rows, no file); LR_PUSH_ONLINE_AND_OFFLINE
 * does both.
 * Columns: those of lr_write_rows() for every view the push source feeds
 * (online or not), together: each view's join keys, `event_timestamp`,
 * optionally `created_timestamp`, and its features. Offline, each is kept
 * under the batch source's column (timestamp_field,
 * created_timestamp_column, field_mapping) with the type the views
 * declare; created_timestamp is kept only where the batch source has a
 * created_timestamp_column.
 *
 * Every row is checked for every view before either side is written: a
 * bad push writes nothing. Both: the offline file first, then the online
 * views, so that what is served is in the training data. An offline
 * failure writes nothing online; an online failure after the file was
 * written returns its code, and the message says that the rows are in the
 * offline store and which views were written. Pushing the same rows again
 * is then safe: the offline copies are identical rows, which training sets
 * and loads read as one, and online the newer-wins rule keeps one.
 *
 * The file is written by DuckDB (loaded on the first offline push) to a
 * hidden temporary name in the folder, synced, and renamed to its
 * `*.parquet` name (the folder synced too): readers see a whole file or
 * none, and a process killed meanwhile leaves at most a temporary file,
 * which readers ignore and the next offline push into the folder removes
 * (of a process no longer running).
 *
 * stats: may be NULL.
 * Returns 0; LR_ENOTFOUND (no push source of that name); LR_EINVAL (no
 * feature view reads the push source: the message says which views read
 * which sources and how to fix it; no online view for an online push; a
 * bad `to`, column or value, named with its row counted from 1); LR_ETYPE;
 * LR_EREADONLY (a replica: push on the primary); LR_EUNSUPPORTED (no
 * libduckdb for an offline push); LR_EIO. The message is the handle's.
 *
 * Threads: one call at a time on the handle; online writes go through a
 * read-write store handle of the call's own (sharing this process's
 * environment). Processes: any number may push at once, into one folder
 * too (each file has its own name); online writers queue on the store's
 * writer lock, as lr_write_rows() does. Readers in other processes see a
 * pushed file once it is renamed, at their next query.
 */
int lr_push(lr_offline *off, const char *push_source, unsigned to,
            const lr_column *columns, int n_columns, size_t n_rows,
            lr_push_stats *stats);

/*
 * lr_push_file - lr_push() of the rows of a file: `.csv`, `.jsonl`/`.json`
 * or `.parquet`, read as lr_write_file() reads them (same formats, types
 * and messages: `FILE: row N`, rows counted from 1 at the first data
 * row).
 * flags: 0 or LR_WRITE_IGNORE_EXTRA_COLUMNS (skip the file's columns that
 * no view the push source feeds has; without it they are refused, and one
 * that is a feature of a view reading another source says so).
 * Returns as lr_push(), plus LR_ENOTFOUND for a missing file. Threads and
 * processes: as lr_push(); the file is read and checked before anything is
 * written.
 */
int lr_push_file(lr_offline *off, const char *push_source, unsigned to,
                 const char *path, unsigned flags, lr_push_stats *stats);

/* What to compare for training/serving skew. */
typedef struct lr_skew_spec {
  const char *view;        /* a batch feature view kept online */
  int sample;              /* entities to sample, 1 to 100000 (0: 1000):
                              half from each side, see below */
  unsigned long long seed; /* the draws (any value): the same seed over
                              the same rows samples the same entities */
  const char *save;        /* NULL, or the name to save the report under,
                              as JSON: data/skew/VIEW/NAME.json (the web
                              UI shows the newest; docs/repo-format.md) */
} lr_skew_spec;

/*
 * lr_skew - training/serving skew of one feature view: for a sample of its
 * entities, the row the online store serves against the latest row its
 * offline source gives as of now, feature by feature.
 *
 * Sampling: spec->sample - spec->sample / 2 rows drawn uniformly from the
 * view's online rows (a reservoir over one pass; a view with fewer rows
 * gives all of them), and spec->sample / 2 distinct keys of the source
 * that have a row as of now (the first by a hash of the key and the
 * seed); their union is compared, so both "missing online" and "missing
 * offline" can appear. Offline, an entity's row is the one with the
 * greatest (event_ts, created_ts) among its source rows (pushed offline
 * rows included) with event_ts <= now and, when the view has a ttl,
 * event_ts >= now - ttl: the row a training set joins at now and a
 * materialization up to now stores. Online, a row older than the ttl is
 * withheld, as lookups withhold it. Per feature each entity counts as:
 * equal; different (a null against a value included); missing online (no
 * row, withheld, or stored before the feature was added); missing offline;
 * missing both. Equality is exact, with floats equal when their bits are
 * equal or both are NaN: each side's value has the view's type already (a
 * float32 feature's source value is cast to float32 as a load casts it),
 * so a value that went through a load unchanged is equal. Up to 3
 * examples per feature and kind of disagreement (key, both values and
 * their event times).
 *
 * flags: 0 for text, LR_FORMAT_JSON for one JSON object (docs/cli.md,
 * `larder skew`). With spec->save the JSON report is also written to
 * data/skew/VIEW/NAME.json (replaced atomically), whatever flags ask.
 * report: receives the report; the caller frees it with lr_free().
 * Returns 0; LR_ENOTFOUND (an unknown view; a view with no rows in the
 * online store); LR_EINVAL (an on-demand or offline-only view, a sample
 * out of range, a source that cannot be read, a registry applied since
 * the handle was opened); LR_ECORRUPT (a stored row that does not
 * decode); LR_EUNSUPPORTED (no libduckdb); LR_ENOMEM; LR_EIO. The message
 * names the view and says how to fix it.
 *
 * Threads: one call at a time on the handle. It opens a read-only store
 * handle of its own (sharing this process's environment).
 * Processes: writers in any process (writes, pushes, materializations,
 * compaction, a server) go on meanwhile; none waits for it. The online
 * sample is one read snapshot and the compared online rows another, each
 * whole; the offline query reads the source files as they are when it
 * runs. With a writer at work the figures describe a moment between the
 * start and the end of the call: an entity written meanwhile may count as
 * different, or missing on one side, although both sides agree after the
 * write (docs/internals/skew.md).
 */
int lr_skew(lr_offline *off, const lr_skew_spec *spec, unsigned flags,
            char **report);

/* ------------------------------------------------------------------------ */
/* Statistics and drift of a feature view's offline rows (DuckDB)            */
/* ------------------------------------------------------------------------ */

/* An interval of event times, both bounds inclusive; a bound not given
 * (has_start or has_end 0) is open. */
typedef struct lr_window {
  int has_start;
  long long start_us;
  int has_end;
  long long end_us;
} lr_window;

/* Flags of lr_stats() and lr_drift(), beside LR_FORMAT_JSON. */
enum {
  LR_STATS_EXACT = 1u << 3 /* exact quantiles (quantile_cont: a sort per
                              feature) instead of a 65,536-value reservoir
                              sample's */
};

/* What lr_stats() profiles. */
typedef struct lr_stats_spec {
  const char *view;  /* a feature view with a file or sql source */
  lr_window window;  /* its source rows with event times in it */
  const char *save;  /* NULL, or the name to save the profile under:
                        REPO/data/profiles/VIEW/NAME.json, replaced */
} lr_stats_spec;

/*
 * lr_stats - profiles a feature view's source rows (as materialize reads
 * them: field_mapping, casts, pushed offline files) in spec->window: the
 * row count and the event-time range; per feature the values counted,
 * nulls, and by type: numbers (int32, int64, float32, float64) NaN, +Inf
 * and -Inf counts, then min, max, mean, sample stddev and the percentiles
 * p01 p05 p25 p50 p75 p95 p99 over the finite values; strings and bools
 * the exact distinct count (count of groups, never an approximate
 * sketch) and the 10 most frequent values with their counts; arrays and
 * bytes the same numbers over their lengths; timestamps min and max.
 * Quantiles come from a reservoir sample of 65,536 values per feature
 * (exact order statistics up to that many values, a random sample's
 * beyond), or with LR_STATS_EXACT from every value (interpolated). DuckDB
 * queries: one aggregate over every feature as stored, a second over the
 * finite values of those holding NaN or an infinity (or whose variance the
 * first cannot give precisely), one for the strings and bools, and with
 * spec->save one for the bin counts (docs/internals/stats.md).
 *
 * A saved profile (spec->save) keeps, beside the statistics, the bins
 * lr_drift() compares against: the reference deciles of each number
 * feature (with the count in each bin) and the 100 most frequent values
 * of each string or bool feature (the rest counted as "other"), and nulls.
 * docs/repo-format.md describes the file.
 *
 * flags: LR_FORMAT_JSON (one object, as the saved file holds it) or 0 (a
 *   text table); LR_STATS_EXACT.
 * report: receives the text; caller frees with lr_free().
 * Returns 0; LR_ENOTFOUND (no such view); LR_EINVAL (an on-demand view,
 * no file or sql source, a source DuckDB cannot read, a bad window or
 * name; the message says which); LR_EUNSUPPORTED (no libduckdb); LR_EIO
 * (the profile could not be written).
 * Threads: one call at a time on the handle.
 * Processes: reads the offline sources only. A saved profile is written
 * beside its place and renamed over it: readers in other processes see
 * the old file or the new one whole.
 */
int lr_stats(lr_offline *off, const lr_stats_spec *spec, unsigned flags,
             char **report);

/* What lr_drift() compares: a reference (exactly one of a saved profile,
 * a training file, or a window of the view's rows) with a current window. */
typedef struct lr_drift_spec {
  const char *view;
  const char *reference_profile; /* a profile saved by lr_stats(), or */
  const char *reference_file;    /* a training set (.parquet or .csv,
                                    relative to the current folder) with a
                                    column per feature, named FEATURE or
                                    VIEW__FEATURE, or */
  lr_window reference;           /* the view's rows in this window (used
                                    when both names are NULL) */
  lr_window current;             /* the view's rows compared, or */
  int current_online;            /* 1: a sample of the rows the online
                                    store holds (as stored: the ttl is not
                                    applied), instead of `current` */
  size_t online_sample;          /* with current_online: at most this many
                                    rows, drawn uniformly (0: 100000) */
  unsigned long long seed;       /* the online sample's draws */
  const char *method;            /* "psi" (NULL), "js", "wasserstein" or
                                    "ks" */
  const char *save;              /* NULL, or the name to save the scores
                                    under: REPO/data/drift/VIEW/NAME.json,
                                    which the server exports on /metrics */
} lr_drift_spec;

/*
 * lr_drift - scores, per feature, how far the current rows' distribution
 * is from the reference's (docs/internals/stats.md has the exact rules):
 *  - psi (the default): the population stability index over the
 *    reference's bins: a number feature's deciles, a string or bool
 *    feature's 100 most frequent values plus "other", and null (NaN with
 *    the nulls); an empty bin counts as a share of 1e-4;
 *  - js: the Jensen-Shannon divergence (base 2, 0 to 1) over the same bins;
 *  - wasserstein: the 1-Wasserstein distance between the two samples'
 *    percentile curves, divided by the reference's stddev (numbers only);
 *  - ks: the two-sample Kolmogorov-Smirnov statistic and its p-value
 *    (numbers only), for at most 5,000 values a side, read whole; not
 *    against a saved profile.
 * Each feature gets a status: "ok", "warn" (score >= 0.1; ks: p < 0.05),
 * "alert" (>= 0.25; ks: p < 0.01), "insufficient" (psi and js: fewer rows
 * than the bins need, (bins - 1)(1/n + 1/m) > 0.05, bins counted where
 * either side has rows; an empty reference is insufficient) or "skipped"
 * (a type the method does not compare: timestamps, arrays, bytes; strings
 * and bools for wasserstein and ks).
 *
 * flags: LR_FORMAT_JSON (one object, as a saved run holds it) or 0 (a
 *   table); LR_STATS_EXACT (quantiles of a reference or current window
 *   computed exactly, as in lr_stats).
 * report: receives the text; caller frees with lr_free().
 * Returns 0; LR_ENOTFOUND (no such view, no saved profile of that name,
 * no training file); LR_EINVAL (no current rows, a method no feature of
 * the view can be compared by, ks over more than 5,000 values or against
 * a profile, a training file without a feature's column, a bad window,
 * method or name); LR_EUNSUPPORTED; LR_EIO.
 * Threads: one call at a time on the handle.
 * Processes: reads the offline sources and the saved profile (and, with
 * current_online, the online store in one read snapshot, beside writers
 * in any process); a saved run
 * is written beside its place and renamed over it (a server scraping it
 * meanwhile reads the old run or the new one).
 */
int lr_drift(lr_offline *off, const lr_drift_spec *spec, unsigned flags,
             char **report);

/* ------------------------------------------------------------------------ */
/* The feature server (Feast's HTTP JSON API)                                */
/* ------------------------------------------------------------------------ */

/*
 * The server answers in threads of its own: lr_server_start returns once
 * it listens, lr_server_stop asks it to stop, lr_server_wait waits until
 * it has, lr_server_close frees it. Endpoints: POST /get-online-features,
 * POST /write-to-online-store, POST /push, GET /health, GET /metrics (see
 * docs/server.md). Writes and materializations by other processes are seen
 * at once; a new registry (`larder apply`) is picked up within a second.
 *
 * Threads and processes:
 * - The library installs no signal handler and changes no signal mask;
 *   the threads it starts inherit the mask of the thread that calls
 *   lr_server_start. A program that stops on SIGTERM blocks it before
 *   starting, waits for it (sigwait) and calls lr_server_stop, as
 *   `larder serve` does; or calls lr_server_stop from a handler.
 * - lr_server_stop may run in any thread or signal handler, any number of
 *   times, at once with any call but lr_server_close. lr_server_port and
 *   lr_server_errmsg may run in any thread. lr_server_wait: one thread at
 *   a time. lr_server_close: once, when no other call on the server is
 *   under way (it stops and waits first if need be).
 * - The server holds the repo's online store open (read-write) until
 *   lr_server_close: other processes may read, write, materialize and
 *   compact it meanwhile, and other handles of it in this process share
 *   the server's environment (see the top of this file). Do not fork while
 *   a server runs and use it in the child.
 * - Reader slots: the server holds at most 64 + threads + 1 of the
 *   store's LMDB reader slots (which all processes share), whatever the
 *   requests; slots left by a server that was killed are freed by the
 *   next one within a second (docs/internals/serve.md).
 */
typedef struct lr_server lr_server;

typedef struct lr_server_options {
  const char *repo;
  const char *host;        /* default "127.0.0.1" */
  int port;                /* default 6566; 0 picks a free port */
  int threads;             /* default: one per core */
  size_t max_body_bytes;   /* default 1 MiB; larger bodies get 413 */
  int max_entities;        /* default 10000 per request; more get 413 */
  int timeout_seconds;     /* the most a request may take, from its
                              connection or the previous answer until its
                              answer is sent (silences included): slower
                              connections are closed; default 30 */
  const char *token_file;  /* NULL, or a file holding the bearer token
                              every request must carry */
  int ui;                  /* 1: also serve the web UI under /ui
                              (docs/ui.md); read-only */
  int read_only;           /* 1: refuse the endpoints that write
                              (/write-to-online-store, /push) with 403 */
} lr_server_options;

/*
 * lr_server_start - opens the online store of `opt->repo` and serves it
 * over HTTP on opt->host:opt->port, in threads it starts.
 *
 * out: receives the server, also on failure (then it only holds the
 *      message for lr_server_errmsg); NULL only when out of memory. Free
 *      it with lr_server_close in both cases.
 * Returns 0; LR_EINVAL (no options or repo, a host that is not an IPv4
 * address, an unreadable or empty token file); LR_EIO (cannot listen, no
 * thread); LR_ENOMEM; the codes of lr_store_open().
 * Threads: any thread; the threads it starts take that thread's signal
 * mask (above).
 */
int lr_server_start(const lr_server_options *opt, lr_server **out);

/* Why lr_server_start failed ("" after a success); owned by the server.
 * NULL srv gives "out of memory". Any thread. */
const char *lr_server_errmsg(const lr_server *srv);

/* The port the server listens on (the one picked for opt.port 0). Any
 * thread. */
int lr_server_port(const lr_server *srv);

/*
 * lr_server_stop - asks the server to stop: it stops accepting
 * connections, lets requests under way finish (waiting at most 5 seconds,
 * or timeout_seconds if shorter), then closes every connection. Returns
 * at once; async-signal-safe (it writes one byte to a pipe and keeps
 * errno). Calls after the first do nothing more. Any thread or signal
 * handler, at once with any call but lr_server_close.
 */
void lr_server_stop(lr_server *srv);

/* Blocks until a stopped server has finished (immediately if it never
 * started). Returns 0; LR_EINVAL for NULL. One thread at a time. */
int lr_server_wait(lr_server *srv);

/* Stops the server if it runs, waits for it, closes its store and frees
 * it. NULL is ignored. Once, when no other call on the server is under
 * way. */
void lr_server_close(lr_server *srv);

/*
 * Replication (docs/internals/replication.md). A repo whose
 * feature_store.yaml has a `replication:` block is a primary (every
 * committed change is also put, in the same transaction, into an outbox
 * to be appended to the write log) or a replica (it takes no writes, and
 * follows the log). An lr_replicator does the moving: on a primary it
 * ships the outbox to the log, publishing a snapshot first where an entry
 * asks for one; on a replica it bootstraps from the newest snapshot, then
 * applies the log entry by entry, each in one transaction with its
 * sequence number (a re-delivered entry is a no-op; a gap, a new epoch or
 * a chain digest that does not match means a fresh bootstrap). Readers of
 * a replica in any process see each entry whole, and move to a
 * bootstrapped generation at their next lookup.
 *
 * One replicator per repo steps at a time: the first lr_replicator_step
 * takes the repo's replicator lock, and a second replicator's step fails
 * with LR_EEXISTS while the first lives (lr_replicator_publish needs no
 * lock). A replicator may be killed at any point: its state is the
 * store's.
 */
typedef struct lr_replicator lr_replicator;

/* The room for a round's error in lr_replication_status (a longer message
 * is cut). */
#define LR_REPLICATION_ERROR_MAX 1024

typedef struct lr_replication_status {
  int primary;                  /* 1 on a primary, 0 on a replica */
  lr_data_version version;      /* the store's (G, S) */
  unsigned long long log_head;  /* the log's last entry, as last seen */
  unsigned long long lag_entries; /* replica: log_head - S */
  long long lag_ms;             /* replica: how long it has been behind */
  unsigned long long applied;   /* entries shipped (primary) or applied */
  unsigned long long applied_rows; /* replica: rows those entries stored
                                      (not those older than a stored row) */
  unsigned long long bootstraps; /* snapshots installed (replica) */
  unsigned long long mismatches; /* replica: log entries whose chain digest
                                    did not follow (or that were damaged)
                                    and snapshots refused for a checksum or
                                    digest; each meant a bootstrap */
  long long reported_ms;        /* lr_store_replication: how long ago the
                                   replicator reported this; -1: never */
  long long failing_ms;         /* how long its rounds have been failing; 0
                                   when the last one succeeded */
  char error[LR_REPLICATION_ERROR_MAX]; /* the last round's message (one
                                   line; "" when it succeeded) */
} lr_replication_status;

/*
 * lr_replicator_open - opens the repo's store read-write; the write log is
 * connected to by the first lr_replicator_step (lr_replicator_publish
 * needs no log). out: receives the handle, also on failure (read
 * lr_replicator_errmsg(), then lr_replicator_close()). Returns 0;
 * LR_EINVAL (no replication block); the errors of lr_store_open. A handle
 * is one thread's at a time.
 */
int lr_replicator_open(const char *repo, lr_replicator **out);

/*
 * lr_replicator_step - one round: a primary ships what the log lacks
 * (then, with nothing to ship, waits up to wait_ms for a change); a
 * replica bootstraps when it must, else applies the entries after its
 * position (waiting up to wait_ms for one). Call it in a loop. After
 * each round but one refused by LR_EEXISTS, what it did or why it failed
 * is reported for lr_store_replication. Returns 0;
 * LR_EEXISTS (another replicator steps on this repo, named);
 * LR_EINVAL (a bad `replication.log` URL);
 * LR_EIO (the log or a snapshot unreachable: call again later);
 * LR_ENOTFOUND (a replica that must bootstrap finds no snapshot, or finds
 * the log's stream empty while its primary has published a snapshot of
 * logged changes: the wrong `replication.stream`; both named with the
 * fix);
 * LR_ECORRUPT (a damaged entry or snapshot, refused: the store keeps
 * serving what it had).
 */
int lr_replicator_step(lr_replicator *r, int wait_ms);

/* lr_replicator_status - the store's version, the log's head and the lag
 * as this replicator last saw them. Returns 0 or LR_EINVAL. */
int lr_replicator_status(lr_replicator *r, lr_replication_status *st);

/*
 * lr_replicator_publish - a primary publishes a snapshot of its live
 * generation now. name: receives "snap-G-S" (caller frees with lr_free();
 * may be NULL). Returns 0; LR_EREADONLY (a replica); LR_EIO.
 */
int lr_replicator_publish(lr_replicator *r, char **name);

/*
 * lr_store_replication - what the repo's replicator (`larder replicate`,
 * in any process) last reported of itself, read from the store folder
 * without a connection to the log; the version is the store's now.
 * Returns 0 (reported_ms -1 when nothing was reported yet); LR_ENOTFOUND
 * (the repo has no replication block); LR_EINVAL; LR_EIO. Thread-safe.
 */
int lr_store_replication(lr_store *store, lr_replication_status *st);

/* lr_replicator_errmsg - the message of the last failed call, or "". */
const char *lr_replicator_errmsg(const lr_replicator *r);

/* lr_replicator_close - disconnects and closes the store; NULL is
 * allowed. */
void lr_replicator_close(lr_replicator *r);

#ifdef __cplusplus
}
#endif
#endif /* LARDER_H */
