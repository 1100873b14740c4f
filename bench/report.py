#!/usr/bin/env python3
"""report.py - turns a benchmark log into the suite's report (stdlib only).

    bench/report.py LOG PREFIX KEY=VALUE...

LOG holds report rows (lines `csv:scenario,system,params,throughput,p50,
p90,p99,p999,max,units`, see bench/common.h) among notes. Writes
PREFIX.csv (the rows, a later row replacing an earlier one of the same
scenario, system and params), PREFIX.md (a summary: per scenario, each
figure beside its peer's with the ratio Larder / peer) and PREFIX.svg (the
latency percentiles of every scenario that has them, Larder beside its
peer, on a log scale). KEY=VALUE pairs describe the run (date, commit,
mode, machine load) in the summary's header.
"""
import csv
import math
import sys

COLUMNS = ["scenario", "system", "params", "throughput", "p50", "p90",
           "p99", "p999", "max", "units"]
PERCENTILES = ["p50", "p90", "p99", "p999", "max"]

# Per scenario, in report order: a title, what it measures, and the pairs
# (subject, peer) whose ratio subject / peer is reported.
SCENARIOS = [
    ("lookup", "In-process lookups",
     "`lr_get_online_features` of random entities x 20 float32 features, "
     "one thread, every page touched first; `raw_lmdb` is the floor: "
     "`mdb_get` of the same keys in the same database, nothing decoded.",
     [("larder", "raw_lmdb")]),
    ("lookup_service", "Feature service against feature references",
     "The same 20 features, named by a service or one by one.",
     [("larder_service", "larder_refs")]),
    ("lookup_odfv", "On-demand against plain features",
     "The 20 features plus `score = f00 * f01 + f02 / val_to_add` (an "
     "on-demand view: three operators over the view and a request field) "
     "against the 20 features alone; issue 6's goal is at most 20% more.",
     [("larder_odfv", "larder_plain")]),
    ("cold_start", "Cold start: a fresh process doing one lookup",
     "Start to exit of `larder get` of one entity (loading the program, "
     "opening the store, the lookup, printing) against `redis-cli` sending "
     "one HMGET to the running Redis.",
     [("larder_get", "redis_cli")]),
    ("http_lookup", "Feature server against Redis",
     "`larder serve` (2 threads) against Redis 7 in Feast's layout, both "
     "loaded by the same client, bench/http/loadgen.c (POST "
     "/get-online-features to the one, an HMGET per entity to the other, "
     "as Feast's online_read; every answer checked): `larder_serve_loadgen` "
     "and `redis`. Closed loop, one request outstanding per connection, "
     "client and servers on the same 2 cores. `larder_serve` is the same "
     "server under wrk (bench/http/lookup.lua), the cross-check; "
     "`http_floor` is the ceiling: a server that only receives each request "
     "and sends a canned answer as long as Larder's "
     "(bench/http/floor_server.c), under the same wrk load.",
     [("larder_serve_loadgen", "redis"),
      ("larder_serve_loadgen", "larder_serve"),
      ("larder_serve", "http_floor"), ("larder_h2o", "http_floor"),
      ("larder_h2o_loadgen", "larder_serve_loadgen")]),
    ("http_lookup_open", "Feature server against Redis, open loop",
     "The same client at a fixed rate, half of what Redis answered at 1 "
     "entity and 32 connections: each connection on its own schedule, "
     "latency from each request's intended send time, so that a request "
     "held back behind a slow answer counts its wait (as wrk2).",
     [("larder_serve_loadgen", "redis"),
      ("larder_h2o_loadgen", "larder_serve_loadgen")]),
    ("http_server_cpu", "Server CPU time per request",
     "User + system CPU time of the server process over the run, divided by "
     "the requests answered: the figure least disturbed by other work on "
     "the machine.",
     [("larder_serve_loadgen", "redis"), ("larder_serve", "redis"),
      ("larder_h2o", "redis"), ("larder_serve", "http_floor")]),
    ("store_size", "Bytes per entity",
     "The online store's data file (compacted) against the raw bytes (20 x "
     "4 + an 8-byte key) and Redis' `used_memory` above an empty server.",
     [("larder", "raw"), ("larder", "redis")]),
    ("redis_layout", "Redis layouts: bytes per entity",
     "`used_memory` above an empty redis-server per entity, 1M entities x "
     "20 float32 features, loaded with `redis-cli --pipe` "
     "(bench/redis_layout.sh): Larder's 92-byte packed rows as one string "
     "per entity (`_ttl`: with an expiry on each key), or in hashes of ~F "
     "entities (`buckets_F`, field = the 8-byte encoded key) with "
     "hash-max-listpack-value 128 and -entries above the largest bucket "
     "(`_defaults`: Redis' 64 and 128); Feast's layout and the raw 88 "
     "bytes beside them (issue 17).",
     [("larder_rows", "feast"), ("larder_buckets_100", "feast"),
      ("larder_buckets_100_defaults", "feast"),
      ("larder_buckets_100", "raw")]),
    ("redis_store_memory", "Redis online store: bytes per entity",
     "Larder's online store on Redis (`online_store: {type: redis}`), 1M "
     "users x 20 float32 materialized from Parquet into buckets of ~100, "
     "`used_memory` above an empty server per entity, with "
     "hash-max-listpack-entries 256 and -value 128 (`larder_listpack`) and "
     "with Redis' defaults; Feast's layout of the same users beside them "
     "(bench/redis_store.sh). Goal: at most 1.5x the raw 88 bytes.",
     [("larder_listpack", "feast_layout"),
      ("larder_defaults", "feast_layout")]),
    ("redis_materialize", "Materialize into Redis",
     "`lr_materialize` of all users from Parquet into an empty Redis store "
     "(buckets of ~100): one server (`masters=1`) or a 3-master cluster, "
     "all on this machine's 2 cores with the client; one run (max = its "
     "seconds). Goal: 500k rows/s.",
     []),
    ("redis_lookup", "Lookups on Redis against Feast's layout",
     "`lr_get_online_features` of 1, 10 and 100 random users x 20 features "
     "on the Redis store, against an HMGET per user of Feast's layout in "
     "the same server through the same client code, one pipelined batch "
     "per lookup; the two alternate in rounds of 100.",
     [("larder", "feast_layout")]),
    ("replication_visible", "Push -> visible on every replica",
     "A primary and 3 replicas on this machine, `larder replicate` for "
     "each, the log on a local `redis-server`: one-row writes, one at a "
     "time, each timed from before the write until every replica's store "
     "reports it (bench/replication.sh); throughput is pushes a second.",
     []),
    ("replication_apply", "Followers' apply rate, end to end",
     "100,000 rows in writes of 1,000, from the first write until every "
     "replica holds the last: the writer and the followers share the "
     "machine, so the slower of the two sets it.",
     []),
    ("replication_catchup", "Followers' apply rate, catching up",
     "The same rows written and shipped while the followers are stopped "
     "(SIGSTOP), then timed from their continuing until every replica "
     "holds the last: the followers' own rate, 3 at once (max = seconds).",
     []),
    ("replica_publish", "Publishing a snapshot",
     "`larder publish` of the 10M-entity store: a compacting copy of the "
     "live generation, hashed and checked (max = seconds).",
     []),
    ("replica_bootstrap", "Replica bootstrap against cp",
     "`larder replicate --once` on an empty replica: the snapshot's "
     "data.mdb copied (hashed as it is copied, synced), every row counted "
     "into its view digest, installed; against `cp` of the same two files "
     "to the same file system, and `cp` followed by `sync` of them; median "
     "of 3 runs each, warm (the files read first) and cold (the page cache "
     "dropped first); max = seconds.",
     [("larder", "cp"), ("larder", "cp_sync")]),
    ("replica_lookup", "Lookups on a replica while it applies",
     "`lr_get_online_features` of 1 random entity x 20 features in the "
     "replica's store, in process, idle and while its follower applies "
     "writes made on the primary at a paced 100,000 rows a second "
     "(bench/replica_lookup.c).",
     [("larder_applying", "larder_idle")]),
    ("replica_lookup_apply", "The apply rate meanwhile",
     "Rows a second the replica's follower applied during the second run, "
     "and the writer's own rate on the primary (max = the run's seconds).",
     [("larder_follower", "writer")]),
    ("registry_open", "Registry open",
     "`lr_registry_open` + close of a registry of 100 views x 20 features.",
     []),
    ("materialize", "Materialization",
     "Parquet source to an empty online store, 20 float32 features per "
     "entity; one run (max = its seconds).",
     []),
    ("materialize_checks", "Materialization with five checks against none",
     "View `checked` (the `stats` rows, with not_null, two between, an expr "
     "and unique over the key and time, which every row passes) against "
     "`stats`, each into an empty store; the median of 3 alternated runs "
     "(max = its seconds). Goal: checks=5 takes at most 10% more time.",
     []),
    ("write_checks", "lr_write_rows of 100k rows with five checks against none",
     "The same two views, one lr_write_rows of 100,000 rows of 20 float32 "
     "features into an empty store; the median of 3 alternated runs. Goal: at "
     "most 10% more time.",
     []),
    ("stats", "Statistics of a view",
     "`lr_stats` (`larder stats`) of the 10M-row `stats` view, 20 float32 "
     "features: counts, moments and percentiles from a 65,536-value "
     "reservoir; one run (max = its seconds; goal <= 2 s).",
     []),
    ("historical", "Training set against a hand-written ASOF join",
     "A point-in-time training set over 3 views (ttl 0, 2d, 7d) against the "
     "same three ASOF joins written by hand in DuckDB; one run each "
     "(max = its seconds).",
     [("larder", "duckdb_asof")]),
]


