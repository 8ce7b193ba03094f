"""The upstream e2e world (namespaces x, y, z; pods a, b, c) and truth tables, for the engine tests.

Modelled on kubernetes test/e2e/network/netpol: every namespace carries ``ns: <name>`` (and the
API server's ``kubernetes.io/metadata.name``), every pod carries ``pod: <name>`` and serves ports 80
and 81 on TCP, UDP and SCTP, with container port names ``serve-80-tcp`` and so on. Unlike upstream,
each pod also has a fixed IP here (10.0.<namespace>.<pod>) so that ipBlock cases need no cluster.

``Reachability`` is upstream's truth table: start from a default for every ordered pair, then
override with expectations; loopback pairs are never compared.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from netguard.analysis import Analyzer
from netguard.loader import build_cluster

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
PORTS = (80, 81)
PROTOCOLS = ("TCP", "UDP", "SCTP")


def pod_ip(pod_id: str) -> str:
    ns, name = pod_id.split("/")
    return f"10.0.{NAMESPACES.index(ns) + 1}.{PODS.index(name) + 1}"


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"ns": name, **labels}}}


def pod(pod_id: str, labels: Optional[dict[str, str]] = None, ip: bool = True) -> dict[str, Any]:
    ns, name = pod_id.split("/")
    containers = [
        {"name": f"cont-{port}-{proto.lower()}",
         "ports": [{"containerPort": port, "protocol": proto, "name": f"serve-{port}-{proto.lower()}"}]}
        for port in PORTS for proto in PROTOCOLS
    ]
    manifest: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels if labels is not None else {"pod": name}},
        "spec": {"containers": containers},
    }
    if ip:
        manifest["status"] = {"podIP": pod_ip(pod_id)}
    return manifest


def policy(name: str, ns: str, selector: Optional[dict] = None, *, ingress: Any = None, egress: Any = None,
           types: Optional[list[str]] = None) -> dict[str, Any]:
    """A NetworkPolicy; ``ingress``/``egress`` None leave the field out (so defaulting applies)."""
    spec: dict[str, Any] = {"podSelector": {} if selector is None else selector}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    if types is not None:
        spec["policyTypes"] = types
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def labels(**pairs: str) -> dict[str, Any]:
    return {"matchLabels": dict(pairs)}


def ns_name(name: str) -> dict[str, Any]:
    return {"matchLabels": {"kubernetes.io/metadata.name": name}}


def world(pods: Iterable[str], policies: Iterable[dict] = (), *, externals: Iterable[str] = (),
          namespace_labels: Optional[dict[str, dict[str, str]]] = None,
          pod_labels: Optional[dict[str, dict[str, str]]] = None) -> Analyzer:
    """The world of ``pods`` and ``policies``; labels may be added to namespaces or replace a pod's."""
    extra_ns = namespace_labels or {}
    relabel = pod_labels or {}
    objects = [namespace(n, **extra_ns.get(n, {})) for n in NAMESPACES]
    objects += [pod(p, relabel.get(p)) for p in pods] + list(policies)
    return Analyzer(build_cluster([("test.yaml", o) for o in objects], tuple(externals)))


def allowed_pairs(analyzer: Analyzer, port: int, protocol: str = "TCP") -> set[tuple[str, str]]:
    return {(s, d) for s, d, _, _ in analyzer.matrix([(port, protocol)])}


class Reachability:
    """Upstream's truth table over a list of pods: a default, then overrides in order."""

    def __init__(self, pods: Iterable[str], default: bool = True) -> None:
        self.pods = list(pods)
        self.table = {(s, d): default for s in self.pods for d in self.pods}

    def expect(self, src: str, dst: str, value: bool) -> "Reachability":
        self.table[(src, dst)] = value
        return self

    def expect_peer(self, value: bool, *, from_ns: str = "", from_pod: str = "", to_ns: str = "",
                    to_pod: str = "") -> "Reachability":
        for s, d in self.table:
            if _matches(s, from_ns, from_pod) and _matches(d, to_ns, to_pod):
                self.table[(s, d)] = value
        return self

    def expect_all_ingress(self, dst: str, value: bool) -> "Reachability":
        for s in self.pods:
            self.table[(s, dst)] = value
        return self

    def expect_all_egress(self, src: str, value: bool) -> "Reachability":
        for d in self.pods:
            self.table[(src, d)] = value
        return self

    def allowed(self) -> set[tuple[str, str]]:
        return {(s, d) for (s, d), v in self.table.items() if v and s != d}


def _matches(pod_id: str, ns: str, name: str) -> bool:
    pod_ns, pod_name = pod_id.split("/")
    return (not ns or ns == pod_ns) and (not name or name == pod_name)
