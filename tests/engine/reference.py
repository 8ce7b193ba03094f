"""A plain reference evaluator of NetworkPolicy, written from the API documentation alone.

It reads the raw manifest dicts (not the engine's model) and decides one (source, destination,
port, protocol) at a time by looping over every policy. Slow and obvious on purpose: the engine's
grouped, bitset-based matrix must agree with it on every generated world.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
TIER_KINDS = {"ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}


@dataclass
class RefEndpoint:
    id: str
    namespace: str
    labels: dict
    ports: list  # (name, number, protocol)
    ip: Optional[str]
    external: bool = False


@dataclass
class RefWorld:
    namespaces: dict = field(default_factory=dict)
    endpoints: list = field(default_factory=list)
    policies: list = field(default_factory=list)
    tiers: list = field(default_factory=list)  # ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy


def reference_world(objects: Iterable[dict], externals: Iterable[str] = ()) -> RefWorld:
    w = RefWorld()
    for o in objects:
        kind = o.get("kind")
        meta = o.get("metadata", {})
        ns = meta.get("namespace") or "default"
        if kind == "Namespace":
            w.namespaces[meta["name"]] = dict(meta.get("labels") or {})
        elif kind in TIER_KINDS:
            w.tiers.append(o)
        elif kind == "NetworkPolicy":
            w.policies.append(o)
            w.namespaces.setdefault(ns, {})
        elif kind == "Pod" or kind in WORKLOADS:
            if kind == "Pod":
                template = o
            elif kind == "CronJob":
                template = o["spec"]["jobTemplate"]["spec"]["template"]
            else:
                template = o["spec"]["template"]
            ports = []
            for c in (template.get("spec") or {}).get("containers") or []:
                for p in c.get("ports") or []:
                    ports.append((p.get("name"), p["containerPort"], p.get("protocol", "TCP")))
            ip = (o.get("status") or {}).get("podIP") if kind == "Pod" else None
            w.endpoints.append(RefEndpoint(f"{ns}/{meta['name']}", ns,
                                           dict((template.get("metadata") or {}).get("labels") or {}), ports, ip))
            w.namespaces.setdefault(ns, {})
    for name in w.namespaces:
        w.namespaces[name]["kubernetes.io/metadata.name"] = name
    for ip in externals:
        w.endpoints.append(RefEndpoint(f"external/{ip}", "external", {}, [], ip, external=True))
    return w


def selector_matches(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and not (key in labels and labels[key] in values):
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def peer_matches(w: RefWorld, peer: dict, policy_ns: str, ep: RefEndpoint) -> bool:
    if "ipBlock" in peer:
        if ep.ip is None:
            return False
        ip = ipaddress.ip_address(ep.ip)
        cidr = ipaddress.ip_network(peer["ipBlock"]["cidr"], strict=False)
        if ip.version != cidr.version or ip not in cidr:
            return False
        return not any(ip in ipaddress.ip_network(e, strict=False) for e in peer["ipBlock"].get("except") or [])
    if ep.external:
        return False
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], w.namespaces[ep.namespace]):
            return False
    elif ep.namespace != policy_ns:
        return False
    return "podSelector" not in peer or selector_matches(peer["podSelector"], ep.labels)


def ports_match(ports: Any, port: int, protocol: str, dst: RefEndpoint) -> bool:
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        p = entry.get("port")
        if p is None:
            return True
        if isinstance(p, str):
            if any(name == p and number == port and proto == protocol for name, number, proto in dst.ports):
                return True
        elif p <= port <= entry.get("endPort", p):
            return True
    return False


def policy_types(spec: dict) -> list:
    if spec.get("policyTypes"):
        return spec["policyTypes"]
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def side_allows(w: RefWorld, direction: str, subject: RefEndpoint, peer: RefEndpoint,
                dst: RefEndpoint, port: int, protocol: str) -> bool:
    if subject.external:
        return True
    if w.tiers:
        return tiered_side_allows(w, direction, subject, peer, dst, port, protocol)
    return network_policies_allow(w, direction, subject, peer, dst, port, protocol)[1]


def network_policies_allow(w: RefWorld, direction: str, subject: RefEndpoint, peer: RefEndpoint,
                           dst: RefEndpoint, port: int, protocol: str) -> tuple[bool, bool]:
    """(isolated, allowed) under the NetworkPolicies alone."""
    isolated = False
    for p in w.policies:
        ns = p["metadata"].get("namespace") or "default"
        spec = p["spec"]
        if ns != subject.namespace or direction not in policy_types(spec):
            continue
        if not selector_matches(spec["podSelector"], subject.labels):
            continue
        isolated = True
        peers_key = "from" if direction == "Ingress" else "to"
        for rule in spec.get(direction.lower()) or []:
            rule = rule or {}
            peers = rule.get(peers_key)
            if peers and not any(peer_matches(w, q, ns, peer) for q in peers):
                continue
            if ports_match(rule.get("ports"), port, protocol, dst):
                return True, True
    return isolated, not isolated


# --- the cluster tiers, read from the API reference: Admin -> NetworkPolicy -> Baseline -> allow ---

def tiered_side_allows(w: RefWorld, direction: str, subject: RefEndpoint, peer: RefEndpoint,
                       dst: RefEndpoint, port: int, protocol: str) -> bool:
    admin = sorted((p for p in w.tiers if _tier(p) == "Admin"), key=lambda p: p["spec"]["priority"])
    verdict = _tier_verdict(w, admin, direction, subject, peer, dst, port, protocol)
    if verdict in (True, False):
        return verdict
    isolated, allowed = network_policies_allow(w, direction, subject, peer, dst, port, protocol)
    if isolated:
        return allowed
    baseline = sorted((p for p in w.tiers if _tier(p) == "Baseline"), key=lambda p: p["spec"].get("priority", 0))
    return _tier_verdict(w, baseline, direction, subject, peer, dst, port, protocol) is not False


def _tier(p: dict) -> str:
    if p["kind"] == "ClusterNetworkPolicy":
        return p["spec"]["tier"]
    return "Admin" if p["kind"] == "AdminNetworkPolicy" else "Baseline"


def _tier_verdict(w, policies, direction, subject, peer, dst, port, protocol):
    """True (Accept/Allow), False (Deny), or None (Pass, or no rule matched)."""
    for p in policies:
        spec = p["spec"]
        if not _subject_matches(w, spec["subject"], subject):
            continue
        for rule in spec.get(direction.lower()) or []:
            peers = rule["from" if direction == "Ingress" else "to"]
            if not any(_tier_peer_matches(w, q, peer) for q in peers):
                continue
            if not _tier_ports_match(rule.get("protocols", rule.get("ports")), port, protocol, dst):
                continue
            if rule["action"] == "Pass":
                return None
            return rule["action"] in ("Accept", "Allow")
    return None


def _subject_matches(w: RefWorld, subject: dict, ep: RefEndpoint) -> bool:
    return _tier_peer_matches(w, subject, ep)


def _tier_peer_matches(w: RefWorld, peer: dict, ep: RefEndpoint) -> bool:
    if "networks" in peer:
        return ep.ip is not None and any(
            ipaddress.ip_address(ep.ip) in ipaddress.ip_network(c, strict=False) for c in peer["networks"])
    if "nodes" in peer or "domainNames" in peer or ep.external:
        return False
    if "namespaces" in peer:
        return selector_matches(peer["namespaces"], w.namespaces[ep.namespace])
    pods = peer["pods"]
    return selector_matches(pods.get("namespaceSelector") or {}, w.namespaces[ep.namespace]) and selector_matches(
        pods["podSelector"], ep.labels)


def _tier_ports_match(entries, port: int, protocol: str, dst: RefEndpoint) -> bool:
    if not entries:
        return True
    for e in entries:
        name = e.get("destinationNamedPort") or e.get("namedPort")
        if name is not None:
            if any(n == name and number == port and proto == protocol for n, number, proto in dst.ports):
                return True
            continue
        if "portNumber" in e:
            if e["portNumber"].get("protocol", "TCP") == protocol and e["portNumber"]["port"] == port:
                return True
            continue
        if "portRange" in e:
            r = e["portRange"]
            if r.get("protocol", "TCP") == protocol and r["start"] <= port <= r["end"]:
                return True
            continue
        body = e.get(protocol.lower())
        if body is None:
            continue
        value = body["destinationPort"]
        if "number" in value and value["number"] == port:
            return True
        if "range" in value and value["range"]["start"] <= port <= value["range"]["end"]:
            return True
    return False


def reference_allowed(w: RefWorld, src: RefEndpoint, dst: RefEndpoint, port: int, protocol: str) -> bool:
    return side_allows(w, "Egress", src, dst, dst, port, protocol) and side_allows(
        w, "Ingress", dst, src, dst, port, protocol)


def reference_matrix(w: RefWorld, probes: Iterable[tuple[int, str]]) -> set:
    out = set()
    for port, protocol in probes:
        for s in w.endpoints:
            for d in w.endpoints:
                if s.id != d.id and reference_allowed(w, s, d, port, protocol):
                    out.add((s.id, d.id, port, protocol))
    return out
