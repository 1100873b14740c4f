/*
 * address.c - "HOST[:PORT]" parsed (address.h).
 */
#include "address.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int lr__redis_parse_number(const char **p, long long max, long long *out) {
  if (**p < '0' || **p > '9')
    return 0;
  long long n = 0;
  for (; **p >= '0' && **p <= '9'; (*p)++) {
    n = n * 10 + (**p - '0');
    if (n > max)
      return 0;
  }
  *out = n;
  return 1;
}

static int is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

lr__redis_address_error lr__redis_parse_host(const char **p, const char *ends,
                                             char **host) {
  size_t len = strcspn(*p, ends);
  if (len == 0)
    return LR__REDIS_ADDRESS_NO_HOST;
  for (size_t i = 0; i < len; i++)
    if (!is_host_char((*p)[i]))
      return LR__REDIS_ADDRESS_BAD_HOST;
  *host = strndup(*p, len);
  if (!*host)
    return LR__REDIS_ADDRESS_NOMEM;
  *p += len;
  return LR__REDIS_ADDRESS_OK;
}

lr__redis_address_error lr__redis_parse_hostport(const char *text,
                                                 int default_port,
                                                 char **host, int *port) {
  const char *p = text;
  *host = NULL;
  lr__redis_address_error e = lr__redis_parse_host(&p, ":", host);
  long long n = default_port;
  if (!e && *p == ':') {
    p++;
    if (!lr__redis_parse_number(&p, 65535, &n) || n == 0 || *p)
      e = LR__REDIS_ADDRESS_BAD_PORT;
  }
  if (e) {
    free(*host);
    *host = NULL;
  }
  *port = (int)n;
  return e;
}

lr__redis_address_error lr__redis_parse_server(const char *text, char **host,
                                               int *port, int *db) {
  const char *p = text;
  *host = NULL;
  lr__redis_address_error e = lr__redis_parse_host(&p, ":/", host);
  long long n = 6379, d = 0;
  if (!e && *p == ':') {
    p++;
    if (!lr__redis_parse_number(&p, 65535, &n) || n == 0 || (*p && *p != '/'))
      e = LR__REDIS_ADDRESS_BAD_PORT;
  }
  if (!e && *p == '/') {
    p++;
    if (!lr__redis_parse_number(&p, INT_MAX, &d) || *p)
      e = LR__REDIS_ADDRESS_BAD_DB;
  }
  if (e) {
    free(*host);
    *host = NULL;
  }
  *port = (int)n;
  *db = (int)d;
  return e;
}

const char *lr__redis_address_problem(lr__redis_address_error e) {
  switch (e) {
  case LR__REDIS_ADDRESS_NO_HOST:
    return "names no host";
  case LR__REDIS_ADDRESS_BAD_HOST:
    return "has a bad host (letters, digits, '.', '-', '_')";
  case LR__REDIS_ADDRESS_BAD_PORT:
    return "has a bad port (1 to 65535)";
  case LR__REDIS_ADDRESS_BAD_DB:
    return "has a bad database (a number from 0)";
  default:
    return "";
  }
}
