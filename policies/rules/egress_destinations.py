"""The external destinations that egress rules allow, across the NetworkPolicy kinds of CNIs.

Each kind writes "this pod may talk to that address or name" its own way; this module reads them
all into one shape, with the field path of each, so the allowlist rule checks one thing. Only
rules that allow traffic are read: deny and pass actions never widen egress.

- networking.k8s.io NetworkPolicy: egress[].to[].ipBlock {cidr, except}
- cilium.io CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (spec or specs[]):
  egress[].toCIDR[], toCIDRSet[] {cidr, except}, toEntities [world|all], toFQDNs[] {matchName|matchPattern}
- policy.networking.k8s.io AdminNetworkPolicy / BaselineAdminNetworkPolicy / ClusterNetworkPolicy:
  egress[] with action Allow or Accept: to[].networks[], to[].domainNames[]
- projectcalico.org NetworkPolicy / GlobalNetworkPolicy: egress[] with action Allow:
  destination.nets[], destination.domains[]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from . import network_policies
from .objects import KubeObject

# Cilium entities that stand for every address outside the cluster.
_WORLD_ENTITIES = {"world", "world-ipv4", "world-ipv6", "all"}
_EVERY_ADDRESS = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Destination:
    field: str               # where it is written, e.g. spec.egress[0].to[1].ipBlock
    cidr: str | None = None  # an address range, with the ranges it carves out
    excepts: tuple = ()
    domain: str | None = None  # a DNS name or pattern


def of(obj: KubeObject) -> Iterator[Destination]:
    """Every external destination the object's allowing egress rules name."""
    if network_policies.is_network_policy(obj):
        yield from _network_policy(obj.get("spec"), "spec")
    elif obj.group == "cilium.io" and obj.kind.endswith("NetworkPolicy"):
        yield from _cilium(obj.get("spec"), "spec")
        for index, spec in enumerate(_list(obj.get("specs"))):
            yield from _cilium(spec, f"specs[{index}]")
    elif obj.group == "policy.networking.k8s.io":
        yield from _admin(obj.get("spec"), "spec")
    elif obj.group == "projectcalico.org" and obj.kind.endswith("NetworkPolicy"):
        yield from _calico(obj.get("spec"), "spec")


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _rules(spec: Any, where: str) -> Iterator[tuple[dict, str]]:
    for index, rule in enumerate(_list(_dict(spec).get("egress"))):
        yield _dict(rule), f"{where}.egress[{index}]"


def _network_policy(spec: Any, where: str) -> Iterator[Destination]:
    types = _dict(spec).get("policyTypes")
    if isinstance(types, list) and types and "Egress" not in types:
        return  # Kubernetes ignores egress rules when policyTypes leave Egress out
    for rule, at in _rules(spec, where):
        for index, peer in enumerate(_list(rule.get("to"))):
            block = _dict(peer).get("ipBlock")
            if block is not None:
                block = _dict(block)
                yield Destination(f"{at}.to[{index}].ipBlock", cidr=block.get("cidr"),
                                  excepts=tuple(_list(block.get("except"))))


def _cilium(spec: Any, where: str) -> Iterator[Destination]:
    for rule, at in _rules(spec, where):
        for index, cidr in enumerate(_list(rule.get("toCIDR"))):
            yield Destination(f"{at}.toCIDR[{index}]", cidr=cidr)
        for index, entry in enumerate(_list(rule.get("toCIDRSet"))):
            entry = _dict(entry)
            yield Destination(f"{at}.toCIDRSet[{index}]", cidr=entry.get("cidr"),
                              excepts=tuple(_list(entry.get("except"))))
        for index, entity in enumerate(_list(rule.get("toEntities"))):
            if entity in _WORLD_ENTITIES:
                for cidr in _EVERY_ADDRESS:
                    yield Destination(f"{at}.toEntities[{index}] ({entity})", cidr=cidr)
        for index, fqdn in enumerate(_list(rule.get("toFQDNs"))):
            fqdn = _dict(fqdn)
            for key in ("matchName", "matchPattern"):
                if key in fqdn:
                    yield Destination(f"{at}.toFQDNs[{index}].{key}", domain=fqdn[key])


def _admin(spec: Any, where: str) -> Iterator[Destination]:
    for rule, at in _rules(spec, where):
        if rule.get("action") not in ("Allow", "Accept"):
            continue
        for index, peer in enumerate(_list(rule.get("to"))):
            peer = _dict(peer)
            for n, cidr in enumerate(_list(peer.get("networks"))):
                yield Destination(f"{at}.to[{index}].networks[{n}]", cidr=cidr)
            for n, name in enumerate(_list(peer.get("domainNames"))):
                yield Destination(f"{at}.to[{index}].domainNames[{n}]", domain=name)


def _calico(spec: Any, where: str) -> Iterator[Destination]:
    for rule, at in _rules(spec, where):
        if rule.get("action") != "Allow":
            continue
        destination = _dict(rule.get("destination"))
        peers = ("nets", "selector", "namespaceSelector", "serviceAccounts", "services", "domains")
        if destination.get("notNets") is not None or not any(destination.get(k) for k in peers):
            # "everything but", or an allow with no destination at all: every address.
            where = f"{at}.destination" + (".notNets" if destination.get("notNets") is not None else "")
            for cidr in _EVERY_ADDRESS:
                yield Destination(where, cidr=cidr)
        for n, cidr in enumerate(_list(destination.get("nets"))):
            yield Destination(f"{at}.destination.nets[{n}]", cidr=cidr)
        for n, name in enumerate(_list(destination.get("domains"))):
            yield Destination(f"{at}.destination.domains[{n}]", domain=name)
