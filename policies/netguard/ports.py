"""Ports of NetworkPolicy rules: numbers, names, endPort ranges and protocols.

A rule's port entry is one of two matchers: ``PortRange`` (a number, a number..endPort range, or a
whole protocol when only the protocol is given) and ``NamedPort`` (a container port name, resolved
on the destination endpoint: a name the destination does not declare with the same protocol matches
nothing). A rule with no port entries admits every port of every protocol; that is ``ALL_PORTS``
(``None`` in a compiled rule).

``PortSet`` is the answer to "on which ports?": an immutable union of inclusive ranges.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence, Union

from .errors import Location, kind_of, unknown_key

PROTOCOLS = ("TCP", "UDP", "SCTP")
MIN_PORT = 1
MAX_PORT = 65535
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


@dataclass(frozen=True)
class PortSet:
    """A set of port numbers as sorted, disjoint, non-adjacent inclusive ranges."""

    spans: tuple[tuple[int, int], ...] = ()

    @staticmethod
    def of(ranges: Iterable[tuple[int, int]]) -> "PortSet":
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        return PortSet(tuple(merged))

    @staticmethod
    def everything() -> "PortSet":
        return PortSet(((MIN_PORT, MAX_PORT),))

    def is_empty(self) -> bool:
        return not self.spans

    def is_everything(self) -> bool:
        return self.spans == ((MIN_PORT, MAX_PORT),)

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and any(lo <= port <= hi for lo, hi in self.spans)

    def __or__(self, other: "PortSet") -> "PortSet":
        return PortSet.of(self.spans + other.spans)

    def __and__(self, other: "PortSet") -> "PortSet":
        # Both span lists are sorted and disjoint: one merge walk, linear in their lengths.
        out = []
        i = j = 0
        a, b = self.spans, other.spans
        while i < len(a) and j < len(b):
            lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return PortSet(tuple(out))

    def __sub__(self, other: "PortSet") -> "PortSet":
        out = []
        for lo, hi in self.spans:
            for olo, ohi in other.spans:
                if ohi < lo or olo > hi:
                    continue
                if lo < olo:
                    out.append((lo, olo - 1))
                lo = ohi + 1
                if lo > hi:
                    break
            if lo <= hi:
                out.append((lo, hi))
        return PortSet.of(out)

    def ranges(self) -> tuple[tuple[int, int], ...]:
        return self.spans

    def min(self) -> int:
        if not self.spans:
            raise ValueError("an empty PortSet has no smallest port")
        return self.spans[0][0]

    def describe(self) -> str:
        if self.is_everything():
            return "all ports"
        return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.spans)


@dataclass(frozen=True)
class ContainerPort:
    """A port a container declares: its optional name, number and protocol."""

    name: Optional[str]
    port: int
    protocol: str


@dataclass(frozen=True)
class PortRange:
    """Ports first..last of one protocol (a single number when first == last)."""

    protocol: str
    first: int
    last: int

    def ports_on(self, protocol: str, destination: Sequence[ContainerPort]) -> PortSet:
        return PortSet(((self.first, self.last),)) if protocol == self.protocol else PortSet()

    def describe(self) -> str:
        if (self.first, self.last) == (MIN_PORT, MAX_PORT):
            return f"all {self.protocol} ports"
        span = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{span}/{self.protocol}"


@dataclass(frozen=True)
class NamedPort:
    """A container port name, resolved on the destination with the same protocol."""

    protocol: str
    name: str

    def ports_on(self, protocol: str, destination: Sequence[ContainerPort]) -> PortSet:
        if protocol != self.protocol:
            return PortSet()
        return PortSet.of(
            (p.port, p.port) for p in destination if p.name == self.name and p.protocol == protocol
        )

    def describe(self) -> str:
        return f"port named {self.name}/{self.protocol}"


PortMatcher = Union[PortRange, NamedPort]


def ports_admitted(
    matchers: Optional[Sequence[PortMatcher]], protocol: str, destination: Sequence[ContainerPort]
) -> PortSet:
    """The ports of ``protocol`` that a rule's port list admits towards ``destination``.

    ``None`` is a rule without ports: every port of every protocol.
    """
    if matchers is None:
        return PortSet.everything()
    # One merge of every entry's spans: linear in the rule's size, however many entries it lists.
    return PortSet.of(span for m in matchers for span in m.ports_on(protocol, destination).spans)


def describe_ports(matchers: Optional[Sequence[PortMatcher]]) -> str:
    if matchers is None:
        return "any port"
    return ", ".join(m.describe() for m in matchers)


def parse_protocol(raw: Any, at: Location) -> str:
    if raw is None:
        return "TCP"
    if raw not in PROTOCOLS:
        raise at.error(f"unknown protocol {raw!r}; expected one of {', '.join(PROTOCOLS)}")
    return raw


def parse_port_number(raw: Any, at: Location) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise at.error(f"expected a port number, got {kind_of(raw)}")
    if not MIN_PORT <= raw <= MAX_PORT:
        raise at.error(f"port {raw} is outside {MIN_PORT}-{MAX_PORT}")
    return raw


def parse_port_name(raw: str, at: Location) -> str:
    """An IANA service name: at most 15 lowercase letters, digits and inner hyphens, one letter."""
    if len(raw) > 15 or not _PORT_NAME.fullmatch(raw) or "--" in raw or not re.search(r"[a-z]", raw):
        raise at.error(
            f"{raw!r} is neither a port number nor a valid port name "
            "(at most 15 lowercase letters, digits and '-', with at least one letter)"
        )
    return raw


def parse_rule_port(raw: Any, at: Location) -> PortMatcher:
    """One entry of a rule's ``ports`` list."""
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with port and protocol, got {kind_of(raw)}")
    unknown = unknown_key(raw, {"port", "protocol", "endPort"})
    if unknown is not None:
        raise at.key(unknown).error("unknown field of a NetworkPolicy port")
    protocol = parse_protocol(raw.get("protocol"), at.key("protocol"))
    port = raw.get("port")
    end = raw.get("endPort")
    if port is None:
        if end is not None:
            raise at.key("endPort").error("endPort needs a numeric port")
        return PortRange(protocol, MIN_PORT, MAX_PORT)
    if isinstance(port, str):
        name = parse_port_name(port, at.key("port"))
        if end is not None:
            raise at.key("endPort").error(f"endPort cannot be used with the named port {name!r}")
        return NamedPort(protocol, name)
    first = parse_port_number(port, at.key("port"))
    if end is None:
        return PortRange(protocol, first, first)
    last = parse_port_number(end, at.key("endPort"))
    if last < first:
        raise at.key("endPort").error(f"endPort {last} is below port {first}")
    return PortRange(protocol, first, last)


def parse_container_port(raw: Any, at: Location) -> ContainerPort:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a container port mapping, got {kind_of(raw)}")
    number = parse_port_number(raw.get("containerPort"), at.key("containerPort"))
    protocol = parse_protocol(raw.get("protocol"), at.key("protocol"))
    name = raw.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise at.key("name").error(f"expected a port name, got {kind_of(name)}")
        name = parse_port_name(name, at.key("name"))
    return ContainerPort(name, number, protocol)
