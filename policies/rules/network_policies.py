"""NetworkPolicy objects of a stack, checked by the engine's own parser.

The pack and the engine read a NetworkPolicy the same way: a policy the engine would reject (a
bad CIDR, an except outside its cidr, endPort below port) is reported with
the engine's message, which names the field.
"""

from __future__ import annotations

from typing import Optional

from netguard.errors import Location, NetguardInputError
from netguard.netpol import parse_network_policy

from .objects import KubeObject

API_GROUP = "networking.k8s.io"
# The engine reads the same resource under its old group too (removed from servers in 1.16).
_NETWORK_POLICY_APIS = frozenset({(API_GROUP, "v1"), ("extensions", "v1beta1")})

# Policy kinds of other products that the pack reads (egress_destinations.py, no_allow_all.py).
_READ_GROUPS = frozenset({"cilium.io", "policy.networking.k8s.io", "projectcalico.org"})


def is_network_policy(obj: KubeObject) -> bool:
    """A Kubernetes NetworkPolicy (networking.k8s.io/v1, or extensions/v1beta1): what the engine models."""
    return obj.kind == "NetworkPolicy" and (obj.group, obj.version) in _NETWORK_POLICY_APIS


def is_policy_like(obj: KubeObject) -> bool:
    """Any kind that, by its name, decides who may talk to whom: every *NetworkPolicy kind."""
    return obj.kind.endswith("NetworkPolicy")


def is_read_by_pack(obj: KubeObject) -> bool:
    return is_network_policy(obj) or obj.group in _READ_GROUPS


def problem(obj: KubeObject) -> Optional[str]:
    """The engine's one-line complaint about a NetworkPolicy, or None when it is well formed."""
    try:
        _parse(obj)
    except NetguardInputError as error:
        return str(error)
    return None


def effective_directions(obj: KubeObject) -> frozenset[str]:
    """The directions whose rules Kubernetes applies (policyTypes, defaulted as the API server does)."""
    return _parse(obj).policy_types


def parse(obj: KubeObject):
    """The engine's NetworkPolicy for a well-formed object (raises NetguardInputError otherwise)."""
    return _parse(obj)


def _parse(obj: KubeObject):
    return parse_network_policy(str(obj.namespace), str(obj.name), obj.props.value.get("spec"),
                                Location(obj=obj.ref))
