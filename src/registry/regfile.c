/*
 * regfile.c - encoding and decoding the registry file (see regfile.h).
 *
 * Each struct is described once, by a function that visits its members in
 * file order through a `rio` that either writes them or reads them back. The
 * reader and the writer therefore cannot disagree about the layout: there is
 * only one layout, written down once.
 */
#include "regfile.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "larder.h"

static const char regfile_magic[8] = {'L', 'A', 'R', 'D', 'E', 'R', 'R', 'G'};

typedef struct rio {
  int writing;
  lr__buf *out;              /* writing */
  const unsigned char *p;    /* reading: the next byte */
  const unsigned char *end;  /* reading: one past the last body byte */
  lr__arena *arena;          /* reading: where strings and arrays go */
  int truncated;             /* reading: ran past the end, or met a value
                                no writer writes */
} rio;

/* Moves `n` bytes between the file and `value` (little-endian host). */
static void rio_bytes(rio *r, void *value, size_t n) {
  if (r->writing) {
    lr__buf_append(r->out, value, n);
  } else if (r->truncated || (size_t)(r->end - r->p) < n) {
    r->truncated = 1;
    memset(value, 0, n);
  } else {
    memcpy(value, r->p, n);
    r->p += n;
  }
}

static void rio_u8(rio *r, uint8_t *v) { rio_bytes(r, v, 1); }
static void rio_u16(rio *r, uint16_t *v) { rio_bytes(r, v, 2); }
static void rio_u32(rio *r, uint32_t *v) { rio_bytes(r, v, 4); }
static void rio_u64(rio *r, uint64_t *v) { rio_bytes(r, v, 8); }
static void rio_i64(rio *r, int64_t *v) { rio_bytes(r, v, 8); }

static void rio_int(rio *r, int *v) {
  int32_t x = (int32_t)*v;
  rio_bytes(r, &x, 4);
  *v = x;
}

/* A bool is the byte 0 or 1: any other is damage, not "true" (the file
 * has one spelling of each model). */
static void rio_bool(rio *r, bool *v) {
  uint8_t x = *v;
  rio_u8(r, &x);
  r->truncated |= x > 1;
  *v = x == 1;
}

static void rio_str(rio *r, const char **s) {
  uint32_t n = *s ? (uint32_t)strlen(*s) + 1 : 0;
  rio_u32(r, &n);
  if (r->writing) {
    if (n)
      lr__buf_append(r->out, *s, n - 1);
    return;
  }
  /* a NUL inside a string is damage: read as a C string, it would end
   * the name early */
  if (n == 0 || r->truncated || (size_t)(r->end - r->p) < n - 1 ||
      memchr(r->p, '\0', n - 1)) {
    r->truncated |= n != 0;
    *s = NULL;
    return;
  }
  *s = lr__arena_strndup(r->arena, (const char *)r->p, n - 1);
  r->p += n - 1;
}

/* `n` raw bytes at *data; the reader allocates them in the arena. */
static void rio_blob(rio *r, void **data, size_t n) {
  if (!r->writing) {
    *data = lr__arena_array(r->arena, n, 1);
    if (!*data) {
      r->truncated = 1;
      return;
    }
  }
  rio_bytes(r, *data, n);
}

/* An array: its count, then each element through `each`. */
static void rio_array(rio *r, void **items, int *n, size_t size,
                      void (*each)(rio *, void *)) {
  rio_int(r, n);
  if (!r->writing) {
    if (*n < 0 || (size_t)*n > (size_t)(r->end - r->p)) {
      /* every element takes at least one byte: a larger count is damage */
      r->truncated = 1;
      *n = 0;
    }
    *items = lr__arena_array(r->arena, (size_t)*n, size);
    if (!*items) {
      r->truncated = 1;
      *n = 0;
    }
  }
  for (int i = 0; i < *n && !r->truncated; i++)
    each(r, (char *)*items + (size_t)i * size);
}

static void rio_each_str(rio *r, void *s) { rio_str(r, s); }

static void rio_strs(rio *r, const char ***items, int *n) {
  rio_array(r, (void **)items, n, sizeof(char *), rio_each_str);
}

static void rio_loc(rio *r, lr__loc *loc) {
  rio_str(r, &loc->file);
  rio_int(r, &loc->line);
  rio_int(r, &loc->col);
}

static void rio_kv(rio *r, void *p) {
  lr__kv *kv = p;
  rio_str(r, &kv->key);
  rio_str(r, &kv->value);
}

static void rio_kvs(rio *r, lr__kv **items, int *n) {
  rio_array(r, (void **)items, n, sizeof **items, rio_kv);
}

