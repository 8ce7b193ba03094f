"""The two port shapes of the tier APIs, read into the engine's port matchers.

- v1alpha2 ``protocols``: each entry is exactly one of ``tcp``/``udp``/``sctp`` (with
  ``destinationPort``: exactly one of ``number`` or ``range{start,end}``, start < end) or
  ``destinationNamedPort``.
- v1alpha1 ``ports``: each entry is exactly one of ``portNumber{protocol,port}``,
  ``portRange{protocol,start,end}`` (protocol defaults to TCP) or ``namedPort``.

A named port carries no protocol in either API: it matches the destination's container port of
that name with the protocol the container declares, so it becomes one ``NamedPort`` per protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Location, kind_of, unknown_key
from ..ports import PROTOCOLS, NamedPort, PortMatcher, PortRange, parse_port_name, parse_port_number, parse_protocol

PROTOCOL_KEYS = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP"}


def one_key(raw: Any, allowed: tuple[str, ...], at: Location, what: str) -> str:
    """The single key of a mapping that must set exactly one of ``allowed``."""
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with one of {', '.join(allowed)}, got {kind_of(raw)}")
    unknown = unknown_key(raw, set(allowed))
    if unknown is not None:
        raise at.key(unknown).error(f"unknown field of {what} (expected one of {', '.join(allowed)})")
    present = [k for k in allowed if raw.get(k) is not None]
    if len(present) != 1:
        found = ", ".join(present) if present else "none"
        raise at.error(f"{what} needs exactly one of {', '.join(allowed)} (found {found})")
    return present[0]


def named_port(raw: Any, at: Location) -> tuple[PortMatcher, ...]:
    if not isinstance(raw, str):
        raise at.error(f"expected a port name, got {kind_of(raw)}")
    name = parse_port_name(raw, at)
    return tuple(NamedPort(protocol, name) for protocol in PROTOCOLS)


def parse_protocols_entry(raw: Any, at: Location) -> tuple[PortMatcher, ...]:
    """One v1alpha2 ``protocols`` entry."""
    key = one_key(raw, ("tcp", "udp", "sctp", "destinationNamedPort"), at, "a protocols entry")
    if key == "destinationNamedPort":
        return named_port(raw[key], at.key(key))
    protocol, at = PROTOCOL_KEYS[key], at.key(key)
    body = raw[key]
    if not isinstance(body, Mapping):
        raise at.error(f"expected a mapping with destinationPort, got {kind_of(body)}")
    unknown = unknown_key(body, {"destinationPort"})
    if unknown is not None:
        raise at.key(unknown).error("unknown field (expected destinationPort)")
    if body.get("destinationPort") is None:
        raise at.key("destinationPort").error("missing: give a number or a range")
    at = at.key("destinationPort")
    which = one_key(body["destinationPort"], ("number", "range"), at, "a destinationPort")
    value = body["destinationPort"][which]
    if which == "number":
        number = parse_port_number(value, at.key("number"))
        return (PortRange(protocol, number, number),)
    first, last = _range(value, at.key("range"), {"start", "end"})
    if last <= first:
        raise at.key("range").error(f"start {first} must be less than end {last}")
    return (PortRange(protocol, first, last),)


def parse_ports_entry(raw: Any, at: Location) -> tuple[PortMatcher, ...]:
    """One v1alpha1 ``ports`` entry."""
    key = one_key(raw, ("portNumber", "portRange", "namedPort"), at, "a ports entry")
    value, at = raw[key], at.key(key)
    if key == "namedPort":
        return named_port(value, at)
    if key == "portNumber":
        if not isinstance(value, Mapping):
            raise at.error(f"expected a mapping with protocol and port, got {kind_of(value)}")
        unknown = unknown_key(value, {"protocol", "port"})
        if unknown is not None:
            raise at.key(unknown).error("unknown field of a portNumber (expected protocol and port)")
        protocol = parse_protocol(value.get("protocol"), at.key("protocol"))
        number = parse_port_number(value.get("port"), at.key("port"))
        return (PortRange(protocol, number, number),)
    first, last = _range(value, at, {"protocol", "start", "end"})
    if last < first:
        raise at.error(f"end {last} is below start {first}")
    return (PortRange(parse_protocol(value.get("protocol"), at.key("protocol")), first, last),)


def _range(raw: Any, at: Location, known: set[str]) -> tuple[int, int]:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with start and end, got {kind_of(raw)}")
    unknown = unknown_key(raw, known)
    if unknown is not None:
        raise at.key(unknown).error(f"unknown field of a port range (expected {', '.join(sorted(known))})")
    return parse_port_number(raw.get("start"), at.key("start")), parse_port_number(raw.get("end"), at.key("end"))