def read_rows(log_path):
    """The rows of the log, the last of each (scenario, system, params)."""
    rows = {}
    with open(log_path, encoding="utf-8") as log:
        for line in log:
            if not line.startswith("csv:"):
                continue
            fields = next(csv.reader([line[4:].rstrip("\n")]))
            if len(fields) != len(COLUMNS):
                sys.exit(f"report.py: malformed row: {line.strip()}")
            row = dict(zip(COLUMNS, fields))
            rows[(row["scenario"], row["system"], row["params"])] = row
    return list(rows.values())


def number(text):
    """A figure as a float, or None when empty."""
    return float(text) if text not in ("", None) else None


def fmt(value, unit=""):
    """A figure for people: 3 significant digits, thousands grouped."""
    if value is None:
        return ""
    if value >= 1000:
        return f"{value:,.0f}{unit}"
    if value >= 100:
        return f"{value:.0f}{unit}"
    if value >= 10:
        return f"{value:.1f}{unit}"
    return f"{value:.2f}{unit}"


def write_csv(rows, path):
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def ratio_text(subject, peer, figure):
    """Subject / peer for the main figure (named `figure`) and for each
    latency both rows have; for one-run rows, their time (the max column)."""
    one_run = number(subject["p50"]) is None
    parts = []
    for key, label in [("throughput", figure), ("p50", "p50"), ("p99", "p99"),
                       ("max", "time" if one_run else None)]:
        a, b = number(subject[key]), number(peer[key])
        if label and a is not None and b:
            parts.append(f"{label} {a / b:.2f}x")
    return ", ".join(parts)


