"""The ``netguard`` command: ``reach`` (the matrix), ``explain`` (one connection, with reasons),
``report``, ``diff`` and ``audit`` (their work is in ``commands.py`` and the packages it calls).

``--layer datapath|mesh|all`` (default ``all``) selects the enforcement points that must allow.

Exit 0 on success; on bad input (manifests, --probe, --external, an unknown endpoint, a missing
path) exit 2 with one line on stderr naming the file, object, field and problem; when the output
cannot be written (a full disk, an --output folder that does not exist) exit 1 with one line;
``diff --fail-on`` exits 3 when it finds a change of a named kind. A reader that stops early (``| head``) is
no error.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from typing import Iterable, Iterator, Optional, Sequence, Union

from .analysis import ALL, LAYERS, Analyzer
from .errors import Location, NetguardInputError
from .domains import canonical_name
from .loader import load_paths
from .model import EXTERNAL_NAMESPACE
from .ports import PROTOCOLS, parse_port_number
from . import commands as views
from .views import reach_json_chunks, reach_table_lines

EXIT_OK = 0
EXIT_OUTPUT = 1
EXIT_INPUT = 2


POD_LEVEL_HELP = (
    "every Pod an endpoint of its own (by default a Pod, ReplicaSet or Job that no policy tells from its"
    " owner is folded into the owner's endpoint)"
)


class _Parser(argparse.ArgumentParser):
    """argparse, but usage mistakes also end in one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise NetguardInputError(message, field="command line")


def parse_probe(text: str) -> tuple[int, str]:
    """``80/TCP`` -> (80, "TCP"). The protocol is required and must be TCP, UDP or SCTP."""
    at = Location(field="--probe")
    port_text, slash, protocol = text.partition("/")
    if not slash or protocol not in PROTOCOLS or not (port_text.isascii() and port_text.isdigit()):
        raise at.error(
            f"{text!r} is not PORT/PROTOCOL with a protocol among {', '.join(PROTOCOLS)} (e.g. 80/TCP)"
        )
    return parse_port_number(int(port_text), at), protocol


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="netguard", description="Who can reach whom under Kubernetes NetworkPolicies.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    reach = commands.add_parser("reach", help="the reachability matrix")
    reach.add_argument("paths", nargs="+", metavar="PATH")
    reach.add_argument("--probe", action="append", default=[], metavar="PORT/PROTOCOL")
    reach.add_argument("--external", action="append", default=[], metavar="IP|NAME")
    reach.add_argument("--format", choices=("json", "table"), default="json")
    reach.add_argument("--layer", choices=LAYERS, default=ALL,
                       help="enforcement points that must allow: datapath, mesh, or all (default)")
    reach.add_argument("--pods", action="store_true", help=POD_LEVEL_HELP)
    explain = commands.add_parser("explain", help="why one connection is allowed or denied")
    explain.add_argument("paths", nargs="+", metavar="PATH")
    explain.add_argument("--from", dest="source", required=True, metavar="ENDPOINT")
    explain.add_argument("--to", dest="destination", required=True, metavar="ENDPOINT")
    explain.add_argument("--probe", required=True, metavar="PORT/PROTOCOL")
    explain.add_argument("--external", action="append", default=[], metavar="IP|NAME")
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.add_argument("--layer", choices=LAYERS, default=ALL)
    explain.add_argument("--pods", action="store_true", help=POD_LEVEL_HELP)
    report = commands.add_parser("report", help="who may talk to whom, on which ports, and why")
    report.add_argument("paths", nargs="+", metavar="PATH")
    report.add_argument("--external", action="append", default=[], metavar="IP")
    report.add_argument("--format", choices=("md", "html", "json", "txt"), default="md")
    report.add_argument("--output", metavar="FILE")
    diff = commands.add_parser("diff", help="what changes between two manifest sets, ranked by risk")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--external", action="append", default=[], metavar="IP")
    diff.add_argument("--format", choices=("md", "json", "txt"), default="md")
    diff.add_argument("--fail-on", metavar="KINDS", help="added,removed,widened,narrowed,changed or high")
    diff.add_argument("--output", metavar="FILE")
    audit = commands.add_parser("audit", help="observed Hubble flows against the policy")
    audit.add_argument("paths", nargs="+", metavar="PATH")
    audit.add_argument("--flows", required=True, metavar="FILE")
    audit.add_argument("--external", action="append", default=[], metavar="IP")
    audit.add_argument("--format", choices=("md", "json"), default="md")
    audit.add_argument("--baseline", metavar="EARLIER.json")
    audit.add_argument("--suggest", action="store_true", help="print inventory flows: entries (YAML)")
    audit.add_argument("--output", metavar="FILE")
    return parser


