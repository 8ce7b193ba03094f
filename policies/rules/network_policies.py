"""NetworkPolicy objects of a stack, checked by the engine's own parser.

The pack and the engine read a NetworkPolicy the same way: a policy the engine would reject (a
missing podSelector, a bad CIDR, an except outside its cidr, endPort below port) is reported with
the engine's message, which names the field.
"""

from __future__ import annotations

from typing import Optional

from netguard.errors import Location, NetguardInputError
from netguard.netpol import parse_network_policy

from .objects import KubeObject

API_GROUP = "networking.k8s.io"


def is_network_policy(obj: KubeObject) -> bool:
    return obj.kind == "NetworkPolicy" and obj.group == API_GROUP


def problem(obj: KubeObject) -> Optional[str]:
    """The engine's one-line complaint about a NetworkPolicy, or None when it is well formed."""
    try:
        parse_network_policy(str(obj.namespace), str(obj.name), obj.props.value.get("spec"),
                             Location(obj=obj.ref))
    except NetguardInputError as error:
        return str(error)
    return None