def scenario_table(name, pairs, rows):
    """The Markdown table of one scenario, grouped by params; only the
    latency columns some row fills."""
    mine = [r for r in rows if r["scenario"] == name]
    units = next((r["units"] for r in mine if "skipped" not in r["units"]),
                 "")
    figure, _, latency_unit = (u.strip() for u in units.partition(";"))
    shown = [p for p in PERCENTILES if any(number(r[p]) is not None
                                           for r in mine)]
    label = ("size" if figure.startswith("bytes") else
             "CPU" if figure.endswith("/request") else "throughput")
    head = (f"| params | system | {figure or 'figure'} | "
            + "".join(f"{'seconds' if p == 'max' and len(shown) == 1 else p}"
                      f" ({latency_unit}) | " for p in shown)
            + "Larder / peer |")
    lines = [head, "|" + " --- |" * (len(shown) + 4)]
    for params in dict.fromkeys(r["params"] for r in mine):
        group = {r["system"]: r for r in mine if r["params"] == params}
        for system, row in group.items():
            ratios = [f"vs {peer}: {ratio_text(row, group[peer], label)}"
                      for subject, peer in pairs
                      if subject == system and peer in group
                      and "skipped" not in row["units"]
                      and "skipped" not in group[peer]["units"]]
            if "skipped" in row["units"]:
                figures = [row["units"]] + [""] * len(shown)
            else:
                figures = [fmt(number(row["throughput"]))] + [
                    fmt(number(row[p])) for p in shown]
            lines.append(f"| {params} | {system} | " + " | ".join(figures)
                         + f" | {'; '.join(ratios)} |")
    return lines


def write_markdown(rows, meta, path):
    lines = ["# Benchmark report", "",
             "Generated by `make bench` (`bench/run.sh`); every figure below "
             "comes from one run, in `latest.csv`. Run: "
             + ", ".join(f"{k} {v}" for k, v in meta.items()) + ".", "",
             "The machine's load during the run (busy_pct: percent of CPU "
             "time busy over a second, before and after) moves every figure: "
             "read the ratios within the run before the absolute values. "
             "Latencies in microseconds unless a column says otherwise; "
             "`Larder / peer` below 1 is faster (time) or smaller (bytes), "
             "above 1 for throughput is more.", ""]
    for name, title, what, pairs in SCENARIOS:
        if not any(r["scenario"] == name for r in rows):
            continue
        lines += [f"## {title} (`{name}`)", "", what, ""]
        lines += scenario_table(name, pairs, rows) + [""]
    lines += ["![latency percentiles](latest.svg)", ""]
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines))


