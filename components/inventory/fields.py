"""Checks of single fields, as the API server would make them, and the annotated types the schema uses.

Each check raises ValueError with a message a user can act on; pydantic puts the path.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, Strict

from netguard import labels

from .errors import shown


KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")


# Label keys a namespace's extra labels may not set: they carry identity, policy or isolation, and
# letting the inventory overwrite them would silently widen what selects the namespace.
RESERVED_LABEL_PREFIXES = ("netguard.io/", "pod-security.kubernetes.io/", "kubernetes.io/", "app.kubernetes.io/")


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$")


def dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.fullmatch(value):
        raise ValueError(f"{shown(value)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63)")
    return value


def _not_system_namespace(value: str) -> str:
    if value == "default" or value.startswith("kube-"):
        raise ValueError(f"{shown(value)} is a Kubernetes system namespace; netguard would put it under default-deny "
                         "and Pod Security restricted (choose another name)")
    return value


def selects_something(value: Mapping[str, str]) -> Mapping[str, str]:
    if not value:
        raise ValueError("must name the DNS pods' labels (an empty selector allows DNS traffic to every pod of the DNS namespace)")
    return value


def workload_name(value: str) -> str:
    # Workload names become Service and CronJob names: DNS-1035, and CronJob allows 52 characters.
    if len(value) > 52 or not _DNS_1035_LABEL.fullmatch(value):
        raise ValueError(f"{shown(value)} is not a valid workload name (DNS-1035 label: a lowercase letter, then letters, digits, '-'; at most 52)")
    if value == "default":
        # The workload's own ServiceAccount takes its name: this one exists already and is shared.
        raise ValueError("'default' is the name of every namespace's default ServiceAccount; choose another workload name")
    return value


def image_reference(value: str) -> str:
    if not value.strip() or any(c.isspace() for c in value):
        raise ValueError(f"{shown(value)} is not an image reference (e.g. registry.example.com/ai/server:1.0; no whitespace)")
    return value


def _port_number(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"{value} is not a valid port (1-65535)")
    return value


def port_name(value: str) -> str:
    if len(value) > 15 or not _PORT_NAME.fullmatch(value) or not re.search(r"[a-z]", value) or "--" in value:
        raise ValueError(f"{shown(value)} is not a valid port name (IANA service name: at most 15 lowercase letters, digits, "
                         "single '-', with a letter)")
    return value


def _one_of(kind: str, allowed: Iterable[str]):
    allowed = tuple(allowed)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {kind} {shown(value)} (expected one of: {', '.join(sorted(allowed))})")
        return value

    return check


_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def _cidr(value: str) -> str:
    try:
        if "%" in value:
            raise ValueError("a zone index has no place in a NetworkPolicy")
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"{shown(value)} is not a valid CIDR ({err})") from None
    # CNIs disagree on whether IPv4-mapped addresses match IPv4 traffic; the IPv4 form is unambiguous.
    # (::/0 is the whole family, left to the allowInternet check.)
    if network.version == 6 and network.prefixlen > 0 and network.overlaps(_IPV4_MAPPED):
        raise ValueError(f"{shown(value)} is an IPv4-mapped IPv6 range or contains one ({_IPV4_MAPPED}); "
                         "write IPv4 destinations in IPv4 form (a.b.c.d/n)")
    return str(network)


def _domain(value: str) -> str:
    if len(value) > 253 or not _DOMAIN.fullmatch(value) or any(len(part) > 63 for part in value.split(".")):
        raise ValueError(f"{shown(value)} is not a valid domain name (lowercase labels, no trailing dot, not an IP; e.g. models.example.com or *.example.com)")
    return value


def _label_key_ok(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not all(_DNS_LABEL.fullmatch(part) for part in prefix.split("."))):
        return False  # the prefix is a DNS subdomain: lowercase labels separated by dots
    return len(name) <= 63 and bool(_LABEL_NAME.fullmatch(name))


def _label_map(value: Mapping[str, str]) -> Mapping[str, str]:
    for key, val in value.items():
        if not _label_key_ok(key):
            raise ValueError(f"{shown(key)} is not a valid label key ([prefix/]name: a DNS subdomain prefix, a name of at most 63 letters, digits, '-', '_', '.')")
        if len(val) > 63 or not _LABEL_VALUE.fullmatch(val):
            raise ValueError(f"{shown(val)} is not a valid label value (for key {shown(key)})")
    return value


DnsLabel = Annotated[str, AfterValidator(dns_label)]
AiNamespaceName = Annotated[str, AfterValidator(dns_label), AfterValidator(_not_system_namespace)]
WorkloadName = Annotated[str, AfterValidator(workload_name)]
# Numbers and booleans are strict: a quoted "80" or "true" in the stack file is a typo to report, and
# True must never become port 1.
PortNumber = Annotated[int, Strict(), AfterValidator(_port_number)]
Replicas = Annotated[int, Strict(), Field(ge=0, le=1000)]
PortName = Annotated[str, AfterValidator(port_name)]
Role = Annotated[str, AfterValidator(_one_of("role", labels.ROLES))]
DataClass = Annotated[str, AfterValidator(_one_of("data class", labels.DATA_CLASSES))]
TrustTier = Annotated[str, AfterValidator(_one_of("trust tier", labels.TRUST_TIERS))]
Kind = Annotated[str, AfterValidator(_one_of("kind", KINDS))]
Cidr = Annotated[str, AfterValidator(_cidr)]
Domain = Annotated[str, AfterValidator(_domain)]
LabelMap = Annotated[dict[str, str], AfterValidator(_label_map)]
Protocol = Literal["TCP", "UDP", "SCTP"]
# The sig-network cluster policy API the cluster serves (components/guardrails.py); none: no guardrails.
ClusterPolicyApi = Literal["v1alpha2", "v1alpha1", "none"]
