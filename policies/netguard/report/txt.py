"""One line per allowed connection, as np-guard's netpol-analyzer prints its connectivity list.

``ns/name[Kind] => ns/name[Kind] : TCP 8000,9090,UDP 53``; ``All Connections`` for every port of
every protocol; an external address or address range is written bare (``0.0.0.0-255.255.255.255``).
Lines are sorted as netpol-analyzer sorts them (by the whole line), so the two outputs can be
compared with ``diff``.
"""

from __future__ import annotations

from typing import Iterator

from ..ports import PROTOCOLS
from .model import EndpointInfo, PortsByProtocol, Report, spans_text


def render_txt(report: Report) -> str:
    return "\n".join(sorted(lines(report)))


def lines(report: Report) -> Iterator[str]:
    for c in report.connections:
        src, dst = report.by_id[c.source], report.by_id[c.destination]
        yield f"{endpoint_text(src)} => {endpoint_text(dst)} : {connections_text(c.ports)}"


def endpoint_text(info: EndpointInfo) -> str:
    return info.name if info.external else f"{info.namespace}/{info.name}[{info.kind}]"


def connections_text(ports: PortsByProtocol) -> str:
    if all(p in ports and ports[p].is_everything() for p in PROTOCOLS):
        return "All Connections"
    if not any(not ports[p].is_empty() for p in ports):
        return "No Connections"
    return ",".join(
        f"{p} {spans_text(ports[p], ',') if not ports[p].is_everything() else '1-65535'}"
        for p in PROTOCOLS if p in ports and not ports[p].is_empty()
    )
