"""Output formats of the reachability matrix: JSON for tools, a table for people.

Probes are ordered by port, then protocol ("80/TCP", "80/UDP", "81/TCP"); allowed flows by
source, destination, port, protocol.
"""

from __future__ import annotations

from typing import Any, Sequence

Flow = tuple[str, str, int, str]


def probe_label(port: int, protocol: str) -> str:
    return f"{port}/{protocol}"


def reach_json(probes: Sequence[tuple[int, str]], flows: Sequence[Flow]) -> dict[str, Any]:
    return {
        "probes": [probe_label(p, proto) for p, proto in sorted(set(probes))],
        "allowed": [
            {"from": s, "to": d, "port": p, "protocol": proto} for s, d, p, proto in sorted(flows)
        ],
    }


def reach_table(endpoints: Sequence[str], probes: Sequence[tuple[int, str]], flows: Sequence[Flow]) -> str:
    """One grid per probe: a row per source, a column per destination (numbered, see the legend)."""
    allowed = set(flows)
    width = len(str(len(endpoints)))
    name_width = max((len(e) for e in endpoints), default=0)
    lines = ["Endpoints:"]
    lines += [f"  {i:>{width}}  {e}" for i, e in enumerate(endpoints, start=1)]
    lines.append("Rows are sources, columns destinations: '+' allowed, '.' denied, '-' itself.")
    header = " " * (width + name_width + 4) + " ".join(f"{i:>{width}}" for i in range(1, len(endpoints) + 1))
    if not probes:
        lines += ["", "No probes: no endpoint declares a container port; give --probe PORT/PROTOCOL."]
    pairs = len(endpoints) * (len(endpoints) - 1)
    for port, protocol in sorted(set(probes)):
        lines += ["", f"Probe {probe_label(port, protocol)}:", header]
        for i, src in enumerate(endpoints, start=1):
            cells = [
                "-" if src == dst else "+" if (src, dst, port, protocol) in allowed else "."
                for dst in endpoints
            ]
            lines.append(
                f"{i:>{width}}  {src:<{name_width}}  " + " ".join(f"{c:>{width}}" for c in cells)
            )
        count = sum(1 for f in allowed if f[2] == port and f[3] == protocol)
        lines.append(f"Allowed on {probe_label(port, protocol)}: {count} of {pairs} ordered pairs.")
    return "\n".join(lines)
