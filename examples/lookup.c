/*
 * lookup.c - the shape of a serving process: open the store once, prepare
 * the request once, then look features up per prediction, in process.
 *
 *   cc -o lookup examples/lookup.c $(pkg-config --cflags --libs --static larder)
 *   ./lookup REPO DRIVER_ID...
 */
#include <stdio.h>
#include <stdlib.h>

#include "larder.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: lookup REPO DRIVER_ID...\n");
    return 2;
  }
  lr_store *store;
  int rc = lr_store_open(argv[1], LR_STORE_READONLY, &store);
  if (rc) {
    fprintf(stderr, "open: %s\n", lr_store_errmsg(store));
    lr_store_close(store);
    return 1;
  }
  const char *refs[] = {"driver_hourly_stats:conv_rate",
                        "driver_hourly_stats:acc_rate"};
  lr_request *req;
  lr_result *res = NULL;
  rc = lr_request_prepare(store, refs, 2, &req);
  if (rc == 0)
    rc = lr_result_create(req, argc - 2, &res);
  lr_value *keys = calloc((size_t)argc, sizeof *keys);
  for (int i = 2; rc == 0 && i < argc; i++)
    keys[i - 2] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = atoll(argv[i])};
  if (rc == 0)
    rc = lr_get_online_features(req, keys, argc - 2, res);
  for (int e = 0; rc == 0 && e < argc - 2; e++) {
    lr_value conv, acc;
    lr_result_cell(res, e, 0, &conv);
    lr_result_cell(res, e, 1, &acc);
    if (conv.status == LR_STATUS_PRESENT && acc.status == LR_STATUS_PRESENT)
      printf("driver %lld: score %.4f\n", keys[e].v.i64,
             0.7 * conv.v.f32 + 0.3 * acc.v.f32);
    else
      printf("driver %lld: %s\n", keys[e].v.i64, lr_status_name(conv.status));
  }
  if (rc)
    fprintf(stderr, "lookup: %s%s\n", lr_store_errmsg(store),
            res ? lr_result_errmsg(res) : "");
  free(keys);
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(store);
  return rc ? 1 : 0;
}
