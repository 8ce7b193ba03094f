"""DNS names: how each product's domain rules match a name, and which names are names at all.

An external endpoint given by name (``external/models.example.com``) has unknown addresses, so
only domain rules match it by name. Each product spells wildcards its own way; the rules below are
read from each product's source or API types, one function per product:

- Cilium ``toFQDNs`` (cilium.io/v2, semantics of Cilium 1.19, ``pkg/fqdn/matchpattern``):
  ``matchName`` is an exact, case-insensitive name. ``matchPattern``: a pattern of stars only
  (``*``, ``**.``) matches every name; a leading ``**.`` (two or more stars, then a dot) matches
  one or more whole labels; any other ``*`` (runs of stars count as one) matches zero or more
  characters inside one label, never a dot. So ``*.example.com`` matches ``a.example.com`` but
  neither ``example.com`` nor ``a.b.example.com``; ``**.example.com`` matches both subdomains but
  not ``example.com``; ``*example.com`` matches ``example.com`` and ``myexample.com``.
- ClusterNetworkPolicy ``domainNames`` (policy.networking.k8s.io/v1alpha2, ``DomainName``): an
  exact name, or ``*.`` as a prefix only, matching one or more entire labels.
- OVN-Kubernetes EgressFirewall ``to.dnsName`` (k8s.ovn.org/v1, ``EgressFirewallDestination``):
  an exact name, or a single ``*.`` at the start matching exactly one label: ``*.example.com``
  matches ``sub1.example.com`` but neither ``example.com`` nor ``sub2.sub1.example.com``.

Names are compared in lowercase without the trailing dot (DNS names are case-insensitive).
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_NAME_LENGTH = 253
_LABEL = r"[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_CILIUM_CHARS = "[-a-z0-9_]"
_CILIUM_PATTERN_CHARS = re.compile(r"^[-a-zA-Z0-9_.*]+$")
_CILIUM_NAME_CHARS = re.compile(r"^[-a-zA-Z0-9_.]+$")


def canonical_name(raw: str) -> str:
    """``Models.Example.COM.`` -> ``models.example.com``: lowercase, no trailing dot."""
    return raw.strip().rstrip(".").lower()


def is_dns_name(raw: str) -> bool:
    """A DNS name an external endpoint may carry: dot-separated labels of letters, digits, - and _."""
    name = canonical_name(raw)
    return 0 < len(name) <= MAX_NAME_LENGTH and _NAME.match(name) is not None and not _all_digits(name)


def _all_digits(name: str) -> bool:
    # ``10.0.0`` is a malformed address, not a name: refuse it rather than guess.
    return all(part.isdigit() for part in name.split("."))


# --- ClusterNetworkPolicy domainNames ----------------------------------------------------------
def cluster_domain_matches(pattern: str, name: str) -> bool:
    """``*.example.com`` matches one or more labels before ``.example.com``; otherwise exact."""
    pattern, name = canonical_name(pattern), canonical_name(name)
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return name.endswith(suffix) and len(name) > len(suffix)
    return name == pattern


# --- OVN-Kubernetes EgressFirewall dnsName --------------------------------------------------------
_OVN_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?"
_OVN_DNS_NAME = re.compile(rf"^(\*\.)?({_OVN_LABEL}\.)*{_OVN_LABEL}\.?$")  # the CRD's validation pattern


def ovn_dns_name_error(value: str) -> str | None:
    """Why ``value`` is not a dnsName the EgressFirewall CRD accepts, or None."""
    if not _OVN_DNS_NAME.match(value):
        return "a dnsName is a DNS name, optionally starting with a single '*.' (one label)"
    return None


def ovn_dns_name_matches(pattern: str, name: str) -> bool:
    """``*.example.com`` matches exactly one label before ``.example.com``; otherwise exact."""
    pattern, name = canonical_name(pattern), canonical_name(name)
    if pattern.startswith("*."):
        suffix = pattern[1:]
        head = name[: -len(suffix)] if name.endswith(suffix) else ""
        return bool(head) and "." not in head
    return name == pattern


# --- Cilium toFQDNs ----------------------------------------------------------------------------
def cilium_name_error(value: str) -> str | None:
    """Why ``value`` is not a valid matchName, or None."""
    if len(value.strip()) > 255:
        return "a matchName is at most 255 characters"
    if not _CILIUM_NAME_CHARS.match(value):
        return "only letters, digits, '-', '_' and '.' are allowed in a matchName"
    return None


def cilium_pattern_error(value: str) -> str | None:
    """Why ``value`` is not a valid matchPattern, or None."""
    if len(value.strip()) > 255:
        return "a matchPattern is at most 255 characters"
    if not _CILIUM_PATTERN_CHARS.match(value.strip()):
        return "only letters, digits, '-', '_', '.' and '*' are allowed in a matchPattern"
    return None


def cilium_name_matches(match_name: str, name: str) -> bool:
    return canonical_name(match_name) == canonical_name(name)


def cilium_pattern_matches(pattern: str, name: str) -> bool:
    return _cilium_regex(pattern.strip().lower()).match(canonical_name(name) + ".") is not None


@lru_cache(maxsize=4096)
def _cilium_regex(pattern: str) -> re.Pattern[str]:
    """The anchored regex Cilium's matchPattern denotes, over FQDN-form names (trailing dot)."""
    body = pattern[:-1] if pattern.endswith(".") else pattern
    if body and set(body) == {"*"}:
        return re.compile(rf"^({_CILIUM_CHARS}+\.)+$")
    if not pattern.endswith("."):
        pattern += "."
    out: list[str] = []
    start = 0
    stars = len(pattern) - len(pattern.lstrip("*"))
    if stars >= 2 and pattern[stars:stars + 1] == ".":
        out.append(rf"{_CILIUM_CHARS}+(\.{_CILIUM_CHARS}+)*\.")  # one or more whole labels
        start = stars + 1
    i = start
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            while i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 1
            out.append(f"{_CILIUM_CHARS}*")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$")


# --- one entry point for the matchers ------------------------------------------------------------
CLUSTER_DOMAIN_NAMES = "domainNames"
CILIUM_MATCH_NAME = "matchName"
CILIUM_MATCH_PATTERN = "matchPattern"
OVN_DNS_NAME = "dnsName"
_MATCHERS = {
    OVN_DNS_NAME: ovn_dns_name_matches,
    CLUSTER_DOMAIN_NAMES: cluster_domain_matches,
    CILIUM_MATCH_NAME: cilium_name_matches,
    CILIUM_MATCH_PATTERN: cilium_pattern_matches,
}


def name_matches(syntax: str, pattern: str, name: str) -> bool:
    """Does ``pattern``, written in the product syntax ``syntax``, match the DNS name ``name``?"""
    return _MATCHERS[syntax](pattern, name)