# ---- the chart ----------------------------------------------------------------

LEFT, RIGHT, LINE, GAP, TOP = 330, 40, 16, 10, 60
WIDTH = 1000
MARKS = {"p50": "circle", "p90": "tick", "p99": "diamond", "p999": "square",
         "max": "cross"}


def is_larder(system):
    return system.startswith("larder")


def chart_groups(rows):
    """(label, [rows]) for every scenario and params with percentiles."""
    groups = []
    for name, title, _, _ in SCENARIOS:
        mine = [r for r in rows if r["scenario"] == name
                and (number(r["p50"]) is not None
                     or "skipped" in r["units"])]
        for params in dict.fromkeys(r["params"] for r in mine):
            members = [r for r in mine if r["params"] == params]
            if any(number(r["p50"]) is not None for r in members):
                groups.append((f"{name} {params}", members))
    return groups


def marker(kind, x, y, color):
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y}" r="4" fill="{color}"/>'
    if kind == "tick":
        return (f'<line x1="{x:.1f}" y1="{y - 5}" x2="{x:.1f}" y2="{y + 5}" '
                f'stroke="{color}" stroke-width="2"/>')
    if kind == "diamond":
        return (f'<path d="M{x:.1f} {y - 5} l5 5 l-5 5 l-5 -5 z" '
                f'fill="{color}"/>')
    if kind == "square":
        return (f'<rect x="{x - 4:.1f}" y="{y - 4}" width="8" height="8" '
                f'fill="none" stroke="{color}" stroke-width="1.5"/>')
    return (f'<path d="M{x - 4:.1f} {y - 4} l8 8 m0 -8 l-8 8" '
            f'stroke="{color}" stroke-width="1.5"/>')


def write_svg(rows, meta, path):
    groups = chart_groups(rows)
    values = [number(r[p]) for _, members in groups for r in members
              for p in PERCENTILES if number(r[p])]
    low = 10 ** math.floor(math.log10(min(values))) if values else 0.1
    high = 10 ** math.ceil(math.log10(max(values))) if values else 1e6
    span = WIDTH - LEFT - RIGHT

    def xpos(v):
        return LEFT + span * (math.log10(v) - math.log10(low)) / (
            math.log10(high) - math.log10(low))

    height = TOP + sum(len(m) * LINE + GAP for _, m in groups) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
           f'height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
           f'<text x="10" y="18" font-size="14">Latency percentiles (us, log '
           f'scale): Larder (blue) beside its peer (orange)</text>',
           f'<text x="10" y="34" fill="#555">{meta.get("date", "")} '
           f'{meta.get("mode", "")} commit {meta.get("commit", "")}; '
           f'marks: p50 circle, p90 bar, p99 diamond, p999 square, max '
           f'cross</text>']
    decade = low
    while decade <= high * 1.0001:
        x = xpos(decade)
        out.append(f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" '
                   f'y2="{height - 30}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 16}" '
                   f'text-anchor="middle">{fmt(decade)}</text>')
        decade *= 10
    y = TOP
    for label, members in groups:
        out.append(f'<text x="10" y="{y + 4}" font-weight="bold">'
                   f'{label}</text>')
        for r in members:
            y += LINE
            color = "#1f77b4" if is_larder(r["system"]) else "#ff7f0e"
            out.append(f'<text x="{LEFT - 8}" y="{y + 4}" text-anchor="end" '
                       f'fill="{color}">{r["system"]}</text>')
            if "skipped" in r["units"]:
                out.append(f'<text x="{LEFT}" y="{y + 4}" fill="#999">'
                           f'skipped (see latest.md)</text>')
                continue
            points = [(p, number(r[p])) for p in PERCENTILES if number(r[p])]
            out.append(f'<line x1="{xpos(points[0][1]):.1f}" y1="{y}" '
                       f'x2="{xpos(points[-1][1]):.1f}" y2="{y}" '
                       f'stroke="{color}" stroke-opacity="0.4"/>')
            out += [marker(MARKS[p], xpos(v), y, color) for p, v in points]
        y += GAP
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as svg:
        svg.write("\n".join(out) + "\n")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: bench/report.py LOG PREFIX KEY=VALUE...")
    meta = dict(arg.split("=", 1) for arg in sys.argv[3:])
    rows = read_rows(sys.argv[1])
    if not rows:
        sys.exit("report.py: the log holds no report rows")
    prefix = sys.argv[2]
    write_csv(rows, prefix + ".csv")
    write_markdown(rows, meta, prefix + ".md")
    write_svg(rows, meta, prefix + ".svg")


if __name__ == "__main__":
    main()
