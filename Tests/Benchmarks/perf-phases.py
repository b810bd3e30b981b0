#!/usr/bin/env python3
"""Share of an ingest's CPU per phase, from `perf record -e cpu-clock --call-graph dwarf` of `spoor ingest`.

usage: Tests/Benchmarks/perf-phases.py PERF_DATA [WINDOW_SECONDS]

Each sample counts once, for the first rule below that any frame of its stack matches (so a WAL checkpoint run
inside a commit counts as the checkpoint, an index build started by a trimmed cache as the index build). With
WINDOW_SECONDS, one line per window of that many seconds from the first sample, to follow a long run.
Used for the scale runs in ingest-results.md.
"""
import collections
import re
import subprocess
import sys

RULES = [  # (phase, substring of a frame's symbol)
    ("deferred index build", "ensureIndexes"), ("deferred index build", "createDeferredIndexes"),
    ("deferred index build", "leaveBulkLoad"),
    ("wal checkpoint", "sqlite3WalCheckpoint"),
    ("commit (WAL frames)", "sqlite3PagerCommitPhaseOne"),
    ("spent-by updates", "applyStagedUpdates"),
    ("row inserts", "insertStaged"), ("row inserts", "insertClusterInputRows"), ("row inserts", "IngestStateC5write"),
    ("staging", "stageBlock"), ("staging", "stageTransaction"),
    ("read + decode", "BlockDirectorySource"), ("read + decode", "nextItem"),
]
PHASES = ["read + decode", "staging", "row inserts", "spent-by updates", "commit (WAL frames)", "wal checkpoint",
          "deferred index build", "other"]


def samples(path):
    """(time, frames) per sample; frames are symbol names, leaf first."""
    out = subprocess.run(["perf", "script", "-i", path, "-F", "time,ip,sym", "--no-inline"],
                         capture_output=True, text=True, errors="replace").stdout
    for block in re.split(r"\n\s*\n", out):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        stamp = re.match(r"([0-9.]+):", lines[0]) if lines else None
        if stamp:
            yield float(stamp.group(1)), lines[1:]


def phase(frames):
    for name, key in RULES:
        if any(key in frame for frame in frames):
            return name
    return "other"  # in practice: freeing each batch's decoded blocks (malloc/free, release)


def main():
    window = float(sys.argv[2]) if len(sys.argv) > 2 else None
    buckets = collections.defaultdict(collections.Counter)
    start = None
    for time, frames in samples(sys.argv[1]):
        start = time if start is None else start
        buckets[int((time - start) // window) if window else 0][phase(frames)] += 1
    print("from_s  samples  " + "  ".join(f"{name[:12]:>12}" for name in PHASES))
    for key in sorted(buckets):
        counts = buckets[key]
        total = sum(counts.values())
        shares = "  ".join(f"{100 * counts[name] / total:11.1f}%" for name in PHASES)
        print(f"{int(key * (window or 0)):6d}  {total:7d}  {shares}")


if __name__ == "__main__":
    main()
