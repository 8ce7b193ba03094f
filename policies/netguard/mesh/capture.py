"""Which inbound ports of a meshed pod its proxy takes in; the others accept plaintext, unauthorized.

Sidecar: istio-iptables redirects the ports of ``traffic.sidecar.istio.io/includeInboundPorts``
(``*``, every port, by default; an empty list none) except those of ``excludeInboundPorts``
(Istio applies the exclusions under ``*`` only; subtracting them always reads no port as captured
that might not be). Ambient: ``ambient.istio.io/bypass-inbound-capture`` makes ztunnel capture
outbound traffic only, so every inbound port is outside it; any value but ``false`` is read so.
A port outside the proxy sees neither PeerAuthentication nor AuthorizationPolicy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from ..errors import Location
from .annotations import BYPASS_INBOUND_CAPTURE, EXCLUDE_INBOUND_PORTS, INCLUDE_INBOUND_PORTS, port_list
from .membership import AMBIENT, SIDECAR


@dataclass(frozen=True)
class InboundCapture:
    """The ports the proxy takes in: ``included`` (None: every port) minus ``excluded``."""

    included: Optional[frozenset[int]] = None
    excluded: frozenset[int] = frozenset()
    by: tuple[str, ...] = ()  # the annotations that take ports out

    def bypass(self, port: int) -> Optional[str]:
        """The annotation that takes ``port`` out of the proxy, or None when the proxy takes it in."""
        if port in self.excluded:
            return EXCLUDE_INBOUND_PORTS
        if self.included is not None and port not in self.included:
            return self.by[0]
        return None

    def describe(self) -> list[tuple[str, str]]:
        """(which ports, annotation) for every way ports are taken out."""
        found = []
        if self.included is not None:
            kept = ", ".join(str(p) for p in sorted(self.included - self.excluded))
            found.append((f"every inbound port but {kept}" if kept else "every inbound port", self.by[0]))
        if self.excluded:
            found.append((f"inbound port(s) {', '.join(str(p) for p in sorted(self.excluded))}",
                          EXCLUDE_INBOUND_PORTS))
        return found


EVERY_PORT = InboundCapture()


def inbound_capture(annotations: Mapping[str, str], dataplane: Optional[str]) -> InboundCapture:
    """``annotations``: the pod's, as ``annotations.read_mesh_annotations`` checked them."""
    at = Location("")
    if dataplane == AMBIENT:
        value = annotations.get(BYPASS_INBOUND_CAPTURE)
        if value is not None and value.strip().lower() != "false":
            return InboundCapture(frozenset(), frozenset(), (BYPASS_INBOUND_CAPTURE,))
        return EVERY_PORT
    if dataplane != SIDECAR:
        return EVERY_PORT
    include = annotations.get(INCLUDE_INBOUND_PORTS)
    included = None if include is None else port_list(include, at, wildcard=True)
    excluded = port_list(annotations.get(EXCLUDE_INBOUND_PORTS, ""), at, wildcard=False) or frozenset()
    if included is None and not excluded:
        return EVERY_PORT
    return InboundCapture(included, excluded, (INCLUDE_INBOUND_PORTS,) if included is not None else ())