static void rio_field(rio *r, void *p) {
  lr__field *f = p;
  rio_str(r, &f->name);
  rio_str(r, &f->description);
  rio_str(r, &f->expr);
  rio_u8(r, &f->dtype);
  rio_u16(r, &f->slot);
  rio_loc(r, &f->loc);
}

/* A double as its 8 bytes: every value reads back bit for bit. */
static void rio_f64(rio *r, double *v) { rio_bytes(r, v, 8); }

/* A value of a rule: its type, then its text (none for null). */
static void rio_check_value(rio *r, void *p) {
  lr__check_value *cv = p;
  rio_u8(r, &cv->type);
  rio_str(r, &cv->text);
  /* null has no text, every other value has one */
  r->truncated |= cv->type < LR__VALUE_NULL || cv->type > LR__VALUE_STRING ||
                  (cv->type == LR__VALUE_NULL) != (cv->text == NULL);
}

/* One rule of a view's checks (format 6). */
static void rio_check(rio *r, void *p) {
  lr__check *c = p;
  rio_str(r, &c->name);
  rio_u8(r, &c->kind);
  rio_u8(r, &c->on_fail);
  r->truncated |= c->kind < LR__CHECK_NOT_NULL ||
                  c->kind > LR__CHECK_FRESHNESS ||
                  c->on_fail < LR__ON_FAIL_WARN ||
                  c->on_fail > LR__ON_FAIL_REJECT || !c->name;
  rio_str(r, &c->feature);
  rio_str(r, &c->text);
  rio_array(r, (void **)&c->values, &c->n_values, sizeof *c->values,
            rio_check_value);
  rio_strs(r, &c->columns, &c->n_columns);
  rio_i64(r, &c->freshness_seconds);
  rio_f64(r, &c->mostly);
  r->truncated |= !(c->mostly >= 0 && c->mostly <= 1); /* NaN too */
  rio_loc(r, &c->loc);
}

static void rio_entity(rio *r, void *p) {
  lr__entity *e = p;
  rio_str(r, &e->name);
  rio_str(r, &e->description);
  rio_strs(r, &e->join_keys, &e->n_join_keys);
  rio_u8(r, &e->value_type);
  rio_kvs(r, &e->tags, &e->n_tags);
  rio_loc(r, &e->loc);
}

static void rio_source(rio *r, void *p) {
  lr__source *s = p;
  uint8_t kind = (uint8_t)s->kind;
  rio_str(r, &s->name);
  rio_str(r, &s->description);
  rio_u8(r, &kind);
  s->kind = (lr__source_kind)kind;
  rio_str(r, &s->path);
  rio_str(r, &s->query);
  rio_str(r, &s->timestamp_field);
  rio_str(r, &s->created_column);
  rio_str(r, &s->batch_source);
  rio_u8(r, &s->time_unit);
  r->truncated |= s->time_unit > 4; /* no writer writes another */
  rio_bool(r, &s->has_as_of);
  rio_i64(r, &s->as_of_us);
  rio_str(r, &s->offline_path);
  rio_kvs(r, &s->field_mapping, &s->n_field_mapping);
  rio_array(r, (void **)&s->fields, &s->n_fields, sizeof *s->fields, rio_field);
  rio_kvs(r, &s->tags, &s->n_tags);
  rio_loc(r, &s->loc);
}

static void rio_view(rio *r, void *p) {
  lr__view *v = p;
  uint8_t kind = (uint8_t)v->kind;
  rio_str(r, &v->name);
  rio_str(r, &v->description);
  rio_u8(r, &kind);
  v->kind = (lr__view_kind)kind;
  rio_strs(r, &v->entities, &v->n_entities);
  rio_str(r, &v->source);
  rio_strs(r, &v->sources, &v->n_sources);
  rio_i64(r, &v->ttl_seconds);
  rio_bool(r, &v->online);
  rio_bool(r, &v->write_to_online_store);
  rio_array(r, (void **)&v->features, &v->n_features, sizeof *v->features,
            rio_field);
  rio_kvs(r, &v->tags, &v->n_tags);
  rio_array(r, (void **)&v->checks, &v->n_checks, sizeof *v->checks,
            rio_check);
  rio_bool(r, &v->has_max_failed);
  rio_f64(r, &v->max_failed);
  r->truncated |= !(v->max_failed >= 0 && v->max_failed <= 1) ||
                  (!v->has_max_failed && v->max_failed != 0);
  rio_u16(r, &v->next_slot);
  rio_blob(r, (void **)&v->slot_types, v->next_slot);
  rio_u32(r, &v->layout_epoch);
  rio_loc(r, &v->loc);
}

static void rio_service_item(rio *r, void *p) {
  lr__service_item *it = p;
  rio_str(r, &it->view);
  rio_strs(r, &it->features, &it->n_features);
  rio_loc(r, &it->loc);
}