def run(argv: Sequence[str]) -> Union[str, Iterable[str]]:
    """Run a command and return what it prints, whole or in pieces (a large matrix); raises
    NetguardInputError on bad input, always before the first piece."""
    return execute(argv).text


def execute(argv: Sequence[str]) -> "views.Outcome":
    """Run a command: what it prints, where (stdout or --output), and its exit code."""
    args = _parser().parse_args(list(argv))
    if args.command in views.COMMANDS:
        return views.COMMANDS[args.command](args)
    return views.Outcome(_reach_or_explain(args))


def _reach_or_explain(args: argparse.Namespace) -> Union[str, Iterable[str]]:
    if args.command == "reach":
        probes = [parse_probe(p) for p in args.probe]
        analyzer = Analyzer(load_paths(args.paths, args.external, pod_level=args.pods))
        probes = sorted(set(probes)) if probes else analyzer.declared_probes()
        flows = analyzer.iter_matrix(probes, args.layer)
        stands_for = analyzer.cluster.stands_for
        if args.format == "table":
            endpoints = [e.id for e in analyzer.cluster.endpoints]
            return _lines(reach_table_lines(endpoints, probes, flows, stands_for))
        return reach_json_chunks(probes, flows, stands_for)
    port, protocol = parse_probe(args.probe)
    analyzer = Analyzer(load_paths(args.paths, args.external, pod_level=args.pods))
    args.source, args.destination = _canonical(args.source), _canonical(args.destination)
    for endpoint_id, option in ((args.source, "--from"), (args.destination, "--to")):
        if endpoint_id not in {e.id for e in analyzer.cluster.endpoints}:
            hint = ""
            if endpoint_id.startswith("external/"):
                hint = f" (add it with --external {endpoint_id.partition('/')[2]})"
            owner = next((o for o, ids in analyzer.cluster.stands_for.items() if endpoint_id in ids), None)
            if owner is not None:
                hint = f" (folded into {owner}, which stands for it; --pods keeps it)"
            raise NetguardInputError(f"no endpoint {endpoint_id!r} in the manifests{hint}", field=option)
    if args.source == args.destination:
        raise NetguardInputError(
            f"--from and --to are both {args.source!r}; traffic of an endpoint to itself is not evaluated",
            field="--to",
        )
    explanation = analyzer.explain(args.source, args.destination, port, protocol, args.layer)
    if args.format == "json":
        return json.dumps(explanation.to_dict(), indent=1)
    return explanation.to_text()


def _lines(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        yield line if first else "\n" + line
        first = False


def _canonical(endpoint_id: str) -> str:
    """``external/2001:DB8:0::1`` -> ``external/2001:db8::1``, ``external/API.x.`` -> ``external/api.x``."""
    namespace, _, address = endpoint_id.partition("/")
    if namespace != EXTERNAL_NAMESPACE:
        return endpoint_id
    try:
        return f"{EXTERNAL_NAMESPACE}/{ipaddress.ip_address(address)}"
    except ValueError:
        return f"{EXTERNAL_NAMESPACE}/{canonical_name(address)}"  # a DNS name: lowercase, no trailing dot


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        outcome = execute(sys.argv[1:] if argv is None else argv)
    except NetguardInputError as error:
        print(f"netguard: {error}", file=sys.stderr)
        return EXIT_INPUT
    if outcome.output:
        try:
            with open(outcome.output, "w", encoding="utf-8") as handle:
                handle.writelines([outcome.text] if isinstance(outcome.text, str) else outcome.text)
                handle.write("\n")
        except OSError as error:
            print(f"netguard: cannot write {outcome.output}: {error.strerror or error}", file=sys.stderr)
            return EXIT_OUTPUT
        return outcome.code
    try:
        for piece in [outcome.text] if isinstance(outcome.text, str) else outcome.text:
            sys.stdout.write(piece)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()  # the reader stopped early (`| head`): nothing more to say
    except OSError as error:
        print(f"netguard: cannot write the output: {error.strerror or error}", file=sys.stderr)
        return EXIT_OUTPUT
    return outcome.code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
