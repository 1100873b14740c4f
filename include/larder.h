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
 */
#ifndef LARDER_H
#define LARDER_H

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
  X(NOREGISTRY, -10, "no registry: run `larder apply` first")

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
 * gives "unknown error".
 */
const char *lr_strerror(int status);

/*
 * lr_err_name - the symbolic name of a status code, e.g. "LR_ENOTFOUND".
 * Returns a static string (owned by Larder); an unknown code gives
 * "LR_EUNKNOWN".
 */
const char *lr_err_name(int status);

/*
 * lr_version - the library's version string, e.g. "0.1.0". Static string.
 */
const char *lr_version(void);

/*
 * lr_free - releases memory that Larder returned through a `char **`
 * parameter. NULL is allowed and does nothing.
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
 */
int lr_repo_open(const char *dir, lr_repo **out);

/*
 * lr_repo_errmsg - the message of the last failed call on `repo`, or "" when
 * it has none. Owned by the handle; valid until its next call or close.
 */
const char *lr_repo_errmsg(const lr_repo *repo);

/*
 * lr_repo_close - releases the handle and all it owns. NULL is allowed.
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
 *        re-materialization). Owned by the caller: lr_free().
 * Returns 0; LR_EDEFINITION when the repo did not load; LR_ENEEDFORCE when a
 * change needs LR_APPLY_FORCE (the plan is still returned); LR_ECORRUPT or
 * LR_EVERSION when the existing registry cannot be read; LR_EIO.
 */
int lr_repo_plan(lr_repo *repo, unsigned flags, char **plan);

/*
 * lr_repo_apply - writes the definitions into the registry atomically (a
 * temporary file, fsync, rename, fsync of the folder): any failure leaves the
 * previous registry as it was. Same parameters and codes as lr_repo_plan();
 * on LR_ENEEDFORCE nothing is written.
 */
int lr_repo_apply(lr_repo *repo, unsigned flags, char **plan);

/*
 * lr_repo_init - creates a working example repo in `dir` (created if
 * missing; it must not already hold a feature_store.yaml): definitions like
 * Feast's quickstart and example data for a few hundred drivers over two
 * weeks, hourly, ending at the current hour.
 *
 * errmsg: on failure receives a message (caller frees with lr_free()); may be
 *         NULL.
 * Returns 0; LR_EEXISTS when `dir` already holds a repo; LR_EIO; LR_EINVAL.
 */
int lr_repo_init(const char *dir, char **errmsg);

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
 */
int lr_registry_open(const char *dir, lr_registry **out);

/*
 * lr_registry_errmsg - the message of the last failed call on `reg`, or "".
 * Owned by the handle.
 */
const char *lr_registry_errmsg(const lr_registry *reg);

/*
 * lr_registry_close - releases the handle. NULL is allowed.
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
 */
int lr_registry_describe(lr_registry *reg, const char *name, unsigned flags,
                         char **out);

/*
 * lr_registry_version - the registry's version: 1 after the first apply,
 * incremented by every apply that changed something.
 * Returns 0 and sets *version; LR_EINVAL on NULL arguments.
 */
int lr_registry_version(const lr_registry *reg, unsigned long long *version);

#ifdef __cplusplus
}
#endif
#endif /* LARDER_H */
