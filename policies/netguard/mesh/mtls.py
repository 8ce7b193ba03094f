"""The effective mTLS mode of a workload's container port, from its PeerAuthentications.

Most specific first, as Istio resolves it: the port's mode in a workload policy (a selector that
matches the pod), that policy's mode, the namespace-wide policy (no selector) of the pod's
namespace, the mesh-wide one (no selector, root namespace); ``UNSET`` at a level inherits from
the next, and nothing at all is PERMISSIVE. Selector policies in the root namespace are ignored,
as Istio ignores them. When two policies tie at a level (Istio takes the oldest, which manifests
do not say), the weakest mode is assumed, so that no connection is reported encrypted or
rejected on a guess. Ambient's ztunnel does not support DISABLE: it accepts plaintext as PERMISSIVE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from ..model import Endpoint
from .membership import AMBIENT
from .model import DISABLE, PERMISSIVE, ROOT_NAMESPACE, STRICT, UNSET, PeerAuthentication

_STRENGTH = {DISABLE: 0, PERMISSIVE: 1, STRICT: 2}


@dataclass(frozen=True)
class MtlsMode:
    mode: str  # DISABLE, PERMISSIVE or STRICT
    policy_id: Optional[str]  # the PeerAuthentication that decided; None: Istio's default
    note: str = ""  # a tie or ambient's reading of DISABLE


@dataclass(frozen=True)
class MtlsProfile:
    """A workload's modes: one for every port, except the ports a workload policy names."""

    default: MtlsMode
    ports: Mapping[int, MtlsMode]

    def at(self, port: int) -> MtlsMode:
        return self.ports.get(port, self.default)


def mtls_profile(
    policies: Sequence[PeerAuthentication], endpoint: Endpoint, dataplane: Optional[str]
) -> MtlsProfile:
    """``policies``: the PeerAuthentications of the endpoint's namespace and of the root namespace."""
    mesh = [p for p in policies if p.namespace == ROOT_NAMESPACE and p.selector.is_empty]
    namespace = [p for p in policies if p.namespace == endpoint.namespace and p.selector.is_empty]
    workload = [
        p for p in policies
        if p.namespace == endpoint.namespace != ROOT_NAMESPACE
        and not p.selector.is_empty and p.selector.matches(endpoint.labels)
    ]
    levels = [_level(workload), _level(namespace), _level(mesh)]
    default = _first(levels, dataplane)
    ports: dict[int, MtlsMode] = {}
    for port in sorted({port for p in workload for port, _ in p.port_modes}):
        at_port = _level([p for p in workload if dict(p.port_modes).get(port, UNSET) != UNSET], port)
        if at_port is not None:
            ports[port] = _first([at_port, *levels], dataplane)
    return MtlsProfile(default, ports)


def _level(policies: Sequence[PeerAuthentication], port: Optional[int] = None) -> Optional[MtlsMode]:
    """The weakest set mode among policies of one level, or None when all leave it UNSET."""
    modes = [
        (dict(p.port_modes).get(port, UNSET) if port is not None else p.mode, p.id) for p in policies
    ]
    modes = [(mode, pid) for mode, pid in modes if mode != UNSET]
    if not modes:
        return None
    mode, pid = min(modes, key=lambda m: (_STRENGTH[m[0]], m[1]))
    note = ""
    if len(modes) > 1:
        others = ", ".join(sorted(p for _, p in modes if p != pid))
        note = f"{pid} ties with {others} (Istio applies the oldest); the weakest mode is assumed"
    return MtlsMode(mode, pid, note)


def _first(levels: Sequence[Optional[MtlsMode]], dataplane: Optional[str]) -> MtlsMode:
    decided = next((level for level in levels if level is not None), None)
    if decided is None:
        decided = MtlsMode(PERMISSIVE, None, "no PeerAuthentication applies: Istio's default is PERMISSIVE")
    if decided.mode == DISABLE and dataplane == AMBIENT:
        return MtlsMode(PERMISSIVE, decided.policy_id, "ambient does not support DISABLE: read as PERMISSIVE")
    return decided
