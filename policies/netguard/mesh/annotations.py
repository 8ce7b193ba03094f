"""The pod annotations the mesh reads, checked where they are read; every other annotation is ignored.

``sidecar.istio.io/inject`` (also a label) opts a pod in or out of the sidecar; the inbound-port
annotations take ports out of the sidecar's capture, ``bypass-inbound-capture`` every port out of
ztunnel's (names and meanings from istio/api annotation/annotations.yaml).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import Location, kind_of

INJECT = "sidecar.istio.io/inject"
INCLUDE_INBOUND_PORTS = "traffic.sidecar.istio.io/includeInboundPorts"  # "*" all (default), "" none
EXCLUDE_INBOUND_PORTS = "traffic.sidecar.istio.io/excludeInboundPorts"
BYPASS_INBOUND_CAPTURE = "ambient.istio.io/bypass-inbound-capture"
MESH_ANNOTATIONS = (INJECT, INCLUDE_INBOUND_PORTS, EXCLUDE_INBOUND_PORTS, BYPASS_INBOUND_CAPTURE)
ALL_PORTS = "*"


def read_mesh_annotations(raw: Any, at: Location) -> dict[str, str]:
    """The mesh's annotations of a pod (``metadata.annotations``), their values checked."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping of strings, got {kind_of(raw)}")
    found = {}
    for key in MESH_ANNOTATIONS:
        if key not in raw:
            continue
        value = raw[key]
        if not isinstance(value, str):
            raise at.key(key).error(f"annotation value {value!r} is not a string (quote it)")
        if key in (INCLUDE_INBOUND_PORTS, EXCLUDE_INBOUND_PORTS):
            port_list(value, at.key(key), wildcard=key == INCLUDE_INBOUND_PORTS)
        found[key] = value
    return found


def port_list(value: str, at: Location, wildcard: bool) -> frozenset[int] | None:
    """A comma-separated list of ports; None for ``*`` (every port) where allowed; blank is none."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if wildcard and ALL_PORTS in items:
        return None
    ports = set()
    for item in items:
        if not item.isdigit() or not 1 <= int(item) <= 65535:
            raise at.error(f"{item!r} is not a port number (1-65535){' or *' if wildcard else ''}")
        ports.add(int(item))
    return frozenset(ports)
