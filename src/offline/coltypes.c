/*
 * coltypes.c - which DuckDB column types a source may hold for each
 * Larder dtype: the table the source check (schema_check.c) judges a
 * column's type by.
 *
 * Materialization and training sets read every column as
 * CAST(column AS <the dtype's DuckDB type>) (source.c). DuckDB binds that
 * cast for almost any pair, but for many it converts text that may not
 * parse (VARCHAR to a number: 'n/a' fails a load half-way through), drops
 * digits (DOUBLE to BIGINT rounds) or does not bind at all (BIGINT to
 * TIMESTAMPTZ). The table accepts the pairs whose cast converts by value,
 * whatever the data: integers to any integer or float type, floats and
 * decimals to floats (a value out of range still fails the load, as a
 * value error), integers as their decimal text, and lists of such items as
 * arrays. So a source that passes the check loads, barring values out of
 * range. Times are not cast but read by Larder's one time parser
 * (timecol.c): typed times (dates as midnight UTC), ISO 8601 text and
 * integers as epoch times in the source's timestamp_unit; text that is no
 * time fails the load, naming its file and row.
 *
 * A CSV file is text, parsed at every load: DuckDB types a column from a
 * sample of its values, and calls it VARCHAR when the sample holds no
 * value (a file of a header only), a list (`[0.5, 1.5]`) or text it
 * cannot parse. Such a column is accepted for any dtype, as CSV always
 * was: a value that does not parse fails the load, naming it.
 */
#include <string.h>

#include "../util/clocale.h"
#include "offline.h"

/* Families of column types, by what their cast gives; the order of the
 * bits is the order a hint lists them in. */
enum {
  FAM_BOOL = 1 << 0,
  FAM_FLOAT = 1 << 1,
  FAM_TEXT = 1 << 2,
  FAM_BLOB = 1 << 3,
  FAM_TIME = 1 << 4,
  FAM_INT = 1 << 5,
  FAM_TIME_TEXT = 1 << 6, /* VARCHAR, which the time parser reads */
  N_FAMILIES = 7
};

/* Column types as DESCRIBE spells them (parameters such as DECIMAL's
 * `(18,3)` left off). */
static const struct {
  const char *name;
  unsigned family;
} column_types[] = {
    {"BOOLEAN", FAM_BOOL},
    {"TINYINT", FAM_INT},     {"SMALLINT", FAM_INT},
    {"INTEGER", FAM_INT},     {"BIGINT", FAM_INT},
    {"HUGEINT", FAM_INT},     {"UTINYINT", FAM_INT},
    {"USMALLINT", FAM_INT},   {"UINTEGER", FAM_INT},
    {"UBIGINT", FAM_INT},     {"UHUGEINT", FAM_INT},
    {"FLOAT", FAM_FLOAT},     {"DOUBLE", FAM_FLOAT},
    {"DECIMAL", FAM_FLOAT},
    {"VARCHAR", FAM_TEXT | FAM_TIME_TEXT}, {"UUID", FAM_TEXT},
    {"ENUM", FAM_TEXT},       {"JSON", FAM_TEXT},
    {"BLOB", FAM_BLOB},
    {"TIMESTAMP", FAM_TIME},  {"TIMESTAMP_S", FAM_TIME},
    {"TIMESTAMP_MS", FAM_TIME}, {"TIMESTAMP_NS", FAM_TIME},
    {"TIMESTAMP WITH TIME ZONE", FAM_TIME}, {"TIMESTAMPTZ", FAM_TIME},
    {"DATE", FAM_TIME},
};

/* How hints name the types of each family. */
static const char *const family_names[N_FAMILIES][4] = {
    {"BOOLEAN"},
    {"FLOAT", "DOUBLE", "DECIMAL"},
    {"VARCHAR", "UUID"},
    {"BLOB"},
    {"TIMESTAMP (any precision)", "TIMESTAMP WITH TIME ZONE", "DATE"},
    {"integer (TINYINT to UHUGEINT)"},
    {"VARCHAR (ISO 8601 text)"},
};

/* The families a base dtype reads. */
static unsigned families_of(uint8_t base) {
  switch (base) {
  case LR__DT_BOOL: return FAM_BOOL;
  case LR__DT_INT32:
  case LR__DT_INT64: return FAM_INT;
  case LR__DT_FLOAT32:
  case LR__DT_FLOAT64: return FAM_FLOAT | FAM_INT;
  case LR__DT_STRING: return FAM_TEXT | FAM_INT;
  case LR__DT_BYTES: return FAM_BLOB;
  case LR__DT_TIMESTAMP: /* read by the time parser (timecol.c) */
    return FAM_TIME | FAM_INT | FAM_TIME_TEXT;
  }
  return 0;
}

/* The family of a scalar column type (spelled `len` bytes), 0 for a type
 * no dtype reads (STRUCT, MAP, TIME, INTERVAL...). */
static unsigned family_of(const char *type, size_t len) {
  const char *paren = memchr(type, '(', len);
  size_t name_len = paren ? (size_t)(paren - type) : len;
  for (size_t i = 0; i < sizeof column_types / sizeof column_types[0]; i++)
    if (strlen(column_types[i].name) == name_len &&
        lr__ascii_ncasecmp(column_types[i].name, type, name_len) == 0)
      return column_types[i].family;
  return 0;
}

/* The length of the item type of a list type (`FLOAT[]`, `FLOAT[3]`:
 * the text before its last `[`), or 0 when `type` is not a list. */
static size_t list_item_len(const char *type, size_t len) {
  if (len == 0 || type[len - 1] != ']')
    return 0;
  size_t open = len - 1;
  while (open > 0 && type[open] != '[')
    open--;
  return open;
}

int lr__column_type_fits(uint8_t dtype, const char *type, int text_file) {
  if (text_file && lr__ascii_casecmp(type, "VARCHAR") == 0)
    return 1;
  size_t len = strlen(type);
  size_t item = list_item_len(type, len);
  if (LR__DT_IS_ARRAY(dtype) != (item > 0))
    return 0;
  if (item)
    len = item;
  return (family_of(type, len) & families_of(LR__DT_BASE(dtype))) != 0;
}

void lr__column_types_read(lr__buf *out, uint8_t dtype) {
  unsigned fams = families_of(LR__DT_BASE(dtype));
  const char *names[16];
  int n = 0;
  for (int f = 0; f < N_FAMILIES; f++)
    for (int k = 0; (fams & (1u << f)) && k < 4 && family_names[f][k]; k++)
      names[n++] = family_names[f][k];
  lr__buf_puts(out, LR__DT_IS_ARRAY(dtype) ? "lists of " : "");
  for (int i = 0; i < n; i++)
    lr__buf_printf(out, "%s%s", names[i],
                   i + 2 < n ? ", " : i + 2 == n ? " or " : "");
  lr__buf_puts(out, LR__DT_IS_ARRAY(dtype) ? " items" : " columns");
}
