"""connection-logging: namespaces that hold regulated data log their allowed and denied connections.

Why: for proprietary or regulated data, an audit needs a record of every connection made and
refused. How the record is kept depends on the CNI (`cni`): on Cilium, Hubble's dynamic exporter
(the ConfigMap kube-system/cilium-flowlog-config, `flowlogs.yaml`) must include the namespace's
flows with the verdicts asked for (FORWARDED for allowed, DROPPED for denied) and exclude none;
on OVN-Kubernetes, the Namespace annotation `k8s.ovn.org/acl-logging` must set `allow` and
`deny`. On other CNIs the pack cannot read the switch yet and says so. Advisory by default.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping, Optional

import yaml
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from netguard import labels

from . import config
from .inputs import stack_objects
from .objects import KubeObject
from .reporting import Violation, guarded, unknown_message

NAME = "connection-logging"
HUBBLE_CONFIG = ("kube-system", "cilium-flowlog-config")
OVN_ANNOTATION = "k8s.ovn.org/acl-logging"
VERDICTS = {"allowed": "FORWARDED", "denied": "DROPPED"}
OVN_KEYS = {"allowed": "allow", "denied": "deny"}

CONFIG = config.schema({
    "cni": {"type": "string", "enum": ["cilium", "antrea", "calico", "ovn-kubernetes", "generic"], "default": "cilium",
            "description": "The cluster's CNI, which decides how connections are logged."},
    "dataClasses": {"type": "array", "items": {"type": "string"}, "default": ["confidential", "restricted"],
                    "description": "Namespaces of these data classes (netguard.io/data-class) must log."},
    "connections": {"type": "array", "items": {"type": "string", "enum": ["allowed", "denied"]},
                    "default": ["allowed", "denied"], "description": "Which connections must be logged."},
})


def check(args: Any) -> Iterator[Violation]:
    settings = config.values(CONFIG, args.get_config())
    objects = stack_objects(args)
    namespaces = [o for o in objects if o.kind == "Namespace" and o.group == ""]
    yield from check_objects(objects, namespaces, settings)


def check_objects(objects: list[KubeObject], namespaces: list[KubeObject], settings: dict) -> Iterator[Violation]:
    wanted = [n for n in namespaces if _data_class(n) in settings["dataClasses"]]
    if not wanted:
        return
    cni, connections = settings["cni"], settings["connections"]
    if cni == "cilium":
        flow_logs, problem = _hubble_flow_logs(objects, settings)
        for ns in wanted:
            missing = problem or _hubble_missing(flow_logs, str(ns.name), connections)
            if missing:
                yield Violation(f"{ns.ref}: its {' and '.join(connections)} connections are not logged: {missing}", ns.urn)
    elif cni == "ovn-kubernetes":
        for ns in wanted:
            missing = _ovn_missing(ns, connections, settings)
            if missing:
                yield Violation(f"{ns.ref}: its {' and '.join(connections)} connections are not logged: {missing}", ns.urn)
    else:
        for ns in wanted:
            yield Violation(f"{ns.ref}: the pack cannot verify connection logging on cni {cni!r} yet; "
                            "check the CNI's per-rule log settings by hand", ns.urn)


def _data_class(ns: KubeObject) -> Optional[str]:
    found = ns.get("metadata", "labels", default={})
    return found.get(labels.DATA_CLASS) if isinstance(found, Mapping) else None


def _hubble_flow_logs(objects: list[KubeObject], settings: dict) -> tuple[list, Optional[str]]:
    maps = [o for o in objects if o.kind == "ConfigMap" and o.group == "" and (o.namespace, o.name) == HUBBLE_CONFIG]
    if not maps:
        return [], ("no ConfigMap kube-system/cilium-flowlog-config for Hubble's dynamic exporter; add one whose "
                    "flowlogs.yaml includes the namespace's flows (the AiConnectionLogging component writes it)")
    obj = maps[0]
    unknown = obj.props.unknown_affecting("data")
    if unknown:
        return [], unknown_message(obj.ref, unknown)
    try:
        parsed = yaml.safe_load(obj.get("data", "flowlogs.yaml", default="") or "") or {}
    except yaml.YAMLError as error:
        return [], f"{obj.ref}: data.flowlogs.yaml is not YAML ({str(error).splitlines()[0]})"
    logs = parsed.get("flowLogs") if isinstance(parsed, Mapping) else None
    if not isinstance(logs, list):
        return [], f"{obj.ref}: data.flowlogs.yaml has no flowLogs list"
    return logs, None


def _hubble_missing(flow_logs: list, namespace: str, connections: list[str]) -> Optional[str]:
    for connection in connections:
        verdict = VERDICTS[connection]
        if not any(_exports(log, namespace, verdict) for log in flow_logs if isinstance(log, Mapping)):
            return (f"no Hubble flowLogs entry exports {verdict} flows from and to {namespace}/ "
                    "(includeFilters with source_pod and destination_pod, no excludeFilters)")
    return None


def _exports(log: Mapping, namespace: str, verdict: str) -> bool:
    """Does this exporter keep every ``verdict`` flow from and to ``namespace``?"""
    if log.get("excludeFilters") or not log.get("filePath"):
        return False  # an exclusion might drop these flows: not verified
    includes = log.get("includeFilters") or []
    if not includes:
        return True  # no include filter: every flow
    return all(any(_keeps(f, side, namespace, verdict) for f in includes) for side in ("source_pod", "destination_pod"))


def _keeps(f: Any, side: str, namespace: str, verdict: str) -> bool:
    """A filter (its fields ANDed) that keeps every flow of ``namespace`` on ``side`` with ``verdict``."""
    if not isinstance(f, Mapping) or set(f) - {side, "verdict"}:
        return False  # other fields narrow it further: not counted
    pods, verdicts = f.get(side), f.get("verdict")
    return (pods is None or f"{namespace}/" in pods) and (not verdicts or verdict in verdicts) and bool(f)


def _ovn_missing(ns: KubeObject, connections: list[str], settings: dict) -> Optional[str]:
    unknown = ns.props.unknown_affecting(f"metadata.annotations.{OVN_ANNOTATION}")
    if unknown:
        return unknown_message(ns.ref, unknown)
    raw = ns.get("metadata", "annotations", default={}).get(OVN_ANNOTATION)
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if not isinstance(value, Mapping):
        return f"set the annotation {OVN_ANNOTATION} to JSON with allow and deny severities"
    absent = [OVN_KEYS[c] for c in connections if not value.get(OVN_KEYS[c])]
    return f"{OVN_ANNOTATION} sets no {' or '.join(absent)} severity" if absent else None


POLICY = StackValidationPolicy(
    name=NAME,
    description="Namespaces of the configured data classes log allowed and denied connections on the CNI.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
