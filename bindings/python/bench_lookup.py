"""bench_lookup.py - the lookups of bindings/rust/examples/bench_lookup.rs
and bindings/bench/lookup.c (same features, same keys), made through the
Python binding and read with to_dict(), to show what Python adds to them.
Run by bindings/bench.sh.

    python3 bench_lookup.py REPO [LOOKUPS]
"""
import sys
import time

import larder

FEATURES = ["driver_hourly_stats:conv_rate", "driver_hourly_stats:acc_rate",
            "driver_hourly_stats:avg_daily_trips"]


def key(i):
    """The i-th key, as bench_lookup.rs computes it."""
    return 1001 + i * 7919 % 300


def time_batch(store, batch, runs):
    """Nanoseconds of each of `runs` lookups of `batch` entities, after as
    many untimed ones."""
    ns = []
    for r in range(2 * runs):
        rows = {"driver_id": [key(r * batch + j) for j in range(batch)]}
        start = time.perf_counter_ns()
        store.get_online_features(features=FEATURES, entity_rows=rows).to_dict()
        if r >= runs:
            ns.append(time.perf_counter_ns() - start)
    return sorted(ns)


def main():
    repo, lookups = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    with larder.Store(repo) as store:
        for batch in (1, 100):
            runs = max(lookups // batch, 100)
            ns = time_batch(store, batch, runs)
            print(f"python batch={batch} runs={runs} p50_ns={ns[runs // 2]} "
                  f"p99_ns={ns[runs * 99 // 100]} mean_ns={sum(ns) // runs}")


if __name__ == "__main__":
    main()
