"""Output formats of the reachability matrix: JSON for tools, a table for people.

Probes are ordered by port, then protocol ("80/TCP", "80/UDP", "81/TCP"); allowed flows by
source, destination, port, protocol.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

Flow = tuple[str, str, int, str]
_CHUNK = 4096  # flows per written piece of a streamed output


def probe_label(port: int, protocol: str) -> str:
    return f"{port}/{protocol}"


def reach_json(probes: Sequence[tuple[int, str]], flows: Sequence[Flow]) -> dict[str, Any]:
    return {
        "probes": [probe_label(p, proto) for p, proto in sorted(set(probes))],
        "allowed": [
            {"from": s, "to": d, "port": p, "protocol": proto} for s, d, p, proto in sorted(flows)
        ],
    }


def reach_json_chunks(
    probes: Sequence[tuple[int, str]], flows: Iterable[Flow], stands_for: Optional[Mapping[str, Sequence[str]]] = None
) -> Iterator[str]:
    """``json.dumps(reach_json(...))`` in pieces, flows already sorted, never held whole; then
    ``"stands_for"`` (owner -> the ids folded into it) when anything was folded."""
    labels = json.dumps([probe_label(p, proto) for p, proto in sorted(set(probes))])
    yield f'{{"probes": {labels}, "allowed": ['
    piece: list[str] = []
    first = True
    for s, d, p, proto in flows:
        piece.append(json.dumps({"from": s, "to": d, "port": p, "protocol": proto}))
        if len(piece) == _CHUNK:
            yield ("" if first else ", ") + ", ".join(piece)
            piece, first = [], False
    if piece:
        yield ("" if first else ", ") + ", ".join(piece)
    yield "]"
    if stands_for:
        yield f', "stands_for": {json.dumps({k: list(v) for k, v in stands_for.items()})}'
    yield "}"


def reach_table(endpoints: Sequence[str], probes: Sequence[tuple[int, str]], flows: Iterable[Flow]) -> str:
    """One grid per probe: a row per source, a column per destination (numbered, see the legend)."""
    return "\n".join(reach_table_lines(endpoints, probes, flows))


def reach_table_lines(
    endpoints: Sequence[str], probes: Sequence[tuple[int, str]], flows: Iterable[Flow],
    stands_for: Optional[Mapping[str, Sequence[str]]] = None,
) -> Iterator[str]:
    """The lines of ``reach_table``, one at a time."""
    stands_for = stands_for or {}
    allowed = set(flows)
    width = len(str(len(endpoints)))
    name_width = max((len(e) for e in endpoints), default=0)
    yield "Endpoints:"
    for i, e in enumerate(endpoints, start=1):
        yield f"  {i:>{width}}  {e}" + (f"  (stands for {len(stands_for[e])})" if e in stands_for else "")
    if stands_for:
        yield ("Owned Pods, ReplicaSets and Jobs that no policy tells from their owner are folded into it"
               " ('stands for'); --pods lists every Pod.")
    yield "Rows are sources, columns destinations: '+' allowed, '.' denied, '-' itself."
    header = " " * (width + name_width + 4) + " ".join(f"{i:>{width}}" for i in range(1, len(endpoints) + 1))
    if not probes:
        yield from ["", "No probes: no endpoint declares a container port; give --probe PORT/PROTOCOL."]
    pairs = len(endpoints) * (len(endpoints) - 1)
    for port, protocol in sorted(set(probes)):
        yield from ["", f"Probe {probe_label(port, protocol)}:", header]
        for i, src in enumerate(endpoints, start=1):
            cells = [
                "-" if src == dst else "+" if (src, dst, port, protocol) in allowed else "."
                for dst in endpoints
            ]
            yield f"{i:>{width}}  {src:<{name_width}}  " + " ".join(f"{c:>{width}}" for c in cells)
        count = sum(1 for f in allowed if f[2] == port and f[3] == protocol)
        yield f"Allowed on {probe_label(port, protocol)}: {count} of {pairs} ordered pairs."
