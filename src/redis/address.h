/*
 * address.h - "HOST[:PORT]" as a user writes it (the write log's URL, a
 * store's seeds): a host of letters, digits, '.', '-' and '_', a port
 * from 1 to 65535. The parsers move a cursor and say what was wrong, and
 * the caller words the message for its setting (lr__redis_address_problem
 * gives the words for each problem).
 */
#ifndef LR_REDIS_ADDRESS_H
#define LR_REDIS_ADDRESS_H

typedef enum lr__redis_address_error {
  LR__REDIS_ADDRESS_OK = 0,
  LR__REDIS_ADDRESS_NO_HOST,
  LR__REDIS_ADDRESS_BAD_HOST,
  LR__REDIS_ADDRESS_BAD_PORT,
  LR__REDIS_ADDRESS_BAD_DB,
  LR__REDIS_ADDRESS_NOMEM
} lr__redis_address_error;

/* Reads the decimal number at *p (at most `max`) into *out and moves *p
 * past it. Returns 0 when there is none or it is larger. */
int lr__redis_parse_number(const char **p, long long max, long long *out);

/* Reads the host at *p, which ends at the first of `ends` (or the text's
 * end), into *host (heap; the caller frees it) and moves *p past it. */
lr__redis_address_error lr__redis_parse_host(const char **p, const char *ends,
                                             char **host);

/* Reads "HOST[:PORT]", all of `text` (port `default_port` when none), into
 * *host (heap) and *port. */
lr__redis_address_error lr__redis_parse_hostport(const char *text,
                                                 int default_port,
                                                 char **host, int *port);

/* Reads "HOST[:PORT][/DB]", all of `text` (what follows "redis://"; port
 * 6379 and database 0 when none) into *host (heap), *port and *db. */
lr__redis_address_error lr__redis_parse_server(const char *text, char **host,
                                               int *port, int *db);

/* What is wrong, for a message: "names no host", "has a bad host
 * (letters, digits, '.', '-', '_')", "has a bad port (1 to 65535)", "has a bad database (a number from 0)"
 * ("" for
 * the others: the caller reports LR__REDIS_ADDRESS_NOMEM itself). */
const char *lr__redis_address_problem(lr__redis_address_error e);

#endif
