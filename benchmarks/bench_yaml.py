#!/usr/bin/env python3
"""Benchmark: reading manifests, netguard's reader against the parsers' own times on the same files.

Times, interleaved, medians of --runs: netguard's `read_documents` (fast path where it applies),
the same with NETGUARD_YAML=pyyaml (the reference), and the parsers alone on the same texts:
ryaml.loads_all, PyYAML's CSafeLoader, and yaml_rs / rapidyaml's tree parse when installed (they are
not dependencies: `pip install yaml-rs rapidyaml` to include them). Target: netguard within 3x of
the fastest parser that builds Python objects.

Usage: bench_yaml.py FOLDER [--runs 5]     (e.g. a platform written by bench_engine.py --keep)
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import time
from typing import Callable

import yaml

from netguard.documents import read_documents


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.folder, "**", "*.y*ml"), recursive=True))
    texts = [open(f, encoding="utf-8").read() for f in files]
    size = sum(len(t) for t in texts) / 2**20

    def reference() -> None:
        os.environ["NETGUARD_YAML"] = "pyyaml"
        try:
            for f in files:
                read_documents(f)
        finally:
            del os.environ["NETGUARD_YAML"]

    candidates: dict[str, Callable[[], object]] = {
        "netguard read_documents": lambda: [read_documents(f) for f in files],
        "netguard reference (PyYAML)": reference,
        "PyYAML CSafeLoader alone": lambda: [list(yaml.load_all(t, Loader=yaml.CSafeLoader)) for t in texts],
    }
    try:
        import ryaml
        candidates["ryaml.loads_all alone"] = lambda: [ryaml.loads_all(t) for t in texts]
    except ImportError:
        pass
    try:
        import yaml_rs
        candidates["yaml_rs.loads alone"] = lambda: [yaml_rs.loads(t, parse_datetime=False) for t in texts]
    except ImportError:
        pass
    try:
        import ryml
        data = [t.encode() for t in texts]
        candidates["rapidyaml tree only (no objects)"] = lambda: [ryml.parse_in_arena(d) for d in data]
    except ImportError:
        pass
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(args.runs):
        for name, fn in candidates.items():
            times[name].append(timed(fn))
    medians = {name: statistics.median(t) for name, t in times.items()}
    builders = [n for n in medians if n.endswith(" alone")]
    fastest = min(builders, key=medians.get)
    print(f"{len(files)} files, {size:.1f} MiB; medians of {args.runs} runs")
    for name, median in medians.items():
        print(f"  {name:34} {median:7.3f} s  {size / median:6.1f} MiB/s")
    ratio = medians["netguard read_documents"] / medians[fastest]
    print(f"netguard / fastest object-building parser ({fastest}): {ratio:.2f}x; target <= 3x: "
          f"{'met' if ratio <= 3 else 'MISSED'}")
    return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
