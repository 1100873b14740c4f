#!/usr/bin/env python3
"""profile_summary.py - the top functions of one profile, as text.

    bench/profile_summary.py perf SELF_REPORT TOTAL_REPORT
    bench/profile_summary.py callgrind SELF_REPORT TOTAL_REPORT

SELF_REPORT and TOTAL_REPORT are what the profiler printed: for perf,
`perf report --stdio -g none --sort dso,symbol` with --no-children and
with --children; for callgrind, `callgrind_annotate` with --inclusive=no
and --inclusive=yes. Prints the functions with the most time of their own
(where the time is spent; addresses of a library without symbols are
folded into one line per library) and Larder's own functions with the most
time including what they call (which of our paths leads there), so that a
regression can be traced to a function. Standard library only.
"""
import re
import sys

TOP_SELF, TOP_TOTAL = 15, 12
OWN = ("larder", "liblarder")
TRIVIAL = {"_start", "main", "__libc_start_main", "__libc_start_call_main"}

# perf: "  27.60%  liblmdb.so.0.0.0  [.] mdb_cursor_get" (self), and with
# --children "  93.06%   5.50%  larder  [.] lr_get_online_features".
PERF_LINE = re.compile(
    r"^\s+(?P<first>[\d.]+)%\s+(?:(?P<second>[\d.]+)%\s+)?(?P<dso>\S+)\s+"
    r"\[(?P<kind>.)\]\s+(?P<symbol>.+?)\s*(?:-\s+-\s*)?$")
# callgrind_annotate: "1,234,567 (12.34%)  file.c:function [/path/obj]"
CALLGRIND_LINE = re.compile(
    r"^\s*[\d,]+\s+\(\s*(?P<pct>[\d.]+)%\)\s+(?P<where>\S+?)"
    r"(?:\s+\[(?P<obj>[^\]]+)\])?\s*$")


def perf_entries(path, children):
    """(percent, dso, symbol) of a perf report, self or total time."""
    entries = []
    with open(path, encoding="utf-8", errors="replace") as report:
        for line in report:
            m = PERF_LINE.match(line)
            if not m:
                continue
            pct = float(m["first"])
            symbol = m["symbol"].replace(" (inlined)", "")
            entries.append((pct, m["dso"], symbol))
    return entries


def callgrind_entries(path):
    """(percent, object, function) of a callgrind_annotate listing ("?"
    when a line names no object)."""
    entries = []
    with open(path, encoding="utf-8", errors="replace") as report:
        for line in report:
            m = CALLGRIND_LINE.match(line)
            if not m or m["where"] == "PROGRAM":
                continue
            where = m["where"]
            function = where.split(":", 1)[1] if ":" in where else where
            obj = m["obj"].rsplit("/", 1)[-1] if m["obj"] else "?"
            entries.append((float(m["pct"]), obj, function))
    return entries


def fold_unresolved(entries):
    """Sums addresses without a symbol into one line per library."""
    folded = {}
    for pct, dso, symbol in entries:
        key = (dso, f"({dso}: functions without symbols)"
               if symbol.startswith("0x") else symbol)
        folded[key] = folded.get(key, 0.0) + pct
    return sorted(((p, d, s) for (d, s), p in folded.items()), reverse=True)


def own_first(entries):
    """Larder's own functions, the largest total first, each once."""
    seen, result = set(), []
    for pct, dso, symbol in sorted(entries, reverse=True):
        if dso.startswith(OWN) and symbol not in seen | TRIVIAL:
            seen.add(symbol)
            result.append((pct, dso, symbol))
    return result


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("perf", "callgrind"):
        sys.exit("usage: profile_summary.py perf|callgrind SELF TOTAL")
    kind, self_path, total_path = sys.argv[1:]
    if kind == "perf":
        own = perf_entries(self_path, False)
        total = perf_entries(total_path, True)
    else:
        own, total = callgrind_entries(self_path), callgrind_entries(total_path)
    print("  most time of their own:")
    for pct, dso, symbol in fold_unresolved(own)[:TOP_SELF]:
        print(f"    {pct:5.1f}%  {symbol}  [{dso}]")
    print("  Larder's functions, including what they call:")
    for pct, dso, symbol in own_first(total)[:TOP_TOTAL]:
        print(f"    {pct:5.1f}%  {symbol}")


if __name__ == "__main__":
    main()