static void rio_service(rio *r, void *p) {
  lr__service *s = p;
  rio_str(r, &s->name);
  rio_str(r, &s->description);
  rio_array(r, (void **)&s->items, &s->n_items, sizeof *s->items,
            rio_service_item);
  rio_kvs(r, &s->tags, &s->n_tags);
  rio_loc(r, &s->loc);
}

static void rio_model(rio *r, lr__model *m) {
  rio_str(r, &m->config.project);
  rio_str(r, &m->config.registry_path);
  rio_str(r, &m->config.online_type);
  rio_str(r, &m->config.online_path);
  rio_str(r, &m->config.offline_type);
  rio_u64(r, &m->version);
  rio_u32(r, &m->next_epoch);
  rio_i64(r, &m->applied_at);
  rio_array(r, (void **)&m->entities, &m->n_entities, sizeof *m->entities,
            rio_entity);
  rio_array(r, (void **)&m->sources, &m->n_sources, sizeof *m->sources,
            rio_source);
  rio_array(r, (void **)&m->views, &m->n_views, sizeof *m->views, rio_view);
  rio_array(r, (void **)&m->services, &m->n_services, sizeof *m->services,
            rio_service);
}

static uint64_t fnv1a(const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

int lr__regfile_encode(const lr__model *m, lr__buf *out) {
  rio r = {.writing = 1, .out = out};
  uint32_t format = LR__REGFILE_FORMAT;
  lr__buf_append(out, regfile_magic, sizeof regfile_magic);
  rio_u32(&r, &format);
  /* the visitor is shared with decoding; in writing mode it only reads */
  rio_model(&r, (lr__model *)m);
  uint64_t sum = fnv1a(out->data, out->len);
  rio_u64(&r, &sum);
  return lr__buf_failed(out) ? LR_ENOMEM : 0;
}

int lr__regfile_decode(const void *data, size_t len, lr__model *m,
                       lr__buf *err) {
  const size_t header = sizeof regfile_magic + 4, trailer = 8;
  if (len < header + trailer || memcmp(data, regfile_magic, 8) != 0) {
    lr__buf_puts(err, "not a Larder registry file (damaged or cut short?); "
                      "run `larder apply` to rewrite it");
    return LR_ECORRUPT;
  }
  const unsigned char *bytes = data;
  uint64_t stored;
  memcpy(&stored, bytes + len - trailer, 8);
  if (fnv1a(bytes, len - trailer) != stored) {
    lr__buf_puts(err, "the registry file fails its checksum (damaged or cut "
                      "short); run `larder apply` to rewrite it");
    return LR_ECORRUPT;
  }
  uint32_t format;
  memcpy(&format, bytes + 8, 4);
  if (format != LR__REGFILE_FORMAT) {
    lr__buf_printf(err, "the registry file has format %u; this Larder reads "
                   "format %d: run `larder apply` with this version",
                   format, LR__REGFILE_FORMAT);
    return LR_EVERSION;
  }
  rio r = {.p = bytes + header, .end = bytes + len - trailer,
           .arena = &m->arena};
  rio_model(&r, m);
  if (r.truncated || r.p != r.end) {
    lr__buf_puts(err, "the registry file's content is inconsistent");
    return LR_ECORRUPT;
  }
  return 0;
}

int lr__regfile_read(const char *path, lr__model *m, lr__buf *err) {
  char *data;
  size_t len;
  lr__buf read_err;
  lr__buf_init(&read_err);
  int rc = lr__fs_read_file(path, &data, &len, &read_err);
  if (rc == LR_ENOTFOUND) {
    lr__buf_printf(err, "no registry at %s: run `larder apply` first", path);
    rc = LR_ENOREGISTRY;
  } else if (rc != 0) {
    lr__buf_puts(err, lr__buf_str(&read_err));
  } else {
    lr__buf why;
    lr__buf_init(&why);
    rc = lr__regfile_decode(data, len, m, &why);
    if (rc != 0)
      lr__buf_printf(err, "%s: %s", path, lr__buf_str(&why));
    lr__buf_free(&why);
    free(data);
  }
  lr__buf_free(&read_err);
  return rc;
}

int lr__regfile_write(const char *path, const lr__model *m, lr__buf *err) {
  char *dir_copy = strdup(path);
  if (!dir_copy)
    return LR_ENOMEM;
  int rc = lr__fs_mkdirs(dirname(dir_copy), err);
  free(dir_copy);
  if (rc != 0)
    return rc;
  lr__buf image;
  lr__buf_init(&image);
  rc = lr__regfile_encode(m, &image);
  if (rc == 0)
    rc = lr__fs_write_atomic(path, image.data, image.len, err);
  lr__buf_free(&image);
  return rc;
}
