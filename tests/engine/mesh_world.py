"""A small builder of meshed clusters for tests: namespaces, pods with accounts, Istio policies."""

from __future__ import annotations

from typing import Any, Optional

from netguard.analysis import Analyzer
from netguard.loader import build_cluster

API = "security.istio.io/v1"
SIDECAR_NS = {"istio-injection": "enabled"}
AMBIENT_NS = {"istio.io/dataplane-mode": "ambient"}


def namespace(name: str, labels: Optional[dict] = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def pod(ns: str, name: str, account: Optional[str] = None, labels: Optional[dict] = None,
        ports: tuple[int, ...] = (8080,), ip: Optional[str] = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "ports": [{"containerPort": p} for p in ports]}]}
    if account:
        spec["serviceAccountName"] = account
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
                           "spec": spec}
    if ip:
        out["status"] = {"podIP": ip}
    return out


def authz(ns: str, name: str, spec: dict, annotations: Optional[dict] = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": API, "kind": "AuthorizationPolicy", "metadata": meta, "spec": spec}


def peer_auth(ns: str, name: str, spec: dict) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "PeerAuthentication", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def analyzer(*objects: dict, externals: tuple[str, ...] = ()) -> Analyzer:
    return Analyzer(build_cluster([("test.yaml", o) for o in objects], externals))
