"""Run the benchmark suite: `python -m benchmarks [--json] [--only NAME ...]`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

# The functions' INFO logs would drown the results; set before any handler module is imported.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

from benchmarks import cold_start, journeys, pipeline, replay, scoring
from benchmarks.report import Metric, table

SUITES: dict[str, Callable[[], list[Metric]]] = {
    "cold_start": cold_start.run,
    "scoring": scoring.run,
    "pipeline": pipeline.run,
    "journeys": journeys.run,
    "replay": replay.run,
}


def main(argv: list[str] | None = None) -> int:
    """Run the selected suites and print their metrics."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--json", action="store_true", help="one JSON object per metric per line")
    parser.add_argument("--only", nargs="*", choices=sorted(SUITES), help="run only these suites")
    args = parser.parse_args(argv)
    metrics: list[Metric] = []
    for name in args.only or list(SUITES):
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        got = SUITES[name]()
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        metrics += got
        if args.json:
            for metric in got:
                print(metric.json(), flush=True)
    if not args.json:
        print(table(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
