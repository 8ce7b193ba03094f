#!/usr/bin/env python3
"""Benchmark `netguard report`, `netguard diff` and `netguard audit` on the engine benchmark's platform.

The platforms are bench_engine.py's (N tenant namespaces: five Deployments and a notebook each, eight
NetworkPolicies each; N=50: 537 pods and 400 policies, N=1,000: 10,702 and 8,000). For each size:
- report: the whole `netguard report --format json` command (load, grouped connections with their
  port sets and reasons, findings, JSON), in a fresh process: wall time and peak RSS; then, in
  process, the model once and each renderer (md, html, txt, json) on it;
- diff: `netguard diff OLD NEW --format json` where NEW changes three tenants (a wider flow, TCP DNS
  removed, a notebook reaching training);
- audit: `netguard audit --format json` over --records Hubble records written by gen_flows.py.
Small sizes: the median of --runs; the largest: one run. Then a million-record audit (--million).

Usage: bench_views.py [--sizes 50,100,1000] [--runs 3] [--records 100000] [--million 1000000]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE.parent / "scripts"  # gen_flows.py writes the flow logs
sys.path[:0] = [str(HERE), str(HERE.parent / "policies")]
from bench_engine import write_platform  # noqa: E402

MIB = 2 ** 20


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (bytes) of a command, which must succeed.

    CPU seconds are the steadier figure on a shared machine: wall time grows with everyone's load.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed: {proc.stderr.read().decode()[-1500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def changed_platform(src: Path, dst: Path) -> None:
    """A copy of the platform in which tenants 1-3 change (see the module docstring)."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.glob("*.yaml"):
        docs = list(yaml.safe_load_all(path.read_text()))
        if path.stem in ("tenant-0001", "tenant-0002", "tenant-0003"):
            ns = path.stem
            for d in docs:
                name = d["metadata"]["name"]
                if d["kind"] == "NetworkPolicy" and name == "allow-to-inference":
                    d["spec"]["ingress"][0]["ports"].append({"protocol": "TCP", "port": 9090})
                if d["kind"] == "NetworkPolicy" and name == "allow-dns":
                    d["spec"]["egress"][0]["ports"] = [{"protocol": "UDP", "port": 53}]
            docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": {"name": "notebook-to-training", "namespace": ns},
                         "spec": {"podSelector": {"matchLabels": {"netguard.io/role": "training"}},
                                  "policyTypes": ["Ingress"],
                                  "ingress": [{"from": [{"podSelector": {"matchLabels": {"netguard.io/role": "notebook"}}}]}]}})
        (dst / path.name).write_text(yaml.safe_dump_all(docs, sort_keys=False))


RENDER_TIMES = """
import json, sys, time
from netguard.commands import with_address_ranges
from netguard.loader import load_paths
from netguard.report.build import build_report
from netguard.report.render import RENDERERS
(analyzer,) = with_address_ranges(load_paths([sys.argv[1]]))
t = time.perf_counter(); model = build_report(analyzer); out = {"model": time.perf_counter() - t}
for name, render in RENDERERS.items():
    t = time.perf_counter(); text = render(model); out[name] = time.perf_counter() - t; out[name + "_chars"] = len(text)
out["connections"] = len(model.connections)
print(json.dumps(out))
"""


def median_of(runs: int, command: list[str]) -> tuple[float, float, int]:
    results = [timed(command) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
            max(r[2] for r in results))


def cell(row: tuple[float, float, int]) -> str:
    wall, cpu, rss = row
    return f"{wall:7.2f} {cpu:7.2f} {rss / MIB:5.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,100,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--million", type=int, default=1_000_000, help="records of the large audit (0: skip)")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    netguard = str(Path(sys.executable).with_name("netguard"))
    sizes = [int(s) for s in args.sizes.split(",") if s]
    env_python = [sys.executable]
    print("Per command, in a fresh process: wall seconds, CPU seconds (user + system) and peak RSS in MiB; the\n"
          "median of --runs for all but the largest size. model/md/html/txt/json: in-process seconds of building\n"
          "the report model and of each renderer on it.")
    print(f"{'N':>5} {'pods':>6} {'policies':>8} {'conns':>6} | {'report':>7} {'cpu':>7} {'MiB':>5} | {'model':>6} "
          f"{'md':>5} {'html':>5} {'txt':>5} {'json':>5} | {'diff':>7} {'cpu':>7} {'MiB':>5} | {'audit':>7} {'cpu':>7} "
          f"{'MiB':>5} {'records':>8}")
    with tempfile.TemporaryDirectory(prefix="netguard-views-") as tmp:
        root = args.keep or Path(tmp)
        for n in sizes:
            runs = 1 if n == max(sizes) else args.runs
            old, new = root / f"platform-{n}", root / f"platform-{n}-new"
            sizes_row = write_platform(n, old)
            changed_platform(old, new)
            flows = root / f"flows-{n}.jsonl"
            subprocess.run([*env_python, str(SCRIPTS / "gen_flows.py"), str(old), "--records", str(args.records),
                            "--out", str(flows), "--bad-every", "10000"], check=True)
            report = median_of(runs, [netguard, "report", str(old), "--format", "json", "--output", os.devnull])
            render = json.loads(subprocess.run([*env_python, "-c", RENDER_TIMES, str(old)], check=True, capture_output=True,
                                               text=True, env={**os.environ, "PYTHONPATH": str(HERE.parent / "policies")}).stdout)
            diff = median_of(runs, [netguard, "diff", str(old), str(new), "--format", "json", "--output", os.devnull])
            audit = median_of(runs, [netguard, "audit", str(old), "--flows", str(flows), "--format", "json",
                                                  "--output", os.devnull])
            print(f"{n:>5} {sizes_row['pods']:>6} {sizes_row['policies']:>8} {render['connections']:>6} | {cell(report)} | "
                  f"{render['model']:6.2f} {render['md']:5.2f} {render['html']:5.2f} {render['txt']:5.2f} "
                  f"{render['json']:5.2f} | {cell(diff)} | {cell(audit)} {args.records:>8}", flush=True)
        if args.million:
            n = max(sizes)
            flows = root / f"flows-{n}-million.jsonl"
            subprocess.run([*env_python, str(SCRIPTS / "gen_flows.py"), str(root / f"platform-{n}"), "--records",
                            str(args.million), "--out", str(flows), "--bad-every", "100000"], check=True)
            wall, cpu, rss = timed([netguard, "audit", str(root / f"platform-{n}"), "--flows", str(flows),
                                    "--format", "json", "--output", os.devnull])
            print(f"\naudit of {args.million:,} records ({flows.stat().st_size / MIB:.0f} MiB) against N={n}: "
                  f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak {rss / MIB:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
