"""The ``report``, ``diff`` and ``audit`` commands: load, build the model, render.

Each returns an ``Outcome``: the text, the exit code, and the file to write it to (``--output``);
``cli.py`` prints or writes it and maps errors to exit codes.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional, Union

from .analysis import Analyzer
from .errors import NetguardInputError
from .internet import address_ranges, with_internet
from .loader import load_paths
from .model import Cluster

EXIT_FAIL_ON = 3


@dataclass(frozen=True)
class Outcome:
    text: Union[str, Iterable[str]]  # pieces: a large matrix, streamed
    code: int = 0
    output: Optional[str] = None


def with_address_ranges(*clusters: Cluster) -> list[Analyzer]:
    """Analyzers over the clusters, each with the same external address ranges (see internet.py)."""
    ranges = address_ranges(clusters)
    return [Analyzer(with_internet(c, ranges)) for c in clusters]


def report(args: argparse.Namespace) -> Outcome:
    from .report.build import build_report
    from .report.render import RENDERERS

    (analyzer,) = with_address_ranges(load_paths(args.paths, args.external))
    return Outcome(RENDERERS[args.format](build_report(analyzer, args.paths)), 0, args.output)


def diff(args: argparse.Namespace) -> Outcome:
    from .diff.compare import compare
    from .diff.render import RENDERERS
    from .diff.risk import parse_fail_on, fails

    fail_on = parse_fail_on(args.fail_on) if args.fail_on is not None else None
    old, new = with_address_ranges(load_paths([args.old], args.external), load_paths([args.new], args.external))
    result = compare(old, new, args.old, args.new)
    code = EXIT_FAIL_ON if fail_on is not None and fails(result, fail_on) else 0
    return Outcome(RENDERERS[args.format](result), code, args.output)


def audit(args: argparse.Namespace) -> Outcome:
    from .audit.run import run_audit
    from .audit.render import RENDERERS, suggest_yaml

    result = run_audit(args.paths, args.flows, args.external, args.baseline)
    text = suggest_yaml(result) if args.suggest else RENDERERS[args.format](result)
    return Outcome(text, 0, args.output)


COMMANDS: Mapping[str, Callable[[argparse.Namespace], Outcome]] = {
    "report": report, "diff": diff, "audit": audit,
}

__all__ = ["COMMANDS", "Outcome", "NetguardInputError", "with_address_ranges"]
