"""Reading Hubble flow records: one JSON object per line.

The shapes are those of cilium's ``api/v1/flow/flow.proto``: ``hubble observe -o jsonpb`` and the
Hubble exporter write ``{"flow": {...}, "node_name": ..., "time": ...}`` (a GetFlowsResponse);
``hubble observe -o json`` writes the Flow alone. Field names are the proto names (``pod_name``,
``destination_port``, ``is_reply``, ``traffic_direction``, ``drop_reason_desc``), as Hubble marshals
them; protobuf's default JSON names (``podName``, ``destinationPort``, ``isReply``, ...) are read too.
Enums may be names (``"FORWARDED"``) or numbers (``1``).

A line that is not such a record is bad: ``parse_line`` raises ``BadRecord`` with the reason. A
well-formed record that is not an L4 flow (node status, lost events, ICMP) is ``None``: skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

from ..ports import PROTOCOLS

# flow.proto enum Verdict, by number
VERDICTS = ("VERDICT_UNKNOWN", "FORWARDED", "DROPPED", "ERROR", "AUDIT", "REDIRECTED", "TRACED", "TRANSLATED")
# Drop reasons (enum DropReason) that are a policy's decision; other drops are the datapath's trouble.
POLICY_DROPS = frozenset({"POLICY_DENIED", "POLICY_DENY", "AUTH_REQUIRED", 133, 181, 189})
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$"
)
_NOT_FLOWS = ("node_status", "nodeStatus", "lost_events", "lostEvents", "agent_event", "agentEvent",
              "debug_event", "debugEvent")


class BadRecord(Exception):
    """A line that is not a Hubble flow record; the message says which field is wrong."""


@dataclass(frozen=True)
class Peer:
    """One end of a flow as Hubble saw it."""

    namespace: str
    pod_name: str
    labels: tuple[str, ...]  # "k8s:app=x", "reserved:world", ...
    workloads: tuple[tuple[str, str], ...]  # (kind, name)
    ip: str


@dataclass(frozen=True)
class Record:
    source: Peer
    destination: Peer
    protocol: str
    port: int
    verdict: str
    drop_reason: Any  # a DropReason name or number, or None
    is_reply: Optional[bool]  # None: the record does not say
    time: Optional[tuple[int, str]]  # (nanoseconds since the epoch, the text as written)


def parse_line(line: str) -> Optional[Record]:
    try:
        raw = json.loads(line.lstrip("\ufeff"))  # a byte order mark at the start of the file
    except (ValueError, RecursionError) as exc:
        raise BadRecord(f"not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise BadRecord("not a JSON object")
    flow = raw.get("flow")
    if flow is None:
        if any(k in raw for k in _NOT_FLOWS):
            return None  # a GetFlowsResponse of another kind
        if "source" not in raw and "destination" not in raw and "l4" not in raw:
            raise BadRecord("no 'flow' object (expected a Hubble GetFlowsResponse or Flow)")
        flow = raw  # `hubble observe -o json`: the Flow itself
    if not isinstance(flow, dict):
        raise BadRecord("'flow' is not an object")
    l4 = _get(flow, "l4")
    if l4 is None:
        return None  # no layer 4 (an L7-only or non-IP event): nothing a NetworkPolicy port decides
    if not isinstance(l4, dict):
        raise BadRecord("'flow.l4' is not an object")
    protocol, port = _layer4(l4)
    if protocol is None:
        return None  # ICMP: NetworkPolicies have no ICMP
    ip = _get(flow, "IP", "ip") or {}
    if not isinstance(ip, dict):
        raise BadRecord("'flow.IP' is not an object")
    source = _peer(flow, "source", _text(ip, "source"))
    destination = _peer(flow, "destination", _text(ip, "destination"))
    verdict = _verdict(_get(flow, "verdict"))
    return Record(
        source, destination, protocol, port, verdict,
        _drop_reason(flow), _is_reply(flow, l4),
        _time(_get(flow, "time") or raw.get("time")),
    )


def _get(obj: Mapping, *names: str) -> Any:
    for name in names:
        if name in obj:
            return obj[name]
    return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


# protobuf's JSON name of each proto field name read here (computed once: this runs per record)
_CAMEL = {n: _camel(n) for n in ("destination_port", "pod_name", "is_reply", "namespace", "source", "destination")}


def _field(obj: Mapping, name: str) -> Any:
    value = obj.get(name)
    return obj.get(_CAMEL[name]) if value is None else value


def _layer4(l4: Mapping) -> tuple[Optional[str], int]:
    for protocol in PROTOCOLS:
        body = _get(l4, protocol, protocol.lower())
        if body is None:
            continue
        if not isinstance(body, dict):
            raise BadRecord(f"'flow.l4.{protocol}' is not an object")
        port = _field(body, "destination_port")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise BadRecord(f"'flow.l4.{protocol}.destination_port' is {port!r}, not a port number 1-65535")
        return protocol, port
    if any(k in l4 for k in ("ICMPv4", "ICMPv6", "icmpv4", "icmpv6")):
        return None, 0
    raise BadRecord("'flow.l4' has none of TCP, UDP, SCTP, ICMPv4, ICMPv6")


def _peer(flow: Mapping, side: str, ip: str) -> Peer:
    raw = _get(flow, side)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BadRecord(f"'flow.{side}' is not an object")
    labels = raw.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise BadRecord(f"'flow.{side}.labels' is not a list of strings")
    workloads = raw.get("workloads") or []
    if not isinstance(workloads, list) or not all(isinstance(w, dict) for w in workloads):
        raise BadRecord(f"'flow.{side}.workloads' is not a list of objects")
    namespace, pod = _text(raw, "namespace", side), _text(raw, "pod_name", side)
    if not pod and not ip:
        raise BadRecord(f"'flow.{side}' has neither a pod_name nor an IP in 'flow.IP.{side}'")
    return Peer(
        namespace, pod, tuple(sorted(labels)),
        tuple((str(w.get("kind", "")), str(w.get("name", ""))) for w in workloads), ip,
    )


def _text(obj: Mapping, name: str, where: str = "IP") -> str:
    value = _field(obj, name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRecord(f"'flow.{where}.{name}' is not a string")
    return value


def _verdict(raw: Any) -> str:
    if raw is None:
        return "VERDICT_UNKNOWN"
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < len(VERDICTS):
        return VERDICTS[raw]
    if isinstance(raw, str) and raw in VERDICTS:
        return raw
    raise BadRecord(f"'flow.verdict' is {raw!r}, not one of {', '.join(VERDICTS)}")


def _drop_reason(flow: Mapping) -> Any:
    """``drop_reason_desc``, else the deprecated numeric ``drop_reason``; None when neither is given."""
    reason = _get(flow, "drop_reason_desc", "dropReasonDesc")
    if reason in (None, "DROP_REASON_UNKNOWN", 0):
        reason = _get(flow, "drop_reason", "dropReason") or None
    return reason


def _is_reply(flow: Mapping, l4: Mapping) -> Optional[bool]:
    value = _field(flow, "is_reply")
    if isinstance(value, dict):  # a BoolValue written as a message
        value = value.get("value", False)
    if isinstance(value, bool):
        return value
    if value is not None:
        raise BadRecord(f"'flow.is_reply' is {value!r}, not a boolean")
    if flow.get("reply") is True:  # the deprecated field: only a true value means anything
        return True
    flags = (_get(l4, "TCP", "tcp") or {}).get("flags") if isinstance(_get(l4, "TCP", "tcp"), dict) else None
    if isinstance(flags, dict) and flags.get("SYN") and flags.get("ACK"):
        return True  # SYN-ACK answers a connection
    return None


def _time(raw: Any) -> Optional[tuple[int, str]]:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise BadRecord(f"'time' is {raw!r}, not an RFC 3339 string")
    m = _RFC3339.match(raw)
    if not m:
        raise BadRecord(f"'time' is {raw!r}, not an RFC 3339 timestamp")
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          tzinfo=timezone.utc)
    except ValueError:
        raise BadRecord(f"'time' is {raw!r}, not a valid date") from None
    offset = 0
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    nanos = (int(moment.timestamp()) - offset) * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))
    return nanos, raw
